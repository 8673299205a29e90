/* Helpers shared by the tests: sockets with timeouts, free ports, files, hex, the daemon as a child. */
#include "testutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "netaddr.h"

void
tu_init(void)
{
	compat_init();
}

static struct sockaddr_in
loopback(uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	return sin;
}

uint16_t
tu_free_port(void)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		struct sockaddr_in sin = loopback(0);
		ev_socklen_t sl = sizeof sin;
		evutil_socket_t u = socket(AF_INET, SOCK_DGRAM, 0), t;
		uint16_t port;
		int ok;

		bind(u, (struct sockaddr *)&sin, sizeof sin);
		getsockname(u, (struct sockaddr *)&sin, &sl);
		port = ntohs(sin.sin_port);
		t = socket(AF_INET, SOCK_STREAM, 0);
		ok = bind(t, (struct sockaddr *)&sin, sizeof sin) == 0;
		evutil_closesocket(u);
		evutil_closesocket(t);
		if (ok)
			return port;
	}
	return 0;
}

size_t
tu_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex && n < max; hex++) {
		int v;

		if (isspace((unsigned char)*hex))
			continue;
		v = isdigit((unsigned char)*hex) ? *hex - '0' : tolower((unsigned char)*hex) - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static int
wait_readable(evutil_socket_t fd, int timeout_ms)
{
	fd_set rs;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	return select((int)fd + 1, &rs, NULL, NULL, &tv) > 0;
}

long
tu_udp_query(uint16_t port, const void *q, size_t qlen, void *r, size_t rmax, int timeout_ms)
{
	struct sockaddr_in sin = loopback(port);
	evutil_socket_t s = socket(AF_INET, SOCK_DGRAM, 0);
	long n = -1;

	compat_udp_socket((intptr_t)s);
	sendto(s, q, (int)qlen, 0, (struct sockaddr *)&sin, sizeof sin);
	if (wait_readable(s, timeout_ms))
		n = (long)recv(s, r, (int)rmax, 0);
	evutil_closesocket(s);
	return n < 0 ? -1 : n;
}

long
tu_udp_query_to(const char *ip, uint16_t port, const void *q, size_t qlen, void *r, size_t rmax, int timeout_ms)
{
	struct netaddr a;
	struct sockaddr_storage ss;
	int sl;
	evutil_socket_t s;
	long n = -1;

	if (netaddr_parse_ip(ip, &a) != 0)
		return -1;
	a.port = port;
	sl = netaddr_to_sockaddr(&a, &ss);
	s = socket(a.family, SOCK_DGRAM, 0);
	compat_udp_socket((intptr_t)s);
	if (connect(s, (struct sockaddr *)&ss, sl) == 0 && send(s, q, (int)qlen, 0) >= 0 && wait_readable(s, timeout_ms))
		n = (long)recv(s, r, (int)rmax, 0);
	evutil_closesocket(s);
	return n < 0 ? -1 : n;
}

evutil_socket_t
tu_tcp_connect(uint16_t port)
{
	struct sockaddr_in sin = loopback(port);
	evutil_socket_t s = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(s, (struct sockaddr *)&sin, sizeof sin) != 0) {
		evutil_closesocket(s);
		return COMPAT_INVALID_SOCKET;
	}
	return s;
}

int
tu_send_all(evutil_socket_t fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		long n = (long)send(fd, p, (int)len, 0);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tu_tcp_send_msg(evutil_socket_t fd, const void *msg, size_t len)
{
	uint8_t pfx[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	return tu_send_all(fd, pfx, 2) == 0 ? tu_send_all(fd, msg, len) : -1;
}

static long
read_exact(evutil_socket_t fd, uint8_t *buf, size_t len, uint64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		uint64_t now = tu_now_ms();
		long n;

		if (now >= deadline || !wait_readable(fd, (int)(deadline - now)))
			return -1;
		n = (long)recv(fd, (char *)buf + got, (int)(len - got), 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return (long)got;
}

long
tu_tcp_read_msg(evutil_socket_t fd, void *buf, size_t max, int timeout_ms)
{
	uint64_t deadline = tu_now_ms() + (uint64_t)timeout_ms;
	uint8_t pfx[2];
	size_t len;
	long r;

	if ((r = read_exact(fd, pfx, 2, deadline)) <= 0)
		return r;
	len = (size_t)pfx[0] << 8 | pfx[1];
	if (len > max)
		return -1;
	if (len == 0)
		return 0;
	return read_exact(fd, buf, len, deadline);
}

long
tu_tcp_wait_closed(evutil_socket_t fd, int timeout_ms)
{
	uint64_t t0 = tu_now_ms(), deadline = t0 + (uint64_t)timeout_ms;
	char buf[512];

	for (;;) {
		uint64_t now = tu_now_ms();

		if (now >= deadline || !wait_readable(fd, (int)(deadline - now)))
			return -1;
		if (recv(fd, buf, sizeof buf, 0) <= 0)
			return (long)(tu_now_ms() - t0);
	}
}

uint64_t
tu_now_ms(void)
{
	return compat_monotonic_ms();
}

char *
tu_write_file(const char *dir, const char *name, const char *text)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	FILE *f;

	snprintf(path, n, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

char *
tu_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	n = (long)fread(buf, 1, (size_t)n, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
tu_count_in_file(const char *path, const char *needle)
{
	char *text = tu_read_file(path), *p;
	int n = 0;

	if (text == NULL)
		return 0;
	for (p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(text);
	return n;
}

struct tu_proc *
tu_agent_start(const char *dir, const char *conf, uint16_t *port)
{
	char text[8192], portstr[8], *path, *log;
	const char *argv[5];
	const char *p, *hit;
	size_t o = 0, ln = strlen(dir) + 16;
	struct tu_proc *proc;
	uint64_t deadline;

	*port = tu_free_port();
	snprintf(portstr, sizeof portstr, "%u", *port);
	for (p = conf; (hit = strstr(p, "PORT")) != NULL; p = hit + 4)
		o += (size_t)snprintf(text + o, sizeof text - o, "%.*s%s", (int)(hit - p), p, portstr);
	snprintf(text + o, sizeof text - o, "%s", p);
	path = tu_write_file(dir, "agent.conf", text);
	log = malloc(ln);
	snprintf(log, ln, "%s/agent.log", dir);
	argv[0] = tu_program("MSDNS_AGENT");
	argv[1] = "--foreground";   /* Windows: a console run, not a service dispatcher */
	argv[2] = "--config-file";
	argv[3] = path;
	argv[4] = NULL;
	proc = tu_proc_start(argv, log);
	free(path);
	free(log);
	if (proc == NULL)
		return NULL;
	for (deadline = tu_now_ms() + 15000; tu_now_ms() < deadline;) {
		evutil_socket_t s = tu_tcp_connect(*port);

		if (s != COMPAT_INVALID_SOCKET) {
			evutil_closesocket(s);
			return proc;
		}
		if (tu_proc_wait(proc, 0) >= 0)
			break;
		tu_sleep_ms(20);
	}
	tu_proc_free(proc);
	return NULL;
}

int
tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	tu_init();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
