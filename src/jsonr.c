/* A small JSON reader that flattens a document into path = value pairs (pure). */
#include "jsonr.h"

#include <stdio.h>
#include <string.h>

#define DEPTH_MAX 16
#define TEXT_MAX 256

struct reader {
	const char *p, *end;
	int depth;
	char path[TEXT_MAX];
	jsonr_fn *fn;
	void *arg;
};

static void
skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at r->p (after its quote is checked) into out. */
static int
read_string(struct reader *r, char out[TEXT_MAX])
{
	size_t n = 0;

	if (r->p >= r->end || *r->p != '"')
		return -1;
	r->p++;
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;
		if ((unsigned char)c < 0x20)
			return -1;
		if (c == '\\') {
			if (r->p >= r->end)
				return -1;
			c = *r->p++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				int v = 0, i;
				for (i = 0; i < 4; i++) {
					int h = r->p < r->end ? hexval(*r->p++) : -1;
					if (h < 0)
						return -1;
					v = v * 16 + h;
				}
				c = v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				return -1;
			}
		}
		if (n + 1 >= TEXT_MAX)
			return -1;
		out[n++] = c;
	}
	if (r->p >= r->end)
		return -1;
	r->p++;
	out[n] = '\0';
	return 0;
}

static int read_value(struct reader *r);

/* Append ".name" (or "name" at the top) to the path; returns the old length, -1 when too long. */
static int
push(struct reader *r, const char *name)
{
	size_t old = strlen(r->path), add = strlen(name) + (old > 0);

	if (old + add + 1 > TEXT_MAX)
		return -1;
	if (old > 0)
		r->path[old] = '.';
	memcpy(r->path + old + (old > 0), name, strlen(name) + 1);
	return (int)old;
}

static int
read_container(struct reader *r, char close)
{
	char key[TEXT_MAX];
	int index = 0, old;

	if (++r->depth > DEPTH_MAX)
		return -1;
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		skip_ws(r);
		if (close == '}') {
			if (read_string(r, key) != 0)
				return -1;
			skip_ws(r);
			if (r->p >= r->end || *r->p++ != ':')
				return -1;
		} else {
			snprintf(key, sizeof key, "%d", index++);
		}
		if ((old = push(r, key)) < 0 || read_value(r) != 0)
			return -1;
		r->path[old] = '\0';
		skip_ws(r);
		if (r->p >= r->end)
			return -1;
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p++ != close)
			return -1;
		r->depth--;
		return 0;
	}
}

static int
read_value(struct reader *r)
{
	char text[TEXT_MAX];
	size_t n = 0;

	skip_ws(r);
	if (r->p >= r->end)
		return -1;
	if (*r->p == '{')
		return read_container(r, '}');
	if (*r->p == '[')
		return read_container(r, ']');
	if (*r->p == '"') {
		if (read_string(r, text) != 0)
			return -1;
		r->fn(r->arg, r->path, text, 1);
		return 0;
	}
	while (r->p < r->end && strchr("+-.0123456789eEtrufalsn", *r->p) != NULL) {
		if (n + 1 >= TEXT_MAX)
			return -1;
		text[n++] = *r->p++;
	}
	text[n] = '\0';
	if (n == 0 || ((text[0] < '0' || text[0] > '9') && text[0] != '-' && strcmp(text, "true") != 0 &&
	    strcmp(text, "false") != 0 && strcmp(text, "null") != 0))
		return -1;
	r->fn(r->arg, r->path, text, 0);
	return 0;
}

int
jsonr_flatten(const char *text, size_t len, jsonr_fn *fn, void *arg)
{
	struct reader r;

	memset(&r, 0, sizeof r);
	r.p = text;
	r.end = text + len;
	r.fn = fn;
	r.arg = arg;
	if (read_value(&r) != 0)
		return -1;
	skip_ws(&r);
	return r.p == r.end ? 0 : -1;
}
