/* Tests of the zoneq module: per-zone order, joining duplicates, notify delay, limits, nothing lost. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "testbackend.h"
#include "testutil.h"
#include "zoneq.h"

static struct event_base *base;
static struct backend *backend;

/* Answers received, per request. */
struct answer {
	int count;
	enum zoneop_result r;
	int order;
	int full;          /* the queue did not accept it */
	size_t nzones;     /* a LIST's zones */
	char first[ZONE_NAME_MAX];
};

static int answered;

static void
on_done(void *arg, enum zoneop_result r, const struct zoneop_zone *zones, size_t n)
{
	struct answer *a = arg;

	a->count++;
	a->r = r;
	a->order = answered++;
	a->nzones = n;
	if (n > 0)
		snprintf(a->first, sizeof a->first, "%s", zones[0].name);
}

/* Submit kind on zone (masters and flags as given) for a. */
static void
submit_op(struct zoneq *q, enum zoneop_kind kind, const char *zone, const char *masters, unsigned flags,
    struct answer *a)
{
	struct zoneop op;

	ck_assert_int_eq(zoneop_set(&op, kind, zone), 0);
	snprintf(op.masters, sizeof op.masters, "%s", masters);
	op.flags = flags;
	if (zoneq_submit(q, &op, on_done, a) == ZONEQ_FULL)
		a->full = 1;
}

static void
submit(struct zoneq *q, enum zoneop_kind kind, const char *zone, struct answer *a)
{
	submit_op(q, kind, zone, "", 0, a);
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
	backend = tb_backend_new(base, TB_HOLD);
	answered = 0;
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
		submit(q, ZONEOP_CREATE, "example.com", &a[i]);
	ck_assert_int_eq((int)tb.n, 1);
	ck_assert_uint_eq(zoneq_pending(q), 50);
	tb_finish(0, ZONEOP_DONE);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(a[i].count, 1);
		ck_assert_int_eq(a[i].r, ZONEOP_DONE);
	}
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

START_TEST(order_per_zone)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer c1 = { 0 }, d = { 0 }, c2 = { 0 }, c3 = { 0 }, other = { 0 };

	submit(q, ZONEOP_CREATE, "z.example", &c1);
	submit(q, ZONEOP_DELETE, "z.example", &d);
	submit(q, ZONEOP_CREATE, "z.example", &c2);   /* after the DELETE: must not join c1 */
	submit(q, ZONEOP_CREATE, "z.example", &c3);   /* joins c2 */
	submit(q, ZONEOP_DELETE, "other.example", &other);
	ck_assert_int_eq((int)tb.n, 2);                 /* z's CREATE and other's DELETE run side by side */
	ck_assert_int_eq(tb.ops[0].op.kind, ZONEOP_CREATE);
	ck_assert_str_eq(tb.ops[1].op.zone, "other.example");
	tb_finish(0, ZONEOP_DONE);
	ck_assert_int_eq(c1.count, 1);
	ck_assert_int_eq((int)tb.n, 3);
	ck_assert_int_eq(tb.ops[2].op.kind, ZONEOP_DELETE);
	tb_finish(2, ZONEOP_DONE);
	ck_assert_int_eq((int)tb.n, 4);
	ck_assert_int_eq(tb.ops[3].op.kind, ZONEOP_CREATE);
	tb_finish(3, ZONEOP_FAILED);
	ck_assert_int_eq(c2.r, ZONEOP_FAILED);
	ck_assert_int_eq(c3.r, ZONEOP_FAILED);
	ck_assert_int_lt(c1.order, d.order);
	ck_assert_int_lt(d.order, c2.order);
	tb_finish(1, ZONEOP_DONE);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

