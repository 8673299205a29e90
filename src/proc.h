/* One child process (proc-posix.c / proc-win32.c): stdin, stdout and stderr pipes on the event loop, whole-tree kill. */
#ifndef MSDNS_PROC_H
#define MSDNS_PROC_H

#include <stddef.h>

#include "proclines.h"

struct event_base;
struct proc;

enum proc_stream { PROC_STDOUT, PROC_STDERR };

enum proc_end {
	PROC_EXITED,     /* ran to its end (or was killed): code is its exit status */
	PROC_CRASHED,    /* ended by a signal (POSIX) or an exception (NTSTATUS >= 0xC0000000): code says which */
	PROC_NOT_STARTED,   /* Windows: it could not be started after all (logged): nothing ran, no line came;
	                     * code is the system's error */
};

struct proc_cb {
	/* One line of output (see proclines.h for text and flags), as the child prints it, on the loop.
	 * May call proc_write, proc_close_stdin and proc_kill; never proc_free. */
	void (*line)(void *arg, enum proc_stream s, const char *text, size_t len, unsigned flags);
	/* The child ended and every line it printed before was handed on; called exactly once, on the loop,
	 * and nothing after it. May call proc_free. */
	void (*exit)(void *arg, enum proc_end how, long code);
	void *arg;
};

/* Start argv[0] with argv (NULL-terminated) in a tree of its own (process group / job object), with its
 * three standard streams as pipes and no other descriptor or handle of ours. tag names it in the log.
 * Returns NULL when it could not start (logged; no callback is ever called). On Windows the process is
 * created by a thread of its own, as CreateProcess can take long (under Wine it waits for the child's
 * start-up): proc_start checks that argv[0] is a file, and a later failure comes as PROC_NOT_STARTED. */
struct proc *proc_start(struct event_base *base, const char *const argv[], const char *tag,
    const struct proc_cb *cb);
/* Queue len octets for the child's stdin (written as it reads). Returns 0, or -1 once stdin is closed. */
int proc_write(struct proc *p, const void *buf, size_t len);
/* Close the child's stdin once what is queued was written (it reads end of file). */
void proc_close_stdin(struct proc *p);
/* Kill the child and everything it started; the exit callback follows on the loop. */
void proc_kill(struct proc *p);
/* Block up to timeout_ms for the child to end, without running the loop (for a graceful stop: close
 * stdin, wait, then proc_free). Returns 1 when it has ended, 0 when it still runs. */
int proc_wait(struct proc *p, unsigned timeout_ms);
/* The child's process id (on Windows, waits for the start under way; 0 when it did not start). */
long proc_pid(const struct proc *p);
/* Kill the child's tree if it still runs and free p; no callback is called after this. */
void proc_free(struct proc *p);

#endif
