/* Zone-operation queue: per-zone order, duplicates joined, notify delay, bounded concurrency and size. */
#define LOG_MODULE "zoneq"
#include "zoneq.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "compat.h"
#include "log.h"
#include "metrics.h"

#define ZQ_BUCKETS 1024
#define ZQ_START_TRIES 3        /* a process that could not start is tried again: nothing happened yet */
#define ZQ_START_BACKOFF_MS 250

/* OP_DELAYED: a Refresh waiting notify_delay (NOTIFYs meanwhile are covered by it and answered at once);
 * OP_BACKOFF: waiting to try a start again (nothing is done yet: a NOTIFY then joins and waits). */
enum op_state { OP_QUEUED, OP_DELAYED, OP_BACKOFF, OP_RUNNING };

struct zq_waiter {
	struct zq_waiter *next;
	zoneop_done_fn *done;
	void *arg;
};

struct zq_op {
	struct zq_op *next;
	struct zq_zone *zone;
	struct zoneop op;
	enum op_state state;
	struct event *delay;
	struct zq_waiter *waiters, **wtail;
	unsigned nwaiters;
	unsigned start_failures;
	uint64_t started_ms;          /* when the backend took it */
};

struct zq_zone {
	struct zq_zone *hnext;     /* hash chain */
	struct zq_zone *rnext;     /* ready list */
	struct zq_op *head, *tail;
	struct zoneq *q;
	char name[ZONE_NAME_MAX];   /* the zone; "" for LIST */
};

struct zoneq {
	struct event_base *base;
	struct backend *backend;
	struct zoneq_limits lim;
	struct zq_zone *buckets[ZQ_BUCKETS];
	struct zq_zone *ready_head, *ready_tail;
	unsigned running;
	size_t nops;
	size_t nwaiters;
	unsigned long started;
	struct log_limit full_log;   /* requests not queued: a peer decides how many */
};

static unsigned
zq_hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % ZQ_BUCKETS;
}

static struct zq_zone *
zq_find(struct zoneq *q, const char *name, int create)
{
	unsigned h = zq_hash(name);
	struct zq_zone *z;

	for (z = q->buckets[h]; z; z = z->hnext)
		if (strcmp(z->name, name) == 0)
			return z;
	if (!create || strlen(name) >= sizeof z->name || (z = calloc(1, sizeof *z)) == NULL)
		return NULL;
	memcpy(z->name, name, strlen(name) + 1);
	z->q = q;
	z->hnext = q->buckets[h];
	q->buckets[h] = z;
	return z;
}

/* The zone's name for the log ("-" for LIST's own queue). */
static const char *
zq_label(const struct zq_zone *z)
{
	return *z->name ? z->name : "-";
}

static void
zq_zone_release(struct zoneq *q, struct zq_zone *z)
{
	struct zq_zone **pp;

	if (z->head)
		return;
	for (pp = &q->buckets[zq_hash(z->name)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == z) {
			*pp = z->hnext;
			break;
		}
	}
	free(z);
}

static void
zq_make_ready(struct zoneq *q, struct zq_zone *z)
{
	z->rnext = NULL;
	if (q->ready_tail)
		q->ready_tail->rnext = z;
	else
		q->ready_head = z;
	q->ready_tail = z;
}

static int
zq_add_waiter(struct zoneq *q, struct zq_op *op, zoneop_done_fn *done, void *arg)
{
	struct zq_waiter *w;

	if (op->nwaiters >= q->lim.max_waiters || (w = malloc(sizeof *w)) == NULL)
		return -1;
	w->next = NULL;
	w->done = done;
	w->arg = arg;
	*op->wtail = w;
	op->wtail = &w->next;
	op->nwaiters++;
	q->nwaiters++;
	return 0;
}

/* Free op and answer its waiters with r (and a LIST's zones). */
static void
zq_answer(struct zoneq *q, struct zq_op *op, enum zoneop_result r, const struct zoneop_zone *zones, size_t n)
{
	struct zq_waiter *w = op->waiters, *next;

	q->nops--;
	if (op->delay)
		event_free(op->delay);
	free(op);
	for (; w; w = next) {
		next = w->next;
		q->nwaiters--;
		w->done(w->arg, r, zones, n);
		free(w);
	}
}

