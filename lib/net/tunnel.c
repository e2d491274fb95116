/* SPDX-License-Identifier: BSD-3-Clause */
/* The encapsulation layers: MPLS label stacks, PPPoE sessions and PPP, GRE
 * (with ERSPAN types I-III and PPTP's enhanced GRE), and the UDP tunnels
 * VXLAN, Geneve and GTP-U. Each checks its own header against the bytes it
 * is given and hands the rest to the decoder of the protocol it names. */
#include "net/net_int.h"

#include <stddef.h>
#include <string.h>

#define PPP_IPV4 0x0021  /* RFC 1332 §1: IP datagrams in PPP */
#define PPP_IPV6 0x0057  /* RFC 5072 §2 */
#define GTP_GPDU 255     /* TS 29.281 §6.1: the message that carries a T-PDU */

int hp_net_enter_tunnel(struct hp_net_dec *d, enum hp_net_layer kind)
{
	struct hp_pkt *o = d->o;

	/* Both entries or neither: an outer IP is recorded only with the
	 * tunnel it leads into, so the record always counts tunnel_depth. */
	if (o->layer_count + 2u > hp_net_max_depth(d))
		return HP_R_TUNNEL_TOO_DEEP;
	o->layers[o->layer_count++] = o->ip_version == 4 ? HP_NET_L_IP4 : HP_NET_L_IP6;
	o->layers[o->layer_count++] = (uint8_t)kind;
	o->tunnel_depth++;
	o->tunnel_id = 0;
	/* The outer transport header (GRE's IP payload, the tunnel's UDP) is
	 * not the packet's: only the innermost one may be reported. */
	memset((uint8_t *)o + offsetof(struct hp_pkt, l4), 0,
	       offsetof(struct hp_pkt, layers) - offsetof(struct hp_pkt, l4));
	return HP_R_OK;
}

/* RFC 3032 §2.1: 4-byte entries, label(20) TC(3) S(1) TTL(8); S marks the
 * bottom of the stack. */
int hp_net_dec_mpls(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	bool bottom;

	do {
		int r = hp_net_push(d, HP_NET_L_MPLS, HP_R_TUNNEL_TOO_DEEP);

		if (r != HP_R_OK)
			return r;
		if (len < 4)
			return HP_R_MPLS_TRUNCATED;
		bottom = p[2] & 0x01;
		p += 4;
		len -= 4;
	} while (!bottom);
	/* RFC 3032 §2.2 leaves the payload's protocol to the label binding,
	 * which a probe cannot know; like capture tools, guess it from the
	 * first nibble (a pseudowire control word, RFC 4385 §3, starts 0000). */
	return hp_net_dec_ip_nibble(d, p, len, HP_R_MPLS_TRUNCATED, HP_R_MPLS_UNSUPPORTED);
}

static int dec_ppp(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	int r = hp_net_push(d, HP_NET_L_PPP, HP_R_TUNNEL_TOO_DEEP);
	uint16_t proto;

	if (r != HP_R_OK)
		return r;
	/* RFC 1662 §3.1: HDLC-like framing keeps address 0xff and control 0x03
	 * (PPTP's GRE does); RFC 2516 §7 drops them in PPPoE. */
	if (len < 1)
		return HP_R_PPP_TRUNCATED;
	if (p[0] == 0xff) {
		if (len < 2)
			return HP_R_PPP_TRUNCATED;
		if (p[1] != 0x03)
			return HP_R_PPP_UNSUPPORTED;
		p += 2;
		len -= 2;
		if (len < 1)
			return HP_R_PPP_TRUNCATED;
	}
	/* RFC 1661 §2 / §6.5: protocol numbers are odd in their last byte and
	 * even in the first, so an odd first byte is a compressed one-byte
	 * protocol field. */
	if (p[0] & 0x01) {
		proto = p[0];
		p += 1;
		len -= 1;
	} else {
		if (len < 2)
			return HP_R_PPP_TRUNCATED;
		proto = hp_get_be16(p);
		p += 2;
		len -= 2;
	}
	switch (proto) {
	case PPP_IPV4:
		return hp_net_dec_ip4(d, p, len);
	case PPP_IPV6:
		return hp_net_dec_ip6(d, p, len);
	default:
		return HP_R_PPP_UNSUPPORTED;
	}
}

/* RFC 2516 §4: VER 1, TYPE 1, CODE 0 in the session stage, session id,
 * length of the PPP payload. */
int hp_net_dec_pppoe(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	int r = hp_net_push(d, HP_NET_L_PPPOE, HP_R_TUNNEL_TOO_DEEP);

	if (r != HP_R_OK)
		return r;
	if (len < 6)
		return HP_R_PPPOE_TRUNCATED;
	if (p[0] != 0x11 || p[1] != 0x00)
		return HP_R_PPPOE_BAD_HEADER;
	size_t plen = hp_get_be16(p + 4);

	p += 6;
	len -= 6;
	/* Past the declared length is Ethernet padding. */
	return dec_ppp(d, p, plen < len ? plen : len);
}

