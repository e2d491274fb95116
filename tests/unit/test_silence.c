/* SPDX-License-Identifier: BSD-3-Clause */
/* The flat-line classifier on synthetic streams: 20 ms G.711 payloads (160 bytes). */
#include <criterion/criterion.h>
#include <math.h>
#include "silence/silence.h"

#define T0 1000000000ull  /* arbitrary capture clock origin, us */
#define FRAME 160
#define FRAME_US 20000u

/* Linear to mu-law, G.711 by segment search (independent of the decoder tables):
 * add the bias 33 in the 14-bit scale (132 in 16-bit), find the segment from the
 * top bit, take 4 step bits, invert the byte. */
static uint8_t ulaw_encode(int x)
{
	int sign = 0;
	if (x < 0) {
		x = -x;
		sign = 0x80;
	}
	if (x > 32635)
		x = 32635;
	x += 132;
	int seg = 7;
	for (int mask = 0x4000; (x & mask) == 0 && seg > 0; mask >>= 1)
		seg--;
	int q = (x >> (seg + 3)) & 0x0F;
	return (uint8_t)~(sign | seg << 4 | q);
}

/* Deterministic noise source. */
static uint32_t rng = 12345;
static double uniform(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (double)(rng >> 8) / (double)(1u << 24) * 2.0 - 1.0;
}

typedef int (*signal_fn)(uint64_t n);

static int sig_noise58(uint64_t n)
{
	(void)n;
	/* uniform in [-a, a] has RMS a/sqrt(3); -58 dBFS: RMS 32768 * 10^(-58/20) = 41.2 */
	return (int)lround(uniform() * 41.2 * sqrt(3.0));
}

static int sig_speech(uint64_t n)
{
	double t = (double)n / 8000.0;
	double env = 0.55 + 0.45 * sin(2 * M_PI * 3.0 * t + 0.4);
	double s = 3000 * sin(2 * M_PI * 310 * t + 0.3) + 2500 * sin(2 * M_PI * 720 * t + 1.1) +
		   1500 * sin(2 * M_PI * 1130 * t + 2.0);
	return (int)lround(env * s);
}

/* Feed seconds of a mu-law-encoded signal starting at sample n0 and time t_us. */
static void feed_ulaw(struct hp_silence *s, signal_fn f, uint64_t n0, double seconds, uint64_t t_us)
{
	uint8_t pl[FRAME];
	unsigned frames = (unsigned)(seconds * 50 + 0.5);
	for (unsigned k = 0; k < frames; k++) {
		for (unsigned i = 0; i < FRAME; i++)
			pl[i] = ulaw_encode(f(n0 + (uint64_t)k * FRAME + i));
		hp_silence_update(s, pl, FRAME, t_us + (uint64_t)k * FRAME_US);
	}
}

/* Feed a repeating byte pattern. */
static void feed_bytes(struct hp_silence *s, const uint8_t *pat, size_t patlen, double seconds,
		       uint64_t t_us)
{
	uint8_t pl[FRAME];
	for (unsigned i = 0; i < FRAME; i++)
		pl[i] = pat[i % patlen];
	unsigned frames = (unsigned)(seconds * 50 + 0.5);
	for (unsigned k = 0; k < frames; k++)
		hp_silence_update(s, pl, FRAME, t_us + (uint64_t)k * FRAME_US);
}

Test(silence, digital_silence_ulaw_ff)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t ff = 0xFF;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_bytes(&s, &ff, 1, 5.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert(r.flagged);
	cr_assert_eq(r.flat_value, 0);
	cr_assert_eq(r.flat_start_us, T0);
	cr_assert_eq(r.flat_end_us, T0 + 5000000);
	cr_assert_eq(r.flat_duration_ms, 5000);
	cr_assert_eq(r.windows[HP_SILENCE_FLATLINE], 5);
	cr_assert_eq(r.windows[HP_SILENCE_AUDIO], 0);
	cr_assert_eq(r.audio_samples, 40000);
	cr_assert_str_eq(hp_silence_label(r.verdict), "flatline");
}

