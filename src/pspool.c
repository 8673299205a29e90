/* A pool of persistent PowerShell workers (the script's -Serve mode) on proc: one operation at a time each. */
#define LOG_MODULE "pspool"
#include "pspool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "compat.h"
#include "log.h"
#include "metrics.h"
#include "msdns.h"
#include "proc.h"

#define ARGV_MAX 32
#define LOG_LINES 200           /* lines of output logged per operation (and per start); the rest counted */
#define LOG_TEXT 512            /* octets of one line put in the log */
#define SEQ_MAX 2147483648UL    /* 2^31 */
#define BACKOFF_MAX_MS 10000

enum wstate {
	W_STARTING,   /* waiting for "msdns-ready 1" */
	W_IDLE,
	W_BUSY,       /* one operation in flight */
	W_RETIRING,   /* stdin closed (recycled): ends by itself, or is killed at stop_ms */
	W_DYING,      /* killed: waiting for its end */
};

struct job {
	struct job *next;            /* the queue of jobs waiting for a worker */
	struct pspool *pl;
	struct worker *w;            /* NULL while queued */
	struct zoneop op;
	char line[MSDNS_LINE_MAX];   /* the request, without its seq: "<Operation> <zone|-> ..." */
	unsigned long seq;
	struct event *timer;
	zoneop_done_fn *done;
	void *arg;
	struct zoneop_list *zones;   /* LIST: the zones read so far (NULL before the first) */
	const char *list_broken;     /* LIST: why its output cannot be trusted, or NULL */
};

struct worker {
	struct worker *next;
	struct pspool *pl;
	struct proc *p;
	enum wstate state;
	struct job *job;
	unsigned served;
	struct event *timer;         /* start timeout, or the retiring deadline */
	char tag[48];
	unsigned logged;             /* lines logged in the current operation (or start) */
	unsigned long unlogged;
};

struct pspool {
	struct event_base *base;
	struct pspool_params pp;
	char *argv_store[ARGV_MAX];
	struct worker *workers;      /* every process of ours, whatever its state */
	unsigned live;               /* workers STARTING, IDLE or BUSY */
	struct job *queue, **queue_tail;
	unsigned long seq, started;
	unsigned failures;           /* abnormal ends since the last operation answered */
	struct event *refill;
	int stopping;
};

static void refill_later(struct pspool *pl);
static void dispatch(struct pspool *pl);

static const char *
state_name(enum wstate s)
{
	static const char *const names[] = { "starting", "idle", "busy", "retiring", "dying" };

	return names[s];
}

static void
log_line(struct worker *w, const char *what, const char *text, size_t len, int warn)
{
	char esc[LOG_TEXT * 4 + 4];
	size_t n = len < LOG_TEXT ? len : LOG_TEXT;

	if (w->logged >= LOG_LINES) {
		w->unlogged += len;
		return;
	}
	w->logged++;
	log_escape(esc, sizeof esc, text, n);
	if (warn)
		log_warnx("%s: %s: %s%s", w->tag, what, esc, n < len ? " [cut]" : "");
	else
		log_info("%s: %s%s%s%s", w->tag, what, *what ? ": " : "", esc, n < len ? " [cut]" : "");
}

static void
log_reset(struct worker *w)
{
	if (w->unlogged)
		log_info("%s: %lu more octets of output not logged", w->tag, w->unlogged);
	w->logged = 0;
	w->unlogged = 0;
}

/* Answer job and forget it (its worker, if any, is the caller's to update). */
static void
job_answer(struct job *j, enum zoneop_result r)
{
	if (r == ZONEOP_DONE && j->op.kind == ZONEOP_LIST && j->list_broken) {
		log_warnx("List: %s; the list is not used", j->list_broken);
		r = ZONEOP_FAILED;
	}
	event_free(j->timer);
	if (r == ZONEOP_DONE && j->op.kind == ZONEOP_LIST) {
		size_t n;
		const struct zoneop_zone *zones = zoneop_list_zones(j->zones, &n);

		j->done(j->arg, r, zones, n);
	} else {
		j->done(j->arg, r, NULL, 0);
	}
	zoneop_list_free(j->zones);
	free(j);
}

