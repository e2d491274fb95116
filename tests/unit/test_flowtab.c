/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/flowtab: insert/lookup/remove, full tables with forced collisions,
 * oldest-first expiry with synthetic times, the memory formula worked out by
 * hand, the hash against values from an independent Python rendering, a
 * 100k-operation randomized run against a linearly scanned reference, and the
 * lateness bound of a touch granularity. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab/flowtab.h"

struct key12 {
	uint32_t a, b, c;
};

static struct key12 k12(uint32_t id)
{
	struct key12 k = { id, id ^ 0x5a5a5a5au, 7 };

	return k;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

Test(flowtab, create_rejects_bad_arguments)
{
	cr_assert_null(hp_flowtab_create(0, 8, 8));
	cr_assert_null(hp_flowtab_create(HP_FLOWTAB_MAX_CAPACITY + 1, 8, 8));
	cr_assert_null(hp_flowtab_create(16, 0, 8));
	cr_assert_null(hp_flowtab_create(16, HP_FLOWTAB_MAX_KEY + 1, 8));
	cr_assert_null(hp_flowtab_create(16, 8, 1u << 20));
	struct hp_flowtab *t = hp_flowtab_create(1, HP_FLOWTAB_MAX_KEY, 0);
	cr_assert_not_null(t);
	cr_assert_eq(hp_flowtab_capacity(t), 1);
	hp_flowtab_destroy(t);
}

/* Expected sizes from the formula in flowtab.h, by hand:
 * stride = 32 + ru16(key) + ru16(value), nb = ceil(cap / 6),
 * bytes = ru64(128 + 64 nb + stride cap). */
Test(flowtab, memory_matches_formula)
{
	static const struct {
		uint32_t cap, key, val;
		size_t bytes;
	} v[] = {
		/* 160 B stride, 167 buckets: 128 + 10688 + 160000 = 170816 */
		{ 1000, 13, 100, 170816 },
		/* 96 B stride, 1 bucket: 128 + 64 + 96 = 288 -> 320 */
		{ 1, 64, 0, 320 },
		/* 64 B stride, 2 buckets: 128 + 128 + 448 = 704 */
		{ 7, 1, 1, 704 },
		/* 64 B stride, exactly 100 buckets: 128 + 6400 + 38400 = 44928 */
		{ 600, 8, 8, 44928 },
		/* 192 B stride, 16667 buckets: 128 + 1066688 + 19200000 = 20266816 */
		{ 100000, 40, 100, 20266816 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct hp_flowtab *t = hp_flowtab_create(v[i].cap, v[i].key, v[i].val);

		cr_assert_not_null(t);
		cr_assert_eq(hp_flowtab_memory(t), v[i].bytes, "case %zu: %zu != %zu", i,
			     hp_flowtab_memory(t), v[i].bytes);
		hp_flowtab_destroy(t);
	}
}

Test(flowtab, insert_lookup_remove)
{
	struct hp_flowtab *t = hp_flowtab_create(64, sizeof(struct key12), 24);
	struct key12 k1 = k12(1), k2 = k12(2);
	uint32_t h1 = hp_flowtab_hash(&k1, sizeof k1, 0), h2 = hp_flowtab_hash(&k2, sizeof k2, 0);
	bool created = false;

	cr_assert_null(hp_flowtab_lookup(t, &k1, h1));
	uint8_t *v1 = hp_flowtab_insert(t, &k1, h1, 100, &created);
	cr_assert_not_null(v1);
	cr_assert(created);
	cr_assert(all_zero(v1, 24));
	cr_assert_eq((uintptr_t)v1 % 16, 0, "values are 16-byte aligned");
	memset(v1, 0x11, 24);

	uint8_t *v2 = hp_flowtab_insert(t, &k2, h2, 110, &created);
	cr_assert(created);
	cr_assert_neq(v1, v2);
	memset(v2, 0x22, 24);
	cr_assert_eq(hp_flowtab_count(t), 2);

	/* second insert of k1 finds it, keeps the contents, refreshes time */
	cr_assert_eq(hp_flowtab_insert(t, &k1, h1, 120, &created), v1);
	cr_assert_not(created);
	cr_assert_eq(v1[23], 0x11);
	cr_assert_eq(hp_flowtab_last_seen(t, v1), 120);
	cr_assert_eq(hp_flowtab_count(t), 2);

	cr_assert_eq(hp_flowtab_lookup(t, &k1, h1), v1);
	cr_assert_eq(hp_flowtab_lookup(t, &k2, h2), v2);
	cr_assert_eq(memcmp(hp_flowtab_key(t, v2), &k2, sizeof k2), 0);

	hp_flowtab_remove(t, v1);
	cr_assert_eq(hp_flowtab_count(t), 1);
	cr_assert_null(hp_flowtab_lookup(t, &k1, h1));
	cr_assert_eq(hp_flowtab_lookup(t, &k2, h2), v2);
	cr_assert_eq(v2[0], 0x22);

	/* re-inserting reuses storage but hands it out zeroed */
	uint8_t *v1b = hp_flowtab_insert(t, &k1, h1, 130, &created);
	cr_assert(created);
	cr_assert(all_zero(v1b, 24));
	hp_flowtab_destroy(t);
}

/* Every key gets the same hash: one home bucket, one signature, so the table
 * must probe across buckets and tell keys apart by their bytes. */
Test(flowtab, full_table_same_hash)
{
	static const uint32_t caps[] = { 1, 6, 7, 8, 9, 50, 97 };

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint32_t cap = caps[c];
		struct hp_flowtab *t = hp_flowtab_create(cap, sizeof(struct key12), 8);
		uint64_t *vals[100];
		bool created;

		for (uint32_t i = 0; i < cap; i++) {
			struct key12 k = k12(i);

			vals[i] = hp_flowtab_insert(t, &k, 0xdeadbeef, i, &created);
			cr_assert_not_null(vals[i], "cap %u: insert %u", cap, i);
			cr_assert(created);
			*vals[i] = 1000 + i;
		}
		cr_assert_eq(hp_flowtab_count(t), cap);
		struct key12 extra = k12(5000);
		created = true;
		cr_assert_null(hp_flowtab_insert(t, &extra, 0xdeadbeef, 999, &created));
		cr_assert_not(created);
		cr_assert_null(hp_flowtab_insert(t, &extra, 0x12345678, 999, &created));
		cr_assert_eq(hp_flowtab_count(t), cap);
		cr_assert_null(hp_flowtab_lookup(t, &extra, 0xdeadbeef));
		/* an existing key still "inserts" (is found) when full */
		struct key12 k0 = k12(0);
		cr_assert_eq(hp_flowtab_insert(t, &k0, 0xdeadbeef, 1000, &created), vals[0]);
		cr_assert_not(created);
		for (uint32_t i = 0; i < cap; i++) {
			struct key12 k = k12(i);

			cr_assert_eq(hp_flowtab_lookup(t, &k, 0xdeadbeef), vals[i]);
			cr_assert_eq(*vals[i], 1000 + i);
		}
		/* free one in the middle: exactly one new key fits again */
		struct key12 km = k12(cap / 2);
		hp_flowtab_remove(t, vals[cap / 2]);
		cr_assert_null(hp_flowtab_lookup(t, &km, 0xdeadbeef));
		cr_assert_not_null(hp_flowtab_insert(t, &extra, 0xdeadbeef, 1001, &created));
		cr_assert(created);
		struct key12 extra2 = k12(5001);
		cr_assert_null(hp_flowtab_insert(t, &extra2, 0xdeadbeef, 1002, &created));
		for (uint32_t i = 0; i < cap; i++) {
			struct key12 k = k12(i);

			if (i != cap / 2)
				cr_assert_eq(hp_flowtab_lookup(t, &k, 0xdeadbeef), vals[i]);
		}
		hp_flowtab_destroy(t);
	}
}

/* Capacity 12 gives two buckets; hashes below 2^31 have home bucket 0, the
 * rest bucket 1. The sequence leaves both buckets with an entry that probed
 * past them, so a miss must stop after visiting every bucket once. */
Test(flowtab, wraparound_probe_chain_terminates, .timeout = 10)
{
	struct hp_flowtab *t = hp_flowtab_create(12, sizeof(struct key12), 8);
	const uint32_t h0 = 0x10000001, h1 = 0x90000001;
	void *v[32];
	bool created;
	struct key12 k;

	for (uint32_t i = 0; i < 9; i++) { /* 8 fill bucket 0, the 9th (X) spills to 1 */
		k = k12(i);
		v[i] = hp_flowtab_insert(t, &k, h0, i, &created);
		cr_assert(created);
	}
	for (uint32_t i = 0; i < 4; i++)
		hp_flowtab_remove(t, v[i]);
	for (uint32_t i = 10; i < 17; i++) { /* bucket 1 now full: X + 7 */
		k = k12(i);
		v[i] = hp_flowtab_insert(t, &k, h1, i, &created);
		cr_assert(created);
	}
	cr_assert_eq(hp_flowtab_count(t), 12);
	hp_flowtab_remove(t, v[4]);
	k = k12(20); /* Y: home 1, spills to 0 */
	v[20] = hp_flowtab_insert(t, &k, h1, 20, &created);
	cr_assert(created);

	k = k12(99);
	cr_assert_null(hp_flowtab_lookup(t, &k, h0));
	cr_assert_null(hp_flowtab_lookup(t, &k, h1));
	cr_assert_null(hp_flowtab_insert(t, &k, h0, 30, &created));
	for (uint32_t i = 5; i < 21; i++) {
		if (i == 9 || (i > 16 && i < 20))
			continue;
		k = k12(i);
		cr_assert_eq(hp_flowtab_lookup(t, &k, i < 9 ? h0 : h1), v[i], "key %u", i);
	}
	/* removing the spilled entries restores misses and room */
	hp_flowtab_remove(t, v[20]);
	hp_flowtab_remove(t, v[8]);
	k = k12(99);
	cr_assert_null(hp_flowtab_lookup(t, &k, h1));
	cr_assert_not_null(hp_flowtab_insert(t, &k, h1, 40, &created));
	cr_assert_eq(hp_flowtab_count(t), 11);
	hp_flowtab_destroy(t);
}

struct seen {
	const struct hp_flowtab *t;
	uint32_t ids[64];
	uint32_t n;
};

static void record(void *value, void *arg)
{
	struct seen *s = arg;
	const struct key12 *k = hp_flowtab_key(s->t, value);

	cr_assert_eq(*(uint32_t *)value, k->a * 10, "callback sees the live value");
	s->ids[s->n++] = k->a;
}

static void *put(struct hp_flowtab *t, uint32_t id, uint64_t now)
{
	struct key12 k = k12(id);
	bool created;
	uint32_t *v = hp_flowtab_insert(t, &k, hp_flowtab_hash(&k, sizeof k, 3), now, &created);

	cr_assert_not_null(v);
	*v = id * 10;
	return v;
}

static void *get(struct hp_flowtab *t, uint32_t id)
{
	struct key12 k = k12(id);

	return hp_flowtab_lookup(t, &k, hp_flowtab_hash(&k, sizeof k, 3));
}

Test(flowtab, expire_oldest_first)
{
	struct hp_flowtab *t = hp_flowtab_create(16, sizeof(struct key12), 8);
	struct seen s = { .t = t };

	for (uint32_t id = 1; id <= 5; id++)
		put(t, id, id * 100);
	hp_flowtab_touch(t, get(t, 2), 600);
	/* at 1000 the idle times are 1:900 3:700 4:600 5:500 2:400 */
	cr_assert_eq(hp_flowtab_expire(t, 1000, 550, 10, record, &s), 3);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.ids[0], 1);
	cr_assert_eq(s.ids[1], 3);
	cr_assert_eq(s.ids[2], 4);
	cr_assert_eq(hp_flowtab_count(t), 2);
	cr_assert_null(get(t, 1));
	cr_assert_null(get(t, 3));
	cr_assert_null(get(t, 4));