/* A loud DC offset: high energy, still no audio. */
Test(silence, dc_ulaw_9a_is_flat)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t dc = 0x9A;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_bytes(&s, &dc, 1, 3.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert_eq(r.flat_value, 10876);
	cr_assert_eq(r.flat_duration_ms, 3000);
}

/* Two flat lines back to back (silence, then a stuck DC code): the runs are
 * told apart, the longer one (3 s of 0x9A = +10876) is the one reported, and
 * its start is where the code changed. */
Test(silence, two_flat_levels_back_to_back)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t ff = 0xFF, dc = 0x9A;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_bytes(&s, &ff, 1, 2.0, T0);
	feed_bytes(&s, &dc, 1, 3.0, T0 + 2000000);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert_eq(r.flat_value, 10876);
	cr_assert_eq(r.flat_start_us, T0 + 2000000);
	cr_assert_eq(r.flat_end_us, T0 + 5000000);
	cr_assert_eq(r.flat_duration_ms, 3000);
	cr_assert_eq(r.windows[HP_SILENCE_FLATLINE], 5);
}

/* 0xFF and 0x7F are +0 and -0: the decoded signal is constant. */
Test(silence, ulaw_ff_7f_alternation_is_flat)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t alt[2] = { 0xFF, 0x7F };
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_bytes(&s, alt, 2, 3.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert_eq(r.flat_value, 0);
	cr_assert_eq(r.windows[HP_SILENCE_FLATLINE], 3);
}

Test(silence, alaw_d5_constant_and_loud_dc)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t d5 = 0xD5, loud = 0x2A;
	hp_silence_init(&s, HP_SILENCE_PCMA, 0, 0);
	feed_bytes(&s, &d5, 1, 2.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert_eq(r.flat_value, 8);
	cr_assert_eq(r.flat_duration_ms, 2000);

	hp_silence_init(&s, HP_SILENCE_PCMA, 0, 0);
	feed_bytes(&s, &loud, 1, 2.5, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert_eq(r.flat_value, -32256);
}

/* Quiet but alive: low_level, never flat. */
Test(silence, noise_minus58_dbfs_is_low_level_not_flat)
{
	struct hp_silence s;
	struct hp_silence_result r;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_ulaw(&s, sig_noise58, 0, 5.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_LOW_LEVEL);
	cr_assert_not(r.flagged);
	cr_assert_eq(r.windows[HP_SILENCE_LOW_LEVEL], 5);
	cr_assert_eq(r.windows[HP_SILENCE_FLATLINE], 0);
	cr_assert_lt(r.flat_duration_ms, 10);
}

Test(silence, speech_like_is_audio)
{
	struct hp_silence s;
	struct hp_silence_result r;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_ulaw(&s, sig_speech, 0, 5.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_AUDIO);
	cr_assert_not(r.flagged);
	cr_assert_eq(r.windows[HP_SILENCE_AUDIO], 5);
	cr_assert_str_eq(hp_silence_label(r.verdict), "audio");
}

/* Speech for 3.5 s, then 3 s of digital silence: the flat run starts mid-window
 * (window 4 is mixed) and is timed to the sample. */
Test(silence, flat_onset_mid_stream)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t ff = 0xFF;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_ulaw(&s, sig_speech, 0, 3.5, T0);
	feed_bytes(&s, &ff, 1, 3.0, T0 + 3500000);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert_eq(r.flat_value, 0);
	cr_assert_eq(r.flat_start_us, T0 + 3500000);
	cr_assert_eq(r.flat_end_us, T0 + 6500000);
	cr_assert_eq(r.flat_duration_ms, 3000);
	/* windows: 3 audio, 1 mixed (0.5 s speech) = audio, 2 flat, 0.5 s tail flat */
	cr_assert_eq(r.windows[HP_SILENCE_AUDIO], 4);
	cr_assert_eq(r.windows[HP_SILENCE_FLATLINE], 3);
}

