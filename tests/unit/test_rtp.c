/* SPDX-License-Identifier: BSD-3-Clause */
/* RTP/RTCP parsing, RTCP JSON, RFC 3550 statistics and the E-model. Expected values
 * are worked out by hand from the RFCs, or read from tshark -V for the corpus bytes. */
#include <criterion/criterion.h>
#include <math.h>
#include "rtp/rtp.h"

/* ------------------------------------------------------------ RTP header */

Test(rtp, parse_basic)
{
	/* V=2 P=0 X=0 CC=0, M=1 PT=8, seq 0x1234, ts 0xAABBCCDD, SSRC 0x01020304, 4 bytes */
	const uint8_t p[] = { 0x80, 0x88, 0x12, 0x34, 0xAA, 0xBB, 0xCC, 0xDD,
			      0x01, 0x02, 0x03, 0x04, 0xD5, 0xD5, 0xD5, 0xD5 };
	struct hp_rtp_hdr h;
	cr_assert_eq(hp_rtp_parse(p, sizeof(p), &h), HP_R_OK);
	cr_assert_eq(h.version, 2);
	cr_assert(h.marker);
	cr_assert_eq(h.pt, 8);
	cr_assert_eq(h.seq, 0x1234);
	cr_assert_eq(h.ts, 0xAABBCCDDu);
	cr_assert_eq(h.ssrc, 0x01020304u);
	cr_assert_eq(h.hdr_len, 12);
	cr_assert_eq(h.payload_len, 4);
	cr_assert_eq(h.payload, p + 12);
}

Test(rtp, parse_csrc_extension_padding)
{
	/* P=1 X=1 CC=2; 2 CSRC; extension profile 0xBEDE, 1 word; payload 3 bytes; 3 padding (..., 3) */
	const uint8_t p[] = { 0xB2, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0, 0, 0, 9,
			      0, 0, 0, 1, 0, 0, 0, 2,
			      0xBE, 0xDE, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44,
			      0xAA, 0xBB, 0xCC, 0x00, 0x00, 0x03 };
	struct hp_rtp_hdr h;
	cr_assert_eq(hp_rtp_parse(p, sizeof(p), &h), HP_R_OK);
	cr_assert(h.padding && h.extension);
	cr_assert_eq(h.csrc_count, 2);
	cr_assert_eq(h.ext_profile, 0xBEDE);
	cr_assert_eq(h.ext_words, 1);
	cr_assert_eq(h.hdr_len, 12 + 8 + 8);
	cr_assert_eq(h.pad_len, 3);
	cr_assert_eq(h.payload_len, 3);
	cr_assert_eq(h.payload[0], 0xAA);
}

Test(rtp, parse_malformed)
{
	struct hp_rtp_hdr h;
	uint8_t p[16] = { 0x80, 0x00 };
	cr_assert_eq(hp_rtp_parse(p, 11, &h), HP_R_RTP_MALFORMED);          /* short */
	p[0] = 0x40;
	cr_assert_eq(hp_rtp_parse(p, 16, &h), HP_R_RTP_MALFORMED);          /* version 1 */
	p[0] = 0x82;
	cr_assert_eq(hp_rtp_parse(p, 16, &h), HP_R_RTP_MALFORMED);          /* 2 CSRC past end */
	p[0] = 0x90;
	cr_assert_eq(hp_rtp_parse(p, 15, &h), HP_R_RTP_MALFORMED);          /* ext header cut */
	p[14] = 0x00;
	p[15] = 0x01;
	cr_assert_eq(hp_rtp_parse(p, 16, &h), HP_R_RTP_MALFORMED);          /* ext body past end */
	memset(p, 0, sizeof(p));
	p[0] = 0xA0;
	cr_assert_eq(hp_rtp_parse(p, 16, &h), HP_R_RTP_MALFORMED);          /* padding count 0 */
	p[15] = 5;
	cr_assert_eq(hp_rtp_parse(p, 16, &h), HP_R_RTP_MALFORMED);          /* padding > payload */
	p[15] = 4;
	cr_assert_eq(hp_rtp_parse(p, 16, &h), HP_R_OK);
	cr_assert_eq(h.payload_len, 0);
}

