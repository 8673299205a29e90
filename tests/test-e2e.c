/* End-to-end: the real daemon (fake backend) on a loopback port, over real UDP and TCP sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "testutil.h"
#include "vectors.h"
#include "wire.h"

static char *dir;
static struct tu_proc *agent;
static uint16_t port;


static void
start(const char *conf)
{
	dir = tu_tmpdir("msdns-e2e");
	ck_assert_ptr_nonnull(dir);
	agent = tu_agent_start(dir, conf, &port);
	ck_assert_msg(agent != NULL, "agent did not start");
}

static void
stop(void)
{
	tu_proc_term(agent);
	ck_assert_int_eq(tu_proc_wait(agent, 10000), 0);
	tu_proc_free(agent);
	free(dir);
}

#define CONF_ALLOW_LOOPBACK "[service:agent]\nlisten = 127.0.0.1:PORT\nbackend_driver = fake\n" \
	"allow_notify = 127.0.0.1\ntcp_recv_timeout = 0.5\n"

static void
check_udp(const char *req_hex, const char *want_hex)
{
	uint8_t req[512], want[512], got[9000];
	size_t rl = tu_hex(req_hex, req, sizeof req), wl = tu_hex(want_hex, want, sizeof want);
	long n = tu_udp_query(port, req, rl, got, sizeof got, 3000);

	ck_assert_int_eq(n, (long)wl);
	ck_assert_mem_eq(got, want, wl);
}

START_TEST(golden_udp_and_tcp)
{
	size_t i;

	start(CONF_ALLOW_LOOPBACK);
	for (i = 0; i < 3; i++) {
		uint8_t req[512], want[512], got[9000];
		size_t rl = tu_hex(tu_golden[2 * i].request, req, sizeof req), wl = tu_hex(tu_golden[2 * i].reply, want, sizeof want);
		evutil_socket_t s;

		check_udp(tu_golden[2 * i].request, tu_golden[2 * i].reply);
		s = tu_tcp_connect(port);
		ck_assert(s != COMPAT_INVALID_SOCKET);
		ck_assert_int_eq(tu_tcp_send_msg(s, req, rl), 0);
		ck_assert_int_eq(tu_tcp_read_msg(s, got, sizeof got, 3000), (long)wl);
		ck_assert_mem_eq(got, want, wl);
		evutil_closesocket(s);
	}
	stop();
}
END_TEST

START_TEST(golden_not_allowed)
{
	size_t i;

	start("[service:agent]\nlisten = 127.0.0.1:PORT\nbackend_driver = fake\nallow_notify = 192.0.2.1, 10.0.0.0/8\n");
	for (i = 0; i < 3; i++)
		check_udp(tu_golden[2 * i + 1].request, tu_golden[2 * i + 1].reply);
	stop();
}
END_TEST

START_TEST(tcp_pipelining_in_order)
{
	uint8_t all[4096], name[WIRE_NAME_MAX], got[512];
	size_t o = 0, nl = wire_name_from_text("example.com", name);
	evutil_socket_t s;
	int i;

	start(CONF_ALLOW_LOOPBACK);
	for (i = 0; i < 20; i++) {
		uint8_t *m = all + o + 2;
		size_t l = wire_build_query((uint16_t)(1000 + i), i % 2 ? 0x7400 : 0x2100, name, nl,
		    i % 2 ? WIRE_TYPE_CC_CREATE : WIRE_TYPE_SOA, i % 2 ? WIRE_CLASS_CC : WIRE_CLASS_IN, 0, m, 512);

		all[o] = (uint8_t)(l >> 8);
		all[o + 1] = (uint8_t)l;
		o += 2 + l;
	}
	s = tu_tcp_connect(port);
	ck_assert_int_eq(tu_send_all(s, all, o), 0);   /* all twenty in one write */
	for (i = 0; i < 20; i++) {
		long n = tu_tcp_read_msg(s, got, sizeof got, 3000);

		ck_assert_int_gt(n, 12);
		ck_assert_uint_eq((unsigned)(got[0] << 8 | got[1]), (unsigned)(1000 + i));
		ck_assert_uint_eq(got[2] & 0x04, 0x04);
		ck_assert_uint_eq(got[3] & 0x0f, 0);
	}
	evutil_closesocket(s);
	stop();
}
END_TEST

START_TEST(tcp_idle_timeout)
{
	evutil_socket_t s;
	long ms;

	start(CONF_ALLOW_LOOPBACK);
	s = tu_tcp_connect(port);
	ms = tu_tcp_wait_closed(s, 5000);
	ck_assert_msg(ms >= 350 && ms < 2500, "idle connection closed after %ld ms (tcp_recv_timeout 0.5 s)", ms);
	evutil_closesocket(s);
	stop();
}
END_TEST

