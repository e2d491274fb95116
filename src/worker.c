/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-packet path: burst receive, decode, verify the UDP checksum,
 * classify, encode HEP into a preallocated buffer and hand it to the sender
 * through this worker's ring. No allocation, no locks, no syscalls. */
#include "worker.h"

#include <netinet/in.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>

#include "common/json.h"
#include "csum/csum.h"
#include "net/net.h"
#include "rx.h"
#include "stream.h"

/* Media timers run on capture time, checked this often. */
#define TICK_US 10000

volatile bool hp_stop;

/* Wall time for frames a PMD does not stamp. CLOCK_REALTIME is answered by
 * the vDSO on Linux (no kernel entry) and read once per burst. It follows NTP;
 * a TSC extrapolation does not (DPDK's TSC rate estimate is off by 0.15 % on
 * some VMs: 5 s an hour). */
static uint64_t wall_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The capture time the PMD put in the mbuf, else the burst's wall time. */
static uint64_t frame_time_us(const struct hp_worker *w, const struct rte_mbuf *m, uint64_t *wall)
{
	if (w->ts_dynfield >= 0 && (m->ol_flags & w->ts_dynflag)) {
		/* pcap stores seconds as an unsigned 32-bit field, but libpcap
		 * hands them over signed: past 2038 net_pcap's µs value wraps
		 * below zero. Unwrap by one 2^32 s period. */
		int64_t us = *RTE_MBUF_DYNFIELD(m, w->ts_dynfield, const int64_t *);
		if (us < 0)
			us += (int64_t)(UINT64_C(1) << 32) * 1000000;
		return (uint64_t)us;
	}
	if (*wall == 0)
		*wall = wall_now_us();
	return *wall;
}

/* Take a HEP buffer; on a capture file wait for the sender, live drop. */
static struct hp_hep_buf *buf_get(struct hp_worker *w, struct rte_mempool *pool)
{
	void *b;
	while (rte_mempool_get(pool, &b) != 0) {
		if (!w->flushing && (!w->backpressure || hp_stop))
			return NULL;
		rte_pause();
	}
	return b;
}

static bool buf_put(struct hp_worker *w, struct hp_hep_buf *b)
{
	while (rte_ring_sp_enqueue(w->ring, b) != 0) {
		if (!w->flushing && (!w->backpressure || hp_stop)) {
			rte_mempool_put(rte_mempool_from_obj(b), b);
			return false;
		}
		rte_pause();
	}
	hp_ctr_inc(&w->ctr, HP_CTR_HEP_QUEUED);
	return true;
}

static void hep_from_pkt(const struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us,
			 struct hp_hep_msg *m)
{
	const struct hp_config *cfg = w->cfg;

	memset(m, 0, sizeof(*m));
	m->ip_family = pkt->ip_version == 6 ? HP_HEP_FAMILY_IPV6 : HP_HEP_FAMILY_IPV4;
	m->ip_proto = pkt->l4_proto;
	memcpy(m->src_addr, pkt->src_addr, 16);
	memcpy(m->dst_addr, pkt->dst_addr, 16);
	m->src_port = pkt->src_port;
	m->dst_port = pkt->dst_port;
	m->ts_sec = (uint32_t)(ts_us / 1000000u);
	m->ts_usec = (uint32_t)(ts_us % 1000000u);
	m->capture_id = cfg->node_id;
	m->has_vlan = pkt->vlan_depth > 0;
	m->vlan_id = pkt->vlan_id;
	if (cfg->auth_key != NULL)
		m->auth_key = (struct hp_str){ cfg->auth_key, (uint32_t)strlen(cfg->auth_key) };
	if (cfg->node_name != NULL)
		m->node_name = (struct hp_str){ cfg->node_name, (uint32_t)strlen(cfg->node_name) };
}

/* Chunk headers and addresses of a HEP message stay far below this. */
#define HEP_CHUNKS_MAX 1024

