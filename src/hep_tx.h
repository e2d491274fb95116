/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_HEP_TX_H
#define HP_HEP_TX_H

#include "config.h"
#include "metrics/metrics.h"
#include "worker.h"

/* The sender: drains the workers' rings on the control lcore and writes each
 * HEP message to the collector socket, or, without a collector, prints one
 * line per message. Its counters are its own (summed with the workers'). */
struct hp_hep_tx {
	struct hp_counters ctr;
	const struct hp_config *cfg;
	int fd;
	uint64_t next_send_ns;   /* --hep-rate pacing: earliest time of the next send */
};

int hp_hep_tx_open(struct hp_hep_tx *tx, const struct hp_config *cfg, char *err, size_t errlen);
/* Send or print up to a burst from one ring, returning each buffer to its
 * pool; returns how many were handled. */
unsigned hp_hep_tx_drain(struct hp_hep_tx *tx, struct rte_ring *ring);
void hp_hep_tx_close(struct hp_hep_tx *tx);

#endif
