/* Tests of the msdns module: the PowerShell contract's command lines, worker lines and exit codes. */
#include <stdio.h>
#include <string.h>

#include "msdns.h"
#include "testutil.h"

static const struct msdns_program prog = { "C:\\ps.exe", "C:\\s.ps1", "Bypass" };

/* The argument vector joined with spaces. */
static const char *
joined(const char *const argv[])
{
	static char out[2048];
	size_t i;

	out[0] = '\0';
	for (i = 0; argv[i]; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, argv[i]);
	}
	return out;
}

static struct zoneop
op_of(enum zoneop_kind kind, const char *zone, unsigned flags)
{
	struct zoneop op;

	ck_assert_int_eq(zoneop_set(&op, kind, zone), 0);
	op.flags = flags;
	return op;
}

#define HEAD "C:\\ps.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File C:\\s.ps1 "

START_TEST(argv_per_operation)
{
	const char *argv[MSDNS_ARGV_MAX];
	struct zoneop op;

	op = op_of(ZONEOP_CREATE, "example.com", 0);
	ck_assert_uint_eq(msdns_argv(&prog, &op, "192.0.2.1,192.0.2.2", argv), 14);
	ck_assert_str_eq(joined(argv), HEAD "-Operation Create -Zone example.com -Masters 192.0.2.1,192.0.2.2");
	ck_assert_ptr_null(argv[14]);
	op = op_of(ZONEOP_CREATE, "example.com", ZONEOP_F_NO_CONVERGE | ZONEOP_F_UNMANAGED);
	msdns_argv(&prog, &op, "192.0.2.1", argv);
	ck_assert_str_eq(joined(argv), HEAD "-Operation Create -Zone example.com -Masters 192.0.2.1 -NoConverge");
	op = op_of(ZONEOP_DELETE, "example.com", ZONEOP_F_UNMANAGED | ZONEOP_F_NO_CONVERGE);
	msdns_argv(&prog, &op, "192.0.2.1", argv);
	ck_assert_str_eq(joined(argv), HEAD "-Operation Delete -Zone example.com -Masters 192.0.2.1 -DeleteUnmanaged");
	op = op_of(ZONEOP_DELETE, "example.com", 0);
	msdns_argv(&prog, &op, "", argv);
	ck_assert_str_eq(joined(argv), HEAD "-Operation Delete -Zone example.com");
	op = op_of(ZONEOP_REFRESH, "example.com", 0);
	msdns_argv(&prog, &op, "192.0.2.1", argv);     /* Refresh and Get take no masters */
	ck_assert_str_eq(joined(argv), HEAD "-Operation Refresh -Zone example.com");
	op = op_of(ZONEOP_GET, "example.com", 0);
	msdns_argv(&prog, &op, "192.0.2.1", argv);
	ck_assert_str_eq(joined(argv), HEAD "-Operation Get -Zone example.com");
	op = op_of(ZONEOP_LIST, "", 0);
	msdns_argv(&prog, &op, "192.0.2.1", argv);
	ck_assert_str_eq(joined(argv), HEAD "-Operation List");
	ck_assert_uint_eq(msdns_serve_argv(&prog, argv), 9);
	ck_assert_str_eq(joined(argv), HEAD "-Serve");
}
END_TEST

START_TEST(request_lines)
{
	char line[MSDNS_LINE_MAX];
	struct zoneop op;

	op = op_of(ZONEOP_CREATE, "example.com", ZONEOP_F_NO_CONVERGE);
	ck_assert_uint_gt(msdns_request_line(line, sizeof line, 7, &op, "192.0.2.1,2001:db8::1"), 0);
	ck_assert_str_eq(line, "7 Create example.com 192.0.2.1,2001:db8::1 NoConverge\n");
	op = op_of(ZONEOP_DELETE, "example.com", ZONEOP_F_UNMANAGED);
	msdns_request_line(line, sizeof line, 2147483648UL, &op, "");
	ck_assert_str_eq(line, "2147483648 Delete example.com - DeleteUnmanaged\n");
	op = op_of(ZONEOP_REFRESH, "example.com", 0);
	msdns_request_line(line, sizeof line, 1, &op, "192.0.2.1");
	ck_assert_str_eq(line, "1 Refresh example.com - -\n");
	op = op_of(ZONEOP_LIST, "", 0);
	msdns_request_line(line, sizeof line, 3, &op, "");
	ck_assert_str_eq(line, "3 List - - -\n");
	op = op_of(ZONEOP_CREATE, "example.com", 0);
	ck_assert_uint_eq(msdns_request_line(line, sizeof line, 0, &op, ""), 0);              /* seq 0 */
	ck_assert_uint_eq(msdns_request_line(line, sizeof line, 2147483649UL, &op, ""), 0);   /* past 2^31 */
	ck_assert_uint_eq(msdns_request_line(line, sizeof line, 1, &op, "192.0.2.1 x"), 0);   /* a space */
	ck_assert_uint_eq(msdns_request_line(line, sizeof line, 1, &op, "a\nb"), 0);          /* a control */
	ck_assert_uint_eq(msdns_request_line(line, 10, 1, &op, ""), 0);                         /* does not fit */
}
END_TEST

