/* The few operating-system calls that differ between POSIX and Windows (compat-posix.c / compat-win32.c). */
#ifndef MSDNS_COMPAT_H
#define MSDNS_COMPAT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <event2/util.h>

/* EVUTIL_INVALID_SOCKET as an evutil_socket_t (unsigned INVALID_SOCKET on Windows). */
#define COMPAT_INVALID_SOCKET ((evutil_socket_t)EVUTIL_INVALID_SOCKET)

struct sockaddr;

/* Process-wide start-up: sockets (WSAStartup), SIGPIPE ignored. Returns 0 or -1. */
int compat_init(void);
/* Wall-clock time. */
void compat_realtime(struct timespec *ts);
/* Local broken-down time of t. */
void compat_localtime(time_t t, struct tm *out);
/* Monotonic milliseconds since an arbitrary start. */
uint64_t compat_monotonic_ms(void);
/* This process's id. */
long compat_getpid(void);
/* Descriptors this process may hold at most (a large number when there is no such limit). */
long compat_fd_limit(void);
/* Per-socket set-up of a UDP socket (Windows: ICMP port-unreachable must not break it). */
void compat_udp_socket(intptr_t fd);

/* The local address a datagram was sent to (family 0 when the system did not say). */
struct compat_dst {
	int family;
	unsigned ifindex;
	uint8_t addr[16];
};

struct sockaddr_storage;
/* Ask the system to report each datagram's destination on a wildcard socket. Returns 0 or -1. */
int compat_udp_want_dst(evutil_socket_t fd, int family);
/* recvfrom() that also fills *dst when the system reports the destination. Returns the length
 * (possibly more than len when truncated, as with recvfrom into len + 1), or -1. */
long compat_udp_recv(evutil_socket_t fd, void *buf, size_t len, struct sockaddr_storage *peer, int *peerlen,
    struct compat_dst *dst);
/* sendto() from the address in dst when dst->family is set, so the reply leaves from where the
 * request arrived (a multi-homed host answering on a wildcard socket). Returns the length or -1. */
long compat_udp_send(evutil_socket_t fd, const void *buf, size_t len, const struct sockaddr *peer, int peerlen,
    const struct compat_dst *dst);
/* Whether the last socket error means "try again later". */
int compat_sock_wouldblock(void);
/* Whether the last accept() error means "out of descriptors". */
int compat_sock_out_of_fds(int err);
/* Text of the last socket error. */
const char *compat_sock_strerror(void);
/* Sleep this long. */
void compat_sleep_ms(unsigned ms);
/* Create a directory (0755 where modes exist). Returns 0, or -1 unless it exists already. */
int compat_mkdir(const char *path);
/* Rename from over to, replacing to when it exists. Returns 0 or -1. */
int compat_replace_file(const char *from, const char *to);
/* fopen() of a UTF-8 path (UTF-16 on Windows), close-on-exec (not inherited by child processes). */
FILE *compat_fopen(const char *path, const char *mode);

#endif
