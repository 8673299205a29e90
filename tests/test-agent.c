/* Tests of the agent module: every row of PROTOCOL.md §3 through the test backend. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent-req.h"
#include "agent.h"
#include "config.h"
#include "log.h"
#include "tsig.h"
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

/* ---- A NOTIFY for a catalog signed with the catalog's own tsig_key (issue 10). ---- */
#define SECRET_AGENT "YWdlbnQta2V5LWFnZW50LWtleS1hZ2VudC1rZXktMzI="
#define SECRET_CAT "Y2F0YWxvZy1rZXktY2F0YWxvZy1rZXktY2F0YWxvZzE="
#define SECRET_OTHER "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI="

static const char cat_conf[] =
    "[service:agent]\nmasters = 192.0.2.1\nbackend_driver = fake\nallow_notify = 10.0.0.0/8\ntsig_keys = agentkey.\n"
    "[tsigkey:agentkey.]\nsecret = " SECRET_AGENT "\n"
    "[tsigkey:catkey.]\nsecret = " SECRET_CAT "\n"
    "[tsigkey:otherkey.]\nalgorithm = hmac-sha512\nsecret = " SECRET_OTHER "\n"
    "[catalog:cat.example.]\nmasters = 192.0.2.10\ntsig_key = CatKey\n"
    "[catalog:other.example.]\nmasters = 192.0.2.10\ntsig_key = otherkey.\n"
    "[catalog:both.example.]\nmasters = 192.0.2.10\ntsig_key = agentkey.\n"
    "[catalog:plain.example.]\nmasters = 192.0.2.10\n";

static int cat_claims = 1;       /* what the catalog hook answers */
static char cat_seen[ZONE_NAME_MAX];
static int cat_calls;

static int
cat_hook(void *arg, const char *zone)
{
	(void)arg;
	cat_calls++;
	snprintf(cat_seen, sizeof cat_seen, "%s", zone);
	return cat_claims && (strcmp(zone, "cat.example") == 0 || strcmp(zone, "other.example") == 0 ||
	    strcmp(zone, "both.example") == 0 || strcmp(zone, "plain.example") == 0);
}

/* cfg from text, and a fresh agent over it with the catalog hook. */
static void
cat_agent(const char *text)
{
	FILE *err = tmpfile();

	ck_assert_int_eq(config_load_string(&cfg, text, "t.conf", err), 0);
	fclose(err);
	agent_req_free(agent);
	agent = agent_req_new(&cfg, q);
	agent_req_set_catalog(agent, cat_hook, NULL);
	cat_claims = 1;
	cat_calls = 0;
	cat_seen[0] = '\0';
}

static void
cat_key(struct tsig_key *k, const char *name, const char *alg, const char *secret)
{
	char err[128];

	ck_assert_int_eq(tsig_key_init(k, name, alg, secret, err, sizeof err), 0);
}

/* Ask zone's message (flags, qtype, qclass) signed with k (NULL: unsigned) from src; returns the rcode, sets
 * *tsig_error (-1: the reply has no TSIG) and *verified (the reply's TSIG verifies with k). */
static unsigned
cat_ask(const char *zone, uint16_t flags, uint16_t qtype, uint16_t qclass, const struct tsig_key *k, const char *src,
    int *tsig_error, int *verified, int *aa)
{
	uint8_t req[WIRE_OUR_PAYLOAD];
	size_t rl = query(zone, flags, qtype, qclass, 0, req);
	struct tsig_ctx *c = NULL;
	struct wire_msg m;
	struct got g;

	if (k != NULL) {
		c = tsig_ctx_new(k);
		rl = tsig_sign_request(c, req, rl, sizeof req, (uint64_t)time(NULL));
		ck_assert_uint_gt(rl, 0);
	}
	ask(req, rl, src, &g);
	ck_assert_uint_gt(g.len, 12);
	ck_assert_int_eq(wire_parse(g.buf, g.len, &m), 0);
	*tsig_error = -1;
	*verified = 0;
	if (m.has_tsig) {
		struct wire_tsig t;

		ck_assert_int_eq(wire_get_tsig(g.buf, g.len, &t), 1);
		*tsig_error = t.error;
		*verified = c != NULL && tsig_verify_next(c, g.buf, g.len, (uint64_t)time(NULL)) == TSIG_OK &&
		    tsig_verify_end(c) == TSIG_OK;
	}
	tsig_ctx_free(c);
	*aa = !!(g.buf[2] & 0x04);
	return g.buf[3] & 0x0f;
}

