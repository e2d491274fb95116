/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_PORT_H
#define HP_PORT_H

#include <stdbool.h>

#include <rte_mempool.h>

#include "config.h"

/* Create the net_pcap vdev for --pcap with nb_queues RX queues, each reading
 * the whole file (so nb_queues > 1 only makes sense with loop), and return
 * its port id. */
int hp_port_attach_pcap(const char *file, bool loop, uint16_t nb_queues, uint16_t *port_id, char *err,
			size_t errlen);
/* Configure nb_queues RX (and as many TX: some PMDs take only pairs) queues,
 * start the port, enable promiscuous mode. */
int hp_port_start(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *mp, char *err,
		  size_t errlen);
void hp_port_stop(uint16_t port_id);

#endif
