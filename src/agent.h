/* The agent protocol (PROTOCOL.md §3): what each message means and how it is answered. */
#ifndef MSDNS_AGENT_H
#define MSDNS_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"
#include "tsig-config.h"
#include "wire.h"
#include "zoneop.h"

struct config;
struct zoneq;
struct agent;

#define AGENT_REPLY_MAX 8192

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
	const struct tsig_key *key;     /* set by agent_handle: the TSIG key that verified the request (the
	                                 * catalog code accepts its own key's NOTIFY); NULL: unsigned */
};

/* Called with the reply to send (len 0: send nothing). May run before agent_handle returns. */
typedef void agent_reply_fn(void *arg, const uint8_t *reply, size_t len);

/* Validate a wire name as a zone for the command line (letters, digits, '-', '_', dot-separated
 * labels, 1..253 characters, no leading '-') and write it lower case without the trailing dot.
 * Returns 0, or -1 when it is not acceptable. */
int agent_zone_name(const uint8_t *name, size_t len, char out[ZONE_NAME_MAX]);
/* Decide what the parsed message m from peer asks for (m == NULL: unparsable). */
void agent_classify(const struct config *cfg, const struct wire_msg *m, const struct netaddr *peer,
    struct agent_verdict *v);
/* The answer to a request of kind after its operation ended with r. */
void agent_result_reply(enum agent_kind kind, enum zoneop_result r, unsigned *rcode, int *aa);
/* The keys of [service:agent] tsig_keys, from their [tsigkey:NAME] sections, into keys. Returns *n. */
size_t agent_tsig_keys(const struct config *cfg, struct tsig_key keys[TSIG_CONFIG_MAX], size_t *n);
/* The answer to a request whose TSIG check ended with s (not OK or UNSIGNED): the rcode, and whether the
 * reply carries a TSIG (RFC 8945 §5.2: NOTAUTH + BADKEY/BADSIG unsigned, + BADTIME signed; FORMERR bare). */
void agent_tsig_refusal(enum tsig_status s, unsigned *rcode, int *sign);
/* The answer to a request the queue did not accept (full): SERVFAIL, AA as for a failure. */
void agent_full_reply(enum agent_kind kind, unsigned *rcode, int *aa);

/* An agent answering by cfg and running operations through q. Returns NULL on allocation failure. */
struct agent *agent_new(const struct config *cfg, struct zoneq *q);
/* Handle one message from peer over transport ("udp"/"tcp"); reply() is called exactly once. */
void agent_handle(struct agent *a, const uint8_t *msg, size_t len, const struct netaddr *peer,
    const char *transport, agent_reply_fn *reply, void *arg);
void agent_free(struct agent *a);

#endif
