/* SPDX-License-Identifier: BSD-3-Clause */
/* The flat-line classifier on synthetic streams: 20 ms G.711 payloads (160 bytes). */
#include <criterion/criterion.h>
#include <math.h>
#include "silence/silence.h"
#include "silence/silence_kernel.h"

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

/* ---- The decode kernels against a sample-by-sample model ----
 *
 * Every kernel this CPU runs (scalar, and the vector ones it has) is fed the
 * same payloads; after every payload its window sums, window counts and run
 * state must equal a model that decodes with the textbook G.711 expansion
 * below, not with the library's tables or formulas. */

/* G.711 (11/88) Table 2, computed in the 16-bit scale: invert, add the bias
 * 0x84 (33 << 2) to the step placed at bit 3, shift by the segment, remove
 * the bias again. */
static int ref_ulaw(uint8_t c)
{
	unsigned u = (uint8_t)~c;
	int mag = (int)((((u & 0x0Fu) << 3) + 0x84u) << ((u >> 4) & 7u)) - 0x84;
	return (c & 0x80) ? mag : -mag;
}

/* G.711 Table 1 in the 16-bit scale: segment 0 is linear (step at bit 4, half
 * a step added), higher segments add the implicit leading one (0x100) and
 * double per segment. */
static int ref_alaw(uint8_t c)
{
	unsigned a = c ^ 0x55u;
	unsigned seg = (a >> 4) & 7u;
	int mag = (int)(((a & 0x0Fu) << 4) + 8u);
	if (seg > 0)
		mag = (mag + 0x100) << (seg - 1);
	return (a & 0x80) ? mag : -mag;
}

static int ref_decode(enum hp_silence_codec codec, uint8_t c)
{
	return codec == HP_SILENCE_PCMU ? ref_ulaw(c) : ref_alaw(c);
}

/* The model's own decoder against values read off the G.711 tables by hand. */
Test(silence_kernel, reference_decoder_spot_values)
{
	cr_assert_eq(ref_ulaw(0xFF), 0);
	cr_assert_eq(ref_ulaw(0x7F), 0);
	cr_assert_eq(ref_ulaw(0xFE), 8);
	cr_assert_eq(ref_ulaw(0xEF), 132);
	cr_assert_eq(ref_ulaw(0x9A), 10876);
	cr_assert_eq(ref_ulaw(0x80), 32124);
	cr_assert_eq(ref_ulaw(0x00), -32124);
	cr_assert_eq(ref_alaw(0xD5), 8);
	cr_assert_eq(ref_alaw(0x55), -8);
	cr_assert_eq(ref_alaw(0xD4), 24);
	cr_assert_eq(ref_alaw(0xC5), 264);
	cr_assert_eq(ref_alaw(0xF5), 528);
	cr_assert_eq(ref_alaw(0xAA), 32256);
	cr_assert_eq(ref_alaw(0x2A), -32256);
}

struct model {
	enum hp_silence_codec codec;
	uint32_t window;
	uint32_t win_n;
	int64_t sum;
	uint64_t sumsq;
	int wfirst;            /* first sample of the window */
	bool wflat;            /* every sample of the window equals wfirst */
	uint32_t windows[HP_SILENCE_VERDICT_MAX];
	bool any;              /* a sample was seen */
	int run_value;
	uint64_t run_len, run_start;   /* run start as a sample index */
	uint64_t best_len, best_start;
	int best_value;
	uint64_t samples;
};

static void model_init(struct model *m, enum hp_silence_codec codec, uint32_t window)
{
	memset(m, 0, sizeof(*m));
	m->codec = codec;
	m->window = window;
}

/* The classification rule of silence.h, written out: flat when every sample
 * of the window is equal, else AC power n*sum(v^2) - sum(v)^2 against
 * n^2 * LOW_MS, in 128-bit arithmetic. */
static enum hp_silence_verdict model_class(const struct model *m)
{
	if (m->wflat)
		return HP_SILENCE_FLATLINE;
	__int128 n = m->win_n;
	__int128 ac = n * (__int128)m->sumsq - (__int128)m->sum * m->sum;
	return ac < n * n * HP_SILENCE_LOW_MS ? HP_SILENCE_LOW_LEVEL : HP_SILENCE_AUDIO;
}

/* One piece of a payload inside one window. Squares are kept as the G.711
 * power tables keep them, v*v with the low 8 bits cleared; a piece whose
 * bytes are all the same keeps them exact (the library sums such a piece as
 * n times one value). */