	/* max bounds the work */
	cr_assert_eq(hp_flowtab_expire(t, 1000, 0, 1, record, &s), 1);
	cr_assert_eq(s.ids[3], 5);
	/* "more than idle_us": exactly 400 idle stays */
	cr_assert_eq(hp_flowtab_expire(t, 1000, 400, 10, record, &s), 0);
	cr_assert_eq(hp_flowtab_expire(t, 1001, 400, 0, record, &s), 0);
	cr_assert_eq(hp_flowtab_expire(t, 1001, 400, 10, record, &s), 1);
	cr_assert_eq(s.ids[4], 2);
	cr_assert_eq(hp_flowtab_count(t), 0);
	cr_assert_eq(hp_flowtab_expire(t, 5000, 0, 10, record, &s), 0);

	/* the table is fully usable afterwards, NULL callback allowed */
	for (uint32_t id = 1; id <= 16; id++)
		put(t, id, 2000 + id);
	cr_assert_eq(hp_flowtab_count(t), 16);
	cr_assert_eq(hp_flowtab_expire(t, 2010, 5, 100, NULL, NULL), 4); /* ids 1..4 */
	cr_assert_null(get(t, 4));
	cr_assert_not_null(get(t, 5));
	hp_flowtab_destroy(t);
}

Test(flowtab, remove_after_expire_and_reuse)
{
	struct hp_flowtab *t = hp_flowtab_create(4, sizeof(struct key12), 8);
	struct seen s = { .t = t };

	for (uint32_t id = 1; id <= 4; id++)
		put(t, id, id);
	cr_assert_eq(hp_flowtab_expire(t, 100, 97, 10, record, &s), 2); /* ids 1, 2 */
	hp_flowtab_remove(t, get(t, 4));
	cr_assert_eq(hp_flowtab_count(t), 1);
	cr_assert_not_null(get(t, 3));
	for (uint32_t id = 5; id <= 7; id++)
		put(t, id, 200);
	cr_assert_eq(hp_flowtab_count(t), 4);
	/* 3 is oldest, then 5, 6, 7 in insertion order at equal times */
	s.n = 0;
	cr_assert_eq(hp_flowtab_expire(t, 1000, 1, 10, record, &s), 4);
	cr_assert_eq(s.ids[0], 3);
	cr_assert_eq(s.ids[1], 5);
	cr_assert_eq(s.ids[2], 6);
	cr_assert_eq(s.ids[3], 7);
	hp_flowtab_destroy(t);
}

