/* SPDX-License-Identifier: BSD-3-Clause */
/* The media engine's records: type-100 events, type-34 stream reports (JSON,
 * shapes in /work/shared/HEP3.md), the call log and the end-of-run call view. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include "common/json.h"
#include "csum/csum.h"
#include "hep/hep.h"
#include "media/media_int.h"

void media_emit(struct hp_media *m, uint8_t hep_type, size_t len, const struct media_dialog *d,
		uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		uint16_t dport, uint64_t ts_us)
{
	struct hp_str cid = { d != NULL ? d->call_id : "", d != NULL ? d->call_id_len : 0 };

	media_emit_cid(m, hep_type, len, cid, family, src, dst, sport, dport, ts_us);
}

void media_emit_cid(struct hp_media *m, uint8_t hep_type, size_t len, struct hp_str cid,
		    uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		    uint16_t dport, uint64_t ts_us)
{
	struct hp_media_record r;

	memset(&r, 0, sizeof(r));
	r.hep_type = hep_type;
	r.json = m->buf;
	r.json_len = len;
	r.correlation_id = cid;
	r.ip_version = family;
	memcpy(r.src_addr, src, 16);
	memcpy(r.dst_addr, dst, 16);
	r.src_port = sport;
	r.dst_port = dport;
	r.ts_us = ts_us;
	m->sink(m->sink_arg, &r);
}

static const struct media_skey *skey(const struct hp_media *m, const struct media_stream *s)
{
	return hp_flowtab_key(m->streams, s);
}

static void emit_stream(struct hp_media *m, const struct media_stream *s, uint8_t hep_type,
			struct hp_json *j, uint64_t ts_us)
{
	const struct media_skey *k = skey(m, s);
	size_t n = hp_json_finish(j);

	if (n == 0)
		return;
	media_emit(m, hep_type, n, s->d, k->family, k->src, k->dst, k->sport, k->dport, ts_us);
	hp_ctr_inc(m->ctr, hep_type == HP_HEP_PROTO_QOS_JSON ? HP_CTR_MEDIA_REPORTS
							     : HP_CTR_MEDIA_EVENTS);
}

static void json_cid_key(struct hp_json *j, const char *key, const struct media_dialog *d)
{
	hp_json_str(j, key, d != NULL ? d->call_id : "", d != NULL ? d->call_id_len : 0);
}

static void json_call_id(struct hp_json *j, const struct media_dialog *d)
{
	hp_json_str(j, "call_id", d != NULL ? d->call_id : "", d != NULL ? d->call_id_len : 0);
}

/* Members every stream record carries. */
static void json_stream_ids(struct hp_json *j, const struct hp_media *m,
			    const struct media_stream *s)
{
	const struct media_skey *k = skey(m, s);

	hp_json_hex32(j, "ssrc", k->ssrc);
	hp_json_endpoint(j, "src", k->family, k->src, k->sport);
	hp_json_endpoint(j, "dst", k->family, k->dst, k->dport);
	hp_json_cstr(j, "codec", s->codec);
	if (s->codec_pt != HP_RTP_NO_PT)
		hp_json_u64(j, "pt", s->codec_pt);
	hp_json_cstr(j, "direction", hp_media_dir_label(s->dir));
	json_call_id(j, s->d);
}

static int64_t fixed(double v, unsigned decimals)
{
	double scale = decimals == 1 ? 10.0 : decimals == 2 ? 100.0 : 1000.0;
	return (int64_t)llround(v * scale);
}

void media_emit_flat(struct hp_media *m, const struct media_stream *s,
		     const struct hp_silence_result *r, bool final, uint64_t ts_us)
{
	struct hp_json j;

	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "flatline");
	hp_json_bool(&j, "flatline", true);
	hp_json_bool(&j, "final", final);
	hp_json_cstr(&j, "verdict", hp_silence_label(r->verdict));
	json_stream_ids(&j, m, s);
	hp_json_i64(&j, "value", r->flat_value);
	hp_json_u64(&j, "start_us", r->flat_start_us);
	hp_json_u64(&j, "end_us", r->flat_end_us);
	hp_json_u64(&j, "duration_ms", r->flat_duration_ms);
	hp_json_obj_end(&j);
	emit_stream(m, s, HP_HEP_PROTO_LOG, &j, ts_us);
}

static void emit_low_level(struct hp_media *m, const struct media_stream *s,
			   const struct hp_silence_result *r)
{
	struct hp_json j;

	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "low_level");
	json_stream_ids(&j, m, s);
	hp_json_u64(&j, "windows_low_level", r->windows[HP_SILENCE_LOW_LEVEL]);
	hp_json_u64(&j, "windows_flatline", r->windows[HP_SILENCE_FLATLINE]);
	hp_json_u64(&j, "start_us", s->st.first_us);
	hp_json_u64(&j, "end_us", s->st.last_us);
	hp_json_obj_end(&j);
	emit_stream(m, s, HP_HEP_PROTO_LOG, &j, s->st.last_us);
}

/* Verdicts have their own family, apart from hepprobe_media_events_total. */
static void count_verdict(struct hp_media *m, int v)
{
	hp_ctr_inc(m->ctr, HP_CTR_VERDICT_BASE + v);
}

/* The party that sends a direction. */
static const char *sender_name(int dir)
{
	return dir == HP_MEDIA_DIR_CALLER_TO_CALLEE ? "caller"
	       : dir == HP_MEDIA_DIR_CALLEE_TO_CALLER ? "callee" : "unknown";
}