static const char *
job_zone(const struct job *j)
{
	return j->op.kind == ZONEOP_LIST ? "-" : j->op.zone;
}

/* Take w out of service: kill its tree; its end frees it. A job in flight is answered r. */
static void
worker_kill(struct worker *w, enum zoneop_result r, const char *why)
{
	struct pspool *pl = w->pl;
	struct job *j = w->job;

	log_warnx("%s: %s; killing it and everything it started", w->tag, why);
	if (r == ZONEOP_TIMEOUT)
		metrics_process(METRICS_PROC_KILLED_TIMEOUT);
	if (w->state == W_STARTING || w->state == W_IDLE || w->state == W_BUSY) {
		pl->live--;
		metrics_workers_alive(pl->live);
		metrics_process(METRICS_PROC_WORKER_REPLACED);
		pl->failures++;
		refill_later(pl);
	}
	w->state = W_DYING;
	w->job = NULL;
	if (w->timer)
		event_del(w->timer);
	proc_kill(w->p);
	if (j) {
		log_warnx("%s %s: SERVFAIL: %s", zoneop_kind_name(j->op.kind), job_zone(j), why);
		job_answer(j, r);
	}
}

/* A fact of the operation in flight: logged; a List's zones collected. */
static void
job_fact(struct worker *w, struct job *j, const char *text, size_t len)
{
	log_line(w, "", text, len, 0);
	if (j->op.kind != ZONEOP_LIST || j->list_broken || len < 5 || memcmp(text, "zone=", 5) != 0)
		return;
	j->list_broken = msdns_list_fact(&j->zones, text, len);
}

/* The answer to the operation in flight. */
static void
job_exit(struct worker *w, struct job *j, int code)
{
	struct pspool *pl = w->pl;
	const char *why;
	enum zoneop_result r = msdns_exit_result(code, &why);

	log_debug("%s: request %lu: %s %s: exit %d", w->tag, j->seq, zoneop_kind_name(j->op.kind), job_zone(j), code);
	if (why)
		log_warnx("%s %s: %s (exit %d)", zoneop_kind_name(j->op.kind), job_zone(j), why, code);
	w->job = NULL;
	w->served++;
	pl->failures = 0;
	log_reset(w);
	if (w->served >= pl->pp.max_requests) {
		struct timeval tv = { (long)(pl->pp.stop_ms / 1000), (long)(pl->pp.stop_ms % 1000) * 1000 };

		log_info("%s: served %u operations; replacing it", w->tag, w->served);
		w->state = W_RETIRING;
		pl->live--;
		metrics_workers_alive(pl->live);
		metrics_process(METRICS_PROC_WORKER_REPLACED);
		proc_close_stdin(w->p);
		evtimer_add(w->timer, &tv);
		refill_later(pl);
	} else {
		w->state = W_IDLE;
	}
	job_answer(j, r);
	dispatch(pl);
}

