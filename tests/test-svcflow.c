/* Tests of svcflow: the states the Service Control Manager is told, with a fake SCM and daemon. */
#include <string.h>

#include "config.h"
#include "svcflow.h"
#include "testutil.h"

static struct svc_status seen[16];
static int nseen;
static int start_fails, run_rc, stop_calls, freed;
static struct svc_flow flow;
static unsigned long control_rc[4];

static void
fake_report(void *ctx, const struct svc_status *st)
{
	(void)ctx;
	ck_assert_int_lt(nseen, 16);
	seen[nseen++] = *st;
}

static struct daemon *
fake_start(void *ctx, const struct config *cfg)
{
	(void)ctx;
	(void)cfg;
	return start_fails ? NULL : (struct daemon *)&flow;   /* any non-NULL pointer */
}

/* Runs "until stopped": the SCM's controls arrive while it runs. */
static int
fake_run(void *ctx, struct daemon *d)
{
	(void)ctx;
	(void)d;
	control_rc[0] = svcflow_control(&flow, SVC_CONTROL_INTERROGATE);
	control_rc[1] = svcflow_control(&flow, SVC_CONTROL_STOP);
	control_rc[2] = svcflow_control(&flow, SVC_CONTROL_SHUTDOWN);   /* a second stop: no second report */
	control_rc[3] = svcflow_control(&flow, 0x80);                   /* a user control */
	return run_rc;
}

static void
fake_stop(void *ctx, struct daemon *d)
{
	(void)ctx;
	(void)d;
	stop_calls++;
}

static void
fake_free(void *ctx, struct daemon *d)
{
	(void)ctx;
	(void)d;
	freed++;
}

static const struct svc_ops ops = { fake_report, fake_start, fake_run, fake_stop, fake_free, NULL };

static struct config cfg;

static void
setup(void)
{
	nseen = start_fails = run_rc = stop_calls = freed = 0;
	config_defaults(&cfg);
	cfg.msdns.operation_timeout = 30;
}

START_TEST(start_run_stop)
{
	ck_assert_int_eq(svcflow_run(&flow, &ops, &cfg), 0);
	ck_assert_int_eq(nseen, 4);
	ck_assert_uint_eq(seen[0].state, SVC_START_PENDING);
	ck_assert_uint_eq(seen[0].checkpoint, 1);
	ck_assert_uint_gt(seen[0].wait_hint_ms, 0);
	ck_assert_uint_eq(seen[0].accepts, 0);                     /* no stop while starting */
	ck_assert_uint_eq(seen[1].state, SVC_RUNNING);
	ck_assert_uint_eq(seen[1].accepts, SVC_ACCEPT_STOP | SVC_ACCEPT_SHUTDOWN | SVC_ACCEPT_PRESHUTDOWN);
	ck_assert_uint_eq(seen[2].state, SVC_STOP_PENDING);
	ck_assert_uint_eq(seen[2].checkpoint, 2);
	ck_assert_uint_eq(seen[2].wait_hint_ms, 35000);            /* operation_timeout + grace */
	ck_assert_uint_eq(seen[3].state, SVC_STOPPED);
	ck_assert_uint_eq(seen[3].win32_exit, SVC_NO_ERROR);
	ck_assert_uint_eq(control_rc[0], SVC_NO_ERROR);
	ck_assert_uint_eq(control_rc[1], SVC_NO_ERROR);
	ck_assert_uint_eq(control_rc[2], SVC_NO_ERROR);
	ck_assert_uint_eq(control_rc[3], SVC_ERROR_CALL_NOT_IMPLEMENTED);
	ck_assert_int_eq(stop_calls, 1);
	ck_assert_int_eq(freed, 1);
}
END_TEST

START_TEST(failed_start_reports_error)
{
	start_fails = 1;
	ck_assert_int_eq(svcflow_run(&flow, &ops, &cfg), 1);
	ck_assert_int_eq(nseen, 2);
	ck_assert_uint_eq(seen[1].state, SVC_STOPPED);
	ck_assert_uint_eq(seen[1].win32_exit, SVC_ERROR_SERVICE_SPECIFIC);   /* recovery actions fire */
	ck_assert_uint_eq(seen[1].specific_exit, 1);
	ck_assert_int_eq(freed, 0);
}
END_TEST

START_TEST(abandoned_work_is_a_failure)
{
	run_rc = 1;   /* in-flight operations had to be abandoned at the stop deadline */
	ck_assert_int_eq(svcflow_run(&flow, &ops, &cfg), 1);
	ck_assert_uint_eq(seen[nseen - 1].state, SVC_STOPPED);
	ck_assert_uint_eq(seen[nseen - 1].win32_exit, SVC_ERROR_SERVICE_SPECIFIC);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("svcflow");
	TCase *tc = tcase_create("svcflow");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, start_run_stop);
	tcase_add_test(tc, failed_start_reports_error);
	tcase_add_test(tc, abandoned_work_is_a_failure);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
