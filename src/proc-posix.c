/* One child process on POSIX: posix_spawn into its own process group, three pipes on the loop, group kill. */
#define _GNU_SOURCE
#define LOG_MODULE "proc"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "compat.h"
#include "log.h"

extern char **environ;

struct stream {
	struct proc *p;
	enum proc_stream which;
	int fd;                 /* our end, -1 once closed */
	struct event *ev;
	struct proclines lines;
};

struct proc {
	struct event_base *base;
	struct proc_cb cb;
	char tag[96];
	pid_t pid;
	int reaped;
	int in;                 /* our end of the child's stdin, -1 once closed */
	int close_in;           /* close stdin once the queue is written */
	struct evbuffer *wq;
	struct event *ev_in, *ev_chld;
	struct stream out, err;
};

static void
on_line(void *arg, const char *text, size_t len, unsigned flags)
{
	struct stream *s = arg;

	s->p->cb.line(s->p->cb.arg, s->which, text, len, flags);
}

static void
stream_close(struct stream *s)
{
	if (s->fd < 0)
		return;
	event_del(s->ev);
	close(s->fd);
	s->fd = -1;
}

/* Read what the pipe holds now; at end of file (or error) close it. */
static void
stream_drain(struct stream *s)
{
	char buf[4096];
	ssize_t n;

	while (s->fd >= 0) {
		n = read(s->fd, buf, sizeof buf);
		if (n > 0) {
			proclines_feed(&s->lines, buf, (size_t)n, on_line, s);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		stream_close(s);
	}
}

static void
stream_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stream_drain(arg);
}

static void
stdin_close(struct proc *p)
{
	if (p->in < 0)
		return;
	event_del(p->ev_in);
	close(p->in);
	p->in = -1;
	evbuffer_drain(p->wq, evbuffer_get_length(p->wq));
}

static void
stdin_flush(struct proc *p)
{
	while (p->in >= 0 && evbuffer_get_length(p->wq) > 0) {
		int n = evbuffer_write(p->wq, p->in);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(p->ev_in, NULL);
			return;
		}
		if (n <= 0) {   /* EPIPE: the child closed its stdin or ended */
			log_debug("%s: stdin closed by the child", p->tag);
			stdin_close(p);
			return;
		}
	}
	if (p->in >= 0) {
		event_del(p->ev_in);
		if (p->close_in)
			stdin_close(p);
	}
}

static void
stdin_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stdin_flush(arg);
}

static void
on_sigchld(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	siginfo_t si;
	int st;

	(void)fd;
	(void)what;
	if (p->reaped)
		return;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != p->pid)
		return;
	kill(-p->pid, SIGKILL);   /* whatever it left in its group; the group id is ours until it is reaped */
	waitpid(p->pid, &st, 0);
	p->reaped = 1;
	event_del(p->ev_chld);
	stdin_close(p);
	/* what it printed before it ended; a descendant outside the group may hold a pipe open: stop there */
	stream_drain(&p->out);
	stream_drain(&p->err);
	stream_close(&p->out);
	stream_close(&p->err);
	proclines_end(&p->out.lines, on_line, &p->out);
	proclines_end(&p->err.lines, on_line, &p->err);
	if (WIFEXITED(st))
		p->cb.exit(p->cb.arg, PROC_EXITED, WEXITSTATUS(st));
	else
		p->cb.exit(p->cb.arg, PROC_CRASHED, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
}

/* The child closes every descriptor but its three pipes, whatever their close-on-exec flag. */
static void
close_others(posix_spawn_file_actions_t *fa)
{
#ifdef HAVE_POSIX_SPAWN_CLOSEFROM
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
#else
	(void)fa;   /* without it, only close-on-exec keeps our descriptors from the child */
#endif
}

static void
stream_init(struct proc *p, struct stream *s, enum proc_stream which, int fd)
{
	s->p = p;
	s->which = which;
	s->fd = fd;
	proclines_init(&s->lines);
	evutil_make_socket_nonblocking(fd);
	s->ev = event_new(p->base, fd, EV_READ | EV_PERSIST, stream_readable, s);
}

