/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP message boundaries on a byte stream (RFC 3261 §18.3, §7.3.1, §7.3.3,
 * §20.14). Only the start line and Content-Length are examined; the full
 * parse (hp_sip_parse) runs on the framed message. Every read is bounded by
 * len and max_header. */
#include "sip/sip.h"

/* RFC 3261 §25.1 token characters, plus '/' so that "SIP/2.0" passes as the
 * first word of a status line. */
static bool is_word_char(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*': case '_':
	case '+': case '`': case '\'': case '~': case '/':
		return true;
	default:
		return false;
	}
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Can the unterminated line p..n (no LF in it) still grow into a start line?
 * "METHOD SP Request-URI SP SIP-Version" or "SIP-Version SP code SP reason"
 * (§7.1, §7.2): a first word of token characters, then no control character
 * other than HT (reason phrases may hold UTF-8 and HT), and CR only last. */
static bool could_start(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n >= HP_SIP_FRAME_MAX_LINE)
		return false;
	while (i < n && is_word_char(p[i]))
		i++;
	if (i == 0 && n > 0)
		return false;
	if (i < n && p[i] != ' ' && !(p[i] == '\r' && i + 1 == n))
		return false;
	for (; i < n; i++) {
		if (p[i] == '\r' && i + 1 == n)
			break;
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return false;
	}
	return true;
}

/* The terminated line p..eol (eol is the index of its LF) is a start line. */
static bool is_start_line(const uint8_t *p, size_t eol)
{
	if (eol + 1 > HP_SIP_FRAME_MAX_LINE || p[0] == '\r' || p[0] == '\n')
		return false;
	return hp_sip_classify(p, eol + 1) == HP_SIP_KIND_SIP;
}

/* Where a start line begins inside the terminated line p..eol, or eol when
 * none does. A stream resumed after a hole may glue the tail of a body that
 * did not end in CRLF to the next message: "...tailOPTIONS sip:b SIP/2.0".
 * A known method (§7.1) or "SIP/2.0 " (§7.2) starting a start line inside the
 * line, right after a byte that is not a space (text that merely quotes a
 * start line has one), marks the message; otherwise the line itself if it
 * reads as a start line (an extension method). */
static size_t start_in_line(const uint8_t *p, size_t eol)
{
	for (size_t k = 0; k < eol; k++) {
		if (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'))
			continue;
		bool known = eol - k >= 8 && memcmp(p + k, "SIP/2.0 ", 8) == 0;
		for (int m = HP_SIP_NONE + 1; !known && m < HP_SIP_OTHER; m++) {
			const char *name = hp_sip_method_name(m);
			size_t n = strlen(name);
			known = eol - k > n && memcmp(p + k, name, n) == 0 && p[k + n] == ' ';
		}
		if (known && is_start_line(p + k, eol - k))
			return k;
	}
	return is_start_line(p, eol) ? 0 : eol;
}

static size_t find_lf(const uint8_t *p, size_t off, size_t lim)
{
	const uint8_t *lf = off < lim ? memchr(p + off, '\n', lim - off) : NULL;
	return lf ? (size_t)(lf - p) : lim;
}

/* Content-Length = 1*DIGIT with LWS around it (§20.14, §7.3.1), fed in pieces
 * because a folded value spans lines. */
enum cl_state { CL_LEAD, CL_DIGITS, CL_TRAIL, CL_BAD };

struct cl_value {
	enum cl_state st;
	uint64_t v;
};

static void cl_feed(struct cl_value *c, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n && c->st != CL_BAD; i++) {
		if (s[i] == ' ' || s[i] == '\t') {
			if (c->st == CL_DIGITS)
				c->st = CL_TRAIL;
		} else if (s[i] >= '0' && s[i] <= '9' && c->st != CL_TRAIL) {
			c->st = CL_DIGITS;
			c->v = c->v * 10 + (uint64_t)(s[i] - '0');
			if (c->v > UINT32_MAX)
				c->st = CL_BAD;
		} else {
			c->st = CL_BAD;
		}
	}
}

