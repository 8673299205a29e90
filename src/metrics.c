/* Counters for operators, rendered as Prometheus text exposition format 0.0.4 (pure). */
#include "metrics.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every label set is bounded and known here: opcodes and rcodes by name (anything else is
 * "other"), operations and results from fixed lists. Zone names never become labels; catalog
 * names (configuration) may, through a collector.
 */
struct code_name {
	unsigned code;
	const char *name;
};

static const struct code_name opcodes[] = {
	{ 0, "QUERY" }, { 1, "IQUERY" }, { 2, "STATUS" }, { 4, "NOTIFY" }, { 5, "UPDATE" }, { 14, "CC" },
};
#define N_OPCODES (sizeof opcodes / sizeof opcodes[0] + 1)

static const struct code_name rcodes[] = {
	{ 0, "NOERROR" }, { 1, "FORMERR" }, { 2, "SERVFAIL" }, { 3, "NXDOMAIN" }, { 4, "NOTIMP" },
	{ 5, "REFUSED" }, { 9, "NOTAUTH" },
};
#define N_RCODES (sizeof rcodes / sizeof rcodes[0] + 1)

static const char *const drop_names[METRICS_DROP_N] = {
	"malformed", "no_question", "tsig_without_keys", "oversized", "overload",
};
static const char *const proc_names[METRICS_PROC_N] = {
	"started", "killed_timeout", "start_failed", "worker_replaced",
};
static const char *const op_names[] = { "Get", "Create", "Delete", "Refresh", "List", "other" };
#define N_OPS (sizeof op_names / sizeof op_names[0])
static const char *const result_names[] = { "done", "absent", "not_ours", "failed", "timed_out", "other" };
#define N_RESULTS (sizeof result_names / sizeof result_names[0])
static const struct code_name tsig_errors[] = {
	{ 16, "BADSIG" }, { 17, "BADKEY" }, { 18, "BADTIME" }, { 22, "BADTRUNC" },
};
#define N_TSIG (sizeof tsig_errors / sizeof tsig_errors[0] + 1)

/* Operation durations, in seconds: PowerShell costs from tens of milliseconds to a minute. */
static const double buckets[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120 };
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

#define MAX_COLLECTORS 8

static struct {
	uint64_t requests[N_OPCODES][N_RCODES];
	uint64_t drops[METRICS_DROP_N];
	uint64_t ops[N_OPS][N_RESULTS];
	uint64_t op_bucket[N_OPS][N_BUCKETS];   /* cumulative at render, per bucket here */
	uint64_t op_count[N_OPS];
	double op_sum[N_OPS];
	uint64_t queue_full;
	uint64_t in_flight;
	long workers;                /* -1: no pool */
	unsigned long fails_in_a_row;
	uint64_t procs[METRICS_PROC_N];
	uint64_t tsig[N_TSIG];
	struct { metrics_collect_fn *fn; void *arg; } collectors[MAX_COLLECTORS];
	size_t n_collectors;
} m = { .workers = -1 };

struct metrics_out {
	char *buf;
	size_t len, cap;
	int failed;
	const char *family;   /* the family samples are written for */
};

/* Index of code in table[0..n-1), or n - 1 (the "other" slot) when it has no name there. */
static size_t
code_index(const struct code_name *table, size_t n, unsigned code)
{
	size_t i;

	for (i = 0; i < n - 1; i++)
		if (table[i].code == code)
			return i;
	return n - 1;
}

#define opcode_index(code) code_index(opcodes, N_OPCODES, code)
#define rcode_index(code) code_index(rcodes, N_RCODES, code)

/* Index of name in names[n] (the last being "other"), ignoring case, spaces and '-' against '_'. */
static size_t
name_index(const char *name, const char *const names[], size_t n)
{
	size_t i, j;

	for (i = 0; name != NULL && i < n - 1; i++) {
		for (j = 0; name[j] != '\0' && names[i][j] != '\0'; j++) {
			char a = (char)tolower((unsigned char)name[j]), b = (char)tolower((unsigned char)names[i][j]);
			if (a == ' ' || a == '-')
				a = '_';
			if (a != b)
				break;
		}
		if (name[j] == '\0' && names[i][j] == '\0')
			return i;
	}
	return n - 1;
}

void
metrics_reset(void)
{
	memset(&m, 0, sizeof m);
	m.workers = -1;
}

