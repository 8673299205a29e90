/* Zone transfers, pure part: the record-set view of a zone and the parser of SOA/AXFR/IXFR answers. */
#include "xfr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "xfr"
#include "log.h"
#include "wire.h"

#define IDX_EMPTY 0u
#define IDX_TOMB UINT32_MAX

struct xfr_view {
	struct zone_rr *rrs;   /* owner NULL: removed, compacted away by xfr_view_records */
	size_t n, cap, live;
	uint32_t *idx;         /* open addressing: 0 empty, IDX_TOMB removed, else index + 1 into rrs */
	size_t idx_cap, idx_used;
	size_t soa;            /* index + 1 of the apex SOA, 0 when none */
};

static uint64_t
rr_hash(const struct zone_rr *rr)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < rr->owner_len; i++)
		h = (h ^ rr->owner[i]) * 1099511628211ull;
	h = (h ^ rr->type) * 1099511628211ull;
	h = (h ^ rr->rrclass) * 1099511628211ull;
	for (i = 0; i < rr->rdlen; i++)
		h = (h ^ rr->rdata[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static int
rr_equal(const struct zone_rr *a, const struct zone_rr *b)
{
	return a->type == b->type && a->rrclass == b->rrclass && a->owner_len == b->owner_len &&
	    a->rdlen == b->rdlen && memcmp(a->owner, b->owner, a->owner_len) == 0 &&
	    memcmp(a->rdata, b->rdata, a->rdlen) == 0;
}

struct xfr_view *
xfr_view_new(void)
{
	return calloc(1, sizeof(struct xfr_view));
}

void
xfr_view_free(struct xfr_view *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++)
		free((void *)v->rrs[i].owner);
	free(v->rrs);
	free(v->idx);
	free(v);
}

/* Slot of rr in the index, or of the first free slot for it (*found says which). */
static size_t
idx_find(const struct xfr_view *v, const struct zone_rr *rr, int *found)
{
	size_t mask = v->idx_cap - 1, i = (size_t)rr_hash(rr) & mask, tomb = SIZE_MAX;

	for (;;) {
		uint32_t e = v->idx[i];

		if (e == IDX_EMPTY) {
			*found = 0;
			return tomb != SIZE_MAX ? tomb : i;
		}
		if (e == IDX_TOMB) {
			if (tomb == SIZE_MAX)
				tomb = i;
		} else if (rr_equal(&v->rrs[e - 1], rr)) {
			*found = 1;
			return i;
		}
		i = (i + 1) & mask;
	}
}

/* Rebuild the index with room for at least want live records. Returns 0 or -1. */
static int
idx_rebuild(struct xfr_view *v, size_t want)
{
	size_t cap = 64, i;
	uint32_t *idx;

	while (cap < want * 2)
		cap *= 2;
	if ((idx = calloc(cap, sizeof *idx)) == NULL)
		return -1;
	free(v->idx);
	v->idx = idx;
	v->idx_cap = cap;
	v->idx_used = 0;
	for (i = 0; i < v->n; i++) {
		int found;
		size_t s;

		if (v->rrs[i].owner == NULL)
			continue;
		s = idx_find(v, &v->rrs[i], &found);
		v->idx[s] = (uint32_t)(i + 1);
		v->idx_used++;
	}
	return 0;
}

int
xfr_view_add(struct xfr_view *v, const struct zone_rr *rr)
{
	struct zone_rr copy = *rr;
	uint8_t *mem;
	size_t s;
	int found;

	if (v->n >= UINT32_MAX - 2)
		return -1;
	if ((v->idx_used + 1) * 4 > v->idx_cap * 3 && idx_rebuild(v, v->live + 1) != 0)
		return -1;
	s = idx_find(v, rr, &found);
	if (found)
		return 0;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct zone_rr *rrs = realloc(v->rrs, cap * sizeof *rrs);

		if (rrs == NULL)
			return -1;
		v->rrs = rrs;
		v->cap = cap;
	}
	if ((mem = malloc((size_t)rr->owner_len + rr->rdlen + 1)) == NULL)
		return -1;
	memcpy(mem, rr->owner, rr->owner_len);
	if (rr->rdlen)
		memcpy(mem + rr->owner_len, rr->rdata, rr->rdlen);
	copy.owner = mem;
	copy.rdata = mem + rr->owner_len;
	if (v->idx[s] == IDX_EMPTY)
		v->idx_used++;
	v->rrs[v->n++] = copy;
	v->idx[s] = (uint32_t)v->n;
	v->live++;
	if (rr->type == WIRE_TYPE_SOA && v->soa == 0)
		v->soa = v->n;
	return 1;
}

