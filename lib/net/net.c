/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame decoder: link layer -> IPv4/IPv6 -> UDP/TCP. Every read is checked
 * against the bytes the frame holds; declared lengths (IP total length, UDP
 * length) are recorded but never trusted for addressing. */
#include "net/net.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100   /* IEEE 802.1Q */
#define ETHERTYPE_QINQ 0x88a8   /* IEEE 802.1ad service tag */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-802.1ad vendor QinQ */

#define PROTO_HOPOPTS 0
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_AH 51
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60

#define ETH_HLEN 14
#define SLL_HLEN 16
#define SLL2_HLEN 20
#define IP4_MIN_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define TCP_MIN_HLEN 20

static bool is_vlan_tpid(uint16_t t)
{
	return t == ETHERTYPE_VLAN || t == ETHERTYPE_QINQ || t == ETHERTYPE_QINQ_OLD;
}

static int decode_udp(struct hp_pkt *o)
{
	/* An IP payload too short for the UDP header is a length error, not a
	 * short capture. */
	if (o->l4_len < UDP_HLEN)
		return HP_R_UDP_BAD_LENGTH;
	if (o->l4_cap < UDP_HLEN)
		return HP_R_UDP_TRUNCATED;
	const uint8_t *u = o->l4;

	o->src_port = hp_get_be16(u);
	o->dst_port = hp_get_be16(u + 2);
	o->udp_len = hp_get_be16(u + 4);
	/* RFC 768: the length covers header and data and must fit in the IP
	 * payload. An invalid one leaves no payload; the checksum verdict
	 * (bad_length) tells the caller why. */
	if (o->udp_len < UDP_HLEN || o->udp_len > o->l4_len)
		return HP_R_OK;
	uint32_t have = o->l4_cap < o->udp_len ? o->l4_cap : o->udp_len;

	o->payload = u + UDP_HLEN;
	o->payload_len = have - UDP_HLEN;
	o->payload_truncated = o->l4_cap < o->udp_len;
	return HP_R_OK;
}

static int decode_tcp(struct hp_pkt *o)
{
	if (o->l4_len < TCP_MIN_HLEN)
		return HP_R_TCP_BAD_OFFSET;
	if (o->l4_cap < TCP_MIN_HLEN)
		return HP_R_TCP_TRUNCATED;
	const uint8_t *t = o->l4;
	uint32_t hlen = (uint32_t)(t[12] >> 4) * 4;

	/* RFC 9293 §3.1: data offset counts 32-bit words, at least 5. */
	if (hlen < TCP_MIN_HLEN || hlen > o->l4_len)
		return HP_R_TCP_BAD_OFFSET;
	if (hlen > o->l4_cap)
		return HP_R_TCP_TRUNCATED;
	o->src_port = hp_get_be16(t);
	o->dst_port = hp_get_be16(t + 2);
	o->tcp_seq = hp_get_be32(t + 4);
	o->tcp_flags = t[13];
	o->payload = t + hlen;
	o->payload_len = o->l4_cap - hlen;
	o->payload_truncated = o->l4_cap < o->l4_len;
	return HP_R_OK;
}

static int decode_l4(struct hp_pkt *o)
{
	switch (o->l4_proto) {
	case PROTO_UDP:
		return decode_udp(o);
	case PROTO_TCP:
		return decode_tcp(o);
	default:
		return HP_R_L4_UNSUPPORTED;
	}
}

static int decode_ip4(const uint8_t *p, size_t len, struct hp_pkt *o)
{
	if (len < IP4_MIN_HLEN)
		return HP_R_IP4_TRUNCATED;
	if (p[0] >> 4 != 4)
		return HP_R_IP4_BAD_VERSION;
	uint32_t hlen = (uint32_t)(p[0] & 0x0f) * 4;
	uint32_t total = hp_get_be16(p + 2);

	/* RFC 791 §3.1: IHL is at least 5 words; options follow the fixed part. */
	if (hlen < IP4_MIN_HLEN)
		return HP_R_IP4_BAD_IHL;
	if (total < IP4_MIN_HLEN)
		return HP_R_IP4_BAD_TOTAL_LENGTH;
	if (hlen > total)
		return HP_R_IP4_BAD_IHL;
	if (len < hlen)
		return HP_R_IP4_TRUNCATED;

	o->ip_version = 4;
	o->tos = p[1];
	o->l4_proto = p[9];
	memcpy(o->src_addr, p + 12, 4);
	memcpy(o->dst_addr, p + 16, 4);
	o->l3 = p;
	o->l3_len = total;
	o->l3_truncated = len < total;

	/* RFC 791 §3.2: MF or a non-zero offset makes this a fragment; the
	 * addresses above stay filled so fragments can be counted per flow. */
	if (hp_get_be16(p + 6) & 0x3fff)
		return HP_R_IP4_FRAGMENT;

	/* Bytes past the total length are link padding (Ethernet pads to 60),
	 * not part of the datagram. */
	uint32_t avail = len < total ? (uint32_t)len : total;

	o->l4 = p + hlen;
	o->l4_len = total - hlen;
	o->l4_cap = avail - hlen;
	return decode_l4(o);
}

/* Walks the extension-header chain (RFC 8200 §4) from off; on success
 * *off is the upper-layer header and *nh its protocol. */
