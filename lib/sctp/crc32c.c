/* SPDX-License-Identifier: BSD-3-Clause */
/* CRC32c for the SCTP checksum (RFC 9260 §6.8, Appendix B): slice-by-8
 * tables, and the SSE4.2 crc32 instruction (which computes exactly this CRC)
 * when the CPU has it. The choice is made once, before main(). */
#include "sctp/sctp_int.h"

/* Castagnoli polynomial, bit-reversed (RFC 9260 Appendix B). */
#define CRC32C_POLY 0x82F63B78u

/* crc_tab[0][b] is the CRC of byte b; crc_tab[k][b] advances that by k more
 * zero bytes, so eight table reads consume eight input bytes at once. */
static uint32_t crc_tab[8][256];

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_sw_update(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo = crc ^ get_le32(p);
		uint32_t hi = get_le32(p + 4);

		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		      crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		      crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc_hw_update(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len >= 8) {
		uint64_t v;

		/* little-endian load: the reflected CRC takes the lowest byte first */
		memcpy(&v, p, sizeof(v));
		c = _mm_crc32_u64(c, v);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}
#endif

static uint32_t (*crc_update)(uint32_t crc, const uint8_t *p, size_t len) = crc_sw_update;

__attribute__((constructor))
static void crc32c_init(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b;

		for (int i = 0; i < 8; i++)
			c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
		crc_tab[0][b] = c;
	}
	for (int k = 1; k < 8; k++)
		for (uint32_t b = 0; b < 256; b++)
			crc_tab[k][b] = (crc_tab[k - 1][b] >> 8) ^ crc_tab[0][crc_tab[k - 1][b] & 0xff];
#if defined(__x86_64__)
	/* needed before __builtin_cpu_supports() in a constructor (GCC manual) */
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		crc_update = crc_hw_update;
#endif
}

uint32_t hp_sctp_crc32c_sw(const uint8_t *p, size_t len)
{
	return ~crc_sw_update(~0u, p, len);
}

uint32_t hp_sctp_crc32c(const uint8_t *p, size_t len)
{
	return ~crc_update(~0u, p, len);
}

uint32_t hp_sctp_crc32c_zeroed(const uint8_t *sctp, size_t len)
{
	static const uint8_t zero[4];
	uint32_t crc = crc_update(~0u, sctp, 8);

	crc = crc_update(crc, zero, sizeof(zero));
	return ~crc_update(crc, sctp + HP_SCTP_COMMON_HDR, len - HP_SCTP_COMMON_HDR);
}
