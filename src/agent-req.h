/* Requests in flight: each message classified, its operation submitted to the queue, answered when done. */
#ifndef MSDNS_AGENT_REQ_H
#define MSDNS_AGENT_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

struct config;
struct zoneq;
struct agent_req;

/* Called with the reply to send (len 0: send nothing). May run before agent_req_handle returns. */
typedef void agent_reply_fn(void *arg, const uint8_t *reply, size_t len);

/* Requests answered by cfg, their operations run through q. Returns NULL on allocation failure. */
struct agent_req *agent_req_new(const struct config *cfg, struct zoneq *q);
/* Handle one message from peer over transport ("udp"/"tcp"); reply() is called exactly once. */
void agent_req_handle(struct agent_req *a, const uint8_t *msg, size_t len, const struct netaddr *peer,
    const char *transport, agent_reply_fn *reply, void *arg);
/* Whether a NOTIFY for zone names a consumed catalog; when it does (1) the callee schedules a check and
 * the NOTIFY is answered NOERROR+AA at once. */
typedef int agent_catalog_fn(void *arg, const char *zone);
/* Route NOTIFYs for catalogs through fn (NULL: none). */
void agent_req_set_catalog(struct agent_req *a, agent_catalog_fn *fn, void *arg);
/* Free a; its requests must all have been answered. */
void agent_req_free(struct agent_req *a);

#endif
