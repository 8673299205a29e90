/* One child process on Windows: CreateProcessW suspended into a kill-on-close job, off the loop; three pipes served by pool threads. */
#define LOG_MODULE "proc"
#include "proc.h"

#include <winsock2.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "wincmdline.h"
#include "log.h"
#include "win32.h"

/*
 * Why threads: anonymous pipes have no overlapped I/O and libevent cannot wait on them, so each output
 * pipe is read by a thread doing blocking ReadFile, the stdin pipe is written by a thread of its own (only
 * once something is written), and the thread pool waits for the process handle (RegisterWaitForSingleObject).
 *
 * Nothing slow is done on the loop. proc_start only checks argv[0] and queues the start to the system
 * thread pool, whose threads are reused from one child to the next (creating one costs ~10 ms under a
 * loaded Wine). That pool work item makes the pipes, runs CreateProcessW (under Wine it waits for the
 * child's own start-up: 35-300 ms; on the loop this made starts serial and held every event back), queues
 * the stderr reader, registers the wait, and then reads stdout itself. Until it is done (`started`),
 * proc_kill is remembered and done by it, proc_close_stdin is remembered, and proc_pid, proc_wait and
 * proc_free wait for it. When CreateProcessW fails there, the exit callback says PROC_NOT_STARTED. All the
 * waiting between threads is on condition variables under the proc's lock (no kernel objects to make).
 *
 * A reader appends what it read to its stream's buffer under the lock and activates the proc's `wake`
 * event (libevent is set up for threads by compat_init), so a child's output reaches the loop, cut into
 * lines, as it is printed rather than at its exit. The buffer is bounded: a full buffer makes the reader
 * wait for the loop (the child then blocks on its own writes), so a flood costs no memory. A reader says
 * `done` as the very last thing it does with the proc; proc_free waits for that. At the child's exit its
 * job is terminated (whatever it started dies, like the process group on POSIX), the readers see end of
 * file, and the exit is reported after their last lines. Without a job (Server 2008 R2 inside another
 * job), a descendant could hold a pipe open: the readers' I/O is then cancelled.
 */

#define CMDLINE_MAX 32768
#define STREAM_BUF (64 * 1024)   /* octets read by a thread and not yet taken by the loop */
#define KILL_CODE 0xDEAD

struct stream {
	struct proc *p;
	enum proc_stream which;
	HANDLE pipe;
	HANDLE thread;                /* under p->lock: the thread reading it now (not ours to close), or NULL */
	CONDITION_VARIABLE space;     /* the loop took the buffer */
	char buf[STREAM_BUF];
	size_t len;                   /* under p->lock */
	int eof;                      /* under p->lock: nothing more will come */
	int busy;                     /* under p->lock: a reader was queued and has not said done */
	struct proclines lines;       /* loop only */
};

struct proc {
	struct event_base *base;
	struct proc_cb cb;
	char tag[96];
	char prog[128];                /* argv[0], for the log */
	CRITICAL_SECTION lock;
	CONDITION_VARIABLE changed;    /* started, a stream done, the writer's work */
	struct event *wake, *retry;
	struct stream out, err;
	HANDLE process, job, waiter;   /* set before `started`; waiter: the pool's wait for the process's end */
	DWORD pid;
	/* the start (the start work item's): what it needs; all under lock once it is queued */
	wchar_t *wline, *wapp;
	int started;                   /* under lock: the start work item is done with the start */
	DWORD start_error;             /* under lock: why it did not start (0: it did) */
	const char *start_call;        /* under lock: the call that failed */
	DWORD job_error, serve_error;  /* under lock: no job; no stderr reader or wait (it is killed); logged */
	int warned;                    /* loop: job_error and serve_error were logged */
	int kill_pending;              /* under lock: proc_kill came before the start */
	/* stdin: the writer thread */
	HANDLE in, writer;
	char *wq;                      /* under lock */
	size_t wlen, wcap;
	int wclose, wstop;             /* under lock */
	int in_closed;                 /* loop: no more writes accepted */
	/* the end */
	int exited;                    /* under lock, set by the waiter */
	DWORD code;
	int stopping;                  /* under lock: readers drop what they read and end */
	int reported;                  /* loop */
	int killed_at_exit;            /* loop */
};

/* Children share our console when we have one (see ask_console); asked once, off the loop, as under Wine it
 * is a round trip to the console's process, which may still be starting. */
