/* Zone-operation queue: per-zone order, duplicates joined, notify delay, bounded concurrency and size. */
#ifndef MSDNS_ZONEQ_H
#define MSDNS_ZONEQ_H

#include <stddef.h>

#include "backend.h"

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
/* Ask for op on zone (validated, lower case); done is called exactly once, possibly before this
 * returns (queue full: ZONE_BUSY; a NOTIFY while one for the zone waits its delay: ZONE_DONE). */
void zoneq_submit(struct zoneq *q, enum zone_op op, const char *zone, backend_done_fn *done, void *arg);
/* Requests not answered yet. */
size_t zoneq_pending(const struct zoneq *q);
/* Operations started by the backend so far (for tests and the log). */
unsigned long zoneq_started(const struct zoneq *q);
/* Answer every request still waiting (not started yet) with ZONE_FAILED; running ones finish. */
void zoneq_abandon_queued(struct zoneq *q);
/* Free the queue; nothing may be pending (see zoneq_pending). */
void zoneq_free(struct zoneq *q);

#endif
