/* Zone-operation backends: an operation starts now and completes later on the event loop. */
#ifndef MSDNS_BACKEND_H
#define MSDNS_BACKEND_H

struct event_base;
struct config;

enum zone_op { ZONE_OP_GET, ZONE_OP_CREATE, ZONE_OP_DELETE, ZONE_OP_REFRESH };

enum zone_result {
	ZONE_DONE,        /* done (Get: present) */
	ZONE_ABSENT,      /* the zone does not exist (Get, Refresh) */
	ZONE_NOT_OURS,    /* the zone exists but is not a file-backed secondary of our masters */
	ZONE_FAILED,      /* any other failure */
	ZONE_TIMEOUT,     /* the operation ran past operation_timeout and was killed */
	ZONE_BUSY,        /* not started: the queue is full */
};

/* Called exactly once per started operation, from the event loop. */
typedef void backend_done_fn(void *arg, enum zone_result result);

struct backend;

/* The operations a backend provides; impl is its own state. */
struct backend_ops {
	const char *name;
	/* Start op on zone (validated, lower case, no trailing dot). Returns 0 when started (done is
	 * called later), -1 when it could not start (done is not called). */
	int (*start)(void *impl, enum zone_op op, const char *zone, backend_done_fn *done, void *arg);
	/* Stop what runs (their done callbacks are called with ZONE_FAILED) and free impl. */
	void (*free)(void *impl);
};

/* Wrap impl with its ops. Returns NULL on allocation failure. */
struct backend *backend_new(const struct backend_ops *ops, void *impl);
/* Designate's fake: every zone exists, every operation succeeds, nothing happens (tests, benchmarks). */
struct backend *backend_fake_new(struct event_base *base);
/* The msdns backend: one run of the PowerShell script per operation (backend-msdns.c). */
struct backend *backend_msdns_new(struct event_base *base, const struct config *cfg);
/* The backend named by cfg->backend_driver. */
struct backend *backend_from_config(struct event_base *base, const struct config *cfg);
/* See backend_ops.start. */
int backend_start(struct backend *b, enum zone_op op, const char *zone, backend_done_fn *done, void *arg);
const char *backend_name(const struct backend *b);
void backend_free(struct backend *b);

const char *zone_op_name(enum zone_op op);
const char *zone_result_name(enum zone_result r);

#endif
