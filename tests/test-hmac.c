/* Tests of the HMAC interface: RFC 4231 and RFC 2202 vectors on whichever crypto the platform build uses. */
#include <stdio.h>
#include <string.h>

#include "hmac.h"
#include "testutil.h"

struct hvec {
	enum hmac_alg alg;
	int key_byte, key_len;   /* key_byte < 0: the key is "Jefe" */
	const char *data;
	const char *mac;
};

#define LARGE_KEY_DATA "Test Using Larger Than Block-Size Key - Hash Key First"

static const struct hvec vectors[] = {
	/* RFC 2202 test cases 1, 2, 6 */
	{ HMAC_MD5, 0x0b, 16, "Hi There", "9294727a3638bb1c13f48ef8158bfc9d" },
	{ HMAC_MD5, -1, 4, "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738" },
	{ HMAC_MD5, 0xaa, 80, LARGE_KEY_DATA, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd" },
	{ HMAC_SHA1, 0x0b, 20, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ HMAC_SHA1, -1, 4, "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ HMAC_SHA1, 0xaa, 80, LARGE_KEY_DATA, "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
	/* RFC 4231 test cases 1, 2, 6 */
	{ HMAC_SHA224, 0x0b, 20, "Hi There", "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22" },
	{ HMAC_SHA224, -1, 4, "what do ya want for nothing?",
	  "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44" },
	{ HMAC_SHA224, 0xaa, 131, LARGE_KEY_DATA, "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e" },
	{ HMAC_SHA256, 0x0b, 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ HMAC_SHA256, -1, 4, "what do ya want for nothing?",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ HMAC_SHA256, 0xaa, 131, LARGE_KEY_DATA,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ HMAC_SHA384, 0x0b, 20, "Hi There",
	  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6" },
	{ HMAC_SHA384, -1, 4, "what do ya want for nothing?",
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649" },
	{ HMAC_SHA384, 0xaa, 131, LARGE_KEY_DATA,
	  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952" },
	{ HMAC_SHA512, 0x0b, 20, "Hi There",
	  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4"
	  "be9d914eeb61f1702e696c203a126854" },
	{ HMAC_SHA512, -1, 4, "what do ya want for nothing?",
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
	  "caeab1a34d4a6b4b636e070a38bce737" },
	{ HMAC_SHA512, 0xaa, 131, LARGE_KEY_DATA,
	  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e52"
	  "95e64f73f63f0aec8b915a985d786598" },
};

#define NVEC (sizeof vectors / sizeof vectors[0])

/* The only algorithm a provider may lack is SHA-224, and only on CNG (Windows has none). */
static int
may_lack(enum hmac_alg alg)
{
	return alg == HMAC_SHA224 && strcmp(hmac_provider(), "CNG") == 0;
}

static void
vec_key(const struct hvec *v, uint8_t *key)
{
	if (v->key_byte < 0)
		memcpy(key, "Jefe", 4);
	else
		memset(key, v->key_byte, (size_t)v->key_len);
}

START_TEST(vector)
{
	const struct hvec *v = &vectors[_i];
	uint8_t key[256], want[HMAC_MAX_LEN], got[HMAC_MAX_LEN];
	size_t wl = tu_hex(v->mac, want, sizeof want);
	struct hmac *h;

	ck_assert_uint_eq(hmac_len(v->alg), wl);
	if (!hmac_supported(v->alg)) {
		ck_assert_msg(may_lack(v->alg), "%s lacks algorithm %d", hmac_provider(), (int)v->alg);
		ck_assert_ptr_null(hmac_new(v->alg, (const uint8_t *)"k", 1));
		return;
	}
	vec_key(v, key);
	h = hmac_new(v->alg, key, (size_t)v->key_len);
	ck_assert_ptr_nonnull(h);
	hmac_add(h, v->data, strlen(v->data));
	ck_assert_uint_eq(hmac_finish(h, got), wl);
	ck_assert_mem_eq(got, want, wl);
	hmac_free(h);
}
END_TEST

/* The same MAC whether the data comes at once, octet by octet, or with empty pieces between. */
START_TEST(pieces)
{
	const struct hvec *v = &vectors[_i];
	uint8_t key[256], want[HMAC_MAX_LEN], got[HMAC_MAX_LEN];
	size_t wl = tu_hex(v->mac, want, sizeof want), i;
	struct hmac *h;

	if (!hmac_supported(v->alg))
		return;   /* checked by "vector" */
	vec_key(v, key);
	h = hmac_new(v->alg, key, (size_t)v->key_len);
	ck_assert_ptr_nonnull(h);
	for (i = 0; v->data[i]; i++) {
		hmac_add(h, v->data + i, 1);
		hmac_add(h, "", 0);
	}
	ck_assert_uint_eq(hmac_finish(h, got), wl);
	ck_assert_mem_eq(got, want, wl);
	hmac_free(h);
}
END_TEST

/* Another key or another octet of data gives another MAC. */
START_TEST(differs)
{
	const struct hvec *v = &vectors[_i];
	uint8_t key[256], want[HMAC_MAX_LEN], got[HMAC_MAX_LEN];
	size_t wl = tu_hex(v->mac, want, sizeof want);
	char data[128];
	struct hmac *h;

	if (!hmac_supported(v->alg))
		return;
	vec_key(v, key);
	key[0] ^= 1;
	h = hmac_new(v->alg, key, (size_t)v->key_len);
	hmac_add(h, v->data, strlen(v->data));
	ck_assert_uint_eq(hmac_finish(h, got), wl);
	ck_assert_int_ne(memcmp(got, want, wl), 0);
	hmac_free(h);
	key[0] ^= 1;
	snprintf(data, sizeof data, "%s", v->data);
	data[strlen(data) - 1] ^= 0x20;
	h = hmac_new(v->alg, key, (size_t)v->key_len);
	hmac_add(h, data, strlen(data));
	ck_assert_uint_eq(hmac_finish(h, got), wl);
	ck_assert_int_ne(memcmp(got, want, wl), 0);
	hmac_free(h);
}
END_TEST

START_TEST(out_of_range)
{
	ck_assert_uint_eq(hmac_len(HMAC_ALG_COUNT), 0);
	ck_assert_int_eq(hmac_supported(HMAC_ALG_COUNT), 0);
	ck_assert_ptr_null(hmac_new(HMAC_ALG_COUNT, (const uint8_t *)"k", 1));
	hmac_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("hmac");
	TCase *tc = tcase_create("hmac");

	tcase_add_loop_test(tc, vector, 0, (int)NVEC);
	tcase_add_loop_test(tc, pieces, 0, (int)NVEC);
	tcase_add_loop_test(tc, differs, 0, (int)NVEC);
	tcase_add_test(tc, out_of_range);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
