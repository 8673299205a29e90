/* UDP and TCP sockets on every listen address: framing, pipelining, idle timeouts, connection caps. */
#define LOG_MODULE "listener"
#include "listener.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "agent-req.h"
#include "compat.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "wire.h"

#define UDP_MAX WIRE_OUR_PAYLOAD     /* the original read this much, and we advertise it */
#define UDP_BURST 64                 /* datagrams read per wake-up */
#define TCP_MAX_PIPELINE 64          /* requests in flight per connection before reading pauses */
#define TCP_OUT_HIGH (256 * 1024)    /* unsent reply bytes per connection before reading pauses */
#define TCP_WRITE_TIMEOUT 10         /* seconds a slow reader may stall our replies */
#define FD_RESERVE 32                /* descriptors kept for logs, pipes and child processes */
#define UDP_RCVBUF (1024 * 1024)     /* bursts of NOTIFYs from a pool's worker */

struct udp_sock {
	struct listener *l;
	evutil_socket_t fd;
	struct event *ev;
};

struct udp_req {
	struct udp_sock *s;
	struct sockaddr_storage peer;
	int peerlen;
	struct compat_dst dst;     /* where it arrived: the reply leaves from there */
};

struct tcp_slot {
	struct tcp_slot *next;
	struct tcp_conn *c;        /* NULL once the connection is gone */
	int done;
	size_t len;
	uint8_t *reply;
};

struct tcp_conn {
	struct tcp_conn *prev, *next;
	struct listener *l;
	struct bufferevent *bev;
	struct netaddr peer;
	struct tcp_slot *head, *tail;
	unsigned pending;
	int eof;                   /* the peer finished sending: answer what it sent, then close */
	int drop_input;            /* read no more, discard what is buffered; answer, then close */
	int busy;                  /* tcp_update is processing input (answers may arrive meanwhile) */
	struct event *deadline;    /* the message begun must complete by then */
};

struct listener {
	struct event_base *base;
	const struct config *cfg;
	struct agent_req *agent;
	struct udp_sock udp[CONFIG_MAX_ADDRS];
	size_t n_udp;
	struct evconnlistener *tcp[CONFIG_MAX_ADDRS];
	size_t n_tcp;
	struct tcp_conn *conns;
	size_t n_conns, max_conns;
	size_t max_per_source;     /* a quarter of the connections stays free for other addresses */
	struct log_limit incomplete_log, unread_log, per_source_log, oversize_log;
	int accepting, accept_paused, stopped;
	struct event *resume;
	struct timeval recv_timeout;
};

static void
set_accepting(struct listener *l, int on)
{
	size_t i;

	for (i = 0; i < l->n_tcp; i++) {
		if (on)
			evconnlistener_enable(l->tcp[i]);
		else
			evconnlistener_disable(l->tcp[i]);
	}
}

/* Enable or disable accept when the decision changes (not on every connection). */
static void
update_accepting(struct listener *l)
{
	int on = !l->stopped && !l->accept_paused && l->n_conns < l->max_conns;

	if (on != l->accepting) {
		l->accepting = on;
		set_accepting(l, on);
	}
}

/* UDP */

static void
udp_reply(void *arg, const uint8_t *reply, size_t len)
{
	struct udp_req *r = arg;

	if (len > 0 && compat_udp_send(r->s->fd, reply, len, (struct sockaddr *)&r->peer, r->peerlen, &r->dst) < 0)
		log_debug("udp reply not sent: %s", compat_sock_strerror());
	free(r);
}

static void
udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *s = arg;
	uint8_t buf[UDP_MAX + 1];
	int i;

	(void)what;
	for (i = 0; i < UDP_BURST; i++) {
		struct udp_req in, *r;
		struct netaddr peer;
		long n;

		in.s = s;
		in.peerlen = sizeof in.peer;
		n = compat_udp_recv(fd, buf, sizeof buf, &in.peer, &in.peerlen, &in.dst);
		if (n < 0) {
			if (!compat_sock_wouldblock())
				log_debug("udp read: %s", compat_sock_strerror());
			return;
		}
		if (netaddr_from_sockaddr((struct sockaddr *)&in.peer, &peer) != 0)
			continue;
		if (n > UDP_MAX) {
			char p[NETADDR_TEXT_MAX];

			metrics_dropped(METRICS_DROP_OVERSIZED);
			log_limited(&s->l->oversize_log, LOG_LVL_INFO, LOG_MODULE, "datagram from %s/udp dropped: larger than %d octets", netaddr_text(&peer, p, sizeof p),
			    UDP_MAX);
			continue;
		}
		if ((r = malloc(sizeof *r)) == NULL)
			return;
		*r = in;
		agent_req_handle(s->l->agent, buf, (size_t)n, &peer, "udp", udp_reply, r);
	}
}

