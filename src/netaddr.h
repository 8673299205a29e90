/* IP addresses with ports: parsing "host:port" / "[v6]:port", formatting, prefixes, sockaddr conversion. */
#ifndef MSDNS_NETADDR_H
#define MSDNS_NETADDR_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

struct netaddr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t ip[16];      /* network order; 4 octets used for AF_INET */
	uint16_t port;       /* host order */
};

#define NETADDR_TEXT_MAX 64

/* Parse an IP literal without port. Returns 0, or -1 when text is not an IPv4 or IPv6 literal. */
int netaddr_parse_ip(const char *text, struct netaddr *out);
/* Parse "ip", "ip:port", "[ipv6]" or "[ipv6]:port" (port 0..65535; default_port when absent).
 * Returns 0 or -1. */
int netaddr_parse_hostport(const char *text, uint16_t default_port, struct netaddr *out);
/* Parse "ip" or "ip/bits". Returns 0 or -1. */
int netaddr_parse_prefix(const char *text, struct netaddr *out, unsigned *bits);
/* Whether addr lies in prefix/bits (IPv4-mapped IPv6 addresses match IPv4 prefixes). */
int netaddr_in_prefix(const struct netaddr *addr, const struct netaddr *prefix, unsigned bits);
/* "1.2.3.4" or "::1" (no port). Returns out. */
char *netaddr_ip_text(const struct netaddr *a, char *out, size_t outlen);
/* "1.2.3.4:53" or "[::1]:53". Returns out. */
char *netaddr_text(const struct netaddr *a, char *out, size_t outlen);
/* Fill ss from a; returns the sockaddr length. */
int netaddr_to_sockaddr(const struct netaddr *a, struct sockaddr_storage *ss);
/* Fill a from sa. Returns 0, or -1 for a family other than IPv4/IPv6. */
int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *a);

#endif
