/* Tests of catalog reconciliation against a model of Microsoft DNS behind a scripted zone queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog-state.h"
#include "catalog-sync.h"
#include "testutil.h"
#include "wire.h"

#define MASTERS "192.0.2.10"
#define MAXZ 4096

/* ---- Microsoft DNS as the PowerShell contract describes it ---- */
struct mzone {
	char name[ZONE_NAME_MAX];
	char type[16];
	char masters[64];
	int created;                 /* times Create made it */
};
static struct mzone ms[MAXZ];
static size_t n_ms;
static unsigned long n_creates_made, n_deletes_made;

static struct mzone *
ms_find(const char *name)
{
	size_t i;

	for (i = 0; i < n_ms; i++)
		if (strcmp(ms[i].name, name) == 0)
			return &ms[i];
	return NULL;
}

static void
ms_add(const char *name, const char *type, const char *masters)
{
	struct mzone *z = &ms[n_ms++];

	memset(z, 0, sizeof *z);
	snprintf(z->name, sizeof z->name, "%s", name);
	snprintf(z->type, sizeof z->type, "%s", type);
	snprintf(z->masters, sizeof z->masters, "%s", masters);
}

static void
ms_remove(struct mzone *z)
{
	*z = ms[--n_ms];
}

static enum zoneop_result
ms_do(const struct zoneop *op)
{
	struct mzone *z = ms_find(op->zone);

	switch (op->kind) {
	case ZONEOP_CREATE:
		if (z == NULL) {
			ms_add(op->zone, "Secondary", op->masters);
			ms_find(op->zone)->created++;
			n_creates_made++;
			return ZONEOP_DONE;
		}
		if (strcmp(z->type, "Secondary") == 0 && strcmp(z->masters, op->masters) == 0)
			return ZONEOP_DONE;
		ck_assert_uint_ne(op->flags & ZONEOP_F_NO_CONVERGE, 0);
		return ZONEOP_NOT_OURS;
	case ZONEOP_DELETE:
		ck_assert_uint_eq(op->flags & ZONEOP_F_UNMANAGED, 0);
		if (z == NULL)
			return ZONEOP_DONE;
		if (strcmp(z->type, "Secondary") == 0 && strcmp(z->masters, op->masters) == 0) {
			ms_remove(z);
			n_deletes_made++;
			return ZONEOP_DONE;
		}
		return ZONEOP_NOT_OURS;
	default:
		return ZONEOP_DONE;
	}
}

/* ---- the zone queue: operations wait until the test runs them ---- */
struct qop {
	struct zoneop op;
	zoneop_done_fn *done;
	void *arg;
};
static struct qop q[MAXZ];
static size_t n_q, max_inflight, q_limit = MAXZ;
static char oplog[1 << 16];
static int fail_all;

static int
submit(void *arg, const struct zoneop *op, zoneop_done_fn *done, void *done_arg)
{
	(void)arg;
	if (n_q >= q_limit)
		return -1;
	q[n_q].op = *op;
	q[n_q].done = done;
	q[n_q].arg = done_arg;
	n_q++;
	if (n_q > max_inflight)
		max_inflight = n_q;
	if (strlen(oplog) < sizeof oplog - 300) {
		strcat(oplog, zoneop_kind_name(op->kind));
		strcat(oplog, " ");
		strcat(oplog, op->zone);
		strcat(oplog, ";");
	}
	return 0;
}

/* Run the oldest queued operation; returns 0 when none waits. */
static int
run_one(void)
{
	struct qop o;
	enum zoneop_result r;

	if (n_q == 0)
		return 0;
	o = q[0];
	memmove(q, q + 1, (n_q - 1) * sizeof q[0]);
	n_q--;
	if (o.op.kind == ZONEOP_LIST) {
		static struct zoneop_zone zz[MAXZ];
		size_t i;

		for (i = 0; i < n_ms; i++) {
			memset(&zz[i], 0, sizeof zz[i]);
			zz[i].name = ms[i].name;
			snprintf(zz[i].type, sizeof zz[i].type, "%s", ms[i].type);
			zz[i].masters = ms[i].masters;
		}
		o.done(o.arg, fail_all ? ZONEOP_FAILED : ZONEOP_DONE, zz, n_ms);
		return 1;
	}
	r = fail_all ? ZONEOP_FAILED : ms_do(&o.op);
	o.done(o.arg, r, NULL, 0);
	return 1;
}

