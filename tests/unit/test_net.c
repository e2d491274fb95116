/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/net: frames built byte by byte here, decoded whole and cut at every
 * length. Expected offsets are counted by hand from the header sizes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

struct frame {
	uint8_t b[1024];
	size_t len;
};

static void put(struct frame *f, const void *p, size_t n)
{
	cr_assert_leq(f->len + n, sizeof(f->b));
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, b, 2);
}

static void put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void zeros(struct frame *f, size_t n)
{
	cr_assert_leq(f->len + n, sizeof(f->b));
	memset(f->b + f->len, 0, n);
	f->len += n;
}

static const uint8_t mac_dst[6] = { 0x00, 0x0c, 0x29, 0xf8, 0x0d, 0x44 };
static const uint8_t mac_src[6] = { 0x00, 0x0c, 0x29, 0x3a, 0xa6, 0x0f };
static const uint8_t ip4_src[4] = { 10, 0, 0, 1 };
static const uint8_t ip4_dst[4] = { 192, 168, 20, 130 };
static const uint8_t ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const char sip[] = "OPTIONS sip:a SIP/2.0\r\n"; /* 23 bytes */
#define SIP_LEN 23u

static void eth(struct frame *f, uint16_t type)
{
	put(f, mac_dst, 6);
	put(f, mac_src, 6);
	put16(f, type);
}

/* One VLAN tag: TCI, then the type of what follows. */
static void tag(struct frame *f, uint16_t tci, uint16_t next)
{
	put16(f, tci);
	put16(f, next);
}

/* IPv4 header, IHL in words; options filled with a Router Alert (RFC 2113)
 * and NOPs. Header checksum left 0: the decoder does not check it. */
static void ip4a(struct frame *f, unsigned ihl, uint16_t total, uint16_t frag, uint8_t proto,
		 const uint8_t *src, const uint8_t *dst);

static void ip4(struct frame *f, unsigned ihl, uint16_t total, uint16_t frag, uint8_t proto)
{
	ip4a(f, ihl, total, frag, proto, ip4_src, ip4_dst);
}

static void ip4a(struct frame *f, unsigned ihl, uint16_t total, uint16_t frag, uint8_t proto,
		 const uint8_t *src, const uint8_t *dst)
{
	put8(f, (uint8_t)(0x40 | ihl));
	put8(f, 0xb8); /* DSCP EF */
	put16(f, total);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put(f, src, 4);
	put(f, dst, 4);
	for (unsigned i = 20; i < ihl * 4; i += 4) {
		if (i == 20) {
			put32(f, 0x94040000);
		} else {
			put32(f, 0x01010101);
		}
	}
}

static void ip6a(struct frame *f, uint16_t plen, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	put32(f, 0x6b812345); /* traffic class 0xb8, flow label 0x12345 */
	put16(f, plen);
	put8(f, nh);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
}

static void ip6(struct frame *f, uint16_t plen, uint8_t nh)
{
	ip6a(f, plen, nh, ip6_src, ip6_dst);
}

static void udp(struct frame *f, uint16_t len)
{
	put16(f, 5060);
	put16(f, 5080);
	put16(f, len);
	put16(f, 0);
}

static void sip_payload(struct frame *f)
{
	put(f, sip, SIP_LEN);
}

/* Expected reason for a frame cut at a length below each layer's end. */
struct layer {
	size_t end;
	int reason;
};

/* Decode f cut to every length 0..len-1 from an exactly sized heap copy
 * (so a sanitizer or valgrind sees any over-read); the reason must be the
 * one of the first layer the cut falls in, else final_r. Successful
 * decodes must point only inside the cut and flag the truncation. */
static void sweep(const struct frame *f, int linktype, const struct layer *ly, size_t n,
		  int final_r, size_t dgram_end)
{
	for (size_t cut = 0; cut < f->len; cut++) {
		uint8_t *buf = malloc(cut ? cut : 1);
		struct hp_pkt k;
		int want = final_r;

		cr_assert_not_null(buf);
		memcpy(buf, f->b, cut);
		for (size_t i = 0; i < n; i++) {
			if (cut < ly[i].end) {
				want = ly[i].reason;
				break;
			}
		}
		int r = hp_net_decode(buf, cut, linktype, &k);

		cr_assert_eq(r, want, "cut %zu: got %s want %s", cut, hp_reason_label(r),
			     hp_reason_label(want));
		if (r == HP_R_OK) {
			const uint8_t *end = buf + cut;

			cr_assert(k.l4 != NULL && k.l4 <= end, "cut %zu", cut);
			cr_assert_eq((size_t)(k.l4 - buf) + k.l4_cap, cut < dgram_end ? cut : dgram_end,
				     "cut %zu", cut);
			cr_assert_leq(k.l4_cap, k.l4_len, "cut %zu", cut);
			cr_assert(k.payload == NULL || k.payload + k.payload_len <= end, "cut %zu", cut);
			cr_assert_eq(k.payload_truncated, cut < dgram_end, "cut %zu", cut);
			cr_assert_eq(k.l3_truncated, cut < dgram_end, "cut %zu", cut);
		}
		free(buf);
	}
}

static void assert_ip4_addrs(const struct hp_pkt *k)
{
	cr_assert_eq(memcmp(k->src_addr, ip4_src, 4), 0);
	cr_assert_eq(memcmp(k->dst_addr, ip4_dst, 4), 0);
}

static void assert_ip6_addrs(const struct hp_pkt *k)
{
	cr_assert_eq(memcmp(k->src_addr, ip6_src, 16), 0);
	cr_assert_eq(memcmp(k->dst_addr, ip6_dst, 16), 0);
}

static void assert_sip_udp(const struct hp_pkt *k, const uint8_t *l4)
{
	cr_assert_eq(k->l4_proto, 17);
	cr_assert_eq(k->l4, l4);
	cr_assert_eq(k->src_port, 5060);
	cr_assert_eq(k->dst_port, 5080);
	cr_assert_eq(k->udp_len, 8 + SIP_LEN);
	cr_assert_eq(k->payload, l4 + 8);
	cr_assert_eq(k->payload_len, SIP_LEN);
	cr_assert_not(k->payload_truncated);
	cr_assert_eq(memcmp(k->payload, sip, SIP_LEN), 0);
}

/* Ethernet / IPv4 / UDP / 23-byte SIP: 14 + 20 + 8 + 23 = 65 bytes. */
static struct frame eth_ip4_udp(void)
{
	struct frame f = { .len = 0 };

	eth(&f, 0x0800);
	ip4(&f, 5, 20 + 8 + SIP_LEN, 0x4000, 17);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	return f;
}

Test(net, eth_ip4_udp)
{
	struct frame f = eth_ip4_udp();
	struct hp_pkt k;

	cr_assert_eq(f.len, 65);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.eth, f.b);
	cr_assert_eq(k.ethertype, 0x0800);
	cr_assert_eq(k.vlan_depth, 0);
	cr_assert_eq(k.ip_version, 4);
	cr_assert_eq(k.tos, 0xb8);
	assert_ip4_addrs(&k);
	cr_assert_eq(k.l3, f.b + 14);
	cr_assert_eq(k.l3_len, 51);
	cr_assert_not(k.l3_truncated);
	cr_assert_eq(k.l4_len, 31);
	cr_assert_eq(k.l4_cap, 31);
	assert_sip_udp(&k, f.b + 34);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 42, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, 65);
}

Test(net, ethernet_padding_is_not_datagram)
{
	/* 14 + 20 + 8 + 2 = 44 bytes, padded to the 60-byte Ethernet minimum
	 * with non-zero bytes. */
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	eth(&f, 0x0800);
	ip4(&f, 5, 30, 0, 17);
	udp(&f, 10);
	put16(&f, 0x0d0a);
	while (f.len < 60)
		put8(&f, 0xee);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.l3_len, 30);
	cr_assert_eq(k.l4_len, 10);
	cr_assert_eq(k.l4_cap, 10);
	cr_assert_eq(k.payload_len, 2);
	cr_assert_not(k.payload_truncated);
	cr_assert_not(k.l3_truncated);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 42, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, 44);
}

Test(net, qinq_two_tags)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	eth(&f, 0x88a8);
	tag(&f, 100, 0x8100);
	tag(&f, 0xa000 | 200, 0x0800); /* PCP 5 must not leak into the id */
	ip4(&f, 5, 20 + 8 + SIP_LEN, 0, 17);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.vlan_depth, 2);
	cr_assert_eq(k.vlan_id, 200);
	cr_assert_eq(k.ethertype, 0x0800);
	cr_assert_eq(k.l3, f.b + 22);
	assert_sip_udp(&k, f.b + 42);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 22, HP_R_VLAN_TRUNCATED },
				    { 42, HP_R_IP4_TRUNCATED }, { 50, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);
}

