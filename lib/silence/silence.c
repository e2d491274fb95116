/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include "g711/g711.h"
#include "silence/silence.h"
#include "silence/silence_kernel.h"

#define US_PER_SAMPLE (1000000u / HP_SILENCE_RATE)
/* RAW codecs: until two payloads have been seen, assume the common 20 ms frame. */
#define RAW_DEFAULT_FRAME_US 20000u

static const char *const verdict_labels[HP_SILENCE_VERDICT_MAX] = {
#define HP_SILENCE_V_LABEL(id, label) label,
	HP_SILENCE_VERDICTS(HP_SILENCE_V_LABEL)
#undef HP_SILENCE_V_LABEL
};

const char *hp_silence_label(int verdict)
{
	if (verdict < 0 || verdict >= HP_SILENCE_VERDICT_MAX)
		return "";
	return verdict_labels[verdict];
}

void hp_silence_init(struct hp_silence *s, enum hp_silence_codec codec,
		     uint32_t window_samples, uint32_t flag_samples)
{
	memset(s, 0, sizeof(*s));
	s->codec = (uint8_t)codec;
	s->kernel = (uint8_t)hp_silence_kernel_best();
	if (window_samples == 0)
		window_samples = HP_SILENCE_DEF_WINDOW;
	if (window_samples < 160)
		window_samples = 160;
	if (window_samples > HP_SILENCE_MAX_WINDOW)
		window_samples = HP_SILENCE_MAX_WINDOW;
	s->window_samples = window_samples;
	s->flag_samples = flag_samples ? flag_samples : HP_SILENCE_DEF_FLAG;
	s->clip_pct = HP_SILENCE_DEF_CLIP_PCT;
}

void hp_silence_set_clip(struct hp_silence *s, unsigned pct)
{
	s->clip_pct = (uint8_t)(pct < 1 ? 1 : pct > 100 ? 100 : pct);
}

void hp_silence_note_other(struct hp_silence *s)
{
	s->other_packets++;
}

static uint64_t run_duration_us(const struct hp_silence *s)
{
	/* RAW: a single payload is no evidence of a constant; the run starts to count
	 * when the first repetition arrives. */
	if (s->codec == HP_SILENCE_RAW)
		return s->run_samples < 2 ? 0 : s->run_end_us - s->run_start_us;
	return s->run_samples * US_PER_SAMPLE;
}

static uint64_t best_duration_us(const struct hp_silence *s)
{
	if (s->codec == HP_SILENCE_RAW)
		return s->best_samples < 2 ? 0 : s->best_end_us - s->best_start_us;
	return s->best_samples * US_PER_SAMPLE;
}

/* The current run ends: keep it if it is the longest so far. */
static void close_run(struct hp_silence *s)
{
	if (s->run_samples == 0 || run_duration_us(s) <= best_duration_us(s))
		return;
	s->best_value = s->run_value;
	s->best_samples = s->run_samples;
	s->best_start_us = s->run_start_us;
	s->best_end_us = s->run_end_us;
}

static enum hp_silence_verdict classify_window(uint32_t n, int64_t sum, uint64_t sumsq,
					       uint64_t run_samples)
{
	/* The run of identical samples reaching the window's end covers all of it. */
	if (run_samples >= n)
		return HP_SILENCE_FLATLINE;
	/* AC power below the threshold, without division:
	 * sumsq/n - (sum/n)^2 < LOW_MS  <=>  n*sumsq - sum^2 < n^2*LOW_MS.
	 * n <= 65535 and |sample| <= 32767 keep every term below 2^62.
	 * sumsq drops the low 8 bits of each square, so on a very quiet window
	 * (|v| < 16 squares to 0) n*sumsq can fall below sum^2: no AC power. */
	uint64_t nn = n;
	uint64_t dc = (uint64_t)(sum * sum);
	uint64_t ac = nn * sumsq > dc ? nn * sumsq - dc : 0;
	if (ac < nn * nn * HP_SILENCE_LOW_MS)
		return HP_SILENCE_LOW_LEVEL;
	return HP_SILENCE_AUDIO;
}

bool hp_silence_kernel_ok(enum hp_silence_kernel k)
{
	switch (k) {
	case HP_SILENCE_KERNEL_SCALAR:
		return true;
#if defined(__x86_64__)
	case HP_SILENCE_KERNEL_AVX2:
		return __builtin_cpu_supports("avx2");
#endif
	default:
		return false;
	}
}

enum hp_silence_kernel hp_silence_kernel_best(void)
{
	return hp_silence_kernel_ok(HP_SILENCE_KERNEL_AVX2) ? HP_SILENCE_KERNEL_AVX2
							    : HP_SILENCE_KERNEL_SCALAR;
}

/* The power sums take one tight pass; the run of identical samples is found
 * from both ends (speech changes at once, so this is O(1) there, and one
 * compare per sample on a flat line) instead of a branch per sample. */
