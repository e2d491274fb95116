/* SPDX-License-Identifier: BSD-3-Clause */
/* What a single frame cannot say on its own: IP fragments are held until
 * their datagram is whole (lib/ipfrag), TCP segments until their SIP message
 * is (lib/tcp, with WebSocket framing and TLS accounting), SCTP DATA chunks
 * until their user message is (lib/sctp). What completes re-enters the
 * worker's normal path with the completing frame's time and link layer, so a
 * reassembled datagram is handled exactly as if it had arrived whole.
 *
 * Accounting: every frame is counted once. A frame whose bytes are only held
 * counts under the module's "held" reason; the frame that completes a
 * datagram is counted by what the datagram became; a TCP or SCTP frame that
 * completes one or more SIP messages counts once as delivered sip_stream,
 * each message going out as its own HEP message. */
#include "stream.h"

#include <netinet/in.h>

#include "common/json.h"
#include "csum/csum.h"

int hp_stream_create(struct hp_worker *w, uint32_t seed)
{
	const struct hp_config *cfg = w->cfg;
	struct hp_ipfrag_cfg fc;
	struct hp_tcp_cfg tc;
	struct hp_sctp_cfg sc;

	hp_net_opts_defaults(&w->net_opts);
	w->net_opts.vxlan_port = cfg->vxlan_port;
	w->net_opts.geneve_port = cfg->geneve_port;
	w->net_opts.gtpu_port = cfg->gtpu_port;
	hp_ipfrag_cfg_defaults(&fc);
	fc.max_datagrams = cfg->max_ip_datagrams;
	hp_tcp_cfg_defaults(&tc);
	tc.max_flows = cfg->max_tcp_flows;
	hp_sctp_cfg_defaults(&sc);
	/* Each table its own seed: one crafted key set must not chain in all. */
	w->ipfrag = hp_ipfrag_create(&fc, seed);
	w->tcp = hp_tcp_create(&tc, seed * 0x9e3779b1u + 1);
	w->sctp = hp_sctp_create(&sc, seed * 0x85ebca6bu + 2);
	return w->ipfrag != NULL && w->tcp != NULL && w->sctp != NULL ? 0 : -1;
}

void hp_stream_destroy(struct hp_worker *w)
{
	hp_ipfrag_destroy(w->ipfrag);
	hp_tcp_destroy(w->tcp);
	hp_sctp_destroy(w->sctp);
}

void hp_stream_fragment(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us)
{
	const struct hp_pkt_frag *f = &pkt->frag;
	struct hp_ipfrag_in in = {
		.version = pkt->ip_version,
		.proto = f->proto,
		.src = pkt->src_addr,
		.dst = pkt->dst_addr,
		.id = f->id,
		.offset = f->offset,
		.more = f->more,
		.hdr = f->hdr,
		.hdr_len = f->hdr_len,
		.nh_off = f->nh_off,
		.data = f->data,
		.data_len = f->data_len,
		.truncated = f->truncated,
	};
	struct hp_ipfrag_out out;
	struct hp_media_prep prep;
	int r = hp_ipfrag_add(w->ipfrag, &in, ts_us, &out);

	if (r != HP_R_OK) {
		hp_ctr_drop(&w->ctr, r);
		return;
	}
	/* The completing frame's link layer, VLAN and tunnel depth stay. */
	struct hp_pkt whole = *pkt;
	r = hp_net_decode_ip_opts(out.p, out.len, &w->net_opts, &whole);
	/* The datagram lives in the table's buffer until the next add: a
	 * fragment inside it cannot be reassembled in turn. */
	if (r == HP_R_IP4_FRAGMENT || r == HP_R_IP6_FRAGMENT)
		r = HP_R_IPFRAG_NESTED;
	if (r != HP_R_OK) {
		hp_ctr_drop(&w->ctr, r);
		return;
	}
	hp_media_prepare(w->media, &whole, &prep);
	hp_worker_handle_l4(w, &whole, &prep, ts_us);
}

/* One line of text for an event: up to the first CR/LF, at most 200 bytes. */
static size_t first_line(const uint8_t *p, size_t len)
{
	size_t n = 0;

	while (n < len && n < 200 && p[n] != '\r' && p[n] != '\n')
		n++;
	return n;
}

