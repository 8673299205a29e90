/* TSIG (RFC 8945): keys as plain data, signing and verifying of requests, replies and multi-message answers. */
#ifndef MSDNS_TSIG_H
#define MSDNS_TSIG_H

#include <stddef.h>
#include <stdint.h>

#include "hmac.h"
#include "wire.h"

#define TSIG_FUDGE 300            /* seconds, as BIND, Knot and dnspython sign */
#define TSIG_SECRET_MIN 16        /* octets: shorter secrets are refused */
#define TSIG_SECRET_MAX 512
#define TSIG_MAX_UNSIGNED 99      /* §5.3.1: at most this many unsigned messages between signed ones */
/* Room a TSIG record can take at the end of a message: names, fixed fields, MAC, 6 octets of other data. */
#define TSIG_RR_MAX (2 * WIRE_NAME_MAX + 10 + 16 + HMAC_MAX_LEN + 6)

/* TSIG error values (the record's Error field, RFC 8945 §3). */
enum { TSIG_E_BADSIG = 16, TSIG_E_BADKEY = 17, TSIG_E_BADTIME = 18, TSIG_E_BADTRUNC = 22 };

struct tsig_key {
	uint8_t name[WIRE_NAME_MAX];  /* canonical: lower case, uncompressed wire form */
	size_t name_len;
	enum hmac_alg alg;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
};

enum tsig_status {
	TSIG_OK,
	TSIG_UNSIGNED,       /* no TSIG where one is needed (a request: simply unsigned) */
	TSIG_FORMERR,        /* malformed, misplaced or repeated TSIG, or a MAC size §5.2.2.1 forbids */
	TSIG_BADKEY,         /* a key we do not have, or another algorithm than the key's */
	TSIG_BADSIG,         /* the MAC does not verify */
	TSIG_BADTIME,        /* signed outside now ± fudge */
	TSIG_PEER_ERROR,     /* the peer answered with a TSIG error (BADKEY, BADSIG, BADTIME...) */
	TSIG_TOO_MANY_UNSIGNED, /* more than TSIG_MAX_UNSIGNED unsigned messages in a row, or ended unsigned */
	TSIG_INTERNAL,       /* the crypto provider failed */
};

/* A short lower-case name for a status ("ok", "bad signature", ...). */
const char *tsig_status_name(enum tsig_status s);
/* The name of a TSIG error value ("BADSIG", ...; buf for unnamed ones). */
const char *tsig_error_name(unsigned error, char *buf, size_t len);

/* The configuration name of alg ("hmac-sha256"). */
const char *tsig_alg_name(enum hmac_alg alg);
/* alg from a configuration or dig name: hmac-md5, hmac-sha1 ... hmac-sha512, case-insensitive, a trailing
 * dot and hmac-md5.sig-alg.reg.int allowed. Returns 0, or -1 when unknown. */
int tsig_alg_from_name(const char *text, enum hmac_alg *alg);
/* Decode base64 text (white space ignored, padding checked) into out. Returns the length, or -1 when
 * the text is not base64 or longer than max. */
long tsig_base64_decode(const char *text, uint8_t *out, size_t max);
/* Fill k from text: name (trailing dot optional), algorithm name, base64 secret of at least
 * TSIG_SECRET_MIN octets. Returns 0, or -1 with a reason in err that never holds the secret. */
int tsig_key_init(struct tsig_key *k, const char *name, const char *alg, const char *secret_b64, char *err,
    size_t errlen);
/* Fill k from dig's -y form "[alg:]name:secret" (alg defaults to hmac-sha256). As tsig_key_init. */
int tsig_key_from_spec(struct tsig_key *k, const char *spec, char *err, size_t errlen);
/* Fill k from the first key in a key file's text: an INI section [tsigkey:NAME] with algorithm = and
 * secret = lines, or BIND's key "NAME" { algorithm ALG; secret "BASE64"; }; (as tsig-keygen prints it).
 * As tsig_key_init. */
int tsig_key_from_file_text(struct tsig_key *k, const char *text, char *err, size_t errlen);
/* The key's name as text with a trailing dot, into out (WIRE_NAME_TEXT_MAX is enough). Returns out. */
char *tsig_key_name(const struct tsig_key *k, char *out, size_t outlen);

/* ---- Client side: one request and its answer of one or many messages (zone transfers). ---- */
struct tsig_ctx;

