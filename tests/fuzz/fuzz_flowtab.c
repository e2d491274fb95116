/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lib/flowtab. Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     tests/fuzz/fuzz_flowtab.c lib/flowtab/flowtab.c -o fuzz_flowtab
 * The input is a program of table operations on a small table (13 entries,
 * 3 buckets) with hashes chosen to collide; every result is checked against
 * a linearly scanned reference, so the fuzzer hunts for probe-chain and
 * LRU bookkeeping errors rather than only crashes. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab/flowtab.h"

#define CAP 13u
#define IDS 32u

struct ref {
	bool live;
	uint64_t last_seen;
	uint64_t stamp;
	uint32_t *value;
};

/* Eight hashes that share home buckets and signatures, so chains cross
 * buckets and wrap around. */
static uint32_t id_hash(uint32_t id)
{
	static const uint32_t h[8] = { 0x00000001, 0x00000001, 0x00010001, 0x55550001,
				       0xaaaa0001, 0xffff0001, 0xfffffffe, 0x80000000 };

	return h[id % 8] ^ (id / 8 % 2 ? 0x100 : 0);
}

struct log {
	uint32_t ids[CAP];
	uint32_t n;
};

static void log_id(void *value, void *arg)
{
	struct log *l = arg;

	if (l->n == CAP)
		abort();
	l->ids[l->n++] = *(uint32_t *)value;
}

static void expire(struct hp_flowtab *t, struct ref *ref, uint32_t *count, uint64_t now,
		   uint64_t idle, uint32_t max)
{
	struct log got = { .n = 0 };
	uint32_t want = 0;

	if (hp_flowtab_expire(t, now, idle, max, log_id, &got) != got.n)
		abort();
	while (want < max) {
		int best = -1;

		for (uint32_t id = 0; id < IDS; id++)
			if (ref[id].live && (best < 0 || ref[id].stamp < ref[best].stamp))
				best = (int)id;
		if (best < 0 || now - ref[best].last_seen <= idle)
			break;
		if (want >= got.n || got.ids[want] != (uint32_t)best)
			abort();
		ref[best].live = false;
		(*count)--;
		want++;
	}
	if (want != got.n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_flowtab *t = hp_flowtab_create(CAP, sizeof(uint32_t), sizeof(uint32_t));
	struct ref ref[IDS];
	uint64_t now = 1, stamp = 0;
	uint32_t count = 0;

	if (t == NULL)
		abort();
	memset(ref, 0, sizeof ref);
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint32_t id = data[i] % IDS, op = data[i] / IDS % 4, h = id_hash(id);
		bool created;
		uint32_t *v;

		now += data[i + 1] % 16;
		/* Hints only: under the sanitizers, they must read nothing outside
		 * the table whatever state it is in. */
		hp_flowtab_prefetch(t, h);
		hp_flowtab_prefetch_entry(t, h);
		hp_flowtab_prefetch_lru(t, h, now);
		switch (op) {
		case 0:
			v = hp_flowtab_insert(t, &id, h, now, &created);
			if (ref[id].live) {
				if (v != ref[id].value || created || *v != id)
					abort();
			} else if (count == CAP) {
				if (v != NULL || created)
					abort();
				break;
			} else {
				if (v == NULL || !created || *v != 0)
					abort();
				*v = id;
				ref[id].live = true;
				ref[id].value = v;
				count++;
			}
			ref[id].last_seen = now;
			ref[id].stamp = ++stamp;
			break;
		case 1:
			if (hp_flowtab_lookup(t, &id, h) != (ref[id].live ? ref[id].value : NULL))
				abort();
			break;
		case 2:
			if (ref[id].live) {
				hp_flowtab_remove(t, ref[id].value);
				ref[id].live = false;
				count--;
			}
			break;
		default:
			expire(t, ref, &count, now, data[i + 1] / 16 * 4, data[i] % 5);
			break;
		}
		if (hp_flowtab_count(t) != count)
			abort();
	}
	hp_flowtab_destroy(t);
	return 0;
}
