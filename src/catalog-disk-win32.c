/* Durable state files on Windows: FlushFileBuffers, then MoveFileExW with write-through. */
#include "catalog-disk.h"

#include <errno.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

#include "win32.h"

int
catalog_disk_flush(FILE *f)
{
	HANDLE h;

	if (fflush(f) != 0)
		return -1;
	h = (HANDLE)_get_osfhandle(_fileno(f));
	if (h == INVALID_HANDLE_VALUE || !FlushFileBuffers(h)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int
catalog_disk_replace(const char *tmp, const char *path)
{
	wchar_t *a = win32_wide(tmp), *b = win32_wide(path);
	int ok = a != NULL && b != NULL && MoveFileExW(a, b, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);

	free(a);
	free(b);
	if (!ok) {
		errno = EIO;
		return -1;
	}
	return 0;
}

char *
catalog_disk_default_dir(char *out, size_t len)
{
	const char *pd = getenv("ProgramData");

	snprintf(out, len, "%s\\msdns-agent\\state", pd != NULL && *pd != '\0' ? pd : "C:\\ProgramData");
	return out;
}
