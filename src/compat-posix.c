/* POSIX side of compat.h. */
#define _GNU_SOURCE   /* struct in_pktinfo */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
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
	FILE *f = fopen(path, mode);

	/* the agent has one thread: nothing can fork between fopen and fcntl */
	if (f && fcntl(fileno(f), F_SETFD, FD_CLOEXEC) != 0) {
		fclose(f);
		return NULL;
	}
	return f;
}

int
compat_udp_want_dst(evutil_socket_t fd, int family)
{
	int on = 1;

	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
	return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
}

long
compat_udp_recv(evutil_socket_t fd, void *buf, size_t len, struct sockaddr_storage *peer, int *peerlen,
    struct compat_dst *dst)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	memset(&msg, 0, sizeof msg);
	msg.msg_name = peer;
	msg.msg_namelen = (socklen_t)*peerlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof ctl.buf;
	memset(dst, 0, sizeof *dst);
	if ((n = recvmsg(fd, &msg, 0)) < 0)
		return -1;
	*peerlen = (int)msg.msg_namelen;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			dst->family = AF_INET;
			dst->ifindex = (unsigned)pi.ipi_ifindex;
			memcpy(dst->addr, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			dst->family = AF_INET6;
			dst->ifindex = pi.ipi6_ifindex;
			memcpy(dst->addr, &pi.ipi6_addr, 16);
		}
	}
	return (long)n;
}

long
compat_udp_send(evutil_socket_t fd, const void *buf, size_t len, const struct sockaddr *peer, int peerlen,
    const struct compat_dst *dst)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg;
	struct cmsghdr *c;

	if (dst->family == 0)
		return (long)sendto(fd, buf, len, 0, peer, (socklen_t)peerlen);
	memset(&msg, 0, sizeof msg);
	memset(&ctl, 0, sizeof ctl);
	msg.msg_name = (void *)peer;
	msg.msg_namelen = (socklen_t)peerlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	c = (struct cmsghdr *)ctl.buf;
	if (dst->family == AF_INET) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof pi);
		memcpy(&pi.ipi_spec_dst, dst->addr, 4);   /* the source address; routing picks the interface */
		msg.msg_controllen = CMSG_SPACE(sizeof pi);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
	} else {
		struct in6_pktinfo pi;

		memset(&pi, 0, sizeof pi);
		memcpy(&pi.ipi6_addr, dst->addr, 16);
		pi.ipi6_ifindex = dst->ifindex;            /* link-local addresses need their interface */
		msg.msg_controllen = CMSG_SPACE(sizeof pi);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
	}
	return (long)sendmsg(fd, &msg, 0);
}
