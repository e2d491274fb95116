/* SPDX-License-Identifier: BSD-3-Clause */
/* hepprobe: EAL and port set-up, workers on the worker lcores, the sender and
 * control loop on the main lcore, counters and report at exit. */
/* sched_getaffinity() and cpu_set_t are GNU extensions. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "config.h"
#include "csum/csum.h"
#include "ctl.h"
#include "hep_tx.h"
#include "port.h"
#include "rx.h"
#include "stream.h"
#include "worker.h"

#define MBUF_COUNT 16383
#define HEP_BUF_COUNT 8191
#define HEP_LARGE_BUF_COUNT 255
#define RING_SIZE 8192

static void fail(const char *msg)
{
	fprintf(stderr, "hepprobe: %s\n", msg);
	exit(2);
}

/* The first SIGINT/SIGTERM stops the workers and lets the sender flush
 * (--shutdown-timeout); a second one ends the flush at once. */
static void on_signal(int sig)
{
	(void)sig;
	if (hp_stop)
		hp_abort = true;
	hp_stop = true;
}

/* EAL arguments for a machine without hugepages or NICs, used with --pcap
 * when the caller gives none: lcore 0 for control and the HEP sender, one
 * lcore per worker, each on its own CPU of this process's affinity mask (not
 * CPUs 0..N: a container or taskset may allow others). With fewer CPUs than
 * lcores, the workers take one CPU each in turn and lcore 0 may run on any
 * of them: it sleeps between short drains of the HEP rings (under a tenth of
 * a CPU at 9 Mpps, bench/RESULTS.md), and the scheduler spreads that cost
 * over the workers' CPUs. With --rx-lcore and a CPU the workers do not use,
 * each worker also gets an RX lcore (ids N+1..2N) on the CPUs left over, the
 * main one's included: receiving then overlaps the work instead of taking
 * turns with it. */
static int default_eal_args(char *argv0, unsigned nb_workers, bool rx_lcores, char **out)
{
	static char *defaults[] = { "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
				    "--no-telemetry", "--log-level=*:warning" };
	static char lcores[16 * (2 * HP_MAX_WORKERS + 1) + 64];
	unsigned cpus[2 * HP_MAX_WORKERS + 1], nb_cpus = 0;
	cpu_set_t set;
	size_t len = 0;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (unsigned c = 0; c < CPU_SETSIZE && nb_cpus <= 2 * nb_workers; c++)
			if (CPU_ISSET(c, &set))
				cpus[nb_cpus++] = c;
	if (nb_cpus == 0)
		cpus[nb_cpus++] = 0;
	if (nb_cpus > nb_workers) {
		/* The CPUs no worker runs on: after the workers', then the main one's. */
		unsigned spare = nb_cpus - nb_workers;

		len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, "0@%u", cpus[0]);
		for (unsigned i = 1; i <= nb_workers; i++)
			len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, ",%u@%u", i, cpus[i]);
		for (unsigned j = 0; rx_lcores && j < nb_workers; j++) {
			unsigned k = (j % spare) + nb_workers + 1;
			len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, ",%u@%u", nb_workers + 1 + j,
						cpus[k < nb_cpus ? k : 0]);
		}
	} else {
		len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, "0@(");
		for (unsigned c = 0; c < nb_cpus; c++)
			len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, "%s%u", c ? "," : "", cpus[c]);
		len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, ")");
		for (unsigned i = 1; i <= nb_workers; i++)
			len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, ",%u@%u", i,
						cpus[(i - 1) % nb_cpus]);
	}
	out[n++] = argv0;
	out[n++] = "--lcores";
	out[n++] = lcores;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		out[n++] = defaults[i];
	return n;
}

