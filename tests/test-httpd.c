/* Tests of the httpd module over real sockets: pages, codes, refusals, the connection cap, timeouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "compat.h"
#include "httpd.h"
#include "netaddr.h"
#include "procinfo.h"
#include "testutil.h"

static struct event_base *base;
static struct httpd *h;
static uint16_t port;
static int healthy = 1;
static int metrics_calls;

static char *
dup_page(const char *text, size_t *len)
{
	*len = strlen(text);
	return strdup(text);
}

static char *
page_metrics(void *arg, size_t *len)
{
	(void)arg;
	metrics_calls++;
	return dup_page("# HELP msdns_agent_up Up.\n# TYPE msdns_agent_up gauge\nmsdns_agent_up 1\n", len);
}

static char *
page_status(void *arg, size_t *len)
{
	(void)arg;
	return dup_page("{\"version\":\"0\"}", len);
}

static int
page_health(void *arg, char *why, size_t whylen)
{
	(void)arg;
	if (healthy)
		return 0;
	snprintf(why, whylen, "powershell: not found");
	return -1;
}

static const struct httpd_pages pages = { page_metrics, page_status, page_health, NULL };

static void
setup(void)
{
	struct netaddr a;

	tu_init();
	base = event_base_new();
	ck_assert_int_eq(netaddr_parse_ip("127.0.0.1", &a), 0);
	a.port = port = tu_free_port();
	h = httpd_new(base, &a, &pages);
	ck_assert_ptr_nonnull(h);
	healthy = 1;
	metrics_calls = 0;
}

static void
teardown(void)
{
	httpd_free(h);
	event_base_free(base);
}

/* Run the loop for about ms. */
static void
spin(int ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)ms;

	while (tu_now_ms() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		tu_sleep_ms(1);
	}
}

/* Send raw on a new connection and read until the server closes or timeout_ms; returns what came
 * back (caller frees) and closes. */
static char *
exchange_on(evutil_socket_t s, const char *raw, size_t rawlen, int timeout_ms)
{
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap + 1);
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;

	ck_assert(s != COMPAT_INVALID_SOCKET);
	evutil_make_socket_nonblocking(s);
	if (rawlen > 0)
		ck_assert_int_eq(tu_send_all(s, raw, rawlen), 0);
	while (tu_now_ms() < end) {
		long n;
		event_base_loop(base, EVLOOP_NONBLOCK);
		n = (long)recv(s, out + len, (int)(cap - len), 0);
		if (n == 0)
			break;
		if (n > 0) {
			len += (size_t)n;
			if (len == cap)
				break;
			continue;
		}
		tu_sleep_ms(1);
	}
	evutil_closesocket(s);
	out[len] = '\0';
	return out;
}

static char *
exchange(const char *raw, int timeout_ms)
{
	return exchange_on(tu_tcp_connect(port), raw, strlen(raw), timeout_ms);
}

static char *
get(const char *method, const char *path)
{
	char req[512];

	snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", method, path);
	return exchange(req, 5000);
}

START_TEST(metrics_page)
{
	char *r = get("GET", "/metrics");

	ck_assert_msg(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "\r\n\r\n# HELP msdns_agent_up Up.\n"));
	free(r);
	r = get("HEAD", "/metrics");
	ck_assert_msg(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
	ck_assert_ptr_null(strstr(r, "msdns_agent_up 1"));
	free(r);
	r = get("GET", "/metrics?x=1");
	ck_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	free(r);
	ck_assert_int_eq(metrics_calls, 3);
}
END_TEST

START_TEST(health_and_status)
{
	char *r = get("GET", "/healthz");

	ck_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	ck_assert_ptr_nonnull(strstr(r, "\r\n\r\nok\n"));
	free(r);
	healthy = 0;
	r = get("GET", "/healthz");
	ck_assert_msg(strncmp(r, "HTTP/1.1 503 ", 13) == 0, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\r\n\r\npowershell: not found\n"));
	free(r);
	r = get("GET", "/status");
	ck_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "\r\n\r\n{\"version\":\"0\"}"));
	free(r);
}
END_TEST

START_TEST(refusals)
{
	static const char *const methods[] = { "POST", "PUT", "DELETE", "OPTIONS", "PATCH" };
	char *r;
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		r = get(methods[i], "/metrics");
		ck_assert_msg(strncmp(r, "HTTP/1.1 405 ", 13) == 0, "%s: %s", methods[i], r);
		ck_assert_ptr_nonnull(strstr(r, "Allow: GET, HEAD\r\n"));
		free(r);
	}
	r = get("GET", "/");
	ck_assert(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
	free(r);
	r = get("GET", "/metricsx");
	ck_assert(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
	free(r);
	/* a body is refused */
	r = exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 5000);
	ck_assert_msg(strncmp(r, "HTTP/1.1 413 ", 13) == 0, "%s", r);
	free(r);
	/* garbage gets a 400 and a close */
	r = exchange("\x16\x03\x01garbage\r\n\r\n", 5000);
	ck_assert_msg(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "%s", r);
	free(r);
	ck_assert_int_eq(metrics_calls, 0);
}
END_TEST