START_TEST(notify_during_refresh_not_lost)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer n1 = { 0 }, n2 = { 0 }, n3 = { 0 };

	submit(q, ZONEOP_REFRESH, "z.example", &n1);
	ck_assert_int_eq((int)tb.n, 1);
	submit(q, ZONEOP_REFRESH, "z.example", &n2);   /* refresh running: a new one queues */
	submit(q, ZONEOP_REFRESH, "z.example", &n3);   /* joins the queued one */
	ck_assert_int_eq((int)tb.n, 1);
	tb_finish(0, ZONEOP_DONE);
	ck_assert_int_eq(n1.count, 1);
	ck_assert_int_eq(n2.count, 0);
	ck_assert_int_eq((int)tb.n, 2);
	tb_finish(1, ZONEOP_ABSENT);
	ck_assert_int_eq(n2.r, ZONEOP_ABSENT);
	ck_assert_int_eq(n3.r, ZONEOP_ABSENT);
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
	submit(q, ZONEOP_REFRESH, "z.example", &first);
	ck_assert_int_eq((int)tb.n, 0);                 /* waits the delay */
	for (i = 0; i < 5; i++) {
		submit(q, ZONEOP_REFRESH, "z.example", &burst[i]);
		ck_assert_int_eq(burst[i].count, 1);   /* answered at once */
		ck_assert_int_eq(burst[i].r, ZONEOP_DONE);
	}
	ck_assert_int_eq(first.count, 0);
	run_for(40);
	ck_assert_int_eq((int)tb.n, 0);
	run_for(150);
	ck_assert_int_eq((int)tb.n, 1);                 /* one refresh for the burst */
	ck_assert_int_eq(tb.ops[0].op.kind, ZONEOP_REFRESH);
	submit(q, ZONEOP_REFRESH, "z.example", &late);   /* during the refresh: kept */
	tb_finish(0, ZONEOP_DONE);
	ck_assert_int_eq(first.count, 1);
	ck_assert_int_eq(late.count, 0);
	run_for(200);
	ck_assert_int_eq((int)tb.n, 2);
	tb_finish(1, ZONEOP_DONE);
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
		submit(q, ZONEOP_CREATE, z, &a[i]);
	}
	ck_assert_int_eq((int)tb.n, 2);
	tb_finish(1, ZONEOP_DONE);
	ck_assert_int_eq((int)tb.n, 3);
	ck_assert_str_eq(tb.ops[2].op.zone, "z2.example");   /* arrival order across zones */
	tb_finish(0, ZONEOP_DONE);
	tb_finish(2, ZONEOP_DONE);
	ck_assert_int_eq((int)tb.n, 5);
	tb_finish(3, ZONEOP_DONE);
	tb_finish(4, ZONEOP_DONE);
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
		submit(q, ZONEOP_CREATE, z, &a[i]);
	}
	ck_assert_int_eq(a[3].count, 0);           /* the fourth operation: not accepted, never answered */
	ck_assert_int_eq(a[3].full, 1);
	ck_assert_int_eq(a[2].full, 0);
	submit(q, ZONEOP_CREATE, "z2.example", &dup);   /* a duplicate still joins */
	ck_assert_int_eq(dup.count, 0);
	tb_finish(0, ZONEOP_DONE);
	tb_finish(1, ZONEOP_DONE);
	tb_finish(2, ZONEOP_DONE);
	ck_assert_int_eq(dup.r, ZONEOP_DONE);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

