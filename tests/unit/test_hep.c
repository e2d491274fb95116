/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/hep. The expected bytes below were written by hand from
 * ../../shared/HEP3.md (chunk = vendor u16, type u16, length u16 including
 * the 6-byte header, body), or read from public captures with tshark; none
 * of them come from the encoder under test. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hep/hep.h"

/* IPv4 10.0.0.1:5060 -> 10.0.0.2:5070, UDP, ts 1332785533.501023, SIP,
 * capture id 2001, correlation id "abc@host",
 * payload "OPTIONS sip:x SIP/2.0\r\n\r\n" (25 bytes). 138 bytes in all. */
static const uint8_t v4_vec[] = {
	'H', 'E', 'P', '3', 0x00, 0x8a,                  /* total 138 */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02,        /* 0x01 family: IPv4 */
	0x00, 0x00, 0x00, 0x02, 0x00, 0x07, 0x11,        /* 0x02 ip proto: 17 UDP */
	0x00, 0x00, 0x00, 0x03, 0x00, 0x0a, 10, 0, 0, 1, /* 0x03 src 10.0.0.1 */
	0x00, 0x00, 0x00, 0x04, 0x00, 0x0a, 10, 0, 0, 2, /* 0x04 dst 10.0.0.2 */
	0x00, 0x00, 0x00, 0x07, 0x00, 0x08, 0x13, 0xc4,  /* 0x07 src port 5060 */
	0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x13, 0xce,  /* 0x08 dst port 5070 */
	0x00, 0x00, 0x00, 0x09, 0x00, 0x0a,              /* 0x09 ts sec */
	0x4f, 0x70, 0xb1, 0x7d,                          /*   1332785533 */
	0x00, 0x00, 0x00, 0x0a, 0x00, 0x0a,              /* 0x0a ts usec */
	0x00, 0x07, 0xa5, 0x1f,                          /*   501023 */
	0x00, 0x00, 0x00, 0x0b, 0x00, 0x07, 0x01,        /* 0x0b proto type: SIP */
	0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a,              /* 0x0c capture id */
	0x00, 0x00, 0x07, 0xd1,                          /*   2001 */
	0x00, 0x00, 0x00, 0x11, 0x00, 0x0e,              /* 0x11 correlation id, 6+8 */
	'a', 'b', 'c', '@', 'h', 'o', 's', 't',
	0x00, 0x00, 0x00, 0x0f, 0x00, 0x1f,              /* 0x0f payload, 6+25 */
	'O', 'P', 'T', 'I', 'O', 'N', 'S', ' ', 's', 'i', 'p', ':', 'x', ' ',
	'S', 'I', 'P', '/', '2', '.', '0', '\r', '\n', '\r', '\n',
};
#define V4_PAYLOAD "OPTIONS sip:x SIP/2.0\r\n\r\n"
#define V4_PAYLOAD_OFF 113 /* 138 - 25 */

/* IPv6 [2001:db8::1]:5060 -> [2001:db8::2]:5061, TCP, ts 1700000000.999999,
 * SIP, capture id 0x01020304, auth key "pw", correlation id "c1@h",
 * VLAN 100, node name "edge-1", payload "SIP/2.0 200 OK\r\n\r\n" (18).
 * Chunk offsets: family 6, proto 13, src 20, dst 42, ports 64/72, ts 80/90,
 * type 100, capture 107, auth 117, corr 125, vlan 135, node 143,
 * payload 155 (body 161). Total 179. */
static const uint8_t v6_vec[] = {
	'H', 'E', 'P', '3', 0x00, 0xb3,                  /* total 179 */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x0a,        /* 0x01 family: IPv6 */
	0x00, 0x00, 0x00, 0x02, 0x00, 0x07, 0x06,        /* 0x02 ip proto: 6 TCP */
	0x00, 0x00, 0x00, 0x05, 0x00, 0x16,              /* 0x05 src, 6+16 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x00, 0x00, 0x00, 0x06, 0x00, 0x16,              /* 0x06 dst, 6+16 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x00, 0x00, 0x00, 0x07, 0x00, 0x08, 0x13, 0xc4,  /* 0x07 src port 5060 */
	0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x13, 0xc5,  /* 0x08 dst port 5061 */
	0x00, 0x00, 0x00, 0x09, 0x00, 0x0a,              /* 0x09 ts sec */
	0x65, 0x53, 0xf1, 0x00,                          /*   1700000000 */
	0x00, 0x00, 0x00, 0x0a, 0x00, 0x0a,              /* 0x0a ts usec */
	0x00, 0x0f, 0x42, 0x3f,                          /*   999999 */
	0x00, 0x00, 0x00, 0x0b, 0x00, 0x07, 0x01,        /* 0x0b proto type: SIP */
	0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a,              /* 0x0c capture id */
	0x01, 0x02, 0x03, 0x04,
	0x00, 0x00, 0x00, 0x0e, 0x00, 0x08, 'p', 'w',    /* 0x0e auth key */
	0x00, 0x00, 0x00, 0x11, 0x00, 0x0a,              /* 0x11 correlation id */
	'c', '1', '@', 'h',
	0x00, 0x00, 0x00, 0x12, 0x00, 0x08, 0x00, 0x64,  /* 0x12 VLAN 100 */
	0x00, 0x00, 0x00, 0x13, 0x00, 0x0c,              /* 0x13 node name */
	'e', 'd', 'g', 'e', '-', '1',
	0x00, 0x00, 0x00, 0x0f, 0x00, 0x18,              /* 0x0f payload, 6+18 */
	'S', 'I', 'P', '/', '2', '.', '0', ' ', '2', '0', '0', ' ', 'O', 'K',
	'\r', '\n', '\r', '\n',
};

