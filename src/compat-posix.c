/* POSIX side of compat.h. */
#include "compat.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int
compat_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void
compat_realtime(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

void
compat_localtime(time_t t, struct tm *out)
{
	localtime_r(&t, out);
}

uint64_t
compat_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

long
compat_getpid(void)
{
	return (long)getpid();
}

long
compat_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1000000)
		return 1000000;
	return (long)rl.rlim_cur;
}

void
compat_udp_socket(intptr_t fd)
{
	(void)fd;
}

int
compat_sock_wouldblock(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

int
compat_sock_out_of_fds(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

const char *
compat_sock_strerror(void)
{
	return strerror(errno);
}

void
compat_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
compat_mkdir(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int
compat_replace_file(const char *from, const char *to)
{
	return rename(from, to);
}

FILE *
compat_fopen(const char *path, const char *mode)
{
	return fopen(path, mode);
}
