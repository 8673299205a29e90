/* Tests of the metrics module: counters, labels, histograms and collectors in the exposition text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"
#include "jsonw.h"
#include "replay-status.h"
#include "metrics.h"
#include "testutil.h"

static char *text;

static void
render(void)
{
	size_t len;

	free(text);
	text = metrics_render("1.2.3", &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
}

static void
teardown(void)
{
	free(text);
	text = NULL;
	metrics_reset();
}

/* Whether the exposition has exactly this line. */
static int
has_line(const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

START_TEST(requests_by_opcode_and_rcode)
{
	metrics_request(14, 0);
	metrics_request(14, 0);
	metrics_request(4, 5);
	metrics_request(7, 9);        /* an opcode without a name is "other" */
	metrics_request(0, 23);       /* an rcode without a name too */
	render();
	ck_assert(has_line("msdns_agent_requests_total{opcode=\"CC\",rcode=\"NOERROR\"} 2"));
	ck_assert(has_line("msdns_agent_requests_total{opcode=\"NOTIFY\",rcode=\"REFUSED\"} 1"));
	ck_assert(has_line("msdns_agent_requests_total{opcode=\"other\",rcode=\"NOTAUTH\"} 1"));
	ck_assert(has_line("msdns_agent_requests_total{opcode=\"QUERY\",rcode=\"other\"} 1"));
	ck_assert(has_line("msdns_agent_requests_total{opcode=\"NOTIFY\",rcode=\"NOERROR\"} 0"));
	ck_assert(has_line("# TYPE msdns_agent_requests_total counter"));
	ck_assert(has_line("msdns_agent_build_info{version=\"1.2.3\"} 1"));
	ck_assert_uint_eq(metrics_requests(14, 0), 2);
}
END_TEST

START_TEST(drops_processes_tsig)
{
	metrics_dropped(METRICS_DROP_MALFORMED);
	metrics_dropped(METRICS_DROP_TSIG);
	metrics_dropped(METRICS_DROP_N);   /* out of range: ignored */
	metrics_process(METRICS_PROC_STARTED);
	metrics_process(METRICS_PROC_KILLED_TIMEOUT);
	metrics_tsig_refused(17);
	metrics_tsig_refused(99);
	metrics_queue_full();
	render();
	ck_assert(has_line("msdns_agent_requests_dropped_total{reason=\"malformed\"} 1"));
	ck_assert(has_line("msdns_agent_requests_dropped_total{reason=\"tsig_without_keys\"} 1"));
	ck_assert(has_line("msdns_agent_requests_dropped_total{reason=\"oversized\"} 0"));
	ck_assert(has_line("msdns_agent_powershell_processes_total{event=\"started\"} 1"));
	ck_assert(has_line("msdns_agent_powershell_processes_total{event=\"killed_timeout\"} 1"));
	ck_assert(has_line("msdns_agent_powershell_processes_total{event=\"start_failed\"} 0"));
	ck_assert(has_line("msdns_agent_tsig_refusals_total{error=\"BADKEY\"} 1"));
	ck_assert(has_line("msdns_agent_tsig_refusals_total{error=\"other\"} 1"));
	ck_assert(has_line("msdns_agent_queue_full_total 1"));
}
END_TEST

START_TEST(operations_and_histogram)
{
	metrics_zoneop("Create", "done", 0.6);
	metrics_zoneop("Create", "not ours", 0.04);
	metrics_zoneop("Delete", "timed out", 200);
	metrics_zoneop("Refresh", "failed", 1.0);
	metrics_zoneop("Bogus", "weird", 1.0);   /* counted, as "other", and never rendered as a label */
	render();
	ck_assert(has_line("msdns_agent_zone_operations_total{operation=\"Create\",result=\"done\"} 1"));
	ck_assert(has_line("msdns_agent_zone_operations_total{operation=\"Create\",result=\"not_ours\"} 1"));
	ck_assert(has_line("msdns_agent_zone_operations_total{operation=\"Delete\",result=\"timed_out\"} 1"));
	ck_assert(has_line("# TYPE msdns_agent_zone_operation_duration_seconds histogram"));
	ck_assert(has_line("msdns_agent_zone_operation_duration_seconds_bucket{operation=\"Create\",le=\"0.05\"} 1"));
	ck_assert(has_line("msdns_agent_zone_operation_duration_seconds_bucket{operation=\"Create\",le=\"0.5\"} 1"));
	ck_assert(has_line("msdns_agent_zone_operation_duration_seconds_bucket{operation=\"Create\",le=\"1\"} 2"));
	ck_assert(has_line("msdns_agent_zone_operation_duration_seconds_bucket{operation=\"Create\",le=\"+Inf\"} 2"));
	ck_assert(has_line("msdns_agent_zone_operation_duration_seconds_count{operation=\"Create\"} 2"));
	ck_assert(has_line("msdns_agent_zone_operation_duration_seconds_sum{operation=\"Create\"} 0.64"));
	/* past the last bucket: only +Inf */
	ck_assert(has_line("msdns_agent_zone_operation_duration_seconds_bucket{operation=\"Delete\",le=\"120\"} 0"));
	ck_assert(has_line("msdns_agent_zone_operation_duration_seconds_bucket{operation=\"Delete\",le=\"+Inf\"} 1"));
	ck_assert_ptr_null(strstr(text, "Bogus"));
	ck_assert_ptr_null(strstr(text, "weird"));
}
END_TEST

static void
collect(void *arg, struct metrics_out *o)
{
	const char *name = arg;
	const char *l1[] = { "catalog", name, NULL };
	const char *l2[] = { "catalog", "cat.example.", NULL };

	metrics_family(o, "catalog_members", "gauge", "Members of the last valid version.");
	metrics_sample(o, 3, l1);
	metrics_sample(o, 100000, l2);
	metrics_family(o, "queue_depth", "gauge", "Operations queued or running.");
	metrics_sample(o, 2.5, NULL);
}

START_TEST(collectors_and_escaping)
{
	ck_assert_int_eq(metrics_add_collector(collect, "we\"ird\\cat\n."), 0);
	render();
	ck_assert(has_line("# HELP msdns_agent_catalog_members Members of the last valid version."));
	ck_assert(has_line("msdns_agent_catalog_members{catalog=\"we\\\"ird\\\\cat\\n.\"} 3"));
	ck_assert(has_line("msdns_agent_catalog_members{catalog=\"cat.example.\"} 100000"));
	ck_assert(has_line("msdns_agent_queue_depth 2.5"));
	for (int i = 1; i < 8; i++)
		ck_assert_int_eq(metrics_add_collector(collect, "x"), 0);
	ck_assert_int_eq(metrics_add_collector(collect, "x"), -1);
}
END_TEST

START_TEST(every_family_has_help_and_type)
{
	char *line, *save = NULL, *copy;
	char family[128] = "";

	metrics_request(14, 0);
	render();
	copy = strdup(text);
	/* every sample's name starts with the family of the TYPE line before it */
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert(sscanf(line + 7, "%127s", family) == 1);
			continue;
		}
		if (line[0] == '#')
			continue;
		ck_assert_msg(family[0] != '\0' && strncmp(line, family, strlen(family)) == 0, "%s", line);
		ck_assert(strncmp(line, "msdns_agent_", 12) == 0);
	}
	free(copy);
}
END_TEST

