/* End-to-end: the daemon with the msdns backend, the PowerShell simulator playing powershell.exe; with
 * MSDNS_E2E_PWSH=1, real PowerShell (MSDNS_PWSH) running scripts/msdns-zone.ps1 against the DnsServer
 * stand-in module (tests/DnsServer), which keeps zones in the same directory layout. With
 * MSDNS_E2E_WORKERS=N, N persistent workers (-Serve) carry the operations instead of one process each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "testutil.h"
#include "wire.h"

static char *dir, *state, *calls;
static struct tu_proc *agent;
static uint16_t port;
static uint16_t next_id = 1;
static const char *pwsh;          /* real PowerShell, or NULL for the simulator */
static char *files_dir;           /* where the zone files are: the simulator's, or %SystemRoot%\System32\dns */
static const char *workers;       /* MSDNS_E2E_WORKERS: persistent workers (-Serve) carry the operations */

/* A wait in ms, scaled for real PowerShell, whose start-up takes seconds on a loaded machine. */
static int
wait_ms(int ms)
{
	return pwsh ? ms * 12 : ms;
}

#define MASTERS "192.0.2.1,192.0.2.2"

/* Start the agent with the msdns backend; extra is appended to [backend:agent:msdns]. */
static void
start(const char *agent_extra, const char *msdns_extra)
{
	char conf[4096];
	size_t n;

	dir = tu_tmpdir("msdns-sim");
	ck_assert_ptr_nonnull(dir);
	n = strlen(dir) + 32;
	state = malloc(n);
	snprintf(state, n, "%s/state", dir);
	calls = malloc(n);
	snprintf(calls, n, "%s/state/calls.log", dir);
	tu_setenv("PSSIM_STATE", state);
	compat_mkdir(state);
	snprintf(conf, sizeof conf, "%s/zones", state);
	compat_mkdir(conf);
	files_dir = malloc(n + 32);
	if (pwsh) {
		/* the stand-in writes zone files where the DNS Server does, and the script removes them there */
		snprintf(conf, sizeof conf, "%s/windows", state);
		compat_mkdir(conf);
		tu_setenv("SystemRoot", conf);
		snprintf(conf, sizeof conf, "%s/windows/System32", state);
		compat_mkdir(conf);
		snprintf(files_dir, n + 32, "%s/windows/System32/dns", state);
	} else {
		snprintf(files_dir, n + 32, "%s/files", state);
	}
	compat_mkdir(files_dir);
	snprintf(conf, sizeof conf, "%s/faults", state);
	compat_mkdir(conf);
	snprintf(conf, sizeof conf, "%s"
	    "[service:agent]\nlisten = 127.0.0.1:PORT\nbackend_driver = msdns\n"
	    "masters = 192.0.2.1:53, 192.0.2.2\n%s\n"
	    "[backend:agent:msdns]\npowershell = %s\nscript = %s\nexecution_policy = Bypass\n"
	    "operation_timeout = %d\nworkers = %s\n%s\n",
	    workers ? "[DEFAULT]\ndebug = true\n" : "",   /* the pool's "ready" lines (wait_workers_ready) */
	    agent_extra ? agent_extra : "", pwsh ? pwsh : tu_program("MSDNS_PSSIM"), tu_program("MSDNS_SCRIPT"),
	    pwsh ? 90 : 5, workers ? workers : "0", msdns_extra ? msdns_extra : "");
	agent = tu_agent_start(dir, conf, &port);
	ck_assert_msg(agent != NULL, "agent did not start");
}

/* With workers: wait until every worker said it is ready (the agent's debug line "worker N (pid P): ready"). */
static void
wait_workers_ready(void)
{
	char path[600];
	uint64_t t0 = tu_now_ms();
	int n = 0, want = atoi(workers);

	snprintf(path, sizeof path, "%s/agent.log", dir);
	while ((n = tu_count_in_file(path, "): ready")) < want && tu_now_ms() - t0 < (uint64_t)wait_ms(20000))
		tu_sleep_ms(50);
	ck_assert_msg(n >= want, "%d of %d workers ready after %llu ms", n, want, (unsigned long long)(tu_now_ms() - t0));
}

