/* [tsigkey:NAME] sections: one TSIG key each (algorithm, base64 secret), parsed and validated (pure). */
#ifndef MSDNS_TSIG_CONFIG_H
#define MSDNS_TSIG_CONFIG_H

#include <stddef.h>

#include "tsig.h"

#define TSIG_CONFIG_MAX 16            /* keys one agent knows */

struct tsig_config {
	char name[WIRE_NAME_TEXT_MAX];    /* as written, trailing dot optional */
	int line;                         /* first line of the section */
	char algorithm[32];               /* default hmac-sha256 */
	int have_secret;                  /* 1 set, 0 missing, -1 bad (reported at its line) */
	struct tsig_key key;              /* valid after tsig_config_finish */
	char secret_b64[(TSIG_SECRET_MAX + 2) / 3 * 4 + 1];   /* cleared by tsig_config_finish */
};

/* The entry for section "tsigkey:NAME" (section is the text after "tsigkey:") in keys[0..*n), added with
 * its defaults when new (at line). Returns it, or NULL with err set (bad name, too many). */
struct tsig_config *tsig_config_section(struct tsig_config *keys, size_t *n, const char *section, int line,
    char *err, size_t errlen);
/* Apply key = value to c. Returns 0, -1 with err set, 1 with err set (a warning: unknown key ignored).
 * Messages never hold the secret. */
int tsig_config_key(struct tsig_config *c, const char *key, const char *value, char *err, size_t errlen);
/* Check a whole section and build its key (the secret text is then wiped). Returns 0, or -1 with err set. */
int tsig_config_finish(struct tsig_config *c, char *err, size_t errlen);
/* The key named name (trailing dot and case ignored) among keys[0..n), or NULL. */
const struct tsig_config *tsig_config_find(const struct tsig_config *keys, size_t n, const char *name);

#endif
