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

#define BURST 32

volatile bool hp_stop;

static uint64_t clock_base_us;
static uint64_t clock_base_tsc;
static uint64_t clock_hz;

void hp_worker_clock_init(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	clock_base_tsc = rte_get_tsc_cycles();
	clock_base_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	clock_hz = rte_get_tsc_hz();
}

static uint64_t frame_time_us(const struct hp_worker *w, const struct rte_mbuf *m)
{
	if (w->ts_dynfield >= 0 && (m->ol_flags & w->ts_dynflag))
		return *RTE_MBUF_DYNFIELD(m, w->ts_dynfield, const uint64_t *);
	uint64_t d = rte_get_tsc_cycles() - clock_base_tsc;
	return clock_base_us + d / clock_hz * 1000000u + d % clock_hz * 1000000u / clock_hz;
}

/* Take a HEP buffer; on a capture file wait for the sender, live drop. */
static struct hp_hep_buf *buf_get(struct hp_worker *w)
{
	void *b;
	while (rte_mempool_get(w->hep_pool, &b) != 0) {
		if (!w->backpressure || hp_stop)
			return NULL;
		rte_pause();
	}
	return b;
}

static bool buf_put(struct hp_worker *w, struct hp_hep_buf *b)
{
	while (rte_ring_sp_enqueue(w->ring, b) != 0) {
		if (!w->backpressure || hp_stop) {
			rte_mempool_put(w->hep_pool, b);
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

/* Encode and queue one HEP message; returns HP_R_OK or the reason it was not queued. */
static int hep_send(struct hp_worker *w, const struct hp_hep_msg *m)
{
	struct hp_hep_buf *b = buf_get(w);
	size_t n;

	if (b == NULL)
		return HP_R_HEP_QUEUE_FULL;
	n = hp_hep_encode(m, b->data, sizeof(b->data), w->gz, w->cfg->compress_threshold);
	/* A message too large for a buffer may still fit compressed. */
	if (n == 0 && w->cfg->compress_threshold == 0)
		n = hp_hep_encode(m, b->data, sizeof(b->data), w->gz, 1);
	if (n == 0) {
		rte_mempool_put(w->hep_pool, b);
		return HP_R_HEP_ENCODE;
	}
	b->len = (uint32_t)n;
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
	struct hp_hep_msg m;
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

	hep_from_pkt(w, pkt, ts_us, &m);
	m.proto_type = HP_HEP_PROTO_LOG;
	m.correlation_id = sip->call_id;
	m.payload = (const uint8_t *)w->json;
	m.payload_len = (uint32_t)n;
	return hep_send(w, &m);
}

static void handle_sip(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us, int verdict)
{
	struct hp_sip_msg sip;
	struct hp_hep_msg m;
	int r = hp_sip_parse(pkt->payload, pkt->payload_len, &sip);

	if (r != HP_R_OK) {
		hp_ctr_drop(&w->ctr, r);
		return;
	}
	count_sip(w, &sip);
	if (pkt->l4_proto == IPPROTO_UDP && !w->cfg->forward_bad_checksum &&
	    (verdict == HP_CSUM_BAD || verdict == HP_CSUM_ZERO_IPV6)) {
		r = send_checksum_event(w, pkt, ts_us, &sip, verdict);
		if (r != HP_R_OK)
			hp_ctr_drop(&w->ctr, r);
		else
			hp_ctr_inc(&w->ctr, HP_CTR_DELIVERED_BASE + HP_DELIVERED_SIP_EVENT);
		return;
	}
	hep_from_pkt(w, pkt, ts_us, &m);
	m.proto_type = HP_HEP_PROTO_SIP;
	m.correlation_id = sip.call_id;
	m.payload = pkt->payload;
	m.payload_len = pkt->payload_len;
	r = hep_send(w, &m);
	if (r != HP_R_OK)
		hp_ctr_drop(&w->ctr, r);
	else
		hp_ctr_inc(&w->ctr, HP_CTR_DELIVERED_BASE + HP_DELIVERED_SIP);
}

static bool on_sip_port(const struct hp_worker *w, const struct hp_pkt *pkt)
{
	return hp_config_is_sip_port(w->cfg, pkt->src_port) ||
	       hp_config_is_sip_port(w->cfg, pkt->dst_port);
}

/* SIP on a configured port is classified by its first line; elsewhere the
 * Hyperscan detector decides. */
static void handle_l4_payload(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us,
			      int verdict)
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
			hp_ctr_drop(&w->ctr, pkt->l4_proto == IPPROTO_TCP ? HP_R_TCP_NOT_SIP : HP_R_SIP_EMPTY);
			return;
		case HP_SIP_KIND_NOT_SIP:
			hp_ctr_drop(&w->ctr, pkt->l4_proto == IPPROTO_TCP ? HP_R_TCP_NOT_SIP : HP_R_SIP_NOT_SIP);
			return;
		}
	}
	if (pkt->payload_len > 0 &&
	    hp_sip_detect(w->sip_det, w->sip_scratch, pkt->payload, pkt->payload_len)) {
		handle_sip(w, pkt, ts_us, verdict);
		return;
	}
	hp_ctr_drop(&w->ctr, pkt->l4_proto == IPPROTO_TCP ? HP_R_TCP_NOT_SIP : HP_R_UDP_NOT_VOIP);
}

