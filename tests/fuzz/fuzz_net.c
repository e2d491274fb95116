/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lib/net and lib/csum. Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     tests/fuzz/fuzz_net.c lib/net/net.c lib/csum/csum.c lib/common/reason.c \
 *     -o fuzz_net
 * Each input is decoded as every link type. Beyond "no crash, no read past
 * len" it checks that a successful decode points only inside the input and
 * that the UDP checksum verdict agrees with the decoder about lengths. */
#include <stdlib.h>

#include "csum/csum.h"
#include "net/net.h"

static const int linktypes[] = {
	HP_LINK_ETHERNET, HP_LINK_DLT_RAW, HP_LINK_RAW, HP_LINK_LINUX_SLL,
	HP_LINK_IPV4, HP_LINK_IPV6, HP_LINK_LINUX_SLL2,
};

static void check(const uint8_t *p, size_t len, const struct hp_pkt *k)
{
	const uint8_t *end = p + len;

	if (k->l3 < p || k->l3 > end || k->l4 < k->l3 || k->l4 > end)
		abort();
	if (k->l4_cap > k->l4_len || k->l4 + k->l4_cap > end)
		abort();
	if (k->payload && (k->payload < k->l4 || k->payload + k->payload_len > end))
		abort();
	if (k->ip_version != 4 && k->ip_version != 6)
		abort();
	if (k->l4_proto != 17)
		return;

	enum hp_csum_verdict v = k->ip_version == 4 ?
		hp_csum_udp4(k->src_addr, k->dst_addr, k->l4, k->l4_len, k->l4_cap) :
		hp_csum_udp6(k->src_addr, k->dst_addr, k->l4, k->l4_len, k->l4_cap);

	if (v < 0 || v >= HP_CSUM_MAX)
		abort();
	/* no payload exactly when the UDP length is invalid */
	if ((v == HP_CSUM_BAD_LENGTH) != (k->payload == NULL))
		abort();
	if ((v == HP_CSUM_TRUNCATED) != k->payload_truncated)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < HP_ARRAY_LEN(linktypes); i++) {
		struct hp_pkt k;
		int rc = hp_net_decode(data, size, linktypes[i], &k);

		if (rc < HP_R_OK || rc >= HP_R_MAX)
			abort();
		if (rc == HP_R_OK)
			check(data, size, &k);
	}
	return 0;
}
