/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/sip: parser, classifier and Hyperscan detector.
 * Real messages come from /work/shared/corpus (sip_call_rtp_g711a.pcap,
 * sip_nb6_ims_call_pcma.pcap). Expected field values were read with tshark
 * (sip.Call-ID, sip.CSeq.*, sip.from.tag, sip.to.tag, sip.Content-Length,
 * udp.length - 8 for the payload size) or counted by hand. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"

/* invite_msg: sip_call_rtp_g711a.pcap frame 1 (UDP payload, tshark -e udp.payload) */
static const char invite_msg[] =
	"INVITE sip:francisco@bestel.com:55060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 200.57.7.195;branch=z9hG4bKff9b46fb055c0521cc24024da96cd290\r\n"
	"Via: SIP/2.0/UDP 200.57.7.195:55061;branch=z9hG4bK291d90e31a47b225bd0ddff4353e9cc0\r\n"
	"From: <sip:200.57.7.195:55061;user=phone>;tag=GR52RWG346-34\r\n"
	"To: \"francisco@bestel.com\" <sip:francisco@bestel.com:55060>\r\n"
	"Call-ID: 12013223@200.57.7.195\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:200.57.7.195:5060>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length:   229\r\n"
	"\r\n"
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

/* ok_msg: sip_call_rtp_g711a.pcap frame 498 (UDP payload, tshark -e udp.payload) */
static const char ok_msg[] =
	"SIP/2.0 200 Ok\r\n"
	"Via: SIP/2.0/UDP 200.57.7.195;branch=z9hG4bKff9b46fb055c0521cc24024da96cd290\r\n"
	"Via: SIP/2.0/UDP 200.57.7.195:55061;branch=z9hG4bK291d90e31a47b225bd0ddff4353e9cc0\r\n"
	"From: <sip:200.57.7.195:55061;user=phone>;tag=GR52RWG346-34\r\n"
	"To: \"francisco@bestel.com\" <sip:francisco@bestel.com:55060>;tag=298852044\r\n"
	"Contact: <sip:francisco@200.57.7.204:5061>\r\n"
	"Call-ID: 12013223@200.57.7.195\r\n"
	"CSeq: 1 INVITE\r\n"
	"Content-Type: application/sdp\r\n"
	"Server: X-Lite release 1103m\r\n"
	"Content-Length: 298\r\n"
	"\r\n"
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

/* ack_msg: sip_call_rtp_g711a.pcap frame 517 (UDP payload, tshark -e udp.payload) */
static const char ack_msg[] =
	"ACK sip:francisco@200.57.7.204:5061 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 200.57.7.195;branch=z9hG4bK0f496e3b6e7bd140e0b701071c1245ab\r\n"
	"Via: SIP/2.0/UDP 200.57.7.195:55061;branch=z9hG4bKa829b54f167d2bb5b96662b4efa0bbc6\r\n"
	"From: <sip:200.57.7.195:55061;user=phone>;tag=GR52RWG346-34\r\n"
	"To: \"francisco@bestel.com\" <sip:francisco@bestel.com:55060>;tag=298852044\r\n"
	"Call-ID: 12013223@200.57.7.195\r\n"
	"CSeq: 1 ACK\r\n"
	"Contact: <sip:200.57.7.195:5060>\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* register_msg: sip_call_rtp_g711a.pcap frame 152 (UDP payload, tshark -e udp.payload) */
static const char register_msg[] =
	"REGISTER sip:Verso.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 200.57.7.205:5061;rport;branch=z9hG4bKDC8595CD770E4317ACBC3B64CF5016C5\r\n"
	"From: Ivan <sip:Ivan@Verso.com>;tag=1516659370\r\n"
	"To: Ivan <sip:Ivan@Verso.com>\r\n"
	"Contact: \"Ivan\" <sip:Ivan@200.57.7.205:5061>\r\n"
	"Call-ID: 46E1C3CB36304F84A020CF6DD3F96461@Verso.com\r\n"
	"CSeq: 37764 REGISTER\r\n"
	"Expires: 1800\r\n"
	"Max-Forwards: 70\r\n"
	"User-Agent: Verso Softphone release 1104w\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* bye_msg: sip_nb6_ims_call_pcma.pcap frame 522 (UDP payload, tshark -e udp.payload) */
static const char bye_msg[] =
	"BYE sip:pcgw-0006.imsgroup0-005.ach4isc02.ims.sfr.net:5062 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.251.23.139:5060;branch=z9hG4bK11a5291f\r\n"
	"From: \"0360653674\" <sip:+33360653674@ims.mnc010.mcc208.3gppnetwork.org;user=phone>;tag=66891B8\r\n"
	"To: <sip:147@ims.mnc010.mcc208.3gppnetwork.org;user=phone>;tag=524b656f-138860423163019-gm-po-lucentPCSF-021676\r\n"
	"Call-ID: 1135D8701739D86@10.251.23.139\r\n"
	"CSeq: 2 BYE\r\n"
	"Allow: INVITE, ACK, BYE, CANCEL, REFER, NOTIFY, SUBSCRIBE, REGISTER\r\n"
	"Max-Forwards: 70\r\n"
	"Contact: <sip:+33360653674@10.251.23.139:5060;user=phone>\r\n"
	"User-Agent: neufbox6 - r13507\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* Payload sizes: tshark udp.length minus the 8-byte UDP header. */
#define INVITE_LEN 698u   /* udp.length 706, Content-Length 229 */
#define OK_LEN 788u       /* udp.length 796, Content-Length 298 */
#define ACK_LEN 443u      /* udp.length 451 */
#define REGISTER_LEN 418u /* udp.length 426 */
#define BYE_LEN 588u      /* udp.length 596 */

static const uint8_t *u8(const char *s)
{
	return (const uint8_t *)s;
}

