/* SPDX-License-Identifier: BSD-3-Clause */
/* RTP / RTCP (RFC 3550) parsing, per-stream receiver statistics (RFC 3550 A.1, A.8),
 * RTCP rendering as Homer-shaped JSON, and an E-model (ITU-T G.107) score.
 * Parsers work in place: payload pointers and hp_str point into the input. */
#ifndef HP_RTP_H
#define HP_RTP_H

#include <stdbool.h>
#include "common/hp_common.h"
#include "common/reason.h"

/* ---------------------------------------------------------------- RTP header */

#define HP_RTP_PT_CN 13       /* RFC 3389 comfort noise (RFC 3551 static PT) */
#define HP_RTP_PT_CN_OLD 19   /* reserved, formerly CN; some old gear still sends it */
#define HP_RTP_NO_PT 0xFFu

struct hp_rtp_hdr {
	uint8_t version;
	bool padding;
	bool extension;
	bool marker;
	uint8_t csrc_count;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint16_t ext_profile;        /* RFC 3550 §5.3.1, when extension */
	uint16_t ext_words;          /* extension length in 32-bit words */
	uint16_t hdr_len;            /* 12 + 4*CC + extension */
	uint8_t pad_len;             /* padding octets, last one included */
	const uint8_t *payload;
	uint32_t payload_len;
};

/* RFC 3550 §5.1: version 2, CSRC list, extension (§5.3.1) and padding all inside len.
 * Returns HP_R_OK or HP_R_RTP_MALFORMED. */
int hp_rtp_parse(const uint8_t *p, size_t len, struct hp_rtp_hdr *h);

/* Heuristic for UDP not announced by SDP: parses as RTP, PT is not 72..76 (which is
 * what RTCP SR..APP look like with the marker bit read as part of the PT, RFC 5761 §4),
 * PT is not in the reserved 1, 2, and there is a non-empty payload. */
bool hp_rtp_looks_like_rtp(const uint8_t *p, size_t len);

/* Heuristic for RTCP: version 2, first packet type 200..207, its length fits. */
bool hp_rtcp_looks_like_rtcp(const uint8_t *p, size_t len);

/* ---------------------------------------------------------------- RTCP */

enum {
	HP_RTCP_SR = 200, HP_RTCP_RR = 201, HP_RTCP_SDES = 202, HP_RTCP_BYE = 203,
	HP_RTCP_APP = 204, HP_RTCP_RTPFB = 205, HP_RTCP_PSFB = 206, HP_RTCP_XR = 207,
};

#define HP_RTCP_MAX_PKTS 8    /* packets in one compound datagram */
#define HP_RTCP_MAX_RB 32     /* report blocks, all packets together */
#define HP_RTCP_MAX_SDES 16   /* SDES items, all chunks together */

/* RFC 3550 §6.4.1 sender info */
struct hp_rtcp_si {
	uint32_t ntp_sec;
	uint32_t ntp_frac;
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

/* RFC 3550 §6.4.1 report block */
struct hp_rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction_lost;
	int32_t packets_lost;        /* 24-bit two's complement, sign-extended */
	uint32_t highest_seq;
	uint32_t jitter;
	uint32_t lsr;
	uint32_t dlsr;
};

/* RFC 3550 §6.5 */
struct hp_rtcp_sdes_item {
	uint32_t ssrc;               /* of the chunk */
	uint8_t type;                /* 1 CNAME .. 8 PRIV */
	struct hp_str text;
};

struct hp_rtcp_pkt {
	uint8_t type;                /* packet type 200.. */
	uint8_t count;               /* RC / SC / subtype / FMT (5 bits) */
	uint16_t len;                /* bytes, header included */
	uint32_t ssrc;               /* sender; SDES/BYE: first chunk/source (0 if none) */
	bool has_si;
	struct hp_rtcp_si si;
	uint8_t rb_first, rb_n;      /* slice of hp_rtcp.rb */
	uint8_t sdes_first, sdes_n;  /* slice of hp_rtcp.sdes */
	uint8_t app_name[4];         /* APP */
	uint8_t xr_blocks;           /* XR: report blocks walked (RFC 3611 §3) */
};

