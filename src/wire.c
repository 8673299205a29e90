/* DNS wire format: bounds-checked parsing of untrusted messages and building of replies and queries. */
#include "wire.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void
wire_cur_init(struct wire_cur *c, const void *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->pos = 0;
	c->err = 0;
}

static int
wire_need(struct wire_cur *c, size_t n)
{
	if (c->err || n > c->len - c->pos) {
		c->err = 1;
		return 0;
	}
	return 1;
}

uint8_t
wire_get_u8(struct wire_cur *c)
{
	if (!wire_need(c, 1))
		return 0;
	return c->buf[c->pos++];
}

uint16_t
wire_get_u16(struct wire_cur *c)
{
	uint16_t v;

	if (!wire_need(c, 2))
		return 0;
	v = (uint16_t)(c->buf[c->pos] << 8 | c->buf[c->pos + 1]);
	c->pos += 2;
	return v;
}

uint32_t
wire_get_u32(struct wire_cur *c)
{
	uint32_t hi = wire_get_u16(c);

	return hi << 16 | wire_get_u16(c);
}

void
wire_skip(struct wire_cur *c, size_t n)
{
	if (wire_need(c, n))
		c->pos += n;
}

size_t
wire_get_name(struct wire_cur *c, uint8_t out[WIRE_NAME_MAX], int allow_ptr)
{
	struct wire_cur r = *c;   /* reads the labels; jumps on pointers */
	size_t len = 0, limit = c->pos;   /* a pointer must point before this */
	int jumped = 0;

	for (;;) {
		uint8_t l = wire_get_u8(&r);

		if (r.err)
			break;
		if ((l & 0xc0) == 0xc0) {
			size_t target = (size_t)(l & 0x3f) << 8 | wire_get_u8(&r);

			if (r.err || !allow_ptr || target >= limit) {
				r.err = 1;
				break;
			}
			if (!jumped)
				c->pos = r.pos;
			jumped = 1;
			limit = target;
			r.pos = target;
			continue;
		}
		if (l & 0xc0) {   /* 0x40 and 0x80: obsolete and unknown label types */
			r.err = 1;
			break;
		}
		if (len + 1 + l > WIRE_NAME_MAX || !wire_need(&r, l)) {
			r.err = 1;
			break;
		}
		out[len++] = l;
		memcpy(out + len, r.buf + r.pos, l);
		len += l;
		r.pos += l;
		if (l == 0) {
			if (!jumped)
				c->pos = r.pos;
			return len;
		}
	}
	c->err = 1;
	memset(out, 0, WIRE_NAME_MAX);
	return 0;
}

int
wire_get_rr(struct wire_cur *c, struct wire_rr *rr)
{
	rr->name_len = wire_get_name(c, rr->name, 1);
	rr->type = wire_get_u16(c);
	rr->rrclass = wire_get_u16(c);
	rr->ttl = wire_get_u32(c);
	rr->rdlen = wire_get_u16(c);
	rr->rdata = c->err ? NULL : c->buf + c->pos;
	wire_skip(c, rr->rdlen);
	return c->err ? -1 : 0;
}

/* Skip one resource record, noting OPT and TSIG in m. */
static void
wire_skip_rr(struct wire_cur *c, struct wire_msg *m, int additional)
{
	struct wire_rr rr;

	if (wire_get_rr(c, &rr) != 0)
		return;
	if (rr.type == WIRE_TYPE_OPT) {
		if (!additional || m->has_opt || rr.name_len != 1) {
			c->err = 1;
			return;
		}
		m->has_opt = 1;
		m->opt_payload = rr.rrclass;
		m->opt_version = (uint8_t)(rr.ttl >> 16);
		m->opt_flags = (uint16_t)rr.ttl;
	} else if (rr.type == WIRE_TYPE_TSIG) {
		m->has_tsig = 1;
	}
}

int
wire_parse(const uint8_t *buf, size_t len, struct wire_msg *m)
{
	struct wire_cur c;
	unsigned i;

	memset(m, 0, sizeof *m);
	wire_cur_init(&c, buf, len);
	m->id = wire_get_u16(&c);
	m->flags = wire_get_u16(&c);
	m->qdcount = wire_get_u16(&c);
	m->ancount = wire_get_u16(&c);
	m->nscount = wire_get_u16(&c);
	m->arcount = wire_get_u16(&c);
	if (c.err || m->qdcount > WIRE_MAX_QUESTIONS)
		return -1;
	for (i = 0; i < m->qdcount && !c.err; i++) {
		struct wire_question *q = &m->q[i];

		q->name_len = (uint8_t)wire_get_name(&c, q->name, 1);
		q->qtype = wire_get_u16(&c);
		q->qclass = wire_get_u16(&c);
	}
	m->nq = m->qdcount;
	for (i = 0; i < (unsigned)m->ancount + m->nscount && !c.err; i++)
		wire_skip_rr(&c, m, 0);
	for (i = 0; i < m->arcount && !c.err; i++)
		wire_skip_rr(&c, m, 1);
	if (c.err || c.pos != c.len)
		return -1;
	return 0;
}

