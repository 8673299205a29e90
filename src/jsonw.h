/* A small JSON writer for the status document (pure). */
#ifndef MSDNS_JSONW_H
#define MSDNS_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct jsonw;

/* A writer holding "{"; NULL on allocation failure. */
struct jsonw *jsonw_new(void);
/* Open an object or array: key names it inside an object, NULL inside an array. */
void jsonw_object(struct jsonw *j, const char *key);
void jsonw_array(struct jsonw *j, const char *key);
/* Close the innermost object or array. */
void jsonw_end(struct jsonw *j);
/* Members (key NULL inside an array); strings are escaped, NULL is written as null. */
void jsonw_string(struct jsonw *j, const char *key, const char *value);
void jsonw_int(struct jsonw *j, const char *key, int64_t value);
void jsonw_double(struct jsonw *j, const char *key, double value);
void jsonw_bool(struct jsonw *j, const char *key, int value);
/* Close what is open and return the document (caller frees) with its length; NULL when memory ran
 * out. Frees j. */
char *jsonw_finish(struct jsonw *j, size_t *len);

#endif
