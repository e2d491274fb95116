/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP over TCP: per-connection stream reassembly into whole SIP messages,
 * plain (RFC 3261 §18.3), in WebSocket frames (RFC 6455, RFC 7118), and
 * accounting of TLS connections whose content cannot be read.
 *
 * Each direction of a connection is its own byte stream. A segment that is in
 * order, arrives with nothing buffered and holds whole messages is reported
 * in place (records point into the segment); only a trailing partial message
 * or out-of-order data is copied, into a fixed-size stream buffer that the
 * direction holds only while it has such data. Retransmitted bytes are
 * dropped, out-of-order segments are held (at most max_ooo_segments ranges,
 * and only inside the buffer) until the hole fills. A hole that cannot wait
 * (limits, FIN, RST, idle expiry) is counted as a gap; the stream then
 * resynchronises on the next line that is a SIP start line, as it does when
 * the probe starts in the middle of a connection. An unparseable message is
 * reported as a parse error record and the stream resynchronises the same
 * way. CRLF keep-alives between messages (RFC 5626 §3.5.1) are skipped.
 *
 * WebSocket (HP_TCP_MODE_WS, RFC 6455, RFC 7118): the HTTP Upgrade request
 * and its 101 response are skipped; then each WebSocket message (a text or
 * binary frame and its continuations, with control frames allowed between
 * them, §5.4) is one SIP message (RFC 7118 §5). A single unmasked frame is
 * reported in place; masked or fragmented payloads are unmasked into one
 * scratch buffer. A record's stream_offset is that of the message's first
 * frame header. Lost bytes resynchronise on a text or binary frame whose
 * payload begins with a SIP start line. A Close from both sides frees the
 * connection; ping and pong are counted as frames.
 *
 * TLS (HP_TCP_MODE_TLS, or a SIP connection whose first bytes are a TLS
 * record header): nothing is readable; flows and payload bytes are counted
 * so that the blind spot shows.
 *
 * Memory, all allocated by hp_tcp_create() (hp_tcp_memory() returns it):
 *   flow value  V = HP_TCP_FLOW_BYTES + 2 * 8 * max_ooo_segments
 *   flow table  hp_flowtab memory for (max_flows, key 40 bytes, V)
 *               (see flowtab.h: about 32 + 48 + round_up(V, 16) + 11 per flow)
 *   buffers     max_buffers * (buffer_size + 4)
 *   scratch     buffer_size (one WebSocket message being unmasked)
 * plus sizeof(struct hp_tcp). Defaults (65536 flows, 8 ranges, 1024 buffers
 * of 65536 bytes): V = 224 bytes, about 327 bytes per flow with the table's
 * share (21.4 MB), + 64 MiB of buffers: 88.8 MB in all. A buffer is only
 * held by a direction with a partial or out-of-order message, so buffers can
 * be far fewer than 2 * flows.
 *
 * Time is the caller's microsecond clock. One instance per worker: no locks;
 * nothing is allocated after create. */
#ifndef HP_TCP_H
#define HP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"

/* Bytes of a flow table value before its out-of-order ranges. */
#define HP_TCP_FLOW_BYTES 128u
/* buffer_size bounds: a stream buffer holds at least a long SIP header. */
#define HP_TCP_MIN_BUFFER 4096u
#define HP_TCP_MAX_BUFFER (1u << 24)
#define HP_TCP_MAX_OOO 64u

enum hp_tcp_mode { HP_TCP_MODE_NONE = 0, HP_TCP_MODE_SIP, HP_TCP_MODE_WS, HP_TCP_MODE_TLS };

struct hp_tcp_cfg {
	uint32_t max_flows;        /* connections tracked at once (both directions share one) */
	uint32_t max_buffers;      /* stream buffers shared by all directions */
	uint32_t buffer_size;      /* bytes per buffer: the largest message reassembled */
	uint32_t max_ooo_segments; /* out-of-order byte ranges held per direction */
	uint64_t idle_us;          /* a connection silent this long is expired */
};

/* 65536 flows, 1024 buffers of 65536 bytes, 8 ranges, 300 s idle (RFC 5626
 * §4.4.1 keep-alives come every 95..120 s, so a live flow is never idle). */
void hp_tcp_cfg_defaults(struct hp_tcp_cfg *c);

struct hp_tcp_seg {
	uint8_t version;           /* 4 or 6 */
	const uint8_t *src, *dst;  /* 4 or 16 bytes */
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t flags;             /* TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10) */
	const uint8_t *payload;
	uint32_t len;
};

#define HP_TCP_FIN 0x01u
#define HP_TCP_SYN 0x02u
#define HP_TCP_RST 0x04u
#define HP_TCP_ACK 0x10u

