/* SPDX-License-Identifier: BSD-3-Clause */
/* The segment pass with AVX2, 32 G.711 bytes per step, for CPUs that have it
 * (hp_silence_init checks at run time; the rest of the library is built for
 * the baseline ISA, hence the per-function target attribute).
 *
 * Instead of a table load per byte, the bytes are decoded arithmetically with
 * the formulas of g711.h. Both laws give |v| = k * u with
 *     u = (2q + 33) * pw[s] - off[s]
 * where s (bits 6..4) and q (bits 3..0) are taken after the law's bit
 * inversion, and
 *     mu-law: k = 4, pw[s] = 2^s,                 off[s] = 33
 *     A-law:  k = 8, pw[0] = 1, pw[s] = 2^(s-1),  off[0] = 32, off[s] = 0
 * (A-law segment 0: 2q + 33 - 32 = 2q + 1). pw and off come from byte shuffles
 * on s; one vpmaddubsw of the pairs (pw, 1) and (+-(2q + 33), -+off) gives the
 * signed u of 16 samples.
 *
 * Sums: sum v = k * sum u (signed). The power tables keep v*v >> 8 per sample;
 * v*v = k*k*u*u and k*k divides 256, so v*v >> 8 = (u*u - u*u mod m) * k*k / 256
 * with m = 256 / (k*k) (16 for mu-law, 4 for A-law): the exact sum of u*u
 * (vpmaddwd) less the sum of u*u mod m (the low bits of vpmullw) reproduces
 * the tables' truncation exactly. */
#if defined(__x86_64__)

#include <immintrin.h>
#include "g711/g711.h"
#include "silence/silence_kernel.h"

#define AVX2 __attribute__((target("avx2")))

/* Chunks between folds of the 32-bit square sums into 64 bits: a chunk adds at
 * most 4 * 8031^2 < 2^28 to a lane, so 16 chunks stay below 2^32. */
#define FOLD_CHUNKS 16u

/* The shuffle tables are indexed by the nibbles of the byte as sent, so the
 * law's bit inversion costs nothing: entry r is the value for s = r ^ (inv >> 4)
 * or q = r ^ (inv & 15). */
#define SEG(r, inv) ((r) ^ (((inv) >> 4) & 7))
#define STEP(r, inv) (2 * ((r) ^ ((inv) & 15)) + 33)
#define MU_PW(r) ((int8_t)(uint8_t)(1u << SEG(r, 0xFF)))
#define A_PW(r) ((int8_t)(SEG(r, 0x55) == 0 ? 1 : 1 << ((SEG(r, 0x55) + 7) & 7)))
#define A_OFF(r) ((int8_t)(SEG(r, 0x55) == 0 ? -32 : 0))
#define R8(F) F(0), F(1), F(2), F(3), F(4), F(5), F(6), F(7)
#define R16(F) R8(F), F(8), F(9), F(10), F(11), F(12), F(13), F(14), F(15)
#define MU_STEP(r) STEP(r, 0xFF)
#define A_STEP(r) STEP(r, 0x55)
#define MU_OFF(r) (-33)

struct law {
	int8_t pw[16];         /* pw[s], indexed by bits 6..4 as sent */
	int8_t off[16];        /* -off[s], the same */
	int8_t step[16];       /* 2q + 33, indexed by bits 3..0 as sent */
	uint8_t alias;         /* a second code for the same sample as alias | 0x80 */
	uint8_t alias_bit;     /* 0x80 if the alias exists, else 0 */
	int32_t k;             /* negative: see power_chunk */
	uint16_t low_mask;     /* m - 1 */
	const int16_t *tab;
};

static const struct law laws[2] = {
	[HP_SILENCE_PCMU] = {
		.pw = { R8(MU_PW) }, .off = { R8(MU_OFF) }, .step = { R16(MU_STEP) },
		.alias = 0x7F, .alias_bit = 0x80,
		.k = -4, .low_mask = 15, .tab = hp_g711_ulaw_table,
	},
	[HP_SILENCE_PCMA] = {
		.pw = { R8(A_PW) }, .off = { R8(A_OFF) }, .step = { R16(A_STEP) },
		.alias = 0, .alias_bit = 0,
		.k = -8, .low_mask = 3, .tab = hp_g711_alaw_table,
	},
};

/* The law's constants in registers, loaded once per segment. */
struct lawv {
	__m256i pw, off, step, seven, fifteen, one, minus1, ones16, low_mask;
	__m256i alias, alias_bit;
};