static void assert_str(struct hp_str s, const char *want)
{
	size_t n = strlen(want);
	cr_assert_eq(s.len, n, "length %u, want %zu (\"%s\")", s.len, n, want);
	if (n > 0)
		cr_assert(memcmp(s.p, want, n) == 0, "got \"%.*s\", want \"%s\"",
			  (int)s.len, s.p, want);
}

/* Parse a NUL-free literal with its exact length (no trailing NUL). */
static int parse_lit(const char *s, struct hp_sip_msg *m)
{
	return hp_sip_parse(u8(s), strlen(s), m);
}

/* ---- corpus messages ---- */

Test(sip_corpus, sizes_match_tshark)
{
	cr_assert_eq(sizeof(invite_msg) - 1, INVITE_LEN);
	cr_assert_eq(sizeof(ok_msg) - 1, OK_LEN);
	cr_assert_eq(sizeof(ack_msg) - 1, ACK_LEN);
	cr_assert_eq(sizeof(register_msg) - 1, REGISTER_LEN);
	cr_assert_eq(sizeof(bye_msg) - 1, BYE_LEN);
}

Test(sip_corpus, invite_with_sdp)
{
	struct hp_sip_msg m;

	cr_assert_eq(hp_sip_parse(u8(invite_msg), INVITE_LEN, &m), HP_R_OK);
	cr_assert(m.is_request);
	cr_assert_eq(m.method, HP_SIP_INVITE);
	cr_assert_eq(m.status, 0);
	assert_str(m.method_str, "INVITE");
	assert_str(m.request_uri, "sip:francisco@bestel.com:55060");
	assert_str(m.call_id, "12013223@200.57.7.195");
	cr_assert_eq(m.cseq_num, 1);
	assert_str(m.cseq_method, "INVITE");
	assert_str(m.from_tag, "GR52RWG346-34");
	assert_str(m.to_tag, "");
	assert_str(m.content_type, "application/sdp");
	cr_assert_eq(m.content_length, 229);
	cr_assert_eq(m.body_len, 229);
	/* header block = 698 - 229 = 469 bytes */
	cr_assert_eq(m.body, u8(invite_msg) + 469);
	cr_assert(memcmp(m.body, "v=0\r\n", 5) == 0);
	cr_assert_eq(m.msg_len, INVITE_LEN);
}

Test(sip_corpus, ok_response_takes_method_from_cseq)
{
	struct hp_sip_msg m;

	cr_assert_eq(hp_sip_parse(u8(ok_msg), OK_LEN, &m), HP_R_OK);
	cr_assert_not(m.is_request);
	cr_assert_eq(m.status, 200);
	assert_str(m.reason, "Ok");
	cr_assert_eq(m.method, HP_SIP_INVITE);
	assert_str(m.method_str, "");
	assert_str(m.request_uri, "");
	assert_str(m.call_id, "12013223@200.57.7.195");
	cr_assert_eq(m.cseq_num, 1);
	assert_str(m.from_tag, "GR52RWG346-34");
	assert_str(m.to_tag, "298852044");
	cr_assert_eq(m.content_length, 298);
	cr_assert_eq(m.body, u8(ok_msg) + (788 - 298));
	cr_assert_eq(m.msg_len, OK_LEN);
}

Test(sip_corpus, ack_without_body)
{
	struct hp_sip_msg m;

	cr_assert_eq(hp_sip_parse(u8(ack_msg), ACK_LEN, &m), HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_ACK);
	assert_str(m.request_uri, "sip:francisco@200.57.7.204:5061");
	assert_str(m.cseq_method, "ACK");
	assert_str(m.to_tag, "298852044");
	cr_assert_eq(m.content_length, 0);
	cr_assert_eq(m.body_len, 0);
	cr_assert_eq(m.body, u8(ack_msg) + ACK_LEN);
	cr_assert_eq(m.msg_len, ACK_LEN);
}

Test(sip_corpus, register)
{
	struct hp_sip_msg m;

	cr_assert_eq(hp_sip_parse(u8(register_msg), REGISTER_LEN, &m), HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_REGISTER);
	assert_str(m.request_uri, "sip:Verso.com");
	assert_str(m.call_id, "46E1C3CB36304F84A020CF6DD3F96461@Verso.com");
	cr_assert_eq(m.cseq_num, 37764);
	assert_str(m.cseq_method, "REGISTER");
	assert_str(m.from_tag, "1516659370");
	assert_str(m.to_tag, "");
	assert_str(m.content_type, "");
	cr_assert_eq(m.msg_len, REGISTER_LEN);
	/* What registration tracking reads (lib/register). */
	assert_str(m.to_uri, "sip:Ivan@Verso.com");
	assert_str(m.contact_uri, "sip:Ivan@200.57.7.205:5061");
	cr_assert_eq(m.contact_expires, -1);
	cr_assert_eq(m.expires, 1800);
}

/* RFC 3261 §20.10: the URI is inside <> of a name-addr (a quoted display name
 * may hold '<' or ';'), else it runs to the header parameters; the expires
 * parameter is the contact's (§10.2.1.1), only the first Contact counts. */