/* An unparseable SIP message on a connection: SIP servers such as Kamailio
 * close the connection on it, which users see as a mystery. */
static void parse_error_event(struct hp_worker *w, const struct hp_pkt *p, int reason,
			      uint64_t offset, bool websocket)
{
	struct hp_json j;
	int fam = p->ip_version;

	hp_ctr_inc(&w->ctr, HP_CTR_VERDICT_BASE + HP_VERDICT_SIP_PARSE_ERROR);
	hp_json_init(&j, w->json, sizeof(w->json));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "sip_parse_error");
	hp_json_cstr(&j, "phase", "error");
	hp_json_cstr(&j, "reason", hp_reason_label(reason));
	hp_json_cstr(&j, "transport", websocket ? "ws" : p->l4_proto == IPPROTO_SCTP ? "sctp" : "tcp");
	hp_json_endpoint(&j, "src", fam, p->src_addr, p->src_port);
	hp_json_endpoint(&j, "dst", fam, p->dst_addr, p->dst_port);
	hp_json_u64(&j, "stream_offset", offset);
	hp_json_str(&j, "first_line", (const char *)p->payload, first_line(p->payload, p->payload_len));
	hp_json_u64(&j, "ts_us", w->cur_ts_us);
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0 || hp_worker_send_log(w, p, w->cur_ts_us, (struct hp_str){ NULL, 0 }, n) != HP_R_OK)
		hp_ctr_inc(&w->ctr, HP_CTR_HEP_DROPPED);
}

/* The packet a stream message is delivered as: the current frame's link
 * layer (none for a timer), the sending side's addresses, the message. */
static void message_pkt(const struct hp_worker *w, struct hp_pkt *p, uint8_t proto, uint8_t version,
			const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
			const uint8_t *msg, uint32_t len)
{
	size_t alen = version == 4 ? 4 : 16;

	if (w->cur_pkt != NULL)
		*p = *w->cur_pkt;
	else
		memset(p, 0, sizeof(*p));
	p->ip_version = version;
	p->l4_proto = proto;
	memset(p->src_addr, 0, sizeof(p->src_addr));
	memset(p->dst_addr, 0, sizeof(p->dst_addr));
	memcpy(p->src_addr, src, alen);
	memcpy(p->dst_addr, dst, alen);
	p->src_port = sport;
	p->dst_port = dport;
	p->payload = msg;
	p->payload_len = len;
	p->payload_truncated = false;
}

static void deliver_message(struct hp_worker *w, const struct hp_pkt *p, uint64_t offset, bool websocket)
{
	int kind;
	int r = hp_worker_sip_deliver(w, p, w->cur_ts_us, HP_CSUM_OK, &kind);

	if (r == HP_R_OK) {
		w->cur_delivered++;
		return;
	}
	if (r == HP_R_HEP_QUEUE_FULL || r == HP_R_HEP_ENCODE) {
		hp_ctr_inc(&w->ctr, HP_CTR_HEP_DROPPED);
	} else {
		/* Framed but not SIP a server would accept (no Call-ID, no CSeq...). */
		hp_ctr_inc(&w->ctr, HP_CTR_STREAM_PARSE_ERRORS);
		parse_error_event(w, p, r, offset, websocket);
	}
	if (w->cur_reason == HP_R_OK)
		w->cur_reason = r;
}

/* The second half of a TCP parse error: how its connection ended, and how
 * many messages the sender still sent on it (lost to a server that closed
 * it). Same event name, phase "connection_end"; not counted again. */
