/* Catalog reconciliation: diff a catalog's members against its state, feed Create/Delete to the zone queue. */
#define LOG_MODULE "catalog"
#include "catalog-sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog-map.h"
#include "catalog-state.h"
#include "log.h"

#define PROGRESS_MIN 1000     /* plans at least this long log their progress */
#define SAVE_EVERY 256        /* completions between state writes while a plan runs */

enum work_kind { W_CREATE, W_DELETE, W_RESET };

struct work {
	char *zone, *label;          /* one allocation (zone, then label), or borrowed */
	enum work_kind kind;
	int borrowed;                /* zone and label are a member's in the state: valid until the member
	                              * map is cleared, and the work list is cleared before (apply) */
};

struct catalog_group {
	struct catalog_sync *head;
};

struct catalog_sync {
	char name[ZONE_NAME_MAX];
	char *state_path;
	char masters[512];
	unsigned max_deletions, window;
	struct catalog_group *g;
	struct catalog_sync *next;
	catalog_submit_fn *submit;
	void *arg;
	struct catalog_state *st;
	struct catmap *clash;        /* zone -> strdup'ed label: Create answered "not ours" */
	struct catmap *coo;          /* zone -> strdup'ed new catalog (coo of the version in force) */
	struct catmap *busy;         /* zone -> number of its operations submitted and not ended */
	struct work *work;
	size_t n_work, cap_work, next_work, intent_upto;
	size_t plan_total, plan_done, progress_step;
	size_t inflight, since_save;
	unsigned long created, deleted, failed, applied, held;
	int dirty, unsaved, freed, listing;
	int replan;                  /* a plan skipped busy zones: plan again once nothing is in flight */
};

/* One operation in flight. */
struct opctx {
	struct catalog_sync *s;
	enum work_kind kind;
	int step;                    /* W_RESET: 0 = deleting, 1 = creating */
	char zone[ZONE_NAME_MAX];
	char label[CATALOG_LABEL_TEXT_MAX];
};

static void pump(struct catalog_sync *s);

struct catalog_group *
catalog_group_new(void)
{
	return calloc(1, sizeof(struct catalog_group));
}

void
catalog_group_free(struct catalog_group *g)
{
	free(g);
}

static void
strmap_free(struct catmap *m)
{
	size_t pos = 0;
	void *v;

	if (m == NULL)
		return;
	while (catmap_next(m, &pos, NULL, NULL, &v))
		free(v);
	catmap_free(m);
}

static void
strmap_clear(struct catmap *m)
{
	size_t pos = 0;
	void *v;

	while (catmap_next(m, &pos, NULL, NULL, &v))
		free(v);
	catmap_clear(m);
}

static int
strmap_set(struct catmap *m, const char *key, const char *value)
{
	char *v = strdup(value);
	void *old = catmap_get(m, key, strlen(key));

	if (v == NULL)
		return -1;
	if (catmap_put(m, key, strlen(key), v) < 0) {
		free(v);
		return -1;
	}
	free(old);
	return 0;
}

static void
strmap_del(struct catmap *m, const char *key)
{
	free(catmap_del(m, key, strlen(key)));
}

static void
save(struct catalog_sync *s)
{
	char why[512];

	if (s->state_path == NULL) {
		s->dirty = s->unsaved = 0;
		return;
	}
	if (catalog_state_save(s->st, s->state_path, why, sizeof why) != 0) {
		if (!s->unsaved)
			log_error("catalog %s: the state cannot be written, no operation starts until it can: %s",
			    s->name, why);
		s->unsaved = 1;
		return;
	}
	if (s->unsaved)
		log_info("catalog %s: the state is written again", s->name);
	s->dirty = s->unsaved = 0;
	s->since_save = 0;
}

static void
work_clear(struct catalog_sync *s)
{
	size_t i;

	for (i = 0; i < s->n_work; i++)
		if (!s->work[i].borrowed)
			free(s->work[i].zone);
	s->n_work = s->next_work = s->intent_upto = 0;
}