Test(sip_parse, contact_expires_and_uris)
{
	static const char msg[] =
		"SIP/2.0 200 OK\r\n"
		"To: \"a<b;c\" <sip:bob@example.net;transport=udp>;tag=9\r\n"
		"m: sip:bob@192.0.2.1:5060 ; EXPIRES = 120;q=0.5\r\n"
		"Contact: <sip:other@192.0.2.2>;expires=3600\r\n"
		"Expires: 99999999999\r\n"
		"Call-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n";
	struct hp_sip_msg m;

	cr_assert_eq(hp_sip_parse(u8(msg), sizeof(msg) - 1, &m), HP_R_OK);
	assert_str(m.to_uri, "sip:bob@example.net;transport=udp");
	assert_str(m.to_tag, "9");
	assert_str(m.contact_uri, "sip:bob@192.0.2.1:5060");
	cr_assert_eq(m.contact_expires, 120);
	/* delta-seconds above 2^31 - 1 are taken as 2^31 - 1 (§20.19). */
	cr_assert_eq(m.expires, INT32_MAX);

	static const char bad[] = "OPTIONS sip:x SIP/2.0\r\nTo: sip:x\r\nExpires: soon\r\n"
				  "Call-ID: y\r\nCSeq: 2 OPTIONS\r\n\r\n";
	cr_assert_eq(hp_sip_parse(u8(bad), sizeof(bad) - 1, &m), HP_R_OK);
	assert_str(m.to_uri, "sip:x");
	assert_str(m.contact_uri, "");
	cr_assert_eq(m.expires, -1);
	cr_assert_eq(m.contact_expires, -1);
}

Test(sip_corpus, bye_ims)
{
	struct hp_sip_msg m;

	cr_assert_eq(hp_sip_parse(u8(bye_msg), BYE_LEN, &m), HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_BYE);
	assert_str(m.request_uri, "sip:pcgw-0006.imsgroup0-005.ach4isc02.ims.sfr.net:5062");
	assert_str(m.call_id, "1135D8701739D86@10.251.23.139");
	cr_assert_eq(m.cseq_num, 2);
	assert_str(m.from_tag, "66891B8");
	assert_str(m.to_tag, "524b656f-138860423163019-gm-po-lucentPCSF-021676");
	cr_assert_eq(m.msg_len, BYE_LEN);
}

/* Every prefix of a valid message: in the start line -> bad start line, in
 * the headers -> truncated, in the body -> Content-Length too large. Each
 * prefix is copied to a buffer of exactly that size so a sanitizer build
 * catches any read past len. */
Test(sip_parse, every_truncation_of_invite)
{
	/* "INVITE sip:francisco@bestel.com:55060 SIP/2.0" is 45 bytes; the
	 * header block ends at 469. */
	for (size_t k = 0; k <= INVITE_LEN; k++) {
		uint8_t *buf = malloc(k ? k : 1);
		struct hp_sip_msg m;
		int rc, want;

		cr_assert_not_null(buf);
		memcpy(buf, invite_msg, k);
		rc = hp_sip_parse(buf, k, &m);
		if (k < 45)
			want = HP_R_SIP_BAD_START_LINE;
		else if (k < 469)
			want = HP_R_SIP_HEADER_TRUNCATED;
		else if (k < INVITE_LEN)
			want = HP_R_SIP_BAD_CONTENT_LENGTH;
		else
			want = HP_R_OK;
		cr_assert_eq(rc, want, "prefix %zu: rc %d want %d", k, rc, want);
		free(buf);
	}
}

Test(sip_parse, every_truncation_of_response)
{
	for (size_t k = 0; k < ACK_LEN; k++) {
		uint8_t *buf = malloc(k ? k : 1);
		struct hp_sip_msg m;

		cr_assert_not_null(buf);
		memcpy(buf, ack_msg, k);
		cr_assert_neq(hp_sip_parse(buf, k, &m), HP_R_OK, "prefix %zu", k);
		free(buf);
	}
}

/* ---- header forms ---- */

Test(sip_parse, compact_headers)
{
	static const char msg[] =
		"INVITE sip:bob@b.example SIP/2.0\r\n"
		"v: SIP/2.0/UDP h.example;branch=z9hG4bK1\r\n"
		"f: <sip:alice@a.example>;tag=aa1\r\n"
		"t: Bob <sip:bob@b.example>;tag=bb2\r\n"
		"i: compact-id@a.example\r\n"
		"CSeq: 5 INVITE\r\n"
		"c: application/sdp\r\n"
		"l: 4\r\n"
		"\r\n"
		"abcd";
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit(msg, &m), HP_R_OK);
	assert_str(m.call_id, "compact-id@a.example");
	assert_str(m.from_tag, "aa1");
	assert_str(m.to_tag, "bb2");
	assert_str(m.content_type, "application/sdp");
	cr_assert_eq(m.content_length, 4);
	cr_assert_eq(m.body_len, 4);
	cr_assert(memcmp(m.body, "abcd", 4) == 0);
	cr_assert_eq(m.msg_len, sizeof(msg) - 1);
}

Test(sip_parse, header_name_case_and_whitespace)
{
	static const char msg[] =
		"OPTIONS sip:x.example SIP/2.0\r\n"
		"CALL-id  :   upper-lower@x  \r\n"
		"cseq:\t42   OPTIONS\t\r\n"
		"FROM: sip:a@x.example;TaG=Fa\r\n"
		"T: <sip:b@x.example>; tag = Tb ;other=1\r\n"
		"CONTENT-LENGTH: 0\r\n"
		"\r\n";
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit(msg, &m), HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_OPTIONS);
	assert_str(m.call_id, "upper-lower@x");
	cr_assert_eq(m.cseq_num, 42);
	assert_str(m.cseq_method, "OPTIONS");
	assert_str(m.from_tag, "Fa");
	assert_str(m.to_tag, "Tb");
	cr_assert_eq(m.content_length, 0);
}

Test(sip_parse, folded_headers)
{
	static const char msg[] =
		"BYE sip:b@x.example SIP/2.0\r\n"
		"Call-ID:\r\n"
		"   folded-id@x.example\r\n"
		"CSeq: 7\r\n"
		"\tBYE\r\n"
		"From: <sip:a@x.example>\r\n"
		" ;tag=ff\r\n"
		"To: <sip:b@x.example>;tag=tt\r\n"
		"Subject: one\r\n"
		" two\r\n"
		"Content-Length:\r\n"
		" 3\r\n"
		"\r\n"
		"xyz";
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit(msg, &m), HP_R_OK);
	assert_str(m.call_id, "folded-id@x.example");
	cr_assert_eq(m.cseq_num, 7);
	assert_str(m.cseq_method, "BYE");
	assert_str(m.from_tag, "ff");
	assert_str(m.to_tag, "tt");
	cr_assert_eq(m.content_length, 3);
	cr_assert_eq(m.msg_len, sizeof(msg) - 1);
}

