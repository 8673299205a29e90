/* DNS wire format: bounds-checked parsing of untrusted messages and building of replies and queries. */
#ifndef MSDNS_WIRE_H
#define MSDNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_HDR_LEN 12
#define WIRE_NAME_MAX 255
#define WIRE_LABEL_MAX 63
#define WIRE_MAX_QUESTIONS 16
#define WIRE_OUR_PAYLOAD 8192

#define WIRE_FLAG_QR 0x8000
#define WIRE_FLAG_AA 0x0400
#define WIRE_FLAG_TC 0x0200
#define WIRE_FLAG_RD 0x0100
#define WIRE_FLAG_RA 0x0080

enum {
	WIRE_OPCODE_QUERY = 0, WIRE_OPCODE_IQUERY = 1, WIRE_OPCODE_STATUS = 2,
	WIRE_OPCODE_NOTIFY = 4, WIRE_OPCODE_UPDATE = 5, WIRE_OPCODE_CC = 14,
};
enum {
	WIRE_RCODE_NOERROR = 0, WIRE_RCODE_FORMERR = 1, WIRE_RCODE_SERVFAIL = 2,
	WIRE_RCODE_NXDOMAIN = 3, WIRE_RCODE_NOTIMP = 4, WIRE_RCODE_REFUSED = 5,
	WIRE_RCODE_NOTAUTH = 9,
};
enum {
	WIRE_TYPE_SOA = 6, WIRE_TYPE_OPT = 41, WIRE_TYPE_TSIG = 250,
	WIRE_TYPE_CC_SUCCESS = 65280, WIRE_TYPE_CC_FAILURE = 65281,
	WIRE_TYPE_CC_CREATE = 65282, WIRE_TYPE_CC_DELETE = 65283,
};
enum { WIRE_CLASS_IN = 1, WIRE_CLASS_CC = 65280 };

/* A cursor over untrusted bytes: every read past the end sets the sticky error and yields zeros. */
struct wire_cur {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int err;
};

struct wire_question {
	uint8_t name[WIRE_NAME_MAX]; /* uncompressed wire form, case as received */
	uint8_t name_len;
	uint16_t qtype;
	uint16_t qclass;
};

/* One parsed message. Sections other than question and the OPT/TSIG facts are checked and skipped. */
struct wire_msg {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount, ancount, nscount, arcount;
	unsigned nq;
	struct wire_question q[WIRE_MAX_QUESTIONS];
	int has_opt;
	uint16_t opt_payload;
	uint8_t opt_version;
	uint16_t opt_flags;
	int has_tsig;
};

void wire_cur_init(struct wire_cur *c, const void *buf, size_t len);
uint8_t wire_get_u8(struct wire_cur *c);
uint16_t wire_get_u16(struct wire_cur *c);
uint32_t wire_get_u32(struct wire_cur *c);
void wire_skip(struct wire_cur *c, size_t n);
/* Read a name at the cursor into out (uncompressed, at most 255 octets), following compression
 * pointers only when allow_ptr and only backwards. Returns its length; 0 with c->err set on error. */
size_t wire_get_name(struct wire_cur *c, uint8_t out[WIRE_NAME_MAX], int allow_ptr);

/* One resource record as read from a message; rdata points into the message. */
struct wire_rr {
	uint8_t name[WIRE_NAME_MAX];
	size_t name_len;
	uint16_t type, rrclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
};

/* Read one resource record at the cursor. Returns 0, or -1 with c->err set. */
int wire_get_rr(struct wire_cur *c, struct wire_rr *rr);
/* Parse a whole message. Returns 0, or -1 when it is unparsable (truncated, lying counts, bad names,
 * trailing bytes, more than WIRE_MAX_QUESTIONS questions, several OPT records). */
int wire_parse(const uint8_t *buf, size_t len, struct wire_msg *m);

static inline unsigned
wire_opcode(uint16_t flags)
{
	return (flags >> 11) & 0xf;
}

static inline unsigned
wire_rcode(uint16_t flags)
{
	return flags & 0xf;
}

