/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/csum: RFC 1071 sum against a naive oracle, and every UDP checksum
 * verdict over IPv4 and IPv6 with vectors from public captures and ones
 * worked out by hand. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "csum/csum.h"

/* Oracle: RFC 1071 §4.1 written the obvious way, big-endian 16-bit words,
 * odd byte padded with zero, end-around carry. */
static uint16_t naive_sum(const uint8_t *p, size_t n)
{
	uint64_t s = 0;

	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* zeek testing/btest/Traces/chksum/ip4-udp-good-chksum.pcap (corpus
 * chksum_ip4_udp_good.pcap): IPv4 header + UDP 127.0.0.1:30000 ->
 * 127.0.0.1:13000, 4 bytes "XXXX", checksum 0xa92a.
 * By hand: pseudo 7f00+0001+7f00+0001+0011+000c = 0xfe1f; UDP words
 * 7530+32c8+000c+5858+5858 = 0x158b4; total 0x256d3 -> 0x56d5, ~ = 0xa92a. */
static const uint8_t zeek_ip4[] = {
	0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x7c, 0xca,
	0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x75, 0x30, 0x32, 0xc8,
	0x00, 0x0c, 0xa9, 0x2a, 0x58, 0x58, 0x58, 0x58,
};
#define IP4_PSEUDO_ZEEK 0xfe1f

/* zeek ip6-udp-good-chksum.pcap (corpus chksum_ip6_udp_good.pcap): the
 * same datagram over IPv6, checksum 0xbc54. */
static const uint8_t zeek_ip6[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40, 0x20, 0x01, 0x04, 0xf8,
	0x00, 0x04, 0x00, 0x07, 0x02, 0xe0, 0x81, 0xff, 0xfe, 0x52, 0xff, 0xff,
	0x20, 0x01, 0x04, 0xf8, 0x00, 0x04, 0x00, 0x07, 0x02, 0xe0, 0x81, 0xff,
	0xfe, 0x52, 0x9a, 0x6b, 0x75, 0x30, 0x32, 0xc8, 0x00, 0x0c, 0xbc, 0x54,
	0x58, 0x58, 0x58, 0x58,
};
/* Folded IPv6 pseudo-header sum of zeek_ip6 (RFC 8200 §8.1, length 12),
 * computed with a separate Python RFC 1071 reader. */
#define IP6_PSEUDO_ZEEK 0xeaf5

/* sip_b2bua_pcmu_flatline_offload.pcap frame 71: CRLF keep-alive
 * 192.168.20.132:56330 -> 192.168.20.130:5060 captured on the sender with TX
 * offload pending. Stored 0xaa72 = folded pseudo-header sum (by hand:
 * c0a8+1484+c0a8+1482+0011+000a = 0x1aa71 -> 0xaa72); tshark reports the
 * correct checksum as 0x58aa. */
static const uint8_t offload_ip4[] = {
	0x45, 0x00, 0x00, 0x1e, 0x73, 0x6b, 0x00, 0x00, 0x80, 0x11, 0x00, 0x00,
	0xc0, 0xa8, 0x14, 0x84, 0xc0, 0xa8, 0x14, 0x82, 0xdc, 0x0a, 0x13, 0xc4,
	0x00, 0x0a, 0xaa, 0x72, 0x0d, 0x0a,
};

/* Same capture, frame 80: LLMNR query over IPv6 from the capture host,
 * stored 0x2932 (pseudo-header sum); tshark: should be 0xc47b. */
static const uint8_t offload_ip6[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x35, 0x11, 0x01, 0xfe, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xa9, 0x62, 0x7c, 0x75, 0x00, 0x26, 0x05, 0x66,
	0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x03, 0xef, 0xb7, 0x14, 0xeb, 0x00, 0x35, 0x29, 0x32,
	0x8c, 0x5c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x31, 0x33, 0x30, 0x02, 0x32, 0x30, 0x03, 0x31, 0x36, 0x38, 0x03,
	0x31, 0x39, 0x32, 0x07, 0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72, 0x04,
	0x61, 0x72, 0x70, 0x61, 0x00, 0x00, 0x0c, 0x00, 0x01,
};

/* Working copy of an IPv4 or IPv6 packet with room for trailing padding. */
struct pkt {
	uint8_t b[128];
	size_t len;
};

static struct pkt copy_of(const uint8_t *p, size_t len)
{
	struct pkt k;

	memset(&k, 0, sizeof(k));
	memcpy(k.b, p, len);
	k.len = len;
	return k;
}

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static enum hp_csum_verdict v4(const struct pkt *k, size_t l4, size_t cap)
{
	return hp_csum_udp4(k->b + 12, k->b + 16, k->b + 20, l4, cap);
}

static enum hp_csum_verdict v6(const struct pkt *k, size_t l4, size_t cap)
{
	return hp_csum_udp6(k->b + 8, k->b + 24, k->b + 40, l4, cap);
}

Test(csum, fold)
{
	cr_assert_eq(hp_csum_fold(0), 0);
	cr_assert_eq(hp_csum_fold(0xffff), 0xffff);
	cr_assert_eq(hp_csum_fold(0x10000), 0x0001);
	cr_assert_eq(hp_csum_fold(0x1fffe), 0xffff);
	cr_assert_eq(hp_csum_fold(0x12345678), 0x68ac); /* 0x1234 + 0x5678 */
	/* 4 * 0xffff = 0x3fffc -> 0xfffc + 3 = 0xffff */
	cr_assert_eq(hp_csum_fold(0xffffffffffffffffull), 0xffff);
	cr_assert_eq(hp_csum_fold(0x0001000000000000ull), 0x0001);
}

Test(csum, add_is_network_order)
{
	const uint8_t two[] = { 0x12, 0x34 };
	const uint8_t odd[] = { 0x12, 0x34, 0xab };

	cr_assert_eq(hp_csum_fold(hp_csum_add(two, 2, 0)), 0x1234);
	/* RFC 1071 §4.1: odd byte is the high byte of a zero-padded word. */
	cr_assert_eq(hp_csum_fold(hp_csum_add(odd, 3, 0)), 0xbd34);
	cr_assert_eq(hp_csum_fold(hp_csum_add(odd + 2, 1, 0)), 0xab00);
	cr_assert_eq(hp_csum_fold(hp_csum_add(two, 0, 0x17)), 0x17);
	/* A host-order 16-bit value added by a caller combines correctly. */
	cr_assert_eq(hp_csum_fold(hp_csum_add(two, 2, 0x0011)), 0x1245);
}

Test(csum, add_matches_oracle_all_alignments_and_lengths)
{
	static uint8_t buf[2048 + 16];

	srand(12345);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(rand() >> 7);
	for (size_t align = 0; align < 16; align++) {
		for (size_t len = 0; len <= 300; len++)
			cr_assert_eq(hp_csum_fold(hp_csum_add(buf + align, len, 0)),
				     naive_sum(buf + align, len), "align %zu len %zu", align, len);
		cr_assert_eq(hp_csum_fold(hp_csum_add(buf + align, 2048, 0)),
			     naive_sum(buf + align, 2048), "align %zu len 2048", align);
		cr_assert_eq(hp_csum_fold(hp_csum_add(buf + align, 1501, 0)),
			     naive_sum(buf + align, 1501), "align %zu len 1501", align);
	}
}

Test(csum, add_chains_even_chunks)
{
	static uint8_t buf[1000];

	srand(777);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(rand() >> 5);
	uint64_t s = hp_csum_add(buf, 2, 0);

	s = hp_csum_add(buf + 2, 36, s);
	s = hp_csum_add(buf + 38, 500, s);
	s = hp_csum_add(buf + 538, 0, s);
	s = hp_csum_add(buf + 538, 462, s);
	cr_assert_eq(hp_csum_fold(s), naive_sum(buf, sizeof(buf)));
}

Test(csum, add_all_ones)
{
	static uint8_t buf[65536];

	memset(buf, 0xff, sizeof(buf));
	cr_assert_eq(hp_csum_fold(hp_csum_add(buf, sizeof(buf), 0)), 0xffff);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(hp_csum_fold(hp_csum_add(buf, sizeof(buf), 0)), 0);
}

Test(csum, labels)
{
	cr_assert_str_eq(hp_csum_verdict_label(HP_CSUM_OK), "ok");
	cr_assert_str_eq(hp_csum_verdict_label(HP_CSUM_BAD), "bad");
	cr_assert_str_eq(hp_csum_verdict_label(HP_CSUM_ZERO_IPV4), "zero_ipv4");
	cr_assert_str_eq(hp_csum_verdict_label(HP_CSUM_ZERO_IPV6), "zero_ipv6");
	cr_assert_str_eq(hp_csum_verdict_label(HP_CSUM_OFFLOAD_PARTIAL), "offload_partial");
	cr_assert_str_eq(hp_csum_verdict_label(HP_CSUM_TRUNCATED), "truncated");
	cr_assert_str_eq(hp_csum_verdict_label(HP_CSUM_BAD_LENGTH), "bad_length");
	cr_assert_str_eq(hp_csum_verdict_label(HP_CSUM_MAX), "unknown");
	cr_assert_str_eq(hp_csum_verdict_label(-1), "unknown");
}

Test(csum_udp4, known_good_and_bad)
{
	struct pkt k = copy_of(zeek_ip4, sizeof(zeek_ip4));

	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_OK);
	/* zeek ip4-udp-bad-chksum.pcap: same datagram, field 0x0001 */
	set16(k.b + 26, 0x0001);
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_BAD);
	/* one payload bit flipped under the good checksum */
	k = copy_of(zeek_ip4, sizeof(zeek_ip4));
	k.b[31] ^= 0x01;
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_BAD);
}

