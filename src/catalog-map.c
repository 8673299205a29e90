/* Hash map from byte strings to pointers (open addressing, linear probing) and a string arena. */
#include "catalog-map.h"

#include <stdlib.h>
#include <string.h>

struct slot {
	uint32_t hash;     /* 0 = empty */
	uint32_t len;
	char *key;
	void *value;
};

struct catmap {
	struct slot *slots;
	size_t cap;        /* a power of two */
	size_t count;
	int borrow;        /* keys are the caller's, not copies */
};

static uint64_t hash_bytes(const void *key, size_t len);

/* The slot hash of a key: 32 bits, never 0 (0 marks an empty slot). */
static uint32_t
slot_hash(const void *key, size_t len)
{
	uint32_t h = (uint32_t)hash_bytes(key, len);

	return h == 0 ? 1 : h;
}

static uint64_t
hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* final mix so that the low bits, which pick the slot, depend on every octet */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h == 0 ? 1 : h;
}

struct catmap *
catmap_new_borrowing(void)
{
	struct catmap *m = catmap_new();

	if (m != NULL)
		m->borrow = 1;
	return m;
}

struct catmap *
catmap_new(void)
{
	struct catmap *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	m->cap = 16;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (m->slots == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

static struct slot *
find(const struct catmap *m, const void *key, size_t len, uint32_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;;) {
		struct slot *s = &m->slots[i];

		if (s->hash == 0)
			return s;
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static int
grow(struct catmap *m)
{
	size_t ncap = m->cap * 2, i;
	struct slot *ns = calloc(ncap, sizeof *ns), *old = m->slots;
	size_t ocap = m->cap;

	if (ns == NULL)
		return -1;
	m->slots = ns;
	m->cap = ncap;
	for (i = 0; i < ocap; i++) {
		if (old[i].hash != 0)
			*find(m, old[i].key, old[i].len, old[i].hash) = old[i];
	}
	free(old);
	return 0;
}

void *
catmap_get(const struct catmap *m, const void *key, size_t len)
{
	struct slot *s = find(m, key, len, slot_hash(key, len));

	return s->hash != 0 ? s->value : NULL;
}

int
catmap_put(struct catmap *m, const void *key, size_t len, void *value)
{
	uint32_t h;
	struct slot *s;
	char *k;

	if (len > UINT32_MAX - 1)
		return -1;
	h = slot_hash(key, len);
	s = find(m, key, len, h);
	if (s->hash != 0) {
		s->value = value;
		return 1;
	}
	if ((m->count + 1) * 8 > m->cap * 7) {   /* load up to 7/8: 24-octet slots, the hash compared first */
		if (grow(m) != 0)
			return -1;
		s = find(m, key, len, h);
	}
	if (m->borrow) {
		k = (char *)(uintptr_t)key;
	} else {
		k = malloc(len + 1);
		if (k == NULL)
			return -1;
		memcpy(k, key, len);
		k[len] = '\0';
	}
	s->hash = h;
	s->key = k;
	s->len = (uint32_t)len;
	s->value = value;
	m->count++;
	return 0;
}

void *
catmap_del(struct catmap *m, const void *key, size_t len)
{
	struct slot *s = find(m, key, len, slot_hash(key, len));
	size_t i, j;
	void *v;

	if (s->hash == 0)
		return NULL;
	v = s->value;
	if (!m->borrow)
		free(s->key);
	m->count--;
	/* backward-shift deletion keeps every probe chain unbroken without tombstones */
	i = (size_t)(s - m->slots);
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & (m->cap - 1);
		if (m->slots[j].hash == 0)
			break;
		home = (size_t)m->slots[j].hash & (m->cap - 1);
		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	memset(&m->slots[i], 0, sizeof m->slots[i]);
	return v;
}

size_t
catmap_count(const struct catmap *m)
{
	return m->count;
}

int
catmap_next(const struct catmap *m, size_t *pos, const void **key, size_t *len, void **value)
{
	while (*pos < m->cap) {
		const struct slot *s = &m->slots[(*pos)++];

		if (s->hash != 0) {
			if (key != NULL)
				*key = s->key;
			if (len != NULL)
				*len = s->len;
			if (value != NULL)
				*value = s->value;
			return 1;
		}
	}
	return 0;
}

void
catmap_clear(struct catmap *m)
{
	size_t i;

	for (i = 0; i < m->cap && !m->borrow; i++)
		free(m->slots[i].key);
	memset(m->slots, 0, m->cap * sizeof *m->slots);
	m->count = 0;
}

void
catmap_free(struct catmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap && !m->borrow; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

struct catidx {
	uint32_t *slots;   /* pairs: hash (high 32 bits of the 64-bit hash), item + 1 (0 = empty) */
	size_t cap;        /* slots pairs, a power of two */
	size_t count, max;
	catidx_key_fn *key;
	const void *ctx;
};

struct catidx *
catidx_new(size_t n, catidx_key_fn *key, const void *ctx)
{
	struct catidx *x;
	size_t cap = 16;

	if (n >= (size_t)1 << 31)
		return NULL;
	while (cap * 7 < n * 8)   /* load at most 7/8 */
		cap *= 2;
	x = calloc(1, sizeof *x);
	if (x == NULL)
		return NULL;
	x->slots = calloc(cap, 2 * sizeof *x->slots);
	if (x->slots == NULL) {
		free(x);
		return NULL;
	}
	x->cap = cap;
	x->max = n;
	x->key = key;
	x->ctx = ctx;
	return x;
}

/* The slot pair of key, or of the empty pair where it would go. */
static size_t
idx_find(const struct catidx *x, const void *key, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (x->cap - 1);
	uint32_t tag = (uint32_t)(h >> 32);

	for (;;) {
		const uint32_t *s = &x->slots[2 * i];

		if (s[1] == 0)
			return i;
		if (s[0] == tag) {
			size_t kl;
			const void *k = x->key(x->ctx, s[1] - 1, &kl);

			if (kl == len && memcmp(k, key, len) == 0)
				return i;
		}
		i = (i + 1) & (x->cap - 1);
	}
}

uint32_t
catidx_get(const struct catidx *x, const void *key, size_t len)
{
	size_t i = idx_find(x, key, len, hash_bytes(key, len));

	return x->slots[2 * i + 1] != 0 ? x->slots[2 * i + 1] - 1 : CATIDX_NONE;
}

int
catidx_add(struct catidx *x, uint32_t item, uint32_t *other)
{
	size_t len, i;
	const void *key = x->key(x->ctx, item, &len);
	uint64_t h = hash_bytes(key, len);

	i = idx_find(x, key, len, h);
	if (x->slots[2 * i + 1] != 0) {
		if (other != NULL)
			*other = x->slots[2 * i + 1] - 1;
		return 1;
	}
	if (x->count >= x->max || item >= CATIDX_NONE - 1)
		return -1;
	x->slots[2 * i] = (uint32_t)(h >> 32);
	x->slots[2 * i + 1] = item + 1;
	x->count++;
	return 0;
}

size_t
catidx_size(const struct catidx *x)
{
	return x != NULL ? sizeof *x + x->cap * 2 * sizeof *x->slots : 0;
}

void
catidx_free(struct catidx *x)
{
	if (x == NULL)
		return;
	free(x->slots);
	free(x);
}

#define ARENA_BLOCK 65536

struct block {
	struct block *next;
	size_t used, cap;
	max_align_t data[];
};

struct catarena {
	struct block *head;
	size_t total;
};

struct catarena *
catarena_new(void)
{
	return calloc(1, sizeof(struct catarena));
}

/* len octets (at least 1) at a multiple of align from the block's start. */
static void *
arena_get(struct catarena *a, size_t len, size_t align)
{
	struct block *b = a->head;
	size_t need = len ? len : 1, at = 0;
	void *p;

	if (b != NULL)
		at = (b->used + align - 1) / align * align;
	if (b == NULL || at > b->cap || b->cap - at < need) {
		size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;

		b = malloc(sizeof *b + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
		a->total += sizeof *b + cap;
		at = 0;
	}
	p = (char *)b->data + at;
	b->used = at + need;
	memset(p, 0, need);
	return p;
}

void *
catarena_alloc(struct catarena *a, size_t len)
{
	return arena_get(a, len, sizeof(max_align_t));
}

void *
catarena_bytes(struct catarena *a, size_t len)
{
	return arena_get(a, len, 1);
}

char *
catarena_strndup(struct catarena *a, const void *s, size_t len)
{
	char *p = catarena_bytes(a, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t
catarena_size(const struct catarena *a)
{
	return a->total;
}

void
catarena_free(struct catarena *a)
{
	struct block *b, *n;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = n) {
		n = b->next;
		free(b);
	}
	free(a);
}
