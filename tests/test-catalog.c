/* Tests of the catalog interpreter (RFC 9432 §4-5) and of its record set (the seam with xfr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog-map.h"
#include "catalog.h"
#include "testutil.h"
#include "wire.h"

#define PTR 12
#define TXT 16
#define NS 2
#define A 1

static const char *const cat = "cat.example";

/* Add owner/type with rdata given as text: a name for PTR/NS, one or more '|'-separated strings for TXT,
 * dotted-quad for A. Class IN. */
static int
add_class(struct catalog_records *r, const char *owner, uint16_t type, uint16_t rrclass, const char *rd)
{
	uint8_t o[WIRE_NAME_MAX], d[512];
	size_t ol = wire_name_from_text(owner, o), dl = 0;

	ck_assert_uint_gt(ol, 0);
	if (type == PTR || type == NS) {
		dl = wire_name_from_text(rd, d);
		ck_assert_uint_gt(dl, 0);
	} else if (type == TXT) {
		const char *p = rd;

		for (;;) {
			const char *e = strchr(p, '|');
			size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

			d[dl++] = (uint8_t)n;
			memcpy(d + dl, p, n);
			dl += n;
			if (e == NULL)
				break;
			p = e + 1;
		}
	} else if (type == A) {
		unsigned a, b, c, e;

		ck_assert_int_eq(sscanf(rd, "%u.%u.%u.%u", &a, &b, &c, &e), 4);
		d[0] = (uint8_t)a, d[1] = (uint8_t)b, d[2] = (uint8_t)c, d[3] = (uint8_t)e;
		dl = 4;
	}
	return catalog_records_add(r, o, ol, type, rrclass, 0, d, dl);
}

static void
add(struct catalog_records *r, const char *owner, uint16_t type, const char *rd)
{
	ck_assert_int_eq(add_class(r, owner, type, WIRE_CLASS_IN, rd), 0);
}

static void
add_soa(struct catalog_records *r, const char *owner, uint32_t serial)
{
	uint8_t o[WIRE_NAME_MAX], d[600];
	size_t ol = wire_name_from_text(owner, o), dl;
	uint32_t v[5] = { serial, 3600, 600, 2147483646, 0 };
	int i;

	dl = wire_name_from_text("ns1.example.", d);
	dl += wire_name_from_text("cat.example.", d + dl);
	for (i = 0; i < 5; i++) {
		d[dl++] = (uint8_t)(v[i] >> 24);
		d[dl++] = (uint8_t)(v[i] >> 16);
		d[dl++] = (uint8_t)(v[i] >> 8);
		d[dl++] = (uint8_t)v[i];
	}
	ck_assert_int_eq(catalog_records_add(r, o, ol, WIRE_TYPE_SOA, WIRE_CLASS_IN, 0, d, dl), 0);
}

/* Designate's catalog (CATALOG-ZONES.md §3.2): SOA, NS invalid., version "2", UUID-labelled members. */
static struct catalog_records *
designate(uint32_t serial)
{
	struct catalog_records *r = catalog_records_new();

	ck_assert_ptr_nonnull(r);
	add_soa(r, "cat.example.", serial);
	add(r, "cat.example.", NS, "invalid.");
	add(r, "version.cat.example.", TXT, "2");
	add(r, "0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", PTR, "a.example.");
	add(r, "1b2c3d4e-6a4b-4c1e-9d2a-0f3c1d8e5f60.zones.cat.example.", PTR, "B.Example.");
	add(r, "2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c.zones.cat.example.", PTR, "c.example.com.");
	return r;
}

static struct catalog_view *
interpret(struct catalog_records *r, int want, const struct catalog_policy *pol)
{
	struct catalog_view *v;

	ck_assert_int_eq(catalog_interpret(r, cat, pol, &v), want);
	ck_assert_ptr_nonnull(v);
	if (want == 0)
		ck_assert_ptr_null(catalog_view_broken(v));
	else
		ck_assert_ptr_nonnull(catalog_view_broken(v));
	return v;
}

