/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixed-capacity hash table with an LRU list for idle expiry; see flowtab.h
 * for the layout and the memory formula. */
/* madvise() and MADV_HUGEPAGE are not in POSIX. */
#define _DEFAULT_SOURCE
#include "flowtab/flowtab.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/hp_common.h"

#define SLOTS 8u
#define NIL UINT32_MAX

/* One cache line: 8 signatures and entry indexes, the used-slot mask and the
 * count of live entries that probed past this bucket (see flowtab.h). */
struct bucket {
	uint16_t sig[SLOTS];
	uint32_t idx[SLOTS];
	uint32_t overflow;
	uint8_t used;
} HP_ALIGNED;

/* Placed right before the key; the value follows the key. pos is
 * bucket * SLOTS + slot while live, NIL while free; next doubles as the
 * free-list link. The LRU list is ordered by the time each entry was last
 * moved to its young end, last_seen - lag (lag < the table's granularity). */
struct meta {
	uint64_t last_seen;
	uint32_t hash;
	uint32_t pos;
	uint32_t prev;
	uint32_t next;
	uint32_t self;
	uint32_t lag;
};

struct hp_flowtab {
	struct bucket *buckets;
	uint8_t *entries;
	size_t memory;
	size_t stride;
	uint32_t nb;
	uint32_t capacity;
	uint32_t key_size;
	uint32_t key_span; /* key_size rounded up to 16: offset of the value after the key */
	uint32_t value_size;
	uint32_t count;
	uint32_t lru_head; /* oldest */
	uint32_t lru_tail; /* youngest */
	uint32_t free_head;
	uint32_t granularity_us;
};

_Static_assert(sizeof(struct bucket) == HP_CACHE_LINE, "bucket is one cache line");
_Static_assert(sizeof(struct meta) == HP_FLOWTAB_META_BYTES, "metadata size is documented");
_Static_assert(sizeof(struct hp_flowtab) <= HP_FLOWTAB_FIXED_BYTES, "header fits its reserve");
_Static_assert(HP_FLOWTAB_FIXED_BYTES % HP_CACHE_LINE == 0, "buckets stay cache-aligned");
_Static_assert(HP_FLOWTAB_FILL_PER_BUCKET < SLOTS, "a free slot always exists below capacity");

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static inline struct meta *meta_at(const struct hp_flowtab *t, uint32_t idx)
{
	return (struct meta *)(void *)(t->entries + (size_t)idx * t->stride);
}

static inline struct meta *meta_of(const struct hp_flowtab *t, const void *value)
{
	return (struct meta *)(void *)((uint8_t *)(uintptr_t)value - t->key_span - sizeof(struct meta));
}

static inline uint8_t *key_of(struct meta *m)
{
	return (uint8_t *)(m + 1);
}

static inline void *value_of(const struct hp_flowtab *t, struct meta *m)
{
	return key_of(m) + t->key_span;
}

/* Multiply-shift range reduction: the high hash bits choose the bucket, so
 * nb need not be a power of two and the low bits stay free for the signature. */
static inline uint32_t home_bucket(const struct hp_flowtab *t, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * t->nb) >> 32);
}

static inline uint32_t next_bucket(const struct hp_flowtab *t, uint32_t b)
{
	return b + 1 == t->nb ? 0 : b + 1;
}

static inline unsigned sig_match(const struct bucket *bk, uint16_t sig)
{
	unsigned m = 0;

	for (unsigned i = 0; i < SLOTS; i++)
		m |= (unsigned)(bk->sig[i] == sig) << i;
	return m & bk->used;
}

/* A table of a million streams spans 600 MB: with 4 KiB pages nearly every
 * lookup also misses the TLB, and the page walk is one more cache miss.
 * Large tables start on a 2 MiB boundary and ask for transparent huge pages
 * (Linux's default THP mode, madvise, grants them only on request); where
 * the kernel says no, the table works the same on small pages. */
#define HUGE_PAGE (2u << 20)

