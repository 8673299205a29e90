/* UDP and TCP sockets on every listen address: framing, pipelining, idle timeouts, connection caps. */
#ifndef MSDNS_LISTENER_H
#define MSDNS_LISTENER_H

#include <stddef.h>

struct event_base;
struct config;
struct agent_req;
struct listener;
struct bufferevent;
struct netaddr;

/* Bind UDP and TCP on every cfg->agent.listen address and hand each message to a; others_fds: descriptors
 * the rest of the agent may hold (child processes' pipes), kept free. Returns NULL when a
 * socket cannot be bound (logged). */
struct listener *listener_new(struct event_base *base, const struct config *cfg, struct agent_req *a,
    unsigned others_fds);
/* Serve bev (an open stream: a socket, or one end of a bufferevent pair in tests and fuzzing) as a
 * TCP connection accepted from peer; bev is freed with the connection. Returns 0, or -1 (bev not
 * freed). */
int listener_adopt(struct listener *l, struct bufferevent *bev, const struct netaddr *peer);
/* Stop reading new messages and accepting connections; replies still in flight are sent. */
void listener_stop(struct listener *l);
/* TCP connections that still have replies to send. */
size_t listener_busy(const struct listener *l);
/* Close every socket. Replies that arrive later are discarded. */
void listener_free(struct listener *l);

#endif
