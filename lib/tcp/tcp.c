/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP stream reassembly for SIP; see tcp.h for the model and the memory
 * formula, tcp_int.h for the per-direction state. */
#include "tcp/tcp_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/hp_common.h"
#include "flowtab/flowtab.h"
#include "sip/sip.h"

void hp_tcp_cfg_defaults(struct hp_tcp_cfg *c)
{
	c->max_flows = 65536;
	c->max_buffers = 1024;
	c->buffer_size = 65536;
	c->max_ooo_segments = 8;
	c->idle_us = 300ull * 1000 * 1000;
}

static size_t value_size(const struct hp_tcp_cfg *c)
{
	return HP_TCP_FLOW_BYTES + 2u * sizeof(struct hp_tcp_range) * c->max_ooo_segments;
}

struct hp_tcp *hp_tcp_create(const struct hp_tcp_cfg *c, uint32_t seed)
{
	if (c->max_flows == 0 || c->max_flows > HP_FLOWTAB_MAX_CAPACITY || c->max_buffers == 0 ||
	    c->buffer_size < HP_TCP_MIN_BUFFER || c->buffer_size > HP_TCP_MAX_BUFFER ||
	    c->max_ooo_segments == 0 || c->max_ooo_segments > HP_TCP_MAX_OOO || c->idle_us == 0)
		return NULL;
	struct hp_tcp *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *c;
	t->seed = seed;
	t->tab = hp_flowtab_create(c->max_flows, sizeof(struct hp_tcp_key), (uint32_t)value_size(c));
	t->bufs = malloc((size_t)c->max_buffers * c->buffer_size);
	t->free_list = malloc((size_t)c->max_buffers * sizeof(uint32_t));
	t->scratch = malloc(c->buffer_size);
	if (t->tab == NULL || t->bufs == NULL || t->free_list == NULL || t->scratch == NULL) {
		hp_tcp_destroy(t);
		return NULL;
	}
	/* Commit the pages now rather than on the packet path. */
	memset(t->bufs, 0, (size_t)c->max_buffers * c->buffer_size);
	memset(t->scratch, 0, c->buffer_size);
	for (uint32_t i = 0; i < c->max_buffers; i++)
		t->free_list[i] = c->max_buffers - 1 - i;
	t->nfree = c->max_buffers;
	return t;
}

void hp_tcp_destroy(struct hp_tcp *t)
{
	if (t == NULL)
		return;
	hp_flowtab_destroy(t->tab);
	free(t->bufs);
	free(t->free_list);
	free(t->scratch);
	free(t);
}

size_t hp_tcp_memory(const struct hp_tcp *t)
{
	return sizeof(*t) + hp_flowtab_memory(t->tab) +
	       (size_t)t->cfg.max_buffers * (t->cfg.buffer_size + sizeof(uint32_t)) +
	       t->cfg.buffer_size;
}

const struct hp_tcp_stats *hp_tcp_stats(const struct hp_tcp *t)
{
	return &t->st;
}

uint32_t hp_tcp_flow_count(const struct hp_tcp *t)
{
	return hp_flowtab_count(t->tab);
}

uint32_t hp_tcp_buffers_used(const struct hp_tcp *t)
{
	return t->cfg.max_buffers - t->nfree;
}

/* ---- flows and keys ---- */

/* Fills k and returns the key side of the sender. */
static int make_key(const struct hp_tcp_seg *s, struct hp_tcp_key *k)
{
	size_t alen = s->version == 6 ? 16 : 4;
	int c = memcmp(s->src, s->dst, alen);
	const uint8_t *lo = s->src, *hi = s->dst;
	uint16_t plo = s->sport, phi = s->dport;

	if (c == 0)
		c = (int)s->sport - (int)s->dport;
	memset(k, 0, sizeof(*k));
	if (c > 0) {
		lo = s->dst;
		hi = s->src;
		plo = s->dport;
		phi = s->sport;
	}
	memcpy(k->a, lo, alen);
	memcpy(k->b, hi, alen);
	k->pa = plo;
	k->pb = phi;
	k->version = s->version == 6 ? 6 : 4;
	return c > 0;
}