/* hep3_hepgen_sip.pcap frame 4 (tshark -e udp.payload): OPTIONS, 435 bytes */
static const char hepgen_frame4_hex[] =
	"4845503301b3000000010007020000000200071100000003000ac0a8010100000004000a"
	"c0a8010200000007000813c400000008000813c400000009000a584d365e0000000a000a"
	"0000007f0000000b0007010000000c000a000007d10000000e000b6d7948657000000011"
	"001b71676633646d3972756469403132372e302e302e310000000f01304f5054494f4e53"
	"207369703a3132372e302e302e31205349502f322e300a43616c6c2d49443a2071676633"
	"646d3972756469403132372e302e302e310a435365713a2039393939204f5054494f4e53"
	"0a46726f6d3a203c7369703a6e6f64656a73403132372e302e302e313e3b7461673d3236"
	"32383838313536390a546f3a203c7369703a6e6f64656a73403132372e302e302e313e0a"
	"5669613a205349502f322e302f554450203132372e302e302e313a34383439353b627261"
	"6e63683d7a39684734624b39623832616138666234633737303534363661333435366466"
	"666637663338343333333333320a4d61782d466f7277617264733a2037300a557365722d"
	"4167656e743a2048455047454e2d5541430a436f6e74656e742d4c656e6774683a20300d"
	"0a0d0a";

/* hep3_hepgen_sip.pcap frame 5: a type-100 log, 220 bytes */
static const char hepgen_frame5_hex[] =
	"4845503300dc000000010007020000000200071100000003000ac0a8010100000004000a"
	"c0a801020000000700080000000000080008000000000009000a584d365f0000000a000a"
	"0000007e0000000b0007640000000c000a000007d10000000e000b6d7948657000000011"
	"001b71676633646d3972756469403132372e302e302e310000000f00595359534c4f473a"
	"2050726f63657373696e67204f5054494f4e5320726571756573742066726f6d206e6f64"
	"656a73207573696e672043616c6c2d49643a2071676633646d3972756469403132372e30"
	"2e302e31";

/* hep3_compressed_payload_sll.pcapng frame 7: chunk 0x10 (zlib) holding a 401, 513 bytes */
static const char compressed_frame7_hex[] =
	"484550330201000000010007020000000200070600000007000813ce00000008000813c4"
	"00000009000a59950fa20000000a000a00098a9b0000000b0007010000000c000a000000"
	"e400000003000ac0a889f700000004000ac0a889f70000000e000b6d7948657000000010"
	"0199789c8552cb6edb3010bc0bd03f10ba3652488ad483aa8ab4b6e3b8ae51d776daa037"
	"4a5a3d1a5b94293a0efcf56511f4d0a040ae33b33bb3d8d92ed6d734c0886182ee7b7932"
	"add2dd052ad7f9de4981b62ff4f56eb24624a501899280847140592c388e70a607a54dce"
	"d3288e330d25744f50e5af9459a1655fb6f9256de7ac58926f8f9719f165b399df2fdff0"
	"2122a409e67f6d58c8f8ff6dc82b134e6498d60963a4c44591ca384952062ca434e17115"
	"15d923c0e03ab75a1d047a3f7683784738619c738c39bbd1e5188ce64366649357b49621"
	"8d5964935048c167b5c46129cb00bbce4ebd352e7fb6e1b4769d89dceffdc554a0a42e71"
	"5dc7e0a735aea1c0d88f28e385a4e4e69f8becc8168e0211b499cd17dbdd6ce33a2bf9ec"
	"df2a7d96ba1a058a6d8089ea0df4c6ff027d635a812cf4e37cf63fda4f5ab82ba50181a6"
	"5d03a3411ae4fe907b2fe9bc2bd4abbe84dcfb5c359f9a875fddd7e8f4142ebb3bb35a3f"
	"93d944cf1f965624f78dad84690ff96acaafd0510db9f7a7279652833c9eec02968082d1"
	"731dd7f90d5cb8a895";

/* gen_sngrep_hep3_from_ipv6frag.pcap frame 6: sngrep 1.6.0, IPv6 PRACK, 807 bytes */
static const char sngrep_v6_frame6_hex[] =
	"4845503303270000000100070a000000020007110000000700083ad400000008000813c6"
	"00000009000a62395c9a0000000a000a0005ab720000000b0007010000000c000a07d100"
	"00000000050016fd17625cf03700020a0027fffeb91521000000060016fd17625cf03700"
	"020a0027fffeb935190000000e000f6d79484550706173730000000f02a3505241434b20"
	"7369703a5b666431373a363235633a663033373a323a6130303a323766663a666562393a"
	"343232325d3a32353036303b7472616e73706f72743d554450205349502f322e300d0a56"
	"69613a205349502f322e302f554450205b666431373a363235633a663033373a323a6130"
	"303a323766663a666562393a313532315d3a31353036303b6272616e63683d7a39684734"
	"624b2d3339373433302d37313834362d330d0a46726f6d3a20227369707022203c736970"
	"3a73697070405b666431373a363235633a663033373a323a6130303a323766663a666562"
	"393a313532315d3a31353036303e3b7461673d3339373433305349507054616730303731"
	"3834360d0a546f3a20226d637222203c7369703a6d6372405b666431373a363235633a66"
	"3033373a323a6130303a323766663a666562393a333531395d3a353036323e3b7461673d"
	"3136333234373653495070546167303137313834370d0a43616c6c2d49443a2037313834"
	"362d313634373932343832392d33393734333040666431373a363235633a663033373a32"
	"3a6130303a323766663a666562393a313532310d0a435365713a203220505241434b0d0a"
	"4d61782d466f7277617264733a2037300d0a526f7574653a20203c7369703a6f7269677a"
	"46746463527448487179756f774154405b666431373a363235633a663033373a323a6130"
	"303a323766663a666562393a333531395d3a353036323b6c723e2c3c7369703a30383031"
	"39323030303238405b666431373a363235633a663033373a323a6130303a323766663a66"
	"6562393a343232325d3a32353036303b6c723e0d0a5375626a6563743a20506572666f72"
	"6d616e636520546573740d0a5241636b3a2031203220494e564954450d0a436f6e74656e"
	"742d4c656e6774683a20300d0a0d0a";