Test(rtp, heuristics)
{
	uint8_t p[20] = { 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF };
	cr_assert(hp_rtp_looks_like_rtp(p, sizeof(p)));
	p[1] = 0xC8; /* an RTCP SR: marker + PT 72 */
	cr_assert_not(hp_rtp_looks_like_rtp(p, sizeof(p)));
	p[1] = 0x4C; /* PT 76 */
	cr_assert_not(hp_rtp_looks_like_rtp(p, sizeof(p)));
	p[1] = 0x4D; /* PT 77 is fine */
	cr_assert(hp_rtp_looks_like_rtp(p, sizeof(p)));
	cr_assert_not(hp_rtp_looks_like_rtp(p, 12)); /* no payload */
	p[0] = 0x00;
	cr_assert_not(hp_rtp_looks_like_rtp(p, sizeof(p)));
	/* RTCP: SR header with length 1 word (8 bytes) */
	const uint8_t r[8] = { 0x80, 0xC8, 0x00, 0x01, 1, 2, 3, 4 };
	cr_assert(hp_rtcp_looks_like_rtcp(r, 8));
	cr_assert_not(hp_rtcp_looks_like_rtcp(r, 7));
}

/* ------------------------------------------------------------ RTCP */

/* rtcp_compound_sll.pcap frame 3 (UDP payload): SR + SDES */
static const uint8_t sr_sdes[] = {
	0x81, 0xc8, 0x00, 0x0c, 0x5d, 0x93, 0x15, 0x34, 0xdd, 0x3a, 0xc1, 0x74,
	0x52, 0x80, 0x8c, 0x82, 0x00, 0x00, 0xfa, 0xa0, 0x00, 0x00, 0x01, 0x91,
	0x00, 0x00, 0xfa, 0xa0, 0x01, 0x93, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x81, 0xca, 0x00, 0x0e, 0x5d, 0x93, 0x15, 0x34,
	0x01, 0x08, 0x35, 0x64, 0x39, 0x33, 0x31, 0x35, 0x33, 0x34, 0x07, 0x25,
	0x46, 0x72, 0x65, 0x65, 0x53, 0x57, 0x49, 0x54, 0x43, 0x48, 0x2e, 0x6f,
	0x72, 0x67, 0x20, 0x2d, 0x2d, 0x20, 0x43, 0x6f, 0x6d, 0x65, 0x20, 0x74,
	0x6f, 0x20, 0x43, 0x6c, 0x75, 0x65, 0x43, 0x6f, 0x6e, 0x2e, 0x63, 0x6f,
	0x6d, 0x00, 0x00, 0x00,
};

/* frame 4: RR + SDES */
static const uint8_t rr_sdes[] = {
	0x81, 0xc9, 0x00, 0x07, 0x01, 0x93, 0x2d, 0xb4, 0x5d, 0x93, 0x15, 0x34,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0xbf, 0x8b, 0x00, 0x00, 0x00, 0x06,
	0xc1, 0x70, 0x4d, 0x61, 0x00, 0x04, 0x05, 0x1c, 0x81, 0xca, 0x00, 0x0e,
	0x01, 0x93, 0x2d, 0xb4, 0x01, 0x07, 0x31, 0x39, 0x33, 0x32, 0x64, 0x62,
	0x34, 0x07, 0x25, 0x46, 0x72, 0x65, 0x65, 0x53, 0x57, 0x49, 0x54, 0x43,
	0x48, 0x2e, 0x6f, 0x72, 0x67, 0x20, 0x2d, 0x2d, 0x20, 0x43, 0x6f, 0x6d,
	0x65, 0x20, 0x74, 0x6f, 0x20, 0x43, 0x6c, 0x75, 0x65, 0x43, 0x6f, 0x6e,
	0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x00, 0x00,
};

#define NOTE "FreeSWITCH.org -- Come to ClueCon.com"