/* Encode and queue one HEP message; returns HP_R_OK or the reason it was not queued. */
static int hep_send(struct hp_worker *w, const struct hp_hep_msg *m)
{
	bool large = m->payload_len + m->auth_key.len + m->node_name.len + m->correlation_id.len +
			     HEP_CHUNKS_MAX > HP_HEP_SMALL_SIZE;
	struct hp_hep_buf *b = buf_get(w, large ? w->hep_large_pool : w->hep_pool);
	size_t n;

	if (b == NULL)
		return HP_R_HEP_QUEUE_FULL;
	/* Threshold 0 means never compress (the encoder would read it as "always"). */
	n = hp_hep_encode(m, b->data, b->cap, w->cfg->compress_threshold ? w->gz : NULL,
			  w->cfg->compress_threshold);
	/* Collectors ignore chunk 0x10, so a message over HEP3's 16-bit length
	 * is counted, not compressed behind the operator's back. */
	if (n == 0) {
		rte_mempool_put(rte_mempool_from_obj(b), b);
		return w->cfg->compress_threshold ? HP_R_HEP_ENCODE : HP_R_HEP_TOO_LARGE;
	}
	b->len = (uint32_t)n;
	b->corr_hash = hp_hep_corr_hash(m->correlation_id.p, m->correlation_id.len);
	return buf_put(w, b) ? HP_R_OK : HP_R_HEP_QUEUE_FULL;
}

static void count_sip(struct hp_worker *w, const struct hp_sip_msg *sip)
{
	if (sip->is_request)
		hp_ctr_inc(&w->ctr, HP_CTR_SIP_REQ_BASE + sip->method);
	else if (sip->status < HP_SIP_STATUS_MAX)
		hp_ctr_inc(&w->ctr, HP_CTR_SIP_RESP_BASE + sip->status);
}

/* A SIP message the receiving host's stack discards (bad checksum, or zero
 * over IPv6) is invisible to the endpoint: report it as a type-100 event. */
static int send_checksum_event(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us,
			       const struct hp_sip_msg *sip, int verdict)
{
	struct hp_json j;
	int fam = pkt->ip_version;

	hp_json_init(&j, w->json, sizeof(w->json));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "udp_checksum_bad");
	hp_json_cstr(&j, "verdict", hp_csum_verdict_label(verdict));
	hp_json_endpoint(&j, "src", fam, pkt->src_addr, pkt->src_port);
	hp_json_endpoint(&j, "dst", fam, pkt->dst_addr, pkt->dst_port);
	hp_json_cstr(&j, "transport", "udp");
	hp_json_hex32(&j, "checksum", hp_get_be16(pkt->l4 + 6));
	if (sip->is_request)
		hp_json_str(&j, "method", sip->method_str.p, sip->method_str.len);
	else
		hp_json_u64(&j, "status", sip->status);
	hp_json_u64(&j, "cseq", sip->cseq_num);
	hp_json_str(&j, "cseq_method", sip->cseq_method.p, sip->cseq_method.len);
	hp_json_str(&j, "call_id", sip->call_id.p, sip->call_id.len);
	hp_json_u64(&j, "ts_us", ts_us);
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0)
		return HP_R_HEP_ENCODE;
	return hp_worker_send_log(w, pkt, ts_us, sip->call_id, n);
}

void hp_worker_media_sink(void *arg, const struct hp_media_record *rec)
{
	struct hp_worker *w = arg;
	struct hp_hep_msg m;

	memset(&m, 0, sizeof(m));
	m.ip_family = rec->ip_version == 6 ? HP_HEP_FAMILY_IPV6 : HP_HEP_FAMILY_IPV4;
	m.ip_proto = IPPROTO_UDP;
	memcpy(m.src_addr, rec->src_addr, 16);
	memcpy(m.dst_addr, rec->dst_addr, 16);
	m.src_port = rec->src_port;
	m.dst_port = rec->dst_port;
	m.ts_sec = (uint32_t)(rec->ts_us / 1000000u);
	m.ts_usec = (uint32_t)(rec->ts_us % 1000000u);
	m.proto_type = rec->hep_type;
	m.capture_id = w->cfg->node_id;
	if (w->cfg->auth_key != NULL)
		m.auth_key = (struct hp_str){ w->cfg->auth_key, (uint32_t)strlen(w->cfg->auth_key) };
	if (w->cfg->node_name != NULL)
		m.node_name = (struct hp_str){ w->cfg->node_name, (uint32_t)strlen(w->cfg->node_name) };
	m.correlation_id = rec->correlation_id;
	m.payload = (const uint8_t *)rec->json;
	m.payload_len = (uint32_t)rec->json_len;
	int r = hep_send(w, &m);
	if (r != HP_R_OK)
		hp_ctr_drop(&w->ctr, r);
}

