/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5, RFC 5722) fragment
 * reassembly, one table per worker: no locking, no allocation after
 * hp_ipfrag_create().
 *
 * A datagram in reassembly is keyed by (version, src, dst, id, protocol) for
 * IPv4 and by (version, src, dst, id) for IPv6: RFC 8200 §4.5 lets the Next
 * Header of the Fragment headers of one packet differ and uses the one of the
 * offset-0 fragment, so it cannot be part of the key. The key is hashed with
 * hp_flowtab_hash() and the caller's seed (random per start, so that remote
 * senders cannot aim fragments at one bucket).
 *
 * Rules, each failure its own reason and counter:
 *   - fragments may arrive in any order; an exact duplicate (same offset and
 *     length, whatever its M flag once the end checks below pass) is ignored
 *     and the first copy kept (duplicate);
 *   - any other overlap gives up the whole datagram (overlap): RFC 5722 for
 *     IPv6, and Linux has dropped overlapping IPv4 fragments since 4.19
 *     (2018); we report what the receiving host delivers;
 *   - a non-last fragment whose length is not a multiple of 8 octets (RFC 8200
 *     §4.5), an offset not a multiple of 8, or an empty non-last fragment, is
 *     discarded alone (bad_length); so is one whose header makes no sense
 *     (hdr_len below the fixed header, an IPv4 IHL or a version nibble
 *     disagreeing with hdr_len or version, nh_off outside the header, a
 *     version other than 4 or 6), since the header is copied out as is;
 *   - a last fragment (M = 0) whose end differs from a known end, or data past
 *     a known end, gives up the datagram (bad_end);
 *   - data past the reassembled size limit (max_size, and what the 16-bit
 *     length field can say: 65535 total for IPv4, 65535 payload for IPv6)
 *     gives up the datagram (too_big); so does an offset-0 fragment whose
 *     header is longer than HP_IPFRAG_MAX_HDR;
 *   - more than max_fragments distinct fragments give it up (too_many);
 *   - a fragment cut by the capture's snap length can never be completed: it
 *     gives up its datagram (truncated);
 *   - no free datagram slot, or no free data block, gives up the fragment
 *     (table_full); a datagram that has lost a fragment that way is given up.
 * A datagram given up stays in the table, holding no data, until its timeout:
 * its later fragments are counted as dropped rather than starting a new
 * datagram that could never complete.
 *
 * Timeout: RFC 8200 §4.5 abandons reassembly a fixed time after the first
 * fragment arrived (Linux does the same for IPv4), so a datagram's clock is
 * never refreshed by later fragments. The clock is the caller's, in µs
 * (capture time); hp_ipfrag_add() also expires up to two old datagrams on
 * every call and a datagram found past its timeout is dropped before the
 * fragment starts a new one, so expiry is exact without hp_ipfrag_expire()
 * (which a worker calls when idle to free memory early).
 *
 * Output: an unfragmented datagram a normal IP decoder accepts. IPv4: the
 * header (with options) of the offset-0 fragment, flags and fragment offset
 * cleared, total length set, header checksum recomputed. IPv6: the
 * unfragmentable part of the offset-0 fragment without the Fragment header,
 * the Next Header byte at nh_off set to the offset-0 fragment's next header,
 * payload length set. Then the data.
 *
 * Memory (hp_ipfrag_memory() returns exactly this):
 *   blocks    = ceil(pool_bytes / HP_IPFRAG_BLOCK), pool_bytes 0 meaning
 *               max_datagrams * HP_IPFRAG_POOL_PER_DATAGRAM, at least the
 *               blocks of one max_size datagram
 *   slots     = ceil(max_size / HP_IPFRAG_BLOCK)   (block indices per datagram)
 *   value     = HP_IPFRAG_META_BYTES + HP_IPFRAG_MAX_HDR + 8 * max_fragments
 *               + 4 * slots
 *   bytes     = sizeof(struct hp_ipfrag) + hp_flowtab_memory(max_datagrams,
 *               40-byte key, value) + HP_IPFRAG_BLOCK * blocks + 4 * blocks
 *               + max_size
 * Defaults: value = 32 + 256 + 512 + 260 = 1060 bytes, flowtab 1190720
 * bytes, pool 4 MiB + 16 KiB of free list, 65575-byte output buffer:
 * 5467151 bytes (5.2 MiB) per worker. Data is stored in fixed 1 KiB blocks at their datagram offset, so a
 * datagram costs blocks in proportion to its size, not to max_size. */
#ifndef HP_IPFRAG_H
#define HP_IPFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"

/* Largest datagram either version can describe: IPv6 payload 65535 plus the
 * fixed header. */
#define HP_IPFRAG_MAX_SIZE (65535u + 40u)
/* Longest unfragmentable part kept from an offset-0 fragment: the 60-byte
 * IPv4 maximum, or an IPv6 header with 216 bytes of extension headers. */
