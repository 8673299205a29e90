/* xfr and catalog-refresh against real producers started on loopback: Knot 3.2.6 generating a catalog
 * (real IXFR after knotc conf-set/conf-unset), BIND 9.18 serving a primary catalog edited with nsupdate
 * (incremental with max-ixfr-ratio unlimited, AXFR-style otherwise), and tests/catz-producer.py serving
 * Designate's catalog (multi-message, content changed before the serial). Skipped (77) without them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "catalog-refresh.h"
#include "catalog.h"
#include "compat.h"
#include "testutil.h"
#include "tsig.h"

struct seen {
	struct event_base *base;
	int calls, full;
	uint32_t serial;
	char members[65536];   /* "label=zone " sorted by zone, of the last hand-over */
	int broken;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
on_records(void *arg, const struct catalog_records *recs, uint32_t serial, int full)
{
	struct seen *s = arg;
	struct catalog_view *v = NULL;
	const char *items[1024];
	static char buf[1024][300];
	size_t i, n = 0;

	s->calls++;
	s->full = full;
	s->serial = serial;
	s->members[0] = '\0';
	s->broken = catalog_interpret(recs, "cat.example", NULL, &v) != 0;
	if (v != NULL && !s->broken) {
		for (i = 0; i < catalog_view_count(v) && n < 1024; i++) {
			const struct catalog_member *m = catalog_view_member(v, i);

			snprintf(buf[n], sizeof buf[n], "%s=%s", m->zone, m->label);
			items[n] = buf[n];
			n++;
		}
		qsort(items, n, sizeof *items, cmp_str);
		for (i = 0; i < n; i++)
			snprintf(s->members + strlen(s->members), sizeof s->members - strlen(s->members), "%s ", items[i]);
	}
	catalog_view_free(v);
	event_base_loopbreak(s->base);
}

/* Run the loop until a hand-over with more than `calls` calls, at most ms. Returns 0 when one came. */
static int
wait_handover(struct seen *s, int calls, unsigned ms)
{
	uint64_t end = tu_now_ms() + ms;

	while (s->calls <= calls && tu_now_ms() < end) {
		struct timeval tv = { 0, 200000 };

		event_base_loopexit(s->base, &tv);
		event_base_dispatch(s->base);
	}
	return s->calls > calls ? 0 : -1;
}

#define SECRET "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

static struct tsig_key key_right, key_wrong;
static struct xfr_tsig tsig_right = { tsig_hook_sign, tsig_hook_verify, tsig_hook_free, &key_right };
static struct xfr_tsig tsig_wrong = { tsig_hook_sign, tsig_hook_verify, tsig_hook_free, &key_wrong };

static struct catrefresh *
refresher_tsig(struct seen *s, uint16_t port, unsigned refresh, const struct xfr_tsig *tsig)
{
	struct catrefresh_cfg cfg;
	struct netaddr m;
	struct catrefresh *r;

	memset(&cfg, 0, sizeof cfg);
	ck_assert_int_eq(netaddr_parse_ip("127.0.0.1", &m), 0);
	m.port = port;
	cfg.catalog = "cat.example.";
	cfg.masters = &m;
	cfg.nmasters = 1;
	cfg.refresh = refresh;
	cfg.first_retry = 1;
	cfg.tsig = tsig;
	if (s->base == NULL)
		s->base = event_base_new();
	r = catrefresh_new(s->base, &cfg, on_records, NULL, s);
	ck_assert_ptr_nonnull(r);
	return r;
}

static struct catrefresh *
refresher(struct seen *s, uint16_t port, unsigned refresh)
{
	return refresher_tsig(s, port, refresh, NULL);
}

static const char *
find_prog(const char *name)
{
	static char path[4][256];
	static int k;
	const char *dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	size_t i;

	for (i = 0; i < 4; i++) {
		k = (k + 1) % 4;
		snprintf(path[k], sizeof path[k], "%s/%s", dirs[i], name);
		if (access(path[k], X_OK) == 0)
			return path[k];
	}
	return NULL;
}