/* TCP */

static void tcp_close(struct tcp_conn *c);
static int tcp_update(struct tcp_conn *c);

/* Move the answered slots at the head of c's pipeline to the output, in order. */
static void
tcp_flush(struct tcp_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	while (c->head && c->head->done) {
		struct tcp_slot *s = c->head;

		if (s->len > 0) {
			uint8_t pfx[2] = { (uint8_t)(s->len >> 8), (uint8_t)s->len };

			evbuffer_add(out, pfx, 2);
			evbuffer_add(out, s->reply, s->len);
		}
		c->head = s->next;
		if (c->head == NULL)
			c->tail = NULL;
		free(s->reply);
		free(s);
	}
}

static void
tcp_reply(void *arg, const uint8_t *reply, size_t len)
{
	struct tcp_slot *s = arg;
	struct tcp_conn *c = s->c;

	if (c == NULL) {   /* the connection went away meanwhile */
		free(s);
		return;
	}
	if (len > 0 && (s->reply = malloc(len)) != NULL) {
		memcpy(s->reply, reply, len);
		s->len = len;
	}
	s->done = 1;
	c->pending--;
	tcp_flush(c);
	tcp_update(c);
}

/* The length of the message at the head of in when it is complete, else -1. */
static long
tcp_frame_len(struct evbuffer *in)
{
	uint8_t pfx[2];
	size_t len;

	if (evbuffer_copyout(in, pfx, 2) < 2)
		return -1;
	len = (size_t)pfx[0] << 8 | pfx[1];
	return evbuffer_get_length(in) >= 2 + len ? (long)len : -1;
}

/* Whether c may take another request now (pipeline and unsent replies below their caps). */
static int
tcp_has_room(struct tcp_conn *c)
{
	return c->pending < TCP_MAX_PIPELINE && evbuffer_get_length(bufferevent_get_output(c->bev)) < TCP_OUT_HIGH;
}

/* Hand every complete message in c's input to the agent while the pipeline has room. */
static void
tcp_process(struct tcp_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	long flen;

	while (!c->drop_input && tcp_has_room(c) && (flen = tcp_frame_len(in)) >= 0) {
		size_t len = (size_t)flen;
		uint8_t *msg;
		struct tcp_slot *s;

		evbuffer_drain(in, 2);
		msg = evbuffer_pullup(in, (ev_ssize_t)len);
		s = calloc(1, sizeof *s);
		if (s == NULL) {
			evbuffer_drain(in, len);
			continue;
		}
		s->c = c;
		if (c->tail)
			c->tail->next = s;
		else
			c->head = s;
		c->tail = s;
		c->pending++;
		/* an answer given at once only queues its reply: tcp_update does nothing while c->busy */
		agent_req_handle(c->l->agent, len ? msg : (const uint8_t *)"", len, &c->peer, "tcp", tcp_reply, s);
		evbuffer_drain(in, len);
	}
	if (c->drop_input)
		evbuffer_drain(in, evbuffer_get_length(in));
}

/* Process what c holds, pause or resume reading, keep the message deadline, and close c once it has
 * no more input and every reply is written. Returns 1 when c was freed. */
