/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-stream flat-line / silence classifier for RTP audio payloads.
 *
 * Why not an energy threshold: a stuck DSP or a broken transcoder often emits a loud
 * constant (DC) value, which has high energy but carries no audio, while a quiet line
 * with real background noise is low in energy but alive. So the classifier looks at
 * two things, both in one integer pass over each payload:
 *   - runs of identical decoded samples (flat line, whatever the value), and
 *   - the AC energy of each window (energy after removing the window's mean).
 *
 * Per window of window_samples decoded samples (default 8000 = 1 s at 8 kHz):
 *   flatline   every sample in the window has the same value (0, or a DC offset);
 *              mu-law 0xFF and 0x7F both decode to 0, so their alternation is flat
 *   low_level  not constant, AC RMS below HP_SILENCE_LOW_DBFS (-45 dBFS)
 *   audio      anything else
 * 0 dBFS is an RMS of 32768 (a full-scale square wave), so -45 dBFS is an RMS of 184.3.
 *
 * Stream verdict (hp_silence_finish):
 *   no_audio          no audio payload was ever passed (the stream carried only
 *                     RFC 4733 events / RFC 3389 comfort noise, see hp_silence_note_other)
 *   flatline          a single run of identical decoded samples lasted at least
 *                     flag_samples (default 16000 = 2 s); the run is tracked to the sample,
 *                     so a flat line that starts in the middle of a window or of the stream
 *                     is caught, and its start/end times are those of its first/last sample
 *   constant_payload  (undecoded codecs) byte-identical payloads for at least
 *                     flag_samples worth of time (at the 8 kHz RTP clock of narrowband audio)
 *   audio             at least one window classified audio
 *   low_level         otherwise (only low-level and short flat windows)
 *
 * Clipping (G.711 only, beside the verdict, which it never changes): a complete
 * window whose share of samples at the law's full-scale code (|v| 32124 mu-law,
 * 32256 A-law: where an overdriven signal saturates) reaches clip_pct percent
 * is a clipped window; HP_SILENCE_CLIP_WINDOWS of them flag the stream. Loud
 * speech touches full scale on a few peaks, far below such a share.
 *
 * Times are whatever microsecond clock the caller passes with each payload (packet
 * capture time, or the RTP timestamp converted to us); they are only copied and offset. */
#ifndef HP_SILENCE_H
#define HP_SILENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_SILENCE_VERDICTS(X) \
	X(AUDIO, "audio") \
	X(LOW_LEVEL, "low_level") \
	X(FLATLINE, "flatline") \
	X(CONSTANT_PAYLOAD, "constant_payload") \
	X(NO_AUDIO, "no_audio")

enum hp_silence_verdict {
#define HP_SILENCE_V_ENUM(id, label) HP_SILENCE_##id,
	HP_SILENCE_VERDICTS(HP_SILENCE_V_ENUM)
#undef HP_SILENCE_V_ENUM
	HP_SILENCE_VERDICT_MAX
};

enum hp_silence_codec {
	HP_SILENCE_PCMU,  /* G.711 mu-law, decoded */
	HP_SILENCE_PCMA,  /* G.711 A-law, decoded */
	HP_SILENCE_RAW,   /* any other codec: payload bytes compared, not decoded */
};

#define HP_SILENCE_RATE 8000u            /* G.711 sample rate; 125 us per sample */
#define HP_SILENCE_DEF_WINDOW 8000u      /* 1 s */
#define HP_SILENCE_DEF_FLAG 16000u       /* 2 s */
#define HP_SILENCE_MAX_WINDOW 65535u     /* keeps the window sums inside 64 bits */
#define HP_SILENCE_LOW_DBFS (-45)
/* (32768 * 10^(-45/20))^2 = 184.27^2, the mean square AC power of a -45 dBFS window. */
#define HP_SILENCE_LOW_MS 33956u
#define HP_SILENCE_DEF_CLIP_PCT 5u      /* full-scale share that makes a window clipped */
#define HP_SILENCE_CLIP_WINDOWS 2u      /* clipped windows that flag a stream */