static struct msdns_line
parse(const char *s)
{
	struct msdns_line l;

	msdns_parse_line(s, strlen(s), &l);
	return l;
}

START_TEST(worker_lines)
{
	struct msdns_line l;

	ck_assert_int_eq(parse("msdns-ready 1").kind, MSDNS_LINE_READY);
	ck_assert_int_eq(parse("msdns-ready 1\r").kind, MSDNS_LINE_READY);
	ck_assert_int_eq(parse("msdns-ready 2").kind, MSDNS_LINE_STRAY);
	l = parse("12 exit 3");
	ck_assert_int_eq(l.kind, MSDNS_LINE_EXIT);
	ck_assert_uint_eq(l.seq, 12);
	ck_assert_int_eq(l.code, 3);
	l = parse("5 fact zone=a.example type=Primary ds=1 masters=-");
	ck_assert_int_eq(l.kind, MSDNS_LINE_FACT);
	ck_assert_uint_eq(l.seq, 5);
	ck_assert_uint_eq(l.text_len, strlen("zone=a.example type=Primary ds=1 masters=-"));
	ck_assert_int_eq(memcmp(l.text, "zone=a.example", 14), 0);
	/* malformed answers: a protocol break */
	ck_assert_int_eq(parse("12 exit").kind, MSDNS_LINE_BAD);
	ck_assert_int_eq(parse("12 exit x").kind, MSDNS_LINE_BAD);
	ck_assert_int_eq(parse("12 exit 256").kind, MSDNS_LINE_BAD);
	ck_assert_int_eq(parse("12 exit 1 2").kind, MSDNS_LINE_BAD);
	ck_assert_int_eq(parse("12 exit -1").kind, MSDNS_LINE_BAD);
	ck_assert_int_eq(parse("0 exit 0").kind, MSDNS_LINE_BAD);
	ck_assert_int_eq(parse("2147483649 exit 0").kind, MSDNS_LINE_BAD);
	ck_assert_int_eq(parse("12 fact").kind, MSDNS_LINE_BAD);
	/* anything else is stray: never an answer */
	ck_assert_int_eq(parse("").kind, MSDNS_LINE_STRAY);
	ck_assert_int_eq(parse("WARNING: something").kind, MSDNS_LINE_STRAY);
	ck_assert_int_eq(parse("012 exit 0").kind, MSDNS_LINE_STRAY);
	ck_assert_int_eq(parse("12345678901 exit 0").kind, MSDNS_LINE_STRAY);
	ck_assert_int_eq(parse("12 exited 0").kind, MSDNS_LINE_STRAY);
	ck_assert_int_eq(parse(" 12 exit 0").kind, MSDNS_LINE_STRAY);
	ck_assert_int_eq(parse("12exit 0").kind, MSDNS_LINE_STRAY);
	ck_assert_int_eq(parse("zone=a.example type=Primary ds=0 masters=-").kind, MSDNS_LINE_STRAY);
}
END_TEST

START_TEST(zone_facts)
{
	static const char *const bad[] = {
		"zone=a.example type=Primary ds=1",                                   /* missing masters */
		"zone=a.example type=Primary ds=1 masters=- ds=0",                    /* repeated */
		"zone=a.example type=Primary ds=2 masters=-",
		"zone=a.example type=primary ds=1 masters=-",
		"zone=a.example type=Cache ds=1 masters=-",
		"zone=a.example. type=Primary ds=1 masters=-",
		"zone=a;b.example type=Primary ds=1 masters=-",
		"zone=-a.example type=Primary ds=1 masters=-",
		"zone= type=Primary ds=1 masters=-",
		"zone=a.example type=Primary ds=1 masters=192.0.2.1,",
		"zone=a.example type=Primary ds=1 masters=192.0.2.1,,192.0.2.2",
		"zone=a.example type=Primary ds=1 masters=192.0.2.300",
		"zone=a.example type=Primary ds=1 masters=192.0.2.1:53",
		"zone=a.example type=Primary ds=1 masters=-  ",
		"zone=a.example  type=Primary ds=1 masters=-",
		"zone=a.example type=Primary ds=1 masters=- extra=1",
		"zone=a.example type=Primary ds=1 masters=- junk",
		"",
	};
	struct msdns_zone z;
	const char *s;
	size_t i;

	s = "zone=Sub.A.example type=Secondary ds=0 masters=192.0.2.1,2001:db8::53";
	ck_assert_int_eq(msdns_parse_zone(s, strlen(s), &z), 0);
	ck_assert_str_eq(z.name, "sub.a.example");
	ck_assert_str_eq(z.type, "Secondary");
	ck_assert_int_eq(z.ds_integrated, 0);
	ck_assert_str_eq(z.masters, "192.0.2.1,2001:db8::53");
	s = "masters=- ds=1 type=Primary zone=b.example\r";
	ck_assert_int_eq(msdns_parse_zone(s, strlen(s), &z), 0);
	ck_assert_str_eq(z.name, "b.example");
	ck_assert_str_eq(z.masters, "");
	ck_assert_int_eq(z.ds_integrated, 1);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(msdns_parse_zone(bad[i], strlen(bad[i]), &z) == -1, "accepted: %s", bad[i]);
}
END_TEST

