/* A pool of persistent PowerShell workers (the script's -Serve mode) on proc: one operation at a time each. */
#ifndef MSDNS_PSPOOL_H
#define MSDNS_PSPOOL_H

#include "zoneop.h"

struct event_base;
struct pspool;

struct pspool_params {
	const char *const *argv;      /* a worker's command line (msdns_serve_argv); copied */
	unsigned workers;             /* processes kept running (>= 1) */
	unsigned max_requests;        /* a worker is replaced after this many operations (>= 1) */
	unsigned op_timeout_ms;       /* an operation's bound from pspool_start (waiting for a ready worker included):
	                               * past it its worker is killed with its tree, or it leaves the queue */
	unsigned start_timeout_ms;    /* from a worker's start to its "msdns-ready 1" */
	unsigned stop_ms;             /* at stop, how long workers get to end after their stdin closed */
};

/* A pool on base; workers start at once. Returns NULL on failure (logged). */
struct pspool *pspool_new(struct event_base *base, const struct pspool_params *pp);
/* Run op (masters: the comma-separated IPs for Create/Delete, "" = none) on the next free worker; done is
 * called exactly once, on the loop, never before this returns (LIST: with its zones when DONE). Returns 0,
 * or -1 when it cannot be started (no request line for it, out of memory, stopping; done not called). */
int pspool_start(struct pspool *pl, const struct zoneop *op, const char *masters, zoneop_done_fn *done, void *arg);
/* Worker processes started so far (replacements included). */
unsigned long pspool_workers_started(const struct pspool *pl);
/* Workers ready and waiting for an operation (idle) now. */
unsigned pspool_workers_idle(const struct pspool *pl);
/* Answer every operation not answered yet with ZONEOP_FAILED (killing the workers running them), kill the
 * workers not ready yet, close the other workers' stdin, wait up to stop_ms for them to end, kill the rest
 * with their trees, free pl.
 * Blocks (idle workers end at once on end of file); NULL is allowed. */
void pspool_free(struct pspool *pl);

#endif
