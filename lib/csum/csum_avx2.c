/* SPDX-License-Identifier: BSD-3-Clause */
/* The RFC 1071 sum with AVX2, 32 bytes per step, for CPUs that have it
 * (hp_csum_init checks at run time; the rest of the library is built for the
 * baseline ISA, hence the per-function target attribute).
 *
 * Each 32-bit lane of a load holds two native-order 16-bit words; the low
 * words go into one accumulator and the high words into another, so a step
 * is two independent adds and no carry is ever lost: a lane grows by at most
 * 0xffff per step. The lanes are widened into a 64-bit sum once per
 * HP_CSUM_AVX2_CHUNK bytes and at the end. The sum is the plain word sum, as
 * the scalar pass has it, so both fold to the same 16 bits. */
#if defined(__x86_64__)

#include <immintrin.h>
#include "csum/csum_kernel.h"

#define AVX2 __attribute__((target("avx2")))

/* Constants as loads: gcc otherwise builds them through general registers,
 * two extra instructions on the short path. ramp + r is 0xff in its last r
 * bytes. */
static const uint32_t low16[8] __attribute__((aligned(32))) = {
	0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
};
static const uint64_t low32[4] __attribute__((aligned(32))) = {
	0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
};
static const uint8_t ramp[64] = {
	[32] = 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

AVX2 static inline __m256i load32(const void *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

struct acc {
	__m256i lo;  /* 8 x u32: sum of the low word of each lane */
	__m256i hi;  /* 8 x u32: sum of the high word of each lane */
};

AVX2 static inline void step(struct acc *a, __m256i v)
{
	a->lo = _mm256_add_epi32(a->lo, _mm256_and_si256(v, load32(low16)));
	a->hi = _mm256_add_epi32(a->hi, _mm256_srli_epi32(v, 16));
}

/* Sum of the sixteen 32-bit lanes. lo + hi cannot wrap: between widenings
 * there are at most HP_CSUM_AVX2_CHUNK / 32 = 32768 steps (the last, partial
 * step only when the whole ones fall short of a chunk), so each lane of
 * either is at most 32768 * 0xffff and their sum below 2^32. */
AVX2 static inline uint64_t widen(const struct acc *a)
{
	__m256i s = _mm256_add_epi32(a->lo, a->hi);
	__m256i m = load32(low32);
	__m256i w = _mm256_add_epi64(_mm256_and_si256(s, m), _mm256_srli_epi64(s, 32));
	__m128i h = _mm_add_epi64(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));

	return (uint64_t)_mm_cvtsi128_si64(h) + (uint64_t)_mm_extract_epi64(h, 1);
}

/* Whole 32-byte steps over p[0..n), n a multiple of 32. */
AVX2 static inline void steps(struct acc *a, const uint8_t *p, size_t n)
{
	size_t i = 0;

	for (; i + 64 <= n; i += 64) {
		step(a, load32(p + i));
		step(a, load32(p + i + 32));
	}
	if (i < n)
		step(a, load32(p + i));
}

AVX2 uint64_t hp_csum_sum_avx2(const uint8_t *p, size_t len)
{
	struct acc a = { _mm256_setzero_si256(), _mm256_setzero_si256() };
	uint64_t total = 0;

	/* RFC 1071 §4.1: an odd last byte is the high-order byte of a big-endian
	 * word padded with zero; in a little-endian word it is the low byte. The
	 * rest is even, which the overlapping last step needs. */
	if (len & 1)
		total = p[--len];
	/* Datagrams never get here (HP_CSUM_AVX2_CHUNK is 1 MiB). */
	while (len > HP_CSUM_AVX2_CHUNK) {
		steps(&a, p, HP_CSUM_AVX2_CHUNK);
		total += widen(&a);
		a.lo = a.hi = _mm256_setzero_si256();
		p += HP_CSUM_AVX2_CHUNK;
		len -= HP_CSUM_AVX2_CHUNK;
	}
	size_t whole = len & ~(size_t)31;
	size_t r = len - whole;

	steps(&a, p, whole);
	/* The r (< 32) bytes left are the last r of the last 32, a load that
	 * starts an even number of bytes in (len is even, and at least 32
	 * when the chunks above ran), so every byte keeps its place in its
	 * word; the bytes already summed are masked out. */
	if (r)
		step(&a, _mm256_and_si256(load32(p + len - 32), load32(ramp + r)));
	return total + widen(&a);
}

#endif
