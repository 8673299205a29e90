/* Configuration: designate.conf's [service:agent] and [backend:agent:msdns] read from an INI file. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "compat.h"
#include "log.h"

#define AGENT_PORT 5358
#define CONFIG_FILE_MAX (1024 * 1024)

struct parse_ctx {
	struct config *cfg;
	FILE *err;
	const char *name;
	const char *text;      /* the reader's position in the file */
	int line;              /* line number of the line inih last read */
	int long_line;         /* that line did not fit inih's buffer */
	int errors;
	int have_host, have_port;
	char host[64];
	uint16_t port;
};

static void ctx_problem(struct parse_ctx *x, int is_error, const char *fmt, ...) LOG_PRINTF(3, 4);

static void
ctx_problem(struct parse_ctx *x, int is_error, const char *fmt, ...)
{
	va_list ap;

	fprintf(x->err, "%s:%d: %s: ", x->name, x->line, is_error ? "error" : "warning");
	va_start(ap, fmt);
	vfprintf(x->err, fmt, ap);
	va_end(ap);
	fputc('\n', x->err);
	if (is_error)
		x->errors++;
}

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	netaddr_parse_hostport("0.0.0.0", AGENT_PORT, &cfg->listen[0]);
	cfg->n_listen = 1;
	cfg->tcp_backlog = 100;
	cfg->tcp_recv_timeout = 0.5;
	cfg->tcp_max_connections = 256;
	cfg->backend_driver = CONFIG_BACKEND_MSDNS;
	snprintf(cfg->powershell, sizeof cfg->powershell,
	    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
	snprintf(cfg->script, sizeof cfg->script, "C:\\Program Files\\msdns-agent\\scripts\\msdns-zone.ps1");
	snprintf(cfg->execution_policy, sizeof cfg->execution_policy, "RemoteSigned");
	cfg->operation_timeout = 60;
	cfg->max_concurrent = 4;
	cfg->max_queued = 1000;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
parse_int(const char *v, long min, long max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

static int
parse_seconds(const char *v, double min, double max, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (*v == '\0' || *end != '\0' || errno || !(d >= min && d <= max))
		return -1;
	*out = d;
	return 0;
}

static int
set_string(struct parse_ctx *x, const char *key, const char *v, char *dst, size_t len)
{
	if (strlen(v) >= len) {
		ctx_problem(x, 1, "%s: value longer than %zu characters", key, len - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Split an oslo.config list ("a, b,c") and call item() on each non-empty element. */
static int
for_each_item(struct parse_ctx *x, const char *key, const char *v,
    int (*item)(struct parse_ctx *, const char *, const char *, size_t), size_t max)
{
	char buf[2048], *save = NULL, *tok;
	size_t n = 0;

	if (strlen(v) >= sizeof buf) {
		ctx_problem(x, 1, "%s: list too long", key);
		return -1;
	}
	memcpy(buf, v, strlen(v) + 1);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *e;

		while (isspace((unsigned char)*tok))
			tok++;
		e = tok + strlen(tok);
		while (e > tok && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*tok == '\0')
			continue;
		if (n == max) {
			ctx_problem(x, 1, "%s: more than %zu entries", key, max);
			return -1;
		}
		if (item(x, key, tok, n++) != 0)
			return -1;
	}
	return (int)n;
}

static int
item_listen(struct parse_ctx *x, const char *key, const char *tok, size_t i)
{
	if (netaddr_parse_hostport(tok, AGENT_PORT, &x->cfg->listen[i]) != 0) {
		ctx_problem(x, 1, "%s: '%s' is not an IPv4/IPv6 address with optional port", key, tok);
		return -1;
	}
	return 0;
}

static int
item_master(struct parse_ctx *x, const char *key, const char *tok, size_t i)
{
	struct netaddr *m = &x->cfg->masters[i];

	if (netaddr_parse_hostport(tok, 53, m) != 0) {
		ctx_problem(x, 1, "%s: '%s' is not an IPv4/IPv6 address with optional port", key, tok);
		return -1;
	}
	if (m->port != 53)
		ctx_problem(x, 0, "%s: '%s': Microsoft DNS transfers zones from port 53 only; "
		    "the port is ignored", key, tok);
	return 0;
}

static int
item_allow(struct parse_ctx *x, const char *key, const char *tok, size_t i)
{
	struct config_prefix *p = &x->cfg->allow_notify[i];

	if (netaddr_parse_prefix(tok, &p->addr, &p->bits) != 0) {
		ctx_problem(x, 1, "%s: '%s' is not an IP address or CIDR prefix", key, tok);
		return -1;
	}
	return 0;
}

static int
handle_default(struct parse_ctx *x, const char *k, const char *v)
{
	if (strcmp(k, "debug") == 0) {
		if (parse_bool(v, &x->cfg->debug) != 0)
			ctx_problem(x, 1, "debug: '%s' is not a boolean (true/false)", v);
	} else if (strcmp(k, "log_file") == 0) {
		set_string(x, k, v, x->cfg->log_file, sizeof x->cfg->log_file);
	}
	/* the rest of [DEFAULT] belongs to the rest of designate.conf */
	return 1;
}

static int
handle_agent(struct parse_ctx *x, const char *k, const char *v)
{
	struct config *c = x->cfg;
	int n;

	if (strcmp(k, "listen") == 0) {
		if ((n = for_each_item(x, k, v, item_listen, CONFIG_MAX_ADDRS)) == 0)
			ctx_problem(x, 1, "listen: empty list");
		if (n > 0)
			c->n_listen = (size_t)n;
	} else if (strcmp(k, "host") == 0) {
		struct netaddr a;

		if (netaddr_parse_ip(v, &a) != 0)
			ctx_problem(x, 1, "host: '%s' is not an IP address", v);
		else {
			x->have_host = 1;
			snprintf(x->host, sizeof x->host, "%s", v);
			ctx_problem(x, 0, "host: deprecated, use listen = %s:PORT", v);
		}
	} else if (strcmp(k, "port") == 0) {
		int p;

		if (parse_int(v, 0, 65535, &p) != 0)
			ctx_problem(x, 1, "port: '%s' is not a port number (0-65535)", v);
		else {
			x->have_port = 1;
			x->port = (uint16_t)p;
			ctx_problem(x, 0, "port: deprecated, use listen = HOST:%d", p);
		}
	} else if (strcmp(k, "masters") == 0) {
		if ((n = for_each_item(x, k, v, item_master, CONFIG_MAX_ADDRS)) >= 0)
			c->n_masters = (size_t)n;
	} else if (strcmp(k, "allow_notify") == 0) {
		if ((n = for_each_item(x, k, v, item_allow, CONFIG_MAX_ADDRS)) >= 0)
			c->n_allow_notify = (size_t)n;
	} else if (strcmp(k, "notify_delay") == 0) {
		if (parse_seconds(v, 0, 86400, &c->notify_delay) != 0)
			ctx_problem(x, 1, "notify_delay: '%s' is not a number of seconds (0-86400)", v);
	} else if (strcmp(k, "tcp_backlog") == 0) {
		if (parse_int(v, 1, 65535, &c->tcp_backlog) != 0)
			ctx_problem(x, 1, "tcp_backlog: '%s' is not a whole number (1-65535)", v);
	} else if (strcmp(k, "tcp_recv_timeout") == 0) {
		if (parse_seconds(v, 0.001, 3600, &c->tcp_recv_timeout) != 0)
			ctx_problem(x, 1, "tcp_recv_timeout: '%s' is not a number of seconds (0.001-3600)", v);
	} else if (strcmp(k, "tcp_max_connections") == 0) {
		if (parse_int(v, 1, 100000, &c->tcp_max_connections) != 0)
			ctx_problem(x, 1, "tcp_max_connections: '%s' is not a whole number (1-100000)", v);
	} else if (strcmp(k, "transfer_source") == 0) {
		struct netaddr a;

		if (*v && netaddr_parse_ip(v, &a) != 0)
			ctx_problem(x, 1, "transfer_source: '%s' is not an IP address", v);
		else
			set_string(x, k, v, c->transfer_source, sizeof c->transfer_source);
	} else if (strcmp(k, "backend_driver") == 0) {
		if (strcmp(v, "msdns") == 0)
			c->backend_driver = CONFIG_BACKEND_MSDNS;
		else if (strcmp(v, "fake") == 0)
			c->backend_driver = CONFIG_BACKEND_FAKE;
		else
			ctx_problem(x, 1, "backend_driver: '%s' is not one of msdns, fake", v);
	} else if (strcmp(k, "workers") == 0 || strcmp(k, "threads") == 0) {
		ctx_problem(x, 0, "%s: has no effect on this agent (one event loop)", k);
	} else {
		ctx_problem(x, 0, "unknown key '%s' in [service:agent], ignored", k);
	}
	return 1;
}

static int
handle_msdns(struct parse_ctx *x, const char *k, const char *v)
{
	static const char *const policies[] = { "AllSigned", "Bypass", "Default", "RemoteSigned",
		"Restricted", "Undefined", "Unrestricted" };
	struct config *c = x->cfg;
	size_t i;

	if (strcmp(k, "powershell") == 0) {
		set_string(x, k, v, c->powershell, sizeof c->powershell);
	} else if (strcmp(k, "script") == 0) {
		set_string(x, k, v, c->script, sizeof c->script);
	} else if (strcmp(k, "execution_policy") == 0) {
		for (i = 0; i < sizeof policies / sizeof policies[0]; i++)
			if (strcasecmp(v, policies[i]) == 0)
				break;
		if (i == sizeof policies / sizeof policies[0])
			ctx_problem(x, 1, "execution_policy: '%s' is not one of AllSigned, Bypass, Default, "
			    "RemoteSigned, Restricted, Undefined, Unrestricted", v);
		else
			snprintf(c->execution_policy, sizeof c->execution_policy, "%s", policies[i]);
	} else if (strcmp(k, "operation_timeout") == 0) {
		if (parse_seconds(v, 0.1, 86400, &c->operation_timeout) != 0)
			ctx_problem(x, 1, "operation_timeout: '%s' is not a number of seconds (0.1-86400)", v);
	} else if (strcmp(k, "max_concurrent") == 0) {
		if (parse_int(v, 1, 64, &c->max_concurrent) != 0)
			ctx_problem(x, 1, "max_concurrent: '%s' is not a whole number (1-64)", v);
	} else if (strcmp(k, "max_queued") == 0) {
		if (parse_int(v, 1, 1000000, &c->max_queued) != 0)
			ctx_problem(x, 1, "max_queued: '%s' is not a whole number (1-1000000)", v);
	} else if (strcmp(k, "delete_unmanaged_zones") == 0) {
		if (parse_bool(v, &c->delete_unmanaged_zones) != 0)
			ctx_problem(x, 1, "delete_unmanaged_zones: '%s' is not a boolean (true/false)", v);
	} else {
		ctx_problem(x, 0, "unknown key '%s' in [backend:agent:msdns], ignored", k);
	}
	return 1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *x = user;

	int ours = strcmp(section, "service:agent") == 0 || strcmp(section, "backend:agent:msdns") == 0;

	if (x->long_line && (ours || strcmp(section, "DEFAULT") == 0)) {
		ctx_problem(x, 1, "%s: line too long", name);
		return 1;
	}
	if (strcmp(section, "DEFAULT") == 0 || strcmp(section, "") == 0)
		return handle_default(x, name, value);
	if (strcmp(section, "service:agent") == 0)
		return handle_agent(x, name, value);
	if (ours)
		return handle_msdns(x, name, value);
	return 1;   /* other designate.conf sections */
}

/* inih's line reader over the file text, counting lines so the handler knows where it is. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse_ctx *x = stream;
	const char *nl;
	size_t n, take;

	if (*x->text == '\0')
		return NULL;
	nl = strchr(x->text, '\n');
	n = nl ? (size_t)(nl - x->text) + 1 : strlen(x->text);
	/* always one whole line ending in a newline: inih r59 discards the rest of a line without one */
	take = n < (size_t)num - 1 ? n : (size_t)num - 2;
	memcpy(str, x->text, take);
	if (take < n)
		str[take++] = '\n';
	str[take] = '\0';
	x->long_line = take < n;
	x->text += n;
	x->line++;
	return str;
}

int
config_load_string(struct config *cfg, const char *text, const char *name, FILE *err)
{
	struct parse_ctx x;
	int rc;

	memset(&x, 0, sizeof x);
	x.cfg = cfg;
	x.err = err;
	x.name = name;
	x.text = text;
	config_defaults(cfg);
	rc = ini_parse_stream(reader, &x, handler, &x);
	if (rc > 0) {
		x.line = rc;
		ctx_problem(&x, 1, "syntax error (expected [section] or key = value)");
	}
	if (x.have_host || x.have_port) {
		struct netaddr *l = &cfg->listen[0];

		netaddr_parse_ip(x.have_host ? x.host : "0.0.0.0", l);
		l->port = x.have_port ? x.port : AGENT_PORT;
		cfg->n_listen = 1;
	}
	return x.errors;
}

int
config_load(struct config *cfg, const char *path, FILE *err)
{
	FILE *f = compat_fopen(path, "rb");
	char *text;
	size_t n;
	int rc;

	config_defaults(cfg);
	if (f == NULL) {
		fprintf(err, "%s: error: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	text = malloc(CONFIG_FILE_MAX + 1);
	if (text == NULL) {
		fclose(f);
		return 1;
	}
	n = fread(text, 1, CONFIG_FILE_MAX + 1, f);
	fclose(f);
	if (n > CONFIG_FILE_MAX) {
		fprintf(err, "%s: error: larger than %d bytes\n", path, CONFIG_FILE_MAX);
		free(text);
		return 1;
	}
	text[n] = '\0';
	if (memchr(text, '\0', n)) {
		fprintf(err, "%s: error: contains a NUL byte (UTF-16 files are not read; save as UTF-8)\n",
		    path);
		free(text);
		return 1;
	}
	rc = config_load_string(cfg, text, path, err);
	free(text);
	return rc;
}

int
config_validate(const struct config *cfg, const char *name, FILE *err)
{
	int errors = 0;

	if (cfg->backend_driver == CONFIG_BACKEND_MSDNS && cfg->n_masters == 0) {
		fprintf(err, "%s: error: [service:agent] masters: Missing agent AXFR masters "
		    "(required by backend_driver = msdns)\n", name);
		errors++;
	}
	return errors;
}

int
config_masters_text(const struct config *cfg, char *out, size_t len)
{
	size_t i, o = 0;

	if (len == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < cfg->n_masters; i++) {
		char ip[NETADDR_TEXT_MAX];
		int n = snprintf(out + o, len - o, "%s%s", i ? "," : "", netaddr_ip_text(&cfg->masters[i], ip, sizeof ip));

		if (n < 0 || (size_t)n >= len - o) {
			out[o] = '\0';
			return -1;
		}
		o += (size_t)n;
	}
	return 0;
}

int
config_allowed(const struct config *cfg, const struct netaddr *addr)
{
	size_t i;

	if (cfg->n_allow_notify == 0)
		return 1;
	for (i = 0; i < cfg->n_allow_notify; i++)
		if (netaddr_in_prefix(addr, &cfg->allow_notify[i].addr, cfg->allow_notify[i].bits))
			return 1;
	return 0;
}
