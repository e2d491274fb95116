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

static const char *const verdict_labels[] = {
#define HP_VERDICT_LABEL(id, label) label,
	HP_VERDICT_KINDS(HP_VERDICT_LABEL)
#undef HP_VERDICT_LABEL
};

const char *hp_verdict_label(int v)
{
	return v >= 0 && v < HP_VERDICT_MAX ? verdict_labels[v] : "";
}

/* Label value of slot i of a family, or NULL when the slot is not exported.
 * tmp is the caller's scratch for labels that are formatted (status codes),
 * so rendering from two threads at once is safe. */
typedef const char *(*label_fn)(int i, char tmp[8]);

static const char *delivery_label(int i, char tmp[8])
{
	(void)tmp;
	return delivery_labels[i];
}

static const char *verdict_label(int i, char tmp[8])
{
	(void)tmp;
	return verdict_labels[i];
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
	{ "hepprobe_verdicts_total", "Diagnostics verdicts emitted as HEP type-100 events, by verdict",
	  "verdict", HP_CTR_VERDICT_BASE, HP_VERDICT_MAX, verdict_label, 0 },
};

static const double mos_bounds[] = {
#define HP_MOS_BOUND(b) b,
	HP_MOS_BOUNDS(HP_MOS_BOUND)
#undef HP_MOS_BOUND
};

void hp_metrics_observe_mos(struct hp_counters *c, double mos)
{
	size_t i = 0;

	while (i < HP_ARRAY_LEN(mos_bounds) && mos > mos_bounds[i])
		i++;
	c->v[HP_CTR_MOS_BASE + i]++;
	c->v[HP_CTR_MOS_SUM_CENTI] += mos > 0 ? (uint64_t)(mos * 100.0 + 0.5) : 0;
}

/* Cumulative buckets, _sum and _count (exposition format 0.0.4 histogram). */
static void render_mos(const struct hp_counters *c, struct hp_metrics_out *o)
{
	static const char name[] = "hepprobe_rtp_mos";
	uint64_t cum = 0;
	char le[16];
	struct hp_metrics_label l = { "le", le };

	hp_metrics_family(o, name, "histogram", "E-model MOS (ITU-T G.107) of each ended RTP stream");
	for (size_t i = 0; i < HP_MOS_BUCKETS; i++) {
		cum += c->v[HP_CTR_MOS_BASE + i];
		if (i < HP_ARRAY_LEN(mos_bounds))
			snprintf(le, sizeof(le), "%g", mos_bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		hp_metrics_sample(o, "hepprobe_rtp_mos_bucket", &l, 1, cum);
	}
	hp_metrics_sample_f(o, "hepprobe_rtp_mos_sum", NULL, 0, (double)c->v[HP_CTR_MOS_SUM_CENTI] / 100.0);
	hp_metrics_sample(o, "hepprobe_rtp_mos_count", NULL, 0, cum);
}

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

static void out_printf(struct hp_metrics_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct hp_metrics_out *o, const char *fmt, ...)
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

void hp_metrics_out_init(struct hp_metrics_out *o, char *buf, size_t cap)
{
	o->buf = buf;
	o->cap = cap;
	o->len = 0;
	o->overflow = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
}

size_t hp_metrics_out_len(const struct hp_metrics_out *o)
{
	return o->overflow ? 0 : o->len;
}

void hp_metrics_family(struct hp_metrics_out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Exposition format 0.0.4: in a label value, backslash, double quote and line
 * feed are escaped as \\, \" and \n. */
static void out_label_value(struct hp_metrics_out *o, const char *v)
{
	for (; *v != '\0' && !o->overflow; v++) {
		if (*v == '\\')
			out_printf(o, "\\\\");
		else if (*v == '"')
			out_printf(o, "\\\"");
		else if (*v == '\n')
			out_printf(o, "\\n");
		else
			out_printf(o, "%c", *v);
	}
}

static void out_series(struct hp_metrics_out *o, const char *name, const struct hp_metrics_label *labels,
		       size_t nb_labels)
{
	out_printf(o, "%s", name);
	for (size_t i = 0; i < nb_labels; i++) {
		out_printf(o, "%s%s=\"", i == 0 ? "{" : ",", labels[i].name);
		out_label_value(o, labels[i].value);
		out_printf(o, "\"");
	}
	if (nb_labels > 0)
		out_printf(o, "}");
}

void hp_metrics_sample(struct hp_metrics_out *o, const char *name, const struct hp_metrics_label *labels,
		       size_t nb_labels, uint64_t v)
{
	out_series(o, name, labels, nb_labels);
	out_printf(o, " %llu\n", (unsigned long long)v);
}

void hp_metrics_sample_f(struct hp_metrics_out *o, const char *name, const struct hp_metrics_label *labels,
			 size_t nb_labels, double v)
{
	out_series(o, name, labels, nb_labels);
	out_printf(o, " %.17g\n", v);
}

void hp_metrics_render_to(const struct hp_counters *c, struct hp_metrics_out *o)
{
	for (size_t i = 0; i < HP_ARRAY_LEN(scalar_names); i++) {
		/* The sender renders these two with their per-collector samples
		 * (hp_hep_tx_render_metrics): one family, one HELP. */
		if (i == HP_CTR_HEP_SENT || i == HP_CTR_HEP_DROPPED)
			continue;
		hp_metrics_family(o, scalar_names[i], "counter", scalar_helps[i]);
		hp_metrics_sample(o, scalar_names[i], NULL, 0, c->v[i]);
	}
	for (size_t i = 0; i < HP_ARRAY_LEN(gauge_names); i++) {
		hp_metrics_family(o, gauge_names[i], "gauge", gauge_helps[i]);
		hp_metrics_sample(o, gauge_names[i], NULL, 0, c->v[GAUGE_BASE + i]);
	}
	for (size_t f = 0; f < HP_ARRAY_LEN(families); f++) {
		const struct family *fam = &families[f];
		hp_metrics_family(o, fam->name, "counter", fam->help);
		for (int i = 0; i < fam->count; i++) {
			char tmp[8];
			const char *l = fam->label_of(i, tmp);
			uint64_t v = c->v[fam->base + i];
			if (l == NULL || (fam->skip_zero && v == 0))
				continue;
			struct hp_metrics_label lab = { fam->label, l };
			hp_metrics_sample(o, fam->name, &lab, 1, v);
		}
	}
	render_mos(c, o);
}

size_t hp_metrics_render_prometheus(const struct hp_counters *c, char *buf, size_t cap)
{
	struct hp_metrics_out o;

	hp_metrics_out_init(&o, buf, cap);
	hp_metrics_render_to(c, &o);
	return hp_metrics_out_len(&o);
}

size_t hp_metrics_render_report(const struct hp_counters *c, char *buf, size_t cap)
{
	struct hp_metrics_out o;

	hp_metrics_out_init(&o, buf, cap);
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
	return hp_metrics_out_len(&o);
}