static struct hp_worker *worker_create(const struct hp_config *cfg, unsigned idx, unsigned lcore,
				       const struct hp_sip_detector *det, struct rte_mempool *pool,
				       struct rte_mempool *large_pool, uint16_t port_id)
{
	char name[32];
	struct hp_worker *w = rte_zmalloc_socket("hp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
						 (int)rte_lcore_to_socket_id(lcore));
	if (w == NULL)
		fail("cannot allocate worker state: raise -m");
	w->cfg = cfg;
	w->sip_det = det;
	w->sip_scratch = hp_sip_scratch_create(det);
	w->gz = hp_hep_gz_create();
	snprintf(name, sizeof(name), "hp_ring%u", idx);
	w->ring = rte_ring_create(name, RING_SIZE, (int)rte_lcore_to_socket_id(lcore),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->sip_scratch == NULL || w->gz == NULL || w->ring == NULL)
		fail("cannot allocate worker scratch, compression state or ring: raise -m");
	struct hp_media_cfg mcfg;
	hp_media_cfg_defaults(&mcfg);
	mcfg.max_streams = cfg->max_streams;
	mcfg.max_dialogs = cfg->max_dialogs;
	mcfg.flat_ms = cfg->flat_ms;
	mcfg.heuristic_rtp = cfg->heuristic_rtp;
	mcfg.clip_pct = cfg->clip_pct;
	mcfg.late_audio_ms = cfg->late_audio_ms;
	mcfg.max_registrations = cfg->max_registrations;
	/* Random per start: who sends RTP or SIP must not know which keys share a bucket. */
	if (getrandom(&mcfg.hash_seed, sizeof(mcfg.hash_seed), 0) != (ssize_t)sizeof(mcfg.hash_seed))
		fail("cannot read random bytes for the flow-table hash seed (getrandom failed)");
	w->media = hp_media_create(&mcfg, &w->ctr, hp_worker_media_sink, w);
	if (w->media == NULL)
		fail("cannot allocate the stream and dialog tables (each worker has its own): lower --max-streams/--max-dialogs");
	if (hp_stream_create(w, (uint32_t)(mcfg.hash_seed >> 32)) != 0)
		fail("cannot allocate the reassembly tables (each worker has its own): lower --max-tcp-flows/--max-ip-datagrams");
	w->hep_pool = pool;
	w->hep_large_pool = large_pool;
	w->port_id = port_id;
	w->queue_id = (uint16_t)idx;
	w->lcore_id = lcore;
	w->backpressure = cfg->pcap_file != NULL;
	w->ts_dynfield = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	w->ts_dynflag = bit >= 0 ? 1ULL << bit : 0;
	return w;
}

/* Each buffer knows its capacity, so the worker can check what fits. */
static void hep_buf_init(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	(void)mp;
	(void)idx;
	struct hp_hep_buf *b = obj;
	b->len = 0;
	b->cap = (uint32_t)(uintptr_t)arg;
}

static struct rte_mempool *hep_pool_create(const char *name, unsigned n, uint32_t cap, unsigned cache)
{
	return rte_mempool_create(name, n, sizeof(struct hp_hep_buf) + cap, cache, 0, NULL, NULL,
				  hep_buf_init, (void *)(uintptr_t)cap, (int)rte_socket_id(), 0);
}

