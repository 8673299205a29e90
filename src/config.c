/* Configuration: one table of keys drives the INI parser, the defaults, the messages and the sample file. */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
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
	if (netaddr_parse_hostport(tok, AGENT_PORT, &x->cfg->agent.listen[i]) != 0) {
		ctx_problem(x, 1, "%s: '%s' is not an IPv4/IPv6 address with optional port", key, tok);
		return -1;
	}
	return 0;
}

static int
item_master(struct parse_ctx *x, const char *key, const char *tok, size_t i)
{
	struct netaddr *m = &x->cfg->agent.masters[i];

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
	struct config_prefix *p = &x->cfg->agent.allow_notify[i];

	if (netaddr_parse_prefix(tok, &p->addr, &p->bits) != 0) {
		ctx_problem(x, 1, "%s: '%s' is not an IP address or CIDR prefix", key, tok);
		return -1;
	}
	return 0;
}

/* The parsers of the table's types; each prints its own problem and returns 0 or -1. */
struct config_key;
typedef int parse_fn(struct parse_ctx *x, const struct config_key *k, void *field, const char *v);

enum key_type {
	KT_BOOL,         /* int: true/false, yes/no, on/off, 1/0 */
	KT_INT,          /* int within min..max */
	KT_SECONDS,      /* double within min..max */
	KT_STRING,       /* char[size] */
	KT_CHOICE,       /* int: the index of the value in choices (exact) */
	KT_CHOICE_TEXT,  /* char[size]: the choice as spelled in choices (any case) */
	KT_CUSTOM,       /* parse() */
	KT_NO_EFFECT,    /* accepted for designate.conf, warned about, not stored */
};

#define SECTION_DEFAULT "DEFAULT"
#define SECTION_AGENT "service:agent"
#define SECTION_MSDNS "backend:agent:msdns"

/* One key: adding a key is one row (and its field in struct config). */
struct config_key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;                   /* of the field in struct config */
	size_t size;                     /* KT_STRING, KT_CHOICE_TEXT: the buffer */
	double min, max;                 /* KT_INT, KT_SECONDS */
	const char *const *choices;      /* KT_CHOICE*: NULL-terminated */
	parse_fn *parse;                 /* KT_CUSTOM */
	const char *def;                 /* the default as text, parsed at start; NULL: none (zero, empty) */
	const char *example;             /* the sample shows this value instead of the default, or NULL */
	int sample_set;                  /* the sample sets the key (not commented out) */
	const char *doc;                 /* the sample's comment ('\n' splits lines); NULL: shares the previous */
};

static parse_fn parse_listen, parse_masters, parse_allow, parse_host, parse_port, parse_ip_or_empty, parse_tsig_keys;
static parse_fn parse_metrics_listen;
static parse_fn parse_listen, parse_masters, parse_allow, parse_host, parse_port, parse_ip_or_empty;

static const char *const backend_names[] = { "msdns", "fake", NULL };
static const char *const policies[] = { "AllSigned", "Bypass", "Default", "RemoteSigned", "Restricted", "Undefined",
	"Unrestricted", NULL };

#define F(sec, field) offsetof(struct config, sec.field), sizeof(((struct config *)0)->sec.field)