static void
stop(void)
{
	tu_proc_term(agent);
	ck_assert_int_eq(tu_proc_wait(agent, 15000), 0);
	tu_proc_free(agent);
	tu_setenv("PSSIM_DELAY_MS", "0");
	tu_setenv("PSSIM_FAULT", "");
	free(dir);
	free(state);
	free(calls);
	free(files_dir);
}

/* Write a zone into the simulated DNS Server. */
static void
put_zone(const char *zone, const char *type, const char *masters, const char *serial, int ds)
{
	char text[512], sub[512];

	snprintf(sub, sizeof sub, "%s/zones", state);
	snprintf(text, sizeof text, "type=%s\nmasters=%s\ndsintegrated=%s\nserial=%s\nzonefile=%s.dns\n", type,
	    masters, ds ? "true" : "false", serial, zone);
	free(tu_write_file(sub, zone, text));
}

static char *
zone_state(const char *zone)
{
	char p[512];

	snprintf(p, sizeof p, "%s/zones/%s", state, zone);
	return tu_read_file(p);
}

static int
zone_file_exists(const char *zone)
{
	char p[512];
	char *t;

	snprintf(p, sizeof p, "%s/%s.dns", files_dir, zone);
	t = tu_read_file(p);
	free(t);
	return t != NULL;
}

static void
set_fault(const char *zone, const char *fault)
{
	char sub[512];

	snprintf(sub, sizeof sub, "%s/faults", state);
	ck_assert_int_eq(compat_mkdir(sub), 0);
	free(tu_write_file(sub, zone, fault));
}

static size_t
msg(const char *zone, char kind, uint16_t id, uint8_t *out)
{
	uint8_t name[WIRE_NAME_MAX];
	size_t nl = wire_name_from_text(zone, name);

	if (kind == 'N')
		return wire_build_query(id, 0x2100, name, nl, WIRE_TYPE_SOA, WIRE_CLASS_IN, 0, out, 512);
	return wire_build_query(id, 0x7400, name, nl, kind == 'C' ? WIRE_TYPE_CC_CREATE : WIRE_TYPE_CC_DELETE,
	    WIRE_CLASS_CC, 0, out, 512);
}

/* Send one request and return rcode | 0x100 when AA (or -1 for no answer). */
static int
ask(const char *zone, char kind, int timeout_ms)
{
	uint8_t q[512], r[512];
	uint16_t id = next_id++;
	size_t ql = msg(zone, kind, id, q);
	long n = tu_udp_query(port, q, ql, r, sizeof r, timeout_ms);

	if (n < 12)
		return -1;
	ck_assert_uint_eq((unsigned)(r[0] << 8 | r[1]), id);
	ck_assert_int_eq(n, (long)ql);
	return (r[3] & 0x0f) | ((r[2] & 0x04) ? 0x100 : 0);
}

#define NOERROR_AA 0x100
#define SERVFAIL 2
#define SERVFAIL_AA 0x102
#define REFUSED 5

static int
starts(const char *op, const char *zone)
{
	char needle[300];

	snprintf(needle, sizeof needle, "start %s %s ", op, zone);
	return tu_count_in_file(calls, needle);
}

/* The pid of the process that logged the last "start <op> <zone> " (with workers: the worker that took it), or -1. */
static long
started_by(const char *op, const char *zone)
{
	char needle[300], *log = tu_read_file(calls), *p, *last = NULL;
	long pid = -1;

	if (log == NULL)
		return -1;
	snprintf(needle, sizeof needle, "start %s %s 0 pid=", op, zone);
	for (p = log; (p = strstr(p, needle)) != NULL; p++)
		last = p;
	if (last)
		pid = atol(last + strlen(needle));
	free(log);
	return pid;
}

/* Wait (at most 5 s) for pid to be gone: the process that ran the script may be a grandchild (the pwsh .NET
 * tool shim starts "dotnet pwsh.dll"); killed with the group, it is reaped by init, not by the agent. */