START_TEST(designate_catalog)
{
	struct catalog_records *r = designate(1717171717);
	struct catalog_view *v = interpret(r, 0, NULL);
	const struct catalog_member *m;

	ck_assert_uint_eq(catalog_view_serial(v), 1717171717u);
	ck_assert_uint_eq(catalog_view_count(v), 3);
	m = catalog_view_by_label(v, "1b2c3d4e-6a4b-4c1e-9d2a-0f3c1d8e5f60");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->zone, "b.example");
	ck_assert_ptr_null(m->coo);
	m = catalog_view_by_zone(v, "c.example.com");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->label, "2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c");
	ck_assert_ptr_null(catalog_view_by_zone(v, "d.example"));
	ck_assert_ptr_null(catalog_view_by_label(v, "nope"));
	ck_assert_uint_eq(catalog_view_ignored(v), 0);
	ck_assert_uint_eq(catalog_view_notes(v), 0);
	catalog_view_free(v);
	catalog_records_free(r);
}
END_TEST

/* Knot's shape with group, ext and coo: accepted; coo parsed; group/ext ignored without a note. */
START_TEST(properties)
{
	struct catalog_records *r = designate(7);
	struct catalog_view *v;
	const struct catalog_member *m;

	add(r, "group.0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", TXT, "msdns-default");
	add(r, "group.0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", TXT, "second");
	add(r, "coo.1b2c3d4e-6a4b-4c1e-9d2a-0f3c1d8e5f60.zones.cat.example.", PTR, "Cat2.Example.");
	add(r, "x.ext.cat.example.", TXT, "custom");
	add(r, "ext.cat.example.", TXT, "custom");
	add(r, "y.ext.2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c.zones.cat.example.", A, "192.0.2.1");
	add(r, "a.b.ext.2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c.zones.cat.example.", A, "192.0.2.1");
	v = interpret(r, 0, NULL);
	ck_assert_uint_eq(catalog_view_count(v), 3);
	m = catalog_view_by_zone(v, "b.example");
	ck_assert_ptr_nonnull(m->coo);
	ck_assert_str_eq(m->coo, "cat2.example");
	ck_assert_ptr_null(catalog_view_by_zone(v, "a.example")->coo);
	ck_assert_uint_eq(catalog_view_ignored(v), 0);
	catalog_view_free(v);
	catalog_records_free(r);
}
END_TEST

static int
notes_contain(const struct catalog_view *v, const char *needle)
{
	size_t i;

	for (i = 0; i < catalog_view_notes(v); i++)
		if (strstr(catalog_view_note(v, i), needle) != NULL)
			return 1;
	return 0;
}

/* Unknown records and properties are ignored (RFC 9432 §3), each with a note. */
START_TEST(unknown_ignored)
{
	struct catalog_records *r = designate(7);
	struct catalog_view *v;

	add(r, "cat.example.", A, "192.0.2.1");
	add(r, "zones.cat.example.", TXT, "x");
	add(r, "version.cat.example.", A, "192.0.2.1");
	add(r, "0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", TXT, "x");
	add(r, "color.0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", TXT, "blue");
	add(r, "a.b.c.zones.cat.example.", TXT, "deep");
	add(r, "serial.cat.example.", TXT, "1");
	add(r, "other.example.", PTR, "x.example.");
	add(r, "coo.lonely.zones.cat.example.", PTR, "cat2.example.");
	ck_assert_int_eq(add_class(r, "ff.zones.cat.example.", PTR, 3, "chaos.example."), 0);
	v = interpret(r, 0, NULL);
	ck_assert_uint_eq(catalog_view_count(v), 3);
	ck_assert_ptr_null(catalog_view_by_zone(v, "chaos.example"));
	ck_assert_ptr_null(catalog_view_by_label(v, "lonely"));
	ck_assert_uint_eq(catalog_view_ignored(v), 10);
	ck_assert_uint_eq(catalog_view_notes(v), 10);
	ck_assert(notes_contain(v, "not in the catalog zone"));
	ck_assert(notes_contain(v, "class is not IN"));
	ck_assert(notes_contain(v, "unknown member property"));
	ck_assert(notes_contain(v, "lonely.zones: no member PTR"));
	ck_assert_uint_eq(catalog_view_inadmissible(v), 0);
	catalog_view_free(v);
	catalog_records_free(r);
}
END_TEST

struct broken_case {
	const char *owner;
	uint16_t type;
	const char *rdata;
	const char *remove_version;  /* non-NULL: take version "2" away first */
	const char *why;             /* expected in the reason */
};

