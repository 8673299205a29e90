/* Tests of the wire module: golden vectors, names, compression, truncation, lying counts. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vectors.h"
#include "wire.h"


START_TEST(golden_reply)
{
	const struct tu_golden *v = &tu_golden[_i];
	uint8_t req[512], want[512], got[512];
	size_t rl = tu_hex(v->request, req, sizeof req), wl = tu_hex(v->reply, want, sizeof want), gl;
	struct wire_msg m;

	ck_assert_int_eq(wire_parse(req, rl, &m), 0);
	ck_assert_uint_eq(m.nq, 1);
	ck_assert_int_eq(m.has_opt, 0);
	gl = wire_build_reply(&m, v->rcode, v->aa, got, sizeof got);
	ck_assert_uint_eq(gl, wl);
	ck_assert_mem_eq(got, want, wl);
}
END_TEST

START_TEST(parse_fields)
{
	uint8_t req[512];
	size_t rl = tu_hex(tu_golden[2].request, req, sizeof req);
	struct wire_msg m;
	char text[WIRE_NAME_TEXT_MAX];

	ck_assert_int_eq(wire_parse(req, rl, &m), 0);
	ck_assert_uint_eq(m.id, 0x735d);
	ck_assert_uint_eq(wire_opcode(m.flags), WIRE_OPCODE_CC);
	ck_assert_uint_eq(m.q[0].qtype, WIRE_TYPE_CC_CREATE);
	ck_assert_uint_eq(m.q[0].qclass, WIRE_CLASS_CC);
	ck_assert_str_eq(wire_name_to_text(m.q[0].name, m.q[0].name_len, text, sizeof text), "example.com.");
}
END_TEST

/* Every proper prefix of a valid message is unparsable. */
START_TEST(truncation_every_offset)
{
	uint8_t msg[600];
	uint8_t name[WIRE_NAME_MAX];
	size_t nl = wire_name_from_text("a.example.com.", name), len, cut;
	struct wire_msg m;

	len = wire_build_query(7, 0x7400, name, nl, WIRE_TYPE_CC_CREATE, WIRE_CLASS_CC, 1, msg, sizeof msg);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(wire_parse(msg, len, &m), 0);
	ck_assert_int_eq(m.has_opt, 1);
	ck_assert_uint_eq(m.opt_payload, WIRE_OUR_PAYLOAD);
	for (cut = 0; cut < len; cut++)
		ck_assert_msg(wire_parse(msg, cut, &m) == -1, "prefix of %zu octets parsed", cut);
}
END_TEST

START_TEST(trailing_garbage)
{
	uint8_t req[512];
	size_t rl = tu_hex(tu_golden[0].request, req, sizeof req);
	struct wire_msg m;

	req[rl++] = 0;
	ck_assert_int_eq(wire_parse(req, rl, &m), -1);
}
END_TEST

static size_t
header(uint8_t *p, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	uint8_t h[12] = { 0x12, 0x34, 0x70, 0x00, (uint8_t)(qd >> 8), (uint8_t)qd, (uint8_t)(an >> 8), (uint8_t)an,
		(uint8_t)(ns >> 8), (uint8_t)ns, (uint8_t)(ar >> 8), (uint8_t)ar };

	memcpy(p, h, 12);
	return 12;
}

START_TEST(counts_that_lie)
{
	uint8_t req[512];
	size_t rl = tu_hex(tu_golden[0].request, req, sizeof req);
	struct wire_msg m;
	static const int fields[] = { 5, 7, 9, 11 };   /* low octet of qd, an, ns, ar */
	size_t i;

	for (i = 0; i < 4; i++) {
		uint8_t copy[512];

		memcpy(copy, req, rl);
		copy[fields[i]] += 1;
		ck_assert_msg(wire_parse(copy, rl, &m) == -1, "count %zu raised by one parsed", i);
	}
	memcpy(req + 4, "\xff\xff", 2);   /* qdcount 65535 */
	ck_assert_int_eq(wire_parse(req, rl, &m), -1);
	req[4] = 0;
	req[5] = 0;   /* qdcount 0 but a question follows: trailing bytes */
	ck_assert_int_eq(wire_parse(req, rl, &m), -1);
}
END_TEST

START_TEST(zero_questions_parse)
{
	uint8_t p[12];
	struct wire_msg m;

	header(p, 0, 0, 0, 0);
	ck_assert_int_eq(wire_parse(p, 12, &m), 0);
	ck_assert_uint_eq(m.nq, 0);
}
END_TEST