static void
run_all(void)
{
	int guard = 100000;

	while (run_one() && --guard > 0)
		;
	ck_assert_int_gt(guard, 0);
}

static void
reset_world(void)
{
	n_ms = 0;
	n_q = 0;
	max_inflight = 0;
	q_limit = MAXZ;
	oplog[0] = '\0';
	fail_all = 0;
	n_creates_made = n_deletes_made = 0;
}

/* ---- catalogs ---- */
static uint32_t serial = 1;

/* A view of catalog cat with members given as "label=zone" strings. */
static struct catalog_view *
view_of(const char *cat, const char *const *members, size_t n)
{
	struct catalog_records *r = catalog_records_new();
	struct catalog_view *v;
	uint8_t o[WIRE_NAME_MAX], d[WIRE_NAME_MAX + 40];
	char owner[300];
	size_t i, ol, dl;
	uint32_t f[5];

	snprintf(owner, sizeof owner, "%s.", cat);
	ol = wire_name_from_text(owner, o);
	dl = wire_name_from_text("invalid.", d);
	dl += wire_name_from_text("invalid.", d + dl);
	f[0] = serial++, f[1] = 3600, f[2] = 600, f[3] = 86400, f[4] = 0;
	for (i = 0; i < 5; i++) {
		d[dl++] = (uint8_t)(f[i] >> 24), d[dl++] = (uint8_t)(f[i] >> 16);
		d[dl++] = (uint8_t)(f[i] >> 8), d[dl++] = (uint8_t)f[i];
	}
	ck_assert_int_eq(catalog_records_add(r, o, ol, WIRE_TYPE_SOA, 1, 0, d, dl), 0);
	snprintf(owner, sizeof owner, "version.%s.", cat);
	ol = wire_name_from_text(owner, o);
	ck_assert_int_eq(catalog_records_add(r, o, ol, 16, 1, 0, (const uint8_t *)"\0012", 2), 0);
	for (i = 0; i < n; i++) {
		const char *eq = strchr(members[i], '=');
		char label[100], zone[300];

		ck_assert_ptr_nonnull(eq);
		snprintf(label, sizeof label, "%.*s", (int)(eq - members[i]), members[i]);
		if (strncmp(label, "coo:", 4) == 0) {
			/* "coo:label=newcat" */
			snprintf(owner, sizeof owner, "coo.%s.zones.%s.", label + 4, cat);
			snprintf(zone, sizeof zone, "%s.", eq + 1);
		} else {
			snprintf(owner, sizeof owner, "%s.zones.%s.", label, cat);
			snprintf(zone, sizeof zone, "%s.", eq + 1);
		}
		ol = wire_name_from_text(owner, o);
		dl = wire_name_from_text(zone, d);
		ck_assert_int_eq(catalog_records_add(r, o, ol, 12, 1, 0, d, dl), 0);
	}
	ck_assert_int_eq(catalog_interpret(r, cat, NULL, &v), 0);
	catalog_records_free(r);
	return v;
}

static enum catalog_apply
apply(struct catalog_sync *s, const char *const *members, size_t n)
{
	struct catalog_view *v = view_of("cat.example", members, n);
	enum catalog_apply a = catalog_sync_apply(s, v);

	catalog_view_free(v);
	return a;
}

static struct catalog_sync *
new_sync(struct catalog_group *g, const char *name, const char *path, unsigned max_del, unsigned window)
{
	struct catalog_sync_conf c;
	struct catalog_sync *s;

	memset(&c, 0, sizeof c);
	c.name = name;
	c.state_path = path;
	c.member_masters = MASTERS;
	c.max_deletions = max_del;
	c.window = window;
	s = catalog_sync_new(&c, g, submit, NULL);
	ck_assert_ptr_nonnull(s);
	return s;
}