int
xfr_view_del(struct xfr_view *v, const struct zone_rr *rr)
{
	size_t s, i;
	int found;

	if (v->idx_cap == 0)
		return 0;
	s = idx_find(v, rr, &found);
	if (!found)
		return 0;
	i = v->idx[s] - 1;
	v->idx[s] = IDX_TOMB;
	free((void *)v->rrs[i].owner);
	v->rrs[i].owner = NULL;
	v->live--;
	if (v->soa == i + 1)
		v->soa = 0;
	return 1;
}

struct xfr_view *
xfr_view_clone(const struct xfr_view *v)
{
	struct xfr_view *c = xfr_view_new();
	size_t i;

	if (c == NULL)
		return NULL;
	if (idx_rebuild(c, v->live + 1) != 0)
		goto fail;
	for (i = 0; i < v->n; i++)
		if (v->rrs[i].owner != NULL && xfr_view_add(c, &v->rrs[i]) < 0)
			goto fail;
	return c;
fail:
	xfr_view_free(c);
	return NULL;
}

size_t
xfr_view_count(const struct xfr_view *v)
{
	return v->live;
}

const struct zone_rr *
xfr_view_records(struct xfr_view *v, size_t *n)
{
	if (v->n != v->live) {
		size_t i, j = 0;

		v->soa = 0;
		for (i = 0; i < v->n; i++) {
			if (v->rrs[i].owner == NULL)
				continue;
			v->rrs[j++] = v->rrs[i];
			if (v->rrs[j - 1].type == WIRE_TYPE_SOA && v->soa == 0)
				v->soa = j;
		}
		v->n = j;
		if (idx_rebuild(v, v->live + 1) != 0) {
			/* the old index points at moved records: drop it; the next add rebuilds it */
			free(v->idx);
			v->idx = NULL;
			v->idx_cap = v->idx_used = 0;
		}
	}
	*n = v->live;
	return v->rrs;
}

/* The SOA timers of SOA RDATA in canonical form. Returns 0 or -1. */
static int
soa_fields(const uint8_t *rd, size_t len, uint32_t out[5])
{
	struct wire_cur c;
	uint8_t name[WIRE_NAME_MAX];
	int i;

	wire_cur_init(&c, rd, len);
	wire_get_name(&c, name, 0);
	wire_get_name(&c, name, 0);
	for (i = 0; i < 5; i++)
		out[i] = wire_get_u32(&c);
	return c.err || c.pos != len ? -1 : 0;
}

const struct zone_rr *
xfr_view_soa_rr(const struct xfr_view *v)
{
	return v->soa ? &v->rrs[v->soa - 1] : NULL;
}

int
xfr_view_soa(const struct xfr_view *v, uint32_t *serial, uint32_t *refresh, uint32_t *retry, uint32_t *expire)
{
	uint32_t f[5];
	const struct zone_rr *rr;

	if (v->soa == 0)
		return -1;
	rr = &v->rrs[v->soa - 1];
	if (soa_fields(rr->rdata, rr->rdlen, f) != 0)
		return -1;
	*serial = f[0];
	if (refresh)
		*refresh = f[1];
	if (retry)
		*retry = f[2];
	if (expire)
		*expire = f[3];
	return 0;
}