/* Make room for one more work item. Returns 0 or -1. */
static int
work_room(struct catalog_sync *s)
{
	if (s->n_work == s->cap_work) {
		size_t nc = s->cap_work ? s->cap_work * 2 : 64;
		struct work *nw = realloc(s->work, nc * sizeof *nw);

		if (nw == NULL)
			return -1;
		s->work = nw;
		s->cap_work = nc;
	}
	return 0;
}

static int
work_push(struct catalog_sync *s, enum work_kind kind, const char *zone, const char *label)
{
	struct work *w;
	size_t zl, ll;

	if (work_room(s) != 0)
		return -1;
	w = &s->work[s->n_work];
	w->borrowed = 0;
	zl = strlen(zone);
	ll = strlen(label);
	if ((w->zone = malloc(zl + 1 + ll + 1)) == NULL)
		return -1;
	memcpy(w->zone, zone, zl + 1);
	w->label = w->zone + zl + 1;
	memcpy(w->label, label, ll + 1);
	w->kind = kind;
	s->n_work++;
	return 0;
}

/* Push work on a member as the state's member map holds it (zone and label from catalog_state_next_member):
 * no copy (a plan of 100,000 Creates would otherwise copy every member). */
static int
work_push_member(struct catalog_sync *s, enum work_kind kind, const char *zone, const char *label)
{
	struct work *w;

	if (work_room(s) != 0)
		return -1;
	w = &s->work[s->n_work++];
	w->zone = (char *)(uintptr_t)zone;
	w->label = (char *)(uintptr_t)label;
	w->kind = kind;
	w->borrowed = 1;
	return 0;
}

/* Another catalog of the group that owns zone or has it in force as a member, or NULL. */
static struct catalog_sync *
other_claim(const struct catalog_sync *s, const char *zone)
{
	struct catalog_sync *o;

	for (o = s->g->head; o != NULL; o = o->next) {
		if (o == s)
			continue;
		if (catalog_state_owner(o->st, zone, NULL) != NULL || catalog_state_member(o->st, zone) != NULL)
			return o;
	}
	return NULL;
}

/* RFC 9432 §4.3.1: o's version in force names this catalog as zone's new owner. */
static int
coo_to(const struct catalog_sync *o, const struct catalog_sync *s, const char *zone)
{
	const char *to = catmap_get(o->coo, zone, strlen(zone));

	return to != NULL && strcmp(to, s->name) == 0 && catalog_state_member(o->st, zone) != NULL;
}

/* Move zone from catalog o to s (change of ownership). Returns 1 when s now owns it under label
 * (same label: the zone carries over), 0 when it must be reset (different label: s owns it under o's
 * label so that the reset deletes and creates it), 2 when o does not own it (a plain create), -1 on
 * allocation failure. */
static int
take_over(struct catalog_sync *s, struct catalog_sync *o, const char *zone, const char *label)
{
	enum catalog_own how;
	const char *ol = catalog_state_owner(o->st, zone, &how);
	char old_label[CATALOG_LABEL_TEXT_MAX];
	int same;

	if (ol == NULL)
		return 2;   /* o has it as a member but does not own it: nothing to move */
	snprintf(old_label, sizeof old_label, "%s", ol);
	same = strcmp(old_label, label) == 0;
	/* the new owner's record is written first: a crash in between leaves two owners, and a zone that
	 * another catalog claims is never deleted (see plan) */
	if (catalog_state_own(s->st, zone, old_label, how) != 0)
		return -1;
	save(s);
	catalog_state_disown(o->st, zone);
	save(o);
	log_info("catalog %s: zone %s moves here from catalog %s (coo)%s", s->name, zone, o->name,
	    same ? "" : ", label changed: reset");
	return same;
}

/* Whether zone has an operation in flight (its end looks at the zone again: see op_done). */
static int
busy(struct catalog_sync *s, const char *zone)
{
	if (catmap_get(s->busy, zone, strlen(zone)) == NULL)
		return 0;
	s->replan = 1;
	return 1;
}

