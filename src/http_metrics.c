/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus exposition over HTTP, and the families that need DPDK. */
#include "http_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>
#include <microhttpd.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include "ctl.h"

#ifndef HP_VERSION
#error "HP_VERSION is set by meson.build"
#endif

#define RENDER_BUF (1 << 20)
/* Scrapers are Prometheus servers and an operator's curl: a handful. */
#define MAX_CONNECTIONS 16
#define CONNECTION_TIMEOUT_S 10

struct hp_http_metrics {
	struct MHD_Daemon *daemon;
	const struct hp_ctl *ctl;
	struct hp_counters totals;
	char *buf;
};

static void render_queues(struct hp_metrics_out *o, const struct hp_ctl *ctl, const struct rte_eth_stats *st)
{
	char port[12], queue[12];
	unsigned nq = ctl->nb_workers < RTE_ETHDEV_QUEUE_STAT_CNTRS ? ctl->nb_workers : RTE_ETHDEV_QUEUE_STAT_CNTRS;
	struct hp_metrics_label l[2] = { { "port", port }, { "queue", queue } };
	static const struct {
		const char *name, *help;
		size_t off;
	} q[] = {
		{ "hepprobe_port_rx_queue_packets_total", "Frames the port delivered into each RX queue (rte_eth_stats)",
		  offsetof(struct rte_eth_stats, q_ipackets) },
		{ "hepprobe_port_rx_queue_bytes_total", "Bytes the port delivered into each RX queue (rte_eth_stats)",
		  offsetof(struct rte_eth_stats, q_ibytes) },
		{ "hepprobe_port_rx_queue_errors_total", "Frames dropped in each RX queue by the driver (rte_eth_stats)",
		  offsetof(struct rte_eth_stats, q_errors) },
	};

	snprintf(port, sizeof(port), "%u", ctl->port_id);
	for (size_t f = 0; f < HP_ARRAY_LEN(q); f++) {
		const uint64_t *v = (const uint64_t *)(const void *)((const char *)st + q[f].off);
		hp_metrics_family(o, q[f].name, "counter", q[f].help);
		for (unsigned i = 0; i < nq; i++) {
			snprintf(queue, sizeof(queue), "%u", i);
			hp_metrics_sample(o, q[f].name, l, 2, v[i]);
		}
	}
}

static void render_port(struct hp_metrics_out *o, const struct hp_ctl *ctl)
{
	char port[12];
	struct hp_metrics_label lp = { "port", port };
	struct rte_eth_stats st;
	struct rte_eth_dev_info info;
	char dev[RTE_ETH_NAME_MAX_LEN];

	snprintf(port, sizeof(port), "%u", ctl->port_id);
	if (rte_eth_dev_info_get(ctl->port_id, &info) == 0 &&
	    rte_eth_dev_get_name_by_port(ctl->port_id, dev) == 0) {
		struct hp_metrics_label li[3] = { lp, { "device", dev }, { "driver", info.driver_name } };
		hp_metrics_family(o, "hepprobe_port_info", "gauge", "The capture port: DPDK device name and driver (always 1)");
		hp_metrics_sample(o, "hepprobe_port_info", li, 3, 1);
	}
	if (rte_eth_stats_get(ctl->port_id, &st) != 0)
		return;
	hp_metrics_family(o, "hepprobe_port_rx_packets_total", "counter", "Frames the port received (rte_eth_stats ipackets)");
	hp_metrics_sample(o, "hepprobe_port_rx_packets_total", &lp, 1, st.ipackets);
	hp_metrics_family(o, "hepprobe_port_rx_bytes_total", "counter", "Bytes the port received (rte_eth_stats ibytes)");
	hp_metrics_sample(o, "hepprobe_port_rx_bytes_total", &lp, 1, st.ibytes);
	render_queues(o, ctl, &st);
}

/* The driver's extended statistics, by their DPDK names; the list is the
 * driver's, so it is read at each scrape (cold path, the control lcore). */
