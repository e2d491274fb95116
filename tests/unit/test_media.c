/* SPDX-License-Identifier: BSD-3-Clause */
/* Media engine: SIP/SDP learning, stream binding and direction, flat-line events,
 * reports, RTCP, heuristics, tables full, expiry, call view. Packets are built by
 * hand (struct hp_pkt filled directly, SIP text parsed by hp_sip_parse); expected
 * values are worked out in the comments. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "csum/csum.h"
#include "media/media.h"

/* 2023-11-14 12:00:00 UTC, so the call view prints 12:00:xx. */
#define T0 1699963200000000ull
#define MS 1000ull
#define SEC 1000000ull

#define MAX_RECS 256

struct rec {
	uint8_t type;
	char json[4096];
	char cid[256];
	uint8_t ipv;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint64_t ts;
};

static struct rec recs[MAX_RECS];
static int n_recs;
static struct hp_counters ctr;

static void sink(void *arg, const struct hp_media_record *r)
{
	(void)arg;
	cr_assert_lt(n_recs, MAX_RECS);
	struct rec *o = &recs[n_recs++];
	o->type = r->hep_type;
	cr_assert_lt(r->json_len, sizeof(o->json));
	cr_assert_eq(strlen(r->json), r->json_len);
	memcpy(o->json, r->json, r->json_len + 1);
	memcpy(o->cid, r->correlation_id.p, r->correlation_id.len);
	o->cid[r->correlation_id.len] = '\0';
	o->ipv = r->ip_version;
	memcpy(o->src, r->src_addr, 16);
	memcpy(o->dst, r->dst_addr, 16);
	o->sport = r->src_port;
	o->dport = r->dst_port;
	o->ts = r->ts_us;
}

static struct hp_media *engine(uint32_t streams, uint32_t dialogs)
{
	struct hp_media_cfg cfg;
	hp_media_cfg_defaults(&cfg);
	cfg.max_streams = streams;
	cfg.max_dialogs = dialogs;
	memset(&ctr, 0, sizeof(ctr));
	memset(recs, 0, sizeof(recs));
	n_recs = 0;
	struct hp_media *m = hp_media_create(&cfg, &ctr, sink, NULL);
	cr_assert_not_null(m);
	return m;
}

/* Records of a type whose JSON contains every given fragment. */
static int count(int type, const char *a, const char *b)
{
	int n = 0;
	for (int i = 0; i < n_recs; i++)
		if (recs[i].type == type && strstr(recs[i].json, a) && (b == NULL || strstr(recs[i].json, b)))
			n++;
	return n;
}

static const struct rec *find(int type, const char *a, const char *b)
{
	for (int i = 0; i < n_recs; i++)
		if (recs[i].type == type && strstr(recs[i].json, a) && (b == NULL || strstr(recs[i].json, b)))
			return &recs[i];
	return NULL;
}

static void set_addr(uint8_t *out, const char *ip)
{
	memset(out, 0, 16);
	cr_assert_eq(inet_pton(AF_INET, ip, out), 1);
}

static struct hp_pkt udp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			 const uint8_t *payload, uint32_t len)
{
	struct hp_pkt p;
	memset(&p, 0, sizeof(p));
	p.ip_version = 4;
	p.l4_proto = 17;
	set_addr(p.src_addr, src);
	set_addr(p.dst_addr, dst);
	p.src_port = sport;
	p.dst_port = dport;
	p.payload = payload;
	p.payload_len = len;
	p.udp_len = (uint16_t)(len + 8);
	return p;
}

/* ---------------------------------------------------------------- SIP */

static char sipbuf[4096];

static void sip(struct hp_media *m, const char *start, const char *cseq, const char *from_tag,
		const char *to_tag, const char *sdp, uint64_t ts)
{
	char to[64] = "";
	if (to_tag)
		snprintf(to, sizeof(to), ";tag=%s", to_tag);
	int n = snprintf(sipbuf, sizeof(sipbuf),
			 "%s\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
			 "From: <sip:alice@a>;tag=%s\r\nTo: <sip:bob@b>%s\r\n"
			 "Call-ID: abc@host\r\nCSeq: %s\r\n%sContent-Length: %zu\r\n\r\n%s",
			 start, from_tag, to, cseq, sdp ? "Content-Type: application/sdp\r\n" : "",
			 sdp ? strlen(sdp) : 0, sdp ? sdp : "");
	cr_assert_lt((size_t)n, sizeof(sipbuf));
	struct hp_sip_msg msg;
	cr_assert_eq(hp_sip_parse((const uint8_t *)sipbuf, (size_t)n, &msg), HP_R_OK);
	struct hp_pkt p = udp("10.0.0.1", 5060, "10.0.0.2", 5060, (const uint8_t *)sipbuf, (uint32_t)n);
	hp_media_on_sip(m, &p, &msg, ts);
}

#define SDP_CALLER "v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n" \
	"m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" \
	"a=sendrecv\r\n"
#define SDP_CALLEE "v=0\r\no=b 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n" \
	"m=audio 5000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" \
	"a=sendrecv\r\n"

/* INVITE with the offer at t, 200 with the answer at t + 1 s. */
static void call_setup(struct hp_media *m, uint64_t t)
{
	sip(m, "INVITE sip:bob@b SIP/2.0", "1 INVITE", "ftag", NULL, SDP_CALLER, t);
	sip(m, "SIP/2.0 200 OK", "1 INVITE", "ftag", "ttag", SDP_CALLEE, t + SEC);
	sip(m, "ACK sip:bob@b SIP/2.0", "1 ACK", "ftag", "ttag", NULL, t + SEC + 10 * MS);
}

/* ---------------------------------------------------------------- RTP */

static uint32_t lcg = 12345;

/* Bytes from an LCG: mu-law decoding of them swings over the full range, far above
 * the -45 dBFS low-level threshold, and never repeats a sample for long. */
static void speech(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		lcg = lcg * 1103515245u + 12345u;
		p[i] = (uint8_t)(lcg >> 16);
	}
}

/* One 20 ms PCMU packet (12 + 160 bytes) with timestamp 160 * seq; flat: payload
 * all 0xFF (mu-law 0), else speech. */
static void rtp_pcmu(uint8_t *b, uint16_t seq, uint32_t ssrc, bool flat)
{
	b[0] = 0x80;
	b[1] = 0;
	hp_put_be16(b + 2, seq);
	hp_put_be32(b + 4, 160u * seq);
	hp_put_be32(b + 8, ssrc);
	if (flat)
		memset(b + 12, 0xFF, 160);
	else
		speech(b + 12, 160);
}

/* n packets of 20 ms PCMU (160 bytes), seq from seq0, ts from 160 * seq0, sent every 20 ms from t.
 * flat: payload all 0xFF (mu-law 0). Returns the last result. */
static int rtp_run(struct hp_media *m, const char *src, uint16_t sport, const char *dst,
		   uint16_t dport, uint32_t ssrc, uint16_t seq0, int n, bool flat, uint64_t t)
{
	uint8_t b[12 + 160];
	int rc = 0;
	for (int i = 0; i < n; i++) {
		rtp_pcmu(b, (uint16_t)(seq0 + i), ssrc, flat);
		struct hp_pkt p = udp(src, sport, dst, dport, b, sizeof(b));
		rc = hp_media_on_udp(m, &p, t + (uint64_t)i * 20 * MS);
	}
	return rc;
}

/* ---------------------------------------------------------------- tests */

