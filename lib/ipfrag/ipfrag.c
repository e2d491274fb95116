/* SPDX-License-Identifier: BSD-3-Clause */
/* IP fragment reassembly on lib/flowtab: the table holds one record per
 * datagram (its fragment list, header copy and block map); the data lives in
 * a shared pool of fixed blocks, each covering HP_IPFRAG_BLOCK bytes of one
 * datagram at a fixed datagram offset, so a fragment is copied once on
 * arrival and once more into the output buffer when the datagram completes.
 * Rules and the memory formula: see ipfrag.h. */
#include "ipfrag/ipfrag.h"

#include <stdlib.h>
#include <string.h>

#include "common/hp_common.h"
#include "csum/csum.h"
#include "flowtab/flowtab.h"

#define IP4_MIN_HLEN 20u
#define IP4_MAX_HLEN 60u
#define IP6_HLEN 40u
#define IP4_MAX_TOTAL 65535u
#define IP6_MAX_PAYLOAD 65535u
#define MIN_SIZE 68u
#define EXPIRE_PER_ADD 2u

struct key {
	uint8_t version;
	uint8_t proto;   /* IPv4 only: RFC 8200 §4.5 keys IPv6 without it */
	uint8_t pad[2];
	uint32_t id;
	uint8_t src[16];
	uint8_t dst[16];
};

struct frag {
	uint32_t off, len;
};

#define DG_HAS_END 1u
#define DG_HAS_FIRST 2u
#define DG_DEAD 4u

/* Per-datagram record (flowtab value, zeroed on insert): this header, then
 * hdr[HP_IPFRAG_MAX_HDR], struct frag[max_fragments] sorted by offset, and
 * uint32_t block numbers per HP_IPFRAG_BLOCK of data (0: none). */
struct dgram {
	uint32_t end;       /* data length, once the last fragment is in */
	uint32_t max_end;   /* highest data end held */
	uint32_t bytes;     /* data bytes held; fragments never overlap */
	uint32_t nfrag;
	uint16_t hdr_len;   /* of the offset-0 fragment */
	uint16_t nh_off;
	uint8_t proto;      /* next header of the offset-0 fragment */
	uint8_t version;
	uint8_t flags;
	uint8_t pad[HP_IPFRAG_META_BYTES - 23];
	uint8_t hdr[HP_IPFRAG_MAX_HDR];
};

_Static_assert(sizeof(struct dgram) == HP_IPFRAG_META_BYTES + HP_IPFRAG_MAX_HDR, "dgram layout");
_Static_assert(sizeof(struct key) == 40, "key layout");
_Static_assert(HP_IPFRAG_BLOCK % 8 == 0, "blocks follow the 8-octet fragment grid");

struct hp_ipfrag {
	struct hp_flowtab *tab;
	uint8_t *pool;        /* nblocks * HP_IPFRAG_BLOCK */
	uint32_t *free_blk;   /* stack of free block numbers (1-based) */
	uint8_t *outbuf;      /* max_size */
	uint32_t nblocks;
	uint32_t nfree;
	uint32_t slots;       /* block numbers per datagram */
	uint32_t max_fragments;
	uint32_t max_size;
	uint32_t seed;
	uint64_t timeout_us;
	uint32_t expired_live; /* incomplete datagrams the current expiry abandoned */
	struct hp_ipfrag_stats st;
};

void hp_ipfrag_cfg_defaults(struct hp_ipfrag_cfg *c)
{
	c->max_datagrams = 1024;
	c->max_fragments = 64;
	c->max_size = HP_IPFRAG_MAX_SIZE;
	c->timeout_us = 30ull * 1000 * 1000;
	c->pool_bytes = 0;
}

static struct frag *frags_of(struct dgram *d)
{
	return (struct frag *)(d + 1);
}

static uint32_t *blocks_of(const struct hp_ipfrag *t, struct dgram *d)
{
	return (uint32_t *)(frags_of(d) + t->max_fragments);
}