static int
owned(const struct catalog_sync *s, const char *zone)
{
	enum catalog_own how;

	return catalog_state_owner(catalog_sync_state(s), zone, &how) != NULL && how == CATALOG_OWNED;
}

START_TEST(members_follow)
{
	static const char *const v1[] = { "l1=a.example", "l2=b.example", "l3=c.example" };
	static const char *const v2[] = { "l1=a.example", "l3=c.example", "l4=d.example" };
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;
	struct catalog_sync_stats st;

	reset_world();
	s = new_sync(g, "cat.example", NULL, 100, 4);
	ck_assert_int_eq(apply(s, v1, 3), CATALOG_APPLIED);
	run_all();
	ck_assert_uint_eq(n_ms, 3);
	ck_assert(owned(s, "a.example") && owned(s, "b.example") && owned(s, "c.example"));
	/* the same version again changes nothing */
	oplog[0] = '\0';
	ck_assert_int_eq(apply(s, v1, 3), CATALOG_APPLIED);
	run_all();
	ck_assert_str_eq(oplog, "");
	ck_assert_int_eq(apply(s, v2, 3), CATALOG_APPLIED);
	run_all();
	ck_assert_ptr_null(ms_find("b.example"));
	ck_assert_ptr_nonnull(ms_find("d.example"));
	ck_assert_str_eq(oplog, "Delete b.example;Create d.example;");
	catalog_sync_stats(s, &st);
	ck_assert_uint_eq(st.owned, 3);
	ck_assert_uint_eq(st.created, 4);
	ck_assert_uint_eq(st.deleted, 1);
	catalog_sync_free(s);
	catalog_group_free(g);
}
END_TEST

/* RFC 9432 §5.4: a changed label is a delete and then a create. */
START_TEST(label_change_resets)
{
	static const char *const v1[] = { "l1=a.example" };
	static const char *const v2[] = { "other=a.example" };
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;

	reset_world();
	s = new_sync(g, "cat.example", NULL, 100, 4);
	apply(s, v1, 1);
	run_all();
	oplog[0] = '\0';
	apply(s, v2, 1);
	run_all();
	ck_assert_str_eq(oplog, "Delete a.example;Create a.example;");
	ck_assert_int_eq(ms_find("a.example")->created, 1);   /* made anew */
	ck_assert_uint_eq(n_creates_made, 2);
	ck_assert_str_eq(catalog_state_owner(catalog_sync_state(s), "a.example", NULL), "other");
	catalog_sync_free(s);
	catalog_group_free(g);
}
END_TEST

/* An existing zone that is not a secondary of the member masters is a clash: left alone, tried again only
 * on the next change; a secondary of the member masters is adopted and later deleted as ours. */
START_TEST(clash_and_adopt)
{
	static const char *const v1[] = { "l1=prim.example", "l2=adopt.example", "l3=other.example" };
	static const char *const v2[] = { "l1=prim.example", "l2=adopt.example", "l3=other.example", "l4=n.example" };
	static const char *const v3[] = { "l1=prim.example" };
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;
	struct catalog_sync_stats st;

	reset_world();
	ms_add("prim.example", "Primary", "");
	ms_add("adopt.example", "Secondary", MASTERS);
	ms_add("other.example", "Secondary", "198.51.100.1");
	s = new_sync(g, "cat.example", NULL, 100, 4);
	apply(s, v1, 3);
	run_all();
	catalog_sync_stats(s, &st);
	ck_assert_uint_eq(st.clashes, 2);
	ck_assert(owned(s, "adopt.example"));
	ck_assert(!owned(s, "prim.example") && !owned(s, "other.example"));
	ck_assert_uint_eq(n_creates_made, 0);
	/* same version: the clashes are not tried again */
	oplog[0] = '\0';
	apply(s, v1, 3);
	run_all();
	ck_assert_str_eq(oplog, "");
	/* a change: tried again (still clashing) */
	apply(s, v2, 4);
	run_all();
	ck_assert_ptr_nonnull(strstr(oplog, "Create prim.example;"));
	ck_assert_ptr_nonnull(strstr(oplog, "Create other.example;"));
	/* removal deletes only the owned ones: the clashes stay as they were */
	oplog[0] = '\0';
	apply(s, v3, 1);
	run_all();
	ck_assert_ptr_nonnull(strstr(oplog, "Delete adopt.example;"));
	ck_assert_ptr_nonnull(strstr(oplog, "Delete n.example;"));
	ck_assert_ptr_null(strstr(oplog, "Delete other.example;"));
	ck_assert_ptr_nonnull(ms_find("other.example"));
	ck_assert_ptr_nonnull(ms_find("prim.example"));
	catalog_sync_free(s);
	catalog_group_free(g);
}
END_TEST

