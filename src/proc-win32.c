/* One child process on Windows: CreateProcessW suspended into a kill-on-close job off the loop, three pipes served by threads. */
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
 * Why threads: anonymous pipes have no overlapped I/O and libevent cannot wait on them, so each pipe gets
 * a thread doing blocking ReadFile/WriteFile (the writer only once something is written), and the thread pool
 * waits for the process handle (RegisterWaitForSingleObject). The start itself is a thread's too: proc_start
 * makes the pipes and one thread, which runs CreateProcessW (under Wine it waits for the child's start-up,
 * 35-200 ms, which on the loop made starts serial and held every other event back), starts the stderr
 * reader and the wait, and then reads stdout. Until it has done so (`started`), proc_kill is remembered
 * and done by it, and proc_pid, proc_wait and proc_free wait for it. When CreateProcessW fails there, the
 * exit callback says PROC_NOT_STARTED. A reader
 * thread appends what it read to its stream's buffer under the proc's lock and activates the proc's
 * `wake` event (libevent is set up for threads by compat_init), so a child's output reaches the loop, cut
 * into lines, as it is printed rather than at its exit. The buffer is bounded: a full buffer makes the
 * thread wait for the loop (the child then blocks on its own writes), so a flood costs no memory. The
 * writer thread takes what proc_write queued and writes it; proc_close_stdin closes the pipe once written.
 * At the child's exit its job is terminated (whatever it started dies, like the process group on POSIX),
 * the readers see end of file, and the exit is reported after their last lines. Without a job (Server
 * 2008 R2 inside another job), a descendant could hold a pipe open: the readers' I/O is then cancelled.
 */

#define CMDLINE_MAX 32768
#define STREAM_BUF (64 * 1024)   /* octets read by a thread and not yet taken by the loop */
#define KILL_CODE 0xDEAD

struct stream {
	struct proc *p;
	enum proc_stream which;
	HANDLE pipe, thread, space;   /* space: auto-reset, set when the loop took the buffer */
	char buf[STREAM_BUF];
	size_t len;                   /* under p->lock */
	int eof;                      /* under p->lock: the thread is done */
	struct proclines lines;       /* loop only */
};

