/* Tests of the agent module: every row of PROTOCOL.md §3 through the test backend. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent-req.h"
#include "agent.h"
#include "config.h"
#include "log.h"
#include "testbackend.h"
#include "testutil.h"
#include "vectors.h"
#include "zoneq.h"

static struct event_base *base;
static struct config cfg;
static struct zoneq *q;
static struct agent_req *agent;
static struct backend *backend;

static void
setup(void)
{
	struct zoneq_limits lim = { 0, 4, 100, 0 };

	base = event_base_new();
	config_defaults(&cfg);
	cfg.agent.backend_driver = CONFIG_BACKEND_FAKE;
	netaddr_parse_prefix("0.0.0.0", &cfg.agent.allow_notify[0].addr, &cfg.agent.allow_notify[0].bits);
	cfg.agent.n_allow_notify = 1;
	backend = tb_backend_new(base, TB_AUTO);
	q = zoneq_new(base, backend, &lim);
	agent = agent_req_new(&cfg, q);
}

static void
teardown(void)
{
	agent_req_free(agent);
	zoneq_free(q);
	backend_free(backend);
	event_base_free(base);
}

struct got {
	int called;
	size_t len;
	uint8_t buf[WIRE_OUR_PAYLOAD];
};

static void
on_reply(void *arg, const uint8_t *reply, size_t len)
{
	struct got *g = arg;

	g->called++;
	g->len = len;
	if (len)
		memcpy(g->buf, reply, len);
}

/* Send msg from src through the agent and run the loop until it answered. */
static void
ask(const uint8_t *msg, size_t len, const char *src, struct got *g)
{
	struct netaddr peer;

	memset(g, 0, sizeof *g);
	netaddr_parse_ip(src, &peer);
	peer.port = 40000;
	agent_req_handle(agent, msg, len, &peer, "udp", on_reply, g);
	event_base_dispatch(base);
	ck_assert_int_eq(g->called, 1);
	ck_assert_uint_eq(zoneq_pending(q), 0);
}

static size_t
query(const char *zone, uint16_t flags, uint16_t qtype, uint16_t qclass, int edns, uint8_t *out)
{
	uint8_t name[WIRE_NAME_MAX];
	size_t nl = wire_name_from_text(zone, name);

	ck_assert_uint_gt(nl, 0);
	return wire_build_query(0x4242, flags, name, nl, qtype, qclass, edns, out, 600);
}

#define FLAGS_CC 0x7400
#define FLAGS_NOTIFY 0x2100


START_TEST(golden_vectors)
{
	const struct tu_golden *v = &tu_golden[_i];
	uint8_t req[128], want[128];
	size_t rl = tu_hex(v->request, req, sizeof req), wl = tu_hex(v->reply, want, sizeof want);
	struct got g;

	tb.result = ZONEOP_DONE;
	ask(req, rl, v->source, &g);
	ck_assert_uint_eq(g.len, wl);
	ck_assert_mem_eq(g.buf, want, wl);
	ck_assert_int_eq((int)tb.n, v->allowed);
	if (v->allowed)
		ck_assert_str_eq(tb_last()->zone, "example.com");
}
END_TEST

struct row {
	uint16_t flags, qtype, qclass;
	enum zoneop_result result;
	unsigned rcode;
	int aa;
	int calls;
	enum zoneop_kind op;
};