START_TEST(tcp_half_sent_message)
{
	uint8_t req[512], got[512];
	size_t rl = tu_hex(tu_golden[2].request, req, sizeof req);
	evutil_socket_t s, other;
	long ms;

	start(CONF_ALLOW_LOOPBACK);
	s = tu_tcp_connect(port);
	req[0] = 0;
	/* the length says 29, we send 10 octets and stop */
	ck_assert_int_eq(tu_send_all(s, "\x00\x1d", 2), 0);
	ck_assert_int_eq(tu_send_all(s, req, 10), 0);
	/* meanwhile others are served */
	other = tu_tcp_connect(port);
	tu_hex(tu_golden[2].request, req, sizeof req);
	ck_assert_int_eq(tu_tcp_send_msg(other, req, rl), 0);
	ck_assert_int_eq(tu_tcp_read_msg(other, got, sizeof got, 3000), (long)rl);
	check_udp(tu_golden[0].request, tu_golden[0].reply);
	ms = tu_tcp_wait_closed(s, 5000);
	ck_assert_msg(ms >= 0 && ms < 2500, "half-sent connection not closed (%ld)", ms);
	evutil_closesocket(s);
	evutil_closesocket(other);
	stop();
}
END_TEST

/* Datagrams no parser should accept; after all of them the daemon still answers. */
static const char *const malformed[] = {
	"", "00", "1234", "123470000001000000000000",                                   /* short, no question */
	"12347000000100000000000007",                                                    /* name cut */
	"1234700000010000000000000765786170c00c00ff02ff00",                              /* pointer loop-ish */
	"12347000000100000000000007657861c0ff00ff02ff00",                                /* bad label */
	"123470000001000000000000c00cff02ff00",                                          /* self pointer */
	"123470000001000000000000ff6500ff02ff00",                                        /* label 63+ type bits */
	"12347000ffff000000000000076578616d706c6503636f6d00ff02ff00",                    /* qdcount lies */
	"1234700000010000000000ff076578616d706c6503636f6d00ff02ff00",                    /* arcount lies */
	"123470000001000000000000076578616d706c6503636f6d00ff02ff00deadbeef",            /* trailing */
	"1234f4000001000000000000076578616d706c6503636f6d00ff02ff00",                    /* a response */
	"123470000000000000000000",                                                      /* zero questions */
	"123470000001000000000001076578616d706c6503636f6d00ff02ff0000002900",            /* OPT cut */
	"1234700000010000000000010765786170c00c00ff02ff00000029100000000000000000000029",
};

START_TEST(malformed_then_valid)
{
	uint8_t buf[512], got[512], big[9000];
	size_t i;

	start(CONF_ALLOW_LOOPBACK);
	for (i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		size_t l = tu_hex(malformed[i], buf, sizeof buf);

		ck_assert_msg(tu_udp_query(port, buf, l, got, sizeof got, 150) == -1, "malformed %zu was answered", i);
	}
	memset(big, 0, sizeof big);                 /* larger than the 8192 octets the agent reads */
	ck_assert_int_eq(tu_udp_query(port, big, sizeof big, got, sizeof got, 150), -1);
	check_udp(tu_golden[2].request, tu_golden[2].reply);
	/* and over TCP: a zero-length message and garbage get no answer, the next valid one does */
	{
		evutil_socket_t s = tu_tcp_connect(port);
		uint8_t req[512];
		size_t rl = tu_hex(tu_golden[2].request, req, sizeof req);

		ck_assert_int_eq(tu_send_all(s, "\x00\x00\x00\x03\x01\x02\x03", 7), 0);
		ck_assert_int_eq(tu_tcp_send_msg(s, req, rl), 0);
		ck_assert_int_eq(tu_tcp_read_msg(s, got, sizeof got, 3000), (long)rl);
		ck_assert_uint_eq(got[0], req[0]);
		evutil_closesocket(s);
	}
	stop();
}
END_TEST

START_TEST(connection_cap_pauses_accept)
{
	uint8_t req[512], got[512];
	size_t rl = tu_hex(tu_golden[2].request, req, sizeof req);
	evutil_socket_t a, b, c;

	start("[service:agent]\nlisten = 127.0.0.1:PORT\nbackend_driver = fake\ntcp_max_connections = 2\n"
	    "tcp_recv_timeout = 30\n");
	a = tu_tcp_connect(port);
	b = tu_tcp_connect(port);
	ck_assert_int_eq(tu_tcp_send_msg(a, req, rl), 0);
	ck_assert_int_eq(tu_tcp_read_msg(a, got, sizeof got, 3000), (long)rl);
	ck_assert_int_eq(tu_tcp_send_msg(b, req, rl), 0);
	ck_assert_int_eq(tu_tcp_read_msg(b, got, sizeof got, 3000), (long)rl);
	/* the third waits in the backlog: connected by the kernel, not served */
	c = tu_tcp_connect(port);
	ck_assert(c != COMPAT_INVALID_SOCKET);
	ck_assert_int_eq(tu_tcp_send_msg(c, req, rl), 0);
	ck_assert_int_eq(tu_tcp_read_msg(c, got, sizeof got, 500), -1);
	evutil_closesocket(a);                      /* a slot frees: c is accepted and answered */
	ck_assert_int_eq(tu_tcp_read_msg(c, got, sizeof got, 3000), (long)rl);
	check_udp(tu_golden[0].request, tu_golden[0].reply);   /* UDP never waited */
	evutil_closesocket(b);
	evutil_closesocket(c);
	stop();
}
END_TEST

