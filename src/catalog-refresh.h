/* Per catalog: when to check it (at start, on NOTIFY, SOA refresh/retry), whether it expired, and the
 * transfers through xfr; each changed catalog is handed on as a full record set (struct catalog_records). */
#ifndef MSDNS_CATALOG_REFRESH_H
#define MSDNS_CATALOG_REFRESH_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "netaddr.h"
#include "xfr.h"

struct event_base;

struct catrefresh_cfg {
	const char *catalog;             /* the catalog zone's name (text; copied) */
	const struct netaddr *masters;   /* tried in order (copied) */
	size_t nmasters;
	unsigned refresh;                /* seconds between checks; 0: the SOA's refresh. When set, also the
	                                  * longest wait before a retry (the SOA's retry when shorter) */
	const struct xfr_tsig *tsig;     /* NULL: unsigned (copied; its key must outlive the refresher) */
	struct xfr_limits limits;        /* catalog size caps (0: xfr's defaults) */
	unsigned connect_timeout_ms, read_timeout_ms, deadline_ms;   /* 0: xfr's defaults */
	unsigned first_retry;            /* seconds between retries while no SOA is known (0: 60) */
};

/* A check transferred the catalog: recs is the whole zone (valid during the call only), serial its SOA
 * serial, full when it came from AXFR / an AXFR-style answer (else from IXFR increments applied to the
 * last full view). Called on the event loop. */
typedef void catrefresh_records_fn(void *arg, const struct catalog_records *recs, uint32_t serial, int full);
/* The catalog expired (no successful check for the SOA expire time: expired = 1) or is fresh again (0). */
typedef void catrefresh_expired_fn(void *arg, int expired);

struct catrefresh;

/* A refresher for one catalog; nothing runs until catrefresh_start. NULL on bad config or no memory. */
struct catrefresh *catrefresh_new(struct event_base *base, const struct catrefresh_cfg *cfg,
    catrefresh_records_fn *records, catrefresh_expired_fn *expired, void *arg);
/* Run the first check now, then keep the timers. */
void catrefresh_start(struct catrefresh *r);
/* A NOTIFY for the catalog: a check soon that transfers even when the serial did not change (Designate
 * changes the content first). NOTIFYs during a check or before it starts are coalesced into one. */
void catrefresh_notify(struct catrefresh *r);
/* Whether the catalog is expired now. */
int catrefresh_expired(const struct catrefresh *r);
/* Checks done so far (successful, failed), for logs and tests. */
void catrefresh_counts(const struct catrefresh *r, unsigned *ok, unsigned *failed);
/* Seconds until the next timer check (-1 when none is scheduled, e.g. during a check). */
long catrefresh_next_in(const struct catrefresh *r);
/* Stop everything (a running transfer is abandoned) and free r. */
void catrefresh_free(struct catrefresh *r);

/* A catalog record set of the records of view, which it borrows (no copy) when they are canonical, as xfr
 * makes them: view must stay unchanged and allocated until the set is freed. NULL when out of memory or a
 * record is malformed. The caller frees it (before the view). */
struct catalog_records *catrefresh_records_of(struct xfr_view *view);

#endif