/* Run a shell command, bounded by timeout(1); fail the test when it fails. */
static void
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* Wait until something accepts TCP on 127.0.0.1:port (up to 20 s). */
static void
wait_tcp(uint16_t port, const char *logpath)
{
	uint64_t end = tu_now_ms() + 20000;

	while (tu_now_ms() < end) {
		evutil_socket_t fd = tu_tcp_connect(port);

		if (fd != COMPAT_INVALID_SOCKET) {
			evutil_closesocket(fd);
			return;
		}
		tu_sleep_ms(50);
	}
	ck_abort_msg("nothing answers on port %u; see %s", port, logpath);
}

static const char *zonefile = "$ORIGIN %s.\n$TTL 300\n@ SOA ns.%s. h.%s. 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n";

/* Knot 3.2.6 generating the catalog: members come and go with knotc conf-set/conf-unset; the consumer
 * gets real IXFR increments. */
START_TEST(knot_generated_catalog)
{
	const char *knotd = find_prog("knotd"), *knotc = find_prog("knotc");
	char *dir = tu_tmpdir("xfr-knot"), conf[8192], path[512], logp[512];
	uint16_t port = tu_free_port();
	struct tu_proc *p;
	struct seen s;
	struct catrefresh *r;
	const char *z[] = { "a.example", "b.example", "c.example" };
	size_t i;
	uint32_t first_serial;

	ck_assert_ptr_nonnull(knotd);
	memset(&s, 0, sizeof s);
	snprintf(conf, sizeof conf,
	    "server:\n    rundir: \"%s/run\"\n    listen: 127.0.0.1@%u\n"
	    "log:\n  - target: %s/knot.log\n    any: info\n"
	    "database:\n    storage: \"%s/db\"\n"
	    "key:\n  - id: catkey.\n    algorithm: hmac-sha256\n    secret: %s\n"
	    "acl:\n  - id: xfr\n    address: 127.0.0.0/8\n    key: catkey.\n    action: transfer\n"
	    "template:\n  - id: default\n    storage: \"%s/zones\"\n    file: \"%%s.zone\"\n"
	    "  - id: member\n    storage: \"%s/zones\"\n    file: \"%%s.zone\"\n    catalog-role: member\n"
	    "    catalog-zone: cat.example.\n"
	    "zone:\n  - domain: cat.example.\n    catalog-role: generate\n    acl: xfr\n"
	    "  - domain: a.example.\n    template: member\n",
	    dir, port, dir, dir, SECRET, dir, dir);
	free(tu_write_file(dir, "knot.conf", conf));
	sh("mkdir -p %s/run %s/db %s/zones", dir, dir, dir);
	for (i = 0; i < 3; i++) {
		char text[512], name[64];

		snprintf(text, sizeof text, zonefile, z[i], z[i], z[i]);
		snprintf(name, sizeof name, "zones/%s.zone", z[i]);
		free(tu_write_file(dir, name, text));
	}
	snprintf(path, sizeof path, "%s/knot.conf", dir);
	snprintf(logp, sizeof logp, "%s/knotd.out", dir);
	{
		const char *argv[] = { knotd, "-c", path, NULL };

		p = tu_proc_start(argv, logp);
	}
	ck_assert_ptr_nonnull(p);
	wait_tcp(port, logp);
	/* a wrong secret, and no key at all: nothing is handed on */
	{
		struct seen w;
		struct catrefresh *rw;
		unsigned ok, failed;
		int k;

		for (k = 0; k < 2; k++) {
			memset(&w, 0, sizeof w);
			rw = refresher_tsig(&w, port, 1, k == 0 ? &tsig_wrong : NULL);
			catrefresh_start(rw);
			ck_assert_int_eq(wait_handover(&w, 0, 3000), -1);
			catrefresh_counts(rw, &ok, &failed);
			ck_assert_uint_eq(ok, 0);
			ck_assert_uint_ge(failed, 2);
			catrefresh_free(rw);
			event_base_free(w.base);
		}
	}
	/* signed: every answer message verified, IXFR increments too */
	r = refresher_tsig(&s, port, 1, &tsig_right);
	catrefresh_start(r);
	ck_assert_int_eq(wait_handover(&s, 0, 20000), 0);
	ck_assert_int_eq(s.full, 1);
	ck_assert_int_eq(s.broken, 0);
	ck_assert_ptr_nonnull(strstr(s.members, "a.example="));
	first_serial = s.serial;
	/* add b.example: the next refresh gets an increment */
	sh("timeout 20 %s -c %s conf-begin >/dev/null && timeout 20 %s -c %s conf-set 'zone[b.example.]' >/dev/null && "
	    "timeout 20 %s -c %s conf-set 'zone[b.example.].template' member >/dev/null && "
	    "timeout 20 %s -c %s conf-commit >/dev/null", knotc, path, knotc, path, knotc, path, knotc, path);
	ck_assert_int_eq(wait_handover(&s, 1, 20000), 0);
	ck_assert_int_eq(s.full, 0);
	ck_assert_uint_gt(s.serial, first_serial);
	ck_assert_ptr_nonnull(strstr(s.members, "a.example="));
	ck_assert_ptr_nonnull(strstr(s.members, "b.example="));
	/* remove a.example: an increment deleting its PTR */
	sh("timeout 20 %s -c %s conf-begin >/dev/null && timeout 20 %s -c %s conf-unset 'zone[a.example.]' >/dev/null && "
	    "timeout 20 %s -c %s conf-commit >/dev/null", knotc, path, knotc, path, knotc, path);
	ck_assert_int_eq(wait_handover(&s, 2, 20000), 0);
	ck_assert_int_eq(s.full, 0);
	ck_assert_ptr_null(strstr(s.members, "a.example="));
	ck_assert_ptr_nonnull(strstr(s.members, "b.example="));
	/* a hand-edited broken catalog (two PTRs at one label) is handed on, and found broken */
	sh("timeout 20 %s -c %s zone-begin cat.example. >/dev/null && "
	    "timeout 20 %s -c %s zone-set cat.example. zz.zones 0 PTR y.example. >/dev/null && "
	    "timeout 20 %s -c %s zone-set cat.example. zz.zones 0 PTR z.example. >/dev/null && "
	    "timeout 20 %s -c %s zone-commit cat.example. >/dev/null", knotc, path, knotc, path, knotc, path, knotc, path);
	ck_assert_int_eq(wait_handover(&s, 3, 20000), 0);
	ck_assert_int_eq(s.full, 0);
	ck_assert_int_eq(s.broken, 1);
	catrefresh_free(r);
	event_base_free(s.base);
	tu_proc_term(p);
	tu_proc_wait(p, 10000);
	tu_proc_free(p);
	sh("rm -rf %s", dir);
	free(dir);
}
END_TEST