static void conn_end_event(struct hp_worker *w, const struct hp_pkt *p, const struct hp_tcp_rec *r)
{
	static const char *const ends[] = {
		[HP_TCP_END_FIN] = "fin", [HP_TCP_END_RST] = "rst",
		[HP_TCP_END_IDLE] = "idle", [HP_TCP_END_CAPTURE] = "end_of_capture",
	};
	struct hp_json j;
	int fam = p->ip_version;
	bool closed = r->end == HP_TCP_END_FIN || r->end == HP_TCP_END_RST;

	hp_json_init(&j, w->json, sizeof(w->json));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "sip_parse_error");
	hp_json_cstr(&j, "phase", "connection_end");
	hp_json_cstr(&j, "reason", hp_reason_label(r->reason));
	hp_json_cstr(&j, "transport", r->websocket ? "ws" : "tcp");
	hp_json_endpoint(&j, "src", fam, p->src_addr, p->src_port);
	hp_json_endpoint(&j, "dst", fam, p->dst_addr, p->dst_port);
	hp_json_u64(&j, "stream_offset", r->stream_offset);
	hp_json_bool(&j, "connection_closed", closed);
	hp_json_cstr(&j, "end", ends[r->end]);
	if (closed)
		hp_json_cstr(&j, "closed_by", r->end_by_sender ? "sender" : "receiver");
	hp_json_u64(&j, "messages_after", r->after);
	hp_json_u64(&j, "ts_us", w->cur_ts_us);
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0 || hp_worker_send_log(w, p, w->cur_ts_us, (struct hp_str){ NULL, 0 }, n) != HP_R_OK)
		hp_ctr_inc(&w->ctr, HP_CTR_HEP_DROPPED);
}

static void tcp_sink(void *arg, const struct hp_tcp_rec *r)
{
	struct hp_worker *w = arg;
	struct hp_pkt p;

	message_pkt(w, &p, IPPROTO_TCP, r->version, r->src, r->dst, r->sport, r->dport, r->msg, r->len);
	if (r->kind == HP_TCP_REC_CONN_END) {
		conn_end_event(w, &p, r);
		return;
	}
	if (r->kind == HP_TCP_REC_PARSE_ERROR) {
		hp_ctr_inc(&w->ctr, HP_CTR_STREAM_PARSE_ERRORS);
		parse_error_event(w, &p, r->reason, r->stream_offset, r->websocket);
		if (w->cur_reason == HP_R_OK)
			w->cur_reason = r->reason;
		return;
	}
	deliver_message(w, &p, r->stream_offset, r->websocket);
}

/* One count per frame: delivered when it completed a SIP message that went
 * out, else why not. */
static void account_stream_frame(struct hp_worker *w, int r)
{
	if (w->cur_delivered > 0)
		hp_ctr_inc(&w->ctr, HP_CTR_DELIVERED_BASE + HP_DELIVERED_SIP_STREAM);
	else
		hp_ctr_drop(&w->ctr, r == HP_R_OK ? w->cur_reason : r);
}

static void frame_begin(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us)
{
	w->cur_pkt = pkt;
	w->cur_ts_us = ts_us;
	w->cur_delivered = 0;
	w->cur_reason = HP_R_OK;
}

static enum hp_tcp_mode tcp_mode(struct hp_worker *w, const struct hp_pkt *pkt, const struct hp_tcp_seg *seg)
{
	const struct hp_config *c = w->cfg;

	if (hp_config_port_in(c->tls_ports, pkt->src_port) || hp_config_port_in(c->tls_ports, pkt->dst_port))
		return HP_TCP_MODE_TLS;
	if (hp_config_port_in(c->ws_ports, pkt->src_port) || hp_config_port_in(c->ws_ports, pkt->dst_port))
		return HP_TCP_MODE_WS;
	if (hp_config_is_sip_port(c, pkt->src_port) || hp_config_is_sip_port(c, pkt->dst_port))
		return HP_TCP_MODE_SIP;
	/* Elsewhere a connection is followed from a segment that starts with a
	 * SIP start line. */
	if (pkt->payload_len > 0 && !hp_tcp_is_tracked(w->tcp, seg) &&
	    hp_sip_detect(w->sip_det, w->sip_scratch, pkt->payload, pkt->payload_len))
		return HP_TCP_MODE_SIP;
	return HP_TCP_MODE_NONE;
}