static const char **
many(size_t n, const char *fmt)
{
	const char **m = calloc(n, sizeof *m);
	size_t i;

	for (i = 0; i < n; i++) {
		char *b = malloc(64);

		snprintf(b, 64, fmt, i, i);
		m[i] = b;
	}
	return m;
}

static void
many_free(const char **m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)m[i]);
	free(m);
}

/* max_deletions holds a mass removal (logged every check); 0 lets the empty catalog delete all. */
START_TEST(max_deletions)
{
	const char **m = many(150, "l%zu=z%zu.example");
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;
	struct catalog_sync_stats st;
	char *dir = tu_tmpdir("catsync"), *path = catalog_state_path(dir, "cat.example");

	reset_world();
	s = new_sync(g, "cat.example", path, 100, 8);
	apply(s, m, 150);
	run_all();
	ck_assert_uint_eq(n_ms, 150);
	oplog[0] = '\0';
	ck_assert_int_eq(apply(s, NULL, 0), CATALOG_HELD);
	ck_assert_int_eq(apply(s, m, 49), CATALOG_HELD);
	run_all();
	ck_assert_str_eq(oplog, "");
	catalog_sync_stats(s, &st);
	ck_assert_uint_eq(st.held, 2);
	ck_assert_uint_eq(st.members, 150);
	/* 100 deletions are within the limit */
	ck_assert_int_eq(apply(s, m, 50), CATALOG_APPLIED);
	run_all();
	ck_assert_uint_eq(n_ms, 50);
	catalog_sync_free(s);
	/* raised to no limit: the empty catalog deletes every member */
	s = new_sync(g, "cat.example", path, 0, 8);
	ck_assert_int_eq(apply(s, NULL, 0), CATALOG_APPLIED);
	run_all();
	ck_assert_uint_eq(n_ms, 0);
	catalog_sync_stats(s, &st);
	ck_assert_uint_eq(st.owned, 0);
	catalog_sync_free(s);
	catalog_group_free(g);
	many_free(m, 150);
	free(path);
	free(dir);
}
END_TEST

/* Operations are handed over at most window at a time; a full queue is tried again. */
START_TEST(window_and_full_queue)
{
	const char **m = many(1000, "l%zu=z%zu.example");
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;
	struct catalog_sync_stats st;
	char *dir = tu_tmpdir("catsync"), *path = catalog_state_path(dir, "cat.example");

	reset_world();
	s = new_sync(g, "cat.example", path, 0, 8);
	q_limit = 5;   /* the agent protocol holds the rest of the queue */
	apply(s, m, 1000);
	ck_assert_uint_eq(n_q, 5);
	run_all();
	ck_assert_uint_le(max_inflight, 8);
	ck_assert_uint_eq(n_ms, 1000);
	q_limit = 0;   /* full: nothing can be handed over, nothing is lost */
	apply(s, m + 500, 500);
	ck_assert_uint_eq(n_q, 0);
	q_limit = MAXZ;
	catalog_sync_kick(s);
	run_all();
	ck_assert_uint_eq(n_ms, 500);
	ck_assert_uint_le(max_inflight, 8);
	catalog_sync_stats(s, &st);
	ck_assert_uint_eq(st.owned, 500);
	ck_assert_uint_eq(st.queued, 0);
	catalog_sync_free(s);
	catalog_group_free(g);
	many_free(m, 1000);
	free(path);
	free(dir);
}
END_TEST