Test(net, qinq_three_tags_all_tpids)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	eth(&f, 0x9100);
	tag(&f, 10, 0x88a8);
	tag(&f, 20, 0x8100);
	tag(&f, 0xf000 | 4095, 0x86dd);
	ip6(&f, 8 + SIP_LEN, 17);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.vlan_depth, 3);
	cr_assert_eq(k.vlan_id, 4095);
	cr_assert_eq(k.ethertype, 0x86dd);
	cr_assert_eq(k.ip_version, 6);
	cr_assert_eq(k.tos, 0xb8);
	assert_ip6_addrs(&k);
	cr_assert_eq(k.l3, f.b + 26);
	cr_assert_eq(k.l3_len, 40 + 31);
	assert_sip_udp(&k, f.b + 66);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 26, HP_R_VLAN_TRUNCATED },
				    { 66, HP_R_IP6_TRUNCATED }, { 74, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);
}

Test(net, vlan_depth_limit)
{
	/* Tags are bounded only by the overall layer depth limit. */
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	cr_assert_eq(HP_NET_DEFAULT_DEPTH, 16);
	eth(&f, 0x8100);
	for (uint16_t i = 1; i <= 16; i++)
		tag(&f, i, i == 16 ? 0x0800 : (i & 1 ? 0x88a8 : 0x8100));
	ip4(&f, 5, 28, 0, 17);
	udp(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.vlan_depth, 16);
	cr_assert_eq(k.vlan_id, 16);
	cr_assert_eq(k.layer_count, 16);
	cr_assert_eq(k.layers[15], HP_NET_L_VLAN);
	cr_assert_eq(k.tunnel_depth, 0);
	cr_assert_eq(k.payload_len, 0);

	f.len = 0;
	eth(&f, 0x8100);
	for (uint16_t i = 1; i <= 17; i++)
		tag(&f, i, i == 17 ? 0x0800 : 0x8100);
	ip4(&f, 5, 28, 0, 17);
	udp(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_VLAN_TOO_DEEP);

	/* the limit is an option */
	struct hp_net_opts o;

	hp_net_opts_defaults(&o);
	o.max_depth = 17;
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_ETHERNET, &o, &k), HP_R_OK);
	cr_assert_eq(k.vlan_id, 17);
	o.max_depth = 0;
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_ETHERNET, &o, &k), HP_R_VLAN_TOO_DEEP);
}

Test(net, ip4_options)
{
	/* IHL 7: 20 + 8 bytes of options (Router Alert, NOPs). */
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	eth(&f, 0x0800);
	ip4(&f, 7, 28 + 8 + SIP_LEN, 0, 17);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.l3, f.b + 14);
	cr_assert_eq(k.l4_len, 8 + SIP_LEN);
	assert_sip_udp(&k, f.b + 42);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 42, HP_R_IP4_TRUNCATED },
				    { 50, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);
}

/* IPv6 + hop-by-hop (8) + destination options (16) + UDP + SIP. */
static struct frame ip6_ext_frame(void)
{
	struct frame f = { .len = 0 };

	ip6(&f, 8 + 16 + 8 + SIP_LEN, 0);
	put8(&f, 60);
	put8(&f, 0);
	put8(&f, 1); /* PadN, 4 bytes of padding */
	put8(&f, 4);
	zeros(&f, 4);
	put8(&f, 17);
	put8(&f, 1);
	put8(&f, 1); /* PadN, 12 bytes */
	put8(&f, 12);
	zeros(&f, 12);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	return f;
}

Test(net, ip6_extension_chain_raw)
{
	struct frame f = ip6_ext_frame();
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_RAW, &k), HP_R_OK);
	cr_assert_null(k.eth);
	cr_assert_eq(k.ethertype, 0x86dd);
	cr_assert_eq(k.l3, f.b);
	cr_assert_eq(k.l3_len, 40 + 24 + 31);
	cr_assert_eq(k.l4_len, 31);
	cr_assert_eq(k.l4_cap, 31);
	assert_ip6_addrs(&k);
	assert_sip_udp(&k, f.b + 64);

	const struct layer ly[] = { { 1, HP_R_LINK_TRUNCATED }, { 40, HP_R_IP6_TRUNCATED },
				    { 64, HP_R_IP6_EXT_TRUNCATED }, { 72, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_RAW, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	/* LINKTYPE_IPV6 has no version to dispatch on: cut 0 is IPv6 truncated. */
	const struct layer ly6[] = { { 40, HP_R_IP6_TRUNCATED }, { 64, HP_R_IP6_EXT_TRUNCATED },
				     { 72, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_IPV6, ly6, HP_ARRAY_LEN(ly6), HP_R_OK, f.len);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_IP4_BAD_VERSION);
}

Test(net, ip6_ah)
{
	/* AH with payload length 4: (4 + 2) * 4 = 24 bytes (RFC 4302 §2.2). */
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	ip6(&f, 24 + 8 + SIP_LEN, 51);
	put8(&f, 17);
	put8(&f, 4);
	zeros(&f, 22);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_OK);
	assert_sip_udp(&k, f.b + 64);
}

Test(net, ip6_ext_past_payload)
{
	/* A destination-options header claiming 16 bytes in an 8-byte payload. */
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	ip6(&f, 8, 60);
	put8(&f, 17);
	put8(&f, 1);
	zeros(&f, 6);
	zeros(&f, 16); /* bytes beyond the payload length: link padding */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_IP6_EXT_TRUNCATED);
}

Test(net, ip6_ext_too_many)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	unsigned n = HP_NET_MAX_IP6_EXT + 1;

	ip6(&f, (uint16_t)(8 * n + 8), 60);
	for (unsigned i = 0; i < n; i++) {
		put8(&f, i + 1 == n ? 17 : 60);
		put8(&f, 0);
		zeros(&f, 6);
	}
	udp(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_IP6_EXT_TOO_MANY);

	/* exactly the limit is walked */
	f.len = 0;
	n = HP_NET_MAX_IP6_EXT;
	ip6(&f, (uint16_t)(8 * n + 8), 60);
	for (unsigned i = 0; i < n; i++) {
		put8(&f, i + 1 == n ? 17 : 60);
		put8(&f, 0);
		zeros(&f, 6);
	}
	udp(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_OK);
	cr_assert_eq(k.l4, f.b + 40 + 8 * n);
}

static struct frame ip6_frag(uint16_t offm)
{
	struct frame f = { .len = 0 };

	eth(&f, 0x86dd);
	ip6(&f, 8 + 8 + SIP_LEN, 44);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, offm);
	put32(&f, 0xdeadbeef);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	return f;
}

Test(net, ip6_fragment)
{
	struct hp_pkt k;
	struct frame f = ip6_frag(0x0001); /* offset 0, M = 1: first fragment */

	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP6_FRAGMENT);
	cr_assert_eq(k.ip_version, 6);
	cr_assert_eq(k.l4_proto, 17);
	assert_ip6_addrs(&k);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 54, HP_R_IP6_TRUNCATED },
				    { 62, HP_R_IP6_EXT_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_IP6_FRAGMENT, f.len);

	f = ip6_frag(185 << 3); /* offset 1480, last fragment */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP6_FRAGMENT);
	f = ip6_frag(0x0006); /* reserved bits only: still atomic */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);

	/* RFC 6946 atomic fragment: a whole datagram behind a fragment header. */
	f = ip6_frag(0);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.l4_len, 8 + SIP_LEN);
	assert_sip_udp(&k, f.b + 62);
	const struct layer lya[] = { { 14, HP_R_LINK_TRUNCATED }, { 54, HP_R_IP6_TRUNCATED },
				     { 62, HP_R_IP6_EXT_TRUNCATED }, { 70, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, lya, HP_ARRAY_LEN(lya), HP_R_OK, f.len);
}

Test(net, ip6_no_next_header_and_jumbogram)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	ip6(&f, 8, 59);
	zeros(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_L4_UNSUPPORTED);
	cr_assert_eq(k.l4_proto, 59);

	f.len = 0;
	ip6(&f, 0, 0);
	zeros(&f, 16);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_IP6_JUMBOGRAM);

	f.len = 0;
	ip6(&f, 8, 58); /* ICMPv6 */
	zeros(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_L4_UNSUPPORTED);
	cr_assert_eq(k.l4_proto, 58);
	cr_assert_eq(k.l4, f.b + 40);
}

