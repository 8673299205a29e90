/* pssim: plays powershell.exe running scripts/msdns-zone.ps1 against a simulated DNS Server (tests only).
 *
 * Same command line, exit codes and output lines as the real script (DESIGN.md, "The PowerShell
 * contract"). Zones live in $PSSIM_STATE/zones/<zone> as key=value lines; every run is recorded in
 * $PSSIM_STATE/calls.log. Faults: $PSSIM_DELAY_MS (start-up delay), $PSSIM_OP_MS (time each operation
 * takes), $PSSIM_START_HOLD (a file: while it exists, the start-up waits; "held" is logged first), $PSSIM_FAULT or the file $PSSIM_STATE/faults/<zone> holding one of: hang, crash, exit=N, slow,
 * unreachable, hold (the operation waits while faults/<zone> says hold, then goes on as without a fault); in -Serve mode (the worker line protocol) also junk (a malformed answer), partial (an
 * answer without its LF, then the end), wrongseq (an answer for another request), die (the end in the
 * middle of the operation), stray (a stray line before the answer). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "msdns.h"

#ifdef _WIN32
#include <process.h>
#include <windows.h>
#else
#include <spawn.h>
#include <unistd.h>
extern char **environ;
#endif

struct zone {
	char type[32];          /* Primary, Secondary, Stub, Forwarder */
	char masters[512];      /* comma-separated, as given */
	int ds_integrated;
	char serial[16];        /* empty: never transferred */
	char file[300];
};

static const char *state;
static const char *operation, *zone_name, *masters_arg;
static int delete_unmanaged, no_converge;
static int slow;
static unsigned long serve_seq;   /* -Serve: the request being served (its lines carry it); 0: one run */

#define FAULT_NONE (-1)       /* go on with the operation */
#define FAULT_ANSWERED (-2)   /* -Serve: the fault printed whatever answer there is */

static void
out(const char *fmt, const char *v)
{
	if (serve_seq)
		printf("%lu fact ", serve_seq);
	printf(fmt, v);
	putchar('\n');
	fflush(stdout);
	if (slow)
		compat_sleep_ms(150);
}

static void
path_of(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s/%s", state, dir, name);
}

static void
record(const char *what, int code)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof p, "%s/calls.log", state);
	if ((f = fopen(p, "ab")) != NULL) {
		fprintf(f, "%s %s %s %d pid=%ld t=%llu\n", what, operation ? operation : "-", zone_name ? zone_name : "-",
		    code, compat_getpid(), (unsigned long long)compat_monotonic_ms());
		fclose(f);
	}
}

static int
finish(int code)
{
	record("end", code);
	return code;
}

