/* Tests of xfr: the record view, the SOA/AXFR/IXFR answer parser, and the client against a scripted
 * TCP server on the same event loop (multi-message, increments, fallbacks, timeouts, caps, TSIG hooks). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "testutil.h"
#include "wire.h"
#include "xfr.h"

#define AXFR 252
#define IXFR 251
#define PTR 12
#define TXT 16
#define NS 2

/* ---- a message builder ---- */

struct mb {
	uint8_t b[65535];
	size_t len;
	unsigned an;
	int compress;   /* owner names equal to the zone written as a pointer to the question */
};

static const char *zone_text = "cat.example.";

static void
put(struct mb *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->len + n, sizeof m->b);
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void
put16(struct mb *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, b, 2);
}

static void
put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
putname(struct mb *m, const char *text)
{
	uint8_t n[WIRE_NAME_MAX];
	size_t l = wire_name_from_text(text, n);

	ck_assert_uint_gt(l, 0);
	put(m, n, l);
}

/* Start an answer with id, flags (QR|AA by default when 0) and, when q, the question. */
static void
mb_init(struct mb *m, uint16_t id, uint16_t flags, uint16_t qtype, int q)
{
	memset(m, 0, sizeof *m);
	put16(m, id);
	put16(m, flags ? flags : 0x8400);
	put16(m, q ? 1 : 0);
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
	if (q) {
		putname(m, zone_text);
		put16(m, qtype);
		put16(m, 1);
	}
}

static void
mb_owner(struct mb *m, const char *owner)
{
	if (m->compress && strcmp(owner, zone_text) == 0 && m->b[5] == 1)
		put16(m, 0xc00c);
	else
		putname(m, owner);
}

static void
mb_soa(struct mb *m, uint32_t serial)
{
	size_t at;

	mb_owner(m, zone_text);
	put16(m, 6);
	put16(m, 1);
	put32(m, 0);
	at = m->len;
	put16(m, 0);
	putname(m, "invalid.");
	putname(m, "invalid.");
	put32(m, serial);
	put32(m, 3600);
	put32(m, 600);
	put32(m, 86400);
	put32(m, 0);
	m->b[at] = (uint8_t)((m->len - at - 2) >> 8);
	m->b[at + 1] = (uint8_t)(m->len - at - 2);
	m->an++;
}

static void
mb_ptr(struct mb *m, const char *owner, const char *target)
{
	size_t at;

	putname(m, owner);
	put16(m, PTR);
	put16(m, 1);
	put32(m, 0);
	at = m->len;
	put16(m, 0);
	putname(m, target);
	m->b[at] = (uint8_t)((m->len - at - 2) >> 8);
	m->b[at + 1] = (uint8_t)(m->len - at - 2);
	m->an++;
}

static void
mb_txt(struct mb *m, const char *owner, const char *text)
{
	uint8_t l = (uint8_t)strlen(text);

	putname(m, owner);
	put16(m, TXT);
	put16(m, 1);
	put32(m, 0);
	put16(m, (unsigned)l + 1);
	put(m, &l, 1);
	put(m, text, l);
	m->an++;
}

static void
mb_ns(struct mb *m)
{
	mb_owner(m, zone_text);
	put16(m, NS);
	put16(m, 1);
	put32(m, 0);
	put16(m, 9);
	putname(m, "invalid.");
	m->an++;
}

/* Set the answer count; returns the length. */
static size_t
mb_end(struct mb *m)
{
	m->b[6] = (uint8_t)(m->an >> 8);
	m->b[7] = (uint8_t)m->an;
	return m->len;
}

static struct xfr_parse *
zparse(uint16_t qtype, uint16_t id, const struct xfr_view *base, const struct xfr_limits *lim)
{
	uint8_t z[WIRE_NAME_MAX];
	size_t zl = wire_name_from_text(zone_text, z);
	struct xfr_parse *p = xfr_parse_new(z, zl, qtype, id, base, lim);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* The text "owner TYPE target" of every PTR record, sorted by appearance, joined with ";". */
static char *
ptrs(struct xfr_view *v)
{
	static char out[4096];
	size_t n, i;
	const struct zone_rr *r = xfr_view_records(v, &n);

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		char o[WIRE_NAME_TEXT_MAX], t[WIRE_NAME_TEXT_MAX];

		if (r[i].type != PTR)
			continue;
		wire_name_to_text(r[i].owner, r[i].owner_len, o, sizeof o);
		wire_name_to_text(r[i].rdata, r[i].rdlen, t, sizeof t);
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s>%s", out[0] ? ";" : "", o, t);
	}
	return out;
}

