/* The catalogs an agent consumes: one refresher, one sync and a drift timer per catalog. */
#define LOG_MODULE "catalog"
#include "catalog-run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "catalog-disk.h"
#include "catalog-refresh.h"
#include "catalog-state.h"
#include "compat.h"
#include "config.h"
#include "log.h"
#include "tsig.h"

#define KICK_SECS 5           /* failed or refused operations are tried again this often */
#define NOTES_LOGGED 20       /* ignored records logged one by one per version, then counted */

struct one {
	struct catalog_run *run;
	char name[ZONE_NAME_MAX];
	char **suffixes;
	size_t nsuffixes;
	struct catalog_policy pol;
	struct catalog_sync *sync;
	struct catrefresh *refresh;
	struct event *reconcile, *kick;
	unsigned reconcile_interval;
	int expired;
	int broken;                   /* the last version transferred was broken */
	uint64_t last_ok_ms;          /* when a check last succeeded (0: never) */
	unsigned failed_at_ok;        /* the refresher's failure count then */
	char last_error[256];
};

struct catalog_run {
	struct event_base *base;
	struct catalog_group *group;
	struct one *cats;
	size_t n;
};

size_t
catalog_run_status(const struct catalog_run *r, struct catalog_run_status *out, size_t max)
{
	uint64_t now = compat_monotonic_ms();
	size_t i;

	for (i = 0; r != NULL && i < r->n && i < max; i++) {
		struct one *c = &r->cats[i];
		const struct catalog_state *st = catalog_sync_state(c->sync);
		struct catalog_sync_stats ss;
		unsigned ok = 0, failed = 0;

		catalog_sync_stats(c->sync, &ss);
		catrefresh_counts(c->refresh, &ok, &failed);
		memset(&out[i], 0, sizeof out[i]);
		out[i].name = c->name;
		out[i].has_serial = st != NULL && catalog_state_valid(st);
		out[i].serial = out[i].has_serial ? catalog_state_serial(st) : 0;
		out[i].members = ss.members;
		out[i].pending = ss.queued;
		out[i].clashes = ss.clashes;
		out[i].broken = c->broken;
		out[i].expired = c->expired;
		out[i].since_success = c->last_ok_ms ? (double)(now - c->last_ok_ms) / 1000.0 : -1;
		if (failed > c->failed_at_ok && !c->broken)
			snprintf(c->last_error, sizeof c->last_error, "the last %u checks failed (transfer)",
			    failed - c->failed_at_ok);
		out[i].last_error = c->last_error;
	}
	return r != NULL ? r->n : 0;
}

struct catalog_view *
catalog_run_interpret(const struct catalog_records *recs, const char *name, const struct catalog_policy *pol)
{
	struct catalog_view *v;
	size_t i;
	int r = catalog_interpret(recs, name, pol, &v);

	if (r < 0) {
		log_error("catalog %s: out of memory interpreting it", name);
		return NULL;
	}
	if (r == 1) {
		log_error("catalog %s: serial %lu is broken and not processed; the last valid version stays in force: %s",
		    name, (unsigned long)catalog_view_serial(v), catalog_view_broken(v));
		return v;
	}
	for (i = 0; i < catalog_view_notes(v) && i < NOTES_LOGGED; i++)
		log_warnx("catalog %s: %s", name, catalog_view_note(v, i));
	if (catalog_view_ignored(v) > NOTES_LOGGED)
		log_warnx("catalog %s: %zu more records ignored or members not admitted", name,
		    catalog_view_ignored(v) - NOTES_LOGGED);
	log_info("catalog %s: serial %lu: %zu members, %zu not admitted, %zu records ignored", name,
	    (unsigned long)catalog_view_serial(v), catalog_view_count(v), catalog_view_inadmissible(v),
	    catalog_view_ignored(v) - catalog_view_inadmissible(v));
	return v;
}

static void
on_records(void *arg, const struct catalog_records *recs, uint32_t serial, int full)
{
	struct one *c = arg;
	struct catalog_view *v;

	(void)serial;
	(void)full;
	c->expired = 0;
	c->last_ok_ms = compat_monotonic_ms();
	{
		unsigned ok;
		catrefresh_counts(c->refresh, &ok, &c->failed_at_ok);
	}
	v = catalog_run_interpret(recs, c->name, &c->pol);
	if (v == NULL)
		return;
	c->broken = catalog_view_broken(v) != NULL;
	snprintf(c->last_error, sizeof c->last_error, "%s%s", c->broken ? "broken: " : "",
	    c->broken ? catalog_view_broken(v) : "");
	if (catalog_view_broken(v) == NULL)
		catalog_sync_apply(c->sync, v);
	catalog_view_free(v);
}