/* BIND 9.18: a primary catalog with UUID labels edited with nsupdate; IXFR answers are increments with
 * max-ixfr-ratio unlimited and AXFR-style with the default ratio. */
static void
bind_catalog(int unlimited)
{
	const char *named = find_prog("named"), *nsupdate = find_prog("nsupdate");
	char *dir = tu_tmpdir("xfr-bind"), conf[4096], path[512], logp[512], zone[1024];
	uint16_t port = tu_free_port();
	struct tu_proc *p;
	struct seen s;
	struct catrefresh *r;

	ck_assert_ptr_nonnull(named);
	ck_assert_ptr_nonnull(nsupdate);
	memset(&s, 0, sizeof s);
	snprintf(conf, sizeof conf,
	    "options {\n directory \"%s\"; pid-file \"%s/named.pid\";\n listen-on port %u { 127.0.0.1; };\n"
	    " listen-on-v6 { none; }; recursion no; dnssec-validation no; notify no;\n%s};\n"
	    "controls { };\n"
	    "zone \"cat.example\" { type primary; file \"cat.example.db\"; allow-transfer { 127.0.0.0/8; };\n"
	    " allow-update { 127.0.0.0/8; }; };\n",
	    dir, dir, port, unlimited ? " max-ixfr-ratio unlimited;\n" : "");
	free(tu_write_file(dir, "named.conf", conf));
	snprintf(zone, sizeof zone,
	    "$TTL 0\n@ SOA invalid. invalid. 1 3600 600 2147483646 0\n@ NS invalid.\nversion TXT \"2\"\n"
	    "0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones PTR a.example.\n"
	    "6b1e1b52-2f7c-4a44-9d0e-2d1b1f9c1a10.zones PTR b.example.\n");
	free(tu_write_file(dir, "cat.example.db", zone));
	snprintf(path, sizeof path, "%s/named.conf", dir);
	snprintf(logp, sizeof logp, "%s/named.out", dir);
	{
		const char *argv[] = { named, "-g", "-c", path, NULL };

		p = tu_proc_start(argv, logp);
	}
	ck_assert_ptr_nonnull(p);
	wait_tcp(port, logp);
	r = refresher(&s, port, 1);
	catrefresh_start(r);
	ck_assert_int_eq(wait_handover(&s, 0, 20000), 0);
	ck_assert_int_eq(s.full, 1);
	ck_assert_str_eq(s.members, "a.example=0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60 "
	    "b.example=6b1e1b52-2f7c-4a44-9d0e-2d1b1f9c1a10 ");
	sh("printf 'server 127.0.0.1 %u\\nzone cat.example.\\n"
	    "update add 9a4f2c3e-1d2b-4c5a-8e7f-0a1b2c3d4e5f.zones.cat.example. 0 IN PTR c.example.\\n"
	    "update delete 0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example. PTR\\nsend\\n' | "
	    "timeout 20 %s >/dev/null", port, nsupdate);
	ck_assert_int_eq(wait_handover(&s, 1, 20000), 0);
	ck_assert_int_eq(s.full, unlimited ? 0 : 1);
	ck_assert_uint_eq(s.serial, 2);
	ck_assert_str_eq(s.members, "b.example=6b1e1b52-2f7c-4a44-9d0e-2d1b1f9c1a10 "
	    "c.example=9a4f2c3e-1d2b-4c5a-8e7f-0a1b2c3d4e5f ");
	catrefresh_free(r);
	event_base_free(s.base);
	tu_proc_term(p);
	tu_proc_wait(p, 10000);
	tu_proc_free(p);
	sh("rm -rf %s", dir);
	free(dir);
}

