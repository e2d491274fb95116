/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/tcp: SIP over TCP and WebSocket stream reassembly, TLS accounting.
 * Segments are built here by hand; every expected message is the exact byte
 * string that was cut into segments, and every count is worked out from the
 * segments a case sends. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp.h"

/* ---- a sink that keeps copies ---- */

#define MAX_RECS 64

struct got {
	int n;
	struct hp_tcp_rec r[MAX_RECS];
	uint8_t *copy[MAX_RECS];
};

static void sink(void *arg, const struct hp_tcp_rec *r)
{
	struct got *g = arg;

	cr_assert_lt(g->n, MAX_RECS);
	g->r[g->n] = *r;
	g->copy[g->n] = malloc(r->len + 1);
	/* A connection-end record carries no bytes (msg NULL). */
	if (r->len > 0)
		memcpy(g->copy[g->n], r->msg, r->len);
	g->n++;
}

static void got_free(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->copy[i]);
	g->n = 0;
}

static void expect_msg(const struct got *g, int i, const char *m, size_t len, uint64_t off)
{
	cr_assert_gt(g->n, i, "record %d missing (have %d)", i, g->n);
	cr_assert_eq(g->r[i].kind, HP_TCP_REC_SIP, "record %d kind", i);
	cr_assert_eq(g->r[i].len, len, "record %d len %u, want %zu", i, g->r[i].len, len);
	cr_assert_eq(memcmp(g->copy[i], m, len), 0, "record %d bytes", i);
	cr_assert_eq(g->r[i].stream_offset, off, "record %d offset %llu, want %llu", i,
		     (unsigned long long)g->r[i].stream_offset, (unsigned long long)off);
}

/* ---- connections and segments ---- */

struct conn {
	uint8_t version;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint32_t cseq, sseq;  /* next sequence number per direction */
};

static struct conn conn4(uint8_t last)
{
	struct conn c = { .version = 4, .cli = { 10, 0, 0, last }, .srv = { 10, 0, 0, 1 },
			  .cport = 40000, .sport = 5060, .cseq = 1000, .sseq = 90000 };
	return c;
}

/* Sends len bytes from the client (to_srv) or the server at its next
 * sequence number plus delta; advances that number only when delta is 0. */
static int send_at(struct hp_tcp *t, struct conn *c, bool to_srv, int32_t delta, uint8_t flags,
		   const void *p, size_t len, uint64_t now, enum hp_tcp_mode mode, struct got *g)
{
	uint32_t *seq = to_srv ? &c->cseq : &c->sseq;
	struct hp_tcp_seg s = {
		.version = c->version,
		.src = to_srv ? c->cli : c->srv,
		.dst = to_srv ? c->srv : c->cli,
		.sport = to_srv ? c->cport : c->sport,
		.dport = to_srv ? c->sport : c->cport,
		.seq = *seq + (uint32_t)delta,
		.flags = flags,
		.payload = p,
		.len = (uint32_t)len,
	};
	int rc = hp_tcp_segment(t, &s, mode, now, sink, g);

	if (delta == 0)
		*seq += (uint32_t)len + ((flags & HP_TCP_SYN) ? 1 : 0);
	return rc;
}

static int send_data(struct hp_tcp *t, struct conn *c, bool to_srv, const void *p, size_t len,
		     struct got *g)
{
	return send_at(t, c, to_srv, 0, HP_TCP_ACK, p, len, 1000, HP_TCP_MODE_SIP, g);
}

static void handshake(struct hp_tcp *t, struct conn *c, enum hp_tcp_mode mode)
{
	cr_assert_eq(send_at(t, c, true, 0, HP_TCP_SYN, NULL, 0, 1000, mode, NULL), HP_R_TCP_CONTROL);
	cr_assert_eq(send_at(t, c, false, 0, HP_TCP_SYN | HP_TCP_ACK, NULL, 0, 1000, mode, NULL),
		     HP_R_TCP_CONTROL);
}

