/* What a Windows service reports to the Service Control Manager, from start to stop; the SCM is injected. */
#ifndef MSDNS_SVCFLOW_H
#define MSDNS_SVCFLOW_H

/* The values of winsvc.h, so the Windows glue passes them through unchanged. */
enum {
	SVC_STOPPED = 1, SVC_START_PENDING = 2, SVC_STOP_PENDING = 3, SVC_RUNNING = 4,
	SVC_ACCEPT_STOP = 0x1, SVC_ACCEPT_SHUTDOWN = 0x4, SVC_ACCEPT_PRESHUTDOWN = 0x100,
	SVC_CONTROL_STOP = 1, SVC_CONTROL_INTERROGATE = 4, SVC_CONTROL_SHUTDOWN = 5, SVC_CONTROL_PRESHUTDOWN = 0xf,
	SVC_NO_ERROR = 0, SVC_ERROR_CALL_NOT_IMPLEMENTED = 120, SVC_ERROR_SERVICE_SPECIFIC = 1066,
};

struct svc_status {
	unsigned long state, accepts, win32_exit, specific_exit, checkpoint, wait_hint_ms;
};

struct daemon;
struct config;

/* The outside world of the flow: the SCM and the daemon. Tests give their own. */
struct svc_ops {
	void (*report)(void *ctx, const struct svc_status *st);
	struct daemon *(*start)(void *ctx, const struct config *cfg);   /* NULL: could not start */
	int (*run)(void *ctx, struct daemon *d);                          /* blocks; 0 = clean stop */
	void (*stop)(void *ctx, struct daemon *d);                        /* from the control thread */
	void (*free)(void *ctx, struct daemon *d);
	void *ctx;
};

struct svc_flow {
	const struct svc_ops *ops;
	const struct config *cfg;
	struct daemon *d;
	unsigned long checkpoint;
	unsigned long stop_hint_ms;
	int stopping;
};

/* Run the service: START_PENDING, RUNNING, and STOPPED with an exit code that makes the SCM's
 * recovery actions fire when the agent failed. Returns the exit code (0 = clean). */
int svcflow_run(struct svc_flow *f, const struct svc_ops *ops, const struct config *cfg);
/* Handle one control from the SCM's thread. Returns the Win32 code the handler returns. */
unsigned long svcflow_control(struct svc_flow *f, unsigned long control);

#endif