Test(net, linux_sll)
{
	/* packet type, ARPHRD_ETHER, address length 6, address + 2 pad, protocol */
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	put16(&f, 0);
	put16(&f, 1);
	put16(&f, 6);
	put(&f, mac_src, 6);
	zeros(&f, 2);
	put16(&f, 0x0800);
	ip4(&f, 5, 20 + 8 + SIP_LEN, 0, 17);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_LINUX_SLL, &k), HP_R_OK);
	cr_assert_null(k.eth);
	cr_assert_eq(k.ethertype, 0x0800);
	cr_assert_eq(k.l3, f.b + 16);
	assert_ip4_addrs(&k);
	assert_sip_udp(&k, f.b + 36);

	const struct layer ly[] = { { 16, HP_R_LINK_TRUNCATED }, { 36, HP_R_IP4_TRUNCATED },
				    { 44, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_LINUX_SLL, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f.b[14] = 0x08;
	f.b[15] = 0x06; /* ARP */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_LINUX_SLL, &k), HP_R_NOT_IP);
}

Test(net, linux_sll2)
{
	/* protocol, reserved, ifindex, ARPHRD, packet type, address length, address */
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	put16(&f, 0x86dd);
	put16(&f, 0);
	put32(&f, 2);
	put16(&f, 1);
	put8(&f, 4);
	put8(&f, 6);
	put(&f, mac_src, 6);
	zeros(&f, 2);
	ip6(&f, 8 + SIP_LEN, 17);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_LINUX_SLL2, &k), HP_R_OK);
	cr_assert_null(k.eth);
	cr_assert_eq(k.ethertype, 0x86dd);
	cr_assert_eq(k.l3, f.b + 20);
	assert_ip6_addrs(&k);
	assert_sip_udp(&k, f.b + 60);

	const struct layer ly[] = { { 20, HP_R_LINK_TRUNCATED }, { 60, HP_R_IP6_TRUNCATED },
				    { 68, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_LINUX_SLL2, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);
}

Test(net, raw_ipv4_link_types)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	ip4(&f, 5, 20 + 8 + SIP_LEN, 0, 17);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_RAW, &k), HP_R_OK);
	assert_sip_udp(&k, f.b + 20);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_OK);
	assert_sip_udp(&k, f.b + 20);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_IP6_BAD_VERSION);
	/* libpcap's pcap_datalink() gives DLT_RAW (12) for a LINKTYPE_RAW file */
	cr_assert_eq(hp_net_decode(f.b, f.len, 12, &k), HP_R_OK);
	assert_sip_udp(&k, f.b + 20);

	const struct layer ly[] = { { 1, HP_R_LINK_TRUNCATED }, { 20, HP_R_IP4_TRUNCATED },
				    { 28, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_RAW, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f.b[0] = 0x55;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_RAW, &k), HP_R_NOT_IP);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_IP4_BAD_VERSION);
}

Test(net, link_rejections)
{
	struct frame f = eth_ip4_udp();
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(f.b, f.len, 9 /* PPP */, &k), HP_R_LINK_UNSUPPORTED);
	f.b[12] = 0x08;
	f.b[13] = 0x06; /* ARP */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_NOT_IP);
	f.b[12] = 0x86;
	f.b[13] = 0xdd; /* IPv6 ethertype over an IPv4 header */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP6_BAD_VERSION);
}

Test(net, ip4_header_rejections)
{
	struct frame f = eth_ip4_udp();
	struct hp_pkt k;

	f.b[14] = 0x44; /* IHL 4 */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_BAD_IHL);
	f.b[14] = 0x4f; /* IHL 15 = 60 bytes > total length 51 */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_BAD_IHL);
	f.b[14] = 0x65; /* version 6 on the IPv4 ethertype */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_BAD_VERSION);

	f = eth_ip4_udp();
	f.b[16] = 0;
	f.b[17] = 19; /* total length below the minimum header */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_BAD_TOTAL_LENGTH);
}

Test(net, ip4_fragments_keep_addresses)
{
	struct frame f = eth_ip4_udp();
	struct hp_pkt k;

	f.b[20] = 0x20; /* MF, offset 0 */
	f.b[21] = 0x00;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_FRAGMENT);
	cr_assert_eq(k.ip_version, 4);
	cr_assert_eq(k.l4_proto, 17);
	assert_ip4_addrs(&k);
	f.b[20] = 0x00; /* last fragment, offset 185 * 8 */
	f.b[21] = 185;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_FRAGMENT);
	f.b[20] = 0x40; /* DF alone is not a fragment */
	f.b[21] = 0x00;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
}

Test(net, ip4_other_protocol)
{
	struct frame f = eth_ip4_udp();
	struct hp_pkt k;

	f.b[23] = 1; /* ICMP */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_L4_UNSUPPORTED);
	cr_assert_eq(k.l4_proto, 1);
	cr_assert_eq(k.l4, f.b + 34);
}

Test(net, ip4_snaplen_truncation)
{
	/* Frame cut inside the SIP text by a 50-byte snap length. */
	struct frame f = eth_ip4_udp();
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(f.b, 50, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert(k.l3_truncated);
	cr_assert_eq(k.l3_len, 51);
	cr_assert_eq(k.l4_len, 31);
	cr_assert_eq(k.l4_cap, 16);
	cr_assert_eq(k.udp_len, 31);
	cr_assert_eq(k.payload_len, 8);
	cr_assert(k.payload_truncated);
}

Test(net, udp_bad_lengths)
{
	struct frame f = eth_ip4_udp();
	struct hp_pkt k;

	f.b[38] = 0;
	f.b[39] = 7; /* below the header */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.udp_len, 7);
	cr_assert_null(k.payload);
	cr_assert_eq(k.payload_len, 0);
	f.b[39] = 32; /* one past the IP payload of 31 */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.udp_len, 32);
	cr_assert_null(k.payload);
	cr_assert_eq(k.payload_len, 0);
	f.b[39] = 10; /* shorter than the IP payload: the rest is not UDP data */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.payload_len, 2);
	cr_assert_not(k.payload_truncated);

	/* An IP payload that cannot hold a UDP header. */
	f = eth_ip4_udp();
	f.b[16] = 0;
	f.b[17] = 27;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_UDP_BAD_LENGTH);
}

/* IPv4 / TCP with 12 bytes of options / "REGISTER" */
static struct frame ip4_tcp(uint8_t doff_words)
{
	struct frame f = { .len = 0 };

	ip4(&f, 5, 20 + 32 + 8, 0, 6);
	put16(&f, 5060);
	put16(&f, 40000);
	put32(&f, 0x01020304);
	put32(&f, 0x0a0b0c0d);
	put8(&f, (uint8_t)(doff_words << 4));
	put8(&f, 0x18); /* PSH ACK */
	put16(&f, 65535);
	put32(&f, 0);
	put32(&f, 0x0101080a); /* NOP NOP timestamps */
	put32(&f, 0x11111111);
	put32(&f, 0x22222222);
	put(&f, "REGISTER", 8);
	return f;
}

Test(net, tcp)
{
	struct frame f = ip4_tcp(8);
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_OK);
	cr_assert_eq(k.l4_proto, 6);
	cr_assert_eq(k.l4, f.b + 20);
	cr_assert_eq(k.src_port, 5060);
	cr_assert_eq(k.dst_port, 40000);
	cr_assert_eq(k.tcp_seq, 0x01020304);
	cr_assert_eq(k.tcp_flags, 0x18);
	cr_assert_eq(k.payload, f.b + 52);
	cr_assert_eq(k.payload_len, 8);
	cr_assert_eq(memcmp(k.payload, "REGISTER", 8), 0);
	cr_assert_not(k.payload_truncated);

	const struct layer ly[] = { { 20, HP_R_IP4_TRUNCATED }, { 52, HP_R_TCP_TRUNCATED } };
	sweep(&f, HP_LINK_IPV4, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f = ip4_tcp(4);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_TCP_BAD_OFFSET);
	f = ip4_tcp(15); /* 60 bytes of header in a 40-byte segment */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_TCP_BAD_OFFSET);
	f = ip4_tcp(10); /* 40 bytes: exactly the segment, no payload */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_OK);
	cr_assert_eq(k.payload_len, 0);
}

/* ---- encapsulations: outer headers use these, the innermost the ones above */

static const uint8_t out4_src[4] = { 198, 51, 100, 1 };
static const uint8_t out4_dst[4] = { 198, 51, 100, 2 };
static const uint8_t out6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t out6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
#define IN4_LEN (20u + 8u + SIP_LEN) /* inner IPv4 / UDP / SIP: 51 */
#define IN6_LEN (40u + 8u + SIP_LEN) /* inner IPv6 / UDP / SIP: 71 */

static void inner4(struct frame *f)
{
	ip4(f, 5, IN4_LEN, 0, 17);
	udp(f, 8 + SIP_LEN);
	sip_payload(f);
}

static void inner6(struct frame *f)
{
	ip6(f, 8 + SIP_LEN, 17);
	udp(f, 8 + SIP_LEN);
	sip_payload(f);
}

static void outer4(struct frame *f, size_t payload, uint8_t proto)
{
	ip4a(f, 5, (uint16_t)(20 + payload), 0, proto, out4_src, out4_dst);
}

