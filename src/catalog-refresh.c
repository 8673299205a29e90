/* Catalog refresh: checks at start, on NOTIFY and on the SOA timers; expiry; transfers through xfr. */
#include "catalog-refresh.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#define LOG_MODULE "catalog"
#include "compat.h"
#include "log.h"
#include "wire.h"

/* Longest single timer wait: long SOA values (Knot's expire is 2147483646 s) are waited for in steps. */
#define MAX_WAIT_S (24u * 3600u)

struct catrefresh {
	struct event_base *base;
	char name[WIRE_NAME_TEXT_MAX];
	struct netaddr *masters;
	size_t nmasters;
	struct catrefresh_cfg cfg;
	struct xfr_tsig tsig;
	catrefresh_records_fn *records;
	catrefresh_expired_fn *expired_fn;
	void *arg;
	struct event *check_ev, *expire_ev;
	struct xfr_client *running;
	int forced_next;       /* the scheduled / pending check transfers even on an unchanged serial */
	int pending;           /* a NOTIFY came during the running check: check again after it */
	struct xfr_view *view; /* the last full view (base of the next IXFR) */
	int have_soa;
	uint32_t serial, refresh, retry, expire;
	uint64_t last_ok_ms;   /* monotonic; the start time until the first success */
	int expired;
	unsigned ok, failed;
	uint64_t next_at_ms;
};

static void check_now(struct catrefresh *r);

static uint64_t
now_ms(void)
{
	return compat_monotonic_ms();
}

static void
schedule_in(struct catrefresh *r, unsigned secs, int forced)
{
	struct timeval tv;

	if (secs > MAX_WAIT_S)
		secs = MAX_WAIT_S;
	tv.tv_sec = (long)secs;
	tv.tv_usec = 0;
	r->forced_next = forced;
	r->next_at_ms = now_ms() + (uint64_t)secs * 1000;
	event_add(r->check_ev, &tv);
}

/* Re-evaluate expiry and arm the expiry timer for the rest of the time. */
static void
expiry_update(struct catrefresh *r)
{
	uint64_t now = now_ms(), limit;
	struct timeval tv;

	event_del(r->expire_ev);
	if (!r->have_soa || r->expire == 0)
		return;
	limit = r->last_ok_ms + (uint64_t)r->expire * 1000;
	if (now >= limit) {
		if (!r->expired) {
			r->expired = 1;
			log_error("catalog %s expired: no successful check for %u s; it is not processed until a "
			    "check succeeds (its members stay)", r->name, r->expire);
			if (r->expired_fn)
				r->expired_fn(r->arg, 1);
		}
		return;
	}
	limit -= now;
	if (limit > (uint64_t)MAX_WAIT_S * 1000)
		limit = (uint64_t)MAX_WAIT_S * 1000;
	tv.tv_sec = (long)(limit / 1000);
	tv.tv_usec = (long)(limit % 1000) * 1000;
	event_add(r->expire_ev, &tv);
}

static void
on_expire_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	expiry_update(arg);
}

static void
zone_rr_at(const void *src, size_t i, struct catalog_rr *out)
{
	const struct zone_rr *rr = (const struct zone_rr *)src + i;

	out->owner = rr->owner;
	out->owner_len = rr->owner_len;
	out->type = rr->type;
	out->rrclass = rr->rrclass;
	out->ttl = rr->ttl;
	out->rdata = rr->rdata;
	out->rdlen = rr->rdlen;
}