static struct hp_tcp_range *ranges(const struct hp_tcp *t, struct hp_tcp_flow *f, int d)
{
	return (struct hp_tcp_range *)((uint8_t *)f + HP_TCP_FLOW_BYTES) +
	       (size_t)d * t->cfg.max_ooo_segments;
}

static uint8_t *buf_of(const struct hp_tcp *t, const struct hp_tcp_dir *dd)
{
	return t->bufs + (size_t)dd->buf * t->cfg.buffer_size;
}

static bool take_buffer(struct hp_tcp *t, struct hp_tcp_dir *dd)
{
	if (dd->buf != HP_TCP_NO_BUF)
		return true;
	if (t->nfree == 0) {
		t->st.buffer_full++;
		return false;
	}
	dd->buf = t->free_list[--t->nfree];
	return true;
}

static void release_if_empty(struct hp_tcp *t, struct hp_tcp_dir *dd)
{
	if (dd->buf == HP_TCP_NO_BUF || dd->have != 0 || dd->nooo != 0)
		return;
	t->free_list[t->nfree++] = dd->buf;
	dd->buf = HP_TCP_NO_BUF;
}

/* The state a direction starts in: at_start when the SYN was seen, so the
 * first byte begins a message. */
static uint8_t start_state(uint8_t mode, bool at_start)
{
	if (mode == HP_TCP_MODE_WS)
		return HP_TCP_ST_WS_HTTP;
	return at_start ? HP_TCP_ST_SYNC : HP_TCP_ST_HUNT;
}

/* Bytes were lost before the next byte: where it is in the message stream is
 * unknown. */
static void lose_sync(struct hp_tcp_flow *f, struct hp_tcp_dir *dd)
{
	dd->skip = 0;
	dd->resync_counts = true;
	if (f->mode == HP_TCP_MODE_WS)
		dd->state = dd->state == HP_TCP_ST_WS_HTTP ? HP_TCP_ST_WS_HTTP : HP_TCP_ST_WS_HUNT;
	else
		dd->state = HP_TCP_ST_HUNT;
}

/* ---- records ---- */

/* A record of direction d: its sender's side of the key is the source. */
static struct hp_tcp_rec rec_of(const struct hp_tcp_ctx *c, int d, enum hp_tcp_rec_kind kind, int reason,
				uint64_t offset, bool websocket)
{
	const struct hp_tcp_key *k = c->key;

	return (struct hp_tcp_rec){
		.kind = kind,
		.from_client_to_server = d == c->f->client,
		.version = k->version,
		.src = d ? k->b : k->a,
		.dst = d ? k->a : k->b,
		.sport = d ? k->pb : k->pa,
		.dport = d ? k->pa : k->pb,
		.reason = reason,
		.stream_offset = offset,
		.websocket = websocket,
	};
}

void hp_tcp_emit(struct hp_tcp_ctx *c, int d, enum hp_tcp_rec_kind kind, const uint8_t *msg,
		 uint32_t len, int reason, uint64_t offset, bool websocket)
{
	struct hp_tcp_rec r = rec_of(c, d, kind, reason, offset, websocket);
	struct hp_tcp_dir *dd = &c->f->d[d];

	r.msg = msg;
	r.len = len;
	if (kind == HP_TCP_REC_SIP) {
		c->t->st.messages++;
		c->msgs++;
		if (dd->perr != HP_R_OK && dd->after < UINT16_MAX)
			dd->after++;
	} else {
		if (c->perr == HP_R_OK)
			c->perr = reason;
		if (dd->perr == HP_R_OK) {
			dd->perr = (uint8_t)reason;
			dd->perr_at = offset;
		}
	}
	if (c->sink != NULL)
		c->sink(c->arg, &r);
}