Test(sip_parse, tag_not_taken_from_uri_or_display_name)
{
	/* ';tag=' inside <...> is a URI parameter and inside quotes part of
	 * the display name (RFC 3261 §20.10); only the header param counts. */
	static const char msg[] =
		"INFO sip:b@x.example SIP/2.0\r\n"
		"From: \"a;tag=no\" <sip:a@x.example;tag=no2>;x=\"q;tag=no3\";epid=e1;tag=yes\r\n"
		"To: <sip:b@x.example;tag=uri>\r\n"
		"Call-ID: c\r\n"
		"CSeq: 1 INFO\r\n"
		"\r\n";
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit(msg, &m), HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_INFO);
	assert_str(m.from_tag, "yes");
	assert_str(m.to_tag, "");
}

Test(sip_parse, bare_lf_line_ends)
{
	static const char msg[] =
		"MESSAGE sip:b@x.example SIP/2.0\n"
		"Call-ID: lf-only\n"
		"CSeq: 3 MESSAGE\n"
		"Content-Type: text/plain\n"
		"Content-Length: 2\n"
		"\n"
		"hi";
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit(msg, &m), HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_MESSAGE);
	assert_str(m.request_uri, "sip:b@x.example");
	assert_str(m.call_id, "lf-only");
	assert_str(m.content_type, "text/plain");
	cr_assert(memcmp(m.body, "hi", 2) == 0);
	cr_assert_eq(m.msg_len, sizeof(msg) - 1);
}

Test(sip_parse, leading_crlf_counted_in_msg_len)
{
	static const char msg[] =
		"\r\n\r\n"
		"SIP/2.0 486 Busy Here\r\n"
		"Call-ID: k\r\n"
		"CSeq: 9 INVITE\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit(msg, &m), HP_R_OK);
	cr_assert_eq(m.status, 486);
	assert_str(m.reason, "Busy Here");
	cr_assert_eq(m.msg_len, sizeof(msg) - 1);
}

/* ---- reasons ---- */