static INIT_ONCE console_once = INIT_ONCE_STATIC_INIT;
static DWORD console_create_flags;

static void
close_handle(HANDLE *h)
{
	if (*h != NULL && *h != INVALID_HANDLE_VALUE)
		CloseHandle(*h);
	*h = NULL;
}

/* Read one stream to its end (or until stopped), handing what comes to the loop; then say done. */
static void
read_stream(struct stream *s, HANDLE self)
{
	struct proc *p = s->p;
	char chunk[4096];
	DWORD n;

	EnterCriticalSection(&p->lock);
	s->thread = self;
	LeaveCriticalSection(&p->lock);
	for (;;) {
		int stop;

		EnterCriticalSection(&p->lock);
		stop = p->stopping;
		LeaveCriticalSection(&p->lock);
		if (stop || !ReadFile(s->pipe, chunk, sizeof chunk, &n, NULL) || n == 0)
			break;
		EnterCriticalSection(&p->lock);
		while (s->len + n > sizeof s->buf && !p->stopping)
			SleepConditionVariableCS(&s->space, &p->lock, INFINITE);
		if (!p->stopping) {
			memcpy(s->buf + s->len, chunk, n);
			s->len += n;
		}
		LeaveCriticalSection(&p->lock);
		event_active(p->wake, EV_READ, 0);
	}
	EnterCriticalSection(&p->lock);
	s->eof = 1;
	s->thread = NULL;
	LeaveCriticalSection(&p->lock);
	event_active(p->wake, EV_READ, 0);
}

/* This pool thread's own handle, for CancelSynchronousIo (the pool's threads have none of ours). */
static HANDLE
this_thread(void)
{
	HANDLE h = NULL;

	if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &h, 0, FALSE,
	    DUPLICATE_SAME_ACCESS))
		h = NULL;
	return h;
}

/* The stream is done with: the last thing a reader does with the proc. */
static void
stream_done(struct stream *s)
{
	EnterCriticalSection(&s->p->lock);
	s->busy = 0;
	WakeAllConditionVariable(&s->p->changed);
	LeaveCriticalSection(&s->p->lock);
}

static DWORD WINAPI
err_reader(LPVOID arg)
{
	struct stream *s = arg;
	HANDLE self = this_thread();

	read_stream(s, self);
	close_handle(&self);
	stream_done(s);
	return 0;
}

static DWORD WINAPI
writer(LPVOID arg)
{
	struct proc *p = arg;

	EnterCriticalSection(&p->lock);
	while (!p->started)
		SleepConditionVariableCS(&p->changed, &p->lock, INFINITE);
	LeaveCriticalSection(&p->lock);
	for (;;) {
		char *buf;
		size_t len, off = 0;
		DWORD n;

		EnterCriticalSection(&p->lock);
		while (p->wlen == 0 && !p->wclose && !p->wstop)
			SleepConditionVariableCS(&p->changed, &p->lock, INFINITE);
		if (p->wstop || p->wlen == 0 || p->in == NULL) {   /* stopped, closing with nothing left, never started */
			LeaveCriticalSection(&p->lock);
			break;
		}
		buf = p->wq;
		len = p->wlen;
		p->wq = NULL;
		p->wlen = p->wcap = 0;
		LeaveCriticalSection(&p->lock);
		while (off < len && WriteFile(p->in, buf + off, (DWORD)(len - off), &n, NULL))
			off += n;
		free(buf);
		if (off < len)   /* the child closed its stdin or ended */
			break;
	}
	close_handle(&p->in);
	return 0;
}

/* The thread pool's wait on the process handle fired: the child ended. */
static VOID CALLBACK
on_process_end(PVOID arg, BOOLEAN timed_out)
{
	struct proc *p = arg;
	DWORD code = 0;

	(void)timed_out;
	GetExitCodeProcess(p->process, &code);
	EnterCriticalSection(&p->lock);
	p->code = code;
	p->exited = 1;
	LeaveCriticalSection(&p->lock);
	event_active(p->wake, EV_READ, 0);
}

static void
on_line(void *arg, const char *text, size_t len, unsigned flags)
{
	struct stream *s = arg;

	s->p->cb.line(s->p->cb.arg, s->which, text, len, flags);
}

