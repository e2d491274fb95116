/* SPDX-License-Identifier: BSD-3-Clause */
#include "port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#define RX_DESC 1024
#define TX_DESC 256
#define PCAP_VDEV "net_pcap_hp0"

int hp_port_attach_pcap(const char *file, bool loop, uint16_t nb_queues, uint16_t *port_id, char *err,
			size_t errlen)
{
	size_t cap = sizeof(PCAP_VDEV) + (size_t)nb_queues * (strlen(file) + sizeof(",rx_pcap=")) +
		     sizeof(",infinite_rx=1");
	char *devargs;
	size_t len;
	int rc;

	/* kvargs splits on ',' and '=': such a path cannot be passed to net_pcap. */
	if (strpbrk(file, ",=") != NULL) {
		snprintf(err, errlen, "capture path '%s' contains ',' or '=': rename it", file);
		return -1;
	}
	devargs = malloc(cap);
	if (devargs == NULL) {
		snprintf(err, errlen, "out of memory for the net_pcap device arguments");
		return -1;
	}
	/* net_pcap makes one RX queue per rx_pcap argument, each with its own
	 * reader of the file. infinite_rx preloads every queue's copy into mbufs
	 * and replays it: the input then costs next to nothing, which is what a
	 * benchmark needs. */
	len = (size_t)snprintf(devargs, cap, "%s", PCAP_VDEV);
	for (uint16_t q = 0; q < nb_queues; q++)
		len += (size_t)snprintf(devargs + len, cap - len, ",rx_pcap=%s", file);
	snprintf(devargs + len, cap - len, "%s", loop ? ",infinite_rx=1" : "");
	rc = rte_dev_probe(devargs);
	free(devargs);
	if (rc != 0) {
		snprintf(err, errlen, "cannot open '%s' through the net_pcap PMD", file);
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(PCAP_VDEV, port_id) != 0) {
		snprintf(err, errlen, "net_pcap port for '%s' not found after probing", file);
		return -1;
	}
	return 0;
}

int hp_port_start(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *mp, char *err,
		  size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	int socket = rte_eth_dev_socket_id(port_id);
	int rc;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		snprintf(err, errlen, "DPDK port %u does not exist (%u ports available)", port_id,
			 rte_eth_dev_count_avail());
		return -1;
	}
	if ((rc = rte_eth_dev_info_get(port_id, &info)) != 0) {
		snprintf(err, errlen, "port %u: cannot read device info: %s", port_id, strerror(-rc));
		return -1;
	}
	if (nb_queues > info.max_rx_queues) {
		snprintf(err, errlen, "port %u has %u RX queues, %u requested", port_id,
			 info.max_rx_queues, nb_queues);
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	if (nb_queues > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	if ((rc = rte_eth_dev_configure(port_id, nb_queues, nb_queues, &conf)) != 0) {
		snprintf(err, errlen, "port %u: configure failed: %s", port_id, strerror(-rc));
		return -1;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, (unsigned)socket, NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, (unsigned)socket, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %u: queue %u setup failed: %s", port_id, q, strerror(-rc));
			return -1;
		}
	}
	if ((rc = rte_eth_dev_start(port_id)) != 0) {
		snprintf(err, errlen, "port %u: start failed: %s", port_id, strerror(-rc));
		return -1;
	}
	/* A SPAN port carries other hosts' frames; some PMDs cannot, that is fine. */
	rte_eth_promiscuous_enable(port_id);
	return 0;
}

void hp_port_stop(uint16_t port_id)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}
