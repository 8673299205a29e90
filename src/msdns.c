/* The PowerShell contract: the script's command lines, the worker line protocol and the exit codes. */
#include "msdns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

static size_t
argv_head(const struct msdns_program *p, const char *argv[MSDNS_ARGV_MAX])
{
	size_t n = 0;

	argv[n++] = p->powershell;
	argv[n++] = "-NoLogo";
	argv[n++] = "-NoProfile";
	argv[n++] = "-NonInteractive";
	argv[n++] = "-ExecutionPolicy";
	argv[n++] = p->execution_policy;
	argv[n++] = "-File";
	argv[n++] = p->script;
	return n;
}

/* Whether the operation passes masters (Create, Delete). */
static int
takes_masters(const struct zoneop *op, const char *masters)
{
	return (op->kind == ZONEOP_CREATE || op->kind == ZONEOP_DELETE) && masters && *masters;
}

size_t
msdns_argv(const struct msdns_program *p, const struct zoneop *op, const char *masters,
    const char *argv[MSDNS_ARGV_MAX])
{
	size_t n = argv_head(p, argv);

	argv[n++] = "-Operation";
	argv[n++] = zoneop_kind_name(op->kind);
	if (op->kind != ZONEOP_LIST) {
		argv[n++] = "-Zone";
		argv[n++] = op->zone;
	}
	if (takes_masters(op, masters)) {
		argv[n++] = "-Masters";
		argv[n++] = masters;
	}
	if (op->kind == ZONEOP_DELETE && (op->flags & ZONEOP_F_UNMANAGED))
		argv[n++] = "-DeleteUnmanaged";
	if (op->kind == ZONEOP_CREATE && (op->flags & ZONEOP_F_NO_CONVERGE))
		argv[n++] = "-NoConverge";
	argv[n] = NULL;
	return n;
}

size_t
msdns_serve_argv(const struct msdns_program *p, const char *argv[MSDNS_ARGV_MAX])
{
	size_t n = argv_head(p, argv);

	argv[n++] = "-Serve";
	argv[n] = NULL;
	return n;
}

/* Whether s is a non-empty field of printable ASCII without spaces. */
static int
field_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

size_t
msdns_request_line(char *out, size_t len, unsigned long seq, const struct zoneop *op, const char *masters)
{
	const char *zone = op->kind == ZONEOP_LIST ? "-" : op->zone;
	const char *m = takes_masters(op, masters) ? masters : "-";
	char flags[64] = "";
	int n;

	if (seq < 1 || seq > 2147483648UL || !field_ok(zone) || !field_ok(m))
		return 0;
	if (op->kind == ZONEOP_DELETE && (op->flags & ZONEOP_F_UNMANAGED))
		strcat(flags, "DeleteUnmanaged");
	if (op->kind == ZONEOP_CREATE && (op->flags & ZONEOP_F_NO_CONVERGE))
		strcat(flags, *flags ? ",NoConverge" : "NoConverge");
	n = snprintf(out, len, "%lu %s %s %s %s\n", seq, zoneop_kind_name(op->kind), zone, m, *flags ? flags : "-");
	if (n < 0 || (size_t)n >= len)
		return 0;
	return (size_t)n;
}