Test(csum_udp4, zero_is_legal_no_checksum)
{
	struct pkt k = copy_of(zeek_ip4, sizeof(zeek_ip4));

	set16(k.b + 26, 0);
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_ZERO_IPV4);
}

Test(csum_udp4, computed_zero_sent_as_ffff)
{
	/* Data 0x59db 0x0000: pseudo + header with field 0 sum to 0xa624 (by
	 * hand: 0xfe1f + 0x7530 + 0x32c8 + 0x000c -> 0xa624), plus 0x59db =
	 * 0xffff, so the checksum computes to 0 and is sent as 0xffff
	 * (RFC 768). */
	struct pkt k = copy_of(zeek_ip4, sizeof(zeek_ip4));

	k.b[28] = 0x59;
	k.b[29] = 0xdb;
	k.b[30] = 0;
	k.b[31] = 0;
	set16(k.b + 26, 0);
	uint8_t ph[12] = { 0x7f, 0, 0, 1, 0x7f, 0, 0, 1, 0, 17, 0, 12 };
	uint8_t all[24];

	memcpy(all, ph, 12);
	memcpy(all + 12, k.b + 20, 12);
	cr_assert_eq(naive_sum(all, sizeof(all)), 0xffff, "vector construction");
	set16(k.b + 26, 0xffff);
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_OK);
}

