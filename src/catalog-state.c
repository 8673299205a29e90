/* Catalog state: member map and owned zones of one catalog, kept in a checksummed file replaced atomically. */
#include "catalog-state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "catalog-disk.h"
#include "catalog-map.h"
#include "compat.h"
#include "log.h"
#include "wire.h"

#define STATE_MAGIC "msdns-agent catalog-state 1"
#define STATE_FILE_MAX (512u * 1024 * 1024)
#define LABEL_TEXT_MAX (WIRE_LABEL_MAX * 4)

/* One zone of a map, in one allocation: the map's key is zone (borrowed), label follows it. */
struct entry {
	char *label;
	enum catalog_own how;
	char zone[];
};

struct catalog_state {
	char name[ZONE_NAME_MAX];
	int valid;
	uint32_t serial;
	struct catmap *members;   /* zone -> struct entry (how unused) */
	struct catmap *owned;     /* zone -> struct entry */
};

static void
why_set(char *why, size_t len, const char *fmt, ...) LOG_PRINTF(3, 4);

static void
why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static void
map_clear(struct catmap *m)
{
	size_t pos = 0;
	void *v;

	while (catmap_next(m, &pos, NULL, NULL, &v)) {
		free(v);
	}
}

static struct catmap *
map_reset(struct catmap *m)
{
	map_clear(m);
	catmap_clear(m);
	return m;
}

struct catalog_state *
catalog_state_new(const char *catalog)
{
	struct catalog_state *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	snprintf(s->name, sizeof s->name, "%s", catalog);
	s->members = catmap_new_borrowing();   /* keys: the entries' zone */
	s->owned = catmap_new_borrowing();
	if (s->members == NULL || s->owned == NULL) {
		catalog_state_free(s);
		return NULL;
	}
	return s;
}

void
catalog_state_free(struct catalog_state *s)
{
	if (s == NULL)
		return;
	if (s->members != NULL) {
		map_clear(s->members);
		catmap_free(s->members);
	}
	if (s->owned != NULL) {
		map_clear(s->owned);
		catmap_free(s->owned);
	}
	free(s);
}

const char *
catalog_state_name(const struct catalog_state *s)
{
	return s->name;
}

int
catalog_state_valid(const struct catalog_state *s)
{
	return s->valid;
}

uint32_t
catalog_state_serial(const struct catalog_state *s)
{
	return s->serial;
}

void
catalog_state_set_serial(struct catalog_state *s, uint32_t serial)
{
	s->valid = 1;
	s->serial = serial;
}

static int
map_set(struct catmap *m, const char *zone, const char *label, enum catalog_own how)
{
	size_t zl = strlen(zone), ll = strlen(label);
	struct entry *e = catmap_get(m, zone, zl), *old;

	if (e != NULL && strlen(e->label) >= ll) {
		/* in place (the usual case: pending -> owned): the map does not move */
		memmove(e->label, label, ll + 1);
		e->how = how;
		return 0;
	}
	e = malloc(sizeof *e + zl + 1 + ll + 1);
	if (e == NULL)
		return -1;
	memcpy(e->zone, zone, zl + 1);
	e->label = e->zone + zl + 1;
	memcpy(e->label, label, ll + 1);
	e->how = how;
	/* the key is inside the entry: a replaced entry leaves the map before it is freed */
	old = catmap_del(m, zone, zl);
	if (catmap_put(m, e->zone, zl, e) < 0) {
		free(e);
		if (old != NULL && catmap_put(m, old->zone, zl, old) == 0)
			return -1;
		free(old);
		return -1;
	}
	free(old);
	return 0;
}

void
catalog_state_members_clear(struct catalog_state *s)
{
	s->members = map_reset(s->members);
}

int
catalog_state_member_set(struct catalog_state *s, const char *zone, const char *label)
{
	return map_set(s->members, zone, label, CATALOG_OWNED);
}

const char *
catalog_state_member(const struct catalog_state *s, const char *zone)
{
	const struct entry *e = catmap_get(s->members, zone, strlen(zone));

	return e != NULL ? e->label : NULL;
}

size_t
catalog_state_members(const struct catalog_state *s)
{
	return catmap_count(s->members);
}