struct catalog_records *
catrefresh_records_of(struct xfr_view *view)
{
	struct catalog_records *recs;
	const struct zone_rr *rr;
	size_t n, i;

	rr = xfr_view_records(view, &n);
	/* xfr's records are a set in canonical form: borrowed as they are, no second copy */
	if ((recs = catalog_records_borrow(rr, n, zone_rr_at)) != NULL)
		return recs;
	if ((recs = catalog_records_new()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (catalog_records_add(recs, rr[i].owner, rr[i].owner_len, rr[i].type, rr[i].rrclass, rr[i].ttl,
		    rr[i].rdata, rr[i].rdlen) != 0) {
			catalog_records_free(recs);
			return NULL;
		}
	}
	return recs;
}

static unsigned
refresh_secs(const struct catrefresh *r)
{
	unsigned s = r->cfg.refresh ? r->cfg.refresh : r->have_soa ? r->refresh : r->cfg.first_retry;

	return s ? s : 1;
}

static unsigned
retry_secs(const struct catrefresh *r)
{
	unsigned s = r->have_soa && r->retry ? r->retry : r->cfg.first_retry;

	if (r->cfg.refresh && r->cfg.refresh < s)
		s = r->cfg.refresh;
	return s ? s : 1;
}

static void
on_checked(void *arg, struct xfr_result *res)
{
	struct catrefresh *r = arg;
	int forced_again = r->pending;

	r->running = NULL;
	r->pending = 0;
	if (res->status == XFR_FAILED) {
		r->failed++;
		log_error("catalog %s: check failed (%s); next try in %u s", r->name, res->why,
		    forced_again ? 0 : retry_secs(r));
		expiry_update(r);
		if (forced_again)
			schedule_in(r, 0, 1);
		else
			schedule_in(r, retry_secs(r), 0);
		return;
	}
	r->ok++;
	r->have_soa = 1;
	r->serial = res->serial;
	r->refresh = res->refresh;
	r->retry = res->retry;
	r->expire = res->expire;
	r->last_ok_ms = now_ms();
	if (r->expired) {
		r->expired = 0;
		log_info("catalog %s is fresh again (serial %u)", r->name, res->serial);
		if (r->expired_fn)
			r->expired_fn(r->arg, 0);
	}
	expiry_update(r);
	if (res->status == XFR_OK && res->view != NULL) {
		struct catalog_records *recs;

		xfr_view_free(r->view);
		r->view = res->view;
		res->view = NULL;
		log_info("catalog %s: %s of serial %u, %zu records", r->name,
		    res->kind == XFR_INCR ? "incremental transfer" : "full transfer", res->serial,
		    xfr_view_count(r->view));
		if ((recs = catrefresh_records_of(r->view)) == NULL) {
			log_error("catalog %s: serial %u cannot be handed on (out of memory or a malformed record)", r->name, res->serial);
			/* forget the view: the next check is a full transfer */
			xfr_view_free(r->view);
			r->view = NULL;
			schedule_in(r, retry_secs(r), 1);
			return;
		}
		r->records(r->arg, recs, res->serial, res->kind != XFR_INCR);
		catalog_records_free(recs);
	} else {
		log_debug("catalog %s: serial %u unchanged", r->name, res->serial);
	}
	if (forced_again)
		schedule_in(r, 0, 1);
	else
		schedule_in(r, refresh_secs(r), 0);
}

static void
check_now(struct catrefresh *r)
{
	struct xfr_req req;

	memset(&req, 0, sizeof req);
	req.zone = r->name;
	req.masters = r->masters;
	req.nmasters = r->nmasters;
	req.base = r->view;
	req.force = r->forced_next;
	req.tsig = r->cfg.tsig ? &r->tsig : NULL;
	req.limits = r->cfg.limits;
	req.connect_timeout_ms = r->cfg.connect_timeout_ms;
	req.read_timeout_ms = r->cfg.read_timeout_ms;
	req.deadline_ms = r->cfg.deadline_ms;
	r->forced_next = 0;
	r->next_at_ms = 0;
	if ((r->running = xfr_start(r->base, &req, on_checked, r)) == NULL) {
		r->failed++;
		log_error("catalog %s: cannot start a check; next try in %u s", r->name, retry_secs(r));
		schedule_in(r, retry_secs(r), 0);
	}
}

static void
on_check_timer(evutil_socket_t fd, short what, void *arg)
{
	struct catrefresh *r = arg;

	(void)fd;
	(void)what;
	expiry_update(r);
	check_now(r);
}

struct catrefresh *
catrefresh_new(struct event_base *base, const struct catrefresh_cfg *cfg, catrefresh_records_fn *records,
    catrefresh_expired_fn *expired, void *arg)
{
	struct catrefresh *r;
	uint8_t wire[WIRE_NAME_MAX];
	size_t wl;

	if (cfg->catalog == NULL || cfg->nmasters == 0 || records == NULL ||
	    (wl = wire_name_from_text(cfg->catalog, wire)) == 0)
		return NULL;
	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->base = base;
	wire_name_to_text(wire, wl, r->name, sizeof r->name);
	r->cfg = *cfg;
	r->cfg.catalog = NULL;
	r->cfg.masters = NULL;
	if (cfg->tsig) {
		r->tsig = *cfg->tsig;
		r->cfg.tsig = &r->tsig;
	}
	if (r->cfg.first_retry == 0)
		r->cfg.first_retry = 60;
	r->masters = calloc(cfg->nmasters, sizeof *r->masters);
	r->check_ev = evtimer_new(base, on_check_timer, r);
	r->expire_ev = evtimer_new(base, on_expire_timer, r);
	if (r->masters == NULL || r->check_ev == NULL || r->expire_ev == NULL) {
		catrefresh_free(r);
		return NULL;
	}
	memcpy(r->masters, cfg->masters, cfg->nmasters * sizeof *r->masters);
	r->nmasters = cfg->nmasters;
	r->records = records;
	r->expired_fn = expired;
	r->arg = arg;
	r->last_ok_ms = now_ms();
	return r;
}

void
catrefresh_start(struct catrefresh *r)
{
	if (r->running == NULL)
		schedule_in(r, 0, 1);
}

void
catrefresh_notify(struct catrefresh *r)
{
	if (r->running != NULL) {
		r->pending = 1;
		return;
	}
	if (r->next_at_ms != 0 && r->next_at_ms <= now_ms() && r->forced_next)
		return;   /* a forced check is due already */
	schedule_in(r, 0, 1);
}

int
catrefresh_expired(const struct catrefresh *r)
{
	return r->expired;
}

void
catrefresh_counts(const struct catrefresh *r, unsigned *ok, unsigned *failed)
{
	*ok = r->ok;
	*failed = r->failed;
}

long
catrefresh_next_in(const struct catrefresh *r)
{
	uint64_t now = now_ms();

	if (r->running != NULL || r->next_at_ms == 0)
		return -1;
	return r->next_at_ms <= now ? 0 : (long)((r->next_at_ms - now + 999) / 1000);
}

void
catrefresh_free(struct catrefresh *r)
{
	if (r == NULL)
		return;
	xfr_cancel(r->running);
	if (r->check_ev)
		event_free(r->check_ev);
	if (r->expire_ev)
		event_free(r->expire_ev);
	xfr_view_free(r->view);
	free(r->masters);
	free(r);
}
