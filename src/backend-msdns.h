/* The msdns backend: Microsoft DNS through one run of the PowerShell script per operation. */
#ifndef MSDNS_BACKEND_MSDNS_H
#define MSDNS_BACKEND_MSDNS_H

#include <stdio.h>

#include "backend.h"

struct event_base;
struct config;

/* A backend running cfg's script (cfg must outlive it). Returns NULL when it cannot start (logged). */
struct backend *backend_msdns_new(struct event_base *base, const struct config *cfg);
/* Check that the powershell and script files can be read; print each problem to err naming its key.
 * Returns the number of problems. */
int backend_msdns_check_paths(const struct config *cfg, FILE *err);

#endif
