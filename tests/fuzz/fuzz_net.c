/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lib/net and lib/csum. Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     tests/fuzz/fuzz_net.c lib/net/net.c lib/net/tunnel.c lib/csum/csum.c \
 *     lib/common/reason.c -o fuzz_net
 * Each input is decoded as every link type, under three option sets (the
 * defaults; every UDP tunnel off with a small depth limit; the tunnel ports
 * moved onto the SIP ports with the largest limit, so SIP seeds are read as
 * tunnels too), and as an IP datagram after each frame, as reassembly
 * would. Beyond "no crash, no read past len" it checks that a decode points
 * only inside the input, that the layer record is consistent, that fragment
 * info lies inside the input, and that the UDP checksum verdict agrees with
 * the decoder about lengths. */
#include <stdlib.h>

#include "csum/csum.h"
#include "net/net.h"

static const int linktypes[] = {
	HP_LINK_ETHERNET, HP_LINK_DLT_RAW, HP_LINK_RAW, HP_LINK_LINUX_SLL,
	HP_LINK_IPV4, HP_LINK_IPV6, HP_LINK_LINUX_SLL2,
};

static const struct hp_net_opts opt_sets[] = {
	{ .vxlan_port = 4789, .geneve_port = 6081, .gtpu_port = 2152, .max_depth = 16 },
	{ .vxlan_port = 0, .geneve_port = 0, .gtpu_port = 0, .max_depth = 4 },
	{ .vxlan_port = 5060, .geneve_port = 5080, .gtpu_port = 5062, .max_depth = 255 },
};

static bool inside(const uint8_t *p, size_t len, const uint8_t *q, size_t n)
{
	return q >= p && q <= p + len && n <= (size_t)(p + len - q);
}

static void check_layers(const struct hp_pkt *k, const struct hp_net_opts *o)
{
	unsigned vlans = 0, tunnels = 0;

	if (k->layer_count > HP_NET_MAX_LAYERS || k->layer_count > o->max_depth)
		abort();
	for (unsigned i = 0; i < k->layer_count; i++) {
		if (k->layers[i] >= HP_NET_L_MAX)
			abort();
		vlans += k->layers[i] == HP_NET_L_VLAN;
		tunnels += k->layers[i] == HP_NET_L_IP4 || k->layers[i] == HP_NET_L_IP6;
	}
	if (k->vlan_depth > vlans || k->tunnel_depth != tunnels)
		abort();
}

static void check_frag(const uint8_t *p, size_t len, const struct hp_pkt *k)
{
	const struct hp_pkt_frag *f = &k->frag;

	/* IPv6: the Fragment header sits between the two */
	const uint8_t *data = f->hdr + f->hdr_len + (k->ip_version == 6 ? 8 : 0);

	if (!inside(p, len, f->hdr, f->hdr_len) || f->data != data ||
	    !inside(p, len, f->data, f->data_len))
		abort();
	if (k->ip_version == 4 ? f->nh_off != 0 : (f->nh_off < 6 || f->nh_off >= f->hdr_len))
		abort();
	if (k->ip_version == 6 && f->hdr[f->nh_off] != 44)
		abort();
}

static void check(const uint8_t *p, size_t len, const struct hp_pkt *k)
{
	const uint8_t *end = p + len;

	if (k->l3 < p || k->l3 > end || k->l4 < k->l3 || k->l4 > end)
		abort();
	if (k->l4_cap > k->l4_len || k->l4 + k->l4_cap > end)
		abort();
	if (k->payload && (k->payload < k->l4 || k->payload + k->payload_len > end))
		abort();
	if (k->ip_version != 4 && k->ip_version != 6)
		abort();
	if (k->l4_proto != 17)
		return;

	enum hp_csum_verdict v = k->ip_version == 4 ?
		hp_csum_udp4(k->src_addr, k->dst_addr, k->l4, k->l4_len, k->l4_cap) :
		hp_csum_udp6(k->src_addr, k->dst_addr, k->l4, k->l4_len, k->l4_cap);

	if (v < 0 || v >= HP_CSUM_MAX)
		abort();
	/* no payload exactly when the UDP length is invalid */
	if ((v == HP_CSUM_BAD_LENGTH) != (k->payload == NULL))
		abort();
	if ((v == HP_CSUM_TRUNCATED) != k->payload_truncated)
		abort();
}

static void check_result(const uint8_t *p, size_t len, int rc, const struct hp_pkt *k,
			 const struct hp_net_opts *o)
{
	if (rc < HP_R_OK || rc >= HP_R_MAX)
		abort();
	check_layers(k, o);
	if (k->eth && !inside(p, len, k->eth, 14))
		abort();
	if (rc == HP_R_OK)
		check(p, len, k);
	if (rc == HP_R_IP4_FRAGMENT || rc == HP_R_IP6_FRAGMENT)
		check_frag(p, len, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t s = 0; s < HP_ARRAY_LEN(opt_sets); s++) {
		const struct hp_net_opts *o = &opt_sets[s];

		for (size_t i = 0; i < HP_ARRAY_LEN(linktypes); i++) {
			struct hp_pkt k;
			int rc = hp_net_decode_opts(data, size, linktypes[i], o, &k);

			check_result(data, size, rc, &k, o);
			if (s == 0 && hp_net_decode(data, size, linktypes[i], &k) != rc)
				abort();
			/* the same bytes as a reassembled datagram completed by
			 * this frame: the link fields stay, the rest is redone */
			const uint8_t *eth = k.eth;
			uint8_t depth = k.tunnel_depth;
			uint8_t n = k.layer_count;

			rc = hp_net_decode_ip_opts(data, size, o, &k);
			if (k.tunnel_depth < depth || k.layer_count < n)
				abort();
			/* only an Ethernet inside a new tunnel replaces it */
			if (k.eth != eth && k.tunnel_depth == depth)
				abort();
			if (rc < HP_R_OK || rc >= HP_R_MAX)
				abort();
			if (k.eth && !inside(data, size, k.eth, 14))
				abort();
			if (rc == HP_R_OK)
				check(data, size, &k);
			if (rc == HP_R_IP4_FRAGMENT || rc == HP_R_IP6_FRAGMENT)
				check_frag(data, size, &k);
		}
	}
	return 0;
}
