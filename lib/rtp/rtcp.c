/* SPDX-License-Identifier: BSD-3-Clause */
/* RTCP compound packets, RFC 3550 §6.4-6.7 and XR, RFC 3611 §3; JSON rendering. */
#include "rtp/rtp.h"

static void parse_si(const uint8_t *p, struct hp_rtcp_si *si)
{
	si->ntp_sec = hp_get_be32(p);
	si->ntp_frac = hp_get_be32(p + 4);
	si->rtp_ts = hp_get_be32(p + 8);
	si->packets = hp_get_be32(p + 12);
	si->octets = hp_get_be32(p + 16);
}

/* §6.4.1: rc blocks of 24 octets at p; the caller checked they are inside the packet. */
static void parse_rbs(struct hp_rtcp *r, struct hp_rtcp_pkt *pk, const uint8_t *p, unsigned rc)
{
	pk->rb_first = r->n_rb;
	for (unsigned i = 0; i < rc; i++, p += 24) {
		if (r->n_rb >= HP_RTCP_MAX_RB) {
			r->truncated = true;
			break;
		}
		struct hp_rtcp_rb *b = &r->rb[r->n_rb++];
		uint32_t w = hp_get_be32(p + 4);
		b->ssrc = hp_get_be32(p);
		b->fraction_lost = (uint8_t)(w >> 24);
		/* cumulative lost is a signed 24-bit field */
		b->packets_lost = (int32_t)((w & 0x00FFFFFFu) ^ 0x00800000u) - 0x00800000;
		b->highest_seq = hp_get_be32(p + 8);
		b->jitter = hp_get_be32(p + 12);
		b->lsr = hp_get_be32(p + 16);
		b->dlsr = hp_get_be32(p + 20);
	}
	pk->rb_n = (uint8_t)(r->n_rb - pk->rb_first);
}

/* §6.5: SC chunks, each an SSRC and items up to an END item, padded to 32 bits. */
static int parse_sdes(struct hp_rtcp *r, struct hp_rtcp_pkt *pk, const uint8_t *p, size_t len)
{
	size_t off = 4;
	pk->sdes_first = r->n_sdes;
	for (unsigned c = 0; c < pk->count; c++) {
		if (off + 4 > len)
			return HP_R_RTCP_MALFORMED;
		uint32_t ssrc = hp_get_be32(p + off);
		if (c == 0)
			pk->ssrc = ssrc;
		off += 4;
		for (;;) {
			if (off >= len)
				return HP_R_RTCP_MALFORMED;
			uint8_t type = p[off];
			if (type == 0) {
				/* END, then null octets up to the next 32-bit boundary */
				off = (off + 4) & ~(size_t)3;
				break;
			}
			if (off + 2 > len || off + 2 + p[off + 1] > len)
				return HP_R_RTCP_MALFORMED;
			if (r->n_sdes < HP_RTCP_MAX_SDES) {
				struct hp_rtcp_sdes_item *it = &r->sdes[r->n_sdes++];
				it->ssrc = ssrc;
				it->type = type;
				it->text.p = (const char *)p + off + 2;
				it->text.len = p[off + 1];
			} else {
				r->truncated = true;
			}
			off += 2u + p[off + 1];
		}
		if (off > len)
			return HP_R_RTCP_MALFORMED;
	}
	pk->sdes_n = (uint8_t)(r->n_sdes - pk->sdes_first);
	return HP_R_OK;
}

/* RFC 3611 §3: after the SSRC, blocks of BT, type-specific, 16-bit length in words. */
static int parse_xr(struct hp_rtcp_pkt *pk, const uint8_t *p, size_t len)
{
	size_t off = 8;
	unsigned n = 0;
	while (off < len) {
		if (off + 4 > len)
			return HP_R_RTCP_MALFORMED;
		off += 4 + 4u * hp_get_be16(p + off + 2);
		if (off > len)
			return HP_R_RTCP_MALFORMED;
		n++;
	}
	pk->xr_blocks = (uint8_t)(n > 255 ? 255 : n);
	return HP_R_OK;
}

