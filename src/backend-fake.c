/* Designate's fake backend: each operation completes DONE on the next loop iteration (tests, benchmarks). */
#include "backend-fake.h"

#include <stdlib.h>

#include <event2/event.h>

struct fake_op {
	zoneop_done_fn *done;
	void *arg;
};

static void
fake_complete(evutil_socket_t fd, short what, void *p)
{
	struct fake_op op = *(struct fake_op *)p;

	(void)fd;
	(void)what;
	free(p);
	op.done(op.arg, ZONEOP_DONE, NULL, 0);
}

static int
fake_start(void *impl, const struct zoneop *op, zoneop_done_fn *done, void *arg)
{
	struct fake_op *f = malloc(sizeof *f);
	static const struct timeval now = { 0, 0 };

	(void)op;
	if (f == NULL)
		return -1;
	f->done = done;
	f->arg = arg;
	if (event_base_once(impl, -1, EV_TIMEOUT, fake_complete, f, &now) != 0) {
		free(f);
		return -1;
	}
	return 0;
}

static void
fake_free(void *impl)
{
	(void)impl;   /* pending completions run from the loop; the loop outlives the backend */
}

static const struct backend_ops fake_ops = { "fake", fake_start, fake_free };

struct backend *
backend_fake_new(struct event_base *base)
{
	return backend_new(&fake_ops, base);
}