Test(csum_udp4, offload_partial)
{
	struct pkt k = copy_of(offload_ip4, sizeof(offload_ip4));

	cr_assert_eq(v4(&k, 10, 10), HP_CSUM_OFFLOAD_PARTIAL);
	set16(k.b + 26, 0x58aa); /* what tshark computes for this datagram */
	cr_assert_eq(v4(&k, 10, 10), HP_CSUM_OK);

	k = copy_of(zeek_ip4, sizeof(zeek_ip4));
	set16(k.b + 26, IP4_PSEUDO_ZEEK);
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_OFFLOAD_PARTIAL);
	/* The complement of the pseudo-header sum is not what Linux leaves. */
	set16(k.b + 26, (uint16_t)~IP4_PSEUDO_ZEEK);
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_BAD);
}

Test(csum_udp4, truncated)
{
	struct pkt k = copy_of(zeek_ip4, sizeof(zeek_ip4));

	for (size_t cap = 0; cap < 12; cap++)
		cr_assert_eq(v4(&k, 12, cap), HP_CSUM_TRUNCATED, "cap %zu", cap);
}

Test(csum_udp4, bad_length)
{
	struct pkt k = copy_of(zeek_ip4, sizeof(zeek_ip4));

	/* UDP length above the IP payload */
	set16(k.b + 24, 13);
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_BAD_LENGTH);
	cr_assert_eq(v4(&k, 12, 40), HP_CSUM_BAD_LENGTH);
	/* UDP length below its own header */
	set16(k.b + 24, 7);
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_BAD_LENGTH);
	set16(k.b + 24, 0);
	cr_assert_eq(v4(&k, 12, 12), HP_CSUM_BAD_LENGTH);
	/* IP payload too short for a UDP header, whatever the frame holds */
	k = copy_of(zeek_ip4, sizeof(zeek_ip4));
	cr_assert_eq(v4(&k, 7, 12), HP_CSUM_BAD_LENGTH);
	cr_assert_eq(v4(&k, 0, 0), HP_CSUM_BAD_LENGTH);
}