/* A writer into a fixed buffer with a sticky overflow flag. */
struct wire_out {
	uint8_t *buf;
	size_t len, pos;
	int err;
	struct wire_echo *echo;   /* wire_build_reply: the names written so far */
};

static void
out_bytes(struct wire_out *o, const void *p, size_t n)
{
	if (o->err || n > o->len - o->pos) {
		o->err = 1;
		return;
	}
	memcpy(o->buf + o->pos, p, n);
	o->pos += n;
}

static void
out_u16(struct wire_out *o, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	out_bytes(o, b, 2);
}

static void
out_header(struct wire_out *o, uint16_t id, uint16_t flags, uint16_t qd, uint16_t ar)
{
	out_u16(o, id);
	out_u16(o, flags);
	out_u16(o, qd);
	out_u16(o, 0);
	out_u16(o, 0);
	out_u16(o, ar);
}

static void
out_opt(struct wire_out *o)
{
	static const uint8_t root = 0;

	out_bytes(o, &root, 1);
	out_u16(o, WIRE_TYPE_OPT);
	out_u16(o, WIRE_OUR_PAYLOAD);
	out_u16(o, 0);   /* extended rcode, version */
	out_u16(o, 0);   /* flags */
	out_u16(o, 0);   /* rdlength */
}

/* Where each echoed question name starts in the reply, and how many of its octets were written as
 * labels (the rest is a pointer), so later names can point into them. */
struct wire_echo {
	size_t at[WIRE_MAX_QUESTIONS];
	size_t literal[WIRE_MAX_QUESTIONS];
};

/* Write question i's name, its longest suffix already written (same octets, same case: the echo keeps
 * the request's case) replaced by a pointer, as dnspython compresses replies. */
static void
out_name_compressed(struct wire_out *o, const struct wire_msg *req, unsigned i)
{
	static struct wire_echo none;
	struct wire_echo *e = o->echo ? o->echo : &none;
	const uint8_t *name = req->q[i].name;
	size_t len = req->q[i].name_len, p = 0;

	e->at[i] = o->pos;
	while (p < len && name[p] != 0) {
		unsigned j;

		for (j = 0; j < i; j++) {
			const uint8_t *prev = req->q[j].name;
			size_t k = 0, plen = e->literal[j];

			/* label boundaries of j's literal part whose remaining octets equal ours */
			while (k < plen && prev[k] != 0) {
				size_t off = e->at[j] + k;

				if (req->q[j].name_len - k == len - p && memcmp(prev + k, name + p, len - p) == 0 &&
				    off < 0x4000) {
					out_u16(o, (uint16_t)(0xc000 | off));
					e->literal[i] = p;
					return;
				}
				k += 1 + (size_t)prev[k];
			}
		}
		out_bytes(o, name + p, 1 + (size_t)name[p]);
		p += 1 + (size_t)name[p];
	}
	out_bytes(o, name + p, len - p);   /* the root label */
	e->literal[i] = len;
}

size_t
wire_build_reply(const struct wire_msg *req, unsigned rcode, int aa, uint8_t *out, size_t outlen)
{
	struct wire_echo echo;
	struct wire_out o = { out, outlen, 0, 0, &echo };
	uint16_t flags = WIRE_FLAG_QR | (uint16_t)(wire_opcode(req->flags) << 11) |
	    (req->flags & WIRE_FLAG_RD) | (aa ? WIRE_FLAG_AA : 0) | (rcode & 0xf);
	unsigned i;

	out_header(&o, req->id, flags, (uint16_t)req->nq, req->has_opt ? 1 : 0);
	for (i = 0; i < req->nq; i++) {
		out_name_compressed(&o, req, i);
		out_u16(&o, req->q[i].qtype);
		out_u16(&o, req->q[i].qclass);
	}
	if (req->has_opt)
		out_opt(&o);
	return o.err ? 0 : o.pos;
}

