/* The running agent: event loop, backend, queue, protocol and sockets, and their orderly stop. */
#define LOG_MODULE "daemon"
#include "daemon.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent-req.h"
#include "backend-fake.h"
#include "backend-msdns.h"
#include "backend.h"
#include "catalog-run.h"
#include "compat.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "opsview.h"
#include "zoneq.h"

#define STOP_POLL_MS 20
#define STOP_GRACE_S 2
#define STOP_MARGIN_MS 1000
#define CHILD_FDS 3           /* a child process's pipes: stdin, stdout, stderr */

struct daemon {
	const struct config *cfg;
	struct event_base *base;
	struct backend *backend;
	struct zoneq *q;
	struct agent_req *agent;
	struct listener *listener;
	struct catalog_run *catalogs;   /* NULL when no [catalog:NAME] is consumed */
	struct opsview *ops;        /* /metrics, /healthz, /status */
	struct event *stop_ev;      /* activated by daemon_stop() */
	struct event *drain_ev;     /* polls until in-flight work is done */
	uint64_t deadline;
	int stopping, abandoned;
	atomic_uint stops;          /* daemon_stop() calls: two may come as one activation of stop_ev */
};

/* The backend named by cfg->agent.backend_driver: the one place that chooses. */
static struct backend *
daemon_backend(struct event_base *base, const struct config *cfg)
{
	switch (cfg->agent.backend_driver) {
	case CONFIG_BACKEND_FAKE:
		return backend_fake_new(base);
	case CONFIG_BACKEND_MSDNS:
	default:
		return backend_msdns_new(base, cfg);
	}
}

/* The catalogs' way into the zone queue. */
static int
catalog_submit(void *arg, const struct zoneop *op, zoneop_done_fn *done, void *done_arg)
{
	return zoneq_submit(arg, op, done, done_arg) == ZONEQ_ACCEPTED ? 0 : -1;
}

static int
catalog_notify(void *arg, const char *zone)
{
	return catalog_run_notify(arg, zone);
}

static void
drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = { 0, STOP_POLL_MS * 1000 };

	(void)fd;
	(void)what;
	if (zoneq_pending(d->q) > 0 && compat_monotonic_ms() >= d->deadline) {
		log_warnx("stop: abandoning %zu requests still in flight", zoneq_pending(d->q));
		d->abandoned = 1;
		zoneq_abandon_queued(d->q);
		backend_free(d->backend);    /* kills running operations; their requests are answered */
		d->backend = NULL;
		d->deadline = compat_monotonic_ms();   /* backend_free may block (workers' stop): replies flush from now */
	}
	if (zoneq_pending(d->q) == 0 && listener_busy(d->listener) == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	if (zoneq_pending(d->q) == 0 && compat_monotonic_ms() >= d->deadline + STOP_GRACE_S * 1000) {
		event_base_loopexit(d->base, NULL);   /* a peer that does not read its replies */
		return;
	}
	evtimer_add(d->drain_ev, &tv);
}

static void
stop_now(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	unsigned stops = atomic_load(&d->stops);   /* two stops may come as this one activation */

	(void)fd;
	(void)what;
	if (d->stopping) {
		log_warnx("stop asked again: abandoning what is still in flight");
		d->deadline = compat_monotonic_ms();   /* drain_check abandons now, then lets replies flush */
		return;
	}
	d->stopping = 1;
	catalog_run_free(d->catalogs);   /* no new checks; its running operations drain with the rest */
	d->catalogs = NULL;
	agent_req_set_catalog(d->agent, NULL, NULL);
	log_info("stopping: %zu requests in flight", zoneq_pending(d->q));
	listener_stop(d->listener);
	opsview_stopping(d->ops);
	d->deadline = compat_monotonic_ms() + (uint64_t)(d->cfg->msdns.operation_timeout * 1000) + STOP_GRACE_S * 1000;
	if (stops > 1) {   /* the second came before the loop saw the first */
		log_warnx("stop asked again: abandoning what is still in flight");
		d->deadline = compat_monotonic_ms();
	}
	drain_check(-1, 0, d);
}