static const struct config_key keys[] = {
	{ SECTION_DEFAULT, "debug", KT_BOOL, F(def, debug), 0, 0, NULL, NULL, "false", NULL, 0,
	  "Log at DEBUG as well (also: --debug)." },
	{ SECTION_DEFAULT, "log_file", KT_STRING, F(def, log_file), 0, 0, NULL, NULL, NULL,
	  "C:\\ProgramData\\msdns-agent\\logs\\msdns-agent.log", 0,
	  "Also write the log to this file (the service writes Windows' Event Log too). Default: stderr only." },
	{ SECTION_DEFAULT, "state_dir", KT_STRING, F(def, state_dir), 0, 0, NULL, NULL, NULL,
	  "C:\\ProgramData\\msdns-agent\\state", 0,
	  "Where catalog state is kept (one NAME.state file per [catalog:NAME]). Default on Windows:\n"
	  "%ProgramData%\\msdns-agent\\state; elsewhere /var/lib/msdns-agent/state." },
	{ SECTION_AGENT, "listen", KT_CUSTOM, F(agent, listen), 0, 0, NULL, parse_listen, "0.0.0.0:5358", NULL, 0,
	  "Where to listen, UDP and TCP: IPv4 or [IPv6] literals with an optional port (default 5358)." },
	{ SECTION_AGENT, "host", KT_CUSTOM, 0, 0, 0, 0, NULL, parse_host, NULL, "0.0.0.0", 0,
	  "Deprecated pair kept from designate.conf; when set, it replaces listen." },
	{ SECTION_AGENT, "port", KT_CUSTOM, 0, 0, 0, 0, NULL, parse_port, NULL, "5358", 0, NULL },
	{ SECTION_AGENT, "masters", KT_CUSTOM, F(agent, masters), 0, 0, NULL, parse_masters, NULL, "192.0.2.1:53", 1,
	  "Designate's mDNS servers: Microsoft DNS pulls zone transfers from them. Required by the msdns\n"
	  "backend. Only the IPs are given to Microsoft DNS, which transfers from port 53 only." },
	{ SECTION_AGENT, "allow_notify", KT_CUSTOM, F(agent, allow_notify), 0, 0, NULL, parse_allow, NULL,
	  "192.0.2.1, 192.0.2.0/24", 0,
	  "Who may send CREATE, DELETE and NOTIFY: IPs (exact match, as the original) or CIDR prefixes (an\n"
	  "extension). Empty: everyone. The protocol has no authentication: set this." },
	{ SECTION_AGENT, "notify_delay", KT_SECONDS, F(agent, notify_delay), 0, 86400, NULL, NULL, "0", NULL, 0,
	  "Seconds the first NOTIFY for a zone waits; NOTIFYs for it meanwhile are answered at once. 0 = off." },
	{ SECTION_AGENT, "tcp_backlog", KT_INT, F(agent, tcp_backlog), 1, 65535, NULL, NULL, "100", NULL, 0,
	  "TCP listen backlog, and seconds an idle TCP connection stays open." },
	{ SECTION_AGENT, "tcp_recv_timeout", KT_SECONDS, F(agent, tcp_recv_timeout), 0.001, 3600, NULL, NULL, "0.5",
	  NULL, 0, NULL },
	{ SECTION_AGENT, "tcp_max_connections", KT_INT, F(agent, tcp_max_connections), 1, 100000, NULL, NULL, "256",
	  NULL, 0, "TCP connections at once (an extension); more wait in the backlog." },
	{ SECTION_AGENT, "transfer_source", KT_CUSTOM, F(agent, transfer_source), 0, 0, NULL, parse_ip_or_empty, NULL,
	  "192.0.2.10", 0, "Accepted for compatibility; Microsoft DNS chooses the source of its own zone transfers." },
	{ SECTION_AGENT, "backend_driver", KT_CHOICE, F(agent, backend_driver), 0, 0, backend_names, NULL, "msdns",
	  NULL, 0,
	  "msdns: Microsoft DNS through PowerShell. fake: Designate's fake (every zone exists, nothing happens;\n"
	  "for protocol tests only)." },
	{ SECTION_AGENT, "tsig_keys", KT_CUSTOM, F(agent, tsig_keys), 0, 0, NULL, parse_tsig_keys, NULL, "catkey.", 0,
	  "TSIG keys ([tsigkey:NAME] sections) accepted on requests; their replies are signed. A signed request\n"
	  "with another key, a bad MAC or a time off by more than the fudge is answered NOTAUTH and starts\n"
	  "nothing. Default: none (a signed message gets no reply, as the original)." },
	{ SECTION_AGENT, "require_tsig", KT_BOOL, F(agent, require_tsig), 0, 0, NULL, NULL, "false", NULL, 0,
	  "true: an unsigned request is answered REFUSED and starts nothing (needs tsig_keys)." },
	{ SECTION_AGENT, "metrics_listen", KT_CUSTOM, F(agent, metrics_listen), 0, 0, NULL, parse_metrics_listen, NULL,
	  "127.0.0.1:9358", 0,
	  "The operators' HTTP endpoint (an extension): GET /metrics (Prometheus), /healthz, /status (JSON)\n"
	  "on this IPv4 or [IPv6] literal and port. Empty: off (the default). It shows no secrets, but keep it\n"
	  "on loopback or behind a firewall rule (install-service.ps1 -MetricsAllowFrom)." },
	{ SECTION_AGENT, "workers", KT_NO_EFFECT, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0,
	  "designate.conf's workers and threads have no effect (one event loop)." },
	{ SECTION_AGENT, "threads", KT_NO_EFFECT, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0, NULL },
	{ SECTION_MSDNS, "powershell", KT_STRING, F(msdns, powershell), 0, 0, NULL, NULL,
	  "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", NULL, 0,
	  "Windows PowerShell 5.1 (not pwsh: the DnsServer module needs 5.1)." },
	{ SECTION_MSDNS, "script", KT_STRING, F(msdns, script), 0, 0, NULL, NULL,
	  "C:\\Program Files\\msdns-agent\\scripts\\msdns-zone.ps1", NULL, 0, "The one script every operation runs." },
	{ SECTION_MSDNS, "execution_policy", KT_CHOICE_TEXT, F(msdns, execution_policy), 0, 0, policies, NULL,
	  "RemoteSigned", NULL, 0,
	  "-ExecutionPolicy for that process (Group Policy still wins): AllSigned, Bypass, Default,\n"
	  "RemoteSigned, Restricted, Undefined, Unrestricted." },
	{ SECTION_MSDNS, "operation_timeout", KT_SECONDS, F(msdns, operation_timeout), 0.1, 86400, NULL, NULL, "60",
	  NULL, 0,
	  "Seconds one operation may take before its PowerShell (and everything it started) is killed and\n"
	  "Designate is answered SERVFAIL." },
	{ SECTION_MSDNS, "max_concurrent", KT_INT, F(msdns, max_concurrent), 1, 64, NULL, NULL, "4", NULL, 0,
	  "PowerShell processes at once (1-64); each costs ~0.6 s of start-up and ~60 MB." },
	{ SECTION_MSDNS, "workers", KT_INT, F(msdns, workers), 0, 64, NULL, NULL, "0", NULL, 0,
	  "Persistent PowerShell processes serving operations one at a time each (0-64); 0: one process\n"
	  "per operation. With workers, max_concurrent is at most workers." },
	{ SECTION_MSDNS, "worker_max_requests", KT_INT, F(msdns, worker_max_requests), 1, 1000000, NULL, NULL, "500",
	  NULL, 0, "A worker is replaced after this many operations." },
	{ SECTION_MSDNS, "max_queued", KT_INT, F(msdns, max_queued), 1, 1000000, NULL, NULL, "1000", NULL, 0,
	  "Operations queued or running at most; past it, requests are answered SERVFAIL at once." },
	{ SECTION_MSDNS, "delete_unmanaged_zones", KT_BOOL, F(msdns, delete_unmanaged_zones), 0, 0, NULL, NULL, "false",
	  NULL, 0,
	  "DELETE removes only file-backed secondary zones of our masters. true: any zone of that name,\n"
	  "primary and AD-integrated ones included." },
};