static int
busy_add(struct catalog_sync *s, const char *zone)
{
	uintptr_t n = (uintptr_t)catmap_get(s->busy, zone, strlen(zone));

	return catmap_put(s->busy, zone, strlen(zone), (void *)(n + 1)) < 0 ? -1 : 0;
}

static void
busy_end(struct catalog_sync *s, const char *zone)
{
	uintptr_t n = (uintptr_t)catmap_get(s->busy, zone, strlen(zone));

	if (n > 1)
		catmap_put(s->busy, zone, strlen(zone), (void *)(n - 1));
	else
		catmap_del(s->busy, zone, strlen(zone));
}

/* Rebuild the work list from the state. present: the zones Microsoft DNS has (a List), or NULL. Zones with
 * an operation in flight are left out (planning them again would repeat that operation: after a new
 * version arrives while a batch runs, every queued Create would run twice); their operation's end deals
 * with them, and the plan is made again once nothing is in flight. */
static void
plan(struct catalog_sync *s, struct catmap *present)
{
	size_t pos = 0;
	const char *zone, *label, *tl;
	enum catalog_own how;
	struct catalog_sync *o;
	size_t n_del = 0, n_create = 0;
	int oom = 0;

	work_clear(s);
	s->replan = 0;
	/* zones owned: deleted when no longer members, reset when their label changed */
	while (catalog_state_next_owned(s->st, &pos, &zone, &label, &how)) {
		if (busy(s, zone))
			continue;
		tl = catalog_state_member(s->st, zone);
		if (tl == NULL) {
			o = other_claim(s, zone);
			if (o != NULL) {
				/* never delete a zone another consumed catalog still has: it is left to that one */
				log_warnx("catalog %s: zone %s is no longer a member but catalog %s has it: left alone, "
				    "no longer owned here", s->name, zone, o->name);
				continue;   /* disowned after the walk */
			}
			oom |= work_push(s, W_DELETE, zone, label);
			n_del++;
		} else if (strcmp(tl, label) != 0) {
			oom |= work_push(s, W_RESET, zone, tl);
			n_del++;
		} else if (how == CATALOG_PENDING) {
			oom |= work_push(s, W_CREATE, zone, label);
			n_create++;
		} else if (present != NULL && catmap_get(present, zone, strlen(zone)) == NULL) {
			log_warnx("catalog %s: member %s is missing from Microsoft DNS: creating it again", s->name, zone);
			oom |= work_push(s, W_CREATE, zone, label);
			n_create++;
		}
	}
	pos = 0;
	while (catalog_state_next_owned(s->st, &pos, &zone, &label, &how)) {
		if (catalog_state_member(s->st, zone) == NULL && other_claim(s, zone) != NULL) {
			catalog_state_disown(s->st, zone);
			s->dirty = 1;
			pos = 0;   /* the map changed under the walk */
		}
	}
	/* members not owned: created (or adopted), unless they clash */
	pos = 0;
	while (catalog_state_next_member(s->st, &pos, &zone, &label)) {
		if (catalog_state_owner(s->st, zone, NULL) != NULL || busy(s, zone))
			continue;
		o = other_claim(s, zone);
		if (o != NULL && coo_to(o, s, zone)) {
			int r = take_over(s, o, zone, label);

			strmap_del(s->clash, zone);
			if (r == 2) {
				oom |= work_push_member(s, W_CREATE, zone, label);
				n_create++;
			} else if (r == 0) {
				oom |= work_push_member(s, W_RESET, zone, label);
				n_del++;
			} else if (r < 0) {
				oom = 1;
			}
			continue;
		}
		if (catmap_get(s->clash, zone, strlen(zone)) != NULL) {
			if (o != NULL || present == NULL || catmap_get(present, zone, strlen(zone)) != NULL)
				continue;
			log_info("catalog %s: clashing zone %s is gone from Microsoft DNS: trying again", s->name, zone);
			strmap_del(s->clash, zone);
		}
		if (o != NULL) {
			log_error("catalog %s: member %s clashes: catalog %s has it; left alone", s->name, zone, o->name);
			strmap_set(s->clash, zone, label);
			continue;
		}
		oom |= work_push_member(s, W_CREATE, zone, label);
		n_create++;
	}
	if (oom)
		log_error("catalog %s: out of memory planning; the rest is tried again later", s->name);
	s->plan_total = s->n_work;
	s->plan_done = 0;
	s->progress_step = s->n_work >= PROGRESS_MIN ? s->n_work / 10 : 0;
	if (s->n_work > 0)
		log_info("catalog %s: %zu zones to create, %zu to delete or reset", s->name, n_create, n_del);
}

