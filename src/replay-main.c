/* msdns-agent-replay: send one agent message (built or captured), print the reply dig-style, judge it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/util.h>

#include "catalog-replay.h"
#include "replay-status.h"
#include "compat.h"
#include "config.h"
#include "netaddr.h"
#include "replay.h"
#include "tsig.h"
#include "version.h"
#include "wire.h"

#define REPEAT_MAX 10000

struct opts {
	const char *server;
	long port;
	int tcp;
	double timeout;
	long id;               /* -1: random */
	int edns, rd, explain;
	long repeat;
	const char *hex, *file, *config, *source;
	int kind;              /* -1: message read, not built */
	const char *zone;
	const char *tsig, *tsig_file;   /* --tsig [ALG:]NAME:SECRET, --tsig-file FILE */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: msdns-agent-replay [options] create|delete|notify ZONE\n"
	    "       msdns-agent-replay [options] --hex HEX | --file FILE | -\n"
	    "       msdns-agent-replay catalog NAME --server IP [--port N] [--tsig ...] [--config-file F]\n"
	    "                                  (see catalog --help)\n"
	    "       msdns-agent-replay status [--server IP] [--port N] (see status --help)\n"
	    "\n"
	    "Sends one Designate agent message to msdns-agent and prints the reply dig-style.\n"
	    "Exit status: 0 valid reply with AA and NOERROR (Designate's success), 1 any other reply,\n"
	    "2 no reply in time, 64 usage error.\n"
	    "\n"
	    "  --server IP        agent address (default 127.0.0.1)\n"
	    "  --port N           agent port (default 5358)\n"
	    "  --tcp              use TCP (as Designate's all_tcp) instead of UDP\n"
	    "  --timeout S        seconds to wait for the reply (default 5)\n"
	    "  --id N             message id (default random; 0x1234 works)\n"
	    "  --edns             add an EDNS OPT record\n"
	    "  --rd               set RD\n"
	    "  --hex HEX          send this captured message (hex, spaces allowed)\n"
	    "  --file FILE        send the message in FILE (raw wire or hex text); - reads stdin\n"
	    "  --repeat N         send it N times (1-%d) and summarise answers and times\n"
	    "  --explain          send nothing: decode it and say what the agent would do\n"
	    "  --config-file F    with --explain: the agent's configuration (allow_notify, the PowerShell\n"
	    "                     command line it would start)\n"
	    "  --source IP        with --explain: the sender's address for allow_notify (default 127.0.0.1)\n"
	    "  --tsig [ALG:]NAME:SECRET  sign the request with this TSIG key (ALG default hmac-sha256, SECRET\n"
	    "                     base64) and verify the reply; a reply that does not verify is a failure\n"
	    "  --tsig-file FILE   the same with the key from FILE: a [tsigkey:NAME] section (algorithm,\n"
	    "                     secret) or BIND's key \"NAME\" { algorithm ...; secret \"...\"; };\n"
	    "  --version, --help\n"
	    "\n"
	    "examples:\n"
	    "  msdns-agent-replay create example.com\n"
	    "  msdns-agent-replay --tcp --server 192.0.2.10 notify example.com\n"
	    "  msdns-agent-replay --id 0x1234 --explain --config-file msdns-agent.conf delete example.com\n"
	    "  msdns-agent-replay --hex 735d70000001000000000000076578616d706c6503636f6d00ff02ff00\n"
	    "  msdns-agent-replay --repeat 20 notify example.com\n"
	    "  msdns-agent-replay --tsig hmac-sha256:catkey.:c2VjcmV0...= notify example.com\n",
	    REPEAT_MAX);
}

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "msdns-agent-replay: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return REPLAY_USAGE;
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static size_t
read_input(const struct opts *o, uint8_t *msg, const char **err)
{
	static uint8_t raw[REPLAY_MSG_MAX * 3 + 2];
	size_t n;
	FILE *f;

	if (o->hex)
		return replay_read((const uint8_t *)o->hex, strlen(o->hex), msg, REPLAY_MSG_MAX, err);
	if (strcmp(o->file, "-") == 0) {
		f = stdin;
	} else if ((f = fopen(o->file, "rb")) == NULL) {
		*err = strerror(errno);
		return 0;
	}
	n = fread(raw, 1, sizeof raw, f);
	if (f != stdin)
		fclose(f);
	if (n == sizeof raw) {
		*err = "file too large for one message";
		return 0;
	}
	return replay_read(raw, n, msg, REPLAY_MSG_MAX, err);
}

static int
wait_readable(evutil_socket_t fd, uint64_t deadline)
{
	uint64_t now = compat_monotonic_ms();
	fd_set rs;
	struct timeval tv;

	if (now >= deadline)
		return 0;
	tv.tv_sec = (long)((deadline - now) / 1000);
	tv.tv_usec = (long)((deadline - now) % 1000) * 1000;
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	return select((int)fd + 1, &rs, NULL, NULL, &tv) > 0;
}

