/* Child processes (spawn-posix.c / spawn-win32.c): one program, a timeout, output drained into the log. */
#ifndef MSDNS_SPAWNER_H
#define MSDNS_SPAWNER_H

#include <stddef.h>

struct event_base;
struct spawner;

enum spawn_end {
	SPAWN_EXITED,    /* ran to its end: code is its exit status */
	SPAWN_TIMEOUT,   /* killed (with its whole tree) at the timeout */
	SPAWN_CRASHED,   /* ended by a signal or an exception: code is the signal or NTSTATUS */
	SPAWN_KILLED,    /* killed because the spawner was freed */
};

/* Called with each line a child writes (stdout and stderr; without its LF and trailing CR; cut to
 * SPAWNLOG_LINE octets, then cut is 1), before its spawn_done_fn; line is valid during the call.
 * line NULL (cut 1): output was lost after the lines given. */
typedef void spawn_line_fn(void *arg, const char *line, size_t len, int cut);
/* Called once per child, from the event loop, after its output was logged. */
typedef void spawn_done_fn(void *arg, enum spawn_end how, long code);

/* A spawner for children whose ends are reported on base. Returns NULL on failure. */
struct spawner *spawner_new(struct event_base *base);
/* Start argv[0] with argv (NULL-terminated), killing its whole tree after timeout_ms; each line it
 * writes to stdout or stderr is logged under tag and, when line is not NULL, handed to line. Returns 0,
 * or -1 when it could not start (logged; done is not called). */
int spawn_start(struct spawner *s, const char *const argv[], unsigned timeout_ms, const char *tag,
    spawn_line_fn *line, spawn_done_fn *done, void *arg);
/* Children running now. */
unsigned spawner_running(const struct spawner *s);
/* Kill every child (their done is called with SPAWN_KILLED) and free s. */
void spawner_free(struct spawner *s);

#endif
