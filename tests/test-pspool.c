/* Tests of pspool: persistent workers (the simulator's -Serve mode): answers, List, timeouts, kills, protocol breaks, recycling, 1,000 operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "compat.h"
#include "msdns.h"
#include "pspool.h"
#include "testbackend.h"
#include "testutil.h"

#define MASTERS "192.0.2.1,192.0.2.2"

struct answer {
	int done;
	enum zoneop_result r;
	size_t nzones;
	struct msdns_zone zones[8];   /* copies: the List's strings last only during the call */
};

static struct event_base *base;
static struct event *tick;
static struct pspool *pl;
static char *dir, *state, *calls;

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void
on_done(void *arg, enum zoneop_result r, const struct zoneop_zone *zones, size_t n)
{
	struct answer *a = arg;
	size_t i;

	a->done++;
	a->r = r;
	a->nzones = n;
	for (i = 0; i < n && i < 8; i++)
		tb_keep_zone(&a->zones[i], &zones[i]);
}

static void
setup(void)
{
	struct timeval tv = { 0, 50 * 1000 };
	char p[1024];

	tu_init();
	base = event_base_new();
	tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	event_add(tick, &tv);
	dir = tu_tmpdir("pspool");
	ck_assert_ptr_nonnull(dir);
	state = malloc(strlen(dir) + 16);
	sprintf(state, "%s/state", dir);
	calls = malloc(strlen(dir) + 32);
	sprintf(calls, "%s/state/calls.log", dir);
	compat_mkdir(state);
	snprintf(p, sizeof p, "%s/faults", state);
	compat_mkdir(p);
	tu_setenv("PSSIM_STATE", state);
	tu_setenv("PSSIM_START_HOLD", "");   /* under Wine the checks share one process and its environment */
	pl = NULL;
}

static void
teardown(void)
{
	pspool_free(pl);
	event_free(tick);
	event_base_free(base);
	free(dir);
	free(state);
	free(calls);
}

static void
pool(unsigned workers, unsigned max_requests, unsigned op_timeout_ms)
{
	const struct msdns_program prog = { tu_program("MSDNS_PSSIM"), tu_program("MSDNS_SCRIPT"), "Bypass" };
	const char *argv[MSDNS_ARGV_MAX];
	struct pspool_params pp;

	msdns_serve_argv(&prog, argv);
	pp.argv = argv;
	pp.workers = workers;
	pp.max_requests = max_requests;
	pp.op_timeout_ms = op_timeout_ms;
	pp.start_timeout_ms = 30000;
	pp.stop_ms = 2000;
	pl = pspool_new(base, &pp);
	ck_assert_ptr_nonnull(pl);
}

static void
set_fault(const char *zone, const char *fault)
{
	char name[300];

	snprintf(name, sizeof name, "faults/%s", zone);
	free(tu_write_file(state, name, fault));
}

static void
submit(enum zoneop_kind kind, const char *zone, unsigned flags, const char *masters, struct answer *a)
{
	struct zoneop op;

	memset(&op, 0, sizeof op);
	memset(a, 0, sizeof *a);
	op.kind = kind;
	snprintf(op.zone, sizeof op.zone, "%s", zone);
	op.flags = flags;
	ck_assert_int_eq(pspool_start(pl, &op, masters, on_done, a), 0);
	ck_assert_int_eq(a->done, 0);   /* never answered before pspool_start returns */
}

/* Run the loop until every answer in a[0..n) came; at most 120 s. */
static void
wait_all(struct answer *a, size_t n)
{
	uint64_t deadline = tu_now_ms() + 120000;
	size_t i;

	for (;;) {
		for (i = 0; i < n && a[i].done; i++)
			;
		if (i == n)
			return;
		ck_assert_msg(tu_now_ms() < deadline, "answer %zu of %zu never came", i, n);
		event_base_loop(base, EVLOOP_ONCE);
	}
}

/* Run the loop until n workers are idle (ready); at most 120 s. operation_timeout counts from pspool_start,
 * the wait for a worker's start-up included: a check that times an operation against a short bound waits
 * for its worker first, as a worker's start (seconds under Wine on a loaded machine) is not what it times. */
static void
wait_idle(unsigned n)
{
	uint64_t deadline = tu_now_ms() + 120000;

	while (pspool_workers_idle(pl) < n) {
		ck_assert_msg(tu_now_ms() < deadline, "%u of %u workers ready after 120 s", pspool_workers_idle(pl), n);
		event_base_loop(base, EVLOOP_ONCE);
	}
}

static enum zoneop_result
run(enum zoneop_kind kind, const char *zone, unsigned flags, const char *masters)
{
	struct answer a;

	submit(kind, zone, flags, masters, &a);
	wait_all(&a, 1);
	ck_assert_int_eq(a.done, 1);
	return a.r;
}

