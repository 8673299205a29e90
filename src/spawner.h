/* Child processes (spawn-posix.c / spawn-win32.c): one program, a timeout, output drained into the log. */
#ifndef MSDNS_SPAWNER_H
#define MSDNS_SPAWNER_H

struct event_base;
struct spawner;

enum spawn_end {
	SPAWN_EXITED,    /* ran to its end: code is its exit status */
	SPAWN_TIMEOUT,   /* killed (with its whole tree) at the timeout */
	SPAWN_CRASHED,   /* ended by a signal or an exception: code is the signal or NTSTATUS */
	SPAWN_KILLED,    /* killed because the spawner was freed */
};

/* Called once per child, from the event loop, after its output was logged. */
typedef void spawn_done_fn(void *arg, enum spawn_end how, long code);

/* A spawner for children whose ends are reported on base. Returns NULL on failure. */
struct spawner *spawner_new(struct event_base *base);
/* Start argv[0] with argv (NULL-terminated), killing its whole tree after timeout_ms; each line it
 * writes to stdout or stderr is logged under tag. Returns 0, or -1 when it could not start (logged;
 * done is not called). */
int spawn_start(struct spawner *s, const char *const argv[], unsigned timeout_ms, const char *tag,
    spawn_done_fn *done, void *arg);
/* Children running now. */
unsigned spawner_running(const struct spawner *s);
/* Kill every child (their done is called with SPAWN_KILLED) and free s. */
void spawner_free(struct spawner *s);

#endif