struct acc {
	__m256i sum;    /* 8 x int32: signed u */
	__m256i sq;     /* 8 x uint32: u*u, folded every FOLD_CHUNKS */
	__m256i low;    /* 16 x uint16: u*u mod m */
};

AVX2 static inline __m256i bcast16(const int8_t *t)
{
	return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)t));
}

AVX2 static inline void lawv_load(const struct law *L, struct lawv *v)
{
	v->pw = bcast16(L->pw);
	v->off = bcast16(L->off);
	v->step = bcast16(L->step);
	v->seven = _mm256_set1_epi8(7);
	v->fifteen = _mm256_set1_epi8(15);
	v->one = _mm256_set1_epi8(1);
	v->minus1 = _mm256_set1_epi8(-1);
	v->ones16 = _mm256_set1_epi16(1);
	v->low_mask = _mm256_set1_epi16((short)L->low_mask);
	v->alias = _mm256_set1_epi8((char)L->alias);
	v->alias_bit = _mm256_set1_epi8((char)L->alias_bit);
}

/* Adds the 32 samples of c whose byte in keep is 0xFF. */
AVX2 static inline void power_chunk(const struct lawv *L, __m256i c, __m256i keep, struct acc *a)
{
	__m256i s = _mm256_and_si256(_mm256_srli_epi16(c, 4), L->seven);
	__m256i pw = _mm256_shuffle_epi8(L->pw, s);
	__m256i off = _mm256_shuffle_epi8(L->off, s);
	__m256i q2 = _mm256_shuffle_epi8(L->step, _mm256_and_si256(c, L->fifteen));
	/* vpsignb by c | 1 negates where bit 7 is set, a positive sample in
	 * both laws, and zeroes outside keep: every sample gets the opposite
	 * sign, and k < 0 puts it back. */
	__m256i sgn = _mm256_and_si256(_mm256_or_si256(c, L->one), keep);
	q2 = _mm256_sign_epi8(q2, sgn);
	off = _mm256_sign_epi8(off, sgn);
	/* (2q + 33) * pw <= 63 * 128: no saturation in vpmaddubsw. */
	__m256i lo = _mm256_maddubs_epi16(_mm256_unpacklo_epi8(pw, L->one),
					  _mm256_unpacklo_epi8(q2, off));
	__m256i hi = _mm256_maddubs_epi16(_mm256_unpackhi_epi8(pw, L->one),
					  _mm256_unpackhi_epi8(q2, off));
	/* |u| <= 8031: two of them still fit 16 bits. */
	a->sum = _mm256_add_epi32(a->sum, _mm256_madd_epi16(_mm256_add_epi16(lo, hi), L->ones16));
	a->sq = _mm256_add_epi32(a->sq, _mm256_add_epi32(_mm256_madd_epi16(lo, lo),
							 _mm256_madd_epi16(hi, hi)));
	__m256i low = _mm256_add_epi16(_mm256_and_si256(_mm256_mullo_epi16(lo, lo), L->low_mask),
				       _mm256_and_si256(_mm256_mullo_epi16(hi, hi), L->low_mask));
	a->low = _mm256_add_epi16(a->low, low);
}

AVX2 static inline uint64_t hsum_u32(__m256i v)
{
	__m256i w = _mm256_add_epi64(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(v)),
				     _mm256_cvtepu32_epi64(_mm256_extracti128_si256(v, 1)));
	__m128i h = _mm_add_epi64(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
	return (uint64_t)_mm_cvtsi128_si64(h) + (uint64_t)_mm_extract_epi64(h, 1);
}

AVX2 static inline int64_t hsum_i32(__m256i v)
{
	__m128i h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
	h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
	h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
	return _mm_cvtsi128_si32(h);
}

/* Moves sum(u*u - u*u mod m) into a 64-bit total. Lane j of vpmaddwd over the
 * 16-bit low sums covers the same samples as lane j of the square sums, so
 * the lane-wise difference is not negative. */
AVX2 static inline void fold(const struct lawv *L, struct acc *a, uint64_t *sq)
{
	*sq += hsum_u32(_mm256_sub_epi32(a->sq, _mm256_madd_epi16(a->low, L->ones16)));
	a->sq = _mm256_setzero_si256();
	a->low = _mm256_setzero_si256();
}

