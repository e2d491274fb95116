/* SPDX-License-Identifier: BSD-3-Clause */
/* SCTP chunk walk (RFC 9260 §3.2), DATA / I-DATA user messages (RFC 9260
 * §3.3.1, §6.9; RFC 8260 §2.1), their reassembly and duplicate suppression.
 *
 * Two flowtabs, both fixed at create time:
 *   assocs  one entry per association direction (addresses, ports,
 *           verification tag): a bitmap of the TSNs delivered in the last
 *           HP_SCTP_TSN_WINDOW below the highest one. The verification tag is
 *           the receiver's (RFC 9260 §8.5), so it also tells the directions
 *           of one association apart.
 *   reasm   one entry per message being reassembled: the fragments' headers
 *           sorted by sequence and their bytes in arrival order. DATA
 *           fragments are keyed by stream and put in TSN order: a message's
 *           fragments take consecutive TSNs (RFC 9260 §6.9), so one entry may
 *           briefly hold the tail of one message and the head of the next
 *           when packets are reordered. I-DATA fragments are keyed by stream,
 *           U flag and MID and ordered by FSN (RFC 8260 §2.1). */
#include <stdbool.h>
#include <stdlib.h>

#include "flowtab/flowtab.h"
#include "sctp/sctp_int.h"

/* RFC 9260 §3.2 chunk types carrying user data */
#define CHUNK_DATA 0
#define CHUNK_IDATA 64
/* DATA / I-DATA chunk flags (RFC 9260 §3.3.1, RFC 8260 §2.1) */
#define FLAG_E 0x01
#define FLAG_B 0x02
#define FLAG_U 0x04
#define DATA_HDR 16u
#define IDATA_HDR 20u

#define SEED_ASSOC 0x5c7a550cu
#define SEED_REASM 0x5c7a4e55u

struct assoc_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport, dport;
	uint32_t vtag;
	uint8_t version;
	uint8_t pad[3];
};

struct reasm_key {
	struct assoc_key a;
	uint32_t mid;       /* I-DATA only */
	uint16_t stream;
	uint8_t idata;
	uint8_t unordered;  /* I-DATA only: ordered and unordered MIDs are separate spaces */
};

#define WIN_WORDS (HP_SCTP_TSN_WINDOW / 32)

/* bit d of bits set: TSN top - d was delivered */
struct assoc_win {
	uint32_t top;
	uint32_t valid;
	uint32_t bits[WIN_WORDS];
};

struct piece {
	uint32_t seq;   /* TSN (DATA) or FSN (I-DATA) */
	uint32_t tsn;
	uint32_t ppid;
	uint32_t off;   /* of its bytes in the entry's data */
	uint32_t len;
	uint16_t ssn;
	uint8_t flags;
};

struct reasm {
	uint32_t n;         /* pieces held */
	uint32_t bytes;     /* data used */
	uint32_t discarding; /* dropped for size: swallow the rest up to E */
	struct piece pc[];  /* max_pieces, then max_msg_size bytes of data */
};

struct hp_sctp {
	struct hp_sctp_cfg cfg;
	uint32_t seed;
	size_t reasm_size;      /* flowtab value bytes of a struct reasm */
	struct hp_flowtab *assocs;
	struct hp_flowtab *reasm;
	uint8_t *scratch;       /* max_msg_size: a reassembled message in order */
	struct hp_sctp_stats st;
};

/* One chunk of user data, with the fields both chunk types share. */
struct data_chunk {
	uint32_t tsn;
	uint32_t seq;
	uint32_t ppid;
	uint32_t mid;
	uint16_t stream;
	uint16_t ssn;
	uint8_t flags;
	uint8_t idata;
	const uint8_t *user;
	uint32_t len;
};

/* Per-packet outcome of the chunks that delivered nothing, least to most
 * telling; the frame reports the highest it reached. */
enum outcome { O_NONE, O_CONTROL, O_DUPLICATE, O_HELD, O_TOO_BIG, O_TABLE_FULL, O_MALFORMED,
	       O_TRUNCATED };

