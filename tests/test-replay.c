/* Tests of the replay tool: building, decoding, verdicts, and the program against a running agent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "config.h"
#include "replay.h"
#include "testutil.h"
#include "tsig.h"
#include "vectors.h"
#include "wire.h"
#include "xfrsrv.h"


/* What replay_print writes for msg. */
static char *
printed(const uint8_t *msg, size_t len)
{
	static char text[8192];
	FILE *f = tmpfile();
	size_t n;

	replay_print(f, msg, len);
	rewind(f);
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

START_TEST(build_like_the_controller)
{
	uint8_t out[512], want[512];
	const char *err = NULL;
	size_t n = replay_build(REPLAY_CREATE, "example.com", 0x1234, 0, 0, out, sizeof out, &err);
	size_t wl;

	/* PROTOCOL.md §2's example "1234 7400 0001 0000 0000 0000 07example03com00 ff02 ff00" */
	wl = tu_hex("12347400000100000000000007", want, sizeof want);
	memcpy(want + wl, "example", 7);
	wl += 7;
	wl += tu_hex("03", want + wl, 1);
	memcpy(want + wl, "com", 3);
	wl += 3;
	wl += tu_hex("00ff02ff00", want + wl, 16);
	ck_assert_uint_eq(n, wl);
	ck_assert_mem_eq(out, want, wl);
	n = replay_build(REPLAY_DELETE, "example.com.", 0x1234, 0, 0, out, sizeof out, &err);
	ck_assert_uint_eq(out[n - 3], 0x03);
	n = replay_build(REPLAY_NOTIFY, "example.com", 0x1a72, 0, 0, out, sizeof out, &err);
	ck_assert_uint_eq(out[2], 0x21);   /* opcode NOTIFY with RD, as the worker sends it */
	ck_assert_uint_eq(out[3], 0x00);
	n = replay_build(REPLAY_CREATE, "example.com", 1, 1, 1, out, sizeof out, &err);
	ck_assert_uint_eq(out[2], 0x75);   /* --rd */
	ck_assert_uint_eq(out[11], 1);     /* --edns */
	ck_assert_uint_eq(replay_build(REPLAY_CREATE, "a..b", 1, 0, 0, out, sizeof out, &err), 0);
	ck_assert_ptr_nonnull(err);
	ck_assert_uint_eq(replay_build(REPLAY_CREATE, "", 1, 0, 0, out, sizeof out, &err), 0);
}
END_TEST

START_TEST(decode_golden)
{
	uint8_t msg[512];
	size_t n = tu_hex(tu_golden[_i].reply, msg, sizeof msg);
	char *t = printed(msg, n);
	int create = _i == 2 || _i == 3, del = _i >= 4, refused = _i % 2;

	ck_assert_ptr_nonnull(strstr(t, create || del ? "opcode: CC" : "opcode: NOTIFY"));
	ck_assert_ptr_nonnull(strstr(t, refused ? "status: REFUSED" : "status: NOERROR"));
	ck_assert_ptr_nonnull(strstr(t, refused ? ";; flags: qr;" : ";; flags: qr aa;"));
	ck_assert_ptr_nonnull(strstr(t, ";example.com."));
	ck_assert_ptr_nonnull(strstr(t, create ? "CLASS65280  TYPE65282" : del ? "CLASS65280  TYPE65283" : "IN          SOA"));
	ck_assert_ptr_nonnull(strstr(t, "MSG SIZE: 29"));
}
END_TEST

START_TEST(verdict_golden)
{
	uint8_t q[512], r[512];
	size_t ql = tu_hex(tu_golden[_i].request, q, sizeof q), rl = tu_hex(tu_golden[_i].reply, r, sizeof r);
	const char *why;

	ck_assert_int_eq(replay_verdict(q, ql, r, rl, &why), _i % 2 ? REPLAY_BAD_REPLY : REPLAY_OK);
}
END_TEST

START_TEST(verdict_mismatches)
{
	uint8_t q[512], r[512];
	size_t ql = tu_hex(tu_golden[2].request, q, sizeof q), rl;
	const char *why;

	rl = tu_hex(tu_golden[2].reply, r, sizeof r);
	r[1] ^= 1;
	ck_assert_int_eq(replay_verdict(q, ql, r, rl, &why), REPLAY_BAD_REPLY);
	ck_assert_ptr_nonnull(strstr(why, "id"));
	rl = tu_hex(tu_golden[2].reply, r, sizeof r);
	r[2] &= 0x7f;
	ck_assert_int_eq(replay_verdict(q, ql, r, rl, &why), REPLAY_BAD_REPLY);
	ck_assert_ptr_nonnull(strstr(why, "QR"));
	rl = tu_hex(tu_golden[2].reply, r, sizeof r);
	r[13] = 'E';   /* case differs: still the same question */
	ck_assert_int_eq(replay_verdict(q, ql, r, rl, &why), REPLAY_OK);
	r[14] = 'y';
	ck_assert_int_eq(replay_verdict(q, ql, r, rl, &why), REPLAY_BAD_REPLY);
	ck_assert_ptr_nonnull(strstr(why, "question"));
	rl = tu_hex(tu_golden[2].reply, r, sizeof r);
	r[2] = (uint8_t)((r[2] & 0x87) | (4 << 3));   /* opcode NOTIFY */
	ck_assert_int_eq(replay_verdict(q, ql, r, rl, &why), REPLAY_BAD_REPLY);
	ck_assert_ptr_nonnull(strstr(why, "opcode"));
	rl = tu_hex(tu_golden[2].reply, r, sizeof r);
	r[3] = 2;
	ck_assert_int_eq(replay_verdict(q, ql, r, rl, &why), REPLAY_BAD_REPLY);
	ck_assert_ptr_nonnull(strstr(why, "rcode"));
	ck_assert_int_eq(replay_verdict(q, ql, r, 7, &why), REPLAY_BAD_REPLY);
}
END_TEST

START_TEST(read_inputs)
{
	uint8_t out[64];
	const char *err = NULL;

	ck_assert_uint_eq(replay_read((const uint8_t *)"12 34\n56", 8, out, sizeof out, &err), 3);
	ck_assert_uint_eq(out[2], 0x56);
	ck_assert_uint_eq(replay_read((const uint8_t *)"123", 3, out, sizeof out, &err), 0);
	ck_assert_str_eq(err, "hex has an odd number of digits");
	ck_assert_uint_eq(replay_read((const uint8_t *)"\x12\x34\x00z", 4, out, sizeof out, &err), 4);   /* raw */
	ck_assert_uint_eq(out[3], 'z');
	ck_assert_uint_eq(replay_read((const uint8_t *)"", 0, out, sizeof out, &err), 0);
}
END_TEST

START_TEST(print_other_sections_and_garbage)
{
	uint8_t msg[512];
	size_t n = tu_hex("beef81800001000100000001076578616d706c6503636f6d0000010001c00c000100010000003c0004"
	    "0a0000010000291000000000000000", msg, sizeof msg);
	char *t = printed(msg, n);

	ck_assert_ptr_nonnull(strstr(t, ";; ANSWER SECTION:\nexample.com."));
	ck_assert_ptr_nonnull(strstr(t, "\\# 4 0a000001"));
	ck_assert_ptr_nonnull(strstr(t, "; EDNS: version: 0, flags:; udp: 4096"));
	t = printed(msg, 20);
	ck_assert_ptr_nonnull(strstr(t, "unparsable message of 20 octets"));
}
END_TEST

START_TEST(explain_hostile_and_command_line)
{
	struct config cfg;
	struct netaddr src;
	uint8_t msg[512];
	const char *err;
	size_t n;
	FILE *f;
	char text[8192];

	ck_assert_int_eq(config_load_string(&cfg, "[service:agent]\nmasters = 192.0.2.1\n[backend:agent:msdns]\n"
	    "script = C:\\Program Files\\msdns-agent\\scripts\\msdns-zone.ps1\n", "t.conf", stderr), 0);
	netaddr_parse_ip("127.0.0.1", &src);
	n = replay_build(REPLAY_DELETE, "Example.COM", 1, 0, 0, msg, sizeof msg, &err);
	f = tmpfile();
	ck_assert_int_eq(replay_explain(f, &cfg, msg, n, &src), REPLAY_OK);
	rewind(f);
	text[fread(text, 1, sizeof text - 1, f)] = '\0';
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "-File \"C:\\Program Files\\msdns-agent\\scripts\\msdns-zone.ps1\" "
	    "-Operation Delete -Zone example.com -Masters 192.0.2.1"));
	ck_assert_ptr_nonnull(strstr(text, "SERVFAIL AA when the zone is not ours"));

	n = replay_build(REPLAY_CREATE, "a\\;b.example", 1, 0, 0, msg, sizeof msg, &err);
	f = tmpfile();
	ck_assert_int_eq(replay_explain(f, &cfg, msg, n, &src), REPLAY_BAD_REPLY);
	rewind(f);
	text[fread(text, 1, sizeof text - 1, f)] = '\0';
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "REFUSED (no AA) for a\\;b.example."));
	ck_assert_ptr_null(strstr(text, "-Operation"));
}
END_TEST

