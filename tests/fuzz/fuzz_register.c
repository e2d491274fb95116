/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lib/register (and the Contact/Expires/To parsing of
 * lib/sip). Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_register.c \
 *     lib/register/register.c lib/flowtab/flowtab.c lib/sip/sip.c lib/common/reason.c \
 *     -o fuzz_register
 * Input: records [op][len hi][len lo][len bytes of SIP]. op bit 0: sent by the
 * phone (else by the server), bits 1..2: which of 4 servers, bits 3..7:
 * seconds of capture time before it. Beyond "no crash": a change names two
 * different servers, NUL-terminated strings inside their arrays, and the table
 * never holds more than its capacity. */
#include <stdlib.h>
#include <string.h>

#include "register/register.h"

#define CAP 8

static void check(const struct hp_register_change *c)
{
	if (memchr(c->aor, '\0', sizeof(c->aor)) == NULL ||
	    memchr(c->contact, '\0', sizeof(c->contact)) == NULL ||
	    memchr(c->call_id, '\0', sizeof(c->call_id)) == NULL)
		abort();
	if (c->old_server.family == c->new_server.family &&
	    c->old_server.port == c->new_server.port &&
	    memcmp(c->old_server.addr, c->new_server.addr, 16) == 0)
		abort();
	if (c->old_expires_us <= c->new_registered_us || c->old_registered_us > c->new_registered_us)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_register_cfg cfg;
	uint64_t now = 1000000;

	hp_register_cfg_defaults(&cfg);
	cfg.max_bindings = CAP;
	cfg.max_pending = 4;
	struct hp_register *r = hp_register_create(&cfg);
	if (r == NULL)
		__builtin_trap();
	while (size >= 3) {
		uint8_t op = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		struct hp_pkt pkt;
		struct hp_sip_msg sip;
		struct hp_register_change c;
		memset(&pkt, 0, sizeof(pkt));
		pkt.ip_version = 4;
		pkt.l4_proto = 17;
		uint8_t phone[4] = { 203, 0, 113, 8 }, server[4] = { 198, 51, 100, (uint8_t)(op >> 1 & 3) };
		memcpy(op & 1 ? pkt.src_addr : pkt.dst_addr, phone, 4);
		memcpy(op & 1 ? pkt.dst_addr : pkt.src_addr, server, 4);
		pkt.src_port = pkt.dst_port = 5060;
		now += (uint64_t)(op >> 3) * 1000000;
		if (hp_sip_parse(data, len, &sip) == HP_R_OK &&
		    hp_register_on_sip(r, &pkt, &sip, now, &c))
			check(&c);
		hp_register_tick(r, now, 4);
		if (hp_register_count(r) > CAP)
			abort();
		data += len;
		size -= len;
	}
	hp_register_destroy(r);
	return 0;
}
