/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/metrics: summing per-lcore arrays, lookup by Prometheus name and label,
 * and the two renderings. The Prometheus text is checked line by line against
 * the exposition format 0.0.4 (a POSIX regex for samples, HELP/TYPE order and
 * uniqueness tracked per family), and the values against hand-set counters. */
#include <criterion/criterion.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

static struct hp_counters ca, cb;

#define OUT_CAP (64 * 1024)
static char out[OUT_CAP];

static void reset(void)
{
	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	memset(out, 0, sizeof(out));
}

TestSuite(metrics, .init = reset);

/* ---- sum and lookup ---- */

Test(metrics, sum_is_element_wise)
{
	for (int i = 0; i < HP_CTR_MAX; i++) {
		ca.v[i] = (uint64_t)i;
		cb.v[i] = 1000000u + 3u * (uint64_t)i;
	}
	hp_metrics_sum(&ca, &cb);
	for (int i = 0; i < HP_CTR_MAX; i++) {
		if (ca.v[i] != 1000000u + 4u * (uint64_t)i)
			cr_assert_fail("slot %d: %llu", i, (unsigned long long)ca.v[i]);
		if (cb.v[i] != 1000000u + 3u * (uint64_t)i)
			cr_assert_fail("slot %d: src changed", i);
	}
}

Test(metrics, sum_of_two_lcores_then_get)
{
	hp_ctr_inc(&ca, HP_CTR_RX_FRAMES);
	hp_ctr_add(&ca, HP_CTR_RX_BYTES, 1500);
	hp_ctr_drop(&ca, HP_R_SIP_NO_CALL_ID);
	hp_ctr_add(&cb, HP_CTR_RX_FRAMES, 2);
	hp_ctr_add(&cb, HP_CTR_RX_BYTES, 60);
	hp_ctr_drop(&cb, HP_R_SIP_NO_CALL_ID);
	hp_ctr_drop(&cb, HP_R_NOT_IP);
	hp_ctr_add(&cb, HP_CTR_STREAMS_ACTIVE, 4);

	struct hp_counters *total = &cb;
	hp_metrics_sum(total, &ca);
	cr_assert_eq(hp_metrics_get(total, "hepprobe_rx_frames_total", NULL), 3);
	cr_assert_eq(hp_metrics_get(total, "hepprobe_rx_bytes_total", NULL), 1560);
	cr_assert_eq(hp_metrics_get(total, "hepprobe_drops_total", "sip_no_call_id"), 2);
	cr_assert_eq(hp_metrics_get(total, "hepprobe_drops_total", "not_ip"), 1);
	cr_assert_eq(hp_metrics_get(total, "hepprobe_rtp_streams_active", NULL), 4);
}

Test(metrics, get_scalars_and_gauges)
{
	ca.v[HP_CTR_RX_FRAMES] = 7;
	ca.v[HP_CTR_MEDIA_REPORTS] = 11; /* last scalar */
	ca.v[HP_CTR_STREAMS_ACTIVE] = 3; /* first gauge */
	ca.v[HP_CTR_TABLE_BYTES] = 1u << 30; /* last gauge */
	ca.v[HP_CTR_DIALOGS_ACTIVE] = UINT64_MAX;

	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_rx_frames_total", NULL), 7);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_media_reports_total", NULL), 11);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_rtp_streams_active", NULL), 3);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_media_table_bytes", NULL), 1u << 30);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_dialogs_active", NULL), UINT64_MAX);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_hep_sent_total", NULL), 0);
	/* Unknown names, a label on a scalar, no label on a family: 0. */
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_rx_frames", NULL), 0);
	cr_assert_eq(hp_metrics_get(&ca, "", NULL), 0);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_rx_frames_total", "x"), 0);
}

