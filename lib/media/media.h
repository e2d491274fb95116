/* SPDX-License-Identifier: BSD-3-Clause */
/* The media engine of one worker lcore: learns RTP/RTCP endpoints from the SDP
 * of SIP dialogs, tracks dialogs and RTP streams in fixed tables, runs the
 * RFC 3550 statistics and the flat-line classifier on every RTP packet, parses
 * RTCP, and hands JSON records (RTCP, events, per-stream QoS reports) to a sink
 * that the worker turns into HEP.
 *
 * Threading: one engine per lcore, no locks. hp_media_create/destroy and
 * hp_media_render_calls are cold (they allocate / format with snprintf);
 * hp_media_on_sip, hp_media_on_udp and hp_media_tick never allocate, print or
 * make system calls. Records are built in one per-engine buffer and handed to
 * the sink synchronously: the sink must copy what it keeps before returning.
 *
 * Identities
 *   dialog   the Call-ID (full value up to HP_MEDIA_CALL_ID_MAX bytes; a longer
 *            one is tracked by its hash and first bytes and reported truncated).
 *   party    caller = the From side of the first request seen in the dialog
 *            (the INVITE's sender when the probe saw the call start); callee =
 *            the other side. A message's sender is the caller when it is a
 *            request whose From tag is the caller's, or a response whose From tag
 *            is not (the From of a response is the requester).
 *   endpoint (address, port) from an audio m= line (RTP) and its RTCP port
 *            (a=rtcp, RFC 3605, else port + 1), owned by one dialog and party;
 *            removed when the dialog ends or when that party's next SDP replaces it.
 *            A newer dialog announcing the same endpoint takes it over.
 *   stream   (source addr:port, destination addr:port, SSRC), never SSRC alone.
 *            Bound to a dialog when its destination (first) or source is an
 *            endpoint: a packet sent to party X's endpoint travels towards X.
 *
 * Lifetimes
 *   stream   ends after stream_idle_ms without packets, when its dialog ends,
 *            or at hp_media_flush. A new SSRC on the same addresses is a new
 *            stream; the old one ends by inactivity.
 *   dialog   ends dialog_grace_ms after a BYE, a CANCEL, or a final non-2xx
 *            response to an INVITE that was not yet answered (the grace lets the
 *            last RTP, RTCP and the ACK arrive); or after dialog_idle_ms with
 *            neither SIP nor RTP (a crashed UA, a BYE the probe missed). */
#ifndef HP_MEDIA_H
#define HP_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include "common/hp_common.h"
#include "metrics/metrics.h"
#include "net/net.h"
#include "sip/sip.h"

/* Call-ID bytes kept per dialog and copied into records. */
#define HP_MEDIA_CALL_ID_MAX 255u

struct hp_media_cfg {
	uint32_t max_streams;       /* RTP streams measured at once (default 16384) */
	uint32_t max_dialogs;       /* dialogs tracked at once (default 8192); the endpoint
	                             * table holds 4 per dialog (one audio m= line per party,
	                             * RTP + RTCP) */
	uint32_t max_candidates;    /* unannounced RTP flows on probation; 0 -> max_streams / 4,
	                             * at least 64 */
	uint32_t call_log;          /* ended calls kept for hp_media_render_calls (default
	                             * 1024; the oldest is overwritten; 0 keeps none) */
	uint32_t flat_ms;           /* flat run that flags a stream (default 2000) */
	uint32_t stream_idle_ms;    /* a stream without packets this long ends (default
	                             * 30000: outlasts RTP pauses of DTX and short holds) */
	uint32_t dialog_grace_ms;   /* after BYE / CANCEL / rejection (default 5000) */
	uint32_t dialog_idle_ms;    /* no SIP and no RTP of the dialog for this long
	                             * (default 3600000 = 1 h: longer than common
	                             * session-timer refreshes) */
	uint32_t candidate_idle_ms; /* probation state kept this long (default 2000) */
	uint32_t tick_budget;       /* entries expired per table per hp_media_tick (default 64) */
	uint64_t hash_seed;         /* keys the table hashes; the application fills it with
	                             * random bits at start-up, so that keys crafted to share
	                             * a bucket (long probes, a full table) are not known in
	                             * advance (default 0: fixed, for tests) */
	uint32_t clip_pct;          /* full-scale share of a 1 s window that counts as
	                             * clipped (default 5, HP_SILENCE_DEF_CLIP_PCT) */
	uint32_t late_audio_ms;     /* audio starting this long after its RTP, or stopping
	                             * this long before it, is a call_verdict (default 5000) */
	uint32_t max_registrations; /* REGISTER bindings tracked (0 -> max_dialogs) */
	uint32_t max_error_flows;   /* (flow, reason) pairs of SIP parse errors remembered,
	                             * each reported once per error_idle_ms (0 ->
	                             * max_dialogs / 8, at least 4) */
	uint32_t error_idle_ms;     /* default 60000 */
	bool heuristic_rtp;         /* measure RTP no SDP announced (default true) */
	bool heuristic_rtcp;        /* RTCP no SDP announced, odd ports only (default true) */
};

