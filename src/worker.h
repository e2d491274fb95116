/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_WORKER_H
#define HP_WORKER_H

#include <stdbool.h>
#include <rte_common.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "config.h"
#include "rx.h"
#include "hep/hep.h"
#include "ipfrag/ipfrag.h"
#include "media/media.h"
#include "net/net.h"
#include "sctp/sctp.h"
#include "tcp/tcp.h"
#include "metrics/metrics.h"
#include "sip/sip.h"

/* A HEP message on its way from a worker to the sender. Two pools: most
 * messages fit a small buffer; a reassembled SIP message (a fragmented IMS
 * INVITE, a TCP message of tens of kB) takes a large one, up to HEP3's 16-bit
 * total length. The sender returns a buffer to the pool it came from. */
#define HP_HEP_SMALL_SIZE (16384 - 8)
#define HP_HEP_LARGE_SIZE 65536
struct hp_hep_buf {
	uint32_t len;
	uint32_t cap;
	uint32_t corr_hash; /* of the correlation id (Call-ID): --hep-mode balance */
	uint32_t refs;      /* sender only: collector queues still holding it */
	uint8_t data[];
};

#define HP_BURST 32

/* One frame of the burst in hand: decoded in the first pass over the burst,
 * handled in the last. */
struct hp_burst_slot {
	struct hp_pkt pkt;
	struct hp_media_prep prep;
	uint64_t ts_us;
	int rc; /* hp_net_decode() result, or HP_SLOT_CHAINED */
};
/* A chained mbuf: linearised and decoded in the last pass (one buffer). */
#define HP_SLOT_CHAINED (-1)

/* Everything one worker lcore touches per packet lives here, on its own cache
 * lines: counters, its ring to the sender, its Hyperscan scratch and compression
 * state, the burst in hand, and a buffer to linearise chained mbufs. */
struct hp_worker {
	struct hp_counters ctr;
	const struct hp_config *cfg;
	const struct hp_sip_detector *sip_det;
	struct hp_sip_scratch *sip_scratch;
	struct hp_hep_gz *gz;
	struct hp_media *media;       /* this lcore's dialogs and streams */
	struct hp_ipfrag *ipfrag;     /* IP datagrams in reassembly */
	struct hp_tcp *tcp;           /* TCP connections carrying SIP, WebSocket or TLS */
	struct hp_sctp *sctp;         /* SCTP user messages in reassembly */
	struct hp_net_opts net_opts;  /* tunnel ports, depth limit */
	/* The frame being handled, for the stream sinks: what its segment
	 * completed (SIP messages delivered, else the first reason). */
	const struct hp_pkt *cur_pkt;
	uint64_t cur_ts_us;
	uint32_t cur_delivered;
	int cur_reason;
	uint64_t last_tick_us;        /* capture time of the last media tick */
	uint64_t last_ts_us;          /* capture time of the last frame */
	struct rte_ring *ring;        /* SP/SC: this worker -> sender */
	struct rte_mempool *hep_pool; /* small buffers, shared by all workers and the sender */
	struct rte_mempool *hep_large_pool; /* large buffers, likewise */
	uint16_t port_id;
	uint16_t queue_id;
	unsigned lcore_id;
	int ts_dynfield;              /* mbuf timestamp offset, -1 if none */
	uint64_t ts_dynflag;
	struct hp_rx *rx;             /* its receive stage, or NULL: the worker polls the queue */
	struct hp_rx_eof eof;         /* without one: the port at the last empty burst */
	/* TSC cycles spent on bursts that returned frames, and on empty polls
	 * (with the media timers they run): plain stores by this lcore alone,
	 * read by the control thread for /metrics. */
	uint64_t busy_tsc;
	uint64_t idle_tsc;
	bool backpressure;            /* capture file: wait for the sender instead of dropping */
	bool flushing;                /* end of run: reports must wait for the sender too */
	bool finished;                /* set once, with release ordering */
	struct hp_burst_slot burst[HP_BURST] __rte_cache_aligned;
	uint8_t linear[65536] __rte_cache_aligned;
	char json[4096];
} __rte_cache_aligned;

extern volatile bool hp_stop;

/* lcore entry point; arg is a struct hp_worker. */
int hp_worker_main(void *arg);

/* Media sink: turns an engine record (RTCP, event, report) into a HEP message. */
void hp_worker_media_sink(void *arg, const struct hp_media_record *rec);

/* For src/stream.c: the paths a reassembled datagram or stream message
 * re-enters. hp_worker_handle_l4() does the frame's accounting;
 * hp_worker_sip_deliver() parses and sends one SIP message and returns
 * HP_R_OK with *kind = the delivery, or the reason it was not delivered;
 * hp_worker_send_log() sends w->json (json_len bytes) as a HEP type-100. */
void hp_worker_handle_l4(struct hp_worker *w, const struct hp_pkt *pkt, const struct hp_media_prep *prep,
			 uint64_t ts_us);
int hp_worker_sip_deliver(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us, int verdict,
			  int *kind);
int hp_worker_send_log(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us,
		       struct hp_str correlation, size_t json_len);

#endif