/* An AXFR of serial with members "label>zone" pairs, parsed into a view. */
static struct xfr_view *
axfr_view(uint32_t serial, const char *const *members, size_t n)
{
	static struct mb m;
	struct xfr_parse *p = zparse(AXFR, 1, NULL, NULL);
	struct xfr_view *v;
	char why[200];
	size_t i;

	mb_init(&m, 1, 0, AXFR, 1);
	mb_soa(&m, serial);
	mb_ns(&m);
	mb_txt(&m, "version.cat.example.", "2");
	for (i = 0; i < n; i += 2)
		mb_ptr(&m, members[i], members[i + 1]);
	mb_soa(&m, serial);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_DONE);
	ck_assert_int_eq(xfr_parse_kind(p), XFR_FULL);
	v = xfr_parse_take_view(p);
	ck_assert_ptr_nonnull(v);
	xfr_parse_free(p);
	return v;
}

static const char *const two[] = { "a.zones.cat.example.", "a.example.", "b.zones.cat.example.", "b.example." };

START_TEST(axfr_single_message)
{
	struct xfr_view *v = axfr_view(7, two, 4);
	uint32_t s, r, t, e;

	ck_assert_uint_eq(xfr_view_count(v), 5);
	ck_assert_str_eq(ptrs(v), "a.zones.cat.example.>a.example.;b.zones.cat.example.>b.example.");
	ck_assert_int_eq(xfr_view_soa(v, &s, &r, &t, &e), 0);
	ck_assert_uint_eq(s, 7);
	ck_assert_uint_eq(r, 3600);
	ck_assert_uint_eq(t, 600);
	ck_assert_uint_eq(e, 86400);
	xfr_view_free(v);
}
END_TEST

/* Three messages, the later ones without a question, names compressed and in mixed case. */
START_TEST(axfr_multi_message)
{
	static struct mb m;
	struct xfr_parse *p = zparse(AXFR, 9, NULL, NULL);
	struct xfr_view *v;
	char why[200];

	mb_init(&m, 9, 0, AXFR, 1);
	m.compress = 1;
	mb_soa(&m, 3);
	mb_ns(&m);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_MORE);
	mb_init(&m, 9, 0, AXFR, 0);
	mb_txt(&m, "VERSION.Cat.Example.", "2");
	mb_ptr(&m, "X.zones.CAT.example.", "Member.Example.");
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_MORE);
	mb_init(&m, 9, 0, AXFR, 0);
	mb_soa(&m, 3);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_DONE);
	v = xfr_parse_take_view(p);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(xfr_view_count(v), 4);
	ck_assert_str_eq(ptrs(v), "x.zones.cat.example.>member.example.");
	/* a further message is an error */
	ck_assert_int_eq(xfr_parse_msg(p, m.b, m.len, why, sizeof why), XFR_ERROR);
	xfr_view_free(v);
	xfr_parse_free(p);
}
END_TEST

/* A real incremental answer with two deltas, deletions in another case than the records. */
START_TEST(ixfr_increments)
{
	static struct mb m;
	struct xfr_view *base = axfr_view(1, two, 4), *v;
	struct xfr_parse *p = zparse(IXFR, 5, base, NULL);
	char why[200];
	uint32_t s;

	mb_init(&m, 5, 0, IXFR, 1);
	mb_soa(&m, 3);
	mb_soa(&m, 1);
	mb_ptr(&m, "B.zones.cat.example.", "B.EXAMPLE.");
	mb_soa(&m, 2);
	mb_ptr(&m, "c.zones.cat.example.", "c.example.");
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_MORE);
	mb_init(&m, 5, 0, IXFR, 0);
	mb_soa(&m, 2);
	mb_ptr(&m, "a.zones.cat.example.", "a.example.");
	mb_soa(&m, 3);
	mb_ptr(&m, "d.zones.cat.example.", "d.example.");
	mb_soa(&m, 3);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_DONE);
	ck_assert_int_eq(xfr_parse_kind(p), XFR_INCR);
	v = xfr_parse_take_view(p);
	ck_assert_str_eq(ptrs(v), "c.zones.cat.example.>c.example.;d.zones.cat.example.>d.example.");
	ck_assert_int_eq(xfr_view_soa(v, &s, NULL, NULL, NULL), 0);
	ck_assert_uint_eq(s, 3);
	ck_assert_uint_eq(xfr_view_count(v), 5);
	/* the base is untouched */
	ck_assert_str_eq(ptrs(base), "a.zones.cat.example.>a.example.;b.zones.cat.example.>b.example.");
	xfr_view_free(v);
	xfr_parse_free(p);
	xfr_view_free(base);
}
END_TEST