AVX2 static inline __m256i load32(const uint8_t *p)
{
	return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* Mu-law 0x7F and 0xFF are both 0: map the alias onto one code so that byte
 * equality is sample equality (A-law has no alias and passes unchanged). */
AVX2 static inline __m256i canon(const struct lawv *L, __m256i c)
{
	return _mm256_or_si256(c, _mm256_and_si256(_mm256_cmpeq_epi8(c, L->alias), L->alias_bit));
}

/* Bit i set where byte i of the 32 at p is not sample t. */
AVX2 static inline uint32_t differ(const struct lawv *L, const uint8_t *p, __m256i t)
{
	return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(canon(L, load32(p)), t));
}

/* Leading samples equal to sample t. The last load overlaps the one before
 * instead of reading past n; the overlap is already known equal. */
AVX2 static size_t span_front(const struct lawv *L, const uint8_t *p, size_t n, __m256i t)
{
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		uint32_t d = differ(L, p + i, t);
		if (d)
			return i + (size_t)__builtin_ctz(d);
	}
	if (i < n) {
		uint32_t d = differ(L, p + n - 32, t);
		if (d)
			return n - 32 + (size_t)__builtin_ctz(d);
	}
	return n;
}

/* Trailing samples equal to sample t, the same way from the end. */
AVX2 static size_t span_back(const struct lawv *L, const uint8_t *p, size_t n, __m256i t)
{
	size_t e = n;
	for (; e >= 32; e -= 32) {
		uint32_t d = differ(L, p + e - 32, t);
		if (d)
			return (size_t)__builtin_clz(d) + (n - e);
	}
	if (e > 0) {
		uint32_t d = differ(L, p, t);
		if (d)
			return n - 32 + (size_t)__builtin_clz(d);
	}
	return n;
}

/* Every byte equal to p[0]: the first difference is usually in the first load. */
AVX2 static bool all_same(const uint8_t *p, size_t n)
{
	__m256i c0 = _mm256_set1_epi8((char)p[0]);
	size_t i = 0;
	for (; i + 32 <= n; i += 32)
		if (~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(load32(p + i), c0)))
			return false;
	return i == n ||
	       !~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(load32(p + n - 32), c0));
}

/* Inlined once per law, so that the law's constants are compile-time ones. */
AVX2 static inline __attribute__((always_inline)) void
scan(const struct law *law, const uint8_t *p, size_t n, int16_t run_value,
     struct hp_silence_scan *out)
{
	int32_t v0 = law->tab[p[0]];

	/* Same bytes: the sums are n times one sample, with the exact square as
	 * the scalar pass has it. */
	if (all_same(p, n)) {
		out->sum = (int64_t)v0 * (int64_t)n;
		out->sumsq = (uint64_t)(uint32_t)(v0 * v0) * n;
		out->first = v0 == run_value ? n : 0;
		out->last = 0;
		return;
	}

	struct lawv L;
	lawv_load(law, &L);
	struct acc a = { _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256() };
	uint64_t sq = 0;
	size_t i = 0;
	unsigned chunks = 0;
	for (; i + 32 <= n; i += 32) {
		power_chunk(&L, load32(p + i), L.minus1, &a);
		if (++chunks == FOLD_CHUNKS) {
			fold(&L, &a, &sq);
			chunks = 0;
		}
	}
	if (i < n) {
		/* The last 32 bytes, counting only the n - i not yet seen: keep is
		 * 0xFF from byte 32 - (n - i) on. */
		static const uint8_t ramp[64] = {
			[32] = 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
			0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
			0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
			0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		};
		power_chunk(&L, load32(p + n - 32), load32(ramp + (n - i)), &a);
	}
	fold(&L, &a, &sq);
	out->sum = hsum_i32(a.sum) * (int64_t)law->k;
	out->sumsq = sq * (uint64_t)(law->k * law->k);

	size_t first = 0;
	if (v0 == run_value)
		first = span_front(&L, p, n, canon(&L, _mm256_set1_epi8((char)p[0])));
	size_t tail = span_back(&L, p, n, canon(&L, _mm256_set1_epi8((char)p[n - 1])));
	out->first = first;
	out->last = n - tail > first ? n - tail : first;
}

AVX2 void hp_silence_scan_avx2(enum hp_silence_codec codec, const uint8_t *p, size_t n,
			       int16_t run_value, struct hp_silence_scan *out)
{
	if (codec == HP_SILENCE_PCMA)
		scan(&laws[HP_SILENCE_PCMA], p, n, run_value, out);
	else
		scan(&laws[HP_SILENCE_PCMU], p, n, run_value, out);
}

#endif
