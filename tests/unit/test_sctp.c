/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/sctp: CRC32c against the RFC 3720 B.4 vectors and the hardware path
 * against the tables, the checksum verdicts on a real capture (and on its
 * bytes cut at every length), then packets built chunk by chunk here: every
 * control kind, padding, malformed lengths, DATA and I-DATA fragments in and
 * out of order, retransmissions, the size / piece / table limits and the
 * timeout. Every delivered message is copied out and compared byte for byte. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sctp/sctp.h"
#include "sctp_capture.h"

/* ---- packet builder ---- */

struct pk {
	uint8_t b[4096];
	size_t len;
};

static void put(struct pk *k, const void *p, size_t n)
{
	cr_assert_leq(k->len + n, sizeof(k->b));
	memcpy(k->b + k->len, p, n);
	k->len += n;
}

static void put16(struct pk *k, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(k, b, 2);
}

static void put32(struct pk *k, uint32_t v)
{
	put16(k, (uint16_t)(v >> 16));
	put16(k, (uint16_t)v);
}

static void pad4(struct pk *k)
{
	static const uint8_t z[3];

	put(k, z, (4 - k->len % 4) % 4);
}

static void common(struct pk *k, uint16_t sport, uint16_t dport, uint32_t vtag)
{
	k->len = 0;
	put16(k, sport);
	put16(k, dport);
	put32(k, vtag);
	put32(k, 0);
}

#define F_E 0x01
#define F_B 0x02
#define F_U 0x04
#define F_BE (F_B | F_E)

static void data(struct pk *k, uint8_t flags, uint32_t tsn, uint16_t sid, uint16_t ssn, uint32_t ppid,
		 const char *user)
{
	size_t n = strlen(user);

	put(k, (uint8_t[]){ 0, flags }, 2);
	put16(k, (uint16_t)(16 + n));
	put32(k, tsn);
	put16(k, sid);
	put16(k, ssn);
	put32(k, ppid);
	put(k, user, n);
	pad4(k);
}

/* RFC 8260 §2.1: ppid_fsn is the PPID on a B fragment, else the FSN */
static void idata(struct pk *k, uint8_t flags, uint32_t tsn, uint16_t sid, uint32_t mid,
		  uint32_t ppid_fsn, const char *user)
{
	size_t n = strlen(user);

	put(k, (uint8_t[]){ 64, flags }, 2);
	put16(k, (uint16_t)(20 + n));
	put32(k, tsn);
	put16(k, sid);
	put16(k, 0);
	put32(k, mid);
	put32(k, ppid_fsn);
	put(k, user, n);
	pad4(k);
}

static void control(struct pk *k, uint8_t type, uint16_t body)
{
	put(k, (uint8_t[]){ type, 0 }, 2);
	put16(k, (uint16_t)(4 + body));
	for (uint16_t i = 0; i < body; i++)
		put(k, (uint8_t[]){ (uint8_t)(i * 7) }, 1);
	pad4(k);
}

/* The CRC32c goes in least significant byte first (RFC 9260 Appendix B). */
static void seal(struct pk *k)
{
	memset(k->b + 8, 0, 4);
	uint32_t c = hp_sctp_crc32c_sw(k->b, k->len);

	k->b[8] = (uint8_t)c;
	k->b[9] = (uint8_t)(c >> 8);
	k->b[10] = (uint8_t)(c >> 16);
	k->b[11] = (uint8_t)(c >> 24);
}

/* ---- a sink that keeps copies ---- */

struct got {
	unsigned n;
	struct {
		char p[2048];
		uint32_t len;
		uint16_t stream;
		uint32_t ppid, tsn;
		const uint8_t *ptr;
	} m[16];
};

static void sink(void *arg, const struct hp_sctp_msg *m)
{
	struct got *g = arg;

	cr_assert_lt(g->n, 16);
	cr_assert_leq(m->len, sizeof(g->m[0].p));
	memcpy(g->m[g->n].p, m->p, m->len);
	g->m[g->n].len = m->len;
	g->m[g->n].stream = m->stream;
	g->m[g->n].ppid = m->ppid;
	g->m[g->n].tsn = m->tsn;
	g->m[g->n].ptr = m->p;
	g->n++;
}

static void expect_msg(const struct got *g, unsigned i, const char *s)
{
	cr_assert_gt(g->n, i);
	cr_assert_eq(g->m[i].len, strlen(s), "message %u: %u bytes, want %zu", i, g->m[i].len,
		     strlen(s));
	cr_assert(memcmp(g->m[i].p, s, strlen(s)) == 0, "message %u: %.*s", i, (int)g->m[i].len,
		  g->m[i].p);
}

static const uint8_t ip_a[4] = { 192, 0, 2, 1 };
static const uint8_t ip_b[4] = { 192, 0, 2, 2 };

static struct hp_sctp *mk(void)
{
	struct hp_sctp_cfg c;

	hp_sctp_cfg_defaults(&c);
	struct hp_sctp *t = hp_sctp_create(&c, 1);

	cr_assert_not_null(t);
	return t;
}

static int feed(struct hp_sctp *t, const struct pk *k, uint64_t now, struct got *g)
{
	return hp_sctp_packet(t, 4, ip_a, ip_b, k->b, k->len, now, sink, g);
}

/* ---- CRC32c ---- */

struct vec {
	uint8_t b[48];
	size_t len;
	uint32_t crc;
};

/* RFC 3720 Appendix B.4 (the CRC as the bytes listed there, read least
 * significant first), and the customary "123456789" check value. */
