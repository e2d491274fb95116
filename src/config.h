/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_CONFIG_H
#define HP_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define HP_MAX_WORKERS 16

struct hp_config {
	const char *pcap_file;        /* --pcap: replay a capture through net_pcap */
	bool hep_enabled;             /* --hep given; otherwise print mode */
	struct sockaddr_storage hep_addr;
	socklen_t hep_addr_len;
	const char *hep_text;         /* as given, for messages */
	uint32_t node_id;
	const char *node_name;
	const char *auth_key;
	uint8_t sip_ports[65536 / 8]; /* bitmap */
	uint8_t ws_ports[65536 / 8];  /* SIP over WebSocket (RFC 7118) on TCP */
	uint8_t tls_ports[65536 / 8]; /* SIP over TLS on TCP: counted, not readable */
	uint16_t vxlan_port;          /* UDP destination ports of tunnels */
	uint16_t geneve_port;
	uint16_t gtpu_port;
	uint32_t max_tcp_flows;       /* per worker */
	uint32_t max_ip_datagrams;    /* IP datagrams in reassembly at once, per worker */
	const char *metrics_file;
	const char *metrics_listen;   /* --metrics-listen ADDR:PORT: serve /metrics over HTTP */
	uint32_t metrics_interval_s;  /* rewrite metrics_file this often while running; 0 = at exit only */
	bool forward_bad_checksum;
	uint32_t compress_threshold;
	uint32_t hep_rate;            /* HEP messages per second at most; 0 = unpaced */      /* 0 = never compress */
	uint16_t port_id;             /* EAL mode: the DPDK port to read */
	uint16_t nb_queues;
	int linktype;                 /* pcap LINKTYPE_* of the input */
	uint64_t expected_frames;     /* --loop: frames in the file (preloaded per queue) */
	bool loop;                    /* replay the capture forever (benchmarks) */
	uint32_t duration_s;          /* stop after this long; 0 = end of input or signal */
	uint32_t max_streams;         /* per worker */
	uint32_t max_dialogs;         /* per worker */
	uint32_t flat_ms;
	bool heuristic_rtp;
	bool quiet;                   /* no per-message lines, no report */
	bool rx_lcores;               /* receive on lcores of their own when there are spare ones */
	uint32_t clip_pct;            /* full-scale share of a window that is clipping */
	uint32_t late_audio_ms;       /* audio this late / early in its RTP is a call_verdict */
	uint32_t max_registrations;   /* REGISTER bindings tracked, per worker; 0 = max_dialogs */
};

static inline bool hp_config_port_in(const uint8_t *bitmap, uint16_t port)
{
	return (bitmap[port >> 3] >> (port & 7)) & 1;
}

static inline bool hp_config_is_sip_port(const struct hp_config *c, uint16_t port)
{
	return hp_config_port_in(c->sip_ports, port);
}

/* Parse hepprobe's own options (after EAL's). Exits 2 with one line on stderr
 * on a bad argument, 0 after --help. */
void hp_config_parse(struct hp_config *c, int argc, char **argv);
void hp_config_usage(FILE *out);

/* Read the capture's link type, and with --loop its frame count, with libpcap (cold path).
 * Returns 0, or -1 with a message in err. */
int hp_config_probe_pcap(struct hp_config *c, char *err, size_t errlen);

#endif