static void
on_expired(void *arg, int expired)
{
	struct one *c = arg;

	/* an expired catalog changes nothing (RFC 9432 §5.1): members stay, no new version arrives */
	c->expired = expired;
}

static void
on_reconcile(evutil_socket_t fd, short what, void *arg)
{
	struct one *c = arg;
	struct timeval tv = { (long)c->reconcile_interval, 0 };

	(void)fd;
	(void)what;
	if (c->expired)
		log_warnx("catalog %s is expired: drift is not repaired until it is fresh again", c->name);
	else if (catalog_sync_reconcile(c->sync) != 0)
		log_warnx("catalog %s: the drift check could not start; tried again later", c->name);
	if (c->reconcile_interval > 0)
		evtimer_add(c->reconcile, &tv);
}

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct one *c = arg;

	(void)fd;
	(void)what;
	if (!c->expired)
		catalog_sync_kick(c->sync);
}

static int
one_start(struct catalog_run *r, struct one *c, const struct catalog_run_conf *cc, const char *state_dir,
    catalog_submit_fn *submit, void *arg, unsigned window)
{
	struct catalog_sync_conf sc;
	struct catrefresh_cfg rc;
	struct timeval now = { 0, 0 }, kick = { KICK_SECS, 0 };
	char *path;
	size_t i;

	c->run = r;
	snprintf(c->name, sizeof c->name, "%s", cc->name);
	c->reconcile_interval = cc->reconcile_interval;
	c->suffixes = calloc(cc->nsuffixes + 1, sizeof *c->suffixes);
	if (c->suffixes == NULL)
		return -1;
	for (i = 0; i < cc->nsuffixes; i++) {
		c->suffixes[i] = strdup(cc->suffixes[i]);
		if (c->suffixes[i] == NULL)
			return -1;
		c->nsuffixes++;
	}
	c->pol.suffixes = (const char *const *)c->suffixes;
	c->pol.n_suffixes = c->nsuffixes;
	path = catalog_state_path(state_dir, c->name);
	if (path == NULL)
		return -1;
	memset(&sc, 0, sizeof sc);
	sc.name = c->name;
	sc.state_path = path;
	sc.member_masters = cc->member_masters;
	sc.policy = c->pol;
	sc.max_deletions = cc->max_deletions;
	sc.window = window;
	c->sync = catalog_sync_new(&sc, r->group, submit, arg);
	free(path);
	if (c->sync == NULL)
		return -1;
	memset(&rc, 0, sizeof rc);
	rc.catalog = c->name;
	rc.masters = cc->masters;
	rc.nmasters = cc->nmasters;
	rc.refresh = cc->refresh;
	rc.tsig = cc->tsig;
	c->refresh = catrefresh_new(r->base, &rc, on_records, on_expired, c);
	c->reconcile = evtimer_new(r->base, on_reconcile, c);
	c->kick = event_new(r->base, -1, EV_PERSIST, on_kick, c);
	if (c->refresh == NULL || c->reconcile == NULL || c->kick == NULL)
		return -1;
	catrefresh_start(c->refresh);
	evtimer_add(c->reconcile, &now);
	evtimer_add(c->kick, &kick);
	log_info("catalog %s: consumed from %zu master(s); members get masters %s", c->name, cc->nmasters,
	    cc->member_masters);
	return 0;
}

static void
one_stop(struct one *c)
{
	size_t i;

	if (c->refresh != NULL)
		catrefresh_free(c->refresh);
	if (c->reconcile != NULL)
		event_free(c->reconcile);
	if (c->kick != NULL)
		event_free(c->kick);
	catalog_sync_free(c->sync);
	for (i = 0; i < c->nsuffixes; i++)
		free(c->suffixes[i]);
	free(c->suffixes);
}