void hp_tcp_parse_error(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t n,
			uint64_t offset, int reason, bool websocket)
{
	const uint8_t *lf = memchr(p, '\n', n);
	uint32_t l = lf ? (uint32_t)(lf - p) : n;

	if (l > 0 && p[l - 1] == '\r')
		l--;
	if (l > HP_SIP_FRAME_MAX_LINE)
		l = HP_SIP_FRAME_MAX_LINE;
	if (reason != HP_R_WS_MALFORMED)
		c->t->st.parse_errors++;
	hp_tcp_emit(c, d, HP_TCP_REC_PARSE_ERROR, p, l, reason, offset, websocket);
}

/* ---- plain SIP on a stream ---- */

uint32_t hp_tcp_skipped(struct hp_tcp_ctx *c, struct hp_tcp_dir *dd, uint32_t avail, uint8_t next)
{
	uint32_t k = dd->skip < avail ? (uint32_t)dd->skip : avail;

	dd->skip -= k;
	c->t->st.discarded_bytes += k;
	c->ev |= HP_TCP_EV_BUFFER_FULL;
	if (dd->skip == 0)
		dd->state = next;
	return k;
}

bool hp_tcp_hunted(struct hp_tcp_ctx *c, struct hp_tcp_dir *dd, uint32_t skipped, bool found,
		   uint8_t next)
{
	if (skipped > 0) {
		c->t->st.discarded_bytes += skipped;
		c->ev |= HP_TCP_EV_RESYNC;
		dd->resync_counts = true;
	}
	if (!found)
		return false;
	if (dd->resync_counts)
		c->t->st.resyncs++;
	dd->resync_counts = false;
	dd->state = next;
	return true;
}

/* Index just past the first LF in p..n, or n. */
static uint32_t past_line(const uint8_t *p, uint32_t n)
{
	const uint8_t *lf = memchr(p, '\n', n);
	return lf ? (uint32_t)(lf - p) + 1 : n;
}

static uint32_t sip_consume(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t n, uint64_t off)
{
	struct hp_tcp *t = c->t;
	struct hp_tcp_dir *dd = &c->f->d[d];
	uint32_t i = 0;

	while (i < n) {
		if (dd->state == HP_TCP_ST_SKIP) {
			i += hp_tcp_skipped(c, dd, n - i, HP_TCP_ST_SYNC);
		} else if (dd->state == HP_TCP_ST_HUNT) {
			bool found;
			uint32_t j = (uint32_t)hp_sip_frame_sync(p + i, n - i, &found);
			i += j;
			if (!hp_tcp_hunted(c, dd, j, found, HP_TCP_ST_SYNC))
				return i;
		} else if (p[i] == '\r' || p[i] == '\n') {
			/* RFC 5626 §3.5.1: CRLFCRLF ping, CRLF pong, one per run. */
			while (i < n && (p[i] == '\r' || p[i] == '\n'))
				i++;
			t->st.keepalives++;
			c->ev |= HP_TCP_EV_KEEPALIVE;
		} else {
			struct hp_sip_frame fr;
			int rc = hp_sip_frame(p + i, n - i, t->cfg.buffer_size, &fr);
			if (rc != HP_R_OK) {
				hp_tcp_parse_error(c, d, p + i, n - i, off + i, rc, false);
				i += past_line(p + i, n - i);
				dd->state = HP_TCP_ST_HUNT;
				dd->resync_counts = true;
				continue;
			}
			if (!fr.complete)
				return i;
			if (fr.msg_len > n - i) {
				if (fr.msg_len < t->cfg.buffer_size)
					return i;
				/* Its length is known: skip it rather than resynchronise. */
				t->st.buffer_full++;
				dd->skip = fr.msg_len - (n - i);
				dd->state = HP_TCP_ST_SKIP;
				t->st.discarded_bytes += n - i;
				c->ev |= HP_TCP_EV_BUFFER_FULL;
				return n;
			}
			hp_tcp_emit(c, d, HP_TCP_REC_SIP, p + i, fr.msg_len, HP_R_OK, off + i, false);
			i += fr.msg_len;
		}
	}
	return i;
}

