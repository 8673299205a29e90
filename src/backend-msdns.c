/* The msdns backend: each zone operation is one run of scripts/msdns-zone.ps1 under powershell.exe. */
#define LOG_MODULE "msdns"
#include "backend-msdns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "config.h"
#include "log.h"
#include "msdns.h"
#include "pspool.h"
#include "spawnop.h"

#define WORKER_START_MS 60000   /* a worker's start-up (PowerShell, Import-Module DnsServer) bound */
#define WORKER_STOP_MS 2000     /* at stop, how long workers get to end after their stdin closed */

struct msdns {
	const struct config *cfg;
	struct spawner *sp;
	struct pspool *pool;     /* workers > 0: persistent workers carry every operation */
};

struct msdns_op {
	struct zoneop op;
	zoneop_done_fn *done;
	void *arg;
	struct zoneop_list *zones;   /* LIST: the zones read so far (NULL before the first) */
	const char *list_broken;     /* LIST: why its output cannot be trusted, or NULL */
};

int
backend_msdns_check_paths(const struct config *cfg, FILE *err)
{
	const struct {
		const char *key, *path;
	} files[] = { { "powershell", cfg->msdns.powershell }, { "script", cfg->msdns.script } };
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

/* A LIST's output line: "zone=..." lines are its zones; every other line is only logged. */
static void
msdns_line(void *arg, const char *line, size_t len, unsigned flags)
{
	struct msdns_op *o = arg;

	if (o->op.kind != ZONEOP_LIST || o->list_broken)
		return;
	if (len < 5 || memcmp(line, "zone=", 5) != 0)
		return;
	if (flags != 0)   /* cut, or cut short by the child's end */
		o->list_broken = "a zone line is not zone=NAME type=TYPE ds=0|1 masters=IP,IP|-";
	else
		o->list_broken = msdns_list_fact(&o->zones, line, len);
}

static void
msdns_child_done(void *arg, enum spawn_end how, long code)
{
	struct msdns_op *o = arg;
	const char *name = zoneop_kind_name(o->op.kind), *zone = o->op.kind == ZONEOP_LIST ? "-" : o->op.zone;
	const char *why = NULL;
	enum zoneop_result r;

	switch (how) {
	case SPAWN_TIMEOUT:
		why = "killed at operation_timeout";
		r = ZONEOP_TIMEOUT;
		break;
	case SPAWN_CRASHED:
		why = "PowerShell crashed";
		r = ZONEOP_FAILED;
		break;
	case SPAWN_KILLED:
		why = "stopped with the agent";
		r = ZONEOP_FAILED;
		break;
	case SPAWN_NOT_STARTED:
		why = "PowerShell could not be started";
		r = ZONEOP_FAILED;
		break;
	case SPAWN_EXITED:
	default:
		r = msdns_exit_result(code, &why);
		if (why)
			log_warnx("%s %s: %s (exit %ld)", name, zone, why, code);
		why = NULL;
		break;
	}
	if (why)
		log_warnx("%s %s: %s", name, zone, why);
	if (r == ZONEOP_DONE && o->list_broken) {
		log_warnx("%s: %s; the list is not used", name, o->list_broken);
		r = ZONEOP_FAILED;
	}
	if (r == ZONEOP_DONE && o->op.kind == ZONEOP_LIST) {
		size_t n;
		const struct zoneop_zone *zones = zoneop_list_zones(o->zones, &n);

		o->done(o->arg, r, zones, n);
	} else {
		o->done(o->arg, r, NULL, 0);
	}
	zoneop_list_free(o->zones);
	free(o);
}

static int
msdns_start(void *impl, const struct zoneop *op, zoneop_done_fn *done, void *arg)
{
	struct msdns *m = impl;
	struct msdns_op *o = calloc(1, sizeof *o);
	const struct msdns_program prog = { m->cfg->msdns.powershell, m->cfg->msdns.script, m->cfg->msdns.execution_policy };
	const char *argv[MSDNS_ARGV_MAX];
	char masters[CONFIG_MAX_ADDRS * (NETADDR_TEXT_MAX + 1)], tag[300];

	if (o == NULL)
		return -1;
	o->op = *op;
	o->done = done;
	o->arg = arg;
	if (*op->masters)
		snprintf(masters, sizeof masters, "%s", op->masters);
	else
		config_masters_text(m->cfg, masters, sizeof masters);
	if (m->pool) {
		free(o);
		return pspool_start(m->pool, op, masters, done, arg);
	}
	msdns_argv(&prog, &o->op, masters, argv);
	snprintf(tag, sizeof tag, "%s %s", zoneop_kind_name(op->kind), op->kind == ZONEOP_LIST ? "-" : op->zone);
	if (spawn_start(m->sp, argv, (unsigned)(m->cfg->msdns.operation_timeout * 1000), tag, msdns_line, msdns_child_done,
	    o) != 0) {
		free(o);
		return -1;
	}
	return 0;
}

static void
msdns_free(void *impl)
{
	struct msdns *m = impl;

	pspool_free(m->pool);
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
	if (backend_msdns_check_paths(cfg, stderr) > 0) {
		log_error("msdns backend: the PowerShell program or the script cannot be read (see above)");
		msdns_free(m);
		return NULL;
	}
	if (cfg->msdns.workers > 0) {
		const struct msdns_program prog = { cfg->msdns.powershell, cfg->msdns.script, cfg->msdns.execution_policy };
		const char *argv[MSDNS_ARGV_MAX];
		struct pspool_params pp;

		msdns_serve_argv(&prog, argv);
		pp.argv = argv;
		pp.workers = (unsigned)cfg->msdns.workers;
		pp.max_requests = (unsigned)cfg->msdns.worker_max_requests;
		pp.op_timeout_ms = (unsigned)(cfg->msdns.operation_timeout * 1000);
		pp.start_timeout_ms = WORKER_START_MS;
		pp.stop_ms = WORKER_STOP_MS;
		if ((m->pool = pspool_new(base, &pp)) == NULL) {
			msdns_free(m);
			return NULL;
		}
	}
	if ((b = backend_new(&msdns_ops, m)) == NULL) {
		msdns_free(m);
		return NULL;
	}
	log_info("msdns backend: %s -File %s, %zu master%s, operation_timeout %.1f s, max_concurrent %d, %s",
	    cfg->msdns.powershell, cfg->msdns.script, cfg->agent.n_masters, cfg->agent.n_masters == 1 ? "" : "s", cfg->msdns.operation_timeout,
	    cfg->msdns.max_concurrent, cfg->msdns.workers > 0 ? "persistent workers" : "one process per operation");
	return b;
}