/* The pid of the simulator process that served the last "start <op> <zone>" in calls.log, or -1. */
static long
served_by(const char *op, const char *zone)
{
	char *log = tu_read_file(calls), needle[300], *p, *last = NULL;
	long pid = -1;

	if (log == NULL)
		return -1;
	snprintf(needle, sizeof needle, "start %s %s ", op, zone);
	for (p = log; (p = strstr(p, needle)) != NULL; p++)
		last = p;
	if (last && (p = strstr(last, "pid=")) != NULL)
		pid = atol(p + 4);
	free(log);
	return pid;
}

/* Every distinct pid in calls.log; returns how many (at most max). */
static size_t
all_pids(long *pids, size_t max)
{
	char *log = tu_read_file(calls), *p;
	size_t n = 0, i;

	if (log == NULL)
		return 0;
	for (p = log; (p = strstr(p, "pid=")) != NULL; p += 4) {
		long pid = atol(p + 4);

		for (i = 0; i < n && pids[i] != pid; i++)
			;
		if (i == n && n < max)
			pids[n++] = pid;
	}
	free(log);
	return n;
}

static void
assert_all_gone(void)
{
	long pids[1024];
	size_t n = all_pids(pids, 1024), i;

	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++)
		ck_assert_msg(!tu_pid_alive(pids[i]), "worker pid %ld outlived the pool", pids[i]);
}

START_TEST(operations_and_list)
{
	struct answer a;
	size_t i;
	int seen = 0;

	pool(2, 500, 20000);
	ck_assert_int_eq(run(ZONEOP_CREATE, "a.example", 0, MASTERS), ZONEOP_DONE);
	ck_assert_int_eq(run(ZONEOP_CREATE, "b.example", 0, MASTERS), ZONEOP_DONE);
	ck_assert_int_eq(run(ZONEOP_GET, "a.example", 0, ""), ZONEOP_DONE);
	ck_assert_int_eq(run(ZONEOP_GET, "nothere.example", 0, ""), ZONEOP_ABSENT);
	ck_assert_int_eq(run(ZONEOP_REFRESH, "b.example", 0, ""), ZONEOP_DONE);
	/* a secondary of other masters: converged by default, a clash with NoConverge */
	ck_assert_int_eq(run(ZONEOP_CREATE, "a.example", ZONEOP_F_NO_CONVERGE, "198.51.100.7"), ZONEOP_NOT_OURS);
	ck_assert_int_eq(run(ZONEOP_DELETE, "b.example", 0, "198.51.100.7"), ZONEOP_NOT_OURS);
	submit(ZONEOP_LIST, "", 0, "", &a);
	wait_all(&a, 1);
	ck_assert_int_eq(a.r, ZONEOP_DONE);
	ck_assert_uint_eq(a.nzones, 2);
	for (i = 0; i < a.nzones; i++) {
		ck_assert_str_eq(a.zones[i].type, "Secondary");
		ck_assert_str_eq(a.zones[i].masters, MASTERS);
		ck_assert_int_eq(a.zones[i].ds_integrated, 0);
		seen |= strcmp(a.zones[i].name, "a.example") == 0 ? 1 : strcmp(a.zones[i].name, "b.example") == 0 ? 2 : 0;
	}
	ck_assert_int_eq(seen, 3);
	ck_assert_int_eq(run(ZONEOP_DELETE, "b.example", 0, MASTERS), ZONEOP_DONE);
	ck_assert_uint_eq(pspool_workers_started(pl), 2);   /* no worker was replaced */
	pspool_free(pl);
	pl = NULL;
	assert_all_gone();
}
END_TEST

START_TEST(hung_operation_killed_next_on_a_fresh_worker)
{
	uint64_t t0;
	long hung, next;

	pool(1, 500, 1500);
	wait_idle(1);
	ck_assert_int_eq(run(ZONEOP_CREATE, "warm.example", 0, MASTERS), ZONEOP_DONE);
	set_fault("stuck.example", "hang");
	t0 = tu_now_ms();
	ck_assert_int_eq(run(ZONEOP_CREATE, "stuck.example", 0, MASTERS), ZONEOP_TIMEOUT);
	ck_assert_uint_ge(tu_now_ms() - t0, 1400);
	hung = served_by("Create", "stuck.example");
	ck_assert_int_gt(hung, 0);
	wait_idle(1);   /* the replacement (its start-up would count in next's 1.5 s: 1.5 s and more under Wine) */
	ck_assert_int_eq(run(ZONEOP_CREATE, "next.example", 0, MASTERS), ZONEOP_DONE);
	next = served_by("Create", "next.example");
	ck_assert_int_gt(next, 0);
	ck_assert_int_ne(next, hung);
	ck_assert_uint_eq(pspool_workers_started(pl), 2);
	ck_assert_msg(!tu_pid_alive(hung), "the hung worker %ld is still alive", hung);
	pspool_free(pl);
	pl = NULL;
	assert_all_gone();
}
END_TEST