static int
tcp_update(struct tcp_conn *c)
{
	struct evbuffer *in;
	int reading, partial;

	if (c->busy)
		return 0;   /* the processing loop below is running: it finishes the job */
	c->busy = 1;
	tcp_process(c);
	c->busy = 0;
	in = bufferevent_get_input(c->bev);
	partial = evbuffer_get_length(in) > 0 && tcp_frame_len(in) < 0;
	if (c->eof && partial) {
		char p[NETADDR_TEXT_MAX];

		log_limited(&c->l->incomplete_log, LOG_LVL_INFO, LOG_MODULE,
		    "tcp connection from %s: incomplete message of %zu octets at end of input discarded",
		    netaddr_text(&c->peer, p, sizeof p), evbuffer_get_length(in));
		evbuffer_drain(in, evbuffer_get_length(in));
		partial = 0;
	}
	if (c->eof || c->drop_input) {
		if (c->pending == 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
		    tcp_frame_len(in) < 0) {
			tcp_close(c);
			return 1;
		}
		bufferevent_disable(c->bev, EV_READ);
		evtimer_del(c->deadline);
		return 0;
	}
	reading = !c->l->stopped && tcp_has_room(c);
	if (reading)
		bufferevent_enable(c->bev, EV_READ);   /* frames already buffered were processed above */
	else
		bufferevent_disable(c->bev, EV_READ);
	/* a message must complete within tcp_recv_timeout of its first octet, however slowly it trickles */
	if (partial && reading) {
		if (!evtimer_pending(c->deadline, NULL))
			evtimer_add(c->deadline, &c->l->recv_timeout);
	} else {
		evtimer_del(c->deadline);
	}
	return 0;
}

static void
tcp_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	tcp_update(arg);
}

static void
tcp_written(struct bufferevent *bev, void *arg)
{
	(void)bev;
	tcp_update(arg);
}

static void
tcp_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	char p[NETADDR_TEXT_MAX];

	(void)fd;
	(void)what;
	log_limited(&c->l->incomplete_log, LOG_LVL_INFO, LOG_MODULE,
	    "tcp connection from %s closed: a message of %zu octets so far did not complete within %.3f s",
	    netaddr_text(&c->peer, p, sizeof p), evbuffer_get_length(bufferevent_get_input(c->bev)),
	    c->l->cfg->agent.tcp_recv_timeout);
	c->drop_input = 1;   /* what it asked before is still answered */
	tcp_update(c);
}

static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	(void)bev;
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING)) {
		struct evbuffer *in = bufferevent_get_input(c->bev);

		if (c->pending > 0 || tcp_frame_len(in) >= 0) {
			tcp_update(c);   /* not idle: replies are on their way */
			return;
		}
		if (evbuffer_get_length(in) > 0) {
			char p[NETADDR_TEXT_MAX];

			log_limited(&c->l->incomplete_log, LOG_LVL_INFO, LOG_MODULE,
			    "tcp connection from %s closed: incomplete message after %.3f s idle",
			    netaddr_text(&c->peer, p, sizeof p), c->l->cfg->agent.tcp_recv_timeout);
		}
		tcp_close(c);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_WRITING)) {
		char p[NETADDR_TEXT_MAX];

		log_limited(&c->l->unread_log, LOG_LVL_INFO, LOG_MODULE,
		    "tcp connection from %s closed: its replies went unread for %d s",
		    netaddr_text(&c->peer, p, sizeof p), TCP_WRITE_TIMEOUT);
		tcp_close(c);
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		c->eof = 1;   /* peer finished sending: answer what it asked (buffered too), then close */
		tcp_update(c);
		return;
	}
	tcp_close(c);
}