START_TEST(compression_backwards)
{
	/* question 1: example.com; question 2: a.<pointer to offset 12> */
	uint8_t p[128];
	size_t n = header(p, 2, 0, 0, 0);
	struct wire_msg m;
	char text[WIRE_NAME_TEXT_MAX];
	static const uint8_t q1[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 6, 0, 1 };
	static const uint8_t q2[] = { 1, 'a', 0xc0, 12, 0, 6, 0, 1 };

	memcpy(p + n, q1, sizeof q1);
	n += sizeof q1;
	memcpy(p + n, q2, sizeof q2);
	n += sizeof q2;
	ck_assert_int_eq(wire_parse(p, n, &m), 0);
	ck_assert_uint_eq(m.nq, 2);
	ck_assert_str_eq(wire_name_to_text(m.q[1].name, m.q[1].name_len, text, sizeof text), "a.example.com.");
	ck_assert_uint_eq(m.q[1].qtype, 6);
}
END_TEST

START_TEST(compression_forward_and_loops)
{
	uint8_t p[64];
	size_t n = header(p, 1, 0, 0, 0);
	struct wire_msg m;
	static const uint8_t self[] = { 0xc0, 12, 0, 6, 0, 1 };          /* points at itself */
	static const uint8_t fwd[] = { 0xc0, 18, 0, 6, 0, 1, 1, 'a', 0 }; /* points forward */
	static const uint8_t loop[] = { 1, 'a', 0xc0, 12, 0, 6, 0, 1 };   /* a -> start of itself */
	static const uint8_t badlab[] = { 0x40, 'a', 0, 0, 6, 0, 1 };     /* label type 01 */

	memcpy(p + n, self, sizeof self);
	ck_assert_int_eq(wire_parse(p, n + sizeof self, &m), -1);
	memcpy(p + n, fwd, sizeof fwd);
	ck_assert_int_eq(wire_parse(p, n + sizeof fwd, &m), -1);
	memcpy(p + n, loop, sizeof loop);
	ck_assert_int_eq(wire_parse(p, n + sizeof loop, &m), -1);
	memcpy(p + n, badlab, sizeof badlab);
	ck_assert_int_eq(wire_parse(p, n + sizeof badlab, &m), -1);
}
END_TEST

/* Build a question name of labels of the given sizes. */
static size_t
long_name(uint8_t *out, const unsigned *labels, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		out[o++] = (uint8_t)labels[i];
		memset(out + o, 'x', labels[i]);
		o += labels[i];
	}
	out[o++] = 0;
	return o;
}

START_TEST(name_limits)
{
	uint8_t p[600];
	struct wire_msg m;
	size_t n;
	/* 63+63+63+61 labels: 4*1 + 250 + 1 = 255 octets; one more octet is 256 */
	static const unsigned ok255[] = { 63, 63, 63, 61 }, bad256[] = { 63, 63, 63, 62 };
	static const unsigned lab63[] = { 63 }, lab64[] = { 64 };

	n = header(p, 1, 0, 0, 0);
	n += long_name(p + n, ok255, 4);
	memcpy(p + n, "\x00\x06\x00\x01", 4);
	ck_assert_int_eq(wire_parse(p, n + 4, &m), 0);
	ck_assert_uint_eq(m.q[0].name_len, 255);

	n = header(p, 1, 0, 0, 0);
	n += long_name(p + n, bad256, 4);
	memcpy(p + n, "\x00\x06\x00\x01", 4);
	ck_assert_int_eq(wire_parse(p, n + 4, &m), -1);

	n = header(p, 1, 0, 0, 0);
	n += long_name(p + n, lab63, 1);
	memcpy(p + n, "\x00\x06\x00\x01", 4);
	ck_assert_int_eq(wire_parse(p, n + 4, &m), 0);

	n = header(p, 1, 0, 0, 0);
	n += long_name(p + n, lab64, 1);
	memcpy(p + n, "\x00\x06\x00\x01", 4);
	ck_assert_int_eq(wire_parse(p, n + 4, &m), -1);
}
END_TEST

