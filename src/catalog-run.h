/* The catalogs an agent consumes, wired together: refresh (xfr) -> interpret -> sync (zone queue). */
#ifndef MSDNS_CATALOG_RUN_H
#define MSDNS_CATALOG_RUN_H

#include <stddef.h>

#include "catalog-sync.h"
#include "netaddr.h"
#include "xfr.h"

struct event_base;
struct catalog_run;

/* One [catalog:NAME] section, as the daemon hands it over (everything is copied). */
struct catalog_run_conf {
	const char *name;                 /* the catalog, lower case, no trailing dot */
	const struct netaddr *masters;    /* where it is transferred from, in order */
	size_t nmasters;
	const struct xfr_tsig *tsig;      /* NULL: unsigned; its key must outlive the run */
	const char *member_masters;       /* comma-separated IPs for member zones */
	const char *const *suffixes;      /* admissible members (lower case, no trailing dot) */
	size_t nsuffixes;
	unsigned max_deletions;           /* 0 = no limit */
	unsigned refresh;                 /* seconds; 0 = the SOA's */
	unsigned reconcile_interval;      /* seconds between drift checks (a List); 0 = only at start */
};

/* Start consuming n catalogs: state under state_dir (created when missing), operations through
 * submit(arg, ...) at most window at a time per catalog. NULL on failure (logged). */
struct catalog_run *catalog_run_new(struct event_base *base, const struct catalog_run_conf *confs, size_t n,
    const char *state_dir, catalog_submit_fn *submit, void *arg, unsigned window);
struct config;
/* The same from cfg's [catalog:NAME] sections and state_dir, window from max_queued (half of it shared by
 * the catalogs: the agent protocol keeps the rest). NULL when there is no catalog or on failure (logged). */
struct catalog_run *catalog_run_from_config(struct event_base *base, const struct config *cfg,
    catalog_submit_fn *submit, void *arg);
/* A NOTIFY for zone (lower case, no trailing dot): 1 when it names a consumed catalog (a check is
 * scheduled; answer NOERROR+AA), 0 when it does not (the agent's own NOTIFY handling applies). */
int catalog_run_notify(struct catalog_run *r, const char *zone);
/* Whether zone is a consumed catalog. */
int catalog_run_is_catalog(const struct catalog_run *r, const char *zone);
/* One consumed catalog as operators see it (/metrics, /status). */
struct catalog_run_status {
	const char *name;              /* valid while the run lives */
	int has_serial;
	uint32_t serial;               /* of the last valid version applied */
	size_t members, pending, clashes;
	int broken, expired;
	double since_success;          /* seconds since the last successful check; < 0: none yet */
	const char *last_error;        /* "" when none; valid until the next event */
};
/* Fill out[0..max) with the catalogs' state. Returns how many catalogs there are. */
size_t catalog_run_status(const struct catalog_run *r, struct catalog_run_status *out, size_t max);
/* Stop the refreshers and timers; running zone operations end on their own (the zone queue answers
 * them) and the syncs are freed after them. */
void catalog_run_free(struct catalog_run *r);

/* Interpret recs as catalog name under pol and log what it found (broken: why; ignored records; members
 * not admitted). Returns the view (caller frees) or NULL on allocation failure. */
struct catalog_view *catalog_run_interpret(const struct catalog_records *recs, const char *name,
    const struct catalog_policy *pol);

#endif
