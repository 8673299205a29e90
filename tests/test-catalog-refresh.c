/* Tests of catalog-refresh: check at start, SOA refresh/retry timers, NOTIFY (forced, coalesced), expiry,
 * against the scripted server of xfrsrv.c on the same event loop. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "catalog-refresh.h"
#include "catalog.h"
#include "testutil.h"
#include "xfrsrv.h"

struct seen {
	int calls, full;
	size_t count;        /* records of the last hand-over */
	uint32_t serial;
	int expired_calls, expired;
	struct event_base *base;
	int stop_after;      /* break the loop after this many hand-overs */
};

/* Whether another socket could take 127.0.0.1:port now (a down server's port must be held). */
static int
port_takeable(uint16_t port)
{
	struct sockaddr_in sin;
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	int ok;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	sin.sin_port = htons(port);
	ok = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	evutil_closesocket(fd);
	return ok;
}

static void
on_records(void *arg, const struct catalog_records *recs, uint32_t serial, int full)
{
	struct seen *s = arg;

	s->calls++;
	s->full = full;
	s->count = catalog_records_count(recs);
	s->serial = serial;
	if (s->stop_after && s->calls >= s->stop_after)
		event_base_loopbreak(s->base);
}

static void
on_expired(void *arg, int expired)
{
	struct seen *s = arg;

	s->expired_calls++;
	s->expired = expired;
	event_base_loopbreak(s->base);
}

/* Run the loop until it is broken or ms pass. */
static void
run_for(struct event_base *base, unsigned ms)
{
	struct timeval tv = { (long)(ms / 1000), (long)(ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Run the loop for exactly ms (not broken by callbacks that break on their own). */
static void
run_exactly(struct event_base *base, unsigned ms)
{
	uint64_t end = tu_now_ms() + ms;

	while (tu_now_ms() < end) {
		uint64_t left = end - tu_now_ms();
		struct timeval tv = { (long)(left / 1000), (long)(left % 1000) * 1000 };
		struct event *t = evtimer_new(base, on_tick, base);

		evtimer_add(t, &tv);
		event_base_dispatch(base);
		event_free(t);
	}
}

static struct catrefresh *
refresher(struct event_base *base, struct srv *s, struct netaddr *m, unsigned refresh, struct seen *seen)
{
	struct catrefresh_cfg cfg;
	struct catrefresh *r;

	memset(&cfg, 0, sizeof cfg);
	ck_assert_int_eq(netaddr_parse_ip("127.0.0.1", m), 0);
	m->port = s->port;
	cfg.catalog = "cat.example";
	cfg.masters = m;
	cfg.nmasters = 1;
	cfg.refresh = refresh;
	cfg.read_timeout_ms = 500;
	cfg.first_retry = 1;
	seen->base = base;
	r = catrefresh_new(base, &cfg, on_records, on_expired, seen);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* The check at start transfers; the refresh timer then only asks the SOA until the serial changes. */
START_TEST(start_and_refresh)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 10, .members = 3 };
	struct seen seen = { .stop_after = 1 };
	struct netaddr m;
	struct catrefresh *r;
	unsigned ok, failed;

	srv_start(&s, base);
	r = refresher(base, &s, &m, 1, &seen);
	catrefresh_start(r);
	run_for(base, 10000);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_eq(seen.full, 1);
	ck_assert_uint_eq(seen.serial, 10);
	ck_assert_uint_eq(seen.count, 3 + 3);
	ck_assert_str_eq(s.log, "SOA,AXFR");
	/* two refresh periods: SOA queries only */
	s.log[0] = '\0';
	run_exactly(base, 2500);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_ptr_nonnull(strstr(s.log, "SOA"));
	ck_assert_ptr_null(strstr(s.log, "XFR"));
	catrefresh_counts(r, &ok, &failed);
	ck_assert_uint_ge(ok, 2);
	ck_assert_uint_eq(failed, 0);
	/* a new serial: the next refresh transfers it (IXFR from ours; this server answers in full) */
	s.serial = 11;
	s.members = 5;
	seen.stop_after = 2;
	run_for(base, 5000);
	ck_assert_int_eq(seen.calls, 2);
	ck_assert_uint_eq(seen.serial, 11);
	ck_assert_uint_eq(seen.count, 5 + 3);
	ck_assert_ptr_nonnull(strstr(s.log, "SOA,IXFR"));
	catrefresh_free(r);
	srv_stop(&s);
	event_base_free(base);
}
END_TEST

/* A NOTIFY transfers at once even with an unchanged serial (Designate), and NOTIFYs during a check
 * are coalesced into one more check. */
START_TEST(notify_forced_and_coalesced)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 10, .members = 3 };
	struct seen seen = { .stop_after = 1 };
	struct netaddr m;
	struct catrefresh *r;
	uint64_t t0;
	int i;

	srv_start(&s, base);
	r = refresher(base, &s, &m, 3600, &seen);
	catrefresh_start(r);
	run_for(base, 10000);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_ge(catrefresh_next_in(r), 3500);
	/* content changed, serial not */
	s.members = 4;
	s.log[0] = '\0';
	seen.stop_after = 2;
	t0 = tu_now_ms();
	catrefresh_notify(r);
	run_for(base, 10000);
	ck_assert_int_eq(seen.calls, 2);
	ck_assert_uint_eq(seen.count, 4 + 3);
	ck_assert_uint_lt(tu_now_ms() - t0, 3000);
	ck_assert_str_eq(s.log, "SOA,IXFR");
	/* a burst of NOTIFYs: one check now and one after it, no more */
	s.log[0] = '\0';
	s.queries = 0;
	for (i = 0; i < 20; i++)
		catrefresh_notify(r);
	run_exactly(base, 50);      /* the first check is under way */
	for (i = 0; i < 20; i++)
		catrefresh_notify(r);
	run_exactly(base, 2000);
	ck_assert_int_eq(s.queries, 4);   /* (SOA, IXFR) twice */
	ck_assert_int_eq(seen.calls, 4);
	catrefresh_free(r);
	srv_stop(&s);
	event_base_free(base);
}
END_TEST

