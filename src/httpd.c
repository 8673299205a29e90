/* The operators' HTTP endpoint on libevent's evhttp: /metrics, /healthz and /status, off the DNS path. */
#define LOG_MODULE "httpd"
#include "httpd.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "compat.h"
#include "log.h"
#include "netaddr.h"

struct httpd {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *reap_ev;
	struct httpd_pages pages;
	struct bufferevent *conns[HTTPD_MAX_CONNECTIONS];   /* each with a reference of ours */
	uint64_t born[HTTPD_MAX_CONNECTIONS];               /* when each was accepted */
	unsigned connections;
	int paused;
};

/*
 * evhttp (libevent 2.1) has no cap on connections, and a connection that never completes a request
 * is invisible to request callbacks. So we make each connection's bufferevent ourselves and keep a
 * reference to it: evhttp's bufferevent_free() then clears its callbacks without destroying it, and
 * the reaper, seeing no callbacks, drops our reference, which closes the socket. At the cap the
 * listener pauses (evconnlistener stops accepting at once) and the kernel's backlog waits.
 */
static void
update_accept(struct httpd *h)
{
	struct evconnlistener *l = evhttp_bound_socket_get_listener(h->bound);
	int pause = h->connections >= HTTPD_MAX_CONNECTIONS;
	struct timeval tick = { 0, 100 * 1000 };

	if (h->connections > 0 && !evtimer_pending(h->reap_ev, NULL))
		evtimer_add(h->reap_ev, &tick);
	if (l == NULL || pause == h->paused)
		return;
	h->paused = pause;
	if (pause)
		evconnlistener_disable(l);
	else
		evconnlistener_enable(l);
}

/* Drop the connections evhttp has let go of (every one when all is set); end, through evhttp's own
 * error path, those older than HTTPD_LIFETIME_S: evhttp's timeouts restart with every octet. */
static void
reap(struct httpd *h, int all)
{
	uint64_t now = compat_monotonic_ms();
	unsigned i = 0;

	while (i < h->connections) {
		bufferevent_event_cb errcb = NULL;
		bufferevent_getcb(h->conns[i], NULL, NULL, &errcb, NULL);
		if (all || errcb == NULL) {
			bufferevent_decref(h->conns[i]);
			h->conns[i] = h->conns[h->connections - 1];
			h->born[i] = h->born[h->connections - 1];
			h->connections--;
			continue;
		}
		if (now - h->born[i] > HTTPD_LIFETIME_S * 1000)
			bufferevent_trigger_event(h->conns[i], BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
		i++;
	}
}

static void
reap_tick(evutil_socket_t fd, short what, void *arg)
{
	struct httpd *h = arg;

	(void)fd;
	(void)what;
	reap(h, 0);
	update_accept(h);
}

static struct bufferevent *
new_connection(struct event_base *base, void *arg)
{
	struct httpd *h = arg;
	struct bufferevent *bev;

	reap(h, 0);
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL && h->connections < HTTPD_MAX_CONNECTIONS) {
		bufferevent_incref(bev);
		h->born[h->connections] = compat_monotonic_ms();
		h->conns[h->connections++] = bev;
	}
	update_accept(h);
	return bev;
}

static void
send_text(struct evhttp_request *req, int code, const char *reason, const char *type, char *body, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);

	evhttp_add_header(hdr, "Content-Type", type);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (out != NULL && body != NULL && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(out, body, len);
	evhttp_send_reply(req, code, reason, out);
	if (out != NULL)
		evbuffer_free(out);
}

static void
serve(struct evhttp_request *req, void *arg)
{
	struct httpd *h = arg;
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	char *body = NULL, why[256];
	size_t len = 0, pathlen;

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		send_text(req, 405, "Method Not Allowed", "text/plain; charset=utf-8", "method not allowed\n", 19);
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0) {
		send_text(req, 413, "Payload Too Large", "text/plain; charset=utf-8", "no body, please\n", 16);
		return;
	}
	pathlen = strcspn(uri, "?#");
	if (pathlen == 8 && memcmp(uri, "/metrics", 8) == 0) {
		body = h->pages.metrics(h->pages.arg, &len);
		if (body == NULL)
			send_text(req, 500, "Internal Server Error", "text/plain; charset=utf-8", "out of memory\n", 14);
		else
			send_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, len);
	} else if (pathlen == 8 && memcmp(uri, "/healthz", 8) == 0) {
		if (h->pages.health(h->pages.arg, why, sizeof why - 1) == 0) {
			send_text(req, 200, "OK", "text/plain; charset=utf-8", "ok\n", 3);
		} else {
			len = strlen(why);
			why[len++] = '\n';
			send_text(req, 503, "Service Unavailable", "text/plain; charset=utf-8", why, len);
		}
	} else if (pathlen == 7 && memcmp(uri, "/status", 7) == 0) {
		body = h->pages.status(h->pages.arg, &len);
		if (body == NULL)
			send_text(req, 500, "Internal Server Error", "text/plain; charset=utf-8", "out of memory\n", 14);
		else
			send_text(req, 200, "OK", "application/json", body, len);
	} else {
		send_text(req, 404, "Not Found", "text/plain; charset=utf-8", "not found\n", 10);
	}
	free(body);
}

struct httpd *
httpd_new(struct event_base *base, const struct netaddr *addr, const struct httpd_pages *pages)
{
	struct httpd *h = calloc(1, sizeof *h);
	char ip[NETADDR_TEXT_MAX];
	struct sockaddr_storage ss;
	struct evconnlistener *l;
	int sslen;

	if (h == NULL)
		return NULL;
	h->base = base;
	h->pages = *pages;
	h->reap_ev = evtimer_new(base, reap_tick, h);
	if (h->reap_ev == NULL)
		goto fail;
	h->http = evhttp_new(base);
	if (h->http == NULL)
		goto fail;
	/* every method reaches serve(), which answers 405 itself (evhttp's own refusal is a 501) */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(h->http, HTTPD_MAX_HEADERS);
	evhttp_set_max_body_size(h->http, 0);
	evhttp_set_timeout(h->http, HTTPD_TIMEOUT_S);
	evhttp_set_bevcb(h->http, new_connection, h);
	evhttp_set_gencb(h->http, serve, h);
	/* our own listener, so that the listening and the accepted sockets are close-on-exec */
	sslen = netaddr_to_sockaddr(addr, &ss);
	l = evconnlistener_new_bind(base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE | LEV_OPT_DISABLED, 16,
	    (struct sockaddr *)&ss, sslen);
	if (l == NULL) {
		log_warn("metrics_listen %s: cannot listen", netaddr_text(addr, ip, sizeof ip));
		goto fail;
	}
	h->bound = evhttp_bind_listener(h->http, l);
	if (h->bound == NULL) {
		evconnlistener_free(l);
		goto fail;
	}
	evconnlistener_enable(l);
	return h;
fail:
	if (h->http != NULL)
		evhttp_free(h->http);
	if (h->reap_ev != NULL)
		event_free(h->reap_ev);
	free(h);
	return NULL;
}

unsigned
httpd_connections(const struct httpd *h)
{
	return h->connections;
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	reap(h, 1);
	event_free(h->reap_ev);
	free(h);
}
