/* The backend interface: a zone operation starts now and completes later on the event loop. */
#ifndef MSDNS_BACKEND_H
#define MSDNS_BACKEND_H

#include "zoneop.h"

struct backend;

/* The operations a backend provides; impl is its own state. */
struct backend_ops {
	const char *name;
	/* Start op (zone validated; masters "" = the backend's configured ones); op is copied. Returns 0
	 * when started (done is called later, on the loop), -1 when it could not start (done is not called). */
	int (*start)(void *impl, const struct zoneop *op, zoneop_done_fn *done, void *arg);
	/* Stop what runs (their done callbacks are called with ZONEOP_FAILED) and free impl. */
	void (*free)(void *impl);
};

/* Wrap impl with its ops. Returns NULL on allocation failure (impl is not freed). */
struct backend *backend_new(const struct backend_ops *ops, void *impl);
/* See backend_ops.start. */
int backend_start(struct backend *b, const struct zoneop *op, zoneop_done_fn *done, void *arg);
/* The backend's name ("fake", "msdns", ...). */
const char *backend_name(const struct backend *b);
/* Stop what runs (see backend_ops.free) and free b; NULL is allowed. */
void backend_free(struct backend *b);

#endif
