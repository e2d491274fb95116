/* SPDX-License-Identifier: BSD-3-Clause */
#include "metrics/metrics.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const scalar_names[] = {
#define HP_SCALAR_NAME(id, name, help) name,
	HP_METRIC_SCALARS(HP_SCALAR_NAME)
#undef HP_SCALAR_NAME
};

static const char *const scalar_helps[] = {
#define HP_SCALAR_HELP(id, name, help) help,
	HP_METRIC_SCALARS(HP_SCALAR_HELP)
#undef HP_SCALAR_HELP
};

static const char *const gauge_names[] = {
#define HP_GAUGE_NAME(id, name, help) name,
	HP_METRIC_GAUGES(HP_GAUGE_NAME)
#undef HP_GAUGE_NAME
};

static const char *const gauge_helps[] = {
#define HP_GAUGE_HELP(id, name, help) help,
	HP_METRIC_GAUGES(HP_GAUGE_HELP)
#undef HP_GAUGE_HELP
};

#define GAUGE_BASE HP_ARRAY_LEN(scalar_names)

static const char *const delivery_labels[] = {
#define HP_DELIVERY_LABEL(id, label) label,
	HP_DELIVERY_KINDS(HP_DELIVERY_LABEL)
#undef HP_DELIVERY_LABEL
};

/* Label value of slot i of a family, or NULL when the slot is not exported.
 * tmp is the caller's scratch for labels that are formatted (status codes),
 * so rendering from two threads at once is safe. */
typedef const char *(*label_fn)(int i, char tmp[8]);

static const char *delivery_label(int i, char tmp[8])
{
	(void)tmp;
	return delivery_labels[i];
}

static const char *drop_label(int i, char tmp[8])
{
	(void)tmp;
	return i == HP_R_OK ? NULL : hp_reason_label(i);
}

static const char *csum_label(int i, char tmp[8])
{
	(void)tmp;
	return hp_csum_verdict_label(i);
}

static const char *method_label(int i, char tmp[8])
{
	(void)tmp;
	return i == HP_SIP_NONE ? NULL : hp_sip_method_name(i);
}

static const char *status_label(int i, char tmp[8])
{
	/* Status codes are their own label; 100..699 only. */
	if (i < 100 || i >= HP_SIP_STATUS_MAX)
		return NULL;
	snprintf(tmp, 8, "%d", i);
	return tmp;
}

/* A labelled family: base index, size, label name, and a function that gives
 * the label value of each slot (NULL = slot not exported). */
struct family {
	const char *name;
	const char *help;
	const char *label;
	int base;
	int count;
	label_fn label_of;
	int skip_zero; /* sparse families print only non-zero slots */
};

static const struct family families[] = {
	{ "hepprobe_drops_total", "Frames not delivered as HEP or into a statistic, by reason",
	  "reason", HP_CTR_DROP_BASE, HP_R_MAX, drop_label, 0 },
	{ "hepprobe_udp_checksum_total", "UDP checksum verdicts (RFC 768, pseudo-header included), one per datagram",
	  "result", HP_CTR_CSUM_BASE, HP_CSUM_MAX, csum_label, 0 },
	{ "hepprobe_delivered_total", "Frames delivered, by what they became",
	  "kind", HP_CTR_DELIVERED_BASE, HP_DELIVERED_MAX, delivery_label, 0 },
	{ "hepprobe_sip_requests_total", "SIP requests parsed, by method",
	  "method", HP_CTR_SIP_REQ_BASE, HP_SIP_METHOD_MAX, method_label, 0 },
	{ "hepprobe_sip_responses_total", "SIP responses parsed, by status code",
	  "status", HP_CTR_SIP_RESP_BASE, HP_SIP_STATUS_MAX, status_label, 1 },
};

void hp_metrics_sum(struct hp_counters *dst, const struct hp_counters *src)
{
	for (int i = 0; i < HP_CTR_MAX; i++)
		dst->v[i] += src->v[i];
}

