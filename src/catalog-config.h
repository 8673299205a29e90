/* [catalog:NAME] sections: the keys of one consumed catalog, parsed and validated (pure). */
#ifndef MSDNS_CATALOG_CONFIG_H
#define MSDNS_CATALOG_CONFIG_H

#include <stddef.h>

#include "netaddr.h"

#define CATALOG_CONFIG_MAX 8          /* catalogs one agent consumes */
#define CATALOG_CONFIG_ADDRS 16       /* masters of one catalog */
#define CATALOG_CONFIG_SUFFIXES 16    /* member_suffixes of one catalog */
#define CATALOG_CONFIG_NAME_MAX 254   /* a validated zone name and NUL */

struct catalog_config {
	char name[CATALOG_CONFIG_NAME_MAX];                   /* lower case, no trailing dot */
	int line;                                             /* first line of the section */
	struct netaddr masters[CATALOG_CONFIG_ADDRS];         /* required; default port 53 */
	size_t n_masters;
	char tsig_key[CATALOG_CONFIG_NAME_MAX];               /* "" = unsigned */
	char member_masters[512];                             /* comma-separated IPs; "" = the IPs of masters */
	char suffixes[CATALOG_CONFIG_SUFFIXES][CATALOG_CONFIG_NAME_MAX];
	size_t n_suffixes;                                    /* 0 = any valid name */
	unsigned max_deletions;                               /* default 100; 0 = no limit */
	unsigned refresh;                                     /* seconds; 0 = the catalog SOA's */
	unsigned reconcile_interval;                          /* seconds; default 3600 */
};

/* The entry for section "catalog:NAME" (section is the text after "catalog:") in cats[0..*n), added
 * with its defaults when new (at line). Returns it, or NULL with err set (bad name, too many). */
struct catalog_config *catalog_config_section(struct catalog_config *cats, size_t *n, const char *section,
    int line, char *err, size_t errlen);
/* Apply key = value to c. Returns 0, -1 with err set (an error), 1 with err set (a warning: the key
 * is unknown and ignored). */
int catalog_config_key(struct catalog_config *c, const char *key, const char *value, char *err, size_t errlen);
/* Checks of a whole section (masters given) and derived defaults (member_masters from masters).
 * Returns 0, or -1 with err set. */
int catalog_config_finish(struct catalog_config *c, char *err, size_t errlen);

/* The same three for config.c's table of repeated sections (struct config_repeated). */
void *catalog_config_open(void *array, size_t *n, const char *name, int line, char *err, size_t errlen);
int catalog_config_key_any(void *inst, const char *key, const char *value, char *err, size_t errlen);
int catalog_config_finish_any(void *inst, int *line, char *err, size_t errlen);
/* The sample file's documentation of [catalog:NAME] (lines split by '\n'). */
extern const char catalog_config_doc[];

#endif