int main(int argc, char **argv)
{
	struct timespec started;
	clock_gettime(CLOCK_REALTIME, &started);
	struct hp_config cfg;
	char err[512];
	char *eal_argv[32];
	int eal_argc, our_argc;
	char **our_argv;
	int split = -1;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
	if (split < 0) {
		our_argc = argc;
		our_argv = argv;
	} else {
		if (split > (int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1)
			fail("too many EAL arguments");
		for (int i = 0; i < split; i++)
			eal_argv[i] = argv[i];
		eal_argc = split;
		our_argv = argv + split;
		our_argv[0] = argv[0];
		our_argc = argc - split;
	}
	hp_config_parse(&cfg, our_argc, our_argv);
	/* Bound before EAL starts, so a bad or busy address is the one line of
	 * a start-up error; requests are answered only once the control loop
	 * runs, when ctl is filled in. */
	struct hp_ctl ctl;
	struct hp_http_metrics *http = NULL;
	if (cfg.metrics_listen != NULL) {
		http = hp_http_metrics_start(cfg.metrics_listen, &ctl, err, sizeof(err));
		if (http == NULL)
			fail(err);
	}
	if (split < 0)
		eal_argc = default_eal_args(argv[0], cfg.nb_queues, cfg.rx_lcores, eal_argv);
	if (split < 0 && cfg.pcap_file == NULL)
		fail("no input: give --pcap FILE, or EAL arguments then -- [options] (see --help)");
	if (cfg.pcap_file != NULL) {
		if (hp_config_probe_pcap(&cfg, err, sizeof(err)) != 0)
			fail(err);
	} else {
		cfg.linktype = 1;
	}

	if (rte_eal_init(eal_argc, eal_argv) < 0)
		fail("DPDK EAL initialisation failed (see the EAL message above)");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (cfg.pcap_file != NULL && hp_port_attach_pcap(cfg.pcap_file, cfg.loop, cfg.nb_queues, &cfg.port_id, err, sizeof(err)) != 0)
		fail(err);
	if (rte_lcore_count() < 2)
		fail("hepprobe needs two lcores (one sender, one worker): give -l 0-1 or --lcores");
	if (rte_lcore_count() - 1 < cfg.nb_queues) {
		snprintf(err, sizeof(err),
			 "--queues %u needs %u lcores (main + one per worker), EAL has %u: add lcores (they may share CPUs, e.g. --lcores 0@0,1@0,2@1)",
			 cfg.nb_queues, cfg.nb_queues + 1u, rte_lcore_count());
		fail(err);
	}

	/* --loop preloads the whole capture into mbufs once per queue (net_pcap
	 * infinite_rx), on top of what the queues receive into. */
	uint64_t nb_mbufs = MBUF_COUNT;
	if (cfg.loop)
		nb_mbufs += cfg.nb_queues * cfg.expected_frames;
	struct rte_mempool *mbufs = NULL;
	if (nb_mbufs <= UINT32_MAX)
		mbufs = rte_pktmbuf_pool_create("hp_mbuf", (unsigned)nb_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						(int)rte_socket_id());
	if (mbufs == NULL) {
		snprintf(err, sizeof(err),
			 "cannot create a pool of %llu mbufs (%u + %u queue(s) x %llu preloaded frames): raise -m (EAL memory; with --no-huge each mbuf takes a 4 KB page), or replay fewer frames or queues",
			 (unsigned long long)nb_mbufs, MBUF_COUNT, cfg.loop ? cfg.nb_queues : 0,
			 (unsigned long long)cfg.expected_frames);
		fail(err);
	}
	struct rte_mempool *heps = hep_pool_create("hp_hep", HEP_BUF_COUNT, HP_HEP_SMALL_SIZE, 64);
	struct rte_mempool *heps_large = hep_pool_create("hp_hep_large", HEP_LARGE_BUF_COUNT,
							 HP_HEP_LARGE_SIZE, 8);
	if (heps == NULL || heps_large == NULL)
		fail("cannot create the HEP buffer pools: raise -m (EAL memory)");
	if (hp_port_start(cfg.port_id, cfg.nb_queues, mbufs, err, sizeof(err)) != 0)
		fail(err);

	/* The checksum pass for this CPU, chosen once before any worker runs. */
	hp_csum_init();
	struct hp_sip_detector *det = hp_sip_detector_create(err, sizeof(err));
	if (det == NULL)
		fail(err);

	struct hp_hep_tx tx;
	if (hp_hep_tx_open(&tx, &cfg, err, sizeof(err)) != 0)
		fail(err);

	/* The first N worker lcores work; with N more, those receive. */
	struct hp_worker *workers[HP_MAX_WORKERS];
	unsigned nb = 0, nb_rx = 0, lcore;
	bool staged = cfg.rx_lcores && rte_lcore_count() >= 2u * cfg.nb_queues + 1u;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (nb < cfg.nb_queues) {
			workers[nb] = worker_create(&cfg, nb, lcore, det, heps, heps_large, cfg.port_id);
			nb++;
		} else if (staged && nb_rx < nb) {
			workers[nb_rx]->rx = hp_rx_create(&cfg, cfg.port_id, (uint16_t)nb_rx, lcore);
			if (workers[nb_rx]->rx == NULL)
				fail("cannot allocate the receive stage's ring: raise -m (EAL memory)");
			nb_rx++;
		}
	}
	ctl = (struct hp_ctl){
		.workers = workers,
		.nb_workers = nb,
		.tx = &tx,
		.port_id = cfg.port_id,
		.duration_s = cfg.duration_s,
		.metrics_file = cfg.metrics_file,
		.metrics_interval_s = cfg.metrics_interval_s,
		.http = http,
		.start_time_s = (double)started.tv_sec + (double)started.tv_nsec / 1e9,
		.start_tsc = rte_get_tsc_cycles(),
	};
	for (unsigned i = 0; i < nb; i++) {
		if (workers[i]->rx != NULL)
			rte_eal_remote_launch(hp_rx_main, workers[i]->rx, workers[i]->rx->lcore_id);
		rte_eal_remote_launch(hp_worker_main, workers[i], workers[i]->lcore_id);
	}

	hp_ctl_run(&ctl);
	rte_eal_mp_wait_lcore();
	hp_http_metrics_stop(ctl.http);

	struct hp_counters totals;
	hp_ctl_totals(&ctl, &totals);
	int rc = 0;
	if (cfg.metrics_file != NULL && hp_ctl_write_metrics(&ctl, &totals) != 0)
		rc = 1;
	if (!cfg.quiet)
		hp_ctl_report(stdout, &ctl, &totals);
	else if (cfg.duration_s != 0)
		hp_ctl_rate(stdout, &ctl, &totals);
	fflush(stdout);

	hp_hep_tx_close(&tx);
	for (unsigned i = 0; i < nb; i++) {
		hp_sip_scratch_destroy(workers[i]->sip_scratch);
		hp_hep_gz_destroy(workers[i]->gz);
		hp_media_destroy(workers[i]->media);
		hp_stream_destroy(workers[i]);
		hp_rx_destroy(workers[i]->rx);
		rte_ring_free(workers[i]->ring);
		rte_free(workers[i]);
	}
	hp_sip_detector_destroy(det);
	hp_port_stop(cfg.port_id);
	rte_eal_cleanup();
	hp_config_release(&cfg);
	return rc;
}
