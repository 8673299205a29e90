/* Designate's fake backend: every zone exists, every operation succeeds, nothing happens. */
#ifndef MSDNS_BACKEND_FAKE_H
#define MSDNS_BACKEND_FAKE_H

#include "backend.h"

struct event_base;

/* A fake completing each operation DONE on the next loop iteration (LIST: no zones). Returns NULL on
 * allocation failure. */
struct backend *backend_fake_new(struct event_base *base);

#endif