/* The consumed catalogs' state for operators (opsview). */
static size_t
daemon_catalogs(void *arg, struct opsview_catalog *out, size_t max)
{
	struct daemon *d = arg;
	struct catalog_run_status st[64];
	size_t n = catalog_run_status(d->catalogs, st, max < 64 ? max : 64), i;

	for (i = 0; i < n && i < max && i < 64; i++) {
		memset(&out[i], 0, sizeof out[i]);
		snprintf(out[i].name, sizeof out[i].name, "%s.", st[i].name);
		out[i].has_serial = st[i].has_serial;
		out[i].serial = st[i].serial;
		out[i].members = st[i].members;
		out[i].broken = st[i].broken;
		out[i].expired = st[i].expired;
		out[i].since_success = st[i].since_success;
		out[i].pending = st[i].pending;
		out[i].clashes = st[i].clashes;
		snprintf(out[i].last_error, sizeof out[i].last_error, "%s", st[i].last_error);
	}
	return n;
}

struct daemon *
daemon_new(const struct config *cfg)
{
	struct daemon *d = calloc(1, sizeof *d);
	struct zoneq_limits lim;

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	lim.notify_delay_ms = (unsigned)(cfg->agent.notify_delay * 1000);
	lim.max_concurrent = (unsigned)cfg->msdns.max_concurrent;
	if (cfg->msdns.workers > 0 && cfg->msdns.workers < cfg->msdns.max_concurrent)
		lim.max_concurrent = (unsigned)cfg->msdns.workers;   /* with workers, at most one operation each */
	lim.max_queued = (unsigned)cfg->msdns.max_queued;
	lim.max_waiters = 0;
	if ((d->base = event_base_new()) == NULL ||
	    (d->backend = daemon_backend(d->base, cfg)) == NULL ||
	    (d->q = zoneq_new(d->base, d->backend, &lim)) == NULL ||
	    (d->agent = agent_req_new(cfg, d->q)) == NULL ||
	    (d->stop_ev = event_new(d->base, -1, 0, stop_now, d)) == NULL ||
	    (d->drain_ev = evtimer_new(d->base, drain_check, d)) == NULL ||
	    (d->listener = listener_new(d->base, cfg, d->agent, CHILD_FDS * (unsigned)cfg->msdns.max_concurrent)) == NULL) {
		daemon_free(d);
		return NULL;
	}
	if (cfg->n_catalogs > 0) {
		d->catalogs = catalog_run_from_config(d->base, cfg, catalog_submit, d->q);
		agent_req_set_catalog(d->agent, catalog_notify, d->catalogs);
	}
	struct opsview_parts parts = { cfg, d->q, backend_name(d->backend), daemon_catalogs, d };
	if ((d->ops = opsview_new(d->base, &parts)) == NULL) {
		daemon_free(d);
		return NULL;
	}
	log_info("started: backend %s, event method %s", backend_name(d->backend), event_base_get_method(d->base));
	return d;
}

struct event_base *
daemon_base(struct daemon *d)
{
	return d->base;
}

int
daemon_run(struct daemon *d)
{
	event_base_dispatch(d->base);
	log_info("stopped");
	return d->abandoned;
}

void
daemon_stop(struct daemon *d)
{
	atomic_fetch_add(&d->stops, 1);
	event_active(d->stop_ev, EV_TIMEOUT, 0);
}

void
daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	catalog_run_free(d->catalogs);
	if (d->q)
		zoneq_abandon_queued(d->q);
	opsview_free(d->ops);
	backend_free(d->backend);
	listener_free(d->listener);
	agent_req_free(d->agent);
	if (d->q)
		zoneq_free(d->q);
	if (d->stop_ev)
		event_free(d->stop_ev);
	if (d->drain_ev)
		event_free(d->drain_ev);
	if (d->base)
		event_base_free(d->base);
	free(d);
}

unsigned long
daemon_stop_budget_ms(const struct config *cfg)
{
	return (unsigned long)(cfg->msdns.operation_timeout * 1000) + 2 * STOP_GRACE_S * 1000 + STOP_MARGIN_MS;
}