/* A kill at any point: the zones that exist are recorded (pending at least) and nothing still a member is
 * deleted; after the restart the work is finished from the state alone (the producer is down). The kill
 * comes right after a newer version dropped the members whose Creates were running: those must still be
 * known as ours (their intent was written before they started) and be deleted after the restart. */
/* The syncs of simulated crashes: a dead process's memory, kept reachable so LeakSanitizer does not report it. */
static struct catalog_sync *crashed[16];
static size_t n_crashed;

START_TEST(kill_at_any_point)
{
	const char **m = many(40, "l%zu=z%zu.example");
	const char **m2 = many(10, "n%zu=y%zu.example");
	char *dir = tu_tmpdir("catsync"), *path = catalog_state_path(dir, "cat.example");
	size_t kill_after;

	for (kill_after = 0; kill_after <= 40; kill_after += 3) {
		struct catalog_group *g = catalog_group_new();
		struct catalog_sync *s;
		const char *v[30];
		size_t i, made;

		reset_world();
		remove(path);
		s = new_sync(g, "cat.example", path, 100, 64);   /* every operation handed over at once */
		apply(s, m, 40);
		run_all();
		/* remove 20 members, add 10; the first kill_after operations happen in Microsoft DNS but the
		 * agent hears nothing of them */
		for (i = 0; i < 20; i++)
			v[i] = m[i];
		for (i = 0; i < 10; i++)
			v[20 + i] = m2[i];
		apply(s, v, 30);
		for (i = 0; i < kill_after && n_q > 0; i++) {
			ms_do(&q[0].op);
			free(q[0].arg);
			memmove(q, q + 1, (n_q - 1) * sizeof q[0]);
			n_q--;
		}
		made = n_creates_made;
		/* the new members are dropped again before anything was heard; then the process dies */
		apply(s, m, 20);
		for (i = 0; i < n_q; i++)
			free(q[i].arg);
		n_q = 0;
		crashed[n_crashed++] = s;
		catalog_group_free(g);
		/* a new agent from the state file, producer down: no apply */
		g = catalog_group_new();
		s = new_sync(g, "cat.example", path, 100, 4);
		run_all();
		for (i = 0; i < 20; i++)
			ck_assert_msg(ms_find(strchr(m[i], '=') + 1) != NULL, "kill %zu: %s gone", kill_after, m[i]);
		ck_assert_msg(n_ms == 20, "kill %zu (%zu creates made): %zu zones", kill_after, made, n_ms);
		catalog_sync_free(s);
		catalog_group_free(g);
	}
	many_free(m, 40);
	many_free(m2, 10);
	free(path);
	free(dir);
}
END_TEST

/* A damaged or missing state file: nothing deleted, members created or adopted. */
START_TEST(damaged_state_deletes_nothing)
{
	const char **m = many(30, "l%zu=z%zu.example");
	char *dir = tu_tmpdir("catsync"), *path = catalog_state_path(dir, "cat.example"), *text;
	size_t len, cut;

	reset_world();
	{
		struct catalog_group *g = catalog_group_new();
		struct catalog_sync *s = new_sync(g, "cat.example", path, 100, 4);

		apply(s, m, 30);
		run_all();
		catalog_sync_free(s);
		catalog_group_free(g);
	}
	text = tu_read_file(path);
	len = strlen(text);
	for (cut = 0; cut < len; cut += len / 37 + 1) {
		struct catalog_group *g = catalog_group_new();
		struct catalog_sync *s;
		FILE *f = fopen(path, "wb");
		unsigned long deletes = n_deletes_made;

		fwrite(text, 1, cut, f);
		fclose(f);
		s = new_sync(g, "cat.example", path, 0, 4);
		run_all();
		/* a catalog without z0..z9 now: none of them is known to be ours */
		apply(s, m + 10, 20);
		run_all();
		ck_assert_uint_eq(n_deletes_made, deletes);
		ck_assert_uint_eq(n_ms, 30);
		catalog_sync_free(s);
		catalog_group_free(g);
		/* restore the full state for the next cut */
		f = fopen(path, "wb");
		fwrite(text, 1, len, f);
		fclose(f);
	}
	free(text);
	many_free(m, 30);
	free(path);
	free(dir);
}
END_TEST