void
metrics_workers_alive(unsigned n)
{
	m.workers = (long)n;
}

long
metrics_workers(void)
{
	return m.workers;
}

void
metrics_request(unsigned opcode, unsigned rcode)
{
	m.requests[opcode_index(opcode)][rcode_index(rcode)]++;
}

void
metrics_dropped(enum metrics_drop why)
{
	if ((unsigned)why < METRICS_DROP_N)
		m.drops[why]++;
}

void
metrics_zoneop(const char *kind, const char *result, double seconds)
{
	size_t k = name_index(kind, op_names, N_OPS), r = name_index(result, result_names, N_RESULTS), b;

	m.ops[k][r]++;
	if (m.in_flight > 0)
		m.in_flight--;
	if (r == 3 || r == 4)   /* failed, timed out */
		m.fails_in_a_row++;
	else
		m.fails_in_a_row = 0;
	m.op_count[k]++;
	m.op_sum[k] += seconds > 0 ? seconds : 0;
	for (b = 0; b < N_BUCKETS; b++)
		if (seconds <= buckets[b]) {
			m.op_bucket[k][b]++;
			break;
		}
}

void
metrics_zoneop_started(void)
{
	m.in_flight++;
}

uint64_t
metrics_in_flight(void)
{
	return m.in_flight;
}

unsigned long
metrics_failures_in_a_row(void)
{
	return m.fails_in_a_row;
}

void
metrics_queue_full(void)
{
	m.queue_full++;
}

void
metrics_process(enum metrics_proc what)
{
	if ((unsigned)what < METRICS_PROC_N)
		m.procs[what]++;
}

void
metrics_tsig_refused(unsigned tsig_error)
{
	m.tsig[code_index(tsig_errors, N_TSIG, tsig_error)]++;
}

int
metrics_add_collector(metrics_collect_fn *fn, void *arg)
{
	if (m.n_collectors >= MAX_COLLECTORS)
		return -1;
	m.collectors[m.n_collectors].fn = fn;
	m.collectors[m.n_collectors].arg = arg;
	m.n_collectors++;
	return 0;
}

uint64_t
metrics_requests(unsigned opcode, unsigned rcode)
{
	return m.requests[opcode_index(opcode)][rcode_index(rcode)];
}

uint64_t
metrics_drops(enum metrics_drop why)
{
	return (unsigned)why < METRICS_DROP_N ? m.drops[why] : 0;
}

uint64_t
metrics_processes(enum metrics_proc what)
{
	return (unsigned)what < METRICS_PROC_N ? m.procs[what] : 0;
}

