/* Test processes on POSIX: the program under test as a child with its output in a file. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct tu_proc {
	pid_t pid;
	int status;
	int ended;
};

struct tu_proc *
tu_proc_start(const char *const argv[], const char *logpath)
{
	struct tu_proc *p = calloc(1, sizeof *p);
	posix_spawn_file_actions_t fa;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&p->pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		free(p);
		return NULL;
	}
	posix_spawn_file_actions_destroy(&fa);
	return p;
}

void
tu_proc_term(struct tu_proc *p)
{
	if (!p->ended)
		kill(p->pid, SIGTERM);
}

int
tu_proc_wait(struct tu_proc *p, int timeout_ms)
{
	uint64_t deadline = tu_now_ms() + (uint64_t)timeout_ms;

	while (!p->ended) {
		int st;

		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->ended = 1;
			p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
		if (tu_now_ms() >= deadline)
			return -1;
		tu_sleep_ms(5);
	}
	return p->status;
}

void
tu_proc_free(struct tu_proc *p)
{
	if (p == NULL)
		return;
	if (!p->ended) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	free(p);
}

const char *
tu_program(const char *var)
{
	const char *v = getenv(var);

	return v ? v : var;
}

void
tu_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

char *
tu_tmpdir(const char *prefix)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t n = strlen(base) + strlen(prefix) + 16;
	char *path = malloc(n);

	snprintf(path, n, "%s/%s-XXXXXX", base, prefix);
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

void
tu_setenv(const char *name, const char *value)
{
	setenv(name, value, 1);
}

int
tu_pid_alive(long pid)
{
	int st;

	waitpid((pid_t)pid, &st, WNOHANG);   /* reap it if it is ours */
	if (kill((pid_t)pid, 0) != 0)
		return 0;
#ifdef __linux__
	{
		/* not ours (a grandchild): once it ended it is a zombie until init reaps it, when init gets to it */
		char path[64], buf[512], *rp;
		FILE *f;
		size_t n;

		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			return 0;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		if ((rp = strrchr(buf, ')')) != NULL && (rp[2] == 'Z' || rp[2] == 'X'))
			return 0;
	}
#endif
	return 1;
}

void
tu_pid_kill(long pid)
{
	kill((pid_t)pid, SIGKILL);
}

long
tu_proc_rss_kb(struct tu_proc *p)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)p->pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

int
tu_copy_program(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
	char buf[65536];
	size_t n;
	int rc = in && out ? 0 : -1;

	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc == 0 ? chmod(dst, 0755) : -1;
}

int
tu_under_wine(void)
{
	return 0;
}

int
tu_native_split(const char *line, char *out, size_t outlen)
{
	(void)line;
	(void)out;
	(void)outlen;
	return -2;
}

static long
count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - (strcmp(path, "/proc/self/fd") == 0);   /* the directory's own descriptor */
}

long
tu_self_threads(void)
{
	return count_entries("/proc/self/task");
}

long
tu_self_handles(void)
{
	return count_entries("/proc/self/fd");
}