#define HP_IPFRAG_MAX_HDR 256u
/* Data is stored in blocks of this many bytes (a multiple of 8, so the
 * 8-octet fragment grid never straddles more blocks than it must). */
#define HP_IPFRAG_BLOCK 1024u
/* Default pool share per datagram slot: a fragmented SIP message is a few
 * kilobytes. */
#define HP_IPFRAG_POOL_PER_DATAGRAM 4096u
/* Upper bound on max_fragments: 8-octet units of a maximal datagram. */
#define HP_IPFRAG_MAX_FRAGMENTS 8192u
/* Per-datagram metadata bytes before its header copy (memory formula). */
#define HP_IPFRAG_META_BYTES 32u

struct hp_ipfrag_cfg {
	uint32_t max_datagrams;  /* datagrams in reassembly at once */
	uint32_t max_fragments;  /* distinct fragments per datagram */
	uint32_t max_size;       /* reassembled datagram, header included */
	uint64_t timeout_us;     /* from a datagram's first fragment */
	uint32_t pool_bytes;     /* data held by all datagrams; 0: derived (above) */
};

/* 1024, 64, 65535 + 40, 30 s, pool 0 (derived: 4 MiB for 1024 datagrams). */
void hp_ipfrag_cfg_defaults(struct hp_ipfrag_cfg *c);

struct hp_ipfrag_in {
	uint8_t version;        /* 4 or 6 */
	uint8_t proto;          /* IPv4 protocol / IPv6 next header after the Fragment header */
	const uint8_t *src, *dst;  /* 4 or 16 bytes */
	uint32_t id;            /* IPv4 identification (16 bits) or IPv6 fragment id */
	uint32_t offset;        /* in bytes */
	bool more;              /* MF / M */
	const uint8_t *hdr;     /* this fragment's IP header */
	uint32_t hdr_len;       /* unfragmentable part: IPv4 header with options; IPv6 header + ext headers before the Fragment header */
	uint32_t nh_off;        /* IPv6: offset within hdr of the Next Header byte that names the Fragment header (6 if it follows the fixed header) */
	const uint8_t *data;    /* fragment data */
	uint32_t data_len;      /* bytes of data present */
	bool truncated;         /* the frame holds fewer bytes than the IP header declares */
};

struct hp_ipfrag_out {
	const uint8_t *p;
	uint32_t len;
};   /* valid until the next hp_ipfrag_* call */

/* Fragments (or, for reassembled and timeout, datagrams) per outcome.
 * reassembled: datagrams completed (the completing fragment is not in held);
 * held: fragments kept for a datagram; timeout: datagrams abandoned
 * incomplete; dropped: fragments of a datagram already given up; the others
 * count fragments refused for their reason. */
struct hp_ipfrag_stats {
	uint64_t reassembled, held, duplicate, overlap, too_many_fragments, too_big, bad_length,
		truncated, table_full, timeout;
	uint64_t bad_end, dropped;
};

struct hp_ipfrag;

/* Cold: allocates and writes all of its memory. NULL on failure or on a
 * configuration out of range: max_datagrams 1..2^28, max_fragments
 * 1..HP_IPFRAG_MAX_FRAGMENTS, max_size 68..HP_IPFRAG_MAX_SIZE (68: the IPv4
 * minimum MTU, RFC 791 §3.2), timeout_us > 0. */
struct hp_ipfrag *hp_ipfrag_create(const struct hp_ipfrag_cfg *c, uint32_t seed);
void hp_ipfrag_destroy(struct hp_ipfrag *t);
size_t hp_ipfrag_memory(const struct hp_ipfrag *t);

/* HP_R_OK: *out is the whole datagram (this fragment completed it).
 * HP_R_IPFRAG_HELD: kept, waiting for more. Otherwise the reason this
 * fragment was not used (HP_R_IPFRAG_DUPLICATE, _OVERLAP, _TOO_MANY, _TOO_BIG,
 * _BAD_LENGTH, _BAD_END, _TRUNCATED, _TABLE_FULL, _DROPPED). Hot path: no
 * allocation, no syscalls. */
int hp_ipfrag_add(struct hp_ipfrag *t, const struct hp_ipfrag_in *f, uint64_t now_us,
		  struct hp_ipfrag_out *out);

/* Drop datagrams whose first fragment is older than the timeout; returns how
 * many incomplete datagrams that abandoned (counted as timeout). Entries of
 * datagrams already given up leave silently: they were counted then. */
uint32_t hp_ipfrag_expire(struct hp_ipfrag *t, uint64_t now_us);

const struct hp_ipfrag_stats *hp_ipfrag_stats(const struct hp_ipfrag *t);

/* Datagrams in the table (in reassembly or given up and not yet timed out). */
uint32_t hp_ipfrag_count(const struct hp_ipfrag *t);

#endif
