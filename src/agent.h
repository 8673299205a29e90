/* The agent protocol (docs/protocol.md): what each message means and how it is answered (pure: no event
 * loop; requests in flight are agent-req.c's). */
#ifndef MSDNS_AGENT_H
#define MSDNS_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"
#include "tsig-config.h"
#include "wire.h"
#include "zoneop.h"

struct config;


/* What a message asks for, decided before anything runs. */
enum agent_kind {
	AGENT_DROP,        /* no reply at all */
	AGENT_REFUSE,      /* answered REFUSED at once */
	AGENT_CREATE,
	AGENT_DELETE,
	AGENT_NOTIFY,
};

struct agent_verdict {
	enum agent_kind kind;
	const char *why;                /* for the log and --explain */
	struct zoneop op;               /* CREATE/DELETE/NOTIFY: the operation (zone validated, lower case,
	                                 * no trailing dot; masters ""; flags as the configuration says) */
	const struct tsig_key *key;     /* the TSIG key that verified the request; NULL: unsigned */
	int key_refused;                /* REFUSE: the request verified with a key that is not in tsig_keys and is
	                                 * accepted only on NOTIFYs for its catalog: answered NOTAUTH + BADKEY */
	int catalog_key;                /* NOTIFY accepted only because it is for a [catalog:NAME] signed with that
	                                 * catalog's tsig_key (from a source outside allow_notify, or a key not in
	                                 * tsig_keys): it may only schedule that catalog's check, never a refresh */
};

/* Validate a wire name as a zone for the command line (letters, digits, '-', '_', dot-separated
 * labels, 1..253 characters, no leading '-') and write it lower case without the trailing dot.
 * Returns 0, or -1 when it is not acceptable. */
int agent_zone_name(const uint8_t *name, size_t len, char out[ZONE_NAME_MAX]);
/* Decide what the parsed message m from peer asks for (m == NULL: unparsable). */
void agent_classify(const struct config *cfg, const struct wire_msg *m, const struct netaddr *peer,
    struct agent_verdict *v);
/* Like agent_classify, for a request whose TSIG verified with key (NULL: unsigned; the caller has cleared
 * m->has_tsig). A key in tsig_keys is handled as agent_classify does; a NOTIFY for a consumed catalog signed with
 * that catalog's tsig_key is accepted from any source (catalog_key set when only that accepts it); any other
 * request signed with a key that is not in tsig_keys is refused (key_refused). */
void agent_classify_signed(const struct config *cfg, const struct wire_msg *m, const struct netaddr *peer,
    const struct tsig_key *key, struct agent_verdict *v);
/* The answer to a request of kind after its operation ended with r. */
void agent_result_reply(enum agent_kind kind, enum zoneop_result r, unsigned *rcode, int *aa);
/* The keys of [service:agent] tsig_keys, from their [tsigkey:NAME] sections, into keys. Returns *n. */
size_t agent_tsig_keys(const struct config *cfg, struct tsig_key keys[TSIG_CONFIG_MAX], size_t *n);
/* The keys a request is verified with: those of tsig_keys, then the [catalog:*] tsig_keys not among them
 * (agent_classify_signed accepts those only on their catalog's NOTIFY). Returns *n. */
size_t agent_request_keys(const struct config *cfg, struct tsig_key keys[TSIG_CONFIG_MAX], size_t *n);
/* The answer to a request whose TSIG check ended with s (not OK or UNSIGNED): the rcode, and whether the
 * reply carries a TSIG (RFC 8945 §5.2: NOTAUTH + BADKEY/BADSIG unsigned, + BADTIME signed; FORMERR bare). */
void agent_tsig_refusal(enum tsig_status s, unsigned *rcode, int *sign);
/* The answer to a request the queue did not accept (full): SERVFAIL, AA as for a failure. */
void agent_full_reply(enum agent_kind kind, unsigned *rcode, int *aa);

/* "DROP", "REFUSE", "CREATE", "DELETE", "NOTIFY": the one spelling of the request kinds. */
const char *agent_kind_name(enum agent_kind k);
/* Why a request of kind got its answer after its operation ended with r (for the log). */
const char *agent_result_detail(enum agent_kind kind, enum zoneop_result r);

#endif
