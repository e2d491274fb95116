/* SPDX-License-Identifier: BSD-3-Clause */
/* ns per 160-byte G.711 payload for hp_silence_update, with the decode pass
 * hp_silence_init picks for this CPU and with each other pass the CPU runs.
 * Thread CPU time, so a busy machine does not inflate the figure. */
#include <stdio.h>
#include <time.h>
#include "silence/silence.h"
#include "silence/silence_kernel.h"

#define PAYLOADS 2000000u
#define FRAME 160

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static const char *const kernel_names[HP_SILENCE_KERNEL_MAX] = { "scalar", "avx2" };

static double run(enum hp_silence_codec codec, enum hp_silence_kernel kernel, const uint8_t *buf,
		  size_t buflen)
{
	struct hp_silence s;
	struct hp_silence_result r;
	hp_silence_init(&s, codec, 0, 0);
	s.kernel = (uint8_t)kernel;
	double t0 = now_ns();
	for (unsigned i = 0; i < PAYLOADS; i++) {
		size_t off = (i * 7u * FRAME) % (buflen - FRAME);
		hp_silence_update(&s, buf + off, FRAME, (uint64_t)i * 20000u);
	}
	double t1 = now_ns();
	hp_silence_finish(&s, &r);
	printf("  (verdict %s, %u audio windows)\n", hp_silence_label(r.verdict),
	       r.windows[HP_SILENCE_AUDIO]);
	return (t1 - t0) / PAYLOADS;
}

int main(void)
{
	static uint8_t noise[1 << 16], flat[1 << 16];
	uint32_t x = 1;
	for (size_t i = 0; i < sizeof(noise); i++) {
		x = x * 1664525u + 1013904223u;
		noise[i] = (uint8_t)(x >> 24);
		flat[i] = 0xFF;
	}
	enum hp_silence_kernel best = hp_silence_kernel_best();
	printf("micro_silence: %u payloads of %d bytes, %s pass by default\n", PAYLOADS, FRAME,
	       kernel_names[best]);
	double a = run(HP_SILENCE_PCMU, best, noise, sizeof(noise));
	printf("pcmu random bytes: %.1f ns/payload (%.2f ns/sample)\n", a, a / FRAME);
	double b = run(HP_SILENCE_PCMU, best, flat, sizeof(flat));
	printf("pcmu digital silence: %.1f ns/payload\n", b);
	double c = run(HP_SILENCE_PCMA, best, noise, sizeof(noise));
	printf("pcma random bytes: %.1f ns/payload\n", c);
	double d = run(HP_SILENCE_RAW, best, noise, sizeof(noise));
	printf("raw (hash compare): %.1f ns/payload\n", d);
	for (int k = 0; k < HP_SILENCE_KERNEL_MAX; k++) {
		if (k == (int)best || !hp_silence_kernel_ok((enum hp_silence_kernel)k))
			continue;
		a = run(HP_SILENCE_PCMU, (enum hp_silence_kernel)k, noise, sizeof(noise));
		c = run(HP_SILENCE_PCMA, (enum hp_silence_kernel)k, noise, sizeof(noise));
		printf("%s pass: pcmu random %.1f, pcma random %.1f ns/payload\n", kernel_names[k],
		       a, c);
	}
	return 0;
}
