/* The replay tool's logic: build or read one agent message, print messages dig-style, judge replies. */
#include "replay.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "wincmdline.h"
#include "config.h"
#include "msdns.h"
#include "tsig.h"
#include "wire.h"

size_t
replay_build(enum replay_kind kind, const char *zone, uint16_t id, int edns, int rd, uint8_t *out,
    size_t outlen, const char **err)
{
	uint8_t name[WIRE_NAME_MAX];
	size_t nl = wire_name_from_text(zone, name);
	uint16_t flags, type, qclass;

	if (nl == 0 || *zone == '\0') {
		*err = "not a valid DNS name (labels of 1-63 octets, 255 octets in all, escapes \\DDD or \\X)";
		return 0;
	}
	if (kind == REPLAY_NOTIFY) {
		flags = WIRE_OPCODE_NOTIFY << 11;          /* as Designate's worker: 0x2100 with RD */
		flags |= WIRE_FLAG_RD;
		type = WIRE_TYPE_SOA;
		qclass = WIRE_CLASS_IN;
	} else {
		flags = WIRE_OPCODE_CC << 11 | WIRE_FLAG_AA;   /* 0x7400 */
		type = kind == REPLAY_CREATE ? WIRE_TYPE_CC_CREATE : WIRE_TYPE_CC_DELETE;
		qclass = WIRE_CLASS_CC;
	}
	if (rd)
		flags |= WIRE_FLAG_RD;
	return wire_build_query(id, flags, name, nl, type, qclass, edns, out, outlen);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t
replay_read(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen, const char **err)
{
	size_t i, n = 0, digits = 0;
	int hi = -1, is_hex = 1;

	for (i = 0; i < inlen && is_hex; i++)
		if (!isspace(in[i]) && hexval(in[i]) < 0)
			is_hex = 0;
	if (!is_hex) {   /* raw wire */
		if (inlen > outlen) {
			*err = "message longer than 65535 octets";
			return 0;
		}
		memcpy(out, in, inlen);
		if (inlen == 0)
			*err = "empty message";
		return inlen;
	}
	for (i = 0; i < inlen; i++) {
		if (isspace(in[i]))
			continue;
		digits++;
		if (hi < 0) {
			hi = hexval(in[i]);
			continue;
		}
		if (n == outlen) {
			*err = "message longer than 65535 octets";
			return 0;
		}
		out[n++] = (uint8_t)(hi << 4 | hexval(in[i]));
		hi = -1;
	}
	if (digits % 2) {
		*err = "hex has an odd number of digits";
		return 0;
	}
	if (n == 0)
		*err = "empty message";
	return n;
}

static void
print_flags(FILE *f, uint16_t flags)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} bits[] = { { WIRE_FLAG_QR, "qr" }, { WIRE_FLAG_AA, "aa" }, { WIRE_FLAG_TC, "tc" }, { WIRE_FLAG_RD, "rd" },
		{ WIRE_FLAG_RA, "ra" }, { 0x0020, "ad" }, { 0x0010, "cd" } };
	size_t i;

	fprintf(f, ";; flags:");
	for (i = 0; i < sizeof bits / sizeof bits[0]; i++)
		if (flags & bits[i].bit)
			fprintf(f, " %s", bits[i].name);
}

static void
print_rr(FILE *f, const struct wire_rr *rr)
{
	char name[WIRE_NAME_TEXT_MAX], tb[16], cb[16];
	uint16_t i;

	wire_name_to_text(rr->name, rr->name_len, name, sizeof name);
	fprintf(f, "%-23s %-7lu %-7s %-7s \\# %u", name, (unsigned long)rr->ttl,
	    wire_class_name(rr->rrclass, cb, sizeof cb), wire_type_name(rr->type, tb, sizeof tb), rr->rdlen);
	if (rr->rdlen)
		fputc(' ', f);
	for (i = 0; i < rr->rdlen; i++)
		fprintf(f, "%02x", rr->rdata[i]);
	fputc('\n', f);
}

static void
print_hex(FILE *f, const uint8_t *msg, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x", msg[i]);
	fputc('\n', f);
}

/* The TSIG record decoded, as dig's TSIG PSEUDOSECTION (the MAC by its size only). */
static void
print_tsig(FILE *f, const uint8_t *msg, size_t len)
{
	struct wire_tsig t;
	char key[WIRE_NAME_TEXT_MAX], alg[WIRE_NAME_TEXT_MAX], eb[24];

	if (wire_get_tsig(msg, len, &t) != 1) {
		fprintf(f, "\n;; TSIG PSEUDOSECTION: malformed (not the last record, several, or bad fields)\n");
		return;
	}
	fprintf(f, "\n;; TSIG PSEUDOSECTION:\n; key %s algorithm %s time %llu fudge %u mac %u octets original id %u "
	    "error %s other %u octets\n", wire_name_to_text(t.key, t.key_len, key, sizeof key),
	    wire_name_to_text(t.alg, t.alg_len, alg, sizeof alg), (unsigned long long)t.time, t.fudge, t.mac_len,
	    t.orig_id, tsig_error_name(t.error, eb, sizeof eb), t.other_len);
}