static void
on_line(void *arg, enum proc_stream s, const char *text, size_t len, unsigned flags)
{
	struct worker *w = arg;
	struct msdns_line ml;
	char why[96];

	if (s == PROC_STDERR) {
		log_line(w, "stderr", text, len, 0);
		return;
	}
	if (w->state == W_DYING || w->state == W_RETIRING) {
		log_line(w, "after its end of service", text, len, 0);
		return;
	}
	msdns_parse_line(text, len, &ml);
	if (flags && ml.kind != MSDNS_LINE_STRAY) {   /* cut, or never finished: not a line of the protocol */
		worker_kill(w, ZONEOP_FAILED, flags & PROCLINES_CUT ? "an over-long line" : "a line without its end");
		return;
	}
	switch (ml.kind) {
	case MSDNS_LINE_STRAY:
		log_line(w, "stray output (not an answer)", text, len, 1);
		return;
	case MSDNS_LINE_READY:
		if (w->state != W_STARTING) {
			worker_kill(w, ZONEOP_FAILED, "a second ready line");
			return;
		}
		event_del(w->timer);
		w->state = W_IDLE;
		log_reset(w);
		log_debug("%s: ready", w->tag);
		dispatch(w->pl);
		return;
	case MSDNS_LINE_BAD:
		log_line(w, "malformed answer", text, len, 1);
		worker_kill(w, ZONEOP_FAILED, "it broke the protocol (a malformed answer)");
		return;
	case MSDNS_LINE_FACT:
	case MSDNS_LINE_EXIT:
		if (w->state != W_BUSY || ml.seq != w->job->seq) {
			snprintf(why, sizeof why, "it broke the protocol (a line for request %lu while %s%s)", ml.seq,
			    state_name(w->state), w->state == W_BUSY ? " with another" : "");
			log_line(w, "unexpected", text, len, 1);
			worker_kill(w, ZONEOP_FAILED, why);
			return;
		}
		if (ml.kind == MSDNS_LINE_FACT)
			job_fact(w, w->job, ml.text, ml.text_len);
		else
			job_exit(w, w->job, ml.code);
		return;
	}
}

static void
worker_unlink(struct worker *w)
{
	struct worker **pp;

	for (pp = &w->pl->workers; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
}

static void
on_exit_cb(void *arg, enum proc_end how, long code)
{
	struct worker *w = arg;
	struct pspool *pl = w->pl;

	if (w->state == W_STARTING || w->state == W_IDLE || w->state == W_BUSY) {
		char why[96];

		snprintf(why, sizeof why, "ended by itself while %s (%s %ld)", state_name(w->state),
		    how == PROC_CRASHED ? "crash" : "exit", code);
		worker_kill(w, ZONEOP_FAILED, why);
	} else {
		log_debug("%s: ended (%s %ld)", w->tag, how == PROC_CRASHED ? "crash" : "exit", code);
	}
	log_reset(w);
	worker_unlink(w);
	proc_free(w->p);
	event_free(w->timer);
	free(w);
	(void)pl;
}

static void
on_worker_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	if (w->state == W_STARTING)
		worker_kill(w, ZONEOP_FAILED, "not ready within the start-up bound");
	else if (w->state == W_RETIRING) {
		log_warnx("%s: still running %u ms after its stdin closed; killing it", w->tag, w->pl->pp.stop_ms);
		w->state = W_DYING;
		proc_kill(w->p);
	}
}

static int
worker_start(struct pspool *pl)
{
	struct worker *w = calloc(1, sizeof *w);
	struct proc_cb cb;
	struct timeval tv = { (long)(pl->pp.start_timeout_ms / 1000), (long)(pl->pp.start_timeout_ms % 1000) * 1000 };

	if (w == NULL || (w->timer = evtimer_new(pl->base, on_worker_timer, w)) == NULL) {
		free(w);
		return -1;
	}
	w->pl = pl;
	w->state = W_STARTING;
	snprintf(w->tag, sizeof w->tag, "worker %lu", pl->started + 1);
	cb.line = on_line;
	cb.exit = on_exit_cb;
	cb.arg = w;
	if ((w->p = proc_start(pl->base, (const char *const *)pl->argv_store, w->tag, &cb)) == NULL) {
		metrics_process(METRICS_PROC_START_FAILED);
		event_free(w->timer);
		free(w);
		return -1;
	}
	metrics_process(METRICS_PROC_STARTED);
	pl->started++;
	snprintf(w->tag, sizeof w->tag, "worker %lu (pid %ld)", pl->started, proc_pid(w->p));
	log_info("%s: started", w->tag);
	evtimer_add(w->timer, &tv);
	w->next = pl->workers;
	pl->workers = w;
	pl->live++;
	metrics_workers_alive(pl->live);
	return 0;
}

