/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/ipfrag: whole UDP datagrams are built here (checksums by a plain
 * RFC 1071 loop written for this file), cut into fragments the way a sender
 * would, fed in several orders, and the rebuilt datagram is compared byte for
 * byte with the original and decoded again by lib/net. Each refusal rule is
 * driven on its own, and every test checks that the counters add up to the
 * number of fragments fed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipfrag/ipfrag.h"
#include "net/net.h"

#define SEC 1000000ull
#define MAXF 128

/* An unfragmented datagram: header (IPv4 with options, or IPv6 with its
 * unfragmentable extension headers), a UDP header and a payload pattern. */
struct dgm {
	uint8_t b[70000];
	uint32_t len;
	uint32_t hlen;    /* unfragmentable part */
	uint32_t nh_off;  /* IPv6: the Next Header byte the Fragment header goes after */
	uint8_t version;
	uint32_t id;
};

/* A fragment as a sender would put it on the wire, reduced to what
 * hp_ipfrag_add() is given. */
struct piece {
	uint8_t hdr[512];
	struct hp_ipfrag_in in;
};

static struct dgm dg_a, dg_b;
static struct piece pcs[MAXF];
static uint64_t fed;

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* UDP header and payload at b + hlen; checksum over the pseudo-header of
 * the given addresses. */
static void udp_fill(struct dgm *d, uint32_t plen, const uint8_t *src, const uint8_t *dst,
		     size_t alen, uint32_t seed)
{
	uint8_t *u = d->b + d->hlen;
	uint32_t ulen = 8 + plen, acc = 0;

	be16(u, 5060);
	be16(u + 2, 5062);
	be16(u + 4, ulen);
	be16(u + 6, 0);
	for (uint32_t i = 0; i < plen; i++)
		u[8 + i] = (uint8_t)(i * 7 + seed + (i >> 8));
	for (size_t i = 0; i < alen; i += 2)
		acc += rd16(src + i) + rd16(dst + i);
	acc += 17 + ulen;
	uint16_t c = (uint16_t)~sum16(u, ulen, acc);

	be16(u + 6, c ? c : 0xffff);
	d->len = d->hlen + ulen;
}