static void render_xstats(struct hp_metrics_out *o, const struct hp_ctl *ctl)
{
	char port[12];
	int n = rte_eth_xstats_get(ctl->port_id, NULL, 0);
	struct rte_eth_xstat *xs;
	struct rte_eth_xstat_name *names;

	hp_metrics_family(o, "hepprobe_port_xstats_total", "counter",
	       "Driver extended statistics of the port (rte_eth_xstats), by DPDK name");
	if (n <= 0)
		return;
	xs = calloc((size_t)n, sizeof(*xs));
	names = calloc((size_t)n, sizeof(*names));
	snprintf(port, sizeof(port), "%u", ctl->port_id);
	if (xs != NULL && names != NULL && rte_eth_xstats_get_names(ctl->port_id, names, (unsigned)n) == n &&
	    rte_eth_xstats_get(ctl->port_id, xs, (unsigned)n) == n) {
		for (int i = 0; i < n; i++) {
			if (xs[i].id >= (uint64_t)n)
				continue;
			struct hp_metrics_label l[2] = { { "port", port }, { "name", names[xs[i].id].name } };
			hp_metrics_sample(o, "hepprobe_port_xstats_total", l, 2, xs[i].value);
		}
	}
	free(xs);
	free(names);
}

static void render_workers(struct hp_metrics_out *o, const struct hp_ctl *ctl)
{
	char worker[12];
	struct hp_metrics_label l = { "worker", worker };
	double hz = (double)rte_get_tsc_hz();

	hp_metrics_family(o, "hepprobe_worker_rx_frames_total", "counter",
	       "Frames received by each worker (worker N reads RX queue N)");
	for (unsigned i = 0; i < ctl->nb_workers; i++) {
		snprintf(worker, sizeof(worker), "%u", i);
		hp_metrics_sample(o, "hepprobe_worker_rx_frames_total", &l, 1, ctl->workers[i]->ctr.v[HP_CTR_RX_FRAMES]);
	}
	/* A polling core is always 100 % busy to the kernel; the share of its
	 * time spent on bursts that returned frames is the headroom left. */
	hp_metrics_family(o, "hepprobe_worker_busy_seconds_total", "counter",
	       "Time each worker spent on RX bursts that returned frames (TSC)");
	for (unsigned i = 0; i < ctl->nb_workers; i++) {
		snprintf(worker, sizeof(worker), "%u", i);
		hp_metrics_sample_f(o, "hepprobe_worker_busy_seconds_total", &l, 1,
				    (double)ctl->workers[i]->busy_tsc / hz);
	}
	hp_metrics_family(o, "hepprobe_worker_idle_seconds_total", "counter",
	       "Time each worker spent on empty RX polls and media timers (TSC)");
	for (unsigned i = 0; i < ctl->nb_workers; i++) {
		snprintf(worker, sizeof(worker), "%u", i);
		hp_metrics_sample_f(o, "hepprobe_worker_idle_seconds_total", &l, 1,
				    (double)ctl->workers[i]->idle_tsc / hz);
	}
}

static void render_tables(struct hp_metrics_out *o, const struct hp_ctl *ctl, const struct hp_counters *c)
{
	const struct hp_config *cfg = ctl->workers[0]->cfg;
	struct hp_metrics_label ls = { "table", "rtp_streams" }, ld = { "table", "dialogs" };

	hp_metrics_family(o, "hepprobe_table_entries", "gauge", "Entries in use in each fixed-size table, all workers");
	hp_metrics_sample(o, "hepprobe_table_entries", &ls, 1, c->v[HP_CTR_STREAMS_ACTIVE]);
	hp_metrics_sample(o, "hepprobe_table_entries", &ld, 1, c->v[HP_CTR_DIALOGS_ACTIVE]);
	hp_metrics_family(o, "hepprobe_table_capacity", "gauge",
	       "Entries each table holds, all workers (sized at start-up; a full table is counted)");
	hp_metrics_sample(o, "hepprobe_table_capacity", &ls, 1, (uint64_t)cfg->max_streams * ctl->nb_workers);
	hp_metrics_sample(o, "hepprobe_table_capacity", &ld, 1, (uint64_t)cfg->max_dialogs * ctl->nb_workers);
}

/* Today every worker's ring feeds the one collector (or the printer). */
/* The sender's own families: sent and dropped per collector and reason,
 * queue depth and capacity, connection state (src/hep_tx.c). */
static void render_hep_tx(struct hp_metrics_out *o, const struct hp_ctl *ctl)
{
	if (o->overflow)
		return;
	size_t k = hp_hep_tx_render_metrics(ctl->tx, o->buf + o->len, o->cap - o->len);
	if (k == 0)
		o->overflow = 1;
	else
		o->len += k;
}

/* jemalloc's view of the cold-path heap (DPDK's hugepage memory is not in
 * it). "epoch" refreshes the statistics jemalloc otherwise caches. */