START_TEST(ixfr_axfr_style)
{
	static struct mb m;
	struct xfr_view *base = axfr_view(1, two, 4), *v;
	struct xfr_parse *p = zparse(IXFR, 5, base, NULL);
	char why[200];

	/* Designate: IXFR gets the whole zone, also when the serial did not change */
	mb_init(&m, 5, 0, IXFR, 1);
	mb_soa(&m, 1);
	mb_ns(&m);
	mb_txt(&m, "version.cat.example.", "2");
	mb_ptr(&m, "c.zones.cat.example.", "c.example.");
	mb_soa(&m, 1);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_DONE);
	ck_assert_int_eq(xfr_parse_kind(p), XFR_FULL);
	v = xfr_parse_take_view(p);
	ck_assert_str_eq(ptrs(v), "c.zones.cat.example.>c.example.");
	xfr_view_free(v);
	xfr_parse_free(p);
	xfr_view_free(base);
}
END_TEST

START_TEST(ixfr_up_to_date)
{
	static struct mb m;
	struct xfr_view *base = axfr_view(10, two, 4);
	struct xfr_parse *p = zparse(IXFR, 5, base, NULL);
	char why[200];

	mb_init(&m, 5, 0, IXFR, 1);
	mb_soa(&m, 10);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_DONE);
	ck_assert_int_eq(xfr_parse_kind(p), XFR_UPTODATE);
	ck_assert_ptr_null(xfr_parse_take_view(p));
	xfr_parse_free(p);
	/* a single newer SOA is not "up to date": the answer must go on */
	p = zparse(IXFR, 5, base, NULL);
	mb_init(&m, 5, 0, IXFR, 1);
	mb_soa(&m, 11);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_MORE);
	xfr_parse_free(p);
	xfr_view_free(base);
}
END_TEST

START_TEST(ixfr_mismatch)
{
	static struct mb m;
	struct xfr_view *base = axfr_view(1, two, 4);
	struct xfr_parse *p = zparse(IXFR, 5, base, NULL);
	char why[200];

	/* deletes a record the base does not have */
	mb_init(&m, 5, 0, IXFR, 1);
	mb_soa(&m, 2);
	mb_soa(&m, 1);
	mb_ptr(&m, "z.zones.cat.example.", "z.example.");
	mb_soa(&m, 2);
	mb_soa(&m, 2);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_ERROR);
	ck_assert_int_eq(xfr_parse_mismatch(p), 1);
	ck_assert_ptr_nonnull(strstr(why, "do not have"));
	xfr_parse_free(p);
	/* starts from another serial than ours */
	p = zparse(IXFR, 5, base, NULL);
	mb_init(&m, 5, 0, IXFR, 1);
	mb_soa(&m, 3);
	mb_soa(&m, 2);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_ERROR);
	ck_assert_int_eq(xfr_parse_mismatch(p), 1);
	xfr_parse_free(p);
	xfr_view_free(base);
}
END_TEST