/* Kill the tree (once started); without a job, also stop the readers (a descendant may hold the pipes). */
static void
kill_tree(struct proc *p)
{
	if (p->job) {
		TerminateJobObject(p->job, KILL_CODE);
		return;
	}
	TerminateProcess(p->process, KILL_CODE);
	EnterCriticalSection(&p->lock);
	p->stopping = 1;
	WakeAllConditionVariable(&p->out.space);
	WakeAllConditionVariable(&p->err.space);
	if (p->out.thread)
		CancelSynchronousIo(p->out.thread);
	if (p->err.thread)
		CancelSynchronousIo(p->err.thread);
	LeaveCriticalSection(&p->lock);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	static char take[2][STREAM_BUF];   /* the loop is one thread */
	size_t n[2];
	int eof[2], exited, i;
	struct stream *s[2] = { &p->out, &p->err };
	DWORD code, job_error, serve_error, start_error;

	(void)fd;
	(void)what;
	if (p->reported)
		return;
	EnterCriticalSection(&p->lock);
	for (i = 0; i < 2; i++) {
		n[i] = s[i]->len;
		memcpy(take[i], s[i]->buf, n[i]);
		s[i]->len = 0;
		eof[i] = s[i]->eof;
		if (n[i])
			WakeAllConditionVariable(&s[i]->space);
	}
	exited = p->exited;
	code = p->code;
	job_error = p->job_error;
	serve_error = p->serve_error;
	start_error = p->start_error;
	LeaveCriticalSection(&p->lock);
	if ((job_error || serve_error) && !p->warned) {
		p->warned = 1;
		if (job_error)   /* e.g. Server 2008 R2 inside another job: the child runs, but only it is killed */
			log_warnx("%s: no job object (%s); its own children would outlive a kill", p->tag,
			    win32_strerror(job_error));
		if (serve_error)
			log_warnx("%s: cannot serve it (%s); killed", p->tag, win32_strerror(serve_error));
	}
	for (i = 0; i < 2; i++)
		proclines_feed(&s[i]->lines, take[i], n[i], on_line, s[i]);
	if (!exited)
		return;
	if (!eof[0] || !eof[1]) {
		/* ended, but its pipes are still open: whatever it started dies now, then the readers see the end */
		if (!p->killed_at_exit) {
			p->killed_at_exit = 1;
			kill_tree(p);
		}
		if (p->job == NULL && !event_pending(p->retry, EV_TIMEOUT, NULL)) {
			struct timeval tv = { 0, 200 * 1000 };

			evtimer_add(p->retry, &tv);
		}
		return;
	}
	p->reported = 1;
	if (start_error) {
		log_warnx("%s: cannot start %s: %s: %s", p->tag, p->prog, p->start_call, win32_strerror(start_error));
		p->cb.exit(p->cb.arg, PROC_NOT_STARTED, (long)start_error);
		return;
	}
	proclines_end(&p->out.lines, on_line, &p->out);
	proclines_end(&p->err.lines, on_line, &p->err);
	p->cb.exit(p->cb.arg, code >= 0xC0000000UL ? PROC_CRASHED : PROC_EXITED, (long)code);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;

	(void)fd;
	(void)what;
	/* no job: a reader may have entered ReadFile after the last cancel; cancel again */
	EnterCriticalSection(&p->lock);
	if (p->out.thread)
		CancelSynchronousIo(p->out.thread);
	if (p->err.thread)
		CancelSynchronousIo(p->err.thread);
	LeaveCriticalSection(&p->lock);
	on_wake(-1, EV_READ, p);
}

/* A job that kills everything in it when its last handle closes; NULL when none can be had. */
static HANDLE
make_job(void)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
	HANDLE job = CreateJobObjectW(NULL, NULL);

	if (job == NULL)
		return NULL;
	memset(&li, 0, sizeof li);
	li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof li)) {
		CloseHandle(job);
		return NULL;
	}
	return job;
}

/* A child shares our console when we have one, in a process group of its own (a Ctrl+C typed there is not
 * its); without one (a service) it gets a console of its own without a window. A console of its own costs
 * a conhost process per child: under Wine ~70 ms of CPU, more than the child's own start-up. */
static BOOL CALLBACK
ask_console(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	console_create_flags = GetConsoleCP() != 0 ? CREATE_NEW_PROCESS_GROUP : CREATE_NO_WINDOW;
	return TRUE;
}

/* The pipes, CreateProcessW suspended, into a job, resumed (the start work item's). Returns 0, or -1 with
 * why. The child's pipe ends and the command line are gone after it. */