static uint8_t *block_data(const struct hp_ipfrag *t, uint32_t b)
{
	return t->pool + (size_t)(b - 1) * HP_IPFRAG_BLOCK;
}

static size_t value_size(uint32_t max_fragments, uint32_t slots)
{
	return sizeof(struct dgram) + sizeof(struct frag) * max_fragments + sizeof(uint32_t) * slots;
}

struct hp_ipfrag *hp_ipfrag_create(const struct hp_ipfrag_cfg *c, uint32_t seed)
{
	if (c->max_datagrams == 0 || c->max_datagrams > HP_FLOWTAB_MAX_CAPACITY ||
	    c->max_fragments == 0 || c->max_fragments > HP_IPFRAG_MAX_FRAGMENTS ||
	    c->max_size < MIN_SIZE || c->max_size > HP_IPFRAG_MAX_SIZE || c->timeout_us == 0)
		return NULL;

	struct hp_ipfrag *t = calloc(1, sizeof(*t));
	uint32_t slots = (c->max_size + HP_IPFRAG_BLOCK - 1) / HP_IPFRAG_BLOCK;
	uint64_t pool = c->pool_bytes ? c->pool_bytes
				      : (uint64_t)c->max_datagrams * HP_IPFRAG_POOL_PER_DATAGRAM;
	uint64_t nblocks = (pool + HP_IPFRAG_BLOCK - 1) / HP_IPFRAG_BLOCK;

	if (!t)
		return NULL;
	/* A pool smaller than one whole datagram could never deliver one. */
	if (nblocks < slots)
		nblocks = slots;
	if (nblocks > UINT32_MAX / HP_IPFRAG_BLOCK)
		goto fail;
	t->slots = slots;
	t->nblocks = (uint32_t)nblocks;
	t->max_fragments = c->max_fragments;
	t->max_size = c->max_size;
	t->timeout_us = c->timeout_us;
	t->seed = seed;
	t->tab = hp_flowtab_create(c->max_datagrams, sizeof(struct key),
				   (uint32_t)value_size(c->max_fragments, slots));
	t->pool = malloc((size_t)t->nblocks * HP_IPFRAG_BLOCK);
	t->free_blk = malloc(sizeof(uint32_t) * t->nblocks);
	t->outbuf = malloc(t->max_size);
	if (!t->tab || !t->pool || !t->free_blk || !t->outbuf)
		goto fail;
	/* Written once here so the pages are committed at start-up, not
	 * faulted in on the packet path. */
	memset(t->pool, 0, (size_t)t->nblocks * HP_IPFRAG_BLOCK);
	memset(t->outbuf, 0, t->max_size);
	for (uint32_t i = 0; i < t->nblocks; i++)
		t->free_blk[i] = t->nblocks - i;
	t->nfree = t->nblocks;
	return t;
fail:
	hp_ipfrag_destroy(t);
	return NULL;
}

void hp_ipfrag_destroy(struct hp_ipfrag *t)
{
	if (!t)
		return;
	hp_flowtab_destroy(t->tab);
	free(t->pool);
	free(t->free_blk);
	free(t->outbuf);
	free(t);
}

size_t hp_ipfrag_memory(const struct hp_ipfrag *t)
{
	return sizeof(*t) + hp_flowtab_memory(t->tab) + (size_t)t->nblocks * HP_IPFRAG_BLOCK +
	       sizeof(uint32_t) * t->nblocks + t->max_size;
}

const struct hp_ipfrag_stats *hp_ipfrag_stats(const struct hp_ipfrag *t)
{
	return &t->st;
}

uint32_t hp_ipfrag_count(const struct hp_ipfrag *t)
{
	return hp_flowtab_count(t->tab);
}

static void free_blocks(struct hp_ipfrag *t, struct dgram *d)
{
	uint32_t *blk = blocks_of(t, d);

	for (uint32_t s = 0; s < t->slots; s++)
		if (blk[s]) {
			t->free_blk[t->nfree++] = blk[s];
			blk[s] = 0;
		}
}

