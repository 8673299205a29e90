/* Requests in flight: each message classified, its operation submitted to the queue, answered when done. */
#define LOG_MODULE "agent"
#include "agent-req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "compat.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "tsig.h"
#include "zoneq.h"

#define LOG_PER_SECOND 10          /* per-request lines of one kind written a second at most */
#define AGENT_HELD_MAX (16u << 20)   /* octets held by requests waiting for their operations */

struct agent_req {
	const struct config *cfg;
	struct zoneq *q;
	size_t held;                   /* octets held by the requests waiting (struct and reply) */
	struct log_limit drop_log, refused_log, failed_log, full_log, tsig_log;
	struct tsig_key keys[TSIG_CONFIG_MAX];   /* tsig_keys, then the catalogs' keys (agent_request_keys) */
	size_t nkeys;
	agent_catalog_fn *catalog;     /* a NOTIFY for a consumed catalog (daemon.c wires it), or NULL */
	void *catalog_arg;
};

/* One request waiting for its operation: only what its log line and reply need. */
struct pending {
	struct agent_req *a;
	struct netaddr peer;
	const char *transport;
	enum agent_kind kind;
	char zone[ZONE_NAME_MAX];
	uint64_t t0;
	agent_reply_fn *reply;
	void *arg;
	struct tsig_req *tsig;         /* a signed request's TSIG (signs the reply); NULL: unsigned */
	size_t len;                    /* the reply, built on arrival; RCODE and AA are set when answered */
	uint8_t out[];
};

struct agent_req *
agent_req_new(const struct config *cfg, struct zoneq *q)
{
	struct agent_req *a = calloc(1, sizeof *a);

	if (a == NULL)
		return NULL;
	a->cfg = cfg;
	a->q = q;
	a->drop_log = (struct log_limit)LOG_LIMIT_INIT("messages dropped without a reply", LOG_PER_SECOND);
	a->refused_log = (struct log_limit)LOG_LIMIT_INIT("REFUSED requests", LOG_PER_SECOND);
	a->failed_log = (struct log_limit)LOG_LIMIT_INIT("failed requests", LOG_PER_SECOND);
	a->full_log = (struct log_limit)LOG_LIMIT_INIT("requests answered at once (queue full)", LOG_PER_SECOND);
	a->tsig_log = (struct log_limit)LOG_LIMIT_INIT("requests refused for their TSIG", LOG_PER_SECOND);
	agent_request_keys(cfg, a->keys, &a->nkeys);
	return a;
}

void
agent_req_set_catalog(struct agent_req *a, agent_catalog_fn *fn, void *arg)
{
	a->catalog = fn;
	a->catalog_arg = arg;
}

void
agent_req_free(struct agent_req *a)
{
	if (a == NULL)
		return;
	log_limit_flush(&a->drop_log, LOG_MODULE);
	log_limit_flush(&a->refused_log, LOG_MODULE);
	log_limit_flush(&a->failed_log, LOG_MODULE);
	log_limit_flush(&a->full_log, LOG_MODULE);
	log_limit_flush(&a->tsig_log, LOG_MODULE);
	free(a);
}

/* Send the reply out[0..n), with the TSIG record tsig calls for (NULL, or an unsigned request: as it is). A reply
 * that cannot be signed goes unsigned, which the peer then refuses. */
static void
agent_send(const struct tsig_req *tsig, const uint8_t *out, size_t n, agent_reply_fn *reply, void *arg)
{
	uint8_t signed_out[WIRE_OUR_PAYLOAD + TSIG_RR_MAX];
	size_t sn;

	if (n >= WIRE_HDR_LEN)
		metrics_request((out[2] >> 3) & 0x0f, out[3] & 0x0f);
	if (tsig == NULL || tsig->status == TSIG_UNSIGNED || tsig->status == TSIG_FORMERR || n == 0 ||
	    n > WIRE_OUR_PAYLOAD) {
		reply(arg, out, n);
		return;
	}
	memcpy(signed_out, out, n);
	if ((sn = tsig_sign_reply(tsig, signed_out, n, sizeof signed_out, (uint64_t)time(NULL))) == 0) {
		log_warnx("a reply could not be signed; sent unsigned");
		reply(arg, out, n);
		return;
	}
	reply(arg, signed_out, sn);
}

/* Log the request's one line and send its reply (out, n: built already, RCODE and AA set; signed as tsig says).
 * A peer decides how many requests fail or are refused: those lines are rate-limited and skip the Event Log. */
