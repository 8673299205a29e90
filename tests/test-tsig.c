/* Tests of TSIG: round trips for every algorithm, every digested octet, MAC sizes, placement, time, multi-message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "replay.h"
#include "testutil.h"
#include "tsig.h"
#include "wire.h"

#define T0 1765000000ull   /* a fixed "now" */
#define BUFSZ 4096

static const char *const alg_names[HMAC_ALG_COUNT] = {
	"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512",
};
/* 32 octets */
static const char secret_a[] = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=";
static const char secret_b[] = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMzI=";

/* Whether this platform's crypto has alg; the only one allowed missing is SHA-224 on CNG. */
static int
have(enum hmac_alg alg)
{
	if (hmac_supported(alg))
		return 1;
	ck_assert_msg(alg == HMAC_SHA224 && strcmp(hmac_provider(), "CNG") == 0, "%s lacks %s", hmac_provider(),
	    alg_names[alg]);
	return 0;
}

static void
key(struct tsig_key *k, const char *name, enum hmac_alg alg, const char *secret)
{
	char err[256];

	ck_assert_msg(tsig_key_init(k, name, alg_names[alg], secret, err, sizeof err) == 0, "%s", err);
}

/* A NOTIFY for example.com, like Designate's. */
static size_t
request(uint8_t *buf, size_t cap, uint16_t id)
{
	uint8_t name[WIRE_NAME_MAX];
	size_t nl = wire_name_from_text("example.com", name);

	return wire_build_query(id, (uint16_t)(WIRE_OPCODE_NOTIFY << 11 | WIRE_FLAG_AA), name, nl, WIRE_TYPE_SOA,
	    WIRE_CLASS_IN, 0, buf, cap);
}

/* The reply the agent would send to req. */
static size_t
reply(const uint8_t *req, size_t reqlen, uint8_t *buf, size_t cap)
{
	struct wire_msg m;

	ck_assert_int_eq(wire_parse(req, reqlen, &m), 0);
	return wire_build_reply(&m, WIRE_RCODE_NOERROR, 1, buf, cap);
}

START_TEST(round_trip)
{
	enum hmac_alg alg = (enum hmac_alg)_i;
	struct tsig_key k, other;
	uint8_t q[BUFSZ], r[BUFSZ];
	struct tsig_ctx *c;
	struct tsig_req sr;
	size_t ql, rl;
	struct wire_msg m;

	if (!have(alg))
		return;
	key(&k, "CatKey.Example.", alg, secret_a);
	key(&other, "other.", HMAC_SHA256, secret_b);
	c = tsig_ctx_new(&k);
	ck_assert_ptr_nonnull(c);
	ql = tsig_sign_request(c, q, request(q, sizeof q, 0x1234), sizeof q, T0);
	ck_assert_uint_gt(ql, 0);
	ck_assert_int_eq(wire_parse(q, ql, &m), 0);
	ck_assert_int_eq(m.has_tsig, 1);
	ck_assert_uint_eq(m.arcount, 1);
	{
		struct tsig_key keys[2] = { other, k };

		ck_assert_int_eq(tsig_verify_request(keys, 2, q, ql, T0 + 1, &sr), TSIG_OK);
		ck_assert_ptr_eq(sr.key, &keys[1]);
		ck_assert_uint_eq(sr.mac_len, hmac_len(alg));
		rl = tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0 + 2);
	}
	ck_assert_uint_gt(rl, 0);
	ck_assert_int_eq(tsig_verify_next(c, r, rl, T0 + 3), TSIG_OK);
	ck_assert_int_eq(tsig_verify_end(c), TSIG_OK);
	ck_assert_uint_eq(tsig_ctx_peer_error(c), 0);
	tsig_ctx_free(c);
}
END_TEST

/* Known answers made by another implementation (dnspython 2.3.0, time 1765000000, fudge 300, id 0x1234, key
 * catkey. with secret_a): a NOTIFY for example.com and the AA reply to it. */
static const struct {
	enum hmac_alg alg;
	const char *req, *reply;
} known[] = {
	{ HMAC_SHA256,
	  "123424000001000000000001076578616d706c6503636f6d0000060001066361746b65790000fa00ff00000000003d0b686d"
	  "61632d7368613235360000006933c340012c00205e639731d32794404082c73a44bde2cf1ada6139b52906c1567f08ed353e"
	  "51e7123400000000",
	  "1234a4000001000000000001076578616d706c6503636f6d0000060001066361746b65790000fa00ff00000000003d0b686d"
	  "61632d7368613235360000006933c340012c00204661d8f4838b64553d870491a2d8a706285cf0a03af480ccb07e15f11f93"
	  "38ec123400000000" },
	{ HMAC_MD5,
	  "123424000001000000000001076578616d706c6503636f6d0000060001066361746b65790000fa00ff00000000003a08686d"
	  "61632d6d6435077369672d616c670372656703696e740000006933c340012c00108b6186959a3a13dd1813cb68140dae2e12"
	  "3400000000",
	  "1234a4000001000000000001076578616d706c6503636f6d0000060001066361746b65790000fa00ff00000000003a08686d"
	  "61632d6d6435077369672d616c670372656703696e740000006933c340012c001064189352a40af736d2ec65d8f6d023b512"
	  "3400000000" },
	{ HMAC_SHA1,
	  "123424000001000000000001076578616d706c6503636f6d0000060001066361746b65790000fa00ff00000000002f09686d"
	  "61632d736861310000006933c340012c0014d741c02540107cae5b82d472d26893b017df24d0123400000000",
	  "1234a4000001000000000001076578616d706c6503636f6d0000060001066361746b65790000fa00ff00000000002f09686d"
	  "61632d736861310000006933c340012c0014577f4e8161d732adc5aee770dac3b4bc3361ecf1123400000000" },
	{ HMAC_SHA512,
	  "123424000001000000000001076578616d706c6503636f6d0000060001066361746b65790000fa00ff00000000005d0b686d"
	  "61632d7368613531320000006933c340012c0040430665d0cf85a7ba68ca533eb9a87c2f4cd208090867f888b2bec753d1ec"
	  "1c5413fc2ed9e2d0364e7f30de05534be0b4b7024297c280b92816008484909cda7b123400000000",
	  "1234a4000001000000000001076578616d706c6503636f6d0000060001066361746b65790000fa00ff00000000005d0b686d"
	  "61632d7368613531320000006933c340012c0040d2a9c11ca6434da95eba430f665d324c89d40d83d2770d5c902f9dea7064"
	  "11658c41b85865da31170f451975daea87d734ad97fc99099b82a4ef18476c762bfc123400000000" },
};