/* Gives up a datagram: its data goes back to the pool, its entry stays so
 * that its later fragments are recognised until it times out. */
static void give_up(struct hp_ipfrag *t, struct dgram *d)
{
	free_blocks(t, d);
	d->flags = DG_DEAD;
	d->nfrag = 0;
	d->bytes = 0;
}

static void on_expire(void *value, void *arg)
{
	struct hp_ipfrag *t = arg;
	struct dgram *d = value;

	if (!(d->flags & DG_DEAD)) {
		t->st.timeout++;
		t->expired_live++;
	}
	free_blocks(t, d);
}

uint32_t hp_ipfrag_expire(struct hp_ipfrag *t, uint64_t now_us)
{
	t->expired_live = 0;
	hp_flowtab_expire(t->tab, now_us, t->timeout_us, UINT32_MAX, on_expire, t);
	return t->expired_live;
}

/* Header sanity the caller's decoder should already guarantee; a fragment
 * that fails it is refused alone. The header is copied into the output as
 * is, so its own version and IHL must agree with what we were told. */
static bool header_ok(const struct hp_ipfrag_in *f)
{
	if (f->version == 4)
		return f->hdr_len >= IP4_MIN_HLEN && f->hdr_len <= IP4_MAX_HLEN &&
		       f->hdr[0] == (0x40 | f->hdr_len / 4) && f->hdr_len % 4 == 0;
	if (f->version == 6)
		/* The Next Header byte is the fixed header's or the first byte
		 * of an extension header. */
		return f->hdr_len >= IP6_HLEN && f->hdr[0] >> 4 == 6 && f->nh_off < f->hdr_len &&
		       (f->nh_off == 6 || f->nh_off >= IP6_HLEN);
	return false;
}

/* Largest datagram (header included) the limit and the version's length
 * field allow. */
static uint32_t size_cap(const struct hp_ipfrag *t, uint8_t version)
{
	uint32_t field = version == 4 ? IP4_MAX_TOTAL : IP6_HLEN + IP6_MAX_PAYLOAD;

	return t->max_size < field ? t->max_size : field;
}

/* Copies len bytes at datagram offset off into the datagram's blocks,
 * taking blocks from the pool as needed; false when the pool is empty. */
static bool store(struct hp_ipfrag *t, struct dgram *d, uint32_t off, const uint8_t *p, uint32_t len)
{
	uint32_t *blk = blocks_of(t, d);

	while (len) {
		uint32_t s = off / HP_IPFRAG_BLOCK, in = off % HP_IPFRAG_BLOCK;
		uint32_t n = HP_IPFRAG_BLOCK - in < len ? HP_IPFRAG_BLOCK - in : len;

		if (!blk[s]) {
			if (!t->nfree)
				return false;
			blk[s] = t->free_blk[--t->nfree];
		}
		memcpy(block_data(t, blk[s]) + in, p, n);
		off += n;
		p += n;
		len -= n;
	}
	return true;
}

/* Writes the unfragmented datagram into the output buffer. */
static uint32_t build(struct hp_ipfrag *t, struct dgram *d)
{
	uint8_t *o = t->outbuf;
	uint32_t h = d->hdr_len, total = h + d->end;
	uint32_t *blk = blocks_of(t, d);

	memcpy(o, d->hdr, h);
	if (d->version == 4) {
		/* RFC 791 §3.2: the reassembled datagram is an ordinary one, so
		 * MF and the offset go and the checksum covers the new header. */
		hp_put_be16(o + 2, (uint16_t)total);
		hp_put_be16(o + 6, 0);
		hp_put_be16(o + 10, 0);
		hp_put_be16(o + 10, (uint16_t)~hp_csum_fold(hp_csum_add(o, h, 0)));
	} else {
		/* RFC 8200 §4.5: the Fragment header goes; the header that named
		 * it now names what the offset-0 fragment carried. */
		o[d->nh_off] = d->proto;
		hp_put_be16(o + 4, (uint16_t)(total - IP6_HLEN));
	}
	for (uint32_t off = 0; off < d->end; off += HP_IPFRAG_BLOCK) {
		uint32_t n = d->end - off < HP_IPFRAG_BLOCK ? d->end - off : HP_IPFRAG_BLOCK;

		memcpy(o + h + off, block_data(t, blk[off / HP_IPFRAG_BLOCK]), n);
	}
	return total;
}