/* A peer that pipelines requests and never reads the replies stalls only itself: others are served,
 * and its connection is closed once our replies make no progress. */
START_TEST(slow_reader_does_not_block_others)
{
	uint8_t req[512], got[512], batch[64 * 31];
	size_t rl = tu_hex(tu_golden[0].request, req, sizeof req), i, sent = 0;
	evutil_socket_t slow, other;
	int small = 4096;
	long ms;
	uint64_t t0;

	start(CONF_ALLOW_LOOPBACK);
	slow = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, (const char *)&small, sizeof small);
	{
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(0x7f000001);
		ck_assert_int_eq(connect(slow, (struct sockaddr *)&sin, sizeof sin), 0);
	}
	evutil_make_socket_nonblocking(slow);
	for (i = 0; i < 64; i++) {
		batch[i * (rl + 2)] = 0;
		batch[i * (rl + 2) + 1] = (uint8_t)rl;
		memcpy(batch + i * (rl + 2) + 2, req, rl);
	}
	/* send until the agent stops taking requests (its replies pile up unread) */
	for (t0 = tu_now_ms(); tu_now_ms() - t0 < 5000;) {
		long n = (long)send(slow, (const char *)batch, (int)(64 * (rl + 2)), 0);

		if (n <= 0) {
			tu_sleep_ms(50);
			if ((long)send(slow, (const char *)batch, (int)(rl + 2), 0) <= 0)
				break;
			n = (long)(rl + 2);
		}
		sent += (size_t)n;
	}
	ck_assert_uint_gt(sent, 100000);   /* far more than the replies a socket buffer holds */
	check_udp(tu_golden[2].request, tu_golden[2].reply);
	other = tu_tcp_connect(port);
	ck_assert_int_eq(tu_tcp_send_msg(other, req, rl), 0);
	ck_assert_int_eq(tu_tcp_read_msg(other, got, sizeof got, 3000), (long)rl);
	evutil_closesocket(other);
	/* the write timeout (10 s without progress) ends the stalled connection, unread */
	for (t0 = tu_now_ms(); tu_now_ms() - t0 < 30000; tu_sleep_ms(200)) {
		char path[600];

		snprintf(path, sizeof path, "%s/agent.log", dir);
		if (tu_count_in_file(path, "closed: its replies went unread for 10 s") == 1)
			break;
	}
	ck_assert_uint_lt(tu_now_ms() - t0, 30000);
	ms = tu_tcp_wait_closed(slow, 5000);   /* what was in flight drains, then the end */
	ck_assert_int_ge(ms, 0);
	evutil_closesocket(slow);
	check_udp(tu_golden[4].request, tu_golden[4].reply);
	stop();
}
END_TEST

/* On a wildcard address the reply leaves from the address the request was sent to: Designate
 * drops replies from any other (a multi-homed DNS server). */
START_TEST(wildcard_replies_from_destination)
{
	static const char *const dests[] = { "127.0.0.1", "127.0.0.2", "127.0.0.3" };
	uint8_t req[512], got[512];
	size_t rl = tu_hex(tu_golden[2].request, req, sizeof req), i;

	start("[service:agent]\nlisten = 0.0.0.0:PORT, [::]:PORT\nbackend_driver = fake\n");
	for (i = 0; i < sizeof dests / sizeof dests[0]; i++) {
		if (i > 0 && tu_under_wine()) {
			/* Wine's WSASendMsg ignores the IN_PKTINFO source that Windows honours: the
			 * reply would leave from 127.0.0.1 (README, "Only a real Windows host can show") */
			fprintf(stderr, "under Wine: not checking replies from %s\n", dests[i]);
			continue;
		}
		ck_assert_msg(tu_udp_query_to(dests[i], port, req, rl, got, sizeof got, 2000) == (long)rl,
		    "no reply from %s", dests[i]);
	}
	ck_assert_int_eq(tu_udp_query_to("::1", port, req, rl, got, sizeof got, 2000), (long)rl);
	stop();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("e2e");
	TCase *tc = tcase_create("e2e");

	tu_init();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, golden_udp_and_tcp);
	tcase_add_test(tc, golden_not_allowed);
	tcase_add_test(tc, tcp_pipelining_in_order);
	tcase_add_test(tc, tcp_idle_timeout);
	tcase_add_test(tc, tcp_half_sent_message);
	tcase_add_test(tc, malformed_then_valid);
	tcase_add_test(tc, connection_cap_pauses_accept);
	tcase_add_test(tc, wildcard_replies_from_destination);
	tcase_add_test(tc, slow_reader_does_not_block_others);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
