/* Child processes on POSIX: posix_spawn in its own process group, output into the log, group kill at timeout. */
#define _GNU_SOURCE
#define LOG_MODULE "spawn"
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "spawnlog.h"

extern char **environ;

struct child {
	struct child *next;
	struct spawner *s;
	pid_t pid;
	int fd;
	struct event *rd, *timer;
	struct spawnlog out;
	int timed_out;
	spawn_done_fn *done;
	void *arg;
};

struct spawner {
	struct event_base *base;
	struct event *sigchld;
	struct child *children;
	unsigned running;
};

static void
child_drain(struct child *c)
{
	char buf[4096];
	ssize_t n;

	while (c->fd >= 0 && (n = read(c->fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			break;
		}
		spawnlog_feed(&c->out, buf, (size_t)n);
	}
	/* end of file (or error): nothing more will come */
	event_del(c->rd);
	close(c->fd);
	c->fd = -1;
}

static void
child_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	child_drain(arg);
}

static void
child_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	(void)fd;
	(void)what;
	log_warnx("%s: no end after the timeout; killing process group %ld", c->out.tag, (long)c->pid);
	c->timed_out = 1;
	kill(-c->pid, SIGKILL);
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

static void
child_end(struct child *c, enum spawn_end how, long code)
{
	if (c->fd >= 0)
		child_drain(c);
	if (c->fd >= 0) {   /* a grandchild still holds the pipe: stop listening */
		event_del(c->rd);
		close(c->fd);
	}
	spawnlog_flush(&c->out);
	event_free(c->rd);
	event_free(c->timer);
	c->done(c->arg, how, code);
	free(c);
}

static void
on_sigchld(evutil_socket_t fd, short what, void *arg)
{
	struct spawner *s = arg;
	struct child *c, *next;

	(void)fd;
	(void)what;
	for (c = s->children; c; c = next) {
		siginfo_t si;
		int st;

		next = c->next;
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != c->pid)
			continue;
		kill(-c->pid, SIGKILL);   /* whatever it left in its group; the group id is still ours */
		waitpid(c->pid, &st, 0);
		child_unlink(c);
		if (c->timed_out)
			child_end(c, SPAWN_TIMEOUT, -1);
		else if (WIFEXITED(st))
			child_end(c, SPAWN_EXITED, WEXITSTATUS(st));
		else
			child_end(c, SPAWN_CRASHED, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	}
}

struct spawner *
spawner_new(struct event_base *base)
{
	struct spawner *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->base = base;
	s->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, s);
	if (s->sigchld == NULL || evsignal_add(s->sigchld, NULL) != 0) {
		if (s->sigchld)
			event_free(s->sigchld);
		free(s);
		return NULL;
	}
	return s;
}

int
spawn_start(struct spawner *s, const char *const argv[], unsigned timeout_ms, const char *tag,
    spawn_line_fn *line, spawn_done_fn *done, void *arg)
{
	struct child *c = calloc(1, sizeof *c);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int p[2] = { -1, -1 }, rc;
	struct timeval tv = { (long)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000 };

	if (c == NULL)
		return -1;
	if (pipe2(p, O_CLOEXEC) != 0) {
		log_warn("%s: pipe", tag);
		free(c);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&c->pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (rc != 0) {
		errno = rc;
		log_warn("%s: cannot start %s", tag, argv[0]);
		close(p[0]);
		free(c);
		return -1;
	}
	c->s = s;
	c->fd = p[0];
	c->done = done;
	c->arg = arg;
	spawnlog_init(&c->out, tag, line, arg);
	evutil_make_socket_nonblocking(c->fd);
	c->rd = event_new(s->base, c->fd, EV_READ | EV_PERSIST, child_readable, c);
	c->timer = evtimer_new(s->base, child_timeout, c);
	event_add(c->rd, NULL);
	evtimer_add(c->timer, &tv);
	c->next = s->children;
	s->children = c;
	s->running++;
	log_debug("%s: started pid %ld", tag, (long)c->pid);
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
	while (s->children) {
		struct child *c = s->children;
		int st;

		kill(-c->pid, SIGKILL);
		waitpid(c->pid, &st, 0);
		child_unlink(c);
		child_end(c, SPAWN_KILLED, -1);
	}
	event_free(s->sigchld);
	free(s);
}
