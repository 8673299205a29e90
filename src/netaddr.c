/* IP addresses with ports: parsing "host:port" / "[v6]:port", formatting, prefixes, sockaddr conversion. */
#include "netaddr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
netaddr_parse_ip(const char *text, struct netaddr *out)
{
	memset(out, 0, sizeof *out);
	if (evutil_inet_pton(AF_INET, text, out->ip) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (strchr(text, ':') && evutil_inet_pton(AF_INET6, text, out->ip) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

static int
parse_port(const char *text, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*text < '0' || *text > '9')
		return -1;
	v = strtoul(text, &end, 10);
	if (*end != '\0' || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
netaddr_parse_hostport(const char *text, uint16_t default_port, struct netaddr *out)
{
	char host[NETADDR_TEXT_MAX];
	const char *colon, *end;
	uint16_t port = default_port;
	size_t n;

	if (text[0] == '[') {
		end = strchr(text, ']');
		if (end == NULL)
			return -1;
		n = (size_t)(end - text - 1);
		if (end[1] == ':') {
			if (parse_port(end + 2, &port) != 0)
				return -1;
		} else if (end[1] != '\0') {
			return -1;
		}
		if (n >= sizeof host)
			return -1;
		memcpy(host, text + 1, n);
		host[n] = '\0';
		if (netaddr_parse_ip(host, out) != 0 || out->family != AF_INET6)
			return -1;
	} else {
		colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':')) {   /* bare IPv6 literal, no port */
			if (netaddr_parse_ip(text, out) != 0)
				return -1;
		} else {
			n = colon ? (size_t)(colon - text) : strlen(text);
			if (n >= sizeof host)
				return -1;
			memcpy(host, text, n);
			host[n] = '\0';
			if (colon && parse_port(colon + 1, &port) != 0)
				return -1;
			if (netaddr_parse_ip(host, out) != 0)
				return -1;
		}
	}
	out->port = port;
	return 0;
}

int
netaddr_parse_prefix(const char *text, struct netaddr *out, unsigned *bits)
{
	char host[NETADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	if (n >= sizeof host)
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	if (netaddr_parse_ip(host, out) != 0)
		return -1;
	max = out->family == AF_INET ? 32 : 128;
	*bits = max;
	if (slash) {
		char *end;
		unsigned long v;

		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		v = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || v > max)
			return -1;
		*bits = (unsigned)v;
	}
	return 0;
}

int
netaddr_in_prefix(const struct netaddr *addr, const struct netaddr *prefix, unsigned bits)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *ip = addr->ip;
	unsigned full, rest;

	if (addr->family == AF_INET6 && prefix->family == AF_INET && memcmp(addr->ip, mapped, 12) == 0)
		ip = addr->ip + 12;
	else if (addr->family != prefix->family)
		return 0;
	full = bits / 8;
	rest = bits % 8;
	if (memcmp(ip, prefix->ip, full) != 0)
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((ip[full] & mask) != (prefix->ip[full] & mask))
			return 0;
	}
	return 1;
}

char *
netaddr_ip_text(const struct netaddr *a, char *out, size_t outlen)
{
	if (evutil_inet_ntop(a->family, a->ip, out, outlen) == NULL)
		snprintf(out, outlen, "?");
	return out;
}

char *
netaddr_text(const struct netaddr *a, char *out, size_t outlen)
{
	char ip[NETADDR_TEXT_MAX];

	netaddr_ip_text(a, ip, sizeof ip);
	if (a->family == AF_INET6)
		snprintf(out, outlen, "[%s]:%u", ip, a->port);
	else
		snprintf(out, outlen, "%s:%u", ip, a->port);
	return out;
}

int
netaddr_to_sockaddr(const struct netaddr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
		return (int)sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		return (int)sizeof *s4;
	}
}

int
netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		a->family = AF_INET;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		a->family = AF_INET6;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
		return 0;
	}
	return -1;
}