/* One broken answer each: wrong id, rcode, TC, question, out of zone, records after the end, ... */
START_TEST(bad_answers)
{
	static struct mb m;
	char why[200];
	struct xfr_parse *p;
	int k;

	for (k = 0; k < 9; k++) {
		uint16_t id = 4, flags = 0;
		int q = 1;

		p = zparse(AXFR, 4, NULL, NULL);
		if (k == 0)
			id = 5;
		if (k == 1)
			flags = 0x8405;   /* REFUSED */
		if (k == 2)
			flags = 0x8600;   /* TC */
		if (k == 3)
			q = 0;            /* first message without question */
		if (k == 4)
			flags = 0x0400;   /* no QR */
		mb_init(&m, id, flags, AXFR, q);
		if (k != 8)
			mb_soa(&m, 1);
		if (k == 5)
			mb_ptr(&m, "a.zones.other.example.", "a.example.");
		if (k == 6)
			mb_soa(&m, 2);    /* another serial inside */
		mb_ptr(&m, "a.zones.cat.example.", "a.example.");
		mb_soa(&m, 1);
		if (k == 7)
			mb_ptr(&m, "b.zones.cat.example.", "b.example.");   /* after the closing SOA */
		why[0] = '\0';
		ck_assert_msg(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why) == XFR_ERROR, "case %d accepted", k);
		ck_assert_msg(why[0] != '\0', "case %d: no reason", k);
		ck_assert_ptr_null(xfr_parse_take_view(p));
		xfr_parse_free(p);
	}
}
END_TEST

/* Every proper prefix of an answer, and random garbage, are errors and never crash. */
START_TEST(truncated_and_garbage)
{
	static struct mb m;
	char why[200];
	size_t len, cut;
	struct xfr_parse *p;
	int i;

	mb_init(&m, 4, 0, AXFR, 1);
	m.compress = 1;
	mb_soa(&m, 1);
	mb_ns(&m);
	mb_ptr(&m, "a.zones.cat.example.", "a.example.");
	mb_soa(&m, 1);
	len = mb_end(&m);
	for (cut = 0; cut < len; cut++) {
		p = zparse(AXFR, 4, NULL, NULL);
		ck_assert_msg(xfr_parse_msg(p, m.b, cut, why, sizeof why) == XFR_ERROR, "prefix %zu accepted", cut);
		xfr_parse_free(p);
	}
	srand(1);
	for (i = 0; i < 2000; i++) {
		uint8_t g[300];
		size_t j, gl = (size_t)(rand() % (int)sizeof g);

		memcpy(g, m.b, gl < len ? gl : len);
		for (j = 0; j < gl; j++)
			if (j >= len || rand() % 8 == 0)
				g[j] = (uint8_t)rand();
		p = zparse(AXFR, 4, NULL, NULL);
		(void)xfr_parse_msg(p, g, gl, why, sizeof why);
		xfr_parse_free(p);
	}
}
END_TEST

START_TEST(size_caps)
{
	static struct mb m;
	char why[200];
	struct xfr_limits lim = { 0, 3 };
	struct xfr_parse *p = zparse(AXFR, 4, NULL, &lim);
	size_t len;

	mb_init(&m, 4, 0, AXFR, 1);
	mb_soa(&m, 1);
	mb_ptr(&m, "a.zones.cat.example.", "a.example.");
	mb_ptr(&m, "b.zones.cat.example.", "b.example.");
	mb_soa(&m, 1);
	len = mb_end(&m);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, len, why, sizeof why), XFR_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "records"));
	xfr_parse_free(p);
	lim.max_records = 0;
	lim.max_octets = len - 1;
	p = zparse(AXFR, 4, NULL, &lim);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, len, why, sizeof why), XFR_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "octets"));
	xfr_parse_free(p);
	lim.max_octets = len;
	p = zparse(AXFR, 4, NULL, &lim);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, len, why, sizeof why), XFR_DONE);
	xfr_parse_free(p);
}
END_TEST

START_TEST(soa_answer)
{
	static struct mb m;
	char why[200];
	struct xfr_parse *p = zparse(WIRE_TYPE_SOA, 4, NULL, NULL);
	uint32_t s, r, t, e;

	mb_init(&m, 4, 0, WIRE_TYPE_SOA, 1);
	m.compress = 1;
	mb_soa(&m, 77);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_DONE);
	ck_assert_int_eq(xfr_parse_soa(p, &s, &r, &t, &e), 0);
	ck_assert_uint_eq(s, 77);
	xfr_parse_free(p);
	/* an empty answer (NODATA) */
	p = zparse(WIRE_TYPE_SOA, 4, NULL, NULL);
	mb_init(&m, 4, 0, WIRE_TYPE_SOA, 1);
	ck_assert_int_eq(xfr_parse_msg(p, m.b, mb_end(&m), why, sizeof why), XFR_ERROR);
	xfr_parse_free(p);
}
END_TEST

