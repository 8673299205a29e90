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
	int cut;                /* the line being read was longer than SPAWNLOG_LINE */
	void (*on_line)(void *arg, const char *line, size_t len, int cut);
	void *arg;
};

/* Start l for a child's output logged under tag; on_line (may be NULL) gets every line, logged or not. */
void spawnlog_init(struct spawnlog *l, const char *tag, void (*on_line)(void *, const char *, size_t, int),
    void *arg);
/* Log every complete line in buf (CR stripped, overlong lines cut). */
void spawnlog_feed(struct spawnlog *l, const char *buf, size_t n);
/* Log what is left of an unterminated last line, and how much was dropped. */
void spawnlog_flush(struct spawnlog *l);

#endif
