/* Configuration: designate.conf's [DEFAULT], [service:agent] and [backend:agent:msdns] read from an INI
 * file through one table of keys (config.c) that also writes the sample file. */
#ifndef MSDNS_CONFIG_H
#define MSDNS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "catalog-config.h"
#include "netaddr.h"
#include "tsig-config.h"

#define CONFIG_MAX_ADDRS 32

struct config_prefix {
	struct netaddr addr;
	unsigned bits;
};

enum config_backend { CONFIG_BACKEND_MSDNS, CONFIG_BACKEND_FAKE };

/* [DEFAULT] (the rest of that section belongs to the rest of designate.conf) */
struct config_default {
	int debug;
	char log_file[512];
	char state_dir[512];           /* catalog state; "" = the platform's (catalog_disk_default_dir) */
};

/* [service:agent] */
struct config_agent {
	struct netaddr listen[CONFIG_MAX_ADDRS];
	size_t n_listen;
	struct netaddr masters[CONFIG_MAX_ADDRS];
	size_t n_masters;
	struct config_prefix allow_notify[CONFIG_MAX_ADDRS];
	size_t n_allow_notify;
	double notify_delay;           /* seconds; 0 = off */
	int tcp_backlog;
	double tcp_recv_timeout;       /* seconds */
	int tcp_max_connections;
	char transfer_source[64];
	enum config_backend backend_driver;
	char tsig_keys[1024];          /* names of [tsigkey:NAME] sections accepted on requests; "" = none */
	int tsig_keys_line;            /* where tsig_keys was set (for its errors) */
	int require_tsig;              /* an unsigned request is REFUSED */
	struct netaddr metrics_listen; /* the operators' HTTP endpoint (metrics_listen_set: on) */
	int metrics_listen_set;
};

/* [backend:agent:msdns] */
struct config_msdns {
	char powershell[512];
	char script[512];
	char execution_policy[32];
	double operation_timeout;      /* seconds */
	int max_concurrent;
	int workers;                   /* persistent workers; 0 = one process per operation */
	int worker_max_requests;
	int max_queued;
	int delete_unmanaged_zones;
};

struct config {
	struct config_default def;
	struct config_agent agent;
	struct config_msdns msdns;
	/* repeated sections ([PREFIX:NAME]) add their instance arrays here */
	struct catalog_config catalogs[CATALOG_CONFIG_MAX];   /* [catalog:NAME] (catalog-config.h) */
	size_t n_catalogs;
	struct tsig_config tsigkeys[TSIG_CONFIG_MAX];   /* [tsigkey:NAME] */
	size_t n_tsigkeys;
};

/* A repeated section [PREFIX:NAME], parsed by its own module: config.c routes its lines through one row
 * of its repeated-section table (offsets of the module's instance array and count in struct config). */
struct config_repeated {
	const char *prefix;            /* "catalog:" */
	size_t array;                  /* offsetof(struct config, the instance array) */
	size_t count;                  /* offsetof(struct config, its size_t count) */
	size_t size;                   /* sizeof one instance */
	/* The instance for NAME in array[0..*n), added with its defaults at line when new. Returns it, or NULL
	 * with err set. */
	void *(*open)(void *array, size_t *n, const char *name, int line, char *err, size_t errlen);
	/* Apply key = value: 0, -1 with err set (an error), 1 with err set (a warning). */
	int (*key)(void *inst, const char *key, const char *value, char *err, size_t errlen);
	/* After the whole file: 0, or -1 with err set and *line the line to name. */
	int (*finish)(void *inst, int *line, char *err, size_t errlen);
	const char *doc;               /* the sample's comment for the section (lines split by '\n') */
};

/* Fill cfg with the defaults (the table's). Returns the number of rows whose default did not parse (0). */
int config_defaults(struct config *cfg);
/* Read path over cfg (defaults first). Every problem is printed to err as "file:line: error: text"
 * (or "warning:"; warnings do not fail). Returns the number of errors (0 = usable). */
int config_load(struct config *cfg, const char *path, FILE *err);
/* The same for INI text held in memory; name is used in messages. */
int config_load_string(struct config *cfg, const char *text, const char *name, FILE *err);
/* Checks that need the whole file (e.g. masters for msdns), printed to err. Returns the error count. */
int config_validate(const struct config *cfg, const char *name, FILE *err);
/* Write the sample configuration file (every key, its documentation and default) from the table to f. */
void config_write_sample(FILE *f);
/* Write cfg's masters as comma-separated IPs (no ports) to out. Returns 0, or -1 when they do not fit. */
int config_masters_text(const struct config *cfg, char *out, size_t len);
/* Whether addr is allowed to send by allow_notify (an empty list allows everyone). */
int config_allowed(const struct config *cfg, const struct netaddr *addr);

#endif