static void vectors(struct vec *v, size_t *n)
{
	static const uint8_t iscsi_read[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	memset(v, 0, 6 * sizeof(*v));
	v[0].len = 32;
	v[0].crc = 0x8a9136aa;
	memset(v[1].b, 0xff, 32);
	v[1].len = 32;
	v[1].crc = 0x62a8ab43;
	for (int i = 0; i < 32; i++) {
		v[2].b[i] = (uint8_t)i;
		v[3].b[i] = (uint8_t)(31 - i);
	}
	v[2].len = v[3].len = 32;
	v[2].crc = 0x46dd794e;
	v[3].crc = 0x113fdb5c;
	memcpy(v[4].b, iscsi_read, 48);
	v[4].len = 48;
	v[4].crc = 0xd9963a56;
	memcpy(v[5].b, "123456789", 9);
	v[5].len = 9;
	v[5].crc = 0xe3069283;
	*n = 6;
}

Test(sctp, crc32c_rfc3720_vectors)
{
	struct vec v[6];
	size_t n;

	vectors(v, &n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(hp_sctp_crc32c_sw(v[i].b, v[i].len), v[i].crc, "vector %zu sw: %08x", i,
			     hp_sctp_crc32c_sw(v[i].b, v[i].len));
		cr_assert_eq(hp_sctp_crc32c(v[i].b, v[i].len), v[i].crc, "vector %zu: %08x", i,
			     hp_sctp_crc32c(v[i].b, v[i].len));
	}
	cr_assert_eq(hp_sctp_crc32c(NULL, 0), 0);
}

/* Whatever path hp_sctp_crc32c() took on this CPU, it agrees with the tables
 * at every length and alignment, including the tails the 8-byte loops leave. */
Test(sctp, crc32c_paths_agree)
{
	static uint8_t buf[600];
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(buf); i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		buf[i] = (uint8_t)s;
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= 520; len++)
			cr_assert_eq(hp_sctp_crc32c(buf + off, len), hp_sctp_crc32c_sw(buf + off, len),
				     "off %zu len %zu", off, len);
}

/* ---- checksum verdicts ---- */

Test(sctp, verify_capture)
{
	cr_assert_eq(hp_sctp_verify(cap_frame1, sizeof(cap_frame1)), HP_SCTP_CSUM_OK);
	cr_assert_eq(hp_sctp_verify(cap_frame2, sizeof(cap_frame2)), HP_SCTP_CSUM_OK);
	cr_assert_eq(hp_sctp_verify(cap_frame3, sizeof(cap_frame3)), HP_SCTP_CSUM_OK);

	uint8_t b[sizeof(cap_frame3)];

	/* any single bit flipped outside the checksum field */
	for (size_t i = 0; i < sizeof(b); i++) {
		if (i >= 8 && i < 12)
			continue;
		memcpy(b, cap_frame3, sizeof(b));
		b[i] ^= (uint8_t)(1u << (i % 8));
		int v = hp_sctp_verify(b, sizeof(b));

		/* a flip in the chunk length makes the chunks disagree with len */
		if (i == 14 || i == 15)
			cr_assert(v == HP_SCTP_CSUM_BAD || v == HP_SCTP_CSUM_TRUNCATED, "byte %zu", i);
		else
			cr_assert_eq(v, HP_SCTP_CSUM_BAD, "byte %zu", i);
	}
	memcpy(b, cap_frame3, sizeof(b));
	b[11] ^= 1;
	cr_assert_eq(hp_sctp_verify(b, sizeof(b)), HP_SCTP_CSUM_BAD);
	memset(b + 8, 0, 4);
	cr_assert_eq(hp_sctp_verify(b, sizeof(b)), HP_SCTP_CSUM_ZERO);
}

Test(sctp, verify_truncated_at_every_length)
{
	for (size_t len = 0; len < sizeof(cap_frame3); len++) {
		uint8_t *b = malloc(len ? len : 1);

		memcpy(b, cap_frame3, len);
		cr_assert_eq(hp_sctp_verify(b, len), HP_SCTP_CSUM_TRUNCATED, "len %zu", len);
		free(b);
	}
}

/* ---- the capture through hp_sctp_packet ---- */

static int feed_cap(struct hp_sctp *t, const uint8_t *b, size_t len, bool a_to_b, struct got *g)
{
	return hp_sctp_packet(t, 4, a_to_b ? cap_addr_a : cap_addr_b, a_to_b ? cap_addr_b : cap_addr_a,
			      b, len, 1000, sink, g);
}

