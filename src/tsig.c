/* TSIG (RFC 8945): keys as plain data, signing and verifying of requests, replies and multi-message answers. */
#include "tsig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The algorithm names as they appear in TSIG records (§6), uncompressed, and in configuration. */
static const struct {
	const char *conf;
	const char *wire_text;
} algs[HMAC_ALG_COUNT] = {
	[HMAC_MD5] = { "hmac-md5", "hmac-md5.sig-alg.reg.int." },
	[HMAC_SHA1] = { "hmac-sha1", "hmac-sha1." },
	[HMAC_SHA224] = { "hmac-sha224", "hmac-sha224." },
	[HMAC_SHA256] = { "hmac-sha256", "hmac-sha256." },
	[HMAC_SHA384] = { "hmac-sha384", "hmac-sha384." },
	[HMAC_SHA512] = { "hmac-sha512", "hmac-sha512." },
};

struct tsig_ctx {
	struct tsig_key key;
	struct hmac *run;          /* digesting since the last MAC: prior MAC, then messages */
	uint8_t mac[HMAC_MAX_LEN]; /* the last MAC (request's, or the last signed message's) */
	uint16_t mac_len;
	unsigned messages, signed_messages, unsigned_run;
	unsigned peer_error;
	enum tsig_status failed;   /* sticky */
	int expect_answer;         /* the request was signed (client) or the reply stream started (server) */
};

const char *
tsig_status_name(enum tsig_status s)
{
	switch (s) {
	case TSIG_OK: return "ok";
	case TSIG_UNSIGNED: return "unsigned";
	case TSIG_FORMERR: return "malformed TSIG";
	case TSIG_BADKEY: return "bad key";
	case TSIG_BADSIG: return "bad signature";
	case TSIG_BADTIME: return "bad time";
	case TSIG_PEER_ERROR: return "peer reported a TSIG error";
	case TSIG_TOO_MANY_UNSIGNED: return "too many unsigned messages";
	case TSIG_INTERNAL: return "crypto failure";
	}
	return "?";
}

const char *
tsig_error_name(unsigned error, char *buf, size_t len)
{
	switch (error) {
	case 0: return "NOERROR";
	case TSIG_E_BADSIG: return "BADSIG";
	case TSIG_E_BADKEY: return "BADKEY";
	case TSIG_E_BADTIME: return "BADTIME";
	case TSIG_E_BADTRUNC: return "BADTRUNC";
	default:
		snprintf(buf, len, "TSIGERROR%u", error);
		return buf;
	}
}

const char *
tsig_alg_name(enum hmac_alg alg)
{
	return (unsigned)alg < HMAC_ALG_COUNT ? algs[alg].conf : "?";
}

int
tsig_alg_from_name(const char *text, enum hmac_alg *alg)
{
	char buf[64];
	size_t n = strlen(text), i;

	if (n == 0 || n >= sizeof buf)
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)text[i]);
	buf[n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	if (strcmp(buf, "hmac-md5.sig-alg.reg.int") == 0) {
		*alg = HMAC_MD5;
		return 0;
	}
	for (i = 0; i < HMAC_ALG_COUNT; i++) {
		if (strcmp(buf, algs[i].conf) == 0) {
			*alg = (enum hmac_alg)i;
			return 0;
		}
	}
	return -1;
}

