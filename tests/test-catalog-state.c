/* Tests of catalog state: round trip, atomic replace, and damaged files never half-trusted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog-state.h"
#include "compat.h"
#include "testutil.h"

static struct catalog_state *
sample(void)
{
	struct catalog_state *s = catalog_state_new("cat.example");

	ck_assert_ptr_nonnull(s);
	catalog_state_set_serial(s, 4000000000u);
	ck_assert_int_eq(catalog_state_member_set(s, "a.example", "0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60"), 0);
	ck_assert_int_eq(catalog_state_member_set(s, "b.example", "lab\\.el\\032x"), 0);
	ck_assert_int_eq(catalog_state_member_set(s, "c.example", "c"), 0);
	ck_assert_int_eq(catalog_state_own(s, "a.example", "0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60", CATALOG_OWNED), 0);
	ck_assert_int_eq(catalog_state_own(s, "b.example", "lab\\.el\\032x", CATALOG_PENDING), 0);
	ck_assert_int_eq(catalog_state_own(s, "gone.example", "old", CATALOG_OWNED), 0);
	return s;
}

/* Whether s holds exactly what sample() made. */
static int
is_sample(const struct catalog_state *s)
{
	enum catalog_own how;
	const char *l;

	if (!catalog_state_valid(s) || catalog_state_serial(s) != 4000000000u || catalog_state_members(s) != 3 ||
	    catalog_state_owned(s) != 3)
		return 0;
	l = catalog_state_member(s, "b.example");
	if (l == NULL || strcmp(l, "lab\\.el\\032x") != 0)
		return 0;
	l = catalog_state_owner(s, "b.example", &how);
	if (l == NULL || strcmp(l, "lab\\.el\\032x") != 0 || how != CATALOG_PENDING)
		return 0;
	l = catalog_state_owner(s, "gone.example", &how);
	return l != NULL && strcmp(l, "old") == 0 && how == CATALOG_OWNED;
}

static int
is_empty(const struct catalog_state *s)
{
	return !catalog_state_valid(s) && catalog_state_members(s) == 0 && catalog_state_owned(s) == 0;
}

START_TEST(round_trip)
{
	char *dir = tu_tmpdir("catstate"), *path = catalog_state_path(dir, "cat.example"), why[256] = "";
	struct catalog_state *s = sample(), *t = catalog_state_new("cat.example");
	size_t pos = 0, n = 0;
	const char *zone, *label;

	ck_assert_int_eq(catalog_state_load(t, path, why, sizeof why), 1);
	ck_assert(is_empty(t));
	ck_assert_int_eq(catalog_state_save(s, path, why, sizeof why), 0);
	ck_assert_int_eq(catalog_state_load(t, path, why, sizeof why), 0);
	ck_assert(is_sample(t));
	while (catalog_state_next_member(t, &pos, &zone, &label))
		n++;
	ck_assert_uint_eq(n, 3);
	/* the state of another catalog is not taken */
	catalog_state_free(t);
	t = catalog_state_new("other.example");
	ck_assert_int_eq(catalog_state_load(t, path, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "not the state of catalog other.example"));
	ck_assert(is_empty(t));
	/* no valid transfer yet: serial "-" */
	catalog_state_free(t);
	t = catalog_state_new("cat.example");
	ck_assert_int_eq(catalog_state_save(t, path, why, sizeof why), 0);
	ck_assert_int_eq(catalog_state_load(s, path, why, sizeof why), 0);
	ck_assert(is_empty(s));
	catalog_state_free(s);
	catalog_state_free(t);
	free(path);
	free(dir);
}
END_TEST

/* A large state (written through the save's small buffer, many flushes): read back whole; a label replaced
 * by a longer and a shorter one. */
START_TEST(large_round_trip)
{
	char *dir = tu_tmpdir("catstate"), *path = catalog_state_path(dir, "cat.example"), why[256] = "";
	struct catalog_state *s = catalog_state_new("cat.example"), *t = catalog_state_new("cat.example");
	char zone[64], label[64];
	enum catalog_own how;
	size_t i;

	catalog_state_set_serial(s, 7);
	for (i = 0; i < 20000; i++) {
		snprintf(zone, sizeof zone, "z%zu.example", i);
		snprintf(label, sizeof label, "%08zx-0000-4000-8000-000000000000", i);
		ck_assert_int_eq(catalog_state_member_set(s, zone, label), 0);
		if (i % 3 == 0)
			ck_assert_int_eq(catalog_state_own(s, zone, label, i % 2 ? CATALOG_OWNED : CATALOG_PENDING), 0);
	}
	ck_assert_int_eq(catalog_state_own(s, "z3.example", "a-much-longer-label-than-before-0000-4000-8000", CATALOG_OWNED), 0);
	ck_assert_int_eq(catalog_state_own(s, "z6.example", "short", CATALOG_OWNED), 0);
	ck_assert_int_eq(catalog_state_save(s, path, why, sizeof why), 0);
	ck_assert_int_eq(catalog_state_load(t, path, why, sizeof why), 0);
	ck_assert_uint_eq(catalog_state_members(t), 20000);
	ck_assert_uint_eq(catalog_state_owned(t), 6667);
	ck_assert_str_eq(catalog_state_member(t, "z19999.example"), "00004e1f-0000-4000-8000-000000000000");
	ck_assert_str_eq(catalog_state_owner(t, "z3.example", &how), "a-much-longer-label-than-before-0000-4000-8000");
	ck_assert_int_eq(how, CATALOG_OWNED);
	ck_assert_str_eq(catalog_state_owner(t, "z6.example", &how), "short");
	ck_assert_str_eq(catalog_state_owner(t, "z9999.example", &how), "0000270f-0000-4000-8000-000000000000");
	ck_assert_int_eq(how, CATALOG_OWNED);
	catalog_state_free(s);
	catalog_state_free(t);
	free(path);
	free(dir);
}
END_TEST

