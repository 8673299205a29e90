/* Zone operations: names for the log and the command line, and comparison for joining. */
#include "zoneop.h"

#include <string.h>

const char *
zoneop_kind_name(enum zoneop_kind k)
{
	static const char *const names[] = { "Get", "Create", "Delete", "Refresh", "List" };

	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

const char *
zoneop_result_name(enum zoneop_result r)
{
	static const char *const names[] = { "done", "absent", "not ours", "failed", "timed out" };

	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

int
zoneop_same(const struct zoneop *a, const struct zoneop *b)
{
	return a->kind == b->kind && a->flags == b->flags && strcmp(a->zone, b->zone) == 0 &&
	    strcmp(a->masters, b->masters) == 0;
}

int
zoneop_set(struct zoneop *op, enum zoneop_kind kind, const char *zone)
{
	size_t n = strlen(zone);

	memset(op, 0, sizeof *op);
	op->kind = kind;
	if (n >= sizeof op->zone)
		return -1;
	memcpy(op->zone, zone, n + 1);
	return 0;
}

int
zoneop_name_check(const char *text, size_t len, char out[ZONE_NAME_MAX])
{
	size_t i, label = 0;

	if (len > 0 && text[len - 1] == '.')
		len--;
	if (len == 0 || len > ZONE_NAME_MAX - 1 || text[0] == '-')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
			out[i] = '.';
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
		if (++label > 63)
			return -1;
		out[i] = (char)c;
	}
	if (label == 0)
		return -1;
	out[len] = '\0';
	return 0;
}
