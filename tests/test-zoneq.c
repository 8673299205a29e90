/* Tests of the zoneq module: per-zone order, joining duplicates, notify delay, limits, nothing lost. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "testutil.h"
#include "zoneq.h"

#define MAX_RUNNING 64

/* A backend the test finishes by hand. */
struct started {
	enum zone_op op;
	char zone[64];
	backend_done_fn *done;
	void *arg;
	int finished;
};

static struct started ops[4096];
static int nops;
static struct event_base *base;
static struct backend *backend;

static int refuse_starts;   /* this many starts fail before one works */
static int start_calls;

static int
hb_start(void *impl, enum zone_op op, const char *zone, backend_done_fn *done, void *arg)
{
	struct started *s;

	(void)impl;
	start_calls++;
	if (refuse_starts > 0) {
		refuse_starts--;
		return -1;
	}
	s = &ops[nops++];
	s->op = op;
	snprintf(s->zone, sizeof s->zone, "%s", zone);
	s->done = done;
	s->arg = arg;
	s->finished = 0;
	return 0;
}

static void
hb_free(void *impl)
{
	(void)impl;
}

static const struct backend_ops hb_ops = { "by-hand", hb_start, hb_free };

static void
finish(int i, enum zone_result r)
{
	ck_assert(!ops[i].finished);
	ops[i].finished = 1;
	ops[i].done(ops[i].arg, r);
}

/* Answers received, per request. */
struct answer {
	int count;
	enum zone_result r;
	int order;
};

static int answered;

static void
on_done(void *arg, enum zone_result r)
{
	struct answer *a = arg;

	a->count++;
	a->r = r;
	a->order = answered++;
}

static struct zoneq *
mkq(unsigned delay_ms, unsigned conc, unsigned queued)
{
	struct zoneq_limits lim = { delay_ms, conc, queued, 0 };

	return zoneq_new(base, backend, &lim);
}

static void
setup(void)
{
	base = event_base_new();
	backend = backend_new(&hb_ops, NULL);
	nops = 0;
	answered = 0;
	refuse_starts = 0;
	start_calls = 0;
}

static void
teardown(void)
{
	backend_free(backend);
	event_base_free(base);
}

START_TEST(duplicates_join)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer a[50];
	int i;

	memset(a, 0, sizeof a);
	for (i = 0; i < 50; i++)
		zoneq_submit(q, ZONE_OP_CREATE, "example.com", on_done, &a[i]);
	ck_assert_int_eq(nops, 1);
	ck_assert_uint_eq(zoneq_pending(q), 50);
	finish(0, ZONE_DONE);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(a[i].count, 1);
		ck_assert_int_eq(a[i].r, ZONE_DONE);
	}
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

START_TEST(order_per_zone)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer c1 = { 0 }, d = { 0 }, c2 = { 0 }, c3 = { 0 }, other = { 0 };

	zoneq_submit(q, ZONE_OP_CREATE, "z.example", on_done, &c1);
	zoneq_submit(q, ZONE_OP_DELETE, "z.example", on_done, &d);
	zoneq_submit(q, ZONE_OP_CREATE, "z.example", on_done, &c2);   /* after the DELETE: must not join c1 */
	zoneq_submit(q, ZONE_OP_CREATE, "z.example", on_done, &c3);   /* joins c2 */
	zoneq_submit(q, ZONE_OP_DELETE, "other.example", on_done, &other);
	ck_assert_int_eq(nops, 2);                 /* z's CREATE and other's DELETE run side by side */
	ck_assert_int_eq(ops[0].op, ZONE_OP_CREATE);
	ck_assert_str_eq(ops[1].zone, "other.example");
	finish(0, ZONE_DONE);
	ck_assert_int_eq(c1.count, 1);
	ck_assert_int_eq(nops, 3);
	ck_assert_int_eq(ops[2].op, ZONE_OP_DELETE);
	finish(2, ZONE_DONE);
	ck_assert_int_eq(nops, 4);
	ck_assert_int_eq(ops[3].op, ZONE_OP_CREATE);
	finish(3, ZONE_FAILED);
	ck_assert_int_eq(c2.r, ZONE_FAILED);
	ck_assert_int_eq(c3.r, ZONE_FAILED);
	ck_assert_int_lt(c1.order, d.order);
	ck_assert_int_lt(d.order, c2.order);
	finish(1, ZONE_DONE);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