static void udp_to(struct frame *f, uint16_t dport, size_t payload)
{
	put16(f, 40000);
	put16(f, dport);
	put16(f, (uint16_t)(8 + payload));
	put16(f, 0);
}

static void gre(struct frame *f, uint16_t flags, uint16_t proto)
{
	put16(f, flags);
	put16(f, proto);
}

static void assert_layers(const struct hp_pkt *k, const uint8_t *want, size_t n)
{
	cr_assert_eq(k->layer_count, n, "layer_count %u want %zu", k->layer_count, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(k->layers[i], want[i], "layer %zu: %s want %s", i,
			     hp_net_layer_name(k->layers[i]), hp_net_layer_name(want[i]));
}

static void assert_inner4(const struct hp_pkt *k, const uint8_t *l3)
{
	cr_assert_eq(k->ip_version, 4);
	cr_assert_eq(k->ethertype, 0x0800);
	cr_assert_eq(k->l3, l3);
	cr_assert_eq(k->l3_len, IN4_LEN);
	assert_ip4_addrs(k);
	assert_sip_udp(k, l3 + 20);
}

static void assert_inner6(const struct hp_pkt *k, const uint8_t *l3)
{
	cr_assert_eq(k->ip_version, 6);
	cr_assert_eq(k->ethertype, 0x86dd);
	cr_assert_eq(k->l3, l3);
	assert_ip6_addrs(k);
	assert_sip_udp(k, l3 + 40);
}

Test(net, layer_names)
{
	cr_assert_str_eq(hp_net_layer_name(HP_NET_L_VLAN), "vlan");
	cr_assert_str_eq(hp_net_layer_name(HP_NET_L_GTPU), "gtpu");
	cr_assert_str_eq(hp_net_layer_name(HP_NET_L_MAX), "unknown");
	struct hp_net_opts o;

	hp_net_opts_defaults(&o);
	cr_assert_eq(o.vxlan_port, 4789);
	cr_assert_eq(o.geneve_port, 6081);
	cr_assert_eq(o.gtpu_port, 2152);
	cr_assert_eq(o.max_depth, 16);
}

Test(net, plain_frame_records_no_layer)
{
	struct frame f = eth_ip4_udp();
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.layer_count, 0);
	cr_assert_eq(k.tunnel_depth, 0);
	cr_assert_eq(k.tunnel_id, 0);
}

Test(net, sctp_common_header)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	eth(&f, 0x0800);
	ip4(&f, 5, 20 + 12 + 16, 0, 132);
	put16(&f, 5060);
	put16(&f, 5061);
	put32(&f, 0xcafef00d); /* verification tag */
	put32(&f, 0);          /* CRC32c */
	put8(&f, 0);           /* DATA chunk, 16 bytes, 4 of user data */
	put8(&f, 3);
	put16(&f, 16);
	put32(&f, 1);
	put32(&f, 0);
	put32(&f, 0x41424344);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.l4_proto, 132);
	cr_assert_eq(k.l4, f.b + 34);
	cr_assert_eq(k.src_port, 5060);
	cr_assert_eq(k.dst_port, 5061);
	cr_assert_eq(k.payload, f.b + 46);
	cr_assert_eq(k.payload_len, 16);
	cr_assert_not(k.payload_truncated);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 46, HP_R_SCTP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);
}

Test(net, mpls_stack_ip6)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_MPLS, HP_NET_L_MPLS, HP_NET_L_MPLS };

	eth(&f, 0x8847);
	put32(&f, 16u << 12 | 5u << 9 | 64);  /* label 16, TC 5 */
	put32(&f, 1000u << 12 | 64);
	put32(&f, 2u << 12 | 0x100 | 64);     /* IPv6 explicit null, bottom of stack */
	inner6(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 3);
	cr_assert_eq(k.tunnel_depth, 0);
	cr_assert_eq(k.eth, f.b);
	assert_inner6(&k, f.b + 26);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 27, HP_R_MPLS_TRUNCATED },
				    { 66, HP_R_IP6_TRUNCATED }, { 74, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f.b[26] = 0x00; /* a pseudowire control word */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_MPLS_UNSUPPORTED);

	/* one label, IPv4 payload, multicast ethertype */
	f.len = 0;
	eth(&f, 0x8848);
	put32(&f, 0x100);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_inner4(&k, f.b + 18);

	/* 16 labels fit the default depth, 17 do not */
	for (unsigned n = 16; n <= 17; n++) {
		f.len = 0;
		eth(&f, 0x8847);
		for (unsigned i = 0; i < n; i++)
			put32(&f, (i + 1 == n ? 0x100 : 0) | 64);
		inner4(&f);
		cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k),
			     n == 16 ? HP_R_OK : HP_R_TUNNEL_TOO_DEEP, "%u labels", n);
	}
}

static void pppoe(struct frame *f, uint16_t plen)
{
	put8(f, 0x11); /* VER 1, TYPE 1 */
	put8(f, 0x00); /* session data */
	put16(f, 0x4e3f);
	put16(f, plen);
}

Test(net, pppoe_session)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_PPPOE, HP_NET_L_PPP };

	eth(&f, 0x8864);
	pppoe(&f, 2 + IN4_LEN);
	put16(&f, 0x0021);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 2);
	cr_assert_eq(k.tunnel_depth, 0);
	assert_inner4(&k, f.b + 22);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 20, HP_R_PPPOE_TRUNCATED },
				    { 22, HP_R_PPP_TRUNCATED }, { 42, HP_R_IP4_TRUNCATED },
				    { 50, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	/* PPPoE length shorter than the frame: the rest is not PPP */
	f.b[19] = 2 + 19;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_TRUNCATED);
	f.b[19] = 2 + IN4_LEN;
	f.b[20] = 0xc0;
	f.b[21] = 0x21; /* LCP */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_PPP_UNSUPPORTED);
	f.b[20] = 0x00;
	f.b[21] = 0x21;
	f.b[14] = 0x12;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_PPPOE_BAD_HEADER);
	f.b[14] = 0x11;
	f.b[15] = 0x09; /* PADI is discovery, not session */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_PPPOE_BAD_HEADER);

	/* IPv6 with a compressed (one-byte) protocol field, RFC 1661 §6.5 */
	f.len = 0;
	eth(&f, 0x8864);
	pppoe(&f, 1 + IN6_LEN);
	put8(&f, 0x57);
	inner6(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_inner6(&k, f.b + 21);
}

Test(net, gre_key_seq)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GRE };

	eth(&f, 0x0800);
	outer4(&f, 12 + IN4_LEN, 47);
	gre(&f, 0x3000, 0x0800); /* K, S */
	put32(&f, 0xdeadbeef);
	put32(&f, 7);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 2);
	cr_assert_eq(k.tunnel_depth, 1);
	cr_assert_eq(k.tunnel_id, 0xdeadbeef);
	cr_assert_eq(k.eth, f.b);
	assert_inner4(&k, f.b + 46);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 46, HP_R_GRE_TRUNCATED }, { 66, HP_R_IP4_TRUNCATED },
				    { 74, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f.b[36] = 0x08;
	f.b[37] = 0x06; /* ARP */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GRE_UNSUPPORTED);
	f.b[36] = 0x08;
	f.b[37] = 0x00;
	f.b[34] = 0x70; /* R: RFC 1701 routing */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GRE_UNSUPPORTED);
	f.b[34] = 0x30;
	f.b[35] = 0x02; /* version 2 */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GRE_UNSUPPORTED);

	/* checksum and key, IPv6 inside, IPv6 outside */
	f.len = 0;
	eth(&f, 0x86dd);
	ip6a(&f, 12 + IN6_LEN, 47, out6_src, out6_dst);
	gre(&f, 0xa000, 0x86dd);
	put32(&f, 0x12340000);
	put32(&f, 42);
	inner6(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	const uint8_t want6[] = { HP_NET_L_IP6, HP_NET_L_GRE };

	assert_layers(&k, want6, 2);
	cr_assert_eq(k.tunnel_id, 42);
	assert_inner6(&k, f.b + 66);
}

Test(net, gre_teb_innermost_vlan)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_VLAN, HP_NET_L_IP4, HP_NET_L_GRE, HP_NET_L_VLAN };

	eth(&f, 0x8100);
	tag(&f, 142, 0x0800);
	outer4(&f, 8 + 18 + IN4_LEN, 47);
	gre(&f, 0x2000, 0x6558);
	put32(&f, 0);
	eth(&f, 0x8100);
	tag(&f, 0x2000 | 300, 0x0800);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 4);
	cr_assert_eq(k.eth, f.b + 46);
	cr_assert_eq(k.vlan_id, 300);
	cr_assert_eq(k.vlan_depth, 1);
	assert_inner4(&k, f.b + 64);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 18, HP_R_VLAN_TRUNCATED },
				    { 38, HP_R_IP4_TRUNCATED }, { 46, HP_R_GRE_TRUNCATED },
				    { 60, HP_R_LINK_TRUNCATED }, { 64, HP_R_VLAN_TRUNCATED },
				    { 84, HP_R_IP4_TRUNCATED }, { 92, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	/* an untagged inner frame has no VLAN, whatever the outer one had */
	f.len = 0;
	eth(&f, 0x8100);
	tag(&f, 142, 0x0800);
	outer4(&f, 8 + 14 + IN4_LEN, 47);
	gre(&f, 0x2000, 0x6558);
	put32(&f, 0);
	eth(&f, 0x0800);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.vlan_depth, 0);
	cr_assert_eq(k.vlan_id, 0);
	assert_inner4(&k, f.b + 60);
}