struct hp_rtcp {
	uint8_t n_pkts;
	uint8_t n_rb;
	uint8_t n_sdes;
	bool truncated;              /* more packets/blocks/items than the arrays hold */
	struct hp_rtcp_pkt pkt[HP_RTCP_MAX_PKTS];
	struct hp_rtcp_rb rb[HP_RTCP_MAX_RB];
	struct hp_rtcp_sdes_item sdes[HP_RTCP_MAX_SDES];
};

/* Walk a compound RTCP datagram (RFC 3550 §6.1): every packet version 2, its length
 * word inside the datagram, the packets exactly tiling it, and each packet's body
 * (sender info, report blocks, SDES chunks, XR blocks) inside its own length.
 * Returns HP_R_OK or HP_R_RTCP_MALFORMED. */
int hp_rtcp_parse(const uint8_t *p, size_t len, struct hp_rtcp *out);

/* One JSON array with an object per packet, Homer's field names:
 * [{"type":200,"ssrc":1,"report_count":1,"sender_information":{"ntp_timestamp_sec":..,
 *   "ntp_timestamp_usec":..,"rtp_timestamp":..,"packets":..,"octets":..},
 *   "report_blocks":[{"source_ssrc":..,"fraction_lost":..,"packets_lost":..,
 *   "highest_seq_no":..,"ia_jitter":..,"lsr":..,"dlsr":..}]},
 *  {"type":202,"ssrc":..,"report_count":1,"sdes_information":[{"ssrc":..,"type":1,"text":".."}]}]
 * SDES text is escaped for JSON; bytes >= 0x7F are written as \u00XX.
 * Writes at most cap bytes plus nothing else (no NUL); returns the length, or 0
 * if it does not fit. */
size_t hp_rtcp_to_json(const struct hp_rtcp *r, char *buf, size_t cap);

/* ---------------------------------------------------------------- statistics */

/* RFC 3550 A.1 constants */
#define HP_RTP_MAX_DROPOUT 3000
#define HP_RTP_MAX_MISORDER 100
#define HP_RTP_MIN_SEQUENTIAL 2

/* Receiver statistics of one RTP stream (one SSRC). Integer-only on update.
 *
 * Sequence (A.1): extended highest sequence with 16-bit wrap cycles; a jump of
 * MAX_DROPOUT or more ahead (or more than MAX_MISORDER behind) is taken as a restart
 * of the sender only when the next packet follows it (A.1's bad_seq), and is then
 * counted in seq_resets. Probation: the stream is "valid" after MIN_SEQUENTIAL
 * packets in sequence; unlike A.1 the first packets are counted anyway, because a
 * probe reports what was on the wire and tshark counts them too.
 * expected = sum over sequence segments of (extended max - base + 1);
 * lost = expected - received, negative with duplicates (as tshark reports it).
 * Duplicates and late (reordered) packets are told apart with a 128-sequence bitmap.
 *
 * Jitter (A.8): J += (|D| - J)/16 with D the change in transit time, arrival time
 * converted to the RTP clock. Kept in 1/1000 timestamp units (times 16, as A.8) so
 * microsecond arrival times are not rounded to a whole 125 us tick at 8 kHz.
 * Telephone-event packets (RFC 4733 §2.3.1: their timestamp is the event start and
 * does not advance) would inflate it and are left out; a late packet does not become
 * the reference, and a timestamp reset by the sender (newer sequence, older timestamp)
 * restarts the reference (ts_resets). Max and mean jitter are sampled,
 * like Wireshark's RTP analysis so the figures compare, only on packets that are
 * the newest so far, not the first, not marked (talkspurt start), not CN and not
 * right after CN.
 * DTX (timestamp jumps with consecutive sequence numbers) and CN are not loss,
 * since loss is counted on sequence numbers only. */
struct hp_rtp_stats {
	uint32_t clock_rate;
	uint8_t event_pt;            /* HP_RTP_NO_PT when none */
	bool started;
	bool valid;                  /* passed probation */
	uint8_t probation;
	uint8_t last_pt;
	uint16_t max_seq;
	uint32_t cycles;             /* count of seq wraps << 16 */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint64_t seen_lo, seen_hi;   /* bit k: max_seq - k was received */
	uint64_t received;           /* this sequence segment */
	uint64_t expected_prior;     /* segments before the last reset */
	uint64_t received_prior;