Test(csum_udp4, padding_is_not_summed)
{
	/* Ethernet pads to 60 bytes: non-zero padding after the datagram, and
	 * an IP payload longer than the UDP length, must not change the sum. */
	struct pkt k = copy_of(zeek_ip4, sizeof(zeek_ip4));

	memset(k.b + 32, 0xa5, 14);
	cr_assert_eq(v4(&k, 12, 26), HP_CSUM_OK);
	cr_assert_eq(v4(&k, 26, 26), HP_CSUM_OK);
	set16(k.b + 26, IP4_PSEUDO_ZEEK);
	cr_assert_eq(v4(&k, 26, 26), HP_CSUM_OFFLOAD_PARTIAL);
}

Test(csum_udp4, unaligned_datagram)
{
	uint8_t raw[sizeof(zeek_ip4) + 3];

	for (size_t a = 0; a < 4; a++) {
		memcpy(raw + a, zeek_ip4, sizeof(zeek_ip4));
		cr_assert_eq(hp_csum_udp4(raw + a + 12, raw + a + 16, raw + a + 20, 12, 12),
			     HP_CSUM_OK, "offset %zu", a);
	}
}

Test(csum_udp6, known_good_and_bad)
{
	struct pkt k = copy_of(zeek_ip6, sizeof(zeek_ip6));

	cr_assert_eq(v6(&k, 12, 12), HP_CSUM_OK);
	/* zeek ip6-udp-bad-chksum.pcap: field 0x0001 */
	set16(k.b + 46, 0x0001);
	cr_assert_eq(v6(&k, 12, 12), HP_CSUM_BAD);
	/* a flipped address bit is caught through the pseudo-header */
	k = copy_of(zeek_ip6, sizeof(zeek_ip6));
	k.b[39] ^= 0x10;
	cr_assert_eq(v6(&k, 12, 12), HP_CSUM_BAD);
}

Test(csum_udp6, zero_is_illegal)
{
	struct pkt k = copy_of(zeek_ip6, sizeof(zeek_ip6));

	set16(k.b + 46, 0);
	cr_assert_eq(v6(&k, 12, 12), HP_CSUM_ZERO_IPV6);
}

Test(csum_udp6, computed_zero_sent_as_ffff)
{
	/* Pseudo + header with field 0 sum to 0x92fa (Python RFC 1071 reader);
	 * data 0x6d05 0x0000 makes 0xffff, a computed checksum of 0. */
	struct pkt k = copy_of(zeek_ip6, sizeof(zeek_ip6));

	k.b[48] = 0x6d;
	k.b[49] = 0x05;
	k.b[50] = 0;
	k.b[51] = 0;
	set16(k.b + 46, 0xffff);
	cr_assert_eq(v6(&k, 12, 12), HP_CSUM_OK);
	k.b[49] = 0x06;
	cr_assert_eq(v6(&k, 12, 12), HP_CSUM_BAD);
}

Test(csum_udp6, offload_partial)
{
	struct pkt k = copy_of(offload_ip6, sizeof(offload_ip6));

	cr_assert_eq(v6(&k, 53, 53), HP_CSUM_OFFLOAD_PARTIAL);
	set16(k.b + 46, 0xc47b); /* tshark's computed checksum */
	cr_assert_eq(v6(&k, 53, 53), HP_CSUM_OK);

	k = copy_of(zeek_ip6, sizeof(zeek_ip6));
	set16(k.b + 46, IP6_PSEUDO_ZEEK);
	cr_assert_eq(v6(&k, 12, 12), HP_CSUM_OFFLOAD_PARTIAL);
	set16(k.b + 46, (uint16_t)~IP6_PSEUDO_ZEEK);
	cr_assert_eq(v6(&k, 12, 12), HP_CSUM_BAD);
}

Test(csum_udp6, truncated_and_bad_length)
{
	struct pkt k = copy_of(offload_ip6, sizeof(offload_ip6));

	for (size_t cap = 0; cap < 53; cap++)
		cr_assert_eq(v6(&k, 53, cap), HP_CSUM_TRUNCATED, "cap %zu", cap);
	cr_assert_eq(v6(&k, 52, 53), HP_CSUM_BAD_LENGTH);
	set16(k.b + 44, 4);
	cr_assert_eq(v6(&k, 53, 53), HP_CSUM_BAD_LENGTH);
	cr_assert_eq(v6(&k, 6, 6), HP_CSUM_BAD_LENGTH);
}