static int
gone(long pid)
{
	uint64_t t0;

	for (t0 = tu_now_ms(); tu_pid_alive(pid) && tu_now_ms() - t0 < 5000;)
		tu_sleep_ms(20);
	return !tu_pid_alive(pid);
}

START_TEST(create_notify_delete)
{
	char *z;

	start(NULL, NULL);
	ck_assert_int_eq(ask("Example.COM", 'N', wait_ms(5000)), REFUSED);                 /* absent */
	ck_assert_int_eq(ask("Example.COM", 'C', wait_ms(5000)), NOERROR_AA);
	z = zone_state("example.com");
	ck_assert_ptr_nonnull(z);
	ck_assert_ptr_nonnull(strstr(z, "type=Secondary"));
	ck_assert_ptr_nonnull(strstr(z, "masters=" MASTERS "\n"));                 /* IPs only, no ports */
	free(z);
	ck_assert(zone_file_exists("example.com"));
	ck_assert_int_eq(ask("example.com", 'C', wait_ms(5000)), NOERROR_AA);               /* idempotent */
	ck_assert_int_eq(ask("example.com", 'N', wait_ms(5000)), NOERROR_AA);
	z = zone_state("example.com");
	ck_assert_ptr_nonnull(strstr(z, "serial=1\n"));                            /* a transfer was started */
	free(z);
	ck_assert_int_eq(ask("example.com", 'D', wait_ms(5000)), NOERROR_AA);
	ck_assert_ptr_null(zone_state("example.com"));
	ck_assert(!zone_file_exists("example.com"));                               /* no stale data later */
	ck_assert_int_eq(ask("example.com", 'D', wait_ms(5000)), NOERROR_AA);               /* idempotent */
	ck_assert_int_eq(starts("Create", "example.com"), 2);
	ck_assert_int_eq(starts("Get", "example.com"), 0);                         /* no separate existence check */
	stop();
}
END_TEST

START_TEST(zones_not_ours)
{
	char *z;

	start(NULL, NULL);
	put_zone("primary.example", "Primary", "", "7", 0);
	put_zone("ad.example", "Secondary", MASTERS, "7", 1);
	put_zone("other.example", "Secondary", "203.0.113.9", "7", 0);
	ck_assert_int_eq(ask("primary.example", 'C', wait_ms(5000)), SERVFAIL);
	ck_assert_int_eq(ask("primary.example", 'D', wait_ms(5000)), SERVFAIL_AA);          /* DELETE failures keep AA */
	ck_assert_int_eq(ask("primary.example", 'N', wait_ms(5000)), SERVFAIL);
	ck_assert_int_eq(ask("ad.example", 'C', wait_ms(5000)), SERVFAIL);
	ck_assert_int_eq(ask("ad.example", 'D', wait_ms(5000)), SERVFAIL_AA);
	z = zone_state("primary.example");
	ck_assert_ptr_nonnull(z);                                                   /* never deleted */
	free(z);
	z = zone_state("ad.example");
	ck_assert_ptr_nonnull(z);
	free(z);
	ck_assert_int_eq(ask("other.example", 'D', wait_ms(5000)), SERVFAIL_AA);            /* other masters: not ours */
	ck_assert_int_eq(ask("other.example", 'C', wait_ms(5000)), NOERROR_AA);             /* converged to ours */
	z = zone_state("other.example");
	ck_assert_ptr_nonnull(strstr(z, "masters=" MASTERS "\n"));
	free(z);
	ck_assert_int_eq(ask("other.example", 'D', wait_ms(5000)), NOERROR_AA);             /* now ours */
	stop();
}
END_TEST

START_TEST(delete_unmanaged_allowed)
{
	start(NULL, "delete_unmanaged_zones = true");
	put_zone("other.example", "Secondary", "203.0.113.9", "7", 0);
	ck_assert_int_eq(ask("other.example", 'D', wait_ms(5000)), NOERROR_AA);
	ck_assert_ptr_null(zone_state("other.example"));
	stop();
}
END_TEST