START_TEST(opt_and_tsig)
{
	uint8_t p[256], out[256];
	size_t n = header(p, 1, 0, 0, 2), ol;
	struct wire_msg m;
	static const uint8_t q[] = { 1, 'a', 0, 0, 6, 0, 1 };
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0 };
	static const uint8_t tsig[] = { 3, 'k', 'e', 'y', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 2, 0xaa, 0xbb };

	memcpy(p + n, q, sizeof q);
	n += sizeof q;
	memcpy(p + n, opt, sizeof opt);
	n += sizeof opt;
	memcpy(p + n, tsig, sizeof tsig);
	n += sizeof tsig;
	ck_assert_int_eq(wire_parse(p, n, &m), 0);
	ck_assert_int_eq(m.has_opt, 1);
	ck_assert_uint_eq(m.opt_payload, 1232);
	ck_assert_int_eq(m.has_tsig, 1);
	/* reply carries an OPT with our payload and no DO bit, never the TSIG */
	ol = wire_build_reply(&m, 0, 1, out, sizeof out);
	ck_assert_uint_eq(ol, 12 + sizeof q + 11);
	ck_assert_uint_eq(out[11], 1);
	ck_assert_uint_eq(out[12 + sizeof q + 3], 0x20);   /* 8192 = 0x2000 */
	ck_assert_uint_eq(out[12 + sizeof q + 7], 0);

	/* two OPT records: unparsable */
	n = header(p, 1, 0, 0, 2) + sizeof q;
	memcpy(p + n, opt, sizeof opt);
	memcpy(p + n + sizeof opt, opt, sizeof opt);
	ck_assert_int_eq(wire_parse(p, n + 2 * sizeof opt, &m), -1);
}
END_TEST

START_TEST(reply_copies_rd_and_case)
{
	uint8_t name[WIRE_NAME_MAX], q[128], r[128];
	size_t nl = wire_name_from_text("ExAmPlE.CoM", name), ql, rl;
	struct wire_msg m;

	ql = wire_build_query(0xbeef, 0x0100 | 0x0010, name, nl, 1, 1, 0, q, sizeof q);   /* RD + CD */
	ck_assert_int_eq(wire_parse(q, ql, &m), 0);
	rl = wire_build_reply(&m, WIRE_RCODE_REFUSED, 0, r, sizeof r);
	ck_assert_uint_eq(rl, ql);
	ck_assert_uint_eq(r[2], 0x81);   /* QR, opcode 0, RD */
	ck_assert_uint_eq(r[3], 0x05);   /* CD not copied, REFUSED */
	ck_assert_mem_eq(r + 12, name, nl);
	ck_assert_uint_eq(wire_build_reply(&m, 0, 0, r, 20), 0);   /* too small */
}
END_TEST

/* Echoed names are compressed (as dnspython does): 16 questions, 15 of them pointers to the first, come
 * back as long as they went (the reply used to be 4,156 octets for 361); case is kept. */
START_TEST(reply_compresses_echoed_names)
{
	uint8_t q[600], r[9000], name[WIRE_NAME_MAX];
	size_t n = 12, i, rl;
	struct wire_msg m;

	memset(q, 0, 12);
	q[0] = 0x12;
	q[2] = 0x01;   /* QUERY, RD */
	q[5] = 16;
	for (i = 0; i < 4; i++) {   /* labels of 63, 63, 63 and 61 octets: 255 in all */
		size_t l = i < 3 ? 63 : 61;

		q[n++] = (uint8_t)l;
		memset(q + n, 'a' + (int)i, l);
		n += l;
	}
	q[n++] = 0;
	q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;
	for (i = 0; i < 15; i++) {
		q[n++] = 0xc0, q[n++] = 12;
		q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;
	}
	ck_assert_uint_eq(n, 361);
	ck_assert_int_eq(wire_parse(q, n, &m), 0);
	rl = wire_build_reply(&m, WIRE_RCODE_REFUSED, 0, r, sizeof r);
	ck_assert_uint_eq(rl, 361);
	ck_assert_mem_eq(r + 12, q + 12, n - 12);
	ck_assert_int_eq(wire_parse(r, rl, &m), 0);   /* and it reads back */
	ck_assert_uint_eq(m.nq, 16);
	ck_assert_uint_eq(m.q[15].name_len, 255);

	/* a shared suffix of another case is not pointed to; the common "com" is */
	n = wire_build_query(1, 0, name, wire_name_from_text("a.Example.com", name), 1, 1, 0, q, sizeof q);
	ck_assert_int_eq(wire_parse(q, n, &m), 0);
	m.nq = 2;
	m.q[1].name_len = (uint8_t)wire_name_from_text("b.example.com", m.q[1].name);
	rl = wire_build_reply(&m, 0, 0, r, sizeof r);
	ck_assert_uint_eq(rl, 12 + 15 + 4 + (2 + 8 + 2) + 4);
	ck_assert_mem_eq(r + 31, "\001b\007example\300\026", 12);   /* "com" of the first, at 22 */

	/* never longer than a limit: the questions go */
	ck_assert_uint_eq(wire_build_reply_within(&m, WIRE_RCODE_REFUSED, 0, rl, r, sizeof r), rl);
	ck_assert_uint_eq(wire_build_reply_within(&m, WIRE_RCODE_REFUSED, 0, rl - 1, r, sizeof r), 12);
	ck_assert_uint_eq(r[5], 0);
	wire_reply_set_rcode(r, 12, WIRE_RCODE_SERVFAIL, 1);
	ck_assert_uint_eq(r[2] & 0x04, 0x04);
	ck_assert_uint_eq(r[3] & 0x0f, WIRE_RCODE_SERVFAIL);
}
END_TEST