/* operation_timeout runs from pspool_start, as in one process per operation (where it covers PowerShell's
 * start-up): waiting for a worker to become ready counts. The worker's start-up is held by the test
 * (PSSIM_START_HOLD), not by a duration: a Wine process start on a loaded machine takes seconds by itself. */
START_TEST(timeout_counts_the_wait_for_a_worker)
{
	struct answer a;
	char hold[600];
	uint64_t t0, took;

	snprintf(hold, sizeof hold, "%s/start-hold", state);
	free(tu_write_file(state, "start-hold", "hold"));
	tu_setenv("PSSIM_START_HOLD", hold);
	set_fault("stuck.example", "hang");
	t0 = tu_now_ms();
	pool(1, 500, 4000);
	submit(ZONEOP_CREATE, "stuck.example", 0, MASTERS, &a);
	/* queued while its worker starts: 2 s, and until the worker is seen held in its start-up */
	while (tu_now_ms() - t0 < 2000 || tu_count_in_file(calls, "held ") < 1) {
		ck_assert_msg(!a.done, "answered (%d) %llu ms after it was started, before its worker started", a.r,
		    (unsigned long long)(tu_now_ms() - t0));
		event_base_loop(base, EVLOOP_ONCE);
	}
	ck_assert_int_eq(remove(hold), 0);
	wait_all(&a, 1);
	took = tu_now_ms() - t0;
	ck_assert_int_eq(a.r, ZONEOP_TIMEOUT);
	ck_assert_int_gt(served_by("Create", "stuck.example"), 0);   /* it hung in the worker, not in the queue */
	ck_assert_uint_ge(took, 3900);
	ck_assert_msg(took < 5500, "answered %llu ms after it was started (operation_timeout 4000 ms, start-up 2000 ms)",
	    (unsigned long long)took);
	pspool_free(pl);
	/* a worker that is not ready within operation_timeout (held until the answer): answered then, from the queue */
	free(tu_write_file(state, "start-hold", "hold"));
	t0 = tu_now_ms();
	pool(1, 500, 1000);
	ck_assert_int_eq(run(ZONEOP_CREATE, "late.example", 0, MASTERS), ZONEOP_FAILED);
	took = tu_now_ms() - t0;
	ck_assert_uint_ge(took, 900);
	ck_assert_msg(took < 2500, "answered %llu ms after it was started (operation_timeout 1000 ms)", (unsigned long long)took);
	ck_assert_int_eq(served_by("Create", "late.example"), -1);
	pspool_free(pl);
	pl = NULL;
	ck_assert_int_eq(remove(hold), 0);
	tu_setenv("PSSIM_START_HOLD", "");
}
END_TEST

START_TEST(worker_killed_from_outside)
{
	struct answer a;
	long victim = -1;
	uint64_t deadline;

	pool(1, 500, 60000);
	set_fault("victim.example", "hang");
	submit(ZONEOP_CREATE, "victim.example", 0, MASTERS, &a);
	deadline = tu_now_ms() + 60000;
	while ((victim = served_by("Create", "victim.example")) < 0) {   /* it has the request */
		ck_assert(tu_now_ms() < deadline);
		event_base_loop(base, EVLOOP_ONCE);
	}
	tu_pid_kill(victim);
	wait_all(&a, 1);
	ck_assert_int_eq(a.r, ZONEOP_FAILED);   /* SERVFAIL at once, not at the 60 s timeout */
	ck_assert_int_eq(run(ZONEOP_CREATE, "after.example", 0, MASTERS), ZONEOP_DONE);
	ck_assert_int_ne(served_by("Create", "after.example"), victim);
	ck_assert_uint_eq(pspool_workers_started(pl), 2);
}
END_TEST

/* A fault on one zone while another zone's operation runs on the other worker: only the faulty one fails. */
static void
break_one(const char *fault)
{
	struct answer a[2];
	long bad;

	pool(2, 500, 20000);
	ck_assert_int_eq(run(ZONEOP_CREATE, "good.example", 0, MASTERS), ZONEOP_DONE);
	set_fault("bad.example", fault);
	submit(ZONEOP_GET, "bad.example", 0, "", &a[0]);
	submit(ZONEOP_GET, "good.example", 0, "", &a[1]);
	wait_all(a, 2);
	ck_assert_msg(a[0].r == ZONEOP_FAILED, "%s: the broken answer was taken (%d)", fault, a[0].r);
	ck_assert_int_eq(a[1].r, ZONEOP_DONE);
	bad = served_by("Get", "bad.example");
	ck_assert_int_gt(bad, 0);
	/* replaced: the pool serves on, never again on the broken worker */
	ck_assert_int_eq(run(ZONEOP_GET, "good.example", 0, ""), ZONEOP_DONE);
	ck_assert_int_eq(run(ZONEOP_CREATE, "third.example", 0, MASTERS), ZONEOP_DONE);
	ck_assert_int_ne(served_by("Get", "good.example"), bad);
	ck_assert_int_ne(served_by("Create", "third.example"), bad);
	ck_assert_uint_eq(pspool_workers_started(pl), 3);
}