size_t
wire_build_reply_within(const struct wire_msg *req, unsigned rcode, int aa, size_t limit, uint8_t *out,
    size_t outlen)
{
	struct wire_msg bare;
	size_t n = wire_build_reply(req, rcode, aa, out, outlen);

	if (n > 0 && n <= limit)
		return n;
	bare = *req;
	bare.nq = 0;   /* header (and OPT): never longer than a parsable request with a question */
	n = wire_build_reply(&bare, rcode, aa, out, outlen);
	return n <= limit ? n : 0;
}

void
wire_reply_set_rcode(uint8_t *reply, size_t len, unsigned rcode, int aa)
{
	if (len < WIRE_HDR_LEN)
		return;
	reply[2] = (uint8_t)((reply[2] & ~(WIRE_FLAG_AA >> 8)) | (aa ? WIRE_FLAG_AA >> 8 : 0));
	reply[3] = (uint8_t)((reply[3] & 0xf0) | (rcode & 0xf));
}

size_t
wire_build_query(uint16_t id, uint16_t flags, const uint8_t *name, size_t name_len, uint16_t qtype,
    uint16_t qclass, int edns, uint8_t *out, size_t outlen)
{
	struct wire_out o = { out, outlen, 0, 0, NULL };

	out_header(&o, id, flags, 1, edns ? 1 : 0);
	out_bytes(&o, name, name_len);
	out_u16(&o, qtype);
	out_u16(&o, qclass);
	if (edns)
		out_opt(&o);
	return o.err ? 0 : o.pos;
}

size_t
wire_name_from_text(const char *text, uint8_t out[WIRE_NAME_MAX])
{
	size_t len = 0, lab = 0;   /* lab: offset of the current label's length octet */
	const char *p = text;

	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	out[0] = 0;
	len = 1;
	while (*p) {
		unsigned c = (unsigned char)*p++;

		if (c == '.') {
			if (out[lab] == 0)
				return 0;   /* empty label */
			lab = len;
			if (len >= WIRE_NAME_MAX)
				return 0;
			out[len++] = 0;
			continue;
		}
		if (c == '\\') {
			if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
			    isdigit((unsigned char)p[2])) {
				c = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
				if (c > 255)
					return 0;
				p += 3;
			} else if (*p) {
				c = (unsigned char)*p++;
			} else {
				return 0;
			}
		}
		if (out[lab] == WIRE_LABEL_MAX || len >= WIRE_NAME_MAX)
			return 0;
		out[lab]++;
		out[len++] = (uint8_t)c;
	}
	if (out[lab] != 0) {   /* no trailing dot: close with the root label */
		if (len >= WIRE_NAME_MAX)
			return 0;
		out[len++] = 0;
	}
	return len;
}

char *
wire_name_to_text(const uint8_t *name, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	while (i < len && name[i] != 0) {
		uint8_t l = name[i++];
		size_t j;

		for (j = 0; j < l && i < len; j++, i++) {
			char tmp[5];
			unsigned char ch = name[i];
			size_t k;

			if (strchr(".\\\"();@$", ch) && ch != '\0')
				k = (size_t)snprintf(tmp, sizeof tmp, "\\%c", ch);
			else if (ch > 0x20 && ch < 0x7f)
				k = (size_t)snprintf(tmp, sizeof tmp, "%c", ch);
			else
				k = (size_t)snprintf(tmp, sizeof tmp, "\\%03u", ch);
			if (o + k + 2 > outlen)
				return out;
			memcpy(out + o, tmp, k);
			o += k;
		}
		if (o + 2 > outlen)
			return out;
		out[o++] = '.';
		out[o] = '\0';
	}
	if (o == 0 && outlen >= 2) {
		out[o++] = '.';
		out[o] = '\0';
	}
	return out;
}

const char *
wire_opcode_name(unsigned opcode, char *buf, size_t len)
{
	static const char *const names[16] = { "QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE",
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "CC", NULL };

	if (opcode < 16 && names[opcode])
		return names[opcode];
	snprintf(buf, len, "OPCODE%u", opcode);
	return buf;
}

const char *
wire_rcode_name(unsigned rcode, char *buf, size_t len)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rcode < sizeof names / sizeof names[0])
		return names[rcode];
	snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

