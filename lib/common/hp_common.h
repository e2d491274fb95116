/* SPDX-License-Identifier: BSD-3-Clause */
/* Byte-order helpers and small shared definitions for the pure-C modules. */
#ifndef HP_COMMON_H
#define HP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HP_CACHE_LINE 64
#define HP_ALIGNED __attribute__((aligned(HP_CACHE_LINE)))
#define HP_LIKELY(x) __builtin_expect(!!(x), 1)
#define HP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline uint16_t hp_get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t hp_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void hp_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void hp_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A byte range inside a packet; never NUL-terminated. */
struct hp_str {
	const char *p;
	uint32_t len;
};

#endif