static const int outcome_reason[] = {
	[O_NONE] = HP_R_SCTP_MALFORMED,
	[O_CONTROL] = HP_R_SCTP_CONTROL,
	[O_DUPLICATE] = HP_R_SCTP_DUPLICATE,
	[O_HELD] = HP_R_SCTP_HELD,
	[O_TOO_BIG] = HP_R_SCTP_TOO_BIG,
	[O_TABLE_FULL] = HP_R_SCTP_TABLE_FULL,
	[O_MALFORMED] = HP_R_SCTP_MALFORMED,
	[O_TRUNCATED] = HP_R_SCTP_TRUNCATED,
};

struct pkt {
	struct hp_sctp *t;
	struct assoc_key key;
	struct assoc_win *win;  /* looked up at the first user data */
	bool win_done;
	uint64_t now;
	void (*sink)(void *arg, const struct hp_sctp_msg *m);
	void *arg;
	uint32_t delivered;
	enum outcome worst;
};

static void note(struct pkt *k, enum outcome o)
{
	if (o > k->worst)
		k->worst = o;
}

static const char *const kind_label[] = {
#define HP_SCTP_KIND_LABEL(id, type, label) label,
	HP_SCTP_KINDS(HP_SCTP_KIND_LABEL)
#undef HP_SCTP_KIND_LABEL
	"other",
};

const char *hp_sctp_kind_label(int kind)
{
	if (kind < 0 || kind >= HP_SCTP_KIND_MAX)
		kind = HP_SCTP_KIND_OTHER;
	return kind_label[kind];
}

int hp_sctp_kind_of(uint8_t chunk_type)
{
	switch (chunk_type) {
#define HP_SCTP_KIND_CASE(id, type, label) case type: return HP_SCTP_KIND_##id;
	HP_SCTP_KINDS(HP_SCTP_KIND_CASE)
#undef HP_SCTP_KIND_CASE
	default:
		return HP_SCTP_KIND_OTHER;
	}
}

int hp_sctp_verify(const uint8_t *sctp, size_t len)
{
	if (len < HP_SCTP_COMMON_HDR)
		return HP_SCTP_CSUM_TRUNCATED;
	/* The CRC goes in least significant byte first (RFC 9260 Appendix B). */
	uint32_t field = (uint32_t)sctp[8] | (uint32_t)sctp[9] << 8 | (uint32_t)sctp[10] << 16 |
			 (uint32_t)sctp[11] << 24;

	if (hp_sctp_crc32c_zeroed(sctp, len) == field)
		return HP_SCTP_CSUM_OK;
	if (field == 0)
		return HP_SCTP_CSUM_ZERO;
	/* A mismatch means something only if the chunks, each padded to 4 bytes
	 * (RFC 9260 §3.2), end exactly at len; otherwise the capture may have
	 * cut the packet. A packet must have a chunk (RFC 9260 §3). */
	size_t off = HP_SCTP_COMMON_HDR;

	if (off == len)
		return HP_SCTP_CSUM_TRUNCATED;
	while (off < len) {
		if (len - off < 4)
			return HP_SCTP_CSUM_TRUNCATED;
		uint16_t clen = hp_get_be16(sctp + off + 2);

		if (clen < 4)
			return HP_SCTP_CSUM_BAD;
		off += ((size_t)clen + 3) & ~(size_t)3;
	}
	return off == len ? HP_SCTP_CSUM_BAD : HP_SCTP_CSUM_TRUNCATED;
}

void hp_sctp_cfg_defaults(struct hp_sctp_cfg *c)
{
	/* SIP over SCTP fragments only messages above the path MTU: few at a
	 * time. 64 x (64 KiB + 64 pieces) is about 4.3 MB per worker. */
	c->max_reassembly = 64;
	c->max_msg_size = 65535;
	c->max_pieces = 64;
	/* SCTP retransmits after RTO.Initial = 1 s, doubling (RFC 9260 §16):
	 * a few retries fit in 10 s. */
	c->timeout_us = 10 * 1000000ull;
	c->max_assocs = 4096;
	c->assoc_idle_us = 300 * 1000000ull;
}