static int
launch(struct proc *p, DWORD *error, const char **call)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	HANDLE child_in = NULL, child_out = NULL, child_err = NULL, in = NULL, out = NULL, err = NULL;
	HANDLE inherit[3], job;
	LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
	SIZE_T asize = 0;
	int inited = 0, kill, close_in, rc = -1;
	DWORD job_error = 0;

	if (!CreatePipe(&child_in, &in, &sa, 0) || !CreatePipe(&out, &child_out, &sa, 0) ||
	    !CreatePipe(&err, &child_err, &sa, 0)) {
		*error = GetLastError();
		*call = "CreatePipe";
		goto out;
	}
	SetHandleInformation(in, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(out, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(err, HANDLE_FLAG_INHERIT, 0);
	/* only the three pipe ends are inherited: never our sockets */
	InitializeProcThreadAttributeList(NULL, 1, 0, &asize);
	attrs = HeapAlloc(GetProcessHeap(), 0, asize);
	inherit[0] = child_in;
	inherit[1] = child_out;
	inherit[2] = child_err;
	if (attrs == NULL || !(inited = InitializeProcThreadAttributeList(attrs, 1, 0, &asize)) ||
	    !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit, sizeof inherit, NULL,
	    NULL)) {
		*error = attrs == NULL ? ERROR_NOT_ENOUGH_MEMORY : GetLastError();
		*call = "attribute list";
		goto out;
	}
	memset(&si, 0, sizeof si);
	si.StartupInfo.cb = sizeof si;
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = child_in;
	si.StartupInfo.hStdOutput = child_out;
	si.StartupInfo.hStdError = child_err;
	si.lpAttributeList = attrs;
	InitOnceExecuteOnce(&console_once, ask_console, NULL, NULL);   /* off the loop: it may wait for conhost */
	if (!CreateProcessW(p->wapp, p->wline, NULL, NULL, TRUE,
	    CREATE_SUSPENDED | console_create_flags | EXTENDED_STARTUPINFO_PRESENT, NULL, NULL, &si.StartupInfo, &pi)) {
		*error = GetLastError();
		*call = "CreateProcessW";
		goto out;
	}
	job = make_job();
	if (job == NULL || !AssignProcessToJobObject(job, pi.hProcess)) {
		job_error = GetLastError() ? GetLastError() : ERROR_GEN_FAILURE;
		close_handle(&job);
	}
	EnterCriticalSection(&p->lock);
	p->job = job;
	p->process = pi.hProcess;
	p->pid = pi.dwProcessId;
	p->job_error = job_error;
	p->out.pipe = out;
	p->err.pipe = err;
	close_in = p->in_closed && p->writer == NULL;   /* proc_close_stdin came first, with nothing written */
	p->in = close_in ? NULL : in;
	kill = p->kill_pending;
	LeaveCriticalSection(&p->lock);
	if (close_in)
		CloseHandle(in);
	in = out = err = NULL;
	if (kill)   /* proc_kill came first: it never runs */
		kill_tree(p);
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	rc = 0;
out:
	if (inited)
		DeleteProcThreadAttributeList(attrs);
	if (attrs)
		HeapFree(GetProcessHeap(), 0, attrs);
	close_handle(&child_in);
	close_handle(&child_out);
	close_handle(&child_err);
	close_handle(&in);
	close_handle(&out);
	close_handle(&err);
	free(p->wline);
	free(p->wapp);
	p->wline = p->wapp = NULL;
	return rc;
}

/* The start work item: start the child, its stderr reader and the wait for its end, then read stdout. */
static DWORD WINAPI
start_and_read(LPVOID arg)
{
	struct proc *p = arg;
	HANDLE self = this_thread();
	DWORD error = 0, serve_error = 0;
	const char *call = NULL;
	int ok = launch(p, &error, &call) == 0;

	if (ok) {
		EnterCriticalSection(&p->lock);
		p->err.busy = 1;
		LeaveCriticalSection(&p->lock);
		if (!QueueUserWorkItem(err_reader, &p->err, WT_EXECUTELONGFUNCTION)) {
			serve_error = GetLastError();
			EnterCriticalSection(&p->lock);
			p->err.busy = 0;
			p->err.eof = 1;
			LeaveCriticalSection(&p->lock);
		}
		if (!RegisterWaitForSingleObject(&p->waiter, p->process, on_process_end, p, INFINITE, WT_EXECUTEONLYONCE)) {
			serve_error = GetLastError();
			p->waiter = NULL;
		}
		if (serve_error)   /* it cannot be served: it ends now (and the loop says why) */
			kill_tree(p);
	}
	EnterCriticalSection(&p->lock);
	p->started = 1;
	p->serve_error = serve_error;
	if (!ok) {
		p->start_error = error;
		p->start_call = call;
		p->out.eof = p->err.eof = 1;
		p->exited = 1;
	}
	WakeAllConditionVariable(&p->changed);
	LeaveCriticalSection(&p->lock);
	if (ok) {
		read_stream(&p->out, self);
		if (p->waiter == NULL) {   /* no wait in the pool: this thread waits */
			WaitForSingleObject(p->process, INFINITE);
			on_process_end(p, FALSE);
		}
	} else {
		event_active(p->wake, EV_READ, 0);
	}
	close_handle(&self);
	stream_done(&p->out);
	return 0;
}