Test(sctp, capture_unfragmented)
{
	struct hp_sctp *t = mk();
	struct got g = { 0 };

	cr_assert_eq(feed_cap(t, cap_frame3, sizeof(cap_frame3), false, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.m[0].len, 365);
	cr_assert(memcmp(g.m[0].p, "SIP/2.0 100 Giving a try\r\n", 26) == 0);
	cr_assert_eq(g.m[0].ptr, cap_frame3 + 28, "reported in place");
	cr_assert_eq(g.m[0].tsn, 0xd9853388u);
	cr_assert_eq(g.m[0].stream, 0);
	cr_assert_eq(g.m[0].ppid, 0);
	cr_assert_eq(hp_sctp_stats(t)->data_chunks, 1);
	cr_assert_eq(hp_sctp_stats(t)->messages, 1);
	/* the same frame again is a retransmission */
	cr_assert_eq(feed_cap(t, cap_frame3, sizeof(cap_frame3), false, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(g.n, 1);
	hp_sctp_destroy(t);
}

static void capture_fragments(bool reverse)
{
	struct hp_sctp *t = mk();
	struct got g = { 0 };
	const uint8_t *first = reverse ? cap_frame2 : cap_frame1;
	const uint8_t *second = reverse ? cap_frame1 : cap_frame2;
	size_t first_len = reverse ? sizeof(cap_frame2) : sizeof(cap_frame1);
	size_t second_len = reverse ? sizeof(cap_frame1) : sizeof(cap_frame2);

	cr_assert_eq(feed_cap(t, first, first_len, true, &g), HP_R_SCTP_HELD);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(feed_cap(t, second, second_len, true, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.m[0].len, 1452 + 312);
	cr_assert(memcmp(g.m[0].p, cap_frame1 + 28, 1452) == 0);
	cr_assert(memcmp(g.m[0].p + 1452, cap_frame2 + 28, 312) == 0);
	cr_assert(memcmp(g.m[0].p, "INVITE sip:9275890000@VMSSM;user=phone SIP/2.0\r\n", 48) == 0);
	cr_assert(memcmp(g.m[0].p + g.m[0].len - 2, "--", 2) == 0);
	cr_assert_eq(g.m[0].tsn, 0x02902d3fu, "the first fragment's TSN");
	const struct hp_sctp_stats *st = hp_sctp_stats(t);

	cr_assert_eq(st->fragments_held, 2);
	cr_assert_eq(st->reassembled, 1);
	cr_assert_eq(st->messages, 1);
	/* both fragments again: already delivered */
	cr_assert_eq(feed_cap(t, cap_frame1, sizeof(cap_frame1), true, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(feed_cap(t, cap_frame2, sizeof(cap_frame2), true, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(hp_sctp_expire(t, UINT64_MAX / 2), 0, "nothing left held");
	hp_sctp_destroy(t);
}

Test(sctp, capture_fragmented_in_order)
{
	capture_fragments(false);
}

Test(sctp, capture_fragmented_reversed)
{
	capture_fragments(true);
}

/* Every cut of a real packet: below the common header and inside the chunk
 * header or body it is truncated, exactly at the header end malformed (no
 * chunk), and inside the padding of the last chunk the message is whole. */
Test(sctp, packet_truncated_at_every_length)
{
	for (size_t len = 0; len < sizeof(cap_frame3); len++) {
		struct hp_sctp *t = mk();
		struct got g = { 0 };
		uint8_t *b = malloc(len ? len : 1);

		memcpy(b, cap_frame3, len);
		int rc = feed_cap(t, b, len, false, &g);

		if (len == 12)
			cr_assert_eq(rc, HP_R_SCTP_MALFORMED);
		else if (len >= 12 + 381)
			cr_assert_eq(rc, HP_R_OK, "len %zu", len);
		else
			cr_assert_eq(rc, HP_R_SCTP_TRUNCATED, "len %zu: %d", len, rc);
		cr_assert_eq(g.n, rc == HP_R_OK ? 1u : 0u);
		free(b);
		hp_sctp_destroy(t);
	}
}

/* ---- chunk walk ---- */

Test(sctp, control_kinds_counted_apart)
{
	static const struct {
		uint8_t type;
		int kind;
	} kinds[] = {
		{ 1, HP_SCTP_KIND_INIT }, { 2, HP_SCTP_KIND_INIT_ACK }, { 3, HP_SCTP_KIND_SACK },
		{ 4, HP_SCTP_KIND_HEARTBEAT }, { 5, HP_SCTP_KIND_HEARTBEAT_ACK },
		{ 6, HP_SCTP_KIND_ABORT }, { 7, HP_SCTP_KIND_SHUTDOWN },
		{ 8, HP_SCTP_KIND_SHUTDOWN_ACK }, { 9, HP_SCTP_KIND_ERROR },
		{ 10, HP_SCTP_KIND_COOKIE_ECHO }, { 11, HP_SCTP_KIND_COOKIE_ACK },
		{ 12, HP_SCTP_KIND_ECNE }, { 13, HP_SCTP_KIND_CWR },
		{ 14, HP_SCTP_KIND_SHUTDOWN_COMPLETE }, { 15, HP_SCTP_KIND_AUTH },
		{ 128, HP_SCTP_KIND_ASCONF_ACK }, { 130, HP_SCTP_KIND_RECONFIG },
		{ 132, HP_SCTP_KIND_PAD }, { 192, HP_SCTP_KIND_FORWARD_TSN },
		{ 193, HP_SCTP_KIND_ASCONF }, { 194, HP_SCTP_KIND_I_FORWARD_TSN },
		{ 63, HP_SCTP_KIND_OTHER }, { 255, HP_SCTP_KIND_OTHER },
	};
	struct hp_sctp *t = mk();
	struct pk k;
	struct got g = { 0 };

	for (size_t i = 0; i < HP_ARRAY_LEN(kinds); i++) {
		cr_assert_eq(hp_sctp_kind_of(kinds[i].type), kinds[i].kind, "type %u", kinds[i].type);
		common(&k, 5060, 5060, 0x1234);
		/* a body of 0..5 bytes: padding of every size on the way */
		control(&k, kinds[i].type, (uint16_t)(i % 6));
		seal(&k);
		cr_assert_eq(hp_sctp_verify(k.b, k.len), HP_SCTP_CSUM_OK);
		cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_CONTROL, "type %u", kinds[i].type);
	}
	const struct hp_sctp_stats *st = hp_sctp_stats(t);

	cr_assert_eq(st->control_chunks, HP_ARRAY_LEN(kinds));
	for (int kind = 0; kind < HP_SCTP_KIND_OTHER; kind++)
		cr_assert_eq(st->control[kind], 1, "%s", hp_sctp_kind_label(kind));
	cr_assert_eq(st->control[HP_SCTP_KIND_OTHER], 2);
	cr_assert_eq(st->data_chunks, 0);
	cr_assert_eq(g.n, 0);
	cr_assert_str_eq(hp_sctp_kind_label(HP_SCTP_KIND_SACK), "sack");
	cr_assert_str_eq(hp_sctp_kind_label(HP_SCTP_KIND_OTHER), "other");
	cr_assert_str_eq(hp_sctp_kind_label(-1), "other");
	cr_assert_str_eq(hp_sctp_kind_label(HP_SCTP_KIND_MAX), "other");
	hp_sctp_destroy(t);
}

/* User data of 1..8 bytes, each chunk padded, bundled with SACK and
 * HEARTBEAT: every message comes out whole and in chunk order. */
Test(sctp, bundle_and_padding)
{
	static const char *const msgs[] = { "a", "bb", "ccc", "dddd", "eeeee", "ffffff", "ggggggg",
					    "hhhhhhhh" };
	struct hp_sctp *t = mk();
	struct pk k;
	struct got g = { 0 };

	common(&k, 5060, 5061, 77);
	control(&k, 3, 12);
	for (uint32_t i = 0; i < HP_ARRAY_LEN(msgs); i++) {
		data(&k, F_BE, 100 + i, (uint16_t)i, (uint16_t)(7 + i), 1000 + i, msgs[i]);
		if (i == 3)
			control(&k, 4, 9);
	}
	seal(&k);
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK);
	cr_assert_eq(g.n, HP_ARRAY_LEN(msgs));
	for (uint32_t i = 0; i < HP_ARRAY_LEN(msgs); i++) {
		expect_msg(&g, i, msgs[i]);
		cr_assert_eq(g.m[i].stream, i);
		cr_assert_eq(g.m[i].ppid, 1000 + i);
		cr_assert_eq(g.m[i].tsn, 100 + i);
		cr_assert(g.m[i].ptr > k.b && g.m[i].ptr < k.b + k.len);
	}
	cr_assert_eq(hp_sctp_stats(t)->control_chunks, 2);
	cr_assert_eq(hp_sctp_stats(t)->data_chunks, HP_ARRAY_LEN(msgs));
	hp_sctp_destroy(t);
}

/* A last chunk without its padding (RFC 9260 §3.2 says pad it; not every
 * sender does) is still taken. */
Test(sctp, last_chunk_unpadded)
{
	struct hp_sctp *t = mk();
	struct pk k;
	struct got g = { 0 };

	common(&k, 1, 2, 3);
	data(&k, F_BE, 1, 0, 0, 0, "hello");
	k.len -= 3;
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK);
	expect_msg(&g, 0, "hello");
	hp_sctp_destroy(t);
}

Test(sctp, malformed_chunks)
{
	struct hp_sctp *t = mk();
	struct pk k;
	struct got g = { 0 };

	/* common header alone: a packet has at least one chunk */
	common(&k, 1, 2, 3);
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_MALFORMED);
	/* chunk lengths 0..3 cannot even cover the chunk header */
	for (uint16_t l = 0; l < 4; l++) {
		common(&k, 1, 2, 3);
		put(&k, (uint8_t[]){ 3, 0 }, 2);
		put16(&k, l);
		put32(&k, 0);
		cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_MALFORMED, "length %u", l);
	}
	/* DATA without user data (RFC 9260 §3.3.1), then a good one: skipped */
	common(&k, 1, 2, 3);
	data(&k, F_BE, 1, 0, 0, 0, "");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_MALFORMED);
	data(&k, F_BE, 2, 0, 0, 0, "after");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK);
	cr_assert_eq(g.n, 1);
	expect_msg(&g, 0, "after");
	/* I-DATA without user data; a non-first I-DATA fragment with FSN 0 */
	common(&k, 1, 2, 3);
	idata(&k, F_BE, 3, 0, 0, 0, "");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_MALFORMED);
	common(&k, 1, 2, 3);
	idata(&k, F_E, 4, 0, 0, 0, "x");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_MALFORMED);
	/* a DATA chunk shorter than its 16-byte header */
	common(&k, 1, 2, 3);
	put(&k, (uint8_t[]){ 0, 3, 0, 8, 0, 0, 0, 9 }, 8);
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_MALFORMED);
	/* a message before a bad chunk is still delivered */
	common(&k, 1, 2, 3);
	data(&k, F_BE, 5, 0, 0, 0, "first");
	put(&k, (uint8_t[]){ 3, 0, 0, 2 }, 4);
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK);
	expect_msg(&g, 1, "first");
	cr_assert_eq(hp_sctp_stats(t)->malformed, 11);
	cr_assert_eq(hp_sctp_stats(t)->messages, 2);
	cr_assert_eq(hp_sctp_packet(t, 4, ip_a, ip_b, k.b, 11, 1, sink, &g), HP_R_SCTP_TRUNCATED);
	hp_sctp_destroy(t);
}