struct proc *
proc_start(struct event_base *base, const char *const argv[], const char *tag, const struct proc_cb *cb)
{
	struct proc *p = calloc(1, sizeof *p);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc;

	if (p == NULL)
		return NULL;
	p->base = base;
	p->cb = *cb;
	p->in = p->out.fd = p->err.fd = -1;
	snprintf(p->tag, sizeof p->tag, "%s", tag);
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		log_warn("%s: pipe", tag);
		goto fail;
	}
	/* listen before the child exists: it may end before posix_spawn returns */
	p->ev_chld = evsignal_new(base, SIGCHLD, on_sigchld, p);
	if (p->ev_chld == NULL || evsignal_add(p->ev_chld, NULL) != 0 || (p->wq = evbuffer_new()) == NULL) {
		log_warnx("%s: cannot watch for the child's end", tag);
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	close_others(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&p->pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		errno = rc;
		log_warn("%s: cannot start %s", tag, argv[0]);
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	p->in = in[1];
	evutil_make_socket_nonblocking(p->in);
	p->ev_in = event_new(base, p->in, EV_WRITE | EV_PERSIST, stdin_writable, p);
	stream_init(p, &p->out, PROC_STDOUT, out[0]);
	stream_init(p, &p->err, PROC_STDERR, err[0]);
	event_add(p->out.ev, NULL);
	event_add(p->err.ev, NULL);
	log_debug("%s: started pid %ld", tag, (long)p->pid);
	return p;
fail:
	for (rc = 0; rc < 2; rc++) {
		if (in[rc] >= 0)
			close(in[rc]);
		if (out[rc] >= 0)
			close(out[rc]);
		if (err[rc] >= 0)
			close(err[rc]);
	}
	if (p->ev_chld)
		event_free(p->ev_chld);
	if (p->wq)
		evbuffer_free(p->wq);
	free(p);
	return NULL;
}

int
proc_write(struct proc *p, const void *buf, size_t len)
{
	if (p->in < 0 || p->close_in)
		return -1;
	if (evbuffer_add(p->wq, buf, len) != 0)
		return -1;
	stdin_flush(p);
	return 0;
}

void
proc_close_stdin(struct proc *p)
{
	p->close_in = 1;
	if (p->in >= 0 && evbuffer_get_length(p->wq) == 0)
		stdin_close(p);
}

void
proc_kill(struct proc *p)
{
	if (!p->reaped)
		kill(-p->pid, SIGKILL);
}

/* Has the child ended (it may not be reaped yet: on_sigchld or proc_free does that, on the loop)? */
static int
ended(const struct proc *p)
{
	siginfo_t si;

	if (p->reaped)
		return 1;
	memset(&si, 0, sizeof si);
	return waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == p->pid;
}

/* Bounded by the clock, not by counting sleeps (a loaded machine makes each sleep longer than asked:
 * 400 sleeps of "5 ms" took 4.5 s). Where there are process descriptors it sleeps until the end itself. */
int
proc_wait(struct proc *p, unsigned timeout_ms)
{
	uint64_t deadline = compat_monotonic_ms() + timeout_ms;
#ifdef SYS_pidfd_open
	/* the pid is ours and not reaped (only this thread reaps it): it cannot be another process's */
	int fd = p->reaped ? -1 : (int)syscall(SYS_pidfd_open, p->pid, 0);
#else
	int fd = -1;
#endif

	for (;;) {
		uint64_t now;
		int left;

		if (ended(p)) {
			if (fd >= 0)
				close(fd);
			return 1;
		}
		now = compat_monotonic_ms();
		if (now >= deadline) {
			if (fd >= 0)
				close(fd);
			return 0;
		}
		left = deadline - now > 60000 ? 60000 : (int)(deadline - now);
		if (fd >= 0) {
			struct pollfd pfd = { fd, POLLIN, 0 };

			(void)poll(&pfd, 1, left);   /* readable once it ended; EINTR: look again */
		} else {
			struct timespec ts = { 0, (long)(left < 5 ? left : 5) * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}

long
proc_pid(const struct proc *p)
{
	return (long)p->pid;
}

void
proc_free(struct proc *p)
{
	int st;

	if (p == NULL)
		return;
	if (!p->reaped) {
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	stdin_close(p);
	stream_close(&p->out);
	stream_close(&p->err);
	event_free(p->ev_in);
	event_free(p->out.ev);
	event_free(p->err.ev);
	event_free(p->ev_chld);
	evbuffer_free(p->wq);
	free(p);
}
