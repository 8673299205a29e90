/* Running in the foreground on POSIX: SIGINT and SIGTERM stop the daemon cleanly. */
#define LOG_MODULE "service"
#include "service.h"

#include <signal.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	daemon_stop(arg);
}

int
service_run(const struct config *cfg, int foreground)
{
	struct daemon *d;
	struct event *sint, *sterm;
	sigset_t stop;
	int rc;

	(void)foreground;
	if ((d = daemon_new(cfg)) == NULL)
		return 1;
	sint = evsignal_new(daemon_base(d), SIGINT, on_signal, d);
	sterm = evsignal_new(daemon_base(d), SIGTERM, on_signal, d);
	event_add(sint, NULL);
	event_add(sterm, NULL);
	rc = daemon_run(d);
	/* stopping: a further INT or TERM waits (pending) while workers are told to finish (bounded) */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	event_free(sint);
	event_free(sterm);
	daemon_free(d);
	return rc;
}

void
service_config_failed(const char *text)
{
	(void)text;   /* stderr already has it */
}

const char *
service_default_config(void)
{
	return "/etc/msdns-agent/msdns-agent.conf";
}
