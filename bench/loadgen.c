/* loadgen: a bounded loopback load of agent messages (CREATE/DELETE/NOTIFY) with C in flight. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netaddr.h"
#include "replay.h"
#include "tsig.h"
#include "wire.h"

#define MAX_INFLIGHT 1024

struct slot {
	int busy;
	int fd;                 /* TCP: its own connection, as Designate's all_tcp */
	uint16_t id;
	size_t len, got;        /* TCP: octets of the reply read so far */
	uint8_t req[1024];
	uint8_t buf[2 + 4096];
	double t0;
	struct tsig_ctx *tsig;  /* --tsig: signs the request, verifies its reply */
};

static struct {
	const char *server;
	int port, tcp, inflight, zones;
	long n;
	double seconds, timeout;
	const char *mix;
	int spin;
	const char *tsig;
} o = { "127.0.0.1", 5358, 0, 64, 1, 10000, 10, 30, "create,delete", 0, NULL };

static struct tsig_key key;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct sockaddr_storage target;
static socklen_t target_len;
static enum replay_kind kinds[3];
static int nkinds;
static long sent, done, failed, timeouts;
static double *lat;

/* Build the next request into s. */
static void
next_request(struct slot *s)
{
	char zone[64];
	const char *err;

	snprintf(zone, sizeof zone, "z%ld.bench.example", sent % o.zones);
	s->id = (uint16_t)(sent * 7919 + 1);
	s->len = replay_build(kinds[sent % nkinds], zone, s->id, 0, 0, s->req, sizeof s->req, &err);
	if (o.tsig) {
		if (s->tsig == NULL)
			s->tsig = tsig_ctx_new(&key);
		s->len = tsig_sign_request(s->tsig, s->req, s->len, sizeof s->req, (uint64_t)time(NULL));
	}
	sent++;
}

static void
finish(struct slot *s, const uint8_t *reply, size_t len, int timed_out)
{
	const char *why;

	if (timed_out) {
		timeouts++;
		failed++;
	} else if (replay_verdict(s->req, s->len, reply, len, &why) != REPLAY_OK) {
		failed++;
	} else if (o.tsig && (tsig_verify_next(s->tsig, reply, len, (uint64_t)time(NULL)) != TSIG_OK ||
	    tsig_verify_end(s->tsig) != TSIG_OK)) {
		failed++;   /* a reply that does not verify */
	}
	lat[done++] = now() - s->t0;
	s->busy = 0;
	if (s->fd >= 0 && o.tcp) {
		/* close with RST: at tens of thousands of connections a second, TIME_WAIT would exhaust the
		 * ephemeral ports and measure the kernel, not the agent */
		struct linger lg = { 1, 0 };

		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(s->fd);
		s->fd = -1;
	}
}