/* Our signatures are octet for octet the other implementation's, and we verify its. */
START_TEST(known_answer)
{
	uint8_t want_q[BUFSZ], want_r[BUFSZ], q[BUFSZ], r[BUFSZ];
	size_t wql = tu_hex(known[_i].req, want_q, sizeof want_q), wrl = tu_hex(known[_i].reply, want_r, sizeof want_r);
	size_t ql, rl;
	struct tsig_key k;
	struct tsig_req sr;
	struct tsig_ctx *c;

	key(&k, "catkey", known[_i].alg, secret_a);
	ck_assert_int_eq(tsig_verify_request(&k, 1, want_q, wql, T0 + 10, &sr), TSIG_OK);
	c = tsig_ctx_new(&k);
	ql = tsig_sign_request(c, q, request(q, sizeof q, 0x1234), sizeof q, T0);
	ck_assert_uint_eq(ql, wql);
	ck_assert_mem_eq(q, want_q, wql);
	rl = tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0);
	ck_assert_uint_eq(rl, wrl);
	ck_assert_mem_eq(r, want_r, wrl);
	ck_assert_int_eq(tsig_verify_next(c, want_r, wrl, T0 + 20), TSIG_OK);
	tsig_ctx_free(c);
}
END_TEST

/* The key name is compared in canonical (lower-case) form whatever case the peer wrote. */
START_TEST(key_name_case)
{
	struct tsig_key k, upper;
	uint8_t q[BUFSZ];
	struct tsig_req sr;
	struct tsig_ctx *c;
	size_t ql;
	char text[WIRE_NAME_TEXT_MAX];

	key(&k, "catkey.example", HMAC_SHA256, secret_a);
	ck_assert_str_eq(tsig_key_name(&k, text, sizeof text), "catkey.example.");
	upper = k;
	memcpy(upper.name, "\006CATKEY\007EXAMPLE", 16);   /* the same name written in capitals */
	c = tsig_ctx_new(&upper);   /* signs with the canonical name */
	ql = tsig_sign_request(c, q, request(q, sizeof q, 7), sizeof q, T0);
	ck_assert_int_eq(tsig_verify_request(&k, 1, q, ql, T0, &sr), TSIG_OK);
	{
		struct wire_tsig wt;

		/* the owner name in capitals on the wire: still the same key, and the same digest */
		ck_assert_int_eq(wire_get_tsig(q, ql, &wt), 1);
		ck_assert_mem_eq(q + wt.offset, "\006catkey\007example", 16);
		memcpy(q + wt.offset, "\006CATKEY\007EXAMPLE", 16);
		ck_assert_int_eq(tsig_verify_request(&k, 1, q, ql, T0, &sr), TSIG_OK);
	}
	tsig_ctx_free(c);
}
END_TEST

/* Changing any octet of a signed request makes it fail, but for the message id (§4.3.1: the original id is
 * digested, so a forwarder may change it). */
START_TEST(request_every_octet)
{
	struct tsig_key k;
	uint8_t q[BUFSZ], t[BUFSZ];
	struct tsig_req sr;
	struct tsig_ctx *c;
	size_t ql, i;

	if (!have((enum hmac_alg)_i))
		return;
	key(&k, "catkey.", (enum hmac_alg)_i, secret_a);
	c = tsig_ctx_new(&k);
	ql = tsig_sign_request(c, q, request(q, sizeof q, 0xbeef), sizeof q, T0);
	ck_assert_uint_gt(ql, 0);
	for (i = 0; i < ql; i++) {
		enum tsig_status s;

		memcpy(t, q, ql);
		t[i] ^= 0x01;
		s = tsig_verify_request(&k, 1, t, ql, T0, &sr);
		if (i < 2)
			ck_assert_int_eq(s, TSIG_OK);
		else
			ck_assert_msg(s != TSIG_OK, "octet %zu changed still verifies", i);
	}
	/* one octet less or more also fails */
	ck_assert_int_ne(tsig_verify_request(&k, 1, q, ql - 1, T0, &sr), TSIG_OK);
	q[ql] = 0;
	ck_assert_int_ne(tsig_verify_request(&k, 1, q, ql + 1, T0, &sr), TSIG_OK);
	tsig_ctx_free(c);
}
END_TEST

