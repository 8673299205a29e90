/* Configuration: designate.conf's [service:agent] and [backend:agent:msdns] read from an INI file. */
#ifndef MSDNS_CONFIG_H
#define MSDNS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netaddr.h"

#define CONFIG_MAX_ADDRS 32

struct config_prefix {
	struct netaddr addr;
	unsigned bits;
};

enum config_backend { CONFIG_BACKEND_MSDNS, CONFIG_BACKEND_FAKE };

struct config {
	/* [DEFAULT] */
	int debug;
	char log_file[512];
	/* [service:agent] */
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
	/* [backend:agent:msdns] */
	char powershell[512];
	char script[512];
	char execution_policy[32];
	double operation_timeout;      /* seconds */
	int max_concurrent;
	int max_queued;
	int delete_unmanaged_zones;
};

/* Fill cfg with the defaults. */
void config_defaults(struct config *cfg);
/* Read path over cfg (defaults first). Every problem is printed to err as "file:line: error: text"
 * (or "warning:"; warnings do not fail). Returns the number of errors (0 = usable). */
int config_load(struct config *cfg, const char *path, FILE *err);
/* The same for INI text held in memory; name is used in messages. */
int config_load_string(struct config *cfg, const char *text, const char *name, FILE *err);
/* Checks that need the whole file (e.g. masters for msdns), printed to err. Returns the error count. */
int config_validate(const struct config *cfg, const char *name, FILE *err);
/* Write cfg's masters as comma-separated IPs (no ports) to out. Returns 0, or -1 when they do not fit. */
int config_masters_text(const struct config *cfg, char *out, size_t len);
/* Whether addr is allowed to send by allow_notify (an empty list allows everyone). */
int config_allowed(const struct config *cfg, const struct netaddr *addr);

#endif
