/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/common: the drop-reason table (labels feed Prometheus, so each must be a
 * legal, unique label value) and the bounded JSON writer. Every expected JSON
 * text below is written out by hand from RFC 8259; there is no JSON parser in
 * C here, so documents are compared byte for byte. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/reason.h"

/* ---- reason labels ---- */

Test(reason, ok_is_zero_and_labelled_ok)
{
	cr_assert_eq(HP_R_OK, 0);
	cr_assert_str_eq(hp_reason_label(HP_R_OK), "ok");
	cr_assert_str_eq(hp_reason_help(HP_R_OK), "not a drop");
}

Test(reason, known_labels)
{
	cr_assert_str_eq(hp_reason_label(HP_R_LINK_TRUNCATED), "link_truncated");
	cr_assert_str_eq(hp_reason_label(HP_R_IP4_TRUNCATED), "ipv4_truncated");
	cr_assert_str_eq(hp_reason_label(HP_R_IP6_JUMBOGRAM), "ipv6_jumbogram");
	cr_assert_str_eq(hp_reason_label(HP_R_SIP_NOT_SIP), "sip_port_not_sip");
	cr_assert_str_eq(hp_reason_label(HP_R_SIP_NO_CALL_ID), "sip_no_call_id");
	cr_assert_str_eq(hp_reason_label(HP_R_HEP_ENCODE), "hep_encode_failed");
	cr_assert_str_eq(hp_reason_help(HP_R_SIP_KEEPALIVE), "CRLF keep-alive on a SIP port");
}

Test(reason, out_of_range_is_unknown)
{
	const int bad[] = { -1, -1000, HP_R_MAX, HP_R_MAX + 1, INT32_MAX, INT32_MIN };

	for (size_t i = 0; i < HP_ARRAY_LEN(bad); i++) {
		cr_assert_str_eq(hp_reason_label(bad[i]), "unknown", "reason %d", bad[i]);
		cr_assert_str_eq(hp_reason_help(bad[i]), "unknown reason", "reason %d", bad[i]);
	}
}

/* Exposition format 0.0.4: a label value may hold any UTF-8 but '"', '\' and
 * newline must be escaped, and we export labels unescaped. We also keep them
 * snake_case so dashboards can match them without quoting surprises. */