START_TEST(notify_during_refresh_not_lost)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer n1 = { 0 }, n2 = { 0 }, n3 = { 0 };

	zoneq_submit(q, ZONE_OP_REFRESH, "z.example", on_done, &n1);
	ck_assert_int_eq(nops, 1);
	zoneq_submit(q, ZONE_OP_REFRESH, "z.example", on_done, &n2);   /* refresh running: a new one queues */
	zoneq_submit(q, ZONE_OP_REFRESH, "z.example", on_done, &n3);   /* joins the queued one */
	ck_assert_int_eq(nops, 1);
	finish(0, ZONE_DONE);
	ck_assert_int_eq(n1.count, 1);
	ck_assert_int_eq(n2.count, 0);
	ck_assert_int_eq(nops, 2);
	finish(1, ZONE_ABSENT);
	ck_assert_int_eq(n2.r, ZONE_ABSENT);
	ck_assert_int_eq(n3.r, ZONE_ABSENT);
	zoneq_free(q);
}
END_TEST

static void
run_for(unsigned ms)
{
	struct timeval tv = { (long)(ms / 1000), (long)(ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

START_TEST(notify_delay_coalesces)
{
	struct zoneq *q = mkq(100, 4, 100);
	struct answer first = { 0 }, burst[5], late = { 0 };
	int i;

	memset(burst, 0, sizeof burst);
	zoneq_submit(q, ZONE_OP_REFRESH, "z.example", on_done, &first);
	ck_assert_int_eq(nops, 0);                 /* waits the delay */
	for (i = 0; i < 5; i++) {
		zoneq_submit(q, ZONE_OP_REFRESH, "z.example", on_done, &burst[i]);
		ck_assert_int_eq(burst[i].count, 1);   /* answered at once */
		ck_assert_int_eq(burst[i].r, ZONE_DONE);
	}
	ck_assert_int_eq(first.count, 0);
	run_for(40);
	ck_assert_int_eq(nops, 0);
	run_for(150);
	ck_assert_int_eq(nops, 1);                 /* one refresh for the burst */
	ck_assert_int_eq(ops[0].op, ZONE_OP_REFRESH);
	zoneq_submit(q, ZONE_OP_REFRESH, "z.example", on_done, &late);   /* during the refresh: kept */
	finish(0, ZONE_DONE);
	ck_assert_int_eq(first.count, 1);
	ck_assert_int_eq(late.count, 0);
	run_for(200);
	ck_assert_int_eq(nops, 2);
	finish(1, ZONE_DONE);
	ck_assert_int_eq(late.count, 1);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

START_TEST(max_concurrent)
{
	struct zoneq *q = mkq(0, 2, 100);
	struct answer a[5];
	char z[32];
	int i;

	memset(a, 0, sizeof a);
	for (i = 0; i < 5; i++) {
		snprintf(z, sizeof z, "z%d.example", i);
		zoneq_submit(q, ZONE_OP_CREATE, z, on_done, &a[i]);
	}
	ck_assert_int_eq(nops, 2);
	finish(1, ZONE_DONE);
	ck_assert_int_eq(nops, 3);
	ck_assert_str_eq(ops[2].zone, "z2.example");   /* arrival order across zones */
	finish(0, ZONE_DONE);
	finish(2, ZONE_DONE);
	ck_assert_int_eq(nops, 5);
	finish(3, ZONE_DONE);
	finish(4, ZONE_DONE);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(a[i].count, 1);
	zoneq_free(q);
}
END_TEST

START_TEST(max_queued)
{
	struct zoneq *q = mkq(0, 1, 3);
	struct answer a[4], dup = { 0 };
	char z[32];
	int i;

	memset(a, 0, sizeof a);
	for (i = 0; i < 4; i++) {
		snprintf(z, sizeof z, "z%d.example", i);
		zoneq_submit(q, ZONE_OP_CREATE, z, on_done, &a[i]);
	}
	ck_assert_int_eq(a[3].count, 1);           /* the fourth operation: refused at once */
	ck_assert_int_eq(a[3].r, ZONE_BUSY);
	zoneq_submit(q, ZONE_OP_CREATE, "z2.example", on_done, &dup);   /* a duplicate still joins */
	ck_assert_int_eq(dup.count, 0);
	finish(0, ZONE_DONE);
	finish(1, ZONE_DONE);
	finish(2, ZONE_DONE);
	ck_assert_int_eq(dup.r, ZONE_DONE);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

/* 1,000 requests across 200 zones, mixed kinds, finished in a scrambled order: each answered once. */
START_TEST(thousand_across_200_zones)
{
	struct zoneq *q = mkq(0, 8, 2000);
	static struct answer a[1000];
	static const enum zone_op kinds[] = { ZONE_OP_CREATE, ZONE_OP_REFRESH, ZONE_OP_DELETE, ZONE_OP_CREATE };
	char z[32];
	int i, rounds = 0;

	memset(a, 0, sizeof a);
	for (i = 0; i < 1000; i++) {
		snprintf(z, sizeof z, "zone%d.example", i % 200);
		zoneq_submit(q, kinds[(i / 200) % 4], z, on_done, &a[i]);
	}
	while (zoneq_pending(q) > 0 && rounds++ < 100000) {
		int k, open = 0;

		for (k = nops - 1; k >= 0; k--) {
			if (!ops[k].finished) {
				open++;
				finish(k, (k % 7) ? ZONE_DONE : ZONE_FAILED);
				break;
			}
		}
		ck_assert_int_le(open, 8);
	}
	for (i = 0; i < 1000; i++)
		ck_assert_msg(a[i].count == 1, "request %d answered %d times", i, a[i].count);
	ck_assert_int_le(nops, 1000);
	ck_assert_uint_eq(zoneq_started(q), (unsigned long)nops);
	zoneq_free(q);
}
END_TEST

START_TEST(abandon_queued)
{
	struct zoneq *q = mkq(1000, 1, 100);
	struct answer run = { 0 }, waiting = { 0 }, delayed = { 0 }, behind = { 0 };

	zoneq_submit(q, ZONE_OP_CREATE, "a.example", on_done, &run);
	zoneq_submit(q, ZONE_OP_CREATE, "b.example", on_done, &waiting);
	zoneq_submit(q, ZONE_OP_REFRESH, "c.example", on_done, &delayed);
	zoneq_submit(q, ZONE_OP_DELETE, "a.example", on_done, &behind);
	zoneq_abandon_queued(q);
	ck_assert_int_eq(waiting.r, ZONE_FAILED);
	ck_assert_int_eq(delayed.r, ZONE_FAILED);
	ck_assert_int_eq(behind.r, ZONE_FAILED);
	ck_assert_int_eq(run.count, 0);
	ck_assert_uint_eq(zoneq_pending(q), 1);
	finish(0, ZONE_DONE);
	ck_assert_int_eq(run.r, ZONE_DONE);
	ck_assert_int_eq(nops, 1);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

START_TEST(failed_start_retried)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer a = { 0 }, dup = { 0 };

	refuse_starts = 2;
	zoneq_submit(q, ZONE_OP_CREATE, "retry.example", on_done, &a);
	ck_assert_int_eq(start_calls, 1);
	ck_assert_int_eq(a.count, 0);               /* not answered: tried again later */
	zoneq_submit(q, ZONE_OP_CREATE, "retry.example", on_done, &dup);   /* joins meanwhile */
	run_for(1000);
	ck_assert_int_eq(start_calls, 3);
	ck_assert_int_eq(nops, 1);
	ck_assert_uint_eq(zoneq_started(q), 1);   /* attempts that failed are not starts */
	finish(0, ZONE_DONE);
	ck_assert_int_eq(a.r, ZONE_DONE);
	ck_assert_int_eq(dup.r, ZONE_DONE);
	zoneq_free(q);
}
END_TEST

START_TEST(start_never_works)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer a = { 0 }, other = { 0 };

	refuse_starts = 1000;
	zoneq_submit(q, ZONE_OP_DELETE, "broken.example", on_done, &a);
	run_for(2000);
	ck_assert_int_eq(start_calls, 3);
	ck_assert_int_eq(a.count, 1);
	ck_assert_int_eq(a.r, ZONE_FAILED);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	refuse_starts = 0;                          /* the queue still works afterwards */
	zoneq_submit(q, ZONE_OP_DELETE, "broken.example", on_done, &other);
	finish(0, ZONE_DONE);
	ck_assert_int_eq(other.r, ZONE_DONE);
	zoneq_free(q);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("zoneq");
	TCase *tc = tcase_create("zoneq");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, duplicates_join);
	tcase_add_test(tc, order_per_zone);
	tcase_add_test(tc, notify_during_refresh_not_lost);
	tcase_add_test(tc, notify_delay_coalesces);
	tcase_add_test(tc, max_concurrent);
	tcase_add_test(tc, max_queued);
	tcase_add_test(tc, thousand_across_200_zones);
	tcase_add_test(tc, abandon_queued);
	tcase_add_test(tc, failed_start_retried);
	tcase_add_test(tc, start_never_works);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