struct hp_sctp *hp_sctp_create(const struct hp_sctp_cfg *c, uint32_t seed)
{
	if (c == NULL || c->max_reassembly == 0 || c->max_msg_size == 0 ||
	    c->max_msg_size > HP_SCTP_MAX_MSG_SIZE || c->max_pieces < 2 ||
	    c->max_pieces > HP_SCTP_MAX_PIECES || c->timeout_us == 0 || c->max_assocs == 0 ||
	    c->assoc_idle_us == 0)
		return NULL;
	struct hp_sctp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cfg = *c;
	t->seed = seed;
	t->reasm_size = sizeof(struct reasm) + (size_t)c->max_pieces * sizeof(struct piece) +
			c->max_msg_size;
	t->assocs = hp_flowtab_create(c->max_assocs, sizeof(struct assoc_key),
				      sizeof(struct assoc_win));
	t->reasm = hp_flowtab_create(c->max_reassembly, sizeof(struct reasm_key),
				     (uint32_t)t->reasm_size);
	t->scratch = malloc(c->max_msg_size);
	if (t->assocs == NULL || t->reasm == NULL || t->scratch == NULL) {
		hp_sctp_destroy(t);
		return NULL;
	}
	memset(t->scratch, 0, c->max_msg_size);
	return t;
}

void hp_sctp_destroy(struct hp_sctp *t)
{
	if (t == NULL)
		return;
	hp_flowtab_destroy(t->assocs);
	hp_flowtab_destroy(t->reasm);
	free(t->scratch);
	free(t);
}

size_t hp_sctp_memory(const struct hp_sctp *t)
{
	return sizeof(*t) + hp_flowtab_memory(t->assocs) + hp_flowtab_memory(t->reasm) +
	       t->cfg.max_msg_size;
}

const struct hp_sctp_stats *hp_sctp_stats(const struct hp_sctp *t)
{
	return &t->st;
}

/* TSN serial-number order (RFC 9260 §1.6, RFC 1982): b after a. */
static bool tsn_after(uint32_t b, uint32_t a)
{
	return (int32_t)(b - a) > 0;
}

static bool win_seen(const struct assoc_win *w, uint32_t tsn)
{
	if (!w->valid || tsn_after(tsn, w->top))
		return false;
	uint32_t d = w->top - tsn;

	/* Older than the window: a retransmission that late is far likelier
	 * than a first copy, so it is not delivered again. */
	if (d >= HP_SCTP_TSN_WINDOW)
		return true;
	return w->bits[d / 32] >> (d % 32) & 1;
}

static void win_mark(struct assoc_win *w, uint32_t tsn)
{
	if (!w->valid) {
		memset(w->bits, 0, sizeof(w->bits));
		w->valid = 1;
		w->top = tsn;
		w->bits[0] = 1;
		return;
	}
	if (tsn_after(tsn, w->top)) {
		uint32_t d = tsn - w->top;

		if (d >= HP_SCTP_TSN_WINDOW) {
			memset(w->bits, 0, sizeof(w->bits));
		} else {
			uint32_t ws = d / 32, bs = d % 32;

			for (uint32_t i = WIN_WORDS; i-- > 0;) {
				uint32_t v = i >= ws ? w->bits[i - ws] << bs : 0;

				if (bs && i >= ws + 1)
					v |= w->bits[i - ws - 1] >> (32 - bs);
				w->bits[i] = v;
			}
		}
		w->top = tsn;
		w->bits[0] |= 1;
		return;
	}
	uint32_t d = w->top - tsn;

	if (d < HP_SCTP_TSN_WINDOW)
		w->bits[d / 32] |= 1u << (d % 32);
}

/* The delivered-TSN window of this packet's association direction, or NULL
 * when the table is full (messages then go out unchecked). */
static struct assoc_win *pkt_win(struct pkt *k)
{
	if (k->win_done)
		return k->win;
	struct hp_sctp *t = k->t;
	uint32_t h = hp_flowtab_hash(&k->key, sizeof(k->key), t->seed ^ SEED_ASSOC);
	bool created;

