/* What operators see of the running agent: gauges for /metrics, /healthz and /status, served by httpd. */
#define LOG_MODULE "httpd"
#include "opsview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "config.h"
#include "httpd.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "procinfo.h"
#include "version.h"
#include "zoneq.h"

#define MAX_CATALOGS 64
/* this many zone operations failing in a row make /healthz answer 503 */
#define FAILURES_UNHEALTHY 5

struct opsview {
	struct opsview_parts parts;
	struct httpd *httpd;
	uint64_t started_ms;
	int stopping;
	struct opsview_catalog cats[MAX_CATALOGS];
};

static size_t
read_catalogs(struct opsview *v)
{
	size_t n;

	if (v->parts.catalogs == NULL)
		return 0;
	n = v->parts.catalogs(v->parts.arg, v->cats, MAX_CATALOGS);
	return n < MAX_CATALOGS ? n : MAX_CATALOGS;
}

enum catalog_field { CG_MEMBERS, CG_BROKEN, CG_EXPIRED, CG_PENDING, CG_CLASHES };

/* One per-catalog gauge family. */
static void
catalog_gauge(struct metrics_out *o, const struct opsview *v, size_t n, enum catalog_field f, const char *name,
    const char *help)
{
	size_t i;

	metrics_family(o, name, "gauge", help);
	for (i = 0; i < n; i++) {
		const struct opsview_catalog *c = &v->cats[i];
		const char *l[] = { "catalog", c->name, NULL };
		double x = f == CG_MEMBERS ? (double)c->members : f == CG_BROKEN ? (c->broken != 0) :
		    f == CG_EXPIRED ? (c->expired != 0) : f == CG_PENDING ? (double)c->pending : (double)c->clashes;
		metrics_sample(o, x, l);
	}
}

static void
collect(void *arg, struct metrics_out *o)
{
	struct opsview *v = arg;
	size_t n = read_catalogs(v), i;
	double t;

	metrics_family(o, "queue_requests", "gauge", "Requests waiting for their zone operation (queued or running).");
	metrics_sample(o, (double)zoneq_pending(v->parts.q), NULL);
	metrics_family(o, "zone_operations_started_total", "counter", "Zone operations handed to the backend.");
	metrics_sample(o, (double)zoneq_started(v->parts.q), NULL);
	metrics_family(o, "zone_operations_in_flight", "gauge", "Zone operations running now.");
	metrics_sample(o, (double)metrics_in_flight(), NULL);
	if (n > 0) {
		metrics_family(o, "catalog_serial", "gauge", "Serial of the catalog's last valid version.");
		for (i = 0; i < n; i++)
			if (v->cats[i].has_serial) {
				const char *l[] = { "catalog", v->cats[i].name, NULL };
				metrics_sample(o, (double)v->cats[i].serial, l);
			}
		catalog_gauge(o, v, n, CG_MEMBERS, "catalog_members", "Members of the catalog's last valid version.");
		catalog_gauge(o, v, n, CG_BROKEN, "catalog_broken", "1 while the catalog is broken (RFC 9432 5.1).");
		catalog_gauge(o, v, n, CG_EXPIRED, "catalog_expired", "1 while the catalog is expired (no check for SOA expire).");
		catalog_gauge(o, v, n, CG_PENDING, "catalog_pending_operations", "Member operations not applied yet.");
		catalog_gauge(o, v, n, CG_CLASHES, "catalog_clashes", "Members left alone: another zone holds the name.");
		metrics_family(o, "catalog_seconds_since_success", "gauge", "Seconds since the last successful check.");
		for (i = 0; i < n; i++)
			if (v->cats[i].since_success >= 0) {
				const char *l[] = { "catalog", v->cats[i].name, NULL };
				metrics_sample(o, v->cats[i].since_success, l);
			}
	}
	metrics_family(o, "process_resident_memory_bytes", "gauge", "Resident memory (working set on Windows).");
	metrics_sample(o, (double)procinfo_rss_bytes(), NULL);
	metrics_family(o, "process_open_fds", "gauge", "Open file descriptors (handles on Windows).");
	metrics_sample(o, (double)procinfo_open_fds(), NULL);
	metrics_family(o, "process_start_time_seconds", "gauge", "Start time since the Unix epoch.");
	t = procinfo_start_time();
	metrics_sample(o, t, NULL);
}

static char *
page_metrics(void *arg, size_t *len)
{
	(void)arg;
	return metrics_render(MSDNS_VERSION, len);
}

static char *
page_status(void *arg, size_t *len)
{
	return opsview_status(arg, len);
}

static int
page_health(void *arg, char *why, size_t whylen)
{
	return opsview_health(arg, why, whylen);
}