void hp_media_cfg_defaults(struct hp_media_cfg *cfg);

/* Direction of a stream within its call. */
enum hp_media_dir {
	HP_MEDIA_DIR_UNKNOWN = 0,
	HP_MEDIA_DIR_CALLER_TO_CALLEE,
	HP_MEDIA_DIR_CALLEE_TO_CALLER,
};

/* "unknown", "caller->callee", "callee->caller". */
const char *hp_media_dir_label(int dir);

struct hp_media_record {
	uint8_t hep_type;            /* 5 RTCP, 34 QoS report, 100 event (enum hp_hep_proto) */
	const char *json;            /* NUL-terminated; valid only during the sink call */
	size_t json_len;
	struct hp_str correlation_id;/* Call-ID; len 0 (p "") when the stream is not tied to a call */
	uint8_t ip_version;          /* 4 or 6 */
	uint8_t src_addr[16], dst_addr[16];
	uint16_t src_port, dst_port;
	uint64_t ts_us;              /* capture time the record refers to */
};

typedef void (*hp_media_sink)(void *arg, const struct hp_media_record *rec);

/* What hp_media_on_udp made of a datagram. Negative values are -HP_R_<reason>:
 * the datagram was media (on a learned endpoint, or a confirmed stream) but was
 * not measured: -HP_R_RTP_MALFORMED, -HP_R_RTCP_MALFORMED, -HP_R_STREAM_TABLE_FULL;
 * or it was unannounced RTP-shaped UDP that found the candidate table full:
 * -HP_R_CANDIDATE_TABLE_FULL.
 * The engine does not count these drops itself: the caller counts every result
 * once (hp_ctr_drop(ctr, -rc), or its delivered / udp_not_voip counters). */
enum hp_media_result {
	HP_MEDIA_NOT_MEDIA = 0,      /* not RTP/RTCP (STUN, DTLS, DNS, ...): udp_not_voip */
	HP_MEDIA_RTP = 1,            /* measured as RTP */
	HP_MEDIA_RTCP = 2,           /* parsed RTCP, a type-5 record was emitted */
	HP_MEDIA_RTP_PROBATION = 3,  /* unannounced RTP-shaped datagram held as a candidate:
	                              * its header is replayed into the statistics if the
	                              * flow is confirmed (third consistent packet), so the
	                              * caller may count it as RTP */
};

struct hp_media;

/* Cold: allocates every table once (hp_media_memory() bytes). ctr may not be NULL.
 * Returns NULL on a bad configuration (a zero capacity) or allocation failure. */
struct hp_media *hp_media_create(const struct hp_media_cfg *cfg, struct hp_counters *ctr,
				 hp_media_sink sink, void *sink_arg);
void hp_media_destroy(struct hp_media *m);
/* Bytes of the stream, candidate, endpoint, dialog, registration and parse-error
 * tables and the call log. */