static uint32_t consume(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t n, uint64_t off)
{
	if (c->f->mode == HP_TCP_MODE_WS)
		return hp_tcp_ws_consume(c, d, p, n, off);
	return sip_consume(c, d, p, n, off);
}

/* ---- the direction's buffer ---- */

/* End of the held bytes in the buffer. */
static uint32_t held_end(struct hp_tcp *t, struct hp_tcp_flow *f, int d)
{
	struct hp_tcp_dir *dd = &f->d[d];
	return dd->have + (dd->nooo ? ranges(t, f, d)[dd->nooo - 1].end : 0);
}

/* i bytes at the front of the buffer are consumed. */
static void compact(struct hp_tcp *t, struct hp_tcp_flow *f, int d, uint32_t i)
{
	struct hp_tcp_dir *dd = &f->d[d];

	if (i == 0)
		return;
	uint8_t *b = buf_of(t, dd);
	memmove(b, b + i, held_end(t, f, d) - i);
	dd->have -= i;
	dd->offset += i;
}

/* Offer the buffer's in-order bytes to the decoder. */
static void consume_buffer(struct hp_tcp_ctx *c, int d)
{
	struct hp_tcp_dir *dd = &c->f->d[d];

	if (dd->have > 0)
		compact(c->t, c->f, d, consume(c, d, buf_of(c->t, dd), dd->have, dd->offset));
	release_if_empty(c->t, dd);
}

static void remove_first_ranges(struct hp_tcp_range *r, struct hp_tcp_dir *dd, uint32_t k,
				uint32_t adv)
{
	dd->nooo -= k;
	for (uint32_t j = 0; j < dd->nooo; j++) {
		r[j].start = r[k + j].start - adv;
		r[j].end = r[k + j].end - adv;
	}
}

/* Give up on the hole before the first held range: its data becomes the
 * in-order data, decoded after a resynchronisation. */
static void skip_gap(struct hp_tcp_ctx *c, int d)
{
	struct hp_tcp *t = c->t;
	struct hp_tcp_dir *dd = &c->f->d[d];
	struct hp_tcp_range *r = ranges(t, c->f, d);
	uint8_t *b = buf_of(t, dd);
	uint32_t from = dd->have + r[0].start;

	t->st.discarded_bytes += dd->have;
	t->st.gap_bytes += r[0].start;
	t->st.gaps++;
	c->ev |= HP_TCP_EV_GAP;
	memmove(b, b + from, held_end(t, c->f, d) - from);
	dd->offset += from;
	dd->have = r[0].end - r[0].start;
	dd->next_seq += r[0].end;
	remove_first_ranges(r, dd, 1, r[0].end);
	lose_sync(c->f, dd);
	consume_buffer(c, d);
}

/* Nothing is held: give up on the bytes before seq. */
static void jump_to(struct hp_tcp_ctx *c, int d, uint32_t seq)
{
	struct hp_tcp *t = c->t;
	struct hp_tcp_dir *dd = &c->f->d[d];
	uint32_t gap = seq - dd->next_seq;

	t->st.discarded_bytes += dd->have;
	t->st.gap_bytes += gap;
	t->st.gaps++;
	c->ev |= HP_TCP_EV_GAP;
	dd->offset += (uint64_t)dd->have + gap;
	dd->have = 0;
	dd->next_seq = seq;
	release_if_empty(t, dd);
	lose_sync(c->f, dd);
}

/* Deliver what the held data still completes, then drop the rest (FIN, RST,
 * expiry, flush). */
