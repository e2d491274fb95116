/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame decoder: link layer -> VLAN tags -> IPv4/IPv6 -> UDP/TCP/SCTP, and
 * the hand-off to tunnel.c where a layer names an encapsulation. Every read
 * is checked against the bytes the frame holds; declared lengths (IP total
 * length, UDP length) are recorded but never trusted for addressing. */
#include "net/net_int.h"

#include <stddef.h>
#include <string.h>

#define PROTO_HOPOPTS 0
#define PROTO_IPIP 4      /* RFC 2003 */
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_IPV6 41     /* RFC 4213 §3.5 (6in4), RFC 2473 (in IPv6) */
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_GRE 47      /* RFC 2784 */
#define PROTO_AH 51
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60
#define PROTO_SCTP 132

#define SLL_HLEN 16
#define SLL2_HLEN 20
#define IP4_MIN_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define TCP_MIN_HLEN 20
#define SCTP_HLEN 12

static const char *const layer_names[] = {
#define HP_NET_LAYER_NAME(id, name) name,
	HP_NET_LAYER_LIST(HP_NET_LAYER_NAME)
#undef HP_NET_LAYER_NAME
};

const char *hp_net_layer_name(unsigned kind)
{
	return kind < HP_NET_L_MAX ? layer_names[kind] : "unknown";
}

void hp_net_opts_defaults(struct hp_net_opts *o)
{
	o->vxlan_port = HP_NET_VXLAN_PORT;
	o->geneve_port = HP_NET_GENEVE_PORT;
	o->gtpu_port = HP_NET_GTPU_PORT;
	o->max_depth = HP_NET_DEFAULT_DEPTH;
}

static bool is_vlan_tpid(uint16_t t)
{
	return t == ETHERTYPE_VLAN || t == ETHERTYPE_QINQ || t == ETHERTYPE_QINQ_OLD;
}

