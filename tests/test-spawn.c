/* Tests of spawnop (spawnop.c on proc-posix.c / proc-win32.c): argument vectors, exit codes, output, timeouts, kills. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "compat.h"
#include "log.h"
#include "spawnop.h"
#include "testutil.h"

static struct event_base *base;
static struct spawner *sp;
static char captured[65536];
static size_t caplen;

struct result {
	int done;
	enum spawn_end how;
	long code;
};

static void
sink(enum log_level lvl, const char *module, const char *text)
{
	(void)lvl;
	if (strcmp(module, "spawn") == 0 && caplen + strlen(text) + 2 < sizeof captured)
		caplen += (size_t)snprintf(captured + caplen, sizeof captured - caplen, "%s\n", text);
}

static void
on_done(void *arg, enum spawn_end how, long code)
{
	struct result *r = arg;

	r->done++;
	r->how = how;
	r->code = code;
	event_base_loopbreak(base);
}

static void
setup(void)
{
	tu_init();
	base = event_base_new();
	sp = spawner_new(base);
	caplen = 0;
	captured[0] = '\0';
	log_set_sink(sink);
}

static void
teardown(void)
{
	log_set_sink(NULL);
	spawner_free(sp);
	event_base_free(base);
}

/* Run the simulator with args; wait for its end (at most 60 s: Wine under load is slow to crash). */
static void
run(const char *const *args, unsigned timeout_ms, struct result *r)
{
	const char *argv[24];
	size_t i;
	struct timeval guard = { 60, 0 };

	memset(r, 0, sizeof *r);
	argv[0] = tu_program("MSDNS_PSSIM");
	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	ck_assert_int_eq(spawn_start(sp, argv, timeout_ms, "child", NULL, on_done, r), 0);
	event_base_loopexit(base, &guard);
	event_base_dispatch(base);
	ck_assert_int_eq(r->done, 1);
}

static const char *const hostile[] = {
	"two words", "", "\"", "a\"b", "\\", "a\\", "a\\\\", "a\\\"b", "C:\\Program Files\\x\\", "trailing ",
	"%PATH%", "$(Get-Process)", "'q'", "`b`", "a;b&c|d^e", "-Zone",
};

START_TEST(argv_round_trip)
{
	const char *args[sizeof hostile / sizeof hostile[0] + 2];
	struct result r;
	size_t i;

	args[0] = "--echo-args";
	for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
		args[i + 1] = hostile[i];
	args[i + 1] = NULL;
	run(args, 10000, &r);
	ck_assert_int_eq(r.how, SPAWN_EXITED);
	ck_assert_int_eq(r.code, 0);
	for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		char want[256];
		size_t o = (size_t)snprintf(want, sizeof want, "child: arg%zu=", i);
		const unsigned char *p;

		for (p = (const unsigned char *)hostile[i]; *p; p++)
			o += (size_t)snprintf(want + o, sizeof want - o, "%02x", *p);
		snprintf(want + o, sizeof want - o, "\n");
		ck_assert_msg(strstr(captured, want) != NULL, "argument %zu (%s) did not arrive intact:\n%s", i,
		    hostile[i], captured);
	}
}
END_TEST

START_TEST(exit_codes)
{
	static const char *const codes[] = { "0", "1", "2", "3", "4", "5", "77", "255" };
	size_t i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		const char *args[] = { "--exit", codes[i], NULL };
		struct result r;

		run(args, 10000, &r);
		ck_assert_int_eq(r.how, SPAWN_EXITED);
		ck_assert_int_eq(r.code, atol(codes[i]));
	}
}
END_TEST

START_TEST(output_captured)
{
	const char *args[] = { "--lines", "300", NULL };
	struct result r;

	run(args, 10000, &r);
	ck_assert_int_eq(r.how, SPAWN_EXITED);
	ck_assert_ptr_nonnull(strstr(captured, "child: line 0 of output\n"));
	ck_assert_ptr_nonnull(strstr(captured, "child: line 198 of output\n"));   /* 200 lines: pid=, then 0..198 */
	ck_assert_ptr_null(strstr(captured, "line 250 of output"));
	ck_assert_ptr_nonnull(strstr(captured, "more octets of output not logged"));
}
END_TEST

