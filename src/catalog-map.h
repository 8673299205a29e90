/* Hash map from byte strings to pointers, and an arena for the strings: the catalog's member sets. */
#ifndef MSDNS_CATALOG_MAP_H
#define MSDNS_CATALOG_MAP_H

#include <stddef.h>
#include <stdint.h>

struct catmap;
struct catarena;

/* An empty map. Returns NULL on allocation failure. */
struct catmap *catmap_new(void);
/* An empty map that keeps pointers to its keys instead of copies: every key must stay unchanged and
 * allocated while it is in the map (saves a copy per key for large member sets). */
struct catmap *catmap_new_borrowing(void);
/* The value stored under key (len octets, compared exactly), or NULL. */
void *catmap_get(const struct catmap *m, const void *key, size_t len);
/* Store value under key; the map keeps its own copy of key. Returns 0 (added), 1 (replaced an
 * existing value), -1 (allocation failure; the map is unchanged). */
int catmap_put(struct catmap *m, const void *key, size_t len, void *value);
/* Remove key. Returns its value, or NULL when absent. */
void *catmap_del(struct catmap *m, const void *key, size_t len);
/* Number of keys. */
size_t catmap_count(const struct catmap *m);
/* Iterate: start with *pos = 0; returns 1 with key/len/value of the next entry, 0 at the end.
 * The map must not change during an iteration. */
int catmap_next(const struct catmap *m, size_t *pos, const void **key, size_t *len, void **value);
/* Remove every key (not the values); the map keeps its room. */
void catmap_clear(struct catmap *m);
/* Free the map (not the values). */
void catmap_free(struct catmap *m);

/* An index of items 0..n-1 by a byte-string key each item has (held by the caller and unchanged while
 * indexed): sized once for at most n items (8 octets a slot, load <= 7/8), no copy of the keys and no
 * allocation per key. key(ctx, item, &len) returns an item's key. */
typedef const void *catidx_key_fn(const void *ctx, uint32_t item, size_t *len);
struct catidx;

#define CATIDX_NONE UINT32_MAX

/* An index for at most n items (n < 2^31). NULL on allocation failure. */
struct catidx *catidx_new(size_t n, catidx_key_fn *key, const void *ctx);
/* The item whose key is key (len octets, compared exactly), or CATIDX_NONE. */
uint32_t catidx_get(const struct catidx *x, const void *key, size_t len);
/* Index item under its key. Returns 0 (added), 1 (an item with that key is there already: *other, the
 * index unchanged), -1 (already n items). */
int catidx_add(struct catidx *x, uint32_t item, uint32_t *other);
/* Octets the index holds (for benchmarks). */
size_t catidx_size(const struct catidx *x);
void catidx_free(struct catidx *x);

/* An arena: many small copies freed at once. Returns NULL on allocation failure. */
struct catarena *catarena_new(void);
/* A NUL-terminated copy of len octets of s, NULL on allocation failure. Freed with the arena. */
char *catarena_strndup(struct catarena *a, const void *s, size_t len);
/* len octets of zeroed memory, not aligned (for strings), NULL on allocation failure. */
void *catarena_bytes(struct catarena *a, size_t len);
/* len octets of zeroed memory, aligned for any type, NULL on allocation failure. */
void *catarena_alloc(struct catarena *a, size_t len);
/* Octets held by the arena (for the log and benchmarks). */
size_t catarena_size(const struct catarena *a);
void catarena_free(struct catarena *a);

#endif
