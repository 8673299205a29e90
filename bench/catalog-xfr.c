/* Benchmark helper: transfer a catalog with xfr, hand it over as catalog_records and interpret it;
 * prints the time of each phase, the member count and the peak RSS of this process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>

#include "catalog-refresh.h"
#include "catalog.h"
#include "compat.h"
#include "log.h"
#include "xfr.h"

struct run {
	struct event_base *base;
	const char *zone;
	uint64_t t0, t_xfr, t_records, t_interpret;   /* wall ms */
	uint64_t c0, c_xfr, c_records, c_interpret;   /* CPU ms of this process */
	long rss_xfr, rss_records, rss_interpret;     /* KiB resident after each phase */
	size_t records, members;
	int ok;
};

/* CPU time (user + system) of this process in ms. */
static uint64_t
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* A /proc/self/status figure in KiB (VmRSS: resident now, VmHWM: peak resident), -1 elsewhere. */
static long
status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = atol(line + strlen(key));
	fclose(f);
	return v;
}

static long
rss_kib(void)
{
	return status_kib("VmRSS:");
}

static void
on_done(void *arg, struct xfr_result *res)
{
	struct run *r = arg;
	struct catalog_records *recs;
	struct catalog_view *view = NULL;
	char cat[300];
	size_t l;

	r->t_xfr = compat_monotonic_ms();
	r->c_xfr = cpu_ms();
	r->rss_xfr = rss_kib();
	if (res->status != XFR_OK || res->view == NULL) {
		fprintf(stderr, "catalog-xfr: transfer failed: %s\n", res->why);
		event_base_loopbreak(r->base);
		return;
	}
	r->records = xfr_view_count(res->view);
	recs = catrefresh_records_of(res->view);
	r->t_records = compat_monotonic_ms();
	r->c_records = cpu_ms();
	r->rss_records = rss_kib();
	snprintf(cat, sizeof cat, "%s", r->zone);
	l = strlen(cat);
	if (l && cat[l - 1] == '.')
		cat[l - 1] = '\0';
	if (recs != NULL && catalog_interpret(recs, cat, NULL, &view) == 0) {
		r->members = catalog_view_count(view);
		r->ok = 1;
	} else if (view != NULL) {
		fprintf(stderr, "catalog-xfr: broken: %s\n", catalog_view_broken(view));
	}
	r->t_interpret = compat_monotonic_ms();
	r->c_interpret = cpu_ms();
	r->rss_interpret = rss_kib();
	catalog_view_free(view);
	catalog_records_free(recs);
	xfr_view_free(res->view);   /* the agent keeps the view (the next IXFR's base) through all of this */
	res->view = NULL;
	event_base_loopbreak(r->base);
}

int
main(int argc, char **argv)
{
	struct run r;
	struct netaddr m;
	struct xfr_req req;
	long hwm;

	if (argc != 4) {
		fprintf(stderr, "usage: catalog-xfr HOST PORT ZONE\n");
		return 64;
	}
	compat_init();
	log_init(0, NULL);
	memset(&r, 0, sizeof r);
	memset(&req, 0, sizeof req);
	if (netaddr_parse_ip(argv[1], &m) != 0)
		return 64;
	m.port = (uint16_t)atoi(argv[2]);
	r.zone = argv[3];
	r.base = event_base_new();
	req.zone = argv[3];
	req.masters = &m;
	req.nmasters = 1;
	req.read_timeout_ms = 30000;
	req.deadline_ms = 300000;
	r.t0 = compat_monotonic_ms();
	r.c0 = cpu_ms();
	if (xfr_start(r.base, &req, on_done, &r) == NULL)
		return 2;
	event_base_dispatch(r.base);
	hwm = status_kib("VmHWM:");   /* this fresh process's peak resident set, transfer included */
	printf("records=%zu members=%zu transfer_ms=%llu handover_ms=%llu interpret_ms=%llu total_ms=%llu "
	    "transfer_cpu_ms=%llu handover_cpu_ms=%llu interpret_cpu_ms=%llu total_cpu_ms=%llu "
	    "rss_after_transfer_kib=%ld rss_after_handover_kib=%ld rss_after_interpret_kib=%ld peak_rss_kib=%ld\n",
	    r.records, r.members, (unsigned long long)(r.t_xfr - r.t0),
	    (unsigned long long)(r.t_records - r.t_xfr), (unsigned long long)(r.t_interpret - r.t_records),
	    (unsigned long long)(r.t_interpret - r.t0), (unsigned long long)(r.c_xfr - r.c0),
	    (unsigned long long)(r.c_records - r.c_xfr), (unsigned long long)(r.c_interpret - r.c_records),
	    (unsigned long long)(r.c_interpret - r.c0), r.rss_xfr, r.rss_records, r.rss_interpret, hwm);
	event_base_free(r.base);
	return r.ok ? 0 : 1;
}
