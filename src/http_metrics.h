/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HP_HTTP_METRICS_H
#define HP_HTTP_METRICS_H

#include <stddef.h>

#include "metrics/metrics.h"

struct hp_ctl;

/* Every family hepprobe exports, as Prometheus text 0.0.4 into buf: the
 * summed counters c (lib/metrics), then what only the DPDK side knows: per
 * port and queue statistics, xstats, per worker frames and busy/idle time,
 * table usage and capacity, the HEP queue, jemalloc's memory, start time and
 * build info. The metrics file and /metrics both come from here. Returns the
 * length written, 0 when buf is too small. */
size_t hp_http_metrics_render(const struct hp_ctl *ctl, const struct hp_counters *c, char *buf, size_t cap);

/* The /metrics server: libmicrohttpd without a thread of its own, driven by
 * hp_http_metrics_poll() from the control loop, so a scrape runs on the
 * control lcore and only reads the workers' counters. */
struct hp_http_metrics;

/* listen is ADDR:PORT, ADDR an IPv4 address or [IPv6]. Returns NULL with a
 * message in err when the address is malformed or cannot be bound. */
struct hp_http_metrics *hp_http_metrics_start(const char *listen, const struct hp_ctl *ctl, char *err,
					      size_t errlen);
/* Answers what is pending without blocking. */
void hp_http_metrics_poll(struct hp_http_metrics *h);
void hp_http_metrics_stop(struct hp_http_metrics *h);

#endif
