/* msdns-agent-replay status: fetch the agent's /status over HTTP and print it as a short table. */
#include "replay-status.h"

#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "compat.h"
#include "jsonr.h"
#include "netaddr.h"

#define DOC_MAX (1024 * 1024)
#define CATALOGS_MAX 64

/* The fields of /status the table shows (as flattened paths). */
struct status {
	char version[64], uptime[32], health_ok[8], reason[256], driver[32], timeout[32];
	char max_concurrent[16], max_queued[16], workers[16];
	char waiting[16], in_flight[16], started[24], fails[16];
	char listen[512];
	struct {
		char name[256], serial[16], members[16], broken[8], expired[8], since[32], pending[16], clashes[16],
		    error[256];
	} cat[CATALOGS_MAX];
	size_t ncat;
	int seen;
};

static void
put(char *dst, size_t len, const char *v)
{
	snprintf(dst, len, "%s", v);
}

#define PUT(field, v) put(field, sizeof field, v)

static void
take(void *arg, const char *path, const char *v, int is_string)
{
	struct status *s = arg;
	char *end;
	unsigned long i;

	(void)is_string;
	s->seen = 1;
	if (strcmp(path, "version") == 0) PUT(s->version, v);
	else if (strcmp(path, "uptime_seconds") == 0) PUT(s->uptime, v);
	else if (strcmp(path, "health.ok") == 0) PUT(s->health_ok, v);
	else if (strcmp(path, "health.reason") == 0) PUT(s->reason, v);
	else if (strcmp(path, "backend.driver") == 0) PUT(s->driver, v);
	else if (strcmp(path, "backend.operation_timeout") == 0) PUT(s->timeout, v);
	else if (strcmp(path, "backend.max_concurrent") == 0) PUT(s->max_concurrent, v);
	else if (strcmp(path, "backend.max_queued") == 0) PUT(s->max_queued, v);
	else if (strcmp(path, "backend.workers_alive") == 0) PUT(s->workers, v);
	else if (strcmp(path, "queue.requests_waiting") == 0) PUT(s->waiting, v);
	else if (strcmp(path, "queue.operations_in_flight") == 0) PUT(s->in_flight, v);
	else if (strcmp(path, "queue.operations_started") == 0) PUT(s->started, v);
	else if (strcmp(path, "queue.failures_in_a_row") == 0) PUT(s->fails, v);
	else if (strncmp(path, "listen.", 7) == 0) {
		size_t n = strlen(s->listen);
		snprintf(s->listen + n, sizeof s->listen - n, "%s%s", n ? ", " : "", v);
	} else if (strncmp(path, "catalogs.", 9) == 0) {
		i = strtoul(path + 9, &end, 10);
		if (i >= CATALOGS_MAX || *end != '.')
			return;
		if (i + 1 > s->ncat)
			s->ncat = i + 1;
		end++;
		if (strcmp(end, "name") == 0) PUT(s->cat[i].name, v);
		else if (strcmp(end, "serial") == 0) PUT(s->cat[i].serial, v);
		else if (strcmp(end, "members") == 0) PUT(s->cat[i].members, v);
		else if (strcmp(end, "broken") == 0) PUT(s->cat[i].broken, v);
		else if (strcmp(end, "expired") == 0) PUT(s->cat[i].expired, v);
		else if (strcmp(end, "seconds_since_success") == 0) PUT(s->cat[i].since, v);
		else if (strcmp(end, "pending") == 0) PUT(s->cat[i].pending, v);
		else if (strcmp(end, "clashes") == 0) PUT(s->cat[i].clashes, v);
		else if (strcmp(end, "last_error") == 0) PUT(s->cat[i].error, v);
	}
}