struct catalog_run *
catalog_run_new(struct event_base *base, const struct catalog_run_conf *confs, size_t n, const char *state_dir,
    catalog_submit_fn *submit, void *arg, unsigned window)
{
	struct catalog_run *r = calloc(1, sizeof *r);
	size_t i;

	if (r == NULL)
		return NULL;
	r->base = base;
	r->group = catalog_group_new();
	r->cats = calloc(n > 0 ? n : 1, sizeof *r->cats);
	if (r->group == NULL || r->cats == NULL) {
		catalog_group_free(r->group);
		free(r->cats);
		free(r);
		return NULL;
	}
	if (n > 0 && compat_mkdir(state_dir) != 0)
		log_warn("state_dir %s cannot be created; catalog state cannot be written", state_dir);
	for (i = 0; i < n; i++) {
		r->n++;
		if (one_start(r, &r->cats[i], &confs[i], state_dir, submit, arg, window) != 0) {
			log_error("catalog %s cannot start (out of memory or bad masters)", confs[i].name);
			catalog_run_free(r);
			return NULL;
		}
	}
	return r;
}

int
catalog_run_is_catalog(const struct catalog_run *r, const char *zone)
{
	size_t i;

	for (i = 0; r != NULL && i < r->n; i++)
		if (strcmp(r->cats[i].name, zone) == 0)
			return 1;
	return 0;
}

int
catalog_run_notify(struct catalog_run *r, const char *zone)
{
	size_t i;

	for (i = 0; r != NULL && i < r->n; i++) {
		if (strcmp(r->cats[i].name, zone) == 0) {
			log_info("catalog %s: NOTIFY: a check is scheduled", zone);
			catrefresh_notify(r->cats[i].refresh);
			return 1;
		}
	}
	return 0;
}

void
catalog_run_free(struct catalog_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		one_stop(&r->cats[i]);
	free(r->cats);
	catalog_group_free(r->group);
	free(r);
}

struct catalog_run *
catalog_run_from_config(struct event_base *base, const struct config *cfg, catalog_submit_fn *submit, void *arg)
{
	struct catalog_run_conf confs[CATALOG_CONFIG_MAX];
	const char *sfx[CATALOG_CONFIG_MAX][CATALOG_CONFIG_SUFFIXES];
	struct xfr_tsig tsig[CATALOG_CONFIG_MAX];   /* copied by each refresher */
	char dir[512];
	size_t i, j, n = 0;
	unsigned window;

	if (cfg->n_catalogs == 0)
		return NULL;
	for (i = 0; i < cfg->n_catalogs; i++) {
		const struct catalog_config *c = &cfg->catalogs[i];
		struct catalog_run_conf *rc = &confs[n];

		memset(rc, 0, sizeof *rc);
		if (c->tsig_key[0] != '\0') {
			const struct tsig_config *k = tsig_config_find(cfg->tsigkeys, cfg->n_tsigkeys, c->tsig_key);

			if (k == NULL) {
				/* never transfer unsigned what the configuration says must be signed */
				log_error("catalog %s: tsig_key %s names no [tsigkey:NAME] section: the catalog is not consumed",
				    c->name, c->tsig_key);
				continue;
			}
			tsig[n].sign = tsig_hook_sign;
			tsig[n].verify = tsig_hook_verify;
			tsig[n].free_ctx = tsig_hook_free;
			tsig[n].key = (void *)(uintptr_t)&k->key;   /* the configuration outlives the run */
			rc->tsig = &tsig[n];
		}
		rc->name = c->name;
		rc->masters = c->masters;
		rc->nmasters = c->n_masters;
		rc->member_masters = c->member_masters;
		for (j = 0; j < c->n_suffixes; j++)
			sfx[n][j] = c->suffixes[j];
		rc->suffixes = sfx[n];
		rc->nsuffixes = c->n_suffixes;
		rc->max_deletions = c->max_deletions;
		rc->refresh = c->refresh;
		rc->reconcile_interval = c->reconcile_interval;
		n++;
	}
	if (n == 0)
		return NULL;
	if (cfg->def.state_dir[0] != '\0')
		snprintf(dir, sizeof dir, "%s", cfg->def.state_dir);
	else
		catalog_disk_default_dir(dir, sizeof dir);
	window = (unsigned)cfg->msdns.max_queued / 2 / (unsigned)n;
	return catalog_run_new(base, confs, n, dir, submit, arg, window > 0 ? window : 1);
}