/* With workers, --explain names the worker mode and shows the request line instead of a command line. */
START_TEST(explain_worker_mode)
{
	struct config cfg;
	struct netaddr src;
	uint8_t msg[512];
	const char *err;
	size_t n;
	FILE *f;
	char text[8192];

	ck_assert_int_eq(config_load_string(&cfg, "[service:agent]\nmasters = 192.0.2.1, 192.0.2.2\n"
	    "[backend:agent:msdns]\nworkers = 3\nworker_max_requests = 50\n", "t.conf", stderr), 0);
	netaddr_parse_ip("127.0.0.1", &src);
	n = replay_build(REPLAY_CREATE, "Example.COM", 1, 0, 0, msg, sizeof msg, &err);
	f = tmpfile();
	ck_assert_int_eq(replay_explain(f, &cfg, msg, n, &src), REPLAY_OK);
	rewind(f);
	text[fread(text, 1, sizeof text - 1, f)] = '\0';
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "one of 3 persistent workers (workers = 3, each replaced after 50 operations)"));
	ck_assert_ptr_nonnull(strstr(text, ";;   1 Create example.com 192.0.2.1,192.0.2.2 -\n"));
	ck_assert_ptr_nonnull(strstr(text, "-Serve"));
	ck_assert_ptr_null(strstr(text, "-Operation"));
	ck_assert_ptr_null(strstr(text, "one process for it"));
}
END_TEST

