/* SPDX-License-Identifier: BSD-3-Clause */
/* Registration tracking: a binding (AOR + Contact) that registers to another
 * server while its last registration is valid is a change; a refresh to the
 * same server, a move after expiry, a rejected or deregistering REGISTER are
 * not. Messages are SIP text parsed by hp_sip_parse; packets filled by hand. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include "register/register.h"

#define SEC 1000000ull
#define T0 1700000000000000ull

static struct hp_register *reg;

static void setup(void)
{
	struct hp_register_cfg cfg;
	hp_register_cfg_defaults(&cfg);
	cfg.max_bindings = 16;
	cfg.max_pending = 8;
	reg = hp_register_create(&cfg);
	cr_assert_not_null(reg);
}

static void teardown(void)
{
	hp_register_destroy(reg);
}

static void pkt4(struct hp_pkt *p, const char *src, const char *dst)
{
	memset(p, 0, sizeof(*p));
	p->ip_version = 4;
	p->l4_proto = 17;
	inet_pton(AF_INET, src, p->src_addr);
	inet_pton(AF_INET, dst, p->dst_addr);
	p->src_port = 5060;
	p->dst_port = 5060;
}

static char text[2048];

/* One REGISTER (cseq) from phone to server and its response code with the
 * granted expiry; returns whether the response was a change (into *out). */
static bool exchange(const char *phone, const char *server, unsigned cseq, int code,
		     const char *contact_params, uint64_t ts, struct hp_register_change *out)
{
	struct hp_sip_msg sip;
	struct hp_pkt p;

	snprintf(text, sizeof(text),
		 "REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/UDP %s\r\n"
		 "From: <sip:alice@example.org>;tag=a\r\nTo: \"Alice\" <sip:alice@example.org>\r\n"
		 "Call-ID: reg-1@%s\r\nCSeq: %u REGISTER\r\nContact: <sip:alice@%s:5060>\r\n"
		 "Expires: 3600\r\nContent-Length: 0\r\n\r\n", phone, phone, cseq, phone);
	cr_assert_eq(hp_sip_parse((const uint8_t *)text, strlen(text), &sip), HP_R_OK);
	pkt4(&p, phone, server);
	cr_assert_not(hp_register_on_sip(reg, &p, &sip, ts, out));
	snprintf(text, sizeof(text),
		 "SIP/2.0 %d X\r\nVia: SIP/2.0/UDP %s\r\nFrom: <sip:alice@example.org>;tag=a\r\n"
		 "To: <sip:alice@example.org>;tag=s\r\nCall-ID: reg-1@%s\r\nCSeq: %u REGISTER\r\n"
		 "Contact: <sip:alice@%s:5060>%s\r\nContent-Length: 0\r\n\r\n",
		 code, phone, phone, cseq, phone, contact_params);
	cr_assert_eq(hp_sip_parse((const uint8_t *)text, strlen(text), &sip), HP_R_OK);
	pkt4(&p, server, phone);
	return hp_register_on_sip(reg, &p, &sip, ts + 20000, out);
}

TestSuite(reg, .init = setup, .fini = teardown);

Test(reg, move_while_valid_is_a_change)
{
	struct hp_register_change c;

	cr_assert_not(exchange("203.0.113.8", "198.51.100.10", 1, 200, ";expires=600", T0, &c));
	cr_assert_eq(hp_register_count(reg), 1);
	cr_assert(exchange("203.0.113.8", "198.51.100.11", 2, 200, ";expires=600", T0 + 60 * SEC, &c));
	cr_assert_str_eq(c.aor, "sip:alice@example.org");
	cr_assert_str_eq(c.contact, "sip:alice@203.0.113.8:5060");
	cr_assert_str_eq(c.call_id, "reg-1@203.0.113.8");
	cr_assert_eq(c.old_server.addr[3], 10);
	cr_assert_eq(c.new_server.addr[3], 11);
	cr_assert_eq(c.old_server.port, 5060);
	cr_assert_eq(c.client.addr[3], 8);
	cr_assert_eq(c.old_registered_us, T0 + 20000);
	cr_assert_eq(c.new_registered_us, T0 + 60 * SEC + 20000);
	/* Granted by the 2xx's contact parameter, not the request's 3600. */
	cr_assert_eq(c.old_expires_us, T0 + 20000 + 600 * SEC);
	cr_assert_eq(c.expires_s, 600);
	cr_assert_eq(hp_register_count(reg), 1);
	/* Back to the first: a change again, from .11 now. */
	cr_assert(exchange("203.0.113.8", "198.51.100.10", 3, 200, ";expires=600", T0 + 90 * SEC, &c));
	cr_assert_eq(c.old_server.addr[3], 11);
}