/* The same for a signed reply checked by the client, which also digests its own request MAC. */
START_TEST(reply_every_octet)
{
	struct tsig_key k;
	uint8_t q[BUFSZ], r[BUFSZ], t[BUFSZ];
	struct tsig_req sr;
	struct tsig_ctx *c;
	size_t ql, rl, i;

	if (!have((enum hmac_alg)_i))
		return;
	key(&k, "catkey.", (enum hmac_alg)_i, secret_a);
	c = tsig_ctx_new(&k);
	ql = tsig_sign_request(c, q, request(q, sizeof q, 0xbeef), sizeof q, T0);
	ck_assert_int_eq(tsig_verify_request(&k, 1, q, ql, T0, &sr), TSIG_OK);
	rl = tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0);
	ck_assert_uint_gt(rl, 0);
	for (i = 0; i < rl; i++) {
		struct tsig_ctx *d = tsig_ctx_new(&k);
		enum tsig_status s;

		ck_assert_uint_eq(tsig_sign_request(d, t, request(t, sizeof t, 0xbeef), sizeof t, T0), ql);
		memcpy(t, r, rl);
		t[i] ^= 0x01;
		s = tsig_verify_next(d, t, rl, T0);
		if (i < 2)
			ck_assert_int_eq(s, TSIG_OK);
		else
			ck_assert_msg(s != TSIG_OK, "reply octet %zu changed still verifies", i);
		tsig_ctx_free(d);
	}
	/* a reply to another request (another request MAC) fails */
	{
		struct tsig_ctx *d = tsig_ctx_new(&k);

		tsig_sign_request(d, t, request(t, sizeof t, 0xbeef), sizeof t, T0 + 1);
		ck_assert_int_eq(tsig_verify_next(d, r, rl, T0), TSIG_BADSIG);
		tsig_ctx_free(d);
	}
	ck_assert_int_eq(tsig_verify_next(c, r, rl, T0), TSIG_OK);
	tsig_ctx_free(c);
}
END_TEST

/* Rewrite the TSIG of msg with a MAC of mac_len octets (cut, or padded with zeros). Returns the new length. */
static size_t
resize_mac(uint8_t *msg, size_t len, size_t cap, uint16_t mac_len)
{
	struct wire_tsig t;
	uint8_t tail[6], mac[256];
	struct wire_wr w;
	size_t rdstart;

	ck_assert_int_eq(wire_get_tsig(msg, len, &t), 1);
	memset(mac, 0, sizeof mac);
	memcpy(mac, t.mac, t.mac_len < mac_len ? t.mac_len : mac_len);
	memcpy(tail, t.mac + t.mac_len, 6);   /* original id, error, other len 0 */
	rdstart = t.offset + t.key_len + 10;
	wire_wr_init(&w, msg, cap, t.offset + t.key_len + 8);
	wire_put_u16(&w, (uint16_t)(t.alg_len + 10 + mac_len + 6));
	w.pos = rdstart + t.alg_len + 8;
	wire_put_u16(&w, mac_len);
	wire_put_bytes(&w, mac, mac_len);
	wire_put_bytes(&w, tail, 6);
	ck_assert_int_eq(w.err, 0);
	return w.pos;
}

/* §5.2.2.1: a MAC may be cut to the larger of 10 octets and half the hash, not shorter; never longer. */
START_TEST(truncated_macs)
{
	enum hmac_alg alg = (enum hmac_alg)_i;
	size_t full = hmac_len(alg), min = full / 2 > 10 ? full / 2 : 10, ql;
	uint8_t q[BUFSZ], t[BUFSZ];
	struct tsig_key k;
	struct tsig_req sr;
	struct tsig_ctx *c;

	if (!have(alg))
		return;
	key(&k, "catkey.", alg, secret_a);
	c = tsig_ctx_new(&k);
	ql = tsig_sign_request(c, q, request(q, sizeof q, 1), sizeof q, T0);
	memcpy(t, q, ql);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, resize_mac(t, ql, sizeof t, (uint16_t)min), T0, &sr),
	    TSIG_OK);
	ck_assert_uint_eq(sr.mac_len, min);
	memcpy(t, q, ql);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, resize_mac(t, ql, sizeof t, (uint16_t)(min - 1)), T0, &sr),
	    TSIG_FORMERR);
	memcpy(t, q, ql);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, resize_mac(t, ql, sizeof t, 0), T0, &sr), TSIG_FORMERR);
	memcpy(t, q, ql);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, resize_mac(t, ql, sizeof t, (uint16_t)(full + 1)), T0, &sr),
	    TSIG_FORMERR);
	memcpy(t, q, ql);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, resize_mac(t, ql, sizeof t, 200), T0, &sr), TSIG_FORMERR);
	/* a cut MAC whose octets are wrong is still a bad signature */
	memcpy(t, q, ql);
	ql = resize_mac(t, ql, sizeof t, (uint16_t)min);
	t[ql - 7] ^= 0x80;
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, ql, T0, &sr), TSIG_BADSIG);
	tsig_ctx_free(c);
}
END_TEST

/* Append raw record bytes to msg and count them in ARCOUNT (or ANCOUNT when answer). */
static size_t
append_rr(uint8_t *msg, size_t len, const uint8_t *rr, size_t rrlen, int answer)
{
	int at = answer ? 6 : 10;
	uint16_t n = (uint16_t)(msg[at] << 8 | msg[at + 1]);

	memcpy(msg + len, rr, rrlen);
	n++;
	msg[at] = (uint8_t)(n >> 8);
	msg[at + 1] = (uint8_t)n;
	return len + rrlen;
}