Test(net, erspan_type1)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GRE, HP_NET_L_ERSPAN1 };

	eth(&f, 0x0800);
	outer4(&f, 4 + 14 + IN4_LEN, 47);
	gre(&f, 0x0000, 0x88be);
	eth(&f, 0x0800);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 3);
	cr_assert_eq(k.eth, f.b + 38);
	assert_inner4(&k, f.b + 52);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 38, HP_R_GRE_TRUNCATED }, { 52, HP_R_LINK_TRUNCATED },
				    { 72, HP_R_IP4_TRUNCATED }, { 80, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);
}

Test(net, erspan_type2)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GRE, HP_NET_L_ERSPAN2 };

	eth(&f, 0x0800);
	outer4(&f, 8 + 8 + 14 + IN4_LEN, 47);
	gre(&f, 0x1000, 0x88be);
	put32(&f, 99);                       /* sequence */
	put16(&f, 0x1000 | 10);              /* Ver 1, VLAN 10 */
	put16(&f, 5u << 13 | 3u << 11 | 0x155); /* COS 5, En 3, session 0x155 */
	put32(&f, 0x000abcde);               /* index */
	eth(&f, 0x0800);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 3);
	cr_assert_eq(k.tunnel_id, 0x155);
	cr_assert_eq(k.eth, f.b + 50);
	assert_inner4(&k, f.b + 64);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 42, HP_R_GRE_TRUNCATED }, { 50, HP_R_ERSPAN_TRUNCATED },
				    { 64, HP_R_LINK_TRUNCATED }, { 84, HP_R_IP4_TRUNCATED },
				    { 92, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f.b[42] = 0x20; /* version 2 is type III's */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_ERSPAN_UNSUPPORTED);
}

Test(net, erspan_type3)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GRE, HP_NET_L_ERSPAN3 };

	eth(&f, 0x0800);
	outer4(&f, 8 + 20 + 14 + IN4_LEN, 47);
	gre(&f, 0x1000, 0x22eb);
	put32(&f, 99);
	put16(&f, 0x2000 | 10);   /* Ver 2, VLAN 10 */
	put16(&f, 0x03ff);        /* session 1023 */
	put32(&f, 0x11223344);    /* timestamp */
	put16(&f, 0);             /* SGT */
	put8(&f, 0u << 2 | 0x03); /* P 0, FT 0 (Ethernet), Hw ID high bits */
	put8(&f, 0xf1);           /* Hw ID low bits, O: a platform subheader follows */
	put32(&f, 0x0c000000);
	put32(&f, 0);
	eth(&f, 0x0800);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 3);
	cr_assert_eq(k.tunnel_id, 0x3ff);
	cr_assert_eq(k.eth, f.b + 62);
	assert_inner4(&k, f.b + 76);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 42, HP_R_GRE_TRUNCATED }, { 62, HP_R_ERSPAN_TRUNCATED },
				    { 76, HP_R_LINK_TRUNCATED }, { 96, HP_R_IP4_TRUNCATED },
				    { 104, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f.b[52] = 1u << 2; /* FT 1: not decoded */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_ERSPAN_UNSUPPORTED);

	/* FT 2: an IP packet, no subheader */
	f.len = 0;
	eth(&f, 0x0800);
	outer4(&f, 8 + 12 + IN6_LEN, 47);
	gre(&f, 0x1000, 0x22eb);
	put32(&f, 99);
	put16(&f, 0x2000);
	put16(&f, 7);
	put32(&f, 0);
	put16(&f, 0);
	put8(&f, 2u << 2);
	put8(&f, 0);
	inner6(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.eth, f.b);
	assert_inner6(&k, f.b + 54);
}

Test(net, pptp_enhanced_gre_ppp)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GRE, HP_NET_L_PPP };

	eth(&f, 0x0800);
	outer4(&f, 16 + 4 + IN4_LEN + 3, 47);
	gre(&f, 0x3081, 0x880b);  /* K S A, version 1 */
	put16(&f, 4 + IN4_LEN);    /* payload length */
	put16(&f, 38992);          /* call id */
	put32(&f, 106);
	put32(&f, 140);
	put8(&f, 0xff);
	put8(&f, 0x03);
	put16(&f, 0x0021);
	inner4(&f);
	put(&f, "\xee\xee\xee", 3); /* inside the outer datagram, past the GRE payload length */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 3);
	cr_assert_eq(k.tunnel_id, 38992);
	assert_inner4(&k, f.b + 54);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 50, HP_R_GRE_TRUNCATED }, { 54, HP_R_PPP_TRUNCATED },
				    { 74, HP_R_IP4_TRUNCATED }, { 82, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len - 3);

	f.b[51] = 0x05; /* address 0xff without control 0x03 */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_PPP_UNSUPPORTED);
	f.b[51] = 0x03;
	f.b[35] = 0x81; /* acknowledgement only: no S, no payload */
	f.b[34] = 0x20;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GRE_UNSUPPORTED);
}

Test(net, vxlan_innermost_vlan)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_VLAN, HP_NET_L_IP4, HP_NET_L_VXLAN, HP_NET_L_VLAN };
	const size_t vx = 8 + 18 + IN6_LEN;

	eth(&f, 0x8100);
	tag(&f, 100, 0x0800);
	outer4(&f, 8 + vx, 17);
	udp_to(&f, 4789, vx);
	put32(&f, 0x08000000); /* I */
	put32(&f, 0x12345600); /* VNI */
	eth(&f, 0x8100);
	tag(&f, 200, 0x86dd);
	inner6(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 4);
	cr_assert_eq(k.tunnel_depth, 1);
	cr_assert_eq(k.tunnel_id, 0x123456);
	cr_assert_eq(k.eth, f.b + 54);
	cr_assert_eq(k.vlan_id, 200);
	cr_assert_eq(k.vlan_depth, 1);
	assert_inner6(&k, f.b + 72);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 18, HP_R_VLAN_TRUNCATED },
				    { 38, HP_R_IP4_TRUNCATED }, { 46, HP_R_UDP_TRUNCATED },
				    { 54, HP_R_VXLAN_TRUNCATED }, { 68, HP_R_LINK_TRUNCATED },
				    { 72, HP_R_VLAN_TRUNCATED }, { 112, HP_R_IP6_TRUNCATED },
				    { 120, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	/* the port is an option: off, the outer UDP is the packet */
	struct hp_net_opts o;

	hp_net_opts_defaults(&o);
	o.vxlan_port = 0;
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_ETHERNET, &o, &k), HP_R_OK);
	cr_assert_eq(k.tunnel_depth, 0);
	cr_assert_eq(k.layer_count, 1);
	cr_assert_eq(k.dst_port, 4789);
	cr_assert_eq(k.l4, f.b + 38);
	cr_assert_eq(k.payload_len, vx);
	cr_assert_eq(k.vlan_id, 100);
	f.b[40] = 0x21;
	f.b[41] = 0x18; /* 8472, the Linux default */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.dst_port, 8472);
	o.vxlan_port = 8472;
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_ETHERNET, &o, &k), HP_R_OK);
	cr_assert_eq(k.vlan_id, 200);
	assert_inner6(&k, f.b + 72);

	f.b[46] = 0x00; /* I flag clear */
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_ETHERNET, &o, &k), HP_R_VXLAN_BAD_FLAGS);
}