static void
agent_answer(struct agent_req *a, const struct tsig_req *tsig, const struct netaddr *peer, const char *transport,
    enum agent_kind kind, const char *zone, unsigned rcode, int aa, const char *detail, uint64_t ms,
    const uint8_t *out, size_t n, struct log_limit *lim, agent_reply_fn *reply, void *arg)
{
	char paddr[NETADDR_TEXT_MAX], rbuf[16];
	const char *fmt = "%s %s from %s/%s: %s%s, %s (%llu ms)";

	netaddr_text(peer, paddr, sizeof paddr);
	if (rcode == WIRE_RCODE_NOERROR)
		log_info(fmt, agent_kind_name(kind), *zone ? zone : "-", paddr, transport,
		    wire_rcode_name(rcode, rbuf, sizeof rbuf), aa ? " AA" : "", detail, (unsigned long long)ms);
	else
		log_limited(lim ? lim : rcode == WIRE_RCODE_REFUSED ? &a->refused_log : &a->failed_log,
		    LOG_LVL_WARNING, LOG_MODULE, fmt, agent_kind_name(kind), *zone ? zone : "-", paddr, transport,
		    wire_rcode_name(rcode, rbuf, sizeof rbuf), aa ? " AA" : "", detail, (unsigned long long)ms);
	agent_send(tsig, out, n, reply, arg);
}

static void
agent_op_done(void *arg, enum zoneop_result r, const struct zoneop_zone *zones, size_t n)
{
	struct pending *req = arg;
	unsigned rcode;
	int aa;

	(void)zones;
	(void)n;
	agent_result_reply(req->kind, r, &rcode, &aa);
	wire_reply_set_rcode(req->out, req->len, rcode, aa);
	req->a->held -= sizeof *req + req->len + (req->tsig ? sizeof *req->tsig : 0);
	agent_answer(req->a, req->tsig, &req->peer, req->transport, req->kind, req->zone, rcode, aa,
	    agent_result_detail(req->kind, r), compat_monotonic_ms() - req->t0, req->out, req->len, NULL, req->reply, req->arg);
	free(req->tsig);
	free(req);
}

/* Answer a request whose TSIG failed (NOTAUTH with the TSIG error, or FORMERR), log it (rate-limited); nothing
 * starts. */
static void
agent_tsig_refuse(struct agent_req *a, const struct wire_msg *m, const struct tsig_req *t, size_t len,
    const struct netaddr *peer, const char *transport, agent_reply_fn *reply, void *arg)
{
	uint8_t out[WIRE_OUR_PAYLOAD];
	char paddr[NETADDR_TEXT_MAX], key[WIRE_NAME_TEXT_MAX];
	unsigned rcode;
	int sign;
	size_t n;

	agent_tsig_refusal(t->status, &rcode, &sign);
	n = wire_build_reply(m, rcode, 0, out, sizeof out);
	metrics_tsig_refused(t->status == TSIG_BADKEY ? 17 : t->status == TSIG_BADSIG ? 16 :
	    t->status == TSIG_BADTIME ? 18 : 0);   /* 0: FORMERR and the like, counted as "other" */
	log_limited(&a->tsig_log, LOG_LVL_WARNING, LOG_MODULE, "message of %zu octets from %s/%s refused: TSIG %s "
	    "(key %s), answered %s", len, netaddr_text(peer, paddr, sizeof paddr), transport, tsig_status_name(t->status),
	    t->key_name_len ? wire_name_to_text(t->key_name, t->key_name_len, key, sizeof key) : "?",
	    rcode == WIRE_RCODE_NOTAUTH ? "NOTAUTH" : rcode == WIRE_RCODE_FORMERR ? "FORMERR" : "SERVFAIL");
	agent_send(sign ? t : NULL, out, n, reply, arg);
}