Test(metrics, get_labelled_families)
{
	ca.v[HP_CTR_DROP_BASE + HP_R_LINK_TRUNCATED] = 1;
	ca.v[HP_CTR_DROP_BASE + HP_R_HEP_QUEUE_FULL] = 2;
	ca.v[HP_CTR_CSUM_BASE + HP_CSUM_BAD] = 3;
	ca.v[HP_CTR_CSUM_BASE + HP_CSUM_OK] = 4;
	ca.v[HP_CTR_DELIVERED_BASE + HP_DELIVERED_RTP] = 5;
	ca.v[HP_CTR_DELIVERED_BASE + HP_DELIVERED_SIP_EVENT] = 6;
	ca.v[HP_CTR_SIP_REQ_BASE + HP_SIP_INVITE] = 7;
	ca.v[HP_CTR_SIP_REQ_BASE + HP_SIP_OTHER] = 8;
	ca.v[HP_CTR_SIP_RESP_BASE + 100] = 9;
	ca.v[HP_CTR_SIP_RESP_BASE + 200] = 10;
	ca.v[HP_CTR_SIP_RESP_BASE + 699] = 12;

	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_drops_total", "link_truncated"), 1);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_drops_total", "hep_queue_full"), 2);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_udp_checksum_total", "bad"), 3);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_udp_checksum_total", "ok"), 4);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_delivered_total", "rtp"), 5);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_delivered_total", "sip_event"), 6);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_sip_requests_total", "INVITE"), 7);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_sip_requests_total", "OTHER"), 8);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_sip_responses_total", "100"), 9);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_sip_responses_total", "200"), 10);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_sip_responses_total", "699"), 12);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_sip_responses_total", "486"), 0);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_drops_total", "no_such_reason"), 0);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_drops_total", NULL), 0);
	/* Methods are case-sensitive (RFC 3261 §7.1) and so are their labels. */
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_sip_requests_total", "invite"), 0);
}

/* "ok" is not a drop: its slot is not exported, whatever it holds. The
 * checksum family has its own "ok", which is. */
Test(metrics, get_drop_ok_is_not_a_label)
{
	ca.v[HP_CTR_DROP_BASE + HP_R_OK] = 9;
	ca.v[HP_CTR_SIP_REQ_BASE + HP_SIP_NONE] = 9;
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_drops_total", "ok"), 0);
	cr_assert_eq(hp_metrics_get(&ca, "hepprobe_sip_requests_total", ""), 0);
}

/* ---- Prometheus exposition format 0.0.4 ---- */

struct fam {
	char name[128];
	char type[16];
	int help;
	int types;
	int samples;
};

struct scan {
	struct fam f[64];
	int n;
};

static struct fam *fam_find(struct scan *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->f[i].name, name) == 0)
			return &s->f[i];
	return NULL;
}

/* Check every line of a rendering and tally its families. A family's lines
 * are contiguous: HELP, TYPE, then its samples. */
static void scan_prometheus(const char *text, size_t len, struct scan *s)
{
	regex_t sample;
	struct fam *cur = NULL;
	const char *p = text;
	const char *end = text + len;

	memset(s, 0, sizeof(*s));
	cr_assert_eq(regcomp(&sample,
			     "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\n]*\"\\})? "
			     "[0-9]+(\\.[0-9]+)?$",
			     REG_EXTENDED | REG_NOSUB),
		     0);
	cr_assert_gt(len, 0);
	cr_assert_eq(strlen(text), len, "returned length disagrees with the NUL");
	cr_assert_eq(text[len - 1], '\n', "last line not terminated");

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char line[512], name[128], rest[400];

		cr_assert_not_null(nl);
		cr_assert_lt((size_t)(nl - p), sizeof(line));
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		p = nl + 1;
		cr_assert_gt(strlen(line), 0, "empty line");

		if (strncmp(line, "# HELP ", 7) == 0) {
			cr_assert_eq(sscanf(line + 7, "%127s %399[^\n]", name, rest), 2, "'%s'", line);
			cr_assert_null(strchr(rest, '\\'), "unescaped backslash in '%s'", line);
			cur = fam_find(s, name);
			cr_assert_null(cur, "second HELP for %s", name);
			cr_assert_lt(s->n, (int)HP_ARRAY_LEN(s->f));
			cur = &s->f[s->n++];
			strcpy(cur->name, name);
			cur->help = 1;
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			char type[16];

			cr_assert_eq(sscanf(line + 7, "%127s %15s", name, type), 2, "'%s'", line);
			cr_assert_not_null(cur, "TYPE before any HELP: '%s'", line);
			cr_assert_str_eq(name, cur->name, "TYPE for %s not right after its HELP", name);
			cr_assert_eq(cur->types, 0, "second TYPE for %s", name);
			cr_assert_eq(cur->samples, 0, "TYPE for %s after its samples", name);
			cr_assert(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
					  strcmp(type, "histogram") == 0,
				  "type '%s'", type);
			strcpy(cur->type, type);
			cur->types = 1;
		} else {
			size_t n = strcspn(line, "{ ");

			cr_assert_neq(line[0], '#', "unknown comment '%s'", line);
			cr_assert_eq(regexec(&sample, line, 0, NULL, 0), 0, "bad sample '%s'", line);
			cr_assert_not_null(cur, "sample before any HELP: '%s'", line);
			cr_assert_eq(cur->types, 1, "sample of %s before its TYPE", cur->name);
			size_t fl = strlen(cur->name);
			/* A histogram's samples are <name>_bucket, _sum and _count. */
			int hist = strcmp(cur->type, "histogram") == 0 && n > fl && strncmp(line, cur->name, fl) == 0 &&
				   ((n - fl == 7 && strncmp(line + fl, "_bucket", 7) == 0) ||
				    (n - fl == 4 && strncmp(line + fl, "_sum", 4) == 0) ||
				    (n - fl == 6 && strncmp(line + fl, "_count", 6) == 0));
			cr_assert(hist || (n == fl && strncmp(line, cur->name, n) == 0),
				  "sample '%s' outside its family (current %s)", line, cur->name);
			cur->samples++;
		}
	}
	regfree(&sample);
	for (int i = 0; i < s->n; i++) {
		struct fam *f = &s->f[i];
		size_t l = strlen(f->name);
		int total = l > 6 && strcmp(f->name + l - 6, "_total") == 0;

		cr_assert_eq(f->types, 1, "%s has no TYPE", f->name);
		if (strcmp(f->type, "histogram") != 0)
			cr_assert_str_eq(f->type, total ? "counter" : "gauge", "%s", f->name);
	}
}