/* Build the reply to req: same id and opcode, QR, RD copied, questions echoed (names compressed against
 * the ones before, case kept), OPT (payload 8192) when req had one, AA when aa. Returns its length, or 0 when outlen is too small. */
size_t wire_build_reply(const struct wire_msg *req, unsigned rcode, int aa, uint8_t *out, size_t outlen);
/* wire_build_reply, but never longer than limit octets: when the reply would be, its questions are
 * left out (QDCOUNT 0). Returns its length, or 0 when even that does not fit. */
size_t wire_build_reply_within(const struct wire_msg *req, unsigned rcode, int aa, size_t limit, uint8_t *out,
    size_t outlen);
/* Set the RCODE and AA of a reply built earlier (len octets; nothing when shorter than a header). */
void wire_reply_set_rcode(uint8_t *reply, size_t len, unsigned rcode, int aa);
/* Build a one-question query with the given header flags and an OPT record when edns. Returns its
 * length, or 0 when outlen is too small. */
size_t wire_build_query(uint16_t id, uint16_t flags, const uint8_t *name, size_t name_len, uint16_t qtype,
    uint16_t qclass, int edns, uint8_t *out, size_t outlen);

/* Convert presentation text (escapes \DDD and \X, trailing dot optional) to an absolute wire name.
 * Returns its length, or 0 when the text is no valid name. */
size_t wire_name_from_text(const char *text, uint8_t out[WIRE_NAME_MAX]);
/* Write a wire name as presentation text with a trailing dot and escapes, always NUL-terminated.
 * Returns out. */
char *wire_name_to_text(const uint8_t *name, size_t len, char *out, size_t outlen);
/* Names for numbers, e.g. "CC", "REFUSED", "TYPE65282"; buf is used for the unnamed ones. */
const char *wire_opcode_name(unsigned opcode, char *buf, size_t len);
const char *wire_rcode_name(unsigned rcode, char *buf, size_t len);
const char *wire_type_name(uint16_t type, char *buf, size_t len);
const char *wire_class_name(uint16_t qclass, char *buf, size_t len);

/* Presentation text needs this much room for any name. */
#define WIRE_NAME_TEXT_MAX (WIRE_NAME_MAX * 4 + 2)

/* A writer into a caller's buffer with a sticky overflow error (TSIG records, transfer queries). */
struct wire_wr {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int err;
};

/* Start writing at offset pos of buf (cap octets in all). */
void wire_wr_init(struct wire_wr *w, void *buf, size_t cap, size_t pos);
void wire_put_u8(struct wire_wr *w, uint8_t v);
void wire_put_u16(struct wire_wr *w, uint16_t v);
void wire_put_u32(struct wire_wr *w, uint32_t v);
/* The low 48 bits of v, most significant first (TSIG's time). */
void wire_put_u48(struct wire_wr *w, uint64_t v);
void wire_put_bytes(struct wire_wr *w, const void *p, size_t n);
/* Read a 48-bit number. */
uint64_t wire_get_u48(struct wire_cur *c);

/* A message's TSIG record (RFC 8945 §4.2); mac and other point into the message. */
struct wire_tsig {
	size_t offset;                  /* where the record starts: the message without it is buf[0..offset) */
	uint8_t key[WIRE_NAME_MAX];     /* the owner (key) name, uncompressed, case as received */
	size_t key_len;
	uint8_t alg[WIRE_NAME_MAX];     /* the algorithm name, uncompressed, case as received */
	size_t alg_len;
	uint16_t rrclass;
	uint32_t ttl;
	uint64_t time;                  /* seconds since the epoch, 48 bits */
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
};

/* Find the TSIG record of a message. Returns 1 and fills t when there is one; 0 when there is none;
 * -1 when the message is unparsable, a TSIG is not the last additional record, there are several,
 * its class is not ANY, its TTL not 0, or its rdata is malformed. */
int wire_get_tsig(const uint8_t *buf, size_t len, struct wire_tsig *t);

#endif
