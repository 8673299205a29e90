/* [catalog:NAME] sections: keys parsed with bounds, names validated by the agent's rules. */
#include "catalog-config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "wire.h"

static int err_set(char *err, size_t len, const char *fmt, ...) LOG_PRINTF(3, 4);

static int
err_set(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* text (trailing dot optional, any case) as a zone name by the agent's rules. Returns 0 or -1. */
static int
zone_text(const char *text, char out[CATALOG_CONFIG_NAME_MAX])
{
	uint8_t wire[WIRE_NAME_MAX];
	char tmp[ZONE_NAME_MAX];
	size_t len = wire_name_from_text(text, wire);

	if (len == 0 || agent_zone_name(wire, len, tmp) != 0)
		return -1;
	snprintf(out, CATALOG_CONFIG_NAME_MAX, "%s", tmp);
	return 0;
}

struct catalog_config *
catalog_config_section(struct catalog_config *cats, size_t *n, const char *section, int line, char *err,
    size_t errlen)
{
	char name[CATALOG_CONFIG_NAME_MAX];
	struct catalog_config *c;
	size_t i;

	if (zone_text(section, name) != 0) {
		err_set(err, errlen, "[catalog:%s]: '%s' is not a valid catalog zone name", section, section);
		return NULL;
	}
	for (i = 0; i < *n; i++)
		if (strcmp(cats[i].name, name) == 0)
			return &cats[i];
	if (*n >= CATALOG_CONFIG_MAX) {
		err_set(err, errlen, "[catalog:%s]: more than %d catalogs", section, CATALOG_CONFIG_MAX);
		return NULL;
	}
	c = &cats[(*n)++];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->line = line;
	c->max_deletions = 100;
	c->reconcile_interval = 3600;
	return c;
}

/* Split value at commas into trimmed items; fn is called for each non-empty one. Returns 0 or fn's -1. */
static int
each_item(const char *value, int (*fn)(void *arg, const char *item, char *err, size_t errlen), void *arg, char *err,
    size_t errlen)
{
	char item[600];
	const char *p = value;

	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= sizeof item)
			return err_set(err, errlen, "'%.40s...' is too long", p);
		if (n > 0) {
			memcpy(item, p, n);
			item[n] = '\0';
			if (fn(arg, item, err, errlen) != 0)
				return -1;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

static int
add_master(void *arg, const char *item, char *err, size_t errlen)
{
	struct catalog_config *c = arg;

	if (c->n_masters >= CATALOG_CONFIG_ADDRS)
		return err_set(err, errlen, "masters: more than %d addresses", CATALOG_CONFIG_ADDRS);
	if (netaddr_parse_hostport(item, 53, &c->masters[c->n_masters]) != 0)
		return err_set(err, errlen, "masters: '%s' is not an IP address with an optional port", item);
	c->n_masters++;
	return 0;
}

static int
add_member_master(void *arg, const char *item, char *err, size_t errlen)
{
	struct catalog_config *c = arg;
	struct netaddr a;
	char ip[NETADDR_TEXT_MAX];
	size_t len = strlen(c->member_masters);

	if (netaddr_parse_ip(item, &a) != 0)
		return err_set(err, errlen, "member_masters: '%s' is not an IP address (no port: Microsoft DNS "
		    "transfers member zones from port 53)", item);
	netaddr_ip_text(&a, ip, sizeof ip);
	if (len + strlen(ip) + 2 > sizeof c->member_masters)
		return err_set(err, errlen, "member_masters: too many addresses");
	snprintf(c->member_masters + len, sizeof c->member_masters - len, "%s%s", len > 0 ? "," : "", ip);
	return 0;
}

static int
add_suffix(void *arg, const char *item, char *err, size_t errlen)
{
	struct catalog_config *c = arg;

	if (c->n_suffixes >= CATALOG_CONFIG_SUFFIXES)
		return err_set(err, errlen, "member_suffixes: more than %d names", CATALOG_CONFIG_SUFFIXES);
	if (zone_text(item, c->suffixes[c->n_suffixes]) != 0)
		return err_set(err, errlen, "member_suffixes: '%s' is not a valid zone name", item);
	c->n_suffixes++;
	return 0;
}

static int
parse_uint(const char *key, const char *value, unsigned long max, unsigned *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || v > max)
		return err_set(err, errlen, "%s: '%s' is not a whole number from 0 to %lu", key, value, max);
	*out = (unsigned)v;
	return 0;
}

int
catalog_config_key(struct catalog_config *c, const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "masters") == 0) {
		c->n_masters = 0;
		if (each_item(value, add_master, c, err, errlen) != 0)
			return -1;
		if (c->n_masters == 0)
			return err_set(err, errlen, "masters: at least one address is needed");
		return 0;
	}
	if (strcmp(key, "tsig_key") == 0) {
		if (value[0] == '\0') {
			c->tsig_key[0] = '\0';
			return 0;
		}
		if (zone_text(value, c->tsig_key) != 0)
			return err_set(err, errlen, "tsig_key: '%s' is not a valid key name", value);
		return 0;
	}
	if (strcmp(key, "member_masters") == 0) {
		c->member_masters[0] = '\0';
		return each_item(value, add_member_master, c, err, errlen);
	}
	if (strcmp(key, "member_suffixes") == 0) {
		c->n_suffixes = 0;
		return each_item(value, add_suffix, c, err, errlen);
	}
	if (strcmp(key, "max_deletions") == 0)
		return parse_uint(key, value, 100000000ul, &c->max_deletions, err, errlen);
	if (strcmp(key, "refresh") == 0)
		return parse_uint(key, value, 2147483647ul, &c->refresh, err, errlen);
	if (strcmp(key, "reconcile_interval") == 0)
		return parse_uint(key, value, 2147483647ul, &c->reconcile_interval, err, errlen);
	err_set(err, errlen, "unknown key '%s' in [catalog:%s], ignored", key, c->name);
	return 1;
}

