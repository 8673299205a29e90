/* HMAC with nettle (Linux and other POSIX builds). */
#include "hmac.h"

#include <stdlib.h>
#include <string.h>

#include <nettle/hmac.h>

struct hmac {
	enum hmac_alg alg;
	union {
		struct hmac_md5_ctx md5;
		struct hmac_sha1_ctx sha1;
		struct hmac_sha224_ctx sha224;
		struct hmac_sha256_ctx sha256;
		struct hmac_sha384_ctx sha384;
		struct hmac_sha512_ctx sha512;
	} u;
};

static const size_t lens[HMAC_ALG_COUNT] = { 16, 20, 28, 32, 48, 64 };

size_t
hmac_len(enum hmac_alg alg)
{
	return (unsigned)alg < HMAC_ALG_COUNT ? lens[alg] : 0;
}

int
hmac_supported(enum hmac_alg alg)
{
	return (unsigned)alg < HMAC_ALG_COUNT;
}

const char *
hmac_provider(void)
{
	return "nettle";
}

struct hmac *
hmac_new(enum hmac_alg alg, const uint8_t *key, size_t keylen)
{
	struct hmac *h;

	if (!hmac_supported(alg) || (h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->alg = alg;
	switch (alg) {
	case HMAC_MD5: hmac_md5_set_key(&h->u.md5, keylen, key); break;
	case HMAC_SHA1: hmac_sha1_set_key(&h->u.sha1, keylen, key); break;
	case HMAC_SHA224: hmac_sha224_set_key(&h->u.sha224, keylen, key); break;
	case HMAC_SHA256: hmac_sha256_set_key(&h->u.sha256, keylen, key); break;
	case HMAC_SHA384: hmac_sha384_set_key(&h->u.sha384, keylen, key); break;
	case HMAC_SHA512: hmac_sha512_set_key(&h->u.sha512, keylen, key); break;
	default: break;
	}
	return h;
}

void
hmac_add(struct hmac *h, const void *data, size_t len)
{
	const uint8_t *p = data;

	switch (h->alg) {
	case HMAC_MD5: hmac_md5_update(&h->u.md5, len, p); break;
	case HMAC_SHA1: hmac_sha1_update(&h->u.sha1, len, p); break;
	case HMAC_SHA224: hmac_sha224_update(&h->u.sha224, len, p); break;
	case HMAC_SHA256: hmac_sha256_update(&h->u.sha256, len, p); break;
	case HMAC_SHA384: hmac_sha384_update(&h->u.sha384, len, p); break;
	case HMAC_SHA512: hmac_sha512_update(&h->u.sha512, len, p); break;
	default: break;
	}
}

size_t
hmac_finish(struct hmac *h, uint8_t out[HMAC_MAX_LEN])
{
	size_t n = hmac_len(h->alg);

	switch (h->alg) {
	case HMAC_MD5: hmac_md5_digest(&h->u.md5, n, out); break;
	case HMAC_SHA1: hmac_sha1_digest(&h->u.sha1, n, out); break;
	case HMAC_SHA224: hmac_sha224_digest(&h->u.sha224, n, out); break;
	case HMAC_SHA256: hmac_sha256_digest(&h->u.sha256, n, out); break;
	case HMAC_SHA384: hmac_sha384_digest(&h->u.sha384, n, out); break;
	case HMAC_SHA512: hmac_sha512_digest(&h->u.sha512, n, out); break;
	default: return 0;
	}
	return n;
}

void
hmac_free(struct hmac *h)
{
	if (h == NULL)
		return;
	memset(h, 0, sizeof *h);   /* the keyed state: not left in freed memory */
	free(h);
}
