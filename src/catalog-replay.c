/* msdns-agent-replay catalog: AXFR a catalog, interpret it, print members, ignored records, broken reason. */
#include "catalog-replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "catalog.h"
#include "catalog-refresh.h"
#include "catalog-disk.h"
#include "catalog-state.h"
#include "compat.h"
#include "config.h"
#include "netaddr.h"
#include "replay.h"
#include "tsig.h"
#include "xfr.h"
#include "agent.h"
#include "wire.h"

struct copts {
	const char *server;       /* NULL: 127.0.0.1, or the masters of the configuration's section */
	long port;                /* 0: 53 */
	const char *tsig, *tsig_file;   /* --tsig [ALG:]NAME:SECRET, --tsig-file FILE (as the other commands) */
	const char *config;       /* --config-file: the agent's configuration (its [catalog:NAME] section) */
	const char *name;
	const char *state;        /* a state file to compare with (read only) */
	const char *const *suffixes;
	size_t nsuffixes;
	double timeout;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: msdns-agent-replay catalog NAME [--server IP] [--port N] [--timeout S]\n"
	    "                                  [--tsig [ALG:]NAME:SECRET | --tsig-file FILE]\n"
	    "                                  [--config-file F] [--state-file F] [--suffix Z]...\n"
	    "\n"
	    "Transfers catalog zone NAME (SOA, then AXFR over TCP) and prints, changing nothing, what msdns-agent\n"
	    "makes of it (RFC 9432): serial, members, ignored records, the reason it is broken if it is. With a state\n"
	    "file (state_dir/NAME.state) also which members would be created or adopted, reset, deleted.\n"
	    "With a key every step is signed and every answer verified: an unsigned or wrongly signed answer,\n"
	    "or the producer refusing the key, means no transfer (exit 2).\n"
	    "Exit status: 0 valid, 1 broken, 2 no transfer, 64 usage error.\n"
	    "\n"
	    "  --server IP        where the catalog is transferred from (default 127.0.0.1, or with --config-file\n"
	    "                     the section's masters, in order)\n"
	    "  --port N           its port (default 53)\n"
	    "  --timeout S        seconds for the whole transfer (default 30)\n"
	    "  --tsig [ALG:]NAME:SECRET  sign with this TSIG key (ALG default hmac-sha256, SECRET base64), as the\n"
	    "                     other commands of this tool\n"
	    "  --tsig-file FILE   the same with the key from FILE: a [tsigkey:NAME] section or BIND's key clause\n"
	    "  --config-file F    the agent's configuration: its [catalog:NAME] section gives the key (tsig_key),\n"
	    "                     member_suffixes, the masters and the state file (state_dir/NAME.state), each\n"
	    "                     unless given here\n"
	    "  --state-file F     the agent's state file of this catalog, read only\n"
	    "  --suffix Z         an admissible member suffix (member_suffixes); repeatable\n"
	    "\n"
	    "examples:\n"
	    "  msdns-agent-replay catalog cat.example. --server 192.0.2.10 --port 5354\n"
	    "  msdns-agent-replay catalog cat.example. --server 192.0.2.10 --tsig hmac-sha256:catkey.:c2VjcmV0...=\n"
	    "  msdns-agent-replay catalog cat.example. --config-file msdns-agent.conf\n");
}

/* text as a zone name by the agent's rules (lower case, no trailing dot). Returns 0 or -1. */
static int
zone_arg(const char *text, char out[ZONE_NAME_MAX])
{
	uint8_t wire[WIRE_NAME_MAX];
	size_t len = wire_name_from_text(text, wire);

	return len > 0 ? agent_zone_name(wire, len, out) : -1;
}