Test(media, offer_answer_binds_both_directions)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS], 1);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS_ACTIVE], 1);
	/* caller 10.0.0.1:4000 -> callee's 10.0.0.2:5000 and back */
	cr_assert_eq(rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 0x1111, 1, 50, false, T0 + 2 * SEC),
		     HP_MEDIA_RTP);
	cr_assert_eq(rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 0x2222, 1, 50, false, T0 + 2 * SEC),
		     HP_MEDIA_RTP);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS], 2);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS_ACTIVE], 2);
	hp_media_flush(m, T0 + 10 * SEC);
	const struct rec *a = find(34, "\"ssrc\":\"0x00001111\"", NULL);
	const struct rec *b = find(34, "\"ssrc\":\"0x00002222\"", NULL);
	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_str_eq(a->cid, "abc@host");
	cr_assert_str_eq(b->cid, "abc@host");
	cr_assert(strstr(a->json, "\"direction\":\"caller->callee\""));
	cr_assert(strstr(a->json, "\"src\":\"10.0.0.1:4000\",\"dst\":\"10.0.0.2:5000\""));
	cr_assert(strstr(a->json, "\"codec\":\"PCMU\""));
	cr_assert(strstr(a->json, "\"packets\":50"));
	cr_assert(strstr(a->json, "\"call_id\":\"abc@host\""));
	cr_assert(strstr(b->json, "\"direction\":\"callee->caller\""));
	cr_assert_eq(a->sport, 4000);
	cr_assert_eq(a->dport, 5000);
	cr_assert_eq(a->ipv, 4);
	/* the last packet: 49 * 20 ms after the first */
	cr_assert_eq(a->ts, T0 + 2 * SEC + 49 * 20 * MS);
	cr_assert_eq(count(100, "\"event\":\"stream_end\"", "\"reason\":\"end_of_capture\""), 2);
	cr_assert_eq(count(100, "\"event\":\"flatline\"", NULL), 0);
	cr_assert_eq(count(100, "\"event\":\"call_summary\"", "\"end_reason\":\"end_of_capture\""), 1);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS_ACTIVE], 0);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS_ACTIVE], 0);
	cr_assert_eq(ctr.v[HP_CTR_MEDIA_REPORTS], 2);
	hp_media_destroy(m);
}

Test(media, flat_stream_flagged_with_call_and_direction)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	/* 150 packets = 3 s of mu-law 0xFF from 12:00:05; the callee answers with speech. */
	uint64_t t = T0 + 5 * SEC;
	rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 0xAAAA, 100, 150, true, t);
	rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 0xBBBB, 100, 150, false, t);
	/* Flagged while the stream runs: 2 s = 100 packets are needed. */
	const struct rec *e = find(100, "\"event\":\"flatline\"", "\"final\":false");
	cr_assert_not_null(e);
	cr_assert_str_eq(e->cid, "abc@host");
	cr_assert(strstr(e->json, "\"flatline\":true"));
	cr_assert(strstr(e->json, "\"direction\":\"caller->callee\""));
	cr_assert(strstr(e->json, "\"value\":0"));
	cr_assert(strstr(e->json, "\"codec\":\"PCMU\""));
	cr_assert(strstr(e->json, "\"ssrc\":\"0x0000aaaa\""));
	cr_assert(strstr(e->json, "\"start_us\":1699963205000000"));
	cr_assert(strstr(e->json, "\"call_id\":\"abc@host\""));
	cr_assert_geq(e->ts, t + 99 * 20 * MS);
	cr_assert_lt(e->ts, t + 149 * 20 * MS);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS_FLAT], 1);
	cr_assert_eq(ctr.v[HP_CTR_MEDIA_EVENTS], 1);

	hp_media_flush(m, t + 10 * SEC);
	/* Final event: 150 * 160 samples * 125 us = 3 000 000 us. */
	const struct rec *f = find(100, "\"event\":\"flatline\"", "\"final\":true");
	cr_assert_not_null(f);
	cr_assert(strstr(f->json, "\"start_us\":1699963205000000,\"end_us\":1699963208000000,"
				  "\"duration_ms\":3000"));
	cr_assert_eq(count(100, "\"event\":\"flatline\"", NULL), 2);
	/* The speech stream is not flagged. */
	cr_assert_eq(count(100, "\"event\":\"flatline\"", "0x0000bbbb"), 0);
	cr_assert_eq(count(34, "0x0000bbbb", "\"verdict\":\"audio\""), 1);
	cr_assert_eq(count(34, "0x0000aaaa", "\"verdict\":\"flatline\""), 1);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS_FLAT], 1);

	char view[2048];
	size_t n = hp_media_render_calls(m, view, sizeof(view));
	cr_assert_eq(n, strlen(view));
	cr_assert(strstr(view, "Call-ID abc@host (end_of_capture):"), "%s", view);
	cr_assert(strstr(view, "caller->callee 10.0.0.1:4000 -> 10.0.0.2:5000 PCMU flatline "
			       "(sample 0) for 3.0 s from 12:00:05, 150 packets, 0 lost"), "%s", view);
	cr_assert(strstr(view, "callee->caller 10.0.0.2:5000 -> 10.0.0.1:4000 PCMU audio, "
			       "150 packets, 0 lost"), "%s", view);
	/* A buffer too small for the line gives no partial line. */
	cr_assert_eq(hp_media_render_calls(m, view, 40), 0);
	hp_media_destroy(m);
}

Test(media, bye_grace_ends_streams_with_reports)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 1, 1, 100, false, T0 + 2 * SEC);
	rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 2, 1, 100, false, T0 + 2 * SEC);
	uint64_t bye = T0 + 5 * SEC;
	sip(m, "BYE sip:alice@a SIP/2.0", "1 BYE", "ttag", "ftag", NULL, bye);
	hp_media_tick(m, bye + 5 * SEC - 1);
	cr_assert_eq(count(34, "", NULL), 0);
	hp_media_tick(m, bye + 5 * SEC + 1);
	cr_assert_eq(count(100, "\"event\":\"stream_end\"", "\"reason\":\"bye\""), 2);
	cr_assert_eq(count(34, "\"end_reason\":\"bye\"", NULL), 2);
	/* No loss, perfectly paced: jitter 0, Ta = 40 ms so Id = 0, R = 93.2 and
	 * MOS = 1 + 0.035*93.2 + 93.2*33.2*6.8*7e-6 = 4.409 (G.107 B-4). */
	cr_assert_eq(count(34, "\"r_factor\":93.2,\"mos\":4.41", NULL), 2);
	cr_assert_eq(count(34, "\"MOS\":4.41,\"JITTER\":0.000,\"PACKET_LOSS\":0,\"DELTA\":20.000", NULL), 2);
	cr_assert_eq(count(34, "\"lost\":0", "\"packets\":100"), 2);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS_EXPIRED], 1);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS_ACTIVE], 0);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS_ACTIVE], 0);
	/* Both directions carried RTP: no no_rtp event. */
	cr_assert_eq(count(100, "\"event\":\"no_rtp\"", NULL), 0);
	/* Endpoints went with the dialog: the same 5-tuple is now only a candidate. */
	cr_assert_eq(rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 9, 1, 1, false, bye + 20 * SEC),
		     HP_MEDIA_RTP_PROBATION);
	hp_media_destroy(m);
}