/* The sections of the table, in the sample's order, with their own comment. */
static const struct {
	const char *name, *doc;
} sections[] = {
	{ SECTION_DEFAULT, NULL },
	{ SECTION_AGENT, NULL },
	{ SECTION_MSDNS, NULL },
};

/* Repeated sections: one row per [PREFIX:NAME] kind. The table ends with a NULL prefix. */
static void *
tsigkey_open(void *array, size_t *n, const char *name, int line, char *err, size_t errlen)
{
	return tsig_config_section(array, n, name, line, err, errlen);
}

static int
tsigkey_key(void *inst, const char *key, const char *value, char *err, size_t errlen)
{
	return tsig_config_key(inst, key, value, err, errlen);
}

static int
tsigkey_finish(void *inst, int *line, char *err, size_t errlen)
{
	*line = ((struct tsig_config *)inst)->line;
	return tsig_config_finish(inst, err, errlen);
}

static const struct config_repeated repeated[] = {
	{ "catalog:", offsetof(struct config, catalogs), offsetof(struct config, n_catalogs),
	  sizeof(struct catalog_config), catalog_config_open, catalog_config_key_any, catalog_config_finish_any,
	  catalog_config_doc },
	{ "tsigkey:", offsetof(struct config, tsigkeys), offsetof(struct config, n_tsigkeys),
	  sizeof(struct tsig_config), tsigkey_open, tsigkey_key, tsigkey_finish,
	  "[tsigkey:NAME] sections: one TSIG key each (NAME as Designate, BIND or Knot name it; trailing dot\n"
	  "optional). Named by [service:agent] tsig_keys and [catalog:NAME] tsig_key.\n"
	  "[tsigkey:catkey.]\n"
	  "algorithm = hmac-sha256      (hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512;\n"
	  "                              Windows has no hmac-sha224)\n"
	  "secret = BASE64              (at least 16 octets, as tsig-keygen or keymgr -t print it)" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL, NULL },
};