static void
tcp_close(struct tcp_conn *c)
{
	struct listener *l = c->l;
	struct tcp_slot *s, *next;

	for (s = c->head; s; s = next) {
		next = s->next;
		if (s->done) {
			free(s->reply);
			free(s);
		} else {
			s->c = NULL;   /* freed by tcp_reply when its answer comes */
		}
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	event_free(c->deadline);
	bufferevent_free(c->bev);
	c->bev = NULL;
	free(c);
	l->n_conns--;
	update_accepting(l);
}

/* Connections open from the address of peer (any port). */
static size_t
tcp_conns_from(const struct listener *l, const struct netaddr *peer)
{
	const struct tcp_conn *c;
	size_t n = 0;

	for (c = l->conns; c; c = c->next)
		if (c->peer.family == peer->family && memcmp(c->peer.ip, peer->ip, sizeof peer->ip) == 0)
			n++;
	return n;
}

/* Serve c (peer and bev set; bev is freed with c from now on). Returns 0, or -1 (c freed, bev not). */
static int
tcp_serve(struct listener *l, struct tcp_conn *c)
{
	struct timeval wt = { TCP_WRITE_TIMEOUT, 0 };

	if ((c->deadline = evtimer_new(l->base, tcp_deadline, c)) == NULL) {
		free(c);
		return -1;
	}
	c->l = l;
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->n_conns++;
	bufferevent_setcb(c->bev, tcp_read, tcp_written, tcp_event, c);
	bufferevent_set_timeouts(c->bev, &l->recv_timeout, &wt);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	update_accepting(l);
	return 0;
}

static void
tcp_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	struct tcp_conn *c;
	struct bufferevent *bev;

	(void)lis;
	(void)salen;
	c = calloc(1, sizeof *c);
	if (c == NULL || netaddr_from_sockaddr(sa, &c->peer) != 0) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	if (tcp_conns_from(l, &c->peer) >= l->max_per_source) {
		char p[NETADDR_TEXT_MAX];

		log_limited(&l->per_source_log, LOG_LVL_INFO, LOG_MODULE,
		    "tcp connection from %s closed at once: %zu connections from that address already",
		    netaddr_text(&c->peer, p, sizeof p), l->max_per_source);
		free(c);
		evutil_closesocket(fd);
		return;
	}
	if ((bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->bev = bev;
	if (tcp_serve(l, c) != 0)
		bufferevent_free(bev);   /* closes fd */
}

int
listener_adopt(struct listener *l, struct bufferevent *bev, const struct netaddr *peer)
{
	struct tcp_conn *c = calloc(1, sizeof *c);

	if (c == NULL)
		return -1;
	c->peer = *peer;
	c->bev = bev;
	return tcp_serve(l, c);
}

static void
tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	l->accept_paused = 0;
	update_accepting(l);
}

static void
tcp_accept_error(struct evconnlistener *lis, void *arg)
{
	struct listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval one = { 1, 0 };

	(void)lis;
	if (!compat_sock_out_of_fds(err)) {
		log_debug("accept: %s", evutil_socket_error_to_string(err));
		return;
	}
	log_warnx("accept: %s; pausing new TCP connections for 1 s (%zu open)", evutil_socket_error_to_string(err),
	    l->n_conns);
	l->accept_paused = 1;
	update_accepting(l);
	evtimer_add(l->resume, &one);
}

/* A non-blocking socket bound to a; IPv6 sockets are IPv6-only. */
static evutil_socket_t
bind_socket(const struct netaddr *a, int type)
{
	struct sockaddr_storage ss;
	int sl = netaddr_to_sockaddr(a, &ss), on = 1;
	evutil_socket_t fd = socket(a->family, type, 0);

	if (fd == COMPAT_INVALID_SOCKET)
		return fd;
	if (a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (const void *)&on, sizeof on);
	if (type == SOCK_STREAM)
		evutil_make_listen_socket_reuseable(fd);
	else {
		static const uint8_t any[16];
		int sz = UDP_RCVBUF;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, (const void *)&sz, sizeof sz);
		compat_udp_socket((intptr_t)fd);
		/* on a wildcard address, learn where each request arrived so the reply leaves from there */
		if (memcmp(a->ip, any, a->family == AF_INET6 ? 16 : 4) == 0 && compat_udp_want_dst(fd, a->family) != 0)
			log_warnx("no destination addresses on the wildcard socket: replies may leave from another "
			    "address of this host; list this host's addresses in listen");
	}
	if (evutil_make_socket_nonblocking(fd) != 0 || evutil_make_socket_closeonexec(fd) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		int err = EVUTIL_SOCKET_ERROR();

		evutil_closesocket(fd);
		EVUTIL_SET_SOCKET_ERROR(err);
		return COMPAT_INVALID_SOCKET;
	}
	return fd;
}