/* A clock step backwards must not break the oldest-first order. */
Test(flowtab, touch_with_earlier_time_keeps_order)
{
	struct hp_flowtab *t = hp_flowtab_create(8, sizeof(struct key12), 8);
	struct seen s = { .t = t };
	void *a = put(t, 1, 1000);

	put(t, 2, 2000);
	hp_flowtab_touch(t, a, 1500);
	cr_assert_eq(hp_flowtab_last_seen(t, a), 2000);
	hp_flowtab_touch(t, a, 1800); /* already youngest: time never goes back */
	cr_assert_eq(hp_flowtab_last_seen(t, a), 2000);
	cr_assert_eq(hp_flowtab_expire(t, 2600, 500, 10, record, &s), 2);
	cr_assert_eq(s.ids[0], 2);
	cr_assert_eq(s.ids[1], 1);
	/* now earlier than last_seen: nothing is idle */
	put(t, 3, 5000);
	cr_assert_eq(hp_flowtab_expire(t, 4000, 0, 10, record, &s), 0);
	hp_flowtab_destroy(t);
}

static void flush(void *value, void *arg)
{
	struct seen *s = arg;

	record(value, arg);
	hp_flowtab_remove((struct hp_flowtab *)(uintptr_t)s->t, value);
}

Test(flowtab, foreach_oldest_first_and_flush)
{
	struct hp_flowtab *t = hp_flowtab_create(32, sizeof(struct key12), 8);
	struct seen s = { .t = t };
	static const uint32_t ids[] = { 7, 3, 9, 1, 12 };

	for (size_t i = 0; i < 5; i++)
		put(t, ids[i], 10 * i);
	hp_flowtab_touch(t, get(t, 3), 100);
	hp_flowtab_foreach(t, record, &s);
	cr_assert_eq(s.n, 5);
	static const uint32_t order[] = { 7, 9, 1, 12, 3 };
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(s.ids[i], order[i]);
	cr_assert_eq(hp_flowtab_count(t), 5);

	s.n = 0;
	hp_flowtab_foreach(t, flush, &s);
	cr_assert_eq(s.n, 5);
	cr_assert_eq(hp_flowtab_count(t), 0);
	for (uint32_t id = 100; id < 132; id++)
		put(t, id, 200);
	cr_assert_eq(hp_flowtab_count(t), 32);
	hp_flowtab_destroy(t);
}