START_TEST(name_text)
{
	uint8_t name[WIRE_NAME_MAX];
	char text[WIRE_NAME_TEXT_MAX];
	size_t n;

	n = wire_name_from_text("a\\.b.c\\032d.", name);
	ck_assert_uint_eq(n, 1 + 3 + 1 + 3 + 1);
	ck_assert_str_eq(wire_name_to_text(name, n, text, sizeof text), "a\\.b.c\\032d.");
	ck_assert_uint_eq(wire_name_from_text(".", name), 1);
	ck_assert_str_eq(wire_name_to_text(name, 1, text, sizeof text), ".");
	ck_assert_uint_eq(wire_name_from_text("a..b", name), 0);
	ck_assert_uint_eq(wire_name_from_text("..", name), 0);
	ck_assert_uint_eq(wire_name_from_text("a\\999", name), 0);
	ck_assert_uint_eq(wire_name_from_text("a\\", name), 0);
	n = wire_name_from_text("x\\000\\255y", name);
	ck_assert_str_eq(wire_name_to_text(name, n, text, sizeof text), "x\\000\\255y.");
}
END_TEST

START_TEST(name_text_limits)
{
	char text[600];
	uint8_t name[WIRE_NAME_MAX];
	size_t i, o = 0;

	memset(text, 'a', 63);
	text[63] = '\0';
	ck_assert_uint_eq(wire_name_from_text(text, name), 65);
	memset(text, 'a', 64);
	text[64] = '\0';
	ck_assert_uint_eq(wire_name_from_text(text, name), 0);
	/* 4 labels of 63 = 256 octets with the root: too long; 63,63,63,61 = 255: fits */
	for (i = 0; i < 4; i++) {
		memset(text + o, 'b', i == 3 ? 61 : 63);
		o += i == 3 ? 61 : 63;
		text[o++] = '.';
	}
	text[o] = '\0';
	ck_assert_uint_eq(wire_name_from_text(text, name), 255);
	text[o - 1] = 'b';
	text[o] = '.';
	text[o + 1] = '\0';
	ck_assert_uint_eq(wire_name_from_text(text, name), 0);
}
END_TEST

START_TEST(names_of_numbers)
{
	char b[32];

	ck_assert_str_eq(wire_opcode_name(14, b, sizeof b), "CC");
	ck_assert_str_eq(wire_opcode_name(9, b, sizeof b), "OPCODE9");
	ck_assert_str_eq(wire_rcode_name(5, b, sizeof b), "REFUSED");
	ck_assert_str_eq(wire_type_name(65282, b, sizeof b), "TYPE65282");
	ck_assert_str_eq(wire_class_name(65280, b, sizeof b), "CLASS65280");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("wire");

	tcase_add_loop_test(tc, golden_reply, 0, TU_GOLDEN_N);
	tcase_add_test(tc, parse_fields);
	tcase_add_test(tc, truncation_every_offset);
	tcase_add_test(tc, trailing_garbage);
	tcase_add_test(tc, counts_that_lie);
	tcase_add_test(tc, zero_questions_parse);
	tcase_add_test(tc, compression_backwards);
	tcase_add_test(tc, compression_forward_and_loops);
	tcase_add_test(tc, name_limits);
	tcase_add_test(tc, opt_and_tsig);
	tcase_add_test(tc, reply_copies_rd_and_case);
	tcase_add_test(tc, reply_compresses_echoed_names);
	tcase_add_test(tc, name_text);
	tcase_add_test(tc, name_text_limits);
	tcase_add_test(tc, names_of_numbers);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