START_TEST(never_transferred_is_present)
{
	start(NULL, NULL);
	put_zone("orphan.example", "Secondary", MASTERS, "", 0);
	ck_assert_int_eq(ask("orphan.example", 'N', wait_ms(5000)), NOERROR_AA);
	put_zone("orphan.example", "Secondary", MASTERS, "", 0);
	ck_assert_int_eq(ask("orphan.example", 'D', wait_ms(5000)), NOERROR_AA);            /* the original left it behind */
	ck_assert_ptr_null(zone_state("orphan.example"));
	if (pwsh) {   /* the stand-in's fault: created, but no transfer ever succeeds (no SOA to read) */
		char *z;

		set_fault("never.example", "never-transferred");
		ck_assert_int_eq(ask("never.example", 'C', wait_ms(5000)), NOERROR_AA);
		ck_assert_int_eq(ask("never.example", 'N', wait_ms(5000)), NOERROR_AA);
		z = zone_state("never.example");
		ck_assert_ptr_nonnull(z);
		ck_assert_ptr_nonnull(strstr(z, "serial=\n"));
		free(z);
		ck_assert_int_eq(ask("never.example", 'D', wait_ms(5000)), NOERROR_AA);
		ck_assert_ptr_null(zone_state("never.example"));
	}
	stop();
}
END_TEST

START_TEST(hung_operation_killed)
{
	char extra[64];
	long pid;
	uint64_t t0;
	int r, timeout_s = pwsh ? 40 : 1;   /* real PowerShell takes seconds to reach the hung cmdlet */

	snprintf(extra, sizeof extra, "operation_timeout = %d\nmax_concurrent = 1", timeout_s);
	start(NULL, extra);
	set_fault("hang.example", "hang");
	/* with workers, what is timed is the hung operation, not the workers' start-up: operation_timeout
	 * counts the wait for a ready worker too, and four real PowerShells starting at once took up to 40 s
	 * on the loaded test machine (one process per operation times its own start-up: a part of it there) */
	if (workers)
		wait_workers_ready();
	t0 = tu_now_ms();
	r = ask("hang.example", 'C', timeout_s * 1000 + 8000);
	ck_assert_int_eq(r, SERVFAIL);
	ck_assert_uint_ge(tu_now_ms() - t0, (uint64_t)timeout_s * 1000 - 100);
	ck_assert_uint_lt(tu_now_ms() - t0, (uint64_t)timeout_s * 1000 + 4000);
	if (pwsh)   /* it hung in the cmdlet, not in PowerShell's start-up */
		ck_assert_int_eq(tu_count_in_file(calls, "cmdlet Get-DnsServerZone hang.example "), 1);
	pid = started_by("Create", "hang.example");   /* with workers: the worker it hung in */
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(gone(pid), "hung child %ld still alive", pid);
	ck_assert_int_eq(ask("fine.example", 'C', wait_ms(5000)), NOERROR_AA);             /* its slot was reused */
	if (workers)   /* served by a fresh worker */
		ck_assert_int_ne(started_by("Create", "fine.example"), pid);
	stop();
}
END_TEST