int
catalog_state_next_member(const struct catalog_state *s, size_t *pos, const char **zone, const char **label)
{
	const void *k;
	void *v;

	if (!catmap_next(s->members, pos, &k, NULL, &v))
		return 0;
	*zone = k;
	*label = ((struct entry *)v)->label;
	return 1;
}

int
catalog_state_own(struct catalog_state *s, const char *zone, const char *label, enum catalog_own how)
{
	return map_set(s->owned, zone, label, how);
}

const char *
catalog_state_owner(const struct catalog_state *s, const char *zone, enum catalog_own *how)
{
	const struct entry *e = catmap_get(s->owned, zone, strlen(zone));

	if (e == NULL)
		return NULL;
	if (how != NULL)
		*how = e->how;
	return e->label;
}

void
catalog_state_disown(struct catalog_state *s, const char *zone)
{
	free(catmap_del(s->owned, zone, strlen(zone)));
}

size_t
catalog_state_owned(const struct catalog_state *s)
{
	return catmap_count(s->owned);
}

int
catalog_state_next_owned(const struct catalog_state *s, size_t *pos, const char **zone, const char **label,
    enum catalog_own *how)
{
	const void *k;
	void *v;

	if (!catmap_next(s->owned, pos, &k, NULL, &v))
		return 0;
	*zone = k;
	*label = ((struct entry *)v)->label;
	if (how != NULL)
		*how = ((struct entry *)v)->how;
	return 1;
}

int
catalog_state_zone_ok(const char *text)
{
	uint8_t wire[WIRE_NAME_MAX];
	char back[ZONE_NAME_MAX];
	size_t len = strlen(text);

	if (len == 0 || len >= ZONE_NAME_MAX || text[len - 1] == '.')
		return 0;
	len = wire_name_from_text(text, wire);
	return len > 0 && agent_zone_name(wire, len, back) == 0 && strcmp(back, text) == 0;
}

/* A label as written by catalog_label_text: printable, no white space, not empty. */
static int
label_ok(const char *text)
{
	size_t i, len = strlen(text);

	if (len == 0 || len > LABEL_TEXT_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] <= 0x20 || (unsigned char)text[i] >= 0x7f)
			return 0;
	return 1;
}

static uint32_t
crc32_update(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	static int ready;
	const unsigned char *p = buf;
	size_t i;

	if (!ready) {
		uint32_t n, c;
		int k;

		for (n = 0; n < 256; n++) {
			c = n;
			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[n] = c;
		}
		ready = 1;
	}
	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* The file being written, through a small buffer: the state is streamed (100,000 members are 6 MB). */
struct buf {
	char *p;
	size_t len, cap;
	int failed;        /* out of memory */
	FILE *f;
	uint32_t crc;      /* of everything written so far */
	int werr;          /* errno of a failed write, 0 */
};

#define BUF_FLUSH_AT 32768

/* Write out what the buffer holds (counted in the CRC). */
static void
buf_flush(struct buf *b)
{
	if (b->len == 0 || b->failed || b->werr)
		return;
	b->crc = crc32_update(b->crc, b->p, b->len);
	if (fwrite(b->p, 1, b->len, b->f) != b->len)
		b->werr = errno ? errno : EIO;
	b->len = 0;
}

static void buf_printf(struct buf *b, const char *fmt, ...) LOG_PRINTF(2, 3);

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			if (b->len >= BUF_FLUSH_AT)
				buf_flush(b);
			return;
		}
		{
			size_t nc = (b->cap + (size_t)n + 1) * 2;
			char *np = realloc(b->p, nc);

			if (np == NULL) {
				b->failed = 1;
				return;
			}
			b->p = np;
			b->cap = nc;
		}
	}
}

char *
catalog_state_path(const char *dir, const char *catalog)
{
	size_t len = strlen(dir) + strlen(catalog) + 16;
	char *p = malloc(len);
	const char *sep = (dir[0] != '\0' && dir[strlen(dir) - 1] != '/' && dir[strlen(dir) - 1] != '\\') ? "/" : "";

	if (p != NULL)
		snprintf(p, len, "%s%s%s.state", dir, sep, catalog);
	return p;
}