/* PROTOCOL.md §3 with the backend's result (and DESIGN.md's "not ours"). */
static const struct row table[] = {
	{ FLAGS_NOTIFY, 6, 1, ZONEOP_ABSENT, 5, 0, 1, ZONEOP_REFRESH },
	{ FLAGS_NOTIFY, 6, 1, ZONEOP_DONE, 0, 1, 1, ZONEOP_REFRESH },
	{ FLAGS_NOTIFY, 6, 1, ZONEOP_FAILED, 2, 0, 1, ZONEOP_REFRESH },
	{ FLAGS_NOTIFY, 6, 1, ZONEOP_TIMEOUT, 2, 0, 1, ZONEOP_REFRESH },
	{ 0x2400, 6, 1, ZONEOP_DONE, 0, 1, 1, ZONEOP_REFRESH },             /* NOTIFY with AA, older mDNS */
	{ FLAGS_CC, 65282, 65280, ZONEOP_DONE, 0, 1, 1, ZONEOP_CREATE },
	{ FLAGS_CC, 65282, 65280, ZONEOP_FAILED, 2, 0, 1, ZONEOP_CREATE },
	{ FLAGS_CC, 65282, 65280, ZONEOP_NOT_OURS, 2, 0, 1, ZONEOP_CREATE },
	{ FLAGS_CC, 65282, 65280, ZONEOP_TIMEOUT, 2, 0, 1, ZONEOP_CREATE },
	{ FLAGS_CC, 65283, 65280, ZONEOP_DONE, 0, 1, 1, ZONEOP_DELETE },
	{ FLAGS_CC, 65283, 65280, ZONEOP_ABSENT, 0, 1, 1, ZONEOP_DELETE },
	{ FLAGS_CC, 65283, 65280, ZONEOP_FAILED, 2, 1, 1, ZONEOP_DELETE },
	{ FLAGS_CC, 65283, 65280, ZONEOP_NOT_OURS, 2, 1, 1, ZONEOP_DELETE },
	{ FLAGS_CC, 65282, 1, ZONEOP_DONE, 5, 0, 0, 0 },                     /* CC, class IN */
	{ FLAGS_CC, 65280, 65280, ZONEOP_DONE, 5, 0, 0, 0 },                 /* CC, type SUCCESS */
	{ FLAGS_CC, 6, 65280, ZONEOP_DONE, 5, 0, 0, 0 },
	{ 0x0100, 6, 1, ZONEOP_DONE, 5, 0, 0, 0 },                           /* QUERY with RD */
	{ 0x0800, 6, 1, ZONEOP_DONE, 5, 0, 0, 0 },                           /* IQUERY */
	{ 0x1000, 6, 1, ZONEOP_DONE, 5, 0, 0, 0 },                           /* STATUS */
	{ 0x2900, 6, 1, ZONEOP_DONE, 5, 0, 0, 0 },                           /* UPDATE with RD */
	{ 0x7800 | 0x0100, 65282, 65280, ZONEOP_DONE, 5, 0, 0, 0 },          /* opcode 15 */
};

START_TEST(protocol_table)
{
	const struct row *r = &table[_i];
	uint8_t req[600];
	size_t rl = query("Example.COM.", r->flags, r->qtype, r->qclass, 0, req);
	struct got g;

	tb.result = r->result;
	ask(req, rl, "0.0.0.0", &g);
	ck_assert_uint_eq(g.len, rl);
	ck_assert_uint_eq(g.buf[0], 0x42);
	ck_assert_uint_eq(g.buf[2] & 0x80, 0x80);                              /* QR */
	ck_assert_uint_eq(g.buf[2] & 0x78, (r->flags >> 8) & 0x78);            /* opcode */
	ck_assert_uint_eq(g.buf[2] & 0x01, (r->flags >> 8) & 0x01);            /* RD copied */
	ck_assert_uint_eq(!!(g.buf[2] & 0x04), r->aa);
	ck_assert_uint_eq(g.buf[3] & 0x0f, r->rcode);
	ck_assert_mem_eq(g.buf + 12, req + 12, rl - 12);                       /* question, case kept */
	ck_assert_int_eq((int)tb.n, r->calls);
	if (r->calls) {
		ck_assert_int_eq(tb_last()->kind, r->op);
		ck_assert_str_eq(tb_last()->zone, "example.com");
	}
}
END_TEST

START_TEST(no_reply_cases)
{
	uint8_t req[600];
	size_t rl;
	struct got g;

	rl = query("example.com", 0x8000 | FLAGS_CC, 65282, 65280, 0, req);   /* QR set */
	ask(req, rl, "0.0.0.0", &g);
	ck_assert_uint_eq(g.len, 0);
	ask(req, 11, "0.0.0.0", &g);                                          /* unparsable */
	ck_assert_uint_eq(g.len, 0);
	rl = query("example.com", FLAGS_CC, 65282, 65280, 0, req);
	req[5] = 0;                                                           /* zero questions */
	ask(req, 12, "0.0.0.0", &g);
	ck_assert_uint_eq(g.len, 0);
	ck_assert_int_eq((int)tb.n, 0);
}
END_TEST

