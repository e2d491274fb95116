/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/silence (and its unit test): the per-segment pass of the
 * classifier, in a portable scalar form and in vector forms for CPUs that
 * have them. hp_silence_init picks the fastest one this CPU supports and
 * stores it in the stream state; every form gives bit-identical results. */
#ifndef HP_SILENCE_KERNEL_H
#define HP_SILENCE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "silence/silence.h"

enum hp_silence_kernel {
	HP_SILENCE_KERNEL_SCALAR,  /* power-table loop, any CPU */
	HP_SILENCE_KERNEL_AVX2,    /* arithmetic decode of 32 bytes at a time (x86-64) */
	HP_SILENCE_KERNEL_MAX
};

/* What one pass over a segment of G.711 bytes yields. */
struct hp_silence_scan {
	int64_t sum;     /* sum of the decoded samples */
	/* Sum of squares as the power tables of g711.h keep it: each square's low
	 * 8 bits dropped, except when every byte of the segment is the same, where
	 * the square is exact (n times one value needs no table). */
	uint64_t sumsq;
	size_t first;    /* leading samples equal to the run value passed in */
	size_t last;     /* where the final run of equal samples starts, never before first */
};

/* Can this CPU run kernel k? */
bool hp_silence_kernel_ok(enum hp_silence_kernel k);

/* The fastest kernel this CPU runs. */
enum hp_silence_kernel hp_silence_kernel_best(void);

#if defined(__x86_64__)
/* PCMU or PCMA bytes p[0..n), n >= 32: the vector loads never reach outside them. */
void hp_silence_scan_avx2(enum hp_silence_codec codec, const uint8_t *p, size_t n,
			  int16_t run_value, struct hp_silence_scan *out);
#endif

#endif