static void render_memory(struct hp_metrics_out *o)
{
	uint64_t epoch = 1;
	size_t sz = sizeof(epoch), allocated = 0, resident = 0, len = sizeof(size_t);

	if (mallctl("epoch", &epoch, &sz, &epoch, sz) != 0 ||
	    mallctl("stats.allocated", &allocated, &len, NULL, 0) != 0 ||
	    mallctl("stats.resident", &resident, &len, NULL, 0) != 0)
		return;
	hp_metrics_family(o, "hepprobe_memory_allocated_bytes", "gauge", "Bytes the application allocated through malloc (jemalloc stats.allocated)");
	hp_metrics_sample(o, "hepprobe_memory_allocated_bytes", NULL, 0, allocated);
	hp_metrics_family(o, "hepprobe_memory_resident_bytes", "gauge", "Bytes of malloc's pages resident in memory (jemalloc stats.resident)");
	hp_metrics_sample(o, "hepprobe_memory_resident_bytes", NULL, 0, resident);
}

static void render_process(struct hp_metrics_out *o, const struct hp_ctl *ctl)
{
	struct hp_metrics_label l[2] = { { "version", HP_VERSION }, { "dpdk_version", rte_version() } };

	hp_metrics_family(o, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch");
	hp_metrics_sample_f(o, "process_start_time_seconds", NULL, 0, ctl->start_time_s);
	hp_metrics_family(o, "hepprobe_build_info", "gauge", "hepprobe and DPDK versions (always 1)");
	hp_metrics_sample(o, "hepprobe_build_info", l, 2, 1);
}

size_t hp_http_metrics_render(const struct hp_ctl *ctl, const struct hp_counters *c, char *buf, size_t cap)
{
	struct hp_metrics_out o;

	hp_metrics_out_init(&o, buf, cap);
	hp_metrics_render_to(c, &o);
	render_port(&o, ctl);
	render_xstats(&o, ctl);
	render_workers(&o, ctl);
	render_tables(&o, ctl, c);
	render_hep_tx(&o, ctl);
	render_memory(&o);
	render_process(&o, ctl);
	return hp_metrics_out_len(&o);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct hp_http_metrics *h = cls;
	static const char not_found[] = "hepprobe serves /metrics only\n";
	static const char too_big[] = "metrics do not fit the render buffer\n";
	(void)version;
	(void)upload_data;
	(void)con_cls;

	if (*upload_data_size != 0)
		return MHD_NO;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_found, sizeof(not_found) - 1);
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1);
	hp_ctl_totals(h->ctl, &h->totals);
	size_t n = hp_http_metrics_render(h->ctl, &h->totals, h->buf, RENDER_BUF);
	if (n == 0)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", too_big, sizeof(too_big) - 1);
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", h->buf, n);
}

/* ADDR:PORT with ADDR a numeric IPv4 address or [IPv6]: a probe's scrape
 * address is a management interface, never a name to resolve. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, uint16_t *port_out)
{
	char host[64];
	const char *colon;
	size_t hl;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		hl = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port == 0 || port > 65535 || colon[1] == '-')
		return -1;
	*port_out = (uint16_t)port;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -1;
}

struct hp_http_metrics *hp_http_metrics_start(const char *listen, const struct hp_ctl *ctl, char *err,
					      size_t errlen)
{
	struct sockaddr_storage ss;
	struct hp_http_metrics *h;
	uint16_t port;

	if (parse_listen(listen, &ss, &port) != 0) {
		snprintf(err, errlen, "--metrics-listen must be ADDR:PORT (IPv4 address or [IPv6], port 1-65535), got '%s'",
			 listen);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h != NULL)
		h->buf = malloc(RENDER_BUF);
	if (h == NULL || h->buf == NULL) {
		snprintf(err, errlen, "cannot allocate the /metrics render buffer");
		if (h != NULL)
			free(h);
		return NULL;
	}
	h->ctl = ctl;
	unsigned flags = ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0;
	h->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				     MHD_OPTION_END);
	if (h->daemon == NULL) {
		snprintf(err, errlen, "cannot listen for /metrics on %s (address in use or not local?)", listen);
		free(h->buf);
		free(h);
		return NULL;
	}
	return h;
}

void hp_http_metrics_poll(struct hp_http_metrics *h)
{
	MHD_run(h->daemon);
}

void hp_http_metrics_stop(struct hp_http_metrics *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	free(h->buf);
	free(h);
}