START_TEST(tsig_signed_no_reply)
{
	uint8_t req[600];
	size_t rl = query("example.com", FLAGS_CC, 65282, 65280, 0, req);
	static const uint8_t tsig[] = { 3, 'k', 'e', 'y', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0 };
	struct got g;

	memcpy(req + rl, tsig, sizeof tsig);
	req[11] = 1;
	ask(req, rl + sizeof tsig, "0.0.0.0", &g);
	ck_assert_uint_eq(g.len, 0);
	ck_assert_int_eq((int)tb.n, 0);
}
END_TEST

START_TEST(edns_echoed)
{
	uint8_t req[600];
	size_t rl = query("example.com", FLAGS_CC, 65282, 65280, 1, req);
	struct got g;

	tb.result = ZONEOP_DONE;
	ask(req, rl, "0.0.0.0", &g);
	ck_assert_uint_eq(g.len, rl);
	ck_assert_uint_eq(g.buf[11], 1);
	ck_assert_uint_eq(g.buf[rl - 11 + 3], 0x20);
	ck_assert_uint_eq(g.buf[rl - 11 + 4], 0x00);
}
END_TEST

START_TEST(only_first_question_acted_on)
{
	uint8_t req[600], n1[WIRE_NAME_MAX], n2[WIRE_NAME_MAX];
	size_t l1 = wire_name_from_text("one.example", n1), l2 = wire_name_from_text("two.example", n2), rl;
	struct got g;

	rl = wire_build_query(1, FLAGS_CC, n1, l1, 65282, 65280, 0, req, sizeof req);
	memcpy(req + rl, n2, l2);
	memcpy(req + rl + l2, "\xff\x02\xff\x00", 4);
	rl += l2 + 4;
	req[5] = 2;
	tb.result = ZONEOP_DONE;
	ask(req, rl, "0.0.0.0", &g);
	ck_assert_uint_eq(g.len, rl - 7);   /* the second question's "example" points to the first's */
	ck_assert_uint_eq(g.buf[5], 2);
	ck_assert_int_eq((int)tb.n, 1);
	ck_assert_str_eq(tb_last()->zone, "one.example");
}
END_TEST

static const char *const hostile[] = {
	"-rf.example.", "a\\032b.example.", "a;b.example.", "ex$(calc).com.", "a'b.example.",
	"a\\\"b.example.", "a\\226\\128\\153b.example.", "back\\\\slash.example.", "a\\000b.example.",
	"star*.example.", ".", "new\\010line.example.",
};

START_TEST(hostile_zone_names_refused)
{
	uint8_t req[600];
	size_t rl = query(hostile[_i], FLAGS_CC, 65282, 65280, 0, req);
	struct got g;

	tb.result = ZONEOP_DONE;
	ask(req, rl, "0.0.0.0", &g);
	ck_assert_uint_eq(g.buf[3] & 0x0f, 5);
	ck_assert_int_eq((int)tb.n, 0);
}
END_TEST

START_TEST(zone_name_rules)
{
	uint8_t name[WIRE_NAME_MAX];
	char out[ZONE_NAME_MAX], text[300];
	size_t nl;

	nl = wire_name_from_text("_Tcp.Sub-1.EXAMPLE.com.", name);
	ck_assert_int_eq(agent_zone_name(name, nl, out), 0);
	ck_assert_str_eq(out, "_tcp.sub-1.example.com");
	nl = wire_name_from_text("a-.b", name);
	ck_assert_int_eq(agent_zone_name(name, nl, out), 0);
	/* 253 characters fit, 254 do not (the wire name caps at 255 octets = 253 characters) */
	memset(text, 'a', 63); text[63] = '.';
	memset(text + 64, 'b', 63); text[127] = '.';
	memset(text + 128, 'c', 63); text[191] = '.';
	memset(text + 192, 'd', 61); text[253] = '\0';
	nl = wire_name_from_text(text, name);
	ck_assert_uint_eq(nl, 255);
	ck_assert_int_eq(agent_zone_name(name, nl, out), 0);
	ck_assert_uint_eq(strlen(out), 253);
}
END_TEST

/* A flood of junk costs neither replies nor a log line each (per-request lines skip the sink: the
 * log file shows them). */
