/* SPDX-License-Identifier: BSD-3-Clause */
/* Internet checksum (RFC 1071) and the UDP checksum verdict. */
#include "csum/csum.h"

#include <stdatomic.h>
#include <string.h>

#include "csum/csum_kernel.h"

static const char *const verdict_labels[] = {
#define HP_CSUM_LABEL(id, label) label,
	HP_CSUM_VERDICTS(HP_CSUM_LABEL)
#undef HP_CSUM_LABEL
};

const char *hp_csum_verdict_label(int verdict)
{
	if (verdict < 0 || verdict >= HP_CSUM_MAX)
		return "unknown";
	return verdict_labels[verdict];
}

static inline uint16_t fold(uint64_t sum)
{
	/* 2^16 == 1 (mod 0xffff), so adding the high parts back in keeps the
	 * value congruent; four rounds bring any 64-bit value below 0x10000. */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Sum of native-order 32-bit words. Each addend is below 2^32, so a 64-bit
 * accumulator cannot overflow before 2^32 additions (16 GiB): no carry
 * handling in the loop. gcc vectorises this plain loop (widening adds);
 * on an AMD EPYC (Zen 4) it beat a four-accumulator unrolled loop and a
 * 64-bit add-with-carry loop at 64, 200 and 1500 bytes, with and without
 * -march=native. */
static inline uint64_t sum_scalar(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (; len >= 4; p += 4, len -= 4)
		s += load32(p);
	if (len >= 2) {
		s += load16(p);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* RFC 1071 §4.1: a trailing odd byte is the high-order byte of a
		 * big-endian 16-bit word padded with zero. In native order that is
		 * the byte at the lowest address of a 16-bit load. */
		uint8_t last[2] = { p[0], 0 };

		s += load16(last);
	}
	return s;
}

/* The library's own calls use the inline forms above: a call per 4-byte
 * address or per fold costs as much as the sum of a short datagram. */
uint16_t hp_csum_fold(uint64_t sum)
{
	return fold(sum);
}

uint64_t hp_csum_sum_scalar(const uint8_t *p, size_t len)
{
	return sum_scalar(p, len);
}

/* Set once by hp_csum_init before the workers start and only read after;
 * atomic (relaxed: nothing else is published with it) so that a late or
 * repeated init is still not a data race. Scalar until then. */
static _Atomic int pass = HP_CSUM_PASS_SCALAR;

static const char *const pass_names[HP_CSUM_PASS_MAX] = { "scalar", "avx2" };

bool hp_csum_pass_ok(enum hp_csum_pass k)
{
	switch (k) {
	case HP_CSUM_PASS_SCALAR:
		return true;
#if defined(__x86_64__)
	case HP_CSUM_PASS_AVX2:
		return __builtin_cpu_supports("avx2");
#endif
	default:
		return false;
	}
}

enum hp_csum_pass hp_csum_pass_best(void)
{
	return hp_csum_pass_ok(HP_CSUM_PASS_AVX2) ? HP_CSUM_PASS_AVX2 : HP_CSUM_PASS_SCALAR;
}

bool hp_csum_pass_set(enum hp_csum_pass k)
{
	if (!hp_csum_pass_ok(k))
		return false;
	atomic_store_explicit(&pass, (int)k, memory_order_relaxed);
	return true;
}

static inline enum hp_csum_pass pass_get(void)
{
	return (enum hp_csum_pass)atomic_load_explicit(&pass, memory_order_relaxed);
}

enum hp_csum_pass hp_csum_pass_get(void)
{
	return pass_get();
}

const char *hp_csum_pass_name(int k)
{
	if (k < 0 || k >= HP_CSUM_PASS_MAX)
		return "";
	return pass_names[k];
}

const char *hp_csum_init(void)
{
	enum hp_csum_pass k = hp_csum_pass_best();

	hp_csum_pass_set(k);
	return pass_names[k];
}

/* Native-order word sum of p[0..len) by the pass in use. */
static inline uint64_t sum_words(const uint8_t *p, size_t len)
{
#if defined(__x86_64__)
	if (len >= HP_CSUM_AVX2_MIN && pass_get() == HP_CSUM_PASS_AVX2)
		return hp_csum_sum_avx2(p, len);
#endif
	return sum_scalar(p, len);
}

/* A big-endian 16-bit value as the native-order word of its two bytes, and
 * back: the same swap both ways. */
static inline uint16_t swap_native(uint16_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint16_t)(v << 8 | v >> 8);
#else
	return v;
#endif
}

