/* The one backend for tests: records every operation; ends each on the next loop turn with a scripted
 * result, or holds it until the test ends it. */
#ifndef MSDNS_TESTBACKEND_H
#define MSDNS_TESTBACKEND_H

#include <stddef.h>

#include "backend.h"
#include "msdns.h"
#include "zoneop.h"

struct event_base;

#define TB_MAX_OPS 4096

enum tb_mode {
	TB_AUTO,   /* each operation ends with tb.result on the next loop iteration */
	TB_HOLD,   /* each operation waits for tb_finish() */
};

struct tb_started {
	struct zoneop op;          /* as the backend was given it */
	zoneop_done_fn *done;
	void *arg;
	int finished;
};

/* What the test backend saw and does; reset by tb_backend_new. */
extern struct tb_state {
	enum zoneop_result result;          /* TB_AUTO: every operation's result */
	const struct zoneop_zone *zones;    /* TB_AUTO: what a LIST that ends DONE returns */
	size_t n_zones;
	int refuse_starts;                  /* this many starts fail (return -1) before one works */
	int start_calls;                    /* starts asked for, refused ones included */
	size_t n;                           /* operations started */
	struct tb_started ops[TB_MAX_OPS];
} tb;

/* A backend on base in mode (free with backend_free); resets tb. Returns NULL on allocation failure. */
struct backend *tb_backend_new(struct event_base *base, enum tb_mode mode);
/* End held operation i with r (it must not have ended). */
void tb_finish(size_t i, enum zoneop_result r);
/* The last operation started (tb.n > 0). */
const struct zoneop *tb_last(void);
/* Copies listed zone z into to, which outlives the List's answer (its strings last only during the call). */
void tb_keep_zone(struct msdns_zone *to, const struct zoneop_zone *z);

#endif