void hp_stream_tcp(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us)
{
	struct hp_tcp_seg seg = {
		.version = pkt->ip_version,
		.src = pkt->src_addr,
		.dst = pkt->dst_addr,
		.sport = pkt->src_port,
		.dport = pkt->dst_port,
		.seq = pkt->tcp_seq,
		.flags = pkt->tcp_flags,
		.payload = pkt->payload,
		.len = pkt->payload_len,
	};

	/* Cut by the capture's snap length: the stream has a hole here, which
	 * the reassembler sees as a gap when the next segment comes. */
	if (pkt->payload_truncated) {
		hp_ctr_drop(&w->ctr, HP_R_TCP_PAYLOAD_TRUNCATED);
		return;
	}
	enum hp_tcp_mode mode = tcp_mode(w, pkt, &seg);
	frame_begin(w, pkt, ts_us);
	int r = hp_tcp_segment(w->tcp, &seg, mode, ts_us, tcp_sink, w);
	account_stream_frame(w, r);
	w->cur_pkt = NULL;
}

static void sctp_sink(void *arg, const struct hp_sctp_msg *m)
{
	struct hp_worker *w = arg;
	const struct hp_pkt *f = w->cur_pkt;
	struct hp_pkt p;

	message_pkt(w, &p, IPPROTO_SCTP, f->ip_version, f->src_addr, f->dst_addr, f->src_port, f->dst_port,
		    m->p, m->len);
	deliver_message(w, &p, m->tsn, false);
}

void hp_stream_sctp(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us)
{
	/* RFC 9260 §6.8: the receiver discards a packet whose CRC32c fails. */
	switch (hp_sctp_verify(pkt->l4, pkt->l4_cap)) {
	case HP_SCTP_CSUM_BAD:
		hp_ctr_drop(&w->ctr, HP_R_SCTP_BAD_CHECKSUM);
		return;
	case HP_SCTP_CSUM_TRUNCATED:
		hp_ctr_drop(&w->ctr, HP_R_SCTP_TRUNCATED);
		return;
	default:
		break;
	}
	frame_begin(w, pkt, ts_us);
	int r = hp_sctp_packet(w->sctp, pkt->ip_version, pkt->src_addr, pkt->dst_addr, pkt->l4, pkt->l4_cap,
			       ts_us, sctp_sink, w);
	account_stream_frame(w, r);
	w->cur_pkt = NULL;
}

/* The modules keep their own totals; the worker's counters mirror them so
 * the control thread reads every figure from one array per lcore. */
static void sync_stats(struct hp_worker *w)
{
	const struct hp_ipfrag_stats *f = hp_ipfrag_stats(w->ipfrag);
	const struct hp_tcp_stats *t = hp_tcp_stats(w->tcp);
	const struct hp_sctp_stats *s = hp_sctp_stats(w->sctp);
	uint64_t *v = w->ctr.v;

	v[HP_CTR_IP_REASSEMBLED] = f->reassembled;
	v[HP_CTR_IP_REASM_TIMEOUT] = f->timeout;
	v[HP_CTR_IP_REASM_OVERLAP] = f->overlap;
	v[HP_CTR_TCP_FLOWS] = t->flows;
	v[HP_CTR_TCP_FLOWS_CLOSED] = t->flows_closed;
	v[HP_CTR_TCP_FLOWS_EXPIRED] = t->flows_expired;
	v[HP_CTR_TCP_MESSAGES] = t->messages;
	v[HP_CTR_TCP_GAPS] = t->gaps;
	v[HP_CTR_TCP_GAP_BYTES] = t->gap_bytes;
	v[HP_CTR_TCP_RESYNCS] = t->resyncs;
	v[HP_CTR_TCP_RETRANS_BYTES] = t->retransmitted_bytes;
	v[HP_CTR_WS_UPGRADES] = t->ws_upgrades;
	v[HP_CTR_TLS_FLOWS] = t->tls_flows;
	v[HP_CTR_TLS_BYTES] = t->tls_bytes;
	v[HP_CTR_SCTP_MESSAGES] = s->messages;
	v[HP_CTR_SCTP_REASSEMBLED] = s->reassembled;
}

void hp_stream_tick(struct hp_worker *w, uint64_t now_us)
{
	hp_ipfrag_expire(w->ipfrag, now_us);
	w->cur_ts_us = now_us;
	hp_tcp_expire(w->tcp, now_us, tcp_sink, w);
	hp_sctp_expire(w->sctp, now_us);
	sync_stats(w);
}

void hp_stream_flush(struct hp_worker *w, uint64_t now_us)
{
	w->cur_ts_us = now_us;
	hp_tcp_flush(w->tcp, tcp_sink, w);
	sync_stats(w);
}