START_TEST(crash_and_exit_codes)
{
	static const struct fault_row {
		const char *fault;
		int create, del, notify;
	} sim_faults[] = {
		{ "crash", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "exit=1", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "exit=2", SERVFAIL, NOERROR_AA, REFUSED },
		{ "exit=3", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "exit=4", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "unreachable", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "exit=77", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "slow", NOERROR_AA, NOERROR_AA, REFUSED },
	}, pwsh_faults[] = {   /* the DnsServer stand-in's, played inside real PowerShell */
		{ "crash", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "exit=2", SERVFAIL, NOERROR_AA, REFUSED },
		{ "unreachable", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "denied", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "slow", NOERROR_AA, NOERROR_AA, REFUSED },
	}, pwsh_worker_faults[] = {
		/* the stand-in's exit=N ends the PowerShell process ([Environment]::Exit) inside the cmdlet: with
		 * one process per operation the exit code is the answer (2: absent); a worker's exit code answers
		 * nothing, its death mid-operation is SERVFAIL (and it is replaced: asserted below) */
		{ "crash", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "exit=2", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "unreachable", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "denied", SERVFAIL, SERVFAIL_AA, SERVFAIL },
		{ "slow", NOERROR_AA, NOERROR_AA, REFUSED },
	};
	const struct fault_row *faults = pwsh ? (workers ? pwsh_worker_faults : pwsh_faults) : sim_faults;
	size_t i, n = pwsh ? sizeof pwsh_faults / sizeof pwsh_faults[0] : sizeof sim_faults / sizeof sim_faults[0];

	start(NULL, NULL);
	for (i = 0; i < n; i++) {
		char zone[64];

		snprintf(zone, sizeof zone, "f%zu.example", i);
		set_fault(zone, faults[i].fault);
		ck_assert_msg(ask(zone, 'C', wait_ms(8000)) == faults[i].create, "%s create", faults[i].fault);
		ck_assert_msg(ask(zone, 'D', wait_ms(8000)) == faults[i].del, "%s delete", faults[i].fault);
		ck_assert_msg(ask(zone, 'N', wait_ms(8000)) == faults[i].notify, "%s notify", faults[i].fault);
		if (pwsh && workers && (strcmp(faults[i].fault, "crash") == 0 || strncmp(faults[i].fault, "exit=", 5) == 0)) {
			long pid = started_by("Create", zone);   /* the worker that died in it */

			ck_assert_int_gt(pid, 0);
			ck_assert_msg(gone(pid), "%s: worker %ld still alive", faults[i].fault, pid);
			ck_assert_int_ne(started_by("Delete", zone), pid);   /* the next went to another worker */
		}
	}
	ck_assert_int_eq(ask("after.example", 'C', wait_ms(8000)), NOERROR_AA);   /* still serving */
	stop();
}
END_TEST

/* Read one answer if one comes within wait_us; record its rcode by id. Returns 1 when one was read. */
static int
burst_read(evutil_socket_t s, uint8_t msgs[][512], int n, int *rcodes, long wait_us)
{
	fd_set rs;
	struct timeval tv = { 0, wait_us };
	uint8_t r[512];
	long k;
	int i, got = 0;

	FD_ZERO(&rs);
	FD_SET(s, &rs);
	if (select((int)s + 1, &rs, NULL, NULL, &tv) <= 0)
		return 0;
	k = (long)recv(s, (char *)r, sizeof r, 0);
	if (k >= 12) {
		int id = r[0] << 8 | r[1];

		for (i = 0; i < n; i++) {
			if ((msgs[i][0] << 8 | msgs[i][1]) == id) {
				ck_assert_msg(rcodes[i] == -1, "request %d answered twice", i);
				rcodes[i] = (r[3] & 0x0f) | ((r[2] & 0x04) ? 0x100 : 0);
				got++;
			}
		}
	}
	return got;
}

/* Send n requests from one socket at once; count the answers by id. Answers are read while sending too:
 * with persistent workers they come back faster than a socket buffer holds them unread. With held set,
 * the fault file of zone held is removed (its "hold" ends) once request release_after is answered. */
static int
burst_release(uint8_t msgs[][512], const size_t *lens, int n, int *rcodes, int timeout_ms, int release_after,
    const char *held)
{
	evutil_socket_t s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;
	int i, got = 0;
	uint64_t deadline = tu_now_ms() + (uint64_t)timeout_ms;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	for (i = 0; i < n; i++)
		rcodes[i] = -1;
	for (i = 0; i < n; i++) {
		sendto(s, (const char *)msgs[i], (int)lens[i], 0, (struct sockaddr *)&sin, sizeof sin);
		while (burst_read(s, msgs, n, rcodes, 0) > 0)
			got++;
		if (i % 100 == 99)
			tu_sleep_ms(5);   /* within what a socket buffer holds: the test is about the queue */
	}
	while (got < n && tu_now_ms() < deadline) {
		got += burst_read(s, msgs, n, rcodes, 50000);
		if (held && rcodes[release_after] != -1) {
			char p[512];

			snprintf(p, sizeof p, "%s/faults/%s", state, held);
			ck_assert_int_eq(remove(p), 0);
			held = NULL;
		}
	}
	evutil_closesocket(s);
	return got;
}

