/* Tests: a DNS answer builder and a scripted TCP server (SOA/AXFR/IXFR of a catalog) on an event loop. */
#ifndef MSDNS_TESTS_XFRSRV_H
#define MSDNS_TESTS_XFRSRV_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evconnlistener;

#define XS_ZONE "cat.example."
#define AXFR 252
#define IXFR 251
#define PTR 12
#define TXT 16
#define NS 2

struct mb {
	uint8_t b[65535];
	size_t len;
	unsigned an;
	int compress;   /* owner names equal to the zone written as a pointer to the question */
};

/* Start an answer with id, flags (QR|AA when 0) and, when q, the question (XS_ZONE, qtype, IN). */
void mb_init(struct mb *m, uint16_t id, uint16_t flags, uint16_t qtype, int q);
/* Append the zone's SOA (timers 3600 600 86400), a PTR, a TXT of one string, the apex NS. */
void mb_soa(struct mb *m, uint32_t serial);
void mb_soa_timers(struct mb *m, uint32_t serial, uint32_t refresh, uint32_t retry, uint32_t expire);
void mb_ptr(struct mb *m, const char *owner, const char *target);
void mb_txt(struct mb *m, const char *owner, const char *text);
void mb_ns(struct mb *m);
/* Set the answer count; returns the length. */
size_t mb_end(struct mb *m);

enum behaviour {
	B_ANSWER,      /* answer from the zone below */
	B_SILENT,      /* read the query, never answer */
	B_HALF,        /* send half the answer, then close */
	B_NOTIMP_IXFR, /* IXFR answered NOTIMP */
	B_BAD_INCR,    /* IXFR answered with an increment from another serial */
};

/* The zone served: SOA serial, NS, version "2", members m0..m<members-1> -> z<i>.example. */
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
	uint32_t refresh, retry, expire;   /* SOA timers (0: 3600, 600, 86400) */
	int queries;               /* queries answered or not */
	void *conns;               /* open connections (closed by srv_stop) */
	int holding;               /* held is a socket bound to port, not listening (see srv_hold) */
	intptr_t held;
};

/* Take a free port on 127.0.0.1 and hold it (bound, not listening: connections are refused) until
 * srv_start listens on it; a server that starts "down" keeps its port this way. */
void srv_hold(struct srv *s);
/* Listen on 127.0.0.1 (the held port, else s->port, else a free one) on base. */
void srv_start(struct srv *s, struct event_base *base);
/* Stop listening (connections are then refused) and close the open ones; the port stays held (bound,
 * not listening, so no other socket on the machine takes it meanwhile) and srv_start listens again on
 * it. */
void srv_stop(struct srv *s);

#endif
