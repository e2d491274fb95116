/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: the media engine fed a script of SIP messages, UDP datagrams
 * and clock ticks, with tiny tables so that full tables, take-overs and expiry are
 * reached. Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_POSIX_C_SOURCE=200809L -I lib \
 *     tests/fuzz/fuzz_media.c lib/media/media.c lib/media/media_report.c \
 *     lib/flowtab/flowtab.c lib/rtp/rtp.c lib/rtp/rtcp.c lib/rtp/rtp_stats.c \
 *     lib/rtp/emodel.c lib/sdp/sdp.c lib/silence/silence.c lib/g711/g711.c \
 *     lib/sip/sip.c lib/register/register.c lib/common/json.c lib/common/reason.c \
 *     -lm -o fuzz_media
 * Script: records of [op][len hi][len lo][len bytes]; op & 3: 0 SIP message
 * (op bit 7: discarded for its checksum; one that does not parse is fed as a
 * parse error), 1 UDP datagram (op bits 2..4 pick the addresses/ports, so datagrams meet the
 * endpoints a fuzzed SDP announced at 10.0.0.1/2 ports 4000/4001/5000/5001;
 * bits 5..7 a UDP checksum verdict: non-zero goes through the burst path,
 * hp_media_prepare then hp_media_on_udp_prepared with that verdict),
 * 2 clock step of len seconds then tick, 3 flush. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "csum/csum.h"
#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *arg, const struct hp_media_record *r)
{
	(void)arg;
	if (r->json == NULL || strlen(r->json) != r->json_len || r->json_len == 0)
		__builtin_trap();
	if (r->json[0] != '{' && r->json[0] != '[')
		__builtin_trap();
	/* Call-IDs and codec names come from the input: control bytes must be escaped. */
	for (size_t i = 0; i < r->json_len; i++)
		if ((unsigned char)r->json[i] < 0x20 || r->json[i] == 0x7f)
			__builtin_trap();
	if (r->correlation_id.len > HP_MEDIA_CALL_ID_MAX)
		__builtin_trap();
}

static void pkt_addrs(struct hp_pkt *p, unsigned sel)
{
	static const uint16_t ports[4] = { 4000, 4001, 5000, 5001 };
	p->ip_version = 4;
	p->l4_proto = 17;
	p->src_addr[0] = 10;
	p->src_addr[3] = (uint8_t)(1 + (sel & 1));
	p->dst_addr[0] = 10;
	p->dst_addr[3] = (uint8_t)(2 - (sel & 1));
	p->src_port = ports[(sel >> 1) & 3];
	p->dst_port = ports[((sel >> 1) + 2) & 3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hp_counters ctr;
	struct hp_media_cfg cfg;
	uint64_t now = 1000000;

	hp_media_cfg_defaults(&cfg);
	cfg.max_streams = 4;
	cfg.max_dialogs = 2;
	cfg.max_candidates = 2;
	cfg.call_log = 4;
	struct hp_media *m = hp_media_create(&cfg, &ctr, sink, NULL);
	if (m == NULL)
		__builtin_trap();
	while (size >= 3) {
		uint8_t op = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if ((op & 3) == 0) {
			struct hp_sip_msg msg;
			struct hp_pkt p;
			memset(&p, 0, sizeof(p));
			pkt_addrs(&p, op >> 2);
			p.payload = data;
			p.payload_len = (uint32_t)len;
			/* Op bit 7: the message came with a bad checksum (the receiver
			 * discards it); one that does not parse is a parse error. */
			int rc = hp_sip_parse(data, len, &msg);
			if (rc != HP_R_OK)
				hp_media_on_sip_error(m, &p, rc, now);
			else if (op & 0x80)
				hp_media_on_sip_discarded(m, &p, &msg, HP_CSUM_BAD, now);
			else
				hp_media_on_sip(m, &p, &msg, now);
		} else if ((op & 3) == 1) {
			struct hp_pkt p;
			memset(&p, 0, sizeof(p));
			pkt_addrs(&p, op >> 2);
			p.payload = data;
			p.payload_len = (uint32_t)len;
			int verdict = (op >> 5) % HP_CSUM_MAX;
			int rc;
			if (verdict == HP_CSUM_OK) {
				rc = hp_media_on_udp(m, &p, now);
			} else {
				struct hp_media_prep prep;
				hp_media_prepare(m, &p, &prep);
				hp_media_prefetch(m, &prep);
				rc = hp_media_on_udp_prepared(m, &p, &prep, verdict, now);
			}
			if (rc > HP_MEDIA_RTP_PROBATION || rc < -HP_R_MAX)
				__builtin_trap();
			now += 20000;
		} else if ((op & 3) == 2) {
			now += len * 1000000ull;
			hp_media_tick(m, now);
			len = 0;
		} else {
			hp_media_flush(m, now);
			len = 0;
		}
		data += len;
		size -= len;
		if (ctr.v[HP_CTR_STREAMS_ACTIVE] > cfg.max_streams ||
		    ctr.v[HP_CTR_DIALOGS_ACTIVE] > cfg.max_dialogs)
			__builtin_trap();
	}
	hp_media_flush(m, now);
	char view[4096];
	if (hp_media_render_calls(m, view, sizeof(view)) >= sizeof(view))
		__builtin_trap();
	hp_media_destroy(m);
	return 0;
}