Test(media, rtcp_on_m_plus_one)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	/* RR (PT 201, RC 1, length 7 words): SSRC 0x1234, one report block for 0x1111. */
	uint8_t rr[32] = { 0x81, 201, 0x00, 0x07, 0, 0, 0x12, 0x34,
			   0, 0, 0x11, 0x11, 0x05, 0x00, 0x00, 0x02,
			   0, 0, 0, 100, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct hp_pkt p = udp("10.0.0.2", 5001, "10.0.0.1", 4001, rr, sizeof(rr));
	cr_assert_eq(hp_media_on_udp(m, &p, T0 + 3 * SEC), HP_MEDIA_RTCP);
	const struct rec *r = find(5, "\"type\":201", NULL);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->cid, "abc@host");
	cr_assert(strstr(r->json, "\"source_ssrc\":4369"));
	cr_assert(strstr(r->json, "\"packets_lost\":2"));
	cr_assert_eq(r->sport, 5001);
	cr_assert_eq(r->ts, T0 + 3 * SEC);
	cr_assert_eq(ctr.v[HP_CTR_RTCP_PACKETS], 1);
	/* A broken RTCP on the announced port is media that could not be measured. */
	rr[3] = 0x09;
	cr_assert_eq(hp_media_on_udp(m, &p, T0 + 4 * SEC), -HP_R_RTCP_MALFORMED);
	hp_media_destroy(m);
}

Test(media, unannounced_rtp_after_probation)
{
	struct hp_media *m = engine(64, 16);
	/* Packets 1 and 2 are held, the third in sequence confirms the stream. */
	cr_assert_eq(rtp_run(m, "192.168.1.1", 20000, "192.168.1.2", 30000, 7, 10, 1, false, T0),
		     HP_MEDIA_RTP_PROBATION);
	cr_assert_eq(rtp_run(m, "192.168.1.1", 20000, "192.168.1.2", 30000, 7, 11, 1, false,
			     T0 + 20 * MS), HP_MEDIA_RTP_PROBATION);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS], 0);
	cr_assert_eq(rtp_run(m, "192.168.1.1", 20000, "192.168.1.2", 30000, 7, 12, 8, false,
			     T0 + 40 * MS), HP_MEDIA_RTP);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS], 1);
	hp_media_flush(m, T0 + SEC);
	const struct rec *r = find(34, "\"ssrc\":\"0x00000007\"", NULL);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->cid, "");
	/* the two held packets are counted: 2 + 8 */
	cr_assert(strstr(r->json, "\"packets\":10"), "%s", r->json);
	cr_assert(strstr(r->json, "\"lost\":0"));
	cr_assert(strstr(r->json, "\"direction\":\"unknown\""));
	cr_assert(strstr(r->json, "\"call_id\":\"\""));
	cr_assert(strstr(r->json, "\"codec\":\"PCMU\""));
	cr_assert(strstr(r->json, "\"heuristic\":true"));
	cr_assert(strstr(r->json, "\"start_us\":1699963200000000"));
	/* No dialog, no call summary. */
	cr_assert_eq(count(100, "\"event\":\"call_summary\"", NULL), 0);
	hp_media_destroy(m);
}

Test(media, heuristic_rejects)
{
	struct hp_media *m = engine(64, 16);
	/* Out-of-sequence packets never leave probation. */
	uint16_t seqs[] = { 10, 500, 900, 40, 7000 };
	for (size_t i = 0; i < HP_ARRAY_LEN(seqs); i++)
		cr_assert_eq(rtp_run(m, "192.168.1.1", 20000, "192.168.1.2", 30000, 7, seqs[i], 1, false,
				     T0 + i * 20 * MS), HP_MEDIA_RTP_PROBATION);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS], 0);
	/* Well-known ports (DNS) are not media even when RTP-shaped. */
	cr_assert_eq(rtp_run(m, "192.168.1.1", 53, "192.168.1.2", 30000, 7, 1, 5, false, T0),
		     HP_MEDIA_NOT_MEDIA);
	/* STUN binding request (first byte 0x00): not RTP. */
	uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42 };
	struct hp_pkt p = udp("192.168.1.1", 20000, "192.168.1.2", 30000, stun, sizeof(stun));
	cr_assert_eq(hp_media_on_udp(m, &p, T0), HP_MEDIA_NOT_MEDIA);
	/* Heuristics off: RTP nobody announced is not media. */
	struct hp_media_cfg cfg;
	hp_media_cfg_defaults(&cfg);
	cfg.max_streams = 8;
	cfg.max_dialogs = 8;
	cfg.heuristic_rtp = false;
	struct hp_media *m2 = hp_media_create(&cfg, &ctr, sink, NULL);
	cr_assert_eq(rtp_run(m2, "192.168.1.1", 20000, "192.168.1.2", 30000, 7, 1, 5, false, T0),
		     HP_MEDIA_NOT_MEDIA);
	hp_media_destroy(m2);
	hp_media_destroy(m);
}

Test(media, ssrc_change_is_a_new_stream)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 0xA, 1, 10, false, T0 + 2 * SEC);
	rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 0xB, 5000, 12, false, T0 + 3 * SEC);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS], 2);
	hp_media_flush(m, T0 + 10 * SEC);
	cr_assert_eq(count(34, "\"ssrc\":\"0x0000000a\"", "\"packets\":10,"), 1);
	cr_assert_eq(count(34, "\"ssrc\":\"0x0000000b\"", "\"packets\":12,"), 1);
	cr_assert_eq(count(34, "\"direction\":\"caller->callee\"", NULL), 2);
	hp_media_destroy(m);
}

Test(media, tables_full_counted)
{
	struct hp_media *m = engine(1, 1);
	call_setup(m, T0);
	cr_assert_eq(rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 1, 1, 3, false, T0 + 2 * SEC),
		     HP_MEDIA_RTP);
	cr_assert_eq(rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 2, 1, 3, false, T0 + 2 * SEC),
		     -HP_R_STREAM_TABLE_FULL);
	/* A second call does not fit the one-dialog table. */
	char inv[] = "INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\n"
		     "To: <sip:x@y>\r\nCall-ID: other\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	struct hp_sip_msg msg;
	cr_assert_eq(hp_sip_parse((const uint8_t *)inv, strlen(inv), &msg), HP_R_OK);
	struct hp_pkt p = udp("10.0.0.9", 5060, "10.0.0.2", 5060, (const uint8_t *)inv,
			      (uint32_t)strlen(inv));
	hp_media_on_sip(m, &p, &msg, T0 + 3 * SEC);
	cr_assert_eq(ctr.v[HP_CTR_DIALOG_TABLE_FULL], 1);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS], 1);
	/* Endpoint table: 4 per dialog. The caller re-offers two audio lines: its two
	 * old endpoints are freed, its four new ones (RTP + RTCP each) find two slots. */
	const char *two = "v=0\r\no=a 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			  "m=audio 4000 RTP/AVP 0\r\nm=audio 4100 RTP/AVP 0\r\n";
	sip(m, "INVITE sip:bob@b SIP/2.0", "2 INVITE", "ftag", "ttag", two, T0 + 3 * SEC);
	cr_assert_eq(ctr.v[HP_CTR_ENDPOINT_TABLE_FULL], 2);
	hp_media_flush(m, T0 + 4 * SEC);
	cr_assert_eq(count(34, "", NULL), 1);
	hp_media_destroy(m);
}