/* Failures are retried on the retry timer; with no success for the SOA expire time the catalog is
 * expired, and fresh again after the next successful check. */
START_TEST(retry_and_expire)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 10, .members = 3, .retry = 1, .expire = 2, .refresh = 1 };
	struct seen seen = { .stop_after = 1 };
	struct netaddr m;
	struct catrefresh *r;
	unsigned ok, failed;
	uint64_t t0;

	srv_start(&s, base);
	r = refresher(base, &s, &m, 0, &seen);
	catrefresh_start(r);
	run_for(base, 10000);
	ck_assert_int_eq(seen.calls, 1);
	t0 = tu_now_ms();
	srv_stop(&s);
	ck_assert_int_eq(port_takeable(s.port), 0);
	run_for(base, 10000);   /* broken by the expiry */
	ck_assert_int_eq(seen.expired_calls, 1);
	ck_assert_int_eq(seen.expired, 1);
	ck_assert_int_eq(catrefresh_expired(r), 1);
	ck_assert_uint_ge(tu_now_ms() - t0, 1500);
	catrefresh_counts(r, &ok, &failed);
	ck_assert_uint_ge(failed, 1);
	/* back: fresh again at the next retry */
	srv_start(&s, base);
	run_for(base, 10000);
	ck_assert_int_eq(seen.expired_calls, 2);
	ck_assert_int_eq(seen.expired, 0);
	ck_assert_int_eq(catrefresh_expired(r), 0);
	catrefresh_free(r);
	srv_stop(&s);
	event_base_free(base);
}
END_TEST

/* A producer down at start: nothing handed on, retried every first_retry, then the transfer. */
START_TEST(down_at_start)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 10, .members = 2 };
	struct seen seen = { .stop_after = 1 };
	struct netaddr m;
	struct catrefresh *r;
	unsigned ok, failed;

	srv_hold(&s);   /* down, its port held */
	r = refresher(base, &s, &m, 0, &seen);
	catrefresh_start(r);
	run_exactly(base, 1500);
	ck_assert_int_eq(port_takeable(s.port), 0);
	catrefresh_counts(r, &ok, &failed);
	ck_assert_uint_ge(failed, 2);
	ck_assert_int_eq(seen.calls, 0);
	ck_assert_int_eq(catrefresh_expired(r), 0);
	srv_start(&s, base);
	run_for(base, 10000);
	ck_assert_int_eq(seen.calls, 1);
	catrefresh_free(r);
	srv_stop(&s);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("catalog-refresh");
	TCase *t = tcase_create("refresh");

	tu_init();
	tcase_add_test(t, start_and_refresh);
	tcase_add_test(t, notify_forced_and_coalesced);
	tcase_add_test(t, retry_and_expire);
	tcase_add_test(t, down_at_start);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