/* draft-foschiano-erspan-03 §4.1: type I is GRE 0x88be without a sequence
 * number and the mirrored frame right after it; §4.2: type II has the
 * sequence number and an 8-byte header, Ver(4) = 1, VLAN(12), COS(3), En(2),
 * T(1), Session ID(10), Reserved(12), Index(20). */
static int dec_erspan2(struct hp_net_dec *d, const uint8_t *p, size_t len, bool seq)
{
	int r = hp_net_push(d, seq ? HP_NET_L_ERSPAN2 : HP_NET_L_ERSPAN1, HP_R_TUNNEL_TOO_DEEP);

	if (r != HP_R_OK)
		return r;
	if (!seq)
		return hp_net_dec_eth(d, p, len);
	if (len < 8)
		return HP_R_ERSPAN_TRUNCATED;
	if (p[0] >> 4 != 1)
		return HP_R_ERSPAN_UNSUPPORTED;
	d->o->tunnel_id = hp_get_be16(p + 2) & 0x03ff;
	return hp_net_dec_eth(d, p + 8, len - 8);
}

/* draft-foschiano-erspan-03 §4.3: type III, 12 bytes: Ver(4) = 2, VLAN(12),
 * COS(3), BSO(2), T(1), Session ID(10), Timestamp(32), SGT(16), P(1),
 * FT(5), Hw ID(6), D(1), Gra(2), O(1); O adds an 8-byte platform-specific
 * subheader. FT 0 is an Ethernet frame, FT 2 an IP packet. */
static int dec_erspan3(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	int r = hp_net_push(d, HP_NET_L_ERSPAN3, HP_R_TUNNEL_TOO_DEEP);

	if (r != HP_R_OK)
		return r;
	if (len < 12)
		return HP_R_ERSPAN_TRUNCATED;
	if (p[0] >> 4 != 2)
		return HP_R_ERSPAN_UNSUPPORTED;
	size_t hlen = (p[11] & 0x01) ? 20 : 12;
	unsigned ft = (p[10] >> 2) & 0x1f;

	if (len < hlen)
		return HP_R_ERSPAN_TRUNCATED;
	d->o->tunnel_id = hp_get_be16(p + 2) & 0x03ff;
	p += hlen;
	len -= hlen;
	switch (ft) {
	case 0:
		return hp_net_dec_eth(d, p, len);
	case 2:
		return hp_net_dec_ip_nibble(d, p, len, HP_R_ERSPAN_TRUNCATED, HP_R_ERSPAN_UNSUPPORTED);
	default:
		return HP_R_ERSPAN_UNSUPPORTED;
	}
}

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_A 0x0080  /* version 1 only */

/* RFC 2784 §2.1: C adds checksum and reserved1 (4 bytes); RFC 2890 §2: K a
 * 4-byte key, S a 4-byte sequence number. RFC 2637 §4.1 (PPTP, version 1):
 * K is mandatory (payload length and call id), S and A add sequence and
 * acknowledgement numbers, C and R are zero, the payload is PPP. The routing
 * of RFC 1701 (R) is obsolete (RFC 2784 §2.1) and not decoded. */
int hp_net_dec_gre(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	if (len < 4)
		return HP_R_GRE_TRUNCATED;
	uint16_t fl = hp_get_be16(p);
	uint16_t proto = hp_get_be16(p + 2);
	unsigned ver = fl & 0x0007;
	size_t hlen = 4;

	if (fl & GRE_R)
		return HP_R_GRE_UNSUPPORTED;
	if (ver == 1) {
		/* No S: an acknowledgement alone, no payload to decode. */
		if ((fl & GRE_C) || !(fl & GRE_K) || !(fl & GRE_S) || proto != ETHERTYPE_PPP)
			return HP_R_GRE_UNSUPPORTED;
	} else if (ver != 0) {
		return HP_R_GRE_UNSUPPORTED;
	}
	if (fl & GRE_C)
		hlen += 4;
	size_t key_off = hlen;

	if (fl & GRE_K)
		hlen += 4;
	if (fl & GRE_S)
		hlen += 4;
	if (ver == 1 && (fl & GRE_A))
		hlen += 4;
	if (len < hlen)
		return HP_R_GRE_TRUNCATED;
	if (ver == 1) {
		/* The key's high half is the payload length, its low half the
		 * call id that names the session. */
		size_t plen = hp_get_be16(p + key_off);

		d->o->tunnel_id = hp_get_be16(p + key_off + 2);
		if (plen < len - hlen)
			len = hlen + plen;
	} else if (fl & GRE_K) {
		d->o->tunnel_id = hp_get_be32(p + key_off);
	}
	p += hlen;
	len -= hlen;
	switch (proto) {
	case ETHERTYPE_TEB:
		return hp_net_dec_eth(d, p, len);
	case ETHERTYPE_ERSPAN2:
		return dec_erspan2(d, p, len, fl & GRE_S);
	case ETHERTYPE_ERSPAN3:
		return dec_erspan3(d, p, len);
	case ETHERTYPE_PPP:
		return dec_ppp(d, p, len);
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
	case ETHERTYPE_VLAN:
	case ETHERTYPE_QINQ:
	case ETHERTYPE_QINQ_OLD:
		/* RFC 2784 §2.4: the protocol type is an Ethernet type. */
		return hp_net_dec_ethertype(d, p, len, proto);
	default:
		return HP_R_GRE_UNSUPPORTED;
	}
}

