/* Running as a process of the platform: signals (posix) or the Service Control Manager (win32). */
#ifndef MSDNS_SERVICE_H
#define MSDNS_SERVICE_H

struct config;

/* Run the daemon until it is told to stop. foreground: run in this console even where a service
 * manager could start us. Returns the process exit code. */
int service_run(const struct config *cfg, int foreground);
/* Tell the platform's log (the Windows Event Log) that the configuration is unusable. */
void service_config_failed(const char *text);
/* Where the configuration is read from when --config-file is not given. */
const char *service_default_config(void);

#endif