static void
progress(struct catalog_sync *s)
{
	s->plan_done++;
	if (s->progress_step > 0 && s->plan_done <= s->plan_total && s->plan_done % s->progress_step == 0)
		log_info("catalog %s: %zu of %zu operations done", s->name, s->plan_done, s->plan_total);
}

static void op_done(void *arg, enum zoneop_result r, const struct zoneop_zone *zones, size_t n);

static int
submit_op(struct catalog_sync *s, enum work_kind kind, int step, const char *zone, const char *label)
{
	struct opctx *c = calloc(1, sizeof *c);
	struct zoneop op;
	int creating = kind == W_CREATE || (kind == W_RESET && step == 1);

	if (c == NULL)
		return -1;
	c->s = s;
	c->kind = kind;
	c->step = step;
	snprintf(c->zone, sizeof c->zone, "%s", zone);
	snprintf(c->label, sizeof c->label, "%s", label);
	zoneop_set(&op, creating ? ZONEOP_CREATE : ZONEOP_DELETE, zone);
	snprintf(op.masters, sizeof op.masters, "%s", s->masters);
	/* Create: adopt only a secondary of the member masters; Delete: only such a zone (never unmanaged) */
	op.flags = creating ? ZONEOP_F_NO_CONVERGE : 0;
	if (busy_add(s, zone) != 0) {
		free(c);
		return -1;
	}
	s->inflight++;
	if (s->submit(s->arg, &op, op_done, c) != 0) {
		s->inflight--;
		busy_end(s, zone);
		free(c);
		return -1;
	}
	return 0;
}

/* Record the intent of the next creates (PENDING, written) before any of them starts: a crash after a
 * zone exists must still find it recorded. */
static int
write_intents(struct catalog_sync *s)
{
	size_t i, end = s->next_work + (s->window > 16 ? s->window * 4 : 64);

	if (end > s->n_work)
		end = s->n_work;
	for (i = s->next_work; i < end; i++) {
		struct work *w = &s->work[i];
		enum catalog_own how;
		const char *l;

		if (w->kind != W_CREATE)
			continue;
		l = catalog_state_owner(s->st, w->zone, &how);
		if (l != NULL && strcmp(l, w->label) == 0)
			continue;   /* owned or pending under this label already */
		if (catalog_state_own(s->st, w->zone, w->label, CATALOG_PENDING) != 0)
			return -1;
		s->dirty = 1;
	}
	if (s->dirty)
		save(s);
	if (s->unsaved)
		return -1;
	s->intent_upto = end;
	return 0;
}

static void
pump(struct catalog_sync *s)
{
	if (s->freed)
		return;
	if (s->unsaved) {
		save(s);
		if (s->unsaved)
			return;
	}
	while (s->next_work < s->n_work && s->inflight < s->window) {
		struct work *w = &s->work[s->next_work];

		if (s->next_work >= s->intent_upto && write_intents(s) != 0)
			return;
		if (submit_op(s, w->kind, 0, w->zone, w->label) != 0)
			return;   /* queue full: tried again when an operation ends, or at the next kick */
		s->next_work++;
	}
	if (s->dirty && (s->inflight == 0 || s->since_save >= SAVE_EVERY))
		save(s);
}

static void
sync_destroy(struct catalog_sync *s)
{
	work_clear(s);
	free(s->work);
	strmap_free(s->clash);
	strmap_free(s->coo);
	catmap_free(s->busy);
	catalog_state_free(s->st);
	free(s->state_path);
	free(s);
}

