/* TSIG with real peers: signed multi-message AXFRs from knotd and named verify (our own read loop and xfr's
 * client), a tampered message in the middle fails; the replay tool's signed NOTIFY is accepted by both and their
 * signed replies verify. The peers run on 127.0.0.1 free ports, started and stopped by tests/peers/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "testutil.h"
#include "tsig.h"
#include "wire.h"
#include "xfr.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk="
#define WRONG "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMzI="
#define NRECORDS 6000   /* TXT records of ~90 octets: several 64 KiB messages */
#define MAXMSG 64

enum peer { KNOT, BIND, NPEERS };
static const char *const peer_name[NPEERS] = { "knotd", "named" };

struct running {
	char *dir;
	uint16_t port;
	long pid;
};

static struct running peers[NPEERS];

static const char *
peers_dir(void)
{
	const char *d = getenv("MSDNS_PEERS");

	return d ? d : "tests/peers";
}

static void
write_zone(const char *dir)
{
	char path[1024];
	FILE *f;
	int i;

	snprintf(path, sizeof path, "%s/example.com.zone", dir);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hostmaster 7 3600 600 86400 300\n@ NS ns\n"
	    "ns A 192.0.2.1\n");
	for (i = 0; i < NRECORDS; i++)
		fprintf(f, "r%d TXT \"record %d of a zone that needs several messages to transfer, padded.....\"\n",
		    i, i);
	fclose(f);
}

static void
stop_peers(void)
{
	char cmd[512];
	int p;

	for (p = 0; p < NPEERS; p++) {
		if (peers[p].pid > 0) {
			snprintf(cmd, sizeof cmd, "%s/stop %ld", peers_dir(), peers[p].pid);
			if (system(cmd) != 0)
				fprintf(stderr, "stopping %s failed\n", peer_name[p]);
		}
	}
}

/* Start peer p with its configuration in a new temp dir; 0, or -1 when its program is missing (runs
 * outside the tests: no ck_assert). */
static int
start_peer(enum peer p)
{
	struct running *r = &peers[p];
	char path[1024], cmd[4096], out[64];
	FILE *f, *pp;

	r->dir = tu_tmpdir("tsig-peer");
	r->port = tu_free_port();
	write_zone(r->dir);
	snprintf(path, sizeof path, "%s/%s.conf", r->dir, peer_name[p]);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	if (p == KNOT)
		fprintf(f, "server:\n    rundir: %s\n    listen: 127.0.0.1@%u\n"
		    "log:\n  - target: stderr\n    any: info\n"
		    "database:\n    storage: %s\n"
		    "key:\n  - id: catkey.\n    algorithm: hmac-sha256\n    secret: %s\n"
		    "acl:\n  - id: xfr\n    key: catkey.\n    action: transfer\n"
		    "template:\n  - id: default\n    storage: %s\n"
		    "remote:\n  - id: nowhere\n    address: 127.0.0.2@9\n"
		    "acl:\n  - id: notify\n    key: catkey.\n    action: notify\n"
		    "zone:\n  - domain: example.com\n    file: example.com.zone\n    acl: xfr\n"
		    "  - domain: notify.test\n    master: nowhere\n    acl: notify\n",
		    r->dir, r->port, r->dir, SECRET, r->dir);
	else
		fprintf(f, "options {\n directory \"%s\";\n pid-file \"%s/named.pid\";\n"
		    " session-keyfile \"%s/session.key\";\n listen-on port %u { 127.0.0.1; };\n listen-on-v6 { none; };\n"
		    " recursion no;\n notify no;\n allow-transfer { key catkey.; };\n};\n"
		    "controls { };\n"
		    "key \"catkey.\" {\n algorithm hmac-sha256;\n secret \"%s\";\n};\n"
		    "zone \"example.com\" {\n type primary;\n file \"%s/example.com.zone\";\n};\n"
		    "zone \"notify.test\" {\n type secondary;\n primaries { 127.0.0.2 port 9; };\n"
		    " allow-notify { key catkey.; };\n file \"%s/notify.test.zone\";\n};\n",
		    r->dir, r->dir, r->dir, r->port, SECRET, r->dir, r->dir);
	fclose(f);
	snprintf(cmd, sizeof cmd, "%s/start %s %s %u %s/%s.log 300 example.com", peers_dir(), peer_name[p], path,
	    r->port, r->dir, peer_name[p]);
	if ((pp = popen(cmd, "r")) == NULL) {
		perror("popen");
		exit(1);
	}
	out[0] = '\0';
	if (fgets(out, sizeof out, pp) == NULL)
		out[0] = '\0';
	if (WEXITSTATUS(pclose(pp)) == 77)
		return -1;
	r->pid = strtol(out, NULL, 10);
	if (r->pid <= 0) {
		fprintf(stderr, "%s did not start (see %s)\n", peer_name[p], r->dir);
		stop_peers();
		exit(1);
	}
	return 0;
}

