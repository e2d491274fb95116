/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#define METRICS_BUF (1 << 20)

static bool workers_finished(const struct hp_ctl *ctl)
{
	for (unsigned i = 0; i < ctl->nb_workers; i++)
		if (!__atomic_load_n(&ctl->workers[i]->finished, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static bool rings_empty(const struct hp_ctl *ctl)
{
	for (unsigned i = 0; i < ctl->nb_workers; i++)
		if (!rte_ring_empty(ctl->workers[i]->ring))
			return false;
	return true;
}

/* The workers are done: the collectors get until the deadline to take and
 * acknowledge what is queued; the rest is counted dropped (shutdown). */
static void flush(struct hp_ctl *ctl, uint64_t deadline)
{
	while (!hp_abort && !hp_hep_tx_idle(ctl->tx) && rte_get_tsc_cycles() < deadline) {
		for (unsigned i = 0; i < ctl->nb_workers; i++)
			hp_hep_tx_drain(ctl->tx, ctl->workers[i]->ring);
		hp_hep_tx_poll(ctl->tx);
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
	hp_hep_tx_finish(ctl->tx);
}

void hp_ctl_run(struct hp_ctl *ctl)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t deadline = ctl->duration_s ? rte_get_tsc_cycles() + ctl->duration_s * hz : 0;
	uint64_t next_metrics = ctl->metrics_interval_s ? rte_get_tsc_cycles() + ctl->metrics_interval_s * hz : 0;
	uint64_t shutdown = (uint64_t)ctl->tx->cfg->shutdown_timeout_s * hz;
	uint64_t stop_deadline = 0; /* --shutdown-timeout after the stop */
	struct hp_counters *snap = ctl->metrics_interval_s ? malloc(sizeof(*snap)) : NULL;
	/* A scrape waits at most this long for the loop to look at its socket. */
	uint64_t http_every = hz / 1000, next_http = 0;

	for (;;) {
		uint64_t now = rte_get_tsc_cycles();
		if (deadline != 0 && now >= deadline)
			hp_stop = true;
		if (hp_stop && stop_deadline == 0)
			stop_deadline = now + shutdown;
		/* Past the deadline, or on a second signal, messages still in
		 * the rings are counted instead of sent (pacing would hold them). */
		bool give_up = hp_abort || (stop_deadline != 0 && now >= stop_deadline);
		/* Counters read while the workers run are a few increments stale
		 * at most: each is a plain 64-bit store by its own lcore. */
		if (snap != NULL && now >= next_metrics) {
			hp_ctl_totals(ctl, snap);
			hp_ctl_write_metrics(ctl, snap);
			next_metrics += ctl->metrics_interval_s * hz;
		}
		if (ctl->http != NULL && rte_get_tsc_cycles() >= next_http) {
			hp_http_metrics_poll(ctl->http);
			next_http = rte_get_tsc_cycles() + http_every;
		}
		/* Read the flag before draining, so nothing a worker queued
		 * before finishing is left behind. */
		bool done = workers_finished(ctl);
		unsigned n = 0;
		for (unsigned i = 0; i < ctl->nb_workers; i++)
			n += give_up ? hp_hep_tx_discard(ctl->tx, ctl->workers[i]->ring)
				     : hp_hep_tx_drain(ctl->tx, ctl->workers[i]->ring);
		hp_hep_tx_poll(ctl->tx);
		if (n > 0)
			continue;
		/* Nothing taken: the rings are empty, or a capture file waits
		 * for a collector, or --hep-rate spaces the next message. */
		if (done && rings_empty(ctl)) {
			ctl->end_tsc = rte_get_tsc_cycles();
			flush(ctl, stop_deadline != 0 ? stop_deadline : ctl->end_tsc + shutdown);
			free(snap);
			return;
		}
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
}

void hp_ctl_totals(const struct hp_ctl *ctl, struct hp_counters *out)
{
	struct rte_eth_stats st;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < ctl->nb_workers; i++) {
		hp_metrics_sum(out, &ctl->workers[i]->ctr);
		if (ctl->workers[i]->rx != NULL)
			hp_metrics_sum(out, &ctl->workers[i]->rx->ctr);
	}
	hp_metrics_sum(out, &ctl->tx->ctr);
	if (rte_eth_stats_get(ctl->port_id, &st) == 0) {
		out->v[HP_CTR_PORT_IMISSED] = st.imissed;
		out->v[HP_CTR_PORT_IERRORS] = st.ierrors;
		out->v[HP_CTR_PORT_NOMBUF] = st.rx_nombuf;
	}
}

int hp_ctl_write_metrics(const struct hp_ctl *ctl, const struct hp_counters *c)
{
	const char *path = ctl->metrics_file;
	char tmp[4096];
	char *buf = malloc(METRICS_BUF);
	size_t n;
	FILE *f;
	int rc = -1;

	if (buf == NULL)
		return -1;
	n = hp_http_metrics_render(ctl, c, buf, METRICS_BUF);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f != NULL && n > 0) {
		if (fwrite(buf, 1, n, f) == n && fclose(f) == 0) {
			f = NULL;
			rc = rename(tmp, path);
		}
	}
	if (f != NULL)
		fclose(f);
	if (rc != 0) {
		fprintf(stderr, "hepprobe: cannot write metrics file '%s': %s\n", path, strerror(errno));
		remove(tmp);
	}
	free(buf);
	return rc;
}

void hp_ctl_report(FILE *out, const struct hp_ctl *ctl, const struct hp_counters *c)
{
	char *buf = malloc(METRICS_BUF);
	if (buf == NULL)
		return;
	if (hp_metrics_render_report(c, buf, METRICS_BUF) > 0) {
		fputs("\n== hepprobe end-of-run report ==\n", out);
		fputs(buf, out);
	}
	free(buf);
	/* One line per verdict, zero included: "none fired" is a finding too. */
	fputs("\n== verdicts ==\n", out);
	for (int v = 0; v < HP_VERDICT_MAX; v++)
		fprintf(out, "%-24s %14llu\n", hp_verdict_label(v),
			(unsigned long long)c->v[HP_CTR_VERDICT_BASE + v]);
	hp_ctl_calls(out, ctl);
	hp_ctl_rate(out, ctl, c);
}

void hp_ctl_calls(FILE *out, const struct hp_ctl *ctl)
{
	char *buf = malloc(METRICS_BUF);
	if (buf == NULL)
		return;
	fputs("\n== calls ==\n", out);
	for (unsigned i = 0; i < ctl->nb_workers; i++)
		if (hp_media_render_calls(ctl->workers[i]->media, buf, METRICS_BUF) > 0)
			fputs(buf, out);
	free(buf);
}

void hp_ctl_rate(FILE *out, const struct hp_ctl *ctl, const struct hp_counters *c)
{
	double secs = (double)(ctl->end_tsc - ctl->start_tsc) / (double)rte_get_tsc_hz();
	uint64_t frames = c->v[HP_CTR_RX_FRAMES];
	if (secs <= 0)
		return;
	fprintf(out, "rate: %llu frames in %.3f s = %.0f frames/s (%.1f ns/frame) with %u worker(s)\n",
		(unsigned long long)frames, secs, (double)frames / secs,
		frames ? secs * 1e9 / (double)frames * ctl->nb_workers : 0.0, ctl->nb_workers);
}
