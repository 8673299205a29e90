/* Catalog zones (RFC 9432 §4-5): the record set of a catalog and its interpretation. */
#include "catalog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "catalog-map.h"
#include "log.h"
#include "wire.h"

#define TYPE_NS 2
#define TYPE_CNAME 5
#define TYPE_PTR 12
#define TYPE_TXT 16

struct catalog_records {
	struct catmap *set;          /* key: owner_len, owner, type, class, rdata; value: struct rec. NULL when
	                              * the records are borrowed */
	const void *src;             /* borrowed: n records through at (SOAs but the one in soa_* skipped) */
	size_t n, n_other;           /* borrowed: all records; those that are not an SOA */
	catalog_rr_at_fn *at;
	uint8_t *soa_owner, *soa_rdata;   /* borrowed: inside src, never freed */
	size_t soa_owner_len, soa_rdlen;
	uint32_t soa_ttl;
	int has_soa;
};

struct rec {
	uint32_t ttl;
};

/* Whether buf is exactly one uncompressed wire name (labels of 1..63 octets, the root last, <= 255). */
static int
name_ok(const uint8_t *buf, size_t len)
{
	size_t i = 0;

	if (len == 0 || len > WIRE_NAME_MAX)
		return 0;
	while (i < len) {
		uint8_t l = buf[i];

		if (l == 0)
			return i + 1 == len;
		if (l > WIRE_LABEL_MAX)
			return 0;
		i += 1 + (size_t)l;
	}
	return 0;
}

static void
lower(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (uint8_t)(p[i] - 'A' + 'a');
}

static int
name_rdata(uint16_t type)
{
	return type == TYPE_PTR || type == TYPE_NS || type == TYPE_CNAME;
}

/* Build the set's key for an RR into a malloc'ed buffer. Returns its length, 0 on failure. */
static size_t
make_key(const uint8_t *owner, size_t owner_len, uint16_t type, uint16_t rrclass, const uint8_t *rdata,
    size_t rdlen, uint8_t **out)
{
	size_t len = 1 + owner_len + 4 + rdlen;
	uint8_t *k;

	*out = NULL;
	if (!name_ok(owner, owner_len) || rdlen > 65535 || (rdlen > 0 && rdata == NULL))
		return 0;
	if (name_rdata(type) && !name_ok(rdata, rdlen))
		return 0;
	k = malloc(len);
	if (k == NULL)
		return 0;
	k[0] = (uint8_t)owner_len;
	memcpy(k + 1, owner, owner_len);
	lower(k + 1, owner_len);
	k[1 + owner_len] = (uint8_t)(type >> 8);
	k[2 + owner_len] = (uint8_t)type;
	k[3 + owner_len] = (uint8_t)(rrclass >> 8);
	k[4 + owner_len] = (uint8_t)rrclass;
	if (rdlen > 0)
		memcpy(k + 5 + owner_len, rdata, rdlen);
	if (name_rdata(type))
		lower(k + 5 + owner_len, rdlen);
	*out = k;
	return len;
}

