/* Tests of [catalog:NAME] keys: defaults, bounds, names, lists, required masters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog-config.h"
#include "config.h"
#include "testutil.h"

START_TEST(defaults_and_keys)
{
	struct catalog_config cats[CATALOG_CONFIG_MAX], *c, *again;
	size_t n = 0;
	char err[256];

	c = catalog_config_section(cats, &n, "Cat.Example.", 7, err, sizeof err);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "cat.example");
	ck_assert_int_eq(c->line, 7);
	ck_assert_uint_eq(c->max_deletions, 100);
	ck_assert_uint_eq(c->refresh, 0);
	ck_assert_uint_eq(c->reconcile_interval, 3600);
	again = catalog_config_section(cats, &n, "cat.example", 20, err, sizeof err);
	ck_assert_ptr_eq(again, c);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(catalog_config_finish(c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "masters is required"));
	ck_assert_int_eq(catalog_config_key(c, "masters", "192.0.2.10:5354, 192.0.2.11 ,[2001:db8::1]:53", err,
	    sizeof err), 0);
	ck_assert_uint_eq(c->n_masters, 3);
	ck_assert_uint_eq(c->masters[0].port, 5354);
	ck_assert_uint_eq(c->masters[1].port, 53);
	ck_assert_int_eq(catalog_config_key(c, "member_suffixes", "Example.COM., example.net", err, sizeof err), 0);
	ck_assert_uint_eq(c->n_suffixes, 2);
	ck_assert_str_eq(c->suffixes[0], "example.com");
	ck_assert_int_eq(catalog_config_key(c, "max_deletions", "0", err, sizeof err), 0);
	ck_assert_uint_eq(c->max_deletions, 0);
	ck_assert_int_eq(catalog_config_key(c, "refresh", "60", err, sizeof err), 0);
	ck_assert_int_eq(catalog_config_key(c, "reconcile_interval", "600", err, sizeof err), 0);
	ck_assert_int_eq(catalog_config_key(c, "tsig_key", "CatKey.", err, sizeof err), 0);
	ck_assert_str_eq(c->tsig_key, "catkey");
	ck_assert_int_eq(catalog_config_finish(c, err, sizeof err), 0);
	ck_assert_str_eq(c->member_masters, "192.0.2.10,192.0.2.11,2001:db8::1");
	ck_assert_int_eq(catalog_config_key(c, "member_masters", "192.0.2.99", err, sizeof err), 0);
	ck_assert_int_eq(catalog_config_finish(c, err, sizeof err), 0);
	ck_assert_str_eq(c->member_masters, "192.0.2.99");
	ck_assert_int_eq(catalog_config_key(c, "colour", "blue", err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "unknown key 'colour' in [catalog:cat.example]"));
}
END_TEST

/* The same master on two ports is one member master; 192.0.2.1 is not taken for 192.0.2.10. */
START_TEST(member_masters_default)
{
	struct catalog_config cats[CATALOG_CONFIG_MAX], *c;
	size_t n = 0;
	char err[256];

	c = catalog_config_section(cats, &n, "cat.example", 1, err, sizeof err);
	ck_assert_int_eq(catalog_config_key(c, "masters", "192.0.2.10:5354, 192.0.2.1, 192.0.2.10:53", err, sizeof err),
	    0);
	ck_assert_int_eq(catalog_config_finish(c, err, sizeof err), 0);
	ck_assert_str_eq(c->member_masters, "192.0.2.10,192.0.2.1");
}
END_TEST

struct bad {
	const char *key, *value, *why;
};

static const struct bad bads[] = {
	{ "masters", "", "at least one" },
	{ "masters", "example.com", "not an IP address" },
	{ "masters", "192.0.2.1:99999", "not an IP address" },
	{ "member_masters", "192.0.2.1:53", "no port" },
	{ "member_suffixes", "bad name.example", "not a valid zone name" },
	{ "member_suffixes", "-x.example", "not a valid zone name" },
	{ "max_deletions", "-1", "whole number" },
	{ "max_deletions", "ten", "whole number" },
	{ "refresh", "1e3", "whole number" },
	{ "refresh", "99999999999", "whole number" },
	{ "reconcile_interval", "", "whole number" },
	{ "tsig_key", "a..b", "not a valid key name" },
};