static int parse_one(struct hp_rtcp *r, struct hp_rtcp_pkt *pk, const uint8_t *p, size_t len)
{
	unsigned cnt = pk->count;
	switch (pk->type) {
	case HP_RTCP_SR:
		if (len < 28 + 24u * cnt)
			return HP_R_RTCP_MALFORMED;
		pk->ssrc = hp_get_be32(p + 4);
		pk->has_si = true;
		parse_si(p + 8, &pk->si);
		parse_rbs(r, pk, p + 28, cnt);
		return HP_R_OK;
	case HP_RTCP_RR:
		if (len < 8 + 24u * cnt)
			return HP_R_RTCP_MALFORMED;
		pk->ssrc = hp_get_be32(p + 4);
		parse_rbs(r, pk, p + 8, cnt);
		return HP_R_OK;
	case HP_RTCP_SDES:
		return parse_sdes(r, pk, p, len);
	case HP_RTCP_BYE:
		/* §6.6: SC sources, then an optional length-prefixed reason */
		if (len < 4 + 4u * cnt)
			return HP_R_RTCP_MALFORMED;
		if (cnt > 0)
			pk->ssrc = hp_get_be32(p + 4);
		if (len > 4 + 4u * cnt && 4 + 4u * cnt + 1 + p[4 + 4 * cnt] > len)
			return HP_R_RTCP_MALFORMED;
		return HP_R_OK;
	case HP_RTCP_APP:
		if (len < 12)
			return HP_R_RTCP_MALFORMED;
		pk->ssrc = hp_get_be32(p + 4);
		memcpy(pk->app_name, p + 8, 4);
		return HP_R_OK;
	case HP_RTCP_XR:
		if (len < 8)
			return HP_R_RTCP_MALFORMED;
		pk->ssrc = hp_get_be32(p + 4);
		return parse_xr(pk, p, len);
	default:
		/* feedback (RFC 4585) and unknown types: only the sender SSRC */
		if (len >= 8)
			pk->ssrc = hp_get_be32(p + 4);
		return HP_R_OK;
	}
}

static bool zero_tail(const uint8_t *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (q[i] != 0)
			return false;
	return true;
}

int hp_rtcp_parse(const uint8_t *p, size_t len, struct hp_rtcp *out)
{
	out->n_pkts = 0;
	out->n_rb = 0;
	out->n_sdes = 0;
	out->truncated = false;
	if (len < 4)
		return HP_R_RTCP_MALFORMED;
	size_t off = 0;
	while (off < len) {
		const uint8_t *q = p + off;
		if (len - off < 4) {
			/* Up to 3 zero bytes after whole packets: UDP-level padding some
			 * phones add. The compound itself is complete (tshark agrees). */
			if (off > 0 && zero_tail(q, len - off))
				break;
			return HP_R_RTCP_MALFORMED;
		}
		if ((q[0] >> 6) != 2)
			return HP_R_RTCP_MALFORMED;
		size_t plen = 4u * ((size_t)hp_get_be16(q + 2) + 1);
		if (plen > len - off)
			return HP_R_RTCP_MALFORMED;
		/* §6.4.1: padding only counts in the last packet; its length must fit. */
		size_t body = plen;
		if (q[0] & 0x20) {
			if (off + plen != len || q[plen - 1] == 0 || q[plen - 1] > plen - 4)
				return HP_R_RTCP_MALFORMED;
			body = plen - q[plen - 1];
		}
		if (out->n_pkts < HP_RTCP_MAX_PKTS) {
			struct hp_rtcp_pkt *pk = &out->pkt[out->n_pkts];
			memset(pk, 0, sizeof(*pk));
			pk->type = q[1];
			pk->count = q[0] & 0x1F;
			pk->len = (uint16_t)plen;
			pk->rb_first = out->n_rb;
			pk->sdes_first = out->n_sdes;
			int rc = parse_one(out, pk, q, body);
			if (rc != HP_R_OK)
				return rc;
			out->n_pkts++;
		} else {
			out->truncated = true;
		}
		off += plen;
	}
	return HP_R_OK;
}

/* ---------------------------------------------------------------- JSON */

struct jbuf {
	char *p;
	size_t len;
	size_t cap;
	bool full;
};

static void put(struct jbuf *b, const char *s, size_t n)
{
	if (b->full || n > b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define PUTS(b, lit) put(b, lit, sizeof(lit) - 1)

static void put_u64(struct jbuf *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b, tmp + sizeof(tmp) - n, n);
}

static void put_i64(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		PUTS(b, "-");
		put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(b, (uint64_t)v);
	}
}