Test(rtcp, corpus_sr_sdes)
{
	struct hp_rtcp r;
	cr_assert_eq(hp_rtcp_parse(sr_sdes, sizeof(sr_sdes), &r), HP_R_OK);
	cr_assert_eq(r.n_pkts, 2);
	const struct hp_rtcp_pkt *sr = &r.pkt[0], *sd = &r.pkt[1];
	/* tshark -V: Sender Report, RC 1, length 12 (52 bytes) */
	cr_assert_eq(sr->type, 200);
	cr_assert_eq(sr->count, 1);
	cr_assert_eq(sr->len, 52);
	cr_assert_eq(sr->ssrc, 0x5d931534u);
	cr_assert(sr->has_si);
	cr_assert_eq(sr->si.ntp_sec, 3711615348u);
	cr_assert_eq(sr->si.ntp_frac, 1384156290u);
	cr_assert_eq(sr->si.rtp_ts, 64160u);
	cr_assert_eq(sr->si.packets, 401u);
	cr_assert_eq(sr->si.octets, 64160u);
	cr_assert_eq(sr->rb_n, 1);
	const struct hp_rtcp_rb *b = &r.rb[sr->rb_first];
	cr_assert_eq(b->ssrc, 0x01932db4u);
	cr_assert_eq(b->fraction_lost, 0);
	cr_assert_eq(b->packets_lost, 1);
	cr_assert_eq(b->highest_seq, 0);
	cr_assert_eq(b->jitter, 0);
	/* Source description, SC 1, length 14 (60 bytes), CNAME + NOTE */
	cr_assert_eq(sd->type, 202);
	cr_assert_eq(sd->len, 60);
	cr_assert_eq(sd->ssrc, 0x5d931534u);
	cr_assert_eq(sd->sdes_n, 2);
	const struct hp_rtcp_sdes_item *c = &r.sdes[sd->sdes_first];
	cr_assert_eq(c[0].type, 1);
	cr_assert_eq(c[0].text.len, 8);
	cr_assert_eq(memcmp(c[0].text.p, "5d931534", 8), 0);
	cr_assert_eq(c[1].type, 7);
	cr_assert_eq(c[1].text.len, 37);
	cr_assert_eq(memcmp(c[1].text.p, NOTE, 37), 0);
}

Test(rtcp, corpus_sr_json)
{
	static const char want[] =
		"[{\"type\":200,\"ssrc\":1569920308,\"report_count\":1,"
		"\"sender_information\":{\"ntp_timestamp_sec\":3711615348,"
		"\"ntp_timestamp_usec\":322273,\"rtp_timestamp\":64160,\"packets\":401,\"octets\":64160},"
		"\"report_blocks\":[{\"source_ssrc\":26422708,\"fraction_lost\":0,\"packets_lost\":1,"
		"\"highest_seq_no\":0,\"ia_jitter\":0,\"lsr\":0,\"dlsr\":0}]},"
		"{\"type\":202,\"ssrc\":1569920308,\"report_count\":1,\"sdes_information\":["
		"{\"ssrc\":1569920308,\"type\":1,\"text\":\"5d931534\"},"
		"{\"ssrc\":1569920308,\"type\":7,\"text\":\"" NOTE "\"}]}]";
	struct hp_rtcp r;
	char buf[1024];
	cr_assert_eq(hp_rtcp_parse(sr_sdes, sizeof(sr_sdes), &r), HP_R_OK);
	size_t n = hp_rtcp_to_json(&r, buf, sizeof(buf));
	cr_assert_eq(n, strlen(want));
	cr_assert_eq(memcmp(buf, want, n), 0, "got %.*s", (int)n, buf);
}

Test(rtcp, corpus_rr_json_and_bounds)
{
	static const char want[] =
		"[{\"type\":201,\"ssrc\":26422708,\"report_count\":1,"
		"\"report_blocks\":[{\"source_ssrc\":1569920308,\"fraction_lost\":0,\"packets_lost\":1,"
		"\"highest_seq_no\":49035,\"ia_jitter\":6,\"lsr\":3245362529,\"dlsr\":263452}]},"
		"{\"type\":202,\"ssrc\":26422708,\"report_count\":1,\"sdes_information\":["
		"{\"ssrc\":26422708,\"type\":1,\"text\":\"1932db4\"},"
		"{\"ssrc\":26422708,\"type\":7,\"text\":\"" NOTE "\"}]}]";
	struct hp_rtcp r;
	char buf[1024];
	cr_assert_eq(hp_rtcp_parse(rr_sdes, sizeof(rr_sdes), &r), HP_R_OK);
	cr_assert_eq(r.n_pkts, 2);
	cr_assert_eq(r.pkt[0].len, 32);
	size_t n = hp_rtcp_to_json(&r, buf, sizeof(buf));
	cr_assert_eq(n, strlen(want));
	cr_assert_eq(memcmp(buf, want, n), 0, "got %.*s", (int)n, buf);
	/* every smaller buffer is refused, and nothing is written past it */
	for (size_t cap = 0; cap < n; cap++) {
		memset(buf, 'x', sizeof(buf));
		cr_assert_eq(hp_rtcp_to_json(&r, buf, cap), 0);
		cr_assert_eq(buf[cap], 'x');
	}
}