Test(net, geneve_options)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GENEVE };

	eth(&f, 0x0800);
	outer4(&f, 8 + 16 + IN4_LEN, 17);
	udp_to(&f, 6081, 16 + IN4_LEN);
	put8(&f, 0x02);        /* version 0, 2 words of options */
	put8(&f, 0x00);
	put16(&f, 0x0800);
	put32(&f, 0xabcdef00);
	put16(&f, 0x0102);     /* option class, type, length 1 word */
	put8(&f, 0x80);
	put8(&f, 0x01);
	put32(&f, 0xfeedface);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 2);
	cr_assert_eq(k.tunnel_id, 0xabcdef);
	cr_assert_eq(k.eth, f.b);
	assert_inner4(&k, f.b + 58);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 42, HP_R_UDP_TRUNCATED }, { 58, HP_R_GENEVE_TRUNCATED },
				    { 78, HP_R_IP4_TRUNCATED }, { 86, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f.b[45] = 0x06; /* ARP */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GENEVE_UNSUPPORTED);
	f.b[45] = 0x00;
	f.b[42] = 0x42; /* version 1 */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GENEVE_UNSUPPORTED);

	/* Ethernet inside, no options */
	f.len = 0;
	eth(&f, 0x0800);
	outer4(&f, 8 + 8 + 14 + IN6_LEN, 17);
	udp_to(&f, 6081, 8 + 14 + IN6_LEN);
	put32(&f, 0x00006558);
	put32(&f, 0x00000100);
	eth(&f, 0x86dd);
	inner6(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.tunnel_id, 1);
	cr_assert_eq(k.eth, f.b + 50);
	assert_inner6(&k, f.b + 64);
}

Test(net, gtpu_extension_header)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GTPU };

	eth(&f, 0x0800);
	outer4(&f, 8 + 16 + IN4_LEN, 17);
	udp_to(&f, 2152, 16 + IN4_LEN);
	put8(&f, 0x34);            /* version 1, PT, E */
	put8(&f, 255);             /* G-PDU */
	put16(&f, 4 + 4 + IN4_LEN);
	put32(&f, 0x01020304);     /* TEID */
	put16(&f, 0);              /* sequence */
	put8(&f, 0);               /* N-PDU */
	put8(&f, 0x85);            /* PDU session container (TS 38.415) */
	put8(&f, 1);
	put8(&f, 0x10);
	put8(&f, 0x09);            /* QFI 9 */
	put8(&f, 0);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 2);
	cr_assert_eq(k.tunnel_id, 0x01020304);
	assert_inner4(&k, f.b + 58);

	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 42, HP_R_UDP_TRUNCATED }, { 59, HP_R_GTP_TRUNCATED },
				    { 78, HP_R_IP4_TRUNCATED }, { 86, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);

	f.b[54] = 0; /* extension header length 0 */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GTP_UNSUPPORTED);
	f.b[54] = 1;
	f.b[43] = 1; /* echo request */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GTP_NOT_GPDU);
	f.b[43] = 255;
	f.b[42] = 0x44; /* version 2 */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GTP_UNSUPPORTED);
	f.b[42] = 0x24; /* PT 0: GTP' */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_GTP_UNSUPPORTED);

	/* the mandatory header only, IPv6 inside, padding after the T-PDU */
	f.len = 0;
	eth(&f, 0x0800);
	outer4(&f, 8 + 8 + IN6_LEN + 4, 17);
	udp_to(&f, 2152, 8 + IN6_LEN + 4);
	put8(&f, 0x30);
	put8(&f, 255);
	put16(&f, IN6_LEN);
	put32(&f, 77);
	inner6(&f);
	put32(&f, 0xeeeeeeee);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.tunnel_id, 77);
	assert_inner6(&k, f.b + 50);
	cr_assert_eq(k.l4_cap, 8 + SIP_LEN);
}

Test(net, ip_in_ip)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want4[] = { HP_NET_L_IP4, HP_NET_L_IPIP };
	const uint8_t want6[] = { HP_NET_L_IP6, HP_NET_L_IPIP };

	/* RFC 2003 */
	eth(&f, 0x0800);
	outer4(&f, IN4_LEN, 4);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want4, 2);
	cr_assert_eq(k.tunnel_depth, 1);
	cr_assert_eq(k.tunnel_id, 0);
	assert_inner4(&k, f.b + 34);
	const struct layer ly[] = { { 14, HP_R_LINK_TRUNCATED }, { 34, HP_R_IP4_TRUNCATED },
				    { 54, HP_R_IP4_TRUNCATED }, { 62, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_ETHERNET, ly, HP_ARRAY_LEN(ly), HP_R_OK, f.len);
	f.b[34] = 0x65; /* not IPv4 after all */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_BAD_VERSION);

	/* RFC 4213 §3.5: 6in4 */
	f.len = 0;
	outer4(&f, IN6_LEN, 41);
	inner6(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_RAW, &k), HP_R_OK);
	assert_layers(&k, want4, 2);
	assert_inner6(&k, f.b + 20);
	const struct layer ly64[] = { { 1, HP_R_LINK_TRUNCATED }, { 20, HP_R_IP4_TRUNCATED },
				      { 60, HP_R_IP6_TRUNCATED }, { 68, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_RAW, ly64, HP_ARRAY_LEN(ly64), HP_R_OK, f.len);

	/* RFC 2473: 6in6 and 4in6 */
	f.len = 0;
	ip6a(&f, IN6_LEN, 41, out6_src, out6_dst);
	inner6(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_OK);
	assert_layers(&k, want6, 2);
	assert_inner6(&k, f.b + 40);
	const struct layer ly66[] = { { 40, HP_R_IP6_TRUNCATED }, { 80, HP_R_IP6_TRUNCATED },
				      { 88, HP_R_UDP_TRUNCATED } };
	sweep(&f, HP_LINK_IPV6, ly66, HP_ARRAY_LEN(ly66), HP_R_OK, f.len);

	f.len = 0;
	ip6a(&f, IN4_LEN, 4, out6_src, out6_dst);
	inner4(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV6, &k), HP_R_OK);
	assert_layers(&k, want6, 2);
	assert_inner4(&k, f.b + 40);
}

/* n IPv4 headers (protocol 4) around IPv4 / UDP / SIP. */
static struct frame nested4(unsigned n)
{
	struct frame f = { .len = 0 };

	for (unsigned i = 0; i < n; i++)
		outer4(&f, 20 * (n - i - 1) + IN4_LEN, 4);
	inner4(&f);
	return f;
}

Test(net, tunnel_depth_limit)
{
	struct hp_pkt k;
	struct frame f = nested4(8); /* 8 x (IPv4, IPIP) = 16 layers */

	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_OK);
	cr_assert_eq(k.tunnel_depth, 8);
	cr_assert_eq(k.layer_count, 16);
	assert_inner4(&k, f.b + 160);

	f = nested4(9);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_IPV4, &k), HP_R_TUNNEL_TOO_DEEP);

	struct hp_net_opts o;

	hp_net_opts_defaults(&o);
	o.max_depth = 18;
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_IPV4, &o, &k), HP_R_OK);
	cr_assert_eq(k.tunnel_depth, 9);
	assert_inner4(&k, f.b + 180);

	/* an outer IP header is recorded only with its tunnel */
	o.max_depth = 17;
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_IPV4, &o, &k), HP_R_TUNNEL_TOO_DEEP);
	cr_assert_eq(k.layer_count, 16);
	cr_assert_eq(k.tunnel_depth, 8);

	/* a larger limit than the record holds is capped at HP_NET_MAX_LAYERS */
	o.max_depth = 255;
	f = nested4(HP_NET_MAX_LAYERS / 2);
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_IPV4, &o, &k), HP_R_OK);
	cr_assert_eq(k.layer_count, HP_NET_MAX_LAYERS);
	f = nested4(HP_NET_MAX_LAYERS / 2 + 1);
	cr_assert_eq(hp_net_decode_opts(f.b, f.len, HP_LINK_IPV4, &o, &k), HP_R_TUNNEL_TOO_DEEP);

	/* VXLAN in GRE in IPv4: the record says which */
	struct frame g = { .len = 0 };
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GRE, HP_NET_L_IP4, HP_NET_L_VXLAN };

	outer4(&g, 4 + 20 + 8 + 8 + 14 + IN4_LEN, 47);
	gre(&g, 0, 0x0800);
	outer4(&g, 8 + 8 + 14 + IN4_LEN, 17);
	udp_to(&g, 4789, 8 + 14 + IN4_LEN);
	put32(&g, 0x08000000);
	put32(&g, 0x00000500);
	eth(&g, 0x0800);
	inner4(&g);
	cr_assert_eq(hp_net_decode(g.b, g.len, HP_LINK_IPV4, &k), HP_R_OK);
	assert_layers(&k, want, 4);
	cr_assert_eq(k.tunnel_depth, 2);
	cr_assert_eq(k.tunnel_id, 5);
	assert_inner4(&k, g.b + 74);
}

