/* Zone operations: what the agent and the catalog code ask of a backend, and how it ended (pure). */
#ifndef MSDNS_ZONEOP_H
#define MSDNS_ZONEOP_H

#include <stddef.h>

#define ZONE_NAME_MAX 254        /* 253 characters + NUL: validated, lower case, no trailing dot */

enum zoneop_kind { ZONEOP_GET, ZONEOP_CREATE, ZONEOP_DELETE, ZONEOP_REFRESH, ZONEOP_LIST };

enum zoneop_result {
	ZONEOP_DONE,      /* done (Get: present) */
	ZONEOP_ABSENT,    /* the zone does not exist (Get, Refresh) */
	ZONEOP_NOT_OURS,  /* exists but not a file-backed secondary of the given masters (Create, Delete) */
	ZONEOP_FAILED,    /* any other failure (incl. server unreachable / access denied) */
	ZONEOP_TIMEOUT,   /* killed at operation_timeout */
};

#define ZONEOP_F_NO_CONVERGE 1u  /* Create: a secondary of OTHER masters is NOT_OURS (catalogs: clash), not converged */
#define ZONEOP_F_UNMANAGED   2u  /* Delete: delete even a zone that is not ours (delete_unmanaged_zones) */

struct zoneop {
	enum zoneop_kind kind;
	char zone[ZONE_NAME_MAX];    /* "" for LIST */
	char masters[512];           /* comma-separated IPs for Create/Delete ("" = the agent's [service:agent] masters) */
	unsigned flags;
};

#define ZONEOP_LIST_MAX 100000   /* a LIST of more zones is taken as failed, never trusted in part */

struct zoneop_zone {             /* one zone of a LIST; its strings are held by the list (see zoneop_list) */
	const char *name;            /* lower case, no trailing dot */
	const char *masters;         /* comma-separated IPs, "" when none */
	char type[12];               /* as Microsoft DNS names it: Primary, Secondary, Stub, Forwarder */
	int ds_integrated;
};

/* Called exactly once per started operation, on the event loop; zones only for a LIST that ended DONE,
 * valid during the call (copy what is kept). */
typedef void zoneop_done_fn(void *arg, enum zoneop_result r, const struct zoneop_zone *zones, size_t n);

/* The zones of a LIST as a backend collects them: 32 octets a zone plus its strings, packed in blocks. */
struct zoneop_list;

/* "Get", "Create", "Delete", "Refresh", "List" (the script's -Operation values). */
const char *zoneop_kind_name(enum zoneop_kind k);
/* "done", "absent", "not ours", "failed", "timed out" (for the log). */
const char *zoneop_result_name(enum zoneop_result r);
/* Whether a and b ask for the same thing (kind, zone, masters, flags): a request may join the other. */
int zoneop_same(const struct zoneop *a, const struct zoneop *b);
/* Validate a zone name given as text by the agent's rules (letters, digits, '-', '_', dot-separated labels
 * of 1..63, 1..253 characters, no leading '-'; one trailing dot allowed) and write it lower case without
 * the trailing dot. Returns 0, or -1 when it is not acceptable. */
int zoneop_name_check(const char *text, size_t len, char out[ZONE_NAME_MAX]);
/* Fill op with kind on zone (masters "" and flags 0). Returns 0, or -1 when zone does not fit. */
int zoneop_set(struct zoneop *op, enum zoneop_kind kind, const char *zone);

/* A new empty list, or NULL when out of memory. Free it with zoneop_list_free. */
struct zoneop_list *zoneop_list_new(void);
/* Append one zone (the strings are copied; type must fit struct zoneop_zone's type). Returns 0, -1 when out
 * of memory, or -2 when the list already holds ZONEOP_LIST_MAX zones. */
int zoneop_list_add(struct zoneop_list *l, const char *name, const char *type, int ds_integrated,
    const char *masters);
/* The zones appended so far (*n of them; NULL when none or l is NULL), valid until the next add or the free. */
const struct zoneop_zone *zoneop_list_zones(const struct zoneop_list *l, size_t *n);
/* Free l and its strings (NULL is allowed). */
void zoneop_list_free(struct zoneop_list *l);

#endif