Test(sip_parse, missing_call_id)
{
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit("INVITE sip:b@x SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_SIP_NO_CALL_ID);
	cr_assert_eq(parse_lit("INVITE sip:b@x SIP/2.0\r\nCall-ID:   \r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_SIP_NO_CALL_ID);
	/* "Call-IDx" is another header */
	cr_assert_eq(parse_lit("INVITE sip:b@x SIP/2.0\r\nCall-IDx: a\r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_SIP_NO_CALL_ID);
}

Test(sip_parse, missing_or_bad_cseq)
{
	static const char *const bad[] = {
		"SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: INVITE\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1x INVITE\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 4294967296 INVITE\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE extra\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: -1 INVITE\r\n\r\n",
	};
	struct hp_sip_msg m;

	for (size_t i = 0; i < HP_ARRAY_LEN(bad); i++)
		cr_assert_eq(parse_lit(bad[i], &m), HP_R_SIP_NO_CSEQ, "case %zu", i);
	/* the largest 32-bit number is accepted */
	cr_assert_eq(parse_lit("SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 4294967295 INVITE\r\n\r\n", &m),
		     HP_R_OK);
	cr_assert_eq(m.cseq_num, 4294967295u);
}

Test(sip_parse, content_length_too_large)
{
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit("INVITE sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n"
			       "Content-Length: 5\r\n\r\nabcd", &m),
		     HP_R_SIP_BAD_CONTENT_LENGTH);
	cr_assert_eq(parse_lit("INVITE sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n"
			       "Content-Length: 4\r\n\r\nabcd", &m),
		     HP_R_OK);
}

Test(sip_parse, content_length_malformed)
{
	static const char *const bad[] = {
		"Content-Length: 12a\r\n",
		"Content-Length: -1\r\n",
		"Content-Length: 99999999999\r\n",
		"Content-Length: 2147483648\r\n",
		"Content-Length:\r\n",
		"Content-Length: 1 2\r\n",
		"Content-Length: 0\r\nl: 1\r\n", /* two different lengths */
	};
	char buf[256];
	struct hp_sip_msg m;

	for (size_t i = 0; i < HP_ARRAY_LEN(bad); i++) {
		int n = snprintf(buf, sizeof(buf),
				 "SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 BYE\r\n%s\r\nx", bad[i]);
		cr_assert_eq(hp_sip_parse(u8(buf), (size_t)n, &m), HP_R_SIP_BAD_CONTENT_LENGTH,
			     "case %zu", i);
	}
	/* the same length twice is consistent */
	cr_assert_eq(parse_lit("SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 BYE\r\n"
			       "Content-Length: 1\r\nl: 1\r\n\r\nx", &m), HP_R_OK);
	cr_assert_eq(m.body_len, 1);
}

Test(sip_parse, content_length_absent_takes_rest)
{
	/* 21 + 12 + 13 + 2 = 48 header bytes, then 7 body bytes */
	static const char msg[] =
		"SIP/2.0 180 Ringing\r\n"
		"Call-ID: z\r\n"
		"CSeq: 2 BYE\r\n"
		"\r\n"
		"trailer";
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit(msg, &m), HP_R_OK);
	cr_assert_eq(m.content_length, -1);
	cr_assert_eq(m.method, HP_SIP_BYE);
	cr_assert_eq(m.body_len, 7);
	cr_assert_eq(m.body, u8(msg) + 48);
	cr_assert_eq(m.msg_len, 55);
}

Test(sip_parse, two_messages_back_to_back)
{
	static const char first[] =
		"NOTIFY sip:b@x SIP/2.0\r\nCall-ID: one\r\nCSeq: 10 NOTIFY\r\n"
		"Content-Length: 3\r\n\r\nabc";
	static const char second[] =
		"SIP/2.0 200 OK\r\nCall-ID: two\r\nCSeq: 10 NOTIFY\r\nContent-Length: 0\r\n\r\n";
	char stream[sizeof(first) + sizeof(second)];
	size_t n1 = sizeof(first) - 1, n2 = sizeof(second) - 1;
	struct hp_sip_msg m;

	memcpy(stream, first, n1);
	memcpy(stream + n1, second, n2);
	cr_assert_eq(hp_sip_parse(u8(stream), n1 + n2, &m), HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_NOTIFY);
	assert_str(m.call_id, "one");
	cr_assert_eq(m.msg_len, n1);
	cr_assert(memcmp(m.body, "abc", 3) == 0);

	cr_assert_eq(hp_sip_parse(u8(stream) + m.msg_len, n1 + n2 - m.msg_len, &m), HP_R_OK);
	cr_assert_eq(m.status, 200);
	assert_str(m.call_id, "two");
	cr_assert_eq(m.msg_len, n2);
}

Test(sip_parse, status_code_range)
{
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit("SIP/2.0 99 Low\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_SIP_BAD_START_LINE);
	cr_assert_eq(parse_lit("SIP/2.0 099 Low\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_SIP_BAD_START_LINE);
	cr_assert_eq(parse_lit("SIP/2.0 700 High\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_SIP_BAD_START_LINE);
	cr_assert_eq(parse_lit("SIP/2.0 2000 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_SIP_BAD_START_LINE);
	cr_assert_eq(parse_lit("SIP/2.0 100 Trying\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_OK);
	cr_assert_eq(m.status, 100);
	cr_assert_eq(parse_lit("SIP/2.0 699 Top\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", &m),
		     HP_R_OK);
	cr_assert_eq(m.status, 699);
	/* empty reason phrase, with and without its SP */
	cr_assert_eq(parse_lit("SIP/2.0 202 \r\nCall-ID: a\r\nCSeq: 1 REFER\r\n\r\n", &m), HP_R_OK);
	assert_str(m.reason, "");
	cr_assert_eq(m.method, HP_SIP_REFER);
	cr_assert_eq(parse_lit("SIP/2.0 202\r\nCall-ID: a\r\nCSeq: 1 REFER\r\n\r\n", &m), HP_R_OK);
	cr_assert_eq(m.status, 202);
}

Test(sip_parse, bad_start_lines)
{
	static const char *const bad[] = {
		"",
		"\r\n\r\n",
		"GET / HTTP/1.1\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"HTTP/1.1 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE sip:b@x SIP/3.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE  sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE sip:b@x SIP/2.0 \r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"IN(VITE sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"SIP/2.0 20x OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"SIP/2.0 200OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
	};
	struct hp_sip_msg m;

	for (size_t i = 0; i < HP_ARRAY_LEN(bad); i++)
		cr_assert_eq(parse_lit(bad[i], &m), HP_R_SIP_BAD_START_LINE, "case %zu", i);
}

Test(sip_parse, headers_not_terminated)
{
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit("INVITE sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n", &m),
		     HP_R_SIP_HEADER_TRUNCATED);
	cr_assert_eq(parse_lit("INVITE sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n ", &m),
		     HP_R_SIP_HEADER_TRUNCATED);
	cr_assert_eq(parse_lit("INVITE sip:b@x SIP/2.0", &m), HP_R_SIP_HEADER_TRUNCATED);
}

Test(sip_parse, methods_case_sensitive_and_extensions)
{
	struct hp_sip_msg m;

	cr_assert_eq(parse_lit("FOO.BAR sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 FOO.BAR\r\n\r\n", &m),
		     HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_OTHER);
	assert_str(m.method_str, "FOO.BAR");
	/* RFC 3261 §7.1: method names are case-sensitive */
	cr_assert_eq(parse_lit("invite sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 invite\r\n\r\n", &m),
		     HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_OTHER);
	/* the version is case-insensitive */
	cr_assert_eq(parse_lit("PRACK sips:b@x sip/2.0\r\nCall-ID: a\r\nCSeq: 2 PRACK\r\n\r\n", &m),
		     HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_PRACK);
	cr_assert_eq(parse_lit("SIP/2.0 481 Gone\r\nCall-ID: a\r\nCSeq: 2 XYZ\r\n\r\n", &m), HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_OTHER);
	cr_assert_eq(parse_lit("SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 2 SUBSCRIBE\r\n\r\n", &m),
		     HP_R_OK);
	cr_assert_eq(m.method, HP_SIP_SUBSCRIBE);
}

Test(sip_method, names)
{
	cr_assert_str_eq(hp_sip_method_name(HP_SIP_NONE), "");
	cr_assert_str_eq(hp_sip_method_name(HP_SIP_INVITE), "INVITE");
	cr_assert_str_eq(hp_sip_method_name(HP_SIP_ACK), "ACK");
	cr_assert_str_eq(hp_sip_method_name(HP_SIP_CANCEL), "CANCEL");
	cr_assert_str_eq(hp_sip_method_name(HP_SIP_UPDATE), "UPDATE");
	cr_assert_str_eq(hp_sip_method_name(HP_SIP_PUBLISH), "PUBLISH");
	cr_assert_str_eq(hp_sip_method_name(HP_SIP_OTHER), "OTHER");
	cr_assert_str_eq(hp_sip_method_name(HP_SIP_METHOD_MAX), "");
	cr_assert_str_eq(hp_sip_method_name(-1), "");
	cr_assert_eq(HP_SIP_OTHER, 15); /* 14 named methods after NONE */
}

Test(sip_method, every_named_method_parses_to_itself)
{
	char buf[128];
	struct hp_sip_msg m;

	for (int i = HP_SIP_INVITE; i < HP_SIP_OTHER; i++) {
		const char *name = hp_sip_method_name(i);
		int n = snprintf(buf, sizeof(buf),
				 "%s sip:b@x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 %s\r\n\r\n", name, name);
		cr_assert_eq(hp_sip_parse(u8(buf), (size_t)n, &m), HP_R_OK, "%s", name);
		cr_assert_eq(m.method, i, "%s", name);
	}
}

/* ---- classify ---- */

/* STUN Binding Request (RFC 5389 §6): type 0x0001, length 0, magic cookie
 * 0x2112A442, 96-bit transaction id. */
static const uint8_t stun_binding[20] = {
	0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
	0x62, 0x4a, 0x75, 0x30, 0x41, 0x6b, 0x55, 0x73, 0x77, 0x4b, 0x70, 0x4d,
};

/* RTP version 2, PT 8, then header bytes */
static const uint8_t rtp_pcma[12] = {
	0x80, 0x08, 0x12, 0x34, 0x00, 0x00, 0x00, 0xa0, 0x58, 0xf3, 0x3d, 0xea,
};

Test(sip_classify, empty_and_keepalive)
{
	cr_assert_eq(hp_sip_classify(u8(""), 0), HP_SIP_KIND_EMPTY);
	cr_assert_eq(hp_sip_classify(u8("\r\n\r\n"), 4), HP_SIP_KIND_KEEPALIVE);
	cr_assert_eq(hp_sip_classify(u8("\r\n"), 2), HP_SIP_KIND_KEEPALIVE);
	cr_assert_eq(hp_sip_classify(u8("\n"), 1), HP_SIP_KIND_KEEPALIVE);
	cr_assert_eq(hp_sip_classify(u8("\r\n \r\n"), 5), HP_SIP_KIND_NOT_SIP);
}

Test(sip_classify, sip_messages)
{
	cr_assert_eq(hp_sip_classify(u8(invite_msg), INVITE_LEN), HP_SIP_KIND_SIP);
	cr_assert_eq(hp_sip_classify(u8(ok_msg), OK_LEN), HP_SIP_KIND_SIP);
	cr_assert_eq(hp_sip_classify(u8(ack_msg), ACK_LEN), HP_SIP_KIND_SIP);
	cr_assert_eq(hp_sip_classify(u8(register_msg), REGISTER_LEN), HP_SIP_KIND_SIP);
	cr_assert_eq(hp_sip_classify(u8(bye_msg), BYE_LEN), HP_SIP_KIND_SIP);
	/* only the first line is needed */
	cr_assert_eq(hp_sip_classify(u8("OPTIONS sip:x SIP/2.0"), 21), HP_SIP_KIND_SIP);
	cr_assert_eq(hp_sip_classify(u8("SIP/2.0 "), 8), HP_SIP_KIND_SIP);
	cr_assert_eq(hp_sip_classify(u8("FOO tel:+1234 SIP/2.0\n"), 22), HP_SIP_KIND_SIP);
	cr_assert_eq(hp_sip_classify(u8("\r\n\r\nBYE sip:a@b SIP/2.0\r\n"), 26), HP_SIP_KIND_SIP);
}

Test(sip_classify, not_sip)
{
	static const char *const txt[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n",
		"SIP/2.0",
		"INVITE sip:x SIP/2.",
		"INVITE sip:x SIP/2.0 \r\n",
		" INVITE sip:x SIP/2.0\r\n",
		"INVITE x SIP/2.0\r\n",
		"hello\r\nINVITE sip:x SIP/2.0\r\n",
	};

	for (size_t i = 0; i < HP_ARRAY_LEN(txt); i++)
		cr_assert_eq(hp_sip_classify(u8(txt[i]), strlen(txt[i])), HP_SIP_KIND_NOT_SIP,
			     "case %zu", i);
	cr_assert_eq(hp_sip_classify(stun_binding, sizeof(stun_binding)), HP_SIP_KIND_NOT_SIP);
	cr_assert_eq(hp_sip_classify(rtp_pcma, sizeof(rtp_pcma)), HP_SIP_KIND_NOT_SIP);
}

/* ---- Hyperscan detector ---- */

static struct hp_sip_detector *det;
static struct hp_sip_scratch *scr;

static void det_setup(void)
{
	char err[256] = "";

	det = hp_sip_detector_create(err, sizeof(err));
	cr_assert_not_null(det, "detector: %s", err);
	scr = hp_sip_scratch_create(det);
	cr_assert_not_null(scr);
}

static void det_teardown(void)
{
	hp_sip_scratch_destroy(scr);
	hp_sip_detector_destroy(det);
}

static bool detect_lit(const char *s)
{
	return hp_sip_detect(det, scr, u8(s), strlen(s));
}

TestSuite(sip_detect, .init = det_setup, .fini = det_teardown);

Test(sip_detect, corpus_messages_on_any_port)
{
	/* The detector sees payload only: a SIP message on a non-SIP port
	 * is found by content. */
	cr_assert(hp_sip_detect(det, scr, u8(invite_msg), INVITE_LEN));
	cr_assert(hp_sip_detect(det, scr, u8(ok_msg), OK_LEN));
	cr_assert(hp_sip_detect(det, scr, u8(ack_msg), ACK_LEN));
	cr_assert(hp_sip_detect(det, scr, u8(register_msg), REGISTER_LEN));
	cr_assert(hp_sip_detect(det, scr, u8(bye_msg), BYE_LEN));
}

Test(sip_detect, start_line_shapes)
{
	cr_assert(detect_lit("OPTIONS sip:x@y SIP/2.0\r\n"));
	cr_assert(detect_lit("FOO.bar~ sips:x@y SIP/2.0\r\nCall-ID: a\r\n"));
	cr_assert(detect_lit("MESSAGE tel:+331234 sip/2.0\n"));
	cr_assert(detect_lit("INVITE sip:x@y SIP/2.0"));
	cr_assert(detect_lit("\r\n\r\nBYE sip:x@y SIP/2.0\r\n"));
	cr_assert(detect_lit("SIP/2.0 180 Ringing\r\n"));
	cr_assert(detect_lit("SIP/2.0 100\r\n"));
	cr_assert(detect_lit("SIP/2.0 699 x"));
}

Test(sip_detect, rejects)
{
	cr_assert_not(detect_lit("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
	cr_assert_not(detect_lit("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	cr_assert_not(detect_lit("GET sip:x HTTP/1.1\r\n"));
	cr_assert_not(detect_lit("SIP/2.0 099 Low\r\n"));
	cr_assert_not(detect_lit("SIP/2.0 700 High\r\n"));
	cr_assert_not(detect_lit("SIP/2.0 20 OK\r\n"));
	cr_assert_not(detect_lit("SIP/2.0 2000 OK\r\n"));
	cr_assert_not(detect_lit("INVITE sip:x SIP/2.0 \r\n"));
	cr_assert_not(detect_lit("INVITE x@y SIP/2.0\r\n"));
	cr_assert_not(detect_lit(" INVITE sip:x@y SIP/2.0\r\n"));
	cr_assert_not(detect_lit("INVITE  sip:x@y SIP/2.0\r\n"));
	/* anchored: SIP further in the payload does not count */
	cr_assert_not(detect_lit("hello\r\nINVITE sip:x@y SIP/2.0\r\n"));
	cr_assert_not(detect_lit("x SIP/2.0 200 OK\r\n"));
	cr_assert_not(detect_lit("\r\n\r\n"));
	cr_assert_not(hp_sip_detect(det, scr, u8(""), 0));
	cr_assert_not(hp_sip_detect(det, scr, stun_binding, sizeof(stun_binding)));
	cr_assert_not(hp_sip_detect(det, scr, rtp_pcma, sizeof(rtp_pcma)));
}

Test(sip_detect, first_line_only_and_bounded)
{
	/* 2000-byte URI: the scan stops at the window and finds no version */
	static char big[2100];
	size_t n = 0;

	memcpy(big, "INVITE sip:", 11);
	n = 11;
	memset(big + n, 'a', 2000);
	n += 2000;
	memcpy(big + n, " SIP/2.0\r\n", 10);
	n += 10;
	cr_assert_not(hp_sip_detect(det, scr, u8(big), n));
	/* the version on the second line is not a request line */
	cr_assert_not(detect_lit("INVITE sip:x@y\r\n SIP/2.0\r\n"));
}

Test(sip_detect, agrees_with_classify_on_requests)
{
	static const char *const cases[] = {
		"INVITE sip:x@y SIP/2.0\r\n", "FOO sip:a SIP/2.0\r\n", "GET / HTTP/1.1\r\n",
		"INVITE x SIP/2.0\r\n", "INVITE sip:x SIP/2.0x\r\n",
	};
	static const bool want[] = { true, true, false, false, false };

	for (size_t i = 0; i < HP_ARRAY_LEN(cases); i++) {
		cr_assert_eq(detect_lit(cases[i]), want[i], "case %zu", i);
		cr_assert_eq(hp_sip_classify(u8(cases[i]), strlen(cases[i])) == HP_SIP_KIND_SIP,
			     want[i], "case %zu", i);
	}
}

Test(sip_detect, two_scratches_share_one_database)
{
	struct hp_sip_scratch *s2 = hp_sip_scratch_create(det);

	cr_assert_not_null(s2);
	cr_assert(hp_sip_detect(det, s2, u8(invite_msg), INVITE_LEN));
	cr_assert(hp_sip_detect(det, scr, u8(ok_msg), OK_LEN));
	cr_assert_not(hp_sip_detect(det, s2, stun_binding, sizeof(stun_binding)));
	hp_sip_scratch_destroy(s2);
}

/* ---- stream framer (lib/sip/frame.c) ---- */

static int frame_str(const char *s, size_t max, struct hp_sip_frame *f)
{
	return hp_sip_frame((const uint8_t *)s, strlen(s), max, f);
}

Test(sip_frame, invite_with_body)
{
	struct hp_sip_frame f;
	size_t len = sizeof(invite_msg) - 1;

	cr_assert_eq(hp_sip_frame((const uint8_t *)invite_msg, len, 65536, &f), HP_R_OK);
	cr_assert(f.complete);
	cr_assert(f.has_content_length);
	cr_assert_eq(f.body_len, 229);
	cr_assert_eq(f.msg_len, len);
	cr_assert_eq(f.header_len, len - 229);
	cr_assert_eq(f.line_len, strlen("INVITE sip:francisco@bestel.com:55060 SIP/2.0"));
	/* The body need not be there: the header alone gives the length. */
	cr_assert_eq(hp_sip_frame((const uint8_t *)invite_msg, f.header_len, 65536, &f), HP_R_OK);
	cr_assert(f.complete);
	cr_assert_eq(f.msg_len, len);
}

Test(sip_frame, compact_case_folded_and_spaced_names)
{
	struct hp_sip_frame f;

	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nl: 7\r\n\r\n", 4096, &f), HP_R_OK);
	cr_assert_eq(f.body_len, 7);
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nL:7\r\n\r\n", 4096, &f), HP_R_OK);
	cr_assert_eq(f.body_len, 7);
	cr_assert_eq(frame_str("BYE sip:a@b SIP/2.0\r\nCONTENT-length \t: 12 \r\n\r\n", 4096, &f), HP_R_OK);
	cr_assert_eq(f.body_len, 12);
	/* §7.3.1 folding: the value on the continuation line. */
	cr_assert_eq(frame_str("BYE sip:a@b SIP/2.0\r\nContent-Length:\r\n   42\r\nVia: x\r\n\r\n", 4096, &f),
		     HP_R_OK);
	cr_assert_eq(f.body_len, 42);
	/* Other headers that merely start like it do not count. */
	cr_assert_eq(frame_str("BYE sip:a@b SIP/2.0\r\nContent-Lengthy: 9\r\nLx: 3\r\n\r\n", 4096, &f), HP_R_OK);
	cr_assert_not(f.has_content_length);
	cr_assert_eq(f.body_len, 0);
	/* A bare LF ends lines too. */
	cr_assert_eq(frame_str("OPTIONS sip:a@b SIP/2.0\nl: 2\n\n", 4096, &f), HP_R_OK);
	cr_assert_eq(f.header_len, strlen("OPTIONS sip:a@b SIP/2.0\nl: 2\n\n"));
	cr_assert_eq(f.msg_len, f.header_len + 2);
}

Test(sip_frame, incomplete_needs_more)
{
	struct hp_sip_frame f;
	const char *prefixes[] = { "", "I", "INVITE sip:a@b SIP/2.", "SIP/2.0 180 Ringing\r",
				   "SIP/2.0 180 Ringing\r\nVia: x\r\nContent-Len" };

	for (size_t i = 0; i < HP_ARRAY_LEN(prefixes); i++) {
		cr_assert_eq(frame_str(prefixes[i], 4096, &f), HP_R_OK, "'%s'", prefixes[i]);
		cr_assert_not(f.complete, "'%s'", prefixes[i]);
	}
}

Test(sip_frame, malformed)
{
	struct hp_sip_frame f;

	/* Not a SIP start line, complete or already impossible. */
	cr_assert_eq(frame_str("HTTP/1.1 200 OK\r\n\r\n", 4096, &f), HP_R_SIP_STREAM_BAD_START_LINE);
	cr_assert_eq(frame_str("\x16\x03\x01\x02", 4096, &f), HP_R_SIP_STREAM_BAD_START_LINE);
	cr_assert_eq(frame_str("Via: SIP/2.0/TCP x", 4096, &f), HP_R_SIP_STREAM_BAD_START_LINE);
	cr_assert_eq(frame_str("\r\nINVITE sip:a@b SIP/2.0\r\n", 4096, &f), HP_R_SIP_STREAM_BAD_START_LINE);
	/* Content-Length: conflicting, not digits, empty, over 32 bits. */
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nl: 7\r\nContent-Length: 8\r\n\r\n", 4096, &f),
		     HP_R_SIP_STREAM_BAD_CONTENT_LENGTH);
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nl: 7\r\nContent-Length: 7\r\n\r\n", 4096, &f), HP_R_OK);
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nl: 7a\r\n\r\n", 4096, &f), HP_R_SIP_STREAM_BAD_CONTENT_LENGTH);
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nl: 7 1\r\n\r\n", 4096, &f), HP_R_SIP_STREAM_BAD_CONTENT_LENGTH);
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nl:\r\n\r\n", 4096, &f), HP_R_SIP_STREAM_BAD_CONTENT_LENGTH);
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nl: 4294967296\r\n\r\n", 4096, &f),
		     HP_R_SIP_STREAM_BAD_CONTENT_LENGTH);
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nl: 4294967290\r\n\r\n", 4096, &f),
		     HP_R_SIP_STREAM_BAD_CONTENT_LENGTH, "header + body over 32 bits");
	/* No empty line within the limit. */
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nVia: 1234567890\r\n", 20, &f),
		     HP_R_SIP_STREAM_HEADER_TOO_LONG);
	cr_assert_eq(frame_str("SIP/2.0 200 OK\r\nVia: 1234567890\r\n", 4096, &f), HP_R_OK);
	cr_assert_not(f.complete);
}

Test(sip_frame, sync_finds_a_start_line_at_a_line_start)
{
	const char *s = "e=x\r\nbody SIP/2.0 200 OK\r\nSIP/2.0 200 OK\r\nVia: x\r\n";
	bool found;

	cr_assert_eq(hp_sip_frame_sync((const uint8_t *)s, strlen(s), &found), strlen("e=x\r\nbody SIP/2.0 200 OK\r\n"));
	cr_assert(found);
	cr_assert_eq(hp_sip_frame_sync((const uint8_t *)"ACK sip:x@y SIP/2.0\r\n", 21, &found), 0);
	cr_assert(found);
	/* After a hole, a body that did not end in CRLF is glued to the next
	 * message: the known method or status line inside the line starts it. */
	s = "abc\r\nend of bodyOPTIONS sip:b@x SIP/2.0\r\nVia: x\r\n";
	cr_assert_eq(hp_sip_frame_sync((const uint8_t *)s, strlen(s), &found), strlen("abc\r\nend of body"));
	cr_assert(found);
	s = "xyzSIP/2.0 180 Ringing\r\n";
	cr_assert_eq(hp_sip_frame_sync((const uint8_t *)s, strlen(s), &found), 3);
	cr_assert(found);
	/* An extension method at a line start still counts. */
	s = "junk\r\nFOO sip:b@x SIP/2.0\r\n";
	cr_assert_eq(hp_sip_frame_sync((const uint8_t *)s, strlen(s), &found), 6);
	cr_assert(found);
	/* An unterminated line that may become a start line is kept... */
	s = "a=sendrecv\r\nINVITE sip:a@b SI";
	cr_assert_eq(hp_sip_frame_sync((const uint8_t *)s, strlen(s), &found), strlen("a=sendrecv\r\n"));
	cr_assert_not(found);
	/* ... binary is not. */
	s = "a=sendrecv\r\n\x01\x02\x03";
	cr_assert_eq(hp_sip_frame_sync((const uint8_t *)s, strlen(s), &found), strlen(s));
	cr_assert_not(found);
}
