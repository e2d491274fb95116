/* SPDX-License-Identifier: BSD-3-Clause */
/* The receive stage: when the EAL has an lcore to spare for it, one RX lcore
 * per queue does nothing but the PMD's burst (for a capture file, libpcap's
 * read and net_pcap's copy) and hands the mbufs to its worker through an
 * SP/SC ring, so that receiving and the per-packet work run on two CPUs at
 * once. Without a spare lcore the worker polls its queue itself. */
#ifndef HP_RX_H
#define HP_RX_H

#include <stdbool.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "config.h"
#include "metrics/metrics.h"

/* The port counters at the last empty burst, to tell the end of a capture. */
struct hp_rx_eof {
	uint64_t nombuf;
	uint64_t ierrors;
	uint64_t ipackets;
};

struct hp_rx {
	struct hp_counters ctr;       /* frames this stage dropped (ring full, live input) */
	const struct hp_config *cfg;
	struct rte_ring *ring;        /* SP: this lcore, SC: its worker */
	struct hp_rx_eof eof;
	uint16_t port_id;
	uint16_t queue_id;
	unsigned lcore_id;
	bool backpressure;            /* capture file: wait for the worker instead of dropping */
	bool done;                    /* end of input; set once, with release ordering */
} __rte_cache_aligned;

/* True when a capture file has ended on this port (never for live input). */
bool hp_rx_port_dry(const struct hp_config *cfg, uint16_t port_id, struct hp_rx_eof *e);

/* Cold path: the stage for one queue, its ring on the lcore's socket. */
struct hp_rx *hp_rx_create(const struct hp_config *cfg, uint16_t port_id, uint16_t queue_id,
			   unsigned lcore_id);
void hp_rx_destroy(struct hp_rx *rx);

/* lcore entry point; arg is a struct hp_rx. */
int hp_rx_main(void *arg);

/* For the worker: up to n mbufs from the ring; *finished once the input has
 * ended and the ring is empty. */
unsigned hp_rx_take(struct hp_rx *rx, struct rte_mbuf **pkts, unsigned n, bool *finished);

#endif
