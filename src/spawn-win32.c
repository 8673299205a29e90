/* Child processes on Windows: CreateProcessW suspended into a kill-on-close job, output drained by a thread. */
#define LOG_MODULE "spawn"
#include "spawner.h"

#include <winsock2.h>
#include <windows.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "cmdline.h"
#include "log.h"
#include "spawnlog.h"
#include "win32.h"

#define OUT_MAX (256 * 1024)   /* output kept per child; the rest is drained and counted */
#define CMDLINE_MAX 32768

struct child {
	struct child *next;
	struct spawner *s;
	HANDLE process, job, pipe, thread;
	DWORD pid;
	struct event *timer;
	char tag[96];
	/* written by the drain thread, read on the loop after it finished */
	char *out;
	size_t outlen;
	unsigned long dropped;
	DWORD code;
	volatile LONG finished;
	int timed_out;
	spawn_line_fn *on_line;
	spawn_done_fn *done;
	void *arg;
};

struct spawner {
	struct event_base *base;
	struct event *wake;        /* activated by drain threads when a child finished */
	struct child *children;
	unsigned running;
};

/* The drain thread: read the pipe to its end, wait for the process, then wake the loop. */
static DWORD WINAPI
drain(LPVOID p)
{
	struct child *c = p;
	char buf[4096];
	DWORD n;

	while (ReadFile(c->pipe, buf, sizeof buf, &n, NULL) && n > 0) {
		size_t keep = c->outlen + n <= OUT_MAX ? n : OUT_MAX - c->outlen;

		memcpy(c->out + c->outlen, buf, keep);
		c->outlen += keep;
		c->dropped += n - keep;
	}
	WaitForSingleObject(c->process, INFINITE);
	GetExitCodeProcess(c->process, &c->code);
	InterlockedExchange(&c->finished, 1);
	event_active(c->s->wake, EV_READ, 0);
	return 0;
}

static void
child_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	(void)fd;
	(void)what;
	log_warnx("%s: no end after the timeout; terminating its job (pid %lu and its children)", c->tag,
	    (unsigned long)c->pid);
	c->timed_out = 1;
	if (c->job) {
		TerminateJobObject(c->job, 0xDEAD);
	} else {
		/* no job: a grandchild may hold the pipe open; stop waiting for its end of file */
		TerminateProcess(c->process, 0xDEAD);
		CancelSynchronousIo(c->thread);
	}
}

static void
child_end(struct child *c, int killed)
{
	struct spawnlog l;
	enum spawn_end how;
	long code = (long)c->code;

	WaitForSingleObject(c->thread, INFINITE);
	CloseHandle(c->thread);
	spawnlog_init(&l, c->tag, c->on_line, c->arg);
	spawnlog_feed(&l, c->out, c->outlen);
	l.dropped += c->dropped;
	spawnlog_flush(&l);
	if (c->dropped && c->on_line)
		c->on_line(c->arg, NULL, 0, 1);   /* output past OUT_MAX was lost */
	if (killed)
		how = SPAWN_KILLED;
	else if (c->timed_out)
		how = SPAWN_TIMEOUT;
	else if (c->code >= 0xC0000000UL)
		how = SPAWN_CRASHED;   /* an NTSTATUS exception code, e.g. 0xC0000005 */
	else
		how = SPAWN_EXITED;
	event_free(c->timer);
	if (c->job)
		CloseHandle(c->job);
	CloseHandle(c->process);
	CloseHandle(c->pipe);
	free(c->out);
	c->s->running--;
	c->done(c->arg, how, code);
	free(c);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct spawner *s = arg;
	struct child **pp = &s->children;

	(void)fd;
	(void)what;
	while (*pp) {
		struct child *c = *pp;

		if (InterlockedCompareExchange(&c->finished, 0, 0)) {
			*pp = c->next;
			child_end(c, 0);
		} else {
			pp = &c->next;
		}
	}
}

