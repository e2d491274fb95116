/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP start line and the headers a probe needs (RFC 3261 §7, §20, §25).
 * Every read is bounded by len; results point into the input. */
#include "sip/sip.h"

#include <stdint.h>

static const char *const method_names[HP_SIP_METHOD_MAX] = {
	[HP_SIP_NONE] = "",
#define HP_SIP_M_NAME(m) [HP_SIP_##m] = #m,
	HP_SIP_METHODS(HP_SIP_M_NAME)
#undef HP_SIP_M_NAME
	[HP_SIP_OTHER] = "OTHER",
};

static const uint8_t method_lens[HP_SIP_METHOD_MAX] = {
#define HP_SIP_M_LEN(m) [HP_SIP_##m] = sizeof(#m) - 1,
	HP_SIP_METHODS(HP_SIP_M_LEN)
#undef HP_SIP_M_LEN
};

const char *hp_sip_method_name(int method)
{
	if (method < 0 || method >= HP_SIP_METHOD_MAX)
		return "";
	return method_names[method];
}

/* RFC 3261 §7.1: method names are case-sensitive, so an exact match. */
static uint8_t method_lookup(const uint8_t *s, size_t n)
{
	for (int m = HP_SIP_NONE + 1; m < HP_SIP_OTHER; m++)
		if (method_lens[m] == n && memcmp(method_names[m], s, n) == 0)
			return (uint8_t)m;
	return HP_SIP_OTHER;
}

/* RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*"
 *                            / "_" / "+" / "`" / "'" / "~") */
static bool is_token_char(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*':
	case '_': case '+': case '`': case '\'': case '~':
		return true;
	default:
		return false;
	}
}

static bool is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Linear white space including the CRLF of a folded line (RFC 3261 §25.1 LWS). */
static bool is_lws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static bool eq_nocase(const uint8_t *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	if (n != l)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

/* RFC 3261 §7.1: "The SIP-Version string is case-insensitive". */
static bool is_sip_version(const uint8_t *s, size_t n)
{
	return eq_nocase(s, n, "sip/2.0");
}

static struct hp_str mkstr(const uint8_t *s, size_t n)
{
	return (struct hp_str){ .p = (const char *)s, .len = (uint32_t)n };
}

/* Request-URI (RFC 3261 §25.1): SIP-URI / SIPS-URI / absoluteURI all start
 * with a scheme and ':'; none contains SP or a control character. */
static bool is_request_uri(const uint8_t *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_alpha(s[0]))
		return false;
	while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' ||
			 s[i] == '.'))
		i++;
	if (i == n || s[i] != ':')
		return false;
	for (; i < n; i++)
		if (s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1);
 * s..n is the line without its line end. Returns the method length, 0 if
 * the line is not a request line; *uri receives the Request-URI. */
static size_t request_line(const uint8_t *s, size_t n, struct hp_str *uri)
{
	size_t m = 0, u;

	while (m < n && is_token_char(s[m]))
		m++;
	if (m == 0 || m == n || s[m] != ' ')
		return 0;
	u = m + 1;
	/* The version is the last 7 bytes, preceded by a single SP. */
	if (n < u + 1 + 1 + 7 || s[n - 8] != ' ' || !is_sip_version(s + n - 7, 7))
		return 0;
	if (!is_request_uri(s + u, n - 8 - u))
		return 0;
	*uri = mkstr(s + u, n - 8 - u);
	return m;
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2).
 * A missing SP before an empty reason is accepted: some stacks send it. */
static bool status_line(const uint8_t *s, size_t n, struct hp_sip_msg *out)
{
	if (n < 11 || !is_sip_version(s, 7) || s[7] != ' ')
		return false;
	if (!is_digit(s[8]) || !is_digit(s[9]) || !is_digit(s[10]))
		return false;
	if (n > 11 && s[11] != ' ')
		return false;
	/* §21: classes 1xx..6xx; anything else is not a SIP status code. */
	uint16_t code = (uint16_t)((s[8] - '0') * 100 + (s[9] - '0') * 10 + (s[10] - '0'));
	if (code < 100 || code > 699)
		return false;
	out->status = code;
	out->reason = n > 12 ? mkstr(s + 12, n - 12) : mkstr(s + n, 0);
	return true;
}