static void
key(struct tsig_key *k, const char *secret)
{
	char err[256];

	ck_assert_msg(tsig_key_init(k, "catkey.", "hmac-sha256", secret, err, sizeof err) == 0, "%s", err);
}

struct answer {
	uint8_t *msg[MAXMSG];
	size_t len[MAXMSG];
	size_t n;
	struct tsig_ctx *ctx;
};

/* Send a signed AXFR for example.com to peer p and read the whole answer (our own TCP read loop). */
static void
axfr(enum peer p, const struct tsig_key *k, struct answer *a)
{
	uint8_t q[1024], zone[WIRE_NAME_MAX];
	size_t zl = wire_name_from_text("example.com", zone), ql;
	evutil_socket_t fd = tu_tcp_connect(peers[p].port);
	struct xfr_parse *xp = xfr_parse_new(zone, zl, 252, 0x5151, NULL, NULL);
	enum xfr_step st = XFR_MORE;
	char why[256] = "";

	memset(a, 0, sizeof *a);
	a->ctx = tsig_ctx_new(k);
	ql = wire_build_query(0x5151, 0, zone, zl, 252, WIRE_CLASS_IN, 0, q, sizeof q);
	ql = tsig_sign_request(a->ctx, q, ql, sizeof q, (uint64_t)time(NULL));
	ck_assert_uint_gt(ql, 0);
	ck_assert_int_eq(tu_tcp_send_msg(fd, q, ql), 0);
	while (st == XFR_MORE) {
		long n;

		ck_assert_uint_lt(a->n, MAXMSG);
		a->msg[a->n] = malloc(65535);
		n = tu_tcp_read_msg(fd, a->msg[a->n], 65535, 10000);
		ck_assert_msg(n > 0, "%s: the answer ended after %zu messages", peer_name[p], a->n);
		a->len[a->n] = (size_t)n;
		st = xfr_parse_msg(xp, a->msg[a->n], a->len[a->n], why, sizeof why);
		a->n++;
	}
	ck_assert_msg(st == XFR_DONE, "%s: %s", peer_name[p], why);
	xfr_parse_free(xp);
	evutil_closesocket(fd);
}

static void
answer_free(struct answer *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->msg[i]);
	tsig_ctx_free(a->ctx);
}

/* Verify every message; returns the first failure (or the end's verdict) and its index in *at. */
static enum tsig_status
verify_all(struct answer *a, size_t *at)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		enum tsig_status s = tsig_verify_next(a->ctx, a->msg[i], a->len[i], (uint64_t)time(NULL));

		if (s != TSIG_OK) {
			*at = i;
			return s;
		}
	}
	*at = a->n;
	return tsig_verify_end(a->ctx);
}

START_TEST(axfr_verifies)
{
	enum peer p = (enum peer)_i;
	struct tsig_key k;
	struct answer a;
	unsigned m, sm;
	size_t at;

	if (peers[p].pid <= 0)
		return;   /* not installed: said in main */
	key(&k, SECRET);
	axfr(p, &k, &a);
	ck_assert_msg(a.n >= 3, "%s sent %zu messages; the test needs a multi-message answer", peer_name[p], a.n);
	ck_assert_int_eq(verify_all(&a, &at), TSIG_OK);
	tsig_ctx_counts(a.ctx, &m, &sm);
	ck_assert_uint_eq(m, a.n);
	fprintf(stderr, "%s: AXFR of %zu messages, %u signed, verified\n", peer_name[p], a.n, sm);
	answer_free(&a);
}
END_TEST