static uint8_t *table_alloc(size_t bytes)
{
	void *mem;

	if (bytes < HUGE_PAGE)
		return aligned_alloc(HP_CACHE_LINE, round_up(bytes, HP_CACHE_LINE));
	if (posix_memalign(&mem, HUGE_PAGE, bytes) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(mem, bytes, MADV_HUGEPAGE);
#endif
	return mem;
}

struct hp_flowtab *hp_flowtab_create(uint32_t capacity, uint32_t key_size, uint32_t value_size)
{
	struct hp_flowtab *t;
	size_t stride, nb, bytes;
	uint8_t *mem;

	if (capacity == 0 || capacity > HP_FLOWTAB_MAX_CAPACITY || key_size == 0 ||
	    key_size > HP_FLOWTAB_MAX_KEY || value_size >= (1u << 20))
		return NULL;
	stride = sizeof(struct meta) + round_up(key_size, 16) + round_up(value_size, 16);
	nb = ((size_t)capacity + HP_FLOWTAB_FILL_PER_BUCKET - 1) / HP_FLOWTAB_FILL_PER_BUCKET;
	bytes = round_up(HP_FLOWTAB_FIXED_BYTES + sizeof(struct bucket) * nb + stride * capacity,
			 HP_CACHE_LINE);
	mem = table_alloc(bytes);
	if (mem == NULL)
		return NULL;
	memset(mem, 0, HP_FLOWTAB_FIXED_BYTES + sizeof(struct bucket) * nb);

	t = (struct hp_flowtab *)(void *)mem;
	t->buckets = (struct bucket *)(void *)(mem + HP_FLOWTAB_FIXED_BYTES);
	t->entries = mem + HP_FLOWTAB_FIXED_BYTES + sizeof(struct bucket) * nb;
	t->memory = bytes;
	t->stride = stride;
	t->nb = (uint32_t)nb;
	t->capacity = capacity;
	t->key_size = key_size;
	t->key_span = (uint32_t)round_up(key_size, 16);
	t->value_size = value_size;
	t->count = 0;
	t->lru_head = NIL;
	t->lru_tail = NIL;
	t->free_head = 0;
	t->granularity_us = 0;
	/* Writing the whole entry array commits its pages now (jemalloc hands
	 * large blocks out as untouched mmap memory). */
	memset(t->entries, 0, stride * capacity);
	for (uint32_t i = 0; i < capacity; i++) {
		struct meta *m = meta_at(t, i);

		m->pos = NIL;
		m->self = i;
		m->prev = NIL;
		m->next = i + 1 < capacity ? i + 1 : NIL;
	}
	return t;
}

void hp_flowtab_destroy(struct hp_flowtab *tab)
{
	free(tab);
}

size_t hp_flowtab_memory(const struct hp_flowtab *tab)
{
	return tab->memory;
}

uint32_t hp_flowtab_count(const struct hp_flowtab *tab)
{
	return tab->count;
}

uint32_t hp_flowtab_capacity(const struct hp_flowtab *tab)
{
	return tab->capacity;
}

const void *hp_flowtab_key(const struct hp_flowtab *tab, const void *value)
{
	return key_of(meta_of(tab, value));
}

uint64_t hp_flowtab_last_seen(const struct hp_flowtab *tab, const void *value)
{
	return meta_of(tab, value)->last_seen;
}

void hp_flowtab_prefetch(const struct hp_flowtab *tab, uint32_t hash)
{
	__builtin_prefetch(&tab->buckets[home_bucket(tab, hash)]);
}

void hp_flowtab_prefetch_entry(const struct hp_flowtab *tab, uint32_t hash)
{
	const struct bucket *bk = &tab->buckets[home_bucket(tab, hash)];
	unsigned m = sig_match(bk, (uint16_t)hash);

	if (m == 0)
		return;
	/* Entries are not line-aligned: cover every line the stride touches. */
	const uint8_t *e = (const uint8_t *)meta_at(tab, bk->idx[__builtin_ctz(m)]);
	const uint8_t *end = e + tab->stride - 1;
	for (; e <= end; e += HP_CACHE_LINE)
		__builtin_prefetch(e);
	__builtin_prefetch(end);
}

void hp_flowtab_prefetch_lru(const struct hp_flowtab *tab, uint32_t hash, uint64_t now_us)
{
	const struct bucket *bk = &tab->buckets[home_bucket(tab, hash)];
	unsigned m = sig_match(bk, (uint16_t)hash);

	if (m == 0)
		return;
	const struct meta *e = meta_at(tab, bk->idx[__builtin_ctz(m)]);
	uint64_t lag = e->lag;
	if (now_us > e->last_seen)
		lag += now_us - e->last_seen;
	/* The same test as touch_meta(): only a move writes the neighbours. */
	if (tab->lru_tail == e->self || lag < tab->granularity_us)
		return;
	if (e->prev != NIL)
		__builtin_prefetch(meta_at(tab, e->prev), 1);
	if (e->next != NIL)
		__builtin_prefetch(meta_at(tab, e->next), 1);
}

static struct meta *find(const struct hp_flowtab *t, const void *key, uint32_t hash)
{
	uint32_t b = home_bucket(t, hash);
	uint16_t sig = (uint16_t)hash;

	/* The step bound matters: after removals every bucket on a wrap-around
	 * chain can carry a non-zero overflow count at once. */
	for (uint32_t step = 0; step < t->nb; step++) {
		const struct bucket *bk = &t->buckets[b];
		unsigned m = sig_match(bk, sig);

		while (m) {
			struct meta *e = meta_at(t, bk->idx[__builtin_ctz(m)]);

			if (e->hash == hash && memcmp(key_of(e), key, t->key_size) == 0)
				return e;
			m &= m - 1;
		}
		if (bk->overflow == 0)
			return NULL;
		b = next_bucket(t, b);
	}
	return NULL;
}

void *hp_flowtab_lookup(struct hp_flowtab *tab, const void *key, uint32_t hash)
{
	struct meta *e = find(tab, key, hash);

	return e ? value_of(tab, e) : NULL;
}

static void lru_unlink(struct hp_flowtab *t, struct meta *m)
{
	if (m->prev != NIL)
		meta_at(t, m->prev)->next = m->next;
	else
		t->lru_head = m->next;
	if (m->next != NIL)
		meta_at(t, m->next)->prev = m->prev;
	else
		t->lru_tail = m->prev;
}

/* Append as youngest. A clock step backwards keeps the tail's time, so the
 * list stays sorted and expiry can stop at the first young entry. */
static void lru_append(struct hp_flowtab *t, struct meta *m, uint64_t now_us)
{
	m->prev = t->lru_tail;
	m->next = NIL;
	if (t->lru_tail != NIL) {
		struct meta *tail = meta_at(t, t->lru_tail);
		uint64_t tail_moved = tail->last_seen - tail->lag;

		if (now_us < tail_moved)
			now_us = tail_moved;
		tail->next = m->self;
	} else {
		t->lru_head = m->self;
	}
	t->lru_tail = m->self;
	m->last_seen = now_us;
	m->lag = 0;
}

/* Moving an entry to the young end writes its two neighbours and the old
 * tail: three cache misses when the table is larger than the cache. With a
 * granularity, an entry moves only once its time has advanced that much
 * since its last move; in between, a touch only writes its own time. */
static void touch_meta(struct hp_flowtab *t, struct meta *m, uint64_t now_us)
{
	uint64_t lag = m->lag;

	if (now_us > m->last_seen) {
		lag += now_us - m->last_seen;
		m->last_seen = now_us;
	}
	if (t->lru_tail == m->self) {
		m->lag = 0;
		return;
	}
	if (lag < t->granularity_us) {
		m->lag = (uint32_t)lag;
		return;
	}
	lru_unlink(t, m);
	lru_append(t, m, m->last_seen);
}

void hp_flowtab_set_granularity(struct hp_flowtab *tab, uint32_t us)
{
	tab->granularity_us = us;
}

void hp_flowtab_touch(struct hp_flowtab *tab, void *value, uint64_t now_us)
{
	touch_meta(tab, meta_of(tab, value), now_us);
}

void *hp_flowtab_insert(struct hp_flowtab *tab, const void *key, uint32_t hash, uint64_t now_us,
			bool *created)
{
	struct meta *e = find(tab, key, hash);
	struct bucket *bk;
	uint32_t b, slot;

	*created = false;
	if (e != NULL) {
		touch_meta(tab, e, now_us);
		return value_of(tab, e);
	}
	if (HP_UNLIKELY(tab->count == tab->capacity))
		return NULL;
	/* count < capacity <= 6 * nb < 8 * nb slots, so a free slot exists
	 * within nb buckets of home and the loop ends there. */
	b = home_bucket(tab, hash);
	for (;;) {
		bk = &tab->buckets[b];
		if (bk->used != 0xff)
			break;
		bk->overflow++;
		b = next_bucket(tab, b);
	}
	slot = (uint32_t)__builtin_ctz(~(unsigned)bk->used);

	e = meta_at(tab, tab->free_head);
	tab->free_head = e->next;
	bk->used |= (uint8_t)(1u << slot);
	bk->sig[slot] = (uint16_t)hash;
	bk->idx[slot] = e->self;
	e->hash = hash;
	e->pos = b * SLOTS + slot;
	memcpy(key_of(e), key, tab->key_size);
	memset(value_of(tab, e), 0, tab->value_size);
	lru_append(tab, e, now_us);
	tab->count++;
	*created = true;
	return value_of(tab, e);
}

static void remove_meta(struct hp_flowtab *t, struct meta *m)
{
	uint32_t b = m->pos / SLOTS;

	assert(m->pos != NIL);
	t->buckets[b].used &= (uint8_t)~(1u << (m->pos % SLOTS));
	for (uint32_t h = home_bucket(t, m->hash); h != b; h = next_bucket(t, h))
		t->buckets[h].overflow--;
	lru_unlink(t, m);
	m->pos = NIL;
	m->prev = NIL;
	m->next = t->free_head;
	t->free_head = m->self;
	t->count--;
}

void hp_flowtab_remove(struct hp_flowtab *tab, void *value)
{
	remove_meta(tab, meta_of(tab, value));
}

uint32_t hp_flowtab_expire(struct hp_flowtab *tab, uint64_t now_us, uint64_t idle_us, uint32_t max,
			   void (*cb)(void *value, void *arg), void *arg)
{
	uint32_t n = 0;

	while (n < max && tab->lru_head != NIL) {
		struct meta *m = meta_at(tab, tab->lru_head);

		/* The list is sorted by the time of each entry's last move, and no
		 * entry's last_seen is a granularity or more past it: the first
		 * young entry ends the walk, and an idle entry behind it waits less
		 * than a granularity. */
		if (now_us <= m->last_seen || now_us - m->last_seen <= idle_us)
			break;
		if (cb)
			cb(value_of(tab, m), arg);
		remove_meta(tab, m);
		n++;
	}
	return n;
}

void hp_flowtab_foreach(struct hp_flowtab *tab, void (*cb)(void *value, void *arg), void *arg)
{
	uint32_t i = tab->lru_head;

	while (i != NIL) {
		struct meta *m = meta_at(tab, i);

		i = m->next;
		cb(value_of(tab, m), arg);
	}
}

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return x << r | x >> (64 - r);
}