int hp_worker_sip_deliver(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us, int verdict,
			  int *kind)
{
	struct hp_sip_msg sip;
	struct hp_hep_msg m;
	int r = hp_sip_parse(pkt->payload, pkt->payload_len, &sip);

	if (r != HP_R_OK) {
		/* Over TCP and SCTP the stream glue reports it (src/stream.c). */
		if (pkt->l4_proto == IPPROTO_UDP)
			hp_media_on_sip_error(w->media, pkt, r, ts_us);
		return r;
	}
	count_sip(w, &sip);
	bool discarded = pkt->l4_proto == IPPROTO_UDP &&
			 (verdict == HP_CSUM_BAD || verdict == HP_CSUM_ZERO_IPV6);
	/* The receiving host never sees a discarded message, so its SDP
	 * does not set up media; its retransmission will. */
	if (!discarded)
		hp_media_on_sip(w->media, pkt, &sip, ts_us);
	else
		hp_media_on_sip_discarded(w->media, pkt, &sip, verdict, ts_us);
	if (discarded && !w->cfg->forward_bad_checksum) {
		*kind = HP_DELIVERED_SIP_EVENT;
		return send_checksum_event(w, pkt, ts_us, &sip, verdict);
	}
	hep_from_pkt(w, pkt, ts_us, &m);
	m.proto_type = HP_HEP_PROTO_SIP;
	m.correlation_id = sip.call_id;
	m.payload = pkt->payload;
	m.payload_len = pkt->payload_len;
	*kind = HP_DELIVERED_SIP;
	return hep_send(w, &m);
}

int hp_worker_send_log(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us,
		       struct hp_str correlation, size_t json_len)
{
	struct hp_hep_msg m;

	hep_from_pkt(w, pkt, ts_us, &m);
	m.proto_type = HP_HEP_PROTO_LOG;
	m.correlation_id = correlation;
	m.payload = (const uint8_t *)w->json;
	m.payload_len = (uint32_t)json_len;
	return hep_send(w, &m);
}

static void handle_sip(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us, int verdict)
{
	int kind = HP_DELIVERED_SIP;
	int r = hp_worker_sip_deliver(w, pkt, ts_us, verdict, &kind);

	if (r != HP_R_OK)
		hp_ctr_drop(&w->ctr, r);
	else
		hp_ctr_inc(&w->ctr, HP_CTR_DELIVERED_BASE + kind);
}

static bool on_sip_port(const struct hp_worker *w, const struct hp_pkt *pkt)
{
	return hp_config_is_sip_port(w->cfg, pkt->src_port) ||
	       hp_config_is_sip_port(w->cfg, pkt->dst_port);
}

static void handle_media(struct hp_worker *w, const struct hp_pkt *pkt,
			 const struct hp_media_prep *prep, uint64_t ts_us, int verdict)
{
	int r = hp_media_on_udp_prepared(w->media, pkt, prep, verdict, ts_us);

	switch (r) {
	case HP_MEDIA_RTP:
		hp_ctr_inc(&w->ctr, HP_CTR_DELIVERED_BASE + HP_DELIVERED_RTP);
		return;
	case HP_MEDIA_RTCP:
		hp_ctr_inc(&w->ctr, HP_CTR_DELIVERED_BASE + HP_DELIVERED_RTCP);
		return;
	case HP_MEDIA_RTP_PROBATION:
		hp_ctr_inc(&w->ctr, HP_CTR_DELIVERED_BASE + HP_DELIVERED_RTP_CANDIDATE);
		return;
	case HP_MEDIA_NOT_MEDIA:
		hp_ctr_drop(&w->ctr, HP_R_UDP_NOT_VOIP);
		return;
	default:
		hp_ctr_drop(&w->ctr, r < 0 && -r < HP_R_MAX ? -r : HP_R_RTP_MALFORMED);
		return;
	}
}