struct catalog_records *
catalog_records_new(void)
{
	struct catalog_records *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->set = catmap_new();
	if (r->set == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/* Whether buf has no upper-case ASCII letter. */
static int
is_lower(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			return 0;
	return 1;
}

struct catalog_records *
catalog_records_borrow(const void *src, size_t n, catalog_rr_at_fn *at)
{
	struct catalog_records *r;
	struct catalog_rr rr, soa;
	size_t i, n_soa = 0;

	memset(&soa, 0, sizeof soa);
	for (i = 0; i < n; i++) {
		at(src, i, &rr);
		if (!name_ok(rr.owner, rr.owner_len) || !is_lower(rr.owner, rr.owner_len))
			return NULL;
		if (name_rdata(rr.type) && (!name_ok(rr.rdata, rr.rdlen) || !is_lower(rr.rdata, rr.rdlen)))
			return NULL;
		if (rr.type == WIRE_TYPE_SOA) {
			soa = rr;
			n_soa++;
		}
	}
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->src = src;
	r->n = n;
	r->n_other = n - n_soa;
	r->at = at;
	if (n_soa > 0) {
		r->soa_owner = (uint8_t *)(uintptr_t)soa.owner;
		r->soa_owner_len = soa.owner_len;
		r->soa_rdata = (uint8_t *)(uintptr_t)soa.rdata;
		r->soa_rdlen = soa.rdlen;
		r->soa_ttl = soa.ttl;
		r->has_soa = 1;
	}
	return r;
}

static int
set_soa(struct catalog_records *r, const uint8_t *owner, size_t owner_len, uint32_t ttl, const uint8_t *rdata,
    size_t rdlen)
{
	uint8_t *o, *d;

	if (!name_ok(owner, owner_len) || rdlen > 65535)
		return -1;
	o = malloc(owner_len);
	d = malloc(rdlen > 0 ? rdlen : 1);
	if (o == NULL || d == NULL) {
		free(o);
		free(d);
		return -1;
	}
	memcpy(o, owner, owner_len);
	lower(o, owner_len);
	if (rdlen > 0)
		memcpy(d, rdata, rdlen);
	free(r->soa_owner);
	free(r->soa_rdata);
	r->soa_owner = o;
	r->soa_owner_len = owner_len;
	r->soa_rdata = d;
	r->soa_rdlen = rdlen;
	r->soa_ttl = ttl;
	r->has_soa = 1;
	return 0;
}

int
catalog_records_add(struct catalog_records *r, const uint8_t *owner, size_t owner_len, uint16_t type,
    uint16_t rrclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	uint8_t *k;
	size_t klen;
	struct rec *old, *rec;

	if (r->set == NULL)
		return -1;
	if (type == WIRE_TYPE_SOA)
		return set_soa(r, owner, owner_len, ttl, rdata, rdlen);
	klen = make_key(owner, owner_len, type, rrclass, rdata, rdlen, &k);
	if (klen == 0)
		return -1;
	old = catmap_get(r->set, k, klen);
	if (old != NULL) {
		old->ttl = ttl;
		free(k);
		return 0;
	}
	rec = malloc(sizeof *rec);
	if (rec == NULL || catmap_put(r->set, k, klen, rec) < 0) {
		free(rec);
		free(k);
		return -1;
	}
	rec->ttl = ttl;
	free(k);
	return 0;
}

int
catalog_records_remove(struct catalog_records *r, const uint8_t *owner, size_t owner_len, uint16_t type,
    uint16_t rrclass, const uint8_t *rdata, size_t rdlen)
{
	uint8_t *k;
	size_t klen;
	struct rec *rec;

	if (r->set == NULL)
		return 1;
	if (type == WIRE_TYPE_SOA) {
		if (!r->has_soa)
			return 1;
		free(r->soa_owner);
		free(r->soa_rdata);
		r->soa_owner = r->soa_rdata = NULL;
		r->has_soa = 0;
		return 0;
	}
	klen = make_key(owner, owner_len, type, rrclass, rdata, rdlen, &k);
	if (klen == 0)
		return 1;
	rec = catmap_del(r->set, k, klen);
	free(k);
	if (rec == NULL)
		return 1;
	free(rec);
	return 0;
}

size_t
catalog_records_count(const struct catalog_records *r)
{
	return (r->set != NULL ? catmap_count(r->set) : r->n_other) + (r->has_soa ? 1 : 0);
}

int
catalog_records_soa(const struct catalog_records *r, uint32_t *serial, uint32_t *refresh, uint32_t *retry,
    uint32_t *expire)
{
	struct wire_cur c;
	uint8_t name[WIRE_NAME_MAX];
	uint32_t v[4];

	if (!r->has_soa)
		return -1;
	wire_cur_init(&c, r->soa_rdata, r->soa_rdlen);
	wire_get_name(&c, name, 0);
	wire_get_name(&c, name, 0);
	v[0] = wire_get_u32(&c);
	v[1] = wire_get_u32(&c);
	v[2] = wire_get_u32(&c);
	v[3] = wire_get_u32(&c);
	(void)wire_get_u32(&c);
	if (c.err || c.pos != c.len)
		return -1;
	if (serial != NULL)
		*serial = v[0];
	if (refresh != NULL)
		*refresh = v[1];
	if (retry != NULL)
		*retry = v[2];
	if (expire != NULL)
		*expire = v[3];
	return 0;
}

int
catalog_records_foreach(const struct catalog_records *r, int (*fn)(void *arg, const struct catalog_rr *rr),
    void *arg)
{
	size_t pos = 0, klen;
	const void *key;
	void *val;
	struct catalog_rr rr;
	int ret;

	if (r->has_soa) {
		rr.owner = r->soa_owner;
		rr.owner_len = r->soa_owner_len;
		rr.type = WIRE_TYPE_SOA;
		rr.rrclass = WIRE_CLASS_IN;
		rr.ttl = r->soa_ttl;
		rr.rdata = r->soa_rdata;
		rr.rdlen = (uint16_t)r->soa_rdlen;
		if ((ret = fn(arg, &rr)) != 0)
			return ret;
	}
	if (r->set == NULL) {
		for (pos = 0; pos < r->n; pos++) {
			r->at(r->src, pos, &rr);
			if (rr.type == WIRE_TYPE_SOA)
				continue;
			if ((ret = fn(arg, &rr)) != 0)
				return ret;
		}
		return 0;
	}
	while (catmap_next(r->set, &pos, &key, &klen, &val)) {
		const uint8_t *k = key;

		rr.owner_len = k[0];
		rr.owner = k + 1;
		rr.type = (uint16_t)(k[1 + rr.owner_len] << 8 | k[2 + rr.owner_len]);
		rr.rrclass = (uint16_t)(k[3 + rr.owner_len] << 8 | k[4 + rr.owner_len]);
		rr.rdata = k + 5 + rr.owner_len;
		rr.rdlen = (uint16_t)(klen - 5 - rr.owner_len);
		rr.ttl = ((const struct rec *)val)->ttl;
		if ((ret = fn(arg, &rr)) != 0)
			return ret;
	}
	return 0;
}

static int
dup_one(void *arg, const struct catalog_rr *rr)
{
	return catalog_records_add(arg, rr->owner, rr->owner_len, rr->type, rr->rrclass, rr->ttl, rr->rdata,
	    rr->rdlen) != 0;
}

struct catalog_records *
catalog_records_dup(const struct catalog_records *r)
{
	struct catalog_records *n = catalog_records_new();

	if (n == NULL)
		return NULL;
	if (catalog_records_foreach(r, dup_one, n) != 0) {
		catalog_records_free(n);
		return NULL;
	}
	return n;
}

void
catalog_records_clear(struct catalog_records *r)
{
	size_t pos = 0;
	void *val;

	if (r->set == NULL) {
		r->n = r->n_other = 0;
		r->soa_owner = r->soa_rdata = NULL;
		r->has_soa = 0;
		return;
	}
	while (catmap_next(r->set, &pos, NULL, NULL, &val))
		free(val);
	catmap_clear(r->set);
	free(r->soa_owner);
	free(r->soa_rdata);
	r->soa_owner = r->soa_rdata = NULL;
	r->has_soa = 0;
}

void
catalog_records_free(struct catalog_records *r)
{
	if (r == NULL)
		return;
	catalog_records_clear(r);
	catmap_free(r->set);
	free(r);
}

/* ---- interpretation ---- */

struct catalog_view {
	struct catarena *arena;              /* notes, the broken reason, the members' strings */
	const char *broken;
	uint32_t serial;
	struct catalog_member *members;
	size_t n, cap;
	struct catidx *by_label, *by_zone;   /* items: indexes into members; NULL: no member */
	char *notes[CATALOG_NOTES_MAX];
	size_t n_notes, ignored, inadmissible;
};

/* What one member label collected while the records were read (all pointers into the record set). */
struct acc {
	const uint8_t *label;        /* the unique label: its length octet, then its octets */
	const uint8_t *ptr, *coo;    /* rdata (uncompressed names) */
	uint32_t n_ptr, n_coo;
	uint16_t ptr_len, coo_len;
};

struct scan {
	struct catalog_view *v;
	const uint8_t *apex;
	size_t apex_len;
	struct acc *accs;            /* one per member label, in the order first seen */
	size_t n_acc, max_acc;       /* max_acc: the records in the set, a bound never reached */
	struct catidx *labels;       /* label octets -> index into accs */
	unsigned n_version;
	int version_ok;
	int failed;                  /* allocation failure */
};

char *
catalog_label_text(const uint8_t *label, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	if (outlen == 0)
		return out;
	for (i = 0; i < len; i++) {
		unsigned char c = label[i];
		char tmp[5];
		size_t tl;

		if (c == '.' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			tl = 2;
		} else if (c > 0x20 && c < 0x7f) {
			tmp[0] = (char)c;
			tl = 1;
		} else {
			snprintf(tmp, sizeof tmp, "\\%03u", c);
			tl = 4;
		}
		if (o + tl >= outlen)
			break;
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	out[o] = '\0';
	return out;
}

static void note(struct catalog_view *v, const char *fmt, ...) LOG_PRINTF(2, 3);

static void
note(struct catalog_view *v, const char *fmt, ...)
{
	char buf[WIRE_NAME_TEXT_MAX + 128];
	va_list ap;

	v->ignored++;
	if (v->n_notes >= CATALOG_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	v->notes[v->n_notes] = catarena_strndup(v->arena, buf, strlen(buf));
	if (v->notes[v->n_notes] != NULL)
		v->n_notes++;
}

static void
note_rr(struct catalog_view *v, const struct catalog_rr *rr, const char *why)
{
	char name[WIRE_NAME_TEXT_MAX], tb[16];

	wire_name_to_text(rr->owner, rr->owner_len, name, sizeof name);
	note(v, "ignored %s %s: %s", name, wire_type_name(rr->type, tb, sizeof tb), why);
}

static void
set_broken(struct catalog_view *v, const char *fmt, ...) LOG_PRINTF(2, 3);

static void
set_broken(struct catalog_view *v, const char *fmt, ...)
{
	char buf[WIRE_NAME_TEXT_MAX * 2 + 128];
	va_list ap;

	if (v->broken != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	v->broken = catarena_strndup(v->arena, buf, strlen(buf));
	if (v->broken == NULL)
		v->broken = "broken (and out of memory)";
}

static int
label_is(const uint8_t *lab, const char *s)
{
	size_t n = strlen(s);

	return lab[0] == n && memcmp(lab + 1, s, n) == 0;
}

static int
scan_rr(void *arg, const struct catalog_rr *rr)
{
	struct scan *s = arg;
	const uint8_t *lab[128];
	size_t n = 0, i = 0, rel;
	struct acc *a;

	/* split the owner into labels until the apex is reached */
	while (i < rr->owner_len && rr->owner[i] != 0) {
		if (rr->owner_len - i == s->apex_len && memcmp(rr->owner + i, s->apex, s->apex_len) == 0)
			break;
		if (n == 128)
			break;
		lab[n++] = rr->owner + i;
		i += 1 + (size_t)rr->owner[i];
	}
	if (rr->owner_len - i != s->apex_len || memcmp(rr->owner + i, s->apex, s->apex_len) != 0) {
		note_rr(s->v, rr, "not in the catalog zone");
		return 0;
	}
	rel = n;
	if (rr->rrclass != WIRE_CLASS_IN) {
		note_rr(s->v, rr, "class is not IN");
		return 0;
	}
	if (rel == 0) {
		if (rr->type != WIRE_TYPE_SOA && rr->type != TYPE_NS)
			note_rr(s->v, rr, "no meaning at the apex");
		return 0;
	}
	if (rel == 1) {
		if (label_is(lab[0], "version")) {
			if (rr->type == TYPE_TXT) {
				s->n_version++;
				s->version_ok = rr->rdlen == 2 && rr->rdata[0] == 1 && rr->rdata[1] == '2';
			} else {
				note_rr(s->v, rr, "not a TXT at version");
			}
		} else if (!label_is(lab[0], "ext")) {
			note_rr(s->v, rr, "unknown property");
		}
		return 0;
	}
	if (!label_is(lab[rel - 1], "zones")) {
		if (!label_is(lab[rel - 1], "ext"))
			note_rr(s->v, rr, "unknown property");
		return 0;
	}
	if (rel > 3) {
		/* below a property: only custom properties (ext) live there */
		if (!label_is(lab[rel - 3], "ext"))
			note_rr(s->v, rr, "unknown member property");
		return 0;
	}
	/* lab[rel - 2] is the member's unique label */
	{
		const uint8_t *ul = lab[rel - 2];
		uint32_t k = catidx_get(s->labels, ul + 1, ul[0]);

		if (k == CATIDX_NONE) {
			if (s->n_acc == s->max_acc) {
				s->failed = 1;
				return 1;
			}
			k = (uint32_t)s->n_acc++;
			memset(&s->accs[k], 0, sizeof s->accs[k]);
			s->accs[k].label = ul;
			if (catidx_add(s->labels, k, NULL) != 0) {
				s->failed = 1;
				return 1;
			}
		}
		a = &s->accs[k];
	}
	if (rel == 2) {
		if (rr->type == TYPE_PTR) {
			if (a->n_ptr < UINT32_MAX)
				a->n_ptr++;
			a->ptr = rr->rdata;
			a->ptr_len = rr->rdlen;
		} else {
			note_rr(s->v, rr, "not a PTR at a member label");
		}
		return 0;
	}
	/* rel == 3: a member property */
	if (label_is(lab[0], "coo")) {
		if (rr->type == TYPE_PTR) {
			if (a->n_coo < UINT32_MAX)
				a->n_coo++;
			a->coo = rr->rdata;
			a->coo_len = rr->rdlen;
		} else {
			note_rr(s->v, rr, "not a PTR at coo");
		}
	} else if (!label_is(lab[0], "group") && !label_is(lab[0], "ext")) {
		note_rr(s->v, rr, "unknown member property");
	}
	return 0;
}

int
catalog_admissible(const struct catalog_policy *pol, const char *zone)
{
	size_t i, zl = strlen(zone);

	if (pol == NULL || pol->n_suffixes == 0)
		return 1;
	for (i = 0; i < pol->n_suffixes; i++) {
		const char *sfx = pol->suffixes[i];
		size_t sl = strlen(sfx);

		if (sl == 0)
			return 1;
		if (zl == sl && memcmp(zone, sfx, sl) == 0)
			return 1;
		if (zl > sl && zone[zl - sl - 1] == '.' && memcmp(zone + zl - sl, sfx, sl) == 0)
			return 1;
	}
	return 0;
}

static const void *
acc_label_key(const void *ctx, uint32_t i, size_t *len)
{
	const struct acc *a = &((const struct scan *)ctx)->accs[i];

	*len = a->label[0];
	return a->label + 1;
}

static const void *
acc_ptr_key(const void *ctx, uint32_t i, size_t *len)
{
	const struct acc *a = &((const struct scan *)ctx)->accs[i];

	*len = a->ptr_len;
	return a->ptr;
}

static const void *
member_label_key(const void *ctx, uint32_t i, size_t *len)
{
	const char *k = ((const struct catalog_view *)ctx)->members[i].label;

	*len = strlen(k);
	return k;
}

static const void *
member_zone_key(const void *ctx, uint32_t i, size_t *len)
{
	const char *k = ((const struct catalog_view *)ctx)->members[i].zone;

	*len = strlen(k);
	return k;
}

/* Append a member: its label, zone and coo in one block of the arena (no room in members: -1). */
static int
add_member(struct catalog_view *v, const char *label, const char *zone, const char *coo)
{
	struct catalog_member *m;
	size_t ll = strlen(label), zl = strlen(zone), cl = coo != NULL ? strlen(coo) + 1 : 0;
	char *p;

	if (v->n == v->cap)
		return -1;
	p = catarena_bytes(v->arena, ll + 1 + zl + 1 + cl);
	if (p == NULL)
		return -1;
	m = &v->members[v->n];
	memcpy(p, label, ll + 1);
	m->label = p;
	memcpy(p + ll + 1, zone, zl + 1);
	m->zone = p + ll + 1;
	m->coo = NULL;
	if (coo != NULL) {
		memcpy(p + ll + 1 + zl + 1, coo, cl);
		m->coo = p + ll + 1 + zl + 1;
	}
	v->n++;
	return 0;
}

/* Index the members by label and by zone, each index sized once. */
static int
index_members(struct catalog_view *v)
{
	size_t i;

	if (v->n == 0)
		return 0;
	if (v->n < v->cap) {
		struct catalog_member *m = realloc(v->members, v->n * sizeof *m);

		if (m != NULL) {
			v->members = m;
			v->cap = v->n;
		}
	}
	v->by_label = catidx_new(v->n, member_label_key, v);
	v->by_zone = catidx_new(v->n, member_zone_key, v);
	if (v->by_label == NULL || v->by_zone == NULL)
		return -1;
	for (i = 0; i < v->n; i++) {
		/* labels are distinct (one acc each) and so are zones (two labels naming one zone = broken) */
		if (catidx_add(v->by_label, (uint32_t)i, NULL) < 0 || catidx_add(v->by_zone, (uint32_t)i, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Drop the members of a view found broken: it must not be acted on. */
static void
drop_members(struct catalog_view *v)
{
	catidx_free(v->by_label);
	catidx_free(v->by_zone);
	v->by_label = v->by_zone = NULL;
	free(v->members);
	v->members = NULL;
	v->n = v->cap = 0;
}

static int
check_members(struct scan *s, const struct catalog_policy *pol)
{
	struct catalog_view *v = s->v;
	struct catidx *targets = catidx_new(s->n_acc, acc_ptr_key, s);   /* PTR rdata -> index into accs */
	size_t i;
	int ret = 0;

	if (targets == NULL)
		return -1;
	v->cap = s->n_acc;
	if (v->cap > 0 && (v->members = malloc(v->cap * sizeof *v->members)) == NULL) {
		catidx_free(targets);
		return -1;
	}
	for (i = 0; i < s->n_acc; i++) {
		struct acc *a = &s->accs[i];
		char lt[WIRE_LABEL_MAX * 4 + 1], zt[WIRE_NAME_TEXT_MAX], zone[ZONE_NAME_MAX], coo[ZONE_NAME_MAX];
		uint32_t o;

		catalog_label_text(a->label + 1, a->label[0], lt, sizeof lt);
		if (a->n_ptr == 0) {
			note(v, "ignored properties of %s.zones: no member PTR there", lt);
			continue;
		}
		if (a->n_ptr > 1) {
			set_broken(v, "member label %s has %u PTR records (exactly one allowed)", lt, (unsigned)a->n_ptr);
			break;
		}
		if (a->n_coo > 1) {
			set_broken(v, "coo of member %s has %u PTR records (exactly one allowed)", lt, (unsigned)a->n_coo);
			break;
		}
		if (catidx_add(targets, (uint32_t)i, &o) != 0) {
			char ot[WIRE_LABEL_MAX * 4 + 1];
			const struct acc *other = &s->accs[o];

			wire_name_to_text(a->ptr, a->ptr_len, zt, sizeof zt);
			catalog_label_text(other->label + 1, other->label[0], ot, sizeof ot);
			set_broken(v, "member %s is named by two labels, %s and %s", zt, ot, lt);
			break;
		}
		if (a->n_coo == 1 && agent_zone_name(a->coo, a->coo_len, coo) != 0) {
			wire_name_to_text(a->coo, a->coo_len, zt, sizeof zt);
			set_broken(v, "coo of member %s is not a valid catalog name: %s", lt, zt);
			break;
		}
		if (agent_zone_name(a->ptr, a->ptr_len, zone) != 0) {
			char esc[WIRE_NAME_TEXT_MAX * 2];

			wire_name_to_text(a->ptr, a->ptr_len, zt, sizeof zt);
			log_escape(esc, sizeof esc, zt, strlen(zt));
			v->inadmissible++;
			note(v, "member %s not admitted: %s is not a valid zone name", lt, esc);
			continue;
		}
		if (!catalog_admissible(pol, zone)) {
			v->inadmissible++;
			note(v, "member %s not admitted: %s is outside member_suffixes", lt, zone);
			continue;
		}
		if (add_member(v, lt, zone, a->n_coo == 1 ? coo : NULL) != 0) {
			ret = -1;
			break;
		}
	}
	catidx_free(targets);
	return ret;
}

int
catalog_interpret(const struct catalog_records *r, const char *catalog, const struct catalog_policy *pol,
    struct catalog_view **out)
{
	struct catalog_view *v = calloc(1, sizeof *v);
	struct scan s;
	uint8_t apex[WIRE_NAME_MAX];
	int ret = 0;

	*out = NULL;
	if (v == NULL)
		return -1;
	memset(&s, 0, sizeof s);
	v->arena = catarena_new();
	/* at most one member label per record: room for that many, sized once (untouched room costs no
	 * memory); the keys are the labels inside r, unchanged while it is read */
	s.max_acc = catalog_records_count(r);
	s.accs = malloc((s.max_acc ? s.max_acc : 1) * sizeof *s.accs);
	s.labels = catidx_new(s.max_acc, acc_label_key, &s);
	if (v->arena == NULL || s.accs == NULL || s.labels == NULL)
		goto fail;
	s.v = v;
	s.apex = apex;
	s.apex_len = wire_name_from_text(catalog, apex);
	lower(apex, s.apex_len);
	if (s.apex_len == 0) {
		set_broken(v, "the catalog name is not a valid name");
		goto done;
	}
	if (!r->has_soa || r->soa_owner_len != s.apex_len || memcmp(r->soa_owner, apex, s.apex_len) != 0 ||
	    catalog_records_soa(r, &v->serial, NULL, NULL, NULL) != 0) {
		set_broken(v, "no valid SOA at the catalog's apex");
		goto done;
	}
	catalog_records_foreach(r, scan_rr, &s);
	if (s.failed)
		goto fail;
	if (s.n_version == 0)
		set_broken(v, "no version property (TXT \"2\" at version.%s)", catalog);
	else if (s.n_version > 1)
		set_broken(v, "the version property has %u TXT records (exactly one allowed)", s.n_version);
	else if (!s.version_ok)
		set_broken(v, "the version property is not \"2\" (the only schema version implemented)");
	catidx_free(s.labels);   /* every label is in accs now */
	s.labels = NULL;
	if (v->broken == NULL && check_members(&s, pol) != 0)
		goto fail;
	/* the scan's room goes before the member indexes are built */
	catidx_free(s.labels);
	s.labels = NULL;
	free(s.accs);
	s.accs = NULL;
	if (v->broken == NULL && index_members(v) != 0)
		goto fail;
done:
	if (v->broken != NULL) {
		drop_members(v);
		ret = 1;
	}
	catidx_free(s.labels);
	free(s.accs);
	*out = v;
	return ret;
fail:
	catidx_free(s.labels);
	free(s.accs);
	catalog_view_free(v);
	return -1;
}

const char *
catalog_view_broken(const struct catalog_view *v)
{
	return v->broken;
}

uint32_t
catalog_view_serial(const struct catalog_view *v)
{
	return v->serial;
}

size_t
catalog_view_count(const struct catalog_view *v)
{
	return v->n;
}

const struct catalog_member *
catalog_view_member(const struct catalog_view *v, size_t i)
{
	return i < v->n ? &v->members[i] : NULL;
}

const struct catalog_member *
catalog_view_by_label(const struct catalog_view *v, const char *label)
{
	uint32_t i = v->by_label != NULL ? catidx_get(v->by_label, label, strlen(label)) : CATIDX_NONE;

	return i < v->n ? &v->members[i] : NULL;
}

const struct catalog_member *
catalog_view_by_zone(const struct catalog_view *v, const char *zone)
{
	uint32_t i = v->by_zone != NULL ? catidx_get(v->by_zone, zone, strlen(zone)) : CATIDX_NONE;

	return i < v->n ? &v->members[i] : NULL;
}

size_t
catalog_view_notes(const struct catalog_view *v)
{
	return v->n_notes;
}

const char *
catalog_view_note(const struct catalog_view *v, size_t i)
{
	return i < v->n_notes ? v->notes[i] : NULL;
}

size_t
catalog_view_ignored(const struct catalog_view *v)
{
	return v->ignored;
}

size_t
catalog_view_inadmissible(const struct catalog_view *v)
{
	return v->inadmissible;
}

void
catalog_view_free(struct catalog_view *v)
{
	if (v == NULL)
		return;
	catidx_free(v->by_label);
	catidx_free(v->by_zone);
	free(v->members);
	catarena_free(v->arena);
	free(v);
}