/* Index of the LF ending the line that starts at off, or len when none. */
static size_t line_end(const uint8_t *p, size_t off, size_t len)
{
	const uint8_t *lf = memchr(p + off, '\n', len - off);
	return lf ? (size_t)(lf - p) : len;
}

/* Content end of a line [off, eol): drops the CR of a CRLF; a bare LF is
 * tolerated as a line end. */
static size_t content_end(const uint8_t *p, size_t off, size_t eol)
{
	return (eol > off && p[eol - 1] == '\r') ? eol - 1 : eol;
}

enum hp_sip_kind hp_sip_classify(const uint8_t *p, size_t len)
{
	size_t i = 0, eol, n;
	struct hp_str uri;

	if (len == 0)
		return HP_SIP_KIND_EMPTY;
	/* RFC 5626 §3.5.1: CRLFCRLF ping and CRLF pong; RFC 3261 §7.5: CRLF
	 * before a start line is ignored. */
	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i == len)
		return HP_SIP_KIND_KEEPALIVE;
	eol = line_end(p, i, len);
	n = content_end(p, i, eol) - i;
	if (n >= 8 && is_sip_version(p + i, 7) && p[i + 7] == ' ')
		return HP_SIP_KIND_SIP;
	if (request_line(p + i, n, &uri) > 0)
		return HP_SIP_KIND_SIP;
	return HP_SIP_KIND_NOT_SIP;
}

/* CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); v is trimmed. */
static bool parse_cseq(const uint8_t *v, size_t n, struct hp_sip_msg *out)
{
	size_t i = 0;
	uint64_t num = 0;

	while (i < n && is_digit(v[i])) {
		num = num * 10 + (uint64_t)(v[i] - '0');
		if (num > UINT32_MAX)
			return false;
		i++;
	}
	if (i == 0 || i == n || !is_lws(v[i]))
		return false;
	while (i < n && is_lws(v[i]))
		i++;
	size_t m = i;
	while (i < n && is_token_char(v[i]))
		i++;
	if (i == m || i != n)
		return false;
	out->cseq_num = (uint32_t)num;
	out->cseq_method = mkstr(v + m, n - m);
	return true;
}

/* Content-Length = 1*DIGIT (RFC 3261 §20.14); v is trimmed. -1 if malformed. */
static int64_t parse_content_length(const uint8_t *v, size_t n)
{
	int64_t cl = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(v[i]))
			return -1;
		cl = cl * 10 + (v[i] - '0');
		if (cl > INT32_MAX)
			return -1;
	}
	return cl;
}

/* Index just past a quoted-string whose opening quote is at i (RFC 3261 §25.1
 * quoted-pair escapes included), or n when it is not closed. */
static size_t skip_quoted(const uint8_t *v, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '"')
			return i + 1;
	}
	return n;
}

/* Where the header parameters of a From/To value start (RFC 3261 §20.20,
 * §20.39): after the '>' of a name-addr, else at the first ';', since an
 * addr-spec carrying its own ';' must be in angle brackets (§20.10). The
 * display name may be a quoted string holding '<' or ';'. */
static size_t params_start(const uint8_t *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (v[i] == '"') {
			i = skip_quoted(v, i, n);
		} else if (v[i] == '<') {
			const uint8_t *gt = memchr(v + i, '>', n - i);
			return gt ? (size_t)(gt - v) + 1 : n;
		} else if (v[i] == ';') {
			return i;
		} else {
			i++;
		}
	}
	return n;
}

/* A header parameter of a From/To/Contact value (RFC 3261 §19.3, §20.10);
 * param names are case-insensitive (§7.3.1). Empty when there is none. */
static struct hp_str find_param(const uint8_t *v, size_t n, const char *name)
{
	size_t i = params_start(v, n);