static const uint8_t a4s[4] = { 10, 0, 0, 1 }, a4d[4] = { 192, 168, 20, 130 };
static const uint8_t a6s[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t a6d[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* IPv4/UDP; opt_words of options (a Router Alert, RFC 2113, then NOPs). */
static void make4(struct dgm *d, uint32_t plen, unsigned opt_words, uint32_t id)
{
	uint8_t *h = d->b;

	memset(d, 0, sizeof(*d));
	d->version = 4;
	d->id = id;
	d->hlen = 20 + 4 * opt_words;
	h[0] = (uint8_t)(0x40 | (5 + opt_words));
	h[1] = 0xb8;
	be16(h + 4, id);
	h[8] = 64;
	h[9] = 17;
	memcpy(h + 12, a4s, 4);
	memcpy(h + 16, a4d, 4);
	for (unsigned i = 0; i < 4 * opt_words; i++)
		h[20 + i] = 1;
	if (opt_words) {
		h[20] = 0x94;
		h[21] = 4;
		h[22] = h[23] = 0;
	}
	udp_fill(d, plen, a4s, a4d, 4, id);
	be16(h + 2, d->len);
	be16(h + 10, (uint16_t)~sum16(h, d->hlen, 0));
}

/* IPv6/UDP, with a Hop-by-Hop Options header of hbh_units * 8 bytes before
 * the (later) Fragment header when hbh_units > 0. */
static void make6(struct dgm *d, uint32_t plen, unsigned hbh_units, uint32_t id)
{
	uint8_t *h = d->b;

	memset(d, 0, sizeof(*d));
	d->version = 6;
	d->id = id;
	h[0] = 0x60;
	h[0] = 0x6b;          /* traffic class 0xb8 (EF) */
	h[1] = 0x80;
	h[7] = 64;
	memcpy(h + 8, a6s, 16);
	memcpy(h + 24, a6d, 16);
	if (hbh_units) {
		h[6] = 0;             /* Hop-by-Hop */
		h[40] = 17;
		h[41] = (uint8_t)(hbh_units - 1);
		h[42] = 1;            /* PadN over the rest (RFC 8200 §4.2) */
		h[43] = (uint8_t)(hbh_units * 8 - 4);
		d->nh_off = 40;
	} else {
		h[6] = 17;
		d->nh_off = 6;
	}
	d->hlen = 40 + 8 * hbh_units;
	udp_fill(d, plen, a6s, a6d, 16, id);
	be16(h + 4, d->len - 40);
}

/* The fragment of d holding data [off, off + len). */
static void cut(const struct dgm *d, uint32_t off, uint32_t len, bool more, struct piece *pc)
{
	struct hp_ipfrag_in *in = &pc->in;

	memset(pc, 0, sizeof(*pc));
	memcpy(pc->hdr, d->b, d->hlen);
	in->version = d->version;
	in->id = d->id;
	in->offset = off;
	in->more = more;
	in->hdr = pc->hdr;
	in->hdr_len = d->hlen;
	in->data = d->b + d->hlen + off;
	in->data_len = len;
	if (d->version == 4) {
		in->proto = d->b[9];
		in->src = d->b + 12;
		in->dst = d->b + 16;
		be16(pc->hdr + 2, d->hlen + len);
		be16(pc->hdr + 6, (more ? 0x2000u : 0) | off / 8);
		/* each fragment's own checksum: the rebuilt header needs a new one */
		be16(pc->hdr + 10, 0);
		be16(pc->hdr + 10, (uint16_t)~sum16(pc->hdr, d->hlen, 0));
	} else {
		in->proto = d->b[d->nh_off];
		in->nh_off = d->nh_off;
		in->src = d->b + 8;
		in->dst = d->b + 24;
		pc->hdr[d->nh_off] = 44;
		be16(pc->hdr + 4, d->hlen - 40 + 8 + len);
	}
}

/* Cuts d into fragments of at most fsz data bytes (a multiple of 8). */
static unsigned split(const struct dgm *d, uint32_t fsz, struct piece *out)
{
	uint32_t data = d->len - d->hlen;
	unsigned n = 0;

	for (uint32_t off = 0; off < data; off += fsz) {
		uint32_t len = data - off < fsz ? data - off : fsz;

		cr_assert_lt(n, MAXF);
		cut(d, off, len, off + len < data, &out[n++]);
	}
	return n;
}

static int add(struct hp_ipfrag *t, const struct hp_ipfrag_in *in, uint64_t now, struct hp_ipfrag_out *o)
{
	fed++;
	return hp_ipfrag_add(t, in, now, o);
}

static uint64_t frag_counts(const struct hp_ipfrag_stats *s)
{
	return s->reassembled + s->held + s->duplicate + s->overlap + s->too_many_fragments +
	       s->too_big + s->bad_length + s->truncated + s->table_full + s->bad_end + s->dropped;
}

/* Every fragment fed has exactly one outcome. */
static void check_balance(const struct hp_ipfrag *t)
{
	cr_assert_eq(frag_counts(hp_ipfrag_stats(t)), fed, "counters %llu, fragments fed %llu",
		     (unsigned long long)frag_counts(hp_ipfrag_stats(t)), (unsigned long long)fed);
}

static struct hp_ipfrag *mk(uint32_t datagrams, uint32_t frags, uint32_t size, uint32_t pool)
{
	struct hp_ipfrag_cfg c;

	hp_ipfrag_cfg_defaults(&c);
	if (datagrams)
		c.max_datagrams = datagrams;
	if (frags)
		c.max_fragments = frags;
	if (size)
		c.max_size = size;
	c.pool_bytes = pool;
	fed = 0;
	struct hp_ipfrag *t = hp_ipfrag_create(&c, 0x9e3779b9u);

	cr_assert_not_null(t);
	return t;
}

/* The rebuilt datagram is the original, and lib/net decodes it as a whole
 * UDP datagram with a valid checksum. */
static void check_whole(const struct dgm *d, const struct hp_ipfrag_out *o)
{
	struct hp_pkt k;

	cr_assert_not_null(o->p);
	cr_assert_eq(o->len, d->len, "length %u, want %u", o->len, d->len);
	if (d->version == 4) {
		cr_assert_eq(rd16(o->p + 2), d->len);
		cr_assert_eq(rd16(o->p + 6), 0, "flags/offset not cleared");
		cr_assert_eq(sum16(o->p, d->hlen, 0), 0xffff, "IPv4 header checksum");
	} else {
		cr_assert_eq(rd16(o->p + 4), d->len - 40);
		cr_assert_eq(o->p[d->nh_off], 17);
	}
	for (uint32_t i = 0; i < d->len; i++)
		if (o->p[i] != d->b[i])
			cr_assert_fail("byte %u: %02x, want %02x", i, o->p[i], d->b[i]);
	cr_assert_eq(hp_net_decode(o->p, o->len, HP_LINK_RAW, &k), HP_R_OK);
	cr_assert_eq(k.l4_proto, 17);
	cr_assert_eq(k.payload_len, d->len - d->hlen - 8);
	cr_assert_not(k.payload_truncated);
}

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* Feeds n pieces in the order given; all but the last must be held and the
 * last must complete d. */
static void feed_whole(struct hp_ipfrag *t, const struct dgm *d, const unsigned *order, unsigned n,
		       uint64_t now)
{
	struct hp_ipfrag_out o;

	for (unsigned i = 0; i < n; i++) {
		int r = add(t, &pcs[order[i]].in, now, &o);

		if (i + 1 < n) {
			cr_assert_eq(r, HP_R_IPFRAG_HELD, "fragment %u (#%u): %s", order[i], i,
				     hp_reason_label(r));
			cr_assert_null(o.p);
		} else {
			cr_assert_eq(r, HP_R_OK, "last fragment %u: %s", order[i], hp_reason_label(r));
		}
	}
	check_whole(d, &o);
}

enum order { IN_ORDER, REVERSED, SHUFFLED };

static void run_order(const struct dgm *d, uint32_t fsz, enum order how, uint64_t seed)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	unsigned n = split(d, fsz, pcs), order[MAXF];

	for (unsigned i = 0; i < n; i++)
		order[i] = how == REVERSED ? n - 1 - i : i;
	if (how == SHUFFLED) {
		rng_state = seed;
		for (unsigned i = n - 1; i > 0; i--) {
			unsigned j = rng() % (i + 1), x = order[i];

			order[i] = order[j];
			order[j] = x;
		}
	}
	feed_whole(t, d, order, n, 1000);
	const struct hp_ipfrag_stats *s = hp_ipfrag_stats(t);

	cr_assert_eq(s->reassembled, 1);
	cr_assert_eq(s->held, n - 1);
	cr_assert_eq(hp_ipfrag_count(t), 0, "completed datagram left in the table");
	check_balance(t);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, defaults_and_bad_config)
{
	struct hp_ipfrag_cfg c;

	hp_ipfrag_cfg_defaults(&c);
	cr_assert_eq(c.max_datagrams, 1024);
	cr_assert_eq(c.max_fragments, 64);
	cr_assert_eq(c.max_size, 65535 + 40);
	cr_assert_eq(c.timeout_us, 30 * SEC);
	cr_assert_eq(c.pool_bytes, 0);

	struct hp_ipfrag_cfg bad[6];

	for (int i = 0; i < 6; i++)
		bad[i] = c;
	bad[0].max_datagrams = 0;
	bad[1].max_fragments = 0;
	bad[2].max_fragments = HP_IPFRAG_MAX_FRAGMENTS + 1;
	bad[3].max_size = 67;
	bad[4].max_size = HP_IPFRAG_MAX_SIZE + 1;
	bad[5].timeout_us = 0;
	for (int i = 0; i < 6; i++)
		cr_assert_null(hp_ipfrag_create(&bad[i], 1), "config %d accepted", i);
}

/* ipfrag.h's formula by hand for the defaults: value = 32 + 256 + 8*64 +
 * 4*65 = 1060; flowtab stride = 32 + 48 + 1072 = 1152, 171 buckets:
 * 128 + 64*171 + 1152*1024 = 1190720; pool 4096 blocks of 1 KiB + 4 bytes
 * each; output buffer 65575. */
Test(ipfrag, memory_matches_formula)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	size_t fixed = hp_ipfrag_memory(t) - (1190720u + 4096u * 1028u + 65575u);

	/* what is left is the table header struct itself */
	cr_assert_gt(fixed, 0);
	cr_assert_lt(fixed, 512);
	hp_ipfrag_destroy(t);

	/* a pool smaller than one max_size datagram is raised to one: 2 blocks */
	t = mk(1, 0, 2048, 1);
	size_t small = hp_ipfrag_memory(t);

	hp_ipfrag_destroy(t);
	t = mk(1, 0, 2048, 2048);
	cr_assert_eq(hp_ipfrag_memory(t), small);
	hp_ipfrag_destroy(t);
	t = mk(1, 0, 2048, 3 * 1024);
	cr_assert_eq(hp_ipfrag_memory(t), small + 1028);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, v4_orders)
{
	make4(&dg_a, 3000, 0, 0x1234);
	run_order(&dg_a, 1480, IN_ORDER, 0);
	run_order(&dg_a, 1480, REVERSED, 0);
	run_order(&dg_a, 512, REVERSED, 0);
	for (uint64_t s = 1; s <= 20; s++)
		run_order(&dg_a, 256, SHUFFLED, s * 0x9e3779b97f4a7c15ull);
}

