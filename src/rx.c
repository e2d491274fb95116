/* SPDX-License-Identifier: BSD-3-Clause */
#include "rx.h"

#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "worker.h"

/* A few bursts of slack between receiving and working; far below the mbuf
 * pool, so a stalled worker cannot take every mbuf from the port. */
#define RX_RING_SIZE 2048

/* net_pcap reads the file inside rx_burst, so an empty burst means the end
 * of the file, unless the PMD broke off early: a missing mbuf (the frame it
 * had read is counted in rx_nombuf and reading goes on) or an error. An error
 * that repeats with no frame read in between is a damaged end of file. */
bool hp_rx_port_dry(const struct hp_config *cfg, uint16_t port_id, struct hp_rx_eof *e)
{
	struct rte_eth_stats st;

	if (cfg->pcap_file == NULL || cfg->loop)
		return false;
	if (rte_eth_stats_get(port_id, &st) != 0)
		return false;
	bool done = st.rx_nombuf == e->nombuf && (st.ierrors == e->ierrors || st.ipackets == e->ipackets);
	e->nombuf = st.rx_nombuf;
	e->ierrors = st.ierrors;
	e->ipackets = st.ipackets;
	return done;
}

struct hp_rx *hp_rx_create(const struct hp_config *cfg, uint16_t port_id, uint16_t queue_id,
			   unsigned lcore_id)
{
	char name[32];
	int socket = (int)rte_lcore_to_socket_id(lcore_id);
	struct hp_rx *rx = rte_zmalloc_socket("hp_rx", sizeof(*rx), RTE_CACHE_LINE_SIZE, socket);

	if (rx == NULL)
		return NULL;
	snprintf(name, sizeof(name), "hp_rx%u", queue_id);
	rx->ring = rte_ring_create(name, RX_RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rx->ring == NULL) {
		rte_free(rx);
		return NULL;
	}
	rx->cfg = cfg;
	rx->port_id = port_id;
	rx->queue_id = queue_id;
	rx->lcore_id = lcore_id;
	rx->backpressure = cfg->pcap_file != NULL;
	return rx;
}

void hp_rx_destroy(struct hp_rx *rx)
{
	struct rte_mbuf *m;

	if (rx == NULL)
		return;
	/* A shutdown can leave frames the worker never took. */
	while (rte_ring_sc_dequeue(rx->ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(rx->ring);
	rte_free(rx);
}

/* Live input never waits for the worker: what the ring cannot take is
 * counted (as received, and dropped for its reason) so that
 * rx_frames = delivered + drops still holds. */
static void drop_rest(struct hp_rx *rx, struct rte_mbuf **pkts, unsigned from, unsigned n)
{
	for (unsigned i = from; i < n; i++) {
		hp_ctr_inc(&rx->ctr, HP_CTR_RX_FRAMES);
		hp_ctr_add(&rx->ctr, HP_CTR_RX_BYTES, rte_pktmbuf_pkt_len(pkts[i]));
		hp_ctr_drop(&rx->ctr, HP_R_RX_RING_FULL);
		rte_pktmbuf_free(pkts[i]);
	}
}

int hp_rx_main(void *arg)
{
	struct hp_rx *rx = arg;
	struct rte_mbuf *pkts[HP_BURST];

	while (!hp_stop) {
		unsigned n = rte_eth_rx_burst(rx->port_id, rx->queue_id, pkts, HP_BURST);
		if (n == 0) {
			if (hp_rx_port_dry(rx->cfg, rx->port_id, &rx->eof))
				break;
			continue;
		}
		unsigned k = rte_ring_sp_enqueue_burst(rx->ring, (void **)pkts, n, NULL);
		while (k < n && rx->backpressure && !hp_stop) {
			rte_pause();
			k += rte_ring_sp_enqueue_burst(rx->ring, (void **)pkts + k, n - k, NULL);
		}
		drop_rest(rx, pkts, k, n);
	}
	/* Release: every frame enqueued is visible before the flag. */
	__atomic_store_n(&rx->done, true, __ATOMIC_RELEASE);
	return 0;
}

unsigned hp_rx_take(struct hp_rx *rx, struct rte_mbuf **pkts, unsigned n, bool *finished)
{
	/* The flag first: once it is seen, the ring holds everything. */
	bool done = __atomic_load_n(&rx->done, __ATOMIC_ACQUIRE);
	unsigned k = rte_ring_sc_dequeue_burst(rx->ring, (void **)pkts, n, NULL);

	*finished = done && k == 0;
	return k;
}