/* SIP on a configured port is classified by its first line; elsewhere the
 * Hyperscan detector decides. */
static void handle_udp_payload(struct hp_worker *w, const struct hp_pkt *pkt,
			       const struct hp_media_prep *prep, uint64_t ts_us, int verdict)
{
	if (on_sip_port(w, pkt)) {
		switch (hp_sip_classify(pkt->payload, pkt->payload_len)) {
		case HP_SIP_KIND_SIP:
			handle_sip(w, pkt, ts_us, verdict);
			return;
		case HP_SIP_KIND_KEEPALIVE:
			hp_ctr_drop(&w->ctr, HP_R_SIP_KEEPALIVE);
			return;
		case HP_SIP_KIND_EMPTY:
			hp_ctr_drop(&w->ctr, HP_R_SIP_EMPTY);
			return;
		case HP_SIP_KIND_NOT_SIP:
			hp_ctr_drop(&w->ctr, HP_R_SIP_NOT_SIP);
			return;
		}
	}
	if (pkt->payload_len > 0 &&
	    hp_sip_detect(w->sip_det, w->sip_scratch, pkt->payload, pkt->payload_len)) {
		handle_sip(w, pkt, ts_us, verdict);
		return;
	}
	handle_media(w, pkt, prep, ts_us, verdict);
}

static int udp_verdict(const struct hp_pkt *pkt)
{
	if (pkt->ip_version == 4)
		return hp_csum_udp4(pkt->src_addr, pkt->dst_addr, pkt->l4, pkt->l4_len, pkt->l4_cap);
	return hp_csum_udp6(pkt->src_addr, pkt->dst_addr, pkt->l4, pkt->l4_len, pkt->l4_cap);
}

void hp_worker_handle_l4(struct hp_worker *w, const struct hp_pkt *pkt, const struct hp_media_prep *prep,
			 uint64_t ts_us)
{
	int verdict;

	switch (pkt->l4_proto) {
	case IPPROTO_UDP:
		verdict = udp_verdict(pkt);
		hp_ctr_inc(&w->ctr, HP_CTR_CSUM_BASE + verdict);
		if (verdict == HP_CSUM_BAD_LENGTH) {
			hp_ctr_drop(&w->ctr, HP_R_UDP_BAD_LENGTH);
			return;
		}
		if (pkt->payload_truncated) {
			hp_ctr_drop(&w->ctr, HP_R_UDP_PAYLOAD_TRUNCATED);
			return;
		}
		handle_udp_payload(w, pkt, prep, ts_us, verdict);
		return;
	case IPPROTO_TCP:
		hp_stream_tcp(w, pkt, ts_us);
		return;
	case IPPROTO_SCTP:
		hp_stream_sctp(w, pkt, ts_us);
		return;
	default:
		hp_ctr_drop(&w->ctr, HP_R_L4_UNSUPPORTED);
		return;
	}
}

static void handle_frame(struct hp_worker *w, const struct hp_burst_slot *s, uint64_t ts_us)
{
	switch (s->rc) {
	case HP_R_OK:
		hp_worker_handle_l4(w, &s->pkt, &s->prep, ts_us);
		return;
	case HP_R_IP4_FRAGMENT:
	case HP_R_IP6_FRAGMENT:
		hp_stream_fragment(w, &s->pkt, ts_us);
		return;
	default:
		hp_ctr_drop(&w->ctr, s->rc);
		return;
	}
}

static void decode_slot(struct hp_worker *w, struct hp_burst_slot *s, const uint8_t *p, uint32_t len)
{
	s->rc = hp_net_decode_opts(p, len, w->cfg->linktype, &w->net_opts, &s->pkt);
	if (s->rc == HP_R_OK)
		hp_media_prepare(w->media, &s->pkt, &s->prep);
	else
		s->prep.rtp = false;
}

/* Media timers follow capture time, so a replayed capture expires streams as
 * the live network did; a live port with no traffic advances them by wall time. */