/* Remove the zone's head operation, queue the zone's next one, and answer the head's waiters. */
static void
zq_finish(struct zoneq *q, struct zq_op *op, enum zoneop_result r, const struct zoneop_zone *zones, size_t n)
{
	struct zq_zone *z = op->zone;

	z->head = op->next;
	if (z->head == NULL)
		z->tail = NULL;
	else if (z->head->state == OP_QUEUED)
		zq_make_ready(q, z);
	zq_zone_release(q, z);
	zq_answer(q, op, r, zones, n);
}

static void zq_schedule(struct zoneq *q);
static void zq_delay_over(evutil_socket_t fd, short what, void *arg);

/* Wait ms in state (OP_DELAYED or OP_BACKOFF) before op may run. Returns 0 or -1. */
static int
zq_delay(struct zoneq *q, struct zq_op *op, unsigned ms, enum op_state state)
{
	struct timeval tv = { (long)(ms / 1000), (long)(ms % 1000) * 1000 };

	if (op->delay == NULL && (op->delay = evtimer_new(q->base, zq_delay_over, op)) == NULL)
		return -1;
	if (evtimer_add(op->delay, &tv) != 0)
		return -1;
	op->state = state;
	return 0;
}

static void
zq_op_done(void *arg, enum zoneop_result r, const struct zoneop_zone *zones, size_t n)
{
	struct zq_op *op = arg;
	struct zoneq *q = op->zone->q;

	q->running--;
	metrics_zoneop(zoneop_kind_name(op->op.kind), zoneop_result_name(r),
	    (double)(compat_monotonic_ms() - op->started_ms) / 1000.0);
	zq_finish(q, op, r, zones, n);
	zq_schedule(q);
}

static void
zq_schedule(struct zoneq *q)
{
	while (q->running < q->lim.max_concurrent && q->ready_head) {
		struct zq_zone *z = q->ready_head;
		struct zq_op *op = z->head;

		q->ready_head = z->rnext;
		if (q->ready_head == NULL)
			q->ready_tail = NULL;
		op->state = OP_RUNNING;
		q->running++;
		log_debug("%s %s: starting (%u running)", zoneop_kind_name(op->op.kind), zq_label(z), q->running);
		op->started_ms = compat_monotonic_ms();
		if (backend_start(q->backend, &op->op, zq_op_done, op) == 0) {
			q->started++;
			metrics_zoneop_started();
		} else {
			q->running--;
			if (++op->start_failures < ZQ_START_TRIES &&
			    zq_delay(q, op, ZQ_START_BACKOFF_MS * op->start_failures, OP_BACKOFF) == 0) {
				log_warnx("%s %s: could not start the operation; trying again in %u ms",
				    zoneop_kind_name(op->op.kind), zq_label(z), ZQ_START_BACKOFF_MS * op->start_failures);
				continue;
			}
			log_warnx("%s %s: could not start the operation (%u tries)", zoneop_kind_name(op->op.kind),
			    zq_label(z), op->start_failures);
			zq_finish(q, op, ZONEOP_FAILED, NULL, 0);
		}
	}
}

static void
zq_delay_over(evutil_socket_t fd, short what, void *arg)
{
	struct zq_op *op = arg;

	(void)fd;
	(void)what;
	op->state = OP_QUEUED;
	if (op->zone->head == op)
		zq_make_ready(op->zone->q, op->zone);
	zq_schedule(op->zone->q);
}

struct zoneq *
zoneq_new(struct event_base *base, struct backend *b, const struct zoneq_limits *lim)
{
	struct zoneq *q = calloc(1, sizeof *q);

	if (q == NULL)
		return NULL;
	q->base = base;
	q->backend = b;
	q->lim = *lim;
	q->full_log = (struct log_limit)LOG_LIMIT_INIT("requests not queued (queue full)", 10);
	if (q->lim.max_concurrent == 0)
		q->lim.max_concurrent = 1;
	if (q->lim.max_waiters == 0)
		q->lim.max_waiters = 256;
	return q;
}