Test(ipfrag, v6_orders)
{
	make6(&dg_a, 3000, 0, 0xdeadbeef);
	run_order(&dg_a, 1448, IN_ORDER, 0);
	run_order(&dg_a, 1448, REVERSED, 0);
	for (uint64_t s = 1; s <= 20; s++)
		run_order(&dg_a, 256, SHUFFLED, s * 0x9e3779b97f4a7c15ull);
}

/* The first fragment's options survive into the datagram even though later
 * fragments carry none (RFC 791 §3.2: only copied options are repeated). */
Test(ipfrag, v4_options_from_offset_zero)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct dgm *d = &dg_a;
	struct hp_ipfrag_out o;
	unsigned n;

	make4(d, 2000, 2, 77);
	n = split(d, 1000, pcs);
	cr_assert_eq(n, 3);
	for (unsigned i = 1; i < n; i++) {
		/* later fragments: a bare 20-byte header */
		pcs[i].hdr[0] = 0x45;
		pcs[i].in.hdr_len = 20;
	}
	cr_assert_eq(add(t, &pcs[2].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &pcs[1].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &pcs[0].in, 1, &o), HP_R_OK);
	check_whole(d, &o);
	cr_assert_eq(o.p[0], 0x47);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* 59 kB in 41 fragments of 1480 bytes (MTU 1500), both versions, in order
 * and shuffled: every header field and the checksum are checked by
 * check_whole(), and every byte. */
