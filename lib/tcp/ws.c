/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP over WebSocket (RFC 7118): the HTTP opening handshake is skipped, then
 * frames (RFC 6455 §5.2) are read; each WebSocket message (a data frame and
 * its continuations, §5.4) carries one SIP message (RFC 7118 §5). A message
 * is decoded only once all its frames are in the stream, so nothing here
 * keeps state between calls beyond the direction's flags: bytes of an
 * unfinished message are left to the caller, who offers them again. */
#include "tcp/tcp_int.h"

#include <string.h>

#include "common/hp_common.h"
#include "sip/sip.h"

enum { WS_CONT = 0x0, WS_TEXT = 0x1, WS_BINARY = 0x2, WS_CLOSE = 0x8, WS_PING = 0x9, WS_PONG = 0xa };

struct ws_frame {
	uint64_t plen;
	uint32_t hl;        /* header bytes, masking key included */
	uint8_t op;
	bool fin;
	bool masked;
	uint8_t key[4];
};

/* 1: a frame header at p, 0: more bytes needed, -1: not a valid header
 * (reserved bits without an extension, §5.2; unknown opcode; a control frame
 * fragmented or over 125 bytes, §5.5; a 64-bit length with its top bit). */
static int ws_header(const uint8_t *p, size_t n, struct ws_frame *f)
{
	if (n < 2)
		return 0;
	f->fin = p[0] & 0x80;
	f->op = p[0] & 0x0f;
	f->masked = p[1] & 0x80;
	f->plen = p[1] & 0x7f;
	f->hl = 2;
	if (p[0] & 0x70)
		return -1;
	if (f->op > WS_BINARY && (f->op < WS_CLOSE || f->op > WS_PONG))
		return -1;
	if (f->plen == 126) {
		if (n < 4)
			return 0;
		f->plen = hp_get_be16(p + 2);
		f->hl = 4;
	} else if (f->plen == 127) {
		if (n < 10)
			return 0;
		f->plen = (uint64_t)hp_get_be32(p + 2) << 32 | hp_get_be32(p + 6);
		if (f->plen >> 63)
			return -1;
		f->hl = 10;
	}
	if (f->op >= WS_CLOSE && (!f->fin || f->plen > 125))
		return -1;
	if (f->masked) {
		if (n < f->hl + 4u)
			return 0;
		memcpy(f->key, p + f->hl, 4);
		f->hl += 4;
	}
	return 1;
}

/* Length of the HTTP head at p (through the empty line), 0 when more bytes
 * are needed, -1 when p is not an HTTP request or response (a capture that
 * starts after the handshake). */