struct listener *
listener_new(struct event_base *base, const struct config *cfg, struct agent_req *agent, unsigned others_fds)
{
	struct listener *l = calloc(1, sizeof *l);
	size_t i;
	long fdmax;

	if (l == NULL)
		return NULL;
	l->base = base;
	l->cfg = cfg;
	l->agent = agent;
	l->recv_timeout.tv_sec = (long)cfg->agent.tcp_recv_timeout;
	l->recv_timeout.tv_usec = (long)((cfg->agent.tcp_recv_timeout - (double)(long)cfg->agent.tcp_recv_timeout) * 1e6);
	l->max_conns = (size_t)cfg->agent.tcp_max_connections;
	fdmax = compat_fd_limit() - FD_RESERVE - 2 * (long)cfg->agent.n_listen - (long)others_fds;
	if (fdmax < 1)
		fdmax = 1;
	if ((long)l->max_conns > fdmax) {
		log_warnx("tcp_max_connections lowered to %ld to keep descriptors for the rest", fdmax);
		l->max_conns = (size_t)fdmax;
	}
	l->max_per_source = l->max_conns - l->max_conns / 4;
	l->incomplete_log = (struct log_limit)LOG_LIMIT_INIT("incomplete TCP messages", 10);
	l->unread_log = (struct log_limit)LOG_LIMIT_INIT("connections closed with replies unread", 10);
	l->per_source_log = (struct log_limit)LOG_LIMIT_INIT("connections over the per-address cap", 10);
	l->oversize_log = (struct log_limit)LOG_LIMIT_INIT("oversized datagrams", 10);
	l->resume = evtimer_new(base, tcp_resume, l);
	for (i = 0; i < cfg->agent.n_listen; i++) {
		const struct netaddr *a = &cfg->agent.listen[i];
		char at[NETADDR_TEXT_MAX];
		evutil_socket_t u, t;
		struct udp_sock *us = &l->udp[l->n_udp];

		netaddr_text(a, at, sizeof at);
		if ((u = bind_socket(a, SOCK_DGRAM)) == COMPAT_INVALID_SOCKET) {
			log_error("cannot listen on %s/udp: %s", at, compat_sock_strerror());
			goto fail;
		}
		us->l = l;
		us->fd = u;
		us->ev = event_new(base, u, EV_READ | EV_PERSIST, udp_read, us);
		l->n_udp++;
		event_add(us->ev, NULL);
		if ((t = bind_socket(a, SOCK_STREAM)) == COMPAT_INVALID_SOCKET) {
			log_error("cannot listen on %s/tcp: %s", at, compat_sock_strerror());
			goto fail;
		}
		l->tcp[l->n_tcp] = evconnlistener_new(base, tcp_accept, l, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
		    cfg->agent.tcp_backlog, t);
		if (l->tcp[l->n_tcp] == NULL) {
			log_error("cannot listen on %s/tcp: %s", at, compat_sock_strerror());
			evutil_closesocket(t);
			goto fail;
		}
		evconnlistener_set_error_cb(l->tcp[l->n_tcp], tcp_accept_error);
		l->n_tcp++;
		l->accepting = 1;   /* evconnlistener_new starts enabled */
		log_info("listening on %s (udp, tcp)", at);
	}
	return l;
fail:
	listener_free(l);
	return NULL;
}

void
listener_stop(struct listener *l)
{
	struct tcp_conn *c, *next;
	size_t i;

	l->stopped = 1;
	for (i = 0; i < l->n_udp; i++)
		event_del(l->udp[i].ev);
	update_accepting(l);
	for (c = l->conns; c; c = next) {
		next = c->next;
		c->drop_input = 1;
		tcp_update(c);
	}
}

size_t
listener_busy(const struct listener *l)
{
	return l->n_conns;
}

void
listener_free(struct listener *l)
{
	size_t i;

	if (l == NULL)
		return;
	l->stopped = 1;
	while (l->conns)
		tcp_close(l->conns);
	for (i = 0; i < l->n_tcp; i++)
		evconnlistener_free(l->tcp[i]);
	for (i = 0; i < l->n_udp; i++) {
		event_free(l->udp[i].ev);
		evutil_closesocket(l->udp[i].fd);
		l->udp[i].fd = COMPAT_INVALID_SOCKET;
	}
	if (l->resume)
		event_free(l->resume);
	log_limit_flush(&l->incomplete_log, LOG_MODULE);
	log_limit_flush(&l->unread_log, LOG_MODULE);
	log_limit_flush(&l->per_source_log, LOG_MODULE);
	log_limit_flush(&l->oversize_log, LOG_MODULE);
	free(l);
}