static const struct broken_case broken_cases[] = {
	{ NULL, 0, NULL, "yes", "no version property" },
	{ "version.cat.example.", TXT, "1", "yes", "not \"2\"" },
	{ "version.cat.example.", TXT, "2|2", "yes", "not \"2\"" },
	{ "version.cat.example.", TXT, "", "yes", "not \"2\"" },
	{ "version.cat.example.", TXT, "1", NULL, "2 TXT records" },
	{ "0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", PTR, "other.example.", NULL, "has 2 PTR" },
	{ "ffff.zones.cat.example.", PTR, "A.EXAMPLE.", NULL, "named by two labels" },
	{ "coo.0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", PTR, "bad\\032name.example.", NULL,
	  "not a valid catalog name" },
};

/* Each kind of broken catalog (RFC 9432 §4.1, §4.2, §4.3.1): no members, a reason. */
START_TEST(broken_kinds)
{
	const struct broken_case *bc = &broken_cases[_i];
	struct catalog_records *r = designate(9);
	struct catalog_view *v;
	uint8_t o[WIRE_NAME_MAX], d[2] = { 1, '2' };

	if (bc->remove_version != NULL) {
		size_t ol = wire_name_from_text("version.cat.example.", o);

		ck_assert_int_eq(catalog_records_remove(r, o, ol, TXT, WIRE_CLASS_IN, d, 2), 0);
	}
	if (bc->owner != NULL)
		add(r, bc->owner, bc->type, bc->rdata);
	v = interpret(r, 1, NULL);
	ck_assert_msg(strstr(catalog_view_broken(v), bc->why) != NULL, "reason '%s' lacks '%s'",
	    catalog_view_broken(v), bc->why);
	ck_assert_uint_eq(catalog_view_count(v), 0);
	ck_assert_ptr_null(catalog_view_by_zone(v, "a.example"));
	ck_assert_ptr_null(catalog_view_by_label(v, "0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60"));
	catalog_view_free(v);
	catalog_records_free(r);
}
END_TEST

/* Two coo PTRs for one member are broken too. */
START_TEST(broken_two_coo)
{
	struct catalog_records *r = designate(9);
	struct catalog_view *v;

	add(r, "coo.0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", PTR, "cat2.example.");
	add(r, "coo.0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", PTR, "cat3.example.");
	v = interpret(r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(catalog_view_broken(v), "coo of member"));
	catalog_view_free(v);
	catalog_records_free(r);
}
END_TEST

/* No SOA, or an SOA that is not the catalog's apex: broken. */
START_TEST(broken_soa)
{
	struct catalog_records *r = catalog_records_new();
	struct catalog_view *v;

	add(r, "version.cat.example.", TXT, "2");
	v = interpret(r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(catalog_view_broken(v), "SOA"));
	catalog_view_free(v);
	add_soa(r, "other.example.", 1);
	v = interpret(r, 1, NULL);
	catalog_view_free(v);
	add_soa(r, "CAT.example.", 1);
	v = interpret(r, 0, NULL);
	ck_assert_uint_eq(catalog_view_count(v), 0);
	catalog_view_free(v);
	catalog_records_free(r);
}
END_TEST

/* Names that fail the agent's rules or lie outside member_suffixes are not members, and are reported. */
START_TEST(admissible)
{
	static const char *const sfx[] = { "example.com", "example.net" };
	struct catalog_policy pol = { sfx, 2 };
	struct catalog_records *r = designate(3);
	struct catalog_view *v;

	add(r, "l1.zones.cat.example.", PTR, "sub.example.net.");
	add(r, "l2.zones.cat.example.", PTR, "example.net.");
	add(r, "l3.zones.cat.example.", PTR, "badexample.net.");
	add(r, "l4.zones.cat.example.", PTR, "sp\\032ace.example.com.");
	add(r, "l5.zones.cat.example.", PTR, "-lead.example.com.");
	add(r, "l6.zones.cat.example.", PTR, ".");
	v = interpret(r, 0, &pol);
	ck_assert_uint_eq(catalog_view_count(v), 3);
	ck_assert_ptr_nonnull(catalog_view_by_zone(v, "c.example.com"));
	ck_assert_ptr_nonnull(catalog_view_by_zone(v, "sub.example.net"));
	ck_assert_ptr_nonnull(catalog_view_by_zone(v, "example.net"));
	ck_assert_ptr_null(catalog_view_by_zone(v, "a.example"));
	ck_assert_uint_eq(catalog_view_inadmissible(v), 6);
	ck_assert(notes_contain(v, "outside member_suffixes"));
	ck_assert(notes_contain(v, "sp\\\\032ace.example.com. is not a valid zone name"));
	catalog_view_free(v);
	/* without a policy only the bad names are left out */
	v = interpret(r, 0, NULL);
	ck_assert_uint_eq(catalog_view_count(v), 6);
	ck_assert_uint_eq(catalog_view_inadmissible(v), 3);
	catalog_view_free(v);
	catalog_records_free(r);
}
END_TEST

