/* A small JSON writer for the status document (pure). */
#include "jsonw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 16

struct jsonw {
	char *buf;
	size_t len, cap;
	int failed;
	int depth;
	char closer[DEPTH_MAX];   /* '}' or ']' per open level */
	int count[DEPTH_MAX];     /* members written at that level */
};

static void
put(struct jsonw *j, const char *s, size_t n)
{
	if (j->failed)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = (j->cap + n + 1) * 2;
		char *nb = realloc(j->buf, cap);
		if (nb == NULL) {
			j->failed = 1;
			return;
		}
		j->buf = nb;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void
puts_(struct jsonw *j, const char *s)
{
	put(j, s, strlen(s));
}

static void
put_string(struct jsonw *j, const char *s)
{
	char esc[8];

	put(j, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(j, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(j, esc, 6);
		} else {
			put(j, (const char *)&c, 1);
		}
	}
	put(j, "\"", 1);
}

/* The comma and key before a member. */
static void
member(struct jsonw *j, const char *key)
{
	if (j->count[j->depth]++ > 0)
		put(j, ",", 1);
	if (key != NULL && j->closer[j->depth] == '}') {
		put_string(j, key);
		put(j, ":", 1);
	}
}

struct jsonw *
jsonw_new(void)
{
	struct jsonw *j = calloc(1, sizeof *j);

	if (j == NULL)
		return NULL;
	j->closer[0] = '}';
	put(j, "{", 1);
	if (j->failed) {
		free(j);
		return NULL;
	}
	return j;
}

static void
open_level(struct jsonw *j, const char *key, char opener, char closer)
{
	member(j, key);
	if (j->depth + 1 >= DEPTH_MAX) {
		j->failed = 1;
		return;
	}
	put(j, &opener, 1);
	j->depth++;
	j->closer[j->depth] = closer;
	j->count[j->depth] = 0;
}

void
jsonw_object(struct jsonw *j, const char *key)
{
	open_level(j, key, '{', '}');
}

void
jsonw_array(struct jsonw *j, const char *key)
{
	open_level(j, key, '[', ']');
}

void
jsonw_end(struct jsonw *j)
{
	if (j->depth == 0)
		return;
	put(j, &j->closer[j->depth], 1);
	j->depth--;
}

void
jsonw_string(struct jsonw *j, const char *key, const char *value)
{
	member(j, key);
	if (value == NULL)
		puts_(j, "null");
	else
		put_string(j, value);
}

void
jsonw_int(struct jsonw *j, const char *key, int64_t value)
{
	char n[32];

	member(j, key);
	snprintf(n, sizeof n, "%lld", (long long)value);
	puts_(j, n);
}

void
jsonw_double(struct jsonw *j, const char *key, double value)
{
	char n[40];

	member(j, key);
	if (!isfinite(value)) {
		puts_(j, "null");
		return;
	}
	snprintf(n, sizeof n, "%.6f", value);
	puts_(j, n);
}

void
jsonw_bool(struct jsonw *j, const char *key, int value)
{
	member(j, key);
	puts_(j, value ? "true" : "false");
}

char *
jsonw_finish(struct jsonw *j, size_t *len)
{
	char *out;

	while (j->depth > 0)
		jsonw_end(j);
	put(j, "}", 1);
	if (j->failed) {
		free(j->buf);
		free(j);
		return NULL;
	}
	out = j->buf;
	*len = j->len;
	free(j);
	return out;
}