/* Several chunks, cut at every length: whatever came before the cut is
 * delivered, nothing is read past it (the copy is exactly len bytes). */
Test(sctp, bundle_truncated_at_every_length)
{
	struct pk k;

	common(&k, 1, 2, 3);
	data(&k, F_BE, 1, 0, 0, 0, "one");   /* ends at 12 + 20 */
	control(&k, 3, 5);                   /* ends at 32 + 12 */
	data(&k, F_BE, 2, 0, 0, 0, "second"); /* ends at 44 + 24 */
	for (size_t len = 12; len <= k.len; len++) {
		struct hp_sctp *t = mk();
		struct got g = { 0 };
		uint8_t *b = malloc(len);

		memcpy(b, k.b, len);
		int rc = hp_sctp_packet(t, 4, ip_a, ip_b, b, len, 1, sink, &g);
		unsigned want = (len >= 12 + 19) + (len >= 44 + 22);

		cr_assert_eq(g.n, want, "len %zu", len);
		if (len == 12)
			cr_assert_eq(rc, HP_R_SCTP_MALFORMED);
		else if (want > 0)
			cr_assert_eq(rc, HP_R_OK, "len %zu", len);
		else
			cr_assert_eq(rc, HP_R_SCTP_TRUNCATED, "len %zu", len);
		free(b);
		hp_sctp_destroy(t);
	}
}

/* ---- DATA reassembly ---- */

static const char *const parts[] = { "INVITE sip:b@x SIP/2.0\r\n", "Call-ID: 1\r\n", "\r\n" };
static const char whole[] = "INVITE sip:b@x SIP/2.0\r\nCall-ID: 1\r\n\r\n";

static void frag(struct pk *k, uint32_t base, int i, uint16_t sid)
{
	uint8_t f = (uint8_t)((i == 0 ? F_B : 0) | (i == 2 ? F_E : 0));

	common(k, 5060, 5060, 0xabcd);
	data(k, f, base + (uint32_t)i, sid, 9, 0, parts[i]);
	seal(k);
}

