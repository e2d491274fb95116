/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lib/ipfrag. Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     tests/fuzz/fuzz_ipfrag.c lib/ipfrag/ipfrag.c lib/flowtab/flowtab.c \
 *     lib/csum/csum.c lib/common/reason.c -o fuzz_ipfrag
 * Input: one config byte (bit 0: a small table of 4 datagrams, 8 fragments,
 * 2048 bytes and a pool of exactly 2 blocks; else 16 datagrams with the
 * default limits), then 6-byte fragment records:
 *   [flags][offset/8 hi][offset/8 lo][len hi][len lo][clock]
 *   flags: bit 0 IPv6, 1 more, 2 truncated, 3-5 id, 6 other protocol
 *          (IPv4: another datagram; IPv6: same datagram, RFC 8200 §4.5),
 *          7 a malformed header length
 *   clock: low 7 bits advance the clock by that many 250 ms; bit 7 then
 *          calls hp_ipfrag_expire()
 * Every fragment of one (version, id) carries the same bytes at the same
 * datagram offset, and its header length depends only on (version, id), so
 * a reassembled datagram is fully predictable: its header fields, checksum
 * and every data byte are checked.
 * A reference model follows each datagram's held ranges, its given-up
 * state and its age (expiry: two oldest per add, then the one looked up,
 * all on hp_ipfrag_expire()). It takes the table's word for why a fragment
 * is refused, but checks that the word fits: a completed datagram really
 * has all its bytes, a held one does not, a duplicate is one, an overlap
 * overlaps, dropped means given up, bad_length is exactly the length rule,
 * and the table holds exactly the model's datagrams. Every fragment must
 * have exactly one counted outcome, and at the end, once everything has
 * expired, a datagram of the largest size must still fit: the pool lost no
 * block. Each fragment's header and data sit in exactly sized heap
 * buffers. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ipfrag/ipfrag.h"

#define STEP_US 250000ull
#define REC 6

static uint64_t cfg_timeout, mdl_timeouts;
static uint32_t cfg_max;

#define KEYS 24      /* IPv4: id x protocol; IPv6: id */
#define MAX_RANGES 64

struct model {
	bool live;         /* in the table */
	bool dead;         /* given up */
	uint64_t created;
	uint64_t seq;      /* insertion order: expiry order */
	uint32_t n;
	struct {
		uint32_t off, len;
	} r[MAX_RANGES];
	bool has_end;
	uint32_t end;
};

static struct model mdl[KEYS];
static uint64_t mdl_seq;
static uint32_t mdl_count;

static void mdl_remove(struct model *m)
{
	memset(m, 0, sizeof(*m));
	mdl_count--;
}

static void mdl_create(struct model *m, uint64_t now, bool dead)
{
	memset(m, 0, sizeof(*m));
	m->live = true;
	m->dead = dead;
	m->created = now;
	m->seq = ++mdl_seq;
	mdl_count++;
}

static bool mdl_old(const struct model *m, uint64_t now, uint64_t timeout)
{
	return now > m->created && now - m->created > timeout;
}

/* Removes up to max expired datagrams, oldest first; returns how many of
 * them were still in reassembly. */
static uint32_t mdl_expire(uint64_t now, uint64_t timeout, uint32_t max)
{
	uint32_t live = 0;

	for (uint32_t k = 0; k < max; k++) {
		struct model *old = NULL;

		for (int i = 0; i < KEYS; i++)
			if (mdl[i].live && (!old || mdl[i].seq < old->seq))
				old = &mdl[i];
		if (!old || !mdl_old(old, now, timeout))
			break;
		live += !old->dead;
		mdl_remove(old);
	}
	return live;
}

/* 0: [off, off + len) is new; 1: held exactly; 2: overlaps a held range. */
static int mdl_match(const struct model *m, uint32_t off, uint32_t len)
{
	for (uint32_t i = 0; i < m->n; i++) {
		if (m->r[i].off == off && m->r[i].len == len)
			return 1;
		if (m->r[i].off < off + len && off < m->r[i].off + m->r[i].len)
			return 2;
	}
	return 0;
}

/* Every byte of [0, end) held, the end known (ranges never overlap). */
static bool mdl_complete(const struct model *m)
{
	uint64_t bytes = 0;
	bool first = false;

	for (uint32_t i = 0; i < m->n; i++) {
		bytes += m->r[i].len;
		first |= m->r[i].off == 0;
	}
	return m->has_end && first && bytes == m->end;
}

static const uint8_t src4[4] = { 10, 0, 0, 1 }, dst4[4] = { 10, 0, 0, 2 };
static const uint8_t src6[16] = { 0xfe, 0x80, [15] = 1 }, dst6[16] = { 0xfe, 0x80, [15] = 2 };

/* The bytes of every datagram of (version, id), computed once: no
 * datagram byte lies past HP_IPFRAG_MAX_SIZE, and data the table must
 * refuse as too big is zeros. */
static uint8_t pattern[2][8][HP_IPFRAG_MAX_SIZE];

