/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-stream receiver statistics, RFC 3550 appendix A.1 (sequence) and A.8 (jitter). */
#include "rtp/rtp.h"

#define SEQ_MOD 65536u

void hp_rtp_stats_init(struct hp_rtp_stats *s, uint32_t clock_rate)
{
	memset(s, 0, sizeof(*s));
	s->clock_rate = clock_rate ? clock_rate : 8000;
	s->event_pt = HP_RTP_NO_PT;
	s->last_pt = HP_RTP_NO_PT;
}

void hp_rtp_stats_set_event_pt(struct hp_rtp_stats *s, uint8_t pt)
{
	s->event_pt = pt;
}

/* A.1 init_seq; the segment that ends is kept in the prior totals. */
static void seq_start(struct hp_rtp_stats *s, uint16_t seq)
{
	if (s->received) {
		s->expected_prior += (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
		s->received_prior += s->received;
	}
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1;
	s->cycles = 0;
	s->received = 0;
	s->seen_lo = 1;
	s->seen_hi = 0;
}

/* Shift the received-bitmap forward by d sequence numbers (the new max is bit 0). */
static void seen_advance(struct hp_rtp_stats *s, unsigned d)
{
	if (d >= 128) {
		s->seen_lo = 0;
		s->seen_hi = 0;
	} else if (d >= 64) {
		s->seen_hi = s->seen_lo << (d - 64);
		s->seen_lo = 0;
	} else if (d > 0) {
		s->seen_hi = (s->seen_hi << d) | (s->seen_lo >> (64 - d));
		s->seen_lo <<= d;
	}
	s->seen_lo |= 1;
}

/* Returns true when bit k was already set, and sets it. */
static bool seen_test_set(struct hp_rtp_stats *s, unsigned k)
{
	uint64_t *w = k < 64 ? &s->seen_lo : &s->seen_hi;
	uint64_t m = (uint64_t)1 << (k & 63);
	bool was = (*w & m) != 0;
	*w |= m;
	return was;
}

static bool is_event_end_repeat(struct hp_rtp_stats *s, const struct hp_rtp_hdr *h)
{
	/* RFC 4733 §2.3: payload byte 1 bit 7 is E; §2.5.1.4: the end packet is sent
	 * three times with the same timestamp (some senders also keep the sequence). */
	return h->pt == s->event_pt && h->payload_len >= 4 && (h->payload[1] & 0x80) &&
	       h->ts == s->last_event_ts;
}

enum seq_verdict { SEQ_NEW, SEQ_OLD, SEQ_DROP };

/* A.1 update_seq, plus duplicate / late classification. SEQ_NEW: the packet is the
 * newest so far (or starts a new segment); SEQ_OLD: duplicate or late; SEQ_DROP: set
 * aside by A.1 (first packet after a large jump, not yet confirmed). */
static enum seq_verdict seq_update(struct hp_rtp_stats *s, const struct hp_rtp_hdr *h)
{
	enum seq_verdict v = SEQ_NEW;
	uint16_t seq = h->seq;
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (!s->valid) {
		/* Probation: a packet out of sequence restarts the count (and the base). */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			if (--s->probation == 0)
				s->valid = true;
		} else if (udelta != 0) {
			s->probation = HP_RTP_MIN_SEQUENTIAL - 1;
			s->seq_resets++;
			seq_start(s, seq);
			s->received = 1;
			return SEQ_NEW;
		}
	}
	if (udelta == 0) {
		if (is_event_end_repeat(s, h)) {
			s->event_end_repeats++;
			return SEQ_DROP;
		}
		s->duplicates++;
		v = SEQ_OLD;
	} else if (udelta < HP_RTP_MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
		seen_advance(s, udelta);
	} else if (udelta <= SEQ_MOD - HP_RTP_MAX_MISORDER) {
		if (seq == s->bad_seq) {
			/* Two sequential packets after a jump: the sender restarted. */
			s->seq_resets++;
			seq_start(s, seq);
		} else {
			s->bad_seq = (uint32_t)((seq + 1) & (SEQ_MOD - 1));
			return SEQ_DROP;
		}
	} else {
		unsigned back = (uint16_t)(s->max_seq - seq);
		if (back < 128 && seen_test_set(s, back)) {
			if (is_event_end_repeat(s, h)) {
				s->event_end_repeats++;
				return SEQ_DROP;
			}
			s->duplicates++;
		} else {
			s->reordered++;
		}
		v = SEQ_OLD;
	}
	s->received++;
	return v;
}

/* Timestamp extended to 64 bits around the previous one; counts forward wraps. */
static int64_t ts_extend(struct hp_rtp_stats *s, uint32_t ts)
{
	int64_t ext = s->ts_ext + (int32_t)(ts - (uint32_t)s->ts_ext);
	if (ext > s->ts_ext_max) {
		if ((ext >> 32) != (s->ts_ext_max >> 32))
			s->ts_wraps++;
		s->ts_ext_max = ext;
	}
	s->ts_ext = ext;
	return ext;
}