Test(sctp, fragments_every_order)
{
	static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
					  { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };

	for (int o = 0; o < 6; o++) {
		struct hp_sctp *t = mk();
		struct got g = { 0 };
		struct pk k;

		for (int j = 0; j < 3; j++) {
			frag(&k, 40, orders[o][j], 3);
			int rc = feed(t, &k, 10 + (uint64_t)j, &g);

			cr_assert_eq(rc, j == 2 ? HP_R_OK : HP_R_SCTP_HELD, "order %d step %d", o, j);
		}
		cr_assert_eq(g.n, 1);
		expect_msg(&g, 0, whole);
		cr_assert_eq(g.m[0].tsn, 40);
		cr_assert_eq(g.m[0].stream, 3);
		cr_assert_eq(hp_sctp_stats(t)->reassembled, 1);
		cr_assert_eq(hp_sctp_stats(t)->fragments_held, 3);
		cr_assert_eq(hp_sctp_expire(t, UINT64_MAX / 2), 0);
		hp_sctp_destroy(t);
	}
}

/* The end of one message and the start of the next on one stream, reordered:
 * TSN 10,11 = "AB", 12,13 = "CD", arriving 10, 12, 13, 11. */
Test(sctp, fragments_two_messages_reordered)
{
	struct hp_sctp *t = mk();
	struct got g = { 0 };
	struct pk k;
	static const struct {
		uint32_t tsn;
		uint8_t f;
		const char *s;
		int rc;
	} steps[] = {
		{ 10, F_B, "A", HP_R_SCTP_HELD }, { 12, F_B, "C", HP_R_SCTP_HELD },
		{ 13, F_E, "D", HP_R_OK },        { 11, F_E, "B", HP_R_OK },
	};

	for (size_t i = 0; i < HP_ARRAY_LEN(steps); i++) {
		common(&k, 1, 2, 3);
		data(&k, steps[i].f, steps[i].tsn, 0, steps[i].tsn < 12 ? 1 : 2, 0, steps[i].s);
		cr_assert_eq(feed(t, &k, 1, &g), steps[i].rc, "step %zu", i);
	}
	cr_assert_eq(g.n, 2);
	expect_msg(&g, 0, "CD");
	expect_msg(&g, 1, "AB");
	cr_assert_eq(g.m[0].tsn, 12);
	cr_assert_eq(g.m[1].tsn, 10);
	cr_assert_eq(hp_sctp_expire(t, UINT64_MAX / 2), 0, "the entry went with its last piece");
	hp_sctp_destroy(t);
}

/* Different streams are separate messages even with neighbouring TSNs, and
 * two fragments that are neighbours by TSN but differ in SSN or U flag are
 * not one message. */
Test(sctp, fragments_streams_and_mismatch)
{
	struct hp_sctp *t = mk();
	struct got g = { 0 };
	struct pk k;

	common(&k, 1, 2, 3);
	data(&k, F_B, 20, 1, 0, 0, "s1a");
	data(&k, F_B, 22, 2, 0, 0, "s2a");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_HELD);
	common(&k, 1, 2, 3);
	data(&k, F_E, 23, 2, 0, 0, "s2b");
	data(&k, F_E, 21, 1, 0, 0, "s1b");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK);
	cr_assert_eq(g.n, 2);
	expect_msg(&g, 0, "s2as2b");
	expect_msg(&g, 1, "s1as1b");
	cr_assert_eq(g.m[0].stream, 2);
	cr_assert_eq(g.m[1].stream, 1);

	common(&k, 1, 2, 3);
	data(&k, F_B, 30, 0, 5, 0, "x");
	data(&k, F_E, 31, 0, 6, 0, "y");       /* other SSN */
	data(&k, F_B | F_U, 32, 0, 0, 0, "u");
	data(&k, F_E, 33, 0, 0, 0, "v");       /* U flag differs */
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(g.n, 2);
	hp_sctp_destroy(t);
}

Test(sctp, fragments_across_tsn_wrap)
{
	struct hp_sctp *t = mk();
	struct got g = { 0 };
	struct pk k;

	common(&k, 1, 2, 3);
	data(&k, F_E, 0, 0, 0, 0, "end");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_HELD);
	common(&k, 1, 2, 3);
	data(&k, 0, 0xffffffffu, 0, 0, 0, "mid-");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_HELD);
	common(&k, 1, 2, 3);
	data(&k, F_B, 0xfffffffeu, 0, 0, 7, "start-");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK);
	expect_msg(&g, 0, "start-mid-end");
	cr_assert_eq(g.m[0].tsn, 0xfffffffeu);
	cr_assert_eq(g.m[0].ppid, 7);
	hp_sctp_destroy(t);
}

/* ---- retransmissions ---- */

