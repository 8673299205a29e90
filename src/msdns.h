/* The PowerShell contract of DESIGN.md: the script's command line and what its exit codes mean. */
#ifndef MSDNS_MSDNS_H
#define MSDNS_MSDNS_H

#include <stddef.h>
#include <stdio.h>

#include "backend.h"
#include "spawner.h"

struct config;

#define MSDNS_ARGV_MAX 20

enum {
	MSDNS_EXIT_OK = 0, MSDNS_EXIT_FAILED = 1, MSDNS_EXIT_ABSENT = 2, MSDNS_EXIT_NOT_OURS = 3,
	MSDNS_EXIT_BAD_ARGS = 4, MSDNS_EXIT_UNREACHABLE = 5,
};

/* Fill argv (NULL-terminated) with the command line for op on zone; masters is the buffer for the
 * comma-separated master IPs. Returns the number of arguments. */
size_t msdns_argv(const struct config *cfg, enum zone_op op, const char *zone, const char *argv[MSDNS_ARGV_MAX],
    char *masters, size_t masters_len);
/* Check that the powershell and script files can be read; print each problem to err naming its key.
 * Returns the number of problems. */
int msdns_check_paths(const struct config *cfg, FILE *err);
/* The zone result of a child's end; *why is a sentence for the log, or NULL. */
enum zone_result msdns_result(enum spawn_end how, long code, const char **why);

#endif