static int walk_ip6_ext(const uint8_t *p, uint32_t avail, uint32_t *off, uint8_t *nh)
{
	for (unsigned n = 0;; n++) {
		uint32_t hlen;

		switch (*nh) {
		case PROTO_HOPOPTS:
		case PROTO_ROUTING:
		case PROTO_DSTOPTS:
		case PROTO_FRAGMENT:
		case PROTO_AH:
			break;
		case PROTO_NONE:
			/* RFC 8200 §4.7: nothing follows. */
			return HP_R_L4_UNSUPPORTED;
		default:
			return HP_R_OK;
		}
		if (n == HP_NET_MAX_IP6_EXT)
			return HP_R_IP6_EXT_TOO_MANY;
		if (avail - *off < 8)
			return HP_R_IP6_EXT_TRUNCATED;
		const uint8_t *h = p + *off;

		if (*nh == PROTO_FRAGMENT) {
			uint16_t offm = hp_get_be16(h + 2);

			*nh = h[0];
			/* RFC 8200 §4.5 / RFC 6946: offset 0 with M clear is an
			 * atomic fragment, a whole datagram. */
			if (offm & 0xfff9)
				return HP_R_IP6_FRAGMENT;
			*off += 8;
			continue;
		}
		/* RFC 4302 §2.2: AH length is in 4-octet units minus 2; the other
		 * headers (RFC 8200 §4.3-4.6) count 8-octet units beyond the first. */
		if (*nh == PROTO_AH)
			hlen = ((uint32_t)h[1] + 2) * 4;
		else
			hlen = ((uint32_t)h[1] + 1) * 8;
		if (avail - *off < hlen)
			return HP_R_IP6_EXT_TRUNCATED;
		*nh = h[0];
		*off += hlen;
	}
}

static int decode_ip6(const uint8_t *p, size_t len, struct hp_pkt *o)
{
	if (len < IP6_HLEN)
		return HP_R_IP6_TRUNCATED;
	if (p[0] >> 4 != 6)
		return HP_R_IP6_BAD_VERSION;
	uint32_t plen = hp_get_be16(p + 4);
	uint8_t nh = p[6];

	o->ip_version = 6;
	o->tos = (uint8_t)(hp_get_be16(p) >> 4);
	o->l4_proto = nh;
	memcpy(o->src_addr, p + 8, 16);
	memcpy(o->dst_addr, p + 24, 16);
	o->l3 = p;
	/* RFC 2675: payload length 0 announces a jumbo payload option. */
	if (plen == 0)
		return HP_R_IP6_JUMBOGRAM;
	o->l3_len = IP6_HLEN + plen;
	o->l3_truncated = len < o->l3_len;

	uint32_t avail = len < o->l3_len ? (uint32_t)len : o->l3_len;
	uint32_t off = IP6_HLEN;
	int r = walk_ip6_ext(p, avail, &off, &nh);

	o->l4_proto = nh;
	if (r != HP_R_OK)
		return r;
	o->l4 = p + off;
	o->l4_len = o->l3_len - off;
	o->l4_cap = avail - off;
	return decode_l4(o);
}

static int decode_ethertype(const uint8_t *p, size_t len, struct hp_pkt *o)
{
	/* VLAN tags can also appear after a cooked (SLL/SLL2) header when the
	 * capture did not strip them. */
	while (is_vlan_tpid(o->ethertype)) {
		if (o->vlan_depth == HP_NET_MAX_VLAN)
			return HP_R_VLAN_TOO_DEEP;
		if (len < 4)
			return HP_R_VLAN_TRUNCATED;
		/* IEEE 802.1Q §9.6: TCI = PCP(3) DEI(1) VID(12); the last tag
		 * walked is the innermost. */
		o->vlan_id = hp_get_be16(p) & 0x0fff;
		o->ethertype = hp_get_be16(p + 2);
		o->vlan_depth++;
		p += 4;
		len -= 4;
	}
	switch (o->ethertype) {
	case ETHERTYPE_IPV4:
		return decode_ip4(p, len, o);
	case ETHERTYPE_IPV6:
		return decode_ip6(p, len, o);
	default:
		return HP_R_NOT_IP;
	}
}

int hp_net_decode(const uint8_t *p, size_t len, int linktype, struct hp_pkt *out)
{
	memset(out, 0, sizeof(*out));
	switch (linktype) {
	case HP_LINK_ETHERNET:
		if (len < ETH_HLEN)
			return HP_R_LINK_TRUNCATED;
		out->eth = p;
		out->ethertype = hp_get_be16(p + 12);
		return decode_ethertype(p + ETH_HLEN, len - ETH_HLEN, out);
	case HP_LINK_LINUX_SLL:
		if (len < SLL_HLEN)
			return HP_R_LINK_TRUNCATED;
		out->ethertype = hp_get_be16(p + 14);
		return decode_ethertype(p + SLL_HLEN, len - SLL_HLEN, out);
	case HP_LINK_LINUX_SLL2:
		if (len < SLL2_HLEN)
			return HP_R_LINK_TRUNCATED;
		out->ethertype = hp_get_be16(p);
		return decode_ethertype(p + SLL2_HLEN, len - SLL2_HLEN, out);
	case HP_LINK_DLT_RAW:
	case HP_LINK_RAW:
		if (len < 1)
			return HP_R_LINK_TRUNCATED;
		switch (p[0] >> 4) {
		case 4:
			out->ethertype = ETHERTYPE_IPV4;
			return decode_ip4(p, len, out);
		case 6:
			out->ethertype = ETHERTYPE_IPV6;
			return decode_ip6(p, len, out);
		default:
			return HP_R_NOT_IP;
		}
	case HP_LINK_IPV4:
		out->ethertype = ETHERTYPE_IPV4;
		return decode_ip4(p, len, out);
	case HP_LINK_IPV6:
		out->ethertype = ETHERTYPE_IPV6;
		return decode_ip6(p, len, out);
	default:
		return HP_R_LINK_UNSUPPORTED;
	}
}