/* The program itself, as an admin runs it. */
static char *dir;

static int
replay(const char *const *args, char **out)
{
	const char *argv[24];
	char log[600];
	struct tu_proc *p;
	size_t i;
	int rc;

	argv[0] = tu_program("MSDNS_REPLAY");
	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	snprintf(log, sizeof log, "%s/replay-%lu.out", dir, (unsigned long)tu_now_ms());
	p = tu_proc_start(argv, log);
	ck_assert_ptr_nonnull(p);
	rc = tu_proc_wait(p, 20000);
	tu_proc_free(p);
	*out = tu_read_file(log);
	ck_assert_ptr_nonnull(*out);
	return rc;
}

START_TEST(program_exit_statuses)
{
	struct tu_proc *agent, *strict;
	uint16_t port, sport;
	char pbuf[8], spbuf[8], *out;

	dir = tu_tmpdir("msdns-replay");
	agent = tu_agent_start(dir, "[service:agent]\nlisten = 127.0.0.1:PORT\nbackend_driver = fake\n", &port);
	ck_assert_ptr_nonnull(agent);
	snprintf(pbuf, sizeof pbuf, "%u", port);
	{
		const char *a[] = { "--port", pbuf, "--id", "0x1234", "create", "example.com", NULL };

		ck_assert_int_eq(replay(a, &out), 0);
		ck_assert_ptr_nonnull(strstr(out, "status: NOERROR, id: 4660"));
		ck_assert_ptr_nonnull(strstr(out, ";; VERDICT: success"));
		free(out);
	}
	{
		const char *a[] = { "--port", pbuf, "--tcp", "--edns", "notify", "example.com", NULL };

		ck_assert_int_eq(replay(a, &out), 0);
		ck_assert_ptr_nonnull(strstr(out, "udp: 8192"));
		ck_assert_ptr_nonnull(strstr(out, "(TCP)"));
		free(out);
	}
	{
		const char *a[] = { "--port", pbuf, "--hex", "8dfd70000001000000000000076578616d706c6503636f6d00ff02ff00", NULL };

		ck_assert_int_eq(replay(a, &out), 0);
		free(out);
	}
	{
		const char *a[] = { "--port", pbuf, "--repeat", "5", "delete", "example.com", NULL };

		ck_assert_int_eq(replay(a, &out), 0);
		ck_assert_ptr_nonnull(strstr(out, "5 sent: 5 valid"));
		free(out);
	}
	{
		const char *a[] = { "--port", pbuf, "--hex", "1234010000010000000000000000010001", NULL };   /* a QUERY */

		ck_assert_int_eq(replay(a, &out), 1);
		ck_assert_ptr_nonnull(strstr(out, "status: REFUSED"));
		free(out);
	}
	/* an agent that refuses us: 1 */
	strict = tu_agent_start(dir, "[service:agent]\nlisten = 127.0.0.1:PORT\nbackend_driver = fake\n"
	    "allow_notify = 192.0.2.1\n", &sport);
	ck_assert_ptr_nonnull(strict);
	snprintf(spbuf, sizeof spbuf, "%u", sport);
	{
		const char *a[] = { "--port", spbuf, "create", "example.com", NULL };

		ck_assert_int_eq(replay(a, &out), 1);
		ck_assert_ptr_nonnull(strstr(out, "status: REFUSED"));
		ck_assert_ptr_nonnull(strstr(out, ";; VERDICT: failure: the rcode is not NOERROR"));
		free(out);
	}
	tu_proc_term(strict);
	tu_proc_wait(strict, 10000);
	tu_proc_free(strict);
	/* nobody answers: 2 (the stopped agent's port) */
	{
		const char *a[] = { "--port", spbuf, "--timeout", "1", "create", "example.com", NULL };

		ck_assert_int_eq(replay(a, &out), 2);
		free(out);
	}
	{
		const char *a[] = { "--port", spbuf, "--tcp", "--timeout", "1", "create", "example.com", NULL };

		ck_assert_int_eq(replay(a, &out), 2);
		free(out);
	}
	/* usage errors: 64, one line naming the problem */
	{
		static const char *const bad[][4] = {
			{ "create", "a..b", NULL }, { "--hex", "abc", NULL }, { "--port", "70000", "create", "x" },
			{ "frobnicate", "x", NULL }, { "create", NULL }, { "--server", "localhost", "create", "x" },
		};
		size_t i;

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			const char *a[5] = { bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL };

			ck_assert_int_eq(replay(a, &out), 64);
			ck_assert_ptr_nonnull(strstr(out, "msdns-agent-replay: "));
			free(out);
		}
	}
	tu_proc_term(agent);
	ck_assert_int_eq(tu_proc_wait(agent, 10000), 0);
	tu_proc_free(agent);
}
END_TEST

