/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame decoder: link layer (Ethernet, VLAN/QinQ, Linux SLL/SLL2, raw IP),
 * IPv4, IPv6 with its extension-header chain, UDP and TCP headers.
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

#define HP_NET_MAX_VLAN 4      /* stacked 802.1Q / 802.1ad / 0x9100 tags walked */
#define HP_NET_MAX_IP6_EXT 8   /* IPv6 extension headers walked */

struct hp_pkt {
	/* link layer */
	const uint8_t *eth;        /* Ethernet header, NULL for other link types */
	uint16_t ethertype;        /* of the IP header (after VLAN tags) */
	uint16_t vlan_id;          /* innermost VLAN id, valid when vlan_depth > 0 */
	uint8_t vlan_depth;

	/* network layer */
	uint8_t ip_version;        /* 4 or 6 */
	uint8_t l4_proto;          /* IPPROTO_UDP, IPPROTO_TCP, ... */
	uint8_t tos;               /* IPv4 TOS / IPv6 traffic class */
	uint8_t src_addr[16];      /* IPv4 uses the first 4 bytes */
	uint8_t dst_addr[16];
	const uint8_t *l3;         /* IP header */
	uint32_t l3_len;           /* IP datagram length the header declares */
	bool l3_truncated;         /* frame holds fewer bytes than l3_len */

	/* transport layer */
	const uint8_t *l4;         /* UDP/TCP header */
	uint32_t l4_len;           /* L4 length the IP header declares (IP payload minus ext headers) */
	uint32_t l4_cap;           /* bytes of L4 actually in the frame (<= l4_len, padding excluded) */
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t udp_len;          /* UDP length field */
	uint8_t tcp_flags;
	uint32_t tcp_seq;

	/* application payload: UDP per its length field, TCP after the options;
	 * only the bytes present in the frame (see payload_truncated) */
	const uint8_t *payload;
	uint32_t payload_len;
	bool payload_truncated;
};

/* Decode one frame of the given link type. On HP_R_OK, the fields up to the
 * transport layer are valid. A UDP datagram whose frame is shorter than its
 * UDP length still decodes (payload_truncated is set) so that its checksum
 * verdict can be counted; the caller decides what to do with it. */
int hp_net_decode(const uint8_t *p, size_t len, int linktype, struct hp_pkt *out);

#endif
