/* Running on Windows: under the Service Control Manager, or in a console (--foreground); Event Log. */
#define LOG_MODULE "service"
#include "service.h"

#include <winsock2.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "svcflow.h"
#include "win32.h"

#define SERVICE_NAME L"msdns-agent"
#define EVENT_SOURCE L"msdns-agent"
#define EVENT_ID_TEXT 1   /* msdns-agent.mc: "%1" */

static const struct config *svc_cfg;
static SERVICE_STATUS_HANDLE svc_handle;
static struct svc_flow svc;
static HANDLE event_log;
static int svc_rc;
static struct daemon *console_daemon;

/* The modules whose INFO lines reach the Event Log: the service itself and the daemon's start and stop. */
static int
event_log_info(const char *module)
{
	return strcmp(module, LOG_MODULE) == 0 || strcmp(module, "daemon") == 0;
}

/* Event Log: start and stop, and everything at WARNING or above (failed operations, errors). */
static void
event_sink(enum log_level lvl, const char *module, const char *text)
{
	WORD type = lvl >= LOG_LVL_ERROR ? EVENTLOG_ERROR_TYPE :
	    lvl == LOG_LVL_WARNING ? EVENTLOG_WARNING_TYPE : EVENTLOG_INFORMATION_TYPE;
	char line[2300];
	wchar_t *w;
	LPCWSTR strings[1];

	if (event_log == NULL || (lvl < LOG_LVL_WARNING && !event_log_info(module)))
		return;
	snprintf(line, sizeof line, "%s: %s", module, text);
	if ((w = win32_wide(line)) == NULL)
		return;
	strings[0] = w;
	ReportEventW(event_log, type, 0, EVENT_ID_TEXT, NULL, 1, 0, strings, NULL);
	free(w);
}

static void
event_log_open(void)
{
	if (event_log == NULL)
		event_log = RegisterEventSourceW(NULL, EVENT_SOURCE);
	log_set_sink(event_sink);
}

static void
scm_report(void *ctx, const struct svc_status *st)
{
	SERVICE_STATUS s;

	(void)ctx;
	/* the process's own exit code, set before STOPPED is reported: once it is, the dispatcher in
	 * service_run() may return before service_main() does */
	if (st->state == SERVICE_STOPPED)
		svc_rc = (int)st->specific_exit;
	memset(&s, 0, sizeof s);
	s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	s.dwCurrentState = st->state;
	s.dwControlsAccepted = st->accepts;
	s.dwWin32ExitCode = st->win32_exit;
	s.dwServiceSpecificExitCode = st->specific_exit;
	s.dwCheckPoint = st->checkpoint;
	s.dwWaitHint = st->wait_hint_ms;
	SetServiceStatus(svc_handle, &s);
}

static struct daemon *
ops_start(void *ctx, const struct config *cfg)
{
	(void)ctx;
	return daemon_new(cfg);
}

static int
ops_run(void *ctx, struct daemon *d)
{
	(void)ctx;
	log_info("running as a service");
	return daemon_run(d);
}

static void
ops_stop(void *ctx, struct daemon *d)
{
	(void)ctx;
	daemon_stop(d);   /* event_active from this thread: libevent runs with Windows threads */
}

static void
ops_free(void *ctx, struct daemon *d)
{
	(void)ctx;
	daemon_free(d);
}

static const struct svc_ops scm_ops = { scm_report, ops_start, ops_run, ops_stop, ops_free, NULL };

static DWORD WINAPI
control_handler(DWORD control, DWORD type, LPVOID data, LPVOID ctx)
{
	(void)type;
	(void)data;
	(void)ctx;
	return svcflow_control(&svc, control);
}

static void WINAPI
service_main(DWORD argc, LPWSTR *argv)
{
	(void)argc;
	(void)argv;
	svc_handle = RegisterServiceCtrlHandlerExW(SERVICE_NAME, control_handler, NULL);
	if (svc_handle == NULL) {
		log_error("RegisterServiceCtrlHandlerEx: %s", win32_strerror(GetLastError()));
		return;
	}
	svcflow_run(&svc, &scm_ops, svc_cfg);   /* its result reached svc_rc with the STOPPED report */
}

