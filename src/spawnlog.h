/* A child's output cut into lines, escaped and logged under the child's tag. */
#ifndef MSDNS_SPAWNLOG_H
#define MSDNS_SPAWNLOG_H

#include <stddef.h>

#define SPAWNLOG_LINE 512
#define SPAWNLOG_MAX_LINES 200

struct spawnlog {
	char tag[96];
	char line[SPAWNLOG_LINE];
	size_t len;
	unsigned lines;         /* lines logged so far */
	unsigned long dropped;  /* octets past the line budget */
};

void spawnlog_init(struct spawnlog *l, const char *tag);
/* Log every complete line in buf (CR stripped, overlong lines cut). */
void spawnlog_feed(struct spawnlog *l, const char *buf, size_t n);
/* Log what is left of an unterminated last line, and how much was dropped. */
void spawnlog_flush(struct spawnlog *l);

#endif