/* Drift: an owned member missing from Microsoft DNS is created again; a clash that went is tried again. */
START_TEST(drift_repaired)
{
	static const char *const v1[] = { "l1=a.example", "l2=b.example", "l3=p.example" };
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;

	reset_world();
	ms_add("p.example", "Primary", "");
	s = new_sync(g, "cat.example", NULL, 100, 4);
	apply(s, v1, 3);
	run_all();
	ms_remove(ms_find("a.example"));
	ms_remove(ms_find("p.example"));
	oplog[0] = '\0';
	ck_assert_int_eq(catalog_sync_reconcile(s), 0);
	run_all();
	ck_assert_str_eq(oplog, "List ;Create a.example;Create p.example;");
	ck_assert(owned(s, "a.example") && owned(s, "p.example"));
	ck_assert_uint_eq(n_ms, 3);
	catalog_sync_free(s);
	catalog_group_free(g);
}
END_TEST

/* Two catalogs: a zone one owns is a clash for the other; coo moves it (same label: no operation). */
START_TEST(two_catalogs_and_coo)
{
	static const char *const a1[] = { "l1=x.example", "l2=y.example" };
	static const char *const a2[] = { "l1=x.example", "l2=y.example", "coo:l1=cat2.example", "coo:l2=cat2.example" };
	static const char *const b1[] = { "l1=x.example", "other=y.example" };
	static const char *const a3[] = { "l9=keep.example" };
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *a, *b;
	struct catalog_view *v;

	reset_world();
	a = new_sync(g, "cat.example", NULL, 0, 4);
	b = new_sync(g, "cat2.example", NULL, 0, 4);
	apply(a, a1, 2);
	run_all();
	v = view_of("cat2.example", b1, 2);
	oplog[0] = '\0';
	ck_assert_int_eq(catalog_sync_apply(b, v), CATALOG_APPLIED);
	run_all();
	ck_assert_str_eq(oplog, "");
	ck_assert(owned(a, "x.example") && !owned(b, "x.example"));
	/* cat.example hands both over (coo); cat2's next version takes them */
	apply(a, a2, 4);
	run_all();
	ck_assert_int_eq(catalog_sync_apply(b, v), CATALOG_APPLIED);
	run_all();
	ck_assert(owned(b, "x.example") && !owned(a, "x.example"));
	ck_assert_str_eq(oplog, "Delete y.example;Create y.example;");   /* other label: reset */
	ck_assert(owned(b, "y.example"));
	catalog_view_free(v);
	/* cat.example drops them: it does not own them any more, nothing is deleted */
	oplog[0] = '\0';
	apply(a, a3, 1);
	run_all();
	ck_assert_str_eq(oplog, "Create keep.example;");
	ck_assert_ptr_nonnull(ms_find("x.example"));
	catalog_sync_free(a);
	catalog_sync_free(b);
	catalog_group_free(g);
}
END_TEST

/* A member removed while its Create runs is deleted once the Create ends; failures are tried again. */
START_TEST(removed_while_creating_and_failures)
{
	static const char *const v1[] = { "l1=a.example" };
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;
	struct catalog_sync_stats st;

	reset_world();
	s = new_sync(g, "cat.example", NULL, 0, 4);
	apply(s, v1, 1);
	ck_assert_uint_eq(n_q, 1);
	apply(s, NULL, 0);
	run_all();
	ck_assert_uint_eq(n_ms, 0);
	ck_assert(!owned(s, "a.example"));
	fail_all = 1;
	apply(s, v1, 1);
	run_all();
	catalog_sync_stats(s, &st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.pending, 1);
	fail_all = 0;
	catalog_sync_kick(s);
	run_all();
	ck_assert(owned(s, "a.example"));
	catalog_sync_free(s);
	catalog_group_free(g);
}
END_TEST