static int
burst(uint8_t msgs[][512], const size_t *lens, int n, int *rcodes, int timeout_ms)
{
	return burst_release(msgs, lens, n, rcodes, timeout_ms, 0, NULL);
}

/* Identical requests that arrive while one is queued or running are joined to it: exactly one Create. The
 * Create is held (the "hold" fault) until the agent has read all 50: a 51st request for another zone, sent
 * after them from the same socket, is answered only once the agent has read the 50 before it (it reads
 * its UDP socket in order and queues each request as it reads it), and only then is the hold removed. A
 * duration would not do: under Wine sending the 50 takes ~130 ms, several operations' worth with workers. */
START_TEST(fifty_identical_creates)
{
	static uint8_t msgs[51][512];
	size_t lens[51];
	int rc[51], i;
	char *z;

	start(NULL, NULL);
	set_fault("dup.example", "hold");
	for (i = 0; i < 50; i++)
		lens[i] = msg("dup.example", 'C', (uint16_t)(5000 + i), msgs[i]);
	lens[50] = msg("mark.example", 'C', 5050, msgs[50]);
	ck_assert_int_eq(burst_release(msgs, lens, 51, rc, wait_ms(10000), 50, "dup.example"), 51);
	for (i = 0; i < 51; i++)
		ck_assert_int_eq(rc[i], NOERROR_AA);
	ck_assert_int_eq(starts("Create", "dup.example"), 1);
	ck_assert_int_eq(starts("Create", "mark.example"), 1);
	z = zone_state("dup.example");
	ck_assert_ptr_nonnull(z);
	free(z);
	stop();
}
END_TEST

START_TEST(create_then_delete_in_order)
{
	static uint8_t msgs[2][512];
	size_t lens[2];
	int rc[2];
	char *log;

	tu_setenv("PSSIM_DELAY_MS", "100");
	start(NULL, NULL);
	lens[0] = msg("cd.example", 'C', 7001, msgs[0]);
	lens[1] = msg("cd.example", 'D', 7002, msgs[1]);
	ck_assert_int_eq(burst(msgs, lens, 2, rc, wait_ms(10000)), 2);
	ck_assert_int_eq(rc[0], NOERROR_AA);
	ck_assert_int_eq(rc[1], NOERROR_AA);
	log = tu_read_file(calls);
	ck_assert_ptr_nonnull(strstr(log, "end Create cd.example"));
	ck_assert_ptr_nonnull(strstr(log, "start Delete cd.example"));
	ck_assert(strstr(log, "end Create cd.example") < strstr(log, "start Delete cd.example"));
	free(log);
	ck_assert_ptr_null(zone_state("cd.example"));
	stop();
}
END_TEST

START_TEST(notify_burst_coalesced)
{
	static uint8_t msgs[10][512];
	size_t lens[10];
	int rc[10], i;
	char *z;

	start("notify_delay = 0.3", NULL);
	put_zone("n.example", "Secondary", MASTERS, "5", 0);
	for (i = 0; i < 10; i++)
		lens[i] = msg("n.example", 'N', (uint16_t)(8000 + i), msgs[i]);
	ck_assert_int_eq(burst(msgs, lens, 10, rc, wait_ms(10000)), 10);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(rc[i], NOERROR_AA);
	ck_assert_int_eq(starts("Refresh", "n.example"), 1);
	z = zone_state("n.example");
	ck_assert_ptr_nonnull(strstr(z, "serial=6\n"));
	free(z);
	stop();
}
END_TEST