static void scan_scalar(const int16_t *tab, const uint64_t *ptab, const uint8_t *p, size_t n,
			int16_t run_value, struct hp_silence_scan *out)
{
	/* Identical bytes (digital silence, a stuck DC code): p equals itself
	 * shifted by one. No decode loop: the sums are n times one sample. */
	if (memcmp(p, p + 1, n - 1) == 0) {
		int32_t v = tab[p[0]];
		out->sum = (int64_t)v * (int64_t)n;
		out->sumsq = (uint64_t)(uint32_t)(v * v) * n;
		out->first = v == run_value ? n : 0;
		out->last = 0;
		return;
	}

	int64_t sum = 0;
	uint64_t sumsq = 0;
	for (size_t b = 0; b < n; b += HP_G711_POWER_BLOCK) {
		size_t e = n - b < HP_G711_POWER_BLOCK ? n : b + HP_G711_POWER_BLOCK;
		/* Four accumulators: the adds do not wait on each other. */
		uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
		size_t i = b;
		for (; i + 4 <= e; i += 4) {
			a0 += ptab[p[i]];
			a1 += ptab[p[i + 1]];
			a2 += ptab[p[i + 2]];
			a3 += ptab[p[i + 3]];
		}
		for (; i < e; i++)
			a0 += ptab[p[i]];
		uint64_t acc = a0 + a1 + a2 + a3;
		sum += (int64_t)(acc & 0xFFFFFFFFu) - 32768 * (int64_t)(e - b);
		sumsq += (acc >> 32) << 8;
	}
	out->sum = sum;
	out->sumsq = sumsq;

	size_t first = 0;
	while (first < n && tab[p[first]] == run_value)
		first++;
	size_t last = n - 1;
	while (last > first && tab[p[last]] == tab[p[last - 1]])
		last--;
	out->first = first;
	out->last = last;
}

/* One stretch of samples that does not cross a window boundary. */
static void decode_segment(struct hp_silence *s, const int16_t *tab, const uint64_t *ptab,
			   const uint8_t *p, size_t n, uint64_t t0_us)
{
	uint64_t end_us = t0_us + (uint64_t)n * US_PER_SAMPLE;
	struct hp_silence_scan sc;

#if defined(__x86_64__)
	if (s->kernel == HP_SILENCE_KERNEL_AVX2 && n >= 32)
		hp_silence_scan_avx2((enum hp_silence_codec)s->codec, p, n, s->run_value, &sc);
	else
#endif
		scan_scalar(tab, ptab, p, n, s->run_value, &sc);

	s->win_n += (uint32_t)n;
	s->win_sum += sc.sum;
	s->win_sumsq += sc.sumsq;
	if (sc.first == n) {
		s->run_samples += n;
		s->run_end_us = end_us;
		return;
	}
	/* Only the first change can end a long run; runs that start and end inside
	 * this segment are shorter than the segment and never the longest that matters. */
	s->run_samples += sc.first;
	s->run_end_us = t0_us + (uint64_t)sc.first * US_PER_SAMPLE;
	close_run(s);
	s->run_value = tab[p[n - 1]];
	s->run_samples = n - sc.last;
	s->run_start_us = t0_us + (uint64_t)sc.last * US_PER_SAMPLE;
	s->run_end_us = end_us;
}

/* Samples at the law's full-scale magnitude: mu-law codes 0x00/0x80 and A-law
 * 0x2A/0xAA (G.711 tables 1a, 2a; both signs, ignoring bit 7). */
static uint32_t count_full_scale(uint8_t code, const uint8_t *p, size_t n)
{
	uint32_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += (p[i] & 0x7F) == code;
	return c;
}

/* A complete window ends at end_us: its class counts, and its clipping and
 * audio span are kept. */
static void close_window(struct hp_silence *s, uint64_t end_us)
{
	enum hp_silence_verdict v = classify_window(s->win_n, s->win_sum, s->win_sumsq,
						    s->run_samples);
	s->windows[v]++;
	if (v == HP_SILENCE_AUDIO) {
		if (s->windows[HP_SILENCE_AUDIO] == 1)
			s->first_audio_us = s->win_start_us;
		s->last_audio_end_us = end_us;
	}
	uint32_t permille = (uint32_t)((uint64_t)s->win_clip * 1000 / s->win_n);
	if ((uint64_t)s->win_clip * 100 >= (uint64_t)s->clip_pct * s->win_n) {
		if (s->clip_windows++ == 0)
			s->clip_first_us = s->win_start_us;
		s->clip_last_end_us = end_us;
	}
	if (permille > s->clip_max_permille)
		s->clip_max_permille = permille;
	s->win_n = 0;
	s->win_sum = 0;
	s->win_sumsq = 0;
	s->win_clip = 0;
}