START_TEST(json_writer)
{
	struct jsonw *j = jsonw_new();
	size_t len;
	char *out;

	ck_assert_ptr_nonnull(j);
	jsonw_string(j, "version", "0.1.0");
	jsonw_int(j, "uptime", 42);
	jsonw_array(j, "listen");
	jsonw_string(j, NULL, "127.0.0.1:5358");
	jsonw_string(j, NULL, "a\"b\\c\n\x01");
	jsonw_end(j);
	jsonw_object(j, "queue");
	jsonw_bool(j, "full", 0);
	jsonw_double(j, "ratio", 0.5);
	jsonw_string(j, "null", NULL);
	/* left open: finish closes it */
	out = jsonw_finish(j, &len);
	ck_assert_str_eq(out, "{\"version\":\"0.1.0\",\"uptime\":42,\"listen\":[\"127.0.0.1:5358\","
	    "\"a\\\"b\\\\c\\u000a\\u0001\"],\"queue\":{\"full\":false,\"ratio\":0.500000,\"null\":null}}");
	ck_assert_uint_eq(len, strlen(out));
	free(out);
}
END_TEST

static char flat[4096];

static void
flatten_into(void *arg, const char *path, const char *value, int is_string)
{
	size_t n = strlen(flat);

	(void)arg;
	snprintf(flat + n, sizeof flat - n, "%s=%s%s;", path, is_string ? "s:" : "", value);
}

