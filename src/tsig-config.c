/* [tsigkey:NAME] sections: one TSIG key each (algorithm, base64 secret), parsed and validated (pure). */
#include "tsig-config.h"

#include <stdio.h>
#include <string.h>

/* Whether two key names are the same name (case and a trailing dot ignored). */
static int
same_name(const char *a, const char *b)
{
	uint8_t wa[WIRE_NAME_MAX], wb[WIRE_NAME_MAX];
	char ta[WIRE_NAME_TEXT_MAX], tb[WIRE_NAME_TEXT_MAX];
	size_t la = wire_name_from_text(a, wa), lb = wire_name_from_text(b, wb);

	if (la == 0 || lb == 0)
		return 0;
	wire_name_to_text(wa, la, ta, sizeof ta);
	wire_name_to_text(wb, lb, tb, sizeof tb);
	return strcasecmp(ta, tb) == 0;
}

struct tsig_config *
tsig_config_section(struct tsig_config *keys, size_t *n, const char *section, int line, char *err, size_t errlen)
{
	struct tsig_config *c;
	uint8_t w[WIRE_NAME_MAX];
	size_t i;

	for (i = 0; i < *n; i++)
		if (same_name(keys[i].name, section))
			return &keys[i];
	if (strlen(section) >= sizeof keys[0].name || wire_name_from_text(section, w) <= 1) {
		snprintf(err, errlen, "[tsigkey:%.80s]: the key name is not a valid domain name", section);
		return NULL;
	}
	if (*n == TSIG_CONFIG_MAX) {
		snprintf(err, errlen, "[tsigkey:%.80s]: more than %d keys", section, TSIG_CONFIG_MAX);
		return NULL;
	}
	c = &keys[(*n)++];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", section);
	snprintf(c->algorithm, sizeof c->algorithm, "hmac-sha256");
	c->line = line;
	return c;
}

int
tsig_config_key(struct tsig_config *c, const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "algorithm") == 0) {
		enum hmac_alg a;

		if (tsig_alg_from_name(value, &a) != 0) {
			snprintf(err, errlen, "[tsigkey:%s] algorithm: '%.40s' is not one of hmac-md5, hmac-sha1, "
			    "hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512", c->name, value);
			return -1;
		}
		if (!hmac_supported(a)) {
			snprintf(err, errlen, "[tsigkey:%s] algorithm: %s is not provided by this platform's crypto "
			    "(%s); choose another", c->name, tsig_alg_name(a), hmac_provider());
			return -1;
		}
		snprintf(c->algorithm, sizeof c->algorithm, "%s", tsig_alg_name(a));
		return 0;
	}
	if (strcmp(key, "secret") == 0) {
		uint8_t tmp[TSIG_SECRET_MAX];
		long n;

		if (strlen(value) >= sizeof c->secret_b64) {
			snprintf(err, errlen, "[tsigkey:%s] secret: longer than %d octets", c->name, TSIG_SECRET_MAX);
			return -1;
		}
		n = tsig_base64_decode(value, tmp, sizeof tmp);
		memset(tmp, 0, sizeof tmp);
		c->have_secret = -1;   /* reported here; not again by tsig_config_finish */
		if (n < 0) {
			snprintf(err, errlen, "[tsigkey:%s] secret: not base64", c->name);
			return -1;
		}
		if (n < TSIG_SECRET_MIN) {
			snprintf(err, errlen, "[tsigkey:%s] secret: %ld octets; at least %d are needed (tsig-keygen and "
			    "keymgr -t make 32)", c->name, n, TSIG_SECRET_MIN);
			return -1;
		}
		snprintf(c->secret_b64, sizeof c->secret_b64, "%s", value);
		c->have_secret = 1;
		return 0;
	}
	snprintf(err, errlen, "unknown key '%.40s' in [tsigkey:%s], ignored", key, c->name);
	return 1;
}

int
tsig_config_finish(struct tsig_config *c, char *err, size_t errlen)
{
	char why[200];
	int rc;

	if (c->have_secret < 0)
		return 0;   /* a bad secret, already an error of its line; the key stays unusable (zero) */
	if (!c->have_secret) {
		snprintf(err, errlen, "[tsigkey:%s]: secret is required", c->name);
		return -1;
	}
	rc = tsig_key_init(&c->key, c->name, c->algorithm, c->secret_b64, why, sizeof why);
	memset(c->secret_b64, 0, sizeof c->secret_b64);
	if (rc != 0) {
		snprintf(err, errlen, "[tsigkey:%s]: %s", c->name, why);
		return -1;
	}
	return 0;
}

const struct tsig_config *
tsig_config_find(const struct tsig_config *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_name(keys[i].name, name))
			return &keys[i];
	return NULL;
}