static void update_decoded(struct hp_silence *s, const int16_t *tab, const uint64_t *ptab,
			   const uint8_t *p, size_t len, uint64_t ts_us)
{
	uint8_t fs_code = s->codec == HP_SILENCE_PCMU ? 0x00 : 0x2A;

	if (s->audio_samples == 0) {
		s->run_value = tab[p[0]];
		s->run_samples = 0;
		s->run_start_us = ts_us;
	}
	size_t off = 0;
	while (off < len) {
		size_t room = s->window_samples - s->win_n;
		size_t n = len - off < room ? len - off : room;
		uint64_t t0 = ts_us + (uint64_t)off * US_PER_SAMPLE;
		if (s->win_n == 0)
			s->win_start_us = t0;
		s->win_clip += count_full_scale(fs_code, p + off, n);
		decode_segment(s, tab, ptab, p + off, n, t0);
		off += n;
		if (s->win_n == s->window_samples)
			close_window(s, t0 + (uint64_t)n * US_PER_SAMPLE);
	}
	s->audio_samples += len;
}

/* Word-at-a-time multiplicative hash: only used to see whether a payload repeats. */
static uint64_t payload_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDull;
		h ^= h >> 32;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001B3ull;
	return h;
}

static void update_raw(struct hp_silence *s, const uint8_t *p, size_t len, uint64_t ts_us)
{
	uint64_t h = payload_hash(p, len);
	if (s->audio_payloads == 0) {
		s->raw_frame_us = RAW_DEFAULT_FRAME_US;
	} else if (ts_us > s->raw_last_us) {
		s->raw_frame_us = ts_us - s->raw_last_us;
	}
	if (s->audio_payloads > 0 && len == s->raw_len && h == s->raw_hash) {
		s->run_samples++;
	} else {
		close_run(s);
		s->run_samples = 1;
		s->run_start_us = ts_us;
	}
	s->run_end_us = ts_us + s->raw_frame_us;
	s->raw_hash = h;
	s->raw_len = (uint32_t)len;
	s->raw_last_us = ts_us;
}

void hp_silence_update(struct hp_silence *s, const uint8_t *payload, size_t len, uint64_t ts_us)
{
	if (len == 0)
		return;
	switch (s->codec) {
	case HP_SILENCE_PCMU:
		update_decoded(s, hp_g711_ulaw_table, hp_g711_ulaw_power, payload, len, ts_us);
		break;
	case HP_SILENCE_PCMA:
		update_decoded(s, hp_g711_alaw_table, hp_g711_alaw_power, payload, len, ts_us);
		break;
	default:
		update_raw(s, payload, len, ts_us);
		break;
	}
	s->audio_payloads++;
}

void hp_silence_finish(const struct hp_silence *s, struct hp_silence_result *out)
{
	struct hp_silence t = *s;
	bool raw = t.codec == HP_SILENCE_RAW;

	memset(out, 0, sizeof(*out));
	close_run(&t);
	/* A trailing partial window counts if it is at least half a window, or if the
	 * stream is too short to have any complete window. */
	uint32_t complete = t.windows[HP_SILENCE_AUDIO] + t.windows[HP_SILENCE_LOW_LEVEL] +
			    t.windows[HP_SILENCE_FLATLINE];
	if (!raw && t.win_n > 0 && (t.win_n * 2 >= t.window_samples || complete == 0))
		t.windows[classify_window(t.win_n, t.win_sum, t.win_sumsq, t.run_samples)]++;

	uint64_t dur = best_duration_us(&t);
	out->flat_value = raw ? 0 : t.best_value;
	out->flat_start_us = t.best_start_us;
	out->flat_end_us = t.best_end_us;
	out->flat_duration_ms = (uint32_t)(dur / 1000);
	out->audio_payloads = t.audio_payloads;
	out->audio_samples = t.audio_samples;
	out->other_packets = t.other_packets;
	memcpy(out->windows, t.windows, sizeof(out->windows));
	out->clipped = !raw && t.clip_windows >= HP_SILENCE_CLIP_WINDOWS;
	out->clip_windows = t.clip_windows;
	out->clip_max_permille = t.clip_max_permille;
	out->clip_first_us = t.clip_first_us;
	out->clip_last_end_us = t.clip_last_end_us;
	out->have_audio_span = s->windows[HP_SILENCE_AUDIO] > 0;
	out->first_audio_us = t.first_audio_us;
	out->last_audio_end_us = t.last_audio_end_us;

	if (t.audio_payloads == 0) {
		out->verdict = HP_SILENCE_NO_AUDIO;
	} else if (dur >= (uint64_t)t.flag_samples * US_PER_SAMPLE) {
		out->flagged = true;
		out->verdict = raw ? HP_SILENCE_CONSTANT_PAYLOAD : HP_SILENCE_FLATLINE;
	} else if (raw || t.windows[HP_SILENCE_AUDIO] > 0) {
		out->verdict = HP_SILENCE_AUDIO;
	} else {
		out->verdict = HP_SILENCE_LOW_LEVEL;
	}
}