static void emit_clipping(struct hp_media *m, const struct media_stream *s,
			  const struct hp_silence_result *r)
{
	struct hp_json j;

	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "clipping");
	json_stream_ids(&j, m, s);
	hp_json_cstr(&j, "sender", sender_name(s->dir));
	hp_json_u64(&j, "window_ms", (uint64_t)s->sil.window_samples * 1000 / HP_SILENCE_RATE);
	hp_json_u64(&j, "clip_pct_threshold", s->sil.clip_pct);
	hp_json_u64(&j, "clipped_windows", r->clip_windows);
	hp_json_fixed(&j, "max_full_scale_pct", r->clip_max_permille, 1);
	hp_json_u64(&j, "start_us", r->clip_first_us);
	hp_json_u64(&j, "end_us", r->clip_last_end_us);
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0)
		return;
	const struct media_skey *k = skey(m, s);
	media_emit(m, HP_HEP_PROTO_LOG, n, s->d, k->family, k->src, k->dst, k->sport, k->dport,
		   s->st.last_us);
	count_verdict(m, HP_VERDICT_CLIPPING);
}

static const char *verdict_label(int v)
{
	return v == MEDIA_VERDICT_ENCRYPTED ? "encrypted" : hp_silence_label(v);
}

static void emit_stream_end(struct hp_media *m, const struct media_stream *s, int reason,
			    const struct media_stream_sum *sum)
{
	struct hp_json j;

	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "stream_end");
	hp_json_cstr(&j, "reason", media_end_label(reason));
	hp_json_cstr(&j, "verdict", verdict_label(sum->verdict));
	json_stream_ids(&j, m, s);
	hp_json_u64(&j, "packets", sum->packets);
	hp_json_i64(&j, "lost", sum->lost);
	hp_json_u64(&j, "discarded_by_receiver", sum->discarded);
	hp_json_i64(&j, "endpoint_lost", sum->lost + (int64_t)sum->discarded);
	hp_json_u64(&j, "start_us", sum->start_us);
	hp_json_u64(&j, "end_us", sum->end_us);
	hp_json_bool(&j, "heuristic", s->heuristic);
	hp_json_obj_end(&j);
	emit_stream(m, s, HP_HEP_PROTO_LOG, &j, sum->end_us);
}

/* The rest of the RTP-agent report keys Homer's QoS view and heplify-server
 * read (HEP3.md): one final report per stream, so the minimum MOS is the MOS.
 * DIR is 0 for caller->callee (or unknown), 1 for callee->caller; TYPE is
 * HANGUP: this is the stream's final report. */
static void json_qos_keys(struct hp_json *j, const struct hp_media *m,
			  const struct media_stream *s, const struct hp_rtp_summary *q,
			  const struct hp_emodel *em)
{
	const struct media_skey *k = skey(m, s);
	char a[64];

	json_cid_key(j, "CORRELATION_ID", s->d);
	hp_json_u64(j, "TOTAL_PK", q->packets);
	hp_json_u64(j, "EXPECTED_PK", q->expected);
	hp_json_fixed(j, "MAX_JITTER", fixed(q->max_jitter_ms, 3), 3);
	hp_json_fixed(j, "MIN_MOS", fixed(em->mos, 2), 2);
	hp_json_fixed(j, "RFACTOR", fixed(em->r, 1), 1);
	hp_addr_format(k->family, k->src, a, sizeof(a));
	hp_json_cstr(j, "SRC_IP", a);
	hp_json_u64(j, "SRC_PORT", k->sport);
	hp_addr_format(k->family, k->dst, a, sizeof(a));
	hp_json_cstr(j, "DST_IP", a);
	hp_json_u64(j, "DST_PORT", k->dport);
	hp_json_u64(j, "CODEC_PT", s->codec_pt != HP_RTP_NO_PT ? s->codec_pt : 0);
	hp_json_cstr(j, "CODEC_NAME", s->codec);
	hp_json_u64(j, "DIR", s->dir == HP_MEDIA_DIR_CALLEE_TO_CALLER ? 1 : 0);
	hp_json_cstr(j, "TYPE", "HANGUP");
}

/* Type 34. Our fields, then the upper-case keys Homer's tools read: MOS, JITTER
 * (mean interarrival jitter, ms), PACKET_LOSS (packets lost), DELTA (largest gap
 * between packets, ms). lost, loss_pct and PACKET_LOSS are the RFC 3550 figures
 * of the wire (what tshark reports); endpoint_lost adds the packets the receiver
 * discarded for their checksum, and the E-model takes that loss, since the
 * listener hears it. The E-model takes the mean jitter, which describes the
 * whole stream better than the last A.8 estimate. */