/* Console mode: Ctrl+C, Ctrl+Break, closing the window, or the named event stop the daemon. */
static BOOL WINAPI
console_handler(DWORD type)
{
	(void)type;
	if (console_daemon)
		daemon_stop(console_daemon);
	return TRUE;
}

static DWORD WINAPI
stop_event_thread(LPVOID ev)
{
	while (WaitForSingleObject(ev, INFINITE) == WAIT_OBJECT_0 && console_daemon) {
		log_info("stop requested through the stop event");
		daemon_stop(console_daemon);   /* a second one abandons what is in flight */
	}
	return 0;
}

static int
run_console(const struct config *cfg)
{
	wchar_t name[64];
	HANDLE ev;
	int rc;

	if ((console_daemon = daemon_new(cfg)) == NULL)
		return 1;
	/* "Local\msdns-agent-stop-<pid>": how tests and scripts stop a console agent without a console */
	swprintf(name, 64, L"Local\\msdns-agent-stop-%lu", (unsigned long)GetCurrentProcessId());
	ev = CreateEventW(NULL, FALSE, FALSE, name);   /* auto-reset: each SetEvent is one stop */
	if (ev)
		CloseHandle(CreateThread(NULL, 0, stop_event_thread, ev, 0, NULL));
	SetConsoleCtrlHandler(console_handler, TRUE);
	rc = daemon_run(console_daemon);
	SetConsoleCtrlHandler(console_handler, FALSE);
	daemon_free(console_daemon);
	console_daemon = NULL;
	return rc;
}

int
service_run(const struct config *cfg, int foreground)
{
	SERVICE_TABLE_ENTRYW table[] = { { (LPWSTR)SERVICE_NAME, service_main }, { NULL, NULL } };

	event_log_open();
	if (foreground)
		return run_console(cfg);
	svc_cfg = cfg;
	if (StartServiceCtrlDispatcherW(table))
		return svc_rc;
	if (GetLastError() != ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		log_error("StartServiceCtrlDispatcher: %s", win32_strerror(GetLastError()));
		return 1;
	}
	return run_console(cfg);   /* started from a console, not by the SCM */
}

/* The SCM must hear that we failed, or it waits for a start that never comes and no recovery fires. */
static void WINAPI
failed_main(DWORD argc, LPWSTR *argv)
{
	struct svc_status st;

	(void)argc;
	(void)argv;
	if ((svc_handle = RegisterServiceCtrlHandlerExW(SERVICE_NAME, control_handler, NULL)) == NULL)
		return;
	memset(&st, 0, sizeof st);
	st.state = SVC_STOPPED;
	st.win32_exit = SVC_ERROR_SERVICE_SPECIFIC;
	st.specific_exit = 1;
	scm_report(NULL, &st);
}

void
service_config_failed(const char *text)
{
	SERVICE_TABLE_ENTRYW table[] = { { (LPWSTR)SERVICE_NAME, failed_main }, { NULL, NULL } };

	event_log_open();
	log_error("configuration errors, not started:\n%s", text);
	StartServiceCtrlDispatcherW(table);   /* fails at once when not started by the SCM */
}

const char *
service_default_config(void)
{
	static char path[MAX_PATH * 3];
	wchar_t w[MAX_PATH];
	char *s;
	DWORD n = GetEnvironmentVariableW(L"ProgramData", w, MAX_PATH);

	if (n == 0 || n >= MAX_PATH || (s = win32_utf8(w)) == NULL)
		return "C:\\ProgramData\\msdns-agent\\msdns-agent.conf";
	snprintf(path, sizeof path, "%s\\msdns-agent\\msdns-agent.conf", s);
	free(s);
	return path;
}
