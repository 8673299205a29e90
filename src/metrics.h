/* Counters for operators, rendered as Prometheus text exposition format 0.0.4 (pure). */
#ifndef MSDNS_METRICS_H
#define MSDNS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Why a message got no reply at all. */
enum metrics_drop {
	METRICS_DROP_MALFORMED,    /* unparsable, or a response */
	METRICS_DROP_NO_QUESTION,
	METRICS_DROP_TSIG,         /* signed, and no keys are configured (the original's behaviour) */
	METRICS_DROP_OVERSIZED,    /* a datagram or frame over the limit */
	METRICS_DROP_OVERLOAD,     /* the request budget was spent */
	METRICS_DROP_N
};

/* What happened to a PowerShell process. */
enum metrics_proc {
	METRICS_PROC_STARTED,
	METRICS_PROC_KILLED_TIMEOUT,   /* killed with its tree at operation_timeout */
	METRICS_PROC_START_FAILED,
	METRICS_PROC_WORKER_REPLACED,  /* a persistent worker died, broke the protocol, or was recycled */
	METRICS_PROC_N
};

struct metrics_out;

/* A collector adds gauges read at scrape time (queue depth, catalogs, ...) through metrics_family
 * and metrics_sample. */
typedef void metrics_collect_fn(void *arg, struct metrics_out *o);

/* Reset every counter and forget the collectors (start-up and tests). */
void metrics_reset(void);
/* A request answered with rcode; opcode and rcode are the header's. */
void metrics_request(unsigned opcode, unsigned rcode);
/* A message given no reply. */
void metrics_dropped(enum metrics_drop why);
/* A zone operation that ended with result (a zoneop_kind_name / zoneop_result_name string: these
 * are the label values) after seconds. Unknown names are counted as "other". */
void metrics_zoneop(const char *kind, const char *result, double seconds);
/* A zone operation handed to the backend (it ends with metrics_zoneop). */
void metrics_zoneop_started(void);
/* Zone operations started and not ended. */
uint64_t metrics_in_flight(void);
/* Zone operations that failed or timed out in a row, up to the last one that did not. */
unsigned long metrics_failures_in_a_row(void);
/* A request answered SERVFAIL at once because the zone queue was full. */
void metrics_queue_full(void);
void metrics_process(enum metrics_proc what);
/* A signed request refused with this TSIG error (16 BADSIG, 17 BADKEY, 18 BADTIME, 22 BADTRUNC). */
void metrics_tsig_refused(unsigned tsig_error);
/* Persistent PowerShell workers alive now (pspool keeps it current; never set: no pool). */
void metrics_workers_alive(unsigned n);
/* The last value given to metrics_workers_alive, or -1 when there is no pool. */
long metrics_workers(void);
/* Call fn at every render. At most 8 collectors. Returns 0, or -1 when there is no room. */
int metrics_add_collector(metrics_collect_fn *fn, void *arg);

/* Start a family of samples inside a collector: name under msdns_agent_, type "gauge" or "counter". */
void metrics_family(struct metrics_out *o, const char *name, const char *type, const char *help);
/* One sample of the current family; labels is NULL or "key", value pairs ending with NULL (values
 * are escaped). */
void metrics_sample(struct metrics_out *o, double value, const char *const labels[]);

/* The whole exposition, with build information (version), then collectors. Returns a NUL-terminated
 * string the caller frees, and its length in *len; NULL when memory ran out. */
char *metrics_render(const char *version, size_t *len);

/* Counter values for tests: requests with opcode and rcode names ("NOTIFY", "NOERROR"), dropped by
 * reason index, processes by event. */
uint64_t metrics_requests(unsigned opcode, unsigned rcode);
uint64_t metrics_drops(enum metrics_drop why);
uint64_t metrics_processes(enum metrics_proc what);

#endif
