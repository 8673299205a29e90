/* Tests of proc (proc-posix.c / proc-win32.c): lines as printed, stdin, both streams, cut and partial lines, tree kill, descriptors, starts that fail late, kill/free at once, no threads or handles left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "proc.h"
#include "testutil.h"

#define MAX_LINES 64

struct run {
	struct proc *p;
	char text[MAX_LINES][256];
	size_t len[MAX_LINES];
	enum proc_stream stream[MAX_LINES];
	unsigned flags[MAX_LINES];
	int n;
	int lines_after_exit;
	size_t requests;        /* "got request N" lines, N counting up from 0 without a gap */
	int ended;
	enum proc_end how;
	long code;
};

static struct event_base *base;
static struct event *tick;

static void
on_line(void *arg, enum proc_stream s, const char *text, size_t len, unsigned flags)
{
	struct run *r = arg;

	if (r->ended)
		r->lines_after_exit++;
	if (strncmp(text, "got request ", 12) == 0 && (size_t)atol(text + 12) == r->requests)
		r->requests++;
	if (r->n < MAX_LINES) {
		snprintf(r->text[r->n], sizeof r->text[r->n], "%s", text);
		r->len[r->n] = len;
		r->stream[r->n] = s;
		r->flags[r->n] = flags;
		r->n++;
	}
}

static void
on_exit_cb(void *arg, enum proc_end how, long code)
{
	struct run *r = arg;

	r->ended++;
	r->how = how;
	r->code = code;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void
setup(void)
{
	struct timeval tv = { 0, 50 * 1000 };

	tu_init();
	base = event_base_new();
	tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	event_add(tick, &tv);
}

static void
teardown(void)
{
	event_free(tick);
	event_base_free(base);
}

/* Index of the first line equal to text, or -1. */
static int
find(const struct run *r, const char *text)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->text[i], text) == 0)
			return i;
	return -1;
}

/* Run the loop until a line starting with prefix came (or, prefix NULL, the child ended); 60 s at most.
 * Returns the index of that line (-1 for the end); it need not be the last line: more may have come with it. */
static int
wait_for(struct run *r, const char *prefix)
{
	uint64_t deadline = tu_now_ms() + 60000;

	for (;;) {
		int i;

		if (prefix == NULL && r->ended)
			return -1;
		for (i = 0; prefix && i < r->n; i++)
			if (strncmp(r->text[i], prefix, strlen(prefix)) == 0)
				return i;
		ck_assert_msg(tu_now_ms() < deadline, "waited 60 s for %s", prefix ? prefix : "the end");
		event_base_loop(base, EVLOOP_ONCE);
	}
}

static void
start(struct run *r, const char *const *args)
{
	const char *argv[16];
	struct proc_cb cb = { on_line, on_exit_cb, r };
	size_t i;

	memset(r, 0, sizeof *r);
	argv[0] = tu_program("MSDNS_PSSIM");
	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	r->p = proc_start(base, argv, "child", &cb);
	ck_assert_ptr_nonnull(r->p);
}

START_TEST(lines_arrive_as_printed)
{
	const char *args[] = { "--cat", NULL };
	struct run r;

	start(&r, args);
	ck_assert_int_eq(proc_write(r.p, "hello\n", 6), 0);
	wait_for(&r, "got hello");
	ck_assert_int_eq(r.ended, 0);   /* still running: the line came before the end */
	ck_assert_int_eq(proc_write(r.p, "second line\n", 12), 0);
	wait_for(&r, "got second");
	ck_assert_int_eq(r.ended, 0);
	ck_assert_str_eq(r.text[find(&r, "got second line")], "got second line");
	proc_close_stdin(r.p);
	ck_assert_int_eq(proc_write(r.p, "late\n", 5), -1);
	wait_for(&r, NULL);
	ck_assert_int_ge(find(&r, "stdin closed"), 0);
	ck_assert_int_lt(find(&r, "got hello"), find(&r, "stdin closed"));
	ck_assert_int_eq(r.how, PROC_EXITED);
	ck_assert_int_eq(r.code, 0);
	ck_assert_int_eq(r.ended, 1);
	proc_free(r.p);
}
END_TEST

