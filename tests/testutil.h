/* Helpers shared by the tests: sockets with timeouts, free ports, files, hex, the daemon as a child. */
#ifndef MSDNS_TESTUTIL_H
#define MSDNS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

struct tu_proc;

/* Sockets up (WSAStartup on Windows). Call first. */
void tu_init(void);
/* A port on 127.0.0.1 that is free for both UDP and TCP right now. */
uint16_t tu_free_port(void);
/* Hex text (white space ignored) to bytes. Returns the length. */
size_t tu_hex(const char *hex, uint8_t *out, size_t max);
/* Send q over UDP to 127.0.0.1:port; wait for one reply. Returns its length, -1 on timeout. */
long tu_udp_query(uint16_t port, const void *q, size_t qlen, void *r, size_t rmax, int timeout_ms);
/* The same from a socket connected to ip:port, which accepts replies from exactly that address
 * (as Designate does). */
long tu_udp_query_to(const char *ip, uint16_t port, const void *q, size_t qlen, void *r, size_t rmax,
    int timeout_ms);
/* A blocking TCP connection to 127.0.0.1:port, or COMPAT_INVALID_SOCKET. */
evutil_socket_t tu_tcp_connect(uint16_t port);
/* Send all of buf. Returns 0 or -1. */
int tu_send_all(evutil_socket_t fd, const void *buf, size_t len);
/* Send one message with its 2-octet length. */
int tu_tcp_send_msg(evutil_socket_t fd, const void *msg, size_t len);
/* Read one length-prefixed message. Returns its length, 0 on end of stream, -1 on timeout. */
long tu_tcp_read_msg(evutil_socket_t fd, void *buf, size_t max, int timeout_ms);
/* Milliseconds until the peer closes fd (reading and discarding), or -1 after timeout_ms. */
long tu_tcp_wait_closed(evutil_socket_t fd, int timeout_ms);
/* Monotonic milliseconds. */
uint64_t tu_now_ms(void);
void tu_sleep_ms(unsigned ms);
/* A new empty directory under the system's temporary directory; the caller frees the string. */
char *tu_tmpdir(const char *prefix);
/* Write text to dir/name; returns the path (caller frees). */
char *tu_write_file(const char *dir, const char *name, const char *text);
/* Read a whole file (caller frees), NULL when absent. */
char *tu_read_file(const char *path);
/* Occurrences of needle in the file at path. */
int tu_count_in_file(const char *path, const char *needle);

/* Start argv[0] with argv, stdout and stderr to logpath (platform file: proc-posix.c / proc-win32.c). */
struct tu_proc *tu_proc_start(const char *const argv[], const char *logpath);
/* Ask it to stop (SIGTERM / Ctrl+Break) . */
void tu_proc_term(struct tu_proc *p);
/* Wait for its end up to timeout_ms; returns its exit code, or -1 when still running. */
int tu_proc_wait(struct tu_proc *p, int timeout_ms);
/* Kill it hard and free p. */
void tu_proc_free(struct tu_proc *p);
/* Set an environment variable for this process and the children it starts. */
void tu_setenv(const char *name, const char *value);
/* Whether process id pid is still running (one that ended and awaits its reaping, a zombie, is not). */
int tu_pid_alive(long pid);
/* Kill process pid from outside (SIGKILL / TerminateProcess), as an operator or a crash would. */
void tu_pid_kill(long pid);
/* Threads and open descriptors / handles of this process now; -1 when the system does not say (Wine's
 * GetProcessHandleCount is a stub returning 0). */
long tu_self_threads(void);
long tu_self_handles(void);
/* Resident memory of p in KiB, or -1 where it cannot be read. */
long tu_proc_rss_kb(struct tu_proc *p);
/* Split line with the system's CommandLineToArgvW into out (UTF-8, '\n'-separated). Returns the
 * count, -1 when it fails, or -2 where there is no such call (POSIX). */
int tu_native_split(const char *line, char *out, size_t outlen);
/* Whether this runs under Wine rather than Windows or POSIX (for what Wine does not implement). */
int tu_under_wine(void);
/* Copy the program at src to dst, executable. Returns 0 or -1. */
int tu_copy_program(const char *src, const char *dst);
/* The path a test program should use for a built program given by environment variable var. */
const char *tu_program(const char *var);

/* The agent, started on a free port with config text (PORT is replaced by the port); waits until it
 * accepts TCP. Returns NULL when it did not come up; *port is set. */
struct tu_proc *tu_agent_start(const char *dir, const char *conf, uint16_t *port);



#include <check.h>
/* Run suite s (per-test timeout from CK_DEFAULT_TIMEOUT) and return the process exit code. */
int tu_run_suite(Suite *s);
#endif
