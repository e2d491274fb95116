/* SPDX-License-Identifier: BSD-3-Clause */
/* G.711 expansion against values worked out by hand from ITU-T G.711 Tables 1 and 2
 * (segment/step to decoder output value, then scaled to 16 bits: x4 mu-law, x8 A-law). */
#include <criterion/criterion.h>
#include "g711/g711.h"

struct ref {
	uint8_t code;
	int16_t value;
};

/* mu-law: bit 7 is the sign (1 = +); invert bits 6..0 for segment s and step q;
 * output ((2q+33)<<s)-33. */
static const struct ref ulaw_ref[] = {
	{ 0xFF, 0 },      /* +, s0 q0 -> 0 */
	{ 0x7F, 0 },      /* -, s0 q0 -> "negative zero" */
	{ 0xFE, 8 },      /* s0 q1 -> 2 -> 8 */
	{ 0x7E, -8 },
	{ 0xF0, 120 },    /* s0 q15 -> 30 -> 120 */
	{ 0xEF, 132 },    /* s1 q0 -> 66-33 = 33 -> 132 */
	{ 0xDF, 396 },    /* s2 q0 -> 132-33 = 99 -> 396 */
	{ 0x9A, 10876 },  /* +, bits ~0x1A = 0x65: s6 q5 -> 43*64-33 = 2719 -> 10876 */
	{ 0x1A, -10876 },
	{ 0x80, 32124 },  /* +, s7 q15 -> 63*128-33 = 8031 -> 32124 */
	{ 0x00, -32124 },
};

/* A-law: XOR 0x55, then sign (1 = +), s, q; output 2q+1 (s0) or (2q+33)<<(s-1). */
static const struct ref alaw_ref[] = {
	{ 0xD5, 8 },      /* ^0x55 = 0x80: +, s0 q0 -> 1 -> 8 */
	{ 0x55, -8 },     /* 0x00: -, s0 q0 */
	{ 0xD4, 24 },     /* 0x81: s0 q1 -> 3 -> 24 */
	{ 0xC5, 264 },    /* 0x90: s1 q0 -> 33 -> 264 */
	{ 0xF5, 528 },    /* 0xA0: s2 q0 -> 66 -> 528 */
	{ 0xAA, 32256 },  /* 0xFF: s7 q15 -> 63*64 = 4032 -> 32256 */
	{ 0x2A, -32256 }, /* 0x7F */
};

Test(g711, ulaw_reference_values)
{
	for (size_t i = 0; i < sizeof(ulaw_ref) / sizeof(ulaw_ref[0]); i++)
		cr_assert_eq(hp_g711_ulaw_decode(ulaw_ref[i].code), ulaw_ref[i].value,
			     "ulaw 0x%02X -> %d, want %d", ulaw_ref[i].code,
			     hp_g711_ulaw_decode(ulaw_ref[i].code), ulaw_ref[i].value);
}

Test(g711, alaw_reference_values)
{
	for (size_t i = 0; i < sizeof(alaw_ref) / sizeof(alaw_ref[0]); i++)
		cr_assert_eq(hp_g711_alaw_decode(alaw_ref[i].code), alaw_ref[i].value,
			     "alaw 0x%02X -> %d, want %d", alaw_ref[i].code,
			     hp_g711_alaw_decode(alaw_ref[i].code), alaw_ref[i].value);
}

/* Structural properties of the laws: odd symmetry in the sign bit and a strictly
 * increasing magnitude over the 128 codes of one sign. */
Test(g711, symmetric_and_monotonic)
{
	for (int c = 0; c < 128; c++) {
		cr_assert_eq(hp_g711_ulaw_decode((uint8_t)c), -hp_g711_ulaw_decode((uint8_t)(c | 0x80)));
		cr_assert_eq(hp_g711_alaw_decode((uint8_t)c), -hp_g711_alaw_decode((uint8_t)(c | 0x80)));
	}
	/* mu-law positive codes: 0xFF (smallest) down to 0x80 (largest) */
	for (int c = 0xFF; c > 0x80; c--)
		cr_assert_lt(hp_g711_ulaw_decode((uint8_t)c), hp_g711_ulaw_decode((uint8_t)(c - 1)));
	/* A-law positive codes in magnitude order: sign|segment|step after XOR 0x55 */
	for (int m = 0x80; m < 0xFF; m++)
		cr_assert_lt(hp_g711_alaw_decode((uint8_t)(m ^ 0x55)),
			     hp_g711_alaw_decode((uint8_t)((m + 1) ^ 0x55)));
}

Test(g711, buffer_decode)
{
	const uint8_t in[4] = { 0xFF, 0x80, 0x00, 0x9A };
	int16_t out[4];
	cr_assert_eq(hp_g711_ulaw_decode_buf(in, 4, out), 4);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], 32124);
	cr_assert_eq(out[2], -32124);
	cr_assert_eq(out[3], 10876);
	const uint8_t ina[2] = { 0xD5, 0x2A };
	cr_assert_eq(hp_g711_alaw_decode_buf(ina, 2, out), 2);
	cr_assert_eq(out[0], 8);
	cr_assert_eq(out[1], -32256);
}

/* Power tables: low half v + 32768, high half v*v >> 8, worked by hand:
 * mu-law 0x9A = +10876: 10876^2 = 118287376, >> 8 = 462060; 0x00 = -32124:
 * 1031951376 >> 8 = 4031060, low 644; A-law 0xD5 = +8: 64 >> 8 = 0. */
Test(g711, power_tables)
{
	cr_assert_eq(hp_g711_ulaw_power[0x9A], (UINT64_C(462060) << 32) | 43644);
	cr_assert_eq(hp_g711_ulaw_power[0x00], (UINT64_C(4031060) << 32) | 644);
	cr_assert_eq(hp_g711_ulaw_power[0xFF], UINT64_C(32768));
	cr_assert_eq(hp_g711_alaw_power[0xD5], UINT64_C(32776));
	/* Every entry agrees with the decode table, and a block of the largest
	 * squares still fits the high half. */
	for (int c = 0; c < 256; c++) {
		int32_t u = hp_g711_ulaw_table[c], a = hp_g711_alaw_table[c];
		cr_assert_eq(hp_g711_ulaw_power[c] & 0xFFFFFFFFu, (uint64_t)(u + 32768));
		cr_assert_eq(hp_g711_alaw_power[c] >> 32, (uint64_t)(a * a) >> 8);
		cr_assert_lt((hp_g711_alaw_power[c] >> 32) * HP_G711_POWER_BLOCK, UINT64_C(1) << 32);
	}
}
