/* Durable state files for catalogs: the platform's flush and atomic replace (catalog-disk-posix/-win32.c). */
#ifndef MSDNS_CATALOG_DISK_H
#define MSDNS_CATALOG_DISK_H

#include <stddef.h>
#include <stdio.h>

/* Flush f's buffers to the disk (fflush + fsync / FlushFileBuffers). Returns 0, or -1 with errno set. */
int catalog_disk_flush(FILE *f);
/* Replace path by tmp atomically and durably (rename + directory fsync / MoveFileExW write-through).
 * Returns 0, or -1 with errno set (tmp is left in place). */
int catalog_disk_replace(const char *tmp, const char *path);

/* Write the platform's default state directory into out (POSIX: /var/lib/msdns-agent/state; Windows:
 * %ProgramData%\msdns-agent\state). Returns out. */
char *catalog_disk_default_dir(char *out, size_t len);

#endif
