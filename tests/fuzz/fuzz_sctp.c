/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lib/sctp. Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_sctp.c \
 *     lib/sctp/sctp.c lib/sctp/crc32c.c lib/flowtab/flowtab.c lib/common/reason.c -o fuzz_sctp
 * An input is a script of SCTP packets for one small table, so that
 * reassembly, duplicates, the limits and the timeout are reached:
 *   record = op (1 byte), length (2 bytes, big-endian), that many packet bytes
 *   op bit 0: IPv6 addresses, bit 1: reverse direction, bit 2: call
 *   hp_sctp_expire() after the packet, bits 3-7: clock step in units of 97 us
 * (tests/fuzz/mkseeds_sctp.py writes the seeds). Beyond "no crash, no read
 * past len" it checks that a message delivered in place lies inside its
 * packet, a reassembled one within max_msg_size, that the return code says
 * OK exactly when something was delivered, that the hardware and table CRC
 * agree, and that the counters add up. */
#include <stdbool.h>
#include <stdlib.h>

#include "sctp/sctp.h"

struct run {
	const uint8_t *pkt;
	size_t len;
	uint32_t max_msg;
	uint64_t calls;
	uint32_t sum;
};

static void sink(void *arg, const struct hp_sctp_msg *m)
{
	struct run *r = arg;

	if (m->len == 0)
		abort();
	if (m->p >= r->pkt && m->p < r->pkt + r->len) {
		if (m->len > (size_t)(r->pkt + r->len - m->p))
			abort();
	} else if (m->len > r->max_msg) {
		abort();
	}
	/* every byte is read, so ASan sees a message running off its buffer */
	for (uint32_t i = 0; i < m->len; i++)
		r->sum += m->p[i];
	r->calls++;
}

static const uint8_t v4[2][4] = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 } };
static const uint8_t v6[2][16] = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
				   { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_sctp_cfg c;

	hp_sctp_cfg_defaults(&c);
	c.max_reassembly = 4;
	c.max_msg_size = 2048;
	c.max_pieces = 8;
	c.timeout_us = 2000;
	c.max_assocs = 4;
	c.assoc_idle_us = 5000;
	struct hp_sctp *t = hp_sctp_create(&c, 7);

	if (t == NULL)
		abort();
	struct run r = { .max_msg = c.max_msg_size };
	uint64_t now = 1;
	size_t off = 0;

	while (size - off >= 3) {
		uint8_t op = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		/* its own heap copy: a read past len is a read past the buffer */
		uint8_t *pkt = malloc(len ? len : 1);

		if (pkt == NULL)
			abort();
		memcpy(pkt, data + off, len);
		off += len;
		now += (uint64_t)(op >> 3) * 97;

		int v = hp_sctp_verify(pkt, len);

		if (v < HP_SCTP_CSUM_OK || v > HP_SCTP_CSUM_TRUNCATED)
			abort();
		if (hp_sctp_crc32c(pkt, len) != hp_sctp_crc32c_sw(pkt, len))
			abort();

		bool six = op & 1, rev = (op & 2) != 0;
		const uint8_t *src = six ? v6[rev] : v4[rev];
		const uint8_t *dst = six ? v6[!rev] : v4[!rev];
		uint64_t before = r.calls;

		r.pkt = pkt;
		r.len = len;
		int rc = hp_sctp_packet(t, six ? 6 : 4, src, dst, pkt, len, now, sink, &r);

		if ((rc == HP_R_OK) != (r.calls > before))
			abort();
		if (rc != HP_R_OK && rc != HP_R_SCTP_CONTROL && rc != HP_R_SCTP_HELD &&
		    rc != HP_R_SCTP_DUPLICATE && rc != HP_R_SCTP_MALFORMED &&
		    rc != HP_R_SCTP_TRUNCATED && rc != HP_R_SCTP_TABLE_FULL && rc != HP_R_SCTP_TOO_BIG)
			abort();
		free(pkt);
		if (op & 4)
			hp_sctp_expire(t, now);
	}
	const struct hp_sctp_stats *st = hp_sctp_stats(t);

	if (st->messages != r.calls || st->reassembled > st->messages ||
	    2 * st->reassembled > st->fragments_held || st->pieces_cap > st->too_big)
		abort();
	uint64_t control = 0;

	for (int k = 0; k < HP_SCTP_KIND_MAX; k++)
		control += st->control[k];
	if (control != st->control_chunks)
		abort();
	hp_sctp_destroy(t);
	return 0;
}
