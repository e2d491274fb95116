/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame decoder, as a stack of layers each naming what follows it: link layer
 * (Ethernet, Linux SLL/SLL2, raw IP), 802.1Q/802.1ad tags, MPLS, PPPoE/PPP,
 * IPv4, IPv6 with its extension-header chain, tunnels (GRE, ERSPAN, VXLAN,
 * Geneve, GTP-U, IP-in-IP) and the innermost UDP, TCP or SCTP header.
 * The inner packet of a tunnel is decoded exactly as if it were native.
 * Bounds-checked; never reads past len; returns an enum hp_reason. */
#ifndef HP_NET_H
#define HP_NET_H

#include <stdbool.h>
#include "common/hp_common.h"
#include "common/reason.h"

/* pcap LINKTYPE_* values the decoder accepts. */
enum hp_linktype {
	HP_LINK_ETHERNET = 1,
	HP_LINK_DLT_RAW = 12,   /* raw IP as pcap_datalink() reports LINKTYPE_RAW (DLT_RAW) */
	HP_LINK_RAW = 101,      /* raw IPv4/IPv6, version from the first nibble */
	HP_LINK_LINUX_SLL = 113,
	HP_LINK_IPV4 = 228,
	HP_LINK_IPV6 = 229,
	HP_LINK_LINUX_SLL2 = 276,
};

#define HP_NET_MAX_IP6_EXT 8   /* IPv6 extension headers walked per IPv6 header */
#define HP_NET_MAX_LAYERS 32   /* ceiling of hp_net_opts.max_depth: size of hp_pkt.layers */
#define HP_NET_DEFAULT_DEPTH 16

#define HP_NET_VXLAN_PORT 4789  /* RFC 7348 §5 */
#define HP_NET_GENEVE_PORT 6081 /* RFC 8926 §3.3 */
#define HP_NET_GTPU_PORT 2152   /* 3GPP TS 29.281 §4.4.2.3 */

/* Kinds of the layers crossed before the innermost IP header, as recorded in
 * hp_pkt.layers (outermost first). An IP tunnel records its outer IP header
 * and then the tunnel kind; IP directly inside IP records IPIP. */
#define HP_NET_LAYER_LIST(X) \
	X(VLAN, "vlan")          /* one 802.1Q / 802.1ad / 0x9100 tag */ \
	X(MPLS, "mpls")          /* one label stack entry */ \
	X(PPPOE, "pppoe")        /* PPPoE session header */ \
	X(PPP, "ppp")            /* PPP header (in PPPoE or GRE) */ \
	X(IP4, "ipv4")           /* an outer IPv4 header */ \
	X(IP6, "ipv6")           /* an outer IPv6 header */ \
	X(IPIP, "ipip")          /* IPv4/IPv6 directly inside IPv4/IPv6 */ \
	X(GRE, "gre") \
	X(ERSPAN1, "erspan1") \
	X(ERSPAN2, "erspan2") \
	X(ERSPAN3, "erspan3") \
	X(VXLAN, "vxlan") \
	X(GENEVE, "geneve") \
	X(GTPU, "gtpu")

enum hp_net_layer {
#define HP_NET_LAYER_ENUM(id, name) HP_NET_L_##id,
	HP_NET_LAYER_LIST(HP_NET_LAYER_ENUM)
#undef HP_NET_LAYER_ENUM
	HP_NET_L_MAX
};

/* Decoder options. A port of 0 turns that UDP tunnel off. max_depth bounds
 * the number of layers recorded in hp_pkt.layers (capped at
 * HP_NET_MAX_LAYERS); plain Ethernet/IP/UDP records none. */
struct hp_net_opts {
	uint16_t vxlan_port;
	uint16_t geneve_port;
	uint16_t gtpu_port;
	uint8_t max_depth;
};

/* The fragmented IP layer, filled whenever decode returns HP_R_IP4_FRAGMENT
 * or HP_R_IP6_FRAGMENT (at whatever tunnel depth it is). */
struct hp_pkt_frag {
	const uint8_t *hdr;     /* start of the fragment's IP header */
	uint32_t hdr_len;       /* unfragmentable part: IPv4 header with options; IPv6 header + ext headers before the Fragment header */
	uint32_t nh_off;        /* IPv6: offset within hdr of the Next Header byte naming the Fragment header (6 when it follows the fixed header); 0 for IPv4 */
	uint32_t id;            /* IPv4 16-bit identification / IPv6 32-bit identification */
	uint32_t offset;        /* fragment offset in bytes */
	bool more;              /* MF / M flag */
	uint8_t proto;          /* IPv4 protocol / IPv6 next header after the Fragment header */
	const uint8_t *data;    /* fragment data */
	uint32_t data_len;      /* data bytes present in the frame (declared length capped by the capture, link padding excluded) */
	bool truncated;         /* frame shorter than the datagram's declared length */
};

