/* The golden vectors of docs/protocol.md, once for every test. */
#ifndef MSDNS_VECTORS_H
#define MSDNS_VECTORS_H

#include <stddef.h>

/* One request from Designate's handler tests and the reply the original agent gave it (hex). */
struct tu_golden {
	const char *name;      /* "NOTIFY", "CREATE not allowed", ... */
	const char *source;    /* the peer in those tests: 0.0.0.0 allowed, 6.6.6.6 refused */
	const char *request;
	const char *reply;
	unsigned rcode;        /* of the reply */
	int aa;                /* AA in the reply */
	int allowed;           /* the source passes allow_notify = 0.0.0.0, so the backend is called */
};

#define TU_GOLDEN_N 6
extern const struct tu_golden tu_golden[TU_GOLDEN_N];

#endif