/* One octet changed in a middle message (the last RDATA octet before its TSIG, or at its end): fails there
 * or at the next signed message, never later. */
START_TEST(axfr_tampered)
{
	enum peer p = (enum peer)_i;
	struct tsig_key k;
	struct answer a;
	struct wire_tsig t;
	size_t mid, at, off;

	if (peers[p].pid <= 0)
		return;
	key(&k, SECRET);
	axfr(p, &k, &a);
	mid = a.n / 2;
	off = wire_get_tsig(a.msg[mid], a.len[mid], &t) == 1 ? t.offset - 1 : a.len[mid] - 1;
	a.msg[mid][off] ^= 0x01;
	ck_assert_int_eq(verify_all(&a, &at), TSIG_BADSIG);
	ck_assert_uint_ge(at, mid);
	answer_free(&a);
}
END_TEST

/* Verified with the wrong secret, the first message already fails. */
START_TEST(axfr_wrong_secret)
{
	enum peer p = (enum peer)_i;
	struct tsig_key k, wrong;
	struct answer a;
	size_t at;

	if (peers[p].pid <= 0)
		return;
	key(&k, SECRET);
	key(&wrong, WRONG);
	axfr(p, &k, &a);
	tsig_ctx_free(a.ctx);
	a.ctx = tsig_ctx_new(&wrong);
	{
		uint8_t q[1024], zone[WIRE_NAME_MAX];
		size_t zl = wire_name_from_text("example.com", zone);

		/* a context that signed a request with the wrong secret: its MAC differs, and so does the key */
		tsig_sign_request(a.ctx, q, wire_build_query(0x5151, 0, zone, zl, 252, 1, 0, q, sizeof q), sizeof q,
		    (uint64_t)time(NULL));
	}
	ck_assert_int_eq(verify_all(&a, &at), TSIG_BADSIG);
	ck_assert_uint_eq(at, 0);
	answer_free(&a);
}
END_TEST

struct outcome {
	struct event_base *base;
	int done;
	enum xfr_status status;
	size_t records;
	char why[256];
};

static void
on_done(void *arg, struct xfr_result *r)
{
	struct outcome *o = arg;

	o->done = 1;
	o->status = r->status;
	o->records = r->view ? xfr_view_count(r->view) : 0;
	snprintf(o->why, sizeof o->why, "%s", r->why);
	event_base_loopbreak(o->base);
}

static void
client_run(enum peer p, const struct tsig_key *k, struct outcome *o)
{
	struct xfr_tsig hooks = { tsig_hook_sign, tsig_hook_verify, tsig_hook_free, (void *)k };
	struct netaddr master;
	struct xfr_req req;
	struct timeval tv = { 60, 0 };

	memset(o, 0, sizeof *o);
	memset(&req, 0, sizeof req);
	ck_assert_int_eq(netaddr_parse_hostport("127.0.0.1", peers[p].port, &master), 0);
	o->base = event_base_new();
	req.zone = "example.com.";
	req.masters = &master;
	req.nmasters = 1;
	req.force = 1;
	req.tsig = &hooks;
	ck_assert_ptr_nonnull(xfr_start(o->base, &req, on_done, o));
	event_base_loopexit(o->base, &tv);
	event_base_dispatch(o->base);
	event_base_free(o->base);
	ck_assert_msg(o->done, "%s: no result in 60 s", peer_name[p]);
}

/* xfr's client with our hooks: the signed SOA query and AXFR of the whole zone verify; a wrong secret fails. */
START_TEST(client_verifies)
{
	enum peer p = (enum peer)_i;
	struct tsig_key k, wrong;
	struct outcome o;

	if (peers[p].pid <= 0)
		return;
	key(&k, SECRET);
	client_run(p, &k, &o);
	ck_assert_msg(o.status == XFR_OK, "%s: %s", peer_name[p], o.why);
	ck_assert_uint_eq(o.records, NRECORDS + 3);
	key(&wrong, WRONG);
	client_run(p, &wrong, &o);
	/* the peer cannot verify our request: NOTAUTH (with BADSIG in its TSIG), before any record */
	ck_assert_int_eq(o.status, XFR_FAILED);
	ck_assert_msg(strstr(o.why, "NOTAUTH") != NULL, "%s: %s", peer_name[p], o.why);
}
END_TEST

