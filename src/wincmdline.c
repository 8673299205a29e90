/* Windows command lines: quoting an argument vector exactly as CommandLineToArgvW splits it again. */
#include "wincmdline.h"

#include <string.h>

struct out {
	char *p;
	size_t len, pos;
	int err;
};

static void
put(struct out *o, char c, size_t n)
{
	while (n--) {
		if (o->pos + 1 >= o->len) {
			o->err = 1;
			return;
		}
		o->p[o->pos++] = c;
	}
}

/* argv[0] cannot hold quotes: CommandLineToArgvW takes it up to the next quote, without escapes. */
static void
quote_arg(struct out *o, const char *a, int first)
{
	size_t slashes = 0;

	if (!first && *a && strpbrk(a, " \t\n\v\"") == NULL) {
		while (*a)
			put(o, *a++, 1);
		return;
	}
	put(o, '"', 1);
	for (; *a; a++) {
		if (*a == '\\') {
			slashes++;
			continue;
		}
		if (*a == '"' && !first) {
			put(o, '\\', slashes * 2 + 1);   /* backslashes before a quote are doubled */
			put(o, '"', 1);
		} else {
			put(o, '\\', slashes);
			put(o, *a, 1);
		}
		slashes = 0;
	}
	put(o, '\\', first ? slashes : slashes * 2);   /* before the closing quote: doubled */
	put(o, '"', 1);
}

size_t
wincmdline_quote(const char *const argv[], char *out, size_t outlen)
{
	struct out o = { out, outlen, 0, 0 };
	size_t i;

	if (outlen == 0)
		return 0;
	for (i = 0; argv[i]; i++) {
		if (i)
			put(&o, ' ', 1);
		if (i == 0 && strchr(argv[0], '"'))
			return 0;   /* no file name holds a quote */
		quote_arg(&o, argv[i], i == 0);
	}
	if (o.err)
		return 0;
	out[o.pos] = '\0';
	return o.pos;
}

size_t
wincmdline_split(const char *line, char *buf, size_t buflen, char *argv[], size_t max)
{
	size_t n = 0, b = 0;
	const char *p = line;

	if (buflen == 0)
		return 0;
	/* argv[0]: up to the next quote when quoted, else up to white space; no escapes */
	if (*p) {
		if (n < max)
			argv[n] = buf + b;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (b + 1 < buflen)
					buf[b++] = *p;
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ' ' && *p != '\t'; p++)
				if (b + 1 < buflen)
					buf[b++] = *p;
		}
		if (b < buflen)
			buf[b++] = '\0';
		n++;
	}
	for (;;) {
		int inq = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n < max)
			argv[n] = buf + b;
		for (; *p; ) {
			size_t slashes = 0;

			if (!inq && (*p == ' ' || *p == '\t'))
				break;
			while (*p == '\\') {
				slashes++;
				p++;
			}
			if (*p == '"') {
				size_t k;

				for (k = 0; k < slashes / 2; k++)
					if (b + 1 < buflen)
						buf[b++] = '\\';
				if (slashes % 2) {
					if (b + 1 < buflen)
						buf[b++] = '"';
					p++;
				} else if (inq && p[1] == '"') {
					/* "" inside quotes: a literal quote (post-2008 MSVC rule) */
					if (b + 1 < buflen)
						buf[b++] = '"';
					p += 2;
				} else {
					inq = !inq;
					p++;
				}
			} else {
				size_t k;

				for (k = 0; k < slashes; k++)
					if (b + 1 < buflen)
						buf[b++] = '\\';
				if (*p && (inq || (*p != ' ' && *p != '\t'))) {
					if (b + 1 < buflen)
						buf[b++] = *p;
					p++;
				}
			}
		}
		if (b < buflen)
			buf[b++] = '\0';
		n++;
	}
	return n < max ? n : max;
}