Test(media, inactivity_expiry)
{
	struct hp_media_cfg cfg;
	hp_media_cfg_defaults(&cfg);
	cfg.max_streams = 16;
	cfg.max_dialogs = 4;
	cfg.dialog_idle_ms = 60000;
	memset(&ctr, 0, sizeof(ctr));
	n_recs = 0;
	struct hp_media *m = hp_media_create(&cfg, &ctr, sink, NULL);
	call_setup(m, T0);
	uint64_t t = T0 + 2 * SEC;
	rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 1, 1, 10, false, t);
	uint64_t last = t + 9 * 20 * MS;
	/* Stream idle 30 s after its last packet (strictly more). */
	hp_media_tick(m, last + 30 * SEC);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS_EXPIRED], 0);
	hp_media_tick(m, last + 30 * SEC + 1);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS_EXPIRED], 1);
	cr_assert_eq(count(100, "\"event\":\"stream_end\"", "\"reason\":\"timeout\""), 1);
	cr_assert_eq(count(34, "\"end_reason\":\"timeout\"", NULL), 1);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS_ACTIVE], 1);
	/* The dialog was last refreshed by RTP at most 1 s before its last packet, so it
	 * is gone 60 s after that; the call keeps the stream in its view. */
	hp_media_tick(m, last + 61 * SEC + 1);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS_EXPIRED], 1);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS_ACTIVE], 0);
	cr_assert_eq(count(100, "\"event\":\"call_summary\"", "\"end_reason\":\"timeout\""), 1);
	char view[1024];
	hp_media_render_calls(m, view, sizeof(view));
	cr_assert(strstr(view, "Call-ID abc@host (timeout): caller->callee 10.0.0.1:4000 -> "
			       "10.0.0.2:5000 PCMU audio, 10 packets, 0 lost"), "%s", view);
	hp_media_destroy(m);
}

Test(media, announced_direction_without_rtp)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	/* Only the caller sends; both sides announced sendrecv. */
	rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 1, 1, 200, false, T0 + 2 * SEC);
	uint64_t bye = T0 + 7 * SEC;
	sip(m, "BYE sip:bob@b SIP/2.0", "2 BYE", "ftag", "ttag", NULL, bye);
	hp_media_tick(m, bye + 6 * SEC);
	cr_assert_eq(count(100, "\"event\":\"no_rtp\"", NULL), 1);
	const struct rec *e = find(100, "\"event\":\"no_rtp\"", NULL);
	cr_assert(strstr(e->json, "\"direction\":\"callee->caller\""), "%s", e->json);
	cr_assert(strstr(e->json, "\"src\":\"10.0.0.2:5000\",\"dst\":\"10.0.0.1:4000\""));
	cr_assert(strstr(e->json, "\"sdp_direction\":\"sendrecv\""));
	cr_assert_str_eq(e->cid, "abc@host");
	char view[1024];
	hp_media_render_calls(m, view, sizeof(view));
	cr_assert(strstr(view, "Call-ID abc@host (bye): caller->callee"), "%s", view);
	cr_assert(strstr(view, "; no RTP callee->caller\n"), "%s", view);
	hp_media_destroy(m);
}

/* The call view in the events: one call_summary per ended dialog with both
 * directions. The callee sends 3 s of mu-law 0xFF (sample 0) while the caller talks. */
Test(media, call_summary_flat_and_speech)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	uint64_t t = T0 + 5 * SEC;
	rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 0xAAAA, 100, 150, false, t);
	rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 0xBBBB, 100, 150, true, t);
	uint64_t bye = T0 + 10 * SEC;
	sip(m, "BYE sip:bob@b SIP/2.0", "2 BYE", "ftag", "ttag", NULL, bye);
	hp_media_tick(m, bye + 5 * SEC - 1);
	cr_assert_eq(count(100, "\"event\":\"call_summary\"", NULL), 0);
	uint64_t end = bye + 5 * SEC + 1;
	hp_media_tick(m, end);
	cr_assert_eq(count(100, "\"event\":\"call_summary\"", NULL), 1);
	const struct rec *e = find(100, "\"event\":\"call_summary\"", NULL);
	cr_assert_not_null(e);
	cr_assert(strstr(e->json, "{\"event\":\"call_summary\",\"call_id\":\"abc@host\","
				  "\"end_reason\":\"bye\",\"start_us\":1699963200000000,"
				  "\"end_us\":1699963215000001,"), "%s", e->json);
	/* caller->callee first although the callee's stream ended first; 150 packets of
	 * 160 samples at 125 us = 3000 ms flat. */
	cr_assert(strstr(e->json, "\"directions\":["
			 "{\"direction\":\"caller->callee\",\"src\":\"10.0.0.1:4000\","
			 "\"dst\":\"10.0.0.2:5000\",\"ssrc\":\"0x0000aaaa\",\"codec\":\"PCMU\","
			 "\"verdict\":\"audio\",\"packets\":150,\"lost\":0,\"flat_ms\":0},"
			 "{\"direction\":\"callee->caller\",\"src\":\"10.0.0.2:5000\","
			 "\"dst\":\"10.0.0.1:4000\",\"ssrc\":\"0x0000bbbb\",\"codec\":\"PCMU\","
			 "\"verdict\":\"flatline\",\"packets\":150,\"lost\":0,\"flat_ms\":3000,"
			 "\"value\":0}],"), "%s", e->json);
	/* The faulty direction is named first. */
	cr_assert(strstr(e->json, "\"summary\":\"callee->caller flatline (sample 0) for 3.0 s "
				  "while caller->callee has audio\"}"), "%s", e->json);
	/* Correlation id and addresses of the caller->callee stream, at the dialog's end. */
	cr_assert_str_eq(e->cid, "abc@host");
	uint8_t a1[16], a2[16];
	set_addr(a1, "10.0.0.1");
	set_addr(a2, "10.0.0.2");
	cr_assert_eq(e->ipv, 4);
	cr_assert_eq(memcmp(e->src, a1, 16), 0);
	cr_assert_eq(memcmp(e->dst, a2, 16), 0);
	cr_assert_eq(e->sport, 4000);
	cr_assert_eq(e->dport, 5000);
	cr_assert_eq(e->ts, end);
	/* flatline while running + final flatline + 2 stream_end + call_summary */
	cr_assert_eq(ctr.v[HP_CTR_MEDIA_EVENTS], 5);
	/* The end-of-run view carries the same sentence under the call's line. */
	char view[2048];
	hp_media_render_calls(m, view, sizeof(view));
	cr_assert(strstr(view, "150 packets, 0 lost\n  summary: callee->caller flatline (sample 0) "
			       "for 3.0 s while caller->callee has audio\n"), "%s", view);
	hp_media_destroy(m);
}

Test(media, call_summary_direction_without_rtp)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	/* Only the callee sends; both sides announced sendrecv. */
	rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 7, 1, 200, false, T0 + 2 * SEC);
	hp_media_flush(m, T0 + 8 * SEC);
	cr_assert_eq(count(100, "\"event\":\"call_summary\"", NULL), 1);
	const struct rec *e = find(100, "\"event\":\"call_summary\"", NULL);
	cr_assert(strstr(e->json, "\"end_reason\":\"end_of_capture\""), "%s", e->json);
	/* The silent caller->callee direction sits first, with its announced endpoints. */
	cr_assert(strstr(e->json, "\"directions\":["
			 "{\"direction\":\"caller->callee\",\"src\":\"10.0.0.1:4000\","
			 "\"dst\":\"10.0.0.2:5000\",\"verdict\":\"no_rtp\",\"packets\":0,\"lost\":0,"
			 "\"flat_ms\":0},"
			 "{\"direction\":\"callee->caller\",\"src\":\"10.0.0.2:5000\","
			 "\"dst\":\"10.0.0.1:4000\",\"ssrc\":\"0x00000007\",\"codec\":\"PCMU\","
			 "\"verdict\":\"audio\",\"packets\":200,\"lost\":0,\"flat_ms\":0}],"),
		  "%s", e->json);
	cr_assert(strstr(e->json, "\"summary\":\"caller->callee has no RTP while callee->caller "
				  "has audio\"}"), "%s", e->json);
	/* No caller->callee stream: the record carries the announced caller endpoints. */
	cr_assert_eq(e->sport, 4000);
	cr_assert_eq(e->dport, 5000);
	cr_assert_str_eq(e->cid, "abc@host");
	/* stream_end + no_rtp + call_summary */
	cr_assert_eq(ctr.v[HP_CTR_MEDIA_EVENTS], 3);
	hp_media_destroy(m);
}