/* The algorithm a wire name (any case) stands for. Returns 0, or -1 when unknown. */
static int
alg_from_wire(const uint8_t *name, size_t len, enum hmac_alg *alg)
{
	static const struct {
		const char *wire;   /* uncompressed, lower case */
		size_t len;
		enum hmac_alg alg;
	} names[] = {
		{ "\010hmac-md5\007sig-alg\003reg\003int", 26, HMAC_MD5 },
		{ "\010hmac-md5", 10, HMAC_MD5 },
		{ "\011hmac-sha1", 11, HMAC_SHA1 },
		{ "\013hmac-sha224", 13, HMAC_SHA224 },
		{ "\013hmac-sha256", 13, HMAC_SHA256 },
		{ "\013hmac-sha384", 13, HMAC_SHA384 },
		{ "\013hmac-sha512", 13, HMAC_SHA512 },
	};
	size_t i, j;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (len != names[i].len)
			continue;
		for (j = 0; j < len; j++)   /* length octets are below 'A': tolower leaves them alone */
			if (tolower(name[j]) != (unsigned char)names[i].wire[j])
				break;
		if (j == len) {
			*alg = names[i].alg;
			return 0;
		}
	}
	return -1;
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
tsig_base64_decode(const char *text, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	size_t n = 0, chars = 0, pad = 0;
	const char *p;

	for (p = text; *p; p++) {
		int c = (unsigned char)*p, v;

		if (isspace(c))
			continue;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) < 0)
			return -1;   /* data after padding, or not base64 */
		acc = acc << 6 | (uint32_t)v;
		chars++;
		if (chars % 4 == 0) {
			if (n + 3 > max)
				return -1;
			out[n++] = (uint8_t)(acc >> 16);
			out[n++] = (uint8_t)(acc >> 8);
			out[n++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (chars % 4 != 0 || pad > 2)
		return -1;
	if (pad > 0) {
		/* the last group held 4 - pad symbols: 2 symbols give 1 octet, 3 give 2 */
		size_t k = 4 - pad, bytes = k - 1;

		acc <<= 6 * pad;
		if (n + bytes > max)
			return -1;
		out[n++] = (uint8_t)(acc >> 16);
		if (bytes == 2)
			out[n++] = (uint8_t)(acc >> 8);
		if ((bytes == 1 && (acc & 0xffff)) || (bytes == 2 && (acc & 0xff)))
			return -1;   /* non-zero padding bits: not canonical */
	}
	return (long)n;
}

/* Lower-case a wire name in place (RFC 8945 §4.3.3: canonical form). */
static void
name_lower(uint8_t *name, size_t len)
{
	size_t i = 0;

	while (i < len && name[i] != 0) {
		size_t l = name[i++], j;

		for (j = 0; j < l && i < len; j++, i++)
			name[i] = (uint8_t)tolower(name[i]);
	}
}

int
tsig_key_init(struct tsig_key *k, const char *name, const char *alg, const char *secret_b64, char *err,
    size_t errlen)
{
	long n;

	memset(k, 0, sizeof *k);
	if ((k->name_len = wire_name_from_text(name, k->name)) == 0 || k->name_len == 1) {
		snprintf(err, errlen, "the key name is not a valid domain name");
		return -1;
	}
	name_lower(k->name, k->name_len);
	if (tsig_alg_from_name(alg, &k->alg) != 0) {
		snprintf(err, errlen, "unknown algorithm (one of hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, "
		    "hmac-sha384, hmac-sha512)");
		return -1;
	}
	if (!hmac_supported(k->alg)) {
		snprintf(err, errlen, "algorithm %s is not provided by this platform's crypto (%s)",
		    tsig_alg_name(k->alg), hmac_provider());
		return -1;
	}
	n = tsig_base64_decode(secret_b64, k->secret, sizeof k->secret);
	if (n < 0) {
		memset(k->secret, 0, sizeof k->secret);
		snprintf(err, errlen, "the secret is not base64 (or longer than %d octets)", TSIG_SECRET_MAX);
		return -1;
	}
	if (n < TSIG_SECRET_MIN) {
		memset(k->secret, 0, sizeof k->secret);
		snprintf(err, errlen, "the secret is %ld octets; at least %d are needed", n, TSIG_SECRET_MIN);
		return -1;
	}
	k->secret_len = (size_t)n;
	return 0;
}

int
tsig_key_from_spec(struct tsig_key *k, const char *spec, char *err, size_t errlen)
{
	char buf[1024], *first, *second, *third;
	int r;

	if (strlen(spec) >= sizeof buf) {
		snprintf(err, errlen, "the key is too long");
		return -1;
	}
	memcpy(buf, spec, strlen(spec) + 1);
	first = buf;
	if ((second = strchr(first, ':')) == NULL) {
		snprintf(err, errlen, "expected [algorithm:]name:secret");
		return -1;
	}
	*second++ = '\0';
	if ((third = strchr(second, ':')) != NULL) {
		*third++ = '\0';
		r = tsig_key_init(k, second, first, third, err, errlen);
	} else {
		r = tsig_key_init(k, first, "hmac-sha256", second, err, errlen);
	}
	memset(buf, 0, sizeof buf);
	return r;
}

/* Copy the next token of a BIND key clause at *p into out: a quoted string, one of { } ;, or a word. Returns
 * 0, or -1 at the end of the text or when the token is too long. */
static int
bind_token(const char **p, char *out, size_t outlen)
{
	const char *s = *p;
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			while (*s && *s != '\n')
				s++;
			continue;
		}
		break;
	}
	if (*s == '\0')
		return -1;
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = *s;
		}
		if (*s == '"')
			s++;
	} else if (strchr("{};", *s)) {
		out[n++] = *s++;
	} else {
		while (*s && !isspace((unsigned char)*s) && !strchr("{};\"", *s)) {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	*p = s;
	return 0;
}

/* The key in BIND's key "NAME" { algorithm ALG; secret "B64"; }; at text. */
static int
key_from_bind(struct tsig_key *k, const char *text, char *err, size_t errlen)
{
	char tok[1024], name[WIRE_NAME_TEXT_MAX] = "", alg[64] = "", secret[1024] = "";
	const char *p = text;
	int r;

	while (bind_token(&p, tok, sizeof tok) == 0 && strcmp(tok, "key") != 0)
		;
	if (bind_token(&p, name, sizeof name) != 0 || bind_token(&p, tok, sizeof tok) != 0 || strcmp(tok, "{") != 0) {
		snprintf(err, errlen, "expected key \"NAME\" { ... }");
		return -1;
	}
	while (bind_token(&p, tok, sizeof tok) == 0 && strcmp(tok, "}") != 0) {
		char *dst = strcmp(tok, "algorithm") == 0 ? alg : strcmp(tok, "secret") == 0 ? secret : NULL;
		size_t dlen = dst == alg ? sizeof alg : sizeof secret;

		if (dst == NULL || bind_token(&p, dst, dlen) != 0 || bind_token(&p, tok, sizeof tok) != 0 ||
		    strcmp(tok, ";") != 0) {
			snprintf(err, errlen, "key clause: expected algorithm ALG; and secret \"BASE64\";");
			memset(secret, 0, sizeof secret);
			return -1;
		}
	}
	r = tsig_key_init(k, name, alg[0] ? alg : "hmac-md5", secret, err, errlen);
	memset(secret, 0, sizeof secret);
	memset(tok, 0, sizeof tok);
	return r;
}

/* The key in an INI section [tsigkey:NAME] with algorithm = and secret = lines. */
static int
key_from_ini(struct tsig_key *k, const char *section, char *err, size_t errlen)
{
	char name[WIRE_NAME_TEXT_MAX], alg[64] = "hmac-sha256", secret[1024] = "", line[1200];
	const char *p = section + strlen("[tsigkey:"), *e = strchr(p, ']');
	int r;

	if (e == NULL || (size_t)(e - p) >= sizeof name || e == p) {
		snprintf(err, errlen, "expected [tsigkey:NAME]");
		return -1;
	}
	memcpy(name, p, (size_t)(e - p));
	name[e - p] = '\0';
	p = strchr(e, '\n');
	while (p != NULL && *p) {
		const char *end = strchr(++p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *eq, *key, *val, *t;

		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		p = end;
		for (key = line; isspace((unsigned char)*key); key++)
			;
		if (*key == '[')
			break;   /* the next section */
		if (*key == '#' || *key == ';' || (eq = strchr(key, '=')) == NULL)
			continue;
		*eq = '\0';
		for (t = eq; t > key && isspace((unsigned char)t[-1]); t--)
			t[-1] = '\0';
		for (val = eq + 1; isspace((unsigned char)*val); val++)
			;
		for (t = val + strlen(val); t > val && isspace((unsigned char)t[-1]); t--)
			t[-1] = '\0';
		if (strcmp(key, "algorithm") == 0)
			snprintf(alg, sizeof alg, "%s", val);
		else if (strcmp(key, "secret") == 0)
			snprintf(secret, sizeof secret, "%s", val);
	}
	r = tsig_key_init(k, name, alg, secret, err, errlen);
	memset(secret, 0, sizeof secret);
	memset(line, 0, sizeof line);
	return r;
}

int
tsig_key_from_file_text(struct tsig_key *k, const char *text, char *err, size_t errlen)
{
	const char *sec = strstr(text, "[tsigkey:");

	if (sec != NULL)
		return key_from_ini(k, sec, err, errlen);
	if (strstr(text, "key") != NULL && strchr(text, '{') != NULL)
		return key_from_bind(k, text, err, errlen);
	snprintf(err, errlen, "no [tsigkey:NAME] section and no key \"NAME\" { } clause");
	return -1;
}

char *
tsig_key_name(const struct tsig_key *k, char *out, size_t outlen)
{
	return wire_name_to_text(k->name, k->name_len, out, outlen);
}

/* The algorithm's name in TSIG records, as a wire name. */
static size_t
alg_wire(enum hmac_alg alg, uint8_t out[WIRE_NAME_MAX])
{
	return wire_name_from_text(algs[alg].wire_text, out);
}

/* Digest the message buf[0..end) as it was before the TSIG record was added: original id, ARCOUNT less one
 * when the record was counted (§4.3.1). */
static void
digest_message(struct hmac *h, const uint8_t *buf, size_t end, int had_tsig, uint16_t orig_id)
{
	uint8_t hdr[WIRE_HDR_LEN];

	memcpy(hdr, buf, WIRE_HDR_LEN);
	if (had_tsig) {
		uint16_t ar = (uint16_t)(hdr[10] << 8 | hdr[11]);

		ar--;
		hdr[0] = (uint8_t)(orig_id >> 8);
		hdr[1] = (uint8_t)orig_id;
		hdr[10] = (uint8_t)(ar >> 8);
		hdr[11] = (uint8_t)ar;
	}
	hmac_add(h, hdr, WIRE_HDR_LEN);
	hmac_add(h, buf + WIRE_HDR_LEN, end - WIRE_HDR_LEN);
}

/* The TSIG variables (§4.3.3): the full set, or only the timers (§4.3.1, later messages of an answer). */
struct tsig_vars {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *alg;
	size_t alg_len;
	uint64_t time;
	uint16_t fudge, error, other_len;
	const uint8_t *other;
};

static void
digest_vars(struct hmac *h, const struct tsig_vars *v, int timers_only)
{
	uint8_t b[WIRE_NAME_MAX * 2 + 32];
	struct wire_wr w;

	wire_wr_init(&w, b, sizeof b, 0);
	if (!timers_only) {
		wire_put_bytes(&w, v->key, v->key_len);
		wire_put_u16(&w, 255);   /* class ANY */
		wire_put_u32(&w, 0);     /* TTL */
		wire_put_bytes(&w, v->alg, v->alg_len);
	}
	wire_put_u48(&w, v->time);
	wire_put_u16(&w, v->fudge);
	if (!timers_only) {
		wire_put_u16(&w, v->error);
		wire_put_u16(&w, v->other_len);
	}
	hmac_add(h, b, w.pos);
	if (!timers_only && v->other_len > 0)
		hmac_add(h, v->other, v->other_len);
}

/* Append a TSIG record with v and mac to msg (len octets, cap in all) and count it in ARCOUNT. Returns the
 * new length, 0 when it does not fit or ARCOUNT is full. */
static size_t
append_tsig(uint8_t *msg, size_t len, size_t cap, const struct tsig_vars *v, uint16_t orig_id,
    const uint8_t *mac, uint16_t mac_len)
{
	struct wire_wr w;
	size_t rdlen = v->alg_len + 6 + 2 + 2 + mac_len + 2 + 2 + 2 + v->other_len;
	uint16_t ar;

	if (len < WIRE_HDR_LEN)
		return 0;
	ar = (uint16_t)(msg[10] << 8 | msg[11]);
	if (ar == 0xffff || rdlen > 0xffff)
		return 0;
	wire_wr_init(&w, msg, cap, len);
	wire_put_bytes(&w, v->key, v->key_len);
	wire_put_u16(&w, WIRE_TYPE_TSIG);
	wire_put_u16(&w, 255);
	wire_put_u32(&w, 0);
	wire_put_u16(&w, (uint16_t)rdlen);
	wire_put_bytes(&w, v->alg, v->alg_len);
	wire_put_u48(&w, v->time);
	wire_put_u16(&w, v->fudge);
	wire_put_u16(&w, mac_len);
	wire_put_bytes(&w, mac, mac_len);
	wire_put_u16(&w, orig_id);
	wire_put_u16(&w, v->error);
	wire_put_u16(&w, v->other_len);
	wire_put_bytes(&w, v->other, v->other_len);
	if (w.err)
		return 0;
	ar++;
	msg[10] = (uint8_t)(ar >> 8);
	msg[11] = (uint8_t)ar;
	return w.pos;
}

/* Compare n octets in time that depends only on n. Returns 0 when equal. */
static int
ct_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
	volatile uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d != 0;
}

/* §5.2.2.1: a MAC longer than the hash, or shorter than the larger of 10 octets and half the hash, is
 * malformed. */
static int
mac_len_ok(enum hmac_alg alg, uint16_t mac_len)
{
	size_t full = hmac_len(alg), min = full / 2 > 10 ? full / 2 : 10;

	return mac_len <= full && mac_len >= min;
}

static int
time_ok(uint64_t signed_at, uint16_t fudge, uint64_t now)
{
	uint64_t d = signed_at > now ? signed_at - now : now - signed_at;

	return d <= fudge;
}

/* Start a new running digest keyed with t's key, seeded with the prior MAC (§4.3.2: length, then MAC). */
static int
restart_run(struct tsig_ctx *t)
{
	uint8_t len[2] = { (uint8_t)(t->mac_len >> 8), (uint8_t)t->mac_len };

	hmac_free(t->run);
	t->run = hmac_new(t->key.alg, t->key.secret, t->key.secret_len);
	if (t->run == NULL)
		return -1;
	hmac_add(t->run, len, 2);
	hmac_add(t->run, t->mac, t->mac_len);
	return 0;
}

struct tsig_ctx *
tsig_ctx_new(const struct tsig_key *key)
{
	struct tsig_ctx *t;

	if (!hmac_supported(key->alg) || (t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->key = *key;
	name_lower(t->key.name, t->key.name_len);
	return t;
}

void
tsig_ctx_free(struct tsig_ctx *t)
{
	if (t == NULL)
		return;
	hmac_free(t->run);
	memset(t, 0, sizeof *t);
	free(t);
}

size_t
tsig_sign_request(struct tsig_ctx *t, uint8_t *msg, size_t len, size_t cap, uint64_t now)
{
	uint8_t alg[WIRE_NAME_MAX], mac[HMAC_MAX_LEN];
	struct tsig_vars v = { t->key.name, t->key.name_len, alg, 0, now, TSIG_FUDGE, 0, 0, NULL };
	struct hmac *h;
	size_t maclen, out;
	uint16_t id;

	if (len < WIRE_HDR_LEN)
		return 0;
	v.alg_len = alg_wire(t->key.alg, alg);
	if ((h = hmac_new(t->key.alg, t->key.secret, t->key.secret_len)) == NULL)
		return 0;
	digest_message(h, msg, len, 0, 0);
	digest_vars(h, &v, 0);
	maclen = hmac_finish(h, mac);
	hmac_free(h);
	if (maclen == 0)
		return 0;
	id = (uint16_t)(msg[0] << 8 | msg[1]);
	if ((out = append_tsig(msg, len, cap, &v, id, mac, (uint16_t)maclen)) == 0)
		return 0;
	memcpy(t->mac, mac, maclen);
	t->mac_len = (uint16_t)maclen;
	t->messages = t->signed_messages = t->unsigned_run = 0;
	t->peer_error = 0;
	t->failed = TSIG_OK;
	t->expect_answer = 1;
	if (restart_run(t) != 0)
		return 0;
	return out;
}

static enum tsig_status
ctx_fail(struct tsig_ctx *t, enum tsig_status s)
{
	t->failed = s;
	return s;
}

enum tsig_status
tsig_verify_next(struct tsig_ctx *t, const uint8_t *msg, size_t len, uint64_t now)
{
	struct wire_tsig rr;
	uint8_t key[WIRE_NAME_MAX], mac[HMAC_MAX_LEN];
	struct tsig_vars v;
	enum hmac_alg alg;
	int first, found;

	if (t->failed != TSIG_OK)
		return t->failed;
	if (!t->expect_answer || t->run == NULL)
		return ctx_fail(t, TSIG_INTERNAL);
	first = t->messages == 0;
	t->messages++;
	found = wire_get_tsig(msg, len, &rr);
	if (found < 0)
		return ctx_fail(t, TSIG_FORMERR);
	if (found == 0) {
		/* §5.3.1: the first message is signed; later ones at least every 100th */
		if (first)
			return ctx_fail(t, TSIG_UNSIGNED);
		if (++t->unsigned_run > TSIG_MAX_UNSIGNED)
			return ctx_fail(t, TSIG_TOO_MANY_UNSIGNED);
		hmac_add(t->run, msg, len);
		return TSIG_OK;
	}
	memcpy(key, rr.key, rr.key_len);
	name_lower(key, rr.key_len);
	if (rr.key_len != t->key.name_len || memcmp(key, t->key.name, rr.key_len) != 0 ||
	    alg_from_wire(rr.alg, rr.alg_len, &alg) != 0 || alg != t->key.alg)
		return ctx_fail(t, TSIG_BADKEY);
	t->peer_error = rr.error;
	if (rr.error != 0 && rr.mac_len == 0)
		return ctx_fail(t, TSIG_PEER_ERROR);   /* an unsigned BADKEY/BADSIG answer */
	if (!mac_len_ok(alg, rr.mac_len))
		return ctx_fail(t, TSIG_FORMERR);
	digest_message(t->run, msg, rr.offset, 1, rr.orig_id);
	name_lower(rr.alg, rr.alg_len);
	v.key = key;
	v.key_len = rr.key_len;
	v.alg = rr.alg;
	v.alg_len = rr.alg_len;
	v.time = rr.time;
	v.fudge = rr.fudge;
	v.error = rr.error;
	v.other_len = rr.other_len;
	v.other = rr.other;
	digest_vars(t->run, &v, !first);
	if (hmac_finish(t->run, mac) == 0)
		return ctx_fail(t, TSIG_INTERNAL);
	if (ct_compare(mac, rr.mac, rr.mac_len) != 0)
		return ctx_fail(t, TSIG_BADSIG);
	if (rr.error != 0)
		return ctx_fail(t, TSIG_PEER_ERROR);   /* e.g. a signed BADTIME */
	if (!time_ok(rr.time, rr.fudge, now))
		return ctx_fail(t, TSIG_BADTIME);
	memcpy(t->mac, rr.mac, rr.mac_len);
	t->mac_len = rr.mac_len;
	t->signed_messages++;
	t->unsigned_run = 0;
	if (restart_run(t) != 0)
		return ctx_fail(t, TSIG_INTERNAL);
	return TSIG_OK;
}

enum tsig_status
tsig_verify_end(const struct tsig_ctx *t)
{
	if (t->failed != TSIG_OK)
		return t->failed;
	if (t->messages == 0)
		return TSIG_UNSIGNED;
	if (t->unsigned_run > 0)
		return TSIG_TOO_MANY_UNSIGNED;   /* §5.3.1: the last message is signed */
	return TSIG_OK;
}

unsigned
tsig_ctx_peer_error(const struct tsig_ctx *t)
{
	return t->peer_error;
}

void
tsig_ctx_counts(const struct tsig_ctx *t, unsigned *messages, unsigned *signed_messages)
{
	*messages = t->messages;
	*signed_messages = t->signed_messages;
}

enum tsig_status
tsig_verify_request(const struct tsig_key *keys, size_t n, const uint8_t *msg, size_t len, uint64_t now,
    struct tsig_req *r)
{
	struct wire_tsig rr;
	const struct tsig_key *k = NULL;
	uint8_t mac[HMAC_MAX_LEN];
	struct tsig_vars v;
	struct hmac *h;
	enum hmac_alg alg;
	size_t i;
	int found;

	memset(r, 0, sizeof *r);
	found = wire_get_tsig(msg, len, &rr);
	if (found == 0)
		return r->status = TSIG_UNSIGNED;
	if (found < 0)
		return r->status = TSIG_FORMERR;
	memcpy(r->key_name, rr.key, rr.key_len);
	r->key_name_len = rr.key_len;
	name_lower(r->key_name, r->key_name_len);
	memcpy(r->alg_name, rr.alg, rr.alg_len);
	r->alg_name_len = rr.alg_len;
	name_lower(r->alg_name, r->alg_name_len);
	r->time = rr.time;
	r->fudge = rr.fudge;
	/* §5.2.1: the key must be known and of the algorithm named */
	for (i = 0; i < n; i++) {
		if (keys[i].name_len == r->key_name_len && memcmp(keys[i].name, r->key_name, r->key_name_len) == 0) {
			k = &keys[i];
			break;
		}
	}
	if (k == NULL || alg_from_wire(rr.alg, rr.alg_len, &alg) != 0 || alg != k->alg) {
		r->error = TSIG_E_BADKEY;
		return r->status = TSIG_BADKEY;
	}
	/* §5.2.2 */
	if (!mac_len_ok(alg, rr.mac_len))
		return r->status = TSIG_FORMERR;
	if ((h = hmac_new(k->alg, k->secret, k->secret_len)) == NULL)
		return r->status = TSIG_INTERNAL;
	digest_message(h, msg, rr.offset, 1, rr.orig_id);
	v.key = r->key_name;
	v.key_len = r->key_name_len;
	v.alg = r->alg_name;
	v.alg_len = r->alg_name_len;
	v.time = rr.time;
	v.fudge = rr.fudge;
	v.error = rr.error;
	v.other_len = rr.other_len;
	v.other = rr.other;
	digest_vars(h, &v, 0);
	i = hmac_finish(h, mac);
	hmac_free(h);
	if (i == 0)
		return r->status = TSIG_INTERNAL;
	if (ct_compare(mac, rr.mac, rr.mac_len) != 0) {
		r->error = TSIG_E_BADSIG;
		return r->status = TSIG_BADSIG;
	}
	r->key = k;
	memcpy(r->mac, rr.mac, rr.mac_len);
	r->mac_len = rr.mac_len;
	/* §5.2.3 */
	if (!time_ok(rr.time, rr.fudge, now)) {
		r->error = TSIG_E_BADTIME;
		return r->status = TSIG_BADTIME;
	}
	return r->status = TSIG_OK;
}

size_t
tsig_sign_reply(const struct tsig_req *r, uint8_t *msg, size_t len, size_t cap, uint64_t now)
{
	struct tsig_vars v;
	uint8_t mac[HMAC_MAX_LEN], other[6], prior[2];
	struct wire_wr w;
	struct hmac *h;
	size_t maclen;
	uint16_t id;

	if (len < WIRE_HDR_LEN)
		return 0;
	id = (uint16_t)(msg[0] << 8 | msg[1]);
	memset(&v, 0, sizeof v);
	v.key = r->key_name;
	v.key_len = r->key_name_len;
	v.alg = r->alg_name;
	v.alg_len = r->alg_name_len;
	v.fudge = TSIG_FUDGE;
	v.error = r->error;
	switch (r->status) {
	case TSIG_BADKEY:
	case TSIG_BADSIG:
		/* §5.3.2: an unsigned error: no MAC, the request's time */
		v.time = r->time;
		v.fudge = r->fudge;
		return append_tsig(msg, len, cap, &v, id, NULL, 0);
	case TSIG_OK:
		v.time = now;
		break;
	case TSIG_BADTIME:
		/* §5.2.3: signed; the request's time signed, our clock in other data so the client can see the skew */
		v.time = r->time;
		v.fudge = r->fudge;
		wire_wr_init(&w, other, sizeof other, 0);
		wire_put_u48(&w, now);
		v.other = other;
		v.other_len = 6;
		break;
	default:
		return 0;
	}
	if (r->key == NULL || (h = hmac_new(r->key->alg, r->key->secret, r->key->secret_len)) == NULL)
		return 0;
	prior[0] = (uint8_t)(r->mac_len >> 8);
	prior[1] = (uint8_t)r->mac_len;
	hmac_add(h, prior, 2);
	hmac_add(h, r->mac, r->mac_len);
	digest_message(h, msg, len, 0, 0);
	digest_vars(h, &v, 0);
	maclen = hmac_finish(h, mac);
	hmac_free(h);
	if (maclen == 0)
		return 0;
	return append_tsig(msg, len, cap, &v, id, mac, (uint16_t)maclen);
}

struct tsig_ctx *
tsig_ctx_for_reply(const struct tsig_req *r)
{
	struct tsig_ctx *t;

	if (r->status != TSIG_OK || r->key == NULL || (t = tsig_ctx_new(r->key)) == NULL)
		return NULL;
	memcpy(t->mac, r->mac, r->mac_len);
	t->mac_len = r->mac_len;
	t->expect_answer = 1;
	if (restart_run(t) != 0) {
		tsig_ctx_free(t);
		return NULL;
	}
	return t;
}

size_t
tsig_sign_next(struct tsig_ctx *t, uint8_t *msg, size_t len, size_t cap, uint64_t now, int sign)
{
	uint8_t alg[WIRE_NAME_MAX], mac[HMAC_MAX_LEN];
	struct tsig_vars v = { t->key.name, t->key.name_len, alg, 0, now, TSIG_FUDGE, 0, 0, NULL };
	int first = t->messages == 0;
	size_t maclen, out;
	uint16_t id;

	if (t->run == NULL || len < WIRE_HDR_LEN)
		return 0;
	t->messages++;
	if (!first && !sign) {
		hmac_add(t->run, msg, len);
		return len;
	}
	v.alg_len = alg_wire(t->key.alg, alg);
	digest_message(t->run, msg, len, 0, 0);
	digest_vars(t->run, &v, !first);
	if ((maclen = hmac_finish(t->run, mac)) == 0)
		return 0;
	id = (uint16_t)(msg[0] << 8 | msg[1]);
	if ((out = append_tsig(msg, len, cap, &v, id, mac, (uint16_t)maclen)) == 0)
		return 0;
	memcpy(t->mac, mac, maclen);
	t->mac_len = (uint16_t)maclen;
	t->signed_messages++;
	return restart_run(t) == 0 ? out : 0;
}

size_t
tsig_hook_sign(void *key, uint8_t *buf, size_t len, size_t cap, void **vctx)
{
	struct tsig_ctx *t = tsig_ctx_new(key);
	size_t n;

	*vctx = NULL;
	if (t == NULL)
		return 0;
	if ((n = tsig_sign_request(t, buf, len, cap, (uint64_t)time(NULL))) == 0) {
		tsig_ctx_free(t);
		return 0;
	}
	*vctx = t;
	return n;
}

int
tsig_hook_verify(void *vctx, const uint8_t *msg, size_t len, int last, char *why, size_t whylen)
{
	struct tsig_ctx *t = vctx;
	enum tsig_status s = tsig_verify_next(t, msg, len, (uint64_t)time(NULL));
	char eb[24];

	if (s == TSIG_OK && last)
		s = tsig_verify_end(t);
	if (s == TSIG_OK)
		return 0;
	if (s == TSIG_PEER_ERROR)
		snprintf(why, whylen, "TSIG: the peer answered %s",
		    tsig_error_name(tsig_ctx_peer_error(t), eb, sizeof eb));
	else
		snprintf(why, whylen, "TSIG: %s (message %u)", tsig_status_name(s), t->messages);
	return -1;
}

void
tsig_hook_free(void *vctx)
{
	tsig_ctx_free(vctx);
}