	k->win_done = true;
	k->win = hp_flowtab_insert(t->assocs, &k->key, h, k->now, &created);
	if (k->win == NULL && hp_flowtab_expire(t->assocs, k->now, t->cfg.assoc_idle_us, 1, NULL,
						NULL) > 0)
		k->win = hp_flowtab_insert(t->assocs, &k->key, h, k->now, &created);
	return k->win;
}

static void deliver(struct pkt *k, const struct hp_sctp_msg *m)
{
	k->t->st.messages++;
	if (k->win == NULL)
		k->t->st.assoc_full++;
	k->delivered++;
	k->sink(k->arg, m);
}

static uint8_t *reasm_data(const struct hp_sctp *t, struct reasm *r)
{
	return (uint8_t *)r->pc + (size_t)t->cfg.max_pieces * sizeof(struct piece);
}

static void count_timeout(void *value, void *arg)
{
	(void)value;
	((struct hp_sctp *)arg)->st.timeout++;
}

/* Fragments i and i+1 (sorted) are neighbours within one message. */
static bool adjacent(const struct piece *a, const struct piece *b)
{
	return b->seq == a->seq + 1 && !(a->flags & FLAG_E) && !(b->flags & FLAG_B) &&
	       (a->flags & FLAG_U) == (b->flags & FLAG_U) && a->ssn == b->ssn;
}

/* Deliver pieces lo..hi (a whole message), copied in order into the scratch
 * buffer, then drop them; the entry goes when nothing else is left in it. */
static void reasm_complete(struct pkt *k, struct reasm *r, uint32_t lo, uint32_t hi)
{
	struct hp_sctp *t = k->t;
	struct piece *pc = r->pc;
	uint8_t *data = reasm_data(t, r);
	uint32_t len = 0;

	for (uint32_t i = lo; i <= hi; i++) {
		memcpy(t->scratch + len, data + pc[i].off, pc[i].len);
		len += pc[i].len;
	}
	const struct reasm_key *rk = hp_flowtab_key(t->reasm, r);
	struct hp_sctp_msg m = { .p = t->scratch, .len = len, .stream = rk->stream,
				 .ppid = pc[lo].ppid, .tsn = pc[lo].tsn };

	t->st.reassembled++;
	deliver(k, &m);
	if (k->win != NULL)
		for (uint32_t i = lo; i <= hi; i++)
			win_mark(k->win, pc[i].tsn);
	if (lo == 0 && hi == r->n - 1) {
		hp_flowtab_remove(t->reasm, r);
		return;
	}
	/* Pack what is left (another message's fragments) to the front, through
	 * the scratch buffer, which the sink no longer uses. */
	uint32_t n = 0, used = 0;

	for (uint32_t i = 0; i < r->n; i++) {
		if (i >= lo && i <= hi)
			continue;
		memcpy(t->scratch + used, data + pc[i].off, pc[i].len);
		pc[n] = pc[i];
		pc[n].off = used;
		used += pc[i].len;
		n++;
	}
	memcpy(data, t->scratch, used);
	r->n = n;
	r->bytes = used;
}

/* The entry is over a limit: free it, and swallow its message's remaining
 * fragments until the last one (or the next message's first) comes. */
static void reasm_discard(struct hp_sctp *t, struct reasm *r, const struct data_chunk *d)
{
	t->st.too_big++;
	if (d->flags & FLAG_E) {
		hp_flowtab_remove(t->reasm, r);
		return;
	}
	r->n = 0;
	r->bytes = 0;
	r->discarding = 1;
}