struct proc {
	struct event_base *base;
	struct proc_cb cb;
	char tag[96];
	HANDLE process, job, waiter;   /* waiter: the thread pool's wait for the process's end */
	DWORD pid;
	/* the start, done by the stdout thread: what it needs, then `started` (manual-reset) once it is done */
	wchar_t *wline, *wapp;
	HANDLE child_in, child_out, child_err;   /* the child's ends, closed once it has them */
	DWORD create_flags;
	HANDLE started;
	DWORD start_error;             /* why it did not start (0: it did); read after `started` */
	const char *start_call;        /* the call that failed */
	DWORD job_error;               /* under lock: no job could be had (logged on the loop) */
	DWORD serve_error;             /* under lock: no stderr thread or no wait could be had (logged, killed) */
	int warned;                    /* loop: job_error and serve_error were logged */
	char prog[128];                /* argv[0], for the log */
	int launched;                  /* under lock: process and job are set */
	int kill_pending;              /* under lock: proc_kill came before the launch */
	CRITICAL_SECTION lock;
	struct event *wake, *retry;
	struct stream out, err;
	/* stdin: the writer thread */
	HANDLE in, writer, wready;     /* wready: auto-reset, set when there is work */
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

/* Read one stream to its end (or until stopped), handing what comes to the loop. */
static void
read_stream(struct stream *s)
{
	struct proc *p = s->p;
	char chunk[4096];
	DWORD n;

	for (;;) {
		int stop;

		EnterCriticalSection(&p->lock);
		stop = p->stopping;
		LeaveCriticalSection(&p->lock);
		if (stop || !ReadFile(s->pipe, chunk, sizeof chunk, &n, NULL) || n == 0)
			break;
		EnterCriticalSection(&p->lock);
		while (s->len + n > sizeof s->buf && !p->stopping) {
			LeaveCriticalSection(&p->lock);
			WaitForSingleObject(s->space, INFINITE);
			EnterCriticalSection(&p->lock);
		}
		if (!p->stopping) {
			memcpy(s->buf + s->len, chunk, n);
			s->len += n;
		}
		LeaveCriticalSection(&p->lock);
		event_active(p->wake, EV_READ, 0);
	}
	EnterCriticalSection(&p->lock);
	s->eof = 1;
	LeaveCriticalSection(&p->lock);
	event_active(p->wake, EV_READ, 0);
}

static DWORD WINAPI
reader(LPVOID arg)
{
	read_stream(arg);
	return 0;
}

static DWORD WINAPI
writer(LPVOID arg)
{
	struct proc *p = arg;

	for (;;) {
		char *buf;
		size_t len, off = 0;
		DWORD n;

		EnterCriticalSection(&p->lock);
		while (p->wlen == 0 && !p->wclose && !p->wstop) {
			LeaveCriticalSection(&p->lock);
			WaitForSingleObject(p->wready, INFINITE);
			EnterCriticalSection(&p->lock);
		}
		if (p->wstop || p->wlen == 0) {   /* stopped, or closing with nothing left */
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
	CloseHandle(p->in);
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

/* Kill the tree (once launched); without a job, also stop the readers (a descendant may hold the pipes). */
static void
kill_tree(struct proc *p)
{
	if (p->job) {
		TerminateJobObject(p->job, KILL_CODE);
	} else {
		TerminateProcess(p->process, KILL_CODE);
		EnterCriticalSection(&p->lock);
		p->stopping = 1;
		LeaveCriticalSection(&p->lock);
		SetEvent(p->out.space);
		SetEvent(p->err.space);
		EnterCriticalSection(&p->lock);   /* err.thread is set by the stdout thread */
		CancelSynchronousIo(p->out.thread);
		if (p->err.thread)
			CancelSynchronousIo(p->err.thread);
		LeaveCriticalSection(&p->lock);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	static char take[2][STREAM_BUF];   /* the loop is one thread */
	size_t n[2];
	int eof[2], exited, i;
	struct stream *s[2] = { &p->out, &p->err };
	DWORD code, job_error, serve_error;

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
	}
	exited = p->exited;
	code = p->code;
	job_error = p->job_error;
	serve_error = p->serve_error;
	LeaveCriticalSection(&p->lock);
	if ((job_error || serve_error) && !p->warned) {
		p->warned = 1;
		if (job_error)   /* e.g. Server 2008 R2 inside another job: the child runs, but only it is killed */
			log_warnx("%s: no job object (%s); its own children would outlive a kill", p->tag,
			    win32_strerror(job_error));
		if (serve_error)
			log_warnx("%s: cannot serve it (%s); killed", p->tag, win32_strerror(serve_error));
	}
	for (i = 0; i < 2; i++) {
		if (n[i])
			SetEvent(s[i]->space);
		proclines_feed(&s[i]->lines, take[i], n[i], on_line, s[i]);
	}
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
	if (p->start_error) {   /* written before `exited`, under the lock */
		log_warnx("%s: cannot start %s: %s: %s", p->tag, p->prog, p->start_call, win32_strerror(p->start_error));
		p->cb.exit(p->cb.arg, PROC_NOT_STARTED, (long)p->start_error);
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
	CancelSynchronousIo(p->out.thread);
	CancelSynchronousIo(p->err.thread);
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
static DWORD
console_flags(void)
{
	return GetConsoleCP() != 0 ? CREATE_NEW_PROCESS_GROUP : CREATE_NO_WINDOW;
}

static void
close_handle(HANDLE *h)
{
	if (*h != NULL && *h != INVALID_HANDLE_VALUE)
		CloseHandle(*h);
	*h = NULL;
}

/* Wait for a thread to end, cancelling its blocking I/O until it does. */
static void
join(HANDLE *t)
{
	if (*t == NULL)
		return;
	while (WaitForSingleObject(*t, 100) == WAIT_TIMEOUT)
		CancelSynchronousIo(*t);
	close_handle(t);
}

/* CreateProcessW suspended, into a job, resumed (the stdout thread's, see the top). Returns 0, or -1 with
 * start_error and start_call set. The child's pipe ends and the command line are gone after it. */
static int
launch(struct proc *p)
{
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	HANDLE inherit[3], job;
	LPPROC_THREAD_ATTRIBUTE_LIST attrs;
	SIZE_T asize = 0;
	int inited = 0, kill, rc = -1;
	DWORD job_error = 0;

	/* only the three pipe ends are inherited: never our sockets */
	InitializeProcThreadAttributeList(NULL, 1, 0, &asize);
	attrs = HeapAlloc(GetProcessHeap(), 0, asize);
	inherit[0] = p->child_in;
	inherit[1] = p->child_out;
	inherit[2] = p->child_err;
	if (attrs == NULL || !(inited = InitializeProcThreadAttributeList(attrs, 1, 0, &asize)) ||
	    !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit, sizeof inherit, NULL,
	    NULL)) {
		p->start_error = attrs == NULL ? ERROR_NOT_ENOUGH_MEMORY : GetLastError();
		p->start_call = "attribute list";
		goto out;
	}
	memset(&si, 0, sizeof si);
	si.StartupInfo.cb = sizeof si;
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = p->child_in;
	si.StartupInfo.hStdOutput = p->child_out;
	si.StartupInfo.hStdError = p->child_err;
	si.lpAttributeList = attrs;
	if (!CreateProcessW(p->wapp, p->wline, NULL, NULL, TRUE,
	    CREATE_SUSPENDED | p->create_flags | EXTENDED_STARTUPINFO_PRESENT, NULL, NULL, &si.StartupInfo, &pi)) {
		p->start_error = GetLastError();
		p->start_call = "CreateProcessW";
		goto out;
	}
	job = make_job();
	if (job == NULL || !AssignProcessToJobObject(job, pi.hProcess)) {
		job_error = GetLastError();
		close_handle(&job);
	}
	EnterCriticalSection(&p->lock);
	p->job = job;
	p->process = pi.hProcess;
	p->pid = pi.dwProcessId;
	p->job_error = job_error;
	p->launched = 1;
	kill = p->kill_pending;
	LeaveCriticalSection(&p->lock);
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
	close_handle(&p->child_in);
	close_handle(&p->child_out);
	close_handle(&p->child_err);
	free(p->wline);
	free(p->wapp);
	p->wline = p->wapp = NULL;
	return rc;
}

/* The stdout thread: starts the child, its stderr reader and the wait for its end, then reads stdout. */
static DWORD WINAPI
start_thread(LPVOID arg)
{
	struct proc *p = arg;
	HANDLE t;
	DWORD serve_error = 0;

	if (launch(p) != 0) {
		EnterCriticalSection(&p->lock);
		p->out.eof = p->err.eof = 1;
		p->exited = 1;
		LeaveCriticalSection(&p->lock);
		SetEvent(p->started);
		event_active(p->wake, EV_READ, 0);
		return 0;
	}
	if ((t = CreateThread(NULL, 0, reader, &p->err, 0, NULL)) == NULL)
		serve_error = GetLastError();
	if (!RegisterWaitForSingleObject(&p->waiter, p->process, on_process_end, p, INFINITE, WT_EXECUTEONLYONCE)) {
		serve_error = GetLastError();
		p->waiter = NULL;
	}
	EnterCriticalSection(&p->lock);
	p->err.thread = t;
	if (t == NULL)
		p->err.eof = 1;
	p->serve_error = serve_error;
	LeaveCriticalSection(&p->lock);
	if (serve_error)   /* it cannot be served: it ends now (and the loop logs why) */
		kill_tree(p);
	SetEvent(p->started);
	read_stream(&p->out);
	if (p->waiter == NULL) {   /* no wait in the pool: this thread waits */
		WaitForSingleObject(p->process, INFINITE);
		on_process_end(p, FALSE);
	}
	return 0;
}

struct proc *
proc_start(struct event_base *base, const char *const argv[], const char *tag, const struct proc_cb *cb)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
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
	if (!CreatePipe(&p->child_in, &p->in, &sa, 0) || !CreatePipe(&p->out.pipe, &p->child_out, &sa, 0) ||
	    !CreatePipe(&p->err.pipe, &p->child_err, &sa, 0)) {
		log_warnx("%s: CreatePipe: %s", tag, win32_strerror(GetLastError()));
		goto fail;
	}
	SetHandleInformation(p->in, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(p->out.pipe, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(p->err.pipe, HANDLE_FLAG_INHERIT, 0);
	p->out.space = CreateEventW(NULL, FALSE, FALSE, NULL);
	p->err.space = CreateEventW(NULL, FALSE, FALSE, NULL);
	p->wready = CreateEventW(NULL, FALSE, FALSE, NULL);
	p->started = CreateEventW(NULL, TRUE, FALSE, NULL);
	p->wake = event_new(base, -1, EV_READ, on_wake, p);
	p->retry = evtimer_new(base, on_retry, p);
	if (p->out.space == NULL || p->err.space == NULL || p->wready == NULL || p->started == NULL ||
	    p->wake == NULL || p->retry == NULL)
		goto fail;
	p->create_flags = console_flags();
	event_add(p->wake, NULL);
	/* suspended until out.thread is set: kill_tree may read it from the thread itself */
	if ((p->out.thread = CreateThread(NULL, 0, start_thread, p, CREATE_SUSPENDED, NULL)) == NULL) {
		log_warnx("%s: CreateThread: %s", tag, win32_strerror(GetLastError()));
		goto fail;
	}
	ResumeThread(p->out.thread);
	free(line);
	log_debug("%s: starting %s", tag, argv[0]);
	return p;
fail:
	close_handle(&p->child_in);
	close_handle(&p->child_out);
	close_handle(&p->child_err);
	close_handle(&p->in);
	close_handle(&p->out.pipe);
	close_handle(&p->err.pipe);
	close_handle(&p->out.space);
	close_handle(&p->err.space);
	close_handle(&p->wready);
	close_handle(&p->started);
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
	LeaveCriticalSection(&p->lock);
	if (rc == 0 && p->writer == NULL && (p->writer = CreateThread(NULL, 0, writer, p, 0, NULL)) == NULL) {
		log_warnx("%s: CreateThread: %s", p->tag, win32_strerror(GetLastError()));
		p->in_closed = 1;
		close_handle(&p->in);
		return -1;
	}
	SetEvent(p->wready);
	return rc;
}

void
proc_close_stdin(struct proc *p)
{
	p->in_closed = 1;
	if (p->writer == NULL) {   /* nothing was ever written */
		close_handle(&p->in);
		return;
	}
	EnterCriticalSection(&p->lock);
	p->wclose = 1;
	LeaveCriticalSection(&p->lock);
	SetEvent(p->wready);
}

void
proc_kill(struct proc *p)
{
	int launched;

	if (p->reported)
		return;
	EnterCriticalSection(&p->lock);
	launched = p->launched;
	p->kill_pending = 1;   /* not launched yet: the stdout thread kills it at once */
	LeaveCriticalSection(&p->lock);
	if (launched)
		kill_tree(p);
}

int
proc_wait(struct proc *p, unsigned timeout_ms)
{
	ULONGLONG t0 = GetTickCount64(), spent;

	if (WaitForSingleObject(p->started, timeout_ms) == WAIT_TIMEOUT)
		return 0;
	if (p->process == NULL)   /* it never started */
		return 1;
	spent = GetTickCount64() - t0;
	return WaitForSingleObject(p->process, spent < timeout_ms ? (DWORD)(timeout_ms - spent) : 0) != WAIT_TIMEOUT;
}

long
proc_pid(const struct proc *p)
{
	WaitForSingleObject(p->started, INFINITE);
	return (long)p->pid;
}

void
proc_free(struct proc *p)
{
	if (p == NULL)
		return;
	WaitForSingleObject(p->started, INFINITE);   /* a start under way ends first */
	if (p->process && WaitForSingleObject(p->process, 0) == WAIT_TIMEOUT)
		kill_tree(p);
	else if (p->job)
		TerminateJobObject(p->job, KILL_CODE);   /* leftovers of an ended child */
	EnterCriticalSection(&p->lock);
	p->stopping = 1;
	p->wstop = 1;
	LeaveCriticalSection(&p->lock);
	SetEvent(p->out.space);
	SetEvent(p->err.space);
	SetEvent(p->wready);
	if (p->waiter)
		UnregisterWaitEx(p->waiter, INVALID_HANDLE_VALUE);   /* returns once its callback ran or never will */
	if (p->writer == NULL)
		close_handle(&p->in);
	join(&p->writer);
	join(&p->out.thread);
	join(&p->err.thread);
	event_free(p->wake);
	event_free(p->retry);
	close_handle(&p->job);
	close_handle(&p->process);
	close_handle(&p->out.pipe);
	close_handle(&p->err.pipe);
	close_handle(&p->out.space);
	close_handle(&p->err.space);
	close_handle(&p->wready);
	close_handle(&p->started);
	DeleteCriticalSection(&p->lock);
	free(p->wq);
	free(p);
}