/* Whole-line match. */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static int count_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	int c = 0;

	for (const char *p = text; *p != '\0';) {
		if (strncmp(p, prefix, n) == 0)
			c++;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return c;
}

static size_t render(const struct hp_counters *c)
{
	size_t n = hp_metrics_render_prometheus(c, out, sizeof(out));

	cr_assert_gt(n, 0);
	cr_assert_lt(n, sizeof(out));
	return n;
}

Test(metrics, prometheus_all_zero_is_well_formed)
{
	struct scan s;
	size_t n = render(&ca);

	scan_prometheus(out, n, &s);
	cr_assert(has_line(out, "hepprobe_rx_frames_total 0"));
	cr_assert(has_line(out, "hepprobe_media_table_bytes 0"));
	/* Dense families print every label, zero or not. */
	cr_assert(has_line(out, "hepprobe_drops_total{reason=\"ipv4_truncated\"} 0"));
	cr_assert(has_line(out, "hepprobe_udp_checksum_total{result=\"zero_ipv6\"} 0"));
	cr_assert(has_line(out, "hepprobe_delivered_total{kind=\"rtcp\"} 0"));
	cr_assert(has_line(out, "hepprobe_sip_requests_total{method=\"PUBLISH\"} 0"));
	cr_assert_eq(count_prefix(out, "hepprobe_drops_total{"), HP_R_MAX - 1);
	/* 7 verdicts, 6 delivery kinds, 14 methods + OTHER (csum.h, metrics.h, sip.h). */
	cr_assert_eq(count_prefix(out, "hepprobe_udp_checksum_total{"), 7);
	cr_assert_eq(count_prefix(out, "hepprobe_delivered_total{"), HP_DELIVERED_MAX);
	cr_assert_eq(HP_DELIVERED_MAX, 6);
	cr_assert_eq(count_prefix(out, "hepprobe_sip_requests_total{"), 15);
	cr_assert_eq(count_prefix(out, "hepprobe_sip_requests_total{method=\"\"}"), 0);
	/* The sparse family keeps its HELP and TYPE but has no samples. */
	cr_assert_eq(count_prefix(out, "hepprobe_sip_responses_total{"), 0);
	cr_assert_not_null(fam_find(&s, "hepprobe_sip_responses_total"));
	cr_assert_eq(fam_find(&s, "hepprobe_sip_responses_total")->samples, 0);
}

