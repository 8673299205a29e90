/* Logging in Designate's line format to stderr and an optional file. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"

static int log_debug_on;
static long log_pid;
static FILE *log_file;
static void (*log_sink)(enum log_level, const char *, const char *);

static const char *const level_names[] = { "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL" };

int
log_init(int debug, const char *path)
{
	static int registered;

	log_debug_on = debug;
	log_pid = compat_getpid();
	log_close();
	if (!registered && atexit(log_close) == 0)
		registered = 1;
	if (path == NULL || *path == '\0')
		return 0;
	log_file = compat_fopen(path, "a");
	return log_file ? 0 : -1;
}

void
log_close(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}

int
log_debug_enabled(void)
{
	return log_debug_on;
}

void
log_set_sink(void (*sink)(enum log_level, const char *, const char *))
{
	log_sink = sink;
}

/* Write one line to stderr and the file; to the sink too when to_sink. */
static void
log_write(enum log_level lvl, const char *module, int errnum, int to_sink, const char *fmt, va_list ap)
{
	char text[2048], stamp[64];
	size_t n;
	struct timespec ts;
	struct tm tm;

	if (lvl == LOG_LVL_DEBUG && !log_debug_on)
		return;
	vsnprintf(text, sizeof text, fmt, ap);
	if (errnum) {
		n = strlen(text);
		snprintf(text + n, sizeof text - n, ": %s", strerror(errnum));
	}
	compat_realtime(&ts);
	compat_localtime(ts.tv_sec, &tm);
	n = strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(stamp + n, sizeof stamp - n, ".%03ld", (long)(ts.tv_nsec / 1000000));

	if (log_pid == 0)
		log_pid = compat_getpid();
	fprintf(stderr, "%s %ld %s msdns_agent.%s [-] %s\n", stamp, log_pid, level_names[lvl], module, text);
	if (log_file) {
		fprintf(log_file, "%s %ld %s msdns_agent.%s [-] %s\n", stamp, log_pid, level_names[lvl], module, text);
		fflush(log_file);
	}
	if (log_sink && to_sink)
		log_sink(lvl, module, text);
}

void
log_vemit(enum log_level lvl, const char *module, int errnum, const char *fmt, va_list ap)
{
	log_write(lvl, module, errnum, 1, fmt, ap);
}

/* log_write with variable arguments. */
static void LOG_PRINTF(5, 6)
log_writef(enum log_level lvl, const char *module, int errnum, int to_sink, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write(lvl, module, errnum, to_sink, fmt, ap);
	va_end(ap);
}

void
log_limit_flush(struct log_limit *lim, const char *module)
{
	if (lim->quiet)
		log_writef(LOG_LVL_WARNING, module, 0, 0, "%lu more %s were not logged (at most %u a second)",
		    lim->quiet, lim->what, lim->per_second);
	lim->quiet = 0;
}

void
log_limited(struct log_limit *lim, enum log_level lvl, const char *module, const char *fmt, ...)
{
	unsigned long long now = compat_monotonic_ms() / 1000;
	va_list ap;

	if (lvl == LOG_LVL_DEBUG && !log_debug_on)
		return;
	if (now != lim->second) {
		log_limit_flush(lim, module);
		lim->second = now;
		lim->logged = 0;
	}
	if (lim->logged >= lim->per_second) {
		lim->quiet++;
		return;
	}
	lim->logged++;
	va_start(ap, fmt);
	log_write(lvl, module, 0, 0, fmt, ap);
	va_end(ap);
}

void
log_emit(enum log_level lvl, const char *module, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(lvl, module, errnum, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *module, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_CRITICAL, module, errnum, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_escape(char *out, size_t outlen, const void *in, size_t inlen)
{
	const unsigned char *p = in;
	size_t o = 0, i;

	if (outlen == 0)
		return out;
	for (i = 0; i < inlen; i++) {
		char tmp[5];
		size_t k;

		if (p[i] == '\\')
			k = (size_t)snprintf(tmp, sizeof tmp, "\\\\");
		else if (p[i] >= 0x20 && p[i] <= 0x7e)
			k = (size_t)snprintf(tmp, sizeof tmp, "%c", p[i]);
		else
			k = (size_t)snprintf(tmp, sizeof tmp, "\\%03u", p[i]);
		if (o + k + 1 > outlen) {
			if (outlen >= 4) {
				o = o > outlen - 4 ? outlen - 4 : o;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = '\0';
	return out;
}
