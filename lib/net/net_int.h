/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared between net.c (link, IP, transport) and tunnel.c (the encapsulation
 * layers): each layer decoder hands the bytes after its header to the decoder
 * of what it says follows. Not part of the module's interface. */
#ifndef HP_NET_INT_H
#define HP_NET_INT_H

#include "net/net.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100      /* IEEE 802.1Q */
#define ETHERTYPE_QINQ 0x88a8      /* IEEE 802.1ad service tag */
#define ETHERTYPE_QINQ_OLD 0x9100  /* pre-802.1ad vendor QinQ */
#define ETHERTYPE_MPLS 0x8847      /* RFC 3032 §5 */
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE 0x8864     /* RFC 2516 §4: session stage */
#define ETHERTYPE_TEB 0x6558       /* transparent Ethernet bridging */
#define ETHERTYPE_PPP 0x880b       /* RFC 2637 §4.1: PPP in enhanced GRE */
#define ETHERTYPE_ERSPAN2 0x88be   /* ERSPAN type I and II */
#define ETHERTYPE_ERSPAN3 0x22eb

#define ETH_HLEN 14

/* One decode: where the result goes and the options it runs with (read in
 * place: setting up a decode costs two stores on the RTP path). */
struct hp_net_dec {
	struct hp_pkt *o;
	const struct hp_net_opts *opts;
};

/* The depth limit, never more than layers[] holds. */
static inline unsigned hp_net_max_depth(const struct hp_net_dec *d)
{
	return d->opts->max_depth < HP_NET_MAX_LAYERS ? d->opts->max_depth : HP_NET_MAX_LAYERS;
}

/* Records one layer crossed; too_deep is returned past the depth limit. */
static inline int hp_net_push(struct hp_net_dec *d, enum hp_net_layer kind, int too_deep)
{
	struct hp_pkt *o = d->o;

	if (o->layer_count >= hp_net_max_depth(d))
		return too_deep;
	o->layers[o->layer_count++] = (uint8_t)kind;
	return HP_R_OK;
}

/* net.c */
int hp_net_dec_eth(struct hp_net_dec *d, const uint8_t *p, size_t len);
int hp_net_dec_ethertype(struct hp_net_dec *d, const uint8_t *p, size_t len, uint16_t type);
int hp_net_dec_ip4(struct hp_net_dec *d, const uint8_t *p, size_t len);
int hp_net_dec_ip6(struct hp_net_dec *d, const uint8_t *p, size_t len);
int hp_net_dec_ip_nibble(struct hp_net_dec *d, const uint8_t *p, size_t len, int trunc, int other);

/* tunnel.c */
int hp_net_dec_mpls(struct hp_net_dec *d, const uint8_t *p, size_t len);
int hp_net_dec_pppoe(struct hp_net_dec *d, const uint8_t *p, size_t len);
int hp_net_dec_gre(struct hp_net_dec *d, const uint8_t *p, size_t len);
int hp_net_dec_udp_tunnel(struct hp_net_dec *d, uint16_t port, const uint8_t *p, size_t len);
/* Enters the IP tunnel whose outer IP header is the current one: records it
 * and the tunnel kind, and forgets the outer transport fields. */
int hp_net_enter_tunnel(struct hp_net_dec *d, enum hp_net_layer kind);

#endif