START_TEST(view_set_semantics)
{
	struct xfr_view *v = xfr_view_new(), *c;
	uint8_t owner[WIRE_NAME_MAX], rd[WIRE_NAME_MAX];
	char name[64];
	int i;
	size_t n;

	for (i = 0; i < 20000; i++) {
		struct zone_rr rr = { owner, rd, 0, PTR, 1, 0, 0 };

		snprintf(name, sizeof name, "m%d.zones.cat.example.", i);
		rr.owner_len = (uint8_t)wire_name_from_text(name, owner);
		snprintf(name, sizeof name, "z%d.example.", i);
		rr.rdlen = (uint16_t)wire_name_from_text(name, rd);
		ck_assert_int_eq(xfr_view_add(v, &rr), 1);
		ck_assert_int_eq(xfr_view_add(v, &rr), 0);
		if (i % 2 == 0)
			ck_assert_int_eq(xfr_view_del(v, &rr), 1);
		ck_assert_int_eq(xfr_view_del(v, &rr), i % 2 == 0 ? 0 : 1);
		ck_assert_int_eq(xfr_view_add(v, &rr), 1);
	}
	ck_assert_uint_eq(xfr_view_count(v), 20000);
	c = xfr_view_clone(v);
	xfr_view_records(v, &n);
	ck_assert_uint_eq(n, 20000);
	ck_assert_uint_eq(xfr_view_count(c), 20000);
	xfr_view_free(v);
	xfr_view_free(c);
	ck_assert_int_lt(xfr_serial_cmp(1, 2), 0);
	ck_assert_int_gt(xfr_serial_cmp(1, 0xffffffffu), 0);
	ck_assert_int_eq(xfr_serial_cmp(5, 5), 0);
}
END_TEST

/* ---- the client against a scripted server on the same loop ---- */

enum behaviour {
	B_ANSWER,      /* answer from the zone below */
	B_SILENT,      /* read the query, never answer */
	B_HALF,        /* send half the answer, then close */
	B_NOTIMP_IXFR, /* IXFR answered NOTIMP */
	B_BAD_INCR,    /* IXFR answered with an increment from another serial */
};

struct srv {
	struct event_base *base;
	struct evconnlistener *l;
	uint16_t port;
	enum behaviour beh;
	uint32_t serial;
	int members;               /* a.zones .. */
	int per_msg;               /* records per message */
	char log[512];             /* "SOA,AXFR,..." queries seen */
	int ixfr_had_soa;          /* the IXFR query carried our SOA in its authority section */
	int sign_marker;           /* answers carry this many trailing marker octets? (see tsig hooks) */
};

struct sconn {
	struct srv *s;
	struct bufferevent *bev;
	int closing;   /* close once the output is written */
};

