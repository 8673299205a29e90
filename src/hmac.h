/* HMAC behind one small interface; the platform's crypto (nettle or Windows CNG) is chosen by file in meson. */
#ifndef MSDNS_HMAC_H
#define MSDNS_HMAC_H

#include <stddef.h>
#include <stdint.h>

enum hmac_alg { HMAC_MD5, HMAC_SHA1, HMAC_SHA224, HMAC_SHA256, HMAC_SHA384, HMAC_SHA512, HMAC_ALG_COUNT };

#define HMAC_MAX_LEN 64   /* the longest output (SHA-512) */

struct hmac;

/* Output length in octets of alg (0 for a value out of range). */
size_t hmac_len(enum hmac_alg alg);
/* Whether this platform's crypto provides alg (nettle: all six; CNG: all but SHA-224). */
int hmac_supported(enum hmac_alg alg);
/* The name of the crypto behind this interface, e.g. "nettle" or "CNG". */
const char *hmac_provider(void);
/* A new HMAC of alg keyed with key. Returns NULL when alg is unsupported or memory is short;
 * the caller frees it with hmac_free. */
struct hmac *hmac_new(enum hmac_alg alg, const uint8_t *key, size_t keylen);
/* Add len octets to the digest. */
void hmac_add(struct hmac *h, const void *data, size_t len);
/* Write the MAC to out (hmac_len(alg) octets); afterwards h may only be freed. Returns its length,
 * 0 on a provider failure. */
size_t hmac_finish(struct hmac *h, uint8_t out[HMAC_MAX_LEN]);
void hmac_free(struct hmac *h);

#endif