/* RFC 7348 §5: flags(8) with I (0x08) set, reserved(24), VNI(24),
 * reserved(8), then an Ethernet frame. */
static int dec_vxlan(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	if (len < 8)
		return HP_R_VXLAN_TRUNCATED;
	if (!(p[0] & 0x08))
		return HP_R_VXLAN_BAD_FLAGS;
	d->o->tunnel_id = hp_get_be32(p + 4) >> 8;
	return hp_net_dec_eth(d, p + 8, len - 8);
}

/* RFC 8926 §3.4: Ver(2) = 0, Opt Len(6) in 4-byte words, O, C, reserved(6),
 * protocol type(16), VNI(24), reserved(8), options. */
static int dec_geneve(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	if (len < 8)
		return HP_R_GENEVE_TRUNCATED;
	if (p[0] >> 6 != 0)
		return HP_R_GENEVE_UNSUPPORTED;
	size_t hlen = 8 + (size_t)(p[0] & 0x3f) * 4;
	uint16_t proto = hp_get_be16(p + 2);

	if (len < hlen)
		return HP_R_GENEVE_TRUNCATED;
	d->o->tunnel_id = hp_get_be32(p + 4) >> 8;
	p += hlen;
	len -= hlen;
	switch (proto) {
	case ETHERTYPE_TEB:
		return hp_net_dec_eth(d, p, len);
	case ETHERTYPE_IPV4:
		return hp_net_dec_ip4(d, p, len);
	case ETHERTYPE_IPV6:
		return hp_net_dec_ip6(d, p, len);
	default:
		return HP_R_GENEVE_UNSUPPORTED;
	}
}

/* 3GPP TS 29.281 §5.1: Version(3) = 1, PT(1) = 1, spare, E, S, PN; message
 * type; length of what follows the first 8 bytes; TEID. Any of E, S, PN adds
 * sequence number(16), N-PDU number(8) and next extension header type(8);
 * §5.2.1: each extension header is its length in 4-byte units (at least 1),
 * its content, and the type of the next one (0: none). */
static int dec_gtpu(struct hp_net_dec *d, const uint8_t *p, size_t len)
{
	if (len < 8)
		return HP_R_GTP_TRUNCATED;
	/* PT 0 is GTP' (TS 32.295), charging, not user plane. */
	if (p[0] >> 5 != 1 || !(p[0] & 0x10))
		return HP_R_GTP_UNSUPPORTED;
	if (p[1] != GTP_GPDU)
		return HP_R_GTP_NOT_GPDU;
	size_t end = 8 + (size_t)hp_get_be16(p + 2);
	size_t off = 8;

	/* Past the declared length is padding, not the T-PDU. */
	if (end < len)
		len = end;
	d->o->tunnel_id = hp_get_be32(p + 4);
	if (p[0] & 0x07) {
		if (len < 12)
			return HP_R_GTP_TRUNCATED;
		uint8_t next = (p[0] & 0x04) ? p[11] : 0;

		off = 12;
		while (next != 0) {
			if (len - off < 4)
				return HP_R_GTP_TRUNCATED;
			size_t elen = (size_t)p[off] * 4;

			if (elen == 0)
				return HP_R_GTP_UNSUPPORTED;
			if (len - off < elen)
				return HP_R_GTP_TRUNCATED;
			next = p[off + elen - 1];
			off += elen;
		}
	}
	/* The T-PDU of an S1-U / N3 bearer is an IP packet (TS 29.281 §5.1). */
	return hp_net_dec_ip_nibble(d, p + off, len - off, HP_R_GTP_TRUNCATED, HP_R_GTP_UNSUPPORTED);
}

int hp_net_dec_udp_tunnel(struct hp_net_dec *d, uint16_t port, const uint8_t *p, size_t len)
{
	const struct hp_net_opts *t = d->opts;

	/* A port set to 0 is off; UDP port 0 is not a tunnel. */
	if (port == 0)
		return HP_R_OK;
	enum hp_net_layer kind = port == t->vxlan_port ? HP_NET_L_VXLAN :
				 port == t->geneve_port ? HP_NET_L_GENEVE : HP_NET_L_GTPU;
	int r = hp_net_enter_tunnel(d, kind);

	if (r != HP_R_OK)
		return r;
	switch (kind) {
	case HP_NET_L_VXLAN:
		return dec_vxlan(d, p, len);
	case HP_NET_L_GENEVE:
		return dec_geneve(d, p, len);
	default:
		return dec_gtpu(d, p, len);
	}
}