Test(media, rejected_call_ends_without_no_rtp)
{
	struct hp_media *m = engine(64, 16);
	sip(m, "INVITE sip:bob@b SIP/2.0", "1 INVITE", "ftag", NULL, SDP_CALLER, T0);
	sip(m, "SIP/2.0 486 Busy Here", "1 INVITE", "ftag", "ttag", NULL, T0 + SEC);
	hp_media_tick(m, T0 + 6 * SEC + 1);
	cr_assert_eq(ctr.v[HP_CTR_DIALOGS_EXPIRED], 1);
	cr_assert_eq(count(100, "\"event\":\"no_rtp\"", NULL), 0);
	char view[512];
	hp_media_render_calls(m, view, sizeof(view));
	cr_assert_str_eq(view, "Call-ID abc@host (rejected): no RTP seen\n");
	/* The call summary says so too: no direction, no addresses. */
	cr_assert_eq(count(100, "\"event\":\"call_summary\"", NULL), 1);
	const struct rec *e = find(100, "\"event\":\"call_summary\"", NULL);
	cr_assert(strstr(e->json, "\"end_reason\":\"rejected\""), "%s", e->json);
	cr_assert(strstr(e->json, "\"directions\":[],\"summary\":\"no RTP seen\"}"), "%s", e->json);
	cr_assert_str_eq(e->cid, "abc@host");
	cr_assert_eq(e->sport, 0);
	cr_assert_eq(e->dport, 0);
	hp_media_destroy(m);
}

Test(media, malformed_and_non_rtp_on_endpoint)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	/* 10 bytes with version 2: shorter than an RTP header. */
	uint8_t shortp[10] = { 0x80, 0x00 };
	struct hp_pkt p = udp("10.0.0.1", 4000, "10.0.0.2", 5000, shortp, sizeof(shortp));
	cr_assert_eq(hp_media_on_udp(m, &p, T0 + 2 * SEC), -HP_R_RTP_MALFORMED);
	/* ICE connectivity check on the media port: STUN, not RTP. */
	uint8_t stun[20] = { 0x00, 0x01 };
	p = udp("10.0.0.1", 4000, "10.0.0.2", 5000, stun, sizeof(stun));
	cr_assert_eq(hp_media_on_udp(m, &p, T0 + 2 * SEC), HP_MEDIA_NOT_MEDIA);
	cr_assert_eq(ctr.v[HP_CTR_STREAMS], 0);
	hp_media_destroy(m);
}

Test(media, reinvite_moves_media)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	/* The callee re-INVITEs with a new port (From/To swapped); the caller answers. */
	const char *moved = "v=0\r\no=b 1 2 IN IP4 10.0.0.3\r\ns=-\r\nc=IN IP4 10.0.0.3\r\nt=0 0\r\n"
			    "m=audio 6000 RTP/AVP 8\r\na=sendrecv\r\n";
	sip(m, "INVITE sip:alice@a SIP/2.0", "1 INVITE", "ttag", "ftag", moved, T0 + 3 * SEC);
	sip(m, "SIP/2.0 200 OK", "1 INVITE", "ttag", "ftag", SDP_CALLER, T0 + 3 * SEC + 100 * MS);
	/* Sent to the callee's new endpoint: caller->callee, PCMA from RFC 3551. */
	cr_assert_eq(rtp_run(m, "10.0.0.1", 4000, "10.0.0.3", 6000, 5, 1, 3, false, T0 + 4 * SEC),
		     HP_MEDIA_RTP);
	/* The old callee endpoint is forgotten. */
	cr_assert_eq(rtp_run(m, "10.0.0.7", 7000, "10.0.0.2", 5000, 6, 1, 1, false, T0 + 4 * SEC),
		     HP_MEDIA_RTP_PROBATION);
	hp_media_flush(m, T0 + 5 * SEC);
	cr_assert_eq(count(34, "\"ssrc\":\"0x00000005\"", "\"direction\":\"caller->callee\""), 1);
	hp_media_destroy(m);
}

/* A re-offer that moves only the caller's port: the callee's endpoints, announced
 * again unchanged, stay bound; the caller's old RTP and RTCP ports are released. */
Test(media, reoffer_keeps_repeated_endpoints)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	const char *moved = "v=0\r\no=a 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			    "m=audio 4100 RTP/AVP 0\r\na=sendrecv\r\n";
	sip(m, "INVITE sip:bob@b SIP/2.0", "2 INVITE", "ftag", "ttag", moved, T0 + 3 * SEC);
	sip(m, "SIP/2.0 200 OK", "2 INVITE", "ftag", "ttag", SDP_CALLEE, T0 + 3 * SEC + 100 * MS);
	/* The callee's endpoint, announced twice, still belongs to the call. */
	cr_assert_eq(rtp_run(m, "10.0.0.1", 4100, "10.0.0.2", 5000, 7, 1, 3, false, T0 + 4 * SEC),
		     HP_MEDIA_RTP);
	cr_assert_eq(rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4100, 8, 1, 3, false, T0 + 4 * SEC),
		     HP_MEDIA_RTP);
	/* The caller's old RTP port is unknown now: from a stranger it is a candidate. */
	cr_assert_eq(rtp_run(m, "10.0.0.9", 9000, "10.0.0.1", 4000, 9, 1, 1, false, T0 + 4 * SEC),
		     HP_MEDIA_RTP_PROBATION);
	hp_media_flush(m, T0 + 5 * SEC);
	cr_assert_eq(count(34, "\"ssrc\":\"0x00000007\"", "\"direction\":\"caller->callee\""), 1);
	cr_assert_eq(count(34, "\"ssrc\":\"0x00000008\"", "\"direction\":\"callee->caller\""), 1);
	hp_media_destroy(m);
}

/* The worker's burst path (prepare, prefetch, then the prepared call) and the
 * plain call find the same stream: packets of one stream fed alternately
 * through both make one stream with every packet counted. */
Test(media, prepared_path_matches_plain_path)
{
	struct hp_media *m = engine(64, 16);
	uint8_t b[12 + 160];
	call_setup(m, T0);
	for (int i = 0; i < 100; i++) {
		rtp_pcmu(b, (uint16_t)(1 + i), 0x1234, false);
		struct hp_pkt p = udp("10.0.0.1", 4000, "10.0.0.2", 5000, b, sizeof(b));
		uint64_t t = T0 + 2 * SEC + (uint64_t)i * 20 * MS;
		if (i % 2 == 0) {
			cr_assert_eq(hp_media_on_udp(m, &p, t), HP_MEDIA_RTP);
			continue;
		}
		struct hp_media_prep prep;
		hp_media_prepare(m, &p, &prep);
		cr_assert(prep.rtp);
		hp_media_prefetch(m, &prep);
		hp_media_prefetch_touch(m, &prep, t);
		cr_assert_eq(hp_media_on_udp_prepared(m, &p, &prep, HP_CSUM_OK, t), HP_MEDIA_RTP);
	}
	cr_assert_eq(ctr.v[HP_CTR_STREAMS], 1);

	/* RTCP (PT 200) and STUN (first byte 0) are not hashed as RTP streams. */
	uint8_t sr[28] = { 0x80, 200, 0, 6 };
	struct hp_pkt rtcp = udp("10.0.0.1", 4001, "10.0.0.2", 5001, sr, sizeof(sr));
	struct hp_media_prep prep;
	hp_media_prepare(m, &rtcp, &prep);
	cr_assert_not(prep.rtp);
	uint8_t stun[20] = { 0x00, 0x01 };
	struct hp_pkt st = udp("10.0.0.1", 4000, "10.0.0.2", 5000, stun, sizeof(stun));
	hp_media_prepare(m, &st, &prep);
	cr_assert_not(prep.rtp);
	cr_assert_eq(hp_media_on_udp_prepared(m, &st, &prep, HP_CSUM_OK, T0 + 5 * SEC), HP_MEDIA_NOT_MEDIA);

	hp_media_flush(m, T0 + 6 * SEC);
	cr_assert_eq(count(34, "\"ssrc\":\"0x00001234\"", "\"packets\":100"), 1);
	hp_media_destroy(m);
}