/* Send msg and wait for one reply. Returns the reply length, 0 on timeout, -1 on error (*err set). */
static long
exchange(const struct opts *o, const struct sockaddr_storage *ss, int sl, const uint8_t *msg, size_t len,
    uint8_t *reply, const char **err)
{
	uint64_t deadline = compat_monotonic_ms() + (uint64_t)(o->timeout * 1000);
	evutil_socket_t s = socket(ss->ss_family, o->tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	long n = -1;

	if (s == COMPAT_INVALID_SOCKET || connect(s, (const struct sockaddr *)ss, sl) != 0) {
		*err = compat_sock_strerror();
		if (s != COMPAT_INVALID_SOCKET)
			evutil_closesocket(s);
		return -1;
	}
	if (!o->tcp) {
		compat_udp_socket((intptr_t)s);
		if (send(s, (const char *)msg, (int)len, 0) < 0) {
			*err = compat_sock_strerror();
		} else if (!wait_readable(s, deadline)) {
			n = 0;
		} else if ((n = (long)recv(s, (char *)reply, REPLAY_MSG_MAX, 0)) < 0) {
			*err = compat_sock_strerror();   /* e.g. port unreachable: nothing listens */
			n = -1;
		}
	} else {
		uint8_t pfx[2] = { (uint8_t)(len >> 8), (uint8_t)len }, hdr[2];
		size_t want = 2, got = 0;
		int body = 0;   /* reading the length prefix, then the message */

		if (send(s, (const char *)pfx, 2, 0) != 2 || send(s, (const char *)msg, (int)len, 0) != (long)len) {
			*err = compat_sock_strerror();
			evutil_closesocket(s);
			return -1;
		}
		n = 0;
		while (got < want) {
			long k;

			if (!wait_readable(s, deadline))
				break;
			k = (long)recv(s, body ? (char *)reply + got : (char *)hdr + got, (int)(want - got), 0);
			if (k <= 0) {
				*err = k == 0 ? "the agent closed the connection without a reply" : compat_sock_strerror();
				n = -1;
				break;
			}
			got += (size_t)k;
			if (!body && got == 2) {
				body = 1;
				want = (size_t)hdr[0] << 8 | hdr[1];
				got = 0;
			}
			if (body && got == want) {
				n = (long)want;
				break;
			}
		}
		if (body && want == 0) {
			*err = "the agent sent an empty message";
			n = -1;
		}
	}
	evutil_closesocket(s);
	return n;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	int i, positional = 0;

	memset(o, 0, sizeof *o);
	o->server = "127.0.0.1";
	o->port = 5358;
	o->timeout = 5;
	o->id = -1;
	o->repeat = 1;
	o->kind = -1;
	o->source = "127.0.0.1";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has_val = i + 1 < argc;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--version") == 0) {
			printf("msdns-agent-replay %s\n", MSDNS_VERSION);
			exit(0);
		} else if (strcmp(a, "--tcp") == 0) {
			o->tcp = 1;
		} else if (strcmp(a, "--edns") == 0) {
			o->edns = 1;
		} else if (strcmp(a, "--rd") == 0) {
			o->rd = 1;
		} else if (strcmp(a, "--explain") == 0) {
			o->explain = 1;
		} else if (strcmp(a, "--server") == 0 && has_val) {
			o->server = argv[++i];
		} else if (strcmp(a, "--port") == 0 && has_val) {
			if (parse_long(argv[++i], 1, 65535, &o->port) != 0)
				return usage_error("--port '%s' is out of range (1-65535)", argv[i]);
		} else if (strcmp(a, "--timeout") == 0 && has_val) {
			char *end;

			o->timeout = strtod(argv[++i], &end);
			if (*argv[i] == '\0' || *end != '\0' || !(o->timeout > 0 && o->timeout <= 3600))
				return usage_error("--timeout '%s' is not a number of seconds (0-3600)", argv[i]);
		} else if (strcmp(a, "--id") == 0 && has_val) {
			if (parse_long(argv[++i], 0, 65535, &o->id) != 0)
				return usage_error("--id '%s' is not a message id (0-65535)", argv[i]);
		} else if (strcmp(a, "--repeat") == 0 && has_val) {
			if (parse_long(argv[++i], 1, REPEAT_MAX, &o->repeat) != 0)
				return usage_error("--repeat '%s' is out of range (1-10000)", argv[i]);
		} else if (strcmp(a, "--hex") == 0 && has_val) {
			o->hex = argv[++i];
		} else if (strcmp(a, "--file") == 0 && has_val) {
			o->file = argv[++i];
		} else if (strcmp(a, "--config-file") == 0 && has_val) {
			o->config = argv[++i];
		} else if (strcmp(a, "--source") == 0 && has_val) {
			o->source = argv[++i];
		} else if (strcmp(a, "--tsig") == 0 && has_val) {
			o->tsig = argv[++i];
		} else if (strcmp(a, "--tsig-file") == 0 && has_val) {
			o->tsig_file = argv[++i];
		} else if (strcmp(a, "-") == 0) {
			o->file = "-";
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("unknown option or missing value: '%s'", a);
		} else if (positional == 0) {
			if (strcmp(a, "create") == 0)
				o->kind = REPLAY_CREATE;
			else if (strcmp(a, "delete") == 0)
				o->kind = REPLAY_DELETE;
			else if (strcmp(a, "notify") == 0)
				o->kind = REPLAY_NOTIFY;
			else
				return usage_error("unknown command '%s' (create, delete or notify)", a);
			positional++;
		} else if (positional == 1) {
			o->zone = a;
			positional++;
		} else {
			return usage_error("unexpected argument '%s'", a);
		}
	}
	if ((o->hex != NULL) + (o->file != NULL) + (o->kind >= 0) != 1)
		return usage_error("%s", "give exactly one of: create|delete|notify ZONE, --hex, --file, -");
	if (o->kind >= 0 && o->zone == NULL)
		return usage_error("%s", "missing ZONE");
	if (o->tsig && o->tsig_file)
		return usage_error("%s", "give one of --tsig and --tsig-file");
	return 0;
}