/* The record set as xfr uses it: duplicates kept once, IXFR removals, SOA replaced, dup and clear. */
START_TEST(record_set)
{
	struct catalog_records *r = designate(5), *copy;
	struct catalog_view *v;
	uint8_t o[WIRE_NAME_MAX], d[WIRE_NAME_MAX], bad[3] = { 5, 'a', 0 };
	size_t ol, dl;
	uint32_t serial, refresh, retry, expire;

	ck_assert_uint_eq(catalog_records_count(r), 6);
	add(r, "0F3C1D8E-6a4b-4c1e-9d2a-1b2c3d4e5f60.ZONES.cat.example.", PTR, "A.example.");
	ck_assert_uint_eq(catalog_records_count(r), 6);
	ck_assert_int_eq(catalog_records_soa(r, &serial, &refresh, &retry, &expire), 0);
	ck_assert_uint_eq(serial, 5);
	ck_assert_uint_eq(refresh, 3600);
	ck_assert_uint_eq(retry, 600);
	ck_assert_uint_eq(expire, 2147483646u);
	copy = catalog_records_dup(r);
	ck_assert_ptr_nonnull(copy);
	/* an increment: serial 5 -> 6, a.example removed, d.example added */
	ol = wire_name_from_text("0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.Cat.Example.", o);
	dl = wire_name_from_text("a.EXAMPLE.", d);
	ck_assert_int_eq(catalog_records_remove(r, o, ol, PTR, WIRE_CLASS_IN, d, dl), 0);
	ck_assert_int_eq(catalog_records_remove(r, o, ol, PTR, WIRE_CLASS_IN, d, dl), 1);
	add(r, "9999.zones.cat.example.", PTR, "d.example.");
	add_soa(r, "cat.example.", 6);
	ck_assert_uint_eq(catalog_records_count(r), 6);
	v = interpret(r, 0, NULL);
	ck_assert_uint_eq(catalog_view_serial(v), 6);
	ck_assert_ptr_null(catalog_view_by_zone(v, "a.example"));
	ck_assert_str_eq(catalog_view_by_zone(v, "d.example")->label, "9999");
	catalog_view_free(v);
	/* the copy still holds the last full view */
	v = interpret(copy, 0, NULL);
	ck_assert_uint_eq(catalog_view_serial(v), 5);
	ck_assert_ptr_nonnull(catalog_view_by_zone(v, "a.example"));
	catalog_view_free(v);
	/* bad input leaves the set unchanged */
	ck_assert_int_eq(catalog_records_add(r, bad, sizeof bad, PTR, WIRE_CLASS_IN, 0, d, dl), -1);
	ck_assert_int_eq(catalog_records_add(r, o, ol, PTR, WIRE_CLASS_IN, 0, bad, sizeof bad), -1);
	ck_assert_int_eq(catalog_records_add(r, o, ol - 1, PTR, WIRE_CLASS_IN, 0, d, dl), -1);
	ck_assert_uint_eq(catalog_records_count(r), 6);
	ck_assert_int_eq(catalog_records_remove(r, o, ol, WIRE_TYPE_SOA, WIRE_CLASS_IN, NULL, 0), 0);
	ck_assert_int_eq(catalog_records_soa(r, NULL, NULL, NULL, NULL), -1);
	catalog_records_clear(r);
	ck_assert_uint_eq(catalog_records_count(r), 0);
	v = interpret(r, 1, NULL);
	catalog_view_free(v);
	catalog_records_free(r);
	catalog_records_free(copy);
}
END_TEST

START_TEST(label_text)
{
	char out[300];
	const uint8_t l[] = { 'a', '.', 'b', '\\', ' ', 0, 0xff };

	ck_assert_str_eq(catalog_label_text(l, sizeof l, out, sizeof out), "a\\.b\\\\\\032\\000\\255");
	ck_assert_str_eq(catalog_label_text(l, sizeof l, out, 4), "a\\.");
}
END_TEST

/* Records copied out of a set, to be borrowed (as xfr's view is) by catalog_records_borrow. */
struct held {
	struct catalog_rr rr[64];
	uint8_t mem[64][600];
	size_t n;
};