START_TEST(bind_incremental)
{
	bind_catalog(1);
}
END_TEST

START_TEST(bind_axfr_style)
{
	bind_catalog(0);
}
END_TEST

/* Connect to the producer's control port, send one command line, return its answer line. */
static void
control(uint16_t cport, const char *cmd, char *out, size_t outlen)
{
	evutil_socket_t fd = tu_tcp_connect(cport);
	size_t got = 0;
	uint64_t end = tu_now_ms() + 20000;

	ck_assert_msg(fd != COMPAT_INVALID_SOCKET, "producer control port");
	ck_assert_int_eq(tu_send_all(fd, cmd, strlen(cmd)), 0);
	ck_assert_int_eq(tu_send_all(fd, "\n", 1), 0);
	while (got + 1 < outlen && tu_now_ms() < end) {
		long n = recv(fd, out + got, 1, 0);

		if (n <= 0 || out[got] == '\n')
			break;
		got++;
	}
	out[got] = '\0';
	evutil_closesocket(fd);
	ck_assert_msg(strncmp(out, "ok", 2) == 0, "producer: %s -> %s", cmd, out);
}

/* The Designate-shaped producer: multi-message AXFR answers to IXFR, and a NOTIFY-forced check that sees
 * a new member before the serial changes. */
START_TEST(designate_producer)
{
	const char *py = "/usr/bin/python3";
	char *dir = tu_tmpdir("xfr-catz"), script[512], logp[512], ports[2][16], answer[256];
	uint16_t port = tu_free_port(), cport = tu_free_port();
	struct tu_proc *p;
	struct seen s;
	struct catrefresh *r;
	uint32_t serial;

	memset(&s, 0, sizeof s);
	snprintf(script, sizeof script, "%s/tests/catz-producer.py", getenv("MSDNS_SRCDIR"));
	snprintf(logp, sizeof logp, "%s/producer.out", dir);
	snprintf(ports[0], sizeof ports[0], "%u", port);
	snprintf(ports[1], sizeof ports[1], "%u", cport);
	{
		const char *argv[] = { py, script, "--zone", "cat.example.", "--port", ports[0], "--control-port",
			ports[1], "--serial", "1000", "--members", "300", "--max-message", "512", "--serial-lag", "3",
			NULL };

		p = tu_proc_start(argv, logp);
	}
	ck_assert_ptr_nonnull(p);
	wait_tcp(cport, logp);
	wait_tcp(port, logp);
	/* with a key configured, its unsigned answers are rejected */
	{
		struct seen w;
		struct catrefresh *rw;
		unsigned ok, failed;

		memset(&w, 0, sizeof w);
		rw = refresher_tsig(&w, port, 1, &tsig_right);
		catrefresh_start(rw);
		ck_assert_int_eq(wait_handover(&w, 0, 2500), -1);
		catrefresh_counts(rw, &ok, &failed);
		ck_assert_uint_eq(ok, 0);
		ck_assert_uint_ge(failed, 1);
		catrefresh_free(rw);
		event_base_free(w.base);
	}
	r = refresher(&s, port, 3600);
	catrefresh_start(r);
	ck_assert_int_eq(wait_handover(&s, 0, 20000), 0);
	ck_assert_int_eq(s.full, 1);
	ck_assert_uint_eq(s.serial, 1000);
	ck_assert_ptr_nonnull(strstr(s.members, "m299.bench.example="));
	/* a member added: the content changes now, the serial 3 s later; the NOTIFY's check sees it at once */
	control(cport, "add 0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60 new.example", answer, sizeof answer);
	ck_assert_str_eq(answer, "ok serial=1000 members=301");
	catrefresh_notify(r);
	ck_assert_int_eq(wait_handover(&s, 1, 2500), 0);
	ck_assert_uint_eq(s.serial, 1000);
	ck_assert_int_eq(s.full, 1);
	ck_assert_ptr_nonnull(strstr(s.members, "new.example=0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60"));
	/* the serial follows; a NOTIFY then transfers again */
	control(cport, "bump", answer, sizeof answer);
	sscanf(answer, "ok serial=%u", &serial);
	ck_assert_uint_gt(serial, 1000);
	catrefresh_notify(r);
	ck_assert_int_eq(wait_handover(&s, 2, 5000), 0);
	ck_assert_uint_eq(s.serial, serial);
	catrefresh_free(r);
	event_base_free(s.base);
	control(cport, "quit", answer, sizeof answer);
	ck_assert_int_eq(tu_proc_wait(p, 10000), 0);
	tu_proc_free(p);
	sh("rm -rf %s", dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xfr-peers");
	TCase *t = tcase_create("peers");

	tu_init();
	{
		char err[200];

		if (tsig_key_from_spec(&key_right, "hmac-sha256:catkey.:" SECRET, err, sizeof err) != 0 ||
		    tsig_key_from_spec(&key_wrong, "hmac-sha256:catkey.:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
		    err, sizeof err) != 0) {
			fprintf(stderr, "key: %s\n", err);
			return 1;
		}
	}
	if (find_prog("knotd") == NULL || find_prog("named") == NULL || find_prog("nsupdate") == NULL ||
	    access("/usr/bin/python3", X_OK) != 0) {
		printf("knotd, named, nsupdate or python3 missing (scripts/setup.sh catalog): skipped\n");
		return 77;
	}
	tcase_set_timeout(t, 120);
	tcase_add_test(t, designate_producer);
	tcase_add_test(t, knot_generated_catalog);
	tcase_add_test(t, bind_incremental);
	tcase_add_test(t, bind_axfr_style);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