Test(rtcp, negative_cumulative_loss_and_escaping)
{
	/* RR, RC 1: fraction 0x10, cumulative lost 0xFFFFFE = -2 (24-bit two's complement);
	 * SDES with a CNAME holding a quote, a backslash, a control and a high byte. */
	const uint8_t p[] = {
		0x81, 0xC9, 0x00, 0x07, 0, 0, 0, 1,
		0, 0, 0, 2, 0x10, 0xFF, 0xFF, 0xFE, 0, 1, 0, 5, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9,
		0x81, 0xCA, 0x00, 0x03, 0, 0, 0, 1, 0x01, 0x05, 'a', '"', '\\', 0x01, 0xE9, 0x00,
	};
	struct hp_rtcp r;
	char buf[512];
	cr_assert_eq(hp_rtcp_parse(p, sizeof(p), &r), HP_R_OK);
	cr_assert_eq(r.rb[0].fraction_lost, 16);
	cr_assert_eq(r.rb[0].packets_lost, -2);
	cr_assert_eq(r.rb[0].highest_seq, 65541u);
	size_t n = hp_rtcp_to_json(&r, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_assert(strstr(buf, "\"packets_lost\":-2,") != NULL, "%s", buf);
	cr_assert(strstr(buf, "\"text\":\"a\\\"\\\\\\u0001\\u00e9\"") != NULL, "%s", buf);
}

Test(rtcp, bye_app_xr)
{
	const uint8_t p[] = {
		/* BYE, SC 1, reason "bye" */
		0x81, 0xCB, 0x00, 0x02, 0, 0, 0, 7, 3, 'b', 'y', 'e',
		/* APP subtype 3, name "TEST", 4 bytes data */
		0x83, 0xCC, 0x00, 0x03, 0, 0, 0, 7, 'T', 'E', 'S', 'T', 1, 2, 3, 4,
		/* XR with two blocks: BT 4 (RRT, 2 words) and BT 5 (DLRR, 3 words) */
		0x80, 0xCF, 0x00, 0x08, 0, 0, 0, 7,
		4, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2,
		5, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2,
	};
	struct hp_rtcp r;
	cr_assert_eq(hp_rtcp_parse(p, sizeof(p), &r), HP_R_OK);
	cr_assert_eq(r.n_pkts, 3);
	cr_assert_eq(r.pkt[0].type, 203);
	cr_assert_eq(r.pkt[0].ssrc, 7);
	cr_assert_eq(r.pkt[1].type, 204);
	cr_assert_eq(r.pkt[1].count, 3);
	cr_assert_eq(memcmp(r.pkt[1].app_name, "TEST", 4), 0);
	cr_assert_eq(r.pkt[2].type, 207);
	cr_assert_eq(r.pkt[2].xr_blocks, 2);
	char buf[512];
	size_t n = hp_rtcp_to_json(&r, buf, sizeof(buf));
	buf[n] = 0;
	cr_assert_str_eq(buf, "[{\"type\":203,\"ssrc\":7,\"report_count\":1},"
			      "{\"type\":204,\"ssrc\":7,\"report_count\":3,\"name\":\"TEST\"},"
			      "{\"type\":207,\"ssrc\":7,\"report_count\":2}]");
}

Test(rtcp, malformed)
{
	struct hp_rtcp r;
	uint8_t p[sizeof(rr_sdes) + 4];
	memcpy(p, rr_sdes, sizeof(rr_sdes));
	cr_assert_eq(hp_rtcp_parse(p, sizeof(rr_sdes) - 4, &r), HP_R_RTCP_MALFORMED); /* SDES cut */
	p[sizeof(rr_sdes)] = 0x80;
	cr_assert_eq(hp_rtcp_parse(p, sizeof(rr_sdes) + 2, &r), HP_R_RTCP_MALFORMED); /* tail */
	p[0] = 0x41;
	cr_assert_eq(hp_rtcp_parse(p, sizeof(rr_sdes), &r), HP_R_RTCP_MALFORMED);     /* version */
	memcpy(p, rr_sdes, sizeof(rr_sdes));
	p[0] = 0x82; /* RC 2 does not fit in 32 bytes */
	cr_assert_eq(hp_rtcp_parse(p, sizeof(rr_sdes), &r), HP_R_RTCP_MALFORMED);
	memcpy(p, rr_sdes, sizeof(rr_sdes));
	p[41] = 60; /* CNAME length past the SDES packet */
	cr_assert_eq(hp_rtcp_parse(p, sizeof(rr_sdes), &r), HP_R_RTCP_MALFORMED);
	cr_assert_eq(hp_rtcp_parse(p, 3, &r), HP_R_RTCP_MALFORMED);
}

/* sip_call_rtp_g711a.pcap frames 529 and 2644: a whole compound followed by two
 * zero bytes of UDP padding is RTCP; non-zero bytes or a 4-byte tail are not. */
Test(rtcp, trailing_udp_padding)
{
	struct hp_rtcp r;
	uint8_t p[sizeof(sr_sdes) + 4];
	memcpy(p, sr_sdes, sizeof(sr_sdes));
	memset(p + sizeof(sr_sdes), 0, 4);
	cr_assert_eq(hp_rtcp_parse(p, sizeof(sr_sdes) + 2, &r), HP_R_OK);
	cr_assert_eq(r.n_pkts, 2);
	cr_assert_eq(hp_rtcp_parse(p, sizeof(sr_sdes) + 4, &r), HP_R_RTCP_MALFORMED);
	p[sizeof(sr_sdes) + 1] = 1;
	cr_assert_eq(hp_rtcp_parse(p, sizeof(sr_sdes) + 2, &r), HP_R_RTCP_MALFORMED);
}

/* ------------------------------------------------------------ statistics */

static void pkt(struct hp_rtp_stats *s, uint16_t seq, uint32_t ts, uint64_t at_us, uint8_t pt,
		bool marker, uint8_t ebit)
{
	uint8_t pl[4] = { 1, ebit ? 0x80 : 0, 0, 160 };
	struct hp_rtp_hdr h = { .version = 2, .marker = marker, .pt = pt, .seq = seq, .ts = ts,
				.ssrc = 1, .payload = pl, .payload_len = 4 };
	hp_rtp_stats_update(s, &h, at_us);
}

static void seqs(struct hp_rtp_stats *s, const uint16_t *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pkt(s, q[i], 160u * q[i], 20000ull * i, 0, false, 0);
}

Test(rtp_stats, in_order)
{
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	hp_rtp_stats_init(&s, 8000);
	for (uint16_t i = 0; i < 10; i++)
		pkt(&s, (uint16_t)(100 + i), 160u * i, 20000ull * i, 0, false, 0);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.packets, 10);
	cr_assert_eq(o.bytes, 40);
	cr_assert_eq(o.expected, 10);
	cr_assert_eq(o.lost, 0);
	cr_assert_eq(o.ext_max_seq, 109);
	cr_assert(o.valid);
	cr_assert_eq(o.jitter_ts, 0);
	cr_assert_float_eq(o.max_gap_ms, 20.0, 1e-9);
}