static void
op_done(void *arg, enum zoneop_result r, const struct zoneop_zone *zones, size_t n)
{
	struct opctx *c = arg;
	struct catalog_sync *s = c->s;
	int creating = c->kind == W_CREATE || (c->kind == W_RESET && c->step == 1);
	enum catalog_own how;
	const char *owned_label;

	(void)zones;
	(void)n;
	s->inflight--;
	busy_end(s, c->zone);
	if (s->freed) {
		/* stopping: nothing new starts, but what finished is recorded (a finished Create was pending at
		 * least; a finished Delete must not be run again after a restart) */
		if (r == ZONEOP_DONE) {
			if (creating)
				catalog_state_own(s->st, c->zone, c->label, CATALOG_OWNED);
			else if (catalog_state_owner(s->st, c->zone, &how) != NULL)
				catalog_state_disown(s->st, c->zone);
			save(s);
		}
		free(c);
		if (s->inflight == 0)
			sync_destroy(s);
		return;
	}
	owned_label = catalog_state_owner(s->st, c->zone, &how);
	if (creating) {
		switch (r) {
		case ZONEOP_DONE:
			catalog_state_own(s->st, c->zone, c->label, CATALOG_OWNED);
			s->created++;
			log_info("catalog %s: zone %s created or adopted (member %s)", s->name, c->zone, c->label);
			if (catalog_state_member(s->st, c->zone) == NULL)
				work_push(s, W_DELETE, c->zone, c->label);   /* removed meanwhile */
			break;
		case ZONEOP_NOT_OURS:
			catalog_state_disown(s->st, c->zone);
			strmap_set(s->clash, c->zone, c->label);
			log_error("catalog %s: member %s clashes with an existing zone that is not a secondary of %s "
			    "(primary, AD-integrated, stub, other masters): left alone, tried again on the next change",
			    s->name, c->zone, s->masters);
			break;
		default:
			s->failed++;
			log_warnx("catalog %s: creating member %s %s; tried again later", s->name, c->zone,
			    zoneop_result_name(r));
			break;
		}
		progress(s);
	} else {
		switch (r) {
		case ZONEOP_DONE:
			if (owned_label != NULL)
				catalog_state_disown(s->st, c->zone);
			s->deleted++;
			log_info("catalog %s: zone %s deleted", s->name, c->zone);
			if (c->kind == W_RESET) {
				/* the create half of the reset: its intent is written before it starts */
				if (catalog_state_own(s->st, c->zone, c->label, CATALOG_PENDING) == 0) {
					s->dirty = 1;
					save(s);
					if (!s->unsaved && submit_op(s, W_RESET, 1, c->zone, c->label) == 0)
						break;
				}
				log_warnx("catalog %s: reset of %s could not go on; tried again later", s->name, c->zone);
			} else if (catalog_state_member(s->st, c->zone) != NULL) {
				work_push(s, W_CREATE, c->zone, catalog_state_member(s->st, c->zone));
			}
			progress(s);
			break;
		case ZONEOP_NOT_OURS:
			catalog_state_disown(s->st, c->zone);
			log_warnx("catalog %s: zone %s is no longer a secondary of %s: not deleted, no longer owned",
			    s->name, c->zone, s->masters);
			if (c->kind == W_RESET)
				strmap_set(s->clash, c->zone, c->label);
			progress(s);
			break;
		default:
			s->failed++;
			log_warnx("catalog %s: deleting zone %s %s; tried again later", s->name, c->zone,
			    zoneop_result_name(r));
			progress(s);
			break;
		}
	}
	free(c);
	s->dirty = 1;
	s->since_save++;
	if (s->next_work >= s->n_work && s->inflight == 0 && s->plan_total > 0) {
		log_info("catalog %s: %lu created, %lu deleted, %lu failed so far; nothing left to do", s->name,
		    s->created, s->deleted, s->failed);
		s->plan_total = 0;
		work_clear(s);   /* done: its memory goes (100,000 items after a large catalog's first version) */
	}
	if (s->replan && s->next_work >= s->n_work && s->inflight == 0)
		plan(s, NULL);
	pump(s);
}

