/* One zone operation per process: a child on proc, killed with its tree at a timeout, its output logged as it comes. */
#define LOG_MODULE "spawn"
#include "spawnop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "metrics.h"
#include "proc.h"

#define LOG_LINE_MAX 512   /* octets of one output line put in the log */

struct child {
	struct child *next;
	struct spawner *s;
	struct proc *p;
	struct event *timer;
	char tag[96];
	unsigned logged;            /* lines logged so far */
	unsigned long unlogged;     /* octets past the line budget */
	int timed_out;
	spawn_line_fn *line;
	spawn_done_fn *done;
	void *arg;
};

struct spawner {
	struct event_base *base;
	struct child *children;
	unsigned running;
};

static void
child_line(void *arg, enum proc_stream s, const char *text, size_t len, unsigned flags)
{
	struct child *c = arg;

	if (c->logged < SPAWN_LOG_LINES) {
		char esc[LOG_LINE_MAX * 4 + 4];
		size_t n = len < LOG_LINE_MAX ? len : LOG_LINE_MAX;

		log_info("%s: %s%s", c->tag, log_escape(esc, sizeof esc, text, n),
		    n < len || (flags & PROCLINES_CUT) ? " [line cut]" : "");
		c->logged++;
	} else {
		c->unlogged += len;
	}
	if (s == PROC_STDOUT && c->line)
		c->line(c->arg, text, len, flags);
}

static void
child_unlink(struct child *c)
{
	struct child **pp;

	for (pp = &c->s->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->s->running--;
}

/* The child ended: report how, and forget it. */
static void
child_end(struct child *c, enum spawn_end how, long code)
{
	child_unlink(c);
	if (c->unlogged)
		log_info("%s: %lu more octets of output not logged", c->tag, c->unlogged);
	proc_free(c->p);
	event_free(c->timer);
	c->done(c->arg, how, code);
	free(c);
}

static void
child_exit(void *arg, enum proc_end how, long code)
{
	struct child *c = arg;

	if (how == PROC_NOT_STARTED) {
		metrics_process(METRICS_PROC_START_FAILED);
		child_end(c, SPAWN_NOT_STARTED, code);
	} else if (c->timed_out)
		child_end(c, SPAWN_TIMEOUT, -1);
	else if (how == PROC_CRASHED)
		child_end(c, SPAWN_CRASHED, code);
	else
		child_end(c, SPAWN_EXITED, code);
}

static void
child_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	(void)fd;
	(void)what;
	log_warnx("%s: no end after the timeout; killing pid %ld and everything it started", c->tag, proc_pid(c->p));
	c->timed_out = 1;
	metrics_process(METRICS_PROC_KILLED_TIMEOUT);
	proc_kill(c->p);
}

struct spawner *
spawner_new(struct event_base *base)
{
	struct spawner *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->base = base;
	return s;
}

int
spawn_start(struct spawner *s, const char *const argv[], unsigned timeout_ms, const char *tag,
    spawn_line_fn *line, spawn_done_fn *done, void *arg)
{
	struct child *c = calloc(1, sizeof *c);
	struct timeval tv = { (long)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000 };
	struct proc_cb cb;

	if (c == NULL || (c->timer = evtimer_new(s->base, child_timeout, c)) == NULL) {
		free(c);
		return -1;
	}
	snprintf(c->tag, sizeof c->tag, "%s", tag);
	c->s = s;
	c->line = line;
	c->done = done;
	c->arg = arg;
	cb.line = child_line;
	cb.exit = child_exit;
	cb.arg = c;
	if ((c->p = proc_start(s->base, argv, tag, &cb)) == NULL) {
		metrics_process(METRICS_PROC_START_FAILED);
		event_free(c->timer);
		free(c);
		return -1;
	}
	metrics_process(METRICS_PROC_STARTED);
	proc_close_stdin(c->p);   /* one operation per process: everything is on its command line */
	evtimer_add(c->timer, &tv);
	c->next = s->children;
	s->children = c;
	s->running++;
	return 0;
}

unsigned
spawner_running(const struct spawner *s)
{
	return s->running;
}

void
spawner_free(struct spawner *s)
{
	if (s == NULL)
		return;
	while (s->children)
		child_end(s->children, SPAWN_KILLED, -1);
	free(s);
}