/* The key of --tsig or --tsig-file into k. Returns 0, or REPLAY_USAGE after saying why (never the secret). */
static int
load_key(const struct opts *o, struct tsig_key *k)
{
	char err[512];

	if (replay_tsig_key(o->tsig, o->tsig ? NULL : o->tsig_file, k, err, sizeof err) != 0) {
		fprintf(stderr, "msdns-agent-replay: %s\n", err);
		return REPLAY_USAGE;
	}
	return 0;
}

/* Say whether the reply to a signed request verifies; returns its status. */
static enum tsig_status
check_reply_tsig(struct tsig_ctx *t, const uint8_t *reply, size_t len, int print)
{
	enum tsig_status s = tsig_verify_next(t, reply, len, (uint64_t)time(NULL));
	char eb[24];

	if (s == TSIG_OK)
		s = tsig_verify_end(t);
	if (print) {
		if (s == TSIG_PEER_ERROR)
			printf(";; TSIG: the server answered %s\n",
			    tsig_error_name(tsig_ctx_peer_error(t), eb, sizeof eb));
		else if (s == TSIG_UNSIGNED)
			printf(";; TSIG: unsigned reply\n");
		else
			printf(";; TSIG: %s\n", tsig_status_name(s));
	}
	return s;
}

static void
summarise(long sent, long ok, long bad, long none, uint64_t tmin, uint64_t tmax, uint64_t tsum)
{
	printf("\n;; %ld sent: %ld valid (AA, NOERROR), %ld other replies, %ld without reply\n", sent, ok, bad, none);
	if (ok + bad > 0)
		printf(";; round trip min/avg/max: %llu/%llu/%llu ms\n", (unsigned long long)tmin,
		    (unsigned long long)(tsum / (uint64_t)(ok + bad)), (unsigned long long)tmax);
}