/* Everything below describes the innermost layer of its kind: the innermost
 * Ethernet header and its VLAN tags, the innermost IP header and the
 * transport header inside it. On a reason other than OK or a fragment, the
 * network fields describe the innermost IP header reached. */
struct hp_pkt {
	/* link layer */
	const uint8_t *eth;        /* innermost Ethernet header, NULL if there is none */
	uint16_t ethertype;        /* of the innermost IP header (after VLAN tags) */
	uint16_t vlan_id;          /* innermost VLAN id of that Ethernet, valid when vlan_depth > 0 */
	uint8_t vlan_depth;        /* tags in front of that Ethernet's payload */

	/* encapsulation */
	uint8_t tunnel_depth;      /* IP tunnels crossed (outer IP headers) */
	uint8_t layer_count;       /* entries in layers[] */
	uint32_t tunnel_id;        /* of the innermost tunnel: GRE key, VXLAN/Geneve VNI, GTP-U TEID; else 0 */

	/* network layer (hp_net_decode_ip resets from here on) */
	uint8_t ip_version;        /* 4 or 6 */
	uint8_t l4_proto;          /* IPPROTO_UDP, IPPROTO_TCP, ... */
	uint8_t tos;               /* IPv4 TOS / IPv6 traffic class */
	uint8_t src_addr[16];      /* IPv4 uses the first 4 bytes */
	uint8_t dst_addr[16];
	const uint8_t *l3;         /* IP header */
	uint32_t l3_len;           /* IP datagram length the header declares */
	bool l3_truncated;         /* frame holds fewer bytes than l3_len */

	/* transport layer */
	const uint8_t *l4;         /* UDP/TCP/SCTP header */
	uint32_t l4_len;           /* L4 length the IP header declares (IP payload minus ext headers) */
	uint32_t l4_cap;           /* bytes of L4 actually in the frame (<= l4_len, padding excluded) */
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t udp_len;          /* UDP length field */
	uint8_t tcp_flags;
	uint32_t tcp_seq;

	/* application payload: UDP per its length field, TCP after the options,
	 * SCTP chunks after the common header; only the bytes present in the
	 * frame (see payload_truncated) */
	const uint8_t *payload;
	uint32_t payload_len;
	bool payload_truncated;

	/* Not cleared per frame, so that the RTP path does not pay for them:
	 * layers[] is valid up to layer_count, frag only when decode returned
	 * HP_R_IP4_FRAGMENT or HP_R_IP6_FRAGMENT. */
	uint8_t layers[HP_NET_MAX_LAYERS]; /* enum hp_net_layer, outermost first */
	struct hp_pkt_frag frag;
};

/* VXLAN 4789, Geneve 6081, GTP-U 2152, depth HP_NET_DEFAULT_DEPTH. */
void hp_net_opts_defaults(struct hp_net_opts *o);

/* Decode one frame of the given link type. On HP_R_OK, the fields up to the
 * transport layer are valid. A UDP datagram whose frame is shorter than its
 * UDP length still decodes (payload_truncated is set) so that its checksum
 * verdict can be counted; the caller decides what to do with it. */
int hp_net_decode_opts(const uint8_t *p, size_t len, int linktype, const struct hp_net_opts *o,
		       struct hp_pkt *out);

/* hp_net_decode_opts() with hp_net_opts_defaults(). */
int hp_net_decode(const uint8_t *p, size_t len, int linktype, struct hp_pkt *out);

/* Decode from an IP header (version from the first nibble), e.g. a
 * reassembled datagram, through any tunnels inside it. Keeps the link, VLAN
 * and encapsulation fields already in *out (from the frame that completed
 * the datagram) and resets the rest. */
int hp_net_decode_ip_opts(const uint8_t *p, size_t len, const struct hp_net_opts *o,
			  struct hp_pkt *out);
int hp_net_decode_ip(const uint8_t *p, size_t len, struct hp_pkt *out);

/* "vlan", "gre", ... for an enum hp_net_layer; "unknown" otherwise. */
const char *hp_net_layer_name(unsigned kind);

#endif
