/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/net: frames built byte by byte here, decoded whole and cut at every
 * length. Expected offsets are counted by hand from the header sizes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

struct frame {
	uint8_t b[512];
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
static void ip4(struct frame *f, unsigned ihl, uint16_t total, uint16_t frag, uint8_t proto)
{
	put8(f, (uint8_t)(0x40 | ihl));
	put8(f, 0xb8); /* DSCP EF */
	put16(f, total);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put(f, ip4_src, 4);
	put(f, ip4_dst, 4);
	for (unsigned i = 20; i < ihl * 4; i += 4) {
		if (i == 20) {
			put32(f, 0x94040000);
		} else {
			put32(f, 0x01010101);
		}
	}
}

static void ip6(struct frame *f, uint16_t plen, uint8_t nh)
{
	put32(f, 0x6b812345); /* traffic class 0xb8, flow label 0x12345 */
	put16(f, plen);
	put8(f, nh);
	put8(f, 64);
	put(f, ip6_src, 16);
	put(f, ip6_dst, 16);
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
	struct frame f = { .len = 0 };
	struct hp_pkt k;

	cr_assert_eq(HP_NET_MAX_VLAN, 4);
	eth(&f, 0x8100);
	tag(&f, 1, 0x8100);
	tag(&f, 2, 0x8100);
	tag(&f, 3, 0x8100);
	tag(&f, 4, 0x0800);
	ip4(&f, 5, 28, 0, 17);
	udp(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_OK);
	cr_assert_eq(k.vlan_depth, 4);
	cr_assert_eq(k.vlan_id, 4);
	cr_assert_eq(k.payload_len, 0);

	f.len = 0;
	eth(&f, 0x8100);
	for (uint16_t i = 1; i <= 5; i++)
		tag(&f, i, i == 5 ? 0x0800 : 0x8100);
	ip4(&f, 5, 28, 0, 17);
	udp(&f, 8);
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_VLAN_TOO_DEEP);
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

	f.b[23] = 132; /* SCTP */
	cr_assert_eq(hp_net_decode(f.b, f.len, HP_LINK_ETHERNET, &k), HP_R_L4_UNSUPPORTED);
	cr_assert_eq(k.l4_proto, 132);
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
