/* msdns-agent: lets OpenStack Designate drive Microsoft DNS Server through its agent protocol. */
#define LOG_MODULE "main"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-msdns.h"
#include "compat.h"
#include "config.h"
#include "log.h"
#include "service.h"
#include "version.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: msdns-agent [--config-file FILE] [--check-config] [--debug] [--foreground]\n"
	    "       msdns-agent --sample-config | --version | --help\n"
	    "\n"
	    "Answers OpenStack Designate's agent protocol (CREATE/DELETE on opcode 14, NOTIFY) and\n"
	    "manages Microsoft DNS secondary zones through PowerShell.\n"
	    "\n"
	    "  --config-file FILE  INI file with [service:agent] and [backend:agent:msdns]\n"
	    "                      (default %s)\n"
	    "  --check-config      read the configuration, print every problem as file:line, exit 1 if any\n"
	    "  --debug             log at DEBUG (as [DEFAULT] debug = true)\n"
	    "  --foreground        run in this console, not as a service (Windows); Ctrl+C stops\n"
	    "  --sample-config     print a configuration file documenting every key and its default\n"
	    "  --version           print the version\n",
	    service_default_config());
}

/* Read the configuration; its problems go to stderr and, when it is unusable, to the platform's log
 * (where a service's stderr goes nowhere). */
static int
load_config(struct config *cfg, const char *path, int check)
{
	FILE *err = tmpfile();   /* msvcrt makes it in the drive's root: a service account may not */
	char text[8192];
	size_t n = 0;
	int errors;

	snprintf(text, sizeof text, "%s: the problems were written to stderr only\n", path);
	errors = config_load(cfg, path, err ? err : stderr);
	errors += config_validate(cfg, path, err ? err : stderr);
	if (err) {
		rewind(err);
		n = fread(text, 1, sizeof text - 1, err);
		fclose(err);
		text[n] = '\0';
		fputs(text, stderr);
	}
	if (errors && !check)
		service_config_failed(text);
	return errors;
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	const char *path = NULL;
	int check = 0, debug = 0, foreground = 0, errors, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config-file") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strncmp(argv[i], "--config-file=", 14) == 0) {
			path = argv[i] + 14;
		} else if (strcmp(argv[i], "--check-config") == 0) {
			check = 1;
		} else if (strcmp(argv[i], "--debug") == 0 || strcmp(argv[i], "-d") == 0) {
			debug = 1;
		} else if (strcmp(argv[i], "--foreground") == 0) {
			foreground = 1;
		} else if (strcmp(argv[i], "--sample-config") == 0) {
			config_write_sample(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("msdns-agent %s\n", MSDNS_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "msdns-agent: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 64;
		}
	}
	if (compat_init() != 0) {
		fprintf(stderr, "msdns-agent: socket start-up failed\n");
		return 1;
	}
	if (path == NULL)
		path = service_default_config();
	errors = load_config(&cfg, path, check);
	if (check && errors == 0 && cfg.agent.backend_driver == CONFIG_BACKEND_MSDNS)
		errors += backend_msdns_check_paths(&cfg, stderr);
	if (check) {
		if (errors == 0)
			printf("%s: OK\n", path);
		return errors ? 1 : 0;
	}
	if (errors) {
		fprintf(stderr, "msdns-agent: %d configuration error%s in %s\n", errors, errors == 1 ? "" : "s", path);
		return 1;
	}
	if (log_init(debug || cfg.def.debug, cfg.def.log_file) != 0)
		log_warn("log_file %s", cfg.def.log_file);
	log_info("msdns-agent %s, configuration %s", MSDNS_VERSION, path);
	return service_run(&cfg, foreground);
}