Test(media, memory_per_entry)
{
	struct hp_media_cfg cfg;
	hp_media_cfg_defaults(&cfg);
	cfg.max_streams = 10000;
	cfg.max_dialogs = 1;
	cfg.max_candidates = 1;
	cfg.call_log = 0;
	struct hp_media *m = hp_media_create(&cfg, &ctr, sink, NULL);
	size_t streams_only = hp_media_memory(m);
	cr_assert_leq(streams_only, 10000u * 1024u + 16384u);
	cr_assert_eq(ctr.v[HP_CTR_TABLE_BYTES], streams_only);
	hp_media_destroy(m);
	cfg.max_streams = 1;
	cfg.max_dialogs = 10000;
	m = hp_media_create(&cfg, &ctr, sink, NULL);
	cr_assert_leq(hp_media_memory(m), 10000u * 4096u + 16384u);
	hp_media_destroy(m);
	cfg.max_dialogs = 0;
	cr_assert_null(hp_media_create(&cfg, &ctr, sink, NULL));
}

/* ---------------------------------------------------------------- review items */

static struct hp_media *engine_cfg(const struct hp_media_cfg *cfg)
{
	memset(&ctr, 0, sizeof(ctr));
	memset(recs, 0, sizeof(recs));
	n_recs = 0;
	struct hp_media *m = hp_media_create(cfg, &ctr, sink, NULL);
	cr_assert_not_null(m);
	return m;
}

/* A full candidate table is its own drop reason: an RTP-shaped flood is not
 * "udp_not_voip". */
Test(media, candidate_table_full_has_its_reason)
{
	struct hp_media_cfg cfg;
	hp_media_cfg_defaults(&cfg);
	cfg.max_streams = 8;
	cfg.max_dialogs = 4;
	cfg.max_candidates = 1;
	struct hp_media *m = engine_cfg(&cfg);
	cr_assert_eq(rtp_run(m, "192.168.1.1", 20000, "192.168.1.2", 30000, 7, 10, 1, false, T0),
		     HP_MEDIA_RTP_PROBATION);
	cr_assert_eq(rtp_run(m, "192.168.1.3", 20002, "192.168.1.4", 30002, 8, 10, 1, false, T0),
		     -HP_R_CANDIDATE_TABLE_FULL);
	cr_assert_str_eq(hp_reason_label(HP_R_CANDIDATE_TABLE_FULL), "rtp_candidate_table_full");
	/* The held flow still confirms; its slot is then free for the other one. */
	cr_assert_eq(rtp_run(m, "192.168.1.1", 20000, "192.168.1.2", 30000, 7, 11, 2, false,
			     T0 + 20 * MS), HP_MEDIA_RTP);
	cr_assert_eq(rtp_run(m, "192.168.1.3", 20002, "192.168.1.4", 30002, 8, 11, 1, false,
			     T0 + 40 * MS), HP_MEDIA_RTP_PROBATION);
	hp_media_destroy(m);
}

/* n PCMU packets through the burst path, packet i with verdicts[i % nv]. */
static void rtp_run_verdicts(struct hp_media *m, struct hp_pkt *tmpl, uint32_t ssrc, int n,
			     const int *verdicts, int nv, uint64_t t)
{
	uint8_t b[12 + 160];
	for (int i = 0; i < n; i++) {
		struct hp_media_prep prep;
		struct hp_pkt p = *tmpl;
		rtp_pcmu(b, (uint16_t)(1 + i), ssrc, false);
		p.payload = b;
		p.payload_len = sizeof(b);
		hp_media_prepare(m, &p, &prep);
		int rc = hp_media_on_udp_prepared(m, &p, &prep, verdicts[i % nv], t + (uint64_t)i * 20 * MS);
		cr_assert(rc == HP_MEDIA_RTP || rc == HP_MEDIA_RTP_PROBATION, "packet %d: %d", i, rc);
	}
}

/* RTP with a bad checksum is on the wire (RFC 3550 figures, as tshark counts
 * it) but dropped by the receiving host: discarded_by_receiver, and the loss
 * the endpoint has is lost + discarded. Zero checksums over IPv4 are legal
 * (RFC 768), so only bad ones count there. */
Test(media, bad_checksum_is_discarded_by_receiver)
{
	struct hp_media *m = engine(64, 16);
	call_setup(m, T0);
	struct hp_pkt tmpl = udp("10.0.0.1", 4000, "10.0.0.2", 5000, NULL, 0);
	/* 50 packets: every 10th bad (5), every 10th + 1 zero over IPv4, + 2 offload (not discarded) */
	int v[10] = { HP_CSUM_BAD, HP_CSUM_ZERO_IPV4, HP_CSUM_OFFLOAD_PARTIAL, HP_CSUM_OK, HP_CSUM_OK,
		      HP_CSUM_OK, HP_CSUM_OK, HP_CSUM_OK, HP_CSUM_OK, HP_CSUM_OK };
	rtp_run_verdicts(m, &tmpl, 0x1111, 50, v, 10, T0 + 2 * SEC);
	/* the other way: all good */
	rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 0x2222, 1, 50, false, T0 + 2 * SEC);
	hp_media_flush(m, T0 + 10 * SEC);
	const struct rec *r = find(34, "\"ssrc\":\"0x00001111\"", NULL);
	cr_assert_not_null(r);
	/* wire: nothing lost; endpoint: 5 of 50 = 10 % */
	cr_assert(strstr(r->json, "\"expected\":50,\"lost\":0,\"loss_pct\":0.00,"
				  "\"discarded_by_receiver\":5,\"endpoint_lost\":5,"
				  "\"endpoint_loss_pct\":10.00,"), "%s", r->json);
	cr_assert(strstr(r->json, "\"PACKET_LOSS\":0"), "%s", r->json);
	/* The E-model takes the endpoint's loss: below the 4.41 of a clean stream. */
	cr_assert_null(strstr(r->json, "\"mos\":4.41"), "%s", r->json);
	const struct rec *e = find(100, "\"event\":\"stream_end\"", "0x00001111");
	cr_assert_not_null(e);
	cr_assert(strstr(e->json, "\"lost\":0,\"discarded_by_receiver\":5,\"endpoint_lost\":5,"),
		  "%s", e->json);
	const struct rec *g = find(34, "\"ssrc\":\"0x00002222\"", NULL);
	cr_assert(strstr(g->json, "\"discarded_by_receiver\":0,\"endpoint_lost\":0,"), "%s", g->json);
	cr_assert(strstr(g->json, "\"mos\":4.41"), "%s", g->json);
	cr_assert_eq(ctr.v[HP_CTR_RTP_DISCARDED], 5);
	cr_assert_eq(ctr.v[HP_CTR_RTP_LOST], 0);
	hp_media_destroy(m);
}

/* IPv6 forbids a zero UDP checksum (RFC 8200 §8.1); a stream found by the
 * heuristic keeps the verdicts of the packets it held on probation. */