START_TEST(junk_answer_replaces_the_worker)
{
	break_one("junk");
}
END_TEST

START_TEST(partial_line_replaces_the_worker)
{
	break_one("partial");
}
END_TEST

START_TEST(answer_for_another_request_replaces_the_worker)
{
	break_one("wrongseq");
}
END_TEST

START_TEST(death_mid_operation_replaces_the_worker)
{
	break_one("die");
}
END_TEST

START_TEST(stray_output_is_not_an_answer)
{
	pool(1, 500, 20000);
	set_fault("chatty.example", "stray");
	ck_assert_int_eq(run(ZONEOP_CREATE, "chatty.example", 0, MASTERS), ZONEOP_DONE);
	ck_assert_int_eq(run(ZONEOP_GET, "chatty.example", 0, ""), ZONEOP_DONE);
	set_fault("chatty.example", "exit=5");
	ck_assert_int_eq(run(ZONEOP_GET, "chatty.example", 0, ""), ZONEOP_FAILED);   /* an answer, not a break */
	ck_assert_uint_eq(pspool_workers_started(pl), 1);
}
END_TEST

START_TEST(recycled_after_max_requests)
{
	long pids[16];
	int i;

	pool(1, 3, 20000);
	for (i = 0; i < 7; i++) {
		char zone[32];

		snprintf(zone, sizeof zone, "r%d.example", i);
		ck_assert_int_eq(run(ZONEOP_CREATE, zone, 0, MASTERS), ZONEOP_DONE);
	}
	ck_assert_uint_eq(all_pids(pids, 16), 3);   /* 3 + 3 + 1 */
	ck_assert_int_eq(served_by("Create", "r0.example"), served_by("Create", "r2.example"));
	ck_assert_int_ne(served_by("Create", "r2.example"), served_by("Create", "r3.example"));
	ck_assert_int_eq(served_by("Create", "r3.example"), served_by("Create", "r5.example"));
	ck_assert_int_ne(served_by("Create", "r5.example"), served_by("Create", "r6.example"));
	pspool_free(pl);
	pl = NULL;
	assert_all_gone();
}
END_TEST

START_TEST(thousand_operations_over_200_zones)
{
	static struct answer a[1000];
	static const enum zoneop_kind kinds[] = { ZONEOP_CREATE, ZONEOP_GET, ZONEOP_REFRESH, ZONEOP_CREATE, ZONEOP_GET };
	int i, done = 0;

	pool(4, 100, 60000);
	for (i = 0; i < 1000; i++) {
		char zone[32];
		enum zoneop_kind k = kinds[i / 200];

		snprintf(zone, sizeof zone, "z%d.example", i % 200);
		submit(k, zone, 0, k == ZONEOP_CREATE ? MASTERS : "", &a[i]);
	}
	wait_all(a, 1000);
	for (i = 0; i < 1000; i++) {
		ck_assert_msg(a[i].done == 1, "operation %d answered %d times", i, a[i].done);
		ck_assert_msg(a[i].r == ZONEOP_DONE, "operation %d: %d", i, a[i].r);
		done++;
	}
	ck_assert_int_eq(done, 1000);
	ck_assert_uint_ge(pspool_workers_started(pl), 10);   /* 4, and each replaced after 100 operations */
	pspool_free(pl);
	pl = NULL;
	assert_all_gone();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pspool");
	TCase *tc = tcase_create("pspool");

	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, operations_and_list);
	tcase_add_test(tc, hung_operation_killed_next_on_a_fresh_worker);
	tcase_add_test(tc, timeout_counts_the_wait_for_a_worker);
	tcase_add_test(tc, worker_killed_from_outside);
	tcase_add_test(tc, junk_answer_replaces_the_worker);
	tcase_add_test(tc, partial_line_replaces_the_worker);
	tcase_add_test(tc, answer_for_another_request_replaces_the_worker);
	tcase_add_test(tc, death_mid_operation_replaces_the_worker);
	tcase_add_test(tc, stray_output_is_not_an_answer);
	tcase_add_test(tc, recycled_after_max_requests);
	tcase_add_test(tc, thousand_operations_over_200_zones);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