START_TEST(oversized_headers)
{
	size_t n = 64 * 1024, i;
	char *req = malloc(n + 64), *r;

	strcpy(req, "GET /metrics HTTP/1.1\r\nX-Big: ");
	for (i = strlen(req); i < n; i++)
		req[i] = 'a';
	strcpy(req + n, "\r\n\r\n");
	r = exchange(req, 5000);
	ck_assert_msg(strncmp(r, "HTTP/1.1 4", 10) == 0 || r[0] == '\0', "%.60s", r);
	ck_assert_ptr_null(strstr(r, "msdns_agent_up"));
	free(r);
	free(req);
	ck_assert_int_eq(metrics_calls, 0);
}
END_TEST

START_TEST(connection_cap_and_timeout)
{
	evutil_socket_t idle[20];
	size_t i;
	char *r;

	/* 20 connections that send nothing: at most HTTPD_MAX_CONNECTIONS are taken in, the rest wait in
	 * the listen backlog */
	for (i = 0; i < 20; i++) {
		idle[i] = tu_tcp_connect(port);
		ck_assert(idle[i] != COMPAT_INVALID_SOCKET);
		spin(10);
	}
	spin(300);
	ck_assert_uint_eq(httpd_connections(h), HTTPD_MAX_CONNECTIONS);
	/* the ones taken in are closed at the timeout, then the next are taken in */
	spin((HTTPD_TIMEOUT_S + 1) * 1000);
	ck_assert_uint_le(httpd_connections(h), HTTPD_MAX_CONNECTIONS);
	for (i = 0; i < 20; i++)
		evutil_closesocket(idle[i]);
	spin(300);
	r = get("GET", "/healthz");
	ck_assert_msg(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
	free(r);
	for (i = 0; i < 50 && httpd_connections(h) > 0; i++)
		spin(100);
	ck_assert_uint_eq(httpd_connections(h), 0);
}
END_TEST

START_TEST(slow_headers_closed_at_timeout)
{
	evutil_socket_t s = tu_tcp_connect(port);
	uint64_t t0 = tu_now_ms(), sent_until;
	char *r;
	int i;

	ck_assert(s != COMPAT_INVALID_SOCKET);
	evutil_make_socket_nonblocking(s);
	/* one octet every 200 ms never completes a request: the connection must still end */
	for (i = 0; i < 10; i++) {
		send(s, "G", 1, 0);
		spin(200);
	}
	sent_until = tu_now_ms();
	r = exchange_on(s, NULL, 0, (HTTPD_TIMEOUT_S + 3) * 1000);
	ck_assert_uint_lt(tu_now_ms() - t0, (HTTPD_TIMEOUT_S + 4) * 1000);
	ck_assert_uint_lt(tu_now_ms() - sent_until, (HTTPD_TIMEOUT_S + 2) * 1000);
	free(r);
	for (i = 0; i < 50 && httpd_connections(h) > 0; i++)
		spin(100);
	ck_assert_uint_eq(httpd_connections(h), 0);
}
END_TEST

START_TEST(trickle_ended_at_lifetime)
{
	evutil_socket_t s = tu_tcp_connect(port);
	uint64_t t0 = tu_now_ms();
	int i;
	long n = 1;

	ck_assert(s != COMPAT_INVALID_SOCKET);
	evutil_make_socket_nonblocking(s);
	/* one octet every second keeps evhttp's idle timeout from firing; the lifetime still ends it */
	for (i = 0; i < HTTPD_LIFETIME_S + 5 && n != 0; i++) {
		char buf[256];
		send(s, "X", 1, 0);
		spin(1000);
		n = (long)recv(s, buf, sizeof buf, 0);
	}
	ck_assert_msg(n == 0, "still open after %d s", i);
	ck_assert_uint_ge(tu_now_ms() - t0, HTTPD_LIFETIME_S * 1000 - 500);
	evutil_closesocket(s);
}
END_TEST

/* The process's own figures that /metrics shows (procinfo-posix.c / procinfo-win32.c). */
START_TEST(process_figures)
{
	struct timespec now;
	double start = procinfo_start_time();

	compat_realtime(&now);
	ck_assert_int_gt(procinfo_rss_bytes(), 1024 * 1024);
	if (tu_under_wine())
		ck_assert_int_ge(procinfo_open_fds(), 0);   /* Wine's GetProcessHandleCount is a stub: 0 */
	else
		ck_assert_int_gt(procinfo_open_fds(), 2);
	ck_assert_msg(start > (double)now.tv_sec - 3600 && start <= (double)now.tv_sec + 1, "start %f now %ld", start,
	    (long)now.tv_sec);
}
END_TEST

START_TEST(port_in_use)
{
	struct netaddr a;

	ck_assert_int_eq(netaddr_parse_ip("127.0.0.1", &a), 0);
	a.port = port;
	ck_assert_ptr_null(httpd_new(base, &a, &pages));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("httpd");
	TCase *tc = tcase_create("httpd");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, metrics_page);
	tcase_add_test(tc, health_and_status);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, oversized_headers);
	tcase_add_test(tc, connection_cap_and_timeout);
	tcase_add_test(tc, slow_headers_closed_at_timeout);
	tcase_add_test(tc, trickle_ended_at_lifetime);
	tcase_add_test(tc, process_figures);
	tcase_add_test(tc, port_in_use);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run_suite(suite());
}