static void drain(struct hp_tcp_ctx *c, int d)
{
	struct hp_tcp_dir *dd = &c->f->d[d];

	while (dd->nooo > 0)
		skip_gap(c, d);
	c->t->st.discarded_bytes += dd->have;
	dd->offset += dd->have;
	dd->have = 0;
	release_if_empty(c->t, dd);
}

/* A whole segment's bytes could not be kept. */
static void lose_bytes(struct hp_tcp_ctx *c, int d, uint32_t n)
{
	struct hp_tcp_dir *dd = &c->f->d[d];

	c->t->st.discarded_bytes += n;
	c->ev |= HP_TCP_EV_BUFFER_FULL;
	dd->offset += n;
	lose_sync(c->f, dd);
}

/* In-order bytes at next_seq. */
static void in_order(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t len)
{
	struct hp_tcp *t = c->t;
	struct hp_tcp_dir *dd = &c->f->d[d];
	struct hp_tcp_range *r = ranges(t, c->f, d);

	if (dd->buf == HP_TCP_NO_BUF) {
		/* Fast path: decode in place, copy only an unfinished tail. */
		dd->next_seq += len;
		uint32_t i = consume(c, d, p, len, dd->offset);
		dd->offset += i;
		if (i == len)
			return;
		if (!take_buffer(t, dd)) {
			lose_bytes(c, d, len - i);
			return;
		}
		memcpy(buf_of(t, dd), p + i, len - i);
		dd->have = len - i;
		return;
	}
	while (len > 0) {
		uint32_t room = t->cfg.buffer_size - dd->have;
		if (room == 0) {
			/* Not reached while the decoders keep less than a buffer. */
			t->st.buffer_full++;
			drain(c, d);
			lose_bytes(c, d, len);
			dd->next_seq += len;
			return;
		}
		uint32_t k = len < room ? len : room, adv = k, merged = 0;
		memcpy(buf_of(t, dd) + dd->have, p, k);
		while (merged < dd->nooo && r[merged].start <= adv) {
			if (r[merged].end > adv)
				adv = r[merged].end;
			merged++;
		}
		remove_first_ranges(r, dd, merged, adv);
		dd->have += adv;
		dd->next_seq += adv;
		if (adv >= len) {
			len = 0;
		} else {
			p += adv;
			len -= adv;
		}
		consume_buffer(c, d);
		if (dd->buf == HP_TCP_NO_BUF && len > 0) {
			in_order(c, d, p, len);
			return;
		}
	}
}

/* Keep bytes that start rel (> 0) past next_seq. False when they cannot be
 * kept (outside the buffer, too many ranges, no buffer). */
static bool hold(struct hp_tcp_ctx *c, int d, uint32_t rel, const uint8_t *p, uint32_t len)
{
	struct hp_tcp *t = c->t;
	struct hp_tcp_dir *dd = &c->f->d[d];
	struct hp_tcp_range *r = ranges(t, c->f, d);
	uint32_t s = rel, e, i = 0, j;

	if ((uint64_t)rel + len > (uint64_t)t->cfg.buffer_size - dd->have)
		return false;
	e = rel + len;
	while (i < dd->nooo && r[i].end < s)
		i++;
	j = i;
	while (j < dd->nooo && r[j].start <= e)
		j++;
	if (j == i + 1 && r[i].start <= s && r[i].end >= e) {
		t->st.retransmitted_bytes += len;
		c->ev |= HP_TCP_EV_RETRANS;
		return true;
	}
	if (dd->nooo - (j - i) + 1 > t->cfg.max_ooo_segments || !take_buffer(t, dd))
		return false;
	memcpy(buf_of(t, dd) + dd->have + rel, p, len);
	if (j > i) {
		if (r[i].start < s)
			s = r[i].start;
		if (r[j - 1].end > e)
			e = r[j - 1].end;
	}
	/* Replace ranges i..j-1 by the one [s, e). */
	uint32_t tail = dd->nooo - j;
	memmove(&r[i + 1], &r[j], tail * sizeof(*r));
	r[i] = (struct hp_tcp_range){ s, e };
	dd->nooo = i + 1 + tail;
	t->st.ooo_held++;
	c->ev |= HP_TCP_EV_HELD;
	return true;
}

