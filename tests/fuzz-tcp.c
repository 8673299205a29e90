/* Fuzz target: TCP framing — length-prefixed messages in arbitrary chunks, then a half-close; every
 * complete message that deserves an answer is answered exactly once and in order, then the connection ends. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "agent.h"
#include "agent-req.h"
#include "backend-fake.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "netaddr.h"
#include "wire.h"
#include "zoneq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 300

static struct event_base *base;
static struct config cfg;
static struct listener *lis;
static struct netaddr peer;

struct client {
	struct evbuffer *got;   /* everything the agent sent */
	int ended;              /* the agent closed the connection */
};

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	evbuffer_add_buffer(c->got, bufferevent_get_input(bev));
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		evbuffer_add_buffer(c->got, bufferevent_get_input(bev));
		c->ended = 1;
	}
}

static void
setup(void)
{
	static struct zoneq_limits lim = { 0, 4, 1000, 0 };
	struct backend *b;
	struct zoneq *q;
	struct agent_req *a;

	log_init(0, NULL);
	config_defaults(&cfg);
	cfg.agent.n_listen = 0;   /* no socket: connections are adopted */
	base = event_base_new();
	b = backend_fake_new(base);
	q = zoneq_new(base, b, &lim);
	a = agent_req_new(&cfg, q);
	lis = listener_new(base, &cfg, a, 0);
	netaddr_parse_ip("127.0.0.1", &peer);
	if (lis == NULL)
		abort();
}

/* Whether the agent answers this message at all (agent_classify's DROP gets nothing). */
static int
answered(const uint8_t *m, size_t len)
{
	struct wire_msg *w = malloc(sizeof *w);
	struct agent_verdict v;
	int yes;

	agent_classify(&cfg, wire_parse(m, len, w) == 0 ? w : NULL, &peer, &v);
	yes = v.kind != AGENT_DROP;
	free(w);
	return yes;
}

/* Input: a frame count, then per frame a type octet (valid CREATE, refused QUERY, raw bytes of a
 * given length, empty, NOTIFY) and its octets; whatever is left gives the chunk sizes, and its last
 * octet, when odd, leaves a partial frame at the end. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t stream[MAX_FRAMES * 260];
	static uint16_t want_id[MAX_FRAMES];
	size_t p = 0, o = 0, nwant = 0, i, sent = 0, got_n = 0;
	struct bufferevent *pair[2];
	struct client cl;
	unsigned nframes;
	int spins;

	if (base == NULL)
		setup();
	if (size < 1)
		return 0;
	nframes = data[p++] % MAX_FRAMES;
	for (i = 0; i < nframes && p < size; i++) {
		uint8_t t = data[p++], m[260], name[WIRE_NAME_MAX];
		size_t len = 0;
		char zone[32];

		snprintf(zone, sizeof zone, "z%u.example", p < size ? data[p] % 8 : 0);
		switch (t % 5) {
		case 0:
			len = wire_build_query((uint16_t)i, 0x7000, name, wire_name_from_text(zone, name), WIRE_TYPE_CC_CREATE,
			    WIRE_CLASS_CC, t & 8, m, sizeof m);
			break;
		case 1:
			len = wire_build_query((uint16_t)i, 0x0100, name, wire_name_from_text(zone, name), WIRE_TYPE_SOA,
			    WIRE_CLASS_IN, 0, m, sizeof m);
			break;
		case 2:
			len = p < size ? data[p++] : 0;
			if (len > size - p)
				len = size - p;
			memcpy(m, data + p, len);
			p += len;
			break;
		case 3:
			break;
		default:
			len = wire_build_query((uint16_t)i, 0x2000, name, wire_name_from_text(zone, name), WIRE_TYPE_SOA,
			    WIRE_CLASS_IN, 0, m, sizeof m);
			break;
		}
		stream[o++] = (uint8_t)(len >> 8);
		stream[o++] = (uint8_t)len;
		memcpy(stream + o, m, len);
		o += len;
		if (answered(m, len))
			want_id[nwant++] = (uint16_t)(m[0] << 8 | m[1]);
	}
	if (p < size && (data[size - 1] & 1))
		stream[o++] = 0x01, stream[o++] = 0x00, stream[o++] = 0x42;   /* a message of 256 that never ends */

	memset(&cl, 0, sizeof cl);
	cl.got = evbuffer_new();
	if (bufferevent_pair_new(base, 0, pair) != 0 || listener_adopt(lis, pair[1], &peer) != 0)
		abort();
	bufferevent_setcb(pair[0], client_read, NULL, client_event, &cl);
	bufferevent_enable(pair[0], EV_READ | EV_WRITE);
	/* the stream in chunks, the loop turning in between (answers come while more arrives) */
	for (i = p; sent < o; i = i + 1 < size ? i + 1 : p) {
		size_t chunk = 1 + (i < size ? data[i] : 255);

		if (chunk > o - sent)
			chunk = o - sent;
		bufferevent_write(pair[0], stream + sent, chunk);
		sent += chunk;
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	/* a pair ends the stream at once, even with octets still on our side: let them go over first,
	 * as a socket delivers everything before its FIN */
	for (spins = 0; evbuffer_get_length(bufferevent_get_output(pair[0])) > 0 && spins < 100000; spins++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	bufferevent_flush(pair[0], EV_WRITE, BEV_FINISHED);   /* half-close */
	for (spins = 0; listener_busy(lis) > 0 && spins < 100000; spins++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	if (listener_busy(lis) > 0) {
		fprintf(stderr, "the connection did not end after the half-close\n");
		abort();
	}
	while (evbuffer_get_length(cl.got) >= 2) {
		uint8_t pfx[2], head[4];
		size_t len;

		evbuffer_copyout(cl.got, pfx, 2);
		len = (size_t)pfx[0] << 8 | pfx[1];
		if (evbuffer_get_length(cl.got) < 2 + len || len < 12)
			abort();
		evbuffer_drain(cl.got, 2);
		evbuffer_copyout(cl.got, head, 4);
		evbuffer_drain(cl.got, len);
		if (got_n >= nwant || (uint16_t)(head[0] << 8 | head[1]) != want_id[got_n]) {
			fprintf(stderr, "reply %zu: id %u, wanted %u of %zu\n", got_n, head[0] << 8 | head[1],
			    got_n < nwant ? want_id[got_n] : 0, nwant);
			abort();
		}
		got_n++;
	}
	if (got_n != nwant || evbuffer_get_length(cl.got) != 0) {
		fprintf(stderr, "%zu replies for %zu answerable messages\n", got_n, nwant);
		abort();
	}
	evbuffer_free(cl.got);
	bufferevent_free(pair[0]);
	return 0;
}