START_TEST(program_mismatched_reply)
{
	/* a server that answers with another id: reported, not trusted */
	evutil_socket_t s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;
	ev_socklen_t sl = sizeof sin;
	char pbuf[8], log[600], *out;
	const char *argv[] = { tu_program("MSDNS_REPLAY"), "--port", pbuf, "--timeout", "5", "create", "example.com",
		NULL };
	struct tu_proc *p;
	uint8_t buf[512];
	struct sockaddr_storage peer;
	ev_socklen_t pl = sizeof peer;
	long n;

	dir = tu_tmpdir("msdns-replay");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
	getsockname(s, (struct sockaddr *)&sin, &sl);
	snprintf(pbuf, sizeof pbuf, "%u", ntohs(sin.sin_port));
	snprintf(log, sizeof log, "%s/mismatch.out", dir);
	p = tu_proc_start(argv, log);
	n = (long)recvfrom(s, (char *)buf, sizeof buf, 0, (struct sockaddr *)&peer, &pl);
	ck_assert_int_gt(n, 12);
	buf[0] ^= 0xff;
	buf[2] |= 0x84;
	sendto(s, (const char *)buf, (int)n, 0, (struct sockaddr *)&peer, pl);
	ck_assert_int_eq(tu_proc_wait(p, 20000), 1);
	tu_proc_free(p);
	out = tu_read_file(log);
	ck_assert_ptr_nonnull(strstr(out, "not a reply to it"));
	free(out);
	evutil_closesocket(s);
}
END_TEST