static void put_text(struct jbuf *b, const char *s, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";
	PUTS(b, "\"");
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(b, e, 2);
		} else if (c < 0x20 || c >= 0x7F) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(b, e, 6);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	PUTS(b, "\"");
}

/* NTP fraction of a second (RFC 3550 §4) to microseconds, rounded down. */
static uint32_t ntp_frac_us(uint32_t frac)
{
	return (uint32_t)(((uint64_t)frac * 1000000u) >> 32);
}

static void put_rb(struct jbuf *b, const struct hp_rtcp_rb *rb)
{
	PUTS(b, "{\"source_ssrc\":");
	put_u64(b, rb->ssrc);
	PUTS(b, ",\"fraction_lost\":");
	put_u64(b, rb->fraction_lost);
	PUTS(b, ",\"packets_lost\":");
	put_i64(b, rb->packets_lost);
	PUTS(b, ",\"highest_seq_no\":");
	put_u64(b, rb->highest_seq);
	PUTS(b, ",\"ia_jitter\":");
	put_u64(b, rb->jitter);
	PUTS(b, ",\"lsr\":");
	put_u64(b, rb->lsr);
	PUTS(b, ",\"dlsr\":");
	put_u64(b, rb->dlsr);
	PUTS(b, "}");
}

static void put_pkt(struct jbuf *b, const struct hp_rtcp *r, const struct hp_rtcp_pkt *pk)
{
	PUTS(b, "{\"type\":");
	put_u64(b, pk->type);
	PUTS(b, ",\"ssrc\":");
	put_u64(b, pk->ssrc);
	PUTS(b, ",\"report_count\":");
	put_u64(b, pk->type == HP_RTCP_XR ? pk->xr_blocks : pk->count);
	if (pk->has_si) {
		PUTS(b, ",\"sender_information\":{\"ntp_timestamp_sec\":");
		put_u64(b, pk->si.ntp_sec);
		PUTS(b, ",\"ntp_timestamp_usec\":");
		put_u64(b, ntp_frac_us(pk->si.ntp_frac));
		PUTS(b, ",\"rtp_timestamp\":");
		put_u64(b, pk->si.rtp_ts);
		PUTS(b, ",\"packets\":");
		put_u64(b, pk->si.packets);
		PUTS(b, ",\"octets\":");
		put_u64(b, pk->si.octets);
		PUTS(b, "}");
	}
	if (pk->type == HP_RTCP_SR || pk->type == HP_RTCP_RR) {
		PUTS(b, ",\"report_blocks\":[");
		for (unsigned i = 0; i < pk->rb_n; i++) {
			if (i)
				PUTS(b, ",");
			put_rb(b, &r->rb[pk->rb_first + i]);
		}
		PUTS(b, "]");
	}
	if (pk->type == HP_RTCP_SDES) {
		PUTS(b, ",\"sdes_information\":[");
		for (unsigned i = 0; i < pk->sdes_n; i++) {
			const struct hp_rtcp_sdes_item *it = &r->sdes[pk->sdes_first + i];
			if (i)
				PUTS(b, ",");
			PUTS(b, "{\"ssrc\":");
			put_u64(b, it->ssrc);
			PUTS(b, ",\"type\":");
			put_u64(b, it->type);
			PUTS(b, ",\"text\":");
			put_text(b, it->text.p, it->text.len);
			PUTS(b, "}");
		}
		PUTS(b, "]");
	}
	if (pk->type == HP_RTCP_APP) {
		PUTS(b, ",\"name\":");
		put_text(b, (const char *)pk->app_name, 4);
	}
	PUTS(b, "}");
}

size_t hp_rtcp_to_json(const struct hp_rtcp *r, char *buf, size_t cap)
{
	struct jbuf b = { buf, 0, cap, false };
	PUTS(&b, "[");
	for (unsigned i = 0; i < r->n_pkts; i++) {
		if (i)
			PUTS(&b, ",");
		put_pkt(&b, r, &r->pkt[i]);
	}
	PUTS(&b, "]");
	return b.full ? 0 : b.len;
}