uint64_t hp_csum_add(const void *p, size_t len, uint64_t sum)
{
	/* RFC 1071 §2(B): the one's-complement sum is byte-order independent,
	 * so sum in native order and swap the folded 16 bits once. The result
	 * is returned in network (big-endian word) order so that callers can
	 * add their own host-order 16-bit values to it. */
	return sum + swap_native(fold(sum_words(p, len)));
}

/* Verdict once the native-order pseudo-header sum is known (same for both
 * IP versions). */
static enum hp_csum_verdict verdict(uint64_t pseudo, const uint8_t *udp, size_t udp_len)
{
	uint16_t stored = hp_get_be16(udp + 6);

	/* RFC 768: the sum over pseudo-header and datagram, checksum field
	 * included, is all ones when the checksum is right (in either byte
	 * order). A computed 0 is transmitted as 0xffff, which verifies the
	 * same way. One fold for the whole sum: the pseudo-header is summed
	 * in native order with the datagram. */
	if (fold(pseudo + sum_words(udp, udp_len)) == 0xffff)
		return HP_CSUM_OK;
	/* With TX checksum offload (Linux CHECKSUM_PARTIAL) the stack leaves
	 * the folded, uncomplemented pseudo-header sum in the field for the NIC
	 * to finish; a capture on the sending host sees it as is. Captures
	 * checked (sip_b2bua_pcmu_flatline_offload.pcap: 1399 IPv4 + 6 IPv6
	 * datagrams; rtp_pcmu_rfc2833_sll.pcap: 974) all store exactly this
	 * value, never its complement, so only this form is accepted. */
	if (stored == swap_native(fold(pseudo)))
		return HP_CSUM_OFFLOAD_PARTIAL;
	return HP_CSUM_BAD;
}

/* Length and presence checks common to both IP versions; returns
 * HP_CSUM_MAX when the datagram can be summed. */
static enum hp_csum_verdict check_length(const uint8_t *udp, size_t ip_l4_len, size_t cap,
					 uint16_t *udp_len)
{
	if (ip_l4_len < 8)
		return HP_CSUM_BAD_LENGTH;
	if (cap < 8)
		return HP_CSUM_TRUNCATED;
	*udp_len = hp_get_be16(udp + 4);
	if (*udp_len < 8 || *udp_len > ip_l4_len)
		return HP_CSUM_BAD_LENGTH;
	if (cap < *udp_len)
		return HP_CSUM_TRUNCATED;
	return HP_CSUM_MAX;
}

/* Both families: the pseudo-header is source, destination, the protocol and
 * the UDP length (RFC 768; RFC 8200 §8.1 widens the length to 32 bits and
 * pads with zero bytes, which adds nothing to the sum). A zero field means
 * "no checksum": legal over IPv4 (RFC 768), discarded over IPv6 (RFC 8200
 * §8.1), so the caller says which verdict it is. */
static enum hp_csum_verdict udp_verdict(const uint8_t *src, const uint8_t *dst, size_t alen,
					const uint8_t *udp, size_t ip_l4_len, size_t cap,
					enum hp_csum_verdict zero)
{
	uint16_t udp_len = 0;
	enum hp_csum_verdict v = check_length(udp, ip_l4_len, cap, &udp_len);

	if (v != HP_CSUM_MAX)
		return v;
	if (hp_get_be16(udp + 6) == 0)
		return zero;
	uint64_t pseudo = sum_scalar(src, alen) + sum_scalar(dst, alen) +
			  swap_native(17) + swap_native(udp_len);
	return verdict(pseudo, udp, udp_len);
}

enum hp_csum_verdict hp_csum_udp4(const uint8_t src[4], const uint8_t dst[4],
				  const uint8_t *udp, size_t ip_l4_len, size_t cap)
{
	return udp_verdict(src, dst, 4, udp, ip_l4_len, cap, HP_CSUM_ZERO_IPV4);
}

enum hp_csum_verdict hp_csum_udp6(const uint8_t src[16], const uint8_t dst[16],
				  const uint8_t *udp, size_t ip_l4_len, size_t cap)
{
	return udp_verdict(src, dst, 16, udp, ip_l4_len, cap, HP_CSUM_ZERO_IPV6);
}