START_TEST(program_explain_with_config)
{
	char *conf, *out;
	const char *a[8];

	dir = tu_tmpdir("msdns-replay");
	conf = tu_write_file(dir, "agent.conf", "[service:agent]\nmasters = 192.0.2.1, 192.0.2.2\n"
	    "allow_notify = 10.0.0.0/8\n[backend:agent:msdns]\nexecution_policy = AllSigned\n");
	a[0] = "--explain";
	a[1] = "--config-file";
	a[2] = conf;
	a[3] = "--source";
	a[4] = "10.1.2.3";
	a[5] = "create";
	a[6] = "example.com";
	a[7] = NULL;
	ck_assert_int_eq(replay(a, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "-ExecutionPolicy AllSigned"));
	ck_assert_ptr_nonnull(strstr(out, "-Masters 192.0.2.1,192.0.2.2"));
	free(out);
	a[4] = "192.0.2.9";   /* not in allow_notify */
	ck_assert_int_eq(replay(a, &out), 1);
	ck_assert_ptr_nonnull(strstr(out, "source not in allow_notify"));
	free(out);
	free(conf);
}
END_TEST

START_TEST(program_against_msdns_backend)
{
	struct tu_proc *agent;
	uint16_t port;
	char pbuf[8], conf[2048], state[600], *out, *raw, *hex;
	const char *err;
	uint8_t msg[512];
	size_t n;
	FILE *f;

	dir = tu_tmpdir("msdns-replay");
	snprintf(state, sizeof state, "%s/state", dir);
	tu_setenv("PSSIM_STATE", state);
	snprintf(conf, sizeof conf, "[service:agent]\nlisten = 127.0.0.1:PORT\nmasters = 192.0.2.1\n"
	    "[backend:agent:msdns]\npowershell = %s\nscript = %s\n", tu_program("MSDNS_PSSIM"),
	    tu_program("MSDNS_SCRIPT"));
	agent = tu_agent_start(dir, conf, &port);
	ck_assert_ptr_nonnull(agent);
	snprintf(pbuf, sizeof pbuf, "%u", port);
	{
		const char *a[] = { "--port", pbuf, "notify", "absent.example", NULL };

		ck_assert_int_eq(replay(a, &out), 1);   /* NOTIFY for an absent zone: REFUSED */
		ck_assert_ptr_nonnull(strstr(out, "status: REFUSED"));
		free(out);
	}
	/* a captured CREATE as raw wire in a file, and as hex text */
	n = replay_build(REPLAY_CREATE, "file.example", 0x4321, 0, 0, msg, sizeof msg, &err);
	raw = malloc(strlen(dir) + 16);
	sprintf(raw, "%s/create.bin", dir);
	f = compat_fopen(raw, "wb");
	fwrite(msg, 1, n, f);
	fclose(f);
	{
		const char *a[] = { "--port", pbuf, "--file", raw, NULL };

		ck_assert_int_eq(replay(a, &out), 0);
		ck_assert_ptr_nonnull(strstr(out, "id: 17185"));
		free(out);
	}
	hex = tu_write_file(dir, "delete.hex", "c0de 7400 0001 0000 0000 0000\n"
	    "0466696c65076578616d706c6500 ff03 ff00\n");
	{
		const char *a[] = { "--port", pbuf, "--tcp", "--file", hex, NULL };

		ck_assert_int_eq(replay(a, &out), 0);
		ck_assert_ptr_nonnull(strstr(out, "TYPE65283"));
		free(out);
	}
	free(raw);
	free(hex);
	tu_proc_term(agent);
	ck_assert_int_eq(tu_proc_wait(agent, 10000), 0);
	tu_proc_free(agent);
}
END_TEST

/* ---- replay catalog with TSIG: a producer in this process answers SOA and AXFR (two messages) signed with
 * the key, unsigned, signed with another secret under the key's name, or with its second message tampered. ---- */
enum cat_mode { CM_SIGNED, CM_UNSIGNED, CM_WRONG_KEY, CM_TAMPERED };
#define CAT_SECRET "Y2F0YWxvZy1rZXktY2F0YWxvZy1rZXktY2F0YWxvZzE="
#define CAT_WRONG "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI="

