/* The backend interface: a table of operations over an implementation's state. */
#include "backend.h"

#include <stdlib.h>

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
backend_start(struct backend *b, const struct zoneop *op, zoneop_done_fn *done, void *arg)
{
	return b->ops->start(b->impl, op, done, arg);
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
