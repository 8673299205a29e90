/* Zone transfers, socket part: SOA query then IXFR/AXFR over TCP on the event loop, masters in order. */
#include "xfr.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#define LOG_MODULE "xfr"
#include "log.h"
#include "netaddr.h"
#include "wire.h"

#define QTYPE_IXFR 251
#define QTYPE_AXFR 252
#define QUERY_MAX 2048

enum step { STEP_SOA, STEP_IXFR, STEP_AXFR };

struct xfr_client {
	struct event_base *base;
	xfr_done_fn *done;
	void *arg;
	char zone_text[WIRE_NAME_TEXT_MAX];
	uint8_t zone[WIRE_NAME_MAX];
	size_t zone_len;
	struct netaddr *masters;
	size_t nmasters, mi;
	const struct xfr_view *basev;
	int force;
	struct xfr_tsig tsig;
	int has_tsig;
	void *vctx;
	struct xfr_limits limits;
	struct timeval connect_tv, read_tv;
	struct event *deadline_ev, *timer_ev, *start_ev;
	struct bufferevent *bev;
	enum step step;
	int connected;
	struct xfr_parse *parser;
	struct xfr_result res;
	uint8_t *msgbuf;   /* one message, pulled out of the input buffer */
};

static void step_start(struct xfr_client *c);

static void
tv_ms(struct timeval *tv, unsigned ms)
{
	tv->tv_sec = (long)(ms / 1000);
	tv->tv_usec = (long)(ms % 1000) * 1000;
}

/* Close this step's connection and forget its parser and TSIG context. */
static void
step_close(struct xfr_client *c)
{
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->vctx && c->tsig.free_ctx)
		c->tsig.free_ctx(c->vctx);
	c->vctx = NULL;
	xfr_parse_free(c->parser);
	c->parser = NULL;
	event_del(c->timer_ev);
	c->connected = 0;
}

static void
client_free(struct xfr_client *c)
{
	step_close(c);
	event_free(c->deadline_ev);
	event_free(c->timer_ev);
	event_free(c->start_ev);
	xfr_view_free(c->res.view);
	free(c->masters);
	free(c->msgbuf);
	free(c);
}

/* Hand the result over and free the client. */
static void
finish(struct xfr_client *c, enum xfr_status st)
{
	c->res.status = st;
	if (st == XFR_FAILED)
		memset(&c->res.master, 0, sizeof c->res.master);
	else
		c->res.master = c->masters[c->mi];
	step_close(c);
	c->done(c->arg, &c->res);
	client_free(c);
}

static const char *
step_name(enum step s)
{
	return s == STEP_SOA ? "SOA query" : s == STEP_IXFR ? "IXFR" : "AXFR";
}

/* This step failed at the current master: fall back to AXFR, or go on with the next master. */
static void
step_fail(struct xfr_client *c, const char *why)
{
	char at[NETADDR_TEXT_MAX];
	int mismatch = c->parser && xfr_parse_mismatch(c->parser);

	netaddr_text(&c->masters[c->mi], at, sizeof at);
	log_warnx("catalog %s: %s from %s failed: %s", c->zone_text, step_name(c->step), at, why);
	snprintf(c->res.why, sizeof c->res.why, "%s from %s: %s", step_name(c->step), at, why);
	step_close(c);
	if (c->step == STEP_IXFR && mismatch) {
		c->step = STEP_AXFR;
		step_start(c);
		return;
	}
	if (++c->mi >= c->nmasters) {
		c->mi = 0;
		finish(c, XFR_FAILED);
		return;
	}
	c->step = STEP_SOA;
	step_start(c);
}