static void reasm_add(struct pkt *k, const struct data_chunk *d)
{
	struct hp_sctp *t = k->t;
	struct reasm_key key;

	memset(&key, 0, sizeof(key));
	key.a = k->key;
	key.stream = d->stream;
	key.idata = d->idata;
	if (d->idata) {
		key.mid = d->mid;
		key.unordered = (d->flags & FLAG_U) != 0;
	}
	uint32_t h = hp_flowtab_hash(&key, sizeof(key), t->seed ^ SEED_REASM);
	struct reasm *r = hp_flowtab_lookup(t->reasm, &key, h);

	/* An entry past its time is dropped here too, whether or not
	 * hp_sctp_expire() got to it yet. */
	if (r != NULL && k->now > hp_flowtab_last_seen(t->reasm, r) &&
	    k->now - hp_flowtab_last_seen(t->reasm, r) > t->cfg.timeout_us) {
		t->st.timeout++;
		hp_flowtab_remove(t->reasm, r);
		r = NULL;
	}
	if (r == NULL) {
		bool created;

		r = hp_flowtab_insert(t->reasm, &key, h, k->now, &created);
		if (r == NULL && hp_flowtab_expire(t->reasm, k->now, t->cfg.timeout_us, 1,
						   count_timeout, t) > 0)
			r = hp_flowtab_insert(t->reasm, &key, h, k->now, &created);
		if (r == NULL) {
			t->st.table_full++;
			note(k, O_TABLE_FULL);
			return;
		}
	} else {
		hp_flowtab_touch(t->reasm, r, k->now);
	}
	if (r->discarding) {
		if (!(d->flags & FLAG_B)) {
			t->st.too_big++;
			note(k, O_TOO_BIG);
			if (d->flags & FLAG_E)
				hp_flowtab_remove(t->reasm, r);
			return;
		}
		r->discarding = 0;
	}
	struct piece *pc = r->pc;
	uint32_t pos = r->n;

	/* sorted in serial-number order, so a message may span TSN wrap-around */
	while (pos > 0 && tsn_after(pc[pos - 1].seq, d->seq))
		pos--;
	if (pos > 0 && pc[pos - 1].seq == d->seq) {
		t->st.duplicates++;
		note(k, O_DUPLICATE);
		return;
	}
	if (r->n == t->cfg.max_pieces || d->len > t->cfg.max_msg_size - r->bytes) {
		if (r->n == t->cfg.max_pieces)
			t->st.pieces_cap++;
		note(k, O_TOO_BIG);
		reasm_discard(t, r, d);
		return;
	}
	memmove(pc + pos + 1, pc + pos, (r->n - pos) * sizeof(*pc));
	pc[pos] = (struct piece){ .seq = d->seq, .tsn = d->tsn, .ppid = d->ppid, .off = r->bytes,
				  .len = d->len, .ssn = d->ssn, .flags = d->flags };
	memcpy(reasm_data(t, r) + r->bytes, d->user, d->len);
	r->bytes += d->len;
	r->n++;
	t->st.fragments_held++;

	uint32_t lo = pos, hi = pos;

	while (!(pc[lo].flags & FLAG_B)) {
		if (lo == 0 || !adjacent(&pc[lo - 1], &pc[lo]))
			goto held;
		lo--;
	}
	while (!(pc[hi].flags & FLAG_E)) {
		if (hi + 1 == r->n || !adjacent(&pc[hi], &pc[hi + 1]))
			goto held;
		hi++;
	}
	reasm_complete(k, r, lo, hi);
	return;
held:
	note(k, O_HELD);
}

/* RFC 9260 §3.3.1 DATA and RFC 8260 §2.1 I-DATA into one shape. */
static bool data_parse(const uint8_t *c, uint16_t clen, struct data_chunk *d)
{
	/* a DATA chunk without user data is a protocol violation (RFC 9260
	 * §3.3.1); so is an I-DATA one (RFC 8260 §2.1) */
	if (clen <= (c[0] == CHUNK_DATA ? DATA_HDR : IDATA_HDR))
		return false;
	memset(d, 0, sizeof(*d));
	d->flags = c[1];
	d->tsn = hp_get_be32(c + 4);
	d->stream = hp_get_be16(c + 8);
	if (c[0] == CHUNK_DATA) {
		d->ssn = hp_get_be16(c + 10);
		d->ppid = hp_get_be32(c + 12);
		d->seq = d->tsn;
		d->user = c + DATA_HDR;
		d->len = clen - DATA_HDR;
		return true;
	}
	d->idata = 1;
	d->mid = hp_get_be32(c + 12);
	/* the first fragment carries the PPID here, every later one its FSN;
	 * the first's FSN is 0 */
	if (d->flags & FLAG_B) {
		d->ppid = hp_get_be32(c + 16);
	} else {
		d->seq = hp_get_be32(c + 16);
		if (d->seq == 0)
			return false;
	}
	d->user = c + IDATA_HDR;
	d->len = clen - IDATA_HDR;
	return true;
}