Test(csum_udp6, padding_is_not_summed)
{
	struct pkt k = copy_of(offload_ip6, sizeof(offload_ip6));

	set16(k.b + 46, 0xc47b);
	memset(k.b + 93, 0x5a, 7);
	cr_assert_eq(v6(&k, 60, 60), HP_CSUM_OK);
}

/* ---- The summing passes against each other ----
 *
 * Every pass this CPU runs must fold to the same 16 bits as the scalar pass
 * and the oracle, for every length and start alignment, and hp_csum_add and
 * the verdicts must not depend on the pass. Criterion runs each test in its
 * own process, so a pass set here does not leak into other tests. */
#include "csum/csum_kernel.h"

#define RAND_LEN 2000
#define RAND_ALIGN 32

/* A pass sums native-order words; the oracle big-endian ones. */
static uint16_t net_fold(uint64_t native_sum)
{
	uint16_t f = hp_csum_fold(native_sum);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	f = (uint16_t)(f << 8 | f >> 8);
#endif
	return f;
}

static void fill_random(uint8_t *b, size_t n, unsigned seed)
{
	srand(seed);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(rand() >> 11);
}

Test(csum_pass, names_and_choice)
{
	cr_assert_str_eq(hp_csum_pass_name(HP_CSUM_PASS_SCALAR), "scalar");
	cr_assert_str_eq(hp_csum_pass_name(HP_CSUM_PASS_AVX2), "avx2");
	cr_assert_str_eq(hp_csum_pass_name(HP_CSUM_PASS_MAX), "");
	cr_assert_str_eq(hp_csum_pass_name(-1), "");
	cr_assert(hp_csum_pass_ok(HP_CSUM_PASS_SCALAR));
	cr_assert_not(hp_csum_pass_ok(HP_CSUM_PASS_MAX));
	cr_assert_not(hp_csum_pass_set(HP_CSUM_PASS_MAX));
	/* Until hp_csum_init runs, the scalar pass does. */
	cr_assert_eq(hp_csum_pass_get(), HP_CSUM_PASS_SCALAR);

	enum hp_csum_pass best = hp_csum_pass_best();

	cr_assert(hp_csum_pass_ok(best));
	cr_assert_str_eq(hp_csum_init(), hp_csum_pass_name(best));
	cr_assert_eq(hp_csum_pass_get(), best);
#if defined(__x86_64__)
	cr_assert_eq(hp_csum_pass_ok(HP_CSUM_PASS_AVX2), (bool)__builtin_cpu_supports("avx2"));
	if (__builtin_cpu_supports("avx2"))
		cr_assert_eq(best, HP_CSUM_PASS_AVX2, "AVX2 present but not chosen");
#endif
	cr_assert(hp_csum_pass_set(HP_CSUM_PASS_SCALAR));
	cr_assert_eq(hp_csum_pass_get(), HP_CSUM_PASS_SCALAR);
}

#if defined(__x86_64__)
/* The AVX2 pass on its own, from the shortest length it accepts, on seeded
 * random buffers at every start alignment within a 32-byte load. */
Test(csum_pass, avx2_matches_scalar_random)
{
	static uint8_t buf[RAND_LEN + RAND_ALIGN];

	if (!hp_csum_pass_ok(HP_CSUM_PASS_AVX2)) {
		cr_log_warn("no AVX2 on this CPU: the AVX2 pass is not tested");
		return;
	}
	for (unsigned seed = 1; seed <= 3; seed++) {
		fill_random(buf, sizeof(buf), seed);
		for (size_t align = 0; align < RAND_ALIGN; align++) {
			for (size_t len = HP_CSUM_AVX2_MIN_LEN; len <= RAND_LEN; len++) {
				const uint8_t *p = buf + align;
				uint16_t want = hp_csum_fold(hp_csum_sum_scalar(p, len));

				cr_assert_eq(hp_csum_fold(hp_csum_sum_avx2(p, len)), want,
					     "seed %u align %zu len %zu", seed, align, len);
			}
		}
		/* The scalar pass against the oracle, so that "equal to the
		 * scalar pass" means "right". */
		for (size_t len = 0; len <= RAND_LEN; len++)
			cr_assert_eq(net_fold(hp_csum_sum_scalar(buf + 1, len)),
				     naive_sum(buf + 1, len), "seed %u len %zu", seed, len);
	}
}

