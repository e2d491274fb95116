/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: RTP header, RTCP compound + JSON, and the stream statistics.
 * Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I lib tests/fuzz/fuzz_rtp.c \
 *     lib/rtp/rtp.c lib/rtp/rtcp.c lib/rtp/rtp_stats.c lib/rtp/emodel.c -lm -o fuzz_rtp */
#include <stddef.h>
#include <stdint.h>
#include "rtp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hp_rtp_stats st;
	static int init;
	struct hp_rtp_hdr h;
	struct hp_rtcp r;
	char json[4096];

	if (!init) {
		hp_rtp_stats_init(&st, 8000);
		hp_rtp_stats_set_event_pt(&st, 101);
		init = 1;
	}
	if (hp_rtp_parse(data, size, &h) == HP_R_OK) {
		/* the payload must lie inside the input */
		if (h.payload < data || h.payload + h.payload_len > data + size)
			__builtin_trap();
		uint64_t at = size >= 16 ? hp_get_be32(data + 12) : 0;
		hp_rtp_stats_update(&st, &h, at * 1000u);
		struct hp_rtp_summary s;
		hp_rtp_stats_summary(&st, &s);
	}
	(void)hp_rtp_looks_like_rtp(data, size);
	(void)hp_rtcp_looks_like_rtcp(data, size);
	if (hp_rtcp_parse(data, size, &r) == HP_R_OK) {
		size_t n = hp_rtcp_to_json(&r, json, sizeof(json));
		if (n > sizeof(json))
			__builtin_trap();
		(void)hp_rtcp_to_json(&r, json, size % sizeof(json));
	}
	return 0;
}