START_TEST(thousand_across_200_zones)
{
	static uint8_t msgs[1000][512];
	size_t lens[1000];
	int rc[1000], i, noerror = 0;
	long rss;
	static const char kinds[] = { 'C', 'N', 'N', 'D', 'C' };

	if (tu_under_wine() && workers == NULL && getenv("MSDNS_E2E_WINE_BURST") == NULL) {
		/* ~800 one-process operations; each Wine process costs ~0.1 s of CPU (its own start-up, Wine's double
		 * fork of the agent, wineserver; the agent's part is <1 ms on the loop): ~80 s of CPU in 60 s, which
		 * only an otherwise idle 2-core machine has. backend-msdns-workers runs this check under Wine;
		 * MSDNS_E2E_WINE_BURST=1 runs it here too. */
		fprintf(stderr, "*** thousand_across_200_zones: not under Wine with one process per operation ***\n");
		return;
	}
	if (pwsh && workers == NULL) {
		/* ~600 real PowerShell starts (seconds each): backend-msdns-pwsh-workers runs this check */
		fprintf(stderr, "*** thousand_across_200_zones: not with real PowerShell and one process per operation ***\n");
		return;
	}
	start(NULL, "max_concurrent = 8\nmax_queued = 2000");
	for (i = 0; i < 1000; i++) {
		char zone[64];

		snprintf(zone, sizeof zone, "z%d.example", i % 200);
		lens[i] = msg(zone, kinds[i / 200], (uint16_t)(10000 + i), msgs[i]);
	}
	/* real PowerShell in 4 workers: ~0.1-0.3 s per operation, more on a loaded machine */
	ck_assert_int_eq(burst(msgs, lens, 1000, rc, pwsh ? 600000 : 60000), 1000);
	for (i = 0; i < 1000; i++)
		noerror += rc[i] == NOERROR_AA;
	ck_assert_int_eq(noerror, 1000);
	for (i = 0; i < 200; i++) {
		char zone[64], *z;

		snprintf(zone, sizeof zone, "z%d.example", i);
		z = zone_state(zone);
		ck_assert_msg(z != NULL, "%s: the last CREATE was lost", zone);
		free(z);
	}
	rss = tu_proc_rss_kb(agent);
	if (getenv("MSDNS_SANITIZED") == NULL || *getenv("MSDNS_SANITIZED") == '\0')
		ck_assert_msg(rss < 0 || rss < 32 * 1024, "agent peak RSS %ld KiB", rss);
	stop();
}
END_TEST

START_TEST(hostile_names_start_nothing)
{
	static const char *const names[] = { "-rf.example", "a\\;b.example", "a\\032b.example", "$(x).example",
		"a\\'b.example", "a\\226\\128\\153b.example" };
	size_t i;
	char *log;

	start(NULL, NULL);
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_int_eq(ask(names[i], 'C', 3000), REFUSED);
	log = tu_read_file(calls);
	if (workers) {
		/* workers start with the agent ("serve pid=" lines): no operation ever reached one; the only cmdlet
		 * calls are the real script's warm-up reads before "ready" (of msdns-agent-warm-up.invalid) */
		ck_assert_ptr_null(log ? strstr(log, "start ") : NULL);
		ck_assert_int_eq(tu_count_in_file(calls, "cmdlet "), tu_count_in_file(calls, " msdns-agent-warm-up.invalid pid="));
	} else {
		ck_assert_ptr_null(log);                                            /* no process ever ran */
	}
	free(log);
	stop();
}
END_TEST

START_TEST(queue_full_answered_at_once)
{
	static uint8_t msgs[5][512];
	size_t lens[5];
	int rc[5], i, servfail = 0;

	tu_setenv("PSSIM_DELAY_MS", "500");
	start(NULL, "max_concurrent = 1\nmax_queued = 2");
	for (i = 0; i < 5; i++) {
		char zone[32];

		snprintf(zone, sizeof zone, "q%d.example", i);
		lens[i] = msg(zone, 'C', (uint16_t)(9000 + i), msgs[i]);
	}
	ck_assert_int_eq(burst(msgs, lens, 5, rc, wait_ms(10000)), 5);
	for (i = 0; i < 5; i++)
		servfail += rc[i] == SERVFAIL;
	ck_assert_int_eq(servfail, 3);
	stop();
}
END_TEST

START_TEST(stop_answers_in_flight)
{
	uint8_t q[512], r[512];
	size_t ql;
	evutil_socket_t s;

	tu_setenv("PSSIM_DELAY_MS", "600");
	start(NULL, NULL);
	s = tu_tcp_connect(port);
	ql = msg("late.example", 'C', 4242, q);
	ck_assert_int_eq(tu_tcp_send_msg(s, q, ql), 0);
	tu_sleep_ms(150);
	tu_proc_term(agent);
	ck_assert_int_eq(tu_tcp_read_msg(s, r, sizeof r, wait_ms(5000)), (long)ql);
	ck_assert_uint_eq(r[2] & 0x04, 0x04);
	ck_assert_uint_eq(r[3] & 0x0f, 0);
	evutil_closesocket(s);
	stop();
}
END_TEST

