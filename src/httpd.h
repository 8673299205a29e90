/* The operators' HTTP endpoint on libevent's evhttp: /metrics, /healthz and /status, off the DNS path. */
#ifndef MSDNS_HTTPD_H
#define MSDNS_HTTPD_H

#include <stddef.h>

struct event_base;
struct netaddr;
struct httpd;

/* What the endpoint serves; each returns a string the caller (httpd) frees, NULL on failure. */
struct httpd_pages {
	char *(*metrics)(void *arg, size_t *len);    /* Prometheus text 0.0.4 */
	char *(*status)(void *arg, size_t *len);     /* one JSON document */
	/* 0 when healthy; else -1 with a one-line reason in why */
	int (*health)(void *arg, char *why, size_t whylen);
	void *arg;
};

#define HTTPD_MAX_CONNECTIONS 8     /* a scraper never gets more than this */
#define HTTPD_TIMEOUT_S 5           /* of silence while a request is sent or the answer read */
#define HTTPD_LIFETIME_S 10         /* a connection's whole life, however it trickles */
#define HTTPD_MAX_HEADERS 8192      /* octets of request line and headers */

/* Listen on addr (IP literal and port) on base. Returns NULL (logged) when it cannot. */
struct httpd *httpd_new(struct event_base *base, const struct netaddr *addr, const struct httpd_pages *pages);
/* Connections open now (tests). */
unsigned httpd_connections(const struct httpd *h);
/* Close the listener and every connection. */
void httpd_free(struct httpd *h);

#endif