struct catalog_sync *
catalog_sync_new(const struct catalog_sync_conf *conf, struct catalog_group *g, catalog_submit_fn *submit,
    void *arg)
{
	struct catalog_sync *s = calloc(1, sizeof *s);
	char why[512];
	int r;

	if (s == NULL)
		return NULL;
	snprintf(s->name, sizeof s->name, "%s", conf->name);
	snprintf(s->masters, sizeof s->masters, "%s", conf->member_masters != NULL ? conf->member_masters : "");
	s->max_deletions = conf->max_deletions;
	s->window = conf->window > 0 ? conf->window : 1;
	s->g = g;
	s->submit = submit;
	s->arg = arg;
	s->st = catalog_state_new(s->name);
	s->clash = catmap_new();
	s->coo = catmap_new();
	s->busy = catmap_new();
	s->state_path = conf->state_path != NULL ? strdup(conf->state_path) : NULL;
	if (s->st == NULL || s->clash == NULL || s->coo == NULL || s->busy == NULL || (conf->state_path != NULL && s->state_path == NULL)) {
		sync_destroy(s);
		return NULL;
	}
	if (s->state_path != NULL) {
		r = catalog_state_load(s->st, s->state_path, why, sizeof why);
		if (r == 1)
			log_error("catalog %s: no state file %s: no zone is known to be owned; members are created or "
			    "adopted, nothing is deleted until a full valid transfer has been applied", s->name,
			    s->state_path);
		else if (r != 0)
			log_error("catalog %s: state file %s is unusable (%s): no zone is known to be owned; members are "
			    "created or adopted, nothing is deleted until a full valid transfer has been applied",
			    s->name, s->state_path, why);
		else
			log_info("catalog %s: state loaded: serial %lu, %zu members, %zu zones owned", s->name,
			    (unsigned long)catalog_state_serial(s->st), catalog_state_members(s->st),
			    catalog_state_owned(s->st));
	}
	s->next = g->head;
	g->head = s;
	plan(s, NULL);
	pump(s);
	return s;
}