Test(ipfrag, big_datagram_41_fragments)
{
	make4(&dg_a, 59600, 0, 0xbeef);
	cr_assert_eq(split(&dg_a, 1480, pcs), 41);
	cr_assert_eq(dg_a.len, 59628);
	run_order(&dg_a, 1480, IN_ORDER, 0);
	run_order(&dg_a, 1480, SHUFFLED, 42);
	/* no fragment carried the whole datagram's checksum: it was recomputed */
	for (unsigned i = 0; i < 41; i++)
		cr_assert_neq(rd16(pcs[i].hdr + 10), rd16(dg_a.b + 10));

	make6(&dg_b, 59300, 0, 0x41414141);
	cr_assert_eq(split(&dg_b, 1448, pcs), 41);
	run_order(&dg_b, 1448, IN_ORDER, 0);
	run_order(&dg_b, 1448, REVERSED, 0);
	run_order(&dg_b, 1448, SHUFFLED, 7);
}

Test(ipfrag, v6_hop_by_hop_before_fragment_header)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct dgm *d = &dg_a;
	unsigned order[3] = { 1, 2, 0 };

	make6(d, 2500, 2, 99);
	cr_assert_eq(d->nh_off, 40);
	cr_assert_eq(d->hlen, 56);
	cr_assert_eq(split(d, 1024, pcs), 3);
	/* the fragment's HBH names the Fragment header, the IPv6 header still
	 * names the HBH */
	cr_assert_eq(pcs[0].hdr[40], 44);
	cr_assert_eq(pcs[0].hdr[6], 0);
	feed_whole(t, d, order, 3, 5);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* RFC 8200 §4.5: Next Header may differ between fragments; the offset-0
 * fragment's is the one used, and the others still belong to the packet. */
Test(ipfrag, v6_next_header_from_offset_zero)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	unsigned order[3] = { 2, 0, 1 };

	make6(&dg_a, 2000, 0, 5);
	cr_assert_eq(split(&dg_a, 800, pcs), 3);
	pcs[1].in.proto = 6;
	pcs[2].in.proto = 59;
	feed_whole(t, &dg_a, order, 3, 5);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* RFC 791 §3.2: the IPv4 key includes the protocol. */
Test(ipfrag, v4_protocol_is_part_of_the_key)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	struct piece other[2];

	make4(&dg_a, 1500, 0, 9);
	cr_assert_eq(split(&dg_a, 1024, pcs), 2);
	other[0] = pcs[0];
	other[0].in.hdr = other[0].hdr;
	other[0].in.proto = 6;
	cr_assert_eq(add(t, &pcs[0].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &other[0].in, 1, &o), HP_R_IPFRAG_HELD, "same offset, other protocol: a new datagram");
	cr_assert_eq(hp_ipfrag_count(t), 2);
	cr_assert_eq(add(t, &pcs[1].in, 1, &o), HP_R_OK);
	check_whole(&dg_a, &o);
	cr_assert_eq(hp_ipfrag_count(t), 1);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

static void run_duplicates(const struct dgm *d)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	unsigned n = split(d, 512, pcs);

	/* every fragment but the completing one twice, the last one (M = 0)
	 * included */
	for (unsigned i = 1; i < n; i++) {
		cr_assert_eq(add(t, &pcs[i].in, 1, &o), HP_R_IPFRAG_HELD);
		cr_assert_eq(add(t, &pcs[i].in, 2, &o), HP_R_IPFRAG_DUPLICATE, "fragment %u", i);
	}
	cr_assert_eq(add(t, &pcs[0].in, 3, &o), HP_R_OK);
	check_whole(d, &o);
	const struct hp_ipfrag_stats *s = hp_ipfrag_stats(t);

	cr_assert_eq(s->duplicate, n - 1);
	cr_assert_eq(s->held, n - 1);
	cr_assert_eq(s->reassembled, 1);
	/* the datagram is gone: a late copy starts a new one */
	cr_assert_eq(add(t, &pcs[1].in, 4, &o), HP_R_IPFRAG_HELD);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, duplicates)
{
	make4(&dg_a, 2000, 1, 3);
	run_duplicates(&dg_a);
	make6(&dg_a, 2000, 1, 3);
	run_duplicates(&dg_a);
}

/* One held fragment [64, 128) (offset, end), then a second fragment of the
 * given shape: it overlaps, the datagram is given up, its next fragment is
 * dropped, and once the timeout has passed the same key reassembles again. */