static int
load_zone(struct zone *z)
{
	char p[1024], line[1024];
	FILE *f;

	memset(z, 0, sizeof *z);
	path_of(p, sizeof p, "zones", zone_name);
	if ((f = fopen(p, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f)) {
		char *eq = strchr(line, '='), *v;

		if (eq == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		v[strcspn(v, "\r\n")] = '\0';
		if (strcmp(line, "type") == 0)
			snprintf(z->type, sizeof z->type, "%s", v);
		else if (strcmp(line, "masters") == 0)
			snprintf(z->masters, sizeof z->masters, "%s", v);
		else if (strcmp(line, "dsintegrated") == 0)
			z->ds_integrated = strcmp(v, "true") == 0;
		else if (strcmp(line, "serial") == 0)
			snprintf(z->serial, sizeof z->serial, "%s", v);
		else if (strcmp(line, "zonefile") == 0)
			snprintf(z->file, sizeof z->file, "%s", v);
	}
	fclose(f);
	return 1;
}

static int
save_zone(const struct zone *z)
{
	char p[1024], tmp[1100];
	FILE *f;

	path_of(p, sizeof p, "zones", zone_name);
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", p, compat_getpid());
	if ((f = fopen(tmp, "wb")) == NULL)
		return -1;
	fprintf(f, "type=%s\nmasters=%s\ndsintegrated=%s\nserial=%s\nzonefile=%s\n", z->type, z->masters,
	    z->ds_integrated ? "true" : "false", z->serial, z->file);
	fclose(f);
	return compat_replace_file(tmp, p);
}

static void
touch_zone_file(const char *name)
{
	char p[1024];
	FILE *f;

	path_of(p, sizeof p, "files", name);
	if ((f = fopen(p, "wb")) != NULL)
		fclose(f);
}

static void
remove_zone(const struct zone *z)
{
	char p[1024];

	path_of(p, sizeof p, "zones", zone_name);
	remove(p);
	if (z->file[0]) {
		path_of(p, sizeof p, "files", z->file);
		remove(p);
	}
}

/* The master sets are equal, in any order. */
static int
same_masters(const char *a, const char *b)
{
	char x[512], y[512], *t, *save = NULL;
	int na = 0, nb = 0;

	snprintf(x, sizeof x, "%s", a);
	snprintf(y, sizeof y, ",%s,", b);
	for (t = strtok_r(x, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char needle[64];

		snprintf(needle, sizeof needle, ",%s,", t);
		if (strstr(y, needle) == NULL)
			return 0;
		na++;
	}
	for (t = y; *t; t++)
		if (*t == ',')
			nb++;
	return na == nb - 1;
}

static int
ours(const struct zone *z)
{
	return strcmp(z->type, "Secondary") == 0 && !z->ds_integrated && masters_arg &&
	    same_masters(z->masters, masters_arg);
}

static void
facts(const struct zone *z)
{
	out("zone=%s", zone_name);
	out("type=%s", z->type);
	out("masters=%s", z->masters);
	out("serial=%s", z->serial);
}

static int
valid_zone(const char *s)
{
	size_t n = strlen(s), lab = 0, i;

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_') {
			if (++lab > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

static int
valid_masters(const char *s)
{
	size_t i;

	if (*s == '\0')
		return 0;
	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]) && !strchr(".:,", s[i]))
			return 0;
	return 1;
}

/* Play fault; returns FAULT_NONE, FAULT_ANSWERED, or the exit code to answer with. */
static int
apply_fault(const char *fault)
{
	if (fault == NULL || *fault == '\0')
		return FAULT_NONE;
	if (strncmp(fault, "hang", 4) == 0) {
		out("fault=%s", "hang");
		for (;;)
			compat_sleep_ms(1000);
	}
	if (strncmp(fault, "crash", 5) == 0) {
		volatile int *p = NULL;

		fflush(NULL);
		*p = 1;   /* a real crash: SIGSEGV, or 0xC0000005 on Windows (abort() would exit 3 there) */
	}
	if (strncmp(fault, "exit=", 5) == 0) {
		fprintf(stderr, "simulated failure (exit %d)\n", atoi(fault + 5));
		return atoi(fault + 5);
	}
	if (strncmp(fault, "unreachable", 11) == 0) {
		fprintf(stderr, "Failed to get the zone information on server localhost. (WIN32 1722)\n");
		return MSDNS_EXIT_UNREACHABLE;
	}
	if (strncmp(fault, "slow", 4) == 0)
		slow = 1;
	if (strncmp(fault, "die", 3) == 0) {
		out("fault=%s", "die");
		exit(MSDNS_EXIT_FAILED);
	}
	if (serve_seq == 0)
		return FAULT_NONE;
	if (strncmp(fault, "junk", 4) == 0) {
		printf("%lu exit banana\n", serve_seq);
		fflush(stdout);
		return FAULT_ANSWERED;
	}
	if (strncmp(fault, "partial", 7) == 0) {
		printf("%lu exit 0", serve_seq);
		fflush(stdout);
		exit(0);
	}
	if (strncmp(fault, "wrongseq", 8) == 0) {
		printf("%lu exit 0\n", serve_seq + 1000);
		fflush(stdout);
		return FAULT_ANSWERED;
	}
	if (strncmp(fault, "stray", 5) == 0) {
		printf("WARNING: something the script did not mean to print\n");
		fflush(stdout);
	}
	return FAULT_NONE;
}

/* The fault in $PSSIM_STATE/faults/<zone> into buf ("" for none). */
static void
read_zone_fault(char *buf, size_t len)
{
	char p[1024];
	FILE *f;

	buf[0] = '\0';
	if (zone_name == NULL)
		return;
	path_of(p, sizeof p, "faults", zone_name);
	if ((f = fopen(p, "r")) != NULL) {
		if (fgets(buf, (int)len, f) == NULL)
			buf[0] = '\0';
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
	}
}

static int
zone_fault_is(const char *fault)
{
	char buf[64];

	read_zone_fault(buf, sizeof buf);
	return strcmp(buf, fault) == 0;
}

static int
zone_fault(void)
{
	char buf[64];

	read_zone_fault(buf, sizeof buf);
	return buf[0] && strcmp(buf, "hold") != 0 ? apply_fault(buf) : FAULT_NONE;
}

static int
op_create(void)
{
	struct zone z;

	if (!masters_arg) {
		fprintf(stderr, "Create needs -Masters\n");
		return MSDNS_EXIT_BAD_ARGS;
	}
	if (!load_zone(&z)) {
		snprintf(z.type, sizeof z.type, "Secondary");
		snprintf(z.masters, sizeof z.masters, "%s", masters_arg);
		snprintf(z.file, sizeof z.file, "%s.dns", zone_name);
		z.serial[0] = '\0';
		if (save_zone(&z) != 0)
			return MSDNS_EXIT_FAILED;
		touch_zone_file(z.file);
		out("result=%s", "created");
		facts(&z);
		return MSDNS_EXIT_OK;
	}
	if (strcmp(z.type, "Secondary") != 0 || z.ds_integrated) {
		fprintf(stderr, "zone %s exists as %s%s; not changed\n", zone_name, z.type,
		    z.ds_integrated ? " (AD-integrated)" : "");
		facts(&z);
		return MSDNS_EXIT_NOT_OURS;
	}
	if (!same_masters(z.masters, masters_arg) && no_converge) {
		fprintf(stderr, "zone %s is a secondary of other masters (%s); not changed (-NoConverge)\n", zone_name,
		    z.masters);
		facts(&z);
		return MSDNS_EXIT_NOT_OURS;
	}
	if (!same_masters(z.masters, masters_arg)) {
		snprintf(z.masters, sizeof z.masters, "%s", masters_arg);
		if (save_zone(&z) != 0)
			return MSDNS_EXIT_FAILED;
		out("result=%s", "converged");
	} else {
		out("result=%s", "exists");
	}
	facts(&z);
	return MSDNS_EXIT_OK;
}

static int
op_delete(void)
{
	struct zone z;

	if (!load_zone(&z)) {
		out("result=%s", "absent");
		return MSDNS_EXIT_OK;
	}
	if (!ours(&z) && !delete_unmanaged) {
		fprintf(stderr, "zone %s is not a file-backed secondary of our masters (%s, masters %s); not deleted\n",
		    zone_name, z.type, z.masters);
		facts(&z);
		return MSDNS_EXIT_NOT_OURS;
	}
	remove_zone(&z);
	out("result=%s", "deleted");
	return MSDNS_EXIT_OK;
}

static int
op_refresh(void)
{
	struct zone z;
	char serial[24];

	if (!load_zone(&z))
		return MSDNS_EXIT_ABSENT;
	if (strcmp(z.type, "Secondary") != 0) {
		fprintf(stderr, "zone %s is %s, not a secondary (WIN32 9613)\n", zone_name, z.type);
		return MSDNS_EXIT_NOT_OURS;
	}
	snprintf(serial, sizeof serial, "%llu", (strtoull(z.serial, NULL, 10) + 1) % 4294967296ULL);
	snprintf(z.serial, sizeof z.serial, "%.15s", serial);
	if (save_zone(&z) != 0)
		return MSDNS_EXIT_FAILED;
	out("result=%s", "refreshed");
	facts(&z);
	return MSDNS_EXIT_OK;
}

static int
op_get(void)
{
	struct zone z;

	if (!load_zone(&z))
		return MSDNS_EXIT_ABSENT;
	facts(&z);
	return MSDNS_EXIT_OK;
}

/* List: one line per zone, as the script prints them. */
static int
op_list(void)
{
	char p[1024];
	DIR *d;
	struct dirent *e;
	const char *keep = zone_name;

	snprintf(p, sizeof p, "%s/zones", state);
	if ((d = opendir(p)) == NULL)
		return MSDNS_EXIT_FAILED;
	while ((e = readdir(d)) != NULL) {
		struct zone z;
		char line[1024];

		if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp"))
			continue;
		zone_name = e->d_name;
		if (!load_zone(&z))
			continue;
		snprintf(line, sizeof line, "zone=%s type=%s ds=%d masters=%s", e->d_name, z.type, z.ds_integrated,
		    z.masters[0] ? z.masters : "-");
		out("%s", line);
	}
	closedir(d);
	zone_name = keep;
	return MSDNS_EXIT_OK;
}

/* Run the operation in the globals (validated by the caller); its exit code, or FAULT_ANSWERED. */
static int
run_op(void)
{
	int f;

	if (getenv("PSSIM_OP_MS"))
		compat_sleep_ms((unsigned)atoi(getenv("PSSIM_OP_MS")));
	while (zone_fault_is("hold"))
		compat_sleep_ms(10);
	if ((f = apply_fault(getenv("PSSIM_FAULT"))) != FAULT_NONE || (f = zone_fault()) != FAULT_NONE)
		return f;
	if (strcmp(operation, "Create") == 0)
		return op_create();
	if (strcmp(operation, "Delete") == 0)
		return op_delete();
	if (strcmp(operation, "Refresh") == 0)
		return op_refresh();
	if (strcmp(operation, "Get") == 0)
		return op_get();
	return op_list();
}

static int
valid_operation(const char *op)
{
	static const char *const ops[] = { "Get", "Create", "Delete", "Refresh", "List" };
	size_t i;

	for (i = 0; op && i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(op, ops[i]) == 0)
			return 1;
	return 0;
}

/* Check the operation's fields (as the script does); NULL, or what is wrong. */
static const char *
check_fields(void)
{
	if (!valid_operation(operation))
		return "-Operation must be Get, Create, Delete, Refresh or List";
	if (strcmp(operation, "List") != 0 && (zone_name == NULL || !valid_zone(zone_name)))
		return "-Zone must be letters, digits, '-', '_' and dots (1-253 characters)";
	if (masters_arg && !valid_masters(masters_arg))
		return "-Masters must be IP addresses separated by commas";
	return NULL;
}

/* -Serve: "<seq> <Operation> <zone|-> <masters|-> <flags|->" per line; facts and the answer carry seq. */
static int
serve(void)
{
	char line[4096];

	printf("msdns-ready 1\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		char *f[6], *save = NULL, *t;
		const char *bad;
		int n = 0, code;

		line[strcspn(line, "\r\n")] = '\0';
		for (t = strtok_r(line, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
			f[n++] = t;
		serve_seq = n > 0 ? strtoul(f[0], NULL, 10) : 0;
		if (n != 5 || serve_seq == 0) {
			fprintf(stderr, "pssim: malformed request line\n");
			if (serve_seq) {
				printf("%lu exit %d\n", serve_seq, MSDNS_EXIT_BAD_ARGS);
				fflush(stdout);
			}
			serve_seq = 0;
			continue;
		}
		operation = f[1];
		zone_name = strcmp(f[2], "-") == 0 ? NULL : f[2];
		masters_arg = strcmp(f[3], "-") == 0 ? NULL : f[3];
		delete_unmanaged = strstr(f[4], "DeleteUnmanaged") != NULL;
		no_converge = strstr(f[4], "NoConverge") != NULL;
		slow = 0;
		record("start", 0);
		if ((bad = check_fields()) != NULL) {
			fprintf(stderr, "pssim: %s\n", bad);
			code = MSDNS_EXIT_BAD_ARGS;
		} else {
			code = run_op();
		}
		record("end", code);
		if (code != FAULT_ANSWERED)
			printf("%lu exit %d\n", serve_seq, code);
		fflush(stdout);
		serve_seq = 0;
	}
	return 0;
}

static int
usage_error(const char *what)
{
	fprintf(stderr, "pssim: %s\n", what);
	return finish(MSDNS_EXIT_BAD_ARGS);
}

/* Start this program again with --hang, not waiting for it; its process id, or -1. */
static long
start_grandchild(const char *self)
{
#ifdef _WIN32
	intptr_t h = _spawnl(_P_NOWAIT, self, self, "--hang", (char *)NULL);

	return h == -1 ? -1 : (long)GetProcessId((HANDLE)h);
#else
	pid_t pid;
	char *const args[] = { (char *)self, (char *)"--hang", NULL };

	return posix_spawn(&pid, self, NULL, NULL, args, environ) == 0 ? (long)pid : -1;
#endif
}

/* Print each open descriptor (Linux: /proc/self/fd). */
static int
list_fds(void)
{
#ifdef _WIN32
	printf("fds=unsupported\n");
#else
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			printf("fd=%s\n", e->d_name);
	closedir(d);
#endif
	return 0;
}

/* Helper modes for the spawn and proc tests: --echo-args (each argument in hex), --exit N, --lines N,
 * --hang, --crash, --cat (each stdin line back as "got <line>", then "stdin closed" and exit 0),
 * --stderr (a line on each stream), --partial (a last line without LF), --long N (a line of N 'x', then
 * "end"), --fds (open descriptors), --tree (start a grandchild that hangs, print its pid, hang).
 * Each prints its process id first. */
static int
helper(int argc, char **argv)
{
	int i;

	printf("pid=%ld\n", compat_getpid());
	fflush(stdout);
	if (strcmp(argv[1], "--cat") == 0) {
		char line[16384];

		while (fgets(line, sizeof line, stdin)) {
			line[strcspn(line, "\r\n")] = '\0';
			printf("got %s\n", line);
			fflush(stdout);
		}
		printf("stdin closed\n");
		return 0;
	}
	if (strcmp(argv[1], "--stderr") == 0) {
		printf("to stdout\n");
		fflush(stdout);
		fprintf(stderr, "to stderr\n");
		return 0;
	}
	if (strcmp(argv[1], "--partial") == 0) {
		printf("no end of line");
		return 0;
	}
	if (strcmp(argv[1], "--long") == 0 && argc > 2) {
		for (i = 0; i < atoi(argv[2]); i++)
			putchar('x');
		printf("\nend\n");
		return 0;
	}
	if (strcmp(argv[1], "--fds") == 0)
		return list_fds();
	if (strcmp(argv[1], "--tree") == 0) {
		printf("grandchild=%ld\n", start_grandchild(argv[0]));
		fflush(stdout);
		for (;;)
			compat_sleep_ms(1000);
	}
	if (strcmp(argv[1], "--echo-args") == 0) {
		for (i = 2; i < argc; i++) {
			const unsigned char *p = (const unsigned char *)argv[i];

			printf("arg%d=", i - 2);
			for (; *p; p++)
				printf("%02x", *p);
			printf("\n");
		}
		return 0;
	}
	if (strcmp(argv[1], "--exit") == 0 && argc > 2)
		return atoi(argv[2]);
	if (strcmp(argv[1], "--lines") == 0 && argc > 2) {
		for (i = 0; i < atoi(argv[2]); i++)
			printf("line %d of output\n", i);
		fprintf(stderr, "and one on stderr\n");
		return 0;
	}
	if (strcmp(argv[1], "--hang") == 0)
		for (;;)
			compat_sleep_ms(1000);
	if (strcmp(argv[1], "--crash") == 0) {
		volatile int *p = NULL;

		fflush(NULL);
		*p = 1;
	}
	return 100;
}

int
main(int argc, char **argv)
{
	static const char *const fixed[] = { "-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy" };
	const char *script, *bad, *hold;
	char p[1024];
	FILE *f;
	int i, code;

	if (argc > 1 && strncmp(argv[1], "--", 2) == 0)
		return helper(argc, argv);
	state = getenv("PSSIM_STATE");
	if (state == NULL) {
		fprintf(stderr, "pssim: PSSIM_STATE is not set\n");
		return MSDNS_EXIT_FAILED;
	}
	snprintf(p, sizeof p, "%s/zones", state);
	compat_mkdir(state);
	compat_mkdir(p);
	snprintf(p, sizeof p, "%s/files", state);
	compat_mkdir(p);
	if (getenv("PSSIM_DELAY_MS"))
		compat_sleep_ms((unsigned)atoi(getenv("PSSIM_DELAY_MS")));
	if ((hold = getenv("PSSIM_START_HOLD")) != NULL && *hold) {   /* held in its start-up while that file exists */
		record("held", 0);
		while ((f = fopen(hold, "r")) != NULL) {
			fclose(f);
			compat_sleep_ms(10);
		}
	}
	/* powershell.exe's own options, in the order the agent gives them */
	if (argc < 8)
		return usage_error("too few arguments");
	for (i = 0; i < 4; i++)
		if (strcmp(argv[1 + i], fixed[i]) != 0)
			return usage_error("unexpected powershell.exe options");
	if (strcmp(argv[6], "-File") != 0)
		return usage_error("expected -File");
	script = argv[7];
	if ((f = fopen(script, "r")) == NULL) {
		fprintf(stderr, "The argument '%s' to the -File parameter does not exist.\n", script);
		return MSDNS_EXIT_FAILED;
	}
	fclose(f);
	for (i = 8; i < argc; i++) {
		if (strcmp(argv[i], "-Operation") == 0 && i + 1 < argc)
			operation = argv[++i];
		else if (strcmp(argv[i], "-Zone") == 0 && i + 1 < argc)
			zone_name = argv[++i];
		else if (strcmp(argv[i], "-Masters") == 0 && i + 1 < argc)
			masters_arg = argv[++i];
		else if (strcmp(argv[i], "-DeleteUnmanaged") == 0)
			delete_unmanaged = 1;
		else if (strcmp(argv[i], "-NoConverge") == 0)
			no_converge = 1;
		else if (strcmp(argv[i], "-Serve") == 0 && argc == 9)
			return serve();
		else
			return usage_error("unknown script parameter");
	}
	record("start", 0);
	if ((bad = check_fields()) != NULL)
		return usage_error(bad);
	code = run_op();
	return finish(code);
}