static int udp_verdict(const struct hp_pkt *pkt)
{
	if (pkt->ip_version == 4)
		return hp_csum_udp4(pkt->src_addr, pkt->dst_addr, pkt->l4, pkt->l4_len, pkt->l4_cap);
	return hp_csum_udp6(pkt->src_addr, pkt->dst_addr, pkt->l4, pkt->l4_len, pkt->l4_cap);
}

static void handle_frame(struct hp_worker *w, const uint8_t *p, uint32_t len, uint64_t ts_us)
{
	struct hp_pkt pkt;
	int verdict = HP_CSUM_OK;
	int r = hp_net_decode(p, len, w->cfg->linktype, &pkt);

	if (r != HP_R_OK) {
		hp_ctr_drop(&w->ctr, r);
		return;
	}
	if (pkt.l4_proto == IPPROTO_UDP) {
		verdict = udp_verdict(&pkt);
		hp_ctr_inc(&w->ctr, HP_CTR_CSUM_BASE + verdict);
		if (verdict == HP_CSUM_BAD_LENGTH) {
			hp_ctr_drop(&w->ctr, HP_R_UDP_BAD_LENGTH);
			return;
		}
	}
	if (pkt.payload_truncated) {
		hp_ctr_drop(&w->ctr, HP_R_UDP_PAYLOAD_TRUNCATED);
		return;
	}
	handle_l4_payload(w, &pkt, ts_us, verdict);
}

static void handle_burst(struct hp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m);
		const uint8_t *p;

		hp_ctr_inc(&w->ctr, HP_CTR_RX_FRAMES);
		hp_ctr_add(&w->ctr, HP_CTR_RX_BYTES, len);
		if (len > sizeof(w->linear))
			len = sizeof(w->linear);
		p = rte_pktmbuf_read(m, 0, len, w->linear);
		handle_frame(w, p, len, frame_time_us(w, m));
		rte_pktmbuf_free(m);
	}
}

/* A capture file is done when every frame libpcap counted has come in, or
 * was counted by the port as an error or a missing mbuf. */
static bool input_finished(const struct hp_worker *w)
{
	struct rte_eth_stats st;
	if (w->cfg->pcap_file == NULL || w->cfg->loop)
		return false;
	if (w->ctr.v[HP_CTR_RX_FRAMES] >= w->cfg->expected_frames)
		return true;
	if (rte_eth_stats_get(w->port_id, &st) != 0)
		return false;
	return st.ipackets + st.ierrors + st.rx_nombuf >= w->cfg->expected_frames;
}

int hp_worker_main(void *arg)
{
	struct hp_worker *w = arg;
	struct rte_mbuf *pkts[BURST];

	while (!hp_stop) {
		uint16_t n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, BURST);
		if (n > 0) {
			handle_burst(w, pkts, n);
			continue;
		}
		if (input_finished(w))
			break;
	}
	/* Release: everything this worker queued is visible before the flag. */
	__atomic_store_n(&w->finished, true, __ATOMIC_RELEASE);
	return 0;
}