static void emit_report(struct hp_media *m, const struct media_stream *s, int reason,
			const struct media_stream_sum *sum, const struct hp_rtp_summary *q)
{
	struct hp_json j;
	struct hp_emodel em;
	int64_t ep_lost = q->lost + (int64_t)sum->discarded;
	double ep_pct = q->expected > 0 ? 100.0 * (double)ep_lost / (double)q->expected : 0.0;

	hp_rtp_emodel(ep_pct > 0 ? ep_pct : 0.0, q->mean_jitter_ms, HP_EMODEL_PATH_DELAY_MS, &em);
	hp_metrics_observe_mos(m->ctr, em.mos);
	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "type", "stream_report");
	json_stream_ids(&j, m, s);
	hp_json_u64(&j, "clock_rate", s->clock);
	hp_json_u64(&j, "start_us", sum->start_us);
	hp_json_u64(&j, "end_us", sum->end_us);
	hp_json_u64(&j, "duration_ms", (sum->end_us - sum->start_us) / 1000);
	hp_json_cstr(&j, "end_reason", media_end_label(reason));
	hp_json_bool(&j, "heuristic", s->heuristic);
	hp_json_u64(&j, "packets", q->packets);
	hp_json_u64(&j, "bytes", q->bytes);
	hp_json_u64(&j, "expected", q->expected);
	hp_json_i64(&j, "lost", q->lost);
	hp_json_fixed(&j, "loss_pct", fixed(q->loss_pct, 2), 2);
	hp_json_u64(&j, "discarded_by_receiver", sum->discarded);
	hp_json_i64(&j, "endpoint_lost", ep_lost);
	hp_json_fixed(&j, "endpoint_loss_pct", fixed(ep_pct, 2), 2);
	hp_json_u64(&j, "duplicates", q->duplicates);
	hp_json_u64(&j, "reordered", q->reordered);
	hp_json_u64(&j, "seq_resets", q->seq_resets);
	hp_json_u64(&j, "cn_packets", q->cn_packets);
	hp_json_u64(&j, "event_packets", q->event_packets);
	hp_json_u64(&j, "jitter_ts", q->jitter_ts);
	hp_json_fixed(&j, "jitter_ms", fixed(q->jitter_ms, 3), 3);
	hp_json_fixed(&j, "max_jitter_ms", fixed(q->max_jitter_ms, 3), 3);
	hp_json_fixed(&j, "mean_jitter_ms", fixed(q->mean_jitter_ms, 3), 3);
	hp_json_fixed(&j, "max_gap_ms", fixed(q->max_gap_ms, 3), 3);
	hp_json_fixed(&j, "r_factor", fixed(em.r, 1), 1);
	hp_json_fixed(&j, "mos", fixed(em.mos, 2), 2);
	hp_json_cstr(&j, "verdict", verdict_label(sum->verdict));
	if (sum->verdict == HP_SILENCE_FLATLINE || sum->verdict == HP_SILENCE_CONSTANT_PAYLOAD)
		hp_json_u64(&j, "flat_ms", sum->flat_ms);
	hp_json_fixed(&j, "MOS", fixed(em.mos, 2), 2);
	hp_json_fixed(&j, "JITTER", fixed(q->mean_jitter_ms, 3), 3);
	hp_json_i64(&j, "PACKET_LOSS", q->lost > 0 ? q->lost : 0);
	hp_json_fixed(&j, "DELTA", fixed(q->max_gap_ms, 3), 3);
	json_qos_keys(&j, m, s, q, &em);
	hp_json_obj_end(&j);
	emit_stream(m, s, HP_HEP_PROTO_QOS_JSON, &j, sum->end_us);
}

static void sum_fill(const struct hp_media *m, const struct media_stream *s,
		     const struct hp_silence_result *r, const struct hp_rtp_summary *q,
		     struct media_stream_sum *out)
{
	const struct media_skey *k = skey(m, s);

	memset(out, 0, sizeof(*out));
	out->family = k->family;
	out->dir = s->dir;
	out->verdict = s->srtp ? MEDIA_VERDICT_ENCRYPTED : (uint8_t)r->verdict;
	out->flat_value = r->flat_value;
	out->sport = k->sport;
	out->dport = k->dport;
	out->ssrc = k->ssrc;
	out->flat_ms = r->flat_duration_ms;
	out->flat_start_us = r->flat_start_us;
	out->start_us = s->st.first_us;
	out->end_us = s->st.last_us;
	out->packets = q->packets;
	out->lost = q->lost;
	out->discarded = s->discarded;
	out->flat_end_us = r->flat_end_us;
	out->have_audio_span = r->have_audio_span;
	out->first_audio_us = r->first_audio_us;
	out->last_audio_end_us = r->last_audio_end_us;
	memcpy(out->src, k->src, 16);
	memcpy(out->dst, k->dst, 16);
	memcpy(out->codec, s->codec, MEDIA_CODEC_NAME);
}

void media_stream_sum(const struct hp_media *m, const struct media_stream *s,
		      struct media_stream_sum *out)
{
	struct hp_silence_result r;
	struct hp_rtp_summary q;

	hp_silence_finish(&s->sil, &r);
	hp_rtp_stats_summary(&s->st, &q);
	sum_fill(m, s, &r, &q, out);
}

void media_stream_end_records(struct hp_media *m, struct media_stream *s, int reason,
			      struct media_stream_sum *sum)
{
	struct hp_silence_result r;
	struct hp_rtp_summary q;

	hp_silence_finish(&s->sil, &r);
	hp_rtp_stats_summary(&s->st, &q);
	sum_fill(m, s, &r, &q, sum);
	if (!s->srtp && r.flagged) {
		if (!s->flat_reported) {
			s->flat_reported = true;
			hp_ctr_inc(m->ctr, HP_CTR_STREAMS_FLAT);
		}
		media_emit_flat(m, s, &r, true, s->st.last_us);
	}
	if (!s->srtp && r.verdict == HP_SILENCE_LOW_LEVEL)
		emit_low_level(m, s, &r);
	if (!s->srtp && r.clipped)
		emit_clipping(m, s, &r);
	emit_stream_end(m, s, reason, sum);
	emit_report(m, s, reason, sum, &q);
}

static int party_dir(int sender)
{
	return sender == MEDIA_CALLER ? HP_MEDIA_DIR_CALLER_TO_CALLEE : HP_MEDIA_DIR_CALLEE_TO_CALLER;
}

/* The announced endpoints of a direction without RTP: the sender's first audio
 * line (expects_rtp() made sure it has one) towards the other party's, if any. */
static void no_rtp_lines(const struct media_dialog *d, int sender, const struct media_line **fl,
			 const struct media_line **tl)
{
	const struct media_party *to = &d->party[sender ^ 1];

	*fl = &d->party[sender].line[0];
	*tl = to->n_line > 0 ? &to->line[0] : NULL;
}

static void json_no_rtp_ends(struct hp_json *j, const struct media_line *fl,
			     const struct media_line *tl)
{
	hp_json_endpoint(j, "src", fl->family, fl->addr, fl->port);
	if (tl != NULL)
		hp_json_endpoint(j, "dst", tl->family, tl->addr, tl->port);
}