int
catalog_state_save(const struct catalog_state *s, const char *path, char *why, size_t whylen)
{
	struct buf b = { malloc(BUF_FLUSH_AT + 4096), 0, BUF_FLUSH_AT + 4096, 0, NULL, 0, 0 };
	size_t pos = 0, lines = 0, tl;
	const char *zone, *label;
	enum catalog_own how;
	char *tmp;
	int err;

	tl = strlen(path) + 5;
	tmp = malloc(tl);
	if (b.p == NULL || tmp == NULL) {
		free(b.p);
		free(tmp);
		why_set(why, whylen, "out of memory");
		return -1;
	}
	snprintf(tmp, tl, "%s.tmp", path);
	b.f = compat_fopen(tmp, "wb");
	if (b.f == NULL) {
		err = errno;
		why_set(why, whylen, "cannot create %s: %s", tmp, strerror(err));
		free(tmp);
		free(b.p);
		return -1;
	}
	buf_printf(&b, "%s\ncatalog %s\n", STATE_MAGIC, s->name);
	if (s->valid)
		buf_printf(&b, "serial %" PRIu32 "\n", s->serial);
	else
		buf_printf(&b, "serial -\n");
	lines = 3;
	while (catalog_state_next_member(s, &pos, &zone, &label)) {
		buf_printf(&b, "m %s %s\n", zone, label);
		lines++;
	}
	pos = 0;
	while (catalog_state_next_owned(s, &pos, &zone, &label, &how)) {
		buf_printf(&b, "o %s %s %s\n", zone, label, how == CATALOG_OWNED ? "owned" : "pending");
		lines++;
	}
	buf_flush(&b);
	buf_printf(&b, "end %zu %08" PRIx32 "\n", lines, b.crc);
	buf_flush(&b);
	free(b.p);
	if (b.failed || b.werr || catalog_disk_flush(b.f) != 0) {
		err = b.failed ? ENOMEM : b.werr ? b.werr : errno;
		fclose(b.f);
		remove(tmp);
		why_set(why, whylen, "cannot write %s: %s", tmp, b.failed ? "out of memory" : strerror(err));
		free(tmp);
		return -1;
	}
	if (fclose(b.f) != 0 || catalog_disk_replace(tmp, path) != 0) {
		err = errno;
		remove(tmp);
		why_set(why, whylen, "cannot replace %s: %s", path, strerror(err));
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* Read the whole file. Returns 0, 1 when absent, -1 on error. */
static int
read_all(const char *path, char **out, size_t *outlen, char *why, size_t whylen)
{
	FILE *f = compat_fopen(path, "rb");
	char *p = NULL;
	size_t len = 0, cap = 0;

	*out = NULL;
	if (f == NULL) {
		if (errno == ENOENT)
			return 1;
		why_set(why, whylen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			char *np;

			if (cap >= STATE_FILE_MAX) {
				why_set(why, whylen, "%s is larger than %u octets", path, STATE_FILE_MAX);
				goto fail;
			}
			cap = cap ? cap * 2 : 65536 * 2;
			np = realloc(p, cap + 1);
			if (np == NULL) {
				why_set(why, whylen, "out of memory reading %s", path);
				goto fail;
			}
			p = np;
		}
		n = fread(p + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				why_set(why, whylen, "cannot read %s: %s", path, strerror(errno));
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	p[len] = '\0';
	*out = p;
	*outlen = len;
	return 0;
fail:
	fclose(f);
	free(p);
	return -1;
}

/* Parse text (NUL-terminated, len octets) into the empty state s. Returns 0 or -1 with why. */
static int
parse(struct catalog_state *s, char *text, size_t len, char *why, size_t whylen)
{
	char *end_line, *line, *next;
	size_t body, n = 0, want;
	uint32_t crc;
	char crc_text[9];
	int used;

	if (strlen(text) != len) {
		why_set(why, whylen, "it holds a NUL octet");
		return -1;
	}
	if (len == 0 || text[len - 1] != '\n') {
		why_set(why, whylen, "it does not end with a complete line (truncated?)");
		return -1;
	}
	text[len - 1] = '\0';
	end_line = strrchr(text, '\n');
	if (end_line == NULL) {
		why_set(why, whylen, "it has no trailer line (truncated?)");
		return -1;
	}
	body = (size_t)(end_line - text) + 1;
	end_line++;
	if (sscanf(end_line, "end %zu %8[0-9a-f]%n", &want, crc_text, &used) != 2 || end_line[used] != '\0' ||
	    strlen(crc_text) != 8) {
		why_set(why, whylen, "its trailer line is missing or malformed (truncated?)");
		return -1;
	}
	crc = crc32_update(0, text, body);
	if (strtoul(crc_text, NULL, 16) != crc) {
		why_set(why, whylen, "its checksum does not match (damaged)");
		return -1;
	}
	text[body - 1] = '\0';
	for (line = text; line != NULL; line = next, n++) {
		char a[ZONE_NAME_MAX + 1], l[LABEL_TEXT_MAX + 2], h[16];
		char extra;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (n == 0) {
			if (strcmp(line, STATE_MAGIC) != 0) {
				why_set(why, whylen, "its first line is not \"%s\"", STATE_MAGIC);
				return -1;
			}
		} else if (n == 1) {
			if (strncmp(line, "catalog ", 8) != 0 || strcmp(line + 8, s->name) != 0) {
				why_set(why, whylen, "it is not the state of catalog %s", s->name);
				return -1;
			}
		} else if (n == 2) {
			uint32_t serial;

			if (strcmp(line, "serial -") == 0) {
				s->valid = 0;
			} else if (sscanf(line, "serial %" SCNu32 "%c", &serial, &extra) == 1 &&
			    strspn(line + 7, "0123456789") == strlen(line + 7) && strlen(line + 7) <= 10) {
				catalog_state_set_serial(s, serial);
			} else {
				why_set(why, whylen, "line 3 is not a serial");
				return -1;
			}
		} else if (line[0] == 'm' && line[1] == ' ') {
			if (sscanf(line, "m %254s %253s%c", a, l, &extra) != 2 || !catalog_state_zone_ok(a) ||
			    !label_ok(l) || catalog_state_member(s, a) != NULL) {
				why_set(why, whylen, "line %zu is not a valid member line", n + 1);
				return -1;
			}
			if (catalog_state_member_set(s, a, l) != 0) {
				why_set(why, whylen, "out of memory");
				return -1;
			}
		} else if (line[0] == 'o' && line[1] == ' ') {
			enum catalog_own how;

			if (sscanf(line, "o %254s %253s %15s%c", a, l, h, &extra) != 3 || !catalog_state_zone_ok(a) ||
			    !label_ok(l) || catalog_state_owner(s, a, NULL) != NULL) {
				why_set(why, whylen, "line %zu is not a valid owned-zone line", n + 1);
				return -1;
			}
			if (strcmp(h, "owned") == 0) {
				how = CATALOG_OWNED;
			} else if (strcmp(h, "pending") == 0) {
				how = CATALOG_PENDING;
			} else {
				why_set(why, whylen, "line %zu is not a valid owned-zone line", n + 1);
				return -1;
			}
			if (catalog_state_own(s, a, l, how) != 0) {
				why_set(why, whylen, "out of memory");
				return -1;
			}
		} else {
			why_set(why, whylen, "line %zu is not understood", n + 1);
			return -1;
		}
	}
	if (n != want) {
		why_set(why, whylen, "it has %zu lines, its trailer says %zu", n, want);
		return -1;
	}
	return 0;
}

static void
state_empty(struct catalog_state *s)
{
	s->valid = 0;
	s->serial = 0;
	s->members = map_reset(s->members);
	s->owned = map_reset(s->owned);
}

int
catalog_state_load(struct catalog_state *s, const char *path, char *why, size_t whylen)
{
	char *text;
	size_t len;
	int r;

	state_empty(s);
	r = read_all(path, &text, &len, why, whylen);
	if (r != 0)
		return r;
	if (parse(s, text, len, why, whylen) != 0) {
		/* never half-trusted: drop whatever the damaged file gave */
		state_empty(s);
		r = -1;
	}
	free(text);
	return r;
}