struct proc *
proc_start(struct event_base *base, const char *const argv[], const char *tag, const struct proc_cb *cb)
{
	char *line = NULL;
	DWORD attr;
	struct proc *p = calloc(1, sizeof *p);

	if (p == NULL || (line = malloc(CMDLINE_MAX)) == NULL) {
		free(p);
		return NULL;
	}
	p->base = base;
	p->cb = *cb;
	snprintf(p->tag, sizeof p->tag, "%s", tag);
	snprintf(p->prog, sizeof p->prog, "%s", argv[0]);
	InitializeCriticalSection(&p->lock);
	InitializeConditionVariable(&p->changed);
	InitializeConditionVariable(&p->out.space);
	InitializeConditionVariable(&p->err.space);
	p->out.p = p->err.p = p;
	p->out.which = PROC_STDOUT;
	p->err.which = PROC_STDERR;
	proclines_init(&p->out.lines);
	proclines_init(&p->err.lines);
	if (wincmdline_quote(argv, line, CMDLINE_MAX) == 0) {
		log_warnx("%s: command line too long or not quotable", tag);
		goto fail;
	}
	p->wline = win32_wide(line);
	p->wapp = win32_wide(argv[0]);
	if (p->wline == NULL || p->wapp == NULL)
		goto fail;
	/* what CreateProcessW would say at once is said here, where proc_start can still return NULL */
	attr = GetFileAttributesW(p->wapp);
	if (attr == INVALID_FILE_ATTRIBUTES || (attr & FILE_ATTRIBUTE_DIRECTORY)) {
		log_warnx("%s: cannot start %s: %s", tag, argv[0],
		    attr == INVALID_FILE_ATTRIBUTES ? win32_strerror(GetLastError()) : "a directory");
		goto fail;
	}
	p->wake = event_new(base, -1, EV_READ, on_wake, p);
	p->retry = evtimer_new(base, on_retry, p);
	if (p->wake == NULL || p->retry == NULL)
		goto fail;
	event_add(p->wake, NULL);
	p->out.busy = 1;
	if (!QueueUserWorkItem(start_and_read, p, WT_EXECUTELONGFUNCTION)) {
		log_warnx("%s: QueueUserWorkItem: %s", tag, win32_strerror(GetLastError()));
		goto fail;
	}
	free(line);
	log_debug("%s: starting %s", tag, argv[0]);
	return p;
fail:
	if (p->wake)
		event_free(p->wake);
	if (p->retry)
		event_free(p->retry);
	DeleteCriticalSection(&p->lock);
	free(line);
	free(p->wline);
	free(p->wapp);
	free(p);
	return NULL;
}

int
proc_write(struct proc *p, const void *buf, size_t len)
{
	int rc = 0;

	if (p->in_closed)
		return -1;
	EnterCriticalSection(&p->lock);
	if (p->wlen + len > p->wcap) {
		size_t cap = p->wcap ? p->wcap : 1024;
		char *q;

		while (cap < p->wlen + len)
			cap *= 2;
		if ((q = realloc(p->wq, cap)) == NULL) {
			rc = -1;
		} else {
			p->wq = q;
			p->wcap = cap;
		}
	}
	if (rc == 0) {
		memcpy(p->wq + p->wlen, buf, len);
		p->wlen += len;
	}
	WakeAllConditionVariable(&p->changed);
	LeaveCriticalSection(&p->lock);
	if (rc == 0 && p->writer == NULL) {
		HANDLE t = CreateThread(NULL, 0, writer, p, CREATE_SUSPENDED, NULL);

		if (t == NULL) {
			log_warnx("%s: CreateThread: %s", p->tag, win32_strerror(GetLastError()));
			proc_close_stdin(p);
			return -1;
		}
		EnterCriticalSection(&p->lock);   /* launch reads it */
		p->writer = t;
		LeaveCriticalSection(&p->lock);
		ResumeThread(t);
	}
	return rc;
}

