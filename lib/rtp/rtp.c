/* SPDX-License-Identifier: BSD-3-Clause */
/* RTP fixed header, RFC 3550 §5.1 and §5.3.1. */
#include "rtp/rtp.h"

int hp_rtp_parse(const uint8_t *p, size_t len, struct hp_rtp_hdr *h)
{
	if (len < 12)
		return HP_R_RTP_MALFORMED;
	h->version = p[0] >> 6;
	if (h->version != 2)
		return HP_R_RTP_MALFORMED;
	h->padding = (p[0] & 0x20) != 0;
	h->extension = (p[0] & 0x10) != 0;
	h->csrc_count = p[0] & 0x0F;
	h->marker = (p[1] & 0x80) != 0;
	h->pt = p[1] & 0x7F;
	h->seq = hp_get_be16(p + 2);
	h->ts = hp_get_be32(p + 4);
	h->ssrc = hp_get_be32(p + 8);

	size_t off = 12 + 4u * h->csrc_count;
	if (off > len)
		return HP_R_RTP_MALFORMED;
	h->ext_profile = 0;
	h->ext_words = 0;
	if (h->extension) {
		if (off + 4 > len)
			return HP_R_RTP_MALFORMED;
		h->ext_profile = hp_get_be16(p + off);
		h->ext_words = hp_get_be16(p + off + 2);
		off += 4 + 4u * h->ext_words;
		if (off > len)
			return HP_R_RTP_MALFORMED;
	}
	h->hdr_len = (uint16_t)off;
	size_t pad = 0;
	if (h->padding) {
		/* §5.1: the last octet counts the padding, itself included. */
		pad = p[len - 1];
		if (pad == 0 || pad > len - off)
			return HP_R_RTP_MALFORMED;
	}
	h->pad_len = (uint8_t)pad;
	h->payload = p + off;
	h->payload_len = (uint32_t)(len - off - pad);
	return HP_R_OK;
}

bool hp_rtp_looks_like_rtp(const uint8_t *p, size_t len)
{
	struct hp_rtp_hdr h;
	if (hp_rtp_parse(p, len, &h) != HP_R_OK)
		return false;
	/* RFC 5761 §4: RTCP types 200..204 read as marker + PT give PT 72..76. */
	if (h.pt >= 72 && h.pt <= 76)
		return false;
	/* RFC 3551 §6: PT 1 and 2 are reserved; never seen in real RTP. */
	if (h.pt == 1 || h.pt == 2)
		return false;
	return h.payload_len > 0;
}

bool hp_rtcp_looks_like_rtcp(const uint8_t *p, size_t len)
{
	if (len < 8 || (p[0] >> 6) != 2)
		return false;
	if (p[1] < HP_RTCP_SR || p[1] > HP_RTCP_XR)
		return false;
	return 4u * ((size_t)hp_get_be16(p + 2) + 1) <= len;
}
