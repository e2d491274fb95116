/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for the HEPv3 decoder (not built by meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     tests/fuzz/fuzz_hep.c lib/hep/hep.c lib/hep/gz.c -lz -o fuzz_hep
 * The input is treated as a TCP stream of back-to-back messages. Each message
 * that decodes is re-encoded and decoded again: the two decodes must agree,
 * and its identity rewritten (hp_hep_set_ident) must decode too. */
#include <stdlib.h>
#include <string.h>

#include "hep/hep.h"

static uint8_t reenc[HP_HEP_MAX_LEN];
static uint8_t inflated[HP_HEP_MAX_LEN];
static uint8_t ident_out[HP_HEP_MAX_LEN];

static int same_str(struct hp_str a, struct hp_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* The sender's identity rewrite (a collector's own node id and key) on the
 * same bytes: it must not read past len, and what it writes must decode with
 * the new identity and the same payload. */
static void check_set_ident(const uint8_t *p, size_t len, const struct hp_hep_msg *d)
{
	static const struct hp_hep_ident id = { 77, { "key", 3 }, { "node", 4 } };
	struct hp_hep_msg e;
	size_t n = hp_hep_set_ident(p, len, &id, ident_out, sizeof(ident_out));

	if (n == 0)
		return;
	if (hp_hep_decode(ident_out, n, &e) != (long)n || e.capture_id != 77 ||
	    !same_str(e.auth_key, id.auth_key) || !same_str(e.node_name, id.node_name) ||
	    e.payload_len != d->payload_len)
		abort();
}

static void check_roundtrip(const struct hp_hep_msg *d)
{
	struct hp_hep_msg e;
	size_t n;
	size_t alen = d->ip_family == HP_HEP_FAMILY_IPV4 ? 4 : 16;

	n = hp_hep_encode(d, reenc, sizeof(reenc), NULL, 0);
	if (d->ip_family != HP_HEP_FAMILY_IPV4 && d->ip_family != HP_HEP_FAMILY_IPV6) {
		if (n != 0)
			abort();
		return;
	}
	/* re-encoding drops unknown and vendor chunks, so it is never longer
	 * than the input, except that it always writes every mandatory chunk */
	if (n == 0)
		return;
	if (hp_hep_decode(reenc, n, &e) != (long)n)
		abort();
	if (e.ip_family != d->ip_family || e.ip_proto != d->ip_proto ||
	    memcmp(e.src_addr, d->src_addr, alen) != 0 ||
	    memcmp(e.dst_addr, d->dst_addr, alen) != 0 ||
	    e.src_port != d->src_port || e.dst_port != d->dst_port ||
	    e.ts_sec != d->ts_sec || e.ts_usec != d->ts_usec ||
	    e.proto_type != d->proto_type || e.capture_id != d->capture_id ||
	    e.has_vlan != d->has_vlan || (d->has_vlan && e.vlan_id != d->vlan_id) ||
	    !same_str(e.auth_key, d->auth_key) || !same_str(e.node_name, d->node_name) ||
	    !same_str(e.correlation_id, d->correlation_id) ||
	    e.payload_len != d->payload_len ||
	    (d->payload_len > 0 && memcmp(e.payload, d->payload, d->payload_len) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct hp_hep_msg d;
		long n = hp_hep_decode(data + off, size - off, &d);

		if (n <= 0)
			break;
		if ((size_t)n > size - off)
			abort();
		if (d.payload < data + off || d.payload + d.payload_len > data + off + n)
			abort();
		check_set_ident(data + off, (size_t)n, &d);
		if (d.payload_compressed)
			(void)hp_hep_gunzip(d.payload, d.payload_len, inflated, sizeof(inflated));
		else
			check_roundtrip(&d);
		off += (size_t)n;
	}
	return 0;
}