/* A state file cut at every offset, or with any one octet changed, loads as the original or as nothing. */
START_TEST(damaged_never_half_trusted)
{
	char *dir = tu_tmpdir("catstate"), *path = catalog_state_path(dir, "cat.example"), why[256];
	struct catalog_state *s = sample(), *t = catalog_state_new("cat.example");
	char *orig;
	size_t len, i;
	unsigned seed = 12345;

	ck_assert_int_eq(catalog_state_save(s, path, why, sizeof why), 0);
	orig = tu_read_file(path);
	ck_assert_ptr_nonnull(orig);
	len = strlen(orig);
	for (i = 0; i < len; i++) {
		FILE *f = fopen(path, "wb");

		fwrite(orig, 1, i, f);
		fclose(f);
		ck_assert_int_eq(catalog_state_load(t, path, why, sizeof why), -1);
		ck_assert_msg(is_empty(t), "truncated at %zu: something trusted", i);
	}
	for (i = 0; i < 3000; i++) {
		char *bad = strdup(orig);
		size_t at = (seed = seed * 1103515245u + 12345u) % len;
		FILE *f;
		int r;

		bad[at] = (char)(bad[at] ^ (1 + (seed >> 16) % 255));
		f = fopen(path, "wb");
		fwrite(bad, 1, len, f);
		fclose(f);
		r = catalog_state_load(t, path, why, sizeof why);
		ck_assert_msg((r == -1 && is_empty(t)) || (r == 0 && is_sample(t)), "octet %zu changed: r=%d", at, r);
		ck_assert_int_eq(r, -1);
		free(bad);
	}
	/* random bytes with a valid-looking trailer */
	{
		FILE *f = fopen(path, "wb");

		fputs("msdns-agent catalog-state 1\ncatalog cat.example\nserial 1\no a.example x owned\nend 4 00000000\n", f);
		fclose(f);
		ck_assert_int_eq(catalog_state_load(t, path, why, sizeof why), -1);
		ck_assert_ptr_nonnull(strstr(why, "checksum"));
		ck_assert(is_empty(t));
	}
	free(orig);
	catalog_state_free(s);
	catalog_state_free(t);
	free(path);
	free(dir);
}
END_TEST

/* A save that cannot be done leaves the old file as it was. */
START_TEST(failed_save_keeps_old)
{
	char *dir = tu_tmpdir("catstate"), *path = catalog_state_path(dir, "cat.example"), why[256];
	char *missing = catalog_state_path("/nonexistent-dir-for-catalog-test", "cat.example");
	struct catalog_state *s = sample(), *t = catalog_state_new("cat.example");

	ck_assert_int_eq(catalog_state_save(s, path, why, sizeof why), 0);
	ck_assert_int_eq(catalog_state_save(s, missing, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "cannot create"));
	/* a directory where the file should be: the rename fails, the temporary file is removed */
	catalog_state_disown(s, "gone.example");
	{
		char *sub = catalog_state_path(dir, "sub");
		char tmp[1024];

		ck_assert_int_eq(compat_mkdir(sub), 0);
		ck_assert_int_eq(catalog_state_save(s, sub, why, sizeof why), -1);
		snprintf(tmp, sizeof tmp, "%s.tmp", sub);
		ck_assert_ptr_null(tu_read_file(tmp));
		free(sub);
	}
	ck_assert_int_eq(catalog_state_load(t, path, why, sizeof why), 0);
	ck_assert(is_sample(t));
	catalog_state_free(s);
	catalog_state_free(t);
	free(missing);
	free(path);
	free(dir);
}
END_TEST

START_TEST(zone_names)
{
	ck_assert(catalog_state_zone_ok("a.example"));
	ck_assert(catalog_state_zone_ok("x_y-z.example.com"));
	ck_assert(!catalog_state_zone_ok("A.example"));
	ck_assert(!catalog_state_zone_ok("a.example."));
	ck_assert(!catalog_state_zone_ok("-a.example"));
	ck_assert(!catalog_state_zone_ok("a..example"));
	ck_assert(!catalog_state_zone_ok(""));
	ck_assert(!catalog_state_zone_ok("a b"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("catalog-state");
	TCase *tc = tcase_create("catalog-state");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, large_round_trip);
	tcase_add_test(tc, damaged_never_half_trusted);
	tcase_add_test(tc, failed_save_keeps_old);
	tcase_add_test(tc, zone_names);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