/* TLS record header (RFC 8446 §5.1, RFC 5246 §6.2.1): content type 20..23
 * (a ClientHello is 22), legacy version 3.x. */
static bool looks_tls(const uint8_t *p, uint32_t len)
{
	return len >= 3 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03 && p[2] <= 0x04;
}

static void become_tls(struct hp_tcp_ctx *c)
{
	for (int d = 0; d < 2; d++)
		drain(c, d);
	c->f->mode = HP_TCP_MODE_TLS;
	c->t->st.tls_flows++;
}

static void data(struct hp_tcp_ctx *c, int d, uint32_t seq, const uint8_t *p, uint32_t len)
{
	struct hp_tcp *t = c->t;
	struct hp_tcp_dir *dd = &c->f->d[d];

	for (;;) {
		int32_t rel = (int32_t)(seq - dd->next_seq);
		if (rel <= 0) {
			uint32_t dup = (uint32_t)0 - (uint32_t)rel;
			if (dup >= len) {
				t->st.retransmitted_bytes += len;
				c->ev |= HP_TCP_EV_RETRANS;
				return;
			}
			t->st.retransmitted_bytes += dup;
			p += dup;
			len -= dup;
			if (c->f->mode == HP_TCP_MODE_SIP && dd->offset == 0 && dd->have == 0 &&
			    dd->nooo == 0 && looks_tls(p, len)) {
				become_tls(c);
				return;
			}
			in_order(c, d, p, len);
			if (dd->have > 0)
				c->ev |= HP_TCP_EV_HELD;
			return;
		}
		if (hold(c, d, (uint32_t)rel, p, len))
			return;
		if (dd->nooo > 0)
			skip_gap(c, d);
		else
			jump_to(c, d, seq);
	}
}

/* ---- segments ---- */

static void init_flow(struct hp_tcp_flow *f, enum hp_tcp_mode mode, const struct hp_tcp_seg *s, int d)
{
	f->mode = (uint8_t)mode;
	/* Without a SYN, the ephemeral (higher) port is the client's. */
	if ((s->flags & HP_TCP_SYN) || s->sport == s->dport)
		f->client = (uint8_t)((s->flags & (HP_TCP_SYN | HP_TCP_ACK)) == (HP_TCP_SYN | HP_TCP_ACK) ?
				      !d : d);
	else
		f->client = (uint8_t)(s->sport > s->dport ? d : !d);
	for (int i = 0; i < 2; i++)
		f->d[i].buf = HP_TCP_NO_BUF;
}

/* After the held data is drained: one record per direction that had a
 * parse error, saying how the connection ended. by is the direction whose
 * FIN or RST ended it (-1 for idle expiry and the end of the capture). */
static void report_end(struct hp_tcp_ctx *c, enum hp_tcp_end end, int by)
{
	for (int d = 0; d < 2; d++) {
		const struct hp_tcp_dir *dd = &c->f->d[d];
		if (dd->perr == HP_R_OK || c->sink == NULL)
			continue;
		struct hp_tcp_rec r = rec_of(c, d, HP_TCP_REC_CONN_END, dd->perr, dd->perr_at,
					     c->f->mode == HP_TCP_MODE_WS);
		r.end = end;
		r.end_by_sender = by == d;
		r.after = dd->after;
		c->sink(c->arg, &r);
	}
}

static void close_flow(struct hp_tcp_ctx *c, enum hp_tcp_end end, int by)
{
	for (int d = 0; d < 2; d++)
		drain(c, d);
	report_end(c, end, by);
	c->t->st.flows_closed++;
	hp_flowtab_remove(c->t->tab, c->f);
}