START_TEST(drop_logging_is_bounded)
{
	uint8_t junk[3] = { 1, 2, 3 };
	struct got g;
	char *tmp = tu_tmpdir("msdns-agent-log"), path[600];
	int i, drop_lines, summary_lines;

	ck_assert_ptr_nonnull(tmp);
	snprintf(path, sizeof path, "%s/agent.log", tmp);
	ck_assert_int_eq(log_init(0, path), 0);
	for (i = 0; i < 1000; i++) {
		ask(junk, sizeof junk, "192.0.2.7", &g);
		ck_assert_uint_eq(g.len, 0);
	}
	agent_req_free(agent);   /* writes the count of what it did not log */
	agent = agent_req_new(&cfg, q);
	log_init(0, NULL);
	drop_lines = tu_count_in_file(path, "dropped: unparsable message");
	summary_lines = tu_count_in_file(path, "more messages dropped without a reply were not logged");
	ck_assert_int_ge(drop_lines, 1);
	ck_assert_int_le(drop_lines, 30);          /* 10 a second, and this takes well under 3 s */
	ck_assert_int_ge(summary_lines, 1);
	ck_assert_int_le(summary_lines, 3);
	free(tmp);
}
END_TEST

/* A request the queue does not accept (max_queued) is answered SERVFAIL at once; nothing is lost. */
START_TEST(queue_full_servfail)
{
	struct zoneq_limits lim = { 0, 1, 1, 0 };
	struct zoneq *small = zoneq_new(base, backend, &lim);
	struct agent_req *a2 = agent_req_new(&cfg, small);
	uint8_t r1[600], r2[600];
	size_t l1 = query("one.example", FLAGS_CC, 65282, 65280, 0, r1), l2 = query("two.example", FLAGS_CC, 65282, 65280, 0, r2);
	struct netaddr peer;
	struct got g1, g2;

	memset(&g1, 0, sizeof g1);
	memset(&g2, 0, sizeof g2);
	netaddr_parse_ip("0.0.0.0", &peer);
	tb.result = ZONEOP_DONE;
	agent_req_handle(a2, r1, l1, &peer, "udp", on_reply, &g1);
	agent_req_handle(a2, r2, l2, &peer, "udp", on_reply, &g2);
	ck_assert_int_eq(g1.called, 0);
	ck_assert_int_eq(g2.called, 1);                      /* answered before the loop runs */
	ck_assert_uint_eq(g2.buf[3] & 0x0f, 2);              /* SERVFAIL */
	ck_assert_uint_eq(g2.buf[2] & 0x04, 0);              /* no AA: Designate retries */
	event_base_dispatch(base);
	ck_assert_int_eq(g1.called, 1);
	ck_assert_uint_eq(g1.buf[3] & 0x0f, 0);
	ck_assert_int_eq((int)tb.n, 1);
	ck_assert_uint_eq(zoneq_pending(small), 0);
	agent_req_free(a2);
	zoneq_free(small);
}
END_TEST

/* delete_unmanaged_zones = true asks the backend to delete even a zone that is not ours; Create never. */
START_TEST(delete_unmanaged_flag)
{
	uint8_t req[600];
	size_t rl = query("example.com", FLAGS_CC, 65283, 65280, 0, req);
	struct got g;

	tb.result = ZONEOP_DONE;
	ask(req, rl, "0.0.0.0", &g);
	ck_assert_uint_eq(tb_last()->flags, 0);
	cfg.msdns.delete_unmanaged_zones = 1;
	ask(req, rl, "0.0.0.0", &g);
	ck_assert_uint_eq(tb_last()->flags, ZONEOP_F_UNMANAGED);
	rl = query("example.com", FLAGS_CC, 65282, 65280, 0, req);
	ask(req, rl, "0.0.0.0", &g);
	ck_assert_int_eq(tb_last()->kind, ZONEOP_CREATE);
	ck_assert_uint_eq(tb_last()->flags, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("agent");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, golden_vectors, 0, TU_GOLDEN_N);
	tcase_add_loop_test(tc, protocol_table, 0, (int)(sizeof table / sizeof table[0]));
	tcase_add_test(tc, no_reply_cases);
	tcase_add_test(tc, tsig_signed_no_reply);
	tcase_add_test(tc, edns_echoed);
	tcase_add_test(tc, only_first_question_acted_on);
	tcase_add_loop_test(tc, hostile_zone_names_refused, 0, (int)(sizeof hostile / sizeof hostile[0]));
	tcase_add_test(tc, zone_name_rules);
	tcase_add_test(tc, drop_logging_is_bounded);
	tcase_add_test(tc, queue_full_servfail);
	tcase_add_test(tc, delete_unmanaged_flag);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