static void run_overlap(const struct dgm *d, uint32_t off, uint32_t len, bool more)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	struct piece held, bad;

	cut(d, 64, 64, true, &held);
	cut(d, off, len, more, &bad);
	cr_assert_eq(add(t, &held.in, 10, &o), HP_R_IPFRAG_HELD);
	int r = add(t, &bad.in, 20, &o);

	cr_assert_eq(r, HP_R_IPFRAG_OVERLAP, "v%u [%u, %u) M=%d: %s", d->version, off, off + len, more,
		     hp_reason_label(r));
	cr_assert_eq(hp_ipfrag_stats(t)->overlap, 1);

	unsigned n = split(d, 512, pcs);

	/* the datagram is given up: even its genuine fragments are refused */
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(add(t, &pcs[i].in, 30, &o), HP_R_IPFRAG_DROPPED);
	cr_assert_eq(hp_ipfrag_stats(t)->dropped, n);
	cr_assert_eq(hp_ipfrag_count(t), 1);
	/* given-up entries leave at their timeout without counting as one */
	cr_assert_eq(hp_ipfrag_expire(t, 10 + 30 * SEC + 1), 0);
	cr_assert_eq(hp_ipfrag_count(t), 0);
	cr_assert_eq(hp_ipfrag_stats(t)->timeout, 0);
	unsigned order[MAXF];

	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	feed_whole(t, d, order, n, 31 * SEC);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

static void overlap_shapes(const struct dgm *d)
{
	static const struct {
		uint32_t off, len;
		bool more;
	} shapes[] = {
		{ 32, 64, true },    /* over the start */
		{ 96, 64, true },    /* over the end */
		{ 64, 32, true },    /* inside, same start */
		{ 96, 32, true },    /* inside, same end */
		{ 80, 16, true },    /* strictly inside */
		{ 32, 128, true },   /* covering it */
		{ 64, 128, true },   /* same start, longer */
		{ 0, 128, true },    /* same end, longer */
		{ 120, 8, true },    /* the last 8 bytes */
		{ 64, 8, true },     /* the first 8 bytes */
		{ 96, 100, false },  /* a last fragment over its end */
		{ 0, 72, true },     /* the offset-0 fragment over its start */
	};

	for (size_t i = 0; i < HP_ARRAY_LEN(shapes); i++)
		run_overlap(d, shapes[i].off, shapes[i].len, shapes[i].more);
}

Test(ipfrag, overlap_v4)
{
	make4(&dg_a, 1200, 0, 11);
	overlap_shapes(&dg_a);
}

Test(ipfrag, overlap_v6)
{
	make6(&dg_a, 1200, 0, 11);
	overlap_shapes(&dg_a);
}

/* Touching but not overlapping fragments are fine (the boundary cases of
 * the overlap test). */
Test(ipfrag, adjacent_is_not_overlap)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	struct piece p[4];

	make6(&dg_a, 248, 0, 1);   /* 256 bytes of data */
	cut(&dg_a, 64, 64, true, &p[0]);
	cut(&dg_a, 128, 128, false, &p[1]);
	cut(&dg_a, 0, 64, true, &p[2]);
	cr_assert_eq(add(t, &p[0].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &p[1].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &p[2].in, 1, &o), HP_R_OK);
	check_whole(&dg_a, &o);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, too_many_fragments)
{
	struct hp_ipfrag *t = mk(0, 4, 0, 0);
	struct hp_ipfrag_out o;
	unsigned n;

	make4(&dg_a, 1000, 0, 21);
	n = split(&dg_a, 200, pcs);
	cr_assert_eq(n, 6);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(add(t, &pcs[i].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &pcs[4].in, 1, &o), HP_R_IPFRAG_TOO_MANY);
	cr_assert_eq(add(t, &pcs[5].in, 1, &o), HP_R_IPFRAG_DROPPED);
	cr_assert_eq(hp_ipfrag_stats(t)->too_many_fragments, 1);
	hp_ipfrag_destroy(t);

	/* exactly max_fragments completes */
	t = mk(0, 6, 0, 0);
	unsigned order[6] = { 5, 4, 3, 2, 1, 0 };

	feed_whole(t, &dg_a, order, 6, 1);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, too_big)
{
	struct hp_ipfrag *t = mk(0, 0, 1000, 0);
	struct hp_ipfrag_out o;
	struct piece p;

	/* 1000 - 20 = 980 data bytes fit; 976 + 8 does not */
	make4(&dg_a, 972, 0, 31);
	cr_assert_eq(dg_a.len, 1000);
	unsigned order[2] = { 1, 0 };

	cr_assert_eq(split(&dg_a, 496, pcs), 2);
	feed_whole(t, &dg_a, order, 2, 1);
	cut(&dg_a, 976, 8, true, &p);
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_TOO_BIG);
	p.in.offset = 0;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_DROPPED);
	cr_assert_eq(hp_ipfrag_stats(t)->too_big, 1);
	check_balance(t);
	hp_ipfrag_destroy(t);

	/* IPv4 length field: 65535 in all, whatever max_size says */
	t = mk(0, 0, 0, 0);
	make4(&dg_a, 100, 0, 32);
	cut(&dg_a, 65504, 8, true, &p);
	p.in.data = dg_a.b;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_HELD, "20 + 65512 fits");
	p.in.id = 33;
	p.in.offset = 65512;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_TOO_BIG, "20 + 65520 does not");
	/* IPv6 payload length: 65535 after the fixed header */
	make6(&dg_b, 100, 0, 34);
	cut(&dg_b, 65528, 8, true, &p);
	p.in.data = dg_b.b;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_TOO_BIG, "40 + 65536");
	p.in.id = 35;
	p.in.offset = 65520;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_HELD, "40 + 65528 fits");
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* The offset-0 fragment arriving last can still push a datagram over the
 * limit with a longer header, and its header must fit the copy. */