Test(rtp_stats, sequence_wrap)
{
	const uint16_t q[] = { 65533, 65534, 65535, 0, 1, 2 };
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	hp_rtp_stats_init(&s, 8000);
	seqs(&s, q, 6);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.expected, 6);
	cr_assert_eq(o.lost, 0);
	cr_assert_eq(o.ext_max_seq, 65536u + 2);
}

Test(rtp_stats, loss_reorder_duplicate)
{
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	const uint16_t loss[] = { 1, 2, 3, 6, 7 };
	hp_rtp_stats_init(&s, 8000);
	seqs(&s, loss, 5);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.expected, 7);
	cr_assert_eq(o.lost, 2);
	cr_assert_float_eq(o.loss_pct, 200.0 / 7.0, 1e-9);

	const uint16_t reo[] = { 1, 2, 4, 3, 5 };
	hp_rtp_stats_init(&s, 8000);
	seqs(&s, reo, 5);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.lost, 0);
	cr_assert_eq(o.reordered, 1);
	cr_assert_eq(o.duplicates, 0);

	const uint16_t dup[] = { 1, 2, 3, 3, 4, 2 };
	hp_rtp_stats_init(&s, 8000);
	seqs(&s, dup, 6);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.duplicates, 2);
	cr_assert_eq(o.reordered, 0);
	cr_assert_eq(o.expected, 4);
	cr_assert_eq(o.lost, -2); /* expected - received, as tshark reports it */
}

