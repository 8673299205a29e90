/* One zone operation per process (spawnop.c; not spawn.h, which is libc's): a child on proc, killed with its tree at a timeout, output logged as it comes. */
#ifndef MSDNS_SPAWNOP_H
#define MSDNS_SPAWNOP_H

#include <stddef.h>

struct event_base;
struct spawner;

enum spawn_end {
	SPAWN_EXITED,    /* ran to its end: code is its exit status */
	SPAWN_TIMEOUT,   /* killed (with its whole tree) at the timeout */
	SPAWN_CRASHED,   /* ended by a signal or an exception: code is the signal or NTSTATUS */
	SPAWN_KILLED,    /* killed because the spawner was freed */
	SPAWN_NOT_STARTED,   /* it could not be started after all (Windows, see proc.h): nothing ran */
};

#define SPAWN_LOG_LINES 200   /* lines of a child's output logged; the rest is counted */

/* Called once per child, from the event loop, after all its output was logged and offered. */
typedef void spawn_done_fn(void *arg, enum spawn_end how, long code);
/* Called for each line the child prints on stdout, as it comes (after it was logged): text is
 * NUL-terminated, without its line end; flags as in proclines.h (PROCLINES_CUT, _UNTERMINATED). */
typedef void spawn_line_fn(void *arg, const char *text, size_t len, unsigned flags);

/* A spawner for children whose ends are reported on base. Returns NULL on failure. */
struct spawner *spawner_new(struct event_base *base);
/* Start argv[0] with argv (NULL-terminated), killing its whole tree after timeout_ms; each line it
 * writes to stdout or stderr is logged under tag, and each stdout line offered to line (may be NULL).
 * Returns 0, or -1 when it could not start (logged; neither callback is called). */
int spawn_start(struct spawner *s, const char *const argv[], unsigned timeout_ms, const char *tag,
    spawn_line_fn *line, spawn_done_fn *done, void *arg);
/* Children running now. */
unsigned spawner_running(const struct spawner *s);
/* Kill every child (their done is called with SPAWN_KILLED) and free s. */
void spawner_free(struct spawner *s);

#endif
