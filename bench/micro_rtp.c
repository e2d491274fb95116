/* SPDX-License-Identifier: BSD-3-Clause */
/* ns per RTP packet for hp_rtp_parse + hp_rtp_stats_update, and per RTCP
 * compound parse + JSON render. Thread CPU time, so a busy machine does not inflate it. */
#include <stdio.h>
#include <time.h>
#include "rtp/rtp.h"

#define PACKETS 10000000u

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(void)
{
	static uint8_t pkts[64][172];
	for (unsigned i = 0; i < 64; i++) {
		pkts[i][0] = 0x80;
		pkts[i][1] = 8;
		pkts[i][8] = 0x12;
		pkts[i][11] = 0x34;
	}
	struct hp_rtp_stats st;
	struct hp_rtp_hdr h;
	hp_rtp_stats_init(&st, 8000);
	uint32_t x = 7;
	unsigned bad = 0;
	double t0 = now_ns();
	for (unsigned i = 0; i < PACKETS; i++) {
		uint8_t *p = pkts[i & 63];
		/* in order with a little reordering and arrival jitter */
		uint16_t seq = (uint16_t)((i & 15) == 5 ? i + 1 : (i & 15) == 6 ? i - 1 : i);
		hp_put_be16(p + 2, seq);
		hp_put_be32(p + 4, seq * 160u);
		x = x * 1664525u + 1013904223u;
		if (hp_rtp_parse(p, 172, &h) != HP_R_OK) {
			bad++;
			continue;
		}
		hp_rtp_stats_update(&st, &h, (uint64_t)i * 20000u + (x >> 29) * 100u);
	}
	double t1 = now_ns();
	struct hp_rtp_summary s;
	hp_rtp_stats_summary(&st, &s);
	printf("micro_rtp: %u packets (%u malformed)\n", PACKETS, bad);
	printf("rtp parse+stats: %.1f ns/packet (lost %lld, reordered %llu, jitter %.3f ms)\n",
	       (t1 - t0) / PACKETS, (long long)s.lost, (unsigned long long)s.reordered, s.jitter_ms);

	/* SR + SDES, as rtcp_compound_sll.pcap frame 1 */
	static const uint8_t rtcp[] = {
		0x81, 0xc8, 0x00, 0x0c, 0x5d, 0x93, 0x15, 0x34, 0xdd, 0x3a, 0xc1, 0x70,
		0x4d, 0x61, 0x4d, 0xf8, 0x00, 0x00, 0x7d, 0x00, 0x00, 0x00, 0x00, 0xc8,
		0x00, 0x00, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x81, 0xca, 0x00, 0x03, 0x5d, 0x93, 0x15, 0x34,
		0x01, 0x02, 0x61, 0x62, 0x00, 0x00, 0x00, 0x00,
	};
	static struct hp_rtcp r;
	static char json[2048];
	size_t total = 0;
	const unsigned n = PACKETS / 10;
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		if (hp_rtcp_parse(rtcp, sizeof(rtcp), &r) == HP_R_OK)
			total += hp_rtcp_to_json(&r, json, sizeof(json));
	}
	t1 = now_ns();
	printf("rtcp parse+json: %.1f ns/packet (%zu bytes of JSON each)\n", (t1 - t0) / n,
	       total / n);
	return 0;
}
