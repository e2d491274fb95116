/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_CONFIG_H
#define HP_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define HP_MAX_WORKERS 16
#define HP_MAX_COLLECTORS 8

enum hp_collector_proto { HP_COLL_UDP, HP_COLL_TCP, HP_COLL_TLS };

/* One --hep collector. The host is resolved again on every (re)connect, so a
 * collector that moves in DNS is followed. Identity fields left unset take
 * the global --node-id/--node-name/--auth-key. */
struct hp_collector_cfg {
	enum hp_collector_proto proto;
	char host[256];
	char port[8];
	char name[300];               /* proto:host:port, the metrics label */
	uint32_t node_id;
	const char *node_name;
	const char *auth_key;
	bool has_node_id;
	char *spec;                   /* the --hep argument, copied: node_name and auth_key point into it */
};

enum hp_hep_mode { HP_HEP_DUPLICATE, HP_HEP_BALANCE };

struct hp_config {
	const char *pcap_file;        /* --pcap: replay a capture through net_pcap */
	bool hep_enabled;             /* --hep given; otherwise print mode */
	struct hp_collector_cfg collectors[HP_MAX_COLLECTORS];
	unsigned nb_collectors;
	enum hp_hep_mode hep_mode;
	const char *hep_ca;           /* CA file verifying TLS collectors; NULL = system store */
	const char *hep_cert;         /* client certificate and key for TLS collectors */
	const char *hep_key;
	uint32_t hep_queue;           /* messages queued per collector at most */
	uint32_t hep_keepalive_s;     /* HEP keep-alive to stream collectors every S s; 0 = off */
	uint32_t hep_wait_ms;         /* capture file: how long the workers wait for a collector */
	uint32_t shutdown_timeout_s;  /* at the end, how long the collectors get to take the rest */
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
	uint32_t hep_rate;            /* HEP messages per second at most; 0 = unpaced */
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
	bool rx_lcores;               /* --rx-lcore: receive on lcores of their own when there are spare ones */
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
/* Frees what hp_config_parse() copied. */
void hp_config_release(struct hp_config *c);

/* Read the capture's link type, and with --loop its frame count, with libpcap (cold path).
 * Returns 0, or -1 with a message in err. */
int hp_config_probe_pcap(struct hp_config *c, char *err, size_t errlen);

#endif