Test(metrics, prometheus_families_and_types)
{
	static const struct {
		const char *name;
		const char *type;
	} want[] = {
		{ "hepprobe_rx_frames_total", "counter" },
		{ "hepprobe_port_imissed_total", "counter" },
		{ "hepprobe_rtp_lost_packets_total", "counter" },
		{ "hepprobe_media_reports_total", "counter" },
		{ "hepprobe_rtp_streams_active", "gauge" },
		{ "hepprobe_dialogs_active", "gauge" },
		{ "hepprobe_media_table_bytes", "gauge" },
		{ "hepprobe_drops_total", "counter" },
		{ "hepprobe_udp_checksum_total", "counter" },
		{ "hepprobe_delivered_total", "counter" },
		{ "hepprobe_sip_requests_total", "counter" },
		{ "hepprobe_sip_responses_total", "counter" },
	};
	struct scan s;
	size_t n = render(&ca);

	scan_prometheus(out, n, &s);
	for (size_t i = 0; i < HP_ARRAY_LEN(want); i++) {
		struct fam *f = fam_find(&s, want[i].name);

		cr_assert_not_null(f, "family %s missing", want[i].name);
		cr_assert_str_eq(f->type, want[i].type, "%s", want[i].name);
	}
	/* The sender renders these two with its collector labels (src/hep_tx.c). */
	cr_assert_null(fam_find(&s, "hepprobe_hep_sent_total"));
	cr_assert_null(fam_find(&s, "hepprobe_hep_dropped_total"));
	/* Scalars and gauges: exactly one sample each. */
	cr_assert_eq(fam_find(&s, "hepprobe_rx_frames_total")->samples, 1);
	cr_assert_eq(fam_find(&s, "hepprobe_dialogs_active")->samples, 1);
}

Test(metrics, prometheus_values)
{
	struct scan s;
	size_t n;

	ca.v[HP_CTR_RX_FRAMES] = 7;
	ca.v[HP_CTR_HEP_BYTES] = UINT64_MAX;
	ca.v[HP_CTR_DIALOGS_ACTIVE] = 42;
	ca.v[HP_CTR_DROP_BASE + HP_R_UDP_PAYLOAD_TRUNCATED] = 3;
	ca.v[HP_CTR_CSUM_BASE + HP_CSUM_OFFLOAD_PARTIAL] = 5;
	ca.v[HP_CTR_DELIVERED_BASE + HP_DELIVERED_SIP] = 6;
	ca.v[HP_CTR_SIP_REQ_BASE + HP_SIP_BYE] = 8;
	n = render(&ca);
	scan_prometheus(out, n, &s);
	cr_assert(has_line(out, "hepprobe_rx_frames_total 7"));
	cr_assert(has_line(out, "hepprobe_hep_bytes_total 18446744073709551615"));
	cr_assert(has_line(out, "hepprobe_dialogs_active 42"));
	cr_assert(has_line(out, "hepprobe_drops_total{reason=\"udp_payload_truncated\"} 3"));
	cr_assert(has_line(out, "hepprobe_udp_checksum_total{result=\"offload_partial\"} 5"));
	cr_assert(has_line(out, "hepprobe_delivered_total{kind=\"sip\"} 6"));
	cr_assert(has_line(out, "hepprobe_sip_requests_total{method=\"BYE\"} 8"));
	cr_assert(has_line(out, "# TYPE hepprobe_dialogs_active gauge"));
	cr_assert(has_line(out, "# TYPE hepprobe_drops_total counter"));
}

Test(metrics, prometheus_sparse_status_codes)
{
	struct scan s;
	size_t n;

	ca.v[HP_CTR_SIP_RESP_BASE + 200] = 5;
	ca.v[HP_CTR_SIP_RESP_BASE + 486] = 1;
	ca.v[HP_CTR_SIP_RESP_BASE + 100] = 2;
	ca.v[HP_CTR_SIP_RESP_BASE + 699] = 4;
	/* Slots below 100 are not status codes and have no label. */
	ca.v[HP_CTR_SIP_RESP_BASE + 0] = 9;
	ca.v[HP_CTR_SIP_RESP_BASE + 99] = 9;
	n = render(&ca);
	scan_prometheus(out, n, &s);
	cr_assert(has_line(out, "hepprobe_sip_responses_total{status=\"200\"} 5"));
	cr_assert(has_line(out, "hepprobe_sip_responses_total{status=\"486\"} 1"));
	cr_assert(has_line(out, "hepprobe_sip_responses_total{status=\"100\"} 2"));
	cr_assert(has_line(out, "hepprobe_sip_responses_total{status=\"699\"} 4"));
	cr_assert_eq(count_prefix(out, "hepprobe_sip_responses_total{"), 4);
	cr_assert_eq(fam_find(&s, "hepprobe_sip_responses_total")->samples, 4);
	cr_assert_null(strstr(out, "status=\"180\""));
	cr_assert_null(strstr(out, "status=\"0\""));
	cr_assert_null(strstr(out, "status=\"99\""));
}

