/* Zone transfers: a full view of a zone's records, pure parsing of SOA/IXFR/AXFR answers, and the
 * asynchronous TCP client (SOA query, then IXFR or AXFR, masters in order, optional TSIG). */
#ifndef MSDNS_XFR_H
#define MSDNS_XFR_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

struct event_base;

/* One record of a zone. Owner and names inside the RDATA of NS, CNAME, PTR, DNAME, MX and SOA are
 * uncompressed and in lower case (canonical form); other RDATA is as received. The pointers stay
 * valid as long as the view that handed the record out. */
struct zone_rr {
	const uint8_t *owner;    /* wire form, absolute */
	const uint8_t *rdata;
	uint8_t owner_len;
	uint16_t type, rrclass;
	uint16_t rdlen;
	uint32_t ttl;
};

/* A zone's records as a set (owner, type, class, RDATA; TTL not compared), in transfer order. */
struct xfr_view;

/* An empty view; NULL when out of memory. Free with xfr_view_free. */
struct xfr_view *xfr_view_new(void);
void xfr_view_free(struct xfr_view *v);
/* A deep copy; NULL when out of memory. */
struct xfr_view *xfr_view_clone(const struct xfr_view *v);
/* Add rr (copied). Returns 1 added, 0 already present, -1 out of memory. */
int xfr_view_add(struct xfr_view *v, const struct zone_rr *rr);
/* Remove the record equal to rr. Returns 1 removed, 0 absent. */
int xfr_view_del(struct xfr_view *v, const struct zone_rr *rr);
/* Number of records. */
size_t xfr_view_count(const struct xfr_view *v);
/* The records, compacted, in order; valid until the view is next changed or freed. */
const struct zone_rr *xfr_view_records(struct xfr_view *v, size_t *n);
/* The view's SOA (serial, refresh, retry, expire). Returns 0, or -1 when it has none. */
int xfr_view_soa(const struct xfr_view *v, uint32_t *serial, uint32_t *refresh, uint32_t *retry, uint32_t *expire);

/* The view's SOA record, or NULL. */
const struct zone_rr *xfr_view_soa_rr(const struct xfr_view *v);
/* RFC 1982 serial comparison: <0, 0, >0 as a is before, equal to or after b (undefined pairs: >0). */
int xfr_serial_cmp(uint32_t a, uint32_t b);

struct xfr_limits {
	size_t max_octets;    /* all answer messages together (0: 64 MiB) */
	size_t max_records;   /* records in the answer stream (0: 4,000,000) */
};

enum xfr_step {
	XFR_MORE,    /* this message was accepted; the answer goes on */
	XFR_DONE,    /* the answer is complete */
	XFR_ERROR,   /* the answer is unusable; why says so */
};

enum xfr_kind {
	XFR_FULL,      /* AXFR, or an AXFR-style answer to IXFR: the view is the whole zone */
	XFR_INCR,      /* an incremental IXFR answer, applied to the base view */
	XFR_UPTODATE,  /* a single SOA not newer than the base: nothing changed */
};

/* The parser of one answer stream (SOA, AXFR or IXFR), pure: no sockets, no event loop. */
struct xfr_parse;

/* A parser for the answer to the query with this id for zone (wire form) and qtype (SOA, AXFR,
 * IXFR); base is the view an IXFR asked from (its serial went into the query; NULL for SOA/AXFR;
 * not changed, must live as long as the parser). NULL when out of memory. */
struct xfr_parse *xfr_parse_new(const uint8_t *zone, size_t zone_len, uint16_t qtype, uint16_t id,
    const struct xfr_view *base, const struct xfr_limits *lim);
void xfr_parse_free(struct xfr_parse *p);
/* Feed one message of the answer (without the TCP length). Returns XFR_MORE, XFR_DONE or XFR_ERROR
 * (then why holds the reason; further calls keep returning XFR_ERROR). */
enum xfr_step xfr_parse_msg(struct xfr_parse *p, const uint8_t *msg, size_t len, char *why, size_t whylen);
/* After XFR_DONE: the kind, and the new serial (for SOA queries: the SOA's serial, refresh, retry,
 * expire via xfr_parse_soa). */
enum xfr_kind xfr_parse_kind(const struct xfr_parse *p);
/* After XFR_DONE: the SOA of the answer. Returns 0 or -1. */
int xfr_parse_soa(const struct xfr_parse *p, uint32_t *serial, uint32_t *refresh, uint32_t *retry,
    uint32_t *expire);
/* After XFR_DONE of a FULL or INCR transfer: the new view, handed to the caller (who frees it);
 * NULL otherwise or when taken already. */
struct xfr_view *xfr_parse_take_view(struct xfr_parse *p);
/* Whether the error was the base view not matching the increments (an AXFR may then succeed). */
int xfr_parse_mismatch(const struct xfr_parse *p);

/* TSIG for a transfer, supplied by the caller (the tsig module through daemon.c, or a test). */
struct xfr_tsig {
	/* Sign the query buf[0..len) in place (room for cap octets); returns the new length, 0 on
	 * failure; *vctx receives the verification context for its answer. */
	size_t (*sign)(void *key, uint8_t *buf, size_t len, size_t cap, void **vctx);
	/* Verify one answer message (in order; last when it completes the answer). Returns 0, or -1
	 * with why filled when it is unsigned where it must be signed, or wrongly signed. */
	int (*verify)(void *vctx, const uint8_t *msg, size_t len, int last, char *why, size_t whylen);
	/* Free a verification context. */
	void (*free_ctx)(void *vctx);
	void *key;
};

enum xfr_status {
	XFR_OK,          /* kind, serial and (for FULL/INCR) view are set */
	XFR_SAME,        /* the SOA serial equals the base's and the check was not forced: no transfer */
	XFR_FAILED,      /* every master failed; why holds the last reason */
};

struct xfr_result {
	enum xfr_status status;
	enum xfr_kind kind;
	uint32_t serial, refresh, retry, expire;   /* from the SOA query (set for OK and SAME) */
	struct xfr_view *view;   /* OK with FULL/INCR: the new full view, now the caller's to free */
	struct netaddr master;   /* the master that answered (family 0 when FAILED) */
	char why[256];
};

struct xfr_req {
	const char *zone;                /* presentation text, trailing dot optional; copied */
	const struct netaddr *masters;   /* tried in order; copied */
	size_t nmasters;
	const struct xfr_view *base;     /* IXFR from its serial (NULL: AXFR); must live until done */
	int force;                       /* transfer even when the SOA serial equals the base's */
	const struct xfr_tsig *tsig;     /* NULL: unsigned; copied */
	struct xfr_limits limits;
	unsigned connect_timeout_ms;     /* 0: 5000 */
	unsigned read_timeout_ms;        /* 0: 10000; each read */
	unsigned deadline_ms;            /* 0: 120000; the whole check, all masters */
};

/* Called once per started check, on the event loop; r valid during the call (take r->view: set it to
 * NULL, else it is freed). The client is freed after the call. */
typedef void xfr_done_fn(void *arg, struct xfr_result *r);

struct xfr_client;
/* Start a check of req's zone (SOA, then IXFR/AXFR). NULL when it cannot start (bad zone name, no
 * masters, out of memory); otherwise done is called exactly once, unless cancelled first. */
struct xfr_client *xfr_start(struct event_base *base, const struct xfr_req *req, xfr_done_fn *done, void *arg);
/* Stop a running check without calling done. */
void xfr_cancel(struct xfr_client *c);

#endif