void media_emit_no_rtp(struct hp_media *m, const struct media_dialog *d, int sender, int reason,
		       uint64_t ts_us)
{
	const struct media_line *fl, *tl;
	static const char *const dir_names[] = { "", "sendrecv", "sendonly", "recvonly", "inactive" };
	struct hp_json j;

	no_rtp_lines(d, sender, &fl, &tl);
	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "no_rtp");
	hp_json_cstr(&j, "direction", hp_media_dir_label(party_dir(sender)));
	json_call_id(&j, d);
	json_no_rtp_ends(&j, fl, tl);
	hp_json_cstr(&j, "sdp_direction", fl->dir < HP_ARRAY_LEN(dir_names) ? dir_names[fl->dir] : "");
	hp_json_cstr(&j, "reason", media_end_label(reason));
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0)
		return;
	static const uint8_t zero[16];
	media_emit(m, HP_HEP_PROTO_LOG, n, d, fl->family, fl->addr, tl != NULL ? tl->addr : zero,
		   fl->port, tl != NULL ? tl->port : 0, ts_us);
	hp_ctr_inc(m->ctr, HP_CTR_MEDIA_EVENTS);
}

void media_log_call(struct hp_media *m, const struct media_call_sum *c)
{
	if (m->cfg.call_log == 0)
		return;
	m->log[m->log_n % m->cfg.call_log] = *c;
	m->log_n++;
}

/* ------------------------------------------------------------------ call summary */

/* Bounded text without printf: the summary sentence is built when a dialog ends,
 * on the tick path. Output past cap is dropped; buf stays NUL-terminated. */
struct text {
	char *buf;
	size_t cap;
	size_t len;
};