START_TEST(placement)
{
	static const uint8_t opt[] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t q[BUFSZ], t[BUFSZ], rr[512];
	struct wire_tsig wt;
	struct tsig_key k;
	struct tsig_req sr;
	struct tsig_ctx *c;
	size_t ql, rrlen, tl, base;

	key(&k, "catkey.", HMAC_SHA256, secret_a);
	c = tsig_ctx_new(&k);
	base = request(q, sizeof q, 9);
	ql = tsig_sign_request(c, q, base, sizeof q, T0);
	ck_assert_int_eq(wire_get_tsig(q, ql, &wt), 1);
	ck_assert_uint_eq(wt.offset, base);
	rrlen = ql - base;
	memcpy(rr, q + base, rrlen);
	/* two TSIG records */
	memcpy(t, q, ql);
	tl = append_rr(t, ql, rr, rrlen, 0);
	ck_assert_int_eq(wire_get_tsig(t, tl, &wt), -1);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, tl, T0, &sr), TSIG_FORMERR);
	/* TSIG followed by an OPT */
	memcpy(t, q, ql);
	tl = append_rr(t, ql, opt, sizeof opt, 0);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, tl, T0, &sr), TSIG_FORMERR);
	/* TSIG in the answer section */
	memcpy(t, q, base);
	tl = append_rr(t, base, rr, rrlen, 1);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, tl, T0, &sr), TSIG_FORMERR);
	/* an OPT before the TSIG is fine (and digested) */
	request(t, sizeof t, 9);
	tl = append_rr(t, base, opt, sizeof opt, 0);
	tl = tsig_sign_request(c, t, tl, sizeof t, T0);
	ck_assert_int_eq(tsig_verify_request(&k, 1, t, tl, T0, &sr), TSIG_OK);
	/* no TSIG at all */
	ck_assert_int_eq(tsig_verify_request(&k, 1, q, request(q, sizeof q, 9), T0, &sr), TSIG_UNSIGNED);
	tsig_ctx_free(c);
}
END_TEST

/* §5.2.3: within now ± fudge is fine, one second beyond is BADTIME, answered signed with our time. */
START_TEST(fudge_boundary)
{
	static const long long offs[] = { -TSIG_FUDGE, TSIG_FUDGE, -TSIG_FUDGE - 1, TSIG_FUDGE + 1, 100000 };
	struct tsig_key k;
	uint8_t q[BUFSZ], r[BUFSZ];
	struct tsig_req sr;
	size_t ql, rl, i;

	key(&k, "catkey.", HMAC_SHA256, secret_a);
	for (i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		uint64_t now = (uint64_t)((long long)T0 + offs[i]);
		struct tsig_ctx *c = tsig_ctx_new(&k);
		enum tsig_status s;
		struct wire_tsig wt;

		ql = tsig_sign_request(c, q, request(q, sizeof q, 3), sizeof q, T0);
		s = tsig_verify_request(&k, 1, q, ql, now, &sr);
		rl = tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, now);
		ck_assert_uint_gt(rl, 0);
		ck_assert_int_eq(wire_get_tsig(r, rl, &wt), 1);
		if (i < 2) {
			ck_assert_int_eq(s, TSIG_OK);
			ck_assert_int_eq(tsig_verify_next(c, r, rl, T0), TSIG_OK);
		} else {
			struct wire_cur cur;

			ck_assert_int_eq(s, TSIG_BADTIME);
			ck_assert_uint_eq(wt.error, TSIG_E_BADTIME);
			ck_assert_uint_eq(wt.mac_len, hmac_len(HMAC_SHA256));
			ck_assert_uint_eq(wt.time, T0);
			ck_assert_uint_eq(wt.other_len, 6);
			wire_cur_init(&cur, wt.other, 6);
			ck_assert_uint_eq(wire_get_u48(&cur), now);
			/* signed: the client verifies it and learns the error */
			ck_assert_int_eq(tsig_verify_next(c, r, rl, T0), TSIG_PEER_ERROR);
			ck_assert_uint_eq(tsig_ctx_peer_error(c), TSIG_E_BADTIME);
		}
		tsig_ctx_free(c);
	}
	/* the client checks the reply's time too */
	{
		struct tsig_ctx *c = tsig_ctx_new(&k);

		ql = tsig_sign_request(c, q, request(q, sizeof q, 3), sizeof q, T0);
		ck_assert_int_eq(tsig_verify_request(&k, 1, q, ql, T0, &sr), TSIG_OK);
		rl = tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0);
		ck_assert_int_eq(tsig_verify_next(c, r, rl, T0 + TSIG_FUDGE + 1), TSIG_BADTIME);
		tsig_ctx_free(c);
	}
}
END_TEST

