/* Test processes on Windows: the program under test as a child with its output in a file. */
#include "testutil.h"

#include <winsock2.h>
#include <windows.h>
#include <shellapi.h>
#include <tlhelp32.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wincmdline.h"
#include "win32.h"

struct tu_proc {
	HANDLE process;
	DWORD pid;
};

/* Every child of a test dies with the test, even when a failed check skipped its clean-up (Check
 * cannot fork on Windows). */
static HANDLE
test_job(void)
{
	static HANDLE job;
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;

	if (job == NULL && (job = CreateJobObjectW(NULL, NULL)) != NULL) {
		memset(&li, 0, sizeof li);
		li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE |
		    JOB_OBJECT_LIMIT_BREAKAWAY_OK;
		SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof li);
	}
	return job;
}

struct tu_proc *
tu_proc_start(const char *const argv[], const char *logpath)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	char line[8192];
	wchar_t *wline, *wapp, *wlog;
	HANDLE log;
	struct tu_proc *p;
	BOOL ok;

	if (wincmdline_quote(argv, line, sizeof line) == 0)
		return NULL;
	wline = win32_wide(line);
	wapp = win32_wide(argv[0]);
	wlog = win32_wide(logpath);
	log = CreateFileW(wlog, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_ALWAYS, 0, NULL);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = INVALID_HANDLE_VALUE;
	si.hStdOutput = log;
	si.hStdError = log;
	ok = CreateProcessW(wapp, wline, NULL, NULL, TRUE, CREATE_NO_WINDOW | CREATE_SUSPENDED, NULL, NULL, &si,
	    &pi);
	if (ok) {
		AssignProcessToJobObject(test_job(), pi.hProcess);
		ResumeThread(pi.hThread);
	}
	CloseHandle(log);
	free(wline);
	free(wapp);
	free(wlog);
	if (!ok)
		return NULL;
	CloseHandle(pi.hThread);
	p = calloc(1, sizeof *p);
	p->process = pi.hProcess;
	p->pid = pi.dwProcessId;
	return p;
}

void
tu_proc_term(struct tu_proc *p)
{
	wchar_t name[64];
	HANDLE ev;

	swprintf(name, 64, L"Local\\msdns-agent-stop-%lu", (unsigned long)p->pid);
	ev = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
	if (ev) {
		SetEvent(ev);
		CloseHandle(ev);
	} else {
		TerminateProcess(p->process, 143);
	}
}

int
tu_proc_wait(struct tu_proc *p, int timeout_ms)
{
	DWORD code;

	if (WaitForSingleObject(p->process, (DWORD)timeout_ms) != WAIT_OBJECT_0)
		return -1;
	GetExitCodeProcess(p->process, &code);
	return (int)code;
}

void
tu_proc_free(struct tu_proc *p)
{
	if (p == NULL)
		return;
	if (WaitForSingleObject(p->process, 0) != WAIT_OBJECT_0) {
		TerminateProcess(p->process, 137);
		WaitForSingleObject(p->process, 5000);
	}
	CloseHandle(p->process);
	free(p);
}

/* Programs are named by Linux paths in the test environment; under Wine they are Z:\ paths. */
const char *
tu_program(const char *var)
{
	static char paths[8][1024];
	static int next;
	const char *v = getenv(var);
	char *out;
	size_t i;

	if (v == NULL)
		return var;
	if (v[0] != '/')
		return v;
	out = paths[next++ % 8];
	snprintf(out, sizeof paths[0], "Z:%s", v);
	for (i = 0; out[i]; i++)
		if (out[i] == '/')
			out[i] = '\\';
	return out;
}

void
tu_sleep_ms(unsigned ms)
{
	Sleep(ms);
}

char *
tu_tmpdir(const char *prefix)
{
	wchar_t base[MAX_PATH];
	char *b, *path;
	size_t n;
	static unsigned seq;
	int tries;

	if (GetTempPathW(MAX_PATH, base) == 0 || (b = win32_utf8(base)) == NULL)
		return NULL;
	n = strlen(b) + strlen(prefix) + 32;
	path = malloc(n);
	for (tries = 0; tries < 100; tries++) {
		wchar_t *w;
		BOOL ok;

		snprintf(path, n, "%s%s-%lu-%u", b, prefix, (unsigned long)GetCurrentProcessId(), seq++);
		w = win32_wide(path);
		ok = CreateDirectoryW(w, NULL);
		free(w);
		if (ok) {
			free(b);
			return path;
		}
	}
	free(b);
	free(path);
	return NULL;
}

void
tu_setenv(const char *name, const char *value)
{
	wchar_t *n = win32_wide(name), *v = win32_wide(value);
	size_t len = strlen(name) + strlen(value) + 2;
	char *both = malloc(len);

	SetEnvironmentVariableW(n, *value ? v : NULL);   /* what children inherit */
	snprintf(both, len, "%s=%s", name, value);
	_putenv(both);                                   /* what getenv() here sees */
	free(both);
	free(n);
	free(v);
}

int
tu_pid_alive(long pid)
{
	HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
	DWORD code = 0;
	int alive;

	if (h == NULL)
		return 0;
	alive = WaitForSingleObject(h, 0) == WAIT_TIMEOUT && GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
	CloseHandle(h);
	return alive;
}

void
tu_pid_kill(long pid)
{
	HANDLE h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)pid);

	if (h) {
		TerminateProcess(h, 0xDEAD);
		CloseHandle(h);
	}
}

long
tu_proc_rss_kb(struct tu_proc *p)
{
	(void)p;
	return -1;   /* PROCESS_MEMORY_COUNTERS needs psapi; the benchmark measures memory on Linux */
}

int
tu_copy_program(const char *src, const char *dst)
{
	wchar_t *a = win32_wide(src), *b = win32_wide(dst);
	int ok = a && b && CopyFileW(a, b, FALSE);

	free(a);
	free(b);
	return ok ? 0 : -1;
}

int
tu_under_wine(void)
{
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");

	return ntdll && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

int
tu_native_split(const char *line, char *out, size_t outlen)
{
	wchar_t *w = win32_wide(line), **argv;
	int argc = 0, i;
	size_t o = 0;

	if (w == NULL || (argv = CommandLineToArgvW(w, &argc)) == NULL) {
		free(w);
		return -1;
	}
	out[0] = '\0';
	for (i = 0; i < argc; i++) {
		char *a = win32_utf8(argv[i]);

		o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0, "%s\n", a ? a : "");
		free(a);
	}
	LocalFree(argv);
	free(w);
	return argc;
}

long
tu_self_threads(void)
{
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
	THREADENTRY32 te;
	long n = 0;

	if (snap == INVALID_HANDLE_VALUE)
		return -1;
	te.dwSize = sizeof te;
	for (BOOL ok = Thread32First(snap, &te); ok; ok = Thread32Next(snap, &te))
		n += te.th32OwnerProcessID == GetCurrentProcessId();
	CloseHandle(snap);
	return n ? n : -1;
}

long
tu_self_handles(void)
{
	DWORD n = 0;

	return GetProcessHandleCount(GetCurrentProcess(), &n) && n > 0 ? (long)n : -1;
}