const char *
wire_type_name(uint16_t type, char *buf, size_t len)
{
	switch (type) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case WIRE_TYPE_SOA: return "SOA";
	case 12: return "PTR";
	case 16: return "TXT";
	case 28: return "AAAA";
	case WIRE_TYPE_OPT: return "OPT";
	case WIRE_TYPE_TSIG: return "TSIG";
	case 251: return "IXFR";
	case 252: return "AXFR";
	case 255: return "ANY";
	default:
		snprintf(buf, len, "TYPE%u", type);
		return buf;
	}
}

const char *
wire_class_name(uint16_t qclass, char *buf, size_t len)
{
	switch (qclass) {
	case WIRE_CLASS_IN: return "IN";
	case 3: return "CH";
	case 255: return "ANY";
	default:
		snprintf(buf, len, "CLASS%u", qclass);
		return buf;
	}
}

void
wire_wr_init(struct wire_wr *w, void *buf, size_t cap, size_t pos)
{
	w->buf = buf;
	w->cap = cap;
	w->pos = pos;
	w->err = pos > cap;
}

void
wire_put_bytes(struct wire_wr *w, const void *p, size_t n)
{
	if (w->err || n > w->cap - w->pos) {
		w->err = 1;
		return;
	}
	if (n > 0)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

void
wire_put_u8(struct wire_wr *w, uint8_t v)
{
	wire_put_bytes(w, &v, 1);
}

void
wire_put_u16(struct wire_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wire_put_bytes(w, b, 2);
}

void
wire_put_u32(struct wire_wr *w, uint32_t v)
{
	wire_put_u16(w, (uint16_t)(v >> 16));
	wire_put_u16(w, (uint16_t)v);
}

void
wire_put_u48(struct wire_wr *w, uint64_t v)
{
	wire_put_u16(w, (uint16_t)(v >> 32));
	wire_put_u32(w, (uint32_t)v);
}

uint64_t
wire_get_u48(struct wire_cur *c)
{
	uint64_t hi = wire_get_u16(c);

	return hi << 32 | wire_get_u32(c);
}

/* Read a TSIG record's rdata (rr already read) into t. Returns 0, or -1 when it is malformed. */
static int
wire_tsig_rdata(const struct wire_cur *msg, const struct wire_rr *rr, struct wire_tsig *t)
{
	struct wire_cur c = *msg;   /* names in the rdata may point back into the message */

	c.pos = (size_t)(rr->rdata - msg->buf);
	c.len = c.pos + rr->rdlen;
	t->alg_len = wire_get_name(&c, t->alg, 1);
	t->time = wire_get_u48(&c);
	t->fudge = wire_get_u16(&c);
	t->mac_len = wire_get_u16(&c);
	t->mac = c.err ? NULL : c.buf + c.pos;
	wire_skip(&c, t->mac_len);
	t->orig_id = wire_get_u16(&c);
	t->error = wire_get_u16(&c);
	t->other_len = wire_get_u16(&c);
	t->other = c.err ? NULL : c.buf + c.pos;
	wire_skip(&c, t->other_len);
	return c.err || c.pos != c.len ? -1 : 0;
}

int
wire_get_tsig(const uint8_t *buf, size_t len, struct wire_tsig *t)
{
	struct wire_cur c;
	uint16_t qd, an, ns, ar;
	unsigned i, total;
	int found = 0;

	memset(t, 0, sizeof *t);
	wire_cur_init(&c, buf, len);
	wire_skip(&c, 4);
	qd = wire_get_u16(&c);
	an = wire_get_u16(&c);
	ns = wire_get_u16(&c);
	ar = wire_get_u16(&c);
	for (i = 0; i < qd && !c.err; i++) {
		uint8_t name[WIRE_NAME_MAX];

		wire_get_name(&c, name, 1);
		wire_skip(&c, 4);
	}
	total = (unsigned)an + ns + ar;
	for (i = 0; i < total && !c.err; i++) {
		size_t start = c.pos;
		struct wire_rr rr;

		if (wire_get_rr(&c, &rr) != 0)
			break;
		if (rr.type != WIRE_TYPE_TSIG)
			continue;
		/* RFC 8945 §5.2: only one, and it is the last record of the additional section */
		if (found || i != total - 1 || ar == 0)
			return -1;
		found = 1;
		t->offset = start;
		memcpy(t->key, rr.name, rr.name_len);
		t->key_len = rr.name_len;
		t->rrclass = rr.rrclass;
		t->ttl = rr.ttl;
		if (rr.rrclass != 255 || rr.ttl != 0 || wire_tsig_rdata(&c, &rr, t) != 0)
			return -1;
	}
	if (c.err || c.pos != c.len)
		return -1;
	return found;
}