Test(ipfrag, too_big_by_offset_zero_header)
{
	struct hp_ipfrag *t = mk(0, 0, 1000, 0);
	struct hp_ipfrag_out o;
	struct piece p;

	make4(&dg_a, 1000, 10, 41);   /* 60-byte header */
	cut(&dg_a, 968, 8, false, &p);
	p.hdr[0] = 0x45;   /* the options are not copied into later fragments */
	p.in.hdr_len = 20;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_HELD, "20 + 976 fits");
	cut(&dg_a, 0, 8, true, &p);
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_TOO_BIG, "60 + 976 does not");

	make6(&dg_b, 1000, 0, 42);
	cut(&dg_b, 0, 8, true, &p);
	p.in.hdr_len = HP_IPFRAG_MAX_HDR + 8;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_TOO_BIG);
	cr_assert_eq(hp_ipfrag_stats(t)->too_big, 2);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, bad_length)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	struct piece p;
	unsigned n, order[MAXF];

	make6(&dg_a, 1000, 0, 51);
	n = split(&dg_a, 256, pcs);
	cr_assert_eq(add(t, &pcs[1].in, 1, &o), HP_R_IPFRAG_HELD);
	/* RFC 8200 §4.5: M = 1 and not a multiple of 8 */
	cut(&dg_a, 0, 100, true, &p);
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH);
	cut(&dg_a, 0, 0, true, &p);
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "empty non-last fragment");
	cut(&dg_a, 4, 8, true, &p);
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "offset not on the 8-byte grid");
	cut(&dg_a, 0, 8, true, &p);
	p.in.nh_off = 20;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "nh_off inside the fixed header");
	p.in.nh_off = 40;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "nh_off past the header");
	p.in.nh_off = 6;
	p.in.hdr_len = 32;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "short IPv6 header");
	p.in.hdr_len = 40;
	p.in.version = 5;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "version");
	p.in.version = 6;
	p.hdr[0] = 0x45;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "an IPv4 header as IPv6");
	make4(&dg_b, 1000, 0, 52);
	cut(&dg_b, 0, 8, true, &p);
	p.in.hdr_len = 16;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "IPv4 header below 20");
	p.in.hdr_len = 64;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "IPv4 header above 60");
	p.in.hdr_len = 24;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_BAD_LENGTH, "IHL 5 but 24 bytes of header");
	cr_assert_eq(hp_ipfrag_stats(t)->bad_length, 11);
	/* the datagram in reassembly was not harmed */
	order[0] = 0;
	for (unsigned i = 2; i < n; i++)
		order[i - 1] = i;
	feed_whole(t, &dg_a, order, n - 1, 2);
	/* a last fragment of any length is fine */
	make4(&dg_b, 1001, 0, 53);
	unsigned m = split(&dg_b, 512, pcs);

	cr_assert_eq(pcs[m - 1].in.data_len % 8, 1);
	for (unsigned i = 0; i < m; i++)
		order[i] = m - 1 - i;
	feed_whole(t, &dg_b, order, m, 3);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* One end per datagram (RFC 791 §3.2, RFC 8200 §4.5). */