void
agent_req_handle(struct agent_req *a, const uint8_t *msg, size_t len, const struct netaddr *peer,
    const char *transport, agent_reply_fn *reply, void *arg)
{
	struct agent_verdict v;
	struct pending *req;
	struct wire_msg m;
	struct tsig_req t;
	uint8_t out[WIRE_OUR_PAYLOAD];
	size_t n, held;
	unsigned rcode;
	int aa, parsed;

	parsed = wire_parse(msg, len, &m) == 0;
	memset(&t, 0, sizeof t);
	t.status = TSIG_UNSIGNED;
	/* with keys (tsig_keys or a catalog's tsig_key), a signed request is checked before anything else (RFC 8945
	 * §5.2); without, agent_classify drops it as the original did */
	if (parsed && m.has_tsig && a->nkeys > 0 && !(m.flags & WIRE_FLAG_QR) && m.nq > 0) {
		if (tsig_verify_request(a->keys, a->nkeys, msg, len, (uint64_t)time(NULL), &t) != TSIG_OK) {
			agent_tsig_refuse(a, &m, &t, len, peer, transport, reply, arg);
			return;
		}
		m.has_tsig = 0;   /* verified: from here on a request like any other */
	}
	agent_classify_signed(a->cfg, parsed ? &m : NULL, peer, t.status == TSIG_OK ? t.key : NULL, &v);
	if (v.key_refused) {   /* a catalog's key on anything but that catalog's NOTIFY: as an unknown key */
		t.status = TSIG_BADKEY;
		t.error = TSIG_E_BADKEY;
		t.key = NULL;
		agent_tsig_refuse(a, &m, &t, len, peer, transport, reply, arg);
		return;
	}
	if (v.kind != AGENT_DROP && v.kind != AGENT_REFUSE && a->cfg->agent.require_tsig && t.status != TSIG_OK) {
		v.kind = AGENT_REFUSE;
		v.why = "unsigned, and require_tsig = true";
	}
	if (v.kind == AGENT_DROP) {
		char paddr[NETADDR_TEXT_MAX];

		log_limited(&a->drop_log, LOG_LVL_INFO, LOG_MODULE, "message of %zu octets from %s/%s dropped: %s", len,
		    netaddr_text(peer, paddr, sizeof paddr), transport, v.why);
		metrics_dropped(!parsed || (m.flags & WIRE_FLAG_QR) ? METRICS_DROP_MALFORMED :
		    m.nq == 0 ? METRICS_DROP_NO_QUESTION : m.has_tsig ? METRICS_DROP_TSIG : METRICS_DROP_MALFORMED);
		reply(arg, NULL, 0);
		return;
	}
	if (v.kind == AGENT_REFUSE) {
		char zbuf[WIRE_NAME_TEXT_MAX];
		int allowed = config_allowed(a->cfg, peer);

		/* no amplification: a source we do not serve never gets more octets than it sent (its reply is
		 * signed only when that still holds) */
		n = wire_build_reply_within(&m, WIRE_RCODE_REFUSED, 0, allowed ? sizeof out : len, out, sizeof out);
		wire_name_to_text(m.q[0].name, m.q[0].name_len, zbuf, sizeof zbuf);
		if (!allowed && t.status == TSIG_OK && n + t.key_name_len + t.alg_name_len + 26 + hmac_len(t.key->alg) > len)
			t.status = TSIG_UNSIGNED;   /* (the request's own MAC was cut short) */
		agent_answer(a, &t, peer, transport, v.kind, zbuf,
		    WIRE_RCODE_REFUSED, 0, v.why, 0, out, n, NULL, reply, arg);
		return;
	}
	if (v.kind == AGENT_NOTIFY && a->catalog != NULL && a->catalog(a->catalog_arg, v.op.zone)) {
		n = wire_build_reply(&m, WIRE_RCODE_NOERROR, 1, out, sizeof out);
		agent_answer(a, &t, peer, transport, v.kind, v.op.zone, WIRE_RCODE_NOERROR, 1,
		    v.catalog_key ? "catalog zone, signed with its key: a check is scheduled" :
		    "catalog zone: a check is scheduled", 0, out, n, NULL, reply, arg);
		return;
	}
	if (v.catalog_key) {   /* accepted for a catalog that is not consumed now: never a zone refresh */
		n = wire_build_reply(&m, WIRE_RCODE_REFUSED, 0, out, sizeof out);
		agent_answer(a, &t, peer, transport, AGENT_REFUSE, v.op.zone, WIRE_RCODE_REFUSED, 0,
		    "NOTIFY for a catalog that is not being consumed", 0, out, n, NULL, reply, arg);
		return;
	}
	n = wire_build_reply(&m, WIRE_RCODE_NOERROR, 0, out, sizeof out);
	held = sizeof *req + n + (t.status == TSIG_OK ? sizeof t : 0);
	if (a->held + held > AGENT_HELD_MAX || (req = malloc(sizeof *req + n)) == NULL) {
		agent_full_reply(v.kind, &rcode, &aa);
		wire_reply_set_rcode(out, n, rcode, aa);
		agent_answer(a, &t, peer, transport, v.kind, v.op.zone, rcode, aa, "too many requests waiting", 0, out, n,
		    &a->full_log, reply, arg);
		return;
	}
	req->tsig = NULL;
	if (t.status == TSIG_OK && (req->tsig = malloc(sizeof *req->tsig)) == NULL) {
		free(req);
		agent_full_reply(v.kind, &rcode, &aa);
		wire_reply_set_rcode(out, n, rcode, aa);
		agent_answer(a, &t, peer, transport, v.kind, v.op.zone, rcode, aa, "out of memory", 0, out, n,
		    &a->full_log, reply, arg);
		return;
	}
	if (req->tsig)
		*req->tsig = t;
	req->a = a;
	req->peer = *peer;
	req->transport = transport;
	req->kind = v.kind;
	memcpy(req->zone, v.op.zone, sizeof req->zone);
	req->t0 = compat_monotonic_ms();
	req->reply = reply;
	req->arg = arg;
	req->len = n;
	memcpy(req->out, out, n);
	a->held += held;
	if (zoneq_submit(a->q, &v.op, agent_op_done, req) == ZONEQ_FULL) {
		a->held -= held;
		agent_full_reply(v.kind, &rcode, &aa);
		wire_reply_set_rcode(out, n, rcode, aa);
		agent_answer(a, &t, peer, transport, v.kind, v.op.zone, rcode, aa, "queue full (max_queued)", 0, out, n,
		    &a->full_log, reply, arg);
		free(req->tsig);
		free(req);
	}
}
