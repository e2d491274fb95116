/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lib/tcp (and the lib/sip stream framer). Build (not
 * part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_tcp.c \
 *     lib/tcp/tcp.c lib/tcp/ws.c lib/sip/frame.c lib/sip/sip.c lib/flowtab/flowtab.c \
 *     lib/common/reason.c -o fuzz_tcp
 * The input is a sequence of segments on four connections (two IPv4, one
 * IPv6, one with equal ports), each
 *   [ctl][flags][seq delta hi][lo][len hi][lo][len payload bytes]
 * ctl bit 0: direction (server -> client when set), bits 1-2: connection,
 * bits 3-4: new_mode, bits 5-7: clock step (0, 1 ms, 100 ms, 1 s, 6 s: past
 * the 5 s idle time). The sequence number is the direction's next one plus
 * the signed delta. The table has 2 flows, 2 buffers of 4096 bytes and 2
 * out-of-order ranges, so table-full, buffer-full and gap paths are reached.
 * Beyond "no crash, no read past a buffer" it checks that a SIP record frames
 * as exactly one message, that stream offsets never go back, that HP_R_OK
 * is returned exactly when a message was delivered, and that a flush leaves
 * no flow and no buffer in use. */
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"
#include "tcp/tcp.h"

struct fconn {
	uint8_t version;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint32_t seq[2];
	uint64_t next_off[2];   /* lowest offset the next record may have */
};

struct run {
	struct fconn *cur;
	bool offsets;           /* check that offsets never go back */
	uint32_t sips;
	uint64_t sum;
};

/* Checks that hold for any record. */
static void check_rec(struct run *u, const struct hp_tcp_rec *r)
{
	if ((r->version != 4 && r->version != 6) || !r->src || !r->dst)
		abort();
	if (r->len > 0 && r->msg == NULL)
		abort();
	for (uint32_t i = 0; i < r->len; i++)
		u->sum += r->msg[i];
	if (r->kind == HP_TCP_REC_SIP) {
		struct hp_sip_frame f;
		if (r->reason != HP_R_OK || r->len == 0)
			abort();
		if (hp_sip_frame(r->msg, r->len, (size_t)r->len + 1, &f) != HP_R_OK || !f.complete)
			abort();
		if (!r->websocket && f.msg_len != r->len)
			abort();
		if (r->websocket && f.has_content_length && f.msg_len > r->len)
			abort();
		u->sips++;
	} else if (r->kind == HP_TCP_REC_PARSE_ERROR) {
		if (r->reason <= HP_R_OK || r->reason >= HP_R_MAX || r->len > HP_SIP_FRAME_MAX_LINE)
			abort();
	} else if (r->kind == HP_TCP_REC_CONN_END) {
		/* Only after a parse error, which it names; no bytes. */
		if (r->reason <= HP_R_OK || r->reason >= HP_R_MAX || r->len != 0 || r->end > HP_TCP_END_CAPTURE)
			abort();
	} else {
		abort();
	}
}

/* Expiry and flush: records of any connection. */
static void sink_any(void *arg, const struct hp_tcp_rec *r)
{
	check_rec(arg, r);
}

/* A segment's records: all of its connection, offsets never going back. */
static void sink(void *arg, const struct hp_tcp_rec *r)
{
	struct run *u = arg;
	struct fconn *c = u->cur;
	size_t alen = c->version == 6 ? 16 : 4;

	check_rec(u, r);
	if (r->version != c->version)
		abort();
	int d = !(memcmp(r->src, c->cli, alen) == 0 && r->sport == c->cport &&
		  memcmp(r->dst, c->srv, alen) == 0 && r->dport == c->sport);
	if (d == 1 && !(memcmp(r->src, c->srv, alen) == 0 && r->sport == c->sport &&
			memcmp(r->dst, c->cli, alen) == 0 && r->dport == c->cport))
		abort();
	/* A connection's end looks back at its error. */
	if (r->kind == HP_TCP_REC_CONN_END)
		return;
	if (u->offsets && r->stream_offset < c->next_off[d])
		abort();
	c->next_off[d] = r->stream_offset + (r->kind == HP_TCP_REC_SIP && !r->websocket ? r->len : 1);
}

static void setup(struct fconn *c)
{
	static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	memset(c, 0, 4 * sizeof(*c));
	for (int i = 0; i < 4; i++) {
		c[i].version = 4;
		c[i].cli[0] = c[i].srv[0] = 10;
		c[i].cli[3] = (uint8_t)(2 + i);
		c[i].srv[3] = 1;
		c[i].cport = (uint16_t)(40000 + i);
		c[i].sport = 5060;
		c[i].seq[0] = 1000u * (uint32_t)i;
		c[i].seq[1] = 0xffffff00u;
	}
	c[2].version = 6;
	memcpy(c[2].cli, v6b, 16);
	memcpy(c[2].srv, v6a, 16);
	c[3].cport = 5060;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t steps[8] = { 0, 1000, 100000, 1000000, 6000000, 0, 0, 0 };
	struct hp_tcp_cfg cfg = { .max_flows = 2, .max_buffers = 2, .buffer_size = 4096,
				  .max_ooo_segments = 2, .idle_us = 5000000 };
	struct hp_tcp *t = hp_tcp_create(&cfg, 7);
	struct fconn conns[4];
	struct run u = { 0 };
	uint64_t now = 1;
	size_t off = 0;

	if (t == NULL)
		abort();
	setup(conns);
	while (off + 6 <= size) {
		const uint8_t *h = data + off;
		int d = h[0] & 1;
		struct fconn *c = &conns[(h[0] >> 1) & 3];
		size_t len = (size_t)h[4] << 8 | h[5];
		off += 6;
		if (len > size - off)
			len = size - off;
		now += steps[h[0] >> 5];
		uint32_t flows = hp_tcp_flow_count(t);
		if (hp_tcp_expire(t, now, sink_any, &u) > flows)
			abort();
		u.cur = c;

		struct hp_tcp_seg s = {
			.version = c->version,
			.src = d ? c->srv : c->cli,
			.dst = d ? c->cli : c->srv,
			.sport = d ? c->sport : c->cport,
			.dport = d ? c->cport : c->sport,
			.seq = c->seq[d] + (uint32_t)(int16_t)((uint16_t)h[2] << 8 | h[3]),
			.flags = h[1],
			.payload = data + off,
			.len = (uint32_t)len,
		};
		/* A connection that left the table starts its streams again at
		 * 0. A SYN may replace a connection (port reuse): the old one's
		 * last records and the new one's first share the call. */
		if (!hp_tcp_is_tracked(t, &s))
			c->next_off[0] = c->next_off[1] = 0;
		u.offsets = (s.flags & (HP_TCP_SYN | HP_TCP_ACK)) != HP_TCP_SYN;
		uint32_t before = u.sips;
		int rc = hp_tcp_segment(t, &s, (enum hp_tcp_mode)((h[0] >> 3) & 3), now, sink, &u);
		if (rc < HP_R_OK || rc >= HP_R_MAX || (rc == HP_R_OK) != (u.sips > before))
			abort();
		if (!u.offsets)
			c->next_off[0] = c->next_off[1] = 0;
		if (hp_tcp_buffers_used(t) > cfg.max_buffers || hp_tcp_flow_count(t) > cfg.max_flows)
			abort();
		c->seq[d] = s.seq + (uint32_t)len + ((s.flags & HP_TCP_SYN) ? 1 : 0);
		off += len;
	}
	hp_tcp_flush(t, sink_any, &u);
	if (hp_tcp_flow_count(t) != 0 || hp_tcp_buffers_used(t) != 0)
		abort();
	hp_tcp_destroy(t);
	return 0;
}