/* Python gzip.compress(b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n",
 * mtime=0): a gzip member (RFC 1952), magic 1f 8b. */
static const char gzip_member_hex[] =
	"1f8b0800000000000203f3f40bf30c715528ce2cb04aca4f7248ad48cc2dc849d54bcecf"
	"5508f60cd037d233e0e5e2e5020076dcf3d226000000";

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	cr_assert_leq(n, cap);
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		cr_assert(hi >= 0 && lo >= 0, "bad hex at %zu", 2 * i);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

static struct hp_str str_of(const char *s)
{
	struct hp_str r = { s, (uint32_t)strlen(s) };
	return r;
}

static void assert_str(struct hp_str got, const char *want)
{
	cr_assert_eq(got.len, strlen(want), "length %u, want %zu (%s)", got.len,
		     strlen(want), want);
	cr_assert(memcmp(got.p, want, got.len) == 0, "want %s", want);
}

static struct hp_hep_msg v4_msg(void)
{
	struct hp_hep_msg m;

	memset(&m, 0, sizeof(m));
	m.ip_family = HP_HEP_FAMILY_IPV4;
	m.ip_proto = 17;
	memcpy(m.src_addr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(m.dst_addr, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	m.src_port = 5060;
	m.dst_port = 5070;
	m.ts_sec = 1332785533;
	m.ts_usec = 501023;
	m.proto_type = HP_HEP_PROTO_SIP;
	m.capture_id = 2001;
	m.correlation_id = str_of("abc@host");
	m.payload = (const uint8_t *)V4_PAYLOAD;
	m.payload_len = (uint32_t)strlen(V4_PAYLOAD);
	return m;
}

static struct hp_hep_msg v6_msg(void)
{
	struct hp_hep_msg m;
	static const char payload[] = "SIP/2.0 200 OK\r\n\r\n";

	memset(&m, 0, sizeof(m));
	m.ip_family = HP_HEP_FAMILY_IPV6;
	m.ip_proto = 6;
	m.src_addr[0] = 0x20, m.src_addr[1] = 0x01, m.src_addr[2] = 0x0d;
	m.src_addr[3] = 0xb8, m.src_addr[15] = 1;
	m.dst_addr[0] = 0x20, m.dst_addr[1] = 0x01, m.dst_addr[2] = 0x0d;
	m.dst_addr[3] = 0xb8, m.dst_addr[15] = 2;
	m.src_port = 5060;
	m.dst_port = 5061;
	m.ts_sec = 1700000000;
	m.ts_usec = 999999;
	m.proto_type = HP_HEP_PROTO_SIP;
	m.capture_id = 0x01020304;
	m.auth_key = str_of("pw");
	m.correlation_id = str_of("c1@h");
	m.has_vlan = true;
	m.vlan_id = 100;
	m.node_name = str_of("edge-1");
	m.payload = (const uint8_t *)payload;
	m.payload_len = sizeof(payload) - 1;
	return m;
}

Test(hep_encode, ipv4_matches_hand_written_vector)
{
	struct hp_hep_msg m = v4_msg();
	uint8_t buf[256];

	memset(buf, 0xee, sizeof(buf));
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(buf), NULL, 0), sizeof(v4_vec));
	cr_assert_arr_eq(buf, v4_vec, sizeof(v4_vec));
	/* nothing written past the message */
	cr_assert_eq(buf[sizeof(v4_vec)], 0xee);
}

Test(hep_encode, ipv6_matches_hand_written_vector)
{
	struct hp_hep_msg m = v6_msg();
	uint8_t buf[256];

	cr_assert_eq(sizeof(v6_vec), 179);
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(buf), NULL, 0), 179);
	cr_assert_arr_eq(buf, v6_vec, sizeof(v6_vec));
	/* spot checks of the offsets computed by hand */
	cr_assert_eq(buf[20 + 3], 0x05);
	cr_assert_eq(buf[42 + 3], 0x06);
	cr_assert_eq(buf[135 + 3], 0x12);
	cr_assert_eq(buf[155 + 3], 0x0f);
	cr_assert_eq(buf[161], 'S');
}

Test(hep_encode, gz_below_threshold_is_plain)
{
	struct hp_hep_gz *gz = hp_hep_gz_create();
	struct hp_hep_msg m = v4_msg();
	uint8_t buf[256];

	cr_assert_not_null(gz);
	/* 25-byte payload, threshold 26: not compressed, same bytes as the vector */
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(buf), gz, 26), sizeof(v4_vec));
	cr_assert_arr_eq(buf, v4_vec, sizeof(v4_vec));
	hp_hep_gz_destroy(gz);
}