/* A.1: a jump of >= MAX_DROPOUT is believed only when the next packet follows it. */
Test(rtp_stats, sequence_reset)
{
	const uint16_t q[] = { 1, 2, 3, 9000, 9001, 9002 };
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	hp_rtp_stats_init(&s, 8000);
	seqs(&s, q, 6);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.packets, 6);
	cr_assert_eq(o.seq_resets, 1);
	/* segments 1..3 and 9001..9002; 9000 was set aside */
	cr_assert_eq(o.expected, 5);
	cr_assert_eq(o.lost, 0);

	/* a single stray jump is not a reset */
	const uint16_t r[] = { 1, 2, 3, 9000, 4, 5 };
	hp_rtp_stats_init(&s, 8000);
	seqs(&s, r, 6);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.seq_resets, 0);
	cr_assert_eq(o.expected, 5);
	cr_assert_eq(o.lost, 0);
}

/* A.8 by hand, 8 kHz, 20 ms packets; packet 2 arrives 10 ms late.
 * transit (ms): 0, 0, 10, 0 -> |D|: 0, 10, 10
 * J1 = 0; J2 = 10/16 = 0.625; J3 = 0.625 + (10 - 0.625)/16 = 1.2109375 ms = 9.6875 ticks */
Test(rtp_stats, jitter_by_hand)
{
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	hp_rtp_stats_init(&s, 8000);
	pkt(&s, 1, 0, 0, 0, false, 0);
	pkt(&s, 2, 160, 20000, 0, false, 0);
	pkt(&s, 3, 320, 50000, 0, false, 0);
	pkt(&s, 4, 480, 60000, 0, false, 0);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.jitter_ts, 9);
	cr_assert_float_eq(o.jitter_ms, 1.2109375, 1e-3);
	cr_assert_float_eq(o.max_jitter_ms, 1.2109375, 1e-3);
	cr_assert_float_eq(o.mean_jitter_ms, (0 + 0.625 + 1.2109375) / 3, 1e-3);
	cr_assert_float_eq(o.max_gap_ms, 30.0, 1e-9);
}

/* RFC 3550 §6.4.1: D compares packets in arrival order, so a late packet is
 * the reference for the next one (tshark agrees). Arrivals 0,20,40,70,80 ms of
 * sequences 1,2,4,3,5: transits 0,0,-160,240,0 ticks, |D| = 0,160,400,240;
 * J = 0, 10, 10 + (400-10)/16 = 34.375, 34.375 + (240-34.375)/16 = 47.227 ticks
 * = 5.903 ms. Were the late packet not the reference, the last D would be 160
 * and J 42.2. */
Test(rtp_stats, jitter_reordered_in_arrival_order)
{
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	hp_rtp_stats_init(&s, 8000);
	pkt(&s, 1, 0, 0, 0, false, 0);
	pkt(&s, 2, 160, 20000, 0, false, 0);
	pkt(&s, 4, 480, 40000, 0, false, 0);
	pkt(&s, 3, 320, 70000, 0, false, 0);
	pkt(&s, 5, 640, 80000, 0, false, 0);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.jitter_ts, 47);
	cr_assert_float_eq(o.jitter_ms, 47.2265625 / 8, 1e-3);
	cr_assert_eq(o.reordered, 1);
	cr_assert_eq(o.lost, 0);
}

/* RFC 4733 events between audio: counted, kept out of jitter; the end packet sent
 * three times with the same sequence number is not a duplicate. */
Test(rtp_stats, telephone_events)
{
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	hp_rtp_stats_init(&s, 8000);
	hp_rtp_stats_set_event_pt(&s, 101);
	pkt(&s, 1, 0, 0, 0, false, 0);
	pkt(&s, 2, 160, 20000, 0, false, 0);
	pkt(&s, 3, 320, 40000, 0, false, 0);
	pkt(&s, 4, 480, 60000, 101, true, 0);   /* event start: timestamp stays 480 */
	pkt(&s, 5, 480, 80000, 101, false, 0);
	pkt(&s, 6, 480, 100000, 101, false, 1); /* end */
	pkt(&s, 6, 480, 100500, 101, false, 1); /* end, repeated */
	pkt(&s, 6, 480, 101000, 101, false, 1);
	pkt(&s, 7, 960, 120000, 0, false, 0);
	pkt(&s, 8, 1120, 140000, 0, false, 0);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.packets, 10);
	cr_assert_eq(o.event_packets, 5);
	cr_assert_eq(o.event_end_repeats, 2);
	cr_assert_eq(o.duplicates, 0);
	cr_assert_eq(o.expected, 8);
	cr_assert_eq(o.lost, 0);
	cr_assert_eq(o.jitter_ts, 0);
	cr_assert_float_eq(o.max_jitter_ms, 0.0, 1e-9);
}