static int decode_udp(struct hp_net_dec *d)
{
	struct hp_pkt *o = d->o;

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
	/* The tunnels are told apart by destination port alone (RFC 7348 §5,
	 * RFC 8926 §3.3, TS 29.281 §4.4.2.3): one compare per port on the RTP
	 * path, and only a match leaves it (port 0, "off", is sorted out
	 * there). */
	const struct hp_net_opts *t = d->opts;
	uint16_t dp = o->dst_port;

	if (HP_UNLIKELY(dp == t->vxlan_port || dp == t->geneve_port || dp == t->gtpu_port))
		return hp_net_dec_udp_tunnel(d, dp, o->payload, o->payload_len);
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

/* RFC 9260 §3.1: ports, verification tag and checksum; the chunks after it
 * are lib/sctp's. */
static int decode_sctp(struct hp_pkt *o)
{
	if (o->l4_cap < SCTP_HLEN)
		return HP_R_SCTP_TRUNCATED;
	o->src_port = hp_get_be16(o->l4);
	o->dst_port = hp_get_be16(o->l4 + 2);
	o->payload = o->l4 + SCTP_HLEN;
	o->payload_len = o->l4_cap - SCTP_HLEN;
	o->payload_truncated = o->l4_cap < o->l4_len;
	return HP_R_OK;
}

/* An IP header directly inside this one: RFC 2003 (4in4), RFC 4213 §3.5
 * (6in4), RFC 2473 §3 (4in6, 6in6). */
static int decode_ipip(struct hp_net_dec *d, bool inner_v6)
{
	const uint8_t *p = d->o->l4;
	size_t len = d->o->l4_cap;
	int r = hp_net_enter_tunnel(d, HP_NET_L_IPIP);

	if (r != HP_R_OK)
		return r;
	return inner_v6 ? hp_net_dec_ip6(d, p, len) : hp_net_dec_ip4(d, p, len);
}

static int decode_l4(struct hp_net_dec *d)
{
	struct hp_pkt *o = d->o;

	/* RTP is UDP: first, before the switch's compare tree. */
	if (HP_LIKELY(o->l4_proto == PROTO_UDP))
		return decode_udp(d);
	switch (o->l4_proto) {
	case PROTO_TCP:
		return decode_tcp(o);
	case PROTO_SCTP:
		return decode_sctp(o);
	case PROTO_IPIP:
		return decode_ipip(d, false);
	case PROTO_IPV6:
		return decode_ipip(d, true);
	case PROTO_GRE: {
		const uint8_t *p = o->l4;
		size_t len = o->l4_cap;
		int r = hp_net_enter_tunnel(d, HP_NET_L_GRE);

		return r != HP_R_OK ? r : hp_net_dec_gre(d, p, len);
	}
	default:
		return HP_R_L4_UNSUPPORTED;
	}
}

int hp_net_dec_ip4(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	struct hp_pkt *o = d->o;

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

	o->ethertype = ETHERTYPE_IPV4;
	o->ip_version = 4;
	o->tos = p[1];
	o->l4_proto = p[9];
	memcpy(o->src_addr, p + 12, 4);
	memcpy(o->dst_addr, p + 16, 4);
	o->l3 = p;
	o->l3_len = total;
	o->l3_truncated = len < total;

	/* Bytes past the total length are link padding (Ethernet pads to 60),
	 * not part of the datagram. */
	uint32_t avail = len < total ? (uint32_t)len : total;
	uint16_t fo = hp_get_be16(p + 6);

	/* RFC 791 §3.2: MF or a non-zero offset makes this a fragment; the
	 * addresses above stay filled so fragments can be counted per flow. */
	if (HP_UNLIKELY(fo & 0x3fff)) {
		struct hp_pkt_frag *f = &o->frag;

		f->hdr = p;
		f->hdr_len = hlen;
		f->nh_off = 0;
		f->id = hp_get_be16(p + 4);
		f->offset = (uint32_t)(fo & 0x1fff) * 8;
		f->more = fo & 0x2000;
		f->proto = p[9];
		f->data = p + hlen;
		f->data_len = avail - hlen;
		f->truncated = o->l3_truncated;
		return HP_R_IP4_FRAGMENT;
	}

	o->l4 = p + hlen;
	o->l4_len = total - hlen;
	o->l4_cap = avail - hlen;
	return decode_l4(d);
}

/* Walks the extension-header chain (RFC 8200 §4) from off; on success
 * *off is the upper-layer header and *nh its protocol. On a fragment, *off
 * is the Fragment header and *nh_pos the offset of the byte naming it. */
static int walk_ip6_ext(const uint8_t *p, uint32_t avail, uint32_t *off, uint8_t *nh,
			uint32_t *nh_pos)
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
			/* RFC 8200 §4.5 / RFC 6946: offset 0 with M clear is an
			 * atomic fragment, a whole datagram. */
			if (hp_get_be16(h + 2) & 0xfff9) {
				*nh = h[0];
				return HP_R_IP6_FRAGMENT;
			}
			hlen = 8;
		} else if (*nh == PROTO_AH) {
			/* RFC 4302 §2.2: AH length is in 4-octet units minus 2;
			 * the others (RFC 8200 §4.3-4.6) count 8-octet units
			 * beyond the first. */
			hlen = ((uint32_t)h[1] + 2) * 4;
		} else {
			hlen = ((uint32_t)h[1] + 1) * 8;
		}
		if (avail - *off < hlen)
			return HP_R_IP6_EXT_TRUNCATED;
		*nh = h[0];
		*nh_pos = *off;
		*off += hlen;
	}
}

int hp_net_dec_ip6(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	struct hp_pkt *o = d->o;

	if (len < IP6_HLEN)
		return HP_R_IP6_TRUNCATED;
	if (p[0] >> 4 != 6)
		return HP_R_IP6_BAD_VERSION;
	uint32_t plen = hp_get_be16(p + 4);
	uint8_t nh = p[6];

	o->ethertype = ETHERTYPE_IPV6;
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
	uint32_t nh_pos = 6;
	int r = walk_ip6_ext(p, avail, &off, &nh, &nh_pos);

	o->l4_proto = nh;
	if (r == HP_R_IP6_FRAGMENT) {
		struct hp_pkt_frag *f = &o->frag;
		const uint8_t *h = p + off;
		uint16_t offm = hp_get_be16(h + 2);

		f->hdr = p;
		f->hdr_len = off;
		f->nh_off = nh_pos;
		f->id = hp_get_be32(h + 4);
		f->offset = offm & 0xfff8;
		f->more = offm & 1;
		f->proto = nh;
		f->data = h + 8;
		f->data_len = avail - off - 8;
		f->truncated = o->l3_truncated;
	}
	if (r != HP_R_OK)
		return r;
	o->l4 = p + off;
	o->l4_len = o->l3_len - off;
	o->l4_cap = avail - off;
	return decode_l4(d);
}

int hp_net_dec_ip_nibble(struct hp_net_dec *d, const uint8_t *p, size_t len, int trunc, int other)
{
	if (len < 1)
		return trunc;
	switch (p[0] >> 4) {
	case 4:
		return hp_net_dec_ip4(d, p, len);
	case 6:
		return hp_net_dec_ip6(d, p, len);
	default:
		return other;
	}
}