Test(hep_decode, ipv4_hand_written_vector)
{
	struct hp_hep_msg d;
	static const uint8_t a1[4] = { 10, 0, 0, 1 }, a2[4] = { 10, 0, 0, 2 };

	cr_assert_eq(hp_hep_decode(v4_vec, sizeof(v4_vec), &d), 138);
	cr_assert_eq(d.ip_family, 2);
	cr_assert_eq(d.ip_proto, 17);
	cr_assert_arr_eq(d.src_addr, a1, 4);
	cr_assert_arr_eq(d.dst_addr, a2, 4);
	cr_assert_eq(d.src_port, 5060);
	cr_assert_eq(d.dst_port, 5070);
	cr_assert_eq(d.ts_sec, 1332785533u);
	cr_assert_eq(d.ts_usec, 501023u);
	cr_assert_eq(d.proto_type, 1);
	cr_assert_eq(d.capture_id, 2001u);
	assert_str(d.correlation_id, "abc@host");
	cr_assert_eq(d.auth_key.len, 0);
	cr_assert_eq(d.node_name.len, 0);
	cr_assert_not(d.has_vlan);
	cr_assert_not(d.payload_compressed);
	cr_assert_eq(d.payload_len, 25);
	/* a pointer into the buffer, not a copy */
	cr_assert_eq(d.payload, v4_vec + V4_PAYLOAD_OFF);
	cr_assert(memcmp(d.payload, V4_PAYLOAD, 25) == 0);
}

Test(hep_decode, ipv6_hand_written_vector)
{
	struct hp_hep_msg d;

	cr_assert_eq(hp_hep_decode(v6_vec, sizeof(v6_vec), &d), 179);
	cr_assert_eq(d.ip_family, 10);
	cr_assert_eq(d.ip_proto, 6);
	cr_assert_arr_eq(d.src_addr, v6_vec + 26, 16);
	cr_assert_arr_eq(d.dst_addr, v6_vec + 48, 16);
	cr_assert_eq(d.src_addr[15], 1);
	cr_assert_eq(d.dst_addr[15], 2);
	cr_assert_eq(d.src_port, 5060);
	cr_assert_eq(d.dst_port, 5061);
	cr_assert_eq(d.ts_sec, 1700000000u);
	cr_assert_eq(d.ts_usec, 999999u);
	cr_assert_eq(d.capture_id, 0x01020304u);
	assert_str(d.auth_key, "pw");
	assert_str(d.correlation_id, "c1@h");
	assert_str(d.node_name, "edge-1");
	cr_assert(d.has_vlan);
	cr_assert_eq(d.vlan_id, 100);
	cr_assert_eq(d.payload, v6_vec + 161);
	cr_assert_eq(d.payload_len, 18);
}

Test(hep_roundtrip, vlan_auth_node_name)
{
	struct hp_hep_msg m = v4_msg(), d;
	uint8_t buf[512];
	size_t n;

	m.has_vlan = true;
	m.vlan_id = 4094;
	m.auth_key = str_of("secret");
	m.node_name = str_of("probe-a");
	m.proto_type = HP_HEP_PROTO_RTCP;
	n = hp_hep_encode(&m, buf, sizeof(buf), NULL, 0);
	/* 138 + auth 6+6 + vlan 6+2 + node 6+7 */
	cr_assert_eq(n, 138 + 12 + 8 + 13);
	cr_assert_eq(hp_hep_decode(buf, n, &d), (long)n);
	cr_assert(d.has_vlan);
	cr_assert_eq(d.vlan_id, 4094);
	assert_str(d.auth_key, "secret");
	assert_str(d.node_name, "probe-a");
	assert_str(d.correlation_id, "abc@host");
	cr_assert_eq(d.proto_type, 5);
	cr_assert_eq(d.payload_len, 25);
	cr_assert(memcmp(d.payload, V4_PAYLOAD, 25) == 0);
}

/* A 1.2 KB SIP-like payload that compresses well. */
static size_t make_sip_payload(uint8_t *p, size_t cap)
{
	static const char line[] = "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n";
	size_t n = 0;

	while (n + sizeof(line) - 1 <= cap && n < 1200) {
		memcpy(p + n, line, sizeof(line) - 1);
		n += sizeof(line) - 1;
	}
	return n;
}

Test(hep_roundtrip, gzip_payload_over_threshold)
{
	struct hp_hep_gz *gz = hp_hep_gz_create();
	struct hp_hep_msg m = v4_msg(), d;
	uint8_t payload[1300], buf[2048], back[2048];
	size_t plen = make_sip_payload(payload, sizeof(payload));
	size_t n;

	cr_assert_not_null(gz);
	cr_assert_gt(plen, 1000);
	m.payload = payload;
	m.payload_len = (uint32_t)plen;
	/* twice with the same state: deflateReset must leave it reusable */
	for (int round = 0; round < 2; round++) {
		n = hp_hep_encode(&m, buf, sizeof(buf), gz, 512);
		cr_assert_gt(n, 0);
		cr_assert_lt(n, 113 + plen, "compressed message not smaller");
		/* header chunks are those of the vector, then chunk 0x10 */
		cr_assert_arr_eq(buf + 6, v4_vec + 6, V4_PAYLOAD_OFF - 6 - 6);
		cr_assert_eq(hp_get_be16(buf + 107 + 2), 0x0010);
		cr_assert_eq(hp_get_be16(buf + 107 + 4), n - 107);
		/* gzip member (RFC 1952 §2.3): ID1 0x1f, ID2 0x8b, CM 8 (deflate) */
		cr_assert_eq(buf[113], 0x1f);
		cr_assert_eq(buf[114], 0x8b);
		cr_assert_eq(buf[115], 8);
		cr_assert_eq(hp_hep_decode(buf, n, &d), (long)n);
		cr_assert(d.payload_compressed);
		cr_assert_eq(d.payload, buf + 113);
		cr_assert_eq(hp_hep_gunzip(d.payload, d.payload_len, back, sizeof(back)),
			     (long)plen);
		cr_assert_arr_eq(back, payload, plen);
	}
	hp_hep_gz_destroy(gz);
}