/* The answer of this step is complete. */
static void
step_done(struct xfr_client *c)
{
	uint32_t serial, refresh, retry, expire, bs;

	xfr_parse_soa(c->parser, &serial, &refresh, &retry, &expire);
	if (c->step == STEP_SOA) {
		c->res.serial = serial;
		c->res.refresh = refresh;
		c->res.retry = retry;
		c->res.expire = expire;
		step_close(c);
		if (c->basev && !c->force && xfr_view_soa(c->basev, &bs, NULL, NULL, NULL) == 0 && bs == serial) {
			finish(c, XFR_SAME);
			return;
		}
		c->step = c->basev && xfr_view_soa(c->basev, &bs, NULL, NULL, NULL) == 0 ? STEP_IXFR : STEP_AXFR;
		step_start(c);
		return;
	}
	c->res.kind = xfr_parse_kind(c->parser);
	if (c->res.kind != XFR_UPTODATE) {
		c->res.serial = serial;
		c->res.refresh = refresh;
		c->res.retry = retry;
		c->res.expire = expire;
		c->res.view = xfr_parse_take_view(c->parser);
	}
	finish(c, XFR_OK);
}

/* One whole message of the answer. Returns 0 to go on, -1 when the step ended (done or failed). */
static int
on_message(struct xfr_client *c, const uint8_t *msg, size_t len)
{
	char why[200];
	enum xfr_step st = xfr_parse_msg(c->parser, msg, len, why, sizeof why);

	if (st == XFR_ERROR) {
		char tw[200], full[420];

		/* an error answer may say why in its TSIG (BADSIG, BADKEY, BADTIME) */
		if (c->has_tsig && c->tsig.verify(c->vctx, msg, len, 1, tw, sizeof tw) != 0) {
			snprintf(full, sizeof full, "%s (%s)", why, tw);
			step_fail(c, full);
		} else {
			step_fail(c, why);
		}
		return -1;
	}
	if (c->has_tsig && c->tsig.verify(c->vctx, msg, len, st == XFR_DONE, why, sizeof why) != 0) {
		step_fail(c, why);
		return -1;
	}
	if (st == XFR_DONE) {
		step_done(c);
		return -1;
	}
	return 0;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct xfr_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	event_add(c->timer_ev, &c->read_tv);   /* progress: the read timeout starts again */
	for (;;) {
		uint8_t lenb[2];
		size_t mlen;

		if (evbuffer_get_length(in) < 2)
			return;
		evbuffer_copyout(in, lenb, 2);
		mlen = (size_t)lenb[0] << 8 | lenb[1];
		if (evbuffer_get_length(in) < 2 + mlen)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, c->msgbuf, mlen);
		if (on_message(c, c->msgbuf, mlen) != 0)
			return;
	}
}

/* Build this step's query into buf. Returns its length, 0 on failure. */
static size_t
build_query(struct xfr_client *c, uint16_t id, uint8_t *buf)
{
	uint16_t qtype = c->step == STEP_SOA ? WIRE_TYPE_SOA : c->step == STEP_IXFR ? QTYPE_IXFR : QTYPE_AXFR;
	size_t len = wire_build_query(id, 0, c->zone, c->zone_len, qtype, WIRE_CLASS_IN, 0, buf, QUERY_MAX);

	if (len && c->step == STEP_IXFR) {
		/* the authority section carries the SOA we have (RFC 1995 §3) */
		const struct zone_rr *soa = xfr_view_soa_rr(c->basev);

		if (soa == NULL || len + 12 + soa->rdlen > QUERY_MAX)
			return 0;
		buf[len++] = 0xc0;
		buf[len++] = 0x0c;
		buf[len++] = 0;
		buf[len++] = WIRE_TYPE_SOA;
		buf[len++] = 0;
		buf[len++] = WIRE_CLASS_IN;
		memset(buf + len, 0, 4);
		len += 4;
		buf[len++] = (uint8_t)(soa->rdlen >> 8);
		buf[len++] = (uint8_t)soa->rdlen;
		memcpy(buf + len, soa->rdata, soa->rdlen);
		len += soa->rdlen;
		buf[9] = 1;   /* NSCOUNT */
	}
	return len;
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct xfr_client *c = arg;
	uint8_t q[2 + QUERY_MAX];
	uint16_t id;
	size_t len;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		evutil_secure_rng_get_bytes(&id, sizeof id);
		if ((len = build_query(c, id, q + 2)) == 0) {
			step_fail(c, "cannot build the query");
			return;
		}
		if (c->has_tsig && (len = c->tsig.sign(c->tsig.key, q + 2, len, QUERY_MAX, &c->vctx)) == 0) {
			step_fail(c, "cannot sign the query");
			return;
		}
		c->parser = xfr_parse_new(c->zone, c->zone_len, c->step == STEP_SOA ? WIRE_TYPE_SOA :
		    c->step == STEP_IXFR ? QTYPE_IXFR : QTYPE_AXFR, id, c->step == STEP_IXFR ? c->basev : NULL,
		    &c->limits);
		if (c->parser == NULL) {
			step_fail(c, "out of memory");
			return;
		}
		q[0] = (uint8_t)(len >> 8);
		q[1] = (uint8_t)len;
		bufferevent_write(c->bev, q, len + 2);
		bufferevent_enable(c->bev, EV_READ);
		event_add(c->timer_ev, &c->read_tv);
		return;
	}
	if (what & BEV_EVENT_EOF)
		step_fail(c, c->connected ? "connection closed before the answer was complete" : "connection closed");
	else if (what & BEV_EVENT_ERROR)
		step_fail(c, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct xfr_client *c = arg;

	(void)fd;
	(void)what;
	step_fail(c, c->connected ? "read timeout" : "connect timeout");
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct xfr_client *c = arg;

	(void)fd;
	(void)what;
	log_warnx("catalog %s: check abandoned at its deadline", c->zone_text);
	if (c->res.why[0] == '\0')
		snprintf(c->res.why, sizeof c->res.why, "deadline reached");
	else
		strncat(c->res.why, " (then the deadline was reached)", sizeof c->res.why - strlen(c->res.why) - 1);
	finish(c, XFR_FAILED);
}

