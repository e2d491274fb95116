/* SPDX-License-Identifier: BSD-3-Clause */
/* SDP bodies taken from the corpus captures (INVITE / 200 payloads) and hand-made cases. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include "sdp/sdp.h"

/* sip_call_rtp_g711a.pcap frame 1 */
static const char sdp_g711a_1[] =
	"v=0\r\n"
	"o=Clarent 120386 120387 IN IP4 200.57.7.196\r\n"
	"s=Clarent C5CM\r\n"
	"c=IN IP4 200.57.7.196\r\n"
	"t=0 0\r\n"
	"m=audio 40376 RTP/AVP 8 18 4 0\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=rtpmap:4 G723/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=SendRecv\r\n";

/* sip_call_rtp_g711a.pcap frame 498 */
static const char sdp_g711a_498[] =
	"v=0\r\n"
	"o=francisco 13004970 13013442 IN IP4 200.57.7.204\r\n"
	"s=X-Lite\r\n"
	"c=IN IP4 200.57.7.204\r\n"
	"t=0 0\r\n"
	"m=audio 8000 RTP/AVP 8 0 3 98 97 101\r\n"
	"a=rtpmap:0 pcmu/8000\r\n"
	"a=rtpmap:8 pcma/8000\r\n"
	"a=rtpmap:3 gsm/8000\r\n"
	"a=rtpmap:98 iLBC/8000\r\n"
	"a=rtpmap:97 speex/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n";

/* sip_dtmf2_rfc2833_pcma.pcap frame 20 */
static const char sdp_dtmf2_20[] =
	"v=0\r\n"
	"o=SIPDECT2504 4400 1459 IN IP4 192.168.105.110\r\n"
	"s=-\r\n"
	"c=IN IP4 192.168.105.110\r\n"
	"t=0 0\r\n"
	"m=audio 4376 RTP/AVP 8 0 18 96\r\n"
	"a=sendrecv\r\n"
	"a=ptime:30\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=rtpmap:96 telephone-event/8000\r\n"
	"a=fmtp:96 0-15\r\n";

/* sip_ipv6_udp.pcap frame 1 */
static const char sdp_ipv6_1[] =
	"v=0\r\n"
	"o=Valid8.com-UserAgent 8521 32 IN IP6 fe80:0:0:0:21a:a0ff:fe07:32e0\r\n"
	"s=SIP-Call\r\n"
	"c=IN IP6 fe80:0:0:0:21a:a0ff:fe07:32e0\r\n"
	"t=0 0\r\n"
	"m=audio 5008 RTP/AVP 0\r\n"
	"a=rtpmap:0 pcmu/8000/1\r\n";

/* fax_t38_sip_rtp_cn_dtmf.pcap frame 23 */
static const char sdp_fax_23[] =
	"v=0\r\n"
	"o=- 191 1228500736 IN IP4 10.23.1.52\r\n"
	"s=IMSS\r\n"
	"c=IN IP4 10.23.1.52\r\n"
	"t=0 0\r\n"
	"m=audio 16756 RTP/AVP 8 103 102\r\n"
	"a=rtpmap:103 G726-32/8000\r\n"
	"a=ptime:30\r\n"
	"a=rtpmap:102 telephone-event/8000/1\r\n"
	"a=fmtp:102 0-15\r\n"
	"a=sqn:0\r\n"
	"a=cdsc:1 image udptl t38\r\n";

static int parse(const char *s, struct hp_sdp *o)
{
	return hp_sdp_parse((const uint8_t *)s, strlen(s), o);
}

static void assert_ip4(const struct hp_sdp_addr *a, const char *want)
{
	uint8_t w[4];
	cr_assert_eq(inet_pton(AF_INET, want, w), 1);
	cr_assert_eq(a->family, 4);
	cr_assert_eq(memcmp(a->addr, w, 4), 0, "address is not %s", want);
}