	while (i < n) {
		if (v[i] == '"') {
			i = skip_quoted(v, i, n);
			continue;
		}
		if (v[i++] != ';')
			continue;
		while (i < n && is_lws(v[i]))
			i++;
		size_t ns = i;
		while (i < n && is_token_char(v[i]))
			i++;
		size_t ne = i;
		while (i < n && is_lws(v[i]))
			i++;
		if (i == n || v[i] != '=')
			continue;
		i++;
		while (i < n && is_lws(v[i]))
			i++;
		size_t vs = i;
		while (i < n && is_token_char(v[i]))
			i++;
		if (i > vs && eq_nocase(v + ns, ne - ns, name))
			return mkstr(v + vs, i - vs);
	}
	return mkstr(v + n, 0);
}

static struct hp_str find_tag(const uint8_t *v, size_t n)
{
	return find_param(v, n, "tag");
}

/* The URI of a name-addr or addr-spec (RFC 3261 §20.10): inside the angle
 * brackets, else up to the first ';' (header parameters) or the end. */
static struct hp_str find_uri(const uint8_t *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (v[i] == '"') {
			i = skip_quoted(v, i, n);
		} else if (v[i] == '<') {
			const uint8_t *gt = memchr(v + i, '>', n - i);
			size_t e = gt ? (size_t)(gt - v) : n;
			return mkstr(v + i + 1, e - i - 1);
		} else if (v[i] == ';' || v[i] == ',') {
			break;
		} else {
			i++;
		}
	}
	size_t e = i;
	while (e > 0 && is_lws(v[e - 1]))
		e--;
	return mkstr(v, e);
}

/* delta-seconds (RFC 3261 §25.1), capped at 2^31 - 1 as §20.19 allows; -1
 * when not a number. */
static int32_t parse_delta(const uint8_t *v, size_t n)
{
	int64_t d = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(v[i]))
			return -1;
		if (d < INT32_MAX)
			d = d * 10 + (v[i] - '0');
	}
	return d > INT32_MAX ? INT32_MAX : (int32_t)d;
}

/* RFC 3261 §7.3.3 compact forms; names are case-insensitive (§7.3.1). */
static bool name_is(const uint8_t *s, size_t n, const char *full, char compact)
{
	if (n == 1)
		return lower(s[0]) == (uint8_t)compact;
	return eq_nocase(s, n, full);
}

enum field_state { F_ABSENT, F_OK, F_BAD };

struct hdr_state {
	enum field_state call_id, cseq, from, to, ctype, clen, contact, expires;
};

/* One logical header (folds included): name s..nl, value v..vn trimmed. */
static void header(const uint8_t *s, size_t nl, const uint8_t *v, size_t vn,
		   struct hp_sip_msg *out, struct hdr_state *st)
{
	/* The first occurrence wins for single-valued headers. */
	if (name_is(s, nl, "call-id", 'i')) {
		if (st->call_id == F_ABSENT && vn > 0) {
			out->call_id = mkstr(v, vn);
			st->call_id = F_OK;
		}
	} else if (eq_nocase(s, nl, "cseq")) {
		if (st->cseq == F_ABSENT)
			st->cseq = parse_cseq(v, vn, out) ? F_OK : F_BAD;
	} else if (name_is(s, nl, "from", 'f')) {
		if (st->from == F_ABSENT) {
			out->from_tag = find_tag(v, vn);
			st->from = F_OK;
		}
	} else if (name_is(s, nl, "to", 't')) {
		if (st->to == F_ABSENT) {
			out->to_tag = find_tag(v, vn);
			out->to_uri = find_uri(v, vn);
			st->to = F_OK;
		}
	} else if (name_is(s, nl, "contact", 'm')) {
		if (st->contact == F_ABSENT) {
			/* "*" is only for removing every binding (§10.2.2). */
			out->contact_uri = find_uri(v, vn);
			struct hp_str e = find_param(v, vn, "expires");
			out->contact_expires = parse_delta((const uint8_t *)e.p, e.len);
			st->contact = F_OK;
		}
	} else if (eq_nocase(s, nl, "expires")) {
		if (st->expires == F_ABSENT) {
			out->expires = parse_delta(v, vn);
			st->expires = F_OK;
		}
	} else if (name_is(s, nl, "content-type", 'c')) {
		if (st->ctype == F_ABSENT) {
			out->content_type = mkstr(v, vn);
			st->ctype = F_OK;
		}
	} else if (name_is(s, nl, "content-length", 'l')) {
		int64_t cl = parse_content_length(v, vn);
		/* Two different lengths leave the message boundary unknown. */
		if (cl < 0 || (st->clen == F_OK && cl != out->content_length))
			st->clen = F_BAD;
		else if (st->clen == F_ABSENT)
			st->clen = F_OK;
		if (st->clen == F_OK)
			out->content_length = (int32_t)cl;
	}
}