static void
on_refill(evutil_socket_t fd, short what, void *arg)
{
	struct pspool *pl = arg;

	(void)fd;
	(void)what;
	while (!pl->stopping && pl->live < pl->pp.workers) {
		if (worker_start(pl) != 0) {
			pl->failures++;
			refill_later(pl);
			return;
		}
	}
}

/* Bring the pool back to its size: at once after a clean end, with back-off after failures. */
static void
refill_later(struct pspool *pl)
{
	struct timeval tv = { 0, 0 };
	unsigned ms = 0;

	if (pl->stopping || event_pending(pl->refill, EV_TIMEOUT, NULL))
		return;
	if (pl->failures > 1) {   /* the first failure is replaced at once; then 100 ms, 200 ms, ... 10 s */
		unsigned k;

		for (ms = 100, k = 2; k < pl->failures && ms < BACKOFF_MAX_MS; k++)
			ms *= 2;
		if (ms > BACKOFF_MAX_MS)
			ms = BACKOFF_MAX_MS;
	}
	tv.tv_sec = (long)(ms / 1000);
	tv.tv_usec = (long)(ms % 1000) * 1000;
	if (ms)
		log_info("starting a replacement worker in %u ms", ms);
	evtimer_add(pl->refill, &tv);
}

static void
on_job_timer(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	struct pspool *pl = j->pl;
	struct job **pp;

	(void)fd;
	(void)what;
	if (j->w) {
		char why[96];

		snprintf(why, sizeof why, "request %lu ran past operation_timeout (%u ms)", j->seq, pl->pp.op_timeout_ms);
		worker_kill(j->w, ZONEOP_TIMEOUT, why);
		return;
	}
	for (pp = &pl->queue; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	if (pl->queue == NULL)
		pl->queue_tail = &pl->queue;
	else if (pl->queue_tail == &j->next)
		for (pl->queue_tail = &pl->queue; *pl->queue_tail; pl->queue_tail = &(*pl->queue_tail)->next)
			;
	log_warnx("%s %s: SERVFAIL: no worker became ready within operation_timeout (%u ms)", zoneop_kind_name(j->op.kind),
	    job_zone(j), pl->pp.op_timeout_ms);
	job_answer(j, ZONEOP_FAILED);
}

/* Hand queued jobs to idle workers. */
static void
dispatch(struct pspool *pl)
{
	struct worker *w;

	for (w = pl->workers; w && pl->queue; w = w->next) {
		struct job *j;
		char line[MSDNS_LINE_MAX + 16];
		int n;

		if (w->state != W_IDLE)
			continue;
		j = pl->queue;
		pl->queue = j->next;
		if (pl->queue == NULL)
			pl->queue_tail = &pl->queue;
		pl->seq = pl->seq >= SEQ_MAX ? 1 : pl->seq + 1;
		j->seq = pl->seq;
		j->w = w;
		w->job = j;
		w->state = W_BUSY;
		n = snprintf(line, sizeof line, "%lu %s", j->seq, j->line);
		log_debug("%s: request %lu: %s %s", w->tag, j->seq, zoneop_kind_name(j->op.kind), job_zone(j));
		if (proc_write(w->p, line, (size_t)n) != 0) {
			worker_kill(w, ZONEOP_FAILED, "its stdin is closed");
			dispatch(pl);   /* w is dying now: start over */
			return;
		}
	}
}

struct pspool *
pspool_new(struct event_base *base, const struct pspool_params *pp)
{
	struct pspool *pl = calloc(1, sizeof *pl);
	size_t i;

	if (pl == NULL)
		return NULL;
	pl->base = base;
	pl->pp = *pp;
	pl->pp.argv = NULL;
	pl->queue_tail = &pl->queue;
	for (i = 0; pp->argv[i] && i + 1 < ARGV_MAX; i++)
		if ((pl->argv_store[i] = strdup(pp->argv[i])) == NULL)
			goto fail;
	if (pp->argv[i] || pp->workers == 0 || pp->max_requests == 0 ||
	    (pl->refill = evtimer_new(base, on_refill, pl)) == NULL)
		goto fail;
	log_info("%u persistent workers, each replaced after %u operations", pp->workers, pp->max_requests);
	on_refill(-1, EV_TIMEOUT, pl);
	return pl;
fail:
	log_warnx("cannot set up the worker pool");
	for (i = 0; i < ARGV_MAX; i++)
		free(pl->argv_store[i]);
	if (pl->refill)
		event_free(pl->refill);
	free(pl);
	return NULL;
}

int
pspool_start(struct pspool *pl, const struct zoneop *op, const char *masters, zoneop_done_fn *done, void *arg)
{
	struct job *j;
	char line[MSDNS_LINE_MAX];
	const char *sp;
	size_t n;
	struct timeval tv = { (long)(pl->pp.op_timeout_ms / 1000), (long)(pl->pp.op_timeout_ms % 1000) * 1000 };

	if (pl->stopping)
		return -1;
	/* the request line with a placeholder seq; the real one is put in front at dispatch */
	n = msdns_request_line(line, sizeof line, 1, op, masters);
	if (n == 0 || (sp = strchr(line, ' ')) == NULL) {
		log_warnx("%s: no request line can carry this operation", zoneop_kind_name(op->kind));
		return -1;
	}
	if ((j = calloc(1, sizeof *j)) == NULL || (j->timer = evtimer_new(pl->base, on_job_timer, j)) == NULL) {
		free(j);
		return -1;
	}
	j->pl = pl;
	j->op = *op;
	j->done = done;
	j->arg = arg;
	snprintf(j->line, sizeof j->line, "%s", sp + 1);
	/* operation_timeout runs from here, as in one process per operation, where it covers PowerShell's start-up:
	 * time spent waiting for a worker to become ready counts (a hung operation sent to a worker that was
	 * still starting used to be answered that start-up later than operation_timeout) */
	evtimer_add(j->timer, &tv);
	*pl->queue_tail = j;
	pl->queue_tail = &j->next;
	dispatch(pl);
	return 0;
}

unsigned long
pspool_workers_started(const struct pspool *pl)
{
	return pl->started;
}

unsigned
pspool_workers_idle(const struct pspool *pl)
{
	const struct worker *w;
	unsigned n = 0;

	for (w = pl->workers; w; w = w->next)
		n += w->state == W_IDLE;
	return n;
}

void
pspool_free(struct pspool *pl)
{
	struct worker *w;
	uint64_t t0;
	size_t i;

	if (pl == NULL)
		return;
	pl->stopping = 1;
	event_del(pl->refill);
	while (pl->queue) {
		struct job *j = pl->queue;

		pl->queue = j->next;
		job_answer(j, ZONEOP_FAILED);
	}
	for (w = pl->workers; w; w = w->next) {
		if (w->job) {   /* abandoned: killed now, not waited for */
			struct job *j = w->job;

			w->job = NULL;
			log_warnx("%s %s: SERVFAIL: stopped with the agent", zoneop_kind_name(j->op.kind), job_zone(j));
			job_answer(j, ZONEOP_FAILED);
			proc_kill(w->p);
		} else if (w->state == W_STARTING) {
			/* nothing to finish, and a PowerShell still starting reads its stdin only when ready
			 * (seconds): waiting for it would only hold up the stop */
			proc_kill(w->p);
		}
		proc_close_stdin(w->p);
	}
	/* told to finish (end of file on stdin); those that do not within stop_ms are killed */
	t0 = compat_monotonic_ms();
	for (w = pl->workers; w; w = w->next) {
		uint64_t spent = compat_monotonic_ms() - t0;

		proc_wait(w->p, spent < pl->pp.stop_ms ? pl->pp.stop_ms - (unsigned)spent : 0);
	}
	while ((w = pl->workers) != NULL) {
		pl->workers = w->next;
		log_reset(w);
		proc_free(w->p);
		event_free(w->timer);
		free(w);
	}
	event_free(pl->refill);
	for (i = 0; i < ARGV_MAX; i++)
		free(pl->argv_store[i]);
	free(pl);
}
