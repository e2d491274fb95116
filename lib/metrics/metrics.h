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
	X(HEP_DROPPED, "hepprobe_hep_dropped_total", "HEP messages a collector did not get (by collector and reason on the metrics page)") \
	X(IP_REASSEMBLED, "hepprobe_ip_datagrams_reassembled_total", "Fragmented IP datagrams reassembled whole") \
	X(IP_REASM_TIMEOUT, "hepprobe_ip_reassembly_timeouts_total", "Fragmented IP datagrams given up because a fragment never came") \
	X(IP_REASM_OVERLAP, "hepprobe_ip_reassembly_overlaps_total", "Fragmented IP datagrams dropped for overlapping fragments (RFC 5722)") \
	X(TCP_FLOWS, "hepprobe_tcp_flows_total", "TCP connections followed (SIP, WebSocket or TLS)") \
	X(TCP_FLOWS_CLOSED, "hepprobe_tcp_flows_closed_total", "TCP connections freed by FIN or RST") \
	X(TCP_FLOWS_EXPIRED, "hepprobe_tcp_flows_expired_total", "TCP connections freed by inactivity") \
	X(TCP_MESSAGES, "hepprobe_tcp_sip_messages_total", "SIP messages framed on TCP connections (WebSocket included)") \
	X(TCP_GAPS, "hepprobe_tcp_gaps_total", "Holes in a TCP byte stream that never filled (the stream resynchronised after each)") \
	X(TCP_GAP_BYTES, "hepprobe_tcp_gap_bytes_total", "Bytes of TCP streams never seen (holes) or skipped to resynchronise") \
	X(TCP_RESYNCS, "hepprobe_tcp_resyncs_total", "TCP streams resynchronised on the next SIP start line") \
	X(TCP_RETRANS_BYTES, "hepprobe_tcp_retransmitted_bytes_total", "TCP payload bytes seen again (retransmission, overlap): delivered once") \
	X(STREAM_PARSE_ERRORS, "hepprobe_sip_stream_parse_errors_total", "Unparseable SIP messages on TCP, WebSocket or SCTP (each a sip_parse_error event)") \
	X(WS_UPGRADES, "hepprobe_websocket_upgrades_total", "HTTP upgrades to WebSocket seen on WebSocket ports") \
	X(TLS_FLOWS, "hepprobe_tls_flows_total", "TLS connections on SIP ports: encrypted SIP hepprobe cannot read") \
	X(TLS_BYTES, "hepprobe_tls_bytes_total", "Bytes of TLS on SIP ports") \
	X(SCTP_MESSAGES, "hepprobe_sctp_sip_messages_total", "SCTP user messages carrying SIP") \
	X(SCTP_REASSEMBLED, "hepprobe_sctp_reassembled_total", "SCTP user messages reassembled from fragmented DATA chunks")

/* Gauges: HP_GAUGE(ID, "metric_name", "help"); each lcore sets its own value
 * and the sum is exported. */
#define HP_METRIC_GAUGES(X) \
	X(STREAMS_ACTIVE, "hepprobe_rtp_streams_active", "RTP streams being measured now") \
	X(DIALOGS_ACTIVE, "hepprobe_dialogs_active", "SIP dialogs being tracked now") \
	X(TABLE_BYTES, "hepprobe_media_table_bytes", "Bytes of the stream, endpoint and dialog tables (fixed at start-up)")

/* What a frame became when it was not dropped. rtp_candidate: an unannounced
 * RTP-shaped datagram held on probation; its header joins the stream's
 * statistics once the flow is confirmed. sip_stream: a TCP or SCTP frame that
 * completed one or more SIP messages, each sent as its own HEP message. */
#define HP_DELIVERY_KINDS(X) \
	X(SIP, "sip") \
	X(SIP_EVENT, "sip_event") \
	X(RTP, "rtp") \
	X(RTCP, "rtcp") \
	X(RTP_CANDIDATE, "rtp_candidate") \
	X(SIP_STREAM, "sip_stream")

enum hp_delivery {
#define HP_DELIVERY_ENUM(id, label) HP_DELIVERED_##id,
	HP_DELIVERY_KINDS(HP_DELIVERY_ENUM)
#undef HP_DELIVERY_ENUM
	HP_DELIVERED_MAX
};

/* Diagnostics verdicts (issue 13): accusations an engineer acts on, one
 * HEP type-100 event each, counted in hepprobe_verdicts_total{verdict=...}. */