int
xfr_serial_cmp(uint32_t a, uint32_t b)
{
	if (a == b)
		return 0;
	return (int32_t)(a - b) < 0 ? -1 : 1;
}

/* ---- the answer parser ---- */

enum pstate { P_FIRST, P_SECOND, P_AXFR, P_DEL, P_ADD, P_END, P_ERR };

struct xfr_parse {
	uint8_t zone[WIRE_NAME_MAX];
	size_t zone_len;
	uint16_t qtype, id;
	const struct xfr_view *base;
	struct xfr_limits lim;
	enum pstate st;
	enum xfr_kind kind;
	size_t nmsg, octets, nrec;
	uint32_t soa[5];          /* serial, refresh, retry, expire, minimum of the answer's first SOA */
	uint8_t soa_rr[WIRE_NAME_MAX + 2 * WIRE_NAME_MAX + 20];   /* its canonical RDATA */
	uint16_t soa_rdlen;
	uint32_t cur;             /* IXFR: the serial the view has reached */
	struct xfr_view *view;
	int mismatch;
	uint8_t rd[65536];        /* one record's canonical RDATA */
};

static void
lower(uint8_t *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (uint8_t)(name[i] + 32);
}

/* Whether name (wire form) is zone or under it; both lower case. */
static int
in_zone(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen)
{
	size_t pos = 0;

	while (pos < len) {
		if (len - pos == zlen && memcmp(name + pos, zone, zlen) == 0)
			return 1;
		pos += (size_t)name[pos] + 1;
	}
	return 0;
}

struct xfr_parse *
xfr_parse_new(const uint8_t *zone, size_t zone_len, uint16_t qtype, uint16_t id, const struct xfr_view *base,
    const struct xfr_limits *lim)
{
	struct xfr_parse *p = calloc(1, sizeof *p);

	if (p == NULL || zone_len == 0 || zone_len > WIRE_NAME_MAX) {
		free(p);
		return NULL;
	}
	memcpy(p->zone, zone, zone_len);
	p->zone_len = zone_len;
	lower(p->zone, zone_len);
	p->qtype = qtype;
	p->id = id;
	p->base = base;
	if (lim)
		p->lim = *lim;
	if (p->lim.max_octets == 0)
		p->lim.max_octets = (size_t)64 << 20;
	if (p->lim.max_records == 0)
		p->lim.max_records = 4000000;
	p->st = P_FIRST;
	return p;
}

void
xfr_parse_free(struct xfr_parse *p)
{
	if (p == NULL)
		return;
	xfr_view_free(p->view);
	free(p);
}