static void text_put(struct text *t, const char *s, size_t n)
{
	size_t room = t->cap - 1 - t->len;

	if (n > room)
		n = room;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_cstr(struct text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

static void text_u64(struct text *t, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	text_put(t, d + sizeof(d) - n, n);
}

static void text_i64(struct text *t, int64_t v)
{
	if (v < 0)
		text_put(t, "-", 1);
	text_u64(t, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

static bool verdict_flat(int v)
{
	return v == HP_SILENCE_FLATLINE || v == HP_SILENCE_CONSTANT_PAYLOAD;
}

/* "flatline (sample 0) for 3.0 s", "constant_payload for 4.2 s", "audio": the
 * verdict as both the call view and the call_summary sentence state it. */
static void text_verdict(struct text *t, const struct media_stream_sum *s)
{
	text_cstr(t, verdict_label(s->verdict));
	if (!verdict_flat(s->verdict))
		return;
	if (s->verdict == HP_SILENCE_FLATLINE) {
		text_cstr(t, " (sample ");
		text_i64(t, s->flat_value);
		text_cstr(t, ")");
	}
	text_cstr(t, " for ");
	text_u64(t, s->flat_ms / 1000);
	text_cstr(t, ".");
	text_u64(t, s->flat_ms % 1000 / 100);
	text_cstr(t, " s");
}

/* One direction of a call: a stream, or an announced direction without RTP (s NULL). */
struct call_entry {
	uint8_t dir;
	uint8_t verdict;
	const struct media_stream_sum *s;
};

#define CALL_ENTRIES (MEDIA_SUM_STREAMS + 2)

/* The entries in report order: caller->callee, callee->caller, then streams of
 * unknown direction; a direction without RTP after that direction's streams. */
static int call_entries(const struct media_call_sum *c, struct call_entry *e)
{
	static const uint8_t order[] = { HP_MEDIA_DIR_CALLER_TO_CALLEE,
					 HP_MEDIA_DIR_CALLEE_TO_CALLER, HP_MEDIA_DIR_UNKNOWN };
	int n = 0;

	for (int o = 0; o < 3; o++) {
		for (int i = 0; i < c->n_streams; i++)
			if (c->s[i].dir == order[o])
				e[n++] = (struct call_entry){ order[o], c->s[i].verdict, &c->s[i] };
		if (o < 2 && c->no_rtp[o])
			e[n++] = (struct call_entry){ order[o], MEDIA_VERDICT_NO_RTP, NULL };
	}
	return n;
}

/* Audio and encrypted media are what a working call carries; the rest is news. */
static bool entry_fault(const struct call_entry *e)
{
	return e->verdict != HP_SILENCE_AUDIO && e->verdict != MEDIA_VERDICT_ENCRYPTED;
}

static void text_entry(struct text *t, const struct call_entry *e)
{
	text_cstr(t, hp_media_dir_label(e->dir));
	switch (e->verdict) {
	case HP_SILENCE_AUDIO:
		text_cstr(t, " has audio");
		break;
	case HP_SILENCE_LOW_LEVEL:
		text_cstr(t, " has only low-level audio");
		break;
	case HP_SILENCE_NO_AUDIO:
		text_cstr(t, " has no audio payload");
		break;
	case MEDIA_VERDICT_ENCRYPTED:
		text_cstr(t, " is encrypted");
		break;
	case MEDIA_VERDICT_NO_RTP:
		text_cstr(t, " has no RTP");
		break;
	default:
		text_cstr(t, " ");
		text_verdict(t, e->s);
		break;
	}
}

/* "caller->callee flatline (sample 0) for 14.7 s while callee->caller has audio":
 * the faulty directions first, joined by "and", then "while" the sound ones.
 * Returns the length written into buf (cap > 0). */
static size_t call_summary_text(const struct media_call_sum *c, char *buf, size_t cap)
{
	struct call_entry e[CALL_ENTRIES];
	struct text t = { .buf = buf, .cap = cap };
	int n = call_entries(c, e);
	bool any = false;

	buf[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		bool first_of_pass = true;
		for (int i = 0; i < n; i++) {
			if (entry_fault(&e[i]) != (pass == 0))
				continue;
			if (any)
				text_cstr(&t, first_of_pass ? " while " : " and ");
			text_entry(&t, &e[i]);
			any = true;
			first_of_pass = false;
		}
	}
	if (!any)
		text_cstr(&t, "no RTP seen");
	return t.len;
}

static void json_entry(struct hp_json *j, const struct media_dialog *d, const struct call_entry *e)
{
	const struct media_stream_sum *s = e->s;

	hp_json_obj_begin(j, NULL);
	hp_json_cstr(j, "direction", hp_media_dir_label(e->dir));
	if (s == NULL) {
		const struct media_line *fl, *tl;
		no_rtp_lines(d, e->dir == HP_MEDIA_DIR_CALLER_TO_CALLEE ? MEDIA_CALLER : MEDIA_CALLEE,
			     &fl, &tl);
		json_no_rtp_ends(j, fl, tl);
		hp_json_cstr(j, "verdict", "no_rtp");
		hp_json_u64(j, "packets", 0);
		hp_json_i64(j, "lost", 0);
		hp_json_u64(j, "flat_ms", 0);
	} else {
		hp_json_endpoint(j, "src", s->family, s->src, s->sport);
		hp_json_endpoint(j, "dst", s->family, s->dst, s->dport);
		hp_json_hex32(j, "ssrc", s->ssrc);
		hp_json_cstr(j, "codec", s->codec);
		hp_json_cstr(j, "verdict", verdict_label(s->verdict));
		hp_json_u64(j, "packets", s->packets);
		hp_json_i64(j, "lost", s->lost);
		hp_json_u64(j, "flat_ms", verdict_flat(s->verdict) ? s->flat_ms : 0);
		if (s->verdict == HP_SILENCE_FLATLINE)
			hp_json_i64(j, "value", s->flat_value);
	}
	hp_json_obj_end(j);
}

void media_emit_call_summary(struct hp_media *m, const struct media_dialog *d,
			     const struct media_call_sum *c)
{
	static const uint8_t zero[16];
	struct call_entry e[CALL_ENTRIES];
	char sentence[MEDIA_SUMMARY_MAX];
	struct hp_json j;
	int n = call_entries(c, e);
	size_t slen = call_summary_text(c, sentence, sizeof(sentence));

	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "call_summary");
	json_call_id(&j, d);
	hp_json_cstr(&j, "end_reason", media_end_label(c->end_reason));
	hp_json_u64(&j, "start_us", c->start_us);
	hp_json_u64(&j, "end_us", c->end_us);
	hp_json_arr_begin(&j, "directions");
	for (int i = 0; i < n; i++)
		json_entry(&j, d, &e[i]);
	hp_json_arr_end(&j);
	if (c->more_streams)
		hp_json_u64(&j, "more_streams", c->more_streams);
	hp_json_str(&j, "summary", sentence, slen);
	hp_json_obj_end(&j);
	size_t len = hp_json_finish(&j);
	if (len == 0)
		return;
	/* The record's addresses: the caller's stream (entries put it first), else the
	 * announced endpoints of a silent direction, else none. */
	if (n > 0 && e[0].s != NULL) {
		const struct media_stream_sum *s = e[0].s;
		media_emit(m, HP_HEP_PROTO_LOG, len, d, s->family, s->src, s->dst, s->sport, s->dport,
			   c->end_us);
	} else if (n > 0) {
		const struct media_line *fl, *tl;
		no_rtp_lines(d, e[0].dir == HP_MEDIA_DIR_CALLER_TO_CALLEE ? MEDIA_CALLER : MEDIA_CALLEE,
			     &fl, &tl);
		media_emit(m, HP_HEP_PROTO_LOG, len, d, fl->family, fl->addr,
			   tl != NULL ? tl->addr : zero, fl->port, tl != NULL ? tl->port : 0, c->end_us);
	} else {
		media_emit(m, HP_HEP_PROTO_LOG, len, d, 4, zero, zero, 0, 0, c->end_us);
	}
	hp_ctr_inc(m->ctr, HP_CTR_MEDIA_EVENTS);
}

/* ------------------------------------------------------------------ verdicts */

/* What a direction's call_verdict says, and the advice that goes with it. */
struct dir_fault {
	const char *kind;
	const char *check;
	uint64_t start_us;
	uint64_t duration_ms;
	const char *position;   /* flat line: "whole", "start", "end", "middle" */
};

/* A flat run this close to a stream's edge starts or ends it. */
#define EDGE_US 1000000ull

static const char *flat_position(const struct media_stream_sum *s)
{
	bool at_start = s->flat_start_us < s->start_us + EDGE_US;
	bool at_end = s->flat_end_us + EDGE_US > s->end_us;

	return at_start && at_end ? "whole" : at_start ? "start" : at_end ? "end" : "middle";
}

static bool dir_fault_of(const struct hp_media *m, const struct call_entry *e,
			 struct dir_fault *f)
{
	const struct media_stream_sum *s = e->s;
	uint64_t late_us = (uint64_t)m->cfg.late_audio_ms * 1000;

	memset(f, 0, sizeof(*f));
	if (e->verdict == MEDIA_VERDICT_NO_RTP) {
		f->kind = "no_rtp";
		f->check = "network: NAT, firewall or a wrong c= address; no RTP was sent or it took another path";
		return true;
	}
	if (s == NULL)
		return false;
	if (verdict_flat(s->verdict)) {
		f->kind = "flatline";
		f->check = "endpoint: RTP flows but the waveform is constant (muted or broken microphone, handset in the headset jack, stuck DSP)";
		f->start_us = s->flat_start_us;
		f->duration_ms = s->flat_ms;
		f->position = flat_position(s);
		return true;
	}
	if (s->verdict == HP_SILENCE_LOW_LEVEL) {
		f->kind = "low_level";
		f->check = "endpoint: only low-level noise, no speech (microphone muted or gain far too low)";
		f->start_us = s->start_us;
		f->duration_ms = (s->end_us - s->start_us) / 1000;
		return true;
	}
	if (s->verdict != HP_SILENCE_AUDIO || !s->have_audio_span)
		return false;
	if (s->first_audio_us >= s->start_us + late_us) {
		f->kind = "late_audio";
		f->check = "endpoint: RTP flowed without speech before audio started (late unmute, media path set up late)";
		f->start_us = s->start_us;
		f->duration_ms = (s->first_audio_us - s->start_us) / 1000;
		return true;
	}
	if (s->end_us >= s->last_audio_end_us + late_us) {
		f->kind = "early_stop";
		f->check = "endpoint: audio stopped while RTP kept flowing (microphone cut, device switched)";
		f->start_us = s->last_audio_end_us;
		f->duration_ms = (s->end_us - s->last_audio_end_us) / 1000;
		return true;
	}
	return false;
}

/* At call end: one event explaining every direction, when at least one of
 * them is faulty. A call whose directions all carried audio gets none: a
 * verdict is an accusation, the call_summary already says all was well. */
void media_emit_call_verdict(struct hp_media *m, const struct media_dialog *d,
			     const struct media_call_sum *c)
{
	static const uint8_t zero[16];
	struct call_entry e[CALL_ENTRIES];
	struct dir_fault f[CALL_ENTRIES];
	int n = call_entries(c, e), faults = 0, first = -1;
	struct hp_json j;

	for (int i = 0; i < n; i++) {
		if (dir_fault_of(m, &e[i], &f[i])) {
			faults++;
			if (first < 0)
				first = i;
		}
	}
	if (faults == 0)
		return;
	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "call_verdict");
	json_call_id(&j, d);
	hp_json_cstr(&j, "verdict", f[first].kind);
	hp_json_cstr(&j, "bad_direction", hp_media_dir_label(e[first].dir));
	hp_json_cstr(&j, "bad_sender", sender_name(e[first].dir));
	hp_json_arr_begin(&j, "directions");
	for (int i = 0; i < n; i++) {
		const struct media_stream_sum *s = e[i].s;
		hp_json_obj_begin(&j, NULL);
		hp_json_cstr(&j, "direction", hp_media_dir_label(e[i].dir));
		hp_json_cstr(&j, "sender", sender_name(e[i].dir));
		if (s != NULL) {
			hp_json_endpoint(&j, "src", s->family, s->src, s->sport);
			hp_json_endpoint(&j, "dst", s->family, s->dst, s->dport);
			hp_json_hex32(&j, "ssrc", s->ssrc);
		} else {
			const struct media_line *fl, *tl;
			no_rtp_lines(d, e[i].dir == HP_MEDIA_DIR_CALLER_TO_CALLEE ? MEDIA_CALLER
										 : MEDIA_CALLEE, &fl, &tl);
			json_no_rtp_ends(&j, fl, tl);
		}
		bool bad = f[i].kind != NULL;
		hp_json_cstr(&j, "verdict", bad ? f[i].kind : verdict_label(e[i].verdict));
		if (bad) {
			if (f[i].position != NULL)
				hp_json_cstr(&j, "position", f[i].position);
			if (s != NULL) {
				hp_json_u64(&j, "start_us", f[i].start_us);
				hp_json_u64(&j, "duration_ms", f[i].duration_ms);
			}
			hp_json_cstr(&j, "check", f[i].check);
		}
		hp_json_obj_end(&j);
	}
	hp_json_arr_end(&j);
	hp_json_obj_end(&j);
	size_t len = hp_json_finish(&j);
	if (len == 0)
		return;
	const struct media_stream_sum *s = e[first].s;
	if (s != NULL) {
		media_emit(m, HP_HEP_PROTO_LOG, len, d, s->family, s->src, s->dst, s->sport, s->dport,
			   c->end_us);
	} else {
		const struct media_line *fl, *tl;
		no_rtp_lines(d, e[first].dir == HP_MEDIA_DIR_CALLER_TO_CALLEE ? MEDIA_CALLER
									  : MEDIA_CALLEE, &fl, &tl);
		media_emit(m, HP_HEP_PROTO_LOG, len, d, fl->family, fl->addr,
			   tl != NULL ? tl->addr : zero, fl->port, tl != NULL ? tl->port : 0, c->end_us);
	}
	count_verdict(m, HP_VERDICT_CALL_VERDICT);
}

void media_emit_sdp_mismatch(struct hp_media *m, const struct media_dialog *d, int party,
			     const char *kind, int family, const uint8_t *ann_addr,
			     uint16_t ann_port, const uint8_t *obs_addr, uint16_t obs_port,
			     const uint8_t *peer_addr, uint16_t peer_port, uint64_t ts_us)
{
	struct hp_json j;

	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "sdp_address_mismatch");
	json_call_id(&j, d);
	hp_json_cstr(&j, "kind", kind);
	hp_json_cstr(&j, "party", party == MEDIA_CALLER ? "caller" : "callee");
	hp_json_endpoint(&j, "announced", family, ann_addr, ann_port);
	hp_json_endpoint(&j, "observed", family, obs_addr, obs_port);
	hp_json_endpoint(&j, "peer", family, peer_addr, peer_port);
	hp_json_cstr(&j, "check", strcmp(kind, "rtp_source") == 0
		     ? "NAT without a fixing SBC: the far end must latch onto the observed source (symmetric RTP, RFC 4961) or an SBC must rewrite c="
		     : "a private address announced across a NAT: media sent to it cannot arrive; fix the SDP at an SBC or ALG, or use STUN/ICE on the phone");
	hp_json_u64(&j, "ts_us", ts_us);
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0)
		return;
	media_emit(m, HP_HEP_PROTO_LOG, n, d, (uint8_t)family, obs_addr, peer_addr, obs_port,
		   peer_port, ts_us);
	count_verdict(m, HP_VERDICT_SDP_ADDRESS_MISMATCH);
}