Test(hep_roundtrip, incompressible_payload_falls_back_to_plain)
{
	struct hp_hep_gz *gz = hp_hep_gz_create();
	struct hp_hep_msg m = v4_msg(), d;
	uint8_t payload[800], buf[2048], sip[1300], back[1300];
	uint32_t x = 2463534242u;
	size_t plen, n;

	/* xorshift32 noise: deflate cannot shrink it */
	for (size_t i = 0; i < sizeof(payload); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		payload[i] = (uint8_t)x;
	}
	m.payload = payload;
	m.payload_len = sizeof(payload);
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(buf), gz, 100), 113 + 800);
	cr_assert_eq(hp_get_be16(buf + 107 + 2), 0x000f);
	cr_assert_eq(hp_hep_decode(buf, 913, &d), 913);
	cr_assert_not(d.payload_compressed);
	cr_assert_arr_eq(d.payload, payload, 800);
	/* the stream left unfinished by the failed attempt is usable again */
	plen = make_sip_payload(sip, sizeof(sip));
	m.payload = sip;
	m.payload_len = (uint32_t)plen;
	n = hp_hep_encode(&m, buf, sizeof(buf), gz, 100);
	cr_assert_gt(n, 0);
	cr_assert_eq(hp_hep_decode(buf, n, &d), (long)n);
	cr_assert(d.payload_compressed);
	cr_assert_eq(hp_hep_gunzip(d.payload, d.payload_len, back, sizeof(back)),
		     (long)plen);
	cr_assert_arr_eq(back, sip, plen);
	hp_hep_gz_destroy(gz);
}

Test(hep_roundtrip, compressed_fits_where_raw_does_not)
{
	struct hp_hep_gz *gz = hp_hep_gz_create();
	struct hp_hep_msg m = v4_msg(), d;
	uint8_t payload[1300], buf[600], back[1300];
	size_t plen = make_sip_payload(payload, sizeof(payload));
	size_t n;

	m.payload = payload;
	m.payload_len = (uint32_t)plen;
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(buf), NULL, 0), 0);
	n = hp_hep_encode(&m, buf, sizeof(buf), gz, 0);
	cr_assert_gt(n, 0);
	cr_assert_leq(n, sizeof(buf));
	cr_assert_eq(hp_hep_decode(buf, n, &d), (long)n);
	cr_assert(d.payload_compressed);
	cr_assert_eq(hp_hep_gunzip(d.payload, d.payload_len, back, sizeof(back)),
		     (long)plen);
	cr_assert_arr_eq(back, payload, plen);
	hp_hep_gz_destroy(gz);
}

Test(hep_gunzip, accepts_gzip_member_and_rejects_bad_input)
{
	uint8_t in[128], out[128];
	size_t n = unhex(gzip_member_hex, in, sizeof(in));
	static const char want[] = "INVITE sip:bob@example.com SIP/2.0\r\n\r\n";

	cr_assert_eq(hp_hep_gunzip(in, n, out, sizeof(out)), (long)sizeof(want) - 1);
	cr_assert_arr_eq(out, want, sizeof(want) - 1);
	/* output buffer one byte short */
	cr_assert_eq(hp_hep_gunzip(in, n, out, sizeof(want) - 2), -1);
	/* stream cut before its end */
	cr_assert_eq(hp_hep_gunzip(in, n - 9, out, sizeof(out)), -1);
	/* not compressed at all */
	cr_assert_eq(hp_hep_gunzip(v4_vec, sizeof(v4_vec), out, sizeof(out)), -1);
}

/* Values below are the ones in ../../shared/corpus/tshark/hep3_hepgen_sip.txt. */
Test(hep_decode, real_hepgen_sip_options)
{
	uint8_t b[512];
	size_t n = unhex(hepgen_frame4_hex, b, sizeof(b));
	struct hp_hep_msg d;
	static const uint8_t s[4] = { 192, 168, 1, 1 }, t[4] = { 192, 168, 1, 2 };
	static const char start[] = "OPTIONS sip:127.0.0.1 SIP/2.0\nCall-ID: q";

	cr_assert_eq(n, 435);
	cr_assert_eq(hp_hep_decode(b, n, &d), 435);
	cr_assert_eq(d.ip_family, 2);
	cr_assert_eq(d.ip_proto, 17);
	cr_assert_arr_eq(d.src_addr, s, 4);
	cr_assert_arr_eq(d.dst_addr, t, 4);
	cr_assert_eq(d.src_port, 5060);
	cr_assert_eq(d.dst_port, 5060);
	cr_assert_eq(d.ts_sec, 1481455198u);
	cr_assert_eq(d.ts_usec, 127u);
	cr_assert_eq(d.proto_type, 1);
	cr_assert_eq(d.capture_id, 2001u);
	assert_str(d.auth_key, "myHep");
	assert_str(d.correlation_id, "qgf3dm9rudi@127.0.0.1");
	cr_assert_eq(d.payload_len, 298);
	cr_assert_not(d.payload_compressed);
	cr_assert(memcmp(d.payload, start, sizeof(start) - 1) == 0);
}