enum zoneq_status
zoneq_submit(struct zoneq *q, const struct zoneop *req, zoneop_done_fn *done, void *arg)
{
	const char *key = req->kind == ZONEOP_LIST ? "" : req->zone;
	struct zq_zone *z = zq_find(q, key, 1);
	struct zq_op *last, *op;

	if (z == NULL) {
		done(arg, ZONEOP_FAILED, NULL, 0);
		return ZONEQ_ACCEPTED;
	}
	last = z->tail;
	if (req->kind == ZONEOP_REFRESH && last && zoneop_same(&last->op, req) && last->state == OP_DELAYED) {
		/* As the original: NOTIFYs during the delay are answered at once; the delayed one covers them. */
		done(arg, ZONEOP_DONE, NULL, 0);
		return ZONEQ_ACCEPTED;
	}
	/* Join the zone's last operation when it is the same; a running refresh may have missed this change. */
	if (last && zoneop_same(&last->op, req) && !(req->kind == ZONEOP_REFRESH && last->state == OP_RUNNING)) {
		if (zq_add_waiter(q, last, done, arg) != 0) {
			log_limited(&q->full_log, LOG_LVL_WARNING, LOG_MODULE,
			    "%s %s: more than %u requests for one operation; not queued",
			    zoneop_kind_name(req->kind), zq_label(z), q->lim.max_waiters);
			metrics_queue_full();
			return ZONEQ_FULL;
		}
		return ZONEQ_ACCEPTED;
	}
	if (q->nops >= q->lim.max_queued) {
		log_limited(&q->full_log, LOG_LVL_WARNING, LOG_MODULE,
		    "%s %s: queue full (max_queued = %u operations); not queued",
		    zoneop_kind_name(req->kind), zq_label(z), q->lim.max_queued);
		zq_zone_release(q, z);
		metrics_queue_full();
		return ZONEQ_FULL;
	}
	if ((op = calloc(1, sizeof *op)) == NULL) {
		zq_zone_release(q, z);
		done(arg, ZONEOP_FAILED, NULL, 0);
		return ZONEQ_ACCEPTED;
	}
	op->zone = z;
	op->op = *req;
	if (req->kind == ZONEOP_LIST)
		op->op.zone[0] = '\0';
	op->wtail = &op->waiters;
	op->state = OP_QUEUED;
	if (req->kind == ZONEOP_REFRESH && q->lim.notify_delay_ms > 0 && zq_delay(q, op, q->lim.notify_delay_ms, OP_DELAYED) != 0) {
		if (op->delay)
			event_free(op->delay);
		free(op);
		zq_zone_release(q, z);
		done(arg, ZONEOP_FAILED, NULL, 0);
		return ZONEQ_ACCEPTED;
	}
	zq_add_waiter(q, op, done, arg);   /* the first waiter always fits */
	if (z->tail)
		z->tail->next = op;
	else
		z->head = op;
	z->tail = op;
	q->nops++;
	if (z->head == op && op->state == OP_QUEUED)
		zq_make_ready(q, z);
	zq_schedule(q);
	return ZONEQ_ACCEPTED;
}

size_t
zoneq_pending(const struct zoneq *q)
{
	return q->nwaiters;
}

unsigned long
zoneq_started(const struct zoneq *q)
{
	return q->started;
}

void
zoneq_abandon_queued(struct zoneq *q)
{
	struct zq_op *left = NULL, *op;
	unsigned i;

	q->ready_head = q->ready_tail = NULL;
	for (i = 0; i < ZQ_BUCKETS; i++) {
		struct zq_zone *z, *znext;

		for (z = q->buckets[i]; z; z = znext) {
			struct zq_op *first;

			znext = z->hnext;
			/* keep only a running head; collect the rest */
			first = z->head->state == OP_RUNNING ? z->head->next : z->head;
			if (first == z->head) {
				z->head = z->tail = NULL;
			} else {
				z->head->next = NULL;
				z->tail = z->head;
			}
			while (first) {
				op = first;
				first = first->next;
				op->next = left;
				left = op;
			}
			zq_zone_release(q, z);
		}
	}
	while ((op = left) != NULL) {
		left = op->next;
		zq_answer(q, op, ZONEOP_FAILED, NULL, 0);
	}
}

void
zoneq_free(struct zoneq *q)
{
	if (q)
		log_limit_flush(&q->full_log, LOG_MODULE);
	free(q);
}