/* Connect to the current master for the current step. */
static void
step_start(struct xfr_client *c)
{
	struct sockaddr_storage ss;
	int sl = netaddr_to_sockaddr(&c->masters[c->mi], &ss);

	c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		step_fail(c, "out of memory");
		return;
	}
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	event_add(c->timer_ev, &c->connect_tv);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, sl) != 0)
		step_fail(c, "cannot connect");
}

static void
on_start(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	step_start(arg);
}

struct xfr_client *
xfr_start(struct event_base *base, const struct xfr_req *req, xfr_done_fn *done, void *arg)
{
	struct xfr_client *c;
	struct timeval tv;
	size_t i;

	if (req->zone == NULL || req->nmasters == 0 || done == NULL)
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->zone_len = wire_name_from_text(req->zone, c->zone);
	for (i = 0; i < c->zone_len; i++)
		if (c->zone[i] >= 'A' && c->zone[i] <= 'Z')
			c->zone[i] = (uint8_t)(c->zone[i] + 32);
	c->masters = calloc(req->nmasters, sizeof *c->masters);
	c->msgbuf = malloc(65536);
	c->deadline_ev = evtimer_new(base, on_deadline, c);
	c->timer_ev = evtimer_new(base, on_timer, c);
	c->start_ev = evtimer_new(base, on_start, c);
	if (c->zone_len == 0 || c->masters == NULL || c->msgbuf == NULL || c->deadline_ev == NULL ||
	    c->timer_ev == NULL || c->start_ev == NULL) {
		client_free(c);
		return NULL;
	}
	wire_name_to_text(c->zone, c->zone_len, c->zone_text, sizeof c->zone_text);
	memcpy(c->masters, req->masters, req->nmasters * sizeof *c->masters);
	c->nmasters = req->nmasters;
	c->base = base;
	c->done = done;
	c->arg = arg;
	c->basev = req->base;
	c->force = req->force;
	if (req->tsig) {
		c->tsig = *req->tsig;
		c->has_tsig = 1;
	}
	c->limits = req->limits;
	tv_ms(&c->connect_tv, req->connect_timeout_ms ? req->connect_timeout_ms : 5000);
	tv_ms(&c->read_tv, req->read_timeout_ms ? req->read_timeout_ms : 10000);
	tv_ms(&tv, req->deadline_ms ? req->deadline_ms : 120000);
	event_add(c->deadline_ev, &tv);
	c->step = STEP_SOA;
	tv.tv_sec = tv.tv_usec = 0;
	event_add(c->start_ev, &tv);
	return c;
}

void
xfr_cancel(struct xfr_client *c)
{
	if (c)
		client_free(c);
}