size_t hp_media_memory(const struct hp_media *m);

/* Hot. One parsed SIP message (request or response) captured at ts_us. */
void hp_media_on_sip(struct hp_media *m, const struct hp_pkt *pkt, const struct hp_sip_msg *sip,
		     uint64_t ts_us);

/* Hot. A SIP message the receiving host discards (UDP checksum bad, or zero
 * over IPv6; csum_verdict is its enum hp_csum_verdict): it sets up nothing,
 * but counts against its call. A call whose discarded request was never
 * answered gets a sip_checksum_discarded verdict when it ends. */
void hp_media_on_sip_discarded(struct hp_media *m, const struct hp_pkt *pkt,
			       const struct hp_sip_msg *sip, int csum_verdict, uint64_t ts_us);

/* Hot. A UDP datagram taken for SIP that hp_sip_parse() refused with reason
 * (an HP_R_SIP_* code): a sip_parse_error verdict, once per flow and reason
 * until the pair has been quiet for cfg.error_idle_ms. */
void hp_media_on_sip_error(struct hp_media *m, const struct hp_pkt *pkt, int reason,
			   uint64_t ts_us);

/* Hot. One UDP datagram that is not SIP, its checksum good (or not checked).
 * Returns an enum hp_media_result or a negative reason (above). */
int hp_media_on_udp(struct hp_media *m, const struct hp_pkt *pkt, uint64_t ts_us);

/* A worker that has a burst of datagrams in hand hides the stream table's
 * cache misses behind each other: hp_media_prepare() on every datagram
 * (hashes an RTP-shaped one's stream key and starts loading its bucket), then
 * hp_media_prefetch() on every one (the bucket has arrived: starts loading the
 * stream), then hp_media_on_udp_prepared() in order, which is
 * hp_media_on_udp() without hashing again. */
struct hp_media_prep {
	uint32_t stream_hash;
	bool rtp; /* stream_hash is set */
};
void hp_media_prepare(const struct hp_media *m, const struct hp_pkt *pkt, struct hp_media_prep *prep);
void hp_media_prefetch(const struct hp_media *m, const struct hp_media_prep *prep);
/* A few datagrams before hp_media_on_udp_prepared(), once the stream has
 * arrived: starts loading what touching it at ts_us will write. */
void hp_media_prefetch_touch(const struct hp_media *m, const struct hp_media_prep *prep,
			     uint64_t ts_us);
/* csum_verdict: the datagram's enum hp_csum_verdict (csum/csum.h). RTP with
 * HP_CSUM_BAD or HP_CSUM_ZERO_IPV6 is measured like any other (the RFC 3550
 * figures describe the wire) and also counted as discarded by the receiver,
 * whose loss it adds to (the stream report's endpoint_lost). */
int hp_media_on_udp_prepared(struct hp_media *m, const struct hp_pkt *pkt,
			     const struct hp_media_prep *prep, int csum_verdict, uint64_t ts_us);

/* Hot-ish, every few ms of capture time: ends idle streams and dialogs and
 * dialogs past their grace, at most cfg.tick_budget per table per call. */
void hp_media_tick(struct hp_media *m, uint64_t now_us);

/* End of capture / shutdown: ends every stream and dialog now, emitting their
 * reports and events (reason "end_of_capture"), and drops the candidates. */
void hp_media_flush(struct hp_media *m, uint64_t now_us);

/* Cold: the call view, one line per call: the calls ended so far (the last
 * cfg.call_log of them) and those still live, each with its streams' directions,
 * addresses, codec, verdict and packet counts, and the announced directions that
 * carried no RTP. Streams without a call are listed with "Call-ID -". Call it
 * after hp_media_flush for a complete view. Writes a NUL-terminated text (cut at
 * a line boundary when cap is too small); returns its length. */
size_t hp_media_render_calls(const struct hp_media *m, char *buf, size_t cap);

#endif
