/* Windows side of compat.h, and the UTF-16 helpers of win32.h. */
#include "compat.h"
#include "win32.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <mswsock.h>
#include <mstcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/thread.h>
#include <event2/util.h>

#ifndef SIO_UDP_CONNRESET
#define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif
#ifndef SIO_UDP_NETRESET
#define SIO_UDP_NETRESET _WSAIOW(IOC_VENDOR, 15)
#endif

int
compat_init(void)
{
	WSADATA w;

	if (WSAStartup(MAKEWORD(2, 2), &w) != 0)
		return -1;
	/* the Service Control Manager's thread stops the loop: libevent must be thread-safe */
	return evthread_use_windows_threads();
}

void
compat_realtime(struct timespec *ts)
{
	FILETIME ft;
	ULARGE_INTEGER u;

	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	u.QuadPart -= 116444736000000000ULL;   /* 1601 -> 1970, in 100 ns */
	ts->tv_sec = (time_t)(u.QuadPart / 10000000ULL);
	ts->tv_nsec = (long)(u.QuadPart % 10000000ULL) * 100;
}

void
compat_localtime(time_t t, struct tm *out)
{
	struct tm *p = localtime(&t);   /* per-thread storage in the C runtime */

	if (p)
		*out = *p;
}

uint64_t
compat_monotonic_ms(void)
{
	return GetTickCount64();
}

long
compat_getpid(void)
{
	return (long)GetCurrentProcessId();
}

long
compat_fd_limit(void)
{
	return 1000000;   /* sockets are handles; no per-process descriptor limit */
}

void
compat_udp_socket(intptr_t fd)
{
	BOOL off = FALSE;
	DWORD n = 0;

	/* an ICMP port-unreachable for an earlier reply must not fail the next recvfrom */
	WSAIoctl((SOCKET)fd, SIO_UDP_CONNRESET, &off, sizeof off, NULL, 0, &n, NULL, NULL);
	WSAIoctl((SOCKET)fd, SIO_UDP_NETRESET, &off, sizeof off, NULL, 0, &n, NULL, NULL);
}

int
compat_sock_wouldblock(void)
{
	int e = WSAGetLastError();

	return e == WSAEWOULDBLOCK || e == WSAEINTR;
}

int
compat_sock_out_of_fds(int err)
{
	return err == WSAEMFILE || err == WSAENOBUFS;
}

const char *
compat_sock_strerror(void)
{
	return evutil_socket_error_to_string(WSAGetLastError());
}

void
compat_sleep_ms(unsigned ms)
{
	Sleep(ms);
}

int
compat_mkdir(const char *path)
{
	wchar_t *w = win32_wide(path);
	int ok = w && (CreateDirectoryW(w, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);

	free(w);
	return ok ? 0 : -1;
}

int
compat_replace_file(const char *from, const char *to)
{
	wchar_t *a = win32_wide(from), *b = win32_wide(to);
	int ok = a && b && MoveFileExW(a, b, MOVEFILE_REPLACE_EXISTING);

	free(a);
	free(b);
	return ok ? 0 : -1;
}

FILE *
compat_fopen(const char *path, const char *mode)
{
	char m8[16];
	wchar_t *w, *m;
	FILE *f;

	snprintf(m8, sizeof m8, "%sN", mode);   /* N: _O_NOINHERIT, no child process inherits it */
	w = win32_wide(path);
	m = win32_wide(m8);
	f = w && m ? _wfopen(w, m) : NULL;
	free(w);
	free(m);
	return f;
}

wchar_t *
win32_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0 || (w = malloc((size_t)n * sizeof *w)) == NULL)
		return NULL;
	MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
	return w;
}

char *
win32_utf8(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s;

	if (n <= 0 || (s = malloc((size_t)n)) == NULL)
		return NULL;
	WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
	return s;
}

const char *
win32_strerror(unsigned long err)
{
	static char buf[256];
	wchar_t w[256];
	char *s;
	size_t n;

	if (!FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0, w, 256, NULL) ||
	    (s = win32_utf8(w)) == NULL) {
		snprintf(buf, sizeof buf, "error %lu", err);
		return buf;
	}
	snprintf(buf, sizeof buf, "%s", s);
	free(s);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '.'))
		buf[--n] = '\0';
	return buf;
}