static bool is_cn(uint8_t pt)
{
	return pt == HP_RTP_PT_CN || pt == HP_RTP_PT_CN_OLD;
}

/* A.8. Arrival and RTP times are both taken relative to the stream's first packet,
 * in milli-ticks of the RTP clock, so 64 bits hold days of a 90 kHz stream.
 * Packets are taken in arrival order, late ones included (RFC 3550 §6.4.1).
 * A newer packet whose timestamp went backwards is a sender timestamp reset (seen in
 * the corpus after a T.38 fallback): the reference restarts there instead of one
 * huge D poisoning J for thousands of packets. */
static void jitter_update(struct hp_rtp_stats *s, const struct hp_rtp_hdr *h,
			  int64_t ext, uint64_t arrival_us, bool newest, bool after_cn)
{
	int64_t arr = (int64_t)(arrival_us - s->first_us) * (int64_t)s->clock_rate / 1000;
	int64_t transit = arr - (ext - s->ts_first) * 1000;

	if (s->have_ref && newest && ext < s->ref_ts) {
		s->ts_resets++;
		s->have_ref = false;
	}
	bool first = !s->have_ref;
	if (s->have_ref) {
		int64_t d = transit - s->ref_transit;
		if (d < 0)
			d = -d;
		/* J(i) = J(i-1) + (|D| - J(i-1))/16, kept as 16*J like A.8's integer form */
		s->jitter16 = s->jitter16 + (uint64_t)d - ((s->jitter16 + 8) >> 4);
	}
	/* RFC 3550 §6.4.1 / A.8: D(i-1,i) compares each packet with the one
	 * that arrived before it, late and duplicate packets included, as
	 * receivers (and tshark) compute it. */
	if (!first && !h->marker && !is_cn(h->pt) && !after_cn) {
		uint64_t j = s->jitter16 >> 4;
		if (j > s->jitter_max)
			s->jitter_max = j;
		s->jitter_sum += j;
		s->jitter_n++;
	}
	s->have_ref = true;
	s->ref_ts = ext;
	s->ref_transit = transit;
}

void hp_rtp_stats_update(struct hp_rtp_stats *s, const struct hp_rtp_hdr *h, uint64_t arrival_us)
{
	bool first = !s->started;
	bool event = h->pt == s->event_pt;
	enum seq_verdict sv = SEQ_NEW;

	s->packets++;
	s->bytes += h->payload_len;
	if (first) {
		s->started = true;
		s->probation = HP_RTP_MIN_SEQUENTIAL - 1;
		seq_start(s, h->seq);
		s->received = 1;
		s->ts_ext = h->ts;
		s->ts_ext_max = h->ts;
		s->ts_first = h->ts;
		s->first_us = arrival_us;
		s->last_us = arrival_us;
	} else {
		sv = seq_update(s, h);
		if (arrival_us > s->last_us) {
			if (arrival_us - s->last_us > s->max_gap_us)
				s->max_gap_us = arrival_us - s->last_us;
			s->last_us = arrival_us;
		}
	}
	int64_t ext = first ? (int64_t)h->ts : ts_extend(s, h->ts);
	bool after_cn = s->last_pt != HP_RTP_NO_PT && is_cn(s->last_pt);

	if (event) {
		s->event_packets++;
		s->last_event_ts = h->ts;
	} else {
		if (is_cn(h->pt))
			s->cn_packets++;
		jitter_update(s, h, ext, arrival_us, sv == SEQ_NEW, after_cn);
	}
	s->last_pt = h->pt;
}

void hp_rtp_stats_summary(const struct hp_rtp_stats *s, struct hp_rtp_summary *o)
{
	memset(o, 0, sizeof(*o));
	o->packets = s->packets;
	o->bytes = s->bytes;
	o->valid = s->valid;
	o->duplicates = s->duplicates;
	o->reordered = s->reordered;
	o->seq_resets = s->seq_resets;
	o->ts_wraps = s->ts_wraps;
	o->ts_resets = s->ts_resets;
	o->event_end_repeats = s->event_end_repeats;
	o->event_packets = s->event_packets;
	o->cn_packets = s->cn_packets;
	if (!s->started)
		return;
	uint64_t expected = s->expected_prior + (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
	uint64_t received = s->received_prior + s->received;
	o->expected = expected;
	o->lost = (int64_t)expected - (int64_t)received;
	o->loss_pct = expected ? 100.0 * (double)o->lost / (double)expected : 0.0;
	o->ext_max_seq = s->cycles + s->max_seq;
	/* milli-ticks to ms: mt / 1000 / rate * 1000 */
	double rate = (double)s->clock_rate;
	uint64_t j = s->jitter16 >> 4;
	o->jitter_ts = (uint32_t)(j / 1000);
	o->jitter_ms = (double)j / rate;
	o->max_jitter_ms = (double)s->jitter_max / rate;
	o->mean_jitter_ms = s->jitter_n ? (double)s->jitter_sum / (double)s->jitter_n / rate : 0.0;
	o->max_gap_ms = (double)s->max_gap_us / 1000.0;
}