START_TEST(bad_values)
{
	struct catalog_config cats[CATALOG_CONFIG_MAX], *c;
	size_t n = 0;
	char err[256];

	c = catalog_config_section(cats, &n, "cat.example", 1, err, sizeof err);
	ck_assert_int_eq(catalog_config_key(c, bads[_i].key, bads[_i].value, err, sizeof err), -1);
	ck_assert_msg(strstr(err, bads[_i].why) != NULL, "%s = %s: '%s'", bads[_i].key, bads[_i].value, err);
	ck_assert_ptr_nonnull(strstr(err, bads[_i].key));
}
END_TEST

START_TEST(section_names)
{
	struct catalog_config cats[CATALOG_CONFIG_MAX];
	size_t n = 0, i;
	char err[256], name[32];

	ck_assert_ptr_null(catalog_config_section(cats, &n, "bad name", 1, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "not a valid catalog zone name"));
	ck_assert_ptr_null(catalog_config_section(cats, &n, "", 1, err, sizeof err));
	for (i = 0; i < CATALOG_CONFIG_MAX; i++) {
		snprintf(name, sizeof name, "c%zu.example", i);
		ck_assert_ptr_nonnull(catalog_config_section(cats, &n, name, 1, err, sizeof err));
	}
	ck_assert_ptr_null(catalog_config_section(cats, &n, "one.more", 1, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "more than"));
}
END_TEST

/* Through the configuration file: sections, [DEFAULT] state_dir, errors with file:line. */
START_TEST(in_the_file)
{
	static struct config cfg;
	static char out[4096];
	FILE *err = tmpfile();
	size_t got;
	int n;

	ck_assert_ptr_nonnull(err);

	n = config_load_string(&cfg,
	    "[DEFAULT]\nstate_dir = /tmp/st\n"
	    "[service:agent]\nmasters = 192.0.2.1\n"
	    "[catalog:cat.example.]\nmasters = 192.0.2.10:5354\nmax_deletions = 5\nmember_suffixes = example.com\n"
	    "[catalog:CAT2.example]\nmember_masters = 192.0.2.20\nrefresh = x\nshade = 1\n"
	    "[catalog:bad name]\nmasters = 192.0.2.1\n",
	    "t.conf", err);
	rewind(err);
	got = fread(out, 1, sizeof out - 1, err);
	out[got] = '\0';
	fclose(err);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(cfg.def.state_dir, "/tmp/st");
	ck_assert_uint_eq(cfg.n_catalogs, 2);
	ck_assert_str_eq(cfg.catalogs[0].name, "cat.example");
	ck_assert_uint_eq(cfg.catalogs[0].max_deletions, 5);
	ck_assert_str_eq(cfg.catalogs[0].member_masters, "192.0.2.10");
	ck_assert_str_eq(cfg.catalogs[1].name, "cat2.example");
	ck_assert_msg(strstr(out, "t.conf:11: error: refresh: 'x' is not a whole number") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "t.conf:12: warning: unknown key 'shade' in [catalog:cat2.example]") != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "t.conf:10: error: [catalog:cat2.example]: masters is required") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "t.conf:14: error: [catalog:bad name]: 'bad name' is not a valid catalog zone "
	    "name") != NULL, "%s", out);
	/* the default state directory */
	config_load_string(&cfg, "[service:agent]\nmasters = 192.0.2.1\n", "t.conf", stderr);
	ck_assert_uint_eq(cfg.n_catalogs, 0);
	ck_assert_str_eq(cfg.def.state_dir, "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("catalog-config");
	TCase *tc = tcase_create("catalog-config");

	tcase_add_test(tc, defaults_and_keys);
	tcase_add_test(tc, member_masters_default);
	tcase_add_loop_test(tc, bad_values, 0, (int)(sizeof bads / sizeof bads[0]));
	tcase_add_test(tc, section_names);
	tcase_add_test(tc, in_the_file);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