void media_emit_checksum_discarded(struct hp_media *m, const struct media_dialog *d,
				   uint64_t ts_us)
{
	const struct media_discard *x = &d->disc;
	struct hp_json j;

	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "sip_checksum_discarded");
	json_call_id(&j, d);
	hp_json_endpoint(&j, "sending_host", x->family, x->src, x->sport);
	hp_json_endpoint(&j, "receiving_host", x->family, x->dst, x->dport);
	hp_json_cstr(&j, "method", x->method);
	hp_json_u64(&j, "cseq", x->cseq);
	hp_json_u64(&j, "discarded", x->n);
	hp_json_u64(&j, "discarded_requests", x->requests);
	hp_json_cstr(&j, "checksum", hp_csum_verdict_label(x->verdict));
	hp_json_bool(&j, "answered", false);
	hp_json_u64(&j, "first_us", x->first_us);
	hp_json_u64(&j, "last_us", x->last_us);
	hp_json_cstr(&j, "check", "the call failed on the wire: the receiver dropped every copy for its UDP checksum; look at the sending host's NIC checksum offload");
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0)
		return;
	media_emit(m, HP_HEP_PROTO_LOG, n, d, x->family, x->src, x->dst, x->sport, x->dport, ts_us);
	count_verdict(m, HP_VERDICT_SIP_CHECKSUM_DISCARDED);
}

