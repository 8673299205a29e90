/* Catalog reconciliation: a catalog's member set against its state -> Create/Delete operations, in batches. */
#ifndef MSDNS_CATALOG_SYNC_H
#define MSDNS_CATALOG_SYNC_H

#include <stddef.h>

#include "catalog.h"
#include "zoneop.h"

struct catalog_sync;
struct catalog_group;

/* Hand op to the zone queue: 0 when accepted (done is then called exactly once, possibly before this
 * returns), -1 when the queue is full (done is not called; the sync tries again later). */
typedef int catalog_submit_fn(void *arg, const struct zoneop *op, zoneop_done_fn *done, void *done_arg);

struct catalog_sync_conf {
	const char *name;              /* the catalog, lower case, no trailing dot */
	const char *state_path;        /* its state file; NULL: kept in memory only (tests) */
	const char *member_masters;    /* comma-separated IPs given to Create/Delete of members */
	struct catalog_policy policy;  /* admissible members (applied by the caller's catalog_interpret) */
	unsigned max_deletions;        /* an update removing more members is held; 0 = no limit */
	unsigned window;               /* operations handed to the queue at once (keep below max_queued) */
};

/* The catalogs one agent consumes: a zone owned by one is a clash for the others. */
struct catalog_group *catalog_group_new(void);
/* Free the group; its syncs must have been freed. */
void catalog_group_free(struct catalog_group *g);

/* A sync for one catalog in group g, submitting through submit(arg, ...). conf is copied. Reads its
 * state file (a missing or damaged one is logged as an error: nothing is known to be owned) and starts
 * finishing the work that state implies (the producer may be down). NULL on allocation failure. */
struct catalog_sync *catalog_sync_new(const struct catalog_sync_conf *conf, struct catalog_group *g,
    catalog_submit_fn *submit, void *arg);
/* Stop: no new operations; the sync is freed once those running have ended (their done calls). */
void catalog_sync_free(struct catalog_sync *s);

/* What catalog_sync_apply did with a version. */
enum catalog_apply {
	CATALOG_APPLIED,     /* the new member set is in force; operations run to reach it */
	CATALOG_HELD,        /* it would delete more than max_deletions members: nothing changed (logged) */
	CATALOG_REJECTED,    /* broken view, or the state could not be written: nothing changed (logged) */
};
/* A new valid version v (from a full transfer) of the catalog: diff against the state, write the
 * state, start the operations. Members already in force and owned are left alone. */
enum catalog_apply catalog_sync_apply(struct catalog_sync *s, const struct catalog_view *v);
/* Drift repair: submit one List; owned members missing from Microsoft DNS are created again, clashes
 * that have gone are tried again, and the work left over is resumed. Returns 0, -1 when not submitted. */
int catalog_sync_reconcile(struct catalog_sync *s);
/* Try again what could not be submitted or failed (the queue was full, an operation failed). */
void catalog_sync_kick(struct catalog_sync *s);

/* For tests, the log and the replay tool. */
struct catalog_sync_stats {
	size_t members, owned, pending, clashes;
	size_t queued;                 /* work items not finished */
	size_t inflight;
	unsigned long created, deleted, failed, applied_versions, held;
	int state_valid;
};
void catalog_sync_stats(const struct catalog_sync *s, struct catalog_sync_stats *st);
/* The sync's state (read only). */
const struct catalog_state *catalog_sync_state(const struct catalog_sync *s);
/* Whether zone is in force as a member of this catalog, and whether it is owned. */
int catalog_sync_is_member(const struct catalog_sync *s, const char *zone);

#endif