/* A SIP request with a body of body_len 'x' bytes; returns its length. */
static size_t sipmsg(char *out, size_t cap, const char *call_id, size_t body_len)
{
	int n = snprintf(out, cap,
			 "INVITE sip:bob@example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/TCP 10.0.0.2:40000;branch=z9hG4bK%s\r\n"
			 "Call-ID: %s\r\n"
			 "CSeq: 1 INVITE\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 call_id, call_id, body_len);
	cr_assert(n > 0 && (size_t)n + body_len < cap);
	memset(out + n, 'x', body_len);
	out[n + body_len] = '\0';
	return (size_t)n + body_len;
}

static struct hp_tcp *mk(uint32_t flows, uint32_t bufs, uint32_t bufsize, uint32_t ooo)
{
	struct hp_tcp_cfg cfg;

	hp_tcp_cfg_defaults(&cfg);
	cfg.max_flows = flows;
	cfg.max_buffers = bufs;
	cfg.buffer_size = bufsize;
	cfg.max_ooo_segments = ooo;
	cfg.idle_us = 1000000;
	struct hp_tcp *t = hp_tcp_create(&cfg, 0x1234);
	cr_assert_not_null(t);
	return t;
}

/* ---- configuration ---- */

Test(tcp, create_rejects_bad_config_and_reports_memory)
{
	struct hp_tcp_cfg cfg;

	hp_tcp_cfg_defaults(&cfg);
	cr_assert_eq(cfg.max_buffers, 1024);
	cr_assert_eq(cfg.buffer_size, 65536);
	struct hp_tcp_cfg bad = cfg;
	bad.max_flows = 0;
	cr_assert_null(hp_tcp_create(&bad, 1));
	bad = cfg;
	bad.buffer_size = HP_TCP_MIN_BUFFER - 1;
	cr_assert_null(hp_tcp_create(&bad, 1));
	bad = cfg;
	bad.max_ooo_segments = HP_TCP_MAX_OOO + 1;
	cr_assert_null(hp_tcp_create(&bad, 1));
	bad = cfg;
	bad.max_buffers = 0;
	cr_assert_null(hp_tcp_create(&bad, 1));

	struct hp_tcp *t = mk(100, 10, 8192, 4);
	size_t m = hp_tcp_memory(t);
	/* Buffers and scratch at least; the flow table adds ~100 bytes per flow. */
	cr_assert_geq(m, 10u * (8192 + 4) + 8192 + 100u * (HP_TCP_FLOW_BYTES + 64));
	cr_assert_lt(m, 10u * (8192 + 4) + 8192 + 100u * 512 + 4096);
	hp_tcp_destroy(t);
}

/* ---- framing ---- */

Test(tcp, two_messages_in_one_segment_are_reported_in_place)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char seg[2048];
	size_t a = sipmsg(seg, sizeof(seg), "one", 10);
	size_t b = sipmsg(seg + a, sizeof(seg) - a, "two", 0);

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, seg, a + b, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);
	expect_msg(&g, 0, seg, a, 0);
	expect_msg(&g, 1, seg + a, b, a);
	/* No copy: the records point into the segment. */
	cr_assert_eq(g.r[0].msg, (const uint8_t *)seg);
	cr_assert_eq(g.r[1].msg, (const uint8_t *)seg + a);
	cr_assert(g.r[0].from_client_to_server);
	cr_assert_not(g.r[0].websocket);
	cr_assert_eq(g.r[0].sport, 40000);
	cr_assert_eq(g.r[0].dport, 5060);
	cr_assert_eq(memcmp(g.r[0].src, c.cli, 4), 0);
	cr_assert_eq(memcmp(g.r[0].dst, c.srv, 4), 0);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	cr_assert_eq(hp_tcp_stats(t)->messages, 2);
	cr_assert_eq(hp_tcp_stats(t)->flows, 1);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, one_message_over_three_segments)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "three", 100);

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, m, 20, &g), HP_R_TCP_HELD);
	cr_assert_eq(hp_tcp_buffers_used(t), 1);
	cr_assert_eq(send_data(t, &c, true, m + 20, 50, &g), HP_R_TCP_HELD);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(send_data(t, &c, true, m + 70, n - 70, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m, n, 0);
	cr_assert_eq(hp_tcp_buffers_used(t), 0, "the buffer goes back once empty");
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, body_split_and_trailing_partial_is_copied)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[4096];
	size_t a = sipmsg(m, sizeof(m), "first", 300);
	size_t b = sipmsg(m + a, sizeof(m) - a, "second", 200);
	size_t hdr = b - 200;

	handshake(t, &c, HP_TCP_MODE_SIP);
	/* Message 1 whole, then message 2's header and half its body. */
	cr_assert_eq(send_data(t, &c, true, m, a + hdr + 100, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.r[0].msg, (const uint8_t *)m);
	cr_assert_eq(hp_tcp_buffers_used(t), 1);
	cr_assert_eq(send_data(t, &c, true, m + a + hdr + 100, 60, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_data(t, &c, true, m + a + hdr + 160, 40, &g), HP_R_OK);
	expect_msg(&g, 0, m, a, 0);
	expect_msg(&g, 1, m + a, b, a);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, retransmission_and_partial_overlap_deliver_once)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "rtx", 0);
	size_t n2 = sipmsg(m + n, sizeof(m) - n, "ovl", 50);

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, m, n, &g), HP_R_OK);
	/* The same segment again. */
	cr_assert_eq(send_at(t, &c, true, -(int32_t)n, HP_TCP_ACK, m, n, 1000, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_RETRANSMISSION);
	cr_assert_eq(hp_tcp_stats(t)->retransmitted_bytes, n);
	cr_assert_eq(g.n, 1);
	/* Second message: 100 bytes, then a segment re-sending 40 of them. */
	cr_assert_eq(send_data(t, &c, true, m + n, 100, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &c, true, -40, HP_TCP_ACK, m + n + 60, n2 - 60, 1000, HP_TCP_MODE_SIP, &g),
		     HP_R_OK);
	cr_assert_eq(g.n, 2);
	expect_msg(&g, 1, m + n, n2, n);
	cr_assert_eq(hp_tcp_stats(t)->retransmitted_bytes, n + 40);
	cr_assert_eq(hp_tcp_stats(t)->messages, 2);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, out_of_order_held_until_the_gap_fills)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[4096];
	size_t a = sipmsg(m, sizeof(m), "ooo1", 0);
	size_t b = sipmsg(m + a, sizeof(m) - a, "ooo2", 0);

	handshake(t, &c, HP_TCP_MODE_SIP);
	/* Segment 2 (message 2) first, then its retransmission, then segment 1. */
	cr_assert_eq(send_at(t, &c, true, (int32_t)a, HP_TCP_ACK, m + a, b, 1000, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &c, true, (int32_t)a, HP_TCP_ACK, m + a, b, 1000, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_RETRANSMISSION);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(hp_tcp_stats(t)->ooo_held, 1);
	cr_assert_eq(send_data(t, &c, true, m, a, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);
	expect_msg(&g, 0, m, a, 0);
	expect_msg(&g, 1, m + a, b, a);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	/* The stream continues after the held bytes. */
	c.cseq += (uint32_t)b;
	cr_assert_eq(send_data(t, &c, true, m, a, &g), HP_R_OK);
	expect_msg(&g, 2, m, a, a + b);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, overlapping_out_of_order_segments_merge)
{
	struct hp_tcp *t = mk(16, 4, 8192, 2);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "merge", 600);

	handshake(t, &c, HP_TCP_MODE_SIP);
	/* [200,300) and [250,400) overlap; [100,220) joins both; with a limit
	 * of 2 ranges, [450,500) still fits only because they merged. */
	cr_assert_eq(send_at(t, &c, true, 200, HP_TCP_ACK, m + 200, 100, 1, HP_TCP_MODE_SIP, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &c, true, 250, HP_TCP_ACK, m + 250, 150, 1, HP_TCP_MODE_SIP, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &c, true, 100, HP_TCP_ACK, m + 100, 120, 1, HP_TCP_MODE_SIP, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &c, true, 450, HP_TCP_ACK, m + 450, 50, 1, HP_TCP_MODE_SIP, &g), HP_R_TCP_HELD);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 0);
	cr_assert_eq(send_at(t, &c, true, 400, HP_TCP_ACK, m + 400, 50, 1, HP_TCP_MODE_SIP, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &c, true, 500, HP_TCP_ACK, m + 500, n - 500, 1, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_HELD);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(send_data(t, &c, true, m, 100, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m, n, 0);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 0);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, in_order_segment_larger_than_the_free_room)
{
	struct hp_tcp *t = mk(16, 4, 4096, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	static char m[16384];
	size_t o[12], l[12], off = 0;

	for (int i = 0; i < 12; i++) {
		char id[8];
		snprintf(id, sizeof(id), "r%d", i);
		o[i] = off;
		l[i] = sipmsg(m + off, sizeof(m) - off, id, 800);
		off += l[i];
	}
	handshake(t, &c, HP_TCP_MODE_SIP);
	/* 900 bytes of message 0 buffered, then 9000 bytes in one segment:
	 * more than the 3196 bytes left in the buffer. */
	cr_assert_eq(send_data(t, &c, true, m, 900, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_data(t, &c, true, m + 900, 9000, &g), HP_R_OK);
	int whole = 0;
	while (whole < 12 && o[whole] + l[whole] <= 9900)
		whole++;
	cr_assert_eq(g.n, whole);
	for (int i = 0; i < whole; i++)
		expect_msg(&g, i, m + o[i], l[i], o[i]);
	cr_assert_eq(send_data(t, &c, true, m + 9900, off - 9900, &g), HP_R_OK);
	cr_assert_eq(g.n, 12);
	expect_msg(&g, 11, m + o[11], l[11], o[11]);
	cr_assert_eq(hp_tcp_stats(t)->buffer_full, 0);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, out_of_order_limit_exceeded_counts_a_gap_and_resyncs)
{
	struct hp_tcp *t = mk(16, 4, 8192, 2);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[8192];
	size_t l[5], o[5], off = 0;

	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof(id), "g%d", i);
		o[i] = off;
		l[i] = sipmsg(m + off, sizeof(m) - off, id, 10);
		off += l[i];
	}
	handshake(t, &c, HP_TCP_MODE_SIP);
	/* Message 0 is lost; 1 and 3 are held as two ranges (the limit); 4
	 * would be a third range. 2 never arrives either. */
	cr_assert_eq(send_at(t, &c, true, (int32_t)o[1], HP_TCP_ACK, m + o[1], l[1], 1, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &c, true, (int32_t)o[3], HP_TCP_ACK, m + o[3], l[3], 1, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_HELD);
	cr_assert_eq(g.n, 0);
	/* Message 4 would start a third range: the first hole (message 0) is
	 * given up, message 1 is delivered, then 4 can be held behind 3. */
	cr_assert_eq(send_at(t, &c, true, (int32_t)o[4] + 40, HP_TCP_ACK, m + o[4] + 40, l[4] - 40, 1,
			     HP_TCP_MODE_SIP, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m + o[1], l[1], o[1]);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 1);
	cr_assert_eq(hp_tcp_stats(t)->gap_bytes, l[0]);
	/* The stream came back at a message boundary: no bytes skipped. */
	cr_assert_eq(hp_tcp_stats(t)->resyncs, 1);
	cr_assert_eq(hp_tcp_stats(t)->discarded_bytes, 0);
	/* FIN: message 2 never came; 3 is delivered, 4 lacks 40 bytes. */
	cr_assert_eq(send_at(t, &c, true, (int32_t)off, HP_TCP_ACK | HP_TCP_FIN, NULL, 0, 1, HP_TCP_MODE_SIP, &g),
		     HP_R_OK);
	cr_assert_eq(g.n, 2);
	expect_msg(&g, 1, m + o[3], l[3], o[3]);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 3);
	cr_assert_eq(hp_tcp_stats(t)->gap_bytes, l[0] + l[2] + 40);
	/* Message 4 without its first 40 bytes has no start line: skipped. */
	cr_assert_eq(hp_tcp_stats(t)->discarded_bytes, l[4] - 40);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, out_of_order_beyond_the_buffer_is_a_gap)
{
	struct hp_tcp *t = mk(16, 4, 4096, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "far", 0);

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, m, 30, &g), HP_R_TCP_HELD);
	/* 10000 bytes ahead does not fit in a 4096-byte buffer. */
	cr_assert_eq(send_at(t, &c, true, 10000, HP_TCP_ACK, m, n, 1, HP_TCP_MODE_SIP, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m, n, 30 + 10000);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 1);
	cr_assert_eq(hp_tcp_stats(t)->gap_bytes, 10000);
	cr_assert_eq(hp_tcp_stats(t)->discarded_bytes, 30, "the partial message before the hole");
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, mid_connection_start_resyncs_on_the_next_start_line)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[4096];
	size_t a = sipmsg(m, sizeof(m), "cut", 40);
	size_t b = sipmsg(m + a, sizeof(m) - a, "whole", 0);

	/* No handshake: the first segment seen starts 50 bytes into message 1.
	 * Its body ends in CRLF: "xxINVITE sip:... SIP/2.0" would be a request
	 * line (of method "xxINVITE"). */
	m[a - 2] = '\r';
	m[a - 1] = '\n';
	cr_assert_eq(send_data(t, &c, true, m + 50, a + b - 50, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m + a, b, a - 50);
	cr_assert_eq(hp_tcp_stats(t)->resyncs, 1);
	cr_assert_eq(hp_tcp_stats(t)->discarded_bytes, a - 50);
	/* Without a SYN the higher port is taken for the client. */
	cr_assert(g.r[0].from_client_to_server);
	/* The server direction starts mid-connection too, at a boundary. */
	char r[] = "SIP/2.0 100 Trying\r\nCall-ID: whole\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";
	cr_assert_eq(send_data(t, &c, false, r, strlen(r), &g), HP_R_OK);
	expect_msg(&g, 1, r, strlen(r), 0);
	cr_assert_not(g.r[1].from_client_to_server);
	cr_assert_eq(hp_tcp_stats(t)->resyncs, 1, "no bytes skipped: not a resync");
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, directions_are_separate_streams)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char q[2048], r[2048];
	size_t nq = sipmsg(q, sizeof(q), "req", 20);
	size_t nr = (size_t)snprintf(r, sizeof(r), "SIP/2.0 200 OK\r\nCall-ID: req\r\nCSeq: 1 INVITE\r\nl: 3\r\n\r\nabc");

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, q, 30, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_data(t, &c, false, r, 10, &g), HP_R_TCP_HELD);
	cr_assert_eq(hp_tcp_buffers_used(t), 2);
	cr_assert_eq(send_data(t, &c, false, r + 10, nr - 10, &g), HP_R_OK);
	cr_assert_eq(send_data(t, &c, true, q + 30, nq - 30, &g), HP_R_OK);
	expect_msg(&g, 0, r, nr, 0);
	cr_assert_not(g.r[0].from_client_to_server);
	cr_assert_eq(g.r[0].sport, 5060);
	expect_msg(&g, 1, q, nq, 0);
	cr_assert(g.r[1].from_client_to_server);
	cr_assert_eq(hp_tcp_flow_count(t), 1);
	got_free(&g);
	hp_tcp_destroy(t);
}