/* Expected values from an independent Python rendering of the algorithm in
 * flowtab.c (little-endian words, int.from_bytes). */
Test(flowtab, hash_known_values)
{
	uint8_t seq[64];

	for (int i = 0; i < 64; i++)
		seq[i] = (uint8_t)i;
	cr_assert_eq(hp_flowtab_hash("", 0, 1), 0x325178d3u);
	cr_assert_eq(hp_flowtab_hash("a", 1, 0), 0x72f3a994u);
	cr_assert_eq(hp_flowtab_hash("abcdefgh", 8, 0), 0xfb600a15u);
	cr_assert_eq(hp_flowtab_hash("abcdefghi", 9, 7), 0x7382fcacu);
	cr_assert_eq(hp_flowtab_hash(seq, 13, 0x12345678), 0x04ddad74u);
	cr_assert_eq(hp_flowtab_hash(seq, 64, 0), 0x88faa94au);
}

Test(flowtab, hash_reads_only_len_bytes_and_uses_all_of_them)
{
	uint8_t buf[80];

	for (size_t len = 0; len < 72; len++) {
		memset(buf, 0x3c, sizeof buf);
		uint32_t h = hp_flowtab_hash(buf, len, 9);

		buf[len] ^= 0xff;
		cr_assert_eq(hp_flowtab_hash(buf, len, 9), h, "len %zu", len);
		buf[len] ^= 0xff;
		for (size_t i = 0; i < len; i++) {
			buf[i] ^= 1;
			cr_assert_neq(hp_flowtab_hash(buf, len, 9), h, "len %zu byte %zu", len, i);
			buf[i] ^= 1;
		}
		cr_assert_neq(hp_flowtab_hash(buf, len, 10), h);
		if (len)
			cr_assert_neq(hp_flowtab_hash(buf, len - 1, 9), h);
	}
}

