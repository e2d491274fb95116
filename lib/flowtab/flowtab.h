/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixed-capacity hash tables with idle expiry, for RTP streams, SDP media
 * endpoints and SIP dialogs. One table per worker lcore: no locking, and no
 * allocation after hp_flowtab_create().
 *
 * Layout
 *   buckets  nb = ceil(capacity / 6) cache lines, each holding 8 slots of
 *            (16-bit signature, 32-bit entry index), a used-slot mask and an
 *            overflow count. Buckets are probed linearly from the home bucket;
 *            a bucket's overflow count is the number of live entries whose
 *            probe went past it, so a lookup stops at the first bucket with a
 *            zero count (no tombstones, no rehash). At full capacity at most
 *            6 of 8 slots per bucket are used on average, which keeps probes
 *            short (load <= 75%).
 *   entries  capacity fixed-stride records: 32 bytes of metadata (hash, slot,
 *            LRU links, last-seen time), then the key, then the value.
 *            A value pointer is stable from insert to remove.
 *
 * Memory (hp_flowtab_memory() returns exactly this, one allocation):
 *   stride = 32 + round_up(key_size, 16) + round_up(value_size, 16)
 *   nb     = ceil(capacity / 6)
 *   bytes  = round_up(HP_FLOWTAB_FIXED_BYTES + 64 * nb + stride * capacity, 64)
 * so per entry: 32 (metadata: index + LRU + time) + ~10.7 (bucket share)
 * + key and value rounded up to 16. E.g. a 1000-byte RTP stream value with a
 * 40-byte key costs 32 + 48 + 1008 + 10.7 ~ 1099 bytes.
 *
 * Time is a caller-supplied microsecond clock that should not go backwards;
 * if it does, a touch keeps the entry's old (later) time, so the LRU list stays
 * ordered and expiry stays oldest-first.
 *
 * Expiry is exact by default: every touch moves the entry to the young end of
 * the LRU list. hp_flowtab_set_granularity() trades that for fewer writes: an
 * entry moves only when its time has advanced by the granularity since its
 * last move, and an idle entry may expire up to that much late (never early).
 *
 * The caller supplies the hash (hp_flowtab_hash() or its own well-mixed
 * 32-bit hash; the same key must always come with the same hash). Both halves
 * are used: the high bits pick the home bucket, the low 16 bits are the
 * in-bucket signature. */
#ifndef HP_FLOWTAB_H
#define HP_FLOWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_FLOWTAB_MAX_KEY 64u
#define HP_FLOWTAB_MAX_CAPACITY (1u << 28)
/* Bytes reserved for the table header in the single allocation. */
#define HP_FLOWTAB_FIXED_BYTES 128u
/* Entry metadata bytes (see the memory formula above). */
#define HP_FLOWTAB_META_BYTES 32u
/* Slots used per bucket at full capacity (of 8): the memory/probe trade-off. */
#define HP_FLOWTAB_FILL_PER_BUCKET 6u

struct hp_flowtab;

/* Cold path. capacity in 1..HP_FLOWTAB_MAX_CAPACITY, key_size in
 * 1..HP_FLOWTAB_MAX_KEY, value_size < 2^20. Every entry is written once here
 * so that the memory is committed at start-up rather than page-faulted in on
 * the packet path. Returns NULL on bad arguments or allocation failure. */
struct hp_flowtab *hp_flowtab_create(uint32_t capacity, uint32_t key_size, uint32_t value_size);
void hp_flowtab_destroy(struct hp_flowtab *tab);
/* Total bytes allocated by hp_flowtab_create() (formula above). */
size_t hp_flowtab_memory(const struct hp_flowtab *tab);

/* Hot path below: no allocation, no system calls. */

/* Start loading the home bucket of hash: a worker that hashes a whole burst
 * first and prefetches each hash hides most of one cache miss per lookup. */
void hp_flowtab_prefetch(const struct hp_flowtab *tab, uint32_t hash);
/* Once that bucket is in cache: start loading the entry whose signature
 * matches hash (metadata, key and value), if there is one. */
void hp_flowtab_prefetch_entry(const struct hp_flowtab *tab, uint32_t hash);
/* Once that entry is in cache: if a touch at now_us would move it in the LRU
 * list, start loading the two neighbours the move writes. */
void hp_flowtab_prefetch_lru(const struct hp_flowtab *tab, uint32_t hash, uint64_t now_us);

/* The value for key, or NULL. Does not refresh the entry's time. */
void *hp_flowtab_lookup(struct hp_flowtab *tab, const void *key, uint32_t hash);

/* The value for key, creating a zeroed one if absent; either way the entry is
 * touched at now_us. *created says which. Returns NULL (and *created = false)
 * when the table holds capacity entries: the caller counts a table-full drop;
 * a live entry is never evicted to make room. */
void *hp_flowtab_insert(struct hp_flowtab *tab, const void *key, uint32_t hash, uint64_t now_us,
			bool *created);

/* Mark the entry of value as seen at now_us (moves it to the young end, at
 * most once per granularity). */
void hp_flowtab_touch(struct hp_flowtab *tab, void *value, uint64_t now_us);

/* Remove the entry of value; value must come from this table and be live. */
void hp_flowtab_remove(struct hp_flowtab *tab, void *value);

/* Cold path, before the first insert: expiry may run up to us late in
 * exchange for a touch that mostly writes only its own entry (default 0:
 * exact). us must be below the idle times given to hp_flowtab_expire(). */
void hp_flowtab_set_granularity(struct hp_flowtab *tab, uint32_t us);

/* Remove up to max entries with now_us - last_seen > idle_us, oldest first,
 * calling cb(value, arg) (if cb is not NULL) just before each removal. cb must
 * not insert into or remove from tab. O(1) per expired entry plus one check.
 * Returns the number removed. */
uint32_t hp_flowtab_expire(struct hp_flowtab *tab, uint64_t now_us, uint64_t idle_us, uint32_t max,
			   void (*cb)(void *value, void *arg), void *arg);

uint32_t hp_flowtab_count(const struct hp_flowtab *tab);
uint32_t hp_flowtab_capacity(const struct hp_flowtab *tab);

/* The key stored with value (key_size bytes), e.g. for an expiry callback. */
const void *hp_flowtab_key(const struct hp_flowtab *tab, const void *value);
/* The time value was last inserted or touched at. */
uint64_t hp_flowtab_last_seen(const struct hp_flowtab *tab, const void *value);

/* Cold path: call cb(value, arg) for every entry, oldest first. cb may remove
 * the entry it is given (e.g. to flush everything at the end of a run), but
 * no other entry, and must not insert. */
void hp_flowtab_foreach(struct hp_flowtab *tab, void (*cb)(void *value, void *arg), void *arg);

/* A fast 32-bit hash of len bytes for the tables above: 8-byte words through a
 * multiply-rotate round, then a 64-bit finaliser folded to 32 bits. The
 * value depends on host byte order; it is for in-memory tables only. */
uint32_t hp_flowtab_hash(const void *key, size_t len, uint32_t seed);

#endif