static int
cusage(const char *fmt, const char *arg)
{
	fprintf(stderr, "msdns-agent-replay catalog: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return CATALOG_REPLAY_USAGE;
}

struct xfer {
	struct xfr_result res;
	struct xfr_view *view;
	int done;
};

static void
xfer_done(void *arg, struct xfr_result *r)
{
	struct xfer *x = arg;

	x->res = *r;
	x->view = r->view;
	r->view = NULL;
	x->done = 1;
}

/* What the agent would do with view v given its state file. */
static void
compare_state(const struct copts *o, const struct catalog_view *v)
{
	struct catalog_state *st = catalog_state_new(o->name);
	char why[512];
	size_t pos = 0, i, n_create = 0, n_keep = 0, n_reset = 0, n_delete = 0;
	const char *zone, *label;
	enum catalog_own how;
	int r;

	if (st == NULL)
		return;
	r = catalog_state_load(st, o->state, why, sizeof why);
	if (r != 0) {
		printf(";; state %s: %s: the agent knows no zone as owned: every member would be created or "
		    "adopted, nothing deleted\n", o->state, r == 1 ? "absent" : why);
	} else {
		printf(";; state %s: serial %lu%s, %zu members, %zu zones owned\n", o->state,
		    (unsigned long)catalog_state_serial(st), catalog_state_valid(st) ? "" : " (none valid yet)",
		    catalog_state_members(st), catalog_state_owned(st));
	}
	for (i = 0; i < catalog_view_count(v); i++) {
		const struct catalog_member *m = catalog_view_member(v, i);
		const char *ol = catalog_state_owner(st, m->zone, &how);

		if (ol == NULL) {
			printf("create-or-adopt %s %s\n", m->label, m->zone);
			n_create++;
		} else if (strcmp(ol, m->label) != 0) {
			printf("reset %s %s (label was %s)\n", m->label, m->zone, ol);
			n_reset++;
		} else {
			n_keep++;
			if (how == CATALOG_PENDING)
				printf("create-or-adopt %s %s (pending)\n", m->label, m->zone);
		}
	}
	while (catalog_state_next_owned(st, &pos, &zone, &label, &how)) {
		if (catalog_view_by_zone(v, zone) == NULL) {
			printf("delete %s %s\n", label, zone);
			n_delete++;
		}
	}
	printf(";; would create or adopt %zu, reset %zu, delete %zu; %zu stay as they are\n", n_create, n_reset,
	    n_delete, n_keep);
	catalog_state_free(st);
}

/* cusage, once the suffix list is freed. */
static int
cusage_free(const char **sfx, const char *fmt, const char *arg)
{
	free(sfx);
	return cusage(fmt, arg);
}

int
catalog_replay_main(int argc, char **argv)
{
	struct copts o;
	const char **sfx;
	static struct tsig_key key;
	struct xfr_tsig hooks;
	struct netaddr masters[CATALOG_CONFIG_ADDRS];
	size_t nmasters = 0, nsfx_conf = 0;
	char *state_path = NULL, keyname[WIRE_NAME_TEXT_MAX];
	int signing = 0;
	struct event_base *base;
	struct xfr_req req;
	struct xfr_client *c;
	struct xfer x;
	struct catalog_records *recs;
	struct catalog_view *v;
	struct catalog_policy pol;
	char at[NETADDR_TEXT_MAX], name[ZONE_NAME_MAX];
	int i, r;
	size_t k;

	memset(&o, 0, sizeof o);
	o.timeout = 30;
	sfx = calloc((size_t)argc + 1 + CATALOG_CONFIG_SUFFIXES, sizeof *sfx);   /* --suffix args or the section's */
	if (sfx == NULL)
		return CATALOG_REPLAY_USAGE;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has_val = i + 1 < argc;
		char *end;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			free(sfx);
			return 0;
		} else if (strcmp(a, "--server") == 0 && has_val) {
			o.server = argv[++i];
		} else if (strcmp(a, "--port") == 0 && has_val) {
			o.port = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || o.port < 1 || o.port > 65535)
				return cusage_free(sfx, "--port '%s' is out of range (1-65535)", argv[i]);
		} else if (strcmp(a, "--timeout") == 0 && has_val) {
			o.timeout = strtod(argv[++i], &end);
			if (*argv[i] == '\0' || *end != '\0' || !(o.timeout > 0 && o.timeout <= 3600))
				return cusage_free(sfx, "--timeout '%s' is not a number of seconds (0-3600)", argv[i]);
		} else if (strcmp(a, "--state-file") == 0 && has_val) {
			o.state = argv[++i];
		} else if (strcmp(a, "--tsig") == 0 && has_val) {
			o.tsig = argv[++i];
		} else if (strcmp(a, "--tsig-file") == 0 && has_val) {
			o.tsig_file = argv[++i];
		} else if (strcmp(a, "--config-file") == 0 && has_val) {
			o.config = argv[++i];
		} else if (strcmp(a, "--suffix") == 0 && has_val) {
			char *s = malloc(ZONE_NAME_MAX);

			if (s == NULL || zone_arg(argv[i + 1], s) != 0)
				return cusage_free(sfx, "--suffix '%s' is not a valid zone name", argv[i + 1]);
			sfx[o.nsuffixes++] = s;
			i++;
		} else if (a[0] == '-') {
			return cusage_free(sfx, "unknown option '%s'", a);
		} else if (o.name == NULL) {
			if (zone_arg(a, name) != 0)
				return cusage_free(sfx, "catalog name '%s' is not a valid zone name", a);
			o.name = name;
		} else {
			return cusage_free(sfx, "unexpected argument '%s'", a);
		}
	}
	if (o.name == NULL)
		return cusage_free(sfx, "%s", "a catalog NAME is needed");
	if (o.tsig && o.tsig_file)
		return cusage_free(sfx, "%s", "give one of --tsig and --tsig-file");
	if (o.tsig || o.tsig_file) {
		char err[512];

		if (replay_tsig_key(o.tsig, o.tsig ? NULL : o.tsig_file, &key, err, sizeof err) != 0) {
			fprintf(stderr, "msdns-agent-replay catalog: %s\n", err);
			free(sfx);
			return CATALOG_REPLAY_USAGE;
		}
		signing = 1;
	}
	if (o.config) {
		static struct config cfg;
		const struct catalog_config *cc = NULL;

		if (config_load(&cfg, o.config, stderr) + config_validate(&cfg, o.config, stderr) > 0) {
			free(sfx);
			return CATALOG_REPLAY_USAGE;
		}
		for (k = 0; k < cfg.n_catalogs && cc == NULL; k++)
			if (strcmp(cfg.catalogs[k].name, o.name) == 0)
				cc = &cfg.catalogs[k];
		if (cc == NULL)
			return cusage_free(sfx, "the configuration has no [catalog:%s] section", o.name);
		if (!signing && cc->tsig_key[0] != '\0') {
			const struct tsig_config *tk = tsig_config_find(cfg.tsigkeys, cfg.n_tsigkeys, cc->tsig_key);

			if (tk == NULL)   /* config_validate says so first */
				return cusage_free(sfx, "tsig_key %s names no [tsigkey:NAME] section", cc->tsig_key);
			key = tk->key;
			signing = 1;
		}
		for (k = 0; o.nsuffixes == 0 && k < cc->n_suffixes; k++)
			sfx[k] = cc->suffixes[k];
		nsfx_conf = o.nsuffixes == 0 ? cc->n_suffixes : 0;
		if (o.server == NULL) {
			nmasters = cc->n_masters;
			memcpy(masters, cc->masters, nmasters * sizeof masters[0]);
		}
		if (o.state == NULL) {
			char dir[512];

			if (cfg.def.state_dir[0] != '\0')
				snprintf(dir, sizeof dir, "%s", cfg.def.state_dir);
			else
				catalog_disk_default_dir(dir, sizeof dir);
			o.state = state_path = catalog_state_path(dir, o.name);
		}
	}
	o.suffixes = sfx;
	if (nmasters == 0) {
		if (netaddr_parse_ip(o.server ? o.server : "127.0.0.1", &masters[0]) != 0) {
			free(state_path);
			return cusage_free(sfx, "--server '%s' is not an IP address", o.server);
		}
		masters[0].port = (uint16_t)(o.port ? o.port : 53);
		nmasters = 1;
	} else if (o.port) {
		for (k = 0; k < nmasters; k++)
			masters[k].port = (uint16_t)o.port;
	}
	compat_init();
	base = event_base_new();
	if (base == NULL) {
		free(sfx);
		free(state_path);
		return CATALOG_REPLAY_NO_TRANSFER;
	}
	memset(&req, 0, sizeof req);
	memset(&x, 0, sizeof x);
	req.zone = o.name;
	req.masters = masters;
	req.nmasters = nmasters;
	req.force = 1;
	req.deadline_ms = (unsigned)(o.timeout * 1000);
	if (signing) {
		hooks.sign = tsig_hook_sign;
		hooks.verify = tsig_hook_verify;
		hooks.free_ctx = tsig_hook_free;
		hooks.key = &key;
		req.tsig = &hooks;
		tsig_key_name(&key, keyname, sizeof keyname);
	}
	c = xfr_start(base, &req, xfer_done, &x);
	if (c == NULL) {
		fprintf(stderr, "msdns-agent-replay catalog: the transfer cannot start\n");
		free(sfx);
		free(state_path);
		return CATALOG_REPLAY_NO_TRANSFER;
	}
	while (!x.done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	if (x.done && x.res.status == XFR_OK)
		netaddr_text(&x.res.master, at, sizeof at);
	else
		netaddr_text(&masters[0], at, sizeof at);
	if (!x.done || x.res.status != XFR_OK || x.view == NULL) {
		printf(";; no transfer of %s. from %s%s: %s\n", o.name, at, nmasters > 1 ? " (nor the other masters)" : "",
		    x.done ? x.res.why : "no answer");
		if (signing)
			printf(";; TSIG: every step signed with key %s; an unsigned or wrongly signed answer, or the producer "
			    "refusing the key, is no transfer\n", keyname);
		else if (x.done && (strstr(x.res.why, "NOTAUTH") || strstr(x.res.why, "REFUSED")))
			printf(";; the transfer was not signed: if the producer requires TSIG, give --tsig, --tsig-file or "
			    "--config-file\n");
		event_base_free(base);
		free(sfx);
		free(state_path);
		return CATALOG_REPLAY_NO_TRANSFER;
	}
	recs = catrefresh_records_of(x.view);   /* borrows the view: freed after recs */
	event_base_free(base);
	if (recs == NULL) {
		xfr_view_free(x.view);
		printf(";; out of memory\n");
		free(sfx);
		free(state_path);
		return CATALOG_REPLAY_NO_TRANSFER;
	}
	if (signing)
		printf(";; TSIG: signed with key %s; every answer verified\n", keyname);
	pol.suffixes = o.suffixes;
	pol.n_suffixes = o.nsuffixes + nsfx_conf;
	r = catalog_interpret(recs, o.name, &pol, &v);
	if (r < 0) {
		printf(";; out of memory\n");
		catalog_records_free(recs);
		xfr_view_free(x.view);
		free(sfx);
		free(state_path);
		return CATALOG_REPLAY_NO_TRANSFER;
	}
	printf(";; catalog %s. from %s: serial %lu, %zu records\n", o.name, at, (unsigned long)x.res.serial,
	    catalog_records_count(recs));
	if (r == 1) {
		printf(";; BROKEN: %s\n;; the agent changes nothing while it is broken; the last valid version "
		    "stays in force\n", catalog_view_broken(v));
	} else {
		printf(";; valid: %zu members, %zu not admitted, %zu other records ignored\n", catalog_view_count(v),
		    catalog_view_inadmissible(v), catalog_view_ignored(v) - catalog_view_inadmissible(v));
		for (k = 0; k < catalog_view_count(v); k++) {
			const struct catalog_member *m = catalog_view_member(v, k);

			printf("member %s %s%s%s\n", m->label, m->zone, m->coo ? " coo " : "", m->coo ? m->coo : "");
		}
		for (k = 0; k < catalog_view_notes(v); k++)
			printf(";; %s\n", catalog_view_note(v, k));
		if (catalog_view_ignored(v) > catalog_view_notes(v))
			printf(";; ... %zu more\n", catalog_view_ignored(v) - catalog_view_notes(v));
		if (o.state != NULL)
			compare_state(&o, v);
	}
	catalog_view_free(v);
	catalog_records_free(recs);
	xfr_view_free(x.view);
	for (k = 0; k < o.nsuffixes; k++)
		free((char *)sfx[k]);
	free(sfx);
	free(state_path);
	memset(&key, 0, sizeof key);
	return r == 1 ? CATALOG_REPLAY_BROKEN : CATALOG_REPLAY_VALID;
}