static int
start_tcp(struct slot *s)
{
	uint8_t pfx[2];

	s->fd = socket(target.ss_family, SOCK_STREAM, 0);
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&target, target_len) != 0)
		return -1;
	pfx[0] = (uint8_t)(s->len >> 8);
	pfx[1] = (uint8_t)s->len;
	memcpy(s->buf, pfx, 2);
	memcpy(s->buf + 2, s->req, s->len);
	if (send(s->fd, s->buf, s->len + 2, 0) != (ssize_t)(s->len + 2))
		return -1;
	fcntl(s->fd, F_SETFL, O_NONBLOCK);
	s->got = 0;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct slot slots[MAX_INFLIGHT];
	struct pollfd pfd[MAX_INFLIGHT];
	struct netaddr addr;
	int udp = -1, i;
	double t_start, t_end, deadline;
	char *mix, *tok, *save;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--tcp") == 0) { o.tcp = 1; continue; }
		if (strcmp(a, "--spin") == 0) { o.spin = 1; continue; }
		if (v == NULL) { fprintf(stderr, "loadgen: %s needs a value\n", a); return 64; }
		i++;
		if (strcmp(a, "--server") == 0) o.server = v;
		else if (strcmp(a, "--port") == 0) o.port = atoi(v);
		else if (strcmp(a, "-n") == 0) o.n = atol(v);
		else if (strcmp(a, "-c") == 0) o.inflight = atoi(v);
		else if (strcmp(a, "-t") == 0) o.seconds = atof(v);
		else if (strcmp(a, "--timeout") == 0) o.timeout = atof(v);
		else if (strcmp(a, "--zones") == 0) o.zones = atoi(v);
		else if (strcmp(a, "--mix") == 0) o.mix = v;
		else if (strcmp(a, "--tsig") == 0) o.tsig = v;
		else { fprintf(stderr, "loadgen: unknown option %s\n", a); return 64; }
	}
	if (o.inflight < 1 || o.inflight > MAX_INFLIGHT || o.n < 1 || o.zones < 1 ||
	    netaddr_parse_ip(o.server, &addr) != 0) {
		fprintf(stderr, "usage: loadgen [--server IP] [--port P] [--tcp] [--spin] [-n MAX] [-c 1-1024] [-t SECONDS] "
		    "[--timeout S] [--zones Z] [--mix create,delete,notify] [--tsig [ALG:]NAME:SECRET]\n");
		return 64;
	}
	if (o.tsig) {
		char err[256];

		if (tsig_key_from_spec(&key, o.tsig, err, sizeof err) != 0) {
			fprintf(stderr, "loadgen: --tsig: %s\n", err);
			return 64;
		}
	}
	mix = strdup(o.mix);
	for (tok = strtok_r(mix, ",", &save); tok && nkinds < 3; tok = strtok_r(NULL, ",", &save))
		kinds[nkinds++] = strcmp(tok, "create") == 0 ? REPLAY_CREATE : strcmp(tok, "delete") == 0 ?
		    REPLAY_DELETE : REPLAY_NOTIFY;
	addr.port = (uint16_t)o.port;
	target_len = (socklen_t)netaddr_to_sockaddr(&addr, &target);
	lat = calloc((size_t)o.n, sizeof *lat);
	if (!o.tcp) {
		int sz = 4 << 20;

		udp = socket(target.ss_family, SOCK_DGRAM, 0);
		setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		connect(udp, (struct sockaddr *)&target, target_len);
		fcntl(udp, F_SETFL, O_NONBLOCK);
	}
	for (i = 0; i < MAX_INFLIGHT; i++)
		slots[i].fd = -1;
	t_start = now();
	deadline = t_start + o.seconds;
	while (done < o.n) {
		int n = 0, k;
		double t = now();

		/* keep C in flight while the budget lasts */
		for (i = 0; i < o.inflight && sent < o.n && t < deadline; i++) {
			struct slot *s = &slots[i];

			if (s->busy)
				continue;
			next_request(s);
			s->busy = 1;
			s->t0 = now();
			if (o.tcp ? start_tcp(s) != 0 : send(udp, s->req, s->len, 0) != (ssize_t)s->len)
				finish(s, NULL, 0, 1);
		}
		for (i = 0, k = 0; i < o.inflight; i++)
			k += slots[i].busy;
		if (k == 0)
			break;
		if (o.tcp) {
			for (i = 0; i < o.inflight; i++)
				if (slots[i].busy) {
					pfd[n].fd = slots[i].fd;
					pfd[n].events = POLLIN;
					n++;
				}
		} else {
			pfd[0].fd = udp;
			pfd[0].events = POLLIN;
			n = 1;
		}
		/* --spin: busy-poll instead of sleeping, so the client's own wake-up is not in the figure */
		poll(pfd, (nfds_t)n, o.spin ? 0 : 20);
		if (!o.tcp) {
			uint8_t r[4096];
			ssize_t len;

			while ((len = recv(udp, r, sizeof r, 0)) >= 12) {
				uint16_t id = (uint16_t)(r[0] << 8 | r[1]);

				for (i = 0; i < o.inflight; i++)
					if (slots[i].busy && slots[i].id == id) {
						finish(&slots[i], r, (size_t)len, 0);
						break;
					}
			}
		} else {
			for (i = 0; i < o.inflight; i++) {
				struct slot *s = &slots[i];
				ssize_t len;

				if (!s->busy)
					continue;
				len = recv(s->fd, s->buf + s->got, sizeof s->buf - s->got, 0);
				if (len == 0 || (len < 0 && errno != EAGAIN)) {
					finish(s, NULL, 0, 1);
					continue;
				}
				if (len > 0)
					s->got += (size_t)len;
				if (s->got >= 2 && s->got >= 2 + (size_t)(s->buf[0] << 8 | s->buf[1]))
					finish(s, s->buf + 2, s->got - 2, 0);
			}
		}
		t = now();
		for (i = 0; i < o.inflight; i++)
			if (slots[i].busy && t - slots[i].t0 > o.timeout)
				finish(&slots[i], NULL, 0, 1);
	}
	t_end = now();
	qsort(lat, (size_t)done, sizeof *lat, cmp_double);
	printf("transport=%s%s inflight=%d mix=%s sent=%ld done=%ld failed=%ld timeouts=%ld seconds=%.3f "
	    "throughput=%.1f p50_ms=%.3f p99_ms=%.3f",
	    o.tcp ? "tcp" : "udp", o.tsig ? " tsig=yes" : "", o.inflight, o.mix, sent, done, failed, timeouts, t_end - t_start,
	    (double)done / (t_end - t_start), done ? lat[done / 2] * 1e3 : 0,
	    done ? lat[(size_t)((double)done * 0.99)] * 1e3 : 0);
	printf("\n");
	return failed ? 1 : 0;
}
