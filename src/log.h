/* Logging in Designate's line format: "date time.ms pid LEVEL msdns_agent.module [-] text". */
#ifndef MSDNS_LOG_H
#define MSDNS_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARNING, LOG_LVL_ERROR, LOG_LVL_CRITICAL };

/* mingw-w64 with __USE_MINGW_ANSI_STDIO formats like C99, which it names __MINGW_PRINTF_FORMAT */
#ifdef __MINGW_PRINTF_FORMAT
#define LOG_PRINTF(a, b) __attribute__((format(__MINGW_PRINTF_FORMAT, a, b)))
#else
#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif

/* Start logging to stderr at INFO (DEBUG when debug is set); also to path when it is not NULL, opened
 * close-on-exec (no child inherits it). Returns 0, or -1 with errno set when the file cannot be opened (stderr logging still works). */
int log_init(int debug, const char *path);
/* Close the log file, if any (also done at exit). */
void log_close(void);
/* Whether DEBUG lines are written. */
int log_debug_enabled(void);
/* Hook called with every line written (the Windows Event Log, tests); NULL to remove. */
void log_set_sink(void (*sink)(enum log_level, const char *module, const char *text));

void log_emit(enum log_level lvl, const char *module, int errnum, const char *fmt, ...) LOG_PRINTF(4, 5);
void log_vemit(enum log_level lvl, const char *module, int errnum, const char *fmt, va_list ap) LOG_PRINTF(4, 0);
/* Log at CRITICAL and exit(1). */
void log_fatal(const char *module, int errnum, const char *fmt, ...) LOG_PRINTF(3, 4) __attribute__((noreturn));

/* A rate limit for one kind of per-request line (a peer can cause as many as it likes). */
struct log_limit {
	const char *what;            /* plural noun for the summary: "refused requests" */
	unsigned per_second;         /* lines written per second at most */
	unsigned long long second;   /* the second the counters are for */
	unsigned logged;
	unsigned long quiet;         /* suppressed in that second */
};
#define LOG_LIMIT_INIT(what, per_second) { what, per_second, 0, 0, 0 }

/* Log a per-request line through lim: at most lim->per_second a second, then, with the next line of a
 * later second (or log_limit_flush), one line counting what was suppressed. Per-request lines never
 * reach the sink (the Event Log keeps lifecycle events and operation failures). */
void log_limited(struct log_limit *lim, enum log_level lvl, const char *module, const char *fmt, ...)
    LOG_PRINTF(4, 5);
/* Write lim's count of suppressed lines now, if any. */
void log_limit_flush(struct log_limit *lim, const char *module);

/* Copy untrusted bytes into out as printable ASCII (\DDD for the rest, \\ for backslash); always
 * NUL-terminates, truncating with "..." when out is too small. Returns out. */
char *log_escape(char *out, size_t outlen, const void *in, size_t inlen);

#ifndef LOG_MODULE
#define LOG_MODULE "main"
#endif
#include <errno.h>
#define log_warn(...) log_emit(LOG_LVL_WARNING, LOG_MODULE, errno, __VA_ARGS__)
#define log_warnx(...) log_emit(LOG_LVL_WARNING, LOG_MODULE, 0, __VA_ARGS__)
#define log_error(...) log_emit(LOG_LVL_ERROR, LOG_MODULE, 0, __VA_ARGS__)
#define log_info(...) log_emit(LOG_LVL_INFO, LOG_MODULE, 0, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_debug_enabled()) log_emit(LOG_LVL_DEBUG, LOG_MODULE, 0, __VA_ARGS__); } while (0)
#define fatal(...) log_fatal(LOG_MODULE, errno, __VA_ARGS__)
#define fatalx(...) log_fatal(LOG_MODULE, 0, __VA_ARGS__)

#endif
