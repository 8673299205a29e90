/* The replay tool's logic: build or read one agent message, print messages dig-style, judge replies. */
#ifndef MSDNS_REPLAY_H
#define MSDNS_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netaddr.h"

struct config;
struct tsig_key;

enum replay_kind { REPLAY_CREATE, REPLAY_DELETE, REPLAY_NOTIFY };

/* Exit statuses: Designate's verdict. */
enum {
	REPLAY_OK = 0,         /* valid reply for the request, AA and NOERROR */
	REPLAY_BAD_REPLY = 1,  /* any other reply */
	REPLAY_NO_REPLY = 2,   /* nothing in time */
	REPLAY_USAGE = 64,
};

#define REPLAY_MSG_MAX 65535

/* Build the message Designate's controller sends for kind on zone (presentation text), with the
 * given id; edns adds an OPT record, rd sets RD. Returns its length, or 0 when zone is no valid
 * name (*err says why). */
size_t replay_build(enum replay_kind kind, const char *zone, uint16_t id, int edns, int rd, uint8_t *out,
    size_t outlen, const char **err);
/* Read a message from text: hex (white space allowed) or, when raw, the bytes themselves.
 * Returns its length, or 0 with *err set. */
size_t replay_read(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen, const char **err);
/* Print msg dig-style (header, flags, sections, EDNS, size). Unparsable input is said so, in hex. */
void replay_print(FILE *f, const uint8_t *msg, size_t len);
/* Judge reply against req as Designate does. Returns REPLAY_OK or REPLAY_BAD_REPLY; *why says what
 * was wrong (NULL when OK). */
int replay_verdict(const uint8_t *req, size_t reqlen, const uint8_t *reply, size_t replylen, const char **why);
/* The key of --tsig SPEC ([ALG:]NAME:SECRET, ALG default hmac-sha256) or of --tsig-file FILE (a [tsigkey:NAME]
 * section or BIND's key "NAME" { ... }; clause): give exactly one of spec and file. Returns 0, or -1 with err
 * saying why, starting with the option (never holding the secret). Shared by every command of the tool. */
int replay_tsig_key(const char *spec, const char *file, struct tsig_key *k, char *err, size_t errlen);
/* Say, without sending, what the agent would do with msg from peer; with cfg (non-NULL), also the
 * exact PowerShell command line it would start. Returns the exit status to use (REPLAY_OK when the
 * agent would act, REPLAY_BAD_REPLY when it would refuse or drop). */
int replay_explain(FILE *f, const struct config *cfg, const uint8_t *msg, size_t len, const struct netaddr *peer);

#endif
