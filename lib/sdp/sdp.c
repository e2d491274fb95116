/* SPDX-License-Identifier: BSD-3-Clause */
/* SDP media description parsing, RFC 8866 §5.7 (c=), §5.14 (m=), §6 (attributes),
 * RFC 3605 (a=rtcp). */
#include <arpa/inet.h>
#include "sdp/sdp.h"

static const char *const result_labels[HP_SDP_RESULT_MAX] = {
#define HP_SDP_R_LABEL(id, label) label,
	HP_SDP_RESULTS(HP_SDP_R_LABEL)
#undef HP_SDP_R_LABEL
};

const char *hp_sdp_result_label(int r)
{
	if (r < 0 || r >= HP_SDP_RESULT_MAX)
		return "";
	return result_labels[r];
}

/* A cursor over one line's value: [p, e). */
struct cur {
	const char *p;
	const char *e;
};

static void skip_sp(struct cur *c)
{
	while (c->p < c->e && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Next space-delimited token; empty when the line is used up. */
static struct hp_str token(struct cur *c)
{
	skip_sp(c);
	const char *s = c->p;
	while (c->p < c->e && *c->p != ' ' && *c->p != '\t')
		c->p++;
	return (struct hp_str){ s, (uint32_t)(c->p - s) };
}

static bool str_eq(struct hp_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && memcmp(s.p, lit, n) == 0;
}

static bool str_ieq(struct hp_str s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = s.p[i], b = lit[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (char)(b + 32);
		if (a != b)
			return false;
	}
	return true;
}

/* Decimal digits at the start of [*p, e), at least one, value <= max. */
static bool parse_uint(const char **p, const char *e, uint32_t max, uint32_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	while (*p < e && **p >= '0' && **p <= '9') {
		v = v * 10 + (uint64_t)(**p - '0');
		if (v > max)
			return false;
		(*p)++;
	}
	*out = (uint32_t)v;
	return *p > s;
}

static bool parse_uint_str(struct hp_str s, uint32_t max, uint32_t *out)
{
	const char *p = s.p;
	return parse_uint(&p, s.p + s.len, max, out) && p == s.p + s.len;
}

/* "IN IP4 <addr>" / "IN IP6 <addr>"; a /ttl or /count suffix is ignored. A
 * non-literal address (RFC 8866 allows an FQDN) leaves family 0. */
static int parse_conn(struct cur *c, struct hp_sdp_addr *a)
{
	struct hp_str nt = token(c), at = token(c), ad = token(c);
	if (!str_eq(nt, "IN") || ad.len == 0)
		return HP_SDP_BAD_CONN;
	int fam;
	if (str_eq(at, "IP4"))
		fam = 4;
	else if (str_eq(at, "IP6"))
		fam = 6;
	else
		return HP_SDP_BAD_CONN;
	uint32_t n = 0;
	while (n < ad.len && ad.p[n] != '/')
		n++;
	char buf[64];
	memset(a, 0, sizeof(*a));
	if (n == 0 || n >= sizeof(buf))
		return n == 0 ? HP_SDP_BAD_CONN : HP_SDP_OK;
	memcpy(buf, ad.p, n);
	buf[n] = 0;
	if (inet_pton(fam == 4 ? AF_INET : AF_INET6, buf, a->addr) == 1)
		a->family = (uint8_t)fam;
	return HP_SDP_OK;
}

struct static_pt {
	uint8_t pt;
	uint32_t rate;
	const char *name;
};

/* RFC 3551 §6, Tables 4 and 5: the static payload types still seen in the wild. */
static const struct static_pt static_pts[] = {
	{ 0, 8000, "PCMU" }, { 3, 8000, "GSM" }, { 4, 8000, "G723" }, { 8, 8000, "PCMA" },
	{ 9, 8000, "G722" }, { 13, 8000, "CN" }, { 18, 8000, "G729" },
	{ 26, 90000, "JPEG" }, { 31, 90000, "H261" }, { 34, 90000, "H263" },
};

static void set_static(struct hp_sdp_pt *f)
{
	f->channels = 1;
	for (size_t i = 0; i < HP_ARRAY_LEN(static_pts); i++) {
		if (static_pts[i].pt == f->pt) {
			f->rate = static_pts[i].rate;
			f->name.p = static_pts[i].name;
			f->name.len = (uint32_t)strlen(static_pts[i].name);
		}
	}
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int parse_media(struct cur *c, struct hp_sdp_media *m)
{
	struct hp_str kind = token(c), port = token(c), proto = token(c);
	if (kind.len == 0 || port.len == 0 || proto.len == 0)
		return HP_SDP_BAD_MEDIA;
	m->kind = str_eq(kind, "audio") ? HP_SDP_AUDIO
		: str_eq(kind, "video") ? HP_SDP_VIDEO : HP_SDP_OTHER;
	const char *p = port.p, *e = port.p + port.len;
	uint32_t v, n = 1;
	if (!parse_uint(&p, e, 65535, &v))
		return HP_SDP_BAD_MEDIA;
	if (p < e) {
		if (*p != '/')
			return HP_SDP_BAD_MEDIA;
		p++;
		if (!parse_uint(&p, e, 65535, &n) || p != e)
			return HP_SDP_BAD_MEDIA;
	}
	m->port = (uint16_t)v;
	m->nports = (uint16_t)n;
	m->proto = proto;
	bool any = false;
	for (struct hp_str f = token(c); f.len; f = token(c)) {
		any = true;
		uint32_t pt;
		/* non-RTP protocols (udptl "t38", ...) have non-numeric formats */
		if (!parse_uint_str(f, 127, &pt))
			continue;
		if (m->n_pt >= HP_SDP_MAX_PT) {
			m->pt_overflow = true;
			continue;
		}
		struct hp_sdp_pt *fp = &m->pts[m->n_pt++];
		fp->pt = (uint8_t)pt;
		set_static(fp);
	}
	return any ? HP_SDP_OK : HP_SDP_BAD_MEDIA;
}

/* a=rtpmap:<pt> <encoding name>/<clock rate>[/<channels>]  (RFC 8866 §6.6) */
static int parse_rtpmap(struct cur *c, struct hp_sdp_media *m)
{
	struct hp_str pts = token(c), enc = token(c);
	uint32_t pt, rate, ch = 1;
	if (!parse_uint_str(pts, 127, &pt) || enc.len == 0)
		return HP_SDP_BAD_ATTR;
	uint32_t n = 0;
	while (n < enc.len && enc.p[n] != '/')
		n++;
	const char *p = enc.p + n, *e = enc.p + enc.len;
	if (n == 0 || p == e)
		return HP_SDP_BAD_ATTR;
	p++;
	if (!parse_uint(&p, e, 0xFFFFFFFFu, &rate))
		return HP_SDP_BAD_ATTR;
	if (p < e) {
		if (*p != '/')
			return HP_SDP_BAD_ATTR;
		p++;
		if (!parse_uint(&p, e, 255, &ch) || p != e)
			return HP_SDP_BAD_ATTR;
	}
	if (!m)
		return HP_SDP_OK;
	for (unsigned i = 0; i < m->n_pt; i++) {
		if (m->pts[i].pt == pt) {
			m->pts[i].name = (struct hp_str){ enc.p, n };
			m->pts[i].rate = rate;
			m->pts[i].channels = (uint8_t)ch;
		}
	}
	return HP_SDP_OK;
}

/* a=rtcp:<port> [IN IP4|IP6 <addr>]  (RFC 3605 §2.1) */
static int parse_rtcp(struct cur *c, struct hp_sdp_media *m)
{
	struct hp_str ps = token(c);
	uint32_t port;
	if (!parse_uint_str(ps, 65535, &port))
		return HP_SDP_BAD_ATTR;
	struct hp_sdp_addr a = { 0 };
	skip_sp(c);
	if (c->p < c->e && parse_conn(c, &a) != HP_SDP_OK)
		return HP_SDP_BAD_ATTR;
	if (m) {
		m->rtcp_port = (uint16_t)port;
		m->rtcp_explicit = true;
		m->rtcp_addr = a;
	}
	return HP_SDP_OK;
}

static int parse_attr(struct cur *c, struct hp_sdp *s, struct hp_sdp_media *m)
{
	const char *colon = c->p;
	while (colon < c->e && *colon != ':')
		colon++;
	struct hp_str name = { c->p, (uint32_t)(colon - c->p) };
	struct cur v = { colon < c->e ? colon + 1 : c->e, c->e };
	uint8_t *dir = m ? &m->dir : &s->dir;

	if (str_ieq(name, "rtpmap"))
		return parse_rtpmap(&v, m);
	if (str_ieq(name, "rtcp"))
		return parse_rtcp(&v, m);
	if (str_ieq(name, "ptime")) {
		uint32_t ms;
		skip_sp(&v);
		/* fractional ptime (RFC 8866 §6.4 allows "20.0") keeps its integer part */
		if (!parse_uint(&v.p, v.e, 65535, &ms))
			return HP_SDP_BAD_ATTR;
		if (m)
			m->ptime = (uint16_t)ms;
		return HP_SDP_OK;
	}
	if (str_ieq(name, "sendrecv"))
		*dir = HP_SDP_SENDRECV;
	else if (str_ieq(name, "sendonly"))
		*dir = HP_SDP_SENDONLY;
	else if (str_ieq(name, "recvonly"))
		*dir = HP_SDP_RECVONLY;
	else if (str_ieq(name, "inactive"))
		*dir = HP_SDP_INACTIVE;
	return HP_SDP_OK;
}

/* Media level overrides session level; RFC 3605 §2: without a=rtcp, port + 1. */
static void resolve(struct hp_sdp *s, const bool *has_conn)
{
	if (s->dir == HP_SDP_DIR_UNSET)
		s->dir = HP_SDP_SENDRECV;
	for (unsigned i = 0; i < s->n_media; i++) {
		struct hp_sdp_media *m = &s->media[i];
		if (m->dir == HP_SDP_DIR_UNSET)
			m->dir = s->dir;
		if (!has_conn[i])
			m->conn = s->conn;
		if (!m->rtcp_explicit)
			m->rtcp_port = m->port ? (uint16_t)(m->port + 1) : 0;
		if (m->rtcp_addr.family == 0)
			m->rtcp_addr = m->conn;
	}
}

/* One malformed line costs that line, not the body: UAs put vendor lines and
 * the odd broken attribute next to perfectly usable media (RFC 8866 §5 asks
 * parsers to ignore what they do not understand). A malformed m= line takes its
 * media section with it, since the c= and a= lines under it describe a stream
 * that cannot be named. */
static void skipped(struct hp_sdp *out, int rc)
{
	if (out->bad_lines == 0)
		out->first_bad = (uint8_t)rc;
	if (out->bad_lines < UINT16_MAX)
		out->bad_lines++;
}

int hp_sdp_parse(const uint8_t *p, size_t len, struct hp_sdp *out)
{
	const char *b = (const char *)p, *end = b + len;
	struct hp_sdp_media *m = NULL;
	bool has_conn[HP_SDP_MAX_MEDIA] = { false };
	bool skip_media = false, first = true;

	memset(out, 0, sizeof(*out));
	while (b < end) {
		const char *eol = memchr(b, '\n', (size_t)(end - b));
		const char *le = eol ? eol : end;
		const char *next = eol ? eol + 1 : end;
		if (le > b && le[-1] == '\r')
			le--;
		if (le == b) {
			b = next;
			continue;
		}
		bool malformed = le - b < 2 || b[1] != '=' || b[0] < 'a' || b[0] > 'z';
		if (first && (malformed || b[0] != 'v'))
			return HP_SDP_NOT_SDP;
		first = false;
		struct cur c = { b + 2, le };
		struct hp_sdp_addr conn;
		int rc = malformed ? HP_SDP_BAD_LINE : HP_SDP_OK;
		switch (malformed ? 0 : b[0]) {
		case 'm':
			if (out->n_media >= HP_SDP_MAX_MEDIA) {
				out->media_overflow = true;
				skip_media = true;
				break;
			}
			m = &out->media[out->n_media];
			rc = parse_media(&c, m);
			skip_media = rc != HP_SDP_OK;
			if (skip_media)
				memset(m, 0, sizeof(*m));
			else
				out->n_media++;
			break;
		case 'c':
			if (skip_media)
				break;
			rc = parse_conn(&c, &conn);
			if (rc != HP_SDP_OK)
				break;
			if (m) {
				m->conn = conn;
				has_conn[m - out->media] = true;
			} else {
				out->conn = conn;
			}
			break;
		case 'a':
			if (!skip_media)
				rc = parse_attr(&c, out, m);
			break;
		default:
			break;
		}
		if (rc != HP_SDP_OK)
			skipped(out, rc);
		b = next;
	}
	if (first)
		return HP_SDP_EMPTY;
	resolve(out, has_conn);
	return HP_SDP_OK;
}

const struct hp_sdp_pt *hp_sdp_find_pt(const struct hp_sdp_media *m, uint8_t pt)
{
	for (unsigned i = 0; i < m->n_pt; i++)
		if (m->pts[i].pt == pt)
			return &m->pts[i];
	return NULL;
}

uint8_t hp_sdp_event_pt(const struct hp_sdp_media *m)
{
	for (unsigned i = 0; i < m->n_pt; i++)
		if (str_ieq(m->pts[i].name, "telephone-event"))
			return m->pts[i].pt;
	return 0xFF;
}