int hp_net_dec_ethertype(struct hp_net_dec *d, const uint8_t *p, size_t len, uint16_t type)
{
	struct hp_pkt *o = d->o;

	/* VLAN tags can also appear after a cooked (SLL/SLL2) header when the
	 * capture did not strip them, and inside tunnels; their number is
	 * bounded only by the depth limit. */
	while (is_vlan_tpid(type)) {
		int r = hp_net_push(d, HP_NET_L_VLAN, HP_R_VLAN_TOO_DEEP);

		if (r != HP_R_OK)
			return r;
		if (len < 4)
			return HP_R_VLAN_TRUNCATED;
		/* IEEE 802.1Q §9.6: TCI = PCP(3) DEI(1) VID(12); the last tag
		 * walked is the innermost. */
		o->vlan_id = hp_get_be16(p) & 0x0fff;
		o->vlan_depth++;
		type = hp_get_be16(p + 2);
		p += 4;
		len -= 4;
	}
	o->ethertype = type;
	switch (type) {
	case ETHERTYPE_IPV4:
		return hp_net_dec_ip4(d, p, len);
	case ETHERTYPE_IPV6:
		return hp_net_dec_ip6(d, p, len);
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		return hp_net_dec_mpls(d, p, len);
	case ETHERTYPE_PPPOE:
		return hp_net_dec_pppoe(d, p, len);
	default:
		return HP_R_NOT_IP;
	}
}

int hp_net_dec_eth(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	struct hp_pkt *o = d->o;

	if (len < ETH_HLEN)
		return HP_R_LINK_TRUNCATED;
	/* The VLAN that matters is the one of the innermost Ethernet. */
	o->eth = p;
	o->vlan_id = 0;
	o->vlan_depth = 0;
	return hp_net_dec_ethertype(d, p + ETH_HLEN, len - ETH_HLEN, hp_get_be16(p + 12));
}

static const struct hp_net_opts default_opts = {
	.vxlan_port = HP_NET_VXLAN_PORT,
	.geneve_port = HP_NET_GENEVE_PORT,
	.gtpu_port = HP_NET_GTPU_PORT,
	.max_depth = HP_NET_DEFAULT_DEPTH,
};

int hp_net_decode_opts(const uint8_t *p, size_t len, int linktype, const struct hp_net_opts *opts,
		       struct hp_pkt *out)
{
	struct hp_net_dec d = { .o = out, .opts = opts };

	memset(out, 0, offsetof(struct hp_pkt, layers));
	switch (linktype) {
	case HP_LINK_ETHERNET:
		return hp_net_dec_eth(&d, p, len);
	case HP_LINK_LINUX_SLL:
		if (len < SLL_HLEN)
			return HP_R_LINK_TRUNCATED;
		return hp_net_dec_ethertype(&d, p + SLL_HLEN, len - SLL_HLEN, hp_get_be16(p + 14));
	case HP_LINK_LINUX_SLL2:
		if (len < SLL2_HLEN)
			return HP_R_LINK_TRUNCATED;
		return hp_net_dec_ethertype(&d, p + SLL2_HLEN, len - SLL2_HLEN, hp_get_be16(p));
	case HP_LINK_DLT_RAW:
	case HP_LINK_RAW:
		return hp_net_dec_ip_nibble(&d, p, len, HP_R_LINK_TRUNCATED, HP_R_NOT_IP);
	case HP_LINK_IPV4:
		return hp_net_dec_ip4(&d, p, len);
	case HP_LINK_IPV6:
		return hp_net_dec_ip6(&d, p, len);
	default:
		return HP_R_LINK_UNSUPPORTED;
	}
}

int hp_net_decode(const uint8_t *p, size_t len, int linktype, struct hp_pkt *out)
{
	return hp_net_decode_opts(p, len, linktype, &default_opts, out);
}

int hp_net_decode_ip_opts(const uint8_t *p, size_t len, const struct hp_net_opts *opts,
			  struct hp_pkt *out)
{
	struct hp_net_dec d = { .o = out, .opts = opts };
	size_t keep = offsetof(struct hp_pkt, ip_version);

	memset((uint8_t *)out + keep, 0, offsetof(struct hp_pkt, layers) - keep);
	memset(&out->frag, 0, sizeof(out->frag));
	return hp_net_dec_ip_nibble(&d, p, len, HP_R_LINK_TRUNCATED, HP_R_NOT_IP);
}

int hp_net_decode_ip(const uint8_t *p, size_t len, struct hp_pkt *out)
{
	return hp_net_decode_ip_opts(p, len, &default_opts, out);
}