static evutil_socket_t
cat_listen(uint16_t *port)
{
	evutil_socket_t s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin;
	ev_socklen_t sl = sizeof sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(s, 8), 0);
	getsockname(s, (struct sockaddr *)&sin, &sl);
	*port = ntohs(sin.sin_port);
	return s;
}

/* Answer the replay's connections on ls as mode says; returns the number of queries that were signed with k. */
static int
cat_serve(evutil_socket_t ls, const struct tsig_key *k, const struct tsig_key *wrong, enum cat_mode mode)
{
	static struct mb mb;
	int conns, signed_q = 0;

	for (conns = 0; conns < 4; conns++) {
		fd_set rs;
		struct timeval tv = { conns == 0 ? 20 : 2, 0 };
		evutil_socket_t fd;
		uint8_t q[4096];
		long n;

		FD_ZERO(&rs);
		FD_SET(ls, &rs);
		if (select((int)ls + 1, &rs, NULL, NULL, &tv) <= 0)
			break;
		if ((fd = accept(ls, NULL, NULL)) == COMPAT_INVALID_SOCKET)
			break;
		while ((n = tu_tcp_read_msg(fd, q, sizeof q, 5000)) > 0) {
			struct wire_msg m;
			struct tsig_req t, r;
			struct tsig_ctx *c = NULL;
			uint16_t id = (uint16_t)(q[0] << 8 | q[1]);
			uint64_t now = (uint64_t)time(NULL);
			size_t len, body;
			int axfr;

			ck_assert_int_eq(wire_parse(q, (size_t)n, &m), 0);
			axfr = m.q[0].qtype == AXFR;
			if (tsig_verify_request(k, 1, q, (size_t)n, now, &t) == TSIG_OK)
				signed_q++;
			if (mode != CM_UNSIGNED && t.status == TSIG_OK) {
				r = t;
				if (mode == CM_WRONG_KEY)
					r.key = wrong;
				c = tsig_ctx_for_reply(&r);
				ck_assert_ptr_nonnull(c);
			}
			mb_init(&mb, id, 0, axfr ? AXFR : 6, 1);
			mb_soa(&mb, 7);
			if (axfr) {
				mb_ns(&mb);
				mb_txt(&mb, "version.cat.example.", "2");
				mb_ptr(&mb, "m1.zones.cat.example.", "a.example.");
			}
			len = mb_end(&mb);
			if (c)
				ck_assert_uint_gt(len = tsig_sign_next(c, mb.b, len, sizeof mb.b, now, 1), 0);
			ck_assert_int_eq(tu_tcp_send_msg(fd, mb.b, len), 0);
			if (axfr) {   /* the second message: one more member and the closing SOA */
				mb_init(&mb, id, 0, AXFR, 0);
				body = mb.len;
				mb_ptr(&mb, "m2.zones.cat.example.", "b.example.");
				mb_soa(&mb, 7);
				len = mb_end(&mb);
				if (c)
					ck_assert_uint_gt(len = tsig_sign_next(c, mb.b, len, sizeof mb.b, now, 1), 0);
				if (mode == CM_TAMPERED)
					mb.b[body + 1] = 'l';   /* "m2" becomes "l2" after signing */
				ck_assert_int_eq(tu_tcp_send_msg(fd, mb.b, len), 0);
			}
			tsig_ctx_free(c);
		}
		evutil_closesocket(fd);
	}
	return signed_q;
}