START_TEST(catalog_key_notify)
{
	struct tsig_key kagent, kcat, kother, kwrong;
	int terr, ver, aa;
	unsigned rc;

	cat_agent(cat_conf);
	cat_key(&kagent, "agentkey.", "hmac-sha256", SECRET_AGENT);
	cat_key(&kcat, "catkey.", "hmac-sha256", SECRET_CAT);
	cat_key(&kother, "otherkey.", "hmac-sha512", SECRET_OTHER);
	cat_key(&kwrong, "catkey.", "hmac-sha256", SECRET_OTHER);
	tb.result = ZONEOP_DONE;

	/* the catalog's own key from outside allow_notify: NOERROR AA, signed reply, a check, no refresh */
	rc = cat_ask("Cat.Example.", FLAGS_NOTIFY, 6, 1, &kcat, "192.0.2.99", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOERROR);
	ck_assert_int_eq(aa, 1);
	ck_assert_int_eq(terr, 0);
	ck_assert_int_eq(ver, 1);
	ck_assert_int_eq(cat_calls, 1);
	ck_assert_str_eq(cat_seen, "cat.example");
	ck_assert_uint_eq(tb.n, 0);
	/* ... and from inside it, and over a key that is also in tsig_keys from outside */
	rc = cat_ask("cat.example", FLAGS_NOTIFY, 6, 1, &kcat, "10.1.2.3", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOERROR);
	ck_assert_int_eq(ver, 1);
	rc = cat_ask("both.example", FLAGS_NOTIFY, 6, 1, &kagent, "192.0.2.99", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOERROR);
	ck_assert_int_eq(aa, 1);
	ck_assert_int_eq(ver, 1);
	ck_assert_int_eq(cat_calls, 3);
	ck_assert_uint_eq(tb.n, 0);

	/* another catalog's key from outside: refused as before this change (a key not in tsig_keys: BADKEY) */
	rc = cat_ask("cat.example", FLAGS_NOTIFY, 6, 1, &kother, "192.0.2.99", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOTAUTH);
	ck_assert_int_eq(terr, TSIG_E_BADKEY);
	/* a key of tsig_keys that is not this catalog's, from outside: REFUSED for allow_notify, as before */
	rc = cat_ask("cat.example", FLAGS_NOTIFY, 6, 1, &kagent, "192.0.2.99", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_REFUSED);
	/* unsigned from outside: REFUSED; a catalog without a key: only allow_notify */
	rc = cat_ask("cat.example", FLAGS_NOTIFY, 6, 1, NULL, "192.0.2.99", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_REFUSED);
	rc = cat_ask("plain.example", FLAGS_NOTIFY, 6, 1, &kcat, "192.0.2.99", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOTAUTH);
	ck_assert_int_eq(terr, TSIG_E_BADKEY);
	/* a wrong secret under the catalog key's name: NOTAUTH + BADSIG, unsigned (RFC 8945 §5.2) */
	rc = cat_ask("cat.example", FLAGS_NOTIFY, 6, 1, &kwrong, "192.0.2.99", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOTAUTH);
	ck_assert_int_eq(terr, TSIG_E_BADSIG);
	ck_assert_int_eq(ver, 0);
	ck_assert_int_eq(cat_calls, 3);
	ck_assert_uint_eq(tb.n, 0);

	/* the catalog key authorizes nothing else, even from inside allow_notify: CREATE, DELETE, member NOTIFY */
	rc = cat_ask("member.example.com", FLAGS_CC, 65282, 65280, &kcat, "10.1.2.3", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOTAUTH);
	ck_assert_int_eq(terr, TSIG_E_BADKEY);
	rc = cat_ask("member.example.com", FLAGS_CC, 65283, 65280, &kcat, "10.1.2.3", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOTAUTH);
	ck_assert_int_eq(terr, TSIG_E_BADKEY);
	rc = cat_ask("member.example.com", FLAGS_NOTIFY, 6, 1, &kcat, "10.1.2.3", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOTAUTH);
	ck_assert_int_eq(terr, TSIG_E_BADKEY);
	ck_assert_uint_eq(tb.n, 0);
	/* while tsig_keys' key does, from inside */
	rc = cat_ask("member.example.com", FLAGS_CC, 65282, 65280, &kagent, "10.1.2.3", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_NOERROR);
	ck_assert_int_eq(ver, 1);
	ck_assert_uint_eq(tb.n, 1);
	ck_assert_int_eq(tb_last()->kind, ZONEOP_CREATE);

	/* a catalog NOTIFY accepted only for its key, while that catalog is not consumed: REFUSED, never a refresh */
	cat_claims = 0;
	rc = cat_ask("cat.example", FLAGS_NOTIFY, 6, 1, &kcat, "192.0.2.99", &terr, &ver, &aa);
	ck_assert_uint_eq(rc, WIRE_RCODE_REFUSED);
	ck_assert_uint_eq(tb.n, 1);
}
END_TEST