static int verdict(const struct hp_tcp_ctx *c)
{
	static const struct {
		uint32_t ev;
		int reason;
	} order[] = {
		{ HP_TCP_EV_TLS, HP_R_TLS },
		{ HP_TCP_EV_GAP, HP_R_TCP_GAP },
		{ HP_TCP_EV_BUFFER_FULL, HP_R_TCP_BUFFER_FULL },
		{ HP_TCP_EV_WS_BAD, HP_R_WS_MALFORMED },
		{ HP_TCP_EV_HELD, HP_R_TCP_HELD },
		{ HP_TCP_EV_KEEPALIVE, HP_R_TCP_KEEPALIVE },
		{ HP_TCP_EV_WS_CONTROL, HP_R_WS_CONTROL },
		{ HP_TCP_EV_RESYNC, HP_R_TCP_RESYNC },
		{ HP_TCP_EV_RETRANS, HP_R_TCP_RETRANSMISSION },
	};

	if (c->msgs > 0)
		return HP_R_OK;
	if (c->perr != HP_R_OK)
		return c->perr;
	for (size_t i = 0; i < HP_ARRAY_LEN(order); i++)
		if (c->ev & order[i].ev)
			return order[i].reason;
	return HP_R_TCP_CONTROL;
}

/* seq is the SYN this direction's stream started after (a retransmission):
 * stream offset 0 is the byte after it. */
static bool is_own_syn(const struct hp_tcp_dir *dd, uint32_t seq)
{
	return !dd->seq_known || seq + 1 == dd->next_seq - (uint32_t)(dd->offset + dd->have);
}

/* Sequence number bookkeeping before the payload; returns the sequence
 * number of the payload's first byte. */
static uint32_t start_dir(struct hp_tcp_flow *f, int d, const struct hp_tcp_seg *s)
{
	struct hp_tcp_dir *dd = &f->d[d];
	bool syn = s->flags & HP_TCP_SYN;
	/* The SYN takes one sequence number; data follows it. */
	uint32_t seq = syn ? s->seq + 1 : s->seq;

	if (syn)
		f->client = (uint8_t)((s->flags & HP_TCP_ACK) ? !d : d);
	if (!dd->seq_known) {
		dd->next_seq = seq;
		dd->seq_known = true;
		dd->state = start_state(f->mode, syn);
	}
	return seq;
}

