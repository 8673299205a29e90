/* Tests of proclines: lines across chunks, CR stripped, over-long lines cut and flagged, the unterminated rest. */
#include <stdlib.h>
#include <string.h>

#include "proclines.h"
#include "testutil.h"

struct got {
	char text[8][PROCLINES_MAX + 1];
	size_t len[8];
	unsigned flags[8];
	int n;
};

static void
collect(void *arg, const char *text, size_t len, unsigned flags)
{
	struct got *g = arg;

	ck_assert_int_lt(g->n, 8);
	ck_assert_int_eq(text[len], '\0');
	memcpy(g->text[g->n], text, len + 1);
	g->len[g->n] = len;
	g->flags[g->n] = flags;
	g->n++;
}

static struct proclines l;
static struct got g;

START_TEST(lines_across_chunks)
{
	memset(&g, 0, sizeof g);
	proclines_init(&l);
	proclines_feed(&l, "one\ntw", 6, collect, &g);
	ck_assert_int_eq(g.n, 1);
	proclines_feed(&l, "o\r\n\nthree", 9, collect, &g);
	ck_assert_int_eq(g.n, 3);
	ck_assert_str_eq(g.text[0], "one");
	ck_assert_str_eq(g.text[1], "two");
	ck_assert_str_eq(g.text[2], "");
	ck_assert_uint_eq(g.flags[1], 0);
	proclines_end(&l, collect, &g);
	ck_assert_int_eq(g.n, 4);
	ck_assert_str_eq(g.text[3], "three");
	ck_assert_uint_eq(g.flags[3], PROCLINES_UNTERMINATED);
	proclines_end(&l, collect, &g);   /* nothing left: nothing more */
	ck_assert_int_eq(g.n, 4);
}
END_TEST

START_TEST(nul_inside_a_line)
{
	memset(&g, 0, sizeof g);
	proclines_init(&l);
	proclines_feed(&l, "a\0b\n", 4, collect, &g);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.len[0], 3);
	ck_assert_int_eq(memcmp(g.text[0], "a\0b", 3), 0);
}
END_TEST

START_TEST(long_line_cut)
{
	size_t big = PROCLINES_MAX * 3 + 17, i;
	char *buf = malloc(big + 8);

	memset(&g, 0, sizeof g);
	proclines_init(&l);
	memset(buf, 'x', big);
	memcpy(buf + big, "\nok\n", 4);
	/* in odd-sized chunks, so the bound is crossed inside a chunk and across chunks */
	for (i = 0; i < big + 4; i += 1000)
		proclines_feed(&l, buf + i, big + 4 - i < 1000 ? big + 4 - i : 1000, collect, &g);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(g.len[0], PROCLINES_MAX);
	ck_assert_uint_eq(g.flags[0], PROCLINES_CUT);
	ck_assert_str_eq(g.text[1], "ok");
	ck_assert_uint_eq(g.flags[1], 0);
	ck_assert_uint_eq(l.cut_octets, big - PROCLINES_MAX);
	free(buf);
}
END_TEST

START_TEST(exactly_the_bound_is_whole)
{
	char *buf = malloc(PROCLINES_MAX + 1);

	memset(&g, 0, sizeof g);
	proclines_init(&l);
	memset(buf, 'y', PROCLINES_MAX);
	buf[PROCLINES_MAX] = '\n';
	proclines_feed(&l, buf, PROCLINES_MAX, collect, &g);
	ck_assert_int_eq(g.n, 0);   /* held: no end of line yet */
	proclines_feed(&l, buf + PROCLINES_MAX, 1, collect, &g);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.len[0], PROCLINES_MAX);
	ck_assert_uint_eq(g.flags[0], 0);
	free(buf);
}
END_TEST

START_TEST(cut_line_unterminated_at_end)
{
	char *buf = malloc(PROCLINES_MAX + 10);

	memset(&g, 0, sizeof g);
	proclines_init(&l);
	memset(buf, 'z', PROCLINES_MAX + 10);
	proclines_feed(&l, buf, PROCLINES_MAX + 10, collect, &g);
	proclines_end(&l, collect, &g);
	ck_assert_int_eq(g.n, 1);   /* the cut start only; the dropped rest is not a line of its own */
	ck_assert_uint_eq(g.flags[0], PROCLINES_CUT);
	free(buf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proclines");
	TCase *tc = tcase_create("proclines");

	tcase_add_test(tc, lines_across_chunks);
	tcase_add_test(tc, nul_inside_a_line);
	tcase_add_test(tc, long_line_cut);
	tcase_add_test(tc, exactly_the_bound_is_whole);
	tcase_add_test(tc, cut_line_unterminated_at_end);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