/* Header name at p..n followed by HCOLON (*(SP/HTAB) ":"): the index just
 * past the colon when the name is Content-Length or its compact form "l",
 * else 0. */
static size_t content_length_name(const uint8_t *p, size_t n)
{
	static const char full[] = "content-length";
	size_t i = 0;

	while (i < n && is_word_char(p[i]) && p[i] != '/')
		i++;
	bool match = (i == 1 && lower(p[0]) == 'l');
	if (i == sizeof(full) - 1) {
		match = true;
		for (size_t k = 0; k < i; k++)
			if (lower(p[k]) != (uint8_t)full[k])
				match = false;
	}
	if (!match)
		return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return (i < n && p[i] == ':') ? i + 1 : 0;
}

struct cl_track {
	bool in_value;   /* the current logical header is a Content-Length */
	bool seen;
	bool bad;
	uint32_t value;
	struct cl_value cur;
};

/* The logical header being read has ended. */
static void cl_close(struct cl_track *t)
{
	if (!t->in_value)
		return;
	t->in_value = false;
	if (t->cur.st == CL_LEAD || t->cur.st == CL_BAD ||
	    (t->seen && t->cur.v != t->value)) {
		t->bad = true;
		return;
	}
	t->seen = true;
	t->value = (uint32_t)t->cur.v;
}

int hp_sip_frame(const uint8_t *p, size_t len, size_t max_header, struct hp_sip_frame *out)
{
	struct cl_track cl = { 0 };
	size_t lim = len < max_header ? len : max_header;
	size_t eol = find_lf(p, 0, lim), off;

	memset(out, 0, sizeof(*out));
	if (eol == lim) {
		if (!could_start(p, lim))
			return HP_R_SIP_STREAM_BAD_START_LINE;
		return len >= max_header ? HP_R_SIP_STREAM_HEADER_TOO_LONG : HP_R_OK;
	}
	if (!is_start_line(p, eol))
		return HP_R_SIP_STREAM_BAD_START_LINE;
	out->line_len = (uint32_t)((eol > 0 && p[eol - 1] == '\r') ? eol - 1 : eol);

	for (off = eol + 1;; off = eol + 1) {
		eol = find_lf(p, off, lim);
		if (eol == lim)
			return len >= max_header ? HP_R_SIP_STREAM_HEADER_TOO_LONG : HP_R_OK;
		size_t ce = (eol > off && p[eol - 1] == '\r') ? eol - 1 : eol;
		if (ce == off)
			break;
		/* §7.3.1: a line starting with SP/HT continues the header above. */
		if (p[off] == ' ' || p[off] == '\t') {
			if (cl.in_value)
				cl_feed(&cl.cur, p + off, ce - off);
			continue;
		}
		cl_close(&cl);
		size_t v = content_length_name(p + off, ce - off);
		if (v > 0) {
			cl.in_value = true;
			cl.cur = (struct cl_value){ CL_LEAD, 0 };
			cl_feed(&cl.cur, p + off + v, ce - off - v);
		}
	}
	cl_close(&cl);
	if (cl.bad)
		return HP_R_SIP_STREAM_BAD_CONTENT_LENGTH;
	uint64_t total = (uint64_t)(eol + 1) + cl.value;
	if (total > UINT32_MAX)
		return HP_R_SIP_STREAM_BAD_CONTENT_LENGTH;
	out->complete = true;
	out->has_content_length = cl.seen;
	out->header_len = (uint32_t)(eol + 1);
	out->body_len = cl.value;
	out->msg_len = (uint32_t)total;
	return HP_R_OK;
}

size_t hp_sip_frame_sync(const uint8_t *p, size_t len, bool *found)
{
	size_t off = 0;

	*found = false;
	while (off < len) {
		size_t eol = find_lf(p, off, len);
		if (eol == len)
			return could_start(p + off, len - off) ? off : len;
		size_t k = start_in_line(p + off, eol - off);
		if (k < eol - off) {
			*found = true;
			return off + k;
		}
		off = eol + 1;
	}
	return len;
}