/* Run the replay tool with args against peer p; its output into out. Returns its exit status. */
static int
replay(enum peer p, const char *args, char *out, size_t outlen)
{
	char cmd[2048];
	size_t n;
	FILE *pp;

	snprintf(cmd, sizeof cmd, "'%s' --port %u --timeout 5 %s 2>&1", tu_program("MSDNS_REPLAY"), peers[p].port, args);
	pp = popen(cmd, "r");
	ck_assert_ptr_nonnull(pp);
	n = fread(out, 1, outlen - 1, pp);
	out[n] = '\0';
	return WEXITSTATUS(pclose(pp));
}

/* Our replay tool's signed NOTIFY is accepted by the peer (it verified our TSIG: NOERROR, not NOTAUTH), and the
 * peer's signed reply verifies; with a wrong secret the peer answers BADSIG, and the verdict fails. */
START_TEST(replay_notify)
{
	enum peer p = (enum peer)_i;
	char out[8192], args[512], *keyfile, *dir;

	if (peers[p].pid <= 0)
		return;
	replay(p, "--tsig hmac-sha256:catkey.:" SECRET " notify notify.test", out, sizeof out);
	ck_assert_msg(strstr(out, "status: NOERROR") && strstr(out, ";; TSIG: ok"), "%s: %s", peer_name[p], out);
	ck_assert_msg(replay(p, "--tcp --tsig catkey:" SECRET " notify notify.test", out, sizeof out) != 2, "%s",
	    out);
	ck_assert_msg(strstr(out, "status: NOERROR") && strstr(out, ";; TSIG: ok"), "%s: %s", peer_name[p], out);
	/* the key from BIND's key clause, as tsig-keygen prints it */
	dir = tu_tmpdir("tsig-key");
	keyfile = tu_write_file(dir, "catkey.key", "key \"catkey.\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET
	    "\";\n};\n");
	snprintf(args, sizeof args, "--tsig-file '%s' notify notify.test", keyfile);
	replay(p, args, out, sizeof out);
	ck_assert_msg(strstr(out, "status: NOERROR") && strstr(out, ";; TSIG: ok"), "%s: %s", peer_name[p], out);
	free(keyfile);
	free(dir);
	/* a wrong secret */
	ck_assert_int_eq(replay(p, "--tsig hmac-sha256:catkey.:" WRONG " notify notify.test", out, sizeof out), 1);
	ck_assert_msg(strstr(out, "status: NOTAUTH") && strstr(out, ";; TSIG: the server answered BADSIG"), "%s: %s",
	    peer_name[p], out);
	ck_assert_ptr_nonnull(strstr(out, ";; VERDICT: failure"));
	/* unsigned: the peer refuses it (allow-notify / acl by key only) */
	replay(p, "notify notify.test", out, sizeof out);
	ck_assert_msg(strstr(out, "status: NOERROR") == NULL && strstr(out, ";; TSIG") == NULL, "%s: %s",
	    peer_name[p], out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tsig-peers");
	TCase *tc = tcase_create("tsig-peers");
	int p, rc, started = 0;

	tu_init();
	for (p = 0; p < NPEERS; p++) {
		if (start_peer((enum peer)p) == 0)
			started++;
		else
			fprintf(stderr, "%s is not installed (scripts/setup.sh peers): its tests are skipped\n",
			    peer_name[p]);
	}
	if (started == 0) {
		stop_peers();
		return 77;
	}
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, axfr_verifies, 0, NPEERS);
	tcase_add_loop_test(tc, axfr_tampered, 0, NPEERS);
	tcase_add_loop_test(tc, axfr_wrong_secret, 0, NPEERS);
	tcase_add_loop_test(tc, client_verifies, 0, NPEERS);
	tcase_add_loop_test(tc, replay_notify, 0, NPEERS);
	suite_add_tcase(s, tc);
	rc = tu_run_suite(s);
	stop_peers();
	return rc;
}