/* What a random per-start seed buys (media's cfg.hash_seed): keys picked to
 * share home buckets under one seed (here: the top 8 bits of the hash, which
 * choose the bucket) are scattered under another, so a flood crafted against
 * one run's seed builds no chain in the next. */
Test(flowtab, keys_crowded_under_one_seed_spread_under_another)
{
	struct {
		uint32_t ssrc, n;
		uint8_t addr[8];
	} k = { 0, 0, { 10, 0, 0, 1, 10, 0, 0, 2 } };
	uint32_t crowd[32];
	unsigned found = 0, still = 0;

	for (uint32_t ssrc = 0; found < sizeof(crowd) / sizeof(crowd[0]); ssrc++) {
		k.ssrc = ssrc;
		if (hp_flowtab_hash(&k, sizeof k, 0x5eed0001u) >> 24 == 0)
			crowd[found++] = ssrc;
		cr_assert_lt(ssrc, 1u << 20);
	}
	for (unsigned i = 0; i < found; i++) {
		k.ssrc = crowd[i];
		still += hp_flowtab_hash(&k, sizeof k, 0x5eed0002u) >> 24 == 0;
	}
	/* 1/256 of them would stay by chance: 0.125 expected. */
	cr_assert_leq(still, 2, "%u of %u keys still share the top byte", still, found);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*, fixed seed: reproducible runs */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Sequential 12-byte keys must spread over home buckets (high bits) and
 * signatures (low 16 bits) like random numbers: chi-square over 1024 bins
 * has mean 1023 and standard deviation ~45; a flipped input bit must change
 * about half of the 32 output bits. */
Test(flowtab, hash_distribution_and_avalanche)
{
	static uint32_t hi[1024], lo[1024];
	const uint32_t n = 1024 * 100;

	for (uint32_t i = 0; i < n; i++) {
		struct key12 k = { i, 0x0a000001, 5060 };
		uint32_t h = hp_flowtab_hash(&k, sizeof k, 0);

		hi[h >> 22]++;
		lo[h & 1023]++;
	}
	double chi_hi = 0, chi_lo = 0;
	for (int b = 0; b < 1024; b++) {
		chi_hi += (hi[b] - 100.0) * (hi[b] - 100.0) / 100.0;
		chi_lo += (lo[b] - 100.0) * (lo[b] - 100.0) / 100.0;
	}
	cr_assert_lt(chi_hi, 1300.0, "chi2 high bits %f", chi_hi);
	cr_assert_lt(chi_lo, 1300.0, "chi2 low bits %f", chi_lo);

	rng_state = 0x1234567;
	uint64_t flips = 0, trials = 0;
	for (int r = 0; r < 1000; r++) {
		uint8_t key[12];

		for (int i = 0; i < 12; i++)
			key[i] = (uint8_t)rng();
		uint32_t h = hp_flowtab_hash(key, sizeof key, 0);
		for (int bit = 0; bit < 96; bit++) {
			key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			flips += (uint64_t)__builtin_popcount(h ^ hp_flowtab_hash(key, sizeof key, 0));
			trials++;
			key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	double avg = (double)flips / (double)trials;
	cr_assert(avg > 15.5 && avg < 16.5, "avalanche %f bits of 32", avg);
}

/* ---- randomized model test ---- */

#define M_CAP 700u
#define M_IDS 2000u
#define M_VAL 40u

struct ref_entry {
	bool live;
	uint64_t last_seen;
	uint64_t stamp; /* order of last insert/touch: the LRU order */
	void *value;
};

static struct ref_entry ref[M_IDS];
static uint32_t ref_count;
static uint64_t ref_stamp;

/* A quarter of the ids share a handful of weak hashes (same home bucket and
 * signature), the rest use the real hash. */
static uint32_t model_hash(uint32_t id)
{
	struct key12 k = k12(id);

	if (id % 4 == 0)
		return (id % 7) << 29 | 0x1234;
	return hp_flowtab_hash(&k, sizeof k, 42);
}

static void fill_value(uint8_t *v, uint32_t id, uint32_t gen)
{
	for (uint32_t i = 0; i < M_VAL; i++)
		v[i] = (uint8_t)(id * 31 + gen * 7 + i);
}

static uint32_t value_gen[M_IDS];

static void check_value(const uint8_t *v, uint32_t id)
{
	for (uint32_t i = 0; i < M_VAL; i++)
		cr_assert_eq(v[i], (uint8_t)(id * 31 + value_gen[id] * 7 + i), "id %u byte %u", id, i);
}

static void ref_touch(uint32_t id, uint64_t now)
{
	ref[id].last_seen = now;
	ref[id].stamp = ++ref_stamp;
}

struct expire_log {
	const struct hp_flowtab *t;
	uint32_t ids[M_CAP];
	uint32_t n;
};

static void log_id(void *value, void *arg)
{
	struct expire_log *l = arg;
	const struct key12 *k = hp_flowtab_key(l->t, value);

	cr_assert_lt(l->n, M_CAP);
	l->ids[l->n++] = k->a;
}

static uint32_t model_expire(struct hp_flowtab *t, uint64_t now, uint64_t idle, uint32_t max)
{
	static struct expire_log got;
	uint32_t want[M_CAP], nwant = 0;

	/* reference: repeatedly take the least recently touched live entry */
	while (nwant < max) {
		int64_t best = -1;

		for (uint32_t id = 0; id < M_IDS; id++)
			if (ref[id].live && (best < 0 || ref[id].stamp < ref[best].stamp))
				best = id;
		if (best < 0 || now - ref[best].last_seen <= idle)
			break;
		want[nwant++] = (uint32_t)best;
		ref[best].live = false;
		ref_count--;
	}
	got.t = t;
	got.n = 0;
	cr_assert_eq(hp_flowtab_expire(t, now, idle, max, log_id, &got), nwant);
	cr_assert_eq(got.n, nwant);
	for (uint32_t i = 0; i < nwant; i++)
		cr_assert_eq(got.ids[i], want[i], "expired #%u", i);
	return nwant;
}

static void model_check_all(struct hp_flowtab *t)
{
	static struct expire_log order;
	uint64_t last = 0;

	cr_assert_eq(hp_flowtab_count(t), ref_count);
	for (uint32_t id = 0; id < M_IDS; id++) {
		struct key12 k = k12(id);
		void *v = hp_flowtab_lookup(t, &k, model_hash(id));

		cr_assert_eq(v, ref[id].live ? ref[id].value : NULL, "id %u", id);
	}
	order.t = t;
	order.n = 0;
	hp_flowtab_foreach(t, log_id, &order);
	cr_assert_eq(order.n, ref_count);
	for (uint32_t i = 0; i < order.n; i++) {
		cr_assert(ref[order.ids[i]].live);
		cr_assert_gt(ref[order.ids[i]].stamp, last, "foreach is oldest first");
		last = ref[order.ids[i]].stamp;
	}
}

Test(flowtab, randomized_against_reference)
{
	struct hp_flowtab *t = hp_flowtab_create(M_CAP, sizeof(struct key12), M_VAL);
	uint64_t now = 1000000;
	uint32_t full_drops = 0, expired_calls = 0, expired_entries = 0;

	memset(ref, 0, sizeof ref);
	ref_count = 0;
	ref_stamp = 0;
	rng_state = 0x9e3779b97f4a7c15ULL;

	for (uint32_t op = 0; op < 100000; op++) {
		uint32_t id = (uint32_t)(rng() % M_IDS);
		uint32_t dice = (uint32_t)(rng() % 100);
		struct key12 k = k12(id);
		uint32_t h = model_hash(id);
		bool created;
		uint8_t *v;

		now += rng() % 40;
		if (dice < 40) {
			v = hp_flowtab_insert(t, &k, h, now, &created);
			if (ref[id].live) {
				cr_assert_eq(v, ref[id].value);
				cr_assert_not(created);
				check_value(v, id);
				ref_touch(id, now);
			} else if (ref_count == M_CAP) {
				cr_assert_null(v);
				cr_assert_not(created);
				full_drops++;
			} else {
				cr_assert_not_null(v);
				cr_assert(created);
				cr_assert(all_zero(v, M_VAL));
				value_gen[id]++;
				fill_value(v, id, value_gen[id]);
				ref[id].live = true;
				ref[id].value = v;
				ref_count++;
				ref_touch(id, now);
			}
		} else if (dice < 66) {
			v = hp_flowtab_lookup(t, &k, h);
			cr_assert_eq(v, ref[id].live ? ref[id].value : NULL);
			if (v)
				check_value(v, id);
		} else if (dice < 78) {
			if (ref[id].live) {
				hp_flowtab_touch(t, ref[id].value, now);
				ref_touch(id, now);
			}
		} else if (dice < 99) {
			if (ref[id].live) {
				hp_flowtab_remove(t, ref[id].value);
				ref[id].live = false;
				ref_count--;
			}
		} else {
			expired_entries += model_expire(t, now, 2000 + rng() % 30000, (uint32_t)(rng() % 16));
			expired_calls++;
		}
		cr_assert_eq(hp_flowtab_count(t), ref_count, "op %u", op);
		if (op % 5000 == 0)
			model_check_all(t);
	}
	model_check_all(t);
	/* the run must have exercised the full-table and expiry paths */
	cr_assert_gt(full_drops, 100, "full drops %u", full_drops);
	cr_assert_gt(expired_calls, 500);
	cr_assert_gt(expired_entries, 2000, "expired %u", expired_entries);
	hp_flowtab_destroy(t);
}

/* With a granularity, a touch inside it leaves the entry where it is in the
 * LRU list, and its true last_seen still decides whether it is idle. */
Test(flowtab, granularity_defers_moves)
{
	struct hp_flowtab *t = hp_flowtab_create(16, sizeof(struct key12), 8);
	struct seen s = { .t = t };

	hp_flowtab_set_granularity(t, 100);
	put(t, 1, 1000);
	put(t, 2, 1010);
	put(t, 3, 1020);
	hp_flowtab_touch(t, get(t, 1), 1090); /* 90 < 100 since its move: stays oldest */
	cr_assert_eq(hp_flowtab_last_seen(t, get(t, 1)), 1090);
	hp_flowtab_foreach(t, record, &s);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.ids[0], 1);
	cr_assert_eq(s.ids[1], 2);
	cr_assert_eq(s.ids[2], 3);

	/* At 1580 with idle 500: 2 and 3 are idle, 1 (seen at 1090) is not, and
	 * at the head it holds them back, for less than the granularity. */
	s.n = 0;
	cr_assert_eq(hp_flowtab_expire(t, 1580, 500, 10, record, &s), 0);
	cr_assert_eq(hp_flowtab_expire(t, 1590, 500, 10, record, &s), 0);
	/* 1 turns idle after 1590 (500 after 1090): then all three go, 1 first. */
	cr_assert_eq(hp_flowtab_expire(t, 1591, 500, 10, record, &s), 3);
	cr_assert_eq(s.ids[0], 1);
	cr_assert_eq(s.ids[1], 2);
	cr_assert_eq(s.ids[2], 3);

	/* A touch 100 or more after the last move moves the entry. */
	put(t, 4, 2000);
	put(t, 5, 2010);
	hp_flowtab_touch(t, get(t, 4), 2050);
	hp_flowtab_touch(t, get(t, 4), 2100);
	s.n = 0;
	hp_flowtab_foreach(t, record, &s);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.ids[0], 5);
	cr_assert_eq(s.ids[1], 4);
	hp_flowtab_destroy(t);
}

struct lateness {
	const struct hp_flowtab *t;
	uint64_t now, idle;
	uint32_t n;
};

static void check_idle(void *value, void *arg)
{
	struct lateness *l = arg;
	uint64_t seen = hp_flowtab_last_seen(l->t, value);

	cr_assert_gt(l->now - seen, l->idle, "expired early: seen %lu now %lu", (unsigned long)seen,
		     (unsigned long)l->now);
	l->n++;
}

/* Random touches and expiry passes with granularity G: nothing expires early,
 * and after a pass with no budget limit, no entry is idle by G or more. */
Test(flowtab, granularity_bounds_lateness)
{
	enum { CAP = 300, IDS = 400, G = 700, IDLE = 2000 };
	struct hp_flowtab *t = hp_flowtab_create(CAP, sizeof(struct key12), 8);
	static uint64_t seen[IDS];
	static bool live[IDS];
	uint64_t now = 50000;
	uint32_t expired = 0, late = 0;

	hp_flowtab_set_granularity(t, G);
	rng_state = 12345;
	memset(live, 0, sizeof live);
	for (uint32_t op = 0; op < 60000; op++) {
		uint32_t id = (uint32_t)(rng() % IDS);
		struct key12 k = k12(id);
		uint32_t h = hp_flowtab_hash(&k, sizeof k, 5);

		now += rng() % 20;
		/* The prefetch hints read the bucket and entry of any hash,
		 * present or not, and change nothing. */
		hp_flowtab_prefetch(t, h);
		hp_flowtab_prefetch_entry(t, h);
		hp_flowtab_prefetch_lru(t, h, now);
		if (rng() % 3 == 0) {
			bool created;
			void *v = hp_flowtab_insert(t, &k, h, now, &created);

			if (v != NULL) {
				cr_assert_eq(created, !live[id]);
				live[id] = true;
				seen[id] = now;
			}
		} else if (live[id]) {
			void *v = hp_flowtab_lookup(t, &k, h);

			cr_assert_not_null(v, "id %u", id);
			hp_flowtab_touch(t, v, now);
			seen[id] = now;
		}
		if (op % 50 == 0) {
			struct lateness l = { t, now, IDLE, 0 };

			hp_flowtab_expire(t, now, IDLE, UINT32_MAX, check_idle, &l);
			expired += l.n;
			for (uint32_t i = 0; i < IDS; i++) {
				struct key12 ki = k12(i);
				void *v = hp_flowtab_lookup(t, &ki, hp_flowtab_hash(&ki, sizeof ki, 5));

				if (live[i] && v == NULL) {
					live[i] = false;
					continue;
				}
				cr_assert_eq(v != NULL, live[i], "id %u", i);
				if (v == NULL)
					continue;
				cr_assert_eq(hp_flowtab_last_seen(t, v), seen[i]);
				cr_assert_lt(now - seen[i], IDLE + G, "id %u idle %lu", i,
					     (unsigned long)(now - seen[i]));
				late += now - seen[i] > IDLE;
			}
		}
	}
	/* both paths ran: expiries, and entries held back behind a young head */
	cr_assert_gt(expired, 1000, "expired %u", expired);
	cr_assert_gt(late, 10, "late %u", late);
	hp_flowtab_destroy(t);
}