Test(sctp, duplicates)
{
	struct hp_sctp *t = mk();
	struct got g = { 0 };
	struct pk k;

	common(&k, 1, 2, 3);
	data(&k, F_BE, 500, 0, 0, 0, "m");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK);
	cr_assert_eq(feed(t, &k, 2, &g), HP_R_SCTP_DUPLICATE);
	/* the same TSN on another association (verification tag) is new */
	k.b[7] ^= 1;
	cr_assert_eq(feed(t, &k, 2, &g), HP_R_OK);
	/* ... and from another address too */
	k.b[7] ^= 1;
	cr_assert_eq(hp_sctp_packet(t, 4, ip_b, ip_b, k.b, k.len, 2, sink, &g), HP_R_OK);
	static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	cr_assert_eq(hp_sctp_packet(t, 6, v6a, v6b, k.b, k.len, 2, sink, &g), HP_R_OK);
	cr_assert_eq(hp_sctp_packet(t, 6, v6a, v6b, k.b, k.len, 2, sink, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(g.n, 4);

	/* a held fragment sent again; then the whole message again */
	common(&k, 1, 2, 3);
	data(&k, F_B, 501, 0, 0, 0, "p");
	cr_assert_eq(feed(t, &k, 3, &g), HP_R_SCTP_HELD);
	cr_assert_eq(feed(t, &k, 3, &g), HP_R_SCTP_DUPLICATE);
	common(&k, 1, 2, 3);
	data(&k, F_E, 502, 0, 0, 0, "q");
	cr_assert_eq(feed(t, &k, 3, &g), HP_R_OK);
	expect_msg(&g, 4, "pq");
	common(&k, 1, 2, 3);
	data(&k, F_B, 501, 0, 0, 0, "p");
	data(&k, F_E, 502, 0, 0, 0, "q");
	cr_assert_eq(feed(t, &k, 4, &g), HP_R_SCTP_DUPLICATE);
	/* a bundle of a retransmission and a new message delivers the new one */
	common(&k, 1, 2, 3);
	data(&k, F_BE, 500, 0, 0, 0, "m");
	data(&k, F_BE, 503, 0, 0, 0, "n");
	cr_assert_eq(feed(t, &k, 4, &g), HP_R_OK);
	cr_assert_eq(g.n, 6);
	expect_msg(&g, 5, "n");
	cr_assert_eq(hp_sctp_stats(t)->duplicates, 6);
	hp_sctp_destroy(t);
}

static int one(struct hp_sctp *t, uint32_t tsn, struct got *g)
{
	struct pk k;

	common(&k, 7, 8, 9);
	data(&k, F_BE, tsn, 0, 0, 0, "w");
	return feed(t, &k, 1, g);
}

/* The window slides with the highest TSN: word and bit shifts, a jump past
 * the whole window, and TSNs that fell out of it. */
Test(sctp, duplicate_window)
{
	struct hp_sctp *t = mk();
	struct got g = { 0 };

	cr_assert_eq(one(t, 5, &g), HP_R_OK);
	cr_assert_eq(one(t, 40, &g), HP_R_OK);      /* shift by 35: across a word */
	cr_assert_eq(one(t, 5, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(one(t, 6, &g), HP_R_OK);       /* late but new */
	cr_assert_eq(one(t, 6, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(one(t, 40 + 255, &g), HP_R_OK);
	cr_assert_eq(one(t, 40, &g), HP_R_SCTP_DUPLICATE);  /* distance 255: last bit */
	cr_assert_eq(one(t, 39, &g), HP_R_SCTP_DUPLICATE);  /* distance 256: too old */
	cr_assert_eq(one(t, 41, &g), HP_R_OK);
	cr_assert_eq(one(t, 5000, &g), HP_R_OK);    /* past the whole window */
	cr_assert_eq(one(t, 5000 - 200, &g), HP_R_OK);
	cr_assert_eq(one(t, 5000 - 200, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(one(t, 41, &g), HP_R_SCTP_DUPLICATE);
	/* 0xfffffff0 is 5016 before 5000 in serial order */
	cr_assert_eq(one(t, 0xfffffff0u, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(g.n, 7);
	hp_sctp_destroy(t);

	/* bits carried across a word boundary by a shift smaller than a word */
	t = mk();
	cr_assert_eq(one(t, 100, &g), HP_R_OK);
	cr_assert_eq(one(t, 131, &g), HP_R_OK);     /* 100 at distance 31 */
	cr_assert_eq(one(t, 133, &g), HP_R_OK);     /* ... now 33, 131 at 2 */
	cr_assert_eq(one(t, 100, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(one(t, 101, &g), HP_R_OK);
	cr_assert_eq(one(t, 131, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(g.n, 11);
	hp_sctp_destroy(t);

	/* wrap-around: 0xfffffff0 .. 0x10 are in order */
	t = mk();
	cr_assert_eq(one(t, 0xfffffff0u, &g), HP_R_OK);
	cr_assert_eq(one(t, 0x10, &g), HP_R_OK);
	cr_assert_eq(one(t, 0xfffffff0u, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(one(t, 0xfffffff1u, &g), HP_R_OK);
	cr_assert_eq(one(t, 0x10, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(g.n, 14);
	hp_sctp_destroy(t);
}

/* ---- limits and timeout ---- */

static struct hp_sctp *mk_small(uint32_t entries, uint32_t size, uint32_t pieces, uint32_t assocs)
{
	struct hp_sctp_cfg c;

	hp_sctp_cfg_defaults(&c);
	c.max_reassembly = entries;
	c.max_msg_size = size;
	c.max_pieces = pieces;
	c.max_assocs = assocs;
	c.timeout_us = 1000;
	struct hp_sctp *t = hp_sctp_create(&c, 99);

	cr_assert_not_null(t);
	return t;
}

static int piece(struct hp_sctp *t, uint32_t tsn, uint8_t f, uint16_t sid, const char *s, uint64_t now,
		 struct got *g)
{
	struct pk k;

	common(&k, 1, 2, 3);
	data(&k, f, tsn, sid, 0, 0, s);
	return feed(t, &k, now, g);
}

Test(sctp, limit_message_size)
{
	struct hp_sctp *t = mk_small(4, 10, 8, 16);
	struct got g = { 0 };

	cr_assert_eq(piece(t, 1, F_B, 0, "12345", 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 2, 0, 0, "67890", 1, &g), HP_R_SCTP_HELD);   /* exactly 10 */
	cr_assert_eq(piece(t, 3, 0, 0, "x", 1, &g), HP_R_SCTP_TOO_BIG);
	cr_assert_eq(piece(t, 4, 0, 0, "y", 1, &g), HP_R_SCTP_TOO_BIG);  /* swallowed */
	cr_assert_eq(piece(t, 5, F_E, 0, "z", 1, &g), HP_R_SCTP_TOO_BIG);
	cr_assert_eq(hp_sctp_stats(t)->too_big, 3);
	/* the stream works again, and a message of exactly the limit passes */
	cr_assert_eq(piece(t, 6, F_B, 0, "abcde", 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 7, F_E, 0, "fghij", 1, &g), HP_R_OK);
	expect_msg(&g, 0, "abcdefghij");
	/* one fragment alone over the limit; the next message's B ends the discard */
	cr_assert_eq(piece(t, 8, F_B, 0, "0123456789a", 1, &g), HP_R_SCTP_TOO_BIG);
	cr_assert_eq(piece(t, 10, F_B, 0, "n", 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 11, F_E, 0, "o", 1, &g), HP_R_OK);
	expect_msg(&g, 1, "no");
	cr_assert_eq(piece(t, 9, F_E, 0, "b", 1, &g), HP_R_SCTP_HELD, "a stray end waits");
	cr_assert_eq(hp_sctp_expire(t, 1 + 1001), 1);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(hp_sctp_stats(t)->pieces_cap, 0);
	hp_sctp_destroy(t);
}

Test(sctp, limit_pieces)
{
	struct hp_sctp *t = mk_small(4, 1000, 3, 16);
	struct got g = { 0 };

	cr_assert_eq(piece(t, 1, F_B, 0, "a", 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 2, 0, 0, "b", 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 3, 0, 0, "c", 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 4, F_E, 0, "d", 1, &g), HP_R_SCTP_TOO_BIG);
	cr_assert_eq(hp_sctp_stats(t)->pieces_cap, 1);
	cr_assert_eq(hp_sctp_stats(t)->too_big, 1);
	cr_assert_eq(hp_sctp_expire(t, UINT64_MAX / 2), 0, "the entry went with the E");
	/* three pieces are fine */
	cr_assert_eq(piece(t, 5, F_B, 0, "a", 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 7, F_E, 0, "c", 1, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 6, 0, 0, "b", 1, &g), HP_R_OK);
	expect_msg(&g, 0, "abc");
	hp_sctp_destroy(t);
}

Test(sctp, limit_table_full)
{
	struct hp_sctp *t = mk_small(2, 100, 4, 16);
	struct got g = { 0 };

	cr_assert_eq(piece(t, 1, F_B, 1, "a", 10, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 3, F_B, 2, "b", 20, &g), HP_R_SCTP_HELD);
	cr_assert_eq(piece(t, 5, F_B, 3, "c", 30, &g), HP_R_SCTP_TABLE_FULL);
	cr_assert_eq(hp_sctp_stats(t)->table_full, 1);
	/* unfragmented messages need no entry */
	cr_assert_eq(piece(t, 7, F_BE, 3, "whole", 30, &g), HP_R_OK);
	/* once the oldest is past its time it makes room */
	cr_assert_eq(piece(t, 5, F_B, 3, "c", 1011, &g), HP_R_SCTP_HELD);
	cr_assert_eq(hp_sctp_stats(t)->timeout, 1);
	cr_assert_eq(piece(t, 6, F_E, 3, "d", 1012, &g), HP_R_OK);
	expect_msg(&g, 1, "cd");
	hp_sctp_destroy(t);
}

Test(sctp, timeout)
{
	struct hp_sctp *t = mk_small(4, 100, 4, 16);
	struct got g = { 0 };

	cr_assert_eq(piece(t, 1, F_B, 0, "a", 100, &g), HP_R_SCTP_HELD);
	cr_assert_eq(hp_sctp_expire(t, 1100), 0, "exactly the timeout is not past it");
	cr_assert_eq(hp_sctp_expire(t, 1101), 1);
	cr_assert_eq(hp_sctp_stats(t)->timeout, 1);
	cr_assert_eq(piece(t, 2, F_E, 0, "b", 1102, &g), HP_R_SCTP_HELD, "its start is gone");
	/* without hp_sctp_expire(): the late piece finds the stale entry */
	cr_assert_eq(piece(t, 1, F_B, 0, "a", 5000, &g), HP_R_SCTP_HELD);
	cr_assert_eq(hp_sctp_stats(t)->timeout, 2);
	cr_assert_eq(piece(t, 2, F_E, 0, "b", 5500, &g), HP_R_OK);
	expect_msg(&g, 0, "ab");
	hp_sctp_destroy(t);
}

Test(sctp, assoc_table_full_still_delivers)
{
	struct hp_sctp *t = mk_small(4, 100, 4, 1);
	struct got g = { 0 };
	struct pk k;

	cr_assert_eq(piece(t, 1, F_BE, 0, "a", 1, &g), HP_R_OK);
	common(&k, 9, 9, 9);
	data(&k, F_BE, 1, 0, 0, 0, "b");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK);
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_OK, "no window: delivered again");
	cr_assert_eq(hp_sctp_stats(t)->assoc_full, 2);
	cr_assert_eq(piece(t, 1, F_BE, 0, "a", 1, &g), HP_R_SCTP_DUPLICATE);
	/* once the first direction has been idle for assoc_idle_us, the other
	 * takes its place and is checked */
	uint64_t later = 2 + 300 * 1000000ull;

	cr_assert_eq(feed(t, &k, later, &g), HP_R_OK);
	cr_assert_eq(feed(t, &k, later, &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(hp_sctp_stats(t)->assoc_full, 2);
	hp_sctp_destroy(t);
}

Test(sctp, create_rejects_bad_cfg)
{
	struct hp_sctp_cfg c, d;

	hp_sctp_cfg_defaults(&d);
	cr_assert_null(hp_sctp_create(NULL, 0));
	c = d;
	c.max_reassembly = 0;
	cr_assert_null(hp_sctp_create(&c, 0));
	c = d;
	c.max_msg_size = 0;
	cr_assert_null(hp_sctp_create(&c, 0));
	c = d;
	c.max_msg_size = HP_SCTP_MAX_MSG_SIZE + 1;
	cr_assert_null(hp_sctp_create(&c, 0));
	c = d;
	c.max_pieces = 1;
	cr_assert_null(hp_sctp_create(&c, 0));
	c = d;
	c.max_pieces = HP_SCTP_MAX_PIECES + 1;
	cr_assert_null(hp_sctp_create(&c, 0));
	c = d;
	c.timeout_us = 0;
	cr_assert_null(hp_sctp_create(&c, 0));
	c = d;
	c.max_assocs = 0;
	cr_assert_null(hp_sctp_create(&c, 0));
	c = d;
	c.assoc_idle_us = 0;
	cr_assert_null(hp_sctp_create(&c, 0));
	struct hp_sctp *t = hp_sctp_create(&d, 0);

	cr_assert_not_null(t);
	cr_assert_geq(hp_sctp_memory(t), (size_t)d.max_reassembly * d.max_msg_size);
	hp_sctp_destroy(t);
	hp_sctp_destroy(NULL);
}

/* ---- I-DATA (RFC 8260) ---- */

static int ipiece(struct hp_sctp *t, uint32_t tsn, uint8_t f, uint32_t mid, uint32_t ppid_fsn,
		  const char *s, struct got *g)
{
	struct pk k;

	common(&k, 1, 2, 3);
	idata(&k, f, tsn, 4, mid, ppid_fsn, s);
	return feed(t, &k, 1, g);
}

Test(sctp, idata)
{
	struct hp_sctp *t = mk();
	struct got g = { 0 };

	cr_assert_eq(ipiece(t, 1, F_BE, 0, 39, "whole", &g), HP_R_OK);
	expect_msg(&g, 0, "whole");
	cr_assert_eq(g.m[0].ppid, 39);
	cr_assert_eq(g.m[0].stream, 4);
	/* two messages on one stream interleaved (what I-DATA is for), each out
	 * of order: MID 1 = "x0x1x2", MID 2 = "y0y1" */
	cr_assert_eq(ipiece(t, 2, F_E, 1, 2, "x2", &g), HP_R_SCTP_HELD);
	cr_assert_eq(ipiece(t, 3, F_B, 2, 40, "y0", &g), HP_R_SCTP_HELD);
	cr_assert_eq(ipiece(t, 4, F_B, 1, 41, "x0", &g), HP_R_SCTP_HELD);
	cr_assert_eq(ipiece(t, 5, F_E, 2, 1, "y1", &g), HP_R_OK);
	cr_assert_eq(ipiece(t, 6, 0, 1, 1, "x1", &g), HP_R_OK);
	expect_msg(&g, 1, "y0y1");
	expect_msg(&g, 2, "x0x1x2");
	cr_assert_eq(g.m[1].ppid, 40);
	cr_assert_eq(g.m[2].ppid, 41);
	cr_assert_eq(g.m[2].tsn, 4, "the first fragment's TSN");
	/* ordered and unordered messages with the same MID stay apart */
	cr_assert_eq(ipiece(t, 7, F_B, 9, 0, "o0", &g), HP_R_SCTP_HELD);
	cr_assert_eq(ipiece(t, 8, F_B | F_U, 9, 0, "u0", &g), HP_R_SCTP_HELD);
	cr_assert_eq(ipiece(t, 9, F_E | F_U, 9, 1, "u1", &g), HP_R_OK);
	cr_assert_eq(ipiece(t, 10, F_E, 9, 1, "o1", &g), HP_R_OK);
	expect_msg(&g, 3, "u0u1");
	expect_msg(&g, 4, "o0o1");
	/* a retransmitted fragment by TSN, and a second copy of an FSN */
	cr_assert_eq(ipiece(t, 6, 0, 1, 1, "x1", &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(ipiece(t, 11, F_B, 20, 0, "a", &g), HP_R_SCTP_HELD);
	cr_assert_eq(ipiece(t, 12, 0, 20, 1, "b", &g), HP_R_SCTP_HELD);
	cr_assert_eq(ipiece(t, 13, 0, 20, 1, "b", &g), HP_R_SCTP_DUPLICATE);
	cr_assert_eq(ipiece(t, 14, F_E, 20, 2, "c", &g), HP_R_OK);
	expect_msg(&g, 5, "abc");
	cr_assert_eq(hp_sctp_stats(t)->reassembled, 5);
	cr_assert_eq(hp_sctp_expire(t, UINT64_MAX / 2), 0);
	hp_sctp_destroy(t);
}

/* ---- what a frame reports ---- */

Test(sctp, frame_outcome_precedence)
{
	struct hp_sctp *t = mk_small(1, 100, 4, 16);
	struct got g = { 0 };
	struct pk k;

	/* control + fragment: held */
	common(&k, 1, 2, 3);
	control(&k, 3, 12);
	data(&k, F_B, 1, 0, 0, 0, "a");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_HELD);
	/* duplicate + table full: table full */
	common(&k, 1, 2, 3);
	data(&k, F_B, 1, 0, 0, 0, "a");
	data(&k, F_B, 10, 5, 0, 0, "z");
	cr_assert_eq(feed(t, &k, 1, &g), HP_R_SCTP_TABLE_FULL);
	/* held + truncated: truncated */
	common(&k, 1, 2, 3);
	data(&k, 0, 2, 0, 0, 0, "b");
	data(&k, F_BE, 11, 0, 0, 0, "cut");
	cr_assert_eq(hp_sctp_packet(t, 4, ip_a, ip_b, k.b, k.len - 4, 1, sink, &g), HP_R_SCTP_TRUNCATED);
	/* a delivery outranks everything */
	common(&k, 1, 2, 3);
	data(&k, F_E, 3, 0, 0, 0, "c");
	data(&k, F_BE, 11, 0, 0, 0, "cut");
	cr_assert_eq(hp_sctp_packet(t, 4, ip_a, ip_b, k.b, k.len - 4, 1, sink, &g), HP_R_OK);
	expect_msg(&g, 0, "abc");
	cr_assert_eq(g.n, 1);
	cr_assert_eq(hp_sctp_stats(t)->truncated, 2);
	hp_sctp_destroy(t);
}