START_TEST(json_reader)
{
	static const char *const bad[] = { "", "{", "{\"a\":}", "{\"a\" 1}", "[1,]x", "{\"a\":tru}", "\"abc",
		"{\"a\":\"\\x\"}", "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", "{\"a\":1}}", "nul", "\"\x01\"" };
	const char *doc = " {\"v\":\"0.1\",\"n\":-1.5e3,\"o\":{\"t\":true,\"z\":null},\"a\":[\"x\\n\\u0041\\u00e9\",{\"k\":2}],"
	    "\"e\":[],\"f\":{}} ";
	size_t i;

	flat[0] = '\0';
	ck_assert_int_eq(jsonr_flatten(doc, strlen(doc), flatten_into, NULL), 0);
	ck_assert_str_eq(flat, "v=s:0.1;n=-1.5e3;o.t=true;o.z=null;a.0=s:x\nA?;a.1.k=2;");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		flat[0] = '\0';
		ck_assert_msg(jsonr_flatten(bad[i], strlen(bad[i]), flatten_into, NULL) == -1, "%s", bad[i]);
	}
}
END_TEST

/* The replay tool's table from a document like the agent's. */
START_TEST(status_table)
{
	struct jsonw *j = jsonw_new();
	char *doc, out[4096];
	size_t len;
	FILE *f = tmpfile();
	int rc;

	jsonw_string(j, "version", "0.1.0");
	jsonw_double(j, "uptime_seconds", 3725.5);
	jsonw_object(j, "health");
	jsonw_bool(j, "ok", 0);
	jsonw_string(j, "reason", "powershell C:\\x.exe cannot be read");
	jsonw_end(j);
	jsonw_array(j, "listen");
	jsonw_string(j, NULL, "127.0.0.1:5358");
	jsonw_string(j, NULL, "[::1]:5358");
	jsonw_end(j);
	jsonw_object(j, "backend");
	jsonw_string(j, "driver", "msdns");
	jsonw_int(j, "max_concurrent", 4);
	jsonw_int(j, "max_queued", 1000);
	jsonw_double(j, "operation_timeout", 60);
	jsonw_end(j);
	jsonw_object(j, "queue");
	jsonw_int(j, "requests_waiting", 3);
	jsonw_int(j, "operations_in_flight", 2);
	jsonw_int(j, "operations_started", 77);
	jsonw_int(j, "failures_in_a_row", 0);
	jsonw_end(j);
	jsonw_array(j, "catalogs");
	jsonw_object(j, NULL);
	jsonw_string(j, "name", "cat.example.");
	jsonw_int(j, "serial", 2024010101);
	jsonw_int(j, "members", 120);
	jsonw_bool(j, "broken", 1);
	jsonw_bool(j, "expired", 0);
	jsonw_double(j, "seconds_since_success", 12);
	jsonw_int(j, "pending", 5);
	jsonw_int(j, "clashes", 1);
	jsonw_string(j, "last_error", "two PTRs at one label");
	jsonw_end(j);
	jsonw_end(j);
	doc = jsonw_finish(j, &len);
	rc = replay_status_print(f, doc, len);
	ck_assert_int_eq(rc, STATUS_UNHEALTHY);
	rewind(f);
	out[fread(out, 1, sizeof out - 1, f)] = '\0';
	fclose(f);
	ck_assert_msg(strstr(out, "msdns-agent 0.1.0, up 1h 02m 05s, health: FAILING: powershell C:\\x.exe cannot be read\n")
	    != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "listen   127.0.0.1:5358, [::1]:5358\n"));
	ck_assert_ptr_nonnull(strstr(out, "backend  msdns: max_concurrent 4, max_queued 1000"));
	ck_assert_ptr_nonnull(strstr(out, "queue    3 requests waiting, 2 operations in flight, 77 started"));
	ck_assert_ptr_nonnull(strstr(out, "cat.example."));
	ck_assert_ptr_nonnull(strstr(out, "2024010101"));
	ck_assert_ptr_nonnull(strstr(out, "two PTRs at one label"));
	free(doc);
	f = tmpfile();
	ck_assert_int_eq(replay_status_print(f, "[1,2]", 5), STATUS_NO_ANSWER);
	ck_assert_int_eq(replay_status_print(f, "<html>", 6), STATUS_NO_ANSWER);
	fclose(f);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, requests_by_opcode_and_rcode);
	tcase_add_test(tc, drops_processes_tsig);
	tcase_add_test(tc, operations_and_histogram);
	tcase_add_test(tc, collectors_and_escaping);
	tcase_add_test(tc, every_family_has_help_and_type);
	tcase_add_test(tc, json_writer);
	tcase_add_test(tc, json_reader);
	tcase_add_test(tc, status_table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run_suite(suite());
}