static void json_reg_addr(struct hp_json *j, const char *key, const struct hp_register_addr *a)
{
	hp_json_endpoint(j, key, a->family, a->addr, a->port);
}

void media_emit_register_change(struct hp_media *m, const struct hp_register_change *c)
{
	struct hp_json j;

	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "register_target_change");
	hp_json_cstr(&j, "aor", c->aor);
	hp_json_cstr(&j, "contact", c->contact);
	hp_json_cstr(&j, "call_id", c->call_id);
	json_reg_addr(&j, "client", &c->client);
	json_reg_addr(&j, "old_server", &c->old_server);
	json_reg_addr(&j, "new_server", &c->new_server);
	hp_json_u64(&j, "old_registered_us", c->old_registered_us);
	hp_json_u64(&j, "new_registered_us", c->new_registered_us);
	hp_json_u64(&j, "interval_ms", (c->new_registered_us - c->old_registered_us) / 1000);
	hp_json_u64(&j, "old_valid_for_ms", (c->old_expires_us - c->new_registered_us) / 1000);
	hp_json_u64(&j, "expires_s", c->expires_s);
	hp_json_cstr(&j, "check", "the UA moved to another server while still registered at the first (rotating DNS answers over UDP): the new NAT binding breaks calls to it; pin the server or use TCP/TLS");
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0)
		return;
	struct hp_str aor = { c->aor, (uint32_t)strlen(c->aor) };
	media_emit_cid(m, HP_HEP_PROTO_LOG, n, aor, c->client.family, c->client.addr,
		       c->new_server.addr, c->client.port, c->new_server.port, c->new_registered_us);
	count_verdict(m, HP_VERDICT_REGISTER_TARGET_CHANGE);
}

/* The flow as a correlation id: "udp:SRC:PORT->DST:PORT". */
static size_t flow_id(const struct hp_pkt *pkt, char *buf, size_t cap)
{
	struct text t = { .buf = buf, .cap = cap };
	char a[64];

	text_cstr(&t, "udp:");
	for (int side = 0; side < 2; side++) {
		const uint8_t *addr = side ? pkt->dst_addr : pkt->src_addr;
		hp_addr_format(pkt->ip_version, addr, a, sizeof(a));
		if (side)
			text_cstr(&t, "->");
		if (pkt->ip_version == 6)
			text_cstr(&t, "[");
		text_cstr(&t, a);
		text_cstr(&t, pkt->ip_version == 6 ? "]:" : ":");
		text_u64(&t, side ? pkt->dst_port : pkt->src_port);
	}
	return t.len;
}

/* Bytes of the refused message's first line kept in the event. */
#define PARSE_ERR_LINE 120

void media_emit_parse_error(struct hp_media *m, const struct hp_pkt *pkt, int reason,
			    uint64_t ts_us)
{
	char fid[128];
	size_t fl = flow_id(pkt, fid, sizeof(fid));
	size_t ll = 0;
	struct hp_json j;

	while (ll < pkt->payload_len && ll < PARSE_ERR_LINE && pkt->payload[ll] != '\r' &&
	       pkt->payload[ll] != '\n')
		ll++;
	hp_json_init(&j, m->buf, sizeof(m->buf));
	hp_json_obj_begin(&j, NULL);
	hp_json_cstr(&j, "event", "sip_parse_error");
	hp_json_cstr(&j, "reason", hp_reason_label(reason));
	hp_json_cstr(&j, "transport", "udp");
	hp_json_endpoint(&j, "src", pkt->ip_version, pkt->src_addr, pkt->src_port);
	hp_json_endpoint(&j, "dst", pkt->ip_version, pkt->dst_addr, pkt->dst_port);
	hp_json_str(&j, "first_line", ll > 0 ? (const char *)pkt->payload : "", ll);
	hp_json_u64(&j, "length", pkt->payload_len);
	hp_json_u64(&j, "ts_us", ts_us);
	hp_json_cstr(&j, "check", "the receiver cannot parse this message and drops it; look at the sender's SIP stack or an ALG rewriting it");
	hp_json_obj_end(&j);
	size_t n = hp_json_finish(&j);
	if (n == 0)
		return;
	struct hp_str cid = { fid, (uint32_t)fl };
	media_emit_cid(m, HP_HEP_PROTO_LOG, n, cid, pkt->ip_version, pkt->src_addr, pkt->dst_addr,
		       pkt->src_port, pkt->dst_port, ts_us);
	count_verdict(m, HP_VERDICT_SIP_PARSE_ERROR);
}

