/* A child's output stream cut into lines: partial lines held up to a bound, over-long lines cut and flagged. */
#include "proclines.h"

#include <string.h>

void
proclines_init(struct proclines *l)
{
	l->len = 0;
	l->skipping = 0;
	l->cut_octets = 0;
	l->buf[0] = '\0';
}

static void
emit(struct proclines *l, unsigned flags, proclines_fn *fn, void *arg)
{
	size_t len = l->len;

	while (len && l->buf[len - 1] == '\r')
		len--;
	l->buf[len] = '\0';
	l->len = 0;
	fn(arg, l->buf, len, flags);
}

void
proclines_feed(struct proclines *l, const char *buf, size_t n, proclines_fn *fn, void *arg)
{
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t seg = nl ? (size_t)(nl - buf) : n, take;

		if (l->skipping) {
			l->cut_octets += seg;
		} else {
			take = seg <= PROCLINES_MAX - l->len ? seg : PROCLINES_MAX - l->len;
			memcpy(l->buf + l->len, buf, take);
			l->len += take;
			if (take < seg) {   /* over the bound: hand on the start now, drop the rest up to the LF */
				l->cut_octets += seg - take;
				l->skipping = 1;
				emit(l, PROCLINES_CUT, fn, arg);
			}
		}
		if (nl == NULL)
			return;
		if (l->skipping)
			l->skipping = 0;
		else
			emit(l, 0, fn, arg);
		buf = nl + 1;
		n -= seg + 1;
	}
}

void
proclines_end(struct proclines *l, proclines_fn *fn, void *arg)
{
	if (l->len > 0 && !l->skipping)
		emit(l, PROCLINES_UNTERMINATED, fn, arg);
	l->len = 0;
	l->skipping = 0;
}
