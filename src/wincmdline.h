/* Windows command lines: quoting an argument vector exactly as CommandLineToArgvW splits it again. */
#ifndef MSDNS_WINCMDLINE_H
#define MSDNS_WINCMDLINE_H

#include <stddef.h>

/* Quote argv (NULL-terminated) into one command line in out. Returns its length, or 0 when it does
 * not fit in outlen (NUL included) or argv[0] holds a quote (no file name does). */
size_t wincmdline_quote(const char *const argv[], char *out, size_t outlen);
/* Split a command line by the rules of CommandLineToArgvW (and the MSVC runtime for argv[0]).
 * Fills at most max pointers into the buffer buf (modified copy). Returns the count. */
size_t wincmdline_split(const char *line, char *buf, size_t buflen, char *argv[], size_t max);

#endif