struct spawner *
spawner_new(struct event_base *base)
{
	struct spawner *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->base = base;
	/* children inherit the error mode: a crashing PowerShell must end, not wait on a debugger or a dialog */
	SetErrorMode(GetErrorMode() | SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	s->wake = event_new(base, -1, EV_READ | EV_PERSIST, on_wake, s);
	if (s->wake == NULL) {
		free(s);
		return NULL;
	}
	event_add(s->wake, NULL);
	return s;
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

int
spawn_start(struct spawner *s, const char *const argv[], unsigned timeout_ms, const char *tag,
    spawn_line_fn *on_line, spawn_done_fn *done, void *arg)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	HANDLE rd = NULL, wr = NULL, nul = INVALID_HANDLE_VALUE, inherit[2];
	LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
	SIZE_T asize = 0;
	char *line = NULL;
	wchar_t *wline = NULL, *wapp = NULL;
	struct child *c = calloc(1, sizeof *c);
	struct timeval tv = { (long)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000 };
	BOOL ok = FALSE;

	if (c == NULL || (c->out = malloc(OUT_MAX)) == NULL || (line = malloc(CMDLINE_MAX)) == NULL)
		goto fail;
	if (cmdline_quote(argv, line, CMDLINE_MAX) == 0) {
		log_warnx("%s: command line too long or not quotable", tag);
		goto fail;
	}
	wline = win32_wide(line);
	wapp = win32_wide(argv[0]);
	if (wline == NULL || wapp == NULL)
		goto fail;
	if (!CreatePipe(&rd, &wr, &sa, 0)) {
		log_warnx("%s: CreatePipe: %s", tag, win32_strerror(GetLastError()));
		goto fail;
	}
	SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
	nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
	/* only the pipe and NUL are inherited: never our sockets */
	InitializeProcThreadAttributeList(NULL, 1, 0, &asize);
	attrs = HeapAlloc(GetProcessHeap(), 0, asize);
	inherit[0] = nul;
	inherit[1] = wr;
	if (attrs == NULL || !InitializeProcThreadAttributeList(attrs, 1, 0, &asize) ||
	    !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit, sizeof inherit, NULL,
	    NULL)) {
		log_warnx("%s: attribute list: %s", tag, win32_strerror(GetLastError()));
		goto fail;
	}
	memset(&si, 0, sizeof si);
	si.StartupInfo.cb = sizeof si;
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = nul;
	si.StartupInfo.hStdOutput = wr;
	si.StartupInfo.hStdError = wr;
	si.lpAttributeList = attrs;
	ok = CreateProcessW(wapp, wline, NULL, NULL, TRUE,
	    CREATE_SUSPENDED | CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT, NULL, NULL, &si.StartupInfo, &pi);
	if (!ok) {
		log_warnx("%s: cannot start %s: %s", tag, argv[0], win32_strerror(GetLastError()));
		goto fail;
	}
	c->job = make_job();
	if (c->job == NULL || !AssignProcessToJobObject(c->job, pi.hProcess)) {
		/* e.g. Server 2008 R2 inside another job: the child runs, but only it is killed at the timeout */
		log_warnx("%s: no job object (%s); its own children would outlive a timeout", tag,
		    win32_strerror(GetLastError()));
		if (c->job)
			CloseHandle(c->job);
		c->job = NULL;
	}
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	CloseHandle(wr);
	CloseHandle(nul);
	DeleteProcThreadAttributeList(attrs);
	HeapFree(GetProcessHeap(), 0, attrs);
	free(line);
	free(wline);
	free(wapp);
	snprintf(c->tag, sizeof c->tag, "%s", tag);
	c->s = s;
	c->process = pi.hProcess;
	c->pid = pi.dwProcessId;
	c->pipe = rd;
	c->on_line = on_line;
	c->done = done;
	c->arg = arg;
	c->timer = evtimer_new(s->base, child_timeout, c);
	evtimer_add(c->timer, &tv);
	c->next = s->children;
	s->children = c;
	s->running++;
	c->thread = CreateThread(NULL, 0, drain, c, 0, NULL);
	if (c->thread == NULL) {
		log_warnx("%s: CreateThread: %s", tag, win32_strerror(GetLastError()));
		TerminateProcess(c->process, 0xDEAD);
		c->thread = CreateThread(NULL, 0, drain, c, 0, NULL);   /* one more try, else block */
		if (c->thread == NULL)
			drain(c);
	}
	log_debug("%s: started pid %lu", tag, (unsigned long)c->pid);
	return 0;
fail:
	if (attrs) {
		DeleteProcThreadAttributeList(attrs);
		HeapFree(GetProcessHeap(), 0, attrs);
	}
	if (rd)
		CloseHandle(rd);
	if (wr)
		CloseHandle(wr);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	free(line);
	free(wline);
	free(wapp);
	if (c)
		free(c->out);
	free(c);
	return -1;
}

unsigned
spawner_running(const struct spawner *s)
{
	return s->running;
}

void
spawner_free(struct spawner *s)
{
	if (s == NULL)
		return;
	while (s->children) {
		struct child *c = s->children;

		s->children = c->next;
		if (c->job) {
			TerminateJobObject(c->job, 0xDEAD);
		} else {
			TerminateProcess(c->process, 0xDEAD);
			CancelSynchronousIo(c->thread);
		}
		child_end(c, 1);
	}
	event_free(s->wake);
	free(s);
}
