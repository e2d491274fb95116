/* SPDX-License-Identifier: BSD-3-Clause */
/* Micro-benchmark: hp_csum_add against a naive 16-bit-word RFC 1071 loop,
 * and the whole hp_csum_udp4 verdict, over SIP/RTP-sized buffers (64, 172
 * and 200 bytes: RTP with G.729 / G.711 20 ms payloads; 1400: a large SIP
 * message), through every summing pass this CPU runs. Prints ns/call and
 * GB/s (for udp4 the check is 1 when every verdict was ok); never a test. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "csum/csum.h"
#include "csum/csum_kernel.h"

static uint64_t naive_add(const uint8_t *p, size_t n, uint64_t s)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef uint64_t (*sum_fn)(const uint8_t *p, size_t n, uint64_t s);

static uint64_t fast_add(const uint8_t *p, size_t n, uint64_t s)
{
	return hp_csum_add(p, n, s);
}

#define REPEATS 200

static void report(const char *name, size_t len, double ns, unsigned check)
{
	printf("%-6s %5zu B  %8.2f ns/call  %7.2f GB/s  (check %04x)\n", name, len, ns,
	       (double)len / ns, check);
}

/* The loop feeds each result into the next call so the calls cannot be
 * hoisted or merged; the offset walks 0..7 to include unaligned starts.
 * Each of REPEATS runs lasts about a millisecond and the best is reported:
 * on a shared or CPU-quota-throttled host short runs are the ones that
 * escape preemption, and the minimum is the least disturbed figure. */
static void run(const char *name, sum_fn fn, const uint8_t *buf, size_t len, long iters)
{
	uint64_t s = 0;
	double ns = 0;

	for (int r = 0; r < REPEATS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++)
			s = hp_csum_fold(fn(buf + (i & 7), len, s));
		double per = (now_ns() - t0) / (double)iters;

		if (r == 0 || per < ns)
			ns = per;
	}
	report(name, len, ns, (unsigned)s);
}

/* The worker's call: a UDP datagram of len bytes with a right checksum, so
 * the verdict sums it once and returns HP_CSUM_OK. */
static void run_udp4(uint8_t *dgram, size_t len, long iters)
{
	static const uint8_t src[4] = { 192, 168, 20, 132 }, dst[4] = { 192, 168, 20, 130 };
	unsigned ok = 0;
	double ns = 0;

	dgram[4] = (uint8_t)(len >> 8);
	dgram[5] = (uint8_t)len;
	dgram[6] = dgram[7] = 0;
	uint64_t s = naive_add(src, 4, naive_add(dst, 4, 17u + len));
	uint16_t c = (uint16_t)~hp_csum_fold(naive_add(dgram, len, s));

	dgram[6] = (uint8_t)(c >> 8);
	dgram[7] = (uint8_t)c;
	for (int r = 0; r < REPEATS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++)
			ok += hp_csum_udp4(src, dst, dgram, len, len) == HP_CSUM_OK;
		double per = (now_ns() - t0) / (double)iters;

		if (r == 0 || per < ns)
			ns = per;
	}
	report("udp4", len, ns, ok == (unsigned)(REPEATS * iters));
}

int main(int argc, char **argv)
{
	/* udp4 writes its header into its own copy, so the sums of buf stay
	 * comparable between passes. */
	static uint8_t buf[1400 + 8], dgram[1400 + 8];
	const size_t sizes[] = { 64, 172, 200, 1400 };
	long scale = argc > 1 ? atol(argv[1]) : 1;

	srand(1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = dgram[i] = (uint8_t)rand();
	printf("hp_csum_init: %s\n", hp_csum_init());
	for (int k = 0; k < HP_CSUM_PASS_MAX; k++) {
		if (!hp_csum_pass_set((enum hp_csum_pass)k))
			continue;
		printf("pass %s\n", hp_csum_pass_name(k));
		for (size_t i = 0; i < HP_ARRAY_LEN(sizes); i++)
			run("hp", fast_add, buf, sizes[i], scale * (long)(4000000 / (sizes[i] + 32)));
		for (size_t i = 0; i < HP_ARRAY_LEN(sizes); i++)
			run_udp4(dgram + 1, sizes[i], scale * (long)(4000000 / (sizes[i] + 32)));
	}
	for (size_t i = 0; i < HP_ARRAY_LEN(sizes); i++)
		run("naive", naive_add, buf, sizes[i], scale * (long)(4000000 / (sizes[i] + 32)));
	return 0;
}
