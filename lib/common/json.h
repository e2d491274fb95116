/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounded JSON writer for the HEP JSON payloads (events, RTCP, reports).
 * No allocation, no printf: safe on the per-packet path. Once the buffer is
 * full the writer stops and hp_json_finish() returns 0. */
#ifndef HP_JSON_H
#define HP_JSON_H

#include <stdbool.h>
#include "common/hp_common.h"

#define HP_JSON_MAX_DEPTH 8

struct hp_json {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
	uint8_t depth;
	bool need_comma[HP_JSON_MAX_DEPTH];
	char closer[HP_JSON_MAX_DEPTH];  /* '}' or ']' expected at each level */
};

void hp_json_init(struct hp_json *j, char *buf, size_t cap);
/* Objects and arrays; key is NULL inside an array or at the top level. */
void hp_json_obj_begin(struct hp_json *j, const char *key);
void hp_json_obj_end(struct hp_json *j);
void hp_json_arr_begin(struct hp_json *j, const char *key);
void hp_json_arr_end(struct hp_json *j);
/* Members (key NULL inside an array). Strings are escaped per RFC 8259 §7 and
 * come out as valid UTF-8: each ill-formed byte sequence of s is written as
 * U+FFFD, control characters (C0, DEL, C1) as \u00XX. */
void hp_json_str(struct hp_json *j, const char *key, const char *s, size_t len);
void hp_json_cstr(struct hp_json *j, const char *key, const char *s);
void hp_json_u64(struct hp_json *j, const char *key, uint64_t v);
void hp_json_i64(struct hp_json *j, const char *key, int64_t v);
/* Fixed-point number with `decimals` (0..19) digits after the point: v / 10^decimals. */
void hp_json_fixed(struct hp_json *j, const char *key, int64_t v, unsigned decimals);
void hp_json_bool(struct hp_json *j, const char *key, bool v);
/* "0x1234abcd" */
void hp_json_hex32(struct hp_json *j, const char *key, uint32_t v);
/* "192.0.2.1:5060" or "[2001:db8::1]:5060"; family 6 is IPv6, any other IPv4. */
void hp_json_endpoint(struct hp_json *j, const char *key, int family, const uint8_t *addr,
		      uint16_t port);
/* Returns the document length (NUL-terminated in buf) or 0 on overflow or
 * unbalanced nesting. */
size_t hp_json_finish(struct hp_json *j);

/* Text form of an address into out (at least 46 bytes); returns its length. */
size_t hp_addr_format(int family, const uint8_t *addr, char *out, size_t cap);

#endif
