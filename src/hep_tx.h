/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_HEP_TX_H
#define HP_HEP_TX_H

#include "config.h"
#include "metrics/metrics.h"
#include "worker.h"

#define HP_HEP_TX_BURST 64

struct hp_hep_coll;

/* Set by a second stop signal: the sender waits for no collector any more. */
extern volatile bool hp_abort;

/* The sender, on the control lcore: drains the workers' rings, fans each
 * message out to the collectors (--hep-mode) through a bounded queue per
 * collector, and keeps stream collectors connected. Without a collector it
 * prints one line per message. ctr holds its share of the summed counters
 * (hepprobe_hep_sent_total and hepprobe_hep_dropped_total over all
 * collectors); the per-collector figures are in the collectors. */
struct hp_hep_tx {
	struct hp_counters ctr;
	const struct hp_config *cfg;
	struct hp_hep_coll *coll;
	unsigned nb_coll;
	void *ssl_ctx;           /* SSL_CTX, when a collector is tls: */
	uint64_t next_send_ns;   /* --hep-rate pacing: earliest time of the next message */
	void *pend[HP_HEP_TX_BURST]; /* dequeued, not yet placed (a capture file waits) */
	unsigned pend_n, pend_i;
	uint8_t scratch[65536];  /* a message with a collector's own identity */
};

int hp_hep_tx_open(struct hp_hep_tx *tx, const struct hp_config *cfg, char *err, size_t errlen);
/* Take up to a burst from one ring into the collector queues (or print it);
 * returns how many were taken. */
unsigned hp_hep_tx_drain(struct hp_hep_tx *tx, struct rte_ring *ring);
/* Connect, write, confirm and reconnect; call often. */
void hp_hep_tx_poll(struct hp_hep_tx *tx);
/* Nothing held: every message taken is sent (acknowledged) or counted dropped. */
bool hp_hep_tx_idle(const struct hp_hep_tx *tx);
/* Per collector sent, dropped by reason, queue depth, connection state, as
 * Prometheus text appended to a metrics page; also the unlabelled totals of
 * hepprobe_hep_sent_total and hepprobe_hep_dropped_total (lib/metrics leaves
 * these two families to the sender). Returns the length, 0 when cap is short. */
size_t hp_hep_tx_render_metrics(const struct hp_hep_tx *tx, char *buf, size_t cap);
/* Shutdown past its deadline: take up to a burst from ring and count each
 * message dropped (shutdown) for its collectors, so the workers can finish. */
unsigned hp_hep_tx_discard(struct hp_hep_tx *tx, struct rte_ring *ring);
/* End of the flush: counts whatever is still held as dropped (shutdown). */
void hp_hep_tx_finish(struct hp_hep_tx *tx);
/* Finishes and closes. */
void hp_hep_tx_close(struct hp_hep_tx *tx);

#endif
