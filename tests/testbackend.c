/* The one backend for tests: records every operation; ends each on the next loop turn with a scripted
 * result, or holds it until the test ends it. */
#include "testbackend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

struct tb_state tb;

static struct event_base *tb_base;
static enum tb_mode tb_mode;

static void
fire(evutil_socket_t fd, short what, void *p)
{
	struct tb_started *s = p;

	(void)fd;
	(void)what;
	s->finished = 1;
	s->done(s->arg, tb.result, tb.result == ZONEOP_DONE ? tb.zones : NULL,
	    tb.result == ZONEOP_DONE ? tb.n_zones : 0);
}

static int
start(void *impl, const struct zoneop *op, zoneop_done_fn *done, void *arg)
{
	static const struct timeval now = { 0, 0 };
	struct tb_started *s;

	(void)impl;
	tb.start_calls++;
	if (tb.refuse_starts > 0) {
		tb.refuse_starts--;
		return -1;
	}
	ck_assert_uint_lt(tb.n, TB_MAX_OPS);
	s = &tb.ops[tb.n++];
	s->op = *op;
	s->done = done;
	s->arg = arg;
	s->finished = 0;
	if (tb_mode == TB_AUTO)
		return event_base_once(tb_base, -1, EV_TIMEOUT, fire, s, &now);
	return 0;
}

static void
stop(void *impl)
{
	(void)impl;
}

static const struct backend_ops ops = { "test", start, stop };

struct backend *
tb_backend_new(struct event_base *base, enum tb_mode mode)
{
	memset(&tb, 0, sizeof tb);
	tb_base = base;
	tb_mode = mode;
	return backend_new(&ops, NULL);
}

void
tb_finish(size_t i, enum zoneop_result r)
{
	ck_assert_uint_lt(i, tb.n);
	ck_assert(!tb.ops[i].finished);
	tb.ops[i].finished = 1;
	tb.ops[i].done(tb.ops[i].arg, r, NULL, 0);
}

const struct zoneop *
tb_last(void)
{
	ck_assert_uint_gt(tb.n, 0);
	return &tb.ops[tb.n - 1].op;
}

void
tb_keep_zone(struct msdns_zone *to, const struct zoneop_zone *z)
{
	snprintf(to->name, sizeof to->name, "%s", z->name);
	snprintf(to->type, sizeof to->type, "%s", z->type);
	to->ds_integrated = z->ds_integrated;
	snprintf(to->masters, sizeof to->masters, "%s", z->masters);
}