static const char sample_head[] =
    "# msdns-agent configuration: designate.conf's [service:agent] and [backend:agent:msdns] sections.\n"
    "# A whole designate.conf works too: other sections are ignored. Lists are comma-separated.\n"
    "# Check a file with:  msdns-agent --check-config --config-file FILE\n"
    "# Windows default path: %ProgramData%\\msdns-agent\\msdns-agent.conf; Linux: /etc/msdns-agent/msdns-agent.conf\n";

static int
parse_bool_key(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	if (parse_bool(v, field) == 0)
		return 0;
	ctx_problem(x, 1, "%s: '%s' is not a boolean (true/false)", k->name, v);
	return -1;
}

static int
parse_int_key(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	if (parse_int(v, (long)k->min, (long)k->max, field) == 0)
		return 0;
	ctx_problem(x, 1, "%s: '%s' is not a whole number (%ld-%ld)", k->name, v, (long)k->min, (long)k->max);
	return -1;
}

static int
parse_seconds_key(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	if (parse_seconds(v, k->min, k->max, field) == 0)
		return 0;
	ctx_problem(x, 1, "%s: '%s' is not a number of seconds (%g-%g)", k->name, v, k->min, k->max);
	return -1;
}

static int
parse_choice_key(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	char list[256] = "";
	size_t i;

	for (i = 0; k->choices[i]; i++) {
		if (k->type == KT_CHOICE && strcmp(v, k->choices[i]) == 0) {
			*(int *)field = (int)i;
			return 0;
		}
		if (k->type == KT_CHOICE_TEXT && strcasecmp(v, k->choices[i]) == 0) {
			snprintf(field, k->size, "%s", k->choices[i]);
			return 0;
		}
	}
	for (i = 0; k->choices[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", k->choices[i]);
	ctx_problem(x, 1, "%s: '%s' is not one of %s", k->name, v, list);
	return -1;
}

/* Apply v to key k of x->cfg. Returns 0 or -1 (the problem printed). */
static int
apply(struct parse_ctx *x, const struct config_key *k, const char *v)
{
	void *field = (char *)x->cfg + k->offset;

	switch (k->type) {
	case KT_BOOL: return parse_bool_key(x, k, field, v);
	case KT_INT: return parse_int_key(x, k, field, v);
	case KT_SECONDS: return parse_seconds_key(x, k, field, v);
	case KT_STRING: return set_string(x, k->name, v, field, k->size);
	case KT_CHOICE:
	case KT_CHOICE_TEXT: return parse_choice_key(x, k, field, v);
	case KT_CUSTOM: return k->parse(x, k, field, v);
	case KT_NO_EFFECT:
		ctx_problem(x, 0, "%s: has no effect on this agent (one event loop)", k->name);
		return 0;
	}
	return -1;
}

static int
parse_listen(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	int n = for_each_item(x, k->name, v, item_listen, CONFIG_MAX_ADDRS);

	(void)field;
	if (n == 0)
		ctx_problem(x, 1, "listen: empty list");
	if (n > 0)
		x->cfg->agent.n_listen = (size_t)n;
	return n > 0 ? 0 : -1;
}

static int
parse_masters(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	int n = for_each_item(x, k->name, v, item_master, CONFIG_MAX_ADDRS);

	(void)field;
	if (n >= 0)
		x->cfg->agent.n_masters = (size_t)n;
	return n >= 0 ? 0 : -1;
}

static int
parse_allow(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	int n = for_each_item(x, k->name, v, item_allow, CONFIG_MAX_ADDRS);

	(void)field;
	if (n >= 0)
		x->cfg->agent.n_allow_notify = (size_t)n;
	return n >= 0 ? 0 : -1;
}

static int
parse_host(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	struct netaddr a;

	(void)k;
	(void)field;
	if (netaddr_parse_ip(v, &a) != 0) {
		ctx_problem(x, 1, "host: '%s' is not an IP address", v);
		return -1;
	}
	x->have_host = 1;
	snprintf(x->host, sizeof x->host, "%s", v);
	ctx_problem(x, 0, "host: deprecated, use listen = %s:PORT", v);
	return 0;
}

static int
parse_port(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	int p;

	(void)k;
	(void)field;
	if (parse_int(v, 0, 65535, &p) != 0) {
		ctx_problem(x, 1, "port: '%s' is not a port number (0-65535)", v);
		return -1;
	}
	x->have_port = 1;
	x->port = (uint16_t)p;
	ctx_problem(x, 0, "port: deprecated, use listen = HOST:%d", p);
	return 0;
}

static int
parse_metrics_listen(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	struct netaddr *a = field;

	x->cfg->agent.metrics_listen_set = 0;
	if (*v == '\0')
		return 0;
	if (netaddr_parse_hostport(v, 0, a) != 0 || a->port == 0) {
		ctx_problem(x, 1, "%s: '%s' is not an IPv4 or [IPv6] literal with a port", k->name, v);
		return -1;
	}
	x->cfg->agent.metrics_listen_set = 1;
	return 0;
}

static int
parse_ip_or_empty(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	struct netaddr a;

	if (*v && netaddr_parse_ip(v, &a) != 0) {
		ctx_problem(x, 1, "%s: '%s' is not an IP address", k->name, v);
		return -1;
	}
	return set_string(x, k->name, v, field, k->size);
}

static int
parse_tsig_keys(struct parse_ctx *x, const struct config_key *k, void *field, const char *v)
{
	x->cfg->agent.tsig_keys_line = x->line;
	return set_string(x, k->name, v, field, k->size);
}

/* Every name in tsig_keys and every catalog's tsig_key names a [tsigkey:NAME] section, and require_tsig has keys.
 * Returns the error count. */
static int
check_tsig_refs(struct config *cfg, const char *name, FILE *err)
{
	char buf[sizeof cfg->agent.tsig_keys], *save = NULL, *tok;
	int errors = 0, n = 0;

	memcpy(buf, cfg->agent.tsig_keys, sizeof buf);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		n++;
		if (tsig_config_find(cfg->tsigkeys, cfg->n_tsigkeys, tok) == NULL) {
			fprintf(err, "%s:%d: error: tsig_keys: no [tsigkey:%s] section\n", name, cfg->agent.tsig_keys_line,
			    tok);
			errors++;
		}
	}
	for (size_t i = 0; i < cfg->n_catalogs; i++) {
		const char *k = cfg->catalogs[i].tsig_key;

		if (k[0] && tsig_config_find(cfg->tsigkeys, cfg->n_tsigkeys, k) == NULL) {
			fprintf(err, "%s:%d: error: [catalog:%s] tsig_key: no [tsigkey:%s] section\n", name,
			    cfg->catalogs[i].line, cfg->catalogs[i].name, k);
			errors++;
		}
	}
	if (cfg->agent.require_tsig && n == 0) {
		fprintf(err, "%s: error: [service:agent] require_tsig = true needs tsig_keys\n", name);
		errors++;
	}
	return errors;
}

static const struct config_key *
find_key(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
is_table_section(const char *section)
{
	size_t i;

	for (i = 0; i < sizeof sections / sizeof sections[0]; i++)
		if (strcmp(sections[i].name, section) == 0)
			return 1;
	return 0;
}

static const struct config_repeated *
find_repeated(const char *section)
{
	const struct config_repeated *r;

	for (r = repeated; r->prefix; r++)
		if (strncmp(section, r->prefix, strlen(r->prefix)) == 0)
			return r;
	return NULL;
}

/* A line of a repeated section: find (or add) its instance, then hand it the key. */
static void
handle_repeated(struct parse_ctx *x, const struct config_repeated *r, const char *section, const char *k,
    const char *v)
{
	char err[512];
	void *inst;
	int rc;

	err[0] = '\0';
	inst = r->open((char *)x->cfg + r->array, (size_t *)(void *)((char *)x->cfg + r->count),
	    section + strlen(r->prefix), x->line, err, sizeof err);
	if (inst == NULL) {
		ctx_problem(x, 1, "%s", err);
		return;
	}
	rc = r->key(inst, k, v, err, sizeof err);
	if (rc != 0)
		ctx_problem(x, rc < 0, "%s", err);
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *x = user;
	const struct config_repeated *r = find_repeated(section);
	const struct config_key *k;
	int is_default = strcmp(section, SECTION_DEFAULT) == 0 || strcmp(section, "") == 0;

	if (x->long_line && (is_default || is_table_section(section) || r)) {
		ctx_problem(x, 1, "%s: line too long", name);
		return 1;
	}
	if (r) {
		handle_repeated(x, r, section, name, value);
		return 1;
	}
	if (is_default)
		section = SECTION_DEFAULT;
	else if (!is_table_section(section))
		return 1;   /* other designate.conf sections */
	if ((k = find_key(section, name)) != NULL)
		apply(x, k, value);
	else if (!is_default)   /* the rest of [DEFAULT] belongs to the rest of designate.conf */
		ctx_problem(x, 0, "unknown key '%s' in [%s], ignored", name, section);
	return 1;
}

/* Each repeated section's instances checked as a whole. Returns the error count. */
static int
finish_repeated(struct config *cfg, const char *name, FILE *err)
{
	const struct config_repeated *r;
	int errors = 0;

	for (r = repeated; r->prefix; r++) {
		size_t i, n = *(size_t *)(void *)((char *)cfg + r->count);

		for (i = 0; i < n; i++) {
			char msg[512];
			int line = 0;

			msg[0] = '\0';
			if (r->finish((char *)cfg + r->array + i * r->size, &line, msg, sizeof msg) != 0) {
				fprintf(err, "%s:%d: error: %s\n", name, line, msg);
				errors++;
			}
		}
	}
	return errors;
}

/* Print doc as comment lines. */
static void
write_doc(FILE *f, const char *doc)
{
	while (doc && *doc) {
		const char *nl = strchr(doc, '\n');
		size_t n = nl ? (size_t)(nl - doc) : strlen(doc);

		fprintf(f, "# %.*s\n", (int)n, doc);
		doc += n + (nl != NULL);
	}
}

void
config_write_sample(FILE *f)
{
	const struct config_repeated *r;
	size_t s, i;

	fputs(sample_head, f);
	for (s = 0; s < sizeof sections / sizeof sections[0]; s++) {
		fprintf(f, "\n[%s]\n", sections[s].name);
		write_doc(f, sections[s].doc);
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			const struct config_key *k = &keys[i];
			const char *v = k->example ? k->example : k->def ? k->def : "";

			if (strcmp(k->section, sections[s].name) != 0)
				continue;
			write_doc(f, k->doc);
			if (k->type != KT_NO_EFFECT)
				fprintf(f, "%s%s = %s\n", k->sample_set ? "" : "#", k->name, v);
		}
	}
	for (r = repeated; r->prefix; r++) {
		fputc('\n', f);
		write_doc(f, r->doc);
	}
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
config_defaults(struct config *cfg)
{
	struct parse_ctx x;
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	memset(&x, 0, sizeof x);
	x.cfg = cfg;
	x.err = stderr;
	x.name = "(defaults)";
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].def && apply(&x, &keys[i], keys[i].def) != 0)
			x.errors++;
	return x.errors;
}