Test(reason, every_label_is_a_plain_prometheus_value)
{
	for (int r = 0; r < HP_R_MAX; r++) {
		const char *l = hp_reason_label(r);
		const char *h = hp_reason_help(r);

		cr_assert_not_null(l, "reason %d", r);
		cr_assert_not_null(h, "reason %d", r);
		cr_assert_gt(strlen(l), 0, "reason %d has an empty label", r);
		cr_assert_gt(strlen(h), 0, "reason %d has an empty help", r);
		cr_assert_str_neq(l, "unknown", "reason %d collides with the fallback", r);
		cr_assert_null(strpbrk(l, "\"\\\n"), "reason %d label '%s'", r, l);
		cr_assert_null(strpbrk(h, "\\\n"), "reason %d help '%s'", r, h);
		for (const char *c = l; *c != '\0'; c++)
			cr_assert((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_',
				  "reason %d label '%s' is not snake_case", r, l);
	}
}

Test(reason, labels_are_unique)
{
	for (int a = 0; a < HP_R_MAX; a++)
		for (int b = a + 1; b < HP_R_MAX; b++)
			cr_assert_str_neq(hp_reason_label(a), hp_reason_label(b), "reasons %d and %d", a, b);
}

/* ---- JSON writer ---- */

#define JBUF 512

/* Finish j and require exactly `want` (length and bytes). */
static void expect_doc(struct hp_json *j, const char *want)
{
	size_t n = hp_json_finish(j);

	cr_assert_eq(n, strlen(want), "length %zu, want %zu (%s)", n, strlen(want), want);
	cr_assert_str_eq(j->buf, want);
}

/* One top-level value, returned as text (valid until the next call). */
static char one[JBUF];

static const char *one_u64(uint64_t v)
{
	struct hp_json j;

	memset(one, 0, sizeof(one));
	hp_json_init(&j, one, sizeof(one));
	hp_json_u64(&j, NULL, v);
	cr_assert_neq(hp_json_finish(&j), 0);
	return one;
}

static const char *one_i64(int64_t v)
{
	struct hp_json j;

	memset(one, 0, sizeof(one));
	hp_json_init(&j, one, sizeof(one));
	hp_json_i64(&j, NULL, v);
	cr_assert_neq(hp_json_finish(&j), 0);
	return one;
}

static const char *one_fixed(int64_t v, unsigned decimals)
{
	struct hp_json j;

	memset(one, 0, sizeof(one));
	hp_json_init(&j, one, sizeof(one));
	hp_json_fixed(&j, NULL, v, decimals);
	cr_assert_neq(hp_json_finish(&j), 0);
	return one;
}

static const char *one_str(const char *s, size_t len)
{
	struct hp_json j;

	memset(one, 0, sizeof(one));
	hp_json_init(&j, one, sizeof(one));
	hp_json_str(&j, NULL, s, len);
	cr_assert_neq(hp_json_finish(&j), 0);
	return one;
}

Test(json, nested_objects_arrays_and_commas)
{
	char buf[JBUF] = { 0 };
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_u64(&j, "a", 1);
	hp_json_arr_begin(&j, "b");
	hp_json_u64(&j, NULL, 1);
	hp_json_obj_begin(&j, NULL);
	hp_json_obj_end(&j);
	hp_json_arr_begin(&j, NULL);
	hp_json_arr_end(&j);
	hp_json_cstr(&j, NULL, "x");
	hp_json_arr_end(&j);
	hp_json_obj_begin(&j, "c");
	hp_json_bool(&j, "t", true);
	hp_json_bool(&j, "f", false);
	hp_json_arr_begin(&j, "e");
	hp_json_arr_end(&j);
	hp_json_obj_end(&j);
	hp_json_i64(&j, "d", -2);
	hp_json_obj_end(&j);
	expect_doc(&j, "{\"a\":1,\"b\":[1,{},[],\"x\"],\"c\":{\"t\":true,\"f\":false,\"e\":[]},\"d\":-2}");
}

Test(json, empty_containers_and_top_level_scalar)
{
	char buf[JBUF] = { 0 };
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_obj_end(&j);
	expect_doc(&j, "{}");

	memset(buf, 0, sizeof(buf));
	hp_json_init(&j, buf, sizeof(buf));
	hp_json_arr_begin(&j, NULL);
	hp_json_arr_end(&j);
	expect_doc(&j, "[]");

	cr_assert_str_eq(one_u64(5), "5");
}

/* Depth HP_JSON_MAX_DEPTH (8) is allowed; one more is refused. */
Test(json, max_depth)
{
	char buf[JBUF] = { 0 };
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	for (int i = 0; i < 8; i++)
		hp_json_arr_begin(&j, NULL);
	for (int i = 0; i < 8; i++)
		hp_json_arr_end(&j);
	expect_doc(&j, "[[[[[[[[]]]]]]]]");

	hp_json_init(&j, buf, sizeof(buf));
	for (int i = 0; i < 9; i++)
		hp_json_arr_begin(&j, NULL);
	for (int i = 0; i < 9; i++)
		hp_json_arr_end(&j);
	cr_assert_eq(hp_json_finish(&j), 0);
}

Test(json, unbalanced_nesting_returns_zero)
{
	char buf[JBUF];
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_u64(&j, "a", 1);
	cr_assert_eq(hp_json_finish(&j), 0, "object left open");

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_arr_begin(&j, "a");
	hp_json_obj_end(&j);
	cr_assert_eq(hp_json_finish(&j), 0, "array left open inside a closed object");

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_obj_end(&j);
	cr_assert_eq(hp_json_finish(&j), 0, "close with nothing open");

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_arr_begin(&j, NULL);
	hp_json_arr_end(&j);
	hp_json_arr_end(&j);
	cr_assert_eq(hp_json_finish(&j), 0, "one close too many");

	/* An extra close must poison the writer even if a later open balances the count. */
	hp_json_init(&j, buf, sizeof(buf));
	hp_json_arr_end(&j);
	hp_json_arr_begin(&j, NULL);
	cr_assert_eq(hp_json_finish(&j), 0, "close before open");
}

/* RFC 8259 §7: '"' and '\' are escaped, U+0000..U+001F must be escaped
 * (we always use \u00XX); DEL is a control character too and is escaped. */
Test(json, string_escaping)
{
	static const char in[] = "a\"b\\c\n\t\x01\x1f\x7f /";

	cr_assert_str_eq(one_str(in, sizeof(in) - 1),
			 "\"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f\\u007f /\"");
	/* An embedded NUL is data when the length says so. */
	cr_assert_str_eq(one_str("x\0y", 3), "\"x\\u0000y\"");
	cr_assert_str_eq(one_str("", 0), "\"\"");
	/* len bounds the read: the bytes after it are not written. */
	cr_assert_str_eq(one_str("abcdef", 3), "\"abc\"");
}

Test(json, utf8_passes_through)
{
	/* U+00E9 é (c3 a9), U+20AC € (e2 82 ac), U+1F600 (f0 9f 98 80). */
	static const char in[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";

	cr_assert_str_eq(one_str(in, sizeof(in) - 1), "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

/* RFC 8259 §8.1: the text must be UTF-8. A Call-ID or codec name from the
 * wire may hold any byte; each maximal ill-formed prefix becomes one U+FFFD
 * (Unicode §3.9), the bytes after it are read again. */
#define FFFD "\xef\xbf\xbd"
Test(json, invalid_utf8_is_replaced)
{
	/* lone continuation, bytes that never start a sequence */
	cr_assert_str_eq(one_str("a\x80z", 3), "\"a" FFFD "z\"");
	cr_assert_str_eq(one_str("\xc0\xc1\xf5\xff", 4), "\"" FFFD FFFD FFFD FFFD "\"");
	/* overlong '/' (c0 af) is two replacements: c0 never starts a sequence */
	cr_assert_str_eq(one_str("\xc0\xaf", 2), "\"" FFFD FFFD "\"");
	/* overlong 3-byte (e0 80..9f), surrogate (ed a0..bf), above U+10FFFF (f4 90) */
	cr_assert_str_eq(one_str("\xe0\x80\x80", 3), "\"" FFFD FFFD FFFD "\"");
	cr_assert_str_eq(one_str("\xed\xa0\x80", 3), "\"" FFFD FFFD FFFD "\"");
	cr_assert_str_eq(one_str("\xf4\x90\x80\x80", 4), "\"" FFFD FFFD FFFD FFFD "\"");
	/* a sequence cut short: its prefix is one replacement, the next byte is kept */
	cr_assert_str_eq(one_str("\xe2\x82x", 3), "\"" FFFD "x\"");
	cr_assert_str_eq(one_str("\xf0\x9f\x98", 3), "\"" FFFD "\"");
	/* cut by len: the byte after len is not read */
	cr_assert_str_eq(one_str("\xc3\xa9", 1), "\"" FFFD "\"");
	/* an ill-formed continuation that is itself a quote is still escaped */
	cr_assert_str_eq(one_str("\xc3\"", 2), "\"" FFFD "\\\"\"");
	/* the edges of the valid ranges pass */
	cr_assert_str_eq(one_str("\xe0\xa0\x80\xed\x9f\xbf\xf4\x8f\xbf\xbf", 10),
			 "\"\xe0\xa0\x80\xed\x9f\xbf\xf4\x8f\xbf\xbf\"");
}

/* C1 controls (U+0080..U+009F, c2 80..9f) are escaped like C0; U+00A0 is not. */
Test(json, c1_controls_are_escaped)
{
	cr_assert_str_eq(one_str("\xc2\x80\xc2\x9f\xc2\xa0", 6), "\"\\u0080\\u009f\xc2\xa0\"");
}

/* Every output of random bytes is valid UTF-8 without raw control bytes. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], k;
		uint32_t cp;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + k > n)
			return false;
		for (unsigned t = 1; t < k; t++) {
			if ((s[i + t] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + t] & 0x3f);
		}
		uint32_t min = k == 2 ? 0x80 : k == 3 ? 0x800 : 0x10000;
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += k;
	}
	return true;
}

Test(json, random_bytes_give_valid_utf8)
{
	static char out[8 * 64 + 8];
	unsigned char in[64];
	uint32_t x = 12345;

	for (int round = 0; round < 2000; round++) {
		struct hp_json j;
		size_t n = (size_t)(round % 64) + 1;
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			/* mostly high bytes, so that sequences start and break often */
			in[i] = (unsigned char)((x >> 16) | ((x >> 8) & 0x80));
		}
		hp_json_init(&j, out, sizeof(out));
		hp_json_str(&j, NULL, (const char *)in, n);
		size_t len = hp_json_finish(&j);
		cr_assert_neq(len, 0);
		cr_assert(utf8_valid((const unsigned char *)out, len), "round %d", round);
	}
}

Test(json, keys_are_escaped)
{
	char buf[JBUF] = { 0 };
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "k\"\\\x02", "v");
	hp_json_obj_end(&j);
	expect_doc(&j, "{\"k\\\"\\\\\\u0002\":\"v\"}");
}