/* 1.5 s of silence is below the 2 s flag. */
Test(silence, short_flat_not_flagged)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t ff = 0xFF;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_bytes(&s, &ff, 1, 1.5, T0);
	hp_silence_finish(&s, &r);
	cr_assert_not(r.flagged);
	cr_assert_eq(r.verdict, HP_SILENCE_LOW_LEVEL);
	cr_assert_eq(r.flat_duration_ms, 1500);
	/* same stream with a 1 s flag threshold */
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 8000);
	feed_bytes(&s, &ff, 1, 1.5, T0);
	hp_silence_finish(&s, &r);
	cr_assert(r.flagged);
}

Test(silence, events_only_is_no_audio)
{
	struct hp_silence s;
	struct hp_silence_result r;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	for (int i = 0; i < 100; i++)
		hp_silence_note_other(&s);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_NO_AUDIO);
	cr_assert_eq(r.other_packets, 100);
	cr_assert_eq(r.audio_payloads, 0);
	cr_assert_str_eq(hp_silence_label(r.verdict), "no_audio");
}

Test(silence, undecoded_constant_payload)
{
	struct hp_silence s;
	struct hp_silence_result r;
	uint8_t g729[20];
	memset(g729, 0x5A, sizeof(g729));
	hp_silence_init(&s, HP_SILENCE_RAW, 0, 0);
	for (unsigned k = 0; k < 150; k++)
		hp_silence_update(&s, g729, sizeof(g729), T0 + k * FRAME_US);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_CONSTANT_PAYLOAD);
	cr_assert(r.flagged);
	cr_assert_eq(r.flat_start_us, T0);
	cr_assert_eq(r.flat_end_us, T0 + 3000000);
	cr_assert_eq(r.flat_duration_ms, 3000);
	cr_assert_str_eq(hp_silence_label(r.verdict), "constant_payload");

	/* payloads that differ (one byte changes every frame) */
	hp_silence_init(&s, HP_SILENCE_RAW, 0, 0);
	for (unsigned k = 0; k < 150; k++) {
		g729[7] = (uint8_t)k;
		hp_silence_update(&s, g729, sizeof(g729), T0 + k * FRAME_US);
	}
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_AUDIO);
	cr_assert_not(r.flagged);
	cr_assert_eq(r.flat_duration_ms, 0);
}

/* Window boundary inside a payload: 100-sample window, 160-byte payloads. */
Test(silence, window_not_multiple_of_payload)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t ff = 0xFF;
	hp_silence_init(&s, HP_SILENCE_PCMU, 200, 400);
	feed_bytes(&s, &ff, 1, 0.1, T0); /* 5 payloads = 800 samples = 4 windows */
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.windows[HP_SILENCE_FLATLINE], 4);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert_eq(r.flat_duration_ms, 100);
}

/* The quietest line noise there is: codes +-1 step from zero (+-8, about
 * -72 dBFS). The power tables square these to 0, so n*sum(v^2) fell below
 * sum(v)^2 and the unsigned difference wrapped to a huge "AC power": such a
 * line was called audio. */
Test(silence, idle_noise_one_step_is_low_level)
{
	struct hp_silence s;
	struct hp_silence_result r;
	const uint8_t alaw[3] = { 0x55, 0xD5, 0xD5 };  /* -8, +8, +8 */
	const uint8_t ulaw[3] = { 0x7E, 0xFE, 0xFE };  /* -8, +8, +8 */
	hp_silence_init(&s, HP_SILENCE_PCMA, 0, 0);
	feed_bytes(&s, alaw, 3, 5.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_LOW_LEVEL);
	cr_assert_eq(r.windows[HP_SILENCE_LOW_LEVEL], 5);
	cr_assert_eq(r.windows[HP_SILENCE_AUDIO], 0);

	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_bytes(&s, ulaw, 3, 5.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_LOW_LEVEL);
	cr_assert_eq(r.windows[HP_SILENCE_LOW_LEVEL], 5);
}