Test(net, ip4_fragment_info)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	eth(&f, 0x0800);
	ip4(&f, 6, 24 + 8 + SIP_LEN, 0x2000, 17); /* MF, offset 0, 4 bytes of options */
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	put32(&f, 0xeeeeeeee); /* link padding */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_FRAGMENT);
	cr_assert_eq(k.ip_version, 4);
	assert_ip4_addrs(&k);
	cr_assert_null(k.l4);
	cr_assert_eq(k.frag.hdr, f.b + 14);
	cr_assert_eq(k.frag.hdr_len, 24);
	cr_assert_eq(k.frag.nh_off, 0);
	cr_assert_eq(k.frag.id, 0x1234);
	cr_assert_eq(k.frag.offset, 0);
	cr_assert(k.frag.more);
	cr_assert_eq(k.frag.proto, 17);
	cr_assert_eq(k.frag.data, f.b + 38);
	cr_assert_eq(k.frag.data_len, 8 + SIP_LEN);
	cr_assert_not(k.frag.truncated);

	f.b[20] = 0x00; /* last fragment at 185 * 8 */
	f.b[21] = 185;
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_FRAGMENT);
	cr_assert_eq(k.frag.offset, 1480);
	cr_assert_not(k.frag.more);

	cr_assert_eq(hp_net_decode(f.b, 50, HP_LINK_ETHERNET, &k), HP_R_IP4_FRAGMENT);
	cr_assert(k.frag.truncated);
	cr_assert_eq(k.frag.data_len, 12);
}

Test(net, ip6_fragment_info)
{
	struct hp_pkt k;
	struct frame f = ip6_frag(0x0001);

	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP6_FRAGMENT);
	cr_assert_eq(k.frag.hdr, f.b + 14);
	cr_assert_eq(k.frag.hdr_len, 40);
	cr_assert_eq(k.frag.nh_off, 6);
	cr_assert_eq(k.frag.id, 0xdeadbeef);
	cr_assert_eq(k.frag.offset, 0);
	cr_assert(k.frag.more);
	cr_assert_eq(k.frag.proto, 17);
	cr_assert_eq(k.frag.data, f.b + 62);
	cr_assert_eq(k.frag.data_len, 8 + SIP_LEN);
	cr_assert_not(k.frag.truncated);

	/* hop-by-hop options before the Fragment header */
	f.len = 0;
	eth(&f, 0x86dd);
	ip6(&f, 8 + 8 + 8 + SIP_LEN, 0);
	put8(&f, 44);
	put8(&f, 0);
	put8(&f, 1); /* PadN */
	put8(&f, 4);
	zeros(&f, 4);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, 185 << 3); /* offset 1480, M clear */
	put32(&f, 7);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP6_FRAGMENT);
	cr_assert_eq(k.frag.hdr_len, 48);
	cr_assert_eq(k.frag.nh_off, 40);
	cr_assert_eq(k.frag.hdr[k.frag.nh_off], 44);
	cr_assert_eq(k.frag.id, 7);
	cr_assert_eq(k.frag.offset, 1480);
	cr_assert_not(k.frag.more);
	cr_assert_eq(k.frag.data, f.b + 70);
	cr_assert_eq(k.frag.data_len, 8 + SIP_LEN);
	cr_assert_eq(hp_net_decode(f.b, f.len - 1, HP_LINK_ETHERNET, &k), HP_R_IP6_FRAGMENT);
	cr_assert(k.frag.truncated);
	cr_assert_eq(k.frag.data_len, 8 + SIP_LEN - 1);
}

Test(net, fragment_inside_tunnel)
{
	struct frame f = { .len = 0 };
	struct hp_pkt k;
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GRE };

	eth(&f, 0x0800);
	outer4(&f, 4 + IN4_LEN, 47);
	gre(&f, 0, 0x0800);
	ip4(&f, 5, IN4_LEN, 0x2000, 17);
	udp(&f, 8 + SIP_LEN);
	sip_payload(&f);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_FRAGMENT);
	assert_layers(&k, want, 2);
	cr_assert_eq(k.tunnel_depth, 1);
	assert_ip4_addrs(&k);
	cr_assert_null(k.l4);
	cr_assert_eq(k.src_port, 0);
	cr_assert_eq(k.frag.hdr, f.b + 38);
	cr_assert_eq(k.frag.data, f.b + 58);
	cr_assert_eq(k.frag.data_len, 8 + SIP_LEN);
}

Test(net, decode_ip_reassembled)
{
	/* The frame that completes a datagram: VLAN 42 / IPv4 fragment (last,
	 * offset 8) of a GRE datagram. */
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	eth(&f, 0x8100);
	tag(&f, 42, 0x0800);
	ip4a(&f, 5, 28, 1, 47, out4_src, out4_dst);
	zeros(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_FRAGMENT);
	cr_assert_eq(k.frag.offset, 8);

	/* the reassembled datagram */
	struct frame d = { .len = 0 };
	const uint8_t want[] = { HP_NET_L_VLAN, HP_NET_L_IP4, HP_NET_L_GRE };

	outer4(&d, 4 + IN4_LEN, 47);
	gre(&d, 0, 0x0800);
	inner4(&d);
	cr_assert_eq(hp_net_decode_ip(d.b, d.len, &k), HP_R_OK);
	cr_assert_eq(k.eth, f.b);
	cr_assert_eq(k.vlan_id, 42);
	cr_assert_eq(k.vlan_depth, 1);
	assert_layers(&k, want, 3);
	cr_assert_eq(k.tunnel_depth, 1);
	cr_assert_null(k.frag.hdr);
	assert_inner4(&k, d.b + 24);

	/* every cut of it, from the same frame's fields each time */
	const struct layer ly[] = { { 1, HP_R_LINK_TRUNCATED }, { 20, HP_R_IP4_TRUNCATED },
				    { 24, HP_R_GRE_TRUNCATED }, { 44, HP_R_IP4_TRUNCATED },
				    { 52, HP_R_UDP_TRUNCATED } };
	for (size_t cut = 0; cut < d.len; cut++) {
		int want_r = HP_R_OK;

		cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_IP4_FRAGMENT);
		for (size_t i = 0; i < HP_ARRAY_LEN(ly); i++) {
			if (cut < ly[i].end) {
				want_r = ly[i].reason;
				break;
			}
		}
		int r = hp_net_decode_ip(d.b, cut, &k);

		cr_assert_eq(r, want_r, "cut %zu: %s", cut, hp_reason_label(r));
		cr_assert_eq(k.vlan_id, 42);
	}

	/* a datagram that is itself a whole IPv6 packet, after a tunnelled frame */
	struct frame g = { .len = 0 };

	inner6(&g);
	cr_assert_eq(hp_net_decode_ip(g.b, g.len, &k), HP_R_OK);
	assert_inner6(&k, g.b);
	cr_assert_eq(k.tunnel_depth, 1);
	g.b[0] = 0x10;
	cr_assert_eq(hp_net_decode_ip(g.b, g.len, &k), HP_R_NOT_IP);
}

/* ---- frames from real captures (/work/shared/corpus, see its SOURCES.md):
 * the link, network and transport headers and the first payload bytes as
 * captured; expected fields as tshark 4.0 decodes them. */

