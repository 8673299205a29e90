/* The msdns backend: each zone operation is one run of scripts/msdns-zone.ps1 under powershell.exe. */
#define LOG_MODULE "msdns"
#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "config.h"
#include "log.h"
#include "msdns.h"
#include "spawner.h"

struct msdns {
	const struct config *cfg;
	struct spawner *sp;
};

struct msdns_op {
	enum zone_op op;
	char zone[256];
	backend_done_fn *done;
	void *arg;
};

size_t
msdns_argv(const struct config *cfg, enum zone_op op, const char *zone, const char *argv[MSDNS_ARGV_MAX],
    char *masters, size_t masters_len)
{
	size_t n = 0, i, o = 0;

	argv[n++] = cfg->powershell;
	argv[n++] = "-NoLogo";
	argv[n++] = "-NoProfile";
	argv[n++] = "-NonInteractive";
	argv[n++] = "-ExecutionPolicy";
	argv[n++] = cfg->execution_policy;
	argv[n++] = "-File";
	argv[n++] = cfg->script;
	argv[n++] = "-Operation";
	argv[n++] = zone_op_name(op);
	argv[n++] = "-Zone";
	argv[n++] = zone;
	if ((op == ZONE_OP_CREATE || op == ZONE_OP_DELETE) && cfg->n_masters > 0 && masters_len > 0) {
		masters[0] = '\0';
		for (i = 0; i < cfg->n_masters; i++) {
			char ip[NETADDR_TEXT_MAX];

			o += (size_t)snprintf(masters + o, o < masters_len ? masters_len - o : 0, "%s%s", i ? "," : "",
			    netaddr_ip_text(&cfg->masters[i], ip, sizeof ip));
		}
		argv[n++] = "-Masters";
		argv[n++] = masters;
	}
	if (op == ZONE_OP_DELETE && cfg->delete_unmanaged_zones)
		argv[n++] = "-DeleteUnmanaged";
	argv[n] = NULL;
	return n;
}

int
msdns_check_paths(const struct config *cfg, FILE *err)
{
	const struct {
		const char *key, *path;
	} files[] = { { "powershell", cfg->powershell }, { "script", cfg->script } };
	int problems = 0;
	size_t i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		FILE *f = compat_fopen(files[i].path, "rb");

		if (f) {
			fclose(f);
			continue;
		}
		fprintf(err, "[backend:agent:msdns] %s: %s: %s\n", files[i].key, files[i].path, strerror(errno));
		problems++;
	}
	return problems;
}

enum zone_result
msdns_result(enum spawn_end how, long code, const char **why)
{
	*why = NULL;
	switch (how) {
	case SPAWN_TIMEOUT:
		*why = "killed at operation_timeout";
		return ZONE_TIMEOUT;
	case SPAWN_CRASHED:
		*why = "PowerShell crashed";
		return ZONE_FAILED;
	case SPAWN_KILLED:
		*why = "stopped with the agent";
		return ZONE_FAILED;
	case SPAWN_EXITED:
		break;
	}
	switch (code) {
	case MSDNS_EXIT_OK: return ZONE_DONE;
	case MSDNS_EXIT_ABSENT: return ZONE_ABSENT;
	case MSDNS_EXIT_NOT_OURS: return ZONE_NOT_OURS;
	case MSDNS_EXIT_BAD_ARGS:
		*why = "the script rejected its arguments (exit 4)";
		return ZONE_FAILED;
	case MSDNS_EXIT_UNREACHABLE:
		*why = "DNS Server unreachable or access denied (exit 5): is the DNS Server service running, "
		    "and may the service account manage it?";
		return ZONE_FAILED;
	default:
		*why = "the script failed (see its output above)";
		return ZONE_FAILED;
	}
}

static void
msdns_child_done(void *arg, enum spawn_end how, long code)
{
	struct msdns_op *o = arg;
	const char *why;
	enum zone_result r = msdns_result(how, code, &why);

	if (why && how == SPAWN_EXITED)
		log_warnx("%s %s: %s (exit %ld)", zone_op_name(o->op), o->zone, why, code);
	else if (why)
		log_warnx("%s %s: %s", zone_op_name(o->op), o->zone, why);
	o->done(o->arg, r);
	free(o);
}

static int
msdns_start(void *impl, enum zone_op op, const char *zone, backend_done_fn *done, void *arg)
{
	struct msdns *m = impl;
	struct msdns_op *o = calloc(1, sizeof *o);
	const char *argv[MSDNS_ARGV_MAX];
	char masters[CONFIG_MAX_ADDRS * (NETADDR_TEXT_MAX + 1)], tag[300];

	if (o == NULL)
		return -1;
	o->op = op;
	snprintf(o->zone, sizeof o->zone, "%s", zone);
	o->done = done;
	o->arg = arg;
	msdns_argv(m->cfg, op, zone, argv, masters, sizeof masters);
	snprintf(tag, sizeof tag, "%s %s", zone_op_name(op), zone);
	if (spawn_start(m->sp, argv, (unsigned)(m->cfg->operation_timeout * 1000), tag, msdns_child_done, o) != 0) {
		free(o);
		return -1;
	}
	return 0;
}

static void
msdns_free(void *impl)
{
	struct msdns *m = impl;

	spawner_free(m->sp);
	free(m);
}

static const struct backend_ops msdns_ops = { "msdns", msdns_start, msdns_free };

struct backend *
backend_msdns_new(struct event_base *base, const struct config *cfg)
{
	struct msdns *m = calloc(1, sizeof *m);
	struct backend *b;

	if (m == NULL || (m->sp = spawner_new(base)) == NULL) {
		free(m);
		log_error("cannot set up child processes");
		return NULL;
	}
	m->cfg = cfg;
	if (msdns_check_paths(cfg, stderr) > 0) {
		log_error("msdns backend: the PowerShell program or the script cannot be read (see above)");
		msdns_free(m);
		return NULL;
	}
	if ((b = backend_new(&msdns_ops, m)) == NULL) {
		msdns_free(m);
		return NULL;
	}
	log_info("msdns backend: %s -File %s, %zu master%s, operation_timeout %.1f s, max_concurrent %d",
	    cfg->powershell, cfg->script, cfg->n_masters, cfg->n_masters == 1 ? "" : "s", cfg->operation_timeout,
	    cfg->max_concurrent);
	return b;
}