/* Index of the first held fragment starting at or after off. */
static uint32_t find_pos(const struct frag *fr, uint32_t n, uint32_t off)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (fr[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds f to the live datagram d: HP_R_OK when d is complete (the caller
 * builds it), HP_R_IPFRAG_HELD, or why f was refused (the datagram given up
 * where the rules say so). */
static int place(struct hp_ipfrag *t, struct dgram *d, const struct hp_ipfrag_in *f)
{
	struct frag *fr = frags_of(d);
	uint64_t fend = (uint64_t)f->offset + f->data_len;
	uint32_t cap = size_cap(t, d->version);
	uint32_t hlen = f->offset == 0 ? f->hdr_len : (d->flags & DG_HAS_FIRST) ? d->hdr_len : f->hdr_len;

	/* RFC 791 §3.2 / RFC 8200 §4.5: one end per datagram; nothing may lie
	 * past it. Checked before duplicates so that a last fragment
	 * repeated with a different length is not mistaken for one. */
	if (f->more ? (d->flags & DG_HAS_END) && fend > d->end
		    : ((d->flags & DG_HAS_END) && fend != d->end) || d->max_end > fend) {
		give_up(t, d);
		return HP_R_IPFRAG_BAD_END;
	}
	/* For a fragment past offset 0 the header is this fragment's until the
	 * offset-0 one arrives (IPv4 fragments may carry fewer options): the
	 * check is redone with the real header then. */
	if (hlen + fend > cap || (f->offset == 0 && (f->hdr_len > HP_IPFRAG_MAX_HDR ||
						     f->hdr_len + (uint64_t)d->max_end > cap))) {
		give_up(t, d);
		return HP_R_IPFRAG_TOO_BIG;
	}

	uint32_t off = f->offset, end = (uint32_t)fend;
	uint32_t i = find_pos(fr, d->nfrag, off);

	if (i < d->nfrag && fr[i].off == off && fr[i].len == f->data_len)
		return HP_R_IPFRAG_DUPLICATE;
	/* RFC 5722 §3: any overlap discards the whole datagram. */
	if ((i > 0 && fr[i - 1].off + fr[i - 1].len > off) || (i < d->nfrag && fr[i].off < end)) {
		give_up(t, d);
		return HP_R_IPFRAG_OVERLAP;
	}
	if (d->nfrag == t->max_fragments) {
		give_up(t, d);
		return HP_R_IPFRAG_TOO_MANY;
	}
	if (!store(t, d, off, f->data, f->data_len)) {
		give_up(t, d);
		return HP_R_IPFRAG_TABLE_FULL;
	}
	memmove(fr + i + 1, fr + i, sizeof(*fr) * (d->nfrag - i));
	fr[i].off = off;
	fr[i].len = f->data_len;
	d->nfrag++;
	d->bytes += f->data_len;
	if (end > d->max_end)
		d->max_end = end;
	if (!f->more) {
		d->flags |= DG_HAS_END;
		d->end = end;
	}
	if (off == 0) {
		d->flags |= DG_HAS_FIRST;
		d->hdr_len = (uint16_t)f->hdr_len;
		d->nh_off = (uint16_t)f->nh_off;
		d->proto = f->proto;
		memcpy(d->hdr, f->hdr, f->hdr_len);
	}
	/* Fragments never overlap and lie within [0, end): holding end bytes
	 * means holding all of them. */
	if ((d->flags & (DG_HAS_END | DG_HAS_FIRST)) == (DG_HAS_END | DG_HAS_FIRST) && d->bytes == d->end)
		return HP_R_OK;
	return HP_R_IPFRAG_HELD;
}

static void count(struct hp_ipfrag_stats *st, int r)
{
	switch (r) {
	case HP_R_OK:
		st->reassembled++;
		break;
	case HP_R_IPFRAG_HELD:
		st->held++;
		break;
	case HP_R_IPFRAG_DUPLICATE:
		st->duplicate++;
		break;
	case HP_R_IPFRAG_OVERLAP:
		st->overlap++;
		break;
	case HP_R_IPFRAG_TOO_MANY:
		st->too_many_fragments++;
		break;
	case HP_R_IPFRAG_TOO_BIG:
		st->too_big++;
		break;
	case HP_R_IPFRAG_BAD_LENGTH:
		st->bad_length++;
		break;
	case HP_R_IPFRAG_BAD_END:
		st->bad_end++;
		break;
	case HP_R_IPFRAG_TRUNCATED:
		st->truncated++;
		break;
	case HP_R_IPFRAG_TABLE_FULL:
		st->table_full++;
		break;
	default:
		st->dropped++;
		break;
	}
}

static int add(struct hp_ipfrag *t, const struct hp_ipfrag_in *f, uint64_t now_us,
	       struct hp_ipfrag_out *out)
{
	if (!header_ok(f) || f->offset % 8)
		return HP_R_IPFRAG_BAD_LENGTH;
	/* RFC 8200 §4.5: a non-last fragment is a multiple of 8 octets long.
	 * A cut fragment's length says nothing: it is judged as truncated. */
	if (!f->truncated && f->more && (f->data_len % 8 || f->data_len == 0))
		return HP_R_IPFRAG_BAD_LENGTH;

	struct key k;
	size_t alen = f->version == 4 ? 4 : 16;

	memset(&k, 0, sizeof(k));
	k.version = f->version;
	k.proto = f->version == 4 ? f->proto : 0;
	k.id = f->id;
	memcpy(k.src, f->src, alen);
	memcpy(k.dst, f->dst, alen);

	uint32_t hash = hp_flowtab_hash(&k, sizeof(k), t->seed);

	/* Amortised expiry: this keeps slots and blocks free without the
	 * caller's help; O(1) when nothing is old. */
	hp_flowtab_expire(t->tab, now_us, t->timeout_us, EXPIRE_PER_ADD, on_expire, t);

	struct dgram *d = hp_flowtab_lookup(t->tab, &k, hash);

	if (d && now_us > hp_flowtab_last_seen(t->tab, d) &&
	    now_us - hp_flowtab_last_seen(t->tab, d) > t->timeout_us) {
		on_expire(d, t);
		hp_flowtab_remove(t->tab, d);
		d = NULL;
	}
	if (d && (d->flags & DG_DEAD))
		return HP_R_IPFRAG_DROPPED;
	if (!d) {
		bool created;

		/* Not found, so insert creates; it also stamps the creation time
		 * that the timeout counts from (never refreshed afterwards). */
		d = hp_flowtab_insert(t->tab, &k, hash, now_us, &created);
		if (!d)
			return f->truncated ? HP_R_IPFRAG_TRUNCATED : HP_R_IPFRAG_TABLE_FULL;
		d->version = f->version;
	}
	if (f->truncated) {
		give_up(t, d);
		return HP_R_IPFRAG_TRUNCATED;
	}

	int r = place(t, d, f);

	if (r == HP_R_OK) {
		out->len = build(t, d);
		out->p = t->outbuf;
		free_blocks(t, d);
		hp_flowtab_remove(t->tab, d);
	}
	return r;
}

int hp_ipfrag_add(struct hp_ipfrag *t, const struct hp_ipfrag_in *f, uint64_t now_us,
		  struct hp_ipfrag_out *out)
{
	int r;

	out->p = NULL;
	out->len = 0;
	r = add(t, f, now_us, out);
	count(&t->st, r);
	return r;
}
