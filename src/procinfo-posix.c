/* This process's resident memory, open descriptors and start time, from /proc (Linux). */
#include "procinfo.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t
procinfo_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	long size, resident;
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%ld %ld", &size, &resident);
	fclose(f);
	if (n != 2)
		return -1;
	return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

int64_t
procinfo_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int64_t n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the directory's own descriptor */
}

double
procinfo_start_time(void)
{
	char buf[1024], *p;
	unsigned long long start_ticks;
	double uptime, now = (double)time(NULL);
	FILE *f;
	size_t n;
	int i;

	/* field 22 of /proc/self/stat, after the parenthesised command name (which may hold spaces) */
	f = fopen("/proc/self/stat", "re");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	for (i = 0; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", &start_ticks) != 1)
		return -1;
	f = fopen("/proc/uptime", "re");
	if (f == NULL)
		return -1;
	i = fscanf(f, "%lf", &uptime);
	fclose(f);
	if (i != 1)
		return -1;
	return now - uptime + (double)start_ticks / (double)sysconf(_SC_CLK_TCK);
}
