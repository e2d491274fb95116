/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter registry. One flat array of uint64_t per lcore, laid out by the
 * families below; the control thread sums the arrays and renders them as
 * Prometheus text (exposition format 0.0.4) or as the end-of-run table.
 * Labels come from the same X-macro lists the code uses (reason.def, the
 * checksum verdicts, the SIP methods), so a new reason is counted and
 * exported without touching this module. */
#ifndef HP_METRICS_H
#define HP_METRICS_H

#include "common/hp_common.h"
#include "common/reason.h"
#include "csum/csum.h"
#include "sip/sip.h"

/* Plain counters: HP_SCALAR(ID, "metric_name", "help") */
#define HP_METRIC_SCALARS(X) \
	X(RX_FRAMES, "hepprobe_rx_frames_total", "Frames received from the capture port") \
	X(RX_BYTES, "hepprobe_rx_bytes_total", "Bytes of the frames received") \
	X(HEP_QUEUED, "hepprobe_hep_queued_total", "HEP messages a worker handed to the sender") \
	X(HEP_SENT, "hepprobe_hep_sent_total", "HEP messages sent to the collector") \
	X(HEP_BYTES, "hepprobe_hep_bytes_total", "Bytes of HEP messages sent") \
	X(HEP_SEND_ERRORS, "hepprobe_hep_send_errors_total", "HEP messages the collector socket refused (collector down, buffer full)") \
	X(PORT_IMISSED, "hepprobe_port_imissed_total", "Frames the port dropped because the worker was too slow (NIC counter)") \
	X(PORT_IERRORS, "hepprobe_port_ierrors_total", "Erroneous frames the port received") \
	X(PORT_NOMBUF, "hepprobe_port_rx_nombuf_total", "Frames the port dropped for lack of mbufs") \
	X(STREAMS, "hepprobe_rtp_streams_total", "RTP streams seen (announced by SDP or found heuristically)") \
	X(STREAMS_EXPIRED, "hepprobe_rtp_streams_expired_total", "RTP streams ended by inactivity") \
	X(STREAMS_FLAT, "hepprobe_rtp_streams_flatline_total", "RTP streams flagged as a flat line (or constant payload)") \
	X(RTP_LOST, "hepprobe_rtp_lost_packets_total", "RTP packets lost (RFC 3550 expected - received, ended streams)") \
	X(RTCP_PACKETS, "hepprobe_rtcp_packets_total", "RTCP compound packets parsed") \
	X(DIALOGS, "hepprobe_dialogs_total", "SIP dialogs (Call-IDs) tracked") \
	X(DIALOGS_EXPIRED, "hepprobe_dialogs_expired_total", "Dialogs ended by BYE grace or inactivity") \
	X(DIALOG_TABLE_FULL, "hepprobe_dialog_table_full_total", "SIP messages whose dialog could not be tracked: table full") \
	X(ENDPOINT_TABLE_FULL, "hepprobe_media_endpoint_table_full_total", "SDP media endpoints not learned: table full") \
	X(SDP_MALFORMED, "hepprobe_sdp_malformed_total", "SDP bodies that did not parse") \
	X(SDP_LINES_SKIPPED, "hepprobe_sdp_lines_skipped_total", "Malformed SDP lines skipped (the rest of the body is used)") \
	X(RTP_DISCARDED, "hepprobe_rtp_discarded_by_receiver_total", "RTP packets measured whose UDP checksum makes the receiver discard them (bad, or zero over IPv6)") \
	X(MEDIA_EVENTS, "hepprobe_media_events_total", "Media events emitted (flatline, low_level, no_rtp, stream_end, call_summary)") \
	X(MEDIA_REPORTS, "hepprobe_media_reports_total", "Per-stream QoS reports emitted (HEP type 34)") \
	X(HEP_DROPPED, "hepprobe_hep_dropped_total", "HEP messages a collector did not get (by collector and reason on the metrics page)")

/* Gauges: HP_GAUGE(ID, "metric_name", "help"); each lcore sets its own value
 * and the sum is exported. */
#define HP_METRIC_GAUGES(X) \
	X(STREAMS_ACTIVE, "hepprobe_rtp_streams_active", "RTP streams being measured now") \
	X(DIALOGS_ACTIVE, "hepprobe_dialogs_active", "SIP dialogs being tracked now") \
	X(TABLE_BYTES, "hepprobe_media_table_bytes", "Bytes of the stream, endpoint and dialog tables (fixed at start-up)")

/* What a frame became when it was not dropped. rtp_candidate: an unannounced
 * RTP-shaped datagram held on probation; its header joins the stream's
 * statistics once the flow is confirmed. */
#define HP_DELIVERY_KINDS(X) \
	X(SIP, "sip") \
	X(SIP_EVENT, "sip_event") \
	X(RTP, "rtp") \
	X(RTCP, "rtcp") \
	X(RTP_CANDIDATE, "rtp_candidate")

enum hp_delivery {
#define HP_DELIVERY_ENUM(id, label) HP_DELIVERED_##id,
	HP_DELIVERY_KINDS(HP_DELIVERY_ENUM)
#undef HP_DELIVERY_ENUM
	HP_DELIVERED_MAX
};

#define HP_SIP_STATUS_MAX 700

enum hp_ctr {
#define HP_SCALAR_ENUM(id, name, help) HP_CTR_##id,
	HP_METRIC_SCALARS(HP_SCALAR_ENUM)
	HP_METRIC_GAUGES(HP_SCALAR_ENUM)
#undef HP_SCALAR_ENUM
	HP_CTR_DROP_BASE,
	HP_CTR_CSUM_BASE = HP_CTR_DROP_BASE + HP_R_MAX,
	HP_CTR_DELIVERED_BASE = HP_CTR_CSUM_BASE + HP_CSUM_MAX,
	HP_CTR_SIP_REQ_BASE = HP_CTR_DELIVERED_BASE + HP_DELIVERED_MAX,
	HP_CTR_SIP_RESP_BASE = HP_CTR_SIP_REQ_BASE + HP_SIP_METHOD_MAX,
	HP_CTR_MAX = HP_CTR_SIP_RESP_BASE + HP_SIP_STATUS_MAX
};

struct hp_counters {
	uint64_t v[HP_CTR_MAX];
} HP_ALIGNED;

static inline void hp_ctr_inc(struct hp_counters *c, int id) { c->v[id]++; }
static inline void hp_ctr_add(struct hp_counters *c, int id, uint64_t n) { c->v[id] += n; }
static inline void hp_ctr_drop(struct hp_counters *c, int reason) { c->v[HP_CTR_DROP_BASE + reason]++; }

/* dst += src, element-wise. */
void hp_metrics_sum(struct hp_counters *dst, const struct hp_counters *src);

/* Counter value by Prometheus name and label value (label NULL for a scalar);
 * returns 0 for an unknown name. Used by tests and by the report. */
uint64_t hp_metrics_get(const struct hp_counters *c, const char *name, const char *label);

/* Render every family as Prometheus text, except hepprobe_hep_sent_total and
 * hepprobe_hep_dropped_total: the sender (src/hep_tx.c) renders those with
 * their collector labels. Output goes into buf (NUL-terminated). Returns the
 * length written, or 0 when buf is too small. */
size_t hp_metrics_render_prometheus(const struct hp_counters *c, char *buf, size_t cap);

/* Render the human end-of-run table: every scalar and gauge, labelled
 * entries only when non-zero. */
size_t hp_metrics_render_report(const struct hp_counters *c, char *buf, size_t cap);

#endif