static int
hold_one(void *arg, const struct catalog_rr *rr)
{
	struct held *h = arg;

	ck_assert_uint_lt(h->n, 64);
	memcpy(h->mem[h->n], rr->owner, rr->owner_len);
	memcpy(h->mem[h->n] + rr->owner_len, rr->rdata, rr->rdlen);
	h->rr[h->n] = *rr;
	h->rr[h->n].owner = h->mem[h->n];
	h->rr[h->n].rdata = h->mem[h->n] + rr->owner_len;
	h->n++;
	return 0;
}

static void
held_at(const void *src, size_t i, struct catalog_rr *rr)
{
	*rr = ((const struct held *)src)->rr[i];
}

/* A borrowed set reads as the copy it was made from: same count, SOA, interpretation. */
START_TEST(borrowed_records)
{
	struct catalog_records *r = designate(42), *b, *d;
	struct catalog_view *v, *w;
	struct held *h = calloc(1, sizeof *h);
	uint32_t serial = 0;
	size_t i;
	uint8_t o[WIRE_NAME_MAX];

	ck_assert_ptr_nonnull(h);
	add(r, "coo.0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example.", PTR, "other.example.");
	add(r, "version.cat.example.", A, "192.0.2.1");
	add(r, "lonely.zones.cat.example.", TXT, "x");
	catalog_records_foreach(r, hold_one, h);
	b = catalog_records_borrow(h, h->n, held_at);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(catalog_records_count(b), catalog_records_count(r));
	ck_assert_int_eq(catalog_records_soa(b, &serial, NULL, NULL, NULL), 0);
	ck_assert_uint_eq(serial, 42);
	v = interpret(r, 0, NULL);
	w = interpret(b, 0, NULL);
	ck_assert_uint_eq(catalog_view_count(w), catalog_view_count(v));
	ck_assert_uint_eq(catalog_view_ignored(w), catalog_view_ignored(v));
	for (i = 0; i < catalog_view_count(v); i++) {
		const struct catalog_member *m = catalog_view_member(v, i), *n = catalog_view_by_zone(w, m->zone);

		ck_assert_ptr_nonnull(n);
		ck_assert_str_eq(n->label, m->label);
		ck_assert_ptr_eq(catalog_view_by_label(w, m->label), n);
		if (m->coo != NULL)
			ck_assert_str_eq(n->coo, m->coo);
		else
			ck_assert_ptr_null(n->coo);
	}
	catalog_view_free(v);
	catalog_view_free(w);
	/* read-only; a copy of it is an ordinary set */
	ck_assert_int_eq(catalog_records_add(b, h->rr[1].owner, h->rr[1].owner_len, NS, WIRE_CLASS_IN, 0,
	    h->rr[1].rdata, h->rr[1].rdlen), -1);
	ck_assert_int_eq(catalog_records_remove(b, h->rr[1].owner, h->rr[1].owner_len, h->rr[1].type,
	    h->rr[1].rrclass, h->rr[1].rdata, h->rr[1].rdlen), 1);
	d = catalog_records_dup(b);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(catalog_records_count(d), catalog_records_count(r));
	catalog_records_free(d);
	catalog_records_clear(b);
	ck_assert_uint_eq(catalog_records_count(b), 0);
	catalog_records_free(b);
	/* a second SOA: the last counts, as with catalog_records_add */
	h->rr[h->n] = h->rr[0];
	h->n++;
	memcpy(h->mem[h->n - 1], h->mem[0], sizeof h->mem[0]);
	h->rr[h->n - 1].owner = h->mem[h->n - 1];
	h->rr[h->n - 1].rdata = h->mem[h->n - 1] + h->rr[0].owner_len;
	h->mem[h->n - 1][h->rr[0].rdlen + h->rr[0].owner_len - 20 + 3] ^= 1;   /* the serial's last octet */
	b = catalog_records_borrow(h, h->n, held_at);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(catalog_records_count(b), catalog_records_count(r));
	ck_assert_int_eq(catalog_records_soa(b, &serial, NULL, NULL, NULL), 0);
	ck_assert_uint_eq(serial, 43);
	catalog_records_free(b);
	/* not canonical (upper case owner or PTR target, a bad name): refused, the caller copies instead */
	ck_assert_uint_gt(wire_name_from_text("X.zones.cat.example.", o), 0);
	for (i = 0; i < h->n; i++)
		if (h->rr[i].type == PTR)
			break;
	ck_assert_uint_lt(i, h->n);
	h->mem[i][1] = 'A';
	ck_assert_ptr_null(catalog_records_borrow(h, h->n, held_at));
	h->mem[i][1] = 'a';
	((uint8_t *)h->rr[i].rdata)[1] = 'Z';
	ck_assert_ptr_null(catalog_records_borrow(h, h->n, held_at));
	((uint8_t *)h->rr[i].rdata)[1] = 'z';
	h->rr[i].rdlen--;
	ck_assert_ptr_null(catalog_records_borrow(h, h->n, held_at));
	h->rr[i].rdlen++;
	b = catalog_records_borrow(h, h->n, held_at);
	ck_assert_ptr_nonnull(b);
	catalog_records_free(b);
	catalog_records_free(r);
	free(h);
}
END_TEST

