/* Zone-operation queue: per-zone order, duplicates joined, notify delay, bounded concurrency and size. */
#define LOG_MODULE "zoneq"
#include "zoneq.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"

#define ZQ_BUCKETS 1024
#define ZQ_START_TRIES 3        /* a process that could not start is tried again: nothing happened yet */
#define ZQ_START_BACKOFF_MS 250

enum op_state { OP_QUEUED, OP_DELAYED, OP_RUNNING };

struct zq_waiter {
	struct zq_waiter *next;
	backend_done_fn *done;
	void *arg;
};

struct zq_op {
	struct zq_op *next;
	struct zq_zone *zone;
	enum zone_op type;
	enum op_state state;
	struct event *delay;
	struct zq_waiter *waiters, **wtail;
	unsigned nwaiters;
	unsigned start_failures;
};

struct zq_zone {
	struct zq_zone *hnext;     /* hash chain */
	struct zq_zone *rnext;     /* ready list */
	struct zq_op *head, *tail;
	struct zoneq *q;
	char name[256];
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
zq_add_waiter(struct zoneq *q, struct zq_op *op, backend_done_fn *done, void *arg)
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

/* Free op and answer its waiters with r. */
static void
zq_answer(struct zoneq *q, struct zq_op *op, enum zone_result r)
{
	struct zq_waiter *w = op->waiters, *next;

	q->nops--;
	if (op->delay)
		event_free(op->delay);
	free(op);
	for (; w; w = next) {
		next = w->next;
		q->nwaiters--;
		w->done(w->arg, r);
		free(w);
	}
}

/* Remove the zone's head operation, queue the zone's next one, and answer the head's waiters. */
static void
zq_finish(struct zoneq *q, struct zq_op *op, enum zone_result r)
{
	struct zq_zone *z = op->zone;

	z->head = op->next;
	if (z->head == NULL)
		z->tail = NULL;
	else if (z->head->state == OP_QUEUED)
		zq_make_ready(q, z);
	zq_zone_release(q, z);
	zq_answer(q, op, r);
}

static void zq_schedule(struct zoneq *q);
static void zq_delay_over(evutil_socket_t fd, short what, void *arg);

/* Wait ms before op may run (the notify delay, or a back-off after a failed start). Returns 0 or -1. */
static int
zq_delay(struct zoneq *q, struct zq_op *op, unsigned ms)
{
	struct timeval tv = { (long)(ms / 1000), (long)(ms % 1000) * 1000 };

	if (op->delay == NULL && (op->delay = evtimer_new(q->base, zq_delay_over, op)) == NULL)
		return -1;
	if (evtimer_add(op->delay, &tv) != 0)
		return -1;
	op->state = OP_DELAYED;
	return 0;
}

static void
zq_op_done(void *arg, enum zone_result r)
{
	struct zq_op *op = arg;
	struct zoneq *q = op->zone->q;

	q->running--;
	zq_finish(q, op, r);
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
		log_debug("%s %s: starting (%u running)", zone_op_name(op->type), z->name, q->running);
		if (backend_start(q->backend, op->type, z->name, zq_op_done, op) == 0) {
			q->started++;
		} else {
			q->running--;
			if (++op->start_failures < ZQ_START_TRIES &&
			    zq_delay(q, op, ZQ_START_BACKOFF_MS * op->start_failures) == 0) {
				log_warnx("%s %s: could not start the operation; trying again in %u ms",
				    zone_op_name(op->type), z->name, ZQ_START_BACKOFF_MS * op->start_failures);
				continue;
			}
			log_warnx("%s %s: could not start the operation (%u tries)", zone_op_name(op->type), z->name,
			    op->start_failures);
			zq_finish(q, op, ZONE_FAILED);
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
	if (q->lim.max_concurrent == 0)
		q->lim.max_concurrent = 1;
	if (q->lim.max_waiters == 0)
		q->lim.max_waiters = 256;
	return q;
}

void
zoneq_submit(struct zoneq *q, enum zone_op type, const char *zone, backend_done_fn *done, void *arg)
{
	struct zq_zone *z = zq_find(q, zone, 1);
	struct zq_op *last, *op;

	if (z == NULL) {
		done(arg, ZONE_FAILED);
		return;
	}
	last = z->tail;
	if (type == ZONE_OP_REFRESH && last && last->type == ZONE_OP_REFRESH && last->state == OP_DELAYED) {
		/* As the original: NOTIFYs during the delay are answered at once; the delayed one covers them. */
		done(arg, ZONE_DONE);
		return;
	}
	/* Join the last operation of the same kind; a running refresh may have missed this change. */
	if (last && last->type == type && !(type == ZONE_OP_REFRESH && last->state == OP_RUNNING)) {
		if (zq_add_waiter(q, last, done, arg) != 0) {
			log_warnx("%s %s: more than %u requests for one operation; answered at once",
			    zone_op_name(type), zone, q->lim.max_waiters);
			done(arg, ZONE_BUSY);
		}
		return;
	}
	if (q->nops >= q->lim.max_queued || (op = calloc(1, sizeof *op)) == NULL) {
		log_warnx("%s %s: queue full (max_queued = %u operations); answered at once",
		    zone_op_name(type), zone, q->lim.max_queued);
		zq_zone_release(q, z);
		done(arg, ZONE_BUSY);
		return;
	}
	op->zone = z;
	op->type = type;
	op->wtail = &op->waiters;
	op->state = OP_QUEUED;
	if (type == ZONE_OP_REFRESH && q->lim.notify_delay_ms > 0 && zq_delay(q, op, q->lim.notify_delay_ms) != 0) {
		if (op->delay)
			event_free(op->delay);
		free(op);
		zq_zone_release(q, z);
		done(arg, ZONE_FAILED);
		return;
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
		zq_answer(q, op, ZONE_FAILED);
	}
}

void
zoneq_free(struct zoneq *q)
{
	free(q);
}