START_TEST(exit_codes)
{
	const char *why;

	ck_assert_int_eq(msdns_exit_result(MSDNS_EXIT_OK, &why), ZONEOP_DONE);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(msdns_exit_result(MSDNS_EXIT_ABSENT, &why), ZONEOP_ABSENT);
	ck_assert_int_eq(msdns_exit_result(MSDNS_EXIT_NOT_OURS, &why), ZONEOP_NOT_OURS);
	ck_assert_int_eq(msdns_exit_result(MSDNS_EXIT_BAD_ARGS, &why), ZONEOP_FAILED);
	ck_assert_ptr_nonnull(strstr(why, "exit 4"));
	ck_assert_int_eq(msdns_exit_result(MSDNS_EXIT_UNREACHABLE, &why), ZONEOP_FAILED);
	ck_assert_ptr_nonnull(strstr(why, "unreachable"));
	ck_assert_int_eq(msdns_exit_result(MSDNS_EXIT_FAILED, &why), ZONEOP_FAILED);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(msdns_exit_result(77, &why), ZONEOP_FAILED);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(zone_names_and_ops)
{
	char out[ZONE_NAME_MAX], long_name[300];
	struct zoneop a, b;

	ck_assert_int_eq(zoneop_name_check("Ex_1.COM.", 9, out), 0);
	ck_assert_str_eq(out, "ex_1.com");
	ck_assert_int_eq(zoneop_name_check("a..b", 4, out), -1);
	ck_assert_int_eq(zoneop_name_check(".", 1, out), -1);
	ck_assert_int_eq(zoneop_name_check("a b", 3, out), -1);
	memset(long_name, 'a', sizeof long_name);
	long_name[63] = '.';
	long_name[127] = '.';
	long_name[191] = '.';
	ck_assert_int_eq(zoneop_name_check(long_name, 253, out), 0);
	ck_assert_int_eq(zoneop_name_check(long_name, 254, out), -1);
	ck_assert_int_eq(zoneop_name_check(long_name + 192, 64, out), -1);   /* a 64-octet label */
	ck_assert_str_eq(zoneop_kind_name(ZONEOP_LIST), "List");
	ck_assert_str_eq(zoneop_result_name(ZONEOP_TIMEOUT), "timed out");
	a = op_of(ZONEOP_CREATE, "x.example", 0);
	b = a;
	ck_assert(zoneop_same(&a, &b));
	snprintf(b.masters, sizeof b.masters, "192.0.2.1");
	ck_assert(!zoneop_same(&a, &b));
	b = a;
	b.flags = ZONEOP_F_NO_CONVERGE;
	ck_assert(!zoneop_same(&a, &b));
	memset(long_name, 'a', sizeof long_name);
	long_name[299] = '\0';
	ck_assert_int_eq(zoneop_set(&a, ZONEOP_GET, long_name), -1);
}
END_TEST

/* A List of exactly ZONEOP_LIST_MAX zone lines is collected whole; one more line is refused. */
START_TEST(list_fact_limit)
{
	struct zoneop_list *l = NULL;
	const struct zoneop_zone *zones;
	char line[128];
	size_t n;
	int i;

	for (i = 0; i < ZONEOP_LIST_MAX; i++) {
		snprintf(line, sizeof line, "zone=z%d.example type=Secondary ds=0 masters=192.0.2.%d", i, i % 2 + 1);
		ck_assert_ptr_null(msdns_list_fact(&l, line, strlen(line)));
	}
	zones = zoneop_list_zones(l, &n);
	ck_assert_uint_eq(n, ZONEOP_LIST_MAX);
	for (i = 0; i < ZONEOP_LIST_MAX; i++) {
		snprintf(line, sizeof line, "z%d.example", i);
		ck_assert_str_eq(zones[i].name, line);
		ck_assert_str_eq(zones[i].masters, i % 2 ? "192.0.2.2" : "192.0.2.1");
		ck_assert_str_eq(zones[i].type, "Secondary");
	}
	snprintf(line, sizeof line, "zone=one-more.example type=Primary ds=1 masters=-");
	ck_assert_ptr_nonnull(msdns_list_fact(&l, line, strlen(line)));
	zoneop_list_zones(l, &n);
	ck_assert_uint_eq(n, ZONEOP_LIST_MAX);
	zoneop_list_free(l);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("msdns");
	TCase *tc = tcase_create("msdns");

	tcase_add_test(tc, argv_per_operation);
	tcase_add_test(tc, request_lines);
	tcase_add_test(tc, worker_lines);
	tcase_add_test(tc, zone_facts);
	tcase_add_test(tc, exit_codes);
	tcase_add_test(tc, zone_names_and_ops);
	tcase_add_test(tc, list_fact_limit);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