/* State: fixed size, no pointers to free; one per stream. */
struct hp_silence {
	uint8_t codec;               /* enum hp_silence_codec */
	uint8_t kernel;              /* decode pass for this CPU, set by hp_silence_init */
	uint32_t window_samples;
	uint32_t flag_samples;
	/* current window */
	uint32_t win_n;
	int64_t win_sum;
	uint64_t win_sumsq;
	/* current run of identical decoded samples (or identical payloads for RAW) */
	int16_t run_value;
	uint64_t run_samples;        /* RAW: payloads in the run */
	uint64_t run_start_us;
	uint64_t run_end_us;         /* time just after the run's last sample */
	uint64_t raw_hash;           /* RAW: hash and length of the previous payload */
	uint32_t raw_len;
	uint64_t raw_last_us;
	uint64_t raw_frame_us;       /* RAW: last inter-payload interval, the frame duration */
	/* longest run so far */
	int16_t best_value;
	uint64_t best_samples;
	uint64_t best_start_us;
	uint64_t best_end_us;
	/* totals */
	uint64_t audio_payloads;
	uint64_t audio_samples;
	uint64_t other_packets;
	uint32_t windows[HP_SILENCE_VERDICT_MAX];
	/* clipping and the span of audio windows */
	uint8_t clip_pct;
	uint32_t win_clip;           /* full-scale samples in the current window */
	uint64_t win_start_us;
	uint32_t clip_windows;
	uint32_t clip_max_permille;  /* worst window's full-scale share */
	uint64_t clip_first_us;      /* start of the first clipped window */
	uint64_t clip_last_end_us;   /* end of the last clipped window */
	uint64_t first_audio_us;     /* start of the first audio window */
	uint64_t last_audio_end_us;  /* end of the last audio window */
};

struct hp_silence_result {
	enum hp_silence_verdict verdict;
	bool flagged;                /* verdict is flatline or constant_payload */
	int16_t flat_value;          /* constant sample value of the longest flat run */
	uint64_t flat_start_us;      /* longest flat (or constant-payload) run */
	uint64_t flat_end_us;
	uint32_t flat_duration_ms;
	uint64_t audio_payloads;
	uint64_t audio_samples;
	uint64_t other_packets;
	uint32_t windows[HP_SILENCE_VERDICT_MAX]; /* windows by class (AUDIO, LOW_LEVEL, FLATLINE) */
	bool clipped;                /* at least HP_SILENCE_CLIP_WINDOWS clipped windows */
	uint32_t clip_windows;
	uint32_t clip_max_permille;
	uint64_t clip_first_us, clip_last_end_us;
	bool have_audio_span;        /* a complete window was audio: the two times below are set */
	uint64_t first_audio_us;     /* start of the first complete audio window */
	uint64_t last_audio_end_us;
};

/* window_samples 0 -> default, clamped to [160, HP_SILENCE_MAX_WINDOW]; flag_samples 0 -> default. */
void hp_silence_init(struct hp_silence *s, enum hp_silence_codec codec,
		     uint32_t window_samples, uint32_t flag_samples);

/* Full-scale share (1..100 percent) that makes a window clipped; the default
 * is HP_SILENCE_DEF_CLIP_PCT. Call after hp_silence_init. */
void hp_silence_set_clip(struct hp_silence *s, unsigned pct);

/* One RTP payload of the stream's audio codec (G.711: one byte per sample) that
 * started at ts_us. Cost: one table load per byte, or with AVX2 a few vector ops
 * per 32 bytes. */
void hp_silence_update(struct hp_silence *s, const uint8_t *payload, size_t len, uint64_t ts_us);

/* A packet of the stream that is not audio (telephone-event, comfort noise). */
void hp_silence_note_other(struct hp_silence *s);

/* Verdict so far; does not change the state, so it can be called repeatedly. */
void hp_silence_finish(const struct hp_silence *s, struct hp_silence_result *out);

/* "audio", "low_level", ...; "" for an unknown value. */
const char *hp_silence_label(int verdict);

#endif
