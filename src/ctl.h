/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_CTL_H
#define HP_CTL_H

#include "hep_tx.h"
#include "http_metrics.h"
#include "worker.h"

/* The control lcore: runs the sender until the workers are done (end of a
 * capture, or a signal) and their rings are empty, then sums the per-lcore
 * counters with the port's own. */
struct hp_ctl {
	struct hp_worker **workers;
	unsigned nb_workers;
	struct hp_hep_tx *tx;
	uint16_t port_id;
	uint32_t duration_s;     /* stop the workers after this long; 0 = never */
	const char *metrics_file;
	uint32_t metrics_interval_s; /* rewrite metrics_file this often; 0 = never */
	struct hp_http_metrics *http; /* --metrics-listen, or NULL */
	double start_time_s;     /* process start, Unix time (process_start_time_seconds) */
	uint64_t start_tsc;      /* when the workers were launched */
	uint64_t end_tsc;
};

void hp_ctl_run(struct hp_ctl *ctl);
void hp_ctl_totals(const struct hp_ctl *ctl, struct hp_counters *out);
/* Write every family of /metrics (hp_http_metrics_render) with the summed
 * counters c to ctl->metrics_file, atomically (temp file + rename). */
int hp_ctl_write_metrics(const struct hp_ctl *ctl, const struct hp_counters *c);
void hp_ctl_report(FILE *out, const struct hp_ctl *ctl, const struct hp_counters *c);
/* The call view: per call, both directions' verdicts. */
void hp_ctl_calls(FILE *out, const struct hp_ctl *ctl);
/* One line: frames, seconds, frames/s and ns/frame per worker. */
void hp_ctl_rate(FILE *out, const struct hp_ctl *ctl, const struct hp_counters *c);

#endif