Test(metrics, prometheus_every_status_code)
{
	struct scan s;
	size_t n;

	for (int st = 0; st < HP_SIP_STATUS_MAX; st++)
		ca.v[HP_CTR_SIP_RESP_BASE + st] = (uint64_t)st + 1;
	n = render(&ca);
	scan_prometheus(out, n, &s);
	cr_assert_eq(count_prefix(out, "hepprobe_sip_responses_total{"), 600);
	cr_assert(has_line(out, "hepprobe_sip_responses_total{status=\"100\"} 101"));
	cr_assert(has_line(out, "hepprobe_sip_responses_total{status=\"603\"} 604"));
}

Test(metrics, prometheus_never_exports_drop_ok)
{
	size_t n;
	struct scan s;

	ca.v[HP_CTR_DROP_BASE + HP_R_OK] = 9;
	ca.v[HP_CTR_CSUM_BASE + HP_CSUM_OK] = 9;
	n = render(&ca);
	scan_prometheus(out, n, &s);
	cr_assert_null(strstr(out, "reason=\"ok\""));
	cr_assert_null(strstr(out, "hepprobe_drops_total{reason=\"unknown\"}"));
	cr_assert(has_line(out, "hepprobe_udp_checksum_total{result=\"ok\"} 9"));
	cr_assert_eq(fam_find(&s, "hepprobe_drops_total")->samples, HP_R_MAX - 1);
}

#define CANARY_LEN 32
#define CANARY 0xa5

typedef size_t (*render_fn)(const struct hp_counters *, char *, size_t);

/* Render into exactly cap bytes followed by a canary; check nothing past cap
 * was written and return the renderer's answer. */
static size_t render_capped(render_fn fn, const struct hp_counters *c, size_t cap, char *copy)
{
	uint8_t *mem = malloc(cap + CANARY_LEN);
	size_t n;

	cr_assert_not_null(mem);
	memset(mem, CANARY, cap + CANARY_LEN);
	n = fn(c, (char *)mem, cap);
	for (size_t k = cap; k < cap + CANARY_LEN; k++)
		if (mem[k] != CANARY)
			cr_assert_fail("cap %zu: byte %zu past cap overwritten", cap, k);
	if (n > 0 && copy != NULL)
		memcpy(copy, mem, n + 1);
	free(mem);
	return n;
}

/* The text needs its length + 1 bytes; every smaller buffer gives 0. */
static void sweep(render_fn fn, const struct hp_counters *c)
{
	static char copy[OUT_CAP];
	size_t full = fn(c, out, sizeof(out));

	cr_assert_gt(full, 0);
	/* One assertion per failure, not per size: the sweep runs thousands of sizes. */
	for (size_t cap = 0; cap <= full; cap++)
		if (render_capped(fn, c, cap, NULL) != 0)
			cr_assert_fail("cap %zu of %zu accepted", cap, full);
	cr_assert_eq(render_capped(fn, c, full + 1, copy), full);
	cr_assert_str_eq(copy, out);
}

static void set_some(struct hp_counters *c)
{
	c->v[HP_CTR_RX_FRAMES] = 123456789;
	c->v[HP_CTR_DROP_BASE + HP_R_NOT_IP] = 17;
	c->v[HP_CTR_SIP_RESP_BASE + 200] = 5;
	c->v[HP_CTR_SIP_RESP_BASE + 486] = 1;
}

Test(metrics, prometheus_buffer_too_small)
{
	set_some(&ca);
	sweep(hp_metrics_render_prometheus, &ca);
}

/* ---- end-of-run table ---- */

struct row {
	char key[128];
	unsigned long long v;
};