Test(hep_decode, real_hepgen_log)
{
	uint8_t b[512];
	size_t n = unhex(hepgen_frame5_hex, b, sizeof(b));
	struct hp_hep_msg d;
	static const char start[] = "SYSLOG: Processing OPTIONS request from ";

	cr_assert_eq(n, 220);
	cr_assert_eq(hp_hep_decode(b, n, &d), 220);
	cr_assert_eq(d.src_port, 0);
	cr_assert_eq(d.dst_port, 0);
	cr_assert_eq(d.ts_sec, 1481455199u);
	cr_assert_eq(d.ts_usec, 126u);
	cr_assert_eq(d.proto_type, HP_HEP_PROTO_LOG);
	assert_str(d.correlation_id, "qgf3dm9rudi@127.0.0.1");
	cr_assert_eq(d.payload_len, 83);
	cr_assert(memcmp(d.payload, start, sizeof(start) - 1) == 0);
}

/* Values from ../../shared/corpus/tshark/hep3_compressed_payload_sll.txt
 * and SOURCES.md (inflated: a 592-byte 401). */
Test(hep_decode, real_compressed_payload)
{
	uint8_t b[600], out[1024];
	size_t n = unhex(compressed_frame7_hex, b, sizeof(b));
	struct hp_hep_msg d;
	static const uint8_t a[4] = { 192, 168, 137, 247 };
	static const char start[] = "SIP/2.0 401 Unauthorized\r\n";

	cr_assert_eq(n, 513);
	cr_assert_eq(hp_hep_decode(b, n, &d), 513);
	cr_assert_eq(d.ip_proto, 6);
	cr_assert_eq(d.src_port, 5070);
	cr_assert_eq(d.dst_port, 5060);
	cr_assert_arr_eq(d.src_addr, a, 4);
	cr_assert_arr_eq(d.dst_addr, a, 4);
	cr_assert_eq(d.ts_sec, 1502941090u);
	cr_assert_eq(d.ts_usec, 625307u);
	cr_assert_eq(d.capture_id, 228u);
	assert_str(d.auth_key, "myHep");
	cr_assert_eq(d.correlation_id.len, 0);
	cr_assert(d.payload_compressed);
	cr_assert_eq(d.payload_len, 409 - 6);
	cr_assert_eq(hp_hep_gunzip(d.payload, d.payload_len, out, sizeof(out)), 592);
	cr_assert(memcmp(out, start, sizeof(start) - 1) == 0);
}

/* Values from ../../shared/corpus/tshark/gen_sngrep_hep3_from_ipv6frag.txt.
 * sngrep 1.6.0 writes capture id 2001 byte-swapped into a u32 (07 d1 00 00),
 * which the dump reads as 131137536, as do we. */
Test(hep_decode, real_sngrep_ipv6)
{
	uint8_t b[1024];
	size_t n = unhex(sngrep_v6_frame6_hex, b, sizeof(b));
	struct hp_hep_msg d;
	static const uint8_t s[16] = { 0xfd, 0x17, 0x62, 0x5c, 0xf0, 0x37, 0x00, 0x02,
				       0x0a, 0x00, 0x27, 0xff, 0xfe, 0xb9, 0x15, 0x21 };
	static const uint8_t t[16] = { 0xfd, 0x17, 0x62, 0x5c, 0xf0, 0x37, 0x00, 0x02,
				       0x0a, 0x00, 0x27, 0xff, 0xfe, 0xb9, 0x35, 0x19 };
	static const char start[] = "PRACK sip:[";

	cr_assert_eq(n, 807);
	cr_assert_eq(hp_hep_decode(b, n, &d), 807);
	cr_assert_eq(d.ip_family, 10);
	cr_assert_eq(d.ip_proto, 17);
	cr_assert_arr_eq(d.src_addr, s, 16);
	cr_assert_arr_eq(d.dst_addr, t, 16);
	cr_assert_eq(d.src_port, 15060);
	cr_assert_eq(d.dst_port, 5062);
	cr_assert_eq(d.ts_sec, 1647926426u);
	cr_assert_eq(d.ts_usec, 371570u);
	cr_assert_eq(d.capture_id, 131137536u);
	assert_str(d.auth_key, "myHEPpass");
	cr_assert_eq(d.payload_len, 669);
	cr_assert(memcmp(d.payload, start, sizeof(start) - 1) == 0);
}

Test(hep_decode, every_truncation_fails)
{
	struct hp_hep_msg d;
	uint8_t b[sizeof(v4_vec)];

	/* the buffer ends early; heap copy so a read past len is caught by ASan */
	for (size_t len = 0; len < sizeof(v4_vec); len++) {
		uint8_t *h = malloc(len ? len : 1);

		memcpy(h, v4_vec, len);
		cr_assert_lt(hp_hep_decode(h, len, &d), 0, "len %zu", len);
		free(h);
	}
	/* the total length says the message ends early: chunk walk must fail */
	for (size_t cut = 0; cut < sizeof(v4_vec); cut++) {
		memcpy(b, v4_vec, sizeof(b));
		hp_put_be16(b + 4, (uint16_t)cut);
		cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0, "total %zu", cut);
	}
}

