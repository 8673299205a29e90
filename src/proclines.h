/* A child's output stream cut into lines: partial lines held up to a bound, over-long lines cut and flagged. */
#ifndef MSDNS_PROCLINES_H
#define MSDNS_PROCLINES_H

#include <stddef.h>

#define PROCLINES_MAX 8192          /* octets of one line handed on; the rest of a longer line is dropped */

#define PROCLINES_CUT 1u            /* the line was longer than PROCLINES_MAX: only its start is given */
#define PROCLINES_UNTERMINATED 2u   /* the stream ended (or the child exited) in the middle of this line */

/* One line: text is NUL-terminated (it may hold other NULs), without its LF and trailing CRs. */
typedef void proclines_fn(void *arg, const char *text, size_t len, unsigned flags);

struct proclines {
	char buf[PROCLINES_MAX + 1];
	size_t len;
	int skipping;               /* dropping the rest of a cut line, up to its LF */
	unsigned long cut_octets;   /* octets dropped from cut lines so far */
};

void proclines_init(struct proclines *l);
/* Hand every complete line of buf[0..n) to fn; keep the unterminated rest. */
void proclines_feed(struct proclines *l, const char *buf, size_t n, proclines_fn *fn, void *arg);
/* The stream ended: hand the unterminated rest, if any, to fn flagged PROCLINES_UNTERMINATED. */
void proclines_end(struct proclines *l, proclines_fn *fn, void *arg);

#endif
