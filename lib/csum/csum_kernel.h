/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/csum (and its unit test and micro-benchmark): the passes
 * that sum a buffer, a portable scalar one and vector ones for CPUs that have
 * them. hp_csum_init picks the fastest this CPU runs. A pass returns the
 * native-order 16-bit word sum in any form that is congruent to it modulo
 * 0xffff and zero only when every byte is zero, so every pass folds to the
 * same 16 bits (hp_csum_fold) and hp_csum_add is bit-identical whichever
 * pass runs. */
#ifndef HP_CSUM_KERNEL_H
#define HP_CSUM_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hp_csum_pass {
	HP_CSUM_PASS_SCALAR,  /* 32-bit words into a 64-bit sum, any CPU */
	HP_CSUM_PASS_AVX2,    /* 32 bytes per step into 32-bit lanes (x86-64) */
	HP_CSUM_PASS_MAX
};

/* Can this CPU run pass k? */
bool hp_csum_pass_ok(enum hp_csum_pass k);

/* The fastest pass this CPU runs. */
enum hp_csum_pass hp_csum_pass_best(void);

/* Use pass k from now on; false, and nothing changed, if this CPU cannot run
 * it. hp_csum_init is hp_csum_pass_set(hp_csum_pass_best()). */
bool hp_csum_pass_set(enum hp_csum_pass k);

/* The pass in use. */
enum hp_csum_pass hp_csum_pass_get(void);

/* "scalar", "avx2"; "" for an unknown value. */
const char *hp_csum_pass_name(int k);

/* Any p, any len. */
uint64_t hp_csum_sum_scalar(const uint8_t *p, size_t len);

#if defined(__x86_64__)
/* Shorter buffers take the scalar pass. The vector pass itself needs 32
 * bytes (one whole load inside the buffer for its last, overlapping step),
 * but its fixed cost (call, reduction, vzeroupper) is about 1.5 ns more than
 * the inlined scalar loop's, which it only makes up from about 128 bytes on
 * (AMD EPYC Zen 3, bench/RESULTS.md 2026-12-03). */
#define HP_CSUM_AVX2_MIN 128u
/* What the pass itself requires; the unit test runs it from here on. */
#define HP_CSUM_AVX2_MIN_LEN 32u
/* Bytes summed into the 32-bit lanes before they are widened into 64 bits
 * (see csum_avx2.c); exposed so the unit test can cross the boundary. */
#define HP_CSUM_AVX2_CHUNK (32768u * 32u)

/* len >= HP_CSUM_AVX2_MIN_LEN; the loads never reach outside p[0..len). */
uint64_t hp_csum_sum_avx2(const uint8_t *p, size_t len);
#endif

#endif