/* Words of 0xffff make every lane grow as fast as it can: a lane that wraps
 * changes the sum by 2^32, which is 1 modulo 0xffff, so a chunk one step too
 * long shows. Lengths around one, two and three chunks, odd and even, with
 * the last partial step of every size. */
Test(csum_pass, avx2_lane_limits)
{
	static uint8_t buf[3 * HP_CSUM_AVX2_CHUNK + 128];
	const size_t c = HP_CSUM_AVX2_CHUNK;
	const size_t lens[] = {
		c - 33, c - 32, c - 31, c - 2, c - 1, c, c + 1, c + 2, c + 31, c + 32, c + 33,
		c + 63, c + 64, c + 65, 2 * c - 1, 2 * c, 2 * c + 1, 2 * c + 30, 3 * c,
		3 * c + 1, 3 * c + 127, sizeof(buf),
	};

	if (!hp_csum_pass_ok(HP_CSUM_PASS_AVX2)) {
		cr_log_warn("no AVX2 on this CPU: the AVX2 pass is not tested");
		return;
	}
	for (int pattern = 0; pattern < 3; pattern++) {
		if (pattern == 0)
			memset(buf, 0xff, sizeof(buf));
		else if (pattern == 1)
			fill_random(buf, sizeof(buf), 99);
		else
			memset(buf, 0, sizeof(buf));
		for (size_t i = 0; i < HP_ARRAY_LEN(lens); i++) {
			for (size_t align = 0; align < 2; align++) {
				size_t len = lens[i] - align;
				uint16_t want = naive_sum(buf + align, len);

				cr_assert_eq(net_fold(hp_csum_sum_avx2(buf + align, len)), want,
					     "pattern %d len %zu align %zu", pattern, len, align);
			}
		}
	}
	/* All zero bytes sum to 0, never to the other zero 0xffff. */
	cr_assert_eq(hp_csum_fold(hp_csum_sum_avx2(buf, sizeof(buf))), 0);
	cr_assert_eq(hp_csum_fold(hp_csum_sum_avx2(buf, 33)), 0);
}
#endif

/* hp_csum_add through every pass this CPU runs, compared bit for bit (the
 * unfolded result too) with the scalar pass, chained into a running sum. */
Test(csum_pass, add_identical_every_pass)
{
	static uint8_t buf[RAND_LEN + RAND_ALIGN];
	static uint64_t want[RAND_ALIGN][RAND_LEN + 1];

	fill_random(buf, sizeof(buf), 4242);
	cr_assert(hp_csum_pass_set(HP_CSUM_PASS_SCALAR));
	for (size_t align = 0; align < RAND_ALIGN; align++)
		for (size_t len = 0; len <= RAND_LEN; len++)
			want[align][len] = hp_csum_add(buf + align, len, 0x12345 + len);
	for (int k = 0; k < HP_CSUM_PASS_MAX; k++) {
		if (!hp_csum_pass_set((enum hp_csum_pass)k))
			continue;
		for (size_t align = 0; align < RAND_ALIGN; align++)
			for (size_t len = 0; len <= RAND_LEN; len++)
				cr_assert_eq(hp_csum_add(buf + align, len, 0x12345 + len),
					     want[align][len], "pass %s align %zu len %zu",
					     hp_csum_pass_name(k), align, len);
	}
}

/* A UDP datagram of len bytes from seeded random bytes, with the checksum
 * the oracle computes over the IPv4 or IPv6 pseudo-header (RFC 768, RFC 8200
 * §8.1). */
static void make_datagram(uint8_t *d, size_t len, const uint8_t *src, const uint8_t *dst,
			  size_t alen)
{
	uint8_t sum[2 * 16 + 4 + 1500 + 1] = { 0 };
	size_t n = 0;

	memcpy(sum + n, src, alen);
	n += alen;
	memcpy(sum + n, dst, alen);
	n += alen;
	set16(sum + n, 17);
	set16(sum + n + 2, (uint16_t)len);
	n += 4;
	set16(d + 4, (uint16_t)len);
	set16(d + 6, 0);
	memcpy(sum + n, d, len);
	uint16_t c = (uint16_t)~naive_sum(sum, n + len);

	set16(d + 6, c ? c : 0xffff);
}