Test(hep_decode, bad_headers)
{
	struct hp_hep_msg d;
	uint8_t b[sizeof(v4_vec)];

	memcpy(b, v4_vec, sizeof(b));
	b[3] = '2';
	cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0, "HEP2 magic");

	memcpy(b, v4_vec, sizeof(b));
	hp_put_be16(b + 4, sizeof(v4_vec) + 1);
	cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0, "total past the buffer");

	memcpy(b, v4_vec, sizeof(b));
	hp_put_be16(b + 4, 5);
	cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0, "total below 6");
}

Test(hep_decode, bad_chunk_lengths)
{
	struct hp_hep_msg d;
	uint8_t b[sizeof(v4_vec)];

	/* a fixed-size chunk (family, offset 6) and a string chunk (correlation
	 * id, offset 93) whose body size is not checked */
	for (uint16_t l = 0; l < 6; l++) {
		memcpy(b, v4_vec, sizeof(b));
		hp_put_be16(b + 6 + 4, l);
		cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0, "family length %u", l);
		memcpy(b, v4_vec, sizeof(b));
		hp_put_be16(b + 93 + 4, l);
		cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0, "corr-id length %u", l);
	}
	/* payload chunk one byte longer than what is left of the message */
	memcpy(b, v4_vec, sizeof(b));
	hp_put_be16(b + V4_PAYLOAD_OFF - 6 + 4, 32);
	cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0, "chunk past total");
	/* an IPv4 address chunk of 5 bytes */
	memcpy(b, v4_vec, sizeof(b));
	hp_put_be16(b + 20 + 4, 11);
	cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0, "wrong fixed size");
}

Test(hep_decode, missing_payload_fails)
{
	struct hp_hep_msg d;
	uint8_t b[sizeof(v4_vec)];

	/* turn the payload chunk into an unknown type 0x0099 */
	memcpy(b, v4_vec, sizeof(b));
	hp_put_be16(b + V4_PAYLOAD_OFF - 6 + 2, 0x0099);
	cr_assert_lt(hp_hep_decode(b, sizeof(b), &d), 0);
}

/* v4_vec with an extra chunk inserted just before the payload chunk. */
static size_t with_extra_chunk(uint8_t *b, const uint8_t *chunk, size_t clen)
{
	size_t at = V4_PAYLOAD_OFF - 6;

	memcpy(b, v4_vec, at);
	memcpy(b + at, chunk, clen);
	memcpy(b + at + clen, v4_vec + at, sizeof(v4_vec) - at);
	hp_put_be16(b + 4, (uint16_t)(sizeof(v4_vec) + clen));
	return sizeof(v4_vec) + clen;
}

Test(hep_decode, unknown_chunk_skipped)
{
	/* 0x0023 jitter (u32) and an unassigned 0x0099 with 3 bytes */
	static const uint8_t extra[] = { 0, 0, 0x00, 0x23, 0, 10, 0, 0, 0, 9,
					 0, 0, 0x00, 0x99, 0, 9, 'x', 'y', 'z' };
	uint8_t b[256];
	size_t n = with_extra_chunk(b, extra, sizeof(extra));
	struct hp_hep_msg d;

	cr_assert_eq(hp_hep_decode(b, n, &d), (long)n);
	cr_assert_eq(d.capture_id, 2001u);
	cr_assert_eq(d.payload_len, 25);
	cr_assert(memcmp(d.payload, V4_PAYLOAD, 25) == 0);
}

Test(hep_decode, vendor_chunk_skipped)
{
	/* vendor 0x0001 chunk whose type collides with payload (0x0f) and
	 * correlation id (0x11): must not replace the generic ones */
	static const uint8_t extra[] = { 0, 1, 0x00, 0x0f, 0, 10, 'E', 'V', 'I', 'L',
					 0, 1, 0x00, 0x11, 0, 8, 'Z', 'Z' };
	uint8_t b[256];
	size_t n = with_extra_chunk(b, extra, sizeof(extra));
	struct hp_hep_msg d;

	cr_assert_eq(hp_hep_decode(b, n, &d), (long)n);
	assert_str(d.correlation_id, "abc@host");
	cr_assert_eq(d.payload_len, 25);
	cr_assert(memcmp(d.payload, V4_PAYLOAD, 25) == 0);
}

Test(hep_decode, two_byte_capture_id_accepted)
{
	uint8_t b[sizeof(v4_vec)];
	struct hp_hep_msg d;
	size_t at = 83; /* capture id chunk */

	/* rebuild with a 2-byte capture id: 8-byte chunk, total 136 */
	memcpy(b, v4_vec, at + 4);
	hp_put_be16(b + at + 4, 8);
	b[at + 6] = 0x07, b[at + 7] = 0xd1;
	memcpy(b + at + 8, v4_vec + at + 10, sizeof(v4_vec) - at - 10);
	hp_put_be16(b + 4, 136);
	cr_assert_eq(hp_hep_decode(b, 136, &d), 136);
	cr_assert_eq(d.capture_id, 2001u);
	assert_str(d.correlation_id, "abc@host");
}

Test(hep_decode, back_to_back_stream)
{
	uint8_t b[2 * sizeof(v4_vec) + sizeof(v6_vec)];
	struct hp_hep_msg d;
	size_t off = 0;
	long n;

	memcpy(b, v4_vec, sizeof(v4_vec));
	memcpy(b + sizeof(v4_vec), v6_vec, sizeof(v6_vec));
	memcpy(b + sizeof(v4_vec) + sizeof(v6_vec), v4_vec, sizeof(v4_vec));
	n = hp_hep_decode(b, sizeof(b), &d);
	cr_assert_eq(n, 138);
	off += (size_t)n;
	n = hp_hep_decode(b + off, sizeof(b) - off, &d);
	cr_assert_eq(n, 179);
	cr_assert_eq(d.ip_family, 10);
	off += (size_t)n;
	n = hp_hep_decode(b + off, sizeof(b) - off, &d);
	cr_assert_eq(n, 138);
	cr_assert_eq(off + (size_t)n, sizeof(b));
}