static size_t
count_in_oplog(const char *what)
{
	size_t n = 0;
	const char *p;

	for (p = oplog; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* A new version while a batch runs (Designate: the content first, the serial a moment later, each with a
 * NOTIFY): the operations already handed to the queue are not handed over a second time; a member removed
 * or relabelled while its Create runs is deleted or reset after it. */
START_TEST(new_version_while_batch_runs)
{
	const char **m1 = many(40, "l%zu=z%zu.example"), **m2 = many(40, "l%zu=z%zu.example");
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;
	struct catalog_sync_stats st;
	char gone[ZONE_NAME_MAX], relabelled[ZONE_NAME_MAX], want[ZONE_NAME_MAX + 16];
	unsigned a, b;
	int i;

	reset_world();
	s = new_sync(g, "cat.example", NULL, 0, 8);
	apply(s, m1, 40);
	ck_assert_uint_eq(n_q, 8);
	for (i = 0; i < 3; i++)
		run_one();
	/* two of the queued Creates (not run yet): one member is removed, the other gets a new label; z40 is new */
	snprintf(gone, sizeof gone, "%s", q[0].op.zone);
	snprintf(relabelled, sizeof relabelled, "%s", q[1].op.zone);
	ck_assert_int_eq(sscanf(gone, "z%u.example", &a), 1);
	ck_assert_int_eq(sscanf(relabelled, "z%u.example", &b), 1);
	free((char *)m2[a]);
	m2[a] = strdup("l40=z40.example");
	free((char *)m2[b]);
	m2[b] = malloc(64);
	snprintf((char *)m2[b], 64, "new%u=z%u.example", b, b);
	apply(s, m2, 40);
	run_all();
	for (i = 0; i < 40; i++) {
		snprintf(want, sizeof want, "Create z%d.example;", i);
		ck_assert_uint_eq(count_in_oplog(want), (unsigned)i == b ? 2 : 1);   /* each once; the reset again */
	}
	ck_assert_uint_eq(count_in_oplog("Create "), 42);   /* 40, z40, the reset */
	ck_assert_uint_eq(count_in_oplog("Delete "), 2);    /* the removed member, the reset */
	ck_assert_ptr_null(ms_find(gone));
	ck_assert_ptr_nonnull(ms_find("z40.example"));
	ck_assert_ptr_nonnull(ms_find(relabelled));
	ck_assert_uint_eq(n_ms, 40);
	snprintf(want, sizeof want, "new%u", b);
	ck_assert_str_eq(catalog_state_owner(catalog_sync_state(s), relabelled, NULL), want);
	catalog_sync_stats(s, &st);
	ck_assert_uint_eq(st.owned, 40);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.queued, 0);
	catalog_sync_free(s);
	catalog_group_free(g);
	many_free(m1, 40);
	many_free(m2, 40);
}
END_TEST

/* A state that cannot be written starts nothing. */
START_TEST(unwritable_state)
{
	static const char *const v1[] = { "l1=a.example" };
	struct catalog_group *g = catalog_group_new();
	struct catalog_sync *s;

	reset_world();
	s = new_sync(g, "cat.example", "/nonexistent-dir-for-catalog-test/cat.example.state", 0, 4);
	ck_assert_int_eq(apply(s, v1, 1), CATALOG_REJECTED);
	ck_assert_uint_eq(n_q, 0);
	catalog_sync_free(s);
	catalog_group_free(g);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("catalog-sync");
	TCase *tc = tcase_create("catalog-sync");

	tcase_add_test(tc, members_follow);
	tcase_add_test(tc, label_change_resets);
	tcase_add_test(tc, clash_and_adopt);
	tcase_add_test(tc, max_deletions);
	tcase_add_test(tc, window_and_full_queue);
	tcase_add_test(tc, kill_at_any_point);
	tcase_add_test(tc, damaged_state_deletes_nothing);
	tcase_add_test(tc, drift_repaired);
	tcase_add_test(tc, two_catalogs_and_coo);
	tcase_add_test(tc, removed_while_creating_and_failures);
	tcase_add_test(tc, unwritable_state);
	tcase_add_test(tc, new_version_while_batch_runs);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