Test(json, integers_at_their_limits)
{
	cr_assert_str_eq(one_u64(0), "0");
	cr_assert_str_eq(one_u64(10), "10");
	cr_assert_str_eq(one_u64(UINT64_MAX), "18446744073709551615");
	cr_assert_str_eq(one_i64(0), "0");
	cr_assert_str_eq(one_i64(-1), "-1");
	cr_assert_str_eq(one_i64(INT64_MAX), "9223372036854775807");
	cr_assert_str_eq(one_i64(INT64_MIN), "-9223372036854775808");
}

Test(json, fixed_point)
{
	cr_assert_str_eq(one_fixed(12345, 3), "12.345");
	cr_assert_str_eq(one_fixed(-5, 2), "-0.05");
	cr_assert_str_eq(one_fixed(-1, 1), "-0.1");
	cr_assert_str_eq(one_fixed(999, 3), "0.999");
	cr_assert_str_eq(one_fixed(100, 2), "1.00");
	cr_assert_str_eq(one_fixed(-100, 2), "-1.00");
	cr_assert_str_eq(one_fixed(0, 3), "0.000");
	cr_assert_str_eq(one_fixed(7, 0), "7");
	cr_assert_str_eq(one_fixed(-7, 0), "-7");
	cr_assert_str_eq(one_fixed(0, 0), "0");
	cr_assert_str_eq(one_fixed(1, 18), "0.000000000000000001");
	cr_assert_str_eq(one_fixed(INT64_MAX, 18), "9.223372036854775807");
	cr_assert_str_eq(one_fixed(INT64_MIN, 18), "-9.223372036854775808");
	cr_assert_str_eq(one_fixed(INT64_MIN, 3), "-9223372036854775.808");
	cr_assert_str_eq(one_fixed(INT64_MIN, 0), "-9223372036854775808");
}