START_TEST(missing_script_is_a_startup_error)
{
	char conf[1024], path[600];
	uint16_t p;
	struct tu_proc *a;

	dir = tu_tmpdir("msdns-sim");
	snprintf(conf, sizeof conf, "[service:agent]\nlisten = 127.0.0.1:PORT\nmasters = 192.0.2.1\n"
	    "[backend:agent:msdns]\npowershell = %s\nscript = %s.missing\nworkers = %s\n",
	    pwsh ? pwsh : tu_program("MSDNS_PSSIM"), tu_program("MSDNS_SCRIPT"), workers ? workers : "0");
	a = tu_agent_start(dir, conf, &p);
	ck_assert_ptr_null(a);   /* it never listened: it ended */
	snprintf(path, sizeof path, "%s/agent.log", dir);
	ck_assert_int_eq(tu_count_in_file(path, "[backend:agent:msdns] script: "), 1);
	free(dir);
}
END_TEST

START_TEST(second_stop_abandons)
{
	uint8_t q[512], r[512];
	size_t ql;
	evutil_socket_t s;
	uint64_t t0;

	start(NULL, "operation_timeout = 60");
	set_fault("stuck.example", "hang");
	s = tu_tcp_connect(port);
	ql = msg("stuck.example", 'C', 4343, q);
	ck_assert_int_eq(tu_tcp_send_msg(s, q, ql), 0);
	tu_sleep_ms(300);
	t0 = tu_now_ms();
	tu_proc_term(agent);
	ck_assert_int_eq(tu_proc_wait(agent, 500), -1);   /* the first stop waits for the operation */
	tu_proc_term(agent);
	ck_assert_int_eq(tu_tcp_read_msg(s, r, sizeof r, 10000), (long)ql);
	ck_assert_uint_eq(r[3] & 0x0f, 2);                 /* abandoned: answered SERVFAIL, not dropped */
	ck_assert_int_eq(tu_proc_wait(agent, 10000), 1);   /* and the exit says work was abandoned */
	ck_assert_uint_lt(tu_now_ms() - t0, 10000);
	evutil_closesocket(s);
	tu_proc_free(agent);
	free(dir);
	free(state);
	free(calls);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("backend-msdns");
	TCase *tc = tcase_create("backend-msdns");

	tu_init();
	workers = getenv("MSDNS_E2E_WORKERS");
	if (getenv("MSDNS_E2E_PWSH") != NULL && strcmp(getenv("MSDNS_E2E_PWSH"), "1") == 0) {
		pwsh = getenv("MSDNS_PWSH");
		if (pwsh == NULL || *pwsh == '\0') {
			fprintf(stderr, "*** msdns with real PowerShell SKIPPED: pwsh is not installed (scripts/setup.sh pwsh "
			    "installs it with dotnet; see README) ***\n");
			return 77;
		}
	}
	tcase_set_timeout(tc, pwsh ? 900 : 120);
	tcase_add_test(tc, create_notify_delete);
	tcase_add_test(tc, zones_not_ours);
	tcase_add_test(tc, delete_unmanaged_allowed);
	tcase_add_test(tc, never_transferred_is_present);
	tcase_add_test(tc, hung_operation_killed);
	tcase_add_test(tc, crash_and_exit_codes);
	tcase_add_test(tc, fifty_identical_creates);
	tcase_add_test(tc, create_then_delete_in_order);
	tcase_add_test(tc, notify_burst_coalesced);
	tcase_add_test(tc, thousand_across_200_zones);
	tcase_add_test(tc, hostile_names_start_nothing);
	tcase_add_test(tc, queue_full_answered_at_once);
	tcase_add_test(tc, missing_script_is_a_startup_error);
	tcase_add_test(tc, stop_answers_in_flight);
	tcase_add_test(tc, second_stop_abandons);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
