/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker's reassembly glue: IP fragments, TCP and SCTP go through their
 * lib/ modules, and what they complete re-enters the worker's normal path. */
#ifndef HP_STREAM_H
#define HP_STREAM_H

#include "worker.h"

/* Cold path: the worker's reassembly tables; 0, or -1 when memory is short. */
int hp_stream_create(struct hp_worker *w, uint32_t seed);
void hp_stream_destroy(struct hp_worker *w);

/* Hot path, one frame each; every frame ends counted (delivered or a reason). */
void hp_stream_fragment(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us);
void hp_stream_tcp(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us);
void hp_stream_sctp(struct hp_worker *w, const struct hp_pkt *pkt, uint64_t ts_us);

/* Timers on capture time, and the end of the input (flushes what TCP holds). */
void hp_stream_tick(struct hp_worker *w, uint64_t now_us);
void hp_stream_flush(struct hp_worker *w, uint64_t now_us);

#endif