static void data_chunk(struct pkt *k, const uint8_t *c, uint16_t clen)
{
	struct hp_sctp *t = k->t;
	struct data_chunk d;

	if (!data_parse(c, clen, &d)) {
		t->st.malformed++;
		note(k, O_MALFORMED);
		return;
	}
	t->st.data_chunks++;
	struct assoc_win *w = pkt_win(k);

	if (w != NULL && win_seen(w, d.tsn)) {
		t->st.duplicates++;
		note(k, O_DUPLICATE);
		return;
	}
	if ((d.flags & (FLAG_B | FLAG_E)) == (FLAG_B | FLAG_E)) {
		struct hp_sctp_msg m = { .p = d.user, .len = d.len, .stream = d.stream,
					 .ppid = d.ppid, .tsn = d.tsn };

		deliver(k, &m);
		if (w != NULL)
			win_mark(w, d.tsn);
		return;
	}
	reasm_add(k, &d);
}

int hp_sctp_packet(struct hp_sctp *t, uint8_t version, const uint8_t *src, const uint8_t *dst,
		   const uint8_t *sctp, size_t len, uint64_t now_us,
		   void (*sink)(void *arg, const struct hp_sctp_msg *m), void *arg)
{
	if (len < HP_SCTP_COMMON_HDR) {
		t->st.truncated++;
		return HP_R_SCTP_TRUNCATED;
	}
	struct pkt k = { .t = t, .now = now_us, .sink = sink, .arg = arg };
	size_t alen = version == 6 ? 16 : 4;

	memset(&k.key, 0, sizeof(k.key));
	memcpy(k.key.src, src, alen);
	memcpy(k.key.dst, dst, alen);
	k.key.sport = hp_get_be16(sctp);
	k.key.dport = hp_get_be16(sctp + 2);
	k.key.vtag = hp_get_be32(sctp + 4);
	k.key.version = version;

	size_t off = HP_SCTP_COMMON_HDR;

	/* RFC 9260 §3: one or more chunks follow the common header */
	if (off == len) {
		t->st.malformed++;
		return HP_R_SCTP_MALFORMED;
	}
	while (off < len) {
		const uint8_t *c = sctp + off;

		if (len - off < 4) {
			t->st.truncated++;
			note(&k, O_TRUNCATED);
			break;
		}
		uint16_t clen = hp_get_be16(c + 2);

		if (clen < 4) {
			t->st.malformed++;
			note(&k, O_MALFORMED);
			break;
		}
		if (clen > len - off) {
			t->st.truncated++;
			note(&k, O_TRUNCATED);
			break;
		}
		if (c[0] == CHUNK_DATA || c[0] == CHUNK_IDATA) {
			data_chunk(&k, c, clen);
		} else {
			t->st.control_chunks++;
			t->st.control[hp_sctp_kind_of(c[0])]++;
			note(&k, O_CONTROL);
		}
		/* RFC 9260 §3.2: padding to 4 bytes, not in the length; a last
		 * chunk sent without it is taken as it is */
		off += ((size_t)clen + 3) & ~(size_t)3;
	}
	return k.delivered ? HP_R_OK : outcome_reason[k.worst];
}

uint32_t hp_sctp_expire(struct hp_sctp *t, uint64_t now_us)
{
	uint32_t n = hp_flowtab_expire(t->reasm, now_us, t->cfg.timeout_us, HP_SCTP_EXPIRE_BUDGET,
				       count_timeout, t);

	hp_flowtab_expire(t->assocs, now_us, t->cfg.assoc_idle_us, HP_SCTP_EXPIRE_BUDGET, NULL,
			  NULL);
	return n;
}