/* Reads header lines from off up to and including the empty line; *end is
 * the offset of the body. */
static int read_headers(const uint8_t *p, size_t len, size_t off, size_t *end,
			struct hp_sip_msg *out, struct hdr_state *st)
{
	for (;;) {
		size_t eol = line_end(p, off, len);
		if (eol == len)
			return HP_R_SIP_HEADER_TRUNCATED;
		size_t ce = content_end(p, off, eol);
		if (ce == off) {
			*end = eol + 1;
			return HP_R_OK;
		}
		/* RFC 3261 §7.3.1: a line starting with SP/HT continues the
		 * previous header; fold them into one logical header. */
		while (eol + 1 < len && (p[eol + 1] == ' ' || p[eol + 1] == '\t')) {
			size_t next = line_end(p, eol + 1, len);
			if (next == len)
				return HP_R_SIP_HEADER_TRUNCATED;
			ce = content_end(p, eol + 1, next);
			eol = next;
		}
		/* header-name HCOLON value; HCOLON = *(SP / HTAB) ":" SWS */
		size_t i = off;
		while (i < ce && is_token_char(p[i]))
			i++;
		size_t nl = i - off;
		while (i < ce && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (nl > 0 && i < ce && p[i] == ':') {
			size_t vs = i + 1, ve = ce;
			while (vs < ve && is_lws(p[vs]))
				vs++;
			while (ve > vs && is_lws(p[ve - 1]))
				ve--;
			header(p + off, nl, p + vs, ve - vs, out, st);
		}
		/* A line that is not "name: value" is skipped: the probe reads
		 * only a few headers and should not drop a call over another. */
		off = eol + 1;
	}
}

int hp_sip_parse(const uint8_t *p, size_t len, struct hp_sip_msg *out)
{
	size_t off = 0, eol, n, body_off = 0;
	struct hdr_state st = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	out->content_length = -1;
	out->contact_expires = -1;
	out->expires = -1;
	/* Offsets are kept in 32 bits; no SIP message comes near 4 GiB. */
	if (len > UINT32_MAX)
		len = UINT32_MAX;

	/* RFC 3261 §7.5: CRLF before the start line (stream keep-alives) is
	 * ignored; it still counts in msg_len so a stream reader skips it. */
	while (off < len && (p[off] == '\r' || p[off] == '\n'))
		off++;
	if (off == len)
		return HP_R_SIP_BAD_START_LINE;
	eol = line_end(p, off, len);
	n = content_end(p, off, eol) - off;
	size_t ml = request_line(p + off, n, &out->request_uri);
	if (ml > 0) {
		out->is_request = true;
		out->method_str = mkstr(p + off, ml);
		out->method = method_lookup(p + off, ml);
	} else if (!status_line(p + off, n, out)) {
		return HP_R_SIP_BAD_START_LINE;
	}
	if (eol == len)
		return HP_R_SIP_HEADER_TRUNCATED;

	rc = read_headers(p, len, eol + 1, &body_off, out, &st);
	if (rc != HP_R_OK)
		return rc;
	if (st.call_id != F_OK)
		return HP_R_SIP_NO_CALL_ID;
	if (st.cseq != F_OK)
		return HP_R_SIP_NO_CSEQ;
	if (!out->is_request)
		out->method = method_lookup((const uint8_t *)out->cseq_method.p,
					    out->cseq_method.len);

	size_t avail = len - body_off;
	if (st.clen == F_BAD ||
	    (st.clen == F_OK && (size_t)out->content_length > avail))
		return HP_R_SIP_BAD_CONTENT_LENGTH;
	out->body = p + body_off;
	out->body_len = st.clen == F_OK ? (uint32_t)out->content_length : (uint32_t)avail;
	out->msg_len = (uint32_t)body_off + out->body_len;
	return HP_R_OK;
}