/* Split the table into rows of "key value"; the first row is the heading. */
static int report_rows(const char *text, struct row *rows, int max)
{
	int n = 0;

	for (const char *p = text; *p != '\0'; n++) {
		const char *nl = strchr(p, '\n');
		char line[256], tail[8];

		cr_assert_not_null(nl, "unterminated line");
		cr_assert_lt((size_t)(nl - p), sizeof(line));
		cr_assert_lt(n, max);
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		p = nl + 1;
		if (n == 0) {
			cr_assert_eq(sscanf(line, "%127s %7s", rows[0].key, tail), 2);
			cr_assert_str_eq(rows[0].key, "counter");
			cr_assert_str_eq(tail, "value");
			continue;
		}
		cr_assert_eq(sscanf(line, "%127s %llu %7s", rows[n].key, &rows[n].v, tail), 2,
			     "row '%s'", line);
	}
	return n;
}

static const struct row *row_find(const struct row *rows, int n, const char *key)
{
	for (int i = 1; i < n; i++)
		if (strcmp(rows[i].key, key) == 0)
			return &rows[i];
	return NULL;
}

static struct row rows[1024];

Test(metrics, report_lists_only_non_zero_labelled_entries)
{
	static const struct row want[] = {
		{ "hepprobe_drops_total{reason=\"sip_no_call_id\"}", 2 },
		{ "hepprobe_udp_checksum_total{result=\"bad\"}", 3 },
		{ "hepprobe_delivered_total{kind=\"rtp\"}", 4 },
		{ "hepprobe_sip_requests_total{method=\"INVITE\"}", 6 },
		{ "hepprobe_sip_responses_total{status=\"200\"}", 5 },
	};
	size_t len;
	int n, labelled = 0;

	ca.v[HP_CTR_RX_FRAMES] = 10;
	ca.v[HP_CTR_STREAMS_ACTIVE] = 2;
	ca.v[HP_CTR_DROP_BASE + HP_R_SIP_NO_CALL_ID] = 2;
	ca.v[HP_CTR_DROP_BASE + HP_R_OK] = 9;
	ca.v[HP_CTR_CSUM_BASE + HP_CSUM_BAD] = 3;
	ca.v[HP_CTR_DELIVERED_BASE + HP_DELIVERED_RTP] = 4;
	ca.v[HP_CTR_SIP_REQ_BASE + HP_SIP_INVITE] = 6;
	ca.v[HP_CTR_SIP_RESP_BASE + 200] = 5;
	len = hp_metrics_render_report(&ca, out, sizeof(out));
	cr_assert_gt(len, 0);
	cr_assert_eq(strlen(out), len);

	n = report_rows(out, rows, (int)HP_ARRAY_LEN(rows));
	for (int i = 1; i < n; i++)
		if (strchr(rows[i].key, '{') != NULL)
			labelled++;
	cr_assert_eq(labelled, (int)HP_ARRAY_LEN(want));
	for (size_t i = 0; i < HP_ARRAY_LEN(want); i++) {
		const struct row *r = row_find(rows, n, want[i].key);

		cr_assert_not_null(r, "%s missing", want[i].key);
		cr_assert_eq(r->v, want[i].v, "%s", want[i].key);
	}
	/* Scalars and gauges are listed, zero or not. */
	cr_assert_not_null(row_find(rows, n, "hepprobe_rx_frames_total"));
	cr_assert_eq(row_find(rows, n, "hepprobe_rx_frames_total")->v, 10);
	cr_assert_eq(row_find(rows, n, "hepprobe_rtp_streams_active")->v, 2);
	cr_assert_not_null(row_find(rows, n, "hepprobe_hep_sent_total"));
	cr_assert_eq(row_find(rows, n, "hepprobe_hep_sent_total")->v, 0);
	cr_assert_null(strstr(out, "reason=\"ok\""));
}

Test(metrics, report_all_zero_has_no_labelled_rows)
{
	size_t len = hp_metrics_render_report(&ca, out, sizeof(out));
	int n;

	cr_assert_gt(len, 0);
	n = report_rows(out, rows, (int)HP_ARRAY_LEN(rows));
	cr_assert_gt(n, 1);
	cr_assert_null(strchr(out, '{'));
}

Test(metrics, report_buffer_too_small)
{
	set_some(&ca);
	sweep(hp_metrics_render_report, &ca);
}

/* ---- the writer src/ uses for DPDK-derived families ---- */

