/* One child process on Windows: CreateProcessW suspended into a kill-on-close job, three pipes served by threads. */
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
 * waits for the process handle (RegisterWaitForSingleObject). A reader
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

static DWORD WINAPI
reader(LPVOID arg)
{
	struct stream *s = arg;
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

/* Kill the tree; without a job, also stop the readers (a descendant may hold the pipes). */
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
		CancelSynchronousIo(p->out.thread);
		CancelSynchronousIo(p->err.thread);
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
	DWORD code;

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
	LeaveCriticalSection(&p->lock);
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

struct proc *
proc_start(struct event_base *base, const char *const argv[], const char *tag, const struct proc_cb *cb)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	HANDLE child_in = NULL, child_out = NULL, child_err = NULL, inherit[3];
	LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
	SIZE_T asize = 0;
	char *line = NULL;
	wchar_t *wline = NULL, *wapp = NULL;
	struct proc *p = calloc(1, sizeof *p);

	if (p == NULL || (line = malloc(CMDLINE_MAX)) == NULL) {
		free(p);
		return NULL;
	}
	p->base = base;
	p->cb = *cb;
	snprintf(p->tag, sizeof p->tag, "%s", tag);
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
	wline = win32_wide(line);
	wapp = win32_wide(argv[0]);
	if (wline == NULL || wapp == NULL)
		goto fail;
	if (!CreatePipe(&child_in, &p->in, &sa, 0) || !CreatePipe(&p->out.pipe, &child_out, &sa, 0) ||
	    !CreatePipe(&p->err.pipe, &child_err, &sa, 0)) {
		log_warnx("%s: CreatePipe: %s", tag, win32_strerror(GetLastError()));
		goto fail;
	}
	SetHandleInformation(p->in, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(p->out.pipe, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(p->err.pipe, HANDLE_FLAG_INHERIT, 0);
	p->out.space = CreateEventW(NULL, FALSE, FALSE, NULL);
	p->err.space = CreateEventW(NULL, FALSE, FALSE, NULL);
	p->wready = CreateEventW(NULL, FALSE, FALSE, NULL);
	p->wake = event_new(base, -1, EV_READ, on_wake, p);
	p->retry = evtimer_new(base, on_retry, p);
	if (p->out.space == NULL || p->err.space == NULL || p->wready == NULL || p->wake == NULL || p->retry == NULL)
		goto fail;
	/* only the three pipe ends are inherited: never our sockets */
	InitializeProcThreadAttributeList(NULL, 1, 0, &asize);
	attrs = HeapAlloc(GetProcessHeap(), 0, asize);
	inherit[0] = child_in;
	inherit[1] = child_out;
	inherit[2] = child_err;
	if (attrs == NULL || !InitializeProcThreadAttributeList(attrs, 1, 0, &asize) ||
	    !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit, sizeof inherit, NULL,
	    NULL)) {
		log_warnx("%s: attribute list: %s", tag, win32_strerror(GetLastError()));
		goto fail;
	}
	memset(&si, 0, sizeof si);
	si.StartupInfo.cb = sizeof si;
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = child_in;
	si.StartupInfo.hStdOutput = child_out;
	si.StartupInfo.hStdError = child_err;
	si.lpAttributeList = attrs;
	if (!CreateProcessW(wapp, wline, NULL, NULL, TRUE,
	    CREATE_SUSPENDED | CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT, NULL, NULL, &si.StartupInfo, &pi)) {
		log_warnx("%s: cannot start %s: %s", tag, argv[0], win32_strerror(GetLastError()));
		goto fail;
	}
	p->job = make_job();
	if (p->job == NULL || !AssignProcessToJobObject(p->job, pi.hProcess)) {
		/* e.g. Server 2008 R2 inside another job: the child runs, but only it is killed */
		log_warnx("%s: no job object (%s); its own children would outlive a kill", tag,
		    win32_strerror(GetLastError()));
		close_handle(&p->job);
	}
	p->process = pi.hProcess;
	p->pid = pi.dwProcessId;
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	close_handle(&child_in);
	close_handle(&child_out);
	close_handle(&child_err);
	DeleteProcThreadAttributeList(attrs);
	HeapFree(GetProcessHeap(), 0, attrs);
	free(line);
	free(wline);
	free(wapp);
	event_add(p->wake, NULL);
	p->out.thread = CreateThread(NULL, 0, reader, &p->out, 0, NULL);
	p->err.thread = CreateThread(NULL, 0, reader, &p->err, 0, NULL);
	if (p->out.thread == NULL || p->err.thread == NULL ||
	    !RegisterWaitForSingleObject(&p->waiter, p->process, on_process_end, p, INFINITE, WT_EXECUTEONLYONCE)) {
		log_warnx("%s: CreateThread: %s", tag, win32_strerror(GetLastError()));
		p->waiter = NULL;
		proc_free(p);
		return NULL;
	}
	log_debug("%s: started pid %lu", tag, (unsigned long)p->pid);
	return p;
fail:
	if (attrs) {
		DeleteProcThreadAttributeList(attrs);
		HeapFree(GetProcessHeap(), 0, attrs);
	}
	close_handle(&child_in);
	close_handle(&child_out);
	close_handle(&child_err);
	close_handle(&p->in);
	close_handle(&p->out.pipe);
	close_handle(&p->err.pipe);
	close_handle(&p->out.space);
	close_handle(&p->err.space);
	close_handle(&p->wready);
	if (p->wake)
		event_free(p->wake);
	if (p->retry)
		event_free(p->retry);
	DeleteCriticalSection(&p->lock);
	free(line);
	free(wline);
	free(wapp);
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
	if (!p->reported)
		kill_tree(p);
}

int
proc_wait(struct proc *p, unsigned timeout_ms)
{
	return WaitForSingleObject(p->process, timeout_ms) != WAIT_TIMEOUT;
}

long
proc_pid(const struct proc *p)
{
	return (long)p->pid;
}

void
proc_free(struct proc *p)
{
	if (p == NULL)
		return;
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
	DeleteCriticalSection(&p->lock);
	free(p->wq);
	free(p);
}
