/* What one consumed catalog knows across restarts: last valid serial, member map, zones it owns; on disk. */
#ifndef MSDNS_CATALOG_STATE_H
#define MSDNS_CATALOG_STATE_H

#include <stddef.h>
#include <stdint.h>

struct catalog_state;

enum catalog_own {
	CATALOG_OWNED,     /* created or adopted by this catalog: it may delete it */
	CATALOG_PENDING,   /* a Create was (maybe) started: ours only if that Create succeeds or succeeded */
};

/* Empty state for the catalog named catalog (lower case, no trailing dot). NULL on allocation failure. */
struct catalog_state *catalog_state_new(const char *catalog);
void catalog_state_free(struct catalog_state *s);
const char *catalog_state_name(const struct catalog_state *s);

/* Read path into s, replacing what s held. Returns 0 (loaded), 1 (no such file), -1 (unreadable or
 * damaged: why says how). On 1 and -1 s is left empty: nothing known, nothing owned. */
int catalog_state_load(struct catalog_state *s, const char *path, char *why, size_t whylen);
/* Write s to path atomically: path.tmp, flushed to disk, renamed over path. Returns 0, or -1 (why says
 * how; the old file is untouched). */
int catalog_state_save(const struct catalog_state *s, const char *path, char *why, size_t whylen);
/* The file name of catalog's state under dir (caller frees), NULL on allocation failure. */
char *catalog_state_path(const char *dir, const char *catalog);

/* Whether a full valid version of the catalog has been applied, and its serial. */
int catalog_state_valid(const struct catalog_state *s);
uint32_t catalog_state_serial(const struct catalog_state *s);
void catalog_state_set_serial(struct catalog_state *s, uint32_t serial);

/* The member map of the last valid version applied: zone -> label. */
void catalog_state_members_clear(struct catalog_state *s);
/* Returns 0, -1 on allocation failure. */
int catalog_state_member_set(struct catalog_state *s, const char *zone, const char *label);
/* The label of member zone, or NULL. */
const char *catalog_state_member(const struct catalog_state *s, const char *zone);
size_t catalog_state_members(const struct catalog_state *s);
/* Iterate: *pos = 0 first; returns 1 with the next zone/label, 0 at the end. */
int catalog_state_next_member(const struct catalog_state *s, size_t *pos, const char **zone, const char **label);

/* Record zone as owned or pending under label. Returns 0, -1 on allocation failure. */
int catalog_state_own(struct catalog_state *s, const char *zone, const char *label, enum catalog_own how);
/* The label zone is owned (or pending) under, with *how, or NULL when this catalog does not own it. */
const char *catalog_state_owner(const struct catalog_state *s, const char *zone, enum catalog_own *how);
/* Forget zone (deleted, or found not ours). */
void catalog_state_disown(struct catalog_state *s, const char *zone);
size_t catalog_state_owned(const struct catalog_state *s);
int catalog_state_next_owned(const struct catalog_state *s, size_t *pos, const char **zone, const char **label,
    enum catalog_own *how);

/* Whether text is a zone name as the agent accepts it (lower case, no trailing dot). */
int catalog_state_zone_ok(const char *text);

#endif