static void
srv_send(struct bufferevent *bev, struct mb *m, size_t upto)
{
	size_t len = mb_end(m);
	uint8_t l[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	bufferevent_write(bev, l, 2);
	bufferevent_write(bev, m->b, upto ? upto : len);
}

static void
srv_answer(struct sconn *sc, uint16_t id, uint16_t qtype)
{
	static struct mb m;
	struct srv *s = sc->s;
	int i, in_msg = 0;
	char owner[64], target[64];

	if (qtype == IXFR && s->beh == B_NOTIMP_IXFR) {
		mb_init(&m, id, 0x8404, IXFR, 1);
		srv_send(sc->bev, &m, 0);
		return;
	}
	if (qtype == IXFR && s->beh == B_BAD_INCR) {
		mb_init(&m, id, 0, IXFR, 1);
		mb_soa(&m, s->serial);
		mb_soa(&m, s->serial - 7);
		mb_soa(&m, s->serial);
		mb_soa(&m, s->serial);
		srv_send(sc->bev, &m, 0);
		return;
	}
	mb_init(&m, id, 0, qtype, 1);
	mb_soa(&m, s->serial);
	if (qtype == WIRE_TYPE_SOA) {
		srv_send(sc->bev, &m, 0);
		return;
	}
	mb_ns(&m);
	mb_txt(&m, "version.cat.example.", "2");
	for (i = 0; i < s->members; i++) {
		snprintf(owner, sizeof owner, "m%d.zones.cat.example.", i);
		snprintf(target, sizeof target, "z%d.example.", i);
		mb_ptr(&m, owner, target);
		if (++in_msg == s->per_msg) {
			srv_send(sc->bev, &m, 0);
			mb_init(&m, id, 0, qtype, 0);
			in_msg = 0;
		}
	}
	mb_soa(&m, s->serial);
	srv_send(sc->bev, &m, s->beh == B_HALF ? m.len / 2 : 0);
}

static void
sconn_read(struct bufferevent *bev, void *arg)
{
	struct sconn *sc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t q[1024];
	size_t len;
	struct wire_msg wm;

	if (evbuffer_get_length(in) < 2)
		return;
	evbuffer_copyout(in, q, 2);
	len = (size_t)q[0] << 8 | q[1];
	if (evbuffer_get_length(in) < len + 2)
		return;
	evbuffer_drain(in, 2);
	evbuffer_remove(in, q, len);
	ck_assert_int_eq(wire_parse(q, len, &wm), 0);
	snprintf(sc->s->log + strlen(sc->s->log), sizeof sc->s->log - strlen(sc->s->log), "%s%s",
	    sc->s->log[0] ? "," : "", wm.q[0].qtype == 6 ? "SOA" : wm.q[0].qtype == IXFR ? "IXFR" : "AXFR");
	if (wm.q[0].qtype == IXFR)
		sc->s->ixfr_had_soa = wm.nscount == 1;
	if (sc->s->beh == B_SILENT)
		return;
	srv_answer(sc, wm.id, wm.q[0].qtype);
	if (sc->s->beh == B_HALF && wm.q[0].qtype != WIRE_TYPE_SOA)
		sc->closing = 1;
}

static void
sconn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	bufferevent_free(bev);
	free(arg);
}

static void
sconn_written(struct bufferevent *bev, void *arg)
{
	struct sconn *sc = arg;

	if (sc->closing) {
		bufferevent_free(bev);
		free(sc);
	}
}

static void
srv_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int sl, void *arg)
{
	struct sconn *sc = calloc(1, sizeof *sc);

	(void)l;
	(void)sa;
	(void)sl;
	sc->s = arg;
	sc->bev = bufferevent_socket_new(sc->s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(sc->bev, sconn_read, sconn_written, sconn_event, sc);
	bufferevent_enable(sc->bev, EV_READ | EV_WRITE);
}

static void
srv_start(struct srv *s, struct event_base *base)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	s->base = base;
	s->port = tu_free_port();
	sin.sin_port = htons(s->port);
	s->l = evconnlistener_new_bind(base, srv_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof sin);
	ck_assert_ptr_nonnull(s->l);
	if (s->per_msg == 0)
		s->per_msg = 1000;
}

struct outcome {
	int called;
	struct xfr_result r;
	struct xfr_view *view;
	uint64_t ms;
	struct event_base *base;
};

static void
on_done(void *arg, struct xfr_result *r)
{
	struct outcome *o = arg;

	o->called++;
	o->r = *r;
	o->view = r->view;
	r->view = NULL;
	event_base_loopbreak(o->base);
}

static void
master_at(struct netaddr *a, uint16_t port)
{
	ck_assert_int_eq(netaddr_parse_ip("127.0.0.1", a), 0);
	a->port = port;
}

/* Run one check to its end (bounded at 20 s). */
static void
run_check(struct event_base *base, struct xfr_req *req, struct outcome *o)
{
	struct timeval tv = { 20, 0 };
	uint64_t t0 = tu_now_ms();

	memset(o, 0, sizeof *o);
	o->base = base;
	ck_assert_ptr_nonnull(xfr_start(base, req, on_done, o));
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	o->ms = tu_now_ms() - t0;
	ck_assert_int_eq(o->called, 1);
}

