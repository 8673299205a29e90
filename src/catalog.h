/* Catalog zones (RFC 9432 §4-5), pure: a catalog's records in, its member set or why it is broken out. */
#ifndef MSDNS_CATALOG_H
#define MSDNS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * The seam with the transfer side (xfr): xfr keeps the full view of a catalog zone in a
 * struct catalog_records. An AXFR (or an AXFR-style IXFR answer) fills a fresh or cleared set;
 * an incremental IXFR answer is applied to the last full view with catalog_records_remove and
 * catalog_records_add. The interpreter reads the set and never changes it.
 *
 * Every RR is given as: owner = uncompressed wire name (any case; stored lower case), type,
 * class, TTL, and rdata with the names in it uncompressed (xfr expands PTR, NS, CNAME, SOA
 * rdata names; other types are taken as received). Names in PTR/NS/CNAME rdata are compared
 * case-insensitively (stored lower case); other rdata octet for octet.
 */
struct catalog_records;

struct catalog_rr {
	const uint8_t *owner;    /* uncompressed wire name, lower case */
	size_t owner_len;
	uint16_t type, rrclass;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
};

/* An empty set. Returns NULL on allocation failure. */
struct catalog_records *catalog_records_new(void);
/* A read-only set over n records held elsewhere, without copying them (the transfer's own view):
 * at(src, i, rr) fills rr with record i. The records must be distinct (owner, type, class, rdata), owners
 * and names in PTR/NS/CNAME rdata lower case, and stay unchanged and allocated while the set lives. Of
 * several SOAs the last counts (as with catalog_records_add). NULL when a record is not so (an owner
 * or rdata name that is not valid or not lower case: copy the records with catalog_records_add
 * instead) or out of memory. add and remove on such a set fail (-1 / 1); clear empties it. */
typedef void catalog_rr_at_fn(const void *src, size_t i, struct catalog_rr *rr);
struct catalog_records *catalog_records_borrow(const void *src, size_t n, catalog_rr_at_fn *at);
/* Add one RR. An SOA replaces the set's SOA, if any; an RR already present (same owner, type, class,
 * rdata) is kept once (its TTL updated). Returns 0, or -1 on allocation failure or when owner is not
 * a valid uncompressed wire name or a PTR/NS/CNAME rdata is not exactly one (the set is unchanged). */
int catalog_records_add(struct catalog_records *r, const uint8_t *owner, size_t owner_len, uint16_t type,
    uint16_t rrclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen);
/* Remove one RR (an IXFR deletion); an SOA removes the set's SOA whatever its rdata. Returns 0, or 1
 * when no such RR is present (the caller decides whether that makes the increment unusable). */
int catalog_records_remove(struct catalog_records *r, const uint8_t *owner, size_t owner_len, uint16_t type,
    uint16_t rrclass, const uint8_t *rdata, size_t rdlen);
/* The number of RRs held (the SOA included). */
size_t catalog_records_count(const struct catalog_records *r);
/* The SOA's serial, refresh, retry and expire (any pointer may be NULL). Returns 0, -1 when the set
 * holds no usable SOA. */
int catalog_records_soa(const struct catalog_records *r, uint32_t *serial, uint32_t *refresh, uint32_t *retry,
    uint32_t *expire);
/* Call fn for every RR (in no particular order) until it returns non-zero; returns that value or 0.
 * rr is valid during the call only. */
int catalog_records_foreach(const struct catalog_records *r, int (*fn)(void *arg, const struct catalog_rr *rr),
    void *arg);
/* A copy of the set (to apply an increment without losing the last full view). NULL on failure. */
struct catalog_records *catalog_records_dup(const struct catalog_records *r);
/* Empty the set (an AXFR starts over). */
void catalog_records_clear(struct catalog_records *r);
void catalog_records_free(struct catalog_records *r);

/* What makes a member admissible (RFC 9432 §7). */
struct catalog_policy {
	const char *const *suffixes;  /* lower case, no trailing dot: a member equal to or under one */
	size_t n_suffixes;            /* 0 = any valid name */
};

/* One member: its unique label (presentation text, escaped) and its zone (lower case, no trailing dot). */
struct catalog_member {
	const char *label;
	const char *zone;
	const char *coo;              /* change of ownership: the new catalog's name, or NULL */
};

/* The interpretation of one version of a catalog: valid with its members, or broken with a reason. */
struct catalog_view;

/* Interpret r as the catalog named catalog (lower case, no trailing dot) under pol. Returns 0 with *out
 * valid, 1 with *out broken (catalog_view_broken says why; it has no members), -1 on allocation failure
 * (*out NULL). The caller frees *out. */
int catalog_interpret(const struct catalog_records *r, const char *catalog, const struct catalog_policy *pol,
    struct catalog_view **out);
/* Why the catalog is broken, or NULL when it is valid. */
const char *catalog_view_broken(const struct catalog_view *v);
/* The SOA serial of this version. */
uint32_t catalog_view_serial(const struct catalog_view *v);
/* Admissible members (in no particular order). */
size_t catalog_view_count(const struct catalog_view *v);
const struct catalog_member *catalog_view_member(const struct catalog_view *v, size_t i);
/* The member with this label / this zone, or NULL. */
const struct catalog_member *catalog_view_by_label(const struct catalog_view *v, const char *label);
const struct catalog_member *catalog_view_by_zone(const struct catalog_view *v, const char *zone);
/* Records ignored and members not admitted, one sentence each (at most CATALOG_NOTES_MAX are kept;
 * catalog_view_ignored counts them all). */
#define CATALOG_NOTES_MAX 100
size_t catalog_view_notes(const struct catalog_view *v);
const char *catalog_view_note(const struct catalog_view *v, size_t i);
size_t catalog_view_ignored(const struct catalog_view *v);
/* Members not admitted (bad name or outside member_suffixes), counted apart from other ignored records. */
size_t catalog_view_inadmissible(const struct catalog_view *v);
void catalog_view_free(struct catalog_view *v);

/* Whether zone (lower case, no trailing dot) is admissible under pol. */
int catalog_admissible(const struct catalog_policy *pol, const char *zone);
/* Room for one label as text (63 octets, each escaped as \DDD at most), NUL included. */
#define CATALOG_LABEL_TEXT_MAX (63 * 4 + 1)
/* Write one wire label (len octets) as presentation text (\. \\ \DDD escaped) into out. Returns out. */
char *catalog_label_text(const uint8_t *label, size_t len, char *out, size_t outlen);

#endif