/* 1,000 requests across 200 zones, mixed kinds, finished in a scrambled order: each answered once. */
START_TEST(thousand_across_200_zones)
{
	struct zoneq *q = mkq(0, 8, 2000);
	static struct answer a[1000];
	static const enum zoneop_kind kinds[] = { ZONEOP_CREATE, ZONEOP_REFRESH, ZONEOP_DELETE, ZONEOP_CREATE };
	char z[32];
	int i, rounds = 0;

	memset(a, 0, sizeof a);
	for (i = 0; i < 1000; i++) {
		snprintf(z, sizeof z, "zone%d.example", i % 200);
		submit(q, kinds[(i / 200) % 4], z, &a[i]);
	}
	while (zoneq_pending(q) > 0 && rounds++ < 100000) {
		int k, open = 0;

		for (k = (int)tb.n - 1; k >= 0; k--) {
			if (!tb.ops[k].finished) {
				open++;
				tb_finish(k, (k % 7) ? ZONEOP_DONE : ZONEOP_FAILED);
				break;
			}
		}
		ck_assert_int_le(open, 8);
	}
	for (i = 0; i < 1000; i++)
		ck_assert_msg(a[i].count == 1, "request %d answered %d times", i, a[i].count);
	ck_assert_int_le((int)tb.n, 1000);
	ck_assert_uint_eq(zoneq_started(q), (unsigned long)(int)tb.n);
	zoneq_free(q);
}
END_TEST

START_TEST(abandon_queued)
{
	struct zoneq *q = mkq(1000, 1, 100);
	struct answer run = { 0 }, waiting = { 0 }, delayed = { 0 }, behind = { 0 };

	submit(q, ZONEOP_CREATE, "a.example", &run);
	submit(q, ZONEOP_CREATE, "b.example", &waiting);
	submit(q, ZONEOP_REFRESH, "c.example", &delayed);
	submit(q, ZONEOP_DELETE, "a.example", &behind);
	zoneq_abandon_queued(q);
	ck_assert_int_eq(waiting.r, ZONEOP_FAILED);
	ck_assert_int_eq(delayed.r, ZONEOP_FAILED);
	ck_assert_int_eq(behind.r, ZONEOP_FAILED);
	ck_assert_int_eq(run.count, 0);
	ck_assert_uint_eq(zoneq_pending(q), 1);
	tb_finish(0, ZONEOP_DONE);
	ck_assert_int_eq(run.r, ZONEOP_DONE);
	ck_assert_int_eq((int)tb.n, 1);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

START_TEST(failed_start_retried)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer a = { 0 }, dup = { 0 };

	tb.refuse_starts = 2;
	submit(q, ZONEOP_CREATE, "retry.example", &a);
	ck_assert_int_eq(tb.start_calls, 1);
	ck_assert_int_eq(a.count, 0);               /* not answered: tried again later */
	submit(q, ZONEOP_CREATE, "retry.example", &dup);   /* joins meanwhile */
	run_for(1000);
	ck_assert_int_eq(tb.start_calls, 3);
	ck_assert_int_eq((int)tb.n, 1);
	ck_assert_uint_eq(zoneq_started(q), 1);   /* attempts that failed are not starts */
	tb_finish(0, ZONEOP_DONE);
	ck_assert_int_eq(a.r, ZONEOP_DONE);
	ck_assert_int_eq(dup.r, ZONEOP_DONE);
	zoneq_free(q);
}
END_TEST

START_TEST(start_never_works)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer a = { 0 }, other = { 0 };

	tb.refuse_starts = 1000;
	submit(q, ZONEOP_DELETE, "broken.example", &a);
	run_for(2000);
	ck_assert_int_eq(tb.start_calls, 3);
	ck_assert_int_eq(a.count, 1);
	ck_assert_int_eq(a.r, ZONEOP_FAILED);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	tb.refuse_starts = 0;                          /* the queue still works afterwards */
	submit(q, ZONEOP_DELETE, "broken.example", &other);
	tb_finish(0, ZONEOP_DONE);
	ck_assert_int_eq(other.r, ZONEOP_DONE);
	zoneq_free(q);
}
END_TEST