static void media_tick(struct hp_worker *w, uint64_t now_us)
{
	if (now_us - w->last_tick_us < TICK_US && now_us >= w->last_tick_us)
		return;
	w->last_tick_us = now_us;
	hp_media_tick(w->media, now_us);
	hp_stream_tick(w, now_us);
}

/* Frames ahead of the one being handled whose stream's LRU neighbours are
 * fetched: a few frames' work covers a cache miss. */
#define TOUCH_AHEAD 4

/* Three passes over the burst, so that the stream table's cache misses of
 * all its frames overlap instead of coming one after another: decode and
 * hash (the bucket starts loading), fetch each stream entry (its bucket is
 * in by now), then the full work in arrival order, fetching a few frames
 * ahead what touching their streams will write. */
static void handle_burst(struct hp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t wall = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m);

		hp_ctr_inc(&w->ctr, HP_CTR_RX_FRAMES);
		hp_ctr_add(&w->ctr, HP_CTR_RX_BYTES, len);
		w->burst[i].ts_us = frame_time_us(w, m, &wall);
		if (rte_pktmbuf_is_contiguous(m))
			decode_slot(w, &w->burst[i], rte_pktmbuf_mtod(m, const uint8_t *), len);
		else
			w->burst[i].rc = HP_SLOT_CHAINED;
	}
	for (uint16_t i = 0; i < n; i++)
		if (w->burst[i].rc == HP_R_OK)
			hp_media_prefetch(w->media, &w->burst[i].prep);
	for (uint16_t i = 0; i < n && i < TOUCH_AHEAD; i++)
		if (w->burst[i].rc == HP_R_OK)
			hp_media_prefetch_touch(w->media, &w->burst[i].prep, w->burst[i].ts_us);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct hp_burst_slot *s = &w->burst[i];

		if (i + TOUCH_AHEAD < n && w->burst[i + TOUCH_AHEAD].rc == HP_R_OK)
			hp_media_prefetch_touch(w->media, &w->burst[i + TOUCH_AHEAD].prep,
						w->burst[i + TOUCH_AHEAD].ts_us);
		if (s->rc == HP_SLOT_CHAINED) {
			uint32_t len = rte_pktmbuf_pkt_len(m);

			if (len > sizeof(w->linear))
				len = sizeof(w->linear);
			decode_slot(w, s, rte_pktmbuf_read(m, 0, len, w->linear), len);
		}
		w->last_ts_us = s->ts_us;
		handle_frame(w, s, w->last_ts_us);
		rte_pktmbuf_free(m);
	}
	media_tick(w, w->last_ts_us);
}

int hp_worker_main(void *arg)
{
	struct hp_worker *w = arg;
	struct rte_mbuf *pkts[HP_BURST];
	uint64_t t0 = rte_rdtsc(), t1;

	while (!hp_stop) {
		bool finished;
		uint16_t n;

		if (w->rx != NULL) {
			n = (uint16_t)hp_rx_take(w->rx, pkts, HP_BURST, &finished);
		} else {
			n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, HP_BURST);
			finished = n == 0 && hp_rx_port_dry(w->cfg, w->port_id, &w->eof);
		}
		if (n > 0) {
			handle_burst(w, pkts, n);
			t1 = rte_rdtsc();
			w->busy_tsc += t1 - t0;
			t0 = t1;
			continue;
		}
		if (finished)
			break;
		if (w->cfg->pcap_file == NULL)
			media_tick(w, wall_now_us());
		t1 = rte_rdtsc();
		w->idle_tsc += t1 - t0;
		t0 = t1;
	}
	/* End of capture or shutdown: every stream and dialog ends now, and
	 * its reports go out before the sender is told this worker is done. */
	w->flushing = true;
	hp_stream_flush(w, w->cfg->pcap_file != NULL ? w->last_ts_us : wall_now_us());
	hp_media_flush(w->media, w->cfg->pcap_file != NULL ? w->last_ts_us : wall_now_us());
	/* Release: everything this worker queued is visible before the flag. */
	__atomic_store_n(&w->finished, true, __ATOMIC_RELEASE);
	return 0;
}
