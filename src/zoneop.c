/* Zone operations: names for the log and the command line, and comparison for joining. */
#include "zoneop.h"

#include <stdlib.h>
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

#define LIST_BLOCK 65536   /* string block size: one name (< 254) and its masters (< 512) always fit */

struct zl_block {
	struct zl_block *next;
	size_t used;
	char text[LIST_BLOCK];
};

struct zoneop_list {
	struct zoneop_zone *zones;
	size_t n, cap;
	struct zl_block *blocks;     /* the newest first; strings never move, so zones point into them */
	const char *last_masters;    /* the previous zone's masters: most zones of a server share them */
};

struct zoneop_list *
zoneop_list_new(void)
{
	return calloc(1, sizeof(struct zoneop_list));
}

/* A copy of s (len octets and a NUL) in l's blocks, or NULL when out of memory. */
static const char *
zl_store(struct zoneop_list *l, const char *s, size_t len)
{
	struct zl_block *b = l->blocks;
	char *p;

	if (len + 1 > LIST_BLOCK)
		return NULL;
	if (b == NULL || LIST_BLOCK - b->used < len + 1) {
		if ((b = malloc(sizeof *b)) == NULL)
			return NULL;
		b->next = l->blocks;
		b->used = 0;
		l->blocks = b;
	}
	p = b->text + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

int
zoneop_list_add(struct zoneop_list *l, const char *name, const char *type, int ds_integrated,
    const char *masters)
{
	struct zoneop_zone *z;
	size_t tlen = strlen(type);

	if (l->n >= ZONEOP_LIST_MAX)
		return -2;
	if (tlen >= sizeof z->type)
		return -1;
	if (l->n == l->cap) {
		/* grow by doubling, but never past the limit: a list of exactly the limit fits */
		size_t cap = l->cap ? l->cap * 2 : 64;

		if (cap > ZONEOP_LIST_MAX)
			cap = ZONEOP_LIST_MAX;
		if ((z = realloc(l->zones, cap * sizeof *z)) == NULL)
			return -1;
		l->zones = z;
		l->cap = cap;
	}
	z = &l->zones[l->n];
	if ((z->name = zl_store(l, name, strlen(name))) == NULL)
		return -1;
	if (masters[0] == '\0')
		z->masters = "";
	else if (l->last_masters != NULL && strcmp(l->last_masters, masters) == 0)
		z->masters = l->last_masters;
	else if ((z->masters = l->last_masters = zl_store(l, masters, strlen(masters))) == NULL)
		return -1;
	memcpy(z->type, type, tlen + 1);
	z->ds_integrated = ds_integrated;
	l->n++;
	return 0;
}

const struct zoneop_zone *
zoneop_list_zones(const struct zoneop_list *l, size_t *n)
{
	*n = l ? l->n : 0;
	return *n ? l->zones : NULL;
}

void
zoneop_list_free(struct zoneop_list *l)
{
	struct zl_block *b, *next;

	if (l == NULL)
		return;
	for (b = l->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(l->zones);
	free(l);
}
