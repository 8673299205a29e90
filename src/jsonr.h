/* A small JSON reader that flattens a document into path = value pairs (pure). */
#ifndef MSDNS_JSONR_H
#define MSDNS_JSONR_H

#include <stddef.h>

/* Called once per scalar: path like "backend.driver" or "catalogs.0.name"; value as text (strings
 * unescaped; \u escapes above 0x7f written as '?'), is_string tells a string from a number, true,
 * false or null. */
typedef void jsonr_fn(void *arg, const char *path, const char *value, int is_string);

/* Read text[0..len) as one JSON value. Returns 0, or -1 when it is not JSON (or nests deeper than 16,
 * or a path or value is longer than 256 octets); fn may have been called for what came before. */
int jsonr_flatten(const char *text, size_t len, jsonr_fn *fn, void *arg);

#endif