/* HP_TCP_REC_CONN_END: a connection on which a parse error was reported has
 * ended; the record names the direction of the first error (reason,
 * stream_offset), how it ended (end) and how many SIP messages came after
 * the error on that direction (after). SIP servers such as Kamailio close the
 * connection on an unparseable message, and the messages after it never
 * reach the application. */
enum hp_tcp_rec_kind { HP_TCP_REC_SIP, HP_TCP_REC_PARSE_ERROR, HP_TCP_REC_CONN_END };
enum hp_tcp_end { HP_TCP_END_FIN, HP_TCP_END_RST, HP_TCP_END_IDLE, HP_TCP_END_CAPTURE };

/* Valid only during the sink call: msg may point into the segment, a stream
 * buffer or the WebSocket scratch, the addresses into the flow table. */
struct hp_tcp_rec {
	enum hp_tcp_rec_kind kind;
	bool from_client_to_server;  /* client: the side that sent the SYN; without one, the
	                              * side with the higher port (ephemeral), else the first seen */
	uint8_t version;
	const uint8_t *src, *dst;    /* the sending side of these bytes */
	uint16_t sport, dport;
	const uint8_t *msg;          /* the SIP message, or for a parse error its first line */
	uint32_t len;
	int reason;                  /* parse error: the HP_R_* reason; HP_R_OK for a message */
	uint64_t stream_offset;      /* offset of msg in its direction's stream (0: first byte
	                              * after the SYN, or the first byte seen) */
	bool websocket;              /* carried in WebSocket frames */
	enum hp_tcp_end end;         /* HP_TCP_REC_CONN_END: how the connection ended */
	bool end_by_sender;          /* the FIN or RST came from the side that sent the bad message */
	uint32_t after;              /* HP_TCP_REC_CONN_END: SIP messages after the error */
};

typedef void (*hp_tcp_sink_fn)(void *arg, const struct hp_tcp_rec *r);

struct hp_tcp_stats {
	uint64_t flows, flows_closed, flows_expired, flow_table_full, buffer_full, messages,
		retransmitted_bytes, gap_bytes, gaps, resyncs, parse_errors, keepalives, ws_upgrades,
		ws_frames, tls_flows, tls_bytes, ooo_held;
	/* Added: bytes received but in no message (skipped while resynchronising,
	 * a partial message at a gap or close, a message larger than a buffer). */
	uint64_t discarded_bytes;
	uint64_t ws_malformed;
};

/* Cold path. NULL on bad configuration (zero counts, buffer_size outside
 * HP_TCP_MIN_BUFFER..HP_TCP_MAX_BUFFER, max_ooo_segments over HP_TCP_MAX_OOO)
 * or allocation failure. seed keys the flow hash. */
struct hp_tcp *hp_tcp_create(const struct hp_tcp_cfg *c, uint32_t seed);
void hp_tcp_destroy(struct hp_tcp *t);
size_t hp_tcp_memory(const struct hp_tcp *t);

/* Feed one segment. new_mode: what to do when the connection is not in the
 * table (HP_TCP_MODE_NONE: do not track, return HP_R_TCP_NOT_SIP). Calls sink
 * for every complete SIP message (and parse error) this segment completed, in
 * stream order, before returning. Returns HP_R_OK when it completed at least
 * one message; otherwise, first match: the parse error's reason,
 * HP_R_TCP_GAP, HP_R_TCP_BUFFER_FULL, HP_R_WS_MALFORMED, HP_R_TCP_HELD,
 * HP_R_TCP_KEEPALIVE, HP_R_WS_CONTROL, HP_R_TCP_RESYNC,
 * HP_R_TCP_RETRANSMISSION, HP_R_TCP_CONTROL; and HP_R_TLS, HP_R_TCP_NOT_SIP,
 * HP_R_TCP_FLOW_TABLE_FULL as described above. */
int hp_tcp_segment(struct hp_tcp *t, const struct hp_tcp_seg *s, enum hp_tcp_mode new_mode,
		   uint64_t now_us, hp_tcp_sink_fn sink, void *arg);

/* Free connections idle for more than idle_us, delivering what their held
 * data still completes. Returns the number expired. */
uint32_t hp_tcp_expire(struct hp_tcp *t, uint64_t now_us, hp_tcp_sink_fn sink, void *arg);

/* End of capture: as if every connection had expired now. */
void hp_tcp_flush(struct hp_tcp *t, hp_tcp_sink_fn sink, void *arg);

const struct hp_tcp_stats *hp_tcp_stats(const struct hp_tcp *t);

/* The connection of s is already in the table (either direction). */
bool hp_tcp_is_tracked(struct hp_tcp *t, const struct hp_tcp_seg *s);

/* Connections in the table and stream buffers in use (for gauges and tests). */
uint32_t hp_tcp_flow_count(const struct hp_tcp *t);
uint32_t hp_tcp_buffers_used(const struct hp_tcp *t);

#endif
