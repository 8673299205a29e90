/* This process's working set, open handles and start time, from the Win32 process APIs. */
#include "procinfo.h"

#include <windows.h>
#include <psapi.h>

int64_t
procinfo_rss_bytes(void)
{
	PROCESS_MEMORY_COUNTERS pmc;

	if (!GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
		return -1;
	return (int64_t)pmc.WorkingSetSize;
}

int64_t
procinfo_open_fds(void)
{
	DWORD n;

	if (!GetProcessHandleCount(GetCurrentProcess(), &n))
		return -1;
	return (int64_t)n;
}

double
procinfo_start_time(void)
{
	FILETIME created, exited, kernel, user;
	ULARGE_INTEGER t;

	if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user))
		return -1;
	t.LowPart = created.dwLowDateTime;
	t.HighPart = created.dwHighDateTime;
	/* 100 ns ticks since 1601-01-01; the Unix epoch is 11644473600 s later */
	return (double)t.QuadPart / 1e7 - 11644473600.0;
}