START_TEST(client_soa_then_axfr_multi)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 42, .members = 2500, .per_msg = 100 };
	struct netaddr m;
	struct xfr_req req = { .zone = "Cat.Example", .nmasters = 1 };
	struct outcome o;

	srv_start(&s, base);
	master_at(&m, s.port);
	req.masters = &m;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_OK);
	ck_assert_int_eq(o.r.kind, XFR_FULL);
	ck_assert_uint_eq(o.r.serial, 42);
	ck_assert_uint_eq(xfr_view_count(o.view), 2500 + 3);
	ck_assert_str_eq(s.log, "SOA,AXFR");
	xfr_view_free(o.view);
	evconnlistener_free(s.l);
	event_base_free(base);
}
END_TEST

START_TEST(client_same_serial_and_forced)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 42, .members = 3 };
	struct netaddr m;
	struct xfr_req req = { .zone = "cat.example.", .nmasters = 1 };
	struct outcome o;
	struct xfr_view *first;

	srv_start(&s, base);
	master_at(&m, s.port);
	req.masters = &m;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_OK);
	first = o.view;
	/* same serial, not forced: no transfer */
	s.log[0] = '\0';
	req.base = first;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_SAME);
	ck_assert_str_eq(s.log, "SOA");
	/* forced (a NOTIFY): IXFR from our serial, with our SOA; this server answers with the whole zone */
	s.log[0] = '\0';
	s.members = 4;
	req.force = 1;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_OK);
	ck_assert_str_eq(s.log, "SOA,IXFR");
	ck_assert_int_eq(s.ixfr_had_soa, 1);
	ck_assert_int_eq(o.r.kind, XFR_FULL);
	ck_assert_uint_eq(xfr_view_count(o.view), 4 + 3);
	xfr_view_free(o.view);
	xfr_view_free(first);
	evconnlistener_free(s.l);
	event_base_free(base);
}
END_TEST

START_TEST(client_masters_in_order)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 5, .members = 1 }, dead = { .beh = B_SILENT };
	struct netaddr m[3];
	struct xfr_req req = { .zone = "cat.example.", .nmasters = 3, .read_timeout_ms = 300 };
	struct outcome o;

	srv_start(&s, base);
	srv_start(&dead, base);
	master_at(&m[0], tu_free_port());   /* nothing listens: refused */
	master_at(&m[1], dead.port);        /* accepts, never answers: read timeout */
	master_at(&m[2], s.port);
	req.masters = m;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_OK);
	ck_assert_ptr_nonnull(o.r.master);
	ck_assert_uint_eq(o.r.master->port, s.port);
	ck_assert_str_eq(dead.log, "SOA");
	ck_assert_uint_ge(o.ms, 300);
	xfr_view_free(o.view);
	evconnlistener_free(s.l);
	evconnlistener_free(dead.l);
	event_base_free(base);
}
END_TEST

START_TEST(client_failures)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_HALF, .serial = 5, .members = 10 };
	struct netaddr m;
	struct xfr_req req = { .zone = "cat.example.", .nmasters = 1, .read_timeout_ms = 400 };
	struct outcome o;

	srv_start(&s, base);
	master_at(&m, s.port);
	req.masters = &m;
	/* half an answer, then the connection closes */
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_FAILED);
	ck_assert_ptr_nonnull(strstr(o.r.why, "AXFR"));
	ck_assert_ptr_null(o.view);
	/* an answer over the size cap */
	s.beh = B_ANSWER;
	s.members = 1000;
	req.limits.max_records = 500;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_FAILED);
	ck_assert_ptr_nonnull(strstr(o.r.why, "records"));
	/* silence: the read timeout, then the overall deadline caps everything */
	s.beh = B_SILENT;
	req.limits.max_records = 0;
	req.read_timeout_ms = 10000;
	req.deadline_ms = 500;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_FAILED);
	ck_assert_ptr_nonnull(strstr(o.r.why, "deadline"));
	ck_assert_uint_ge(o.ms, 450);
	ck_assert_uint_lt(o.ms, 5000);
	evconnlistener_free(s.l);
	event_base_free(base);
}
END_TEST