static void
out_printf(struct metrics_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
out_printf(struct metrics_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap * 2 + (size_t)n;
		char *nb = realloc(o->buf, cap);
		if (nb == NULL) {
			o->failed = 1;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
}

/* A float as Prometheus reads it: integers without a fraction. */
static void
out_value(struct metrics_out *o, double v)
{
	if (v < 9.0e15 && v > -9.0e15 && v == (double)(int64_t)v)
		out_printf(o, " %lld\n", (long long)v);
	else if (v >= 1.0e6 || v <= -1.0e6)
		out_printf(o, " %.3f\n", v);   /* a time since the epoch keeps its milliseconds */
	else
		out_printf(o, " %.9g\n", v);
}

/* A label value with \, " and newline escaped as the format requires. */
static void
out_label_value(struct metrics_out *o, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			out_printf(o, "\\\\");
		else if (*v == '"')
			out_printf(o, "\\\"");
		else if (*v == '\n')
			out_printf(o, "\\n");
		else
			out_printf(o, "%c", *v);
	}
}

void
metrics_family(struct metrics_out *o, const char *name, const char *type, const char *help)
{
	o->family = name;
	out_printf(o, "# HELP msdns_agent_%s %s\n# TYPE msdns_agent_%s %s\n", name, help, name, type);
}

/* One sample line: name (with suffix), labels as pairs, value. */
static void
out_sample(struct metrics_out *o, const char *suffix, const char *const labels[], double value)
{
	size_t i;

	out_printf(o, "msdns_agent_%s%s", o->family, suffix);
	if (labels != NULL && labels[0] != NULL) {
		out_printf(o, "{");
		for (i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
			out_printf(o, "%s%s=\"", i > 0 ? "," : "", labels[i]);
			out_label_value(o, labels[i + 1]);
			out_printf(o, "\"");
		}
		out_printf(o, "}");
	}
	out_value(o, value);
}

void
metrics_sample(struct metrics_out *o, double value, const char *const labels[])
{
	out_sample(o, "", labels, value);
}

static const char *
opcode_name(size_t i)
{
	return i < N_OPCODES - 1 ? opcodes[i].name : "other";
}

static const char *
rcode_name(size_t i)
{
	return i < N_RCODES - 1 ? rcodes[i].name : "other";
}

static void
render_counters(struct metrics_out *o)
{
	size_t i, j, b;
	char le[32];

	metrics_family(o, "requests_total", "counter", "Requests answered, by opcode and answer rcode.");
	for (i = 0; i < N_OPCODES; i++)
		for (j = 0; j < N_RCODES; j++) {
			const char *l[] = { "opcode", opcode_name(i), "rcode", rcode_name(j), NULL };
			metrics_sample(o, (double)m.requests[i][j], l);
		}
	metrics_family(o, "requests_dropped_total", "counter", "Messages given no reply, by reason.");
	for (i = 0; i < METRICS_DROP_N; i++) {
		const char *l[] = { "reason", drop_names[i], NULL };
		metrics_sample(o, (double)m.drops[i], l);
	}
	metrics_family(o, "zone_operations_total", "counter", "Zone operations ended, by operation and result.");
	for (i = 0; i < N_OPS - 1; i++)
		for (j = 0; j < N_RESULTS - 1; j++) {
			const char *l[] = { "operation", op_names[i], "result", result_names[j], NULL };
			metrics_sample(o, (double)m.ops[i][j], l);
		}
	metrics_family(o, "zone_operation_duration_seconds", "histogram",
	    "Time from the start of a zone operation to its result, by operation.");
	for (i = 0; i < N_OPS - 1; i++) {
		uint64_t cum = 0;
		for (b = 0; b < N_BUCKETS; b++) {
			cum += m.op_bucket[i][b];
			snprintf(le, sizeof le, "%g", buckets[b]);
			const char *l[] = { "operation", op_names[i], "le", le, NULL };
			out_sample(o, "_bucket", l, (double)cum);
		}
		const char *inf[] = { "operation", op_names[i], "le", "+Inf", NULL };
		const char *op[] = { "operation", op_names[i], NULL };
		out_sample(o, "_bucket", inf, (double)m.op_count[i]);
		out_sample(o, "_sum", op, m.op_sum[i]);
		out_sample(o, "_count", op, (double)m.op_count[i]);
	}
	metrics_family(o, "queue_full_total", "counter", "Requests answered SERVFAIL at once because the zone queue was full.");
	metrics_sample(o, (double)m.queue_full, NULL);
	metrics_family(o, "powershell_processes_total", "counter",
	    "PowerShell processes started, killed at operation_timeout, failed to start, and workers replaced.");
	for (i = 0; i < METRICS_PROC_N; i++) {
		const char *l[] = { "event", proc_names[i], NULL };
		metrics_sample(o, (double)m.procs[i], l);
	}
	if (m.workers >= 0) {
		metrics_family(o, "powershell_workers", "gauge", "Persistent PowerShell workers alive.");
		metrics_sample(o, (double)m.workers, NULL);
	}
	metrics_family(o, "tsig_refusals_total", "counter", "Signed requests refused, by TSIG error.");
	for (i = 0; i < N_TSIG; i++) {
		const char *l[] = { "error", i < N_TSIG - 1 ? tsig_errors[i].name : "other", NULL };
		metrics_sample(o, (double)m.tsig[i], l);
	}
}

char *
metrics_render(const char *version, size_t *len)
{
	struct metrics_out o = { NULL, 0, 0, 0, NULL };
	size_t i;

	o.cap = 8192;
	o.buf = malloc(o.cap);
	if (o.buf == NULL)
		return NULL;
	o.buf[0] = '\0';
	metrics_family(&o, "build_info", "gauge", "Always 1; the version is a label.");
	{
		const char *l[] = { "version", version, NULL };
		metrics_sample(&o, 1, l);
	}
	render_counters(&o);
	for (i = 0; i < m.n_collectors; i++)
		m.collectors[i].fn(m.collectors[i].arg, &o);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