static void model_piece(struct model *m, const uint8_t *p, size_t n)
{
	bool same = true;
	for (size_t i = 1; i < n; i++)
		same = same && p[i] == p[0];
	for (size_t i = 0; i < n; i++) {
		int v = ref_decode(m->codec, p[i]);
		uint64_t sq = (uint64_t)((int64_t)v * v);
		m->sum += v;
		m->sumsq += same ? sq : sq & ~(uint64_t)0xFF;
		if (m->win_n == 0) {
			m->wfirst = v;
			m->wflat = true;
		}
		m->wflat = m->wflat && v == m->wfirst;
		m->win_n++;

		if (m->any && v == m->run_value) {
			m->run_len++;
		} else {
			m->run_value = v;
			m->run_len = 1;
			m->run_start = m->samples;
			m->any = true;
		}
		if (m->run_len > m->best_len) {
			if (m->best_len == 0 || m->run_start != m->best_start)
				m->best_value = v;
			m->best_len = m->run_len;
			m->best_start = m->run_start;
		}
		m->samples++;
	}
}

static void model_update(struct model *m, const uint8_t *p, size_t len)
{
	size_t off = 0;
	while (off < len) {
		size_t room = m->window - m->win_n;
		size_t n = len - off < room ? len - off : room;
		model_piece(m, p + off, n);
		off += n;
		if (m->win_n == m->window) {
			m->windows[model_class(m)]++;
			m->win_n = 0;
			m->sum = 0;
			m->sumsq = 0;
		}
	}
}

static uint64_t xs_state = 0x243F6A8885A308D3ull;
static uint32_t xs(void)
{
	xs_state ^= xs_state << 13;
	xs_state ^= xs_state >> 7;
	xs_state ^= xs_state << 17;
	return (uint32_t)(xs_state >> 16);
}

/* A payload of one of several shapes: noise, one repeated code (the silence
 * codes among them), the two mu-law zeros alternating, two codes
 * alternating, a constant with a few changes (at the ends too), quiet noise
 * around zero, and full scale. */
static void make_payload(enum hp_silence_codec codec, uint8_t *p, size_t n)
{
	static const uint8_t codes[] = { 0xFF, 0x7F, 0xD5, 0x55, 0x80, 0x00, 0xAA, 0x2A };
	uint8_t c0 = (xs() & 1) ? codes[xs() % sizeof(codes)] : (uint8_t)xs();
	uint8_t c1 = (uint8_t)xs();
	unsigned shape = xs() % 8;
	for (size_t i = 0; i < n; i++) {
		switch (shape) {
		case 0:
			p[i] = (uint8_t)xs();
			break;
		case 1:
			p[i] = c0;
			break;
		case 2:
			p[i] = (i & 1) ? 0x7F : 0xFF;
			break;
		case 3:
			p[i] = (i & 1) ? c1 : c0;
			break;
		case 4:
			p[i] = c0;
			break;
		case 5: {
			/* the 16 codes nearest zero on either side */
			uint8_t zero = codec == HP_SILENCE_PCMU ? 0xFF : 0xD5;
			p[i] = (uint8_t)((zero ^ (xs() & 0x0F)) ^ ((xs() & 1) << 7));
			break;
		}
		case 6:
			p[i] = (xs() & 1) ? (codec == HP_SILENCE_PCMU ? 0x80 : 0xAA)
					  : (codec == HP_SILENCE_PCMU ? 0x00 : 0x2A);
			break;
		default:
			p[i] = (i < n / 2) ? c0 : c1;
			break;
		}
	}
	if (shape == 4 && n > 0) {
		unsigned k = xs() % 4;
		for (unsigned j = 0; j < k; j++)
			p[(j == 0) ? 0 : (j == 1) ? n - 1 : xs() % n] = c1;
	}
}

static void check_state(const struct hp_silence *s, const struct model *m, unsigned step)
{
	cr_assert_eq(s->win_n, m->win_n, "step %u kernel %u: win_n", step, s->kernel);
	cr_assert_eq(s->win_sum, m->sum, "step %u kernel %u: win_sum %lld, model %lld", step,
		     s->kernel, (long long)s->win_sum, (long long)m->sum);
	cr_assert_eq(s->win_sumsq, m->sumsq, "step %u kernel %u: win_sumsq %llu, model %llu", step,
		     s->kernel, (unsigned long long)s->win_sumsq, (unsigned long long)m->sumsq);
	for (int w = 0; w < HP_SILENCE_CONSTANT_PAYLOAD; w++)
		cr_assert_eq(s->windows[w], m->windows[w], "step %u kernel %u: windows[%d]", step,
			     s->kernel, w);
	cr_assert_eq(s->run_value, m->run_value, "step %u kernel %u: run_value", step, s->kernel);
	cr_assert_eq(s->run_samples, m->run_len, "step %u kernel %u: run_samples %llu, model %llu",
		     step, s->kernel, (unsigned long long)s->run_samples,
		     (unsigned long long)m->run_len);
	cr_assert_eq(s->run_start_us, T0 + m->run_start * 125, "step %u kernel %u: run_start",
		     step, s->kernel);
	cr_assert_eq(s->run_end_us, T0 + m->samples * 125, "step %u kernel %u: run_end", step,
		     s->kernel);
}