#define HP_VERDICT_KINDS(X) \
	X(CALL_VERDICT, "call_verdict") \
	X(SDP_ADDRESS_MISMATCH, "sdp_address_mismatch") \
	X(REGISTER_TARGET_CHANGE, "register_target_change") \
	X(SIP_PARSE_ERROR, "sip_parse_error") \
	X(SIP_CHECKSUM_DISCARDED, "sip_checksum_discarded") \
	X(CLIPPING, "clipping")

enum hp_verdict {
#define HP_VERDICT_ENUM(id, label) HP_VERDICT_##id,
	HP_VERDICT_KINDS(HP_VERDICT_ENUM)
#undef HP_VERDICT_ENUM
	HP_VERDICT_MAX
};

/* "call_verdict", ...; "" for an unknown value. The end-of-run report lists
 * every verdict, zero included (src/ctl.c), so a clean run says so. */
const char *hp_verdict_label(int v);

#define HP_SIP_STATUS_MAX 700

/* MOS (ITU-T G.107 E-model, 1..4.5) of each ended stream, as a Prometheus
 * histogram: upper bounds of the buckets, +Inf last. Bands of G.107 Annex B
 * (4.34 very satisfied, 4.03 satisfied, 3.6 some, 3.1 many, 2.58 nearly all
 * users dissatisfied). */
#define HP_MOS_BOUNDS(X) X(1.0) X(2.58) X(3.1) X(3.6) X(4.03) X(4.34) X(4.5)
#define HP_MOS_COUNT_ONE(b) +1
#define HP_MOS_BUCKETS (0 HP_MOS_BOUNDS(HP_MOS_COUNT_ONE) + 1)

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
	HP_CTR_VERDICT_BASE = HP_CTR_SIP_RESP_BASE + HP_SIP_STATUS_MAX,
	HP_CTR_MOS_BASE = HP_CTR_VERDICT_BASE + HP_VERDICT_MAX, /* per bucket, not cumulative */
	HP_CTR_MOS_SUM_CENTI = HP_CTR_MOS_BASE + HP_MOS_BUCKETS,    /* sum of MOS x 100 */
	HP_CTR_MAX
};

struct hp_counters {
	uint64_t v[HP_CTR_MAX];
} HP_ALIGNED;

static inline void hp_ctr_inc(struct hp_counters *c, int id) { c->v[id]++; }
static inline void hp_ctr_add(struct hp_counters *c, int id, uint64_t n) { c->v[id] += n; }
static inline void hp_ctr_drop(struct hp_counters *c, int reason) { c->v[HP_CTR_DROP_BASE + reason]++; }

/* One ended stream's MOS into the histogram. */
void hp_metrics_observe_mos(struct hp_counters *c, double mos);

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

/* A Prometheus text writer for families whose values come from elsewhere
 * (the DPDK port, the worker lcores, the allocator): src/ renders them after
 * hp_metrics_render_prometheus() into the same buffer, so every family of
 * /metrics and of the metrics file is written one way. */
struct hp_metrics_out {
	char *buf;
	size_t cap;
	size_t len;
	int overflow; /* set once something did not fit; the rest is skipped */
};

/* One label of a sample; the value is escaped as the exposition format asks
 * (backslash, double quote, line feed). */
struct hp_metrics_label {
	const char *name;
	const char *value;
};

void hp_metrics_out_init(struct hp_metrics_out *o, char *buf, size_t cap);
/* Length written (buf NUL-terminated), or 0 when something did not fit. */
size_t hp_metrics_out_len(const struct hp_metrics_out *o);
/* # HELP and # TYPE lines; type is "counter" or "gauge". */
void hp_metrics_family(struct hp_metrics_out *o, const char *name, const char *type, const char *help);
void hp_metrics_sample(struct hp_metrics_out *o, const char *name, const struct hp_metrics_label *labels,
		       size_t nb_labels, uint64_t v);
/* A sample in base units that are not whole numbers (seconds); printed with
 * enough digits to round-trip. */
void hp_metrics_sample_f(struct hp_metrics_out *o, const char *name, const struct hp_metrics_label *labels,
			 size_t nb_labels, double v);
/* Appends every family of hp_metrics_render_prometheus() to o. */
void hp_metrics_render_to(const struct hp_counters *c, struct hp_metrics_out *o);

/* Render the human end-of-run table: every scalar and gauge, labelled
 * entries only when non-zero. */
size_t hp_metrics_render_report(const struct hp_counters *c, char *buf, size_t cap);

#endif