void
replay_print(FILE *f, const uint8_t *msg, size_t len)
{
	static const char *const sections[] = { "ANSWER", "AUTHORITY", "ADDITIONAL" };
	struct wire_msg m;
	struct wire_cur c;
	char b1[16], b2[16], name[WIRE_NAME_TEXT_MAX];
	unsigned i, s;

	if (wire_parse(msg, len, &m) != 0) {
		fprintf(f, ";; unparsable message of %zu octets (truncated, lying counts, bad names or trailing "
		    "bytes):\n;; ", len);
		print_hex(f, msg, len);
		return;
	}
	fprintf(f, ";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n", wire_opcode_name(wire_opcode(m.flags), b1,
	    sizeof b1), wire_rcode_name(wire_rcode(m.flags), b2, sizeof b2), m.id);
	print_flags(f, m.flags);
	fprintf(f, "; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n", m.qdcount, m.ancount, m.nscount,
	    m.arcount);
	if (m.has_opt) {
		fprintf(f, "\n;; OPT PSEUDOSECTION:\n; EDNS: version: %u, flags:%s; udp: %u\n", m.opt_version,
		    (m.opt_flags & 0x8000) ? " do" : "", m.opt_payload);
	}
	if (m.has_tsig)
		print_tsig(f, msg, len);
	fprintf(f, "\n;; QUESTION SECTION:\n");
	for (i = 0; i < m.nq; i++) {
		wire_name_to_text(m.q[i].name, m.q[i].name_len, name, sizeof name);
		fprintf(f, ";%-30s %-11s %s\n", name, wire_class_name(m.q[i].qclass, b1, sizeof b1),
		    wire_type_name(m.q[i].qtype, b2, sizeof b2));
	}
	/* walk the other sections again, printing each record */
	wire_cur_init(&c, msg, len);
	wire_skip(&c, WIRE_HDR_LEN);
	for (i = 0; i < m.nq; i++) {
		uint8_t skip[WIRE_NAME_MAX];

		wire_get_name(&c, skip, 1);
		wire_skip(&c, 4);
	}
	for (s = 0; s < 3; s++) {
		unsigned count = s == 0 ? m.ancount : s == 1 ? m.nscount : m.arcount, shown = 0;

		for (i = 0; i < count; i++) {
			struct wire_rr rr;

			if (wire_get_rr(&c, &rr) != 0)
				break;
			if (rr.type == WIRE_TYPE_OPT)
				continue;
			if (shown++ == 0)
				fprintf(f, "\n;; %s SECTION:\n", sections[s]);
			print_rr(f, &rr);
		}
	}
	fprintf(f, "\n;; MSG SIZE: %zu\n", len);
}

static int
same_question(const struct wire_question *a, const struct wire_question *b)
{
	size_t i;

	if (a->qtype != b->qtype || a->qclass != b->qclass || a->name_len != b->name_len)
		return 0;
	for (i = 0; i < a->name_len; i++)
		if (tolower(a->name[i]) != tolower(b->name[i]))
			return 0;
	return 1;
}

int
replay_verdict(const uint8_t *req, size_t reqlen, const uint8_t *reply, size_t replylen, const char **why)
{
	struct wire_msg q, r;
	unsigned i;

	*why = NULL;
	if (wire_parse(req, reqlen, &q) != 0) {
		*why = "the request itself is unparsable; no reply can match it";
		return REPLAY_BAD_REPLY;
	}
	if (wire_parse(reply, replylen, &r) != 0) {
		*why = "the reply is unparsable";
		return REPLAY_BAD_REPLY;
	}
	if (r.id != q.id) {
		*why = "the reply's id differs from the request's: not a reply to it";
		return REPLAY_BAD_REPLY;
	}
	if (!(r.flags & WIRE_FLAG_QR)) {
		*why = "QR is clear: that is not a reply";
		return REPLAY_BAD_REPLY;
	}
	if (wire_opcode(r.flags) != wire_opcode(q.flags)) {
		*why = "the reply's opcode differs from the request's";
		return REPLAY_BAD_REPLY;
	}
	if (r.nq != q.nq) {
		*why = "the reply's question section differs from the request's";
		return REPLAY_BAD_REPLY;
	}
	for (i = 0; i < q.nq; i++) {
		if (!same_question(&q.q[i], &r.q[i])) {
			*why = "the reply's question section differs from the request's";
			return REPLAY_BAD_REPLY;
		}
	}
	if (wire_rcode(r.flags) != WIRE_RCODE_NOERROR) {
		*why = "the rcode is not NOERROR: Designate counts this as a failure and retries";
		return REPLAY_BAD_REPLY;
	}
	if (!(r.flags & WIRE_FLAG_AA)) {
		*why = "AA is not set: Designate counts this as a failure and retries";
		return REPLAY_BAD_REPLY;
	}
	return REPLAY_OK;
}