START_TEST(big_write_is_not_lost)
{
	const char *args[] = { "--cat", NULL };
	char *buf = malloc(300 * 1024);
	struct run r;
	size_t i, o = 0;

	/* more than any pipe buffer: written as the child reads */
	for (i = 0; o + 64 < 300 * 1024; i++)
		o += (size_t)sprintf(buf + o, "request %zu\n", i);
	start(&r, args);
	ck_assert_int_eq(proc_write(r.p, buf, o), 0);
	proc_close_stdin(r.p);
	wait_for(&r, NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_uint_eq(r.requests, i);
	proc_free(r.p);
	free(buf);
}
END_TEST

START_TEST(stdout_and_stderr_apart)
{
	const char *args[] = { "--stderr", NULL };
	struct run r;
	int o, e;

	start(&r, args);
	proc_close_stdin(r.p);
	wait_for(&r, NULL);
	o = find(&r, "to stdout");
	e = find(&r, "to stderr");
	ck_assert_int_ge(o, 0);
	ck_assert_int_ge(e, 0);
	ck_assert_int_eq(r.stream[o], PROC_STDOUT);
	ck_assert_int_eq(r.stream[e], PROC_STDERR);
	ck_assert_int_eq(r.lines_after_exit, 0);
	proc_free(r.p);
}
END_TEST

START_TEST(partial_last_line_flagged)
{
	const char *args[] = { "--partial", NULL };
	struct run r;
	int i;

	start(&r, args);
	wait_for(&r, NULL);
	i = find(&r, "no end of line");
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(r.flags[i], PROCLINES_UNTERMINATED);
	ck_assert_int_eq(r.lines_after_exit, 0);   /* handed on before the exit */
	proc_free(r.p);
}
END_TEST

START_TEST(long_line_cut_and_flagged)
{
	const char *args[] = { "--long", "30000", NULL };
	struct run r;
	int i;

	start(&r, args);
	wait_for(&r, NULL);
	ck_assert_int_ge(r.n, 3);
	ck_assert_uint_eq(r.len[1], PROCLINES_MAX);
	ck_assert_uint_eq(r.flags[1], PROCLINES_CUT);
	i = find(&r, "end");
	ck_assert_int_eq(i, 2);
	ck_assert_uint_eq(r.flags[i], 0);
	proc_free(r.p);
}
END_TEST

START_TEST(exit_code_and_crash)
{
	const char *ex[] = { "--exit", "7", NULL }, *cr[] = { "--crash", NULL };
	struct run r;

	start(&r, ex);
	wait_for(&r, NULL);
	ck_assert_int_eq(r.how, PROC_EXITED);
	ck_assert_int_eq(r.code, 7);
	proc_free(r.p);
	tu_setenv("ASAN_OPTIONS", "handle_segv=0");
	start(&r, cr);
	wait_for(&r, NULL);
	ck_assert_int_eq(r.how, PROC_CRASHED);
	proc_free(r.p);
}
END_TEST

START_TEST(kill_takes_the_tree)
{
	const char *args[] = { "--tree", NULL };
	struct run r;
	long child, grandchild;
	int i;

	start(&r, args);
	/* the grandchild prints its own "pid=" on the same pipe: it may come before or after this line */
	i = wait_for(&r, "grandchild=");
	child = proc_pid(r.p);
	grandchild = atol(r.text[i] + strlen("grandchild="));
	ck_assert_int_gt(grandchild, 0);
	ck_assert(tu_pid_alive(grandchild));
	proc_kill(r.p);
	wait_for(&r, NULL);
	proc_free(r.p);
	for (i = 0; i < 50 && tu_pid_alive(grandchild); i++)
		tu_sleep_ms(100);
	ck_assert_msg(!tu_pid_alive(child), "child %ld outlived the kill", child);
	ck_assert_msg(!tu_pid_alive(grandchild), "grandchild %ld outlived the kill", grandchild);
}
END_TEST

START_TEST(free_kills_without_callback)
{
	const char *args[] = { "--hang", NULL };
	struct run r;
	long pid;

	start(&r, args);
	wait_for(&r, "pid=");
	pid = proc_pid(r.p);
	proc_free(r.p);
	ck_assert_int_eq(r.ended, 0);
	tu_sleep_ms(100);
	ck_assert_msg(!tu_pid_alive(pid), "child %ld outlived proc_free", pid);
}
END_TEST

START_TEST(missing_program)
{
	const char *argv[] = { "/nonexistent/powershell.exe", NULL };
	struct run r;
	struct proc_cb cb = { on_line, on_exit_cb, &r };

	memset(&r, 0, sizeof r);
	ck_assert_ptr_null(proc_start(base, argv, "child", &cb));
	ck_assert_int_eq(r.ended, 0);
}
END_TEST

/* A program that is a file but not one that runs: no line, no leftover; on Windows proc_start returns and
 * the start fails on its thread (PROC_NOT_STARTED), elsewhere proc_start says so at once. */
START_TEST(not_a_program)
{
	char *dir = tu_tmpdir("proc-notexe"), *path;
	const char *argv[2];
	struct run r;
	struct proc_cb cb = { on_line, on_exit_cb, &r };

	ck_assert_ptr_nonnull(dir);
	path = tu_write_file(dir, "notaprogram.exe", "this is text, not a program\n");
	ck_assert_ptr_nonnull(path);
	argv[0] = path;
	argv[1] = NULL;
	memset(&r, 0, sizeof r);
	r.p = proc_start(base, argv, "child", &cb);
	if (r.p != NULL) {
		wait_for(&r, NULL);
		ck_assert_int_eq(r.how, PROC_NOT_STARTED);
		ck_assert_int_ne(r.code, 0);
		ck_assert_int_eq(r.n, 0);
		ck_assert_int_eq(proc_wait(r.p, 0), 1);
		proc_free(r.p);
	}
	ck_assert_int_eq(r.ended, r.p != NULL);
	free(path);
	free(dir);
}
END_TEST

/* proc_wait blocks without the loop: it says "still runs" no earlier than its bound, and "ended" when
 * the child ends within it (here: told to by the end of its stdin). */
START_TEST(wait_bounded_and_ended)
{
	const char *hang[] = { "--hang", NULL }, *cat[] = { "--cat", NULL };
	struct run r;
	uint64_t t0, ms;

	start(&r, hang);
	wait_for(&r, "pid=");
	t0 = tu_now_ms();
	ck_assert_int_eq(proc_wait(r.p, 300), 0);
	ms = tu_now_ms() - t0;
#ifdef _WIN32
	ms += 16;   /* Windows' clock moves in ticks of up to 16 ms */
#endif
	ck_assert_msg(ms >= 300, "proc_wait(300) gave up after %llu ms", (unsigned long long)ms);
	proc_kill(r.p);
	ck_assert_int_eq(proc_wait(r.p, 60000), 1);
	wait_for(&r, NULL);
	proc_free(r.p);
	start(&r, cat);
	wait_for(&r, "pid=");
	proc_close_stdin(r.p);
	ck_assert_int_eq(proc_wait(r.p, 60000), 1);
	ck_assert_int_eq(proc_wait(r.p, 0), 1);
	wait_for(&r, NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_int_ge(find(&r, "stdin closed"), 0);
	proc_free(r.p);
}
END_TEST

/* Kill and free at once, while the start may still be under way: the child never outlives them. */
START_TEST(kill_or_free_at_once)
{
	const char *args[] = { "--hang", NULL };
	struct run r;
	long pid;
	int i;

	for (i = 0; i < 3; i++) {
		start(&r, args);
		proc_kill(r.p);
		wait_for(&r, NULL);
		ck_assert_int_eq(r.ended, 1);
		pid = proc_pid(r.p);
		proc_free(r.p);
		ck_assert_msg(pid <= 0 || !tu_pid_alive(pid), "killed child %ld still runs", pid);
		start(&r, args);
		proc_free(r.p);   /* no callback after this */
		ck_assert_int_eq(r.ended, 0);
	}
	start(&r, args);
	pid = proc_pid(r.p);
	ck_assert_int_gt(pid, 0);
	proc_free(r.p);
	tu_sleep_ms(100);
	ck_assert_msg(!tu_pid_alive(pid), "child %ld outlived proc_free", pid);
}
END_TEST

/* Forty children one after another, some killed, some freed at once: afterwards no more threads and no
 * more descriptors or handles than after the first (threads serving children are reused, not piled up). */
START_TEST(many_children_leave_nothing)
{
	const char *ex[] = { "--exit", "3", NULL }, *hang[] = { "--hang", NULL };
	struct run r;
	long threads, handles, t, h;
	int i;

	start(&r, ex);
	wait_for(&r, NULL);
	proc_free(r.p);
	threads = tu_self_threads();
	handles = tu_self_handles();
	for (i = 0; i < 40; i++) {
		start(&r, i % 4 == 3 ? hang : ex);
		if (i % 4 == 3)
			proc_kill(r.p);
		wait_for(&r, NULL);
		ck_assert_int_eq(r.ended, 1);
		if (i % 4 != 3)
			ck_assert_int_eq(r.code, 3);
		proc_free(r.p);
		if (i % 8 == 5) {   /* and one freed while it may still be starting */
			start(&r, hang);
			proc_free(r.p);
		}
	}
	t = tu_self_threads();
	h = tu_self_handles();
	/* the thread pool may keep an idle thread or two more than after the first child */
	ck_assert_msg(threads < 0 || t <= threads + 4, "threads: %ld after the first child, %ld after 45 more", threads, t);
	ck_assert_msg(handles < 0 || h <= handles, "handles: %ld after the first child, %ld after 45 more", handles, h);
}
END_TEST

#ifndef _WIN32
#include <sys/socket.h>
#include <unistd.h>

/* The child gets its three pipes and nothing else, even descriptors of ours without close-on-exec. */
START_TEST(child_gets_only_its_pipes)
{
	const char *args[] = { "--fds", NULL };
	struct run r;
	int leak = dup(2), sock = socket(AF_INET, SOCK_STREAM, 0), i, fds = 0;

	ck_assert_int_ge(leak, 3);
	ck_assert_int_ge(sock, 3);
	start(&r, args);
	wait_for(&r, NULL);
	ck_assert_int_eq(r.code, 0);
	for (i = 0; i < r.n; i++) {
		if (strncmp(r.text[i], "fd=", 3) != 0)
			continue;
		fds++;
		ck_assert_msg(atoi(r.text[i] + 3) <= 2, "the child holds descriptor %s", r.text[i] + 3);
	}
	ck_assert_int_eq(fds, 3);
	proc_free(r.p);
	close(leak);
	close(sock);
}
END_TEST
#endif

int
main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("proc");

	tcase_set_timeout(tc, 90);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lines_arrive_as_printed);
	tcase_add_test(tc, big_write_is_not_lost);
	tcase_add_test(tc, stdout_and_stderr_apart);
	tcase_add_test(tc, partial_last_line_flagged);
	tcase_add_test(tc, long_line_cut_and_flagged);
	tcase_add_test(tc, exit_code_and_crash);
	tcase_add_test(tc, kill_takes_the_tree);
	tcase_add_test(tc, free_kills_without_callback);
	tcase_add_test(tc, missing_program);
	tcase_add_test(tc, not_a_program);
	tcase_add_test(tc, wait_bounded_and_ended);
	tcase_add_test(tc, kill_or_free_at_once);
	tcase_add_test(tc, many_children_leave_nothing);
#ifndef _WIN32
	tcase_add_test(tc, child_gets_only_its_pipes);
#endif
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
