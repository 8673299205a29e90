/* Zone-operation queue: per-zone order, duplicates joined, notify delay, bounded concurrency and size.
 * The only caller of the backend. */
#ifndef MSDNS_ZONEQ_H
#define MSDNS_ZONEQ_H

#include <stddef.h>

#include "backend.h"
#include "zoneop.h"

struct event_base;
struct zoneq;

struct zoneq_limits {
	unsigned notify_delay_ms;   /* 0 = off */
	unsigned max_concurrent;    /* operations running at once */
	unsigned max_queued;        /* operations queued or running */
	unsigned max_waiters;       /* requests joined onto one operation */
};

/* A queue in front of backend b. Returns NULL on allocation failure. */
struct zoneq *zoneq_new(struct event_base *base, struct backend *b, const struct zoneq_limits *lim);
/* What zoneq_submit did with a request. */
enum zoneq_status {
	ZONEQ_ACCEPTED,   /* done will be called exactly once */
	ZONEQ_FULL,       /* not accepted: max_queued operations, or max_waiters joined on one; done is not called */
};

/* Ask for op (zone validated, lower case; LIST: zone ""); op is copied. When accepted, done is called
 * exactly once, possibly before this returns (a Refresh while one for the zone waits its delay: DONE;
 * out of memory: FAILED). An identical op (zoneop_same) queued or running for the zone is joined,
 * except a running Refresh, which may have missed the change. */
enum zoneq_status zoneq_submit(struct zoneq *q, const struct zoneop *op, zoneop_done_fn *done, void *arg);
/* Requests not answered yet. */
size_t zoneq_pending(const struct zoneq *q);
/* Operations started by the backend so far (for tests and the log). */
unsigned long zoneq_started(const struct zoneq *q);
/* Answer every request still waiting (not started yet) with ZONEOP_FAILED; running ones finish. */
void zoneq_abandon_queued(struct zoneq *q);
/* Free the queue; nothing may be pending (see zoneq_pending). */
void zoneq_free(struct zoneq *q);

#endif