static void
explain_outcomes(FILE *f, enum agent_kind kind)
{
	static const enum zoneop_result results[] = { ZONEOP_DONE, ZONEOP_ABSENT, ZONEOP_NOT_OURS, ZONEOP_FAILED,
		ZONEOP_TIMEOUT };
	static const char *const sayings[] = {
		"the operation succeeds (script exit 0)", "the zone is absent (exit 2)",
		"the zone is not ours (exit 3)", "the script fails (exit 1, 4, 5) or crashes",
		"it runs past operation_timeout" };
	unsigned rcode;
	int aa;
	char b[16];
	size_t i;

	fprintf(f, ";; it answers:\n");
	for (i = 0; i < sizeof results / sizeof results[0]; i++) {
		if (kind != AGENT_NOTIFY && results[i] == ZONEOP_ABSENT)
			continue;
		agent_result_reply(kind, results[i], &rcode, &aa);
		fprintf(f, ";;   %-8s%s when %s\n", wire_rcode_name(rcode, b, sizeof b), aa ? " AA" : "   ", sayings[i]);
	}
	agent_full_reply(kind, &rcode, &aa);
	fprintf(f, ";;   %-8s%s when %s\n", wire_rcode_name(rcode, b, sizeof b), aa ? " AA" : "   ",
	    "the queue is full (max_queued)");
}

/* Say what the agent does with a signed message: verified with which key, or the NOTAUTH it answers. Returns 0
 * when it goes on (verified; the key into *verified), -1 when it stops there. */
static int
explain_tsig(FILE *f, const struct config *cfg, const uint8_t *msg, size_t len, struct tsig_key *verified)
{
	struct tsig_key keys[TSIG_CONFIG_MAX];
	struct tsig_req t;
	char key[WIRE_NAME_TEXT_MAX], eb[24];
	size_t n;
	unsigned rcode;
	int sign;

	if (agent_request_keys(cfg, keys, &n) == 0) {
		fprintf(f, ";; the message is TSIG-signed and no tsig_keys are configured: the agent sends no reply (as the\n"
		    ";; original); with --config-file naming the key in tsig_keys it would verify it\n");
		return -1;
	}
	tsig_verify_request(keys, n, msg, len, (uint64_t)time(NULL), &t);
	wire_name_to_text(t.key_name, t.key_name_len, key, sizeof key);
	if (t.status == TSIG_OK) {
		fprintf(f, ";; TSIG: signed with key %s, verified now; the reply is signed with it\n", key);
		*verified = *t.key;
		return 0;
	}
	agent_tsig_refusal(t.status, &rcode, &sign);
	fprintf(f, ";; TSIG: %s (key %s): the agent answers %s%s%s and starts nothing\n", tsig_status_name(t.status),
	    t.key_name_len ? key : "?", rcode == WIRE_RCODE_NOTAUTH ? "NOTAUTH" : rcode == WIRE_RCODE_FORMERR ?
	    "FORMERR" : "SERVFAIL", t.error ? " with TSIG error " : "", t.error ? tsig_error_name(t.error, eb, sizeof eb) :
	    "");
	if (t.status == TSIG_BADTIME)
		fprintf(f, ";; (signed at %llu, now %llu, fudge %u s)\n", (unsigned long long)t.time,
		    (unsigned long long)time(NULL), t.fudge);
	return -1;
}

