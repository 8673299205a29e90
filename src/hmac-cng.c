/* HMAC with Windows CNG (bcrypt): MD5, SHA-1, SHA-256, SHA-384, SHA-512; CNG has no SHA-224. */
#include "hmac.h"

#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <bcrypt.h>

struct hmac {
	enum hmac_alg alg;
	BCRYPT_HASH_HANDLE hash;
	int failed;
};

static const size_t lens[HMAC_ALG_COUNT] = { 16, 20, 28, 32, 48, 64 };
static const LPCWSTR cng_names[HMAC_ALG_COUNT] = {
	BCRYPT_MD5_ALGORITHM, BCRYPT_SHA1_ALGORITHM, NULL, BCRYPT_SHA256_ALGORITHM,
	BCRYPT_SHA384_ALGORITHM, BCRYPT_SHA512_ALGORITHM,
};
/* Provider handles are opened once and kept for the life of the process (CNG's advice: opening is costly). */
static BCRYPT_ALG_HANDLE providers[HMAC_ALG_COUNT];
static INIT_ONCE provider_once[HMAC_ALG_COUNT] = {
	INIT_ONCE_STATIC_INIT, INIT_ONCE_STATIC_INIT, INIT_ONCE_STATIC_INIT,
	INIT_ONCE_STATIC_INIT, INIT_ONCE_STATIC_INIT, INIT_ONCE_STATIC_INIT,
};

size_t
hmac_len(enum hmac_alg alg)
{
	return (unsigned)alg < HMAC_ALG_COUNT ? lens[alg] : 0;
}

static BOOL CALLBACK
open_provider(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	enum hmac_alg alg = (enum hmac_alg)(uintptr_t)param;
	BCRYPT_ALG_HANDLE h = NULL;

	(void)once;
	(void)ctx;
	if (cng_names[alg] != NULL &&
	    BCryptOpenAlgorithmProvider(&h, cng_names[alg], NULL, BCRYPT_ALG_HANDLE_HMAC_FLAG) == 0)
		providers[alg] = h;
	return TRUE;
}

static BCRYPT_ALG_HANDLE
provider(enum hmac_alg alg)
{
	if ((unsigned)alg >= HMAC_ALG_COUNT)
		return NULL;
	InitOnceExecuteOnce(&provider_once[alg], open_provider, (PVOID)(uintptr_t)alg, NULL);
	return providers[alg];
}

int
hmac_supported(enum hmac_alg alg)
{
	return provider(alg) != NULL;
}

const char *
hmac_provider(void)
{
	return "CNG";
}

struct hmac *
hmac_new(enum hmac_alg alg, const uint8_t *key, size_t keylen)
{
	BCRYPT_ALG_HANDLE p = provider(alg);
	struct hmac *h;

	if (p == NULL || keylen > 0xffffffffu || (h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->alg = alg;
	/* CNG hashes a key longer than the block itself, as RFC 2104 says */
	if (BCryptCreateHash(p, &h->hash, NULL, 0, (PUCHAR)key, (ULONG)keylen, 0) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

void
hmac_add(struct hmac *h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0 && !h->failed) {
		ULONG n = len > 0x40000000u ? 0x40000000u : (ULONG)len;

		if (BCryptHashData(h->hash, (PUCHAR)p, n, 0) != 0)
			h->failed = 1;
		p += n;
		len -= n;
	}
}

size_t
hmac_finish(struct hmac *h, uint8_t out[HMAC_MAX_LEN])
{
	size_t n = hmac_len(h->alg);
	int failed = h->failed;

	if (failed || BCryptFinishHash(h->hash, out, (ULONG)n, 0) != 0)
		failed = 1;
	h->failed = 1;   /* finished: no further use but hmac_free */
	return failed ? 0 : n;
}

void
hmac_free(struct hmac *h)
{
	if (h == NULL)
		return;
	BCryptDestroyHash(h->hash);
	free(h);
}