static int64_t http_head(const uint8_t *p, uint32_t n)
{
	static const char get[] = "GET ", http[] = "HTTP/";
	uint32_t lg = n < 4 ? n : 4, lh = n < 5 ? n : 5;

	if (memcmp(p, get, lg) != 0 && memcmp(p, http, lh) != 0)
		return -1;
	for (uint32_t i = 0; i + 4 <= n; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			return (int64_t)i + 4;
	return 0;
}

/* The message is whole: hand its SIP to the sink. */
static void deliver(struct hp_tcp_ctx *c, int d, const uint8_t *m, uint32_t len, uint64_t off)
{
	struct hp_sip_frame fr;
	int rc;

	if (len == 0) {
		c->ev |= HP_TCP_EV_WS_CONTROL;
		return;
	}
	rc = hp_sip_frame(m, len, len + 1, &fr);
	if (rc == HP_R_OK && !fr.complete)
		rc = HP_R_SIP_HEADER_TRUNCATED;
	else if (rc == HP_R_OK && fr.has_content_length && fr.msg_len > len)
		rc = HP_R_SIP_STREAM_BAD_CONTENT_LENGTH;
	if (rc != HP_R_OK)
		hp_tcp_parse_error(c, d, m, len, off, rc, true);
	else
		hp_tcp_emit(c, d, HP_TCP_REC_SIP, m, len, HP_R_OK, off, true);
}

/* Walks the frames of one message; second pass of ws_message(). */
static void ws_process(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t end, uint64_t off)
{
	struct hp_tcp_dir *dd = &c->f->d[d];
	struct ws_frame f = { 0 };
	uint32_t q = 0, total = 0, ndata = 0;
	const uint8_t *single = NULL;
	bool drop = false, any_data = false;

	while (q < end) {
		/* The first pass read these headers whole. */
		if (ws_header(p + q, end - q, &f) <= 0)
			break;
		const uint8_t *pl = p + q + f.hl;
		uint32_t plen = (uint32_t)f.plen;
		c->t->st.ws_frames++;
		q += f.hl + plen;
		if (f.op >= WS_CLOSE) {
			c->ev |= HP_TCP_EV_WS_CONTROL;
			if (f.op == WS_CLOSE)
				dd->ws_close = true;
			continue;
		}
		any_data = true;
		/* The continuations of a message dropped for its size, or
		 * of one whose start was not captured, are dropped too. */
		if (ndata++ == 0)
			drop = f.op == WS_CONT;
		if (drop) {
			c->t->st.discarded_bytes += plen;
			c->ev |= HP_TCP_EV_RESYNC;
			continue;
		}
		if (ndata == 1 && f.fin && !f.masked) {
			single = pl;
		} else {
			/* §5.3: octet i is XORed with key[i mod 4]. */
			uint8_t *dst = c->t->scratch + total;
			for (uint32_t i = 0; i < plen; i++)
				dst[i] = f.masked ? (uint8_t)(pl[i] ^ f.key[i & 3]) : pl[i];
		}
		total += plen;
	}
	if (any_data && !drop)
		deliver(c, d, single ? single : c->t->scratch, total, off);
}

/* One whole message at p: its length, 0 when more bytes are needed. */
static uint32_t ws_message(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t n, uint64_t off)
{
	struct hp_tcp *t = c->t;
	struct hp_tcp_dir *dd = &c->f->d[d];
	/* The caller keeps what is not consumed; it must stay under a buffer. */
	uint64_t limit = t->cfg.buffer_size - 1;
	uint32_t pos = 0;
	bool data_started = false;
	struct ws_frame f;

	for (;;) {
		int r = ws_header(p + pos, n - pos, &f);
		if (r < 0) {
			t->st.ws_malformed++;
			c->ev |= HP_TCP_EV_WS_BAD;
			hp_tcp_parse_error(c, d, p + pos, n - pos < 14 ? n - pos : 14, off + pos,
					   HP_R_WS_MALFORMED, true);
			t->st.discarded_bytes += pos + 1;
			dd->state = HP_TCP_ST_WS_HUNT;
			dd->resync_counts = true;
			return pos + 1;
		}
		if (r == 0) {
			if (n + 14 <= limit)
				return 0;
			t->st.buffer_full++;
			t->st.discarded_bytes += n;
			c->ev |= HP_TCP_EV_BUFFER_FULL;
			dd->state = HP_TCP_ST_WS_HUNT;
			return n;
		}
		uint64_t end = pos + f.hl + f.plen;
		if (end > limit) {
			/* Larger than a buffer: skip it by its length. */
			uint32_t have = end < n ? (uint32_t)end : n;
			t->st.buffer_full++;
			t->st.discarded_bytes += have;
			c->ev |= HP_TCP_EV_BUFFER_FULL;
			dd->skip = end - have;
			dd->state = dd->skip ? HP_TCP_ST_WS_SKIP : HP_TCP_ST_WS_FRAMES;
			return have;
		}
		if (end > n)
			return 0;
		uint32_t start = pos;
		pos = (uint32_t)end;
		if (f.op >= WS_CLOSE) {
			if (!data_started)
				break;
			continue;
		}
		if (f.op != WS_CONT && data_started) {
			/* §5.4: a new data frame before the last one finished:
			 * the unfinished message is dropped, the new one read. */
			t->st.ws_malformed++;
			c->ev |= HP_TCP_EV_WS_BAD;
			hp_tcp_parse_error(c, d, p, start < 14 ? start : 14, off, HP_R_WS_MALFORMED, true);
			t->st.discarded_bytes += start;
			return start;
		}
		data_started = true;
		if (f.fin)
			break;
	}
	ws_process(c, d, p, pos, off);
	return pos;
}

/* Resynchronisation (after lost bytes, a malformed frame, or a capture that
 * starts mid-connection): the offset of the first text or binary frame
 * header whose payload begins with a SIP start line, *found true; else
 * where the bytes worth keeping start (a candidate not yet whole) or n. */
static uint32_t ws_hunt(struct hp_tcp *t, const uint8_t *p, uint32_t n, bool *found)
{
	uint64_t limit = t->cfg.buffer_size - 1;

	*found = false;
	for (uint32_t i = 0; i < n; i++) {
		struct ws_frame f;
		struct hp_sip_frame fr;
		if ((p[i] & 0x7f) != WS_TEXT && (p[i] & 0x7f) != WS_BINARY)
			continue;
		int r = ws_header(p + i, n - i, &f);
		if (r == 0)
			return i;
		/* A frame that could not be kept is no place to restart. */
		if (r < 0 || f.hl + f.plen > limit)
			continue;
		uint32_t want = f.plen < HP_SIP_FRAME_MAX_LINE ? (uint32_t)f.plen : HP_SIP_FRAME_MAX_LINE;
		if (n - i < f.hl + want)
			return i;
		for (uint32_t k = 0; k < want; k++)
			t->scratch[k] = f.masked ? (uint8_t)(p[i + f.hl + k] ^ f.key[k & 3]) : p[i + f.hl + k];
		/* line_len is set once a whole start line was recognised. */
		if (hp_sip_frame(t->scratch, want, (size_t)want + 1, &fr) == HP_R_OK && fr.line_len > 0) {
			*found = true;
			return i;
		}
	}
	return n;
}

uint32_t hp_tcp_ws_consume(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t n, uint64_t off)
{
	struct hp_tcp *t = c->t;
	struct hp_tcp_dir *dd = &c->f->d[d];
	uint32_t i = 0;

	while (i < n) {
		switch (dd->state) {
		case HP_TCP_ST_WS_HTTP: {
			int64_t h = http_head(p + i, n - i);
			if (h < 0) {
				/* Captured after the handshake: find a frame. */
				dd->state = HP_TCP_ST_WS_HUNT;
			} else if (h == 0) {
				if (n - i + 1 < t->cfg.buffer_size)
					return i;
				t->st.ws_malformed++;
				t->st.discarded_bytes += n - i;
				c->ev |= HP_TCP_EV_WS_BAD;
				dd->state = HP_TCP_ST_WS_HUNT;
				return n;
			} else {
				t->st.ws_upgrades++;
				c->ev |= HP_TCP_EV_WS_CONTROL;
				i += (uint32_t)h;
				dd->state = HP_TCP_ST_WS_FRAMES;
			}
			break;
		}
		case HP_TCP_ST_WS_SKIP:
			i += hp_tcp_skipped(c, dd, n - i, HP_TCP_ST_WS_FRAMES);
			break;
		case HP_TCP_ST_WS_HUNT: {
			bool found;
			uint32_t j = ws_hunt(t, p + i, n - i, &found);
			i += j;
			if (!hp_tcp_hunted(c, dd, j, found, HP_TCP_ST_WS_FRAMES))
				return i;
			break;
		}
		default: {
			uint32_t r = ws_message(c, d, p + i, n - i, off + i);
			if (r == 0)
				return i;
			i += r;
		}
		}
	}
	return i;
}
