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
#include "xfrsrv.h"

static struct xfr_parse *
zparse(uint16_t qtype, uint16_t id, const struct xfr_view *base, const struct xfr_limits *lim)
{
	uint8_t z[WIRE_NAME_MAX];
	size_t zl = wire_name_from_text(XS_ZONE, z);
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

/* Milliseconds on the clock the loop's timers run on. libevent's own (on Linux the coarse monotonic clock,
 * 4 ms ticks here), not tu_now_ms: measured on another clock, a 300 ms read timeout took 299 ms once. */
static uint64_t
loop_ms(struct event_base *base)
{
	struct timeval tv;

	ck_assert_int_eq(event_gettime_monotonic(base, &tv), 0);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* Run one check to its end (bounded at 20 s). */
static void
run_check(struct event_base *base, struct xfr_req *req, struct outcome *o)
{
	struct timeval tv = { 20, 0 };
	uint64_t t0 = loop_ms(base);

	memset(o, 0, sizeof *o);
	o->base = base;
	ck_assert_ptr_nonnull(xfr_start(base, req, on_done, o));
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	o->ms = loop_ms(base) - t0;
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
	srv_stop(&s);
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
	srv_stop(&s);
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
	ck_assert_int_ne(o.r.master.family, 0);
	ck_assert_uint_eq(o.r.master.port, s.port);
	ck_assert_str_eq(dead.log, "SOA");
	ck_assert_uint_ge(o.ms, 300);
	xfr_view_free(o.view);
	srv_stop(&s);
	srv_stop(&dead);
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
	srv_stop(&s);
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
	srv_stop(&s);
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
	ck_assert_ptr_nonnull(strstr(o.r.why, "wrongly signed"));
	ck_assert_ptr_null(o.view);
	srv_stop(&s);
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