int
catalog_config_finish(struct catalog_config *c, char *err, size_t errlen)
{
	size_t i;

	if (c->n_masters == 0)
		return err_set(err, errlen, "[catalog:%s]: masters is required (where the catalog is transferred from)",
		    c->name);
	if (c->member_masters[0] == '\0') {
		for (i = 0; i < c->n_masters; i++) {
			char ip[NETADDR_TEXT_MAX];
			size_t len = strlen(c->member_masters);

			char have[sizeof c->member_masters + 2], want[NETADDR_TEXT_MAX + 2];

			netaddr_ip_text(&c->masters[i], ip, sizeof ip);
			snprintf(have, sizeof have, ",%s,", c->member_masters);
			snprintf(want, sizeof want, ",%s,", ip);
			if (strstr(have, want) != NULL)
				continue;   /* one master on two ports */
			if (len + strlen(ip) + 2 > sizeof c->member_masters)
				return err_set(err, errlen, "[catalog:%s]: too many masters for member_masters", c->name);
			snprintf(c->member_masters + len, sizeof c->member_masters - len, "%s%s", len > 0 ? "," : "", ip);
		}
	}
	return 0;
}

void *
catalog_config_open(void *array, size_t *n, const char *name, int line, char *err, size_t errlen)
{
	return catalog_config_section(array, n, name, line, err, errlen);
}

int
catalog_config_key_any(void *inst, const char *key, const char *value, char *err, size_t errlen)
{
	return catalog_config_key(inst, key, value, err, errlen);
}

int
catalog_config_finish_any(void *inst, int *line, char *err, size_t errlen)
{
	struct catalog_config *c = inst;

	*line = c->line;
	return catalog_config_finish(c, err, errlen);
}

const char catalog_config_doc[] =
    "Catalog zones (RFC 9432; Designate 2024.1 and later): one section per catalog consumed. The agent\n"
    "transfers the catalog and creates and deletes its member zones in Microsoft DNS (file-backed\n"
    "secondaries), beside the agent protocol. The section name is the catalog zone's name.\n"
    "[catalog:cat.example.]\n"
    "Required: where the catalog is transferred from (TCP), tried in order; IP with optional port (53).\n"
    "masters = 192.0.2.10:5354, 192.0.2.11\n"
    "A [tsigkey:NAME] section used for the SOA query and the transfer. Default: unsigned. A NOTIFY for\n"
    "the catalog signed with it is accepted from any source; it authorizes nothing else unless it is\n"
    "also in tsig_keys.\n"
    "tsig_key = catkey.\n"
    "Masters given to Microsoft DNS for member zones (IPs; it transfers from port 53). Default: the IPs\n"
    "of masters.\n"
    "member_masters = 192.0.2.10\n"
    "Admissible members (RFC 9432 section 7): equal to or under one of these. Default: any valid name.\n"
    "member_suffixes = example.com., example.net.\n"
    "An update that would delete more member zones than this is not applied (logged as an error on every\n"
    "check until raised). 0 = no limit: an empty catalog then deletes every member.\n"
    "max_deletions = 100\n"
    "Seconds between checks of the catalog; 0: the catalog SOA's refresh (retry and expire from the SOA).\n"
    "refresh = 0\n"
    "Seconds between drift checks (one List of Microsoft DNS's zones; members missing are created again).\n"
    "reconcile_interval = 3600";