	uint64_t packets;            /* every packet handed in */
	uint64_t bytes;              /* payload octets */
	uint64_t event_packets;
	uint64_t event_end_repeats;  /* RFC 4733 §2.5.1.4 end-packet retransmissions */
	uint64_t cn_packets;
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t seq_resets;
	uint64_t ts_wraps;
	uint64_t ts_resets;          /* timestamp went back with a newer sequence number */

	int64_t ts_ext;              /* extended timestamp of the last packet */
	int64_t ts_ext_max;
	int64_t ts_first;
	uint32_t last_event_ts;

	uint64_t first_us;
	uint64_t last_us;
	uint64_t max_gap_us;

	bool have_ref;
	int64_t ref_ts;              /* extended ts of the jitter reference packet */
	int64_t ref_transit;         /* milli-ticks */
	uint64_t jitter16;           /* A.8 J * 16, milli-ticks */
	uint64_t jitter_max;         /* milli-ticks */
	uint64_t jitter_sum;
	uint64_t jitter_n;
};

struct hp_rtp_summary {
	uint64_t packets;
	uint64_t bytes;
	uint64_t expected;
	int64_t lost;                /* expected - received */
	double loss_pct;             /* lost / expected * 100, 0 when nothing expected */
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t seq_resets;
	uint64_t ts_wraps;
	uint64_t ts_resets;
	uint64_t event_packets;
	uint64_t event_end_repeats;
	uint64_t cn_packets;
	uint32_t ext_max_seq;        /* RFC 3550 extended highest sequence number received */
	uint32_t jitter_ts;          /* A.8 J in timestamp units, as RTCP's interarrival jitter */
	double jitter_ms;
	double max_jitter_ms;
	double mean_jitter_ms;
	double max_gap_ms;
	bool valid;
};

/* clock_rate 0 -> 8000. */
void hp_rtp_stats_init(struct hp_rtp_stats *s, uint32_t clock_rate);
/* Telephone-event PT of the stream (from SDP rtpmap "telephone-event"); HP_RTP_NO_PT for none. */
void hp_rtp_stats_set_event_pt(struct hp_rtp_stats *s, uint8_t pt);
/* One packet of the stream, parsed by hp_rtp_parse, arrived (captured) at arrival_us. */
void hp_rtp_stats_update(struct hp_rtp_stats *s, const struct hp_rtp_hdr *h, uint64_t arrival_us);
/* Cold path: figures for reports. */
void hp_rtp_stats_summary(const struct hp_rtp_stats *s, struct hp_rtp_summary *out);

/* ---------------------------------------------------------------- E-model */

/* Simplified ITU-T G.107 (06/2015) E-model for G.711 narrowband calls:
 *   R = Ro - Is - Id - Ie,eff + A, with Ro - Is = 93.2 (the G.107 default
 *       parameter set, Table 3), A = 0, echo impairments (Idte, Idle) taken as 0.
 *   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)      (G.107 §7.5, eq. 7-29)
 *       with Ie = 0, Bpl = 25.1 for G.711 with packet-loss concealment (ITU-T G.113
 *       Appendix I, Table I.3), BurstR = 1 (random loss), Ppl = loss in percent.
 *   Id = Idd, from the absolute one-way delay Ta in ms (G.107 §7.4, eq. 7-27):
 *       Idd = 0 for Ta <= 100, else with X = log2(Ta / 100):
 *       Idd = 25 * ((1 + X^6)^(1/6) - 3 * (1 + (X/3)^6)^(1/6) + 2)
 *       Ta is estimated as path_delay_ms + 2 * jitter_ms (a jitter buffer sized at
 *       twice the interarrival jitter); a probe cannot see the real mouth-to-ear delay.
 *   MOS = 1 for R < 0, 4.5 for R > 100, else 1 + 0.035 R + R (R - 60)(100 - R) 7e-6
 *       (G.107 Annex B, eq. B-4). */
#define HP_EMODEL_PATH_DELAY_MS 40.0

struct hp_emodel {
	double r;
	double mos;
	double ie_eff;
	double id;
	double delay_ms;             /* Ta used */
};

void hp_rtp_emodel(double loss_pct, double jitter_ms, double path_delay_ms, struct hp_emodel *out);

#endif