Test(reg, refresh_to_same_server_is_not)
{
	struct hp_register_change c;

	cr_assert_not(exchange("203.0.113.8", "198.51.100.10", 1, 200, "", T0, &c));
	cr_assert_not(exchange("203.0.113.8", "198.51.100.10", 2, 200, "", T0 + 60 * SEC, &c));
}

Test(reg, move_after_expiry_is_not)
{
	struct hp_register_change c;

	cr_assert_not(exchange("203.0.113.8", "198.51.100.10", 1, 200, ";expires=30", T0, &c));
	cr_assert_not(exchange("203.0.113.8", "198.51.100.11", 2, 200, ";expires=30", T0 + 31 * SEC, &c));
	/* Inside the 30 s the second granted: a change. */
	cr_assert(exchange("203.0.113.8", "198.51.100.10", 3, 200, ";expires=30", T0 + 40 * SEC, &c));
}

Test(reg, rejected_or_removed_leaves_no_binding)
{
	struct hp_register_change c;

	cr_assert_not(exchange("203.0.113.8", "198.51.100.10", 1, 401, "", T0, &c));
	cr_assert_eq(hp_register_count(reg), 0);
	cr_assert_not(exchange("203.0.113.8", "198.51.100.10", 2, 200, "", T0 + SEC, &c));
	cr_assert_eq(hp_register_count(reg), 1);
	/* expires=0 removes the binding (RFC 3261 §10.2.2): a later REGISTER
	 * elsewhere is a fresh one. */
	cr_assert_not(exchange("203.0.113.8", "198.51.100.10", 3, 200, ";expires=0", T0 + 2 * SEC, &c));
	cr_assert_eq(hp_register_count(reg), 0);
	cr_assert_not(exchange("203.0.113.8", "198.51.100.11", 4, 200, "", T0 + 3 * SEC, &c));
}

Test(reg, unanswered_request_expires)
{
	struct hp_register_change c;
	struct hp_sip_msg sip;
	struct hp_pkt p;

	cr_assert_not(exchange("203.0.113.8", "198.51.100.10", 1, 200, "", T0, &c));
	snprintf(text, sizeof(text),
		 "REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/UDP x\r\nFrom: <sip:alice@example.org>;tag=a\r\n"
		 "To: <sip:alice@example.org>\r\nCall-ID: reg-1@203.0.113.8\r\nCSeq: 2 REGISTER\r\n"
		 "Contact: <sip:alice@203.0.113.8:5060>\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(hp_sip_parse((const uint8_t *)text, strlen(text), &sip), HP_R_OK);
	pkt4(&p, "203.0.113.8", "198.51.100.11");
	hp_register_on_sip(reg, &p, &sip, T0 + SEC, &c);
	/* Timer F has run out: the late 200 finds nothing pending. */
	hp_register_tick(reg, T0 + 40 * SEC, 64);
	snprintf(text, sizeof(text),
		 "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x\r\nFrom: <sip:alice@example.org>;tag=a\r\n"
		 "To: <sip:alice@example.org>;tag=s\r\nCall-ID: reg-1@203.0.113.8\r\nCSeq: 2 REGISTER\r\n"
		 "Content-Length: 0\r\n\r\n");
	cr_assert_eq(hp_sip_parse((const uint8_t *)text, strlen(text), &sip), HP_R_OK);
	pkt4(&p, "198.51.100.11", "203.0.113.8");
	cr_assert_not(hp_register_on_sip(reg, &p, &sip, T0 + 40 * SEC, &c));
}

Test(reg, star_contact_and_no_contact_are_ignored)
{
	struct hp_register_change c;
	struct hp_sip_msg sip;
	struct hp_pkt p;
	const char *star = "REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n"
			   "From: <sip:a@example.org>;tag=a\r\nTo: <sip:a@example.org>\r\n"
			   "Call-ID: s@x\r\nCSeq: 1 REGISTER\r\nContact: *\r\nExpires: 0\r\n\r\n";

	cr_assert_eq(hp_sip_parse((const uint8_t *)star, strlen(star), &sip), HP_R_OK);
	cr_assert_eq(sip.contact_uri.len, 1);
	cr_assert_eq(sip.expires, 0);
	pkt4(&p, "203.0.113.8", "198.51.100.10");
	cr_assert_not(hp_register_on_sip(reg, &p, &sip, T0, &c));
	cr_assert_eq(hp_register_count(reg), 0);
}

Test(reg, bad_config)
{
	struct hp_register_cfg cfg;
	hp_register_cfg_defaults(&cfg);
	cfg.max_bindings = 0;
	cr_assert_null(hp_register_create(&cfg));
}