/* ---- connection life ---- */

Test(tcp, fin_both_ways_and_rst_free_the_flow)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2), d = conn4(3);
	struct got g = { 0 };
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "fin", 0);

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, m, 40, &g), HP_R_TCP_HELD);
	/* The rest of the message comes with the FIN. */
	cr_assert_eq(send_at(t, &c, true, 0, HP_TCP_ACK | HP_TCP_FIN, m + 40, n - 40, 1, HP_TCP_MODE_SIP, &g),
		     HP_R_OK);
	cr_assert_eq(hp_tcp_flow_count(t), 1);
	cr_assert_eq(send_at(t, &c, false, 0, HP_TCP_ACK | HP_TCP_FIN, NULL, 0, 1, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_CONTROL);
	cr_assert_eq(hp_tcp_flow_count(t), 0);
	cr_assert_eq(hp_tcp_stats(t)->flows_closed, 1);

	handshake(t, &d, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &d, true, m, 40, &g), HP_R_TCP_HELD);
	cr_assert_eq(hp_tcp_buffers_used(t), 1);
	struct hp_tcp_seg s = { .version = 4, .src = d.srv, .dst = d.cli, .sport = d.sport,
				.dport = d.cport, .seq = d.sseq, .flags = HP_TCP_RST };
	cr_assert(hp_tcp_is_tracked(t, &s));
	cr_assert_eq(hp_tcp_segment(t, &s, HP_TCP_MODE_SIP, 1, sink, &g), HP_R_TCP_CONTROL);
	cr_assert_not(hp_tcp_is_tracked(t, &s));
	cr_assert_eq(hp_tcp_flow_count(t), 0);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	cr_assert_eq(hp_tcp_stats(t)->flows_closed, 2);
	cr_assert_eq(hp_tcp_stats(t)->discarded_bytes, 40);
	/* A lone RST or ACK of an unknown connection creates nothing. */
	cr_assert_eq(hp_tcp_segment(t, &s, HP_TCP_MODE_SIP, 1, sink, &g), HP_R_TCP_CONTROL);
	cr_assert_eq(hp_tcp_flow_count(t), 0);
	cr_assert_eq(g.n, 1);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, a_new_syn_on_a_known_pair_starts_a_new_connection)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "reuse", 0);

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, m, 30, &g), HP_R_TCP_HELD);
	c.cseq = 555555;
	c.sseq = 777777;
	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(hp_tcp_stats(t)->flows, 2);
	cr_assert_eq(hp_tcp_stats(t)->flows_closed, 1);
	cr_assert_eq(send_data(t, &c, true, m, n, &g), HP_R_OK);
	expect_msg(&g, 0, m, n, 0);
	/* A retransmitted SYN is not a new connection. */
	cr_assert_eq(send_at(t, &c, true, -(int32_t)n - 1, HP_TCP_SYN, NULL, 0, 1, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_CONTROL);
	cr_assert_eq(hp_tcp_stats(t)->flows, 2);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, idle_expiry_frees_and_delivers_held_data)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2), d = conn4(3);
	struct got g = { 0 };
	char m[2048];
	size_t a = sipmsg(m, sizeof(m), "late", 0);
	size_t b = sipmsg(m + a, sizeof(m) - a, "held", 0);

	cr_assert_eq(send_at(t, &c, true, 0, HP_TCP_SYN, NULL, 0, 1000, HP_TCP_MODE_SIP, &g), HP_R_TCP_CONTROL);
	/* Message 1 lost, message 2 held out of order. */
	cr_assert_eq(send_at(t, &c, true, (int32_t)a, HP_TCP_ACK, m + a, b, 1000, HP_TCP_MODE_SIP, &g),
		     HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &d, true, 0, HP_TCP_SYN, NULL, 0, 1500000, HP_TCP_MODE_SIP, &g), HP_R_TCP_CONTROL);
	cr_assert_eq(hp_tcp_expire(t, 1000000, sink, &g), 0, "not idle for 1 s yet");
	cr_assert_eq(hp_tcp_expire(t, 1001001, sink, &g), 1);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m + a, b, a);
	cr_assert_eq(hp_tcp_stats(t)->flows_expired, 1);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 1);
	cr_assert_eq(hp_tcp_flow_count(t), 1);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	hp_tcp_flush(t, sink, &g);
	cr_assert_eq(hp_tcp_flow_count(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, flow_table_full_and_untracked_mode)
{
	struct hp_tcp *t = mk(1, 4, 8192, 4);
	struct conn c = conn4(2), d = conn4(3);
	struct got g = { 0 };
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "full", 0);

	cr_assert_eq(send_at(t, &c, true, 0, HP_TCP_ACK, m, n, 1, HP_TCP_MODE_NONE, &g), HP_R_TCP_NOT_SIP);
	cr_assert_eq(hp_tcp_flow_count(t), 0);
	cr_assert_eq(send_data(t, &c, true, m, n, &g), HP_R_OK);
	cr_assert_eq(send_data(t, &d, true, m, n, &g), HP_R_TCP_FLOW_TABLE_FULL);
	cr_assert_eq(hp_tcp_stats(t)->flow_table_full, 1);
	/* A known connection is served whatever new_mode says. */
	cr_assert_eq(send_at(t, &c, true, 0, HP_TCP_ACK, m, n, 1, HP_TCP_MODE_NONE, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, buffer_pool_full_and_message_larger_than_a_buffer)
{
	struct hp_tcp *t = mk(16, 1, 4096, 4);
	struct conn c = conn4(2), d = conn4(3);
	struct got g = { 0 };
	static char m[16384];
	size_t big = sipmsg(m, sizeof(m), "big", 5000);
	size_t n = sipmsg(m + big, sizeof(m) - big, "after", 0);

	handshake(t, &c, HP_TCP_MODE_SIP);
	handshake(t, &d, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, m + big, 20, &g), HP_R_TCP_HELD);
	/* The only buffer is taken: d's partial message cannot be kept. */
	cr_assert_eq(send_data(t, &d, true, m + big, 20, &g), HP_R_TCP_BUFFER_FULL);
	cr_assert_eq(hp_tcp_stats(t)->buffer_full, 1);
	/* d resynchronises: the rest of the message is skipped, the next one read. */
	cr_assert_eq(send_data(t, &d, true, m + big + 20, n - 20, &g), HP_R_TCP_RESYNC);
	cr_assert_eq(send_data(t, &d, true, m + big, n, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(send_data(t, &c, true, m + big + 20, n - 20, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);

	/* A 5000-byte body does not fit a 4096-byte buffer: skipped by its
	 * length, in three segments, and the next message is read. */
	cr_assert_eq(send_data(t, &c, true, m, 1000, &g), HP_R_TCP_BUFFER_FULL);
	cr_assert_eq(send_data(t, &c, true, m + 1000, 3000, &g), HP_R_TCP_BUFFER_FULL);
	cr_assert_eq(send_data(t, &c, true, m + 4000, big - 4000 + n, &g), HP_R_OK);
	cr_assert_eq(g.n, 3);
	expect_msg(&g, 2, m + big, n, n + big);
	cr_assert_eq(hp_tcp_stats(t)->buffer_full, 2);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

/* ---- content ---- */

Test(tcp, parse_error_is_reported_and_the_stream_resyncs)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[4096];
	const char *bad = "HTTP/1.1 400 Bad\r\nServer: x\r\n\r\n";
	size_t nb = strlen(bad);
	memcpy(m, bad, nb);
	size_t n = sipmsg(m + nb, sizeof(m) - nb, "good", 0);
	const char *dup = "SIP/2.0 200 OK\r\nl: 1\r\nContent-Length: 2\r\n\r\nab";

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, m, nb + n, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.r[0].kind, HP_TCP_REC_PARSE_ERROR);
	cr_assert_eq(g.r[0].reason, HP_R_SIP_STREAM_BAD_START_LINE);
	cr_assert_eq(g.r[0].stream_offset, 0);
	cr_assert_eq(g.r[0].len, strlen("HTTP/1.1 400 Bad"));
	cr_assert_eq(memcmp(g.copy[0], "HTTP/1.1 400 Bad", g.r[0].len), 0);
	expect_msg(&g, 1, m + nb, n, nb);
	cr_assert_eq(hp_tcp_stats(t)->parse_errors, 1);
	cr_assert_eq(hp_tcp_stats(t)->resyncs, 1);
	/* Conflicting Content-Length: reported with its reason, alone. */
	cr_assert_eq(send_data(t, &c, true, dup, strlen(dup), &g), HP_R_SIP_STREAM_BAD_CONTENT_LENGTH);
	cr_assert_eq(g.r[2].kind, HP_TCP_REC_PARSE_ERROR);
	cr_assert_eq(g.r[2].stream_offset, nb + n);
	cr_assert_eq(hp_tcp_stats(t)->parse_errors, 2);
	got_free(&g);
	hp_tcp_destroy(t);
}

/* Kamailio closes a connection on a message it cannot parse: the end of
 * such a connection is reported, with who ended it and what came after. */
Test(tcp, connection_end_after_a_parse_error)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(3), q = conn4(4);
	struct got g = { 0 };
	char m[4096];
	const char *bad = "INVITE sip:b@x SIP/2.0\r\nContent-Length: x\r\n\r\n";
	size_t nb = strlen(bad);

	memcpy(m, bad, nb);
	size_t n = sipmsg(m + nb, sizeof(m) - nb, "later", 0);
	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, m, nb + n, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);
	/* The server resets the connection. */
	cr_assert_eq(send_at(t, &c, false, 0, HP_TCP_RST, NULL, 0, 2000, HP_TCP_MODE_SIP, &g), HP_R_TCP_CONTROL);
	cr_assert_eq(g.n, 3);
	cr_assert_eq(g.r[2].kind, HP_TCP_REC_CONN_END);
	cr_assert_eq(g.r[2].reason, HP_R_SIP_STREAM_BAD_CONTENT_LENGTH);
	cr_assert_eq(g.r[2].end, HP_TCP_END_RST);
	cr_assert_not(g.r[2].end_by_sender);
	cr_assert_eq(g.r[2].after, 1);
	cr_assert_eq(g.r[2].stream_offset, 0);
	cr_assert(g.r[2].from_client_to_server);
	cr_assert_eq(g.r[2].sport, c.cport);
	/* A clean connection ends without a report; one left open is reported
	 * at the end of the capture as not closed. */
	handshake(t, &q, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &q, true, bad, nb, &g), HP_R_SIP_STREAM_BAD_CONTENT_LENGTH);
	cr_assert_eq(g.n, 4);
	hp_tcp_flush(t, sink, &g);
	cr_assert_eq(g.n, 5);
	cr_assert_eq(g.r[4].kind, HP_TCP_REC_CONN_END);
	cr_assert_eq(g.r[4].end, HP_TCP_END_CAPTURE);
	cr_assert_eq(g.r[4].after, 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, crlf_keepalives_are_skipped_and_counted)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	char m[2048];

	memcpy(m, "\r\n\r\n", 4);
	size_t n = sipmsg(m + 4, sizeof(m) - 4, "ka", 0);
	memcpy(m + 4 + n, "\r\n", 2);

	handshake(t, &c, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &c, true, "\r\n\r\n", 4, &g), HP_R_TCP_KEEPALIVE);
	cr_assert_eq(send_data(t, &c, false, "\r\n", 2, &g), HP_R_TCP_KEEPALIVE);
	cr_assert_eq(hp_tcp_stats(t)->keepalives, 2);
	cr_assert_eq(send_data(t, &c, true, m, n + 6, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m + 4, n, 8);
	cr_assert_eq(hp_tcp_stats(t)->keepalives, 4);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

/* ---- WebSocket ---- */

/* One frame: FIN/opcode byte b0, masked with key when key is not NULL. */
static size_t wsframe(uint8_t *out, uint8_t b0, const uint8_t *key, const void *pl, size_t n, int lenform)
{
	size_t h = 0;
	uint8_t mbit = key ? 0x80 : 0;

	out[h++] = b0;
	if (lenform == 7) {
		out[h++] = (uint8_t)(mbit | n);
	} else if (lenform == 16) {
		out[h++] = mbit | 126;
		out[h++] = (uint8_t)(n >> 8);
		out[h++] = (uint8_t)n;
	} else {
		out[h++] = mbit | 127;
		for (int i = 7; i >= 0; i--)
			out[h++] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	if (key) {
		memcpy(out + h, key, 4);
		h += 4;
	}
	for (size_t i = 0; i < n; i++)
		out[h + i] = key ? (uint8_t)(((const uint8_t *)pl)[i] ^ key[i & 3]) : ((const uint8_t *)pl)[i];
	return h + n;
}

static const char ws_req[] = "GET / HTTP/1.1\r\nHost: sip.example.com\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			     "Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";
static const char ws_resp[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			      "Connection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n";

static int send_ws(struct hp_tcp *t, struct conn *c, bool to_srv, const void *p, size_t len, struct got *g)
{
	return send_at(t, c, to_srv, 0, HP_TCP_ACK, p, len, 1000, HP_TCP_MODE_WS, g);
}

Test(tcp, websocket_masked_fragmented_and_long_lengths)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	static char m[4096];
	static uint8_t f[8192];
	size_t n = sipmsg(m, sizeof(m), "ws", 200), k = 0;

	handshake(t, &c, HP_TCP_MODE_WS);
	cr_assert_eq(send_ws(t, &c, true, ws_req, strlen(ws_req), &g), HP_R_WS_CONTROL);
	cr_assert_eq(send_ws(t, &c, false, ws_resp, strlen(ws_resp), &g), HP_R_WS_CONTROL);
	cr_assert_eq(hp_tcp_stats(t)->ws_upgrades, 2);

	/* Client -> server: one masked text frame, 16-bit length (n > 125). */
	cr_assert_gt(n, 125);
	k = wsframe(f, 0x81, key, m, n, 16);
	cr_assert_eq(send_ws(t, &c, true, f, k, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m, n, strlen(ws_req));
	cr_assert(g.r[0].websocket);
	cr_assert(g.r[0].from_client_to_server);

	/* Masked, fragmented: text (no FIN) + ping + continuation + continuation
	 * with FIN, over two segments cut inside the second fragment. */
	size_t k1 = wsframe(f, 0x01, key, m, 60, 7);
	k1 += wsframe(f + k1, 0x89, key, "hi", 2, 7);
	size_t k2 = wsframe(f + k1, 0x00, key, m + 60, 100, 7);
	size_t k3 = wsframe(f + k1 + k2, 0x80, key, m + 160, n - 160, 16);
	uint64_t off = strlen(ws_req) + k;
	cr_assert_eq(send_ws(t, &c, true, f, k1 + 30, &g), HP_R_TCP_HELD);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(send_ws(t, &c, true, f + k1 + 30, k2 + k3 - 30, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);
	expect_msg(&g, 1, m, n, off);
	cr_assert_eq(hp_tcp_stats(t)->ws_frames, 5);

	/* Server -> client: unmasked binary with the 64-bit length form: in place. */
	char r[] = "SIP/2.0 200 OK\r\nCall-ID: ws\r\nCSeq: 1 INVITE\r\n\r\n";
	k = wsframe(f, 0x82, NULL, r, strlen(r), 64);
	cr_assert_eq(send_ws(t, &c, false, f, k, &g), HP_R_OK);
	expect_msg(&g, 2, r, strlen(r), strlen(ws_resp));
	cr_assert_eq(g.r[2].msg, f + 10);
	cr_assert_not(g.r[2].from_client_to_server);

	/* A WebSocket message that is not SIP is a parse error. */
	k = wsframe(f, 0x81, key, "hello world\r\n\r\n", 15, 7);
	cr_assert_eq(send_ws(t, &c, true, f, k, &g), HP_R_SIP_STREAM_BAD_START_LINE);
	cr_assert_eq(g.r[3].kind, HP_TCP_REC_PARSE_ERROR);
	cr_assert(g.r[3].websocket);

	/* Close from both sides frees the connection. */
	k = wsframe(f, 0x88, key, "\x03\xe8", 2, 7);
	cr_assert_eq(send_ws(t, &c, true, f, k, &g), HP_R_WS_CONTROL);
	cr_assert_eq(hp_tcp_flow_count(t), 1);
	k = wsframe(f, 0x88, NULL, "\x03\xe8", 2, 7);
	cr_assert_eq(send_ws(t, &c, false, f, k, &g), HP_R_WS_CONTROL);
	cr_assert_eq(hp_tcp_flow_count(t), 0);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, websocket_bad_frame_is_reported_and_the_stream_resyncs)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	static const uint8_t key[4] = { 1, 2, 3, 4 };
	static uint8_t f[4096];
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "bad", 0), k;

	handshake(t, &c, HP_TCP_MODE_WS);
	/* The handshake in two pieces. */
	cr_assert_eq(send_ws(t, &c, true, ws_req, 20, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_ws(t, &c, true, ws_req + 20, strlen(ws_req) - 20, &g), HP_R_WS_CONTROL);
	cr_assert_eq(hp_tcp_stats(t)->ws_upgrades, 1);
	/* Reserved bits set without an extension (RFC 6455 §5.2), then a good frame. */
	f[0] = 0xf1;
	f[1] = 0x05;
	memcpy(f + 2, "abcde", 5);
	k = 7 + wsframe(f + 7, 0x81, key, m, n, 16);
	cr_assert_eq(send_ws(t, &c, true, f, k, &g), HP_R_OK);
	cr_assert_eq(hp_tcp_stats(t)->ws_malformed, 1);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.r[0].kind, HP_TCP_REC_PARSE_ERROR);
	cr_assert_eq(g.r[0].reason, HP_R_WS_MALFORMED);
	cr_assert_eq(g.r[0].stream_offset, strlen(ws_req));
	expect_msg(&g, 1, m, n, strlen(ws_req) + 7);
	cr_assert_eq(hp_tcp_stats(t)->resyncs, 1);
	cr_assert_eq(hp_tcp_stats(t)->discarded_bytes, 7);
	/* §5.4: a new data frame inside a fragmented message drops the
	 * unfinished one; the new one is read. */
	k = wsframe(f, 0x01, key, "INVITE", 6, 7);
	k += wsframe(f + k, 0x81, key, m, n, 16);
	cr_assert_eq(send_ws(t, &c, true, f, k, &g), HP_R_OK);
	cr_assert_eq(g.n, 4);
	cr_assert_eq(g.r[2].reason, HP_R_WS_MALFORMED);
	expect_msg(&g, 3, m, n, g.r[2].stream_offset + 12);
	cr_assert_eq(hp_tcp_stats(t)->ws_malformed, 2);
	got_free(&g);
	hp_tcp_destroy(t);
}

Test(tcp, websocket_mid_connection_gap_and_oversized_message)
{
	struct hp_tcp *t = mk(16, 4, 4096, 4);
	struct conn c = conn4(2);
	struct got g = { 0 };
	static const uint8_t key[4] = { 9, 8, 7, 6 };
	static uint8_t f[16384];
	static char big[6000];
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "mid", 0), k1, k2;

	/* No handshake seen: the capture starts 9 bytes into a frame. */
	k1 = wsframe(f, 0x81, key, m, n, 16);
	k2 = wsframe(f + k1, 0x81, key, m, n, 16);
	cr_assert_eq(send_ws(t, &c, true, f + 9, k1 + k2 - 9, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, m, n, k1 - 9);
	cr_assert_eq(hp_tcp_stats(t)->resyncs, 1);
	/* Lost bytes: 100 bytes ahead of the next expected one. */
	cr_assert_eq(send_at(t, &c, true, 100, HP_TCP_ACK, f, k1, 1, HP_TCP_MODE_WS, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_at(t, &c, true, (int32_t)(100 + k1 + 5000), HP_TCP_ACK, f, k1, 1,
			     HP_TCP_MODE_WS, &g), HP_R_OK, "beyond the buffer: the gap is given up");
	cr_assert_eq(g.n, 3);
	expect_msg(&g, 1, m, n, k1 + k2 - 9 + 100);
	expect_msg(&g, 2, m, n, k1 + k2 - 9 + 100 + k1 + 5000);
	cr_assert_eq(hp_tcp_stats(t)->gaps, 2);
	c.cseq += (uint32_t)(100 + k1 + 5000 + k1);

	/* A 5000-byte fragment (over the 4096-byte buffer) and its
	 * continuation are skipped; the next message is read. */
	memset(big, 'y', sizeof(big));
	k1 = wsframe(f, 0x02, key, big, 5000, 16);
	k1 += wsframe(f + k1, 0x80, key, big, 10, 7);
	k2 = wsframe(f + k1, 0x82, key, m, n, 16);
	uint64_t before = hp_tcp_stats(t)->buffer_full;
	cr_assert_eq(send_ws(t, &c, true, f, 3000, &g), HP_R_TCP_BUFFER_FULL);
	cr_assert_eq(send_ws(t, &c, true, f + 3000, k1 + k2 - 3000, &g), HP_R_OK);
	cr_assert_eq(g.n, 4);
	cr_assert_eq(g.r[3].len, n);
	cr_assert_eq(memcmp(g.copy[3], m, n), 0);
	cr_assert_eq(hp_tcp_stats(t)->buffer_full, before + 1);
	cr_assert_eq(hp_tcp_buffers_used(t), 0);
	got_free(&g);
	hp_tcp_destroy(t);
}

/* ---- TLS ---- */

Test(tcp, tls_flows_and_bytes_are_counted)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = conn4(2), d = conn4(3);
	struct got g = { 0 };
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00 };

	c.sport = d.sport = 5061;
	handshake(t, &c, HP_TCP_MODE_TLS);
	cr_assert_eq(hp_tcp_stats(t)->tls_flows, 1);
	cr_assert_eq(send_at(t, &c, true, 0, HP_TCP_ACK, hello, sizeof(hello), 1, HP_TCP_MODE_TLS, &g), HP_R_TLS);
	cr_assert_eq(send_at(t, &c, false, 0, HP_TCP_ACK, hello, sizeof(hello), 1, HP_TCP_MODE_TLS, &g), HP_R_TLS);
	cr_assert_eq(hp_tcp_stats(t)->tls_bytes, 2 * sizeof(hello));

	/* Marked SIP, but the first bytes are a TLS record: becomes TLS. */
	handshake(t, &d, HP_TCP_MODE_SIP);
	cr_assert_eq(send_data(t, &d, true, hello, sizeof(hello), &g), HP_R_TLS);
	cr_assert_eq(send_data(t, &d, true, "INVITE sip:a@b SIP/2.0\r\n\r\n", 26, &g), HP_R_TLS);
	cr_assert_eq(hp_tcp_stats(t)->tls_flows, 2);
	cr_assert_eq(hp_tcp_stats(t)->tls_bytes, 3 * sizeof(hello) + 26);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(hp_tcp_stats(t)->flows, 2);
	/* FIN/FIN frees a TLS connection too. */
	send_at(t, &d, true, 0, HP_TCP_ACK | HP_TCP_FIN, NULL, 0, 1, HP_TCP_MODE_SIP, &g);
	send_at(t, &d, false, 0, HP_TCP_ACK | HP_TCP_FIN, NULL, 0, 1, HP_TCP_MODE_SIP, &g);
	cr_assert_eq(hp_tcp_flow_count(t), 1);
	got_free(&g);
	hp_tcp_destroy(t);
}

/* ---- IPv6 ---- */

Test(tcp, ipv6_connection)
{
	struct hp_tcp *t = mk(16, 4, 8192, 4);
	struct conn c = { .version = 6,
			  .cli = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
			  .srv = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
			  .cport = 5060, .sport = 5060, .cseq = 7, .sseq = 0xfffffff0u };
	struct got g = { 0 };
	char m[2048];
	size_t n = sipmsg(m, sizeof(m), "six", 30);

	handshake(t, &c, HP_TCP_MODE_SIP);
	/* The server's sequence numbers wrap inside this message. */
	cr_assert_eq(send_data(t, &c, false, m, 10, &g), HP_R_TCP_HELD);
	cr_assert_eq(send_data(t, &c, false, m + 10, n - 10, &g), HP_R_OK);
	cr_assert_eq(send_data(t, &c, true, m, n, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);
	expect_msg(&g, 0, m, n, 0);
	expect_msg(&g, 1, m, n, 0);
	cr_assert_eq(g.r[0].version, 6);
	cr_assert_eq(memcmp(g.r[0].src, c.srv, 16), 0);
	cr_assert_eq(memcmp(g.r[0].dst, c.cli, 16), 0);
	cr_assert_not(g.r[0].from_client_to_server, "the SYN sender is the client");
	cr_assert_eq(memcmp(g.r[1].src, c.cli, 16), 0);
	cr_assert(g.r[1].from_client_to_server);
	cr_assert_eq(hp_tcp_flow_count(t), 1);
	got_free(&g);
	hp_tcp_destroy(t);
}