int hp_tcp_segment(struct hp_tcp *t, const struct hp_tcp_seg *s, enum hp_tcp_mode new_mode,
		   uint64_t now_us, hp_tcp_sink_fn sink, void *arg)
{
	struct hp_tcp_key k;
	int d = make_key(s, &k);
	uint32_t h = hp_flowtab_hash(&k, sizeof(k), t->seed);
	struct hp_tcp_flow *f = hp_flowtab_lookup(t->tab, &k, h);
	uint32_t old_msgs = 0;

	if (f != NULL && (s->flags & (HP_TCP_SYN | HP_TCP_ACK | HP_TCP_RST)) == HP_TCP_SYN &&
	    !is_own_syn(&f->d[d], s->seq)) {
		/* A new SYN on a known address pair: the client port was
		 * reused for a new connection (the old one ended unseen). */
		struct hp_tcp_ctx old = { .t = t, .f = f, .key = hp_flowtab_key(t->tab, f), .sink = sink,
					  .arg = arg };
		close_flow(&old, HP_TCP_END_IDLE, -1);
		old_msgs = old.msgs;
		f = NULL;
	}
	if (f == NULL) {
		bool created;
		/* Messages the old connection still completed count for this frame. */
		if (new_mode == HP_TCP_MODE_NONE)
			return old_msgs ? HP_R_OK : HP_R_TCP_NOT_SIP;
		/* A bare ACK, FIN or RST of an unknown connection starts nothing
		 * (a port-reuse SYN is never bare). */
		if (s->len == 0 && !(s->flags & HP_TCP_SYN))
			return HP_R_TCP_CONTROL;
		f = hp_flowtab_insert(t->tab, &k, h, now_us, &created);
		if (f == NULL) {
			t->st.flow_table_full++;
			return old_msgs ? HP_R_OK : HP_R_TCP_FLOW_TABLE_FULL;
		}
		init_flow(f, new_mode, s, d);
		t->st.flows++;
		if (new_mode == HP_TCP_MODE_TLS)
			t->st.tls_flows++;
	} else {
		hp_flowtab_touch(t->tab, f, now_us);
	}

	struct hp_tcp_ctx c = { .t = t, .f = f, .key = hp_flowtab_key(t->tab, f), .sink = sink, .arg = arg,
				.msgs = old_msgs };
	struct hp_tcp_dir *dd = &f->d[d];

	if (s->flags & HP_TCP_RST) {
		close_flow(&c, HP_TCP_END_RST, d);
		return verdict(&c);
	}
	uint32_t seq = start_dir(f, d, s);
	if (f->mode == HP_TCP_MODE_TLS) {
		t->st.tls_bytes += s->len;
		if (s->len > 0)
			c.ev |= HP_TCP_EV_TLS;
	} else if (s->len > 0) {
		if (dd->fin) {
			t->st.retransmitted_bytes += s->len;
			c.ev |= HP_TCP_EV_RETRANS;
		} else {
			data(&c, d, seq, s->payload, s->len);
		}
		if (f->mode == HP_TCP_MODE_TLS) {
			t->st.tls_bytes += s->len;
			c.ev |= HP_TCP_EV_TLS;
		}
	}
	if (s->flags & HP_TCP_FIN) {
		drain(&c, d);
		if (!dd->fin && !f->d[!d].fin)
			f->fin_first = (uint8_t)d;
		dd->fin = true;
	}
	if ((f->d[0].fin && f->d[1].fin) || (f->d[0].ws_close && f->d[1].ws_close))
		/* Ended by whoever closed first: the other FIN is the answer. */
		close_flow(&c, HP_TCP_END_FIN, f->d[0].fin && f->d[1].fin ? f->fin_first : -1);
	return verdict(&c);
}

bool hp_tcp_is_tracked(struct hp_tcp *t, const struct hp_tcp_seg *s)
{
	struct hp_tcp_key k;

	make_key(s, &k);
	return hp_flowtab_lookup(t->tab, &k, hp_flowtab_hash(&k, sizeof(k), t->seed)) != NULL;
}

/* ---- expiry ---- */

struct expire_arg {
	struct hp_tcp *t;
	hp_tcp_sink_fn sink;
	void *arg;
	bool remove;
};

static void expire_one(void *value, void *arg)
{
	struct expire_arg *a = arg;
	struct hp_tcp_ctx c = { .t = a->t, .f = value, .key = hp_flowtab_key(a->t->tab, value),
				.sink = a->sink, .arg = a->arg };

	for (int d = 0; d < 2; d++)
		drain(&c, d);
	report_end(&c, a->remove ? HP_TCP_END_CAPTURE : HP_TCP_END_IDLE, -1);
	a->t->st.flows_expired++;
	if (a->remove)
		hp_flowtab_remove(a->t->tab, value);
}

uint32_t hp_tcp_expire(struct hp_tcp *t, uint64_t now_us, hp_tcp_sink_fn sink, void *arg)
{
	struct expire_arg a = { t, sink, arg, false };

	return hp_flowtab_expire(t->tab, now_us, t->cfg.idle_us, UINT32_MAX, expire_one, &a);
}

void hp_tcp_flush(struct hp_tcp *t, hp_tcp_sink_fn sink, void *arg)
{
	struct expire_arg a = { t, sink, arg, true };

	hp_flowtab_foreach(t->tab, expire_one, &a);
}