static const uint8_t *pattern_of(uint8_t version, uint32_t id)
{
	static bool ready;

	if (!ready) {
		for (uint32_t v = 0; v < 2; v++)
			for (uint32_t i = 0; i < 8; i++)
				for (uint32_t x = 0; x < HP_IPFRAG_MAX_SIZE; x++)
					pattern[v][i][x] = (uint8_t)(x * 131u + i * 37u + v * 101u + (x >> 8) * 7u);
		ready = true;
	}
	return pattern[version == 6][id];
}

static uint32_t hdr_len_of(uint8_t version, uint32_t id)
{
	if (version == 4)
		return id & 1 ? 24 : 20;
	return id & 1 ? 48 : 40;
}

static uint16_t sum16(const uint8_t *p, size_t n)
{
	uint32_t acc = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* The fragment's header: version, lengths and the Next Header chain as a
 * sender writes them; hlen bytes in an exactly sized buffer. */
static uint8_t *make_hdr(uint8_t version, uint32_t hlen, uint8_t proto, uint32_t id)
{
	uint8_t *h = calloc(1, hlen);

	if (!h)
		abort();
	if (version == 4) {
		h[0] = (uint8_t)(0x40 | hlen / 4);
		h[4] = (uint8_t)(id >> 8);
		h[5] = (uint8_t)id;
		h[6] = 0x20;
		h[8] = 64;
		h[9] = proto;
		memcpy(h + 12, src4, 4);
		memcpy(h + 16, dst4, 4);
		for (uint32_t i = 20; i < hlen; i++)
			h[i] = 1;   /* NOP options */
	} else {
		h[0] = 0x60;
		h[7] = 64;
		memcpy(h + 8, src6, 16);
		memcpy(h + 24, dst6, 16);
		if (hlen > 40) {
			h[6] = 0;      /* Hop-by-Hop, then the Fragment header */
			h[40] = 44;
			h[41] = 0;
			h[42] = 1;
			h[43] = 4;
		} else {
			h[6] = 44;
		}
	}
	return h;
}

static void check_out(const struct hp_ipfrag_out *o, uint8_t version, uint32_t id)
{
	uint32_t hlen = hdr_len_of(version, id);

	if (!o->p || o->len < hlen)
		abort();
	if (version == 4) {
		if (o->p[0] != (0x40 | hlen / 4) || rd16(o->p + 2) != o->len || rd16(o->p + 6) != 0 ||
		    sum16(o->p, hlen) != 0xffff)
			abort();
	} else {
		uint32_t nh_off = hlen > 40 ? 40 : 6;

		if (o->p[0] >> 4 != 6 || rd16(o->p + 4) != o->len - 40 ||
		    (o->p[nh_off] != 17 && o->p[nh_off] != 6) || (hlen > 40 && o->p[6] != 0))
			abort();
	}
	if (memcmp(o->p + hlen, pattern_of(version, id), o->len - hlen) != 0)
		abort();
}

static uint64_t outcomes(const struct hp_ipfrag_stats *s)
{
	return s->reassembled + s->held + s->duplicate + s->overlap + s->too_many_fragments +
	       s->too_big + s->bad_length + s->truncated + s->table_full + s->bad_end + s->dropped;
}

static void model_step(const struct hp_ipfrag *t, const struct hp_ipfrag_in *in, int r,
		       const struct hp_ipfrag_out *o, uint64_t now)
{
	const struct hp_ipfrag_stats *st = hp_ipfrag_stats(t);
	struct model *m = &mdl[in->version == 6 ? 16 + in->id : in->id * 2 + (in->proto == 6)];
	bool bad = in->hdr_len != hdr_len_of(in->version, in->id) ||
		   (!in->truncated && in->more && (in->data_len % 8 || in->data_len == 0));
	uint64_t timeouts = st->timeout;

	if ((r == HP_R_IPFRAG_BAD_LENGTH) != bad)
		abort();
	if (bad)
		return;
	/* the table's expiry on the way in, as ipfrag.h describes it */
	uint32_t expired = mdl_expire(now, cfg_timeout, 2);

	if (m->live && mdl_old(m, now, cfg_timeout)) {
		expired += !m->dead;
		mdl_remove(m);
	}
	if (expired != timeouts - mdl_timeouts)
		abort();
	mdl_timeouts = timeouts;
	if (m->live && m->dead) {
		if (r != HP_R_IPFRAG_DROPPED)
			abort();
		return;
	}
	int match = m->live ? mdl_match(m, in->offset, in->data_len) : 0;

	switch (r) {
	case HP_R_IPFRAG_DROPPED:
		abort();
	case HP_R_IPFRAG_DUPLICATE:
		if (match != 1)
			abort();
		return;
	case HP_R_OK:
	case HP_R_IPFRAG_HELD:
		if (match != 0 || in->truncated)
			abort();
		if (!m->live)
			mdl_create(m, now, false);
		if (m->n == MAX_RANGES)
			abort();
		m->r[m->n].off = in->offset;
		m->r[m->n].len = in->data_len;
		m->n++;
		if (!in->more) {
			m->has_end = true;
			m->end = in->offset + in->data_len;
		}
		if (mdl_complete(m) != (r == HP_R_OK))
			abort();
		if (r == HP_R_OK) {
			if (o->len != hdr_len_of(in->version, in->id) + m->end)
				abort();
			mdl_remove(m);
		}
		return;
	case HP_R_IPFRAG_OVERLAP:
		if (match != 2)
			abort();
		break;
	default:
		break;
	}
	/* Given up: an existing datagram keeps its age; a new one is
	 * created given up, unless the table had no slot for it. */
	if (m->live) {
		m->dead = true;
		m->n = 0;
	} else if (mdl_count < cfg_max) {
		mdl_create(m, now, true);
	} else if (r != HP_R_IPFRAG_TABLE_FULL && r != HP_R_IPFRAG_TRUNCATED) {
		abort();
	}
}

static int feed(struct hp_ipfrag *t, uint8_t flags, uint32_t off, uint32_t len, uint64_t now)
{
	uint8_t version = flags & 1 ? 6 : 4;
	uint32_t id = flags >> 3 & 7;
	uint8_t proto = flags & 0x40 ? 6 : 17;
	uint32_t hlen = hdr_len_of(version, id);
	uint8_t *hdr = make_hdr(version, hlen, proto, id);
	uint8_t *data = malloc(len ? len : 1);
	struct hp_ipfrag_in in = {
		.version = version,
		.proto = proto,
		.src = version == 4 ? src4 : src6,
		.dst = version == 4 ? dst4 : dst6,
		.id = id,
		.offset = off,
		.more = flags & 2,
		.hdr = hdr,
		.hdr_len = flags & 0x80 ? hlen - 8 : hlen,
		.nh_off = version == 6 ? (hlen > 40 ? 40 : 6) : 0,
		.data = data,
		.data_len = len,
		.truncated = flags & 4,
	};
	struct hp_ipfrag_out o;

	if (!data)
		abort();
	uint32_t have = off >= HP_IPFRAG_MAX_SIZE ? 0 : HP_IPFRAG_MAX_SIZE - off;

	have = have < len ? have : len;
	if (have)
		memcpy(data, pattern_of(version, id) + off, have);
	memset(data + have, 0, len - have);
	int r = hp_ipfrag_add(t, &in, now, &o);

	if (r == HP_R_OK)
		check_out(&o, version, id);
	else if (o.p || o.len)
		abort();
	model_step(t, &in, r, &o, now);
	free(hdr);
	free(data);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_ipfrag_cfg c;
	uint64_t now = 1, n = 0;

	if (size < 1)
		return 0;
	hp_ipfrag_cfg_defaults(&c);
	bool small = data[0] & 1;

	if (small) {
		c.max_datagrams = 4;
		c.max_fragments = 8;
		c.max_size = 2048;
		c.pool_bytes = 2048;
	} else {
		c.max_datagrams = 16;
	}
	struct hp_ipfrag *t = hp_ipfrag_create(&c, (uint32_t)size * 2654435761u);

	memset(mdl, 0, sizeof(mdl));
	mdl_count = 0;
	mdl_timeouts = 0;
	cfg_timeout = c.timeout_us;
	cfg_max = c.max_datagrams;

	if (!t)
		abort();
	for (size_t i = 1; i + REC <= size; i += REC) {
		const uint8_t *r = data + i;
		int rc = feed(t, r[0], (uint32_t)(r[1] << 8 | r[2]) * 8, (uint32_t)(r[3] << 8 | r[4]), now);

		if (rc < HP_R_OK || rc >= HP_R_MAX)
			abort();
		n++;
		now += (r[5] & 0x7f) * STEP_US;
		if (r[5] & 0x80) {
			if (hp_ipfrag_expire(t, now) != mdl_expire(now, c.timeout_us, KEYS))
				abort();
			mdl_timeouts = hp_ipfrag_stats(t)->timeout;
		}
		if (outcomes(hp_ipfrag_stats(t)) != n || hp_ipfrag_count(t) != mdl_count)
			abort();
	}
	/* All of the pool back: the largest datagram the limits allow (IPv6,
	 * 40-byte header) goes through in max_fragments pieces. */
	now += c.timeout_us + 1;
	hp_ipfrag_expire(t, now);
	mdl_expire(now, c.timeout_us, KEYS);
	mdl_timeouts = hp_ipfrag_stats(t)->timeout;
	if (hp_ipfrag_count(t) != 0 || mdl_count != 0)
		abort();
	uint32_t total = c.max_size - 40, piece = (total / c.max_fragments + 8) & ~7u;
	int rc = HP_R_IPFRAG_HELD;

	for (uint32_t off = 0; off < total; off += piece) {
		uint32_t len = total - off < piece ? total - off : piece;

		if (rc != HP_R_IPFRAG_HELD)
			abort();
		rc = feed(t, 1 | (off + len < total ? 2 : 0), off, len, now);
	}
	if (rc != HP_R_OK)
		abort();
	hp_ipfrag_destroy(t);
	return 0;
}
