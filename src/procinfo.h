/* This process's resident memory, open descriptors or handles, and start time (procinfo-*.c). */
#ifndef MSDNS_PROCINFO_H
#define MSDNS_PROCINFO_H

#include <stdint.h>

/* Resident memory in bytes, or -1 where it cannot be read. */
int64_t procinfo_rss_bytes(void);
/* Open file descriptors (POSIX) or handles (Windows), or -1. */
int64_t procinfo_open_fds(void);
/* When the process started, in seconds since the Unix epoch, or -1. */
double procinfo_start_time(void);

#endif