/* §5.2.1, §5.2.2: unknown key or wrong algorithm -> BADKEY, wrong secret -> BADSIG; both answered unsigned. */
START_TEST(bad_key_and_sig)
{
	struct tsig_key k, wrong_secret, wrong_alg, stranger;
	uint8_t q[BUFSZ], r[BUFSZ];
	struct wire_tsig wt;
	struct tsig_req sr;
	struct tsig_ctx *c;
	size_t ql, rl;

	key(&k, "catkey.", HMAC_SHA256, secret_a);
	key(&wrong_secret, "catkey.", HMAC_SHA256, secret_b);
	key(&wrong_alg, "catkey.", HMAC_SHA512, secret_a);
	key(&stranger, "stranger.", HMAC_SHA256, secret_a);
	c = tsig_ctx_new(&k);
	ql = tsig_sign_request(c, q, request(q, sizeof q, 3), sizeof q, T0);

	ck_assert_int_eq(tsig_verify_request(&stranger, 1, q, ql, T0, &sr), TSIG_BADKEY);
	ck_assert_int_eq(tsig_verify_request(&wrong_alg, 1, q, ql, T0, &sr), TSIG_BADKEY);
	ck_assert_int_eq(tsig_verify_request(NULL, 0, q, ql, T0, &sr), TSIG_BADKEY);
	rl = tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0);
	ck_assert_int_eq(wire_get_tsig(r, rl, &wt), 1);
	ck_assert_uint_eq(wt.error, TSIG_E_BADKEY);
	ck_assert_uint_eq(wt.mac_len, 0);
	ck_assert_int_eq(tsig_verify_next(c, r, rl, T0), TSIG_PEER_ERROR);
	ck_assert_uint_eq(tsig_ctx_peer_error(c), TSIG_E_BADKEY);
	tsig_ctx_free(c);

	c = tsig_ctx_new(&k);
	ql = tsig_sign_request(c, q, request(q, sizeof q, 3), sizeof q, T0);
	ck_assert_int_eq(tsig_verify_request(&wrong_secret, 1, q, ql, T0, &sr), TSIG_BADSIG);
	ck_assert_ptr_null(sr.key);
	rl = tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0);
	ck_assert_int_eq(wire_get_tsig(r, rl, &wt), 1);
	ck_assert_uint_eq(wt.error, TSIG_E_BADSIG);
	ck_assert_uint_eq(wt.mac_len, 0);
	ck_assert_int_eq(tsig_verify_next(c, r, rl, T0), TSIG_PEER_ERROR);
	ck_assert_uint_eq(tsig_ctx_peer_error(c), TSIG_E_BADSIG);
	tsig_ctx_free(c);

	/* an unsigned reply to a signed request fails, and so does one signed with another key */
	c = tsig_ctx_new(&k);
	ql = tsig_sign_request(c, q, request(q, sizeof q, 3), sizeof q, T0);
	rl = reply(q, ql, r, sizeof r);
	ck_assert_int_eq(tsig_verify_next(c, r, rl, T0), TSIG_UNSIGNED);
	ck_assert_int_eq(tsig_verify_end(c), TSIG_UNSIGNED);
	tsig_ctx_free(c);
	c = tsig_ctx_new(&k);
	{
		struct tsig_ctx *o = tsig_ctx_new(&stranger);

		ql = tsig_sign_request(c, q, request(q, sizeof q, 3), sizeof q, T0);
		ck_assert_int_eq(tsig_verify_request(&stranger, 1, q, ql, T0, &sr), TSIG_BADKEY);
		ql = tsig_sign_request(o, q, request(q, sizeof q, 3), sizeof q, T0);
		ck_assert_int_eq(tsig_verify_request(&stranger, 1, q, ql, T0, &sr), TSIG_OK);
		rl = tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0);
		ck_assert_int_eq(tsig_verify_next(c, r, rl, T0), TSIG_BADKEY);
		tsig_ctx_free(o);
	}
	tsig_ctx_free(c);
	/* nothing to sign for an unsigned or malformed request */
	memset(&sr, 0, sizeof sr);
	sr.status = TSIG_UNSIGNED;
	ck_assert_uint_eq(tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0), 0);
	sr.status = TSIG_FORMERR;
	ck_assert_uint_eq(tsig_sign_reply(&sr, r, reply(q, ql, r, sizeof r), sizeof r, T0), 0);
}
END_TEST

/* One message of a transfer answer: id 0x4242, n filler records. */
static size_t
answer_msg(uint8_t *buf, size_t cap, unsigned seq)
{
	struct wire_wr w;
	unsigned i;

	wire_wr_init(&w, buf, cap, 0);
	wire_put_u16(&w, 0x4242);
	wire_put_u16(&w, WIRE_FLAG_QR | WIRE_FLAG_AA);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 3);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	for (i = 0; i < 3; i++) {
		wire_put_bytes(&w, "\001a\007example\000", 11);
		wire_put_u16(&w, 16);   /* TXT */
		wire_put_u16(&w, 1);
		wire_put_u32(&w, 300);
		wire_put_u16(&w, 5);
		wire_put_u8(&w, 4);
		wire_put_u32(&w, seq * 3 + i);
	}
	ck_assert_int_eq(w.err, 0);
	return w.pos;
}

struct stream {
	uint8_t msg[120][512];
	size_t len[120];
	size_t n;
};

/* A signed AXFR request and an answer of n messages; signed[i] says which ones the server signs. */
static struct tsig_ctx *
make_stream(const struct tsig_key *k, struct stream *s, size_t n, const int *signed_)
{
	uint8_t q[BUFSZ];
	struct tsig_req sr;
	struct tsig_ctx *c = tsig_ctx_new(k), *srv;
	size_t ql, i;

	ql = tsig_sign_request(c, q, request(q, sizeof q, 0x4242), sizeof q, T0);
	ck_assert_int_eq(tsig_verify_request(k, 1, q, ql, T0, &sr), TSIG_OK);
	srv = tsig_ctx_for_reply(&sr);
	ck_assert_ptr_nonnull(srv);
	s->n = n;
	for (i = 0; i < n; i++) {
		size_t l = answer_msg(s->msg[i], sizeof s->msg[i], (unsigned)i);

		s->len[i] = tsig_sign_next(srv, s->msg[i], l, sizeof s->msg[i], T0, signed_[i]);
		ck_assert_uint_gt(s->len[i], 0);
		ck_assert_int_eq(s->len[i] > l, i == 0 || signed_[i]);
	}
	tsig_ctx_free(srv);
	return c;
}

static enum tsig_status
check_stream(struct tsig_ctx *c, const struct stream *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		enum tsig_status st = tsig_verify_next(c, s->msg[i], s->len[i], T0);

		if (st != TSIG_OK)
			return st;
	}
	return tsig_verify_end(c);
}