/* "3h 02m 05s" from seconds as text. */
static const char *
duration(const char *secs, char *out, size_t len)
{
	double d = strtod(secs, NULL);
	long s = (long)d;

	if (*secs == '\0' || strcmp(secs, "null") == 0)
		return "-";
	if (s >= 3600)
		snprintf(out, len, "%ldh %02ldm %02lds", s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(out, len, "%ldm %02lds", s / 60, s % 60);
	else
		snprintf(out, len, "%.1fs", d);
	return out;
}

static const char *
yesno(const char *v)
{
	return strcmp(v, "true") == 0 ? "yes" : "no";
}

int
replay_status_print(FILE *out, const char *doc, size_t len)
{
	struct status *s = calloc(1, sizeof *s);
	char d[32];
	size_t i;
	int healthy;

	if (s == NULL)
		return STATUS_NO_ANSWER;
	if (jsonr_flatten(doc, len, take, s) != 0 || !s->seen || s->version[0] == '\0') {
		fprintf(out, "not a status document\n");
		free(s);
		return STATUS_NO_ANSWER;
	}
	healthy = strcmp(s->health_ok, "true") == 0;
	fprintf(out, "msdns-agent %s, up %s, health: %s%s%s\n", s->version, duration(s->uptime, d, sizeof d),
	    healthy ? "ok" : "FAILING", healthy ? "" : ": ", healthy ? "" : s->reason);
	fprintf(out, "  listen   %s\n", s->listen[0] ? s->listen : "-");
	fprintf(out, "  backend  %s: max_concurrent %s, max_queued %s, operation_timeout %ss%s%s\n", s->driver,
	    s->max_concurrent, s->max_queued, s->timeout, s->workers[0] ? ", workers alive " : "", s->workers);
	fprintf(out, "  queue    %s requests waiting, %s operations in flight, %s started, %s failed in a row\n",
	    s->waiting, s->in_flight, s->started, s->fails);
	if (s->ncat > 0) {
		fprintf(out, "\n  %-28s %10s %8s %6s %7s %10s %7s %7s  %s\n", "catalog", "serial", "members", "broken",
		    "expired", "last ok", "pending", "clashes", "last error");
		for (i = 0; i < s->ncat; i++)
			fprintf(out, "  %-28s %10s %8s %6s %7s %10s %7s %7s  %s\n", s->cat[i].name,
			    strcmp(s->cat[i].serial, "null") == 0 ? "-" : s->cat[i].serial, s->cat[i].members,
			    yesno(s->cat[i].broken), yesno(s->cat[i].expired), duration(s->cat[i].since, d, sizeof d),
			    s->cat[i].pending, s->cat[i].clashes,
			    s->cat[i].error[0] && strcmp(s->cat[i].error, "null") != 0 ? s->cat[i].error : "-");
	}
	free(s);
	return healthy ? STATUS_OK : STATUS_UNHEALTHY;
}

/* Wait until fd is readable or writable (write set) within ms. */
static int
wait_fd(evutil_socket_t fd, int write, long ms)
{
	fd_set set;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	FD_ZERO(&set);
	FD_SET(fd, &set);
	return select((int)fd + 1, write ? NULL : &set, write ? &set : NULL, NULL, &tv) > 0;
}

/* GET /status from addr; the body (caller frees) or NULL with *why set. */
static char *
fetch(const struct netaddr *addr, long timeout_ms, size_t *len, const char **why)
{
	struct sockaddr_storage ss;
	int sl = netaddr_to_sockaddr(addr, &ss);
	evutil_socket_t fd = socket(addr->family, SOCK_STREAM, 0);
	char req[128], *buf = NULL, *body;
	size_t n = 0;
	uint64_t end = compat_monotonic_ms() + (uint64_t)timeout_ms;

	*why = "cannot connect";
	if (fd == COMPAT_INVALID_SOCKET)
		return NULL;
	evutil_make_socket_nonblocking(fd);
	/* non-blocking: the connect's own error shows in SO_ERROR once the socket is writable */
	(void)connect(fd, (struct sockaddr *)&ss, sl);
	if (!wait_fd(fd, 1, timeout_ms))
		goto fail;
	{
		int err = 0;
		ev_socklen_t el = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, (void *)&err, &el) != 0 || err != 0)
			goto fail;
	}
	snprintf(req, sizeof req, "GET /status HTTP/1.0\r\nHost: agent\r\nAccept: application/json\r\n\r\n");
	if (send(fd, req, (int)strlen(req), 0) != (long)strlen(req))
		goto fail;
	*why = "no answer in time";
	if ((buf = malloc(DOC_MAX + 1)) == NULL)
		goto fail;
	for (;;) {
		uint64_t now = compat_monotonic_ms();
		long r;
		if (now >= end || !wait_fd(fd, 0, (long)(end - now)))
			goto fail;
		r = (long)recv(fd, buf + n, (int)(DOC_MAX - n), 0);
		if (r == 0)
			break;
		if (r < 0) {
			if (compat_sock_wouldblock())
				continue;
			*why = "connection broken";
			goto fail;
		}
		n += (size_t)r;
		if (n == DOC_MAX) {
			*why = "answer too large";
			goto fail;
		}
	}
	evutil_closesocket(fd);
	buf[n] = '\0';
	*why = "not an HTTP 200 answer";
	if (strncmp(buf, "HTTP/1.", 7) != 0 || strncmp(buf + 8, " 200 ", 5) != 0 ||
	    (body = strstr(buf, "\r\n\r\n")) == NULL) {
		free(buf);
		return NULL;
	}
	body += 4;
	*len = n - (size_t)(body - buf);
	memmove(buf, body, *len + 1);
	return buf;