struct opsview *
opsview_new(struct event_base *base, const struct opsview_parts *parts)
{
	struct opsview *v = calloc(1, sizeof *v);
	struct httpd_pages pages = { page_metrics, page_status, page_health, NULL };
	char addr[NETADDR_TEXT_MAX];

	if (v == NULL)
		return NULL;
	v->parts = *parts;
	v->started_ms = compat_monotonic_ms();
	pages.arg = v;
	if (metrics_add_collector(collect, v) != 0)
		log_warnx("metrics: no room for another collector");
	if (parts->cfg->agent.metrics_listen_set) {
		v->httpd = httpd_new(base, &parts->cfg->agent.metrics_listen, &pages);
		if (v->httpd == NULL) {
			free(v);
			return NULL;
		}
		log_info("metrics on http://%s/metrics", netaddr_text(&parts->cfg->agent.metrics_listen, addr,
		    sizeof addr));
	}
	return v;
}

void
opsview_stopping(struct opsview *v)
{
	v->stopping = 1;
}

/* Whether path can be opened for reading. */
static int
readable(const char *path)
{
	FILE *f = compat_fopen(path, "rb");

	if (f == NULL)
		return 0;
	fclose(f);
	return 1;
}

int
opsview_health(struct opsview *v, char *why, size_t whylen)
{
	const struct config *cfg = v->parts.cfg;
	unsigned long fails = metrics_failures_in_a_row();

	if (v->stopping) {
		snprintf(why, whylen, "stopping");
		return -1;
	}
	if (cfg->agent.backend_driver == CONFIG_BACKEND_MSDNS) {
		if (!readable(cfg->msdns.powershell)) {
			snprintf(why, whylen, "powershell %s cannot be read", cfg->msdns.powershell);
			return -1;
		}
		if (!readable(cfg->msdns.script)) {
			snprintf(why, whylen, "script %s cannot be read", cfg->msdns.script);
			return -1;
		}
	}
	if (fails >= FAILURES_UNHEALTHY) {
		snprintf(why, whylen, "the last %lu zone operations failed", fails);
		return -1;
	}
	return 0;
}

char *
opsview_status(struct opsview *v, size_t *len)
{
	const struct config *cfg = v->parts.cfg;
	struct jsonw *j = jsonw_new();
	char addr[NETADDR_TEXT_MAX], why[256];
	size_t i, n;
	int healthy;

	if (j == NULL)
		return NULL;
	healthy = opsview_health(v, why, sizeof why) == 0;
	jsonw_string(j, "version", MSDNS_VERSION);
	jsonw_double(j, "uptime_seconds", (double)(compat_monotonic_ms() - v->started_ms) / 1000.0);
	jsonw_double(j, "start_time", procinfo_start_time());
	jsonw_object(j, "health");
	jsonw_bool(j, "ok", healthy);
	jsonw_string(j, "reason", healthy ? NULL : why);
	jsonw_end(j);
	jsonw_array(j, "listen");
	for (i = 0; i < cfg->agent.n_listen; i++)
		jsonw_string(j, NULL, netaddr_text(&cfg->agent.listen[i], addr, sizeof addr));
	jsonw_end(j);
	jsonw_object(j, "backend");
	jsonw_string(j, "driver", v->parts.backend);
	if (cfg->agent.backend_driver == CONFIG_BACKEND_MSDNS) {
		jsonw_string(j, "powershell", cfg->msdns.powershell);
		jsonw_string(j, "script", cfg->msdns.script);
	}
	jsonw_double(j, "operation_timeout", cfg->msdns.operation_timeout);
	jsonw_int(j, "max_concurrent", cfg->msdns.max_concurrent);
	jsonw_int(j, "max_queued", cfg->msdns.max_queued);
	if (metrics_workers() >= 0)
		jsonw_int(j, "workers_alive", metrics_workers());
	jsonw_end(j);
	jsonw_object(j, "queue");
	jsonw_int(j, "requests_waiting", (int64_t)zoneq_pending(v->parts.q));
	jsonw_int(j, "operations_in_flight", (int64_t)metrics_in_flight());
	jsonw_int(j, "operations_started", (int64_t)zoneq_started(v->parts.q));
	jsonw_int(j, "failures_in_a_row", (int64_t)metrics_failures_in_a_row());
	jsonw_end(j);
	n = read_catalogs(v);
	jsonw_array(j, "catalogs");
	for (i = 0; i < n; i++) {
		const struct opsview_catalog *c = &v->cats[i];
		jsonw_object(j, NULL);
		jsonw_string(j, "name", c->name);
		if (c->has_serial)
			jsonw_int(j, "serial", c->serial);
		else
			jsonw_string(j, "serial", NULL);
		jsonw_int(j, "members", (int64_t)c->members);
		jsonw_bool(j, "broken", c->broken);
		jsonw_bool(j, "expired", c->expired);
		if (c->since_success >= 0)
			jsonw_double(j, "seconds_since_success", c->since_success);
		else
			jsonw_string(j, "seconds_since_success", NULL);
		jsonw_int(j, "pending", (int64_t)c->pending);
		jsonw_int(j, "clashes", (int64_t)c->clashes);
		jsonw_string(j, "last_error", c->last_error[0] ? c->last_error : NULL);
		jsonw_end(j);
	}
	jsonw_end(j);
	return jsonw_finish(j, len);
}

void
opsview_free(struct opsview *v)
{
	if (v == NULL)
		return;
	httpd_free(v->httpd);
	free(v);
}