/* §5.3.1: later messages digest the previous MAC and the unsigned ones between, up to 99 of them. */
START_TEST(multi_message)
{
	static struct stream s;
	static int sig[120];
	struct tsig_key k;
	struct tsig_ctx *c;
	unsigned m, sm;
	size_t i;

	key(&k, "catkey.", HMAC_SHA256, secret_a);
	/* every message signed */
	for (i = 0; i < 120; i++)
		sig[i] = 1;
	c = make_stream(&k, &s, 10, sig);
	ck_assert_int_eq(check_stream(c, &s), TSIG_OK);
	tsig_ctx_counts(c, &m, &sm);
	ck_assert_uint_eq(m, 10);
	ck_assert_uint_eq(sm, 10);
	tsig_ctx_free(c);

	/* signed, 99 unsigned, signed: accepted */
	for (i = 0; i < 120; i++)
		sig[i] = 0;
	sig[0] = sig[100] = 1;
	c = make_stream(&k, &s, 101, sig);
	ck_assert_int_eq(check_stream(c, &s), TSIG_OK);
	tsig_ctx_counts(c, &m, &sm);
	ck_assert_uint_eq(m, 101);
	ck_assert_uint_eq(sm, 2);
	tsig_ctx_free(c);

	/* 100 unsigned in a row: refused */
	sig[100] = 0;
	sig[101] = 1;
	c = make_stream(&k, &s, 102, sig);
	ck_assert_int_eq(check_stream(c, &s), TSIG_TOO_MANY_UNSIGNED);
	tsig_ctx_free(c);

	/* the last message unsigned: refused at the end */
	for (i = 0; i < 120; i++)
		sig[i] = i % 3 == 0;
	c = make_stream(&k, &s, 8, sig);
	ck_assert_int_eq(check_stream(c, &s), TSIG_TOO_MANY_UNSIGNED);
	tsig_ctx_free(c);
	c = make_stream(&k, &s, 7, sig);
	ck_assert_int_eq(check_stream(c, &s), TSIG_OK);
	tsig_ctx_free(c);

	/* a message in the middle tampered with, signed or unsigned: the next signed one fails */
	for (i = 1; i < 7; i++) {
		c = make_stream(&k, &s, 7, sig);
		s.msg[i][63] ^= 0x01;   /* the last rdata octet of the second record */
		ck_assert_int_eq(check_stream(c, &s), TSIG_BADSIG);
		tsig_ctx_free(c);
	}
	/* a message left out, or two swapped */
	c = make_stream(&k, &s, 7, sig);
	memcpy(s.msg[1], s.msg[2], sizeof s.msg[1]);
	s.len[1] = s.len[2];
	ck_assert_int_eq(check_stream(c, &s), TSIG_BADSIG);
	tsig_ctx_free(c);
	for (i = 0; i < 120; i++)
		sig[i] = 1;
	c = make_stream(&k, &s, 4, sig);
	memcpy(s.msg[1], s.msg[2], sizeof s.msg[1]);
	s.len[1] = s.len[2];
	s.n = 3;
	ck_assert_int_eq(check_stream(c, &s), TSIG_BADSIG);
	tsig_ctx_free(c);

	/* the first message unsigned */
	for (i = 0; i < 120; i++)
		sig[i] = 1;
	c = make_stream(&k, &s, 3, sig);
	s.len[0] = answer_msg(s.msg[0], sizeof s.msg[0], 0);
	ck_assert_int_eq(check_stream(c, &s), TSIG_UNSIGNED);
	/* failures stick */
	ck_assert_int_eq(tsig_verify_next(c, s.msg[1], s.len[1], T0), TSIG_UNSIGNED);
	tsig_ctx_free(c);
}
END_TEST

/* The xfr hooks: sign a query, verify a two-message answer at the clock's time; a bad one says why. */
START_TEST(hooks)
{
	struct tsig_key k;
	uint8_t q[BUFSZ], a[2][512];
	size_t ql, al[2];
	void *vctx;
	struct tsig_req sr;
	struct tsig_ctx *srv;
	char why[128];
	int i;

	key(&k, "catkey.", HMAC_SHA256, secret_a);
	ql = tsig_hook_sign(&k, q, request(q, sizeof q, 0x4242), sizeof q, &vctx);
	ck_assert_uint_gt(ql, 0);
	ck_assert_ptr_nonnull(vctx);
	ck_assert_int_eq(tsig_verify_request(&k, 1, q, ql, (uint64_t)time(NULL), &sr), TSIG_OK);
	srv = tsig_ctx_for_reply(&sr);
	for (i = 0; i < 2; i++)
		al[i] = tsig_sign_next(srv, a[i], answer_msg(a[i], sizeof a[i], (unsigned)i), sizeof a[i],
		    (uint64_t)time(NULL), i == 1);
	tsig_ctx_free(srv);
	ck_assert_int_eq(tsig_hook_verify(vctx, a[0], al[0], 0, why, sizeof why), 0);
	ck_assert_int_eq(tsig_hook_verify(vctx, a[1], al[1], 1, why, sizeof why), 0);
	tsig_hook_free(vctx);
	/* an answer to another request (another MAC) */
	ql = tsig_hook_sign(&k, q, request(q, sizeof q, 0x4243), sizeof q, &vctx);
	ck_assert_int_eq(tsig_hook_verify(vctx, a[0], al[0], 0, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "bad signature"));
	tsig_hook_free(vctx);
}
END_TEST