void
proc_close_stdin(struct proc *p)
{
	HANDLE in = NULL;

	EnterCriticalSection(&p->lock);
	p->in_closed = 1;   /* before the start, launch closes it */
	if (p->writer == NULL) {   /* nothing was ever written */
		in = p->in;
		p->in = NULL;
	} else {
		p->wclose = 1;
		WakeAllConditionVariable(&p->changed);
	}
	LeaveCriticalSection(&p->lock);
	close_handle(&in);
}

void
proc_kill(struct proc *p)
{
	int launched;

	if (p->reported)
		return;
	EnterCriticalSection(&p->lock);
	launched = p->process != NULL;   /* launch sets it and reads kill_pending under the lock, at once */
	p->kill_pending = 1;             /* not launched yet: launch kills it at once */
	LeaveCriticalSection(&p->lock);
	if (launched)
		kill_tree(p);
}

/* Wait up to ms (INFINITE: for ever) for the start work item to be done with the start; 1 when it is. */
static int
wait_started(struct proc *p, DWORD ms)
{
	ULONGLONG t0 = GetTickCount64();
	int started;

	EnterCriticalSection(&p->lock);
	while (!p->started) {
		ULONGLONG spent = GetTickCount64() - t0;

		if (ms != INFINITE && spent >= ms)
			break;
		SleepConditionVariableCS(&p->changed, &p->lock, ms == INFINITE ? INFINITE : (DWORD)(ms - spent));
	}
	started = p->started;
	LeaveCriticalSection(&p->lock);
	return started;
}

int
proc_wait(struct proc *p, unsigned timeout_ms)
{
	ULONGLONG t0 = GetTickCount64(), spent;

	if (!wait_started(p, timeout_ms))
		return 0;
	if (p->process == NULL)   /* it never started */
		return 1;
	spent = GetTickCount64() - t0;
	return WaitForSingleObject(p->process, spent < timeout_ms ? (DWORD)(timeout_ms - spent) : 0) != WAIT_TIMEOUT;
}

long
proc_pid(const struct proc *p)
{
	wait_started((struct proc *)p, INFINITE);
	return (long)p->pid;
}

/* Wait for both readers to say done, cancelling their blocking reads until they do. */
static void
join_readers(struct proc *p)
{
	EnterCriticalSection(&p->lock);
	while (p->out.busy || p->err.busy) {
		if (p->out.thread)
			CancelSynchronousIo(p->out.thread);
		if (p->err.thread)
			CancelSynchronousIo(p->err.thread);
		SleepConditionVariableCS(&p->changed, &p->lock, 100);
	}
	LeaveCriticalSection(&p->lock);
}

void
proc_free(struct proc *p)
{
	if (p == NULL)
		return;
	wait_started(p, INFINITE);   /* a start under way ends first */
	if (p->process && WaitForSingleObject(p->process, 0) == WAIT_TIMEOUT)
		kill_tree(p);
	else if (p->job)
		TerminateJobObject(p->job, KILL_CODE);   /* leftovers of an ended child */
	EnterCriticalSection(&p->lock);
	p->stopping = 1;
	p->wstop = 1;
	WakeAllConditionVariable(&p->out.space);
	WakeAllConditionVariable(&p->err.space);
	WakeAllConditionVariable(&p->changed);
	LeaveCriticalSection(&p->lock);
	if (p->waiter)
		UnregisterWaitEx(p->waiter, INVALID_HANDLE_VALUE);   /* returns once its callback ran or never will */
	if (p->writer == NULL)
		close_handle(&p->in);
	if (p->writer != NULL) {
		while (WaitForSingleObject(p->writer, 100) == WAIT_TIMEOUT)
			CancelSynchronousIo(p->writer);
		close_handle(&p->writer);
	}
	join_readers(p);
	event_free(p->wake);
	event_free(p->retry);
	close_handle(&p->job);
	close_handle(&p->process);
	close_handle(&p->out.pipe);
	close_handle(&p->err.pipe);
	DeleteCriticalSection(&p->lock);
	free(p->wq);
	free(p);
}