static const void *
str_key(const void *ctx, uint32_t i, size_t *len)
{
	const char *k = ((const char (*)[16])ctx)[i];

	*len = strlen(k);
	return k;
}

/* The fixed-size index: found, absent, duplicate keys, full. */
START_TEST(index_fixed)
{
	static char keys[3000][16];
	struct catidx *x = catidx_new(2000, str_key, keys);
	uint32_t i, other = 0;

	ck_assert_ptr_nonnull(x);
	for (i = 0; i < 3000; i++)
		snprintf(keys[i], sizeof keys[i], "k%u", i % 2500);
	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(catidx_add(x, i, NULL), 0);
	ck_assert_int_eq(catidx_add(x, 2000, NULL), -1);   /* k2000: room for 2,000 items only */
	ck_assert_int_eq(catidx_add(x, 2500, &other), 1);  /* k0 again */
	ck_assert_uint_eq(other, 0);
	for (i = 0; i < 2000; i++)
		ck_assert_uint_eq(catidx_get(x, keys[i], strlen(keys[i])), i);
	ck_assert_uint_eq(catidx_get(x, "k2000", 5), CATIDX_NONE);
	ck_assert_uint_eq(catidx_get(x, "", 0), CATIDX_NONE);
	ck_assert_uint_le(catidx_size(x), 8192 * 8 + 64);
	catidx_free(x);
	x = catidx_new(0, str_key, keys);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(catidx_get(x, "k1", 2), CATIDX_NONE);
	ck_assert_int_eq(catidx_add(x, 0, NULL), -1);
	catidx_free(x);
}
END_TEST

/* 100,000 members (the benchmark's size; its time and memory are measured by bench/catalog-interpret). */
START_TEST(many_members)
{
	struct catalog_records *r = catalog_records_new();
	struct catalog_view *v;
	char owner[128], zone[64];
	size_t i;

	add_soa(r, "cat.example.", 1);
	add(r, "version.cat.example.", TXT, "2");
	for (i = 0; i < 100000; i++) {
		snprintf(owner, sizeof owner, "%08zx-0000-4000-8000-000000000000.zones.cat.example.", i);
		snprintf(zone, sizeof zone, "z%zu.example.com.", i);
		add(r, owner, PTR, zone);
	}
	v = interpret(r, 0, NULL);
	ck_assert_uint_eq(catalog_view_count(v), 100000);
	ck_assert_str_eq(catalog_view_by_zone(v, "z77777.example.com")->label,
	    "00012fd1-0000-4000-8000-000000000000");
	catalog_view_free(v);
	/* one duplicate target among them is found */
	add(r, "dup.zones.cat.example.", PTR, "z99999.example.com.");
	v = interpret(r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(catalog_view_broken(v), "z99999.example.com."));
	catalog_view_free(v);
	catalog_records_free(r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("catalog");

	tcase_add_test(tc, designate_catalog);
	tcase_add_test(tc, properties);
	tcase_add_test(tc, unknown_ignored);
	tcase_add_loop_test(tc, broken_kinds, 0, (int)(sizeof broken_cases / sizeof broken_cases[0]));
	tcase_add_test(tc, broken_two_coo);
	tcase_add_test(tc, broken_soa);
	tcase_add_test(tc, admissible);
	tcase_add_test(tc, record_set);
	tcase_add_test(tc, label_text);
	tcase_add_test(tc, many_members);
	tcase_add_test(tc, borrowed_records);
	tcase_add_test(tc, index_fixed);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
