/* Durable state files on POSIX: fsync the file, rename over the old one, fsync the directory. */
#include "catalog-disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
catalog_disk_flush(FILE *f)
{
	if (fflush(f) != 0)
		return -1;
	return fsync(fileno(f));
}

int
catalog_disk_replace(const char *tmp, const char *path)
{
	char *dir;
	const char *slash;
	int fd;

	if (rename(tmp, path) != 0)
		return -1;
	/* the rename itself is durable only once the directory is on disk */
	slash = strrchr(path, '/');
	dir = slash == NULL ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return 0;
	fd = open(dir, O_RDONLY);
	free(dir);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

char *
catalog_disk_default_dir(char *out, size_t len)
{
	snprintf(out, len, "/var/lib/msdns-agent/state");
	return out;
}
