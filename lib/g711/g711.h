/* SPDX-License-Identifier: BSD-3-Clause */
/* G.711 expansion (ITU-T G.711 (11/88) Tables 1a/1b and 2a/2b) to 16-bit linear PCM.
 *
 * Decoding is one load from a 256-entry table. The tables are const and are built at
 * compile time from the expansion formula below (no hand-typed numbers, no init call),
 * so workers can share them without any start-up ordering.
 *
 * mu-law (G.711 Table 2): bit 7 of the octet on the line is the sign (1 = positive);
 * the other 7 bits are sent inverted. After inverting them, bits 6..4 are the
 * segment s and bits 3..0 the step q.
 * The decoder output value in the 14-bit magnitude scale of the table is
 *     ((2q + 33) << s) - 33
 * (segment 0: 0, 2, ..., 30; segment 1: 33, 37, ..., 93; ...; max 8031), scaled by 4 to 16 bit.
 *
 * A-law (G.711 Table 1): the even bits are sent inverted (XOR 0x55). Bit 7 is the
 * sign (1 = positive), s and q as above. Output value in the 12-bit magnitude scale:
 *     s == 0: 2q + 1          s >= 1: (2q + 33) << (s - 1)
 * (max 4032), scaled by 8 to 16 bit.
 *
 * Both laws have a "negative zero" only in mu-law: 0xFF and 0x7F both decode to 0. */
#ifndef HP_G711_H
#define HP_G711_H

#include <stddef.h>
#include <stdint.h>

/* The formulas as integer constant expressions of a byte c (0..255), usable in initialisers. */
#define HP_G711_ULAW_MAG(c) \
	((((2 * (((c) ^ 0xFF) & 0x0F) + 33) << ((((c) ^ 0xFF) >> 4) & 7)) - 33) * 4)
#define HP_G711_ULAW(c) \
	((int16_t)(((c) & 0x80) ? HP_G711_ULAW_MAG(c) : -HP_G711_ULAW_MAG(c)))

#define HP_G711_ALAW_A(c) ((c) ^ 0x55)
/* Segment e >= 1 shifts by e - 1; the e == 0 arm never uses it, but the
 * expression must stay a valid shift for compilers that evaluate both. */
#define HP_G711_ALAW_SHIFT(c) \
	((((HP_G711_ALAW_A(c) >> 4) & 7) == 0) ? 0 : (((HP_G711_ALAW_A(c) >> 4) & 7) - 1))
#define HP_G711_ALAW_MAG(c) \
	((((HP_G711_ALAW_A(c) >> 4) & 7) == 0 \
		? (2 * (HP_G711_ALAW_A(c) & 0x0F) + 1) \
		: ((2 * (HP_G711_ALAW_A(c) & 0x0F) + 33) << HP_G711_ALAW_SHIFT(c))) * 8)
#define HP_G711_ALAW(c) \
	((int16_t)((HP_G711_ALAW_A(c) & 0x80) ? HP_G711_ALAW_MAG(c) : -HP_G711_ALAW_MAG(c)))

extern const int16_t hp_g711_ulaw_table[256];
extern const int16_t hp_g711_alaw_table[256];

/* Power tables: one 64-bit word per octet packs v + 32768 in the low half and
 * v*v >> 8 in the high half, so one addition per sample accumulates both the
 * sum and the (truncated) sum of squares a level meter needs. Both halves stay
 * in 32 bits for HP_G711_POWER_BLOCK samples (|v| <= 32256: 1024 * 4064256
 * < 2^32). The squares lose at most 255 of 2^30 per sample: ~0.4 dB at
 * -58 dBFS, nothing at the -45 dBFS threshold. */
#define HP_G711_POWER(v) \
	((((uint64_t)((int32_t)(v) * (int32_t)(v)) >> 8) << 32) | (uint64_t)((int32_t)(v) + 32768))
#define HP_G711_POWER_BLOCK 1024u
extern const uint64_t hp_g711_ulaw_power[256];
extern const uint64_t hp_g711_alaw_power[256];

static inline int16_t hp_g711_ulaw_decode(uint8_t c)
{
	return hp_g711_ulaw_table[c];
}

static inline int16_t hp_g711_alaw_decode(uint8_t c)
{
	return hp_g711_alaw_table[c];
}

/* Decode n bytes into out[n]; returns n. */
size_t hp_g711_ulaw_decode_buf(const uint8_t *in, size_t n, int16_t *out);
size_t hp_g711_alaw_decode_buf(const uint8_t *in, size_t n, int16_t *out);

#endif
