/* Tests of the cmdline module: hostile arguments survive quoting and CommandLineToArgvW's rules. */
#include <stdio.h>
#include <string.h>

#include "wincmdline.h"
#include "testutil.h"

static const char *const hostile[] = {
	"plain", "", "two words", "tab\there", "\"", "\"\"", "a\"b", "\\", "\\\\", "a\\", "a\\\\",
	"a\\\"b", "a\\\\\"b", "trailing space ", " leading", "C:\\Program Files\\x\\", "C:\\dir\\\"q\"\\",
	"%PATH%", "$(Get-Process)", "'single'", "`backtick`", "a;b&c|d", "-Zone", "\\\\server\\share\\",
	"new\nline", "ünïcödé",
};

START_TEST(round_trip)
{
	const char *argv[4];
	char line[1024], buf[1024], *out[8];
	size_t n;

	argv[0] = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
	argv[1] = hostile[_i];
	argv[2] = "-Zone";
	argv[3] = NULL;
	ck_assert_uint_gt(wincmdline_quote(argv, line, sizeof line), 0);
	n = wincmdline_split(line, buf, sizeof buf, out, 8);
	ck_assert_msg(n == 3, "'%s' -> [%s] split into %zu", hostile[_i], line, n);
	ck_assert_str_eq(out[0], argv[0]);
	ck_assert_str_eq(out[1], hostile[_i]);
	ck_assert_str_eq(out[2], "-Zone");
	/* on Windows, the system's own CommandLineToArgvW agrees */
	{
		char native[2048], want[2048];
		int nn = tu_native_split(line, native, sizeof native);

		ck_assert_int_ne(nn, -1);
		if (nn >= 0) {
			snprintf(want, sizeof want, "%s\n%s\n-Zone\n", argv[0], hostile[_i]);
			ck_assert_str_eq(native, want);
		}
	}
}
END_TEST

/* The split rules themselves, on lines written by hand (Microsoft's documented examples). */
START_TEST(split_rules)
{
	char buf[256], *out[8];

	ck_assert_uint_eq(wincmdline_split("x \"a b c\" d e", buf, sizeof buf, out, 8), 4);
	ck_assert_str_eq(out[1], "a b c");
	ck_assert_uint_eq(wincmdline_split("x \"ab\\\"c\" \"\\\\\" d", buf, sizeof buf, out, 8), 4);
	ck_assert_str_eq(out[1], "ab\"c");
	ck_assert_str_eq(out[2], "\\");
	ck_assert_uint_eq(wincmdline_split("x a\\\\\\b d\"e f\"g h", buf, sizeof buf, out, 8), 4);
	ck_assert_str_eq(out[1], "a\\\\\\b");
	ck_assert_str_eq(out[2], "de fg");
	ck_assert_uint_eq(wincmdline_split("x a\\\\\\\"b c d", buf, sizeof buf, out, 8), 4);
	ck_assert_str_eq(out[1], "a\\\"b");
	ck_assert_uint_eq(wincmdline_split("\"C:\\a b\\p.exe\" -x", buf, sizeof buf, out, 8), 2);
	ck_assert_str_eq(out[0], "C:\\a b\\p.exe");
}
END_TEST

START_TEST(quote_shapes)
{
	const char *argv[] = { "C:\\p.exe", "a b", "", "q\"", "end\\", NULL };
	char line[256];

	ck_assert_uint_gt(wincmdline_quote(argv, line, sizeof line), 0);
	ck_assert_str_eq(line, "\"C:\\p.exe\" \"a b\" \"\" \"q\\\"\" end\\");
	ck_assert_uint_eq(wincmdline_quote(argv, line, 10), 0);   /* does not fit */
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("wincmdline");
	TCase *tc = tcase_create("wincmdline");

	tcase_add_loop_test(tc, round_trip, 0, (int)(sizeof hostile / sizeof hostile[0]));
	tcase_add_test(tc, split_rules);
	tcase_add_test(tc, quote_shapes);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