/* A stream of payloads of random lengths through every kernel this CPU runs
 * and through the model, compared after every payload; then the verdicts. */
static void run_stream(enum hp_silence_codec codec, uint32_t window, unsigned payloads,
		       size_t maxlen)
{
	static uint8_t buf[70000];
	struct hp_silence s[HP_SILENCE_KERNEL_MAX];
	bool on[HP_SILENCE_KERNEL_MAX];
	struct model m;
	uint32_t flag = 1000;  /* longer than any payload: a flagged run spans several */

	model_init(&m, codec, window);
	for (int k = 0; k < HP_SILENCE_KERNEL_MAX; k++) {
		on[k] = hp_silence_kernel_ok((enum hp_silence_kernel)k);
		hp_silence_init(&s[k], codec, window, flag);
		s[k].kernel = (uint8_t)k;
	}
	for (unsigned step = 0; step < payloads; step++) {
		size_t n = 1 + xs() % maxlen;
		make_payload(codec, buf, n);
		model_update(&m, buf, n);
		for (int k = 0; k < HP_SILENCE_KERNEL_MAX; k++) {
			if (!on[k])
				continue;
			hp_silence_update(&s[k], buf, n, T0 + (m.samples - n) * 125);
			check_state(&s[k], &m, step);
		}
	}

	bool flagged = m.best_len >= flag;
	uint32_t complete = m.windows[HP_SILENCE_AUDIO] + m.windows[HP_SILENCE_LOW_LEVEL] +
			    m.windows[HP_SILENCE_FLATLINE];
	if (m.win_n > 0 && (m.win_n * 2 >= m.window || complete == 0))
		m.windows[model_class(&m)]++;
	enum hp_silence_verdict want = flagged ? HP_SILENCE_FLATLINE
				     : m.windows[HP_SILENCE_AUDIO] ? HP_SILENCE_AUDIO
								   : HP_SILENCE_LOW_LEVEL;
	for (int k = 0; k < HP_SILENCE_KERNEL_MAX; k++) {
		if (!on[k])
			continue;
		struct hp_silence_result r;
		hp_silence_finish(&s[k], &r);
		cr_assert_eq(r.verdict, want, "kernel %d: verdict %d, model %d", k, r.verdict, want);
		cr_assert_eq(r.audio_samples, m.samples);
		for (int w = 0; w < HP_SILENCE_CONSTANT_PAYLOAD; w++)
			cr_assert_eq(r.windows[w], m.windows[w], "kernel %d: final windows[%d]", k, w);
		if (flagged) {
			cr_assert_eq(r.flat_value, m.best_value);
			cr_assert_eq(r.flat_start_us, T0 + m.best_start * 125);
			cr_assert_eq(r.flat_end_us, T0 + (m.best_start + m.best_len) * 125);
		}
	}
}

/* The CPU this runs on decides which vector kernels are compared; say which. */
Test(silence_kernel, init_picks_a_kernel_this_cpu_runs)
{
	struct hp_silence s;
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	cr_assert(hp_silence_kernel_ok((enum hp_silence_kernel)s.kernel));
	cr_assert_eq(s.kernel, hp_silence_kernel_best());
	cr_assert(hp_silence_kernel_ok(HP_SILENCE_KERNEL_SCALAR));
	cr_assert_not(hp_silence_kernel_ok(HP_SILENCE_KERNEL_MAX));
	for (int k = 0; k < HP_SILENCE_KERNEL_MAX; k++)
		cr_log_info("silence kernel %d: %s", k,
			    hp_silence_kernel_ok((enum hp_silence_kernel)k) ? "tested" : "not on this CPU");
}

/* Payloads of 1..400 bytes, windows that payloads cross at varying places. */
Test(silence_kernel, random_payloads_ulaw)
{
	static const uint32_t windows[] = { 160, 173, 200, 1000, 8000, 65535 };
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++)
		run_stream(HP_SILENCE_PCMU, windows[w], 600, 400);
}

Test(silence_kernel, random_payloads_alaw)
{
	static const uint32_t windows[] = { 160, 173, 200, 1000, 8000, 65535 };
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++)
		run_stream(HP_SILENCE_PCMA, windows[w], 600, 400);
}

/* Every length 1..400 once, on every shape: exercises each tail length of the
 * vector loads. */