int
compat_udp_want_dst(evutil_socket_t fd, int family)
{
	DWORD on = 1;

	if (family == AF_INET6)
		return setsockopt((SOCKET)fd, IPPROTO_IPV6, IPV6_PKTINFO, (const char *)&on, sizeof on) == 0 ? 0 : -1;
	return setsockopt((SOCKET)fd, IPPROTO_IP, IP_PKTINFO, (const char *)&on, sizeof on) == 0 ? 0 : -1;
}

/* WSARecvMsg is reached through a function pointer (the same for every socket of a provider). */
static LPFN_WSARECVMSG
recvmsg_fn(SOCKET s)
{
	static LPFN_WSARECVMSG fn;
	GUID id = WSAID_WSARECVMSG;
	DWORD n = 0;

	if (fn == NULL)
		WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &fn, sizeof fn, &n, NULL, NULL);
	return fn;
}

long
compat_udp_recv(evutil_socket_t fd, void *buf, size_t len, struct sockaddr_storage *peer, int *peerlen,
    struct compat_dst *dst)
{
	char ctl[WSA_CMSG_SPACE(sizeof(IN6_PKTINFO)) + WSA_CMSG_SPACE(sizeof(IN_PKTINFO))];
	LPFN_WSARECVMSG fn = recvmsg_fn((SOCKET)fd);
	WSABUF b = { (ULONG)len, buf };
	WSAMSG msg;
	WSACMSGHDR *c;
	DWORD n = 0;

	memset(dst, 0, sizeof *dst);
	if (fn == NULL) {
		int r = recvfrom((SOCKET)fd, buf, (int)len, 0, (struct sockaddr *)peer, peerlen);

		return r < 0 && WSAGetLastError() == WSAEMSGSIZE ? (long)len + 1 : r;
	}
	memset(&msg, 0, sizeof msg);
	msg.name = (LPSOCKADDR)peer;
	msg.namelen = *peerlen;
	msg.lpBuffers = &b;
	msg.dwBufferCount = 1;
	msg.Control.buf = ctl;
	msg.Control.len = sizeof ctl;
	if (fn((SOCKET)fd, &msg, &n, NULL, NULL) != 0)
		return WSAGetLastError() == WSAEMSGSIZE ? (long)len + 1 : -1;
	*peerlen = msg.namelen;
	for (c = WSA_CMSG_FIRSTHDR(&msg); c; c = WSA_CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			IN_PKTINFO pi;

			memcpy(&pi, WSA_CMSG_DATA(c), sizeof pi);
			dst->family = AF_INET;
			dst->ifindex = pi.ipi_ifindex;
			memcpy(dst->addr, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			IN6_PKTINFO pi;

			memcpy(&pi, WSA_CMSG_DATA(c), sizeof pi);
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
	char ctl[WSA_CMSG_SPACE(sizeof(IN6_PKTINFO))];
	WSABUF b = { (ULONG)len, (char *)buf };
	WSAMSG msg;
	WSACMSGHDR *c = (WSACMSGHDR *)ctl;
	DWORD n = 0;

	if (dst->family == 0)
		return sendto((SOCKET)fd, buf, (int)len, 0, peer, peerlen);
	memset(&msg, 0, sizeof msg);
	memset(ctl, 0, sizeof ctl);
	msg.name = (LPSOCKADDR)peer;
	msg.namelen = peerlen;
	msg.lpBuffers = &b;
	msg.dwBufferCount = 1;
	msg.Control.buf = ctl;
	if (dst->family == AF_INET) {
		IN_PKTINFO pi;

		memset(&pi, 0, sizeof pi);
		memcpy(&pi.ipi_addr, dst->addr, 4);
		msg.Control.len = WSA_CMSG_SPACE(sizeof pi);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = WSA_CMSG_LEN(sizeof pi);
		memcpy(WSA_CMSG_DATA(c), &pi, sizeof pi);
	} else {
		IN6_PKTINFO pi;

		memset(&pi, 0, sizeof pi);
		memcpy(&pi.ipi6_addr, dst->addr, 16);
		pi.ipi6_ifindex = dst->ifindex;
		msg.Control.len = WSA_CMSG_SPACE(sizeof pi);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = WSA_CMSG_LEN(sizeof pi);
		memcpy(WSA_CMSG_DATA(c), &pi, sizeof pi);
	}
	if (WSASendMsg((SOCKET)fd, &msg, 0, &n, NULL, NULL) != 0)
		return -1;
	return (long)n;
}