static enum xfr_step LOG_PRINTF(4, 5)
fail(struct xfr_parse *p, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (p->st != P_ERR && why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	p->st = P_ERR;
	xfr_view_free(p->view);
	p->view = NULL;
	return XFR_ERROR;
}

/* Canonical RDATA of rr (names uncompressed, lower case) into out. Returns its length, or -1. */
static long
canon_rdata(const uint8_t *msg, size_t msglen, const struct wire_rr *rr, uint8_t *out, size_t outmax)
{
	struct wire_cur c;
	size_t start = (size_t)(rr->rdata - msg), end = start + rr->rdlen, len = 0, nl;
	uint8_t name[WIRE_NAME_MAX];
	int names = 0, pre = 0, post = 0;

	switch (rr->type) {
	case 2: case 5: case 12: case 39: names = 1; break;   /* NS CNAME PTR DNAME */
	case 15: pre = 2; names = 1; break;                  /* MX */
	case WIRE_TYPE_SOA: names = 2; post = 20; break;
	default:
		if (rr->rdlen > outmax)
			return -1;
		memcpy(out, rr->rdata, rr->rdlen);
		return rr->rdlen;
	}
	wire_cur_init(&c, msg, end);
	c.pos = start;
	if (pre) {
		if (rr->rdlen < pre)
			return -1;
		memcpy(out, rr->rdata, (size_t)pre);
		len = (size_t)pre;
		wire_skip(&c, (size_t)pre);
	}
	while (names-- > 0) {
		nl = wire_get_name(&c, name, 1);
		if (c.err || len + nl > outmax)
			return -1;
		lower(name, nl);
		memcpy(out + len, name, nl);
		len += nl;
	}
	if (post) {
		if (c.err || end - c.pos != (size_t)post || len + (size_t)post > outmax)
			return -1;
		memcpy(out + len, msg + c.pos, (size_t)post);
		len += (size_t)post;
		c.pos = end;
	}
	(void)msglen;
	return c.err || c.pos != end ? -1 : (long)len;
}

static int
is_apex_soa(const struct xfr_parse *p, const struct zone_rr *rr)
{
	return rr->type == WIRE_TYPE_SOA && rr->owner_len == p->zone_len &&
	    memcmp(rr->owner, p->zone, p->zone_len) == 0;
}

static uint32_t
rr_serial(const struct zone_rr *rr)
{
	uint32_t f[5];

	return soa_fields(rr->rdata, rr->rdlen, f) == 0 ? f[0] : 0;
}

/* Replace the view's SOA by rr. Returns 0 or -1. */
static int
set_soa(struct xfr_view *v, const struct zone_rr *rr)
{
	if (v->soa != 0) {
		struct zone_rr old = v->rrs[v->soa - 1];
		xfr_view_del(v, &old);
	}
	return xfr_view_add(v, rr) < 0 ? -1 : 0;
}

/* Take one answer record through the state machine. Returns 0, or -1 with why set. */
static int
take_rr(struct xfr_parse *p, const struct zone_rr *rr, char *why, size_t whylen)
{
	int soa = is_apex_soa(p, rr);

	if (rr->type == WIRE_TYPE_SOA && !soa) {
		fail(p, why, whylen, "SOA record that is not the zone's apex");
		return -1;
	}
	switch (p->st) {
	case P_FIRST:
		if (!soa) {
			fail(p, why, whylen, "answer does not start with the zone's SOA");
			return -1;
		}
		if (soa_fields(rr->rdata, rr->rdlen, p->soa) != 0) {
			fail(p, why, whylen, "malformed SOA");
			return -1;
		}
		memcpy(p->soa_rr, rr->rdata, rr->rdlen);
		p->soa_rdlen = rr->rdlen;
		if (p->qtype == WIRE_TYPE_SOA) {
			p->st = P_END;
			return 0;
		}
		if (p->qtype == 252) {   /* AXFR */
			if ((p->view = xfr_view_new()) == NULL || xfr_view_add(p->view, rr) < 0) {
				fail(p, why, whylen, "out of memory");
				return -1;
			}
			p->kind = XFR_FULL;
			p->st = P_AXFR;
		} else {
			p->st = P_SECOND;
		}
		return 0;
	case P_SECOND:
		if (soa && rr_serial(rr) != p->soa[0]) {
			/* an incremental answer: the first delta starts from the base's serial */
			uint32_t bs;

			if (p->base == NULL || xfr_view_soa(p->base, &bs, NULL, NULL, NULL) != 0 || bs != rr_serial(rr)) {
				p->mismatch = 1;
				fail(p, why, whylen, "incremental answer from serial %u, not from ours", rr_serial(rr));
				return -1;
			}
			if ((p->view = xfr_view_clone(p->base)) == NULL) {
				fail(p, why, whylen, "out of memory");
				return -1;
			}
			p->kind = XFR_INCR;
			p->cur = bs;
			p->st = P_DEL;
			return 0;
		}
		/* an AXFR-style answer (a zone of only its SOA when this is the closing SOA) */
		{
			struct zone_rr first = { p->zone, p->soa_rr, (uint8_t)p->zone_len, WIRE_TYPE_SOA, rr->rrclass,
				p->soa_rdlen, 0 };

			if ((p->view = xfr_view_new()) == NULL || xfr_view_add(p->view, &first) < 0) {
				fail(p, why, whylen, "out of memory");
				return -1;
			}
		}
		p->kind = XFR_FULL;
		p->st = P_AXFR;
		/* fall through */
	case P_AXFR:
		if (soa) {
			if (rr_serial(rr) != p->soa[0]) {
				fail(p, why, whylen, "SOA with serial %u inside a transfer of serial %u", rr_serial(rr),
				    p->soa[0]);
				return -1;
			}
			p->st = P_END;
			return 0;
		}
		if (xfr_view_add(p->view, rr) < 0) {
			fail(p, why, whylen, "out of memory");
			return -1;
		}
		return 0;
	case P_DEL:
		if (soa) {
			p->cur = rr_serial(rr);
			if (set_soa(p->view, rr) != 0) {
				fail(p, why, whylen, "out of memory");
				return -1;
			}
			p->st = P_ADD;
			return 0;
		}
		if (xfr_view_del(p->view, rr) != 1) {
			p->mismatch = 1;
			fail(p, why, whylen, "incremental answer deletes a record we do not have");
			return -1;
		}
		return 0;
	case P_ADD:
		if (soa) {
			uint32_t s = rr_serial(rr);

			if (s == p->soa[0] && p->cur == p->soa[0]) {
				p->st = P_END;
				return 0;
			}
			if (s != p->cur) {
				p->mismatch = 1;
				fail(p, why, whylen, "incremental answer skips from serial %u to %u", p->cur, s);
				return -1;
			}
			p->st = P_DEL;
			return 0;
		}
		if (xfr_view_add(p->view, rr) < 0) {
			fail(p, why, whylen, "out of memory");
			return -1;
		}
		return 0;
	case P_END:
		if (p->qtype == WIRE_TYPE_SOA)
			return 0;   /* other records beside the SOA answer are of no interest */
		fail(p, why, whylen, "records after the closing SOA");
		return -1;
	case P_ERR:
		return -1;
	}
	return -1;
}

/* Whether the question q asks for this parser's zone and type, class IN. */
static int
question_matches(const struct xfr_parse *p, const struct wire_question *q)
{
	uint8_t name[WIRE_NAME_MAX];

	if (q->name_len != p->zone_len || q->qtype != p->qtype || q->qclass != WIRE_CLASS_IN)
		return 0;
	memcpy(name, q->name, q->name_len);
	lower(name, q->name_len);
	return memcmp(name, p->zone, p->zone_len) == 0;
}

enum xfr_step
xfr_parse_msg(struct xfr_parse *p, const uint8_t *msg, size_t len, char *why, size_t whylen)
{
	struct wire_msg m;
	struct wire_cur c;
	uint8_t *rd = p->rd;
	unsigned i;
	char nb[32];

	if (p->st == P_ERR)
		return XFR_ERROR;
	if (p->st == P_END)
		return fail(p, why, whylen, "message after the end of the answer");
	p->nmsg++;
	p->octets += len;
	if (p->octets > p->lim.max_octets)
		return fail(p, why, whylen, "answer larger than %zu octets", p->lim.max_octets);
	if (wire_parse(msg, len, &m) != 0)
		return fail(p, why, whylen, "malformed message");
	if (m.id != p->id)
		return fail(p, why, whylen, "message with id %u, not %u", m.id, p->id);
	if (!(m.flags & WIRE_FLAG_QR) || wire_opcode(m.flags) != WIRE_OPCODE_QUERY)
		return fail(p, why, whylen, "not an answer to a query");
	if (wire_rcode(m.flags) != WIRE_RCODE_NOERROR) {
		if (p->qtype == 251 && (wire_rcode(m.flags) == WIRE_RCODE_NOTIMP ||
		    wire_rcode(m.flags) == WIRE_RCODE_FORMERR))
			p->mismatch = 1;   /* no IXFR there: an AXFR may work */
		return fail(p, why, whylen, "answered %s", wire_rcode_name(wire_rcode(m.flags), nb, sizeof nb));
	}
	if (m.flags & WIRE_FLAG_TC)
		return fail(p, why, whylen, "truncated answer (TC) over TCP");
	if (m.qdcount > 1 || (p->nmsg == 1 && m.qdcount != 1) || (m.qdcount == 1 && !question_matches(p, &m.q[0])))
		return fail(p, why, whylen, "answer to another question");
	p->nrec += m.ancount;
	if (p->nrec > p->lim.max_records)
		return fail(p, why, whylen, "answer of more than %zu records", p->lim.max_records);

	/* walk the answer section again, this time keeping the records */
	wire_cur_init(&c, msg, len);
	wire_skip(&c, WIRE_HDR_LEN);
	for (i = 0; i < m.qdcount; i++) {
		uint8_t qn[WIRE_NAME_MAX];

		wire_get_name(&c, qn, 1);
		wire_skip(&c, 4);
	}
	for (i = 0; i < m.ancount; i++) {
		struct wire_rr w;
		struct zone_rr rr;
		long rl;

		if (wire_get_rr(&c, &w) != 0)
			return fail(p, why, whylen, "malformed record");
		lower(w.name, w.name_len);
		if (!in_zone(w.name, w.name_len, p->zone, p->zone_len)) {
			if (p->qtype == WIRE_TYPE_SOA)
				continue;
			return fail(p, why, whylen, "record outside the zone");
		}
		if ((rl = canon_rdata(msg, len, &w, rd, sizeof p->rd)) < 0)
			return fail(p, why, whylen, "malformed RDATA of a %s record",
			    wire_type_name(w.type, nb, sizeof nb));
		rr.owner = w.name;
		rr.owner_len = (uint8_t)w.name_len;
		rr.type = w.type;
		rr.rrclass = w.rrclass;
		rr.ttl = w.ttl;
		rr.rdlen = (uint16_t)rl;
		rr.rdata = rl ? rd : (const uint8_t *)"";
		if (p->st == P_END && p->qtype != WIRE_TYPE_SOA)
			return fail(p, why, whylen, "records after the closing SOA");
		if (take_rr(p, &rr, why, whylen) != 0)
			return XFR_ERROR;
	}
	if (p->st == P_FIRST)
		return fail(p, why, whylen, p->qtype == WIRE_TYPE_SOA ? "no SOA in the answer" : "empty answer");
	if (p->st == P_SECOND) {
		/* a single SOA not newer than ours: up to date (RFC 1995 §4) */
		uint32_t bs;

		if (p->base != NULL && xfr_view_soa(p->base, &bs, NULL, NULL, NULL) == 0 &&
		    xfr_serial_cmp(p->soa[0], bs) <= 0) {
			p->kind = XFR_UPTODATE;
			p->st = P_END;
		}
	}
	return p->st == P_END ? XFR_DONE : XFR_MORE;
}

enum xfr_kind
xfr_parse_kind(const struct xfr_parse *p)
{
	return p->kind;
}

int
xfr_parse_soa(const struct xfr_parse *p, uint32_t *serial, uint32_t *refresh, uint32_t *retry, uint32_t *expire)
{
	if (p->st != P_END)
		return -1;
	*serial = p->soa[0];
	*refresh = p->soa[1];
	*retry = p->soa[2];
	*expire = p->soa[3];
	return 0;
}

struct xfr_view *
xfr_parse_take_view(struct xfr_parse *p)
{
	struct xfr_view *v;

	if (p->st != P_END || p->kind == XFR_UPTODATE)
		return NULL;
	v = p->view;
	p->view = NULL;
	return v;
}

int
xfr_parse_mismatch(const struct xfr_parse *p)
{
	return p->mismatch;
}