int
config_load_string(struct config *cfg, const char *text, const char *name, FILE *err)
{
	struct parse_ctx x;
	int rc;

	memset(&x, 0, sizeof x);
	config_defaults(cfg);
	x.cfg = cfg;
	x.err = err;
	x.name = name;
	x.text = text;
	rc = ini_parse_stream(reader, &x, handler, &x);
	if (rc > 0) {
		x.line = rc;
		ctx_problem(&x, 1, "syntax error (expected [section] or key = value)");
	}
	if (x.have_host || x.have_port) {
		struct netaddr *l = &cfg->agent.listen[0];

		netaddr_parse_ip(x.have_host ? x.host : "0.0.0.0", l);
		l->port = x.have_port ? x.port : AGENT_PORT;
		cfg->agent.n_listen = 1;
	}
	rc = x.errors + finish_repeated(cfg, name, err);
	return rc + check_tsig_refs(cfg, name, err);
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

	if (cfg->agent.backend_driver == CONFIG_BACKEND_MSDNS && cfg->agent.n_masters == 0) {
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
	for (i = 0; i < cfg->agent.n_masters; i++) {
		char ip[NETADDR_TEXT_MAX];
		int n = snprintf(out + o, len - o, "%s%s", i ? "," : "",
		    netaddr_ip_text(&cfg->agent.masters[i], ip, sizeof ip));

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

	if (cfg->agent.n_allow_notify == 0)
		return 1;
	for (i = 0; i < cfg->agent.n_allow_notify; i++)
		if (netaddr_in_prefix(addr, &cfg->agent.allow_notify[i].addr, cfg->agent.allow_notify[i].bits))
			return 1;
	return 0;
}