Test(media, zero_checksum_ipv6_on_probation_is_discarded)
{
	struct hp_media *m = engine(64, 16);
	struct hp_pkt tmpl;
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.ip_version = 6;
	tmpl.l4_proto = 17;
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::1", tmpl.src_addr), 1);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::2", tmpl.dst_addr), 1);
	tmpl.src_port = 20000;
	tmpl.dst_port = 30000;
	/* packets 1 and 2 (held) and 5 are zero, the rest good */
	int v[5] = { HP_CSUM_ZERO_IPV6, HP_CSUM_ZERO_IPV6, HP_CSUM_OK, HP_CSUM_OK, HP_CSUM_ZERO_IPV6 };
	rtp_run_verdicts(m, &tmpl, 0x66, 5, v, 5, T0);
	hp_media_flush(m, T0 + SEC);
	const struct rec *r = find(34, "\"ssrc\":\"0x00000066\"", NULL);
	cr_assert_not_null(r);
	cr_assert(strstr(r->json, "\"packets\":5,"), "%s", r->json);
	cr_assert(strstr(r->json, "\"discarded_by_receiver\":3,\"endpoint_lost\":3,"
				  "\"endpoint_loss_pct\":60.00"), "%s", r->json);
	cr_assert(strstr(r->json, "\"heuristic\":true"));
	hp_media_destroy(m);
}

/* One malformed SDP line does not lose the call's media: the endpoints of the
 * rest of the body are learned, and the skipped line is counted. */
Test(media, sdp_with_a_malformed_line_still_binds)
{
	struct hp_media *m = engine(64, 16);
	sip(m, "INVITE sip:bob@b SIP/2.0", "1 INVITE", "ftag", NULL,
	    "v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	    "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
	    "a=rtpmap:101 telephone-event\r\n" /* no clock rate */
	    "x-vendor-garbage\r\n", T0);
	sip(m, "SIP/2.0 200 OK", "1 INVITE", "ftag", "ttag", SDP_CALLEE, T0 + SEC);
	cr_assert_eq(ctr.v[HP_CTR_SDP_MALFORMED], 0);
	cr_assert_eq(ctr.v[HP_CTR_SDP_LINES_SKIPPED], 2);
	/* The first packet to the caller's endpoint is measured at once: no probation. */
	cr_assert_eq(rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 0x2222, 1, 1, false, T0 + 2 * SEC),
		     HP_MEDIA_RTP);
	rtp_run(m, "10.0.0.2", 5000, "10.0.0.1", 4000, 0x2222, 2, 9, false, T0 + 2 * SEC + 20 * MS);
	hp_media_flush(m, T0 + 5 * SEC);
	const struct rec *r = find(34, "\"ssrc\":\"0x00002222\"", NULL);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->cid, "abc@host");
	cr_assert(strstr(r->json, "\"direction\":\"callee->caller\""), "%s", r->json);
	cr_assert(strstr(r->json, "\"heuristic\":false"), "%s", r->json);
	hp_media_destroy(m);
}

/* A 48 kHz stream (dynamic PT 96) found before its SDP: the heuristic measures
 * it at the 8 kHz default, where each 20 ms packet (960 ticks of its clock) looks
 * 800 ticks late, a 100 ms "jitter". Once the SDP's rtpmap binds it, jitter runs
 * on 48 kHz: a perfectly paced stream ends with jitter 0. */
Test(media, heuristic_stream_takes_sdp_clock_when_bound)
{
	struct hp_media *m = engine(64, 16);
	uint8_t b[12 + 160];
	const int n = 150;
	for (int i = 0; i < n; i++) {
		uint64_t t = T0 + (uint64_t)i * 20 * MS;
		if (i == 20) {
			sip(m, "INVITE sip:bob@b SIP/2.0", "1 INVITE", "ftag", NULL,
			    "v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			    "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n", t);
			sip(m, "SIP/2.0 200 OK", "1 INVITE", "ftag", "ttag",
			    "v=0\r\no=b 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n"
			    "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n", t);
		}
		rtp_pcmu(b, (uint16_t)(1 + i), 0x4848, false);
		b[1] = 96;
		hp_put_be32(b + 4, 960u * (uint32_t)(1 + i));
		struct hp_pkt p = udp("10.0.0.2", 5000, "10.0.0.1", 4000, b, sizeof(b));
		int rc = hp_media_on_udp(m, &p, t);
		cr_assert(rc == HP_MEDIA_RTP || rc == HP_MEDIA_RTP_PROBATION, "packet %d: %d", i, rc);
	}
	hp_media_flush(m, T0 + 10 * SEC);
	const struct rec *r = find(34, "\"ssrc\":\"0x00004848\"", NULL);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->cid, "abc@host");
	cr_assert(strstr(r->json, "\"clock_rate\":48000"), "%s", r->json);
	cr_assert(strstr(r->json, "\"codec\":\"opus\""), "%s", r->json);
	cr_assert(strstr(r->json, "\"packets\":150,"), "%s", r->json);
	cr_assert(strstr(r->json, "\"lost\":0,"), "%s", r->json);
	cr_assert(strstr(r->json, "\"jitter_ts\":0,\"jitter_ms\":0.000,\"max_jitter_ms\":0.000,"
				  "\"mean_jitter_ms\":0.000"), "%s", r->json);
	cr_assert(strstr(r->json, "\"heuristic\":true"), "%s", r->json);
	hp_media_destroy(m);
}

/* The seed keys the table hashes: another seed, another bucket for the same
 * packet; the same seed, the same hash; and a seeded engine works end to end
 * (streams, endpoints and dialogs all hashed with it). */
Test(media, hash_seed_keys_the_tables)
{
	struct hp_media_cfg cfg;
	uint8_t b[12 + 160];
	uint32_t h[3];
	const uint64_t seeds[3] = { 0x0123456789abcdefull, 0xfedcba9876543210ull, 0x0123456789abcdefull };

	rtp_pcmu(b, 1, 0x1234, false);
	for (int i = 0; i < 3; i++) {
		hp_media_cfg_defaults(&cfg);
		cfg.max_streams = 64;
		cfg.max_dialogs = 16;
		cfg.hash_seed = seeds[i];
		struct hp_media *m = engine_cfg(&cfg);
		struct hp_pkt p = udp("10.0.0.1", 4000, "10.0.0.2", 5000, b, sizeof(b));
		struct hp_media_prep prep;
		hp_media_prepare(m, &p, &prep);
		cr_assert(prep.rtp);
		h[i] = prep.stream_hash;
		call_setup(m, T0);
		rtp_run(m, "10.0.0.1", 4000, "10.0.0.2", 5000, 0x1234, 1, 20, false, T0 + 2 * SEC);
		cr_assert_eq(hp_media_on_udp_prepared(m, &p, &prep, HP_CSUM_OK, T0 + 3 * SEC), HP_MEDIA_RTP);
		hp_media_flush(m, T0 + 5 * SEC);
		cr_assert_eq(ctr.v[HP_CTR_STREAMS], 1);
		cr_assert_eq(count(34, "\"packets\":21,", "\"call_id\":\"abc@host\""), 1);
		hp_media_destroy(m);
	}
	cr_assert_neq(h[0], h[1]);
	cr_assert_eq(h[0], h[2]);
}

/* ---------------------------------------------------------------- verdicts (issue 13) */

#define EV 100 /* HEP type of events */