static void ip4_is(const uint8_t *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	const uint8_t want[4] = { b0, b1, b2, b3 };

	cr_assert_eq(memcmp(a, want, 4), 0, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

Test(net, capture_gre_teb)
{
	/* sip_erspan_gre.pcapng frame 1, first 100 of 759 bytes (sipcapture/heplify
	 * example/pcap/erspan_sip_ipv4_udp.pcapng, AGPL-3.0). tshark calls it
	 * GRE (key 0) / transparent Ethernet bridging, not ERSPAN. */
	static const uint8_t b[] = {
		0x54, 0xee, 0x75, 0xdc, 0x23, 0x88, 0x48, 0x7a, 0xda, 0x95, 0x87, 0x8d,
		0x08, 0x00, 0x45, 0x00, 0x02, 0xe9, 0x69, 0x9f, 0x00, 0x00, 0x3f, 0x2f,
		0x83, 0xdd, 0xc0, 0xa8, 0x01, 0xd5, 0xc0, 0xa8, 0x08, 0x44, 0x20, 0x00,
		0x65, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x56, 0x94, 0x8b, 0x61,
		0x48, 0x7a, 0xda, 0x95, 0x87, 0x8d, 0x08, 0x00, 0x45, 0x68, 0x02, 0xbf,
		0x00, 0x00, 0x40, 0x00, 0x3b, 0x11, 0x9e, 0x26, 0xb4, 0xad, 0x53, 0xf8,
		0x65, 0xe7, 0x30, 0x13, 0xcf, 0xe5, 0x14, 0x8c, 0x02, 0xab, 0xd0, 0xab,
		0x53, 0x55, 0x42, 0x53, 0x43, 0x52, 0x49, 0x42, 0x45, 0x20, 0x73, 0x69,
		0x70, 0x3a, 0x32, 0x30,
	};
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_GRE };
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(b, sizeof(b), HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 2);
	cr_assert_eq(k.tunnel_depth, 1);
	cr_assert_eq(k.eth, b + 42);
	cr_assert_eq(k.l3, b + 56);
	cr_assert_eq(k.tos, 0x68);
	ip4_is(k.src_addr, 180, 173, 83, 248);
	ip4_is(k.dst_addr, 101, 231, 48, 19);
	cr_assert_eq(k.l4_proto, 17);
	cr_assert_eq(k.src_port, 53221);
	cr_assert_eq(k.dst_port, 5260);
	cr_assert_eq(k.udp_len, 683);
	cr_assert_eq(k.payload, b + 84);
	cr_assert(k.payload_truncated);
	cr_assert_eq(memcmp(k.payload, "SUBSCRIBE", 9), 0);
}

Test(net, capture_vlan_pptp_gre_ppp)
{
	/* sip_vlan_gre_ppp_1pkt.pcapng, first 96 of 384 bytes (ntop/nDPI,
	 * LGPL-3.0): VLAN 142 / IPv4 / enhanced GRE (call 38992) / PPP / IPv4 /
	 * UDP / "SIP/2.0 100 Trying". */
	static const uint8_t b[] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x37, 0xf4, 0x7c, 0x6e, 0x91,
		0x81, 0x00, 0x00, 0x8e, 0x08, 0x00, 0x45, 0x00, 0x01, 0x6e, 0xaf, 0xa5,
		0x00, 0x00, 0xf2, 0x2f, 0x58, 0x4f, 0x6d, 0x69, 0xe4, 0xfd, 0x0a, 0xb1,
		0x62, 0x54, 0x30, 0x81, 0x88, 0x0b, 0x01, 0x4a, 0x98, 0x50, 0x00, 0x00,
		0x00, 0x6a, 0x00, 0x00, 0x00, 0x8c, 0xff, 0x03, 0x00, 0x21, 0x45, 0xa0,
		0x01, 0x46, 0x38, 0xc1, 0x00, 0x00, 0x3f, 0x11, 0x4d, 0xfb, 0xc0, 0xa8,
		0x0a, 0xd2, 0xc0, 0xa8, 0x67, 0x28, 0x13, 0xc4, 0x13, 0xc4, 0x01, 0x32,
		0x57, 0xd5, 0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x20, 0x31, 0x30,
	};
	const uint8_t want[] = { HP_NET_L_VLAN, HP_NET_L_IP4, HP_NET_L_GRE, HP_NET_L_PPP };
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(b, sizeof(b), HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 4);
	cr_assert_eq(k.vlan_id, 142);
	cr_assert_eq(k.tunnel_id, 38992);
	cr_assert_eq(k.l3, b + 58);
	ip4_is(k.src_addr, 192, 168, 10, 210);
	ip4_is(k.dst_addr, 192, 168, 103, 40);
	cr_assert_eq(k.src_port, 5060);
	cr_assert_eq(k.dst_port, 5060);
	cr_assert_eq(memcmp(k.payload, "SIP/2.0 10", 10), 0);
}

Test(net, capture_tcp_in_ipip)
{
	/* sip_tcp_in_ipip.pcap frame 2, first 100 of 707 bytes (irontec/sngrep,
	 * GPL-3.0): IPv4 in IPv4 (protocol 4) / TCP / "SIP/2.0 183". */
	static const uint8_t b[] = {
		0x00, 0x50, 0x56, 0xbb, 0x26, 0x0c, 0x7c, 0xe2, 0xca, 0x5a, 0x84, 0x00,
		0x08, 0x00, 0x45, 0x00, 0x02, 0xb5, 0x00, 0x00, 0x00, 0x00, 0x07, 0x04,
		0x16, 0x2f, 0x0a, 0x0f, 0xc4, 0xe5, 0x0a, 0x0f, 0xc2, 0x13, 0x45, 0x00,
		0x02, 0xa1, 0x11, 0xca, 0x00, 0x00, 0x3e, 0x06, 0xcd, 0xe8, 0x0a, 0x0f,
		0xc1, 0x1f, 0x0a, 0x0f, 0xc5, 0x67, 0x81, 0x45, 0x13, 0xe2, 0x27, 0x45,
		0x8e, 0x7c, 0x7d, 0x9e, 0x8a, 0xaf, 0x80, 0x18, 0x00, 0x24, 0x5f, 0xd5,
		0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xa8, 0x64, 0x96, 0xc1, 0x04, 0x7c,
		0xa1, 0x75, 0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x20, 0x31, 0x38,
		0x33, 0x20, 0x52, 0x69,
	};
	const uint8_t want[] = { HP_NET_L_IP4, HP_NET_L_IPIP };
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(b, sizeof(b), HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 2);
	cr_assert_eq(k.l3, b + 34);
	ip4_is(k.src_addr, 10, 15, 193, 31);
	ip4_is(k.dst_addr, 10, 15, 197, 103);
	cr_assert_eq(k.l4_proto, 6);
	cr_assert_eq(k.src_port, 33093);
	cr_assert_eq(k.dst_port, 5090);
	cr_assert_eq(k.payload, b + 86);
	cr_assert(k.payload_truncated);
	cr_assert_eq(memcmp(k.payload, "SIP/2.0 183", 11), 0);
}

Test(net, capture_qinqinq)
{
	/* vlan_qinqinq_http.pcap frame 1, whole (zeek/zeek, BSD-3-Clause):
	 * 802.1Q 30 / 20 / 10, TCP SYN to port 80. */
	static const uint8_t b[] = {
		0x00, 0x10, 0xdb, 0x88, 0xd2, 0xef, 0xc8, 0xbc, 0xc8, 0x96, 0xd2, 0xa0,
		0x81, 0x00, 0x00, 0x1e, 0x81, 0x00, 0x00, 0x14, 0x81, 0x00, 0x00, 0x0a,
		0x08, 0x00, 0x45, 0x00, 0x00, 0x40, 0xdf, 0x8e, 0x40, 0x00, 0x40, 0x06,
		0x6d, 0xd3, 0x8d, 0x8e, 0xe4, 0x05, 0xc0, 0x96, 0xbb, 0x2b, 0xe9, 0xd0,
		0x00, 0x50, 0xfe, 0x21, 0x32, 0x3a, 0x00, 0x00, 0x00, 0x00, 0xb0, 0x02,
		0xff, 0xff, 0x3b, 0xc0, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03,
		0x03, 0x04, 0x01, 0x01, 0x08, 0x0a, 0x16, 0x4a, 0xdd, 0x20, 0x00, 0x00,
		0x00, 0x00, 0x04, 0x02, 0x00, 0x00,
	};
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(b, sizeof(b), HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.vlan_depth, 3);
	cr_assert_eq(k.vlan_id, 10);
	cr_assert_eq(k.layer_count, 3);
	cr_assert_eq(k.tunnel_depth, 0);
	ip4_is(k.src_addr, 141, 142, 228, 5);
	ip4_is(k.dst_addr, 192, 150, 187, 43);
	cr_assert_eq(k.src_port, 59856);
	cr_assert_eq(k.dst_port, 80);
	cr_assert_eq(k.tcp_flags, 0x02);
	cr_assert_eq(k.payload_len, 0);
}

Test(net, capture_pppoe)
{
	/* sip_nb6_ims_call_pcma.pcap frame 1, whole (rickwporter/rtp-pcap, MIT):
	 * PPPoE session 0x4e3f / PPP / IPv4 / UDP 1701 (L2TP, decoded no further). */
	static const uint8_t b[] = {
		0xe0, 0xa1, 0xd7, 0x18, 0xc2, 0x73, 0x00, 0x17, 0x33, 0x61, 0x00, 0x00,
		0x88, 0x64, 0x11, 0x00, 0x4e, 0x3f, 0x00, 0x36, 0x00, 0x21, 0x45, 0xc0,
		0x00, 0x34, 0xca, 0x01, 0x00, 0x00, 0xfa, 0x11, 0x35, 0xbd, 0x6d, 0x06,
		0x01, 0x48, 0x5f, 0x88, 0xf2, 0x63, 0x06, 0xa5, 0x06, 0xa5, 0x00, 0x20,
		0x00, 0x00, 0x03, 0x02, 0x85, 0x9b, 0xbc, 0xaf, 0x00, 0x00, 0xff, 0x03,
		0xc0, 0x21, 0x09, 0x5a, 0x00, 0x0c, 0xbd, 0x73, 0xe2, 0x98, 0x93, 0x5e,
		0x49, 0xbc,
	};
	const uint8_t want[] = { HP_NET_L_PPPOE, HP_NET_L_PPP };
	struct hp_pkt k;

	cr_assert_eq(hp_net_decode(b, sizeof(b), HP_LINK_ETHERNET, &k), HP_R_OK);
	assert_layers(&k, want, 2);
	cr_assert_eq(k.l3, b + 22);
	ip4_is(k.src_addr, 109, 6, 1, 72);
	ip4_is(k.dst_addr, 95, 136, 242, 99);
	cr_assert_eq(k.src_port, 1701);
	cr_assert_eq(k.dst_port, 1701);
	cr_assert_eq(k.payload_len, 24);
	cr_assert_not(k.payload_truncated);
}