START_TEST(program_catalog_tsig)
{
	static const enum cat_mode modes[] = { CM_SIGNED, CM_SIGNED, CM_SIGNED, CM_UNSIGNED, CM_WRONG_KEY, CM_TAMPERED,
		CM_SIGNED };
	struct tsig_key k, wrong;
	char err[128], pbuf[8], tbuf[128], log[600], conf[1024], *cpath, *kpath, *out;
	const char *argv[16];
	evutil_socket_t ls;
	struct tu_proc *p;
	uint16_t port;
	int how = _i, rc, nsigned, a = 0;

	ck_assert_int_eq(tsig_key_init(&k, "catkey.", "hmac-sha256", CAT_SECRET, err, sizeof err), 0);
	ck_assert_int_eq(tsig_key_init(&wrong, "catkey.", "hmac-sha256", CAT_WRONG, err, sizeof err), 0);
	dir = tu_tmpdir("msdns-replay");
	ls = cat_listen(&port);
	snprintf(pbuf, sizeof pbuf, "%u", port);
	snprintf(conf, sizeof conf, "[DEFAULT]\nstate_dir = %s\n[service:agent]\nmasters = 192.0.2.1\n[tsigkey:catkey.]\nsecret = %s\n"
	    "[catalog:cat.example.]\nmasters = 127.0.0.1:%u\ntsig_key = catkey.\nmember_suffixes = example.\n", dir,
	    CAT_SECRET, port);
	cpath = tu_write_file(dir, "agent.conf", conf);
	kpath = tu_write_file(dir, "key.conf", "key \"catkey.\" {\n\talgorithm hmac-sha256;\n\tsecret \"" CAT_SECRET "\";\n};\n");
	argv[a++] = tu_program("MSDNS_REPLAY");
	argv[a++] = "catalog";
	argv[a++] = "cat.example.";
	if (how == 2) {   /* everything from the agent's configuration: masters, key, suffixes, state file */
		argv[a++] = "--config-file";
		argv[a++] = cpath;
	} else {
		argv[a++] = "--port";
		argv[a++] = pbuf;
		if (how == 1) {
			argv[a++] = "--tsig-file";
			argv[a++] = kpath;
		} else if (how != 6) {
			snprintf(tbuf, sizeof tbuf, "hmac-sha256:catkey.:%s", CAT_SECRET);
			argv[a++] = "--tsig";
			argv[a++] = tbuf;
		}
	}
	argv[a++] = "--timeout";
	argv[a++] = "15";
	argv[a] = NULL;
	snprintf(log, sizeof log, "%s/catalog-%d.out", dir, how);
	p = tu_proc_start(argv, log);
	ck_assert_ptr_nonnull(p);
	nsigned = cat_serve(ls, &k, &wrong, modes[how]);
	rc = tu_proc_wait(p, 30000);
	tu_proc_free(p);
	evutil_closesocket(ls);
	out = tu_read_file(log);
	ck_assert_ptr_nonnull(out);
	if (how <= 2) {   /* signed and verified: members listed */
		ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
		ck_assert_int_eq(nsigned, 2);   /* the SOA query and the AXFR */
		ck_assert_ptr_nonnull(strstr(out, "TSIG: signed with key catkey.; every answer verified"));
		ck_assert_ptr_nonnull(strstr(out, "member m1 a.example"));
		ck_assert_ptr_nonnull(strstr(out, "member m2 b.example"));
		if (how == 2)   /* the state file state_dir/NAME.state (absent here) */
			ck_assert_ptr_nonnull(strstr(out, "absent: the agent knows no zone as owned"));
	} else if (how == 6) {   /* unsigned request to a producer that does not sign: as before */
		ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
		ck_assert_int_eq(nsigned, 0);
		ck_assert_ptr_null(strstr(out, "TSIG"));
	} else {   /* an unsigned, wrongly signed or tampered answer: no transfer, said so */
		ck_assert_msg(rc == 2, "exit %d: %s", rc, out);
		ck_assert_ptr_nonnull(strstr(out, ";; no transfer of cat.example."));
		ck_assert_ptr_nonnull(strstr(out, "TSIG: every step signed with key catkey."));
		ck_assert_ptr_null(strstr(out, "member "));
		ck_assert_msg(strstr(out, how == 3 ? "unsigned" : "TSIG") != NULL, "%s", out);
	}
	free(out);
	free(cpath);
	free(kpath);
}
END_TEST