/* The decision alone (pure): which requests a catalog key accepts; the keys verified. */
START_TEST(catalog_key_classify)
{
	struct tsig_key keys[TSIG_CONFIG_MAX];
	struct agent_verdict v;
	struct netaddr out, in;
	struct wire_msg m;
	uint8_t req[600];
	size_t n;

	cat_agent(cat_conf);
	ck_assert_uint_eq(agent_request_keys(&cfg, keys, &n), 3);   /* agentkey, then catkey, otherkey once each */
	ck_assert_mem_eq(keys[0].name, "\010agentkey", 9);
	ck_assert_mem_eq(keys[1].name, "\006catkey", 7);
	ck_assert_mem_eq(keys[2].name, "\010otherkey", 9);
	netaddr_parse_ip("192.0.2.99", &out);
	netaddr_parse_ip("10.0.0.1", &in);
	ck_assert_int_eq(wire_parse(req, query("cat.example", FLAGS_NOTIFY, 6, 1, 0, req), &m), 0);
	agent_classify_signed(&cfg, &m, &out, &keys[1], &v);
	ck_assert_int_eq(v.kind, AGENT_NOTIFY);
	ck_assert_int_eq(v.catalog_key, 1);
	ck_assert_str_eq(v.op.zone, "cat.example");
	agent_classify_signed(&cfg, &m, &out, &keys[2], &v);
	ck_assert_int_eq(v.kind, AGENT_REFUSE);
	ck_assert_int_eq(v.key_refused, 1);
	agent_classify_signed(&cfg, &m, &out, &keys[0], &v);
	ck_assert_int_eq(v.kind, AGENT_REFUSE);
	ck_assert_int_eq(v.key_refused, 0);
	agent_classify_signed(&cfg, &m, &in, &keys[0], &v);
	ck_assert_int_eq(v.kind, AGENT_NOTIFY);
	ck_assert_int_eq(v.catalog_key, 0);
	agent_classify_signed(&cfg, &m, &out, NULL, &v);
	ck_assert_int_eq(v.kind, AGENT_REFUSE);
	ck_assert_int_eq(wire_parse(req, query("both.example", FLAGS_NOTIFY, 6, 1, 0, req), &m), 0);
	agent_classify_signed(&cfg, &m, &in, &keys[0], &v);   /* in tsig_keys and allowed: an ordinary NOTIFY */
	ck_assert_int_eq(v.kind, AGENT_NOTIFY);
	ck_assert_int_eq(v.catalog_key, 0);
	agent_classify_signed(&cfg, &m, &out, &keys[0], &v);
	ck_assert_int_eq(v.catalog_key, 1);
	ck_assert_int_eq(wire_parse(req, query("cat.example", FLAGS_CC, 65282, 65280, 0, req), &m), 0);
	agent_classify_signed(&cfg, &m, &in, &keys[1], &v);
	ck_assert_int_eq(v.kind, AGENT_REFUSE);
	ck_assert_int_eq(v.key_refused, 1);

	/* only a catalog key configured (no tsig_keys): it is verified; unsigned requests are as before */
	cat_agent("[service:agent]\nmasters = 192.0.2.1\nbackend_driver = fake\nallow_notify = 10.0.0.0/8\n"
	    "[tsigkey:catkey.]\nsecret = " SECRET_CAT "\n[catalog:cat.example.]\nmasters = 192.0.2.10\ntsig_key = catkey\n");
	ck_assert_uint_eq(agent_request_keys(&cfg, keys, &n), 1);
	ck_assert_uint_eq(cfg.agent.tsig_keys[0], '\0');
	ck_assert_int_eq(wire_parse(req, query("cat.example", FLAGS_NOTIFY, 6, 1, 0, req), &m), 0);
	agent_classify_signed(&cfg, &m, &out, &keys[0], &v);
	ck_assert_int_eq(v.kind, AGENT_NOTIFY);
	ck_assert_int_eq(v.catalog_key, 1);
}
END_TEST

/* Only a catalog key configured, through the agent: its NOTIFY accepted from anywhere, anything else it signs
 * BADKEY, unsigned requests as before. */
START_TEST(catalog_key_only)
{
	struct tsig_key kcat;
	int terr, ver, aa;

	cat_agent("[service:agent]\nmasters = 192.0.2.1\nbackend_driver = fake\nallow_notify = 10.0.0.0/8\n"
	    "[tsigkey:catkey.]\nsecret = " SECRET_CAT "\n[catalog:cat.example.]\nmasters = 192.0.2.10\ntsig_key = catkey\n");
	cat_key(&kcat, "catkey.", "hmac-sha256", SECRET_CAT);
	tb.result = ZONEOP_DONE;
	ck_assert_uint_eq(cat_ask("cat.example", FLAGS_NOTIFY, 6, 1, &kcat, "192.0.2.99", &terr, &ver, &aa), 0);
	ck_assert_int_eq(ver, 1);
	ck_assert_int_eq(cat_calls, 1);
	ck_assert_uint_eq(cat_ask("x.example", FLAGS_CC, 65282, 65280, &kcat, "10.0.0.1", &terr, &ver, &aa), 9);
	ck_assert_int_eq(terr, TSIG_E_BADKEY);
	ck_assert_uint_eq(cat_ask("x.example", FLAGS_CC, 65282, 65280, NULL, "10.0.0.1", &terr, &ver, &aa), 0);
	ck_assert_int_eq(terr, -1);
	ck_assert_uint_eq(tb.n, 1);
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
	tcase_add_test(tc, catalog_key_notify);
	tcase_add_test(tc, catalog_key_classify);
	tcase_add_test(tc, catalog_key_only);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
