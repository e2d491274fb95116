/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/json.h"

#include <arpa/inet.h>
#include <sys/socket.h>

static void put(struct hp_json *j, const char *s, size_t n)
{
	if (j->overflow)
		return;
	if (j->len + n + 1 > j->cap) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void putc1(struct hp_json *j, char c) { put(j, &c, 1); }

static void put_u00(struct hp_json *j, unsigned c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', '0', '0', hex[(c >> 4) & 15], hex[c & 15] };
	put(j, e, 6);
}

/* Bytes of the well-formed UTF-8 sequence at s[0..n) (RFC 3629 §4, Unicode
 * Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or 0
 * with *bad set to the length of its maximal ill-formed prefix (at least 1). */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0];
	size_t want;
	unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */

	if (c >= 0xC2 && c <= 0xDF) {
		want = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		want = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		want = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*bad = 1;
		return 0;
	}
	for (size_t i = 1; i < want; i++) {
		if (i >= n || s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF)) {
			*bad = i;
			return 0;
		}
	}
	return want;
}

/* RFC 8259 §7 and §8.1: the text is UTF-8 whatever the input held. An
 * ill-formed sequence becomes one U+FFFD per maximal ill-formed prefix (the
 * Unicode §3.9 practice, which decoders agree on); C0 and C1 controls and
 * DEL are escaped so that no log viewer acts on them. */
static void put_escaped(struct hp_json *j, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	putc1(j, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(j, e, 2);
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			put_u00(j, c);
			i++;
		} else if (c < 0x80) {
			putc1(j, (char)c);
			i++;
		} else {
			size_t bad = 0, k = utf8_seq(u + i, n - i, &bad);
			if (k == 0) {
				put(j, "\xEF\xBF\xBD", 3);
				i += bad;
			} else if (c == 0xC2 && u[i + 1] < 0xA0) {
				put_u00(j, u[i + 1]);
				i += k;
			} else {
				put(j, s + i, k);
				i += k;
			}
		}
	}
	putc1(j, '"');
}

/* Comma and key before a member. */
static void member(struct hp_json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->need_comma[j->depth - 1])
			putc1(j, ',');
		j->need_comma[j->depth - 1] = true;
	}
	if (key != NULL) {
		put_escaped(j, key, strlen(key));
		putc1(j, ':');
	}
}

static void open(struct hp_json *j, const char *key, char c)
{
	member(j, key);
	putc1(j, c);
	if (j->depth >= HP_JSON_MAX_DEPTH) {
		j->overflow = true;
		return;
	}
	j->closer[j->depth] = c == '{' ? '}' : ']';
	j->need_comma[j->depth++] = false;
}

static void close(struct hp_json *j, char c)
{
	if (j->depth == 0 || j->closer[j->depth - 1] != c) {
		j->overflow = true;
		return;
	}
	j->depth--;
	putc1(j, c);
}

void hp_json_init(struct hp_json *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
	j->overflow = cap == 0;
}

void hp_json_obj_begin(struct hp_json *j, const char *key) { open(j, key, '{'); }
void hp_json_obj_end(struct hp_json *j) { close(j, '}'); }
void hp_json_arr_begin(struct hp_json *j, const char *key) { open(j, key, '['); }
void hp_json_arr_end(struct hp_json *j) { close(j, ']'); }

void hp_json_str(struct hp_json *j, const char *key, const char *s, size_t len)
{
	member(j, key);
	put_escaped(j, s, len);
}

void hp_json_cstr(struct hp_json *j, const char *key, const char *s)
{
	hp_json_str(j, key, s, strlen(s));
}

static size_t fmt_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

void hp_json_u64(struct hp_json *j, const char *key, uint64_t v)
{
	char b[20];
	member(j, key);
	put(j, b, fmt_u64(b, v));
}

void hp_json_i64(struct hp_json *j, const char *key, int64_t v)
{
	char b[21];
	size_t n = 0;
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (v < 0)
		b[n++] = '-';
	n += fmt_u64(b + n, mag);
	member(j, key);
	put(j, b, n);
}

void hp_json_fixed(struct hp_json *j, const char *key, int64_t v, unsigned decimals)
{
	char b[48];
	size_t n = 0;
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t scale = 1;
	/* 10^19 is the largest power of ten in a uint64_t. */
	if (decimals > 19) {
		j->overflow = true;
		return;
	}
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	if (v < 0)
		b[n++] = '-';
	n += fmt_u64(b + n, mag / scale);
	if (decimals > 0) {
		char frac[20];
		uint64_t f = mag % scale;
		b[n++] = '.';
		for (unsigned i = decimals; i > 0; i--) {
			frac[i - 1] = (char)('0' + f % 10);
			f /= 10;
		}
		memcpy(b + n, frac, decimals);
		n += decimals;
	}
	member(j, key);
	put(j, b, n);
}

void hp_json_bool(struct hp_json *j, const char *key, bool v)
{
	member(j, key);
	if (v)
		put(j, "true", 4);
	else
		put(j, "false", 5);
}

void hp_json_hex32(struct hp_json *j, const char *key, uint32_t v)
{
	static const char hex[] = "0123456789abcdef";
	char b[10] = { '0', 'x' };
	for (int i = 0; i < 8; i++)
		b[2 + i] = hex[(v >> (28 - 4 * i)) & 15];
	hp_json_str(j, key, b, sizeof(b));
}

size_t hp_addr_format(int family, const uint8_t *addr, char *out, size_t cap)
{
	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, out, (socklen_t)cap) == NULL) {
		if (cap > 0)
			out[0] = '\0';
		return 0;
	}
	return strlen(out);
}

void hp_json_endpoint(struct hp_json *j, const char *key, int family, const uint8_t *addr,
		      uint16_t port)
{
	char b[72];
	size_t n = 0;
	if (family == 6)
		b[n++] = '[';
	n += hp_addr_format(family, addr, b + n, 48);
	if (family == 6)
		b[n++] = ']';
	b[n++] = ':';
	n += fmt_u64(b + n, port);
	hp_json_str(j, key, b, n);
}

size_t hp_json_finish(struct hp_json *j)
{
	if (j->overflow || j->depth != 0)
		return 0;
	j->buf[j->len] = '\0';
	return j->len;
}