int
replay_explain(FILE *f, const struct config *cfg, const uint8_t *msg, size_t len, const struct netaddr *peer)
{
	struct config defaults;
	struct wire_msg m;
	struct agent_verdict v;
	char p[NETADDR_TEXT_MAX];
	static struct tsig_key key;
	int parsed, verified = 0;

	if (cfg == NULL) {
		config_defaults(&defaults);
		cfg = &defaults;
	}
	replay_print(f, msg, len);
	fprintf(f, "\n;; EXPLAIN (nothing sent; as if from %s):\n", netaddr_ip_text(peer, p, sizeof p));
	parsed = wire_parse(msg, len, &m) == 0;
	if (parsed && m.has_tsig && !(m.flags & WIRE_FLAG_QR) && m.nq > 0) {
		if (explain_tsig(f, cfg, msg, len, &key) != 0)
			return REPLAY_BAD_REPLY;
		m.has_tsig = 0;   /* verified: the agent goes on as for an unsigned request */
		verified = 1;
	}
	agent_classify_signed(cfg, parsed ? &m : NULL, peer, verified ? &key : NULL, &v);
	if (v.key_refused) {
		fprintf(f, ";; the agent answers NOTAUTH with TSIG error BADKEY (unsigned) and starts nothing: %s\n", v.why);
		return REPLAY_BAD_REPLY;
	}
	if (v.kind != AGENT_DROP && v.kind != AGENT_REFUSE && cfg->agent.require_tsig && !verified) {
		v.kind = AGENT_REFUSE;
		v.why = "unsigned, and require_tsig = true";
	}
	if (v.kind == AGENT_DROP) {
		fprintf(f, ";; the agent sends no reply: %s\n", v.why);
		return REPLAY_BAD_REPLY;
	}
	if (v.kind == AGENT_REFUSE) {
		char zone[WIRE_NAME_TEXT_MAX];

		wire_name_to_text(m.q[0].name, m.q[0].name_len, zone, sizeof zone);
		fprintf(f, ";; the agent answers REFUSED (no AA) for %s and starts nothing: %s\n", zone, v.why);
		return REPLAY_BAD_REPLY;
	}
	if (v.kind == AGENT_NOTIFY) {
		size_t c;

		for (c = 0; c < cfg->n_catalogs; c++)
			if (strcmp(cfg->catalogs[c].name, v.op.zone) == 0) {
				fprintf(f, ";; NOTIFY for consumed catalog %s: %s\n;; the agent answers NOERROR AA at once and "
				    "schedules a check of the catalog (no zone refresh)\n", v.op.zone, v.catalog_key ? v.why :
				    "a source allowed by allow_notify");
				return REPLAY_OK;
			}
	}
	fprintf(f, ";; %s of zone %s: %s\n", agent_kind_name(v.kind), v.op.zone, v.why);
	if (cfg->agent.backend_driver == CONFIG_BACKEND_FAKE) {
		fprintf(f, ";; backend fake: nothing runs; every operation succeeds\n");
	} else {
		const struct msdns_program prog = { cfg->msdns.powershell, cfg->msdns.script, cfg->msdns.execution_policy };
		const char *argv[MSDNS_ARGV_MAX];
		char masters[CONFIG_MAX_ADDRS * (NETADDR_TEXT_MAX + 1)], line[4096];
		size_t i;

		config_masters_text(cfg, masters, sizeof masters);
		if (cfg->msdns.workers > 0) {
			if (msdns_request_line(line, sizeof line, 1, &v.op, masters) > 0)
				fprintf(f, ";; one of %d persistent workers (workers = %d, each replaced after %d operations) gets,\n"
				    ";; with a timeout of %.1f s, the request line (1: the request's number, chosen when sent):\n"
				    ";;   %s", cfg->msdns.workers, cfg->msdns.workers, cfg->msdns.worker_max_requests,
				    cfg->msdns.operation_timeout, line);
			msdns_serve_argv(&prog, argv);
			fprintf(f, ";; each worker runs as:\n");
		} else {
			msdns_argv(&prog, &v.op, masters, argv);
			fprintf(f, ";; it starts one process for it (workers = 0), with a timeout of %.1f s:\n",
			    cfg->msdns.operation_timeout);
		}
		if (wincmdline_quote(argv, line, sizeof line) > 0)
			fprintf(f, ";;   %s\n", line);
		fprintf(f, ";; that is, the argument vector:\n");
		for (i = 0; argv[i]; i++)
			fprintf(f, ";;   [%zu] %s\n", i, argv[i]);
	}
	explain_outcomes(f, v.kind);
	return REPLAY_OK;
}

int
replay_tsig_key(const char *spec, const char *file, struct tsig_key *k, char *err, size_t errlen)
{
	char why[256], text[8192];
	size_t n;
	FILE *f;

	if (spec != NULL) {
		if (tsig_key_from_spec(k, spec, why, sizeof why) != 0) {
			snprintf(err, errlen, "--tsig: %s", why);
			return -1;
		}
		return 0;
	}
	if ((f = fopen(file, "rb")) == NULL) {
		snprintf(err, errlen, "--tsig-file %s: %s", file, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	if (tsig_key_from_file_text(k, text, why, sizeof why) != 0) {
		memset(text, 0, sizeof text);
		snprintf(err, errlen, "--tsig-file %s: %s", file, why);
		return -1;
	}
	memset(text, 0, sizeof text);
	return 0;
}