/* A context for a request signed with key (copied). NULL when memory is short or the platform lacks
 * the key's algorithm. Free with tsig_ctx_free. */
struct tsig_ctx *tsig_ctx_new(const struct tsig_key *key);
/* Append a TSIG record signed at time now (seconds since the epoch) to the request msg of len octets,
 * in a buffer of cap, and count it in ARCOUNT; the context keeps its MAC and expects the answer next.
 * Returns the new length, 0 when it does not fit or the crypto failed. */
size_t tsig_sign_request(struct tsig_ctx *t, uint8_t *msg, size_t len, size_t cap, uint64_t now);
/* Check the next message of the answer, in order. The first must be signed and digests the request MAC;
 * each later signed one digests the previous MAC and the unsigned messages since (§5.3.1). Returns
 * TSIG_OK (also for a tolerated unsigned one) or the failure, which sticks for later calls. */
enum tsig_status tsig_verify_next(struct tsig_ctx *t, const uint8_t *msg, size_t len, uint64_t now);
/* After the answer's last message: TSIG_OK when every check passed and the last message was signed. */
enum tsig_status tsig_verify_end(const struct tsig_ctx *t);
/* The TSIG error field of the last signed or error message seen (0 when none). */
unsigned tsig_ctx_peer_error(const struct tsig_ctx *t);
/* The number of answer messages checked so far and how many of them were signed. */
void tsig_ctx_counts(const struct tsig_ctx *t, unsigned *messages, unsigned *signed_messages);
void tsig_ctx_free(struct tsig_ctx *t);

/* ---- Server side: what a request's TSIG said, kept (plain data) until its reply is signed. ---- */
struct tsig_req {
	enum tsig_status status;      /* TSIG_UNSIGNED when the request had none */
	const struct tsig_key *key;   /* the verified key (OK, BADTIME); it must outlive the request */
	uint16_t error;               /* the error the reply carries: 0, BADSIG, BADKEY or BADTIME */
	uint64_t time;                /* the request's time signed */
	uint16_t fudge;
	uint16_t mac_len;
	uint8_t mac[HMAC_MAX_LEN];
	uint8_t key_name[WIRE_NAME_MAX];   /* as the request named them, lower case */
	size_t key_name_len;
	uint8_t alg_name[WIRE_NAME_MAX];
	size_t alg_name_len;
};

/* Check a request's TSIG against keys[0..n) at time now (§5.2: key, then MAC, then time) and fill r.
 * Returns r->status: TSIG_OK, TSIG_UNSIGNED, or why it failed. */
enum tsig_status tsig_verify_request(const struct tsig_key *keys, size_t n, const uint8_t *msg, size_t len,
    uint64_t now, struct tsig_req *r);
/* Append the TSIG record r calls for to the reply msg (len octets, buffer of cap): signed over the request
 * MAC when the key verified (with our time as other data for BADTIME), unsigned with the error for
 * BADKEY and BADSIG. Returns the new length, 0 when it does not fit, the crypto failed, or r->status is
 * TSIG_UNSIGNED or TSIG_FORMERR (no TSIG to give). */
size_t tsig_sign_reply(const struct tsig_req *r, uint8_t *msg, size_t len, size_t cap, uint64_t now);
/* A context to sign a multi-message answer to the verified request r (a test server's AXFR). NULL when
 * r did not verify or memory is short. Free with tsig_ctx_free. */
struct tsig_ctx *tsig_ctx_for_reply(const struct tsig_req *r);
/* Digest the next answer message msg and, when sign (always for the first), append its TSIG record.
 * Returns the new length (len when unsigned), 0 when it does not fit or the crypto failed. */
size_t tsig_sign_next(struct tsig_ctx *t, uint8_t *msg, size_t len, size_t cap, uint64_t now, int sign);

/* ---- Hooks with the signatures of xfr's struct xfr_tsig (key: a const struct tsig_key *), at the clock's
 * time: { tsig_hook_sign, tsig_hook_verify, tsig_hook_free, &key }. ---- */
/* Sign the query; *vctx receives the context verifying its answer. Returns the new length, 0 on failure. */
size_t tsig_hook_sign(void *key, uint8_t *buf, size_t len, size_t cap, void **vctx);
/* Verify the next answer message (last: it ends the answer). Returns 0, or -1 with why filled. */
int tsig_hook_verify(void *vctx, const uint8_t *msg, size_t len, int last, char *why, size_t whylen);
void tsig_hook_free(void *vctx);

#endif