static bool name_is(struct hp_str s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

Test(sdp, corpus_clarent_invite)
{
	struct hp_sdp o;
	cr_assert_eq(parse(sdp_g711a_1, &o), HP_SDP_OK);
	cr_assert_eq(o.n_media, 1);
	const struct hp_sdp_media *m = &o.media[0];
	cr_assert_eq(m->kind, HP_SDP_AUDIO);
	cr_assert_eq(m->port, 40376);
	cr_assert(name_is(m->proto, "RTP/AVP"));
	assert_ip4(&m->conn, "200.57.7.196");
	cr_assert_eq(m->n_pt, 4);
	cr_assert_eq(m->pts[0].pt, 8);
	cr_assert_eq(m->pts[1].pt, 18);
	cr_assert_eq(m->pts[2].pt, 4);
	cr_assert_eq(m->pts[3].pt, 0);
	cr_assert(name_is(m->pts[1].name, "G729"));
	cr_assert_eq(m->pts[1].rate, 8000);
	cr_assert_eq(m->dir, HP_SDP_SENDRECV); /* "SendRecv" */
	cr_assert_eq(m->rtcp_port, 40377);
	cr_assert_eq(m->ptime, 0);
	cr_assert_eq(hp_sdp_event_pt(m), 0xFF);
}

Test(sdp, corpus_xlite_200)
{
	struct hp_sdp o;
	cr_assert_eq(parse(sdp_g711a_498, &o), HP_SDP_OK);
	const struct hp_sdp_media *m = &o.media[0];
	cr_assert_eq(m->port, 8000);
	cr_assert_eq(m->n_pt, 6);
	assert_ip4(&m->conn, "200.57.7.204");
	const struct hp_sdp_pt *f = hp_sdp_find_pt(m, 98);
	cr_assert_not_null(f);
	cr_assert(name_is(f->name, "iLBC"));
	cr_assert_eq(f->rate, 8000);
	cr_assert(name_is(hp_sdp_find_pt(m, 8)->name, "pcma"));
	cr_assert_eq(hp_sdp_event_pt(m), 101);
	cr_assert_null(hp_sdp_find_pt(m, 18));
}

Test(sdp, corpus_dect_ptime_events)
{
	struct hp_sdp o;
	cr_assert_eq(parse(sdp_dtmf2_20, &o), HP_SDP_OK);
	const struct hp_sdp_media *m = &o.media[0];
	cr_assert_eq(m->port, 4376);
	cr_assert_eq(m->ptime, 30);
	cr_assert_eq(hp_sdp_event_pt(m), 96);
	assert_ip4(&m->conn, "192.168.105.110");
}

Test(sdp, corpus_ipv6)
{
	struct hp_sdp o;
	uint8_t w[16];
	cr_assert_eq(parse(sdp_ipv6_1, &o), HP_SDP_OK);
	const struct hp_sdp_media *m = &o.media[0];
	cr_assert_eq(inet_pton(AF_INET6, "fe80::21a:a0ff:fe07:32e0", w), 1);
	cr_assert_eq(m->conn.family, 6);
	cr_assert_eq(memcmp(m->conn.addr, w, 16), 0);
	cr_assert_eq(m->port, 5008);
	cr_assert_eq(m->pts[0].channels, 1);
	cr_assert(name_is(m->pts[0].name, "pcmu"));
}

Test(sdp, corpus_fax_dynamic_codec)
{
	struct hp_sdp o;
	cr_assert_eq(parse(sdp_fax_23, &o), HP_SDP_OK);
	const struct hp_sdp_media *m = &o.media[0];
	cr_assert_eq(m->port, 16756);
	cr_assert(name_is(hp_sdp_find_pt(m, 103)->name, "G726-32"));
	cr_assert_eq(hp_sdp_find_pt(m, 102)->channels, 1);
	cr_assert_eq(hp_sdp_event_pt(m), 102);
	cr_assert(name_is(hp_sdp_find_pt(m, 8)->name, "PCMA")); /* RFC 3551 static, no rtpmap */
	cr_assert_eq(m->ptime, 30);
}

/* Hand-made: LF line ends, session-level inactive overridden per media, media-level c=
 * with TTL, a=rtcp with address, two media, udptl, port/count, IPv6 session c=. */
Test(sdp, levels_and_overrides)
{
	static const char s[] =
		"v=0\n"
		"o=- 1 1 IN IP4 192.0.2.1\n"
		"s=-\n"
		"c=IN IP6 2001:db8::1\n"
		"t=0 0\n"
		"a=inactive\n"
		"m=audio 49170/2 RTP/AVP 0 101\n"
		"c=IN IP4 233.252.0.1/127/3\n"
		"a=rtcp:53020 IN IP4 198.51.100.7\n"
		"a=rtpmap:101 telephone-event/8000\n"
		"a=recvonly\n"
		"a=ptime:20.0\n"
		"m=video 51372 RTP/AVP 99\n"
		"a=rtpmap:99 h263-1998/90000\n"
		"m=image 6000 udptl t38\n"
		"a=sendonly\n";
	struct hp_sdp o;
	cr_assert_eq(parse(s, &o), HP_SDP_OK);
	cr_assert_eq(o.n_media, 3);
	cr_assert_eq(o.dir, HP_SDP_INACTIVE);
	const struct hp_sdp_media *a = &o.media[0], *v = &o.media[1], *t = &o.media[2];
	cr_assert_eq(a->port, 49170);
	cr_assert_eq(a->nports, 2);
	assert_ip4(&a->conn, "233.252.0.1");
	cr_assert(a->rtcp_explicit);
	cr_assert_eq(a->rtcp_port, 53020);
	assert_ip4(&a->rtcp_addr, "198.51.100.7");
	cr_assert_eq(a->dir, HP_SDP_RECVONLY);
	cr_assert_eq(a->ptime, 20);
	cr_assert_eq(hp_sdp_event_pt(a), 101);

	cr_assert_eq(v->kind, HP_SDP_VIDEO);
	cr_assert_eq(v->dir, HP_SDP_INACTIVE); /* inherited */
	cr_assert_eq(v->conn.family, 6);       /* session c= */
	cr_assert_eq(v->pts[0].rate, 90000);
	cr_assert_eq(v->rtcp_port, 51373);

	cr_assert_eq(t->kind, HP_SDP_OTHER);
	cr_assert(name_is(t->proto, "udptl"));
	cr_assert_eq(t->n_pt, 0); /* "t38" is not a payload type */
	cr_assert_eq(t->dir, HP_SDP_SENDONLY);
}

Test(sdp, limits)
{
	static const char many_pt[] =
		"v=0\r\nm=audio 1000 RTP/AVP 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\r\n";
	struct hp_sdp o;
	cr_assert_eq(parse(many_pt, &o), HP_SDP_OK);
	cr_assert_eq(o.media[0].n_pt, HP_SDP_MAX_PT);
	cr_assert(o.media[0].pt_overflow);

	static const char many_m[] =
		"v=0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\nm=audio 3 RTP/AVP 0\r\n"
		"m=audio 4 RTP/AVP 0\r\nm=audio 5 RTP/AVP 0\r\na=rtcp:bad\r\n";
	cr_assert_eq(parse(many_m, &o), HP_SDP_OK); /* lines of the 5th media are skipped */
	cr_assert_eq(o.n_media, HP_SDP_MAX_MEDIA);
	cr_assert(o.media_overflow);
	cr_assert_eq(o.media[3].port, 4);

	/* port 0: rejected stream (RFC 3264 §6) */
	cr_assert_eq(parse("v=0\r\nm=audio 0 RTP/AVP 0\r\n", &o), HP_SDP_OK);
	cr_assert_eq(o.media[0].port, 0);
	cr_assert_eq(o.media[0].rtcp_port, 0);
}

/* The body parses; exactly one line was skipped, for the reason returned. */
static int skipped_one(const char *s, struct hp_sdp *o)
{
	cr_assert_eq(parse(s, o), HP_SDP_OK, "%s", s);
	cr_assert_eq(o->bad_lines, 1, "%s", s);
	return o->first_bad;
}

Test(sdp, errors)
{
	struct hp_sdp o;
	cr_assert_eq(parse("", &o), HP_SDP_EMPTY);
	cr_assert_eq(parse("\r\n\r\n", &o), HP_SDP_EMPTY);
	cr_assert_eq(parse("o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", &o), HP_SDP_NOT_SDP);
	cr_assert_eq(parse("hello\r\nv=0\r\n", &o), HP_SDP_NOT_SDP);
	cr_assert_eq(parse("v=0\r\nm=audio 1 RTP/AVP 0\r\n", &o), HP_SDP_OK);
	cr_assert_eq(o.bad_lines, 0);
	cr_assert_eq(o.first_bad, HP_SDP_OK);
	cr_assert_eq(skipped_one("v=0\r\nhello\r\n", &o), HP_SDP_BAD_LINE);
	cr_assert_eq(skipped_one("v=0\r\nm=audio\r\n", &o), HP_SDP_BAD_MEDIA);
	cr_assert_eq(skipped_one("v=0\r\nm=audio 70000 RTP/AVP 0\r\n", &o), HP_SDP_BAD_MEDIA);
	cr_assert_eq(skipped_one("v=0\r\nm=audio 1000 RTP/AVP\r\n", &o), HP_SDP_BAD_MEDIA);
	cr_assert_eq(o.n_media, 0);
	cr_assert_eq(skipped_one("v=0\r\nc=IN IP5 1.2.3.4\r\n", &o), HP_SDP_BAD_CONN);
	cr_assert_eq(skipped_one("v=0\r\nc=ATM IP4 1.2.3.4\r\n", &o), HP_SDP_BAD_CONN);
	cr_assert_eq(skipped_one("v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", &o), HP_SDP_BAD_ATTR);
	cr_assert_eq(skipped_one("v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n", &o), HP_SDP_BAD_ATTR);
	cr_assert_eq(skipped_one("v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:99999\r\n", &o), HP_SDP_BAD_ATTR);
	cr_assert_str_eq(hp_sdp_result_label(HP_SDP_BAD_MEDIA), "sdp_bad_media");
	/* a non-literal address is kept as "unknown", not an error */
	cr_assert_eq(parse("v=0\r\nc=IN IP4 media.example.com\r\nm=audio 1 RTP/AVP 0\r\n", &o), HP_SDP_OK);
	cr_assert_eq(o.media[0].conn.family, 0);
	/* the body may end without a line end */
	cr_assert_eq(parse("v=0\r\nm=audio 7078 RTP/AVP 0", &o), HP_SDP_OK);
	cr_assert_eq(o.media[0].port, 7078);
}

/* One broken line does not cost the call its media: the lines around it are
 * used as if it were absent. */
Test(sdp, malformed_line_is_skipped)
{
	static const char s[] =
		"v=0\r\n"
		"o=- 1 1 IN IP4 192.0.2.1\r\n"
		"c=IN IP4 192.0.2.10\r\n"
		"garbage without equals\r\n"
		"t=0 0\r\n"
		"m=audio 4000 RTP/AVP 96 101\r\n"
		"c=IN IP9 192.0.2.99\r\n"              /* bad c=: the session c= stays */
		"a=rtpmap:96 opus/48000/2\r\n"
		"a=rtpmap:101 telephone-event\r\n"      /* bad: no clock rate */
		"a=rtcp:70000\r\n"                      /* bad: port + 1 stays */
		"a=sendonly\r\n"
		"m=video 99999 RTP/AVP 97\r\n"          /* bad m=: its section goes */
		"c=IN IP4 198.51.100.1\r\n"
		"a=rtpmap:97 H264/90000\r\n"
		"a=inactive\r\n"
		"m=audio 5000 RTP/AVP 0\r\n"
		"a=recvonly\r\n";
	struct hp_sdp o;

	cr_assert_eq(parse(s, &o), HP_SDP_OK);
	cr_assert_eq(o.bad_lines, 5);
	cr_assert_eq(o.first_bad, HP_SDP_BAD_LINE);
	cr_assert_eq(o.n_media, 2);
	const struct hp_sdp_media *a = &o.media[0], *b = &o.media[1];
	cr_assert_eq(a->port, 4000);
	assert_ip4(&a->conn, "192.0.2.10");
	cr_assert_eq(a->rtcp_port, 4001);
	cr_assert_not(a->rtcp_explicit);
	cr_assert_eq(a->dir, HP_SDP_SENDONLY);
	cr_assert_eq(a->pts[0].rate, 48000);
	cr_assert(name_is(a->pts[0].name, "opus"));
	cr_assert_eq(a->pts[1].rate, 0);
	cr_assert_eq(b->port, 5000);
	assert_ip4(&b->conn, "192.0.2.10");
	cr_assert_eq(b->dir, HP_SDP_RECVONLY);
	cr_assert_eq(b->pts[0].rate, 8000);
}
