/* SPDX-License-Identifier: BSD-3-Clause */
/* Internet checksum (RFC 1071) and the UDP checksum verdict (RFC 768 over the
 * IPv4 pseudo-header, RFC 8200 §8.1 over the IPv6 one). */
#ifndef HP_CSUM_H
#define HP_CSUM_H

#include "common/hp_common.h"

/* HP_CSUM(ID, "label") -> HP_CSUM_<ID>; labels feed
 * hepprobe_udp_checksum_total{result="..."} */
#define HP_CSUM_VERDICTS(X) \
	X(OK, "ok") \
	X(BAD, "bad") \
	X(ZERO_IPV4, "zero_ipv4") \
	X(ZERO_IPV6, "zero_ipv6") \
	X(OFFLOAD_PARTIAL, "offload_partial") \
	X(TRUNCATED, "truncated") \
	X(BAD_LENGTH, "bad_length")

enum hp_csum_verdict {
#define HP_CSUM_ENUM(id, label) HP_CSUM_##id,
	HP_CSUM_VERDICTS(HP_CSUM_ENUM)
#undef HP_CSUM_ENUM
	HP_CSUM_MAX
};

const char *hp_csum_verdict_label(int verdict);

/* Picks the fastest pass for the sums below that this CPU runs (AVX2 on an
 * x86-64 that has it, else the portable scalar one) and returns its name,
 * "avx2" or "scalar". Call once from main before any worker starts; until
 * then the scalar pass runs. Every pass gives bit-identical results. */
const char *hp_csum_init(void);

/* One's-complement sum of len bytes added to sum, not folded, not complemented.
 * p need not be aligned; odd len is padded with a zero byte (RFC 1071 §4.1). */
uint64_t hp_csum_add(const void *p, size_t len, uint64_t sum);
/* Fold a 64-bit accumulator to 16 bits (not complemented). */
uint16_t hp_csum_fold(uint64_t sum);

/* UDP checksum verdict.
 * udp:      the UDP header
 * ip_l4_len: the L4 length the IP header declares (IPv4 total length - IHL,
 *            IPv6 payload length - extension headers)
 * cap:      bytes of the datagram present in the frame from udp on
 *           (Ethernet padding excluded by the caller, or ignored here since
 *           only the UDP length is summed) */
enum hp_csum_verdict hp_csum_udp4(const uint8_t src[4], const uint8_t dst[4],
				  const uint8_t *udp, size_t ip_l4_len, size_t cap);
enum hp_csum_verdict hp_csum_udp6(const uint8_t src[16], const uint8_t dst[16],
				  const uint8_t *udp, size_t ip_l4_len, size_t cap);

#endif