/* A server without IXFR, and one with an increment that does not fit: both fall back to AXFR. */
START_TEST(client_ixfr_fallback)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 50, .members = 2 };
	struct netaddr m;
	struct xfr_req req = { .zone = "cat.example.", .nmasters = 1 };
	struct outcome o;
	struct xfr_view *first;
	int k;

	srv_start(&s, base);
	master_at(&m, s.port);
	req.masters = &m;
	run_check(base, &req, &o);
	first = o.view;
	req.base = first;
	for (k = 0; k < 2; k++) {
		s.beh = k == 0 ? B_NOTIMP_IXFR : B_BAD_INCR;
		s.serial = 60 + (uint32_t)k;
		s.log[0] = '\0';
		run_check(base, &req, &o);
		ck_assert_int_eq(o.r.status, XFR_OK);
		ck_assert_int_eq(o.r.kind, XFR_FULL);
		ck_assert_uint_eq(o.r.serial, 60 + (uint32_t)k);
		ck_assert_str_eq(s.log, "SOA,IXFR,AXFR");
		xfr_view_free(o.view);
	}
	xfr_view_free(first);
	evconnlistener_free(s.l);
	event_base_free(base);
}
END_TEST

/* TSIG hooks: every query signed, every answer message verified in order, the last one flagged;
 * a rejection fails the check. (The real TSIG is tested with the tsig module.) */
struct fake_tsig {
	int signs, verifies, lasts, reject_at, frees;
};

static size_t
fake_sign(void *key, uint8_t *buf, size_t len, size_t cap, void **vctx)
{
	struct fake_tsig *t = key;

	(void)buf;
	(void)cap;
	t->signs++;
	*vctx = t;
	return len;
}

static int
fake_verify(void *vctx, const uint8_t *msg, size_t len, int last, char *why, size_t whylen)
{
	struct fake_tsig *t = vctx;

	(void)msg;
	(void)len;
	t->verifies++;
	t->lasts += last;
	if (t->reject_at && t->verifies == t->reject_at) {
		snprintf(why, whylen, "wrongly signed");
		return -1;
	}
	return 0;
}

static void
fake_free(void *vctx)
{
	((struct fake_tsig *)vctx)->frees++;
}

START_TEST(client_tsig_hooks)
{
	struct event_base *base = event_base_new();
	struct srv s = { .beh = B_ANSWER, .serial = 5, .members = 30, .per_msg = 10 };
	struct netaddr m;
	struct fake_tsig ft = { 0 };
	struct xfr_tsig ops = { fake_sign, fake_verify, fake_free, &ft };
	struct xfr_req req = { .zone = "cat.example.", .nmasters = 1, .tsig = &ops };
	struct outcome o;

	srv_start(&s, base);
	master_at(&m, s.port);
	req.masters = &m;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_OK);
	ck_assert_int_eq(ft.signs, 2);
	ck_assert_int_eq(ft.verifies, 1 + 4);   /* SOA answer, then 4 AXFR messages */
	ck_assert_int_eq(ft.lasts, 2);
	ck_assert_int_eq(ft.frees, 2);
	xfr_view_free(o.view);
	memset(&ft, 0, sizeof ft);
	ft.reject_at = 3;
	run_check(base, &req, &o);
	ck_assert_int_eq(o.r.status, XFR_FAILED);
	ck_assert_ptr_nonnull(strstr(o.r.why, "TSIG: wrongly signed"));
	ck_assert_ptr_null(o.view);
	evconnlistener_free(s.l);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xfr");
	TCase *p = tcase_create("parse"), *c = tcase_create("client");

	tu_init();
	tcase_add_test(p, axfr_single_message);
	tcase_add_test(p, axfr_multi_message);
	tcase_add_test(p, ixfr_increments);
	tcase_add_test(p, ixfr_axfr_style);
	tcase_add_test(p, ixfr_up_to_date);
	tcase_add_test(p, ixfr_mismatch);
	tcase_add_test(p, bad_answers);
	tcase_add_test(p, truncated_and_garbage);
	tcase_add_test(p, size_caps);
	tcase_add_test(p, soa_answer);
	tcase_add_test(p, view_set_semantics);
	tcase_add_test(c, client_soa_then_axfr_multi);
	tcase_add_test(c, client_same_serial_and_forced);
	tcase_add_test(c, client_masters_in_order);
	tcase_add_test(c, client_failures);
	tcase_add_test(c, client_ixfr_fallback);
	tcase_add_test(c, client_tsig_hooks);
	suite_add_tcase(s, p);
	suite_add_tcase(s, c);
	return tu_run_suite(s);
}