/* The verdicts through every pass on datagrams long enough for the vector
 * pass (and short ones, for the scalar path inside it): right checksums are
 * ok, a changed byte is not, and every verdict equals the scalar pass's. */
Test(csum_pass, udp_verdicts_every_pass)
{
	static const uint8_t s4[4] = { 10, 1, 2, 3 }, d4[4] = { 192, 168, 20, 130 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t d6[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xa9, 0x62, 0x7c, 0x75,
					0, 0x26, 0x05, 0x66 };
	static uint8_t dg[1500 + RAND_ALIGN];
	const size_t lens[] = { 8, 9, 40, 127, 128, 129, 172, 180, 200, 201, 1400, 1499, 1500 };

	for (int k = 0; k < HP_CSUM_PASS_MAX; k++) {
		if (!hp_csum_pass_set((enum hp_csum_pass)k))
			continue;
		for (size_t i = 0; i < HP_ARRAY_LEN(lens); i++) {
			for (size_t align = 0; align < 4; align++) {
				size_t len = lens[i];
				uint8_t *d = dg + align;

				fill_random(dg, sizeof(dg), (unsigned)(len * 7 + align));
				make_datagram(d, len, s4, d4, 4);
				cr_assert_eq(hp_csum_udp4(s4, d4, d, len, len), HP_CSUM_OK,
					     "pass %s v4 len %zu align %zu", hp_csum_pass_name(k),
					     len, align);
				make_datagram(d, len, s6, d6, 16);
				cr_assert_eq(hp_csum_udp6(s6, d6, d, len, len), HP_CSUM_OK,
					     "pass %s v6 len %zu align %zu", hp_csum_pass_name(k),
					     len, align);
				d[len - 1] ^= 0x40;
				enum hp_csum_verdict v = hp_csum_udp6(s6, d6, d, len, len);

				cr_assert_neq(v, HP_CSUM_OK, "pass %s v6 len %zu changed byte",
					      hp_csum_pass_name(k), len);
				cr_assert(hp_csum_pass_set(HP_CSUM_PASS_SCALAR));
				cr_assert_eq(hp_csum_udp6(s6, d6, d, len, len), v);
				cr_assert(hp_csum_pass_set((enum hp_csum_pass)k));
				/* Offload: the folded pseudo-header sum in the field. */
				uint8_t ph[16 + 16 + 4];

				memcpy(ph, s6, 16);
				memcpy(ph + 16, d6, 16);
				set16(ph + 32, 17);
				set16(ph + 34, (uint16_t)len);
				set16(d + 6, naive_sum(ph, sizeof(ph)));
				cr_assert_eq(hp_csum_udp6(s6, d6, d, len, len),
					     HP_CSUM_OFFLOAD_PARTIAL, "pass %s v6 len %zu offload",
					     hp_csum_pass_name(k), len);
			}
		}
	}
}

/* The captured vectors above, through every pass. */
Test(csum_pass, vectors_every_pass)
{
	for (int k = 0; k < HP_CSUM_PASS_MAX; k++) {
		if (!hp_csum_pass_set((enum hp_csum_pass)k))
			continue;
		struct pkt a = copy_of(zeek_ip4, sizeof(zeek_ip4));
		struct pkt b = copy_of(zeek_ip6, sizeof(zeek_ip6));
		struct pkt c = copy_of(offload_ip4, sizeof(offload_ip4));
		struct pkt d = copy_of(offload_ip6, sizeof(offload_ip6));

		cr_assert_eq(v4(&a, 12, 12), HP_CSUM_OK, "pass %s", hp_csum_pass_name(k));
		cr_assert_eq(v6(&b, 12, 12), HP_CSUM_OK, "pass %s", hp_csum_pass_name(k));
		cr_assert_eq(v4(&c, 10, 10), HP_CSUM_OFFLOAD_PARTIAL, "pass %s",
			     hp_csum_pass_name(k));
		cr_assert_eq(v6(&d, 53, 53), HP_CSUM_OFFLOAD_PARTIAL, "pass %s",
			     hp_csum_pass_name(k));
		set16(d.b + 46, 0xc47b);
		cr_assert_eq(v6(&d, 53, 53), HP_CSUM_OK, "pass %s", hp_csum_pass_name(k));
	}
}