fail:
	evutil_closesocket(fd);
	free(buf);
	return NULL;
}

static int
status_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "msdns-agent-replay status: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see msdns-agent-replay status --help)\n");
	return STATUS_USAGE;
}

int
replay_status_main(int argc, char **argv)
{
	const char *server = "127.0.0.1", *why;
	long port = 9358;
	double timeout = 5;
	int json = 0, i, rc;
	struct netaddr addr;
	char *doc, at[NETADDR_TEXT_MAX];
	size_t len;

	compat_init();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		int has_val = i + 1 < argc;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("usage: msdns-agent-replay status [--server IP] [--port N] [--timeout S] [--json]\n\n"
			    "Fetches the agent's /status (metrics_listen) and prints it as a short table: version, uptime,\n"
			    "health, listen addresses, backend and its limits, the queue, and each catalog's serial, members,\n"
			    "broken/expired, last successful check, pending operations, clashes and last error.\n"
			    "--json prints the document itself. Exit status: 0 healthy, 1 unhealthy, 2 no answer, 64 usage.\n"
			    "  --server IP   the agent's metrics_listen address (default 127.0.0.1)\n"
			    "  --port N      its port (default 9358)\n"
			    "  --timeout S   seconds to wait (default 5)\n");
			return STATUS_OK;
		} else if (strcmp(a, "--server") == 0 && has_val) {
			server = argv[++i];
		} else if (strcmp(a, "--port") == 0 && has_val) {
			port = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || port < 1 || port > 65535)
				return status_usage("--port '%s' is out of range (1-65535)", argv[i]);
		} else if (strcmp(a, "--timeout") == 0 && has_val) {
			timeout = strtod(argv[++i], &end);
			if (*argv[i] == '\0' || *end != '\0' || !(timeout > 0 && timeout <= 3600))
				return status_usage("--timeout '%s' is not a number of seconds (0-3600)", argv[i]);
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
		} else {
			return status_usage("unknown option or missing value: '%s'", a);
		}
	}
	if (netaddr_parse_ip(server, &addr) != 0)
		return status_usage("--server '%s' is not an IP address", server);
	addr.port = (uint16_t)port;
	doc = fetch(&addr, (long)(timeout * 1000), &len, &why);
	if (doc == NULL) {
		fprintf(stderr, "msdns-agent-replay status: %s: %s\n", netaddr_text(&addr, at, sizeof at), why);
		return STATUS_NO_ANSWER;
	}
	if (json) {
		fwrite(doc, 1, len, stdout);
		putchar('\n');
		rc = STATUS_OK;
	} else {
		rc = replay_status_print(stdout, doc, len);
	}
	free(doc);
	return rc;
}