START_TEST(hung_child_killed)
{
	const char *args[] = { "--hang", NULL };
	struct result r;
	uint64_t t0 = tu_now_ms();
	const char *p;
	long pid;

	/* long enough for a loaded Wine to start the child and let it print its pid before the kill */
	run(args, 3000, &r);
	ck_assert_int_eq(r.how, SPAWN_TIMEOUT);
	ck_assert_uint_ge(tu_now_ms() - t0, 2900);
	ck_assert_uint_lt(tu_now_ms() - t0, 20000);
	p = strstr(captured, "child: pid=");
	ck_assert_ptr_nonnull(p);
	pid = atol(p + strlen("child: pid="));
	tu_sleep_ms(100);
	ck_assert_msg(!tu_pid_alive(pid), "child %ld still alive after the timeout", pid);
}
END_TEST

START_TEST(crash_reported)
{
	const char *args[] = { "--crash", NULL };
	struct result r;

	tu_setenv("ASAN_OPTIONS", "handle_segv=0");   /* in a sanitized build: die by the signal, as without */
	run(args, 50000, &r);
	ck_assert_int_eq(r.how, SPAWN_CRASHED);
}
END_TEST

START_TEST(missing_program)
{
	const char *argv[] = { "/nonexistent/powershell.exe", "-NoLogo", NULL };
	struct result r;

	memset(&r, 0, sizeof r);
	ck_assert_int_eq(spawn_start(sp, argv, 1000, "child", NULL, on_done, &r), -1);
	ck_assert_int_eq(r.done, 0);
	ck_assert_uint_eq(spawner_running(sp), 0);
}
END_TEST

START_TEST(free_kills_running)
{
	const char *argv[] = { tu_program("MSDNS_PSSIM"), "--hang", NULL };
	struct result r;

	memset(&r, 0, sizeof r);
	ck_assert_int_eq(spawn_start(sp, argv, 60000, "child", NULL, on_done, &r), 0);
	ck_assert_uint_eq(spawner_running(sp), 1);
	spawner_free(sp);
	sp = spawner_new(base);
	ck_assert_int_eq(r.done, 1);
	ck_assert_int_eq(r.how, SPAWN_KILLED);
}
END_TEST

/* The program itself lives in a folder with spaces and non-ASCII letters (C:\Program Files\...). */
START_TEST(program_path_with_spaces)
{
	char *dir = tu_tmpdir("msdns spawn"), *sub, *copy;
	const char *src = tu_program("MSDNS_PSSIM");
	const char *suffix = strstr(src, ".exe") ? ".exe" : "";
	const char *argv[4];
	struct result r;

	ck_assert_ptr_nonnull(dir);
	sub = malloc(strlen(dir) + 64);
	sprintf(sub, "%s/Zone T\xc3\xb6ols", dir);
	ck_assert_int_eq(compat_mkdir(sub), 0);
	copy = malloc(strlen(sub) + 32);
	sprintf(copy, "%s/pssim copy%s", sub, suffix);
	ck_assert_int_eq(tu_copy_program(src, copy), 0);
	argv[0] = copy;
	argv[1] = "--exit";
	argv[2] = "42";
	argv[3] = NULL;
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(spawn_start(sp, argv, 10000, "child", NULL, on_done, &r), 0);
	event_base_dispatch(base);
	ck_assert_int_eq(r.how, SPAWN_EXITED);
	ck_assert_int_eq(r.code, 42);
	free(copy);
	free(sub);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("spawn");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, argv_round_trip);
	tcase_add_test(tc, exit_codes);
	tcase_add_test(tc, output_captured);
	tcase_add_test(tc, hung_child_killed);
	tcase_add_test(tc, crash_reported);
	tcase_add_test(tc, missing_program);
	tcase_add_test(tc, free_kills_running);
	tcase_add_test(tc, program_path_with_spaces);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