int
main(int argc, char **argv)
{
	static uint8_t msg[REPLAY_MSG_MAX], reply[REPLAY_MSG_MAX], sent[REPLAY_MSG_MAX];
	static struct config cfg;
	static struct tsig_key key;
	int signing = 0;
	struct opts o;
	struct netaddr server, src;
	struct sockaddr_storage ss;
	const char *err = NULL;
	size_t len;
	int sl, rc, worst = REPLAY_OK, id_fixed;
	long i, ok = 0, bad = 0, none = 0;
	uint64_t tmin = (uint64_t)-1, tmax = 0, tsum = 0;

	if (argc > 1 && strcmp(argv[1], "catalog") == 0)
		return catalog_replay_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "status") == 0)
		return replay_status_main(argc - 1, argv + 1);
	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc;
	if (o.tsig || o.tsig_file) {
		if ((rc = load_key(&o, &key)) != 0)
			return rc;
		signing = 1;
	}
	compat_init();
	evutil_secure_rng_init();
	id_fixed = o.id >= 0;
	if (!id_fixed) {
		uint16_t r;

		evutil_secure_rng_get_bytes(&r, sizeof r);
		o.id = r;
	}
	if (o.kind >= 0) {
		len = replay_build((enum replay_kind)o.kind, o.zone, (uint16_t)o.id, o.edns, o.rd, msg, sizeof msg, &err);
		if (len == 0)
			return usage_error("zone '%s' is not a valid DNS name", o.zone);
	} else if ((len = read_input(&o, msg, &err)) == 0) {
		fprintf(stderr, "msdns-agent-replay: %s: %s\n", o.hex ? "--hex" : o.file, err);
		return REPLAY_USAGE;
	}
	if (o.explain) {
		if (netaddr_parse_ip(o.source, &src) != 0)
			return usage_error("--source '%s' is not an IP address", o.source);
		if (o.config && config_load(&cfg, o.config, stderr) + config_validate(&cfg, o.config, stderr) > 0)
			return REPLAY_USAGE;
		if (signing) {   /* explain the message as it would be sent: signed now */
			struct tsig_ctx *t = tsig_ctx_new(&key);
			size_t sl2 = t ? tsig_sign_request(t, msg, len, sizeof msg, (uint64_t)time(NULL)) : 0;

			tsig_ctx_free(t);
			if (sl2 == 0) {
				fprintf(stderr, "msdns-agent-replay: cannot sign the message\n");
				return REPLAY_USAGE;
			}
			len = sl2;
		}
		return replay_explain(stdout, o.config ? &cfg : NULL, msg, len, &src);
	}
	if (netaddr_parse_ip(o.server, &server) != 0)
		return usage_error("--server '%s' is not an IP address", o.server);
	server.port = (uint16_t)o.port;
	sl = netaddr_to_sockaddr(&server, &ss);
	for (i = 0; i < o.repeat; i++) {
		uint64_t t0 = compat_monotonic_ms(), dt;
		long n;
		const char *why;
		char at[NETADDR_TEXT_MAX];
		struct tsig_ctx *tctx = NULL;
		size_t slen = len;

		if (i > 0 && !id_fixed && o.kind >= 0) {   /* a fresh id per message, as Designate does */
			uint16_t r;

			evutil_secure_rng_get_bytes(&r, sizeof r);
			len = replay_build((enum replay_kind)o.kind, o.zone, r, o.edns, o.rd, msg, sizeof msg, &err);
		}
		memcpy(sent, msg, len);
		if (signing) {   /* signed at send time, so that --repeat stays within the fudge */
			tctx = tsig_ctx_new(&key);
			if (tctx == NULL || (slen = tsig_sign_request(tctx, sent, len, sizeof sent,
			    (uint64_t)time(NULL))) == 0) {
				fprintf(stderr, "msdns-agent-replay: cannot sign the message (%s)\n",
				    tctx ? "too long" : "algorithm unavailable");
				tsig_ctx_free(tctx);
				return REPLAY_USAGE;
			}
		}
		n = exchange(&o, &ss, sl, sent, slen, reply, &err);
		dt = compat_monotonic_ms() - t0;
		if (n <= 0)
			tsig_ctx_free(tctx);
		if (n < 0) {
			fprintf(stderr, "msdns-agent-replay: %s (%s): %s\n", netaddr_text(&server, at, sizeof at),
			    o.tcp ? "tcp" : "udp", err);
			none++;
			worst = worst == REPLAY_BAD_REPLY ? worst : REPLAY_NO_REPLY;
			continue;
		}
		if (n == 0) {
			if (o.repeat == 1)
				printf(";; no reply from %s (%s) within %.1f s\n", netaddr_text(&server, at, sizeof at),
				    o.tcp ? "TCP" : "UDP", o.timeout);
			none++;
			worst = worst == REPLAY_BAD_REPLY ? worst : REPLAY_NO_REPLY;
			continue;
		}
		rc = replay_verdict(sent, slen, reply, (size_t)n, &why);
		if (o.repeat == 1)
			replay_print(stdout, reply, (size_t)n);
		if (tctx != NULL) {
			enum tsig_status ts = check_reply_tsig(tctx, reply, (size_t)n, o.repeat == 1);

			tsig_ctx_free(tctx);
			if (ts != TSIG_OK && rc == REPLAY_OK) {
				rc = REPLAY_BAD_REPLY;
				why = ts == TSIG_UNSIGNED ? "the request was signed but the reply is not" :
				    "the reply's TSIG does not verify";
			}
		}
		if (o.repeat == 1) {
			printf(";; Query time: %llu msec\n;; SERVER: %s (%s)\n", (unsigned long long)dt,
			    netaddr_text(&server, at, sizeof at), o.tcp ? "TCP" : "UDP");
			printf(";; VERDICT: %s%s%s\n", rc == REPLAY_OK ? "success (AA, NOERROR)" : "failure",
			    why ? ": " : "", why ? why : "");
		}
		if (rc == REPLAY_OK)
			ok++;
		else
			bad++;
		if (rc != REPLAY_OK)
			worst = REPLAY_BAD_REPLY;
		tsum += dt;
		tmin = dt < tmin ? dt : tmin;
		tmax = dt > tmax ? dt : tmax;
	}
	if (o.repeat > 1)
		summarise(o.repeat, ok, bad, none, tmin, tmax, tsum);
	return worst;
}