Test(silence_kernel, every_length)
{
	for (int c = 0; c < 2; c++) {
		enum hp_silence_codec codec = c ? HP_SILENCE_PCMA : HP_SILENCE_PCMU;
		struct hp_silence s[HP_SILENCE_KERNEL_MAX];
		struct model m;
		static uint8_t buf[400];
		for (unsigned rep = 0; rep < 8; rep++) {
			for (size_t n = 1; n <= 400; n++) {
				make_payload(codec, buf, n);
				model_init(&m, codec, HP_SILENCE_MAX_WINDOW);
				model_update(&m, buf, n);
				for (int k = 0; k < HP_SILENCE_KERNEL_MAX; k++) {
					if (!hp_silence_kernel_ok((enum hp_silence_kernel)k))
						continue;
					hp_silence_init(&s[k], codec, HP_SILENCE_MAX_WINDOW, 0);
					s[k].kernel = (uint8_t)k;
					hp_silence_update(&s[k], buf, n, T0);
					check_state(&s[k], &m, (unsigned)n);
				}
			}
		}
	}
}

/* Whole windows in one payload at full scale: the vector kernel's 32-bit
 * partial square sums are at their largest here, and are folded into 64 bits
 * many times over. */
Test(silence_kernel, long_full_scale_payloads)
{
	run_stream(HP_SILENCE_PCMU, HP_SILENCE_MAX_WINDOW, 40, 70000);
	run_stream(HP_SILENCE_PCMA, HP_SILENCE_MAX_WINDOW, 40, 70000);
	run_stream(HP_SILENCE_PCMU, 8000, 40, 20000);
}

/* ---------------------------------------------------------------- clipping */

static int sig_clipped(uint64_t n)
{
	/* The speech-like signal at 12x gain, hard-limited at full scale. */
	int v = sig_speech(n) * 12;
	return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

static int sig_loud(uint64_t n)
{
	/* Peaks of sig_speech (about 7000) scaled to just reach full scale. */
	int v = (int)lround(sig_speech(n) * (32767.0 / 7000.0));
	return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/* The full-scale codes the classifier counts are the ones the decode tables
 * put at the largest magnitude of each law. */
Test(silence, full_scale_codes)
{
	cr_assert_eq(ulaw_encode(32767), 0x80);
	cr_assert_eq(ulaw_encode(-32768), 0x00);
}

Test(silence, clipped_speech_is_flagged_with_share_and_window)
{
	struct hp_silence s;
	struct hp_silence_result r;

	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_ulaw(&s, sig_clipped, 0, 6.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_AUDIO);
	cr_assert(r.clipped);
	cr_assert_eq(r.clip_windows, 6);
	cr_assert_geq(r.clip_max_permille, 10 * HP_SILENCE_DEF_CLIP_PCT);
	cr_assert_eq(r.clip_first_us, T0);
	cr_assert_eq(r.clip_last_end_us, T0 + 6 * 1000000ull);
	/* A higher threshold than the share: not clipped. */
	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	hp_silence_set_clip(&s, 100);
	feed_ulaw(&s, sig_clipped, 0, 6.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_not(r.clipped);
}

Test(silence, loud_speech_peaks_but_does_not_clip)
{
	struct hp_silence s;
	struct hp_silence_result r;

	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_ulaw(&s, sig_loud, 0, 6.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_AUDIO);
	cr_assert_not(r.clipped);
	cr_assert_eq(r.clip_windows, 0);
	cr_assert_lt(r.clip_max_permille, 50);
}

/* Clipping is counted beside the verdict and leaves it (and the flat run) as
 * it was: the same stream without clipping counted gives the same result. */
Test(silence, clipping_does_not_change_flat_verdict)
{
	static const uint8_t top = 0x80;
	struct hp_silence s;
	struct hp_silence_result r;

	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_bytes(&s, &top, 1, 3.0, T0);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_FLATLINE);
	cr_assert_eq(r.flat_duration_ms, 3000);
	cr_assert(r.clipped);
}

Test(silence, audio_span_marks_late_start)
{
	struct hp_silence s;
	struct hp_silence_result r;

	hp_silence_init(&s, HP_SILENCE_PCMU, 0, 0);
	feed_ulaw(&s, sig_noise58, 0, 4.0, T0);
	feed_ulaw(&s, sig_speech, 0, 4.0, T0 + 4000000);
	feed_ulaw(&s, sig_noise58, 0, 3.0, T0 + 8000000);
	hp_silence_finish(&s, &r);
	cr_assert_eq(r.verdict, HP_SILENCE_AUDIO);
	cr_assert(r.have_audio_span);
	cr_assert_eq(r.first_audio_us, T0 + 4000000);
	cr_assert_eq(r.last_audio_end_us, T0 + 8000000);
}
