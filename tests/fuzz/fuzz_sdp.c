/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: SDP parser. Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I lib tests/fuzz/fuzz_sdp.c \
 *     lib/sdp/sdp.c -o fuzz_sdp */
#include <stddef.h>
#include <stdint.h>
#include "sdp/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_sdp o;
	if (hp_sdp_parse(data, size, &o) != HP_SDP_OK)
		return 0;
	if (o.n_media > HP_SDP_MAX_MEDIA)
		__builtin_trap();
	/* a skipped line names its reason; none skipped, none named */
	if ((o.bad_lines == 0) != (o.first_bad == HP_SDP_OK) || o.first_bad >= HP_SDP_RESULT_MAX)
		__builtin_trap();
	for (unsigned i = 0; i < o.n_media; i++) {
		const struct hp_sdp_media *m = &o.media[i];
		if (m->n_pt > HP_SDP_MAX_PT)
			__builtin_trap();
		(void)hp_sdp_event_pt(m);
		for (unsigned k = 0; k < m->n_pt; k++) {
			struct hp_str n = m->pts[k].name;
			/* names point into the input or at a static RFC 3551 name */
			if (n.len && (const uint8_t *)n.p >= data && (const uint8_t *)n.p < data + size &&
			    (const uint8_t *)n.p + n.len > data + size)
				__builtin_trap();
		}
	}
	return 0;
}