static void sip_discarded(struct hp_media *m, const char *start, const char *cseq,
			  const char *src, const char *dst, uint64_t ts)
{
	int n = snprintf(sipbuf, sizeof(sipbuf),
			 "%s\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK1\r\nFrom: <sip:alice@a>;tag=t1\r\n"
			 "To: <sip:bob@b>\r\nCall-ID: lost@host\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
			 start, src, cseq);
	struct hp_sip_msg msg;
	cr_assert_eq(hp_sip_parse((const uint8_t *)sipbuf, (size_t)n, &msg), HP_R_OK);
	struct hp_pkt p = udp(src, 5060, dst, 5060, (const uint8_t *)sipbuf, (uint32_t)n);
	if (strncmp(start, "SIP/2.0", 7) == 0 || ts == 0)
		hp_media_on_sip(m, &p, &msg, ts);
	else
		hp_media_on_sip_discarded(m, &p, &msg, HP_CSUM_BAD, ts);
}

/* Every copy of the INVITE discarded for its checksum, never answered: one
 * verdict at call end, naming the sending host and the copies. */
Test(media, checksum_discarded_unanswered_invite)
{
	struct hp_media *m = engine(16, 16);

	for (int k = 0; k < 3; k++)
		sip_discarded(m, "INVITE sip:bob@b SIP/2.0", "7 INVITE", "192.0.2.10", "198.51.100.20",
			      T0 + (uint64_t)k * 500 * MS);
	cr_assert_eq(count(EV, "sip_checksum_discarded", NULL), 0);
	hp_media_flush(m, T0 + 40 * SEC);
	const struct rec *r = find(EV, "\"event\":\"sip_checksum_discarded\"", NULL);
	cr_assert_not_null(r);
	cr_assert(strstr(r->json, "\"sending_host\":\"192.0.2.10:5060\""));
	cr_assert(strstr(r->json, "\"discarded\":3"));
	cr_assert(strstr(r->json, "\"method\":\"INVITE\""));
	cr_assert_str_eq(r->cid, "lost@host");
	cr_assert_eq(ctr.v[HP_CTR_VERDICT_BASE + HP_VERDICT_SIP_CHECKSUM_DISCARDED], 1);
	hp_media_destroy(m);
}

/* The first copy bad, the retransmission answered: the call did not fail on the wire. */
Test(media, checksum_discarded_then_answered_is_no_verdict)
{
	struct hp_media *m = engine(16, 16);

	sip_discarded(m, "INVITE sip:bob@b SIP/2.0", "7 INVITE", "192.0.2.10", "198.51.100.20", T0);
	sip_discarded(m, "SIP/2.0 100 Trying", "7 INVITE", "198.51.100.20", "192.0.2.10", T0 + SEC);
	hp_media_flush(m, T0 + 40 * SEC);
	cr_assert_eq(count(EV, "sip_checksum_discarded", NULL), 0);
	cr_assert_eq(ctr.v[HP_CTR_VERDICT_BASE + HP_VERDICT_SIP_CHECKSUM_DISCARDED], 0);
	hp_media_destroy(m);
}

/* One event per flow and reason; another reason, or the same after the idle
 * time, is news again. The flow is the correlation id. */
Test(media, sip_parse_error_once_per_flow_and_reason)
{
	struct hp_media *m = engine(16, 16);
	static const uint8_t junk[] = "INVITE sip:x SIP/2.0\r\nVia: y\r\n\r\n";
	struct hp_pkt p = udp("192.0.2.1", 5060, "192.0.2.2", 5060, junk, sizeof(junk) - 1);

	hp_media_on_sip_error(m, &p, HP_R_SIP_NO_CALL_ID, T0);
	hp_media_on_sip_error(m, &p, HP_R_SIP_NO_CALL_ID, T0 + SEC);
	cr_assert_eq(count(EV, "sip_parse_error", NULL), 1);
	const struct rec *r = find(EV, "sip_parse_error", NULL);
	cr_assert_str_eq(r->cid, "udp:192.0.2.1:5060->192.0.2.2:5060");
	cr_assert(strstr(r->json, "\"reason\":\"sip_no_call_id\""));
	cr_assert(strstr(r->json, "\"first_line\":\"INVITE sip:x SIP/2.0\""));
	hp_media_on_sip_error(m, &p, HP_R_SIP_NO_CSEQ, T0 + 2 * SEC);
	cr_assert_eq(count(EV, "sip_parse_error", NULL), 2);
	hp_media_tick(m, T0 + 200 * SEC);
	hp_media_on_sip_error(m, &p, HP_R_SIP_NO_CALL_ID, T0 + 200 * SEC);
	cr_assert_eq(count(EV, "sip_parse_error", NULL), 3);
	cr_assert_eq(ctr.v[HP_CTR_VERDICT_BASE + HP_VERDICT_SIP_PARSE_ERROR], 3);
	hp_media_destroy(m);
}

/* A normal call (SIP only, no SDP answer, so no direction is expected) and
 * a call whose callee never sends RTP: only the second gets a call_verdict. */
Test(media, call_verdict_only_for_a_faulty_call)
{
	struct hp_media *m = engine(16, 16);

	sip(m, "INVITE sip:bob@b SIP/2.0", "1 INVITE", "ft", NULL, SDP_CALLER, T0);
	sip(m, "SIP/2.0 200 OK", "1 INVITE", "ft", "tt", SDP_CALLEE, T0 + SEC);
	sip(m, "BYE sip:bob@b SIP/2.0", "2 BYE", "ft", "tt", NULL, T0 + 10 * SEC);
	hp_media_flush(m, T0 + 20 * SEC);
	/* Neither side sent RTP: two no_rtp directions, the first named. */
	const struct rec *r = find(EV, "\"event\":\"call_verdict\"", NULL);
	cr_assert_not_null(r);
	cr_assert(strstr(r->json, "\"verdict\":\"no_rtp\""));
	cr_assert(strstr(r->json, "\"bad_sender\":\"caller\""));
	cr_assert_eq(ctr.v[HP_CTR_VERDICT_BASE + HP_VERDICT_CALL_VERDICT], 1);
	hp_media_destroy(m);

	m = engine(16, 16);
	sip(m, "INVITE sip:bob@b SIP/2.0", "1 INVITE", "ft", NULL, NULL, T0);
	sip(m, "SIP/2.0 486 Busy", "1 INVITE", "ft", "tt", NULL, T0 + SEC);
	hp_media_flush(m, T0 + 20 * SEC);
	cr_assert_eq(count(EV, "call_verdict", NULL), 0);
	hp_media_destroy(m);
}

/* RTP to the callee from a port the caller's SDP did not announce. */
Test(media, rtp_from_unannounced_source_is_a_mismatch)
{
	struct hp_media *m = engine(16, 16);
	uint8_t pkt[172];

	sip(m, "INVITE sip:bob@b SIP/2.0", "1 INVITE", "ft", NULL, SDP_CALLER, T0);
	sip(m, "SIP/2.0 200 OK", "1 INVITE", "ft", "tt", SDP_CALLEE, T0 + SEC);
	memset(pkt, 0xD5, sizeof(pkt));
	pkt[0] = 0x80;
	pkt[1] = 0;
	for (int i = 0; i < 3; i++) {
		pkt[3] = (uint8_t)i;
		pkt[11] = 7;
		struct hp_pkt p = udp("10.0.0.1", 4444, "10.0.0.2", 5000, pkt, sizeof(pkt));
		hp_media_on_udp(m, &p, T0 + 2 * SEC + (uint64_t)i * 20 * MS);
	}
	const struct rec *r = find(EV, "sdp_address_mismatch", NULL);
	cr_assert_not_null(r);
	cr_assert(strstr(r->json, "\"kind\":\"rtp_source\""));
	cr_assert(strstr(r->json, "\"announced\":\"10.0.0.1:4000\""));
	cr_assert(strstr(r->json, "\"observed\":\"10.0.0.1:4444\""));
	cr_assert_eq(count(EV, "sdp_address_mismatch", NULL), 1);
	cr_assert_str_eq(r->cid, "abc@host");
	hp_media_destroy(m);
}