/* --explain of messages signed with a catalog's key: its NOTIFY accepted from anywhere, anything else BADKEY. */
START_TEST(explain_catalog_key)
{
	static struct config cfg;
	struct tsig_key k;
	struct netaddr out;
	uint8_t q[600];
	char err[128], text[8192];
	FILE *f;
	size_t ql, n;
	int i, rc;

	ck_assert_int_eq(config_load_string(&cfg, "[service:agent]\nmasters = 192.0.2.1\nbackend_driver = fake\n"
	    "allow_notify = 10.0.0.0/8\n[tsigkey:catkey.]\nsecret = " CAT_SECRET "\n[catalog:cat.example.]\n"
	    "masters = 192.0.2.10\ntsig_key = catkey\n", "t.conf", stderr), 0);
	ck_assert_int_eq(tsig_key_init(&k, "catkey.", "hmac-sha256", CAT_SECRET, err, sizeof err), 0);
	netaddr_parse_ip("192.0.2.99", &out);
	for (i = 0; i < 3; i++) {
		struct tsig_ctx *c = tsig_ctx_new(&k);

		ql = replay_build(i == 2 ? REPLAY_CREATE : REPLAY_NOTIFY, i == 1 ? "member.example.com" : "cat.example",
		    0x1234, 0, 0, q, sizeof q, NULL);
		ck_assert_uint_gt(ql = tsig_sign_request(c, q, ql, sizeof q, (uint64_t)time(NULL)), 0);
		tsig_ctx_free(c);
		f = tmpfile();
		rc = replay_explain(f, &cfg, q, ql, &out);
		rewind(f);
		n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
		ck_assert_ptr_nonnull(strstr(text, "TSIG: signed with key catkey., verified now"));
		if (i == 0) {
			ck_assert_int_eq(rc, REPLAY_OK);
			ck_assert_ptr_nonnull(strstr(text, "NOTIFY for consumed catalog cat.example: NOTIFY for a catalog, "
			    "signed with the catalog's tsig_key"));
		} else {
			ck_assert_int_eq(rc, REPLAY_BAD_REPLY);
			ck_assert_ptr_nonnull(strstr(text, "NOTAUTH with TSIG error BADKEY"));
		}
	}
}
END_TEST

/* Usage errors of the catalog command's new options (exit 64, nothing sent). */
START_TEST(program_catalog_usage)
{
	char *out, *cpath;
	const char *both[] = { "catalog", "cat.example", "--tsig", "k:" CAT_SECRET, "--tsig-file", "x", NULL };
	const char *bad[] = { "catalog", "cat.example", "--tsig", "k:c2hvcnQ=", NULL };
	const char *nofile[] = { "catalog", "cat.example", "--tsig-file", "/nonexistent/key", NULL };
	const char *nosec[] = { "catalog", "other.example", "--config-file", NULL, NULL };

	dir = tu_tmpdir("msdns-replay");
	ck_assert_int_eq(replay(both, &out), 64);
	ck_assert_ptr_nonnull(strstr(out, "give one of --tsig and --tsig-file"));
	free(out);
	ck_assert_int_eq(replay(bad, &out), 64);
	ck_assert_ptr_nonnull(strstr(out, "--tsig: "));
	ck_assert_ptr_null(strstr(out, "c2hvcnQ="));   /* never the secret */
	free(out);
	ck_assert_int_eq(replay(nofile, &out), 64);
	ck_assert_ptr_nonnull(strstr(out, "--tsig-file /nonexistent/key"));
	free(out);
	cpath = tu_write_file(dir, "agent.conf", "[service:agent]\nmasters = 192.0.2.1\n[catalog:cat.example.]\n"
	    "masters = 127.0.0.1\n");
	nosec[3] = cpath;
	ck_assert_int_eq(replay(nosec, &out), 64);
	ck_assert_ptr_nonnull(strstr(out, "no [catalog:other.example] section"));
	free(out);
	free(cpath);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("replay");

	tu_init();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, build_like_the_controller);
	tcase_add_loop_test(tc, decode_golden, 0, TU_GOLDEN_N);
	tcase_add_loop_test(tc, verdict_golden, 0, TU_GOLDEN_N);
	tcase_add_test(tc, verdict_mismatches);
	tcase_add_test(tc, read_inputs);
	tcase_add_test(tc, print_other_sections_and_garbage);
	tcase_add_test(tc, explain_hostile_and_command_line);
	tcase_add_test(tc, explain_worker_mode);
	tcase_add_test(tc, program_exit_statuses);
	tcase_add_test(tc, program_mismatched_reply);
	tcase_add_test(tc, program_explain_with_config);
	tcase_add_test(tc, program_against_msdns_backend);
	tcase_add_loop_test(tc, program_catalog_tsig, 0, 7);
	tcase_add_test(tc, program_catalog_usage);
	tcase_add_test(tc, explain_catalog_key);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