/* CN then a 1 s DTX gap with consecutive sequence numbers: no loss, no jitter. */
Test(rtp_stats, cn_and_dtx)
{
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	hp_rtp_stats_init(&s, 8000);
	pkt(&s, 1, 0, 0, 8, false, 0);
	pkt(&s, 2, 160, 20000, 8, false, 0);
	pkt(&s, 3, 320, 40000, HP_RTP_PT_CN, false, 0);
	pkt(&s, 4, 8320, 1040000, 8, true, 0);
	pkt(&s, 5, 8480, 1060000, 8, false, 0);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.lost, 0);
	cr_assert_eq(o.cn_packets, 1);
	cr_assert_eq(o.jitter_ts, 0);
	cr_assert_float_eq(o.max_gap_ms, 1000.0, 1e-9);
}

Test(rtp_stats, timestamp_wrap_and_reset)
{
	struct hp_rtp_stats s;
	struct hp_rtp_summary o;
	hp_rtp_stats_init(&s, 8000);
	pkt(&s, 1, 4294967136u, 0, 0, false, 0);
	pkt(&s, 2, 0, 20000, 0, false, 0);
	pkt(&s, 3, 160, 40000, 0, false, 0);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.ts_wraps, 1);
	cr_assert_eq(o.jitter_ts, 0);

	/* sender restarts its timestamps at 0 with the next sequence number */
	hp_rtp_stats_init(&s, 8000);
	pkt(&s, 1, 500000, 0, 0, false, 0);
	pkt(&s, 2, 500160, 20000, 0, false, 0);
	pkt(&s, 3, 0, 40000, 0, false, 0);
	pkt(&s, 4, 160, 60000, 0, false, 0);
	hp_rtp_stats_summary(&s, &o);
	cr_assert_eq(o.ts_resets, 1);
	cr_assert_eq(o.ts_wraps, 0);
	cr_assert_eq(o.jitter_ts, 0);
	cr_assert_eq(o.lost, 0);
}

/* ------------------------------------------------------------ E-model */

/* Expected values computed separately (Python, from the G.107 formulas in rtp.h). */
Test(emodel, reference_points)
{
	struct hp_emodel e;
	hp_rtp_emodel(0, 0, 40, &e);
	cr_assert_float_eq(e.r, 93.2, 1e-9);
	cr_assert_float_eq(e.mos, 4.409286, 1e-5);
	hp_rtp_emodel(1, 0, 40, &e);
	cr_assert_float_eq(e.ie_eff, 3.639847, 1e-5);
	cr_assert_float_eq(e.r, 89.560153, 1e-5);
	cr_assert_float_eq(e.mos, 4.328075, 1e-5);
	hp_rtp_emodel(5, 10, 40, &e);
	cr_assert_float_eq(e.delay_ms, 60.0, 1e-9);
	cr_assert_float_eq(e.r, 77.419269, 1e-5);
	cr_assert_float_eq(e.mos, 3.922839, 1e-5);
	hp_rtp_emodel(0, 0, 200, &e);
	cr_assert_float_eq(e.id, 3.044414, 1e-5);
	cr_assert_float_eq(e.mos, 4.342793, 1e-5);
	hp_rtp_emodel(0, 30, 340, &e);
	cr_assert_float_eq(e.id, 24.070089, 1e-5);
	cr_assert_float_eq(e.r, 69.129911, 1e-5);
	hp_rtp_emodel(50, 0, 40, &e);
	cr_assert_float_eq(e.mos, 1.606977, 1e-5);
	hp_rtp_emodel(100, 500, 1000, &e);
	cr_assert_lt(e.r, 0.0);
	cr_assert_float_eq(e.mos, 1.0, 1e-12);
}