START_TEST(keys_from_text)
{
	struct tsig_key k;
	char err[256];
	enum hmac_alg a;
	uint8_t out[64];

	ck_assert_int_eq(tsig_alg_from_name("HMAC-SHA256.", &a), 0);
	ck_assert_int_eq(a, HMAC_SHA256);
	ck_assert_int_eq(tsig_alg_from_name("hmac-md5.sig-alg.reg.int", &a), 0);
	ck_assert_int_eq(a, HMAC_MD5);
	ck_assert_int_eq(tsig_alg_from_name("hmac-sha3", &a), -1);
	ck_assert_int_eq(tsig_alg_from_name("", &a), -1);

	ck_assert_int_eq(tsig_base64_decode("aGVsbG8=", out, sizeof out), 5);
	ck_assert_mem_eq(out, "hello", 5);
	ck_assert_int_eq(tsig_base64_decode("aGVs bG8h\n", out, sizeof out), 6);
	ck_assert_int_eq(tsig_base64_decode("aGVsbA==", out, sizeof out), 4);
	ck_assert_int_eq(tsig_base64_decode("aGVsbG8", out, sizeof out), -1);    /* missing padding */
	ck_assert_int_eq(tsig_base64_decode("aGVs*G8=", out, sizeof out), -1);
	ck_assert_int_eq(tsig_base64_decode("aGVsbG8=aGVs", out, sizeof out), -1);
	ck_assert_int_eq(tsig_base64_decode("aGVsbG9=", out, sizeof out), -1);   /* stray bits */
	ck_assert_int_eq(tsig_base64_decode("aGVsbG8=", out, 4), -1);

	ck_assert_int_eq(tsig_key_init(&k, "catkey.", "hmac-sha256", secret_a, err, sizeof err), 0);
	ck_assert_uint_eq(k.secret_len, 32);
	ck_assert_int_eq(tsig_key_init(&k, "catkey.", "hmac-sha256", "c2hvcnQtc2VjcmV0", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "at least 16"));
	ck_assert_ptr_null(strstr(err, "c2hvcnQtc2VjcmV0"));
	ck_assert_int_eq(tsig_key_init(&k, "catkey.", "hmac-sha256", "not base64!", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "base64"));
	ck_assert_int_eq(tsig_key_init(&k, "catkey.", "hmac-sha3", secret_a, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown algorithm"));
	ck_assert_int_eq(tsig_key_init(&k, "bad..name", "hmac-sha256", secret_a, err, sizeof err), -1);
	ck_assert_int_eq(tsig_key_init(&k, ".", "hmac-sha256", secret_a, err, sizeof err), -1);
	if (!hmac_supported(HMAC_SHA224)) {
		ck_assert_int_eq(tsig_key_init(&k, "k.", "hmac-sha224", secret_a, err, sizeof err), -1);
		ck_assert_ptr_nonnull(strstr(err, "not provided by this platform"));
	}

	ck_assert_int_eq(tsig_key_from_spec(&k, "hmac-sha512:CatKey:" "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=",
	    err, sizeof err), 0);
	ck_assert_int_eq(k.alg, HMAC_SHA512);
	ck_assert_mem_eq(k.name, "\006catkey\000", 8);
	ck_assert_int_eq(tsig_key_from_spec(&k, "catkey.:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=", err, sizeof err),
	    0);
	ck_assert_int_eq(k.alg, HMAC_SHA256);
	ck_assert_int_eq(tsig_key_from_spec(&k, "catkey", err, sizeof err), -1);

	/* key files: BIND's clause (tsig-keygen's output) and our INI section */
	ck_assert_int_eq(tsig_key_from_file_text(&k, "# made by tsig-keygen\nkey \"CatKey.\" {\n\talgorithm hmac-sha512;\n"
	    "\tsecret \"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=\";\n};\n", err, sizeof err), 0);
	ck_assert_int_eq(k.alg, HMAC_SHA512);
	ck_assert_mem_eq(k.name, "\006catkey\000", 8);
	ck_assert_uint_eq(k.secret_len, 32);
	ck_assert_int_eq(tsig_key_from_file_text(&k, "[DEFAULT]\ndebug = true\n[tsigkey:cat.example.]\n"
	    "algorithm = hmac-sha1\nsecret = c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=\n[service:agent]\n"
	    "secret = other\n", err, sizeof err), 0);
	ck_assert_int_eq(k.alg, HMAC_SHA1);
	ck_assert_mem_eq(k.name, "\003cat\007example\000", 13);
	ck_assert_int_eq(tsig_key_from_file_text(&k, "key \"x\" { algorithm hmac-sha256; secret \"c2hvcnQ=\"; };",
	    err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "at least 16"));
	ck_assert_ptr_null(strstr(err, "c2hvcnQ"));
	ck_assert_int_eq(tsig_key_from_file_text(&k, "key \"x\" { algorithm hmac-sha256 secret; };", err, sizeof err),
	    -1);
	ck_assert_int_eq(tsig_key_from_file_text(&k, "nothing here", err, sizeof err), -1);
	ck_assert_int_eq(tsig_key_from_file_text(&k, "[tsigkey:k.]\nalgorithm = hmac-sha256\n", err, sizeof err), -1);
}
END_TEST

/* Load text as a configuration; its messages into out. Returns the error count. */
static int
load_conf(struct config *cfg, const char *text, char *out, size_t outlen)
{
	FILE *f = tmpfile();
	size_t n;
	int errors;

	ck_assert_ptr_nonnull(f);
	errors = config_load_string(cfg, text, "t.conf", f);
	rewind(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fclose(f);
	return errors;
}

/* [tsigkey:NAME] sections and tsig_keys: the keys built; errors name file:line and never show a secret. */
START_TEST(config_keys)
{
	static struct config cfg;
	char out[4096];
	const struct tsig_config *c;

	ck_assert_int_eq(load_conf(&cfg, "[service:agent]\ntsig_keys = CatKey, other.\nrequire_tsig = true\n"
	    "[tsigkey:catkey.]\nalgorithm = hmac-sha512\nsecret = " "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=" "\n"
	    "[tsigkey:other.]\nsecret = " "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMzI=" "\n", out, sizeof out), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(cfg.n_tsigkeys, 2);
	ck_assert_int_eq(cfg.agent.require_tsig, 1);
	c = tsig_config_find(cfg.tsigkeys, cfg.n_tsigkeys, "CATKEY");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->key.alg, HMAC_SHA512);
	ck_assert_uint_eq(c->key.secret_len, 32);
	ck_assert_mem_eq(c->key.name, "\006catkey\000", 8);
	ck_assert_str_eq(c->secret_b64, "");   /* the text is wiped once the key is built */
	c = tsig_config_find(cfg.tsigkeys, cfg.n_tsigkeys, "other");
	ck_assert_int_eq(c->key.alg, HMAC_SHA256);

	ck_assert_int_eq(load_conf(&cfg, "[service:agent]\ntsig_keys = nokey\n[tsigkey:short]\nsecret = c2hvcnQtc2VjcmV0\n"
	    "[tsigkey:alg]\nalgorithm = hmac-sha3\nsecret = c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=\n"
	    "[tsigkey:nosecret]\nalgorithm = hmac-sha1\n[tsigkey:bad..name]\nsecret = x\n"
	    "[tsigkey:junk]\nsecret = not*base64\n", out, sizeof out), 6);
	ck_assert_ptr_nonnull(strstr(out, "t.conf:4: error: [tsigkey:short] secret: 12 octets; at least 16"));
	ck_assert_ptr_nonnull(strstr(out, "t.conf:6: error: [tsigkey:alg] algorithm: 'hmac-sha3' is not one of"));
	ck_assert_ptr_nonnull(strstr(out, "t.conf:9: error: [tsigkey:nosecret]: secret is required"));
	ck_assert_ptr_nonnull(strstr(out, "t.conf:11: error: [tsigkey:bad..name]: the key name is not a valid"));
	ck_assert_ptr_nonnull(strstr(out, "t.conf:13: error: [tsigkey:junk] secret: not base64"));
	ck_assert_ptr_nonnull(strstr(out, "t.conf:2: error: tsig_keys: no [tsigkey:nokey] section"));
	ck_assert_ptr_null(strstr(out, "c2hvcnQtc2VjcmV0"));
	ck_assert_ptr_null(strstr(out, "c2VjcmV0"));
	ck_assert_ptr_null(strstr(out, "not*base64"));

	ck_assert_int_eq(load_conf(&cfg, "[tsigkey:catkey]\nsecret = c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=\n"
	    "[catalog:cat.example.]\nmasters = 192.0.2.10\ntsig_key = CatKey.\n[catalog:other.example.]\n"
	    "masters = 192.0.2.10\ntsig_key = nokey\n", out, sizeof out), 1);
	ck_assert_ptr_nonnull(strstr(out, "t.conf:7: error: [catalog:other.example] tsig_key: no [tsigkey:nokey] section"));
	ck_assert_int_eq(load_conf(&cfg, "[service:agent]\nrequire_tsig = true\n", out, sizeof out), 1);
	ck_assert_ptr_nonnull(strstr(out, "require_tsig = true needs tsig_keys"));
	if (!hmac_supported(HMAC_SHA224)) {
		ck_assert_int_eq(load_conf(&cfg, "[tsigkey:k]\nalgorithm = hmac-sha224\n"
		    "secret = c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=\n", out, sizeof out), 1);
		ck_assert_ptr_nonnull(strstr(out, "t.conf:2: error: [tsigkey:k] algorithm: hmac-sha224 is not provided by "
		    "this platform's crypto (CNG)"));
	}
}
END_TEST

/* replay --explain on a signed message: verified (goes on, reply signed), bad signature, bad time, no keys. */
START_TEST(explain_signed)
{
	static struct config cfg;
	struct tsig_key k, wrong;
	struct netaddr peer;
	uint8_t q[BUFSZ];
	char out[4096];
	struct tsig_ctx *c;
	size_t ql, n;
	FILE *f;
	int rc;

	ck_assert_int_eq(load_conf(&cfg, "[service:agent]\nmasters = 192.0.2.1\nbackend_driver = fake\ntsig_keys = catkey.\n"
	    "[tsigkey:catkey.]\nsecret = c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=\n", out, sizeof out), 0);
	netaddr_parse_ip("127.0.0.1", &peer);
	key(&k, "catkey.", HMAC_SHA256, secret_a);
	key(&wrong, "catkey.", HMAC_SHA256, secret_b);
	for (int i = 0; i < 4; i++) {
		c = tsig_ctx_new(i == 1 ? &wrong : &k);
		ql = tsig_sign_request(c, q, request(q, sizeof q, 5), sizeof q, i == 2 ? T0 : (uint64_t)time(NULL));
		tsig_ctx_free(c);
		f = tmpfile();
		rc = replay_explain(f, i == 3 ? NULL : &cfg, q, ql, &peer);
		rewind(f);
		n = fread(out, 1, sizeof out - 1, f);
		out[n] = '\0';
		fclose(f);
		if (i == 0) {
			ck_assert_int_eq(rc, REPLAY_OK);
			ck_assert_ptr_nonnull(strstr(out, "TSIG: signed with key catkey., verified now"));
			ck_assert_ptr_nonnull(strstr(out, "NOTIFY of zone example.com"));
		} else {
			ck_assert_int_eq(rc, REPLAY_BAD_REPLY);
			ck_assert_ptr_nonnull(strstr(out, i == 1 ? "NOTAUTH with TSIG error BADSIG" : i == 2 ?
			    "NOTAUTH with TSIG error BADTIME" : "no tsig_keys are configured: the agent sends no reply"));
		}
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tsig");
	TCase *tc = tcase_create("tsig");

	tcase_add_loop_test(tc, round_trip, 0, HMAC_ALG_COUNT);
	tcase_add_loop_test(tc, known_answer, 0, (int)(sizeof known / sizeof known[0]));
	tcase_add_test(tc, key_name_case);
	tcase_add_loop_test(tc, request_every_octet, 0, HMAC_ALG_COUNT);
	tcase_add_loop_test(tc, reply_every_octet, 0, HMAC_ALG_COUNT);
	tcase_add_loop_test(tc, truncated_macs, 0, HMAC_ALG_COUNT);
	tcase_add_test(tc, placement);
	tcase_add_test(tc, fudge_boundary);
	tcase_add_test(tc, bad_key_and_sig);
	tcase_add_test(tc, multi_message);
	tcase_add_test(tc, hooks);
	tcase_add_test(tc, keys_from_text);
	tcase_add_test(tc, config_keys);
	tcase_add_test(tc, explain_signed);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