Test(metrics, writer_family_sample_and_escaping)
{
	struct hp_metrics_out o;
	struct hp_metrics_label l[2] = { { "collector", "a\"b\\c\nd" }, { "worker", "3" } };

	hp_metrics_out_init(&o, out, sizeof(out));
	hp_metrics_family(&o, "hepprobe_x_total", "counter", "A test family");
	hp_metrics_sample(&o, "hepprobe_x_total", l, 2, 18446744073709551615ULL);
	hp_metrics_sample(&o, "hepprobe_x_total", NULL, 0, 0);
	hp_metrics_sample_f(&o, "hepprobe_y_seconds", l + 1, 1, 0.25);
	cr_assert_gt(hp_metrics_out_len(&o), 0);
	cr_assert_eq(hp_metrics_out_len(&o), strlen(out));
	cr_assert(has_line(out, "# HELP hepprobe_x_total A test family"));
	cr_assert(has_line(out, "# TYPE hepprobe_x_total counter"));
	/* Exposition format 0.0.4: \\, \" and \n inside a label value. */
	cr_assert(has_line(out, "hepprobe_x_total{collector=\"a\\\"b\\\\c\\nd\",worker=\"3\"} 18446744073709551615"),
		  "%s", out);
	cr_assert(has_line(out, "hepprobe_x_total 0"));
	cr_assert(has_line(out, "hepprobe_y_seconds{worker=\"3\"} 0.25"));
}

Test(metrics, writer_overflow_is_sticky)
{
	struct hp_metrics_out o;
	char small[40];

	hp_metrics_out_init(&o, small, sizeof(small));
	hp_metrics_family(&o, "hepprobe_x_total", "counter", "A help text longer than the buffer");
	cr_assert_eq(hp_metrics_out_len(&o), 0);
	/* Something short after an overflow must not be appended. */
	hp_metrics_sample(&o, "a", NULL, 0, 1);
	cr_assert_eq(hp_metrics_out_len(&o), 0);
	hp_metrics_out_init(&o, small, 0);
	hp_metrics_sample(&o, "a", NULL, 0, 1);
	cr_assert_eq(hp_metrics_out_len(&o), 0);
}

Test(metrics, render_to_appends_what_render_prometheus_writes)
{
	static char both[OUT_CAP * 2];
	struct hp_metrics_out o;

	set_some(&ca);
	size_t n = render(&ca);
	hp_metrics_out_init(&o, both, sizeof(both));
	hp_metrics_family(&o, "hepprobe_first", "gauge", "Written first");
	size_t head = o.len;
	hp_metrics_render_to(&ca, &o);
	cr_assert_eq(hp_metrics_out_len(&o), head + n);
	cr_assert_eq(memcmp(both + head, out, n), 0);
}

Test(metrics, mos_histogram_is_cumulative)
{
	hp_metrics_observe_mos(&ca, 4.41);
	hp_metrics_observe_mos(&ca, 4.41);
	hp_metrics_observe_mos(&ca, 3.6); /* on a bound: counted in that bucket (le) */
	hp_metrics_observe_mos(&ca, 1.0);
	hp_metrics_observe_mos(&cb, 2.0);
	hp_metrics_sum(&ca, &cb);
	render(&ca);
	cr_assert(has_line(out, "# TYPE hepprobe_rtp_mos histogram"));
	cr_assert(has_line(out, "hepprobe_rtp_mos_bucket{le=\"1\"} 1"), "%s", out);
	cr_assert(has_line(out, "hepprobe_rtp_mos_bucket{le=\"2.58\"} 2"));
	cr_assert(has_line(out, "hepprobe_rtp_mos_bucket{le=\"3.1\"} 2"));
	cr_assert(has_line(out, "hepprobe_rtp_mos_bucket{le=\"3.6\"} 3"));
	cr_assert(has_line(out, "hepprobe_rtp_mos_bucket{le=\"4.34\"} 3"));
	cr_assert(has_line(out, "hepprobe_rtp_mos_bucket{le=\"4.5\"} 5"));
	cr_assert(has_line(out, "hepprobe_rtp_mos_bucket{le=\"+Inf\"} 5"));
	cr_assert(has_line(out, "hepprobe_rtp_mos_count 5"));
	cr_assert(has_line(out, "hepprobe_rtp_mos_sum 15.42"), "%s", strstr(out, "hepprobe_rtp_mos_sum"));
}