Test(ipfrag, bad_end)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	struct piece a, b;

	make4(&dg_a, 2000, 0, 61);
	/* two last fragments with different ends */
	cut(&dg_a, 1024, 512, false, &a);
	cut(&dg_a, 1024, 256, false, &b);
	cr_assert_eq(add(t, &a.in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &b.in, 1, &o), HP_R_IPFRAG_BAD_END);
	cr_assert_eq(add(t, &a.in, 1, &o), HP_R_IPFRAG_DROPPED);
	/* data past a known end */
	a.in.id = b.in.id = 62;
	cut(&dg_a, 2048, 8, true, &b);
	b.in.id = 62;
	cr_assert_eq(add(t, &a.in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &b.in, 1, &o), HP_R_IPFRAG_BAD_END);
	/* a last fragment ending before data already held */
	cut(&dg_a, 1024, 512, true, &a);
	cut(&dg_a, 512, 256, false, &b);
	a.in.id = b.in.id = 63;
	cr_assert_eq(add(t, &a.in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &b.in, 1, &o), HP_R_IPFRAG_BAD_END);
	/* the same range repeated as M = 1 after M = 0 is a plain duplicate */
	cut(&dg_a, 1024, 512, false, &a);
	cut(&dg_a, 1024, 512, true, &b);
	a.in.id = b.in.id = 64;
	cr_assert_eq(add(t, &a.in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &b.in, 1, &o), HP_R_IPFRAG_DUPLICATE);
	cr_assert_eq(hp_ipfrag_stats(t)->bad_end, 3);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, timeout)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	unsigned n;

	make4(&dg_a, 3000, 0, 71);
	n = split(&dg_a, 1024, pcs);
	cr_assert_eq(n, 3);
	/* at exactly the timeout the datagram is still alive: the clock runs
	 * from its first fragment, not its last */
	cr_assert_eq(add(t, &pcs[0].in, 100, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &pcs[1].in, 100 + 20 * SEC, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(hp_ipfrag_expire(t, 100 + 30 * SEC), 0);
	cr_assert_eq(add(t, &pcs[2].in, 100 + 30 * SEC, &o), HP_R_OK);
	check_whole(&dg_a, &o);

	/* one microsecond later, found lazily by the next fragment */
	cr_assert_eq(add(t, &pcs[0].in, 200, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &pcs[1].in, 200 + 29 * SEC, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &pcs[2].in, 201 + 30 * SEC, &o), HP_R_IPFRAG_HELD, "a new datagram");
	cr_assert_eq(hp_ipfrag_stats(t)->timeout, 1);
	cr_assert_eq(hp_ipfrag_count(t), 1);

	/* by hp_ipfrag_expire() */
	cr_assert_eq(hp_ipfrag_expire(t, 201 + 60 * SEC), 0);
	cr_assert_eq(hp_ipfrag_expire(t, 202 + 60 * SEC), 1);
	cr_assert_eq(hp_ipfrag_count(t), 0);
	cr_assert_eq(hp_ipfrag_stats(t)->timeout, 2);

	/* a clock that steps back does not expire anything */
	cr_assert_eq(add(t, &pcs[0].in, 1000 * SEC, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(hp_ipfrag_expire(t, 10 * SEC), 0);
	cr_assert_eq(add(t, &pcs[1].in, 10 * SEC, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &pcs[2].in, 10 * SEC, &o), HP_R_OK);
	check_whole(&dg_a, &o);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* More datagrams past their timeout than one add expires on its way: the
 * one a late fragment belongs to is still found stale and started afresh,
 * never completed with data from before its timeout. */
Test(ipfrag, lazy_timeout_behind_others)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	struct piece p[5][2];

	make4(&dg_a, 1500, 0, 300);
	for (uint32_t i = 0; i < 5; i++) {
		cut(&dg_a, 0, 1024, true, &p[i][0]);
		cut(&dg_a, 1024, 484, false, &p[i][1]);
		p[i][0].in.id = p[i][1].in.id = 300 + i;
		cr_assert_eq(add(t, &p[i][0].in, 1 + i, &o), HP_R_IPFRAG_HELD);
	}
	cr_assert_eq(add(t, &p[4][1].in, 100 * SEC, &o), HP_R_IPFRAG_HELD, "completed from stale data");
	cr_assert_eq(hp_ipfrag_stats(t)->timeout, 3);
	cr_assert_eq(hp_ipfrag_expire(t, 100 * SEC), 2);
	cr_assert_eq(hp_ipfrag_count(t), 1);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* Two datagram slots: a third datagram is refused until one leaves, by
 * completion or by timeout (the next add expires it, without an explicit
 * hp_ipfrag_expire()). */
Test(ipfrag, table_full_then_free)
{
	struct hp_ipfrag *t = mk(2, 0, 0, 0);
	struct hp_ipfrag_out o;
	struct piece p[3][2];

	make4(&dg_a, 1500, 0, 100);
	for (uint32_t i = 0; i < 3; i++) {
		cut(&dg_a, 0, 1024, true, &p[i][0]);
		cut(&dg_a, 1024, 484, false, &p[i][1]);
		p[i][0].in.id = p[i][1].in.id = 100 + i;
	}
	cr_assert_eq(add(t, &p[0][0].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &p[1][0].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &p[2][0].in, 1, &o), HP_R_IPFRAG_TABLE_FULL);
	cr_assert_eq(add(t, &p[0][1].in, 1, &o), HP_R_OK);
	cr_assert_eq(o.len, 1528);
	cr_assert_eq(add(t, &p[2][0].in, 2, &o), HP_R_IPFRAG_HELD, "a slot is free again");
	cr_assert_eq(add(t, &p[0][0].in, 3, &o), HP_R_IPFRAG_TABLE_FULL);
	/* after the timeout of datagram 1, its slot frees itself */
	cr_assert_eq(add(t, &p[0][0].in, 2 + 30 * SEC, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(hp_ipfrag_stats(t)->timeout, 1);
	cr_assert_eq(hp_ipfrag_stats(t)->table_full, 2);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* Two blocks of data in all: a datagram that cannot get a block is given
 * up, and the blocks come back when a datagram completes. */
Test(ipfrag, pool_full_then_free)
{
	struct hp_ipfrag *t = mk(4, 0, 2048, 2048);
	struct hp_ipfrag_out o;
	struct piece p[3][2];
	struct dgm *d[3] = { &dg_a, &dg_b, &dg_a };

	make4(&dg_a, 1500, 0, 200);
	make4(&dg_b, 1500, 0, 201);
	for (uint32_t i = 0; i < 3; i++) {
		cut(d[i], 0, 1024, true, &p[i][0]);
		cut(d[i], 1024, 484, false, &p[i][1]);
		p[i][0].in.id = p[i][1].in.id = 200 + i;
	}
	cr_assert_eq(add(t, &p[0][0].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &p[1][0].in, 1, &o), HP_R_IPFRAG_HELD);
	cr_assert_eq(add(t, &p[2][1].in, 1, &o), HP_R_IPFRAG_TABLE_FULL);
	cr_assert_eq(add(t, &p[2][0].in, 1, &o), HP_R_IPFRAG_DROPPED, "given up after losing a fragment");
	/* datagram 0 cannot get its second block either: given up, blocks back */
	cr_assert_eq(add(t, &p[0][1].in, 1, &o), HP_R_IPFRAG_TABLE_FULL);
	cr_assert_eq(add(t, &p[1][1].in, 1, &o), HP_R_OK);
	check_whole(&dg_b, &o);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, truncated)
{
	struct hp_ipfrag *t = mk(0, 0, 0, 0);
	struct hp_ipfrag_out o;
	struct piece p;
	unsigned n;

	make6(&dg_a, 3000, 0, 81);
	n = split(&dg_a, 1448, pcs);
	cr_assert_eq(add(t, &pcs[0].in, 1, &o), HP_R_IPFRAG_HELD);
	p = pcs[1];
	p.in.hdr = p.hdr;
	p.in.data_len = 1000;
	p.in.truncated = true;
	cr_assert_eq(add(t, &p.in, 1, &o), HP_R_IPFRAG_TRUNCATED);
	for (unsigned i = 1; i < n; i++)
		cr_assert_eq(add(t, &pcs[i].in, 2, &o), HP_R_IPFRAG_DROPPED);
	/* a truncated first sighting also marks the datagram */
	pcs[0].in.id = 82;
	p.in.id = 82;
	cr_assert_eq(add(t, &p.in, 3, &o), HP_R_IPFRAG_TRUNCATED);
	cr_assert_eq(add(t, &pcs[0].in, 3, &o), HP_R_IPFRAG_DROPPED);
	cr_assert_eq(hp_ipfrag_stats(t)->truncated, 2);
	cr_assert_eq(hp_ipfrag_expire(t, 10 + 30 * SEC), 0);
	cr_assert_eq(hp_ipfrag_count(t), 0);
	check_balance(t);
	hp_ipfrag_destroy(t);
}

/* Many datagrams interleaved, some completing, some refused, some timing
 * out: the outcomes are the same whatever the hash seed, random seeds
 * included (printed, so a failure can be replayed). */
static void mixed_run(uint32_t seed, int *rcs, unsigned nrc)
{
	struct hp_ipfrag_cfg c;
	struct hp_ipfrag_out o;
	static struct piece p[64][4];

	hp_ipfrag_cfg_defaults(&c);
	c.max_datagrams = 40;
	struct hp_ipfrag *t = hp_ipfrag_create(&c, seed);

	cr_assert_not_null(t);
	make6(&dg_a, 3000, 0, 0);
	for (uint32_t i = 0; i < 64; i++)
		for (uint32_t j = 0; j < 4; j++) {
			cut(&dg_a, j * 768, j == 3 ? 3008 - 3 * 768 : 768, j < 3, &p[i][j]);
			p[i][j].in.id = i * 2654435761u;
		}
	rng_state = 12345;
	for (unsigned k = 0; k < nrc; k++) {
		uint32_t i = rng() % 64, j = rng() % 4;

		rcs[k] = hp_ipfrag_add(t, &p[i][j].in, (uint64_t)k * SEC / 4, &o);
		if (rcs[k] == HP_R_OK)
			check_whole(&dg_a, &o);
	}
	cr_assert_eq(frag_counts(hp_ipfrag_stats(t)), nrc);
	cr_assert_gt(hp_ipfrag_stats(t)->reassembled, 0);
	cr_assert_gt(hp_ipfrag_stats(t)->table_full, 0);
	cr_assert_gt(hp_ipfrag_stats(t)->timeout, 0);
	hp_ipfrag_destroy(t);
}

Test(ipfrag, hash_seed_does_not_change_outcomes)
{
	enum { N = 4000 };
	static int ref[N], got[N];
	uint32_t seed = (uint32_t)time(NULL) ^ (uint32_t)clock();

	mixed_run(0, ref, N);
	for (int s = 0; s < 4; s++) {
		uint32_t sd = s == 0 ? 1 : s == 1 ? 0xdeadbeef : seed + (uint32_t)s;

		mixed_run(sd, got, N);
		for (int k = 0; k < N; k++)
			cr_assert_eq(got[k], ref[k], "seed %u, fragment %d: %s, want %s", sd, k,
				     hp_reason_label(got[k]), hp_reason_label(ref[k]));
	}
}

Test(ipfrag, reason_labels)
{
	cr_assert_str_eq(hp_reason_label(HP_R_IPFRAG_HELD), "ip_fragment_held");
	cr_assert_str_eq(hp_reason_label(HP_R_IPFRAG_DROPPED), "ip_fragment_dropped");
	for (int r = HP_R_IPFRAG_HELD; r <= HP_R_IPFRAG_DROPPED; r++)
		cr_assert_eq(strncmp(hp_reason_label(r), "ip_fragment_", 12), 0, "%s", hp_reason_label(r));
}