/* ------------------------------------------------------------------ call view */

struct out {
	char *buf;
	size_t cap;
	size_t len;
	size_t line_start;
	bool full;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		/* Keep whole lines only. */
		o->full = true;
		o->len = o->line_start;
		o->buf[o->len] = '\0';
		return;
	}
	o->len += (size_t)n;
}

static void out_endpoint(struct out *o, int family, const uint8_t *addr, uint16_t port)
{
	char a[64];

	hp_addr_format(family, addr, a, sizeof(a));
	outf(o, family == 6 ? "[%s]:%u" : "%s:%u", a, (unsigned)port);
}

static void out_clock(struct out *o, uint64_t us)
{
	uint64_t s = us / 1000000;
	outf(o, "%02u:%02u:%02u", (unsigned)(s / 3600 % 24), (unsigned)(s / 60 % 60),
	     (unsigned)(s % 60));
}

static void out_stream(struct out *o, const struct media_stream_sum *s)
{
	outf(o, "%s ", hp_media_dir_label(s->dir));
	out_endpoint(o, s->family, s->src, s->sport);
	outf(o, " -> ");
	out_endpoint(o, s->family, s->dst, s->dport);
	char v[96];
	struct text t = { .buf = v, .cap = sizeof(v) };

	text_verdict(&t, s);
	outf(o, " %s %s", s->codec[0] ? s->codec : "?", v);
	if (verdict_flat(s->verdict)) {
		outf(o, " from ");
		out_clock(o, s->flat_start_us);
	}
	outf(o, ", %llu packets, %lld lost", (unsigned long long)s->packets, (long long)s->lost);
}

static void out_call(struct out *o, const struct media_call_sum *c)
{
	if (o->full)
		return;
	o->line_start = o->len;
	if (c->cid_len > 0)
		outf(o, "Call-ID %.*s", (int)c->cid_len, c->cid);
	else
		outf(o, "Call-ID -");
	if (c->live)
		outf(o, " (live)");
	else
		outf(o, " (%s)", media_end_label(c->end_reason));
	outf(o, ":");
	for (int i = 0; i < c->n_streams; i++) {
		outf(o, i ? "; " : " ");
		out_stream(o, &c->s[i]);
	}
	if (c->more_streams)
		outf(o, "; %u more streams", (unsigned)c->more_streams);
	for (int p = 0; p < 2; p++)
		if (c->no_rtp[p])
			outf(o, "; no RTP %s", hp_media_dir_label(p == MEDIA_CALLER
					? HP_MEDIA_DIR_CALLER_TO_CALLEE : HP_MEDIA_DIR_CALLEE_TO_CALLER));
	if (c->n_streams == 0 && !c->no_rtp[0] && !c->no_rtp[1]) {
		outf(o, " no RTP seen\n");
		return;
	}
	outf(o, "\n");
	/* The sentence of the call_summary event, for calls that are dialogs. */
	if (c->cid_len > 0) {
		char sentence[MEDIA_SUMMARY_MAX];
		call_summary_text(c, sentence, sizeof(sentence));
		outf(o, "  summary: %s\n", sentence);
	}
}

struct render_ctx {
	const struct hp_media *m;
	struct out *o;
};

static void render_dialog(void *value, void *arg)
{
	const struct render_ctx *rc = arg;
	const struct media_dialog *d = value;
	struct media_call_sum c;

	memset(&c, 0, sizeof(c));
	c.live = true;
	c.start_us = d->created_us;
	c.cid_len = (uint16_t)(d->call_id_len < MEDIA_LOG_CID ? d->call_id_len : MEDIA_LOG_CID);
	memcpy(c.cid, d->call_id, c.cid_len);
	memcpy(c.s, d->ended, sizeof(c.s));
	c.n_streams = d->n_ended;
	c.more_streams = d->more_ended;
	for (const struct media_stream *s = d->streams; s != NULL; s = s->next) {
		if (c.n_streams < MEDIA_SUM_STREAMS)
			media_stream_sum(rc->m, s, &c.s[c.n_streams++]);
		else if (c.more_streams < 0xFF)
			c.more_streams++;
	}
	out_call(rc->o, &c);
}

static void render_stream(void *value, void *arg)
{
	const struct render_ctx *rc = arg;
	const struct media_stream *s = value;
	struct media_call_sum c;

	if (s->d != NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.live = true;
	c.n_streams = 1;
	media_stream_sum(rc->m, s, &c.s[0]);
	out_call(rc->o, &c);
}

size_t hp_media_render_calls(const struct hp_media *m, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	struct render_ctx rc = { .m = m, .o = &o };

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	if (m->cfg.call_log > 0) {
		uint64_t first = m->log_n > m->cfg.call_log ? m->log_n - m->cfg.call_log : 0;
		for (uint64_t i = first; i < m->log_n; i++)
			out_call(&o, &m->log[i % m->cfg.call_log]);
	}
	hp_flowtab_foreach(m->dialogs, render_dialog, &rc);
	hp_flowtab_foreach(m->streams, render_stream, &rc);
	return o.len;
}
