/* What operators see of the running agent: gauges for /metrics, /healthz and /status, served by httpd. */
#ifndef MSDNS_OPSVIEW_H
#define MSDNS_OPSVIEW_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct event_base;
struct zoneq;
struct opsview;

/* One consumed catalog as operators see it. */
struct opsview_catalog {
	char name[256];          /* the catalog zone, as configured (configuration, so it may be a label) */
	int has_serial;
	uint32_t serial;         /* of the last valid version */
	size_t members;
	int broken, expired;
	double since_success;    /* seconds since the last successful check; < 0: none yet */
	size_t pending;          /* operations not yet applied */
	size_t clashes;          /* members left alone because another zone holds the name */
	char last_error[256];    /* "" when none */
};

/* Fill out[0..max) with the catalogs' state; returns how many there are (may exceed max). */
typedef size_t opsview_catalogs_fn(void *arg, struct opsview_catalog *out, size_t max);

struct opsview_parts {
	const struct config *cfg;
	struct zoneq *q;
	const char *backend;                 /* its name */
	opsview_catalogs_fn *catalogs;       /* NULL: none */
	void *arg;                           /* for catalogs */
};

/* Serve /metrics, /healthz and /status on cfg's metrics_listen (nothing when it is not set). Returns
 * NULL when the endpoint cannot listen (logged). */
struct opsview *opsview_new(struct event_base *base, const struct opsview_parts *parts);
/* The agent is stopping: /healthz answers 503 from now on. */
void opsview_stopping(struct opsview *v);
/* 0 when healthy; else -1 with a one-line reason in why. */
int opsview_health(struct opsview *v, char *why, size_t whylen);
/* The /status document (caller frees) and its length; NULL on allocation failure. */
char *opsview_status(struct opsview *v, size_t *len);
void opsview_free(struct opsview *v);

#endif
