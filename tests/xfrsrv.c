/* Tests: a DNS answer builder and a scripted TCP server (SOA/AXFR/IXFR of a catalog) on an event loop. */
#include "xfrsrv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "testutil.h"
#include "wire.h"



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
void
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
		putname(m, XS_ZONE);
		put16(m, qtype);
		put16(m, 1);
	}
}

static void
mb_owner(struct mb *m, const char *owner)
{
	if (m->compress && strcmp(owner, XS_ZONE) == 0 && m->b[5] == 1)
		put16(m, 0xc00c);
	else
		putname(m, owner);
}

void
mb_soa(struct mb *m, uint32_t serial)
{
	mb_soa_timers(m, serial, 3600, 600, 86400);
}

void
mb_soa_timers(struct mb *m, uint32_t serial, uint32_t refresh, uint32_t retry, uint32_t expire)
{
	size_t at;

	mb_owner(m, XS_ZONE);
	put16(m, 6);
	put16(m, 1);
	put32(m, 0);
	at = m->len;
	put16(m, 0);
	putname(m, "invalid.");
	putname(m, "invalid.");
	put32(m, serial);
	put32(m, refresh);
	put32(m, retry);
	put32(m, expire);
	put32(m, 0);
	m->b[at] = (uint8_t)((m->len - at - 2) >> 8);
	m->b[at + 1] = (uint8_t)(m->len - at - 2);
	m->an++;
}

void
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

void
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

void
mb_ns(struct mb *m)
{
	mb_owner(m, XS_ZONE);
	put16(m, NS);
	put16(m, 1);
	put32(m, 0);
	put16(m, 9);
	putname(m, "invalid.");
	m->an++;
}

/* Set the answer count; returns the length. */
size_t
mb_end(struct mb *m)
{
	m->b[6] = (uint8_t)(m->an >> 8);
	m->b[7] = (uint8_t)m->an;
	return m->len;
}



struct sconn {
	struct srv *s;
	struct bufferevent *bev;
	int closing;   /* close once the output is written */
	struct sconn *next;
};

/* Close one server-side connection and forget it. */
static void
sconn_close(struct sconn *sc)
{
	struct sconn **pp;

	for (pp = (struct sconn **)&sc->s->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == sc) {
			*pp = sc->next;
			break;
		}
	bufferevent_free(sc->bev);
	free(sc);
}

static void
srv_send(struct bufferevent *bev, struct mb *m, size_t upto)
{
	size_t len = mb_end(m);
	uint8_t l[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	bufferevent_write(bev, l, 2);
	bufferevent_write(bev, m->b, upto ? upto : len);
}

static void
srv_soa(struct srv *s, struct mb *m)
{
	mb_soa_timers(m, s->serial, s->refresh ? s->refresh : 3600, s->retry ? s->retry : 600,
	    s->expire ? s->expire : 86400);
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
	srv_soa(s, &m);
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
	srv_soa(s, &m);
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
	sc->s->queries++;
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
	(void)bev;
	sconn_close(arg);
}

static void
sconn_written(struct bufferevent *bev, void *arg)
{
	struct sconn *sc = arg;

	(void)bev;
	if (sc->closing)
		sconn_close(sc);
}

static void
srv_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int sl, void *arg)
{
	struct sconn *sc = calloc(1, sizeof *sc);

	(void)l;
	(void)sa;
	(void)sl;
	sc->s = arg;
	sc->next = sc->s->conns;
	sc->s->conns = sc;
	sc->bev = bufferevent_socket_new(sc->s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(sc->bev, sconn_read, sconn_written, sconn_event, sc);
	bufferevent_enable(sc->bev, EV_READ | EV_WRITE);
}

/* A TCP socket bound to 127.0.0.1:*port (0: a free port, written back), not listening, or -1.
 * Why: a port released while a test server is "down" can be taken meanwhile by any socket on the machine
 * (the port comes from the ephemeral range: another process's connection, or the client under test
 * connecting to it and landing on it as its own source port), and then the server cannot listen again. */
static evutil_socket_t
bind_port(uint16_t *port)
{
	struct sockaddr_in sin;
	ev_socklen_t sl = sizeof sin;
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	sin.sin_port = htons(*port);
	if (evutil_make_socket_nonblocking(fd) != 0 || evutil_make_socket_closeonexec(fd) != 0 ||
	    evutil_make_listen_socket_reuseable(fd) != 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
		evutil_closesocket(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

void
srv_hold(struct srv *s)
{
	evutil_socket_t fd;

	ck_assert_int_eq(s->holding, 0);
	fd = bind_port(&s->port);
	ck_assert_msg(fd >= 0, "cannot bind 127.0.0.1:%u", (unsigned)s->port);
	s->held = (intptr_t)fd;
	s->holding = 1;
}

void
srv_start(struct srv *s, struct event_base *base)
{
	s->base = base;
	if (!s->holding)
		srv_hold(s);
	s->holding = 0;   /* the listener owns (and closes) the held socket from here */
	s->l = evconnlistener_new(base, srv_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (evutil_socket_t)s->held);
	ck_assert_ptr_nonnull(s->l);
	if (s->per_msg == 0)
		s->per_msg = 1000;
}

void
srv_stop(struct srv *s)
{
	evutil_socket_t fd;

	if (s->l)
		evconnlistener_free(s->l);
	s->l = NULL;
	while (s->conns != NULL)
		sconn_close(s->conns);
	if (!s->holding && (fd = bind_port(&s->port)) >= 0) {   /* else srv_start binds it again */
		s->held = (intptr_t)fd;
		s->holding = 1;
	}
}