/* Joining compares the whole operation: other masters or other flags are another operation. */
START_TEST(join_compares_whole_op)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer a = { 0 }, same = { 0 }, other_masters = { 0 }, other_flags = { 0 };

	submit_op(q, ZONEOP_CREATE, "j.example", "192.0.2.1", 0, &a);
	submit_op(q, ZONEOP_CREATE, "j.example", "192.0.2.1", 0, &same);
	submit_op(q, ZONEOP_CREATE, "j.example", "192.0.2.9", 0, &other_masters);
	submit_op(q, ZONEOP_CREATE, "j.example", "192.0.2.9", ZONEOP_F_NO_CONVERGE, &other_flags);
	ck_assert_int_eq((int)tb.n, 1);
	ck_assert_str_eq((*tb_last()).masters, "192.0.2.1");
	tb_finish(0, ZONEOP_DONE);
	ck_assert_int_eq(a.count, 1);
	ck_assert_int_eq(same.count, 1);
	ck_assert_int_eq(other_masters.count, 0);
	ck_assert_int_eq((int)tb.n, 2);
	ck_assert_str_eq((*tb_last()).masters, "192.0.2.9");
	ck_assert_uint_eq((*tb_last()).flags, 0);
	tb_finish(1, ZONEOP_NOT_OURS);
	ck_assert_int_eq(other_masters.r, ZONEOP_NOT_OURS);
	ck_assert_int_eq((int)tb.n, 3);
	ck_assert_uint_eq((*tb_last()).flags, ZONEOP_F_NO_CONVERGE);
	tb_finish(2, ZONEOP_DONE);
	ck_assert_int_eq(other_flags.r, ZONEOP_DONE);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

/* LIST has its own queue (it runs beside zone operations); joined LISTs all get the zones. */
START_TEST(list_own_key_zones_to_every_waiter)
{
	struct zoneq *q = mkq(0, 4, 100);
	struct answer l1 = { 0 }, l2 = { 0 }, c = { 0 };
	struct zoneop_zone zones[2];

	memset(zones, 0, sizeof zones);
	zones[0].name = "a.example";
	zones[1].name = "b.example";
	zones[0].masters = zones[1].masters = "";
	submit(q, ZONEOP_LIST, "", &l1);
	submit(q, ZONEOP_CREATE, "a.example", &c);
	submit(q, ZONEOP_LIST, "", &l2);
	ck_assert_int_eq((int)tb.n, 2);                  /* the LIST and the CREATE run at once */
	ck_assert_int_eq(tb.ops[0].op.kind, ZONEOP_LIST);
	ck_assert_str_eq(tb.ops[0].op.zone, "");
	tb.ops[0].finished = 1;
	tb.ops[0].done(tb.ops[0].arg, ZONEOP_DONE, zones, 2);
	ck_assert_int_eq(l1.count, 1);
	ck_assert_int_eq(l2.count, 1);
	ck_assert_uint_eq(l1.nzones, 2);
	ck_assert_uint_eq(l2.nzones, 2);
	ck_assert_str_eq(l2.first, "a.example");
	tb_finish(1, ZONEOP_DONE);
	ck_assert_int_eq(c.count, 1);
	ck_assert_uint_eq(zoneq_pending(q), 0);
	zoneq_free(q);
}
END_TEST

/* More requests joined on one operation than max_waiters: the queue says full, nothing is answered. */
START_TEST(max_waiters_full)
{
	struct zoneq_limits lim = { 0, 1, 100, 3 };
	struct zoneq *q = zoneq_new(base, backend, &lim);
	struct answer a[4];
	int i;

	memset(a, 0, sizeof a);
	for (i = 0; i < 4; i++)
		submit(q, ZONEOP_CREATE, "w.example", &a[i]);
	ck_assert_int_eq(a[2].full, 0);
	ck_assert_int_eq(a[3].full, 1);
	tb_finish(0, ZONEOP_DONE);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(a[i].count, 1);
	ck_assert_int_eq(a[3].count, 0);
	ck_assert_uint_eq(zoneq_pending(q), 0);
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
	tcase_add_test(tc, join_compares_whole_op);
	tcase_add_test(tc, list_own_key_zones_to_every_waiter);
	tcase_add_test(tc, max_waiters_full);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