Test(hep_encode, cap_too_small)
{
	struct hp_hep_msg m = v4_msg();
	uint8_t buf[sizeof(v4_vec)];

	for (size_t cap = 0; cap < sizeof(v4_vec); cap++)
		cr_assert_eq(hp_hep_encode(&m, buf, cap, NULL, 0), 0, "cap %zu", cap);
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(v4_vec), NULL, 0), sizeof(v4_vec));
}

Test(hep_encode, size_limit_65535)
{
	struct hp_hep_msg m = v4_msg();
	static uint8_t payload[70000], buf[70000];

	memset(payload, 'a', sizeof(payload));
	m.payload = payload;
	/* the payload body starts at 113: 65422 payload bytes fill 65535 */
	m.payload_len = 65535 - 113;
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(buf), NULL, 0), 65535);
	cr_assert_eq(hp_get_be16(buf + 4), 65535);
	m.payload_len++;
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(buf), NULL, 0), 0);
}

Test(hep_encode, unknown_family_rejected)
{
	struct hp_hep_msg m = v4_msg();
	uint8_t buf[256];

	m.ip_family = 0;
	cr_assert_eq(hp_hep_encode(&m, buf, sizeof(buf), NULL, 0), 0);
}

/* Keep-alive: capture id 7, timer 30 s, node name "pr". Bytes by hand. */
Test(hep_keepalive, hand_written_vector)
{
	static const uint8_t want[] = {
		'H', 'E', 'P', '3', 0x00, 0x20,                          /* total 32 */
		0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x07, /* capture id 7 */
		0x00, 0x00, 0x00, 0x0d, 0x00, 0x08, 0x00, 0x1e,          /* keep-alive 30 s */
		0x00, 0x00, 0x00, 0x13, 0x00, 0x08, 'p', 'r',            /* node name */
	};
	struct hp_hep_ident id = { .capture_id = 7, .node_name = { "pr", 2 } };
	uint8_t buf[64];
	size_t n = hp_hep_encode_keepalive(&id, 30, buf, sizeof(buf));

	cr_assert_eq(n, sizeof(want));
	cr_assert_arr_eq(buf, want, sizeof(want));
	cr_assert_eq(hp_hep_encode_keepalive(&id, 30, buf, sizeof(want) - 1), 0, "cap too small");
}

/* The identity of v4_vec (capture id 2001, no key, no name) replaced: id 9,
 * auth key "k"; every other chunk follows unchanged, in order. */
Test(hep_ident, replaces_identity_chunks)
{
	struct hp_hep_ident id = { .capture_id = 9, .auth_key = { "k", 1 } };
	uint8_t out[256];
	struct hp_hep_msg m, orig;
	size_t n = hp_hep_set_ident(v4_vec, sizeof(v4_vec), &id, out, sizeof(out));

	/* +7 for the 1-byte auth key chunk; the capture id chunk keeps its size. */
	cr_assert_eq(n, sizeof(v4_vec) + 7);
	cr_assert_eq(out[4] << 8 | out[5], (int)n);
	cr_assert_eq(hp_hep_decode(out, n, &m), (long)n);
	cr_assert_eq(hp_hep_decode(v4_vec, sizeof(v4_vec), &orig), (long)sizeof(v4_vec));
	cr_assert_eq(m.capture_id, 9);
	cr_assert_eq(m.auth_key.len, 1);
	cr_assert_eq(m.auth_key.p[0], 'k');
	cr_assert_eq(m.payload_len, orig.payload_len);
	cr_assert_arr_eq(m.payload, orig.payload, orig.payload_len);
	cr_assert_eq(m.src_port, 5060);
	cr_assert_eq(m.correlation_id.len, 8);
	/* Capture id chunk first (bytes by hand), then the auth key. */
	static const uint8_t head[] = { 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0, 0, 0, 9,
					0x00, 0x00, 0x00, 0x0e, 0x00, 0x07, 'k' };
	cr_assert_arr_eq(out + 6, head, sizeof(head));
}

Test(hep_ident, rejects_malformed)
{
	struct hp_hep_ident id = { .capture_id = 9 };
	uint8_t out[256], bad[sizeof(v4_vec)];

	cr_assert_eq(hp_hep_set_ident(v4_vec, sizeof(v4_vec) - 1, &id, out, sizeof(out)), 0, "length mismatch");
	memcpy(bad, v4_vec, sizeof(bad));
	bad[6 + 5] = 200; /* first chunk runs past the end */
	cr_assert_eq(hp_hep_set_ident(bad, sizeof(bad), &id, out, sizeof(out)), 0);
	cr_assert_eq(hp_hep_set_ident(v4_vec, sizeof(v4_vec), &id, out, 20), 0, "cap too small");
}

Test(hep_hash, call_id_hash_is_fnv1a)
{
	/* FNV-1a 32 of "a" is 0xe40c292c (the published test vector). */
	cr_assert_eq(hp_hep_corr_hash("a", 1), 0xe40c292cu);
	cr_assert_eq(hp_hep_corr_hash("", 0), 2166136261u);
}