/* Each word is spread by an odd multiplier, folded into the state and the
 * state rotated and multiplied; the finaliser is the split-mix 64 mix, whose
 * two multiply-xorshift rounds let every input bit reach every output bit. */
static inline uint64_t hash_round(uint64_t h, uint64_t w)
{
	return rotl64(h ^ (w * 0xc2b2ae3d27d4eb4fULL), 29) * 0x9e3779b97f4a7c15ULL;
}

uint32_t hp_flowtab_hash(const void *key, size_t len, uint32_t seed)
{
	const uint8_t *p = key;
	uint64_t h = ((uint64_t)seed << 32 | seed) ^ ((uint64_t)len * 0x9e3779b97f4a7c15ULL);
	uint64_t w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = hash_round(h, w);
	}
	if (len) {
		/* The tail as if copied into a zeroed little-endian word, from at
		 * most three fixed-size loads: a variable-length copy through the
		 * stack stalls the word load behind byte stores (store forwarding
		 * fails), which cost a fifth of this function on 44-byte keys. */
		size_t off = 0;
		w = 0;
		if (len & 4) {
			uint32_t v;
			memcpy(&v, p, 4);
			w = v;
			off = 4;
		}
		if (len & 2) {
			uint16_t v;
			memcpy(&v, p + off, 2);
			w |= (uint64_t)v << (8 * off);
			off += 2;
		}
		if (len & 1)
			w |= (uint64_t)p[off] << (8 * off);
		h = hash_round(h, w);
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (uint32_t)(h ^ (h >> 32));
}
