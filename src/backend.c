/* The backend interface and Designate's fake backend. */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"

struct backend {
	const struct backend_ops *ops;
	void *impl;
};

struct backend *
backend_new(const struct backend_ops *ops, void *impl)
{
	struct backend *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	b->ops = ops;
	b->impl = impl;
	return b;
}

int
backend_start(struct backend *b, enum zone_op op, const char *zone, backend_done_fn *done, void *arg)
{
	return b->ops->start(b->impl, op, zone, done, arg);
}

const char *
backend_name(const struct backend *b)
{
	return b->ops->name;
}

void
backend_free(struct backend *b)
{
	if (b == NULL)
		return;
	b->ops->free(b->impl);
	free(b);
}

struct backend *
backend_from_config(struct event_base *base, const struct config *cfg)
{
	if (strcmp(cfg->backend_driver, "fake") == 0)
		return backend_fake_new(base);
	return backend_msdns_new(base, cfg);
}

const char *
zone_op_name(enum zone_op op)
{
	static const char *const names[] = { "Get", "Create", "Delete", "Refresh" };

	return names[op];
}

const char *
zone_result_name(enum zone_result r)
{
	static const char *const names[] = { "done", "absent", "not ours", "failed", "timed out", "queue full" };

	return names[r];
}

/* The fake backend: each operation completes with ZONE_DONE on the next loop iteration. */
struct fake_op {
	backend_done_fn *done;
	void *arg;
};

static void
fake_complete(evutil_socket_t fd, short what, void *p)
{
	struct fake_op op = *(struct fake_op *)p;

	(void)fd;
	(void)what;
	free(p);
	op.done(op.arg, ZONE_DONE);
}

static int
fake_start(void *impl, enum zone_op op, const char *zone, backend_done_fn *done, void *arg)
{
	struct fake_op *f = malloc(sizeof *f);
	static const struct timeval now = { 0, 0 };

	(void)op;
	(void)zone;
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
