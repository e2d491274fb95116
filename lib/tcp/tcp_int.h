/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by tcp.c (segments, buffers, plain SIP framing) and ws.c
 * (WebSocket framing). Not part of the API. */
#ifndef HP_TCP_INT_H
#define HP_TCP_INT_H

#include "tcp/tcp.h"

#define HP_TCP_NO_BUF UINT32_MAX

/* What the next bytes of a direction are expected to be. */
enum hp_tcp_state {
	HP_TCP_ST_SYNC,     /* a SIP message (or CRLF keep-alive) starts here */
	HP_TCP_ST_HUNT,     /* lost: looking for a line that is a SIP start line */
	HP_TCP_ST_SKIP,     /* inside a message too large for a buffer: skip */
	HP_TCP_ST_WS_HTTP,  /* WebSocket opening handshake (RFC 6455 §4) */
	HP_TCP_ST_WS_FRAMES,
	HP_TCP_ST_WS_SKIP,  /* inside a WebSocket frame too large for a buffer */
	HP_TCP_ST_WS_HUNT,  /* lost: looking for a data frame that starts with a SIP start line */
};

/* A byte range held out of order, relative to the direction's next_seq;
 * its bytes are in the buffer at have + start. */
struct hp_tcp_range {
	uint32_t start, end;
};

/* One direction's stream. Buffer layout: [0, have) in-order bytes not yet
 * consumed (a partial message), then out-of-order ranges at have + start. */
struct hp_tcp_dir {
	uint64_t offset;    /* stream offset of buffer byte 0 (of the next byte to consume) */
	uint64_t skip;      /* bytes left to skip in a SKIP state */
	uint32_t next_seq;  /* sequence number of the first byte not yet received in order */
	uint32_t buf;       /* stream buffer index, HP_TCP_NO_BUF when none */
	uint32_t have;
	uint32_t nooo;
	uint8_t state;      /* enum hp_tcp_state */
	bool seq_known;
	bool fin;
	bool resync_counts; /* the coming start line ends a resynchronisation */
	bool ws_close;      /* sent a WebSocket Close frame */
	uint8_t perr;       /* first parse error of this direction (HP_R_*), 0 = none */
	uint16_t after;     /* SIP messages framed after it (saturating) */
	uint64_t perr_at;   /* its stream offset */
};

/* The flow table value; HP_TCP_FLOW_BYTES reserved, then 2 * max_ooo ranges. */
struct hp_tcp_flow {
	uint8_t mode;       /* enum hp_tcp_mode */
	uint8_t client;     /* index of the client's direction (key side) */
	uint8_t fin_first;  /* direction that sent the first FIN */
	struct hp_tcp_dir d[2];
};

_Static_assert(sizeof(struct hp_tcp_flow) <= HP_TCP_FLOW_BYTES, "HP_TCP_FLOW_BYTES too small");

/* Both endpoints, the lower (address, port) first, so that both directions
 * of a connection find one entry; side 0 is a, side 1 is b. */
struct hp_tcp_key {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	uint8_t version;
	uint8_t pad[3];
};

struct hp_tcp {
	struct hp_tcp_cfg cfg;
	uint32_t seed;
	struct hp_flowtab *tab;
	uint8_t *bufs;      /* max_buffers * buffer_size */
	uint32_t *free_list;
	uint32_t nfree;
	uint8_t *scratch;   /* buffer_size: a WebSocket message, unmasked */
	struct hp_tcp_stats st;
};

/* What happened while one call ran: picks its return value. */
enum {
	HP_TCP_EV_RETRANS = 1u << 0,
	HP_TCP_EV_RESYNC = 1u << 1,
	HP_TCP_EV_WS_CONTROL = 1u << 2,
	HP_TCP_EV_KEEPALIVE = 1u << 3,
	HP_TCP_EV_HELD = 1u << 4,
	HP_TCP_EV_WS_BAD = 1u << 5,
	HP_TCP_EV_BUFFER_FULL = 1u << 6,
	HP_TCP_EV_GAP = 1u << 7,
	HP_TCP_EV_TLS = 1u << 8,
};

struct hp_tcp_ctx {
	struct hp_tcp *t;
	struct hp_tcp_flow *f;
	const struct hp_tcp_key *key;
	hp_tcp_sink_fn sink;
	void *arg;
	uint32_t msgs;
	uint32_t ev;
	int perr;           /* reason of the first parse error, HP_R_OK if none */
};

/* Deliver a record for bytes of direction d. */
void hp_tcp_emit(struct hp_tcp_ctx *c, int d, enum hp_tcp_rec_kind kind, const uint8_t *msg,
		 uint32_t len, int reason, uint64_t offset, bool websocket);
/* A parse error record whose bytes are the first line at p (at most n). */
void hp_tcp_parse_error(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t n,
			uint64_t offset, int reason, bool websocket);

/* Consume WebSocket stream bytes p..n of direction d (stream offset off):
 * returns how many are done with; the rest must be kept and offered again
 * with more bytes behind them. Never leaves buffer_size - 1 or more. */
/* In a skip state: consumes up to avail bytes of the skip, counted as
 * discarded, and moves to state next when it is done. Returns the bytes. */
uint32_t hp_tcp_skipped(struct hp_tcp_ctx *c, struct hp_tcp_dir *dd, uint32_t avail, uint8_t next);
/* After skipping bytes while hunting for a message start: counts them, and
 * when found, the resynchronisation, and moves to state next. Returns found. */
bool hp_tcp_hunted(struct hp_tcp_ctx *c, struct hp_tcp_dir *dd, uint32_t skipped, bool found,
		   uint8_t next);
uint32_t hp_tcp_ws_consume(struct hp_tcp_ctx *c, int d, const uint8_t *p, uint32_t n, uint64_t off);

#endif
