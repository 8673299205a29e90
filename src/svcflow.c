/* What a Windows service reports to the Service Control Manager, from start to stop; the SCM is injected. */
#include "svcflow.h"

#include <string.h>

#include "config.h"
#include "daemon.h"

#define START_HINT_MS 15000

static void
report(struct svc_flow *f, unsigned long state, unsigned long hint_ms, int exit_code)
{
	struct svc_status st;

	memset(&st, 0, sizeof st);
	st.state = state;
	if (state == SVC_RUNNING)
		st.accepts = SVC_ACCEPT_STOP | SVC_ACCEPT_SHUTDOWN | SVC_ACCEPT_PRESHUTDOWN;
	if (state == SVC_START_PENDING || state == SVC_STOP_PENDING) {
		st.checkpoint = ++f->checkpoint;
		st.wait_hint_ms = hint_ms;
	}
	if (state == SVC_STOPPED && exit_code != 0) {
		/* a non-zero exit code lets "restart on failure" fire on a non-crash stop */
		st.win32_exit = SVC_ERROR_SERVICE_SPECIFIC;
		st.specific_exit = (unsigned long)exit_code;
	}
	f->ops->report(f->ops->ctx, &st);
}

int
svcflow_run(struct svc_flow *f, const struct svc_ops *ops, const struct config *cfg)
{
	int rc;

	memset(f, 0, sizeof *f);
	f->ops = ops;
	f->cfg = cfg;
	f->stop_hint_ms = daemon_stop_budget_ms(cfg);
	report(f, SVC_START_PENDING, START_HINT_MS, 0);
	f->d = ops->start(ops->ctx, cfg);
	if (f->d == NULL) {
		report(f, SVC_STOPPED, 0, 1);
		return 1;
	}
	report(f, SVC_RUNNING, 0, 0);
	rc = ops->run(ops->ctx, f->d);
	ops->free(ops->ctx, f->d);
	f->d = NULL;
	report(f, SVC_STOPPED, 0, rc);
	return rc;
}

unsigned long
svcflow_control(struct svc_flow *f, unsigned long control)
{
	switch (control) {
	case SVC_CONTROL_STOP:
	case SVC_CONTROL_SHUTDOWN:
	case SVC_CONTROL_PRESHUTDOWN:
		if (f->d == NULL)
			return SVC_NO_ERROR;
		if (!f->stopping) {
			f->stopping = 1;
			report(f, SVC_STOP_PENDING, f->stop_hint_ms, 0);
			f->ops->stop(f->ops->ctx, f->d);
		}
		return SVC_NO_ERROR;
	case SVC_CONTROL_INTERROGATE:
		return SVC_NO_ERROR;
	default:
		return SVC_ERROR_CALL_NOT_IMPLEMENTED;
	}
}