void
catalog_sync_free(struct catalog_sync *s)
{
	struct catalog_sync **p;

	if (s == NULL)
		return;
	for (p = &s->g->head; *p != NULL; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	if (s->dirty)
		save(s);
	s->freed = 1;
	if (s->inflight == 0)
		sync_destroy(s);
}

enum catalog_apply
catalog_sync_apply(struct catalog_sync *s, const struct catalog_view *v)
{
	size_t pos = 0, removals = 0, i, n = catalog_view_count(v);
	const char *zone, *label;
	int changed;

	if (catalog_view_broken(v) != NULL) {
		log_error("catalog %s: broken, nothing changes: %s", s->name, catalog_view_broken(v));
		return CATALOG_REJECTED;
	}
	while (catalog_state_next_owned(s->st, &pos, &zone, &label, NULL))
		if (catalog_view_by_zone(v, zone) == NULL)
			removals++;
	if (s->max_deletions > 0 && removals > s->max_deletions) {
		s->held++;
		log_error("catalog %s: serial %lu would delete %zu member zones, more than max_deletions = %u: not "
		    "applied (raise max_deletions to apply it)", s->name, (unsigned long)catalog_view_serial(v), removals,
		    s->max_deletions);
		return CATALOG_HELD;
	}
	changed = !catalog_state_valid(s->st) || catalog_state_members(s->st) != n;
	for (i = 0; i < n && !changed; i++) {
		const struct catalog_member *m = catalog_view_member(v, i);
		const char *l = catalog_state_member(s->st, m->zone);

		changed = l == NULL || strcmp(l, m->label) != 0;
	}
	if (changed) {
		/* a new version: clashes are tried again (RFC 9432 §5.2 leaves them to the next change) */
		strmap_clear(s->clash);
		work_clear(s);   /* it may point at members (planned again below) */
		catalog_state_members_clear(s->st);
		for (i = 0; i < n; i++) {
			const struct catalog_member *m = catalog_view_member(v, i);

			if (catalog_state_member_set(s->st, m->zone, m->label) != 0) {
				log_error("catalog %s: out of memory applying serial %lu", s->name,
				    (unsigned long)catalog_view_serial(v));
				return CATALOG_REJECTED;
			}
		}
		log_info("catalog %s: serial %lu applied: %zu members", s->name, (unsigned long)catalog_view_serial(v), n);
	}
	strmap_clear(s->coo);
	for (i = 0; i < n; i++) {
		const struct catalog_member *m = catalog_view_member(v, i);

		if (m->coo != NULL)
			strmap_set(s->coo, m->zone, m->coo);
	}
	if (changed || catalog_state_serial(s->st) != catalog_view_serial(v)) {
		catalog_state_set_serial(s->st, catalog_view_serial(v));
		s->dirty = 1;
	}
	s->applied++;
	if (s->dirty)
		save(s);
	if (s->unsaved)
		return CATALOG_REJECTED;
	plan(s, NULL);
	pump(s);
	return CATALOG_APPLIED;
}

static void
list_done(void *arg, enum zoneop_result r, const struct zoneop_zone *zones, size_t n)
{
	struct opctx *c = arg;
	struct catalog_sync *s = c->s;
	struct catmap *present;
	size_t i;

	free(c);
	s->inflight--;
	s->listing = 0;
	if (s->freed) {
		if (s->inflight == 0)
			sync_destroy(s);
		return;
	}
	if (r != ZONEOP_DONE) {
		log_warnx("catalog %s: listing Microsoft DNS's zones %s; drift is checked again later", s->name,
		    zoneop_result_name(r));
		plan(s, NULL);
		pump(s);
		return;
	}
	present = catmap_new();
	for (i = 0; present != NULL && i < n; i++) {
		if (catmap_put(present, zones[i].name, strlen(zones[i].name), (void *)1) < 0) {
			catmap_free(present);
			present = NULL;
		}
	}
	if (present == NULL)
		log_error("catalog %s: out of memory checking drift", s->name);
	plan(s, present);
	catmap_free(present);
	pump(s);
}

int
catalog_sync_reconcile(struct catalog_sync *s)
{
	struct opctx *c;
	struct zoneop op;

	if (s->freed || s->listing)
		return -1;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return -1;
	c->s = s;
	zoneop_set(&op, ZONEOP_LIST, "");
	s->inflight++;
	s->listing = 1;
	if (s->submit(s->arg, &op, list_done, c) != 0) {
		s->inflight--;
		s->listing = 0;
		free(c);
		return -1;
	}
	return 0;
}

void
catalog_sync_kick(struct catalog_sync *s)
{
	if (s->freed)
		return;
	if (s->next_work >= s->n_work && s->inflight == 0)
		plan(s, NULL);
	pump(s);
}

void
catalog_sync_stats(const struct catalog_sync *s, struct catalog_sync_stats *st)
{
	size_t pos = 0;
	const char *zone, *label;
	enum catalog_own how;

	memset(st, 0, sizeof *st);
	st->members = catalog_state_members(s->st);
	while (catalog_state_next_owned(s->st, &pos, &zone, &label, &how)) {
		if (how == CATALOG_OWNED)
			st->owned++;
		else
			st->pending++;
	}
	st->clashes = catmap_count(s->clash);
	st->queued = s->n_work - s->next_work;
	st->inflight = s->inflight;
	st->created = s->created;
	st->deleted = s->deleted;
	st->failed = s->failed;
	st->applied_versions = s->applied;
	st->held = s->held;
	st->state_valid = catalog_state_valid(s->st);
}

const struct catalog_state *
catalog_sync_state(const struct catalog_sync *s)
{
	return s->st;
}

int
catalog_sync_is_member(const struct catalog_sync *s, const char *zone)
{
	return catalog_state_member(s->st, zone) != NULL;
}
