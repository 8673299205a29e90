/* Helpers for the *-win32.c files only: UTF-8 <-> UTF-16 for Win32 calls that take text. */
#ifndef MSDNS_WIN32_H
#define MSDNS_WIN32_H

#include <wchar.h>

/* A new UTF-16 copy of UTF-8 s (caller frees), or NULL. */
wchar_t *win32_wide(const char *s);
/* A new UTF-8 copy of UTF-16 w (caller frees), or NULL. */
char *win32_utf8(const wchar_t *w);
/* The text of Win32 error code err, in a static buffer. */
const char *win32_strerror(unsigned long err);

#endif
