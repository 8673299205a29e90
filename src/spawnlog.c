/* A child's output cut into lines, escaped and logged under the child's tag. */
#define LOG_MODULE "spawn"
#include "spawnlog.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

void
spawnlog_init(struct spawnlog *l, const char *tag, void (*on_line)(void *, const char *, size_t, int), void *arg)
{
	memset(l, 0, sizeof *l);
	snprintf(l->tag, sizeof l->tag, "%s", tag);
	l->on_line = on_line;
	l->arg = arg;
}

static void
spawnlog_line(struct spawnlog *l)
{
	char esc[SPAWNLOG_LINE * 4 + 4];

	while (l->len && l->line[l->len - 1] == '\r')
		l->len--;
	if (l->on_line)
		l->on_line(l->arg, l->line, l->len, l->cut);
	l->cut = 0;
	if (l->lines < SPAWNLOG_MAX_LINES) {
		log_info("%s: %s", l->tag, log_escape(esc, sizeof esc, l->line, l->len));
		l->lines++;
	} else {
		l->dropped += l->len;
	}
	l->len = 0;
}

void
spawnlog_feed(struct spawnlog *l, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			spawnlog_line(l);
			continue;
		}
		if (l->len < sizeof l->line) {
			l->line[l->len++] = buf[i];
		} else {
			l->dropped++;
			l->cut = 1;
		}
	}
}

void
spawnlog_flush(struct spawnlog *l)
{
	if (l->len)
		spawnlog_line(l);
	if (l->dropped)
		log_info("%s: %lu more octets of output not logged", l->tag, l->dropped);
}