uint64_t hp_metrics_get(const struct hp_counters *c, const char *name, const char *label)
{
	if (label == NULL) {
		for (size_t i = 0; i < HP_ARRAY_LEN(scalar_names); i++)
			if (strcmp(scalar_names[i], name) == 0)
				return c->v[i];
		for (size_t i = 0; i < HP_ARRAY_LEN(gauge_names); i++)
			if (strcmp(gauge_names[i], name) == 0)
				return c->v[GAUGE_BASE + i];
		return 0;
	}
	for (size_t f = 0; f < HP_ARRAY_LEN(families); f++) {
		const struct family *fam = &families[f];
		if (strcmp(fam->name, name) != 0)
			continue;
		for (int i = 0; i < fam->count; i++) {
			char tmp[8];
			const char *l = fam->label_of(i, tmp);
			if (l != NULL && strcmp(l, label) == 0)
				return c->v[fam->base + i];
		}
	}
	return 0;
}

struct out {
	char *buf;
	size_t cap;
	size_t len;
	int overflow;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->overflow)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	o->len += (size_t)n;
}

size_t hp_metrics_render_prometheus(const struct hp_counters *c, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, cap == 0 };

	for (size_t i = 0; i < HP_ARRAY_LEN(scalar_names); i++) {
		/* The sender renders these two with their per-collector samples
		 * (hp_hep_tx_render_metrics): one family, one HELP. */
		if (i == HP_CTR_HEP_SENT || i == HP_CTR_HEP_DROPPED)
			continue;
		out_printf(&o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", scalar_names[i],
			   scalar_helps[i], scalar_names[i], scalar_names[i],
			   (unsigned long long)c->v[i]);
	}
	for (size_t i = 0; i < HP_ARRAY_LEN(gauge_names); i++) {
		out_printf(&o, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", gauge_names[i],
			   gauge_helps[i], gauge_names[i], gauge_names[i],
			   (unsigned long long)c->v[GAUGE_BASE + i]);
	}
	for (size_t f = 0; f < HP_ARRAY_LEN(families); f++) {
		const struct family *fam = &families[f];
		out_printf(&o, "# HELP %s %s\n# TYPE %s counter\n", fam->name, fam->help, fam->name);
		for (int i = 0; i < fam->count; i++) {
			char tmp[8];
			const char *l = fam->label_of(i, tmp);
			uint64_t v = c->v[fam->base + i];
			if (l == NULL || (fam->skip_zero && v == 0))
				continue;
			out_printf(&o, "%s{%s=\"%s\"} %llu\n", fam->name, fam->label, l,
				   (unsigned long long)v);
		}
	}
	return o.overflow ? 0 : o.len;
}

size_t hp_metrics_render_report(const struct hp_counters *c, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, cap == 0 };

	out_printf(&o, "%-58s %14s\n", "counter", "value");
	for (size_t i = 0; i < HP_ARRAY_LEN(scalar_names); i++)
		out_printf(&o, "%-58s %14llu\n", scalar_names[i], (unsigned long long)c->v[i]);
	for (size_t i = 0; i < HP_ARRAY_LEN(gauge_names); i++)
		out_printf(&o, "%-58s %14llu\n", gauge_names[i], (unsigned long long)c->v[GAUGE_BASE + i]);
	for (size_t f = 0; f < HP_ARRAY_LEN(families); f++) {
		const struct family *fam = &families[f];
		for (int i = 0; i < fam->count; i++) {
			char tmp[8];
			const char *l = fam->label_of(i, tmp);
			uint64_t v = c->v[fam->base + i];
			char key[128];
			if (l == NULL || v == 0)
				continue;
			snprintf(key, sizeof(key), "%s{%s=\"%s\"}", fam->name, fam->label, l);
			out_printf(&o, "%-58s %14llu\n", key, (unsigned long long)v);
		}
	}
	return o.overflow ? 0 : o.len;
}
