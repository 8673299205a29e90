/* The agent protocol (docs/protocol.md): what each message means and how it is answered (pure). */
#include "agent.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "tsig.h"

static const char *const kind_names[] = { "DROP", "REFUSE", "CREATE", "DELETE", "NOTIFY" };

const char *
agent_kind_name(enum agent_kind k)
{
	return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

int
agent_zone_name(const uint8_t *name, size_t len, char out[ZONE_NAME_MAX])
{
	size_t i = 0, o = 0;

	while (i < len && name[i] != 0) {
		uint8_t l = name[i++];
		size_t j;

		if (l > WIRE_LABEL_MAX || i + l > len)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (j = 0; j < l; j++, i++) {
			unsigned char c = name[i];

			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return -1;
			if (o >= ZONE_NAME_MAX - 1)
				return -1;
			out[o++] = (char)c;
		}
	}
	if (o == 0 || o > 253 || out[0] == '-')
		return -1;
	out[o] = '\0';
	return 0;
}

void
agent_classify(const struct config *cfg, const struct wire_msg *m, const struct netaddr *peer,
    struct agent_verdict *v)
{
	unsigned opcode;
	const struct wire_question *q;

	memset(v, 0, sizeof *v);
	v->kind = AGENT_DROP;
	if (m == NULL) {
		v->why = "unparsable message";
		return;
	}
	if (m->flags & WIRE_FLAG_QR) {
		v->why = "QR is set (a response, not a request)";
		return;
	}
	if (m->nq == 0) {
		v->why = "no question";
		return;
	}
	if (m->has_tsig) {
		v->why = "TSIG-signed, and no key is configured";
		return;
	}
	v->kind = AGENT_REFUSE;
	opcode = wire_opcode(m->flags);
	q = &m->q[0];
	if (opcode != WIRE_OPCODE_NOTIFY && opcode != WIRE_OPCODE_CC) {
		v->why = "opcode not handled (only NOTIFY and CC)";
		return;
	}
	if (opcode == WIRE_OPCODE_CC && q->qclass != WIRE_CLASS_CC) {
		v->why = "CC opcode with a class other than 65280";
		return;
	}
	if (opcode == WIRE_OPCODE_CC && q->qtype != WIRE_TYPE_CC_CREATE && q->qtype != WIRE_TYPE_CC_DELETE) {
		v->why = "CC opcode with a type other than CREATE (65282) or DELETE (65283)";
		return;
	}
	if (!config_allowed(cfg, peer)) {
		v->why = "source not in allow_notify";
		return;
	}
	if (agent_zone_name(q->name, q->name_len, v->op.zone) != 0) {
		v->why = "zone name not acceptable (letters, digits, '-', '_' and dots only; 1-253 characters)";
		v->op.zone[0] = '\0';
		return;
	}
	if (opcode == WIRE_OPCODE_NOTIFY) {
		v->kind = AGENT_NOTIFY;
		v->op.kind = ZONEOP_REFRESH;
		v->why = "NOTIFY: refresh the secondary zone from the masters";
	} else if (q->qtype == WIRE_TYPE_CC_CREATE) {
		v->kind = AGENT_CREATE;
		v->op.kind = ZONEOP_CREATE;
		v->why = "CREATE: add a secondary zone of our masters (nothing to do when it is there)";
	} else {
		v->kind = AGENT_DELETE;
		v->op.kind = ZONEOP_DELETE;
		if (cfg->msdns.delete_unmanaged_zones)
			v->op.flags |= ZONEOP_F_UNMANAGED;
		v->why = "DELETE: remove our secondary zone (nothing to do when it is absent)";
	}
}

/* Whether a and b are the same key (name, algorithm, secret). */
static int
same_key(const struct tsig_key *a, const struct tsig_key *b)
{
	return a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0 && a->alg == b->alg &&
	    a->secret_len == b->secret_len && memcmp(a->secret, b->secret, a->secret_len) == 0;
}

/* Whether key is the key of [tsigkey:NAME] section name. */
static int
key_is(const struct config *cfg, const char *name, const struct tsig_key *key)
{
	const struct tsig_config *c = tsig_config_find(cfg->tsigkeys, cfg->n_tsigkeys, name);

	return c != NULL && same_key(&c->key, key);
}

/* Whether key is named in tsig_keys. */
static int
key_in_agent(const struct config *cfg, const struct tsig_key *key)
{
	struct tsig_key keys[TSIG_CONFIG_MAX];
	size_t i, n;

	agent_tsig_keys(cfg, keys, &n);
	for (i = 0; i < n; i++)
		if (same_key(&keys[i], key))
			return 1;
	return 0;
}

void
agent_classify_signed(const struct config *cfg, const struct wire_msg *m, const struct netaddr *peer,
    const struct tsig_key *key, struct agent_verdict *v)
{
	char zone[ZONE_NAME_MAX];
	const struct catalog_config *cat = NULL;
	size_t i;
	int in_agent;

	if (key == NULL || m == NULL || (m->flags & WIRE_FLAG_QR) || m->nq == 0) {
		agent_classify(cfg, m, peer, v);
		v->key = key;
		return;
	}
	in_agent = key_in_agent(cfg, key);
	if (wire_opcode(m->flags) == WIRE_OPCODE_NOTIFY && agent_zone_name(m->q[0].name, m->q[0].name_len, zone) == 0)
		for (i = 0; i < cfg->n_catalogs && cat == NULL; i++)
			if (strcmp(cfg->catalogs[i].name, zone) == 0 && cfg->catalogs[i].tsig_key[0] != '\0' &&
			    key_is(cfg, cfg->catalogs[i].tsig_key, key))
				cat = &cfg->catalogs[i];
	if (cat != NULL && (!in_agent || !config_allowed(cfg, peer))) {
		/* RFC 9432 consumers take a NOTIFY for the catalog signed with its key from anywhere (issue 10) */
		memset(v, 0, sizeof *v);
		v->kind = AGENT_NOTIFY;
		v->op.kind = ZONEOP_REFRESH;
		memcpy(v->op.zone, zone, sizeof zone);
		v->key = key;
		v->catalog_key = 1;
		v->why = "NOTIFY for a catalog, signed with the catalog's tsig_key: check the catalog (any source)";
		return;
	}
	if (!in_agent) {
		memset(v, 0, sizeof *v);
		v->kind = AGENT_REFUSE;
		v->key = key;
		v->key_refused = 1;
		v->why = "signed with a key that is not in tsig_keys (a catalog's tsig_key is accepted only on NOTIFYs "
		    "for that catalog)";
		return;
	}
	agent_classify(cfg, m, peer, v);
	v->key = key;
}

void
agent_result_reply(enum agent_kind kind, enum zoneop_result r, unsigned *rcode, int *aa)
{
	*rcode = WIRE_RCODE_SERVFAIL;
	*aa = 0;
	switch (kind) {
	case AGENT_CREATE:
		if (r == ZONEOP_DONE) {
			*rcode = WIRE_RCODE_NOERROR;
			*aa = 1;
		}
		break;
	case AGENT_DELETE:
		*aa = 1;   /* the original set AA before deleting */
		if (r == ZONEOP_DONE || r == ZONEOP_ABSENT)
			*rcode = WIRE_RCODE_NOERROR;
		break;
	case AGENT_NOTIFY:
		if (r == ZONEOP_DONE) {
			*rcode = WIRE_RCODE_NOERROR;
			*aa = 1;
		} else if (r == ZONEOP_ABSENT) {
			*rcode = WIRE_RCODE_REFUSED;
		}
		break;
	default:
		*rcode = WIRE_RCODE_REFUSED;
		break;
	}
}

size_t
agent_tsig_keys(const struct config *cfg, struct tsig_key keys[TSIG_CONFIG_MAX], size_t *n)
{
	char buf[sizeof cfg->agent.tsig_keys], *save = NULL, *tok;

	*n = 0;
	memcpy(buf, cfg->agent.tsig_keys, sizeof buf);
	for (tok = strtok_r(buf, ", \t", &save); tok && *n < TSIG_CONFIG_MAX; tok = strtok_r(NULL, ", \t", &save)) {
		const struct tsig_config *c = tsig_config_find(cfg->tsigkeys, cfg->n_tsigkeys, tok);

		if (c != NULL && c->key.name_len > 0)
			keys[(*n)++] = c->key;
	}
	return *n;
}

size_t
agent_request_keys(const struct config *cfg, struct tsig_key keys[TSIG_CONFIG_MAX], size_t *n)
{
	size_t i, j;

	agent_tsig_keys(cfg, keys, n);
	for (i = 0; i < cfg->n_catalogs && *n < TSIG_CONFIG_MAX; i++) {
		const struct tsig_config *c;

		if (cfg->catalogs[i].tsig_key[0] == '\0' ||
		    (c = tsig_config_find(cfg->tsigkeys, cfg->n_tsigkeys, cfg->catalogs[i].tsig_key)) == NULL ||
		    c->key.name_len == 0)
			continue;
		for (j = 0; j < *n; j++)
			if (keys[j].name_len == c->key.name_len && memcmp(keys[j].name, c->key.name, c->key.name_len) == 0)
				break;
		if (j == *n)
			keys[(*n)++] = c->key;
	}
	return *n;
}

void
agent_tsig_refusal(enum tsig_status s, unsigned *rcode, int *sign)
{
	/* RFC 8945 §5.2: key, MAC and time failures are NOTAUTH with the error in the TSIG; a malformed TSIG
	 * is FORMERR; BADKEY and BADSIG replies are unsigned, BADTIME is signed (tsig_sign_reply decides) */
	*sign = s == TSIG_BADKEY || s == TSIG_BADSIG || s == TSIG_BADTIME;
	*rcode = s == TSIG_FORMERR ? WIRE_RCODE_FORMERR : s == TSIG_INTERNAL ? WIRE_RCODE_SERVFAIL :
	    WIRE_RCODE_NOTAUTH;
}

void
agent_full_reply(enum agent_kind kind, unsigned *rcode, int *aa)
{
	agent_result_reply(kind, ZONEOP_FAILED, rcode, aa);
}

const char *
agent_result_detail(enum agent_kind kind, enum zoneop_result r)
{
	if (r == ZONEOP_NOT_OURS && kind == AGENT_DELETE)
		return "the zone is not ours (not a file-backed secondary of our masters); not deleted "
		    "(the backend's setting for unmanaged zones allows it)";
	if (r == ZONEOP_NOT_OURS)
		return "the zone exists but is not a file-backed secondary zone; not changed";
	if (r == ZONEOP_ABSENT && kind == AGENT_NOTIFY)
		return "zone does not exist";
	return zoneop_result_name(r);
}