Test(json, hex32)
{
	char buf[JBUF] = { 0 };
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_arr_begin(&j, NULL);
	hp_json_hex32(&j, NULL, 0);
	hp_json_hex32(&j, NULL, 0xdeadbeef);
	hp_json_hex32(&j, NULL, 0x1234abcd);
	hp_json_hex32(&j, NULL, 0xffffffff);
	hp_json_hex32(&j, NULL, 0x0000000f);
	hp_json_arr_end(&j);
	expect_doc(&j, "[\"0x00000000\",\"0xdeadbeef\",\"0x1234abcd\",\"0xffffffff\",\"0x0000000f\"]");
}

static const uint8_t v4_doc[4] = { 192, 0, 2, 1 };                     /* RFC 5737 */
static const uint8_t v6_doc[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }; /* RFC 3849 */

Test(json, endpoints)
{
	static const uint8_t v4_zero[4] = { 0 };
	static const uint8_t v4_bcast[4] = { 255, 255, 255, 255 };
	static const uint8_t v6_loop[16] = { [15] = 1 };
	static const uint8_t v6_full[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
					     0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
	char buf[JBUF] = { 0 };
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_endpoint(&j, "a", 4, v4_doc, 5060);
	hp_json_endpoint(&j, "b", 4, v4_zero, 0);
	hp_json_endpoint(&j, "c", 4, v4_bcast, 65535);
	hp_json_endpoint(&j, "d", 6, v6_doc, 5060);
	hp_json_endpoint(&j, "e", 6, v6_loop, 0);
	hp_json_endpoint(&j, "f", 6, v6_full, 65535);
	hp_json_obj_end(&j);
	expect_doc(&j, "{\"a\":\"192.0.2.1:5060\",\"b\":\"0.0.0.0:0\",\"c\":\"255.255.255.255:65535\","
		       "\"d\":\"[2001:db8::1]:5060\",\"e\":\"[::1]:0\","
		       "\"f\":\"[1234:5678:9abc:def0:1234:5678:9abc:def0]:65535\"}");
}

/* RFC 5952 §4: lower case, longest zero run compressed (first one on a tie),
 * a single zero field not compressed. */
Test(json, addr_format)
{
	static const uint8_t first_run[16] = { 0x20, 0x01, 0x0d, 0xb8, [9] = 1, [15] = 1 };
	static const uint8_t one_zero[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1,
					      0, 1, 0, 1, 0, 1, 0, 1 };
	static const uint8_t all_zero[16] = { 0 };
	char out[64];

	cr_assert_eq(hp_addr_format(4, v4_doc, out, sizeof(out)), 9);
	cr_assert_str_eq(out, "192.0.2.1");
	cr_assert_eq(hp_addr_format(6, v6_doc, out, sizeof(out)), 11);
	cr_assert_str_eq(out, "2001:db8::1");
	cr_assert_eq(hp_addr_format(6, first_run, out, sizeof(out)), 17);
	cr_assert_str_eq(out, "2001:db8::1:0:0:1");
	cr_assert_eq(hp_addr_format(6, one_zero, out, sizeof(out)), 20);
	cr_assert_str_eq(out, "2001:db8:0:1:1:1:1:1");
	cr_assert_eq(hp_addr_format(6, all_zero, out, sizeof(out)), 2);
	cr_assert_str_eq(out, "::");
}

Test(json, addr_format_too_small)
{
	char out[16];

	memset(out, 'z', sizeof(out));
	/* "192.0.2.1" needs 10 bytes with its NUL. */
	cr_assert_eq(hp_addr_format(4, v4_doc, out, 9), 0);
	cr_assert_eq(out[0], '\0');
	cr_assert_eq(out[9], 'z', "wrote past cap");
	cr_assert_eq(hp_addr_format(4, v4_doc, out, 10), 9);
	cr_assert_str_eq(out, "192.0.2.1");
}

/* Every member kind, so the overflow sweep below cuts through each of them. */
static void build_full(struct hp_json *j)
{
	hp_json_obj_begin(j, NULL);
	hp_json_cstr(j, "type", "ev\"t");
	hp_json_u64(j, "n", UINT64_MAX);
	hp_json_i64(j, "i", INT64_MIN);
	hp_json_fixed(j, "mos", 4321, 3);
	hp_json_bool(j, "ok", true);
	hp_json_hex32(j, "ssrc", 0xdeadbeef);
	hp_json_endpoint(j, "src", 4, v4_doc, 5060);
	hp_json_endpoint(j, "dst", 6, v6_doc, 5062);
	hp_json_arr_begin(j, "a");
	hp_json_u64(j, NULL, 1);
	hp_json_str(j, NULL, "\x01", 1);
	hp_json_obj_begin(j, NULL);
	hp_json_obj_end(j);
	hp_json_arr_end(j);
	hp_json_obj_end(j);
}

static const char full_doc[] =
	"{\"type\":\"ev\\\"t\",\"n\":18446744073709551615,\"i\":-9223372036854775808,"
	"\"mos\":4.321,\"ok\":true,\"ssrc\":\"0xdeadbeef\",\"src\":\"192.0.2.1:5060\","
	"\"dst\":\"[2001:db8::1]:5062\",\"a\":[1,\"\\u0001\",{}]}";

Test(json, full_document)
{
	char buf[JBUF] = { 0 };
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	build_full(&j);
	expect_doc(&j, full_doc);
}

#define CANARY_LEN 32
#define CANARY 0xa5

/* The document needs strlen + 1 bytes (its NUL). Every smaller buffer, from
 * 0 up, must give 0 and leave the bytes past cap untouched. */
Test(json, overflow_at_every_size)
{
	const size_t full = sizeof(full_doc) - 1;

	for (size_t cap = 0; cap <= full + 1; cap++) {
		uint8_t *mem = malloc(cap + CANARY_LEN);
		struct hp_json j;
		size_t n;

		cr_assert_not_null(mem);
		memset(mem, CANARY, cap + CANARY_LEN);
		hp_json_init(&j, (char *)mem, cap);
		build_full(&j);
		n = hp_json_finish(&j);
		for (size_t k = cap; k < cap + CANARY_LEN; k++)
			if (mem[k] != CANARY)
				cr_assert_fail("cap %zu: byte %zu past cap overwritten", cap, k);
		if (cap <= full) {
			cr_assert_eq(n, 0, "cap %zu: got %zu, want 0", cap, n);
		} else {
			cr_assert_eq(n, full, "cap %zu", cap);
			cr_assert_str_eq((char *)mem, full_doc);
		}
		free(mem);
	}
}
Test(json, mismatched_close_returns_zero)
{
	char buf[64];
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_arr_end(&j);
	cr_assert_eq(hp_json_finish(&j), 0, "\"{]\" accepted");

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_arr_begin(&j, NULL);
	hp_json_obj_end(&j);
	cr_assert_eq(hp_json_finish(&j), 0, "\"[}\" accepted");
}

Test(json, fixed_19_decimals)
{
	char buf[64] = { 0 };
	struct hp_json j;

	hp_json_init(&j, buf, sizeof(buf));
	hp_json_fixed(&j, NULL, INT64_MAX, 19);
	cr_assert_neq(hp_json_finish(&j), 0);
	cr_assert_str_eq(buf, "0.9223372036854775807");
}