/* Read a decimal of at most max_digits digits without a leading zero at *p; advance *p. Returns 0 or -1. */
static int
read_decimal(const char **p, const char *end, unsigned max_digits, unsigned long *out)
{
	const char *s = *p;
	unsigned long v = 0;
	unsigned digits = 0;

	while (s < end && *s >= '0' && *s <= '9') {
		if (++digits > max_digits || (digits == 2 && v == 0))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		s++;
	}
	if (digits == 0)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

void
msdns_parse_line(const char *line, size_t len, struct msdns_line *out)
{
	const char *p = line, *end;
	unsigned long seq, code;

	memset(out, 0, sizeof *out);
	out->kind = MSDNS_LINE_STRAY;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	end = line + len;
	if (len == 13 && memcmp(line, "msdns-ready 1", 13) == 0) {
		out->kind = MSDNS_LINE_READY;
		return;
	}
	if (read_decimal(&p, end, 10, &seq) != 0 || p == end || *p != ' ')
		return;
	p++;
	if ((size_t)(end - p) >= 4 && memcmp(p, "fact", 4) == 0 && (end - p == 4 || p[4] == ' ')) {
		out->seq = seq;
		if (seq < 1 || seq > 2147483648UL || end - p <= 5) {
			out->kind = MSDNS_LINE_BAD;
			return;
		}
		out->kind = MSDNS_LINE_FACT;
		out->text = p + 5;
		out->text_len = (size_t)(end - (p + 5));
		return;
	}
	if ((size_t)(end - p) >= 4 && memcmp(p, "exit", 4) == 0 && (end - p == 4 || p[4] == ' ')) {
		out->seq = seq;
		out->kind = MSDNS_LINE_BAD;
		if (seq < 1 || seq > 2147483648UL || end - p <= 5)
			return;
		p += 5;
		if (read_decimal(&p, end, 3, &code) != 0 || p != end || code > 255)
			return;
		out->kind = MSDNS_LINE_EXIT;
		out->code = (int)code;
	}
}

/* Check a comma-separated list of IP literals of a List line and copy it ("-" = none). Returns 0 or -1. */
static int
zone_masters(const char *v, size_t n, char *out, size_t outlen)
{
	size_t i = 0;

	if (n == 1 && v[0] == '-') {
		out[0] = '\0';
		return 0;
	}
	if (n == 0 || n >= outlen)
		return -1;
	while (i < n) {
		char ip[NETADDR_TEXT_MAX];
		struct netaddr a;
		size_t j = i;

		while (j < n && v[j] != ',')
			j++;
		if (j == i || j - i >= sizeof ip)
			return -1;
		memcpy(ip, v + i, j - i);
		ip[j - i] = '\0';
		if (netaddr_parse_ip(ip, &a) != 0)
			return -1;
		i = j + 1;
		if (j + 1 == n)   /* a trailing comma */
			return -1;
	}
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

int
msdns_parse_zone(const char *text, size_t len, struct msdns_zone *z)
{
	static const char *const types[] = { "Primary", "Secondary", "Stub", "Forwarder" };
	const char *p = text, *end = text + len;
	unsigned seen = 0;

	memset(z, 0, sizeof *z);
	if (len > 0 && text[len - 1] == '\r')
		end--;
	while (p < end) {
		const char *tok = p, *eq, *v;
		size_t klen, vlen, i;
		unsigned bit;

		while (p < end && *p != ' ')
			p++;
		for (eq = tok; eq < p && *eq != '='; eq++)
			;
		if (eq == p)
			return -1;
		klen = (size_t)(eq - tok);
		v = eq + 1;
		vlen = (size_t)(p - v);
		if (klen == 4 && memcmp(tok, "zone", 4) == 0) {
			bit = 1;
			if (zoneop_name_check(v, vlen, z->name) != 0 || v[vlen - 1] == '.')
				return -1;
		} else if (klen == 4 && memcmp(tok, "type", 4) == 0) {
			bit = 2;
			for (i = 0; i < sizeof types / sizeof types[0]; i++)
				if (strlen(types[i]) == vlen && memcmp(types[i], v, vlen) == 0)
					break;
			if (i == sizeof types / sizeof types[0])
				return -1;
			memcpy(z->type, v, vlen);
			z->type[vlen] = '\0';
		} else if (klen == 2 && memcmp(tok, "ds", 2) == 0) {
			bit = 4;
			if (vlen != 1 || (v[0] != '0' && v[0] != '1'))
				return -1;
			z->ds_integrated = v[0] == '1';
		} else if (klen == 7 && memcmp(tok, "masters", 7) == 0) {
			bit = 8;
			if (zone_masters(v, vlen, z->masters, sizeof z->masters) != 0)
				return -1;
		} else {
			return -1;
		}
		if (seen & bit)
			return -1;
		seen |= bit;
		if (p < end)
			p++;   /* the one space between fields */
		if (p < end && *p == ' ')
			return -1;
	}
	return seen == 15 ? 0 : -1;
}

const char *
msdns_list_fact(struct zoneop_list **l, const char *text, size_t len)
{
	struct msdns_zone z;

	if (msdns_parse_zone(text, len, &z) != 0)
		return "a zone line is not zone=NAME type=TYPE ds=0|1 masters=IP,IP|-";
	if (*l == NULL && (*l = zoneop_list_new()) == NULL)
		return "out of memory";
	switch (zoneop_list_add(*l, z.name, z.type, z.ds_integrated, z.masters)) {
	case 0:
		return NULL;
	case -2:
		return "more zones than the limit (100000)";
	default:
		return "out of memory";
	}
}

enum zoneop_result
msdns_exit_result(long code, const char **why)
{
	*why = NULL;
	switch (code) {
	case MSDNS_EXIT_OK: return ZONEOP_DONE;
	case MSDNS_EXIT_ABSENT: return ZONEOP_ABSENT;
	case MSDNS_EXIT_NOT_OURS: return ZONEOP_NOT_OURS;
	case MSDNS_EXIT_BAD_ARGS:
		*why = "the script rejected its arguments (exit 4)";
		return ZONEOP_FAILED;
	case MSDNS_EXIT_UNREACHABLE:
		*why = "DNS Server unreachable or access denied (exit 5): is the DNS Server service running, "
		    "and may the service account manage it?";
		return ZONEOP_FAILED;
	default:
		*why = "the script failed (see its output above)";
		return ZONEOP_FAILED;
	}
}
