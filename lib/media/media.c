/* SPDX-License-Identifier: BSD-3-Clause */
/* Media engine: tables, SIP/SDP learning, RTP/RTCP measurement, timers.
 * The records it emits are built in media_report.c. */
#include <netinet/in.h>
#include <stdlib.h>
#include <strings.h>
#include "csum/csum.h"
#include "hep/hep.h"
#include "media/media_int.h"

#define US_PER_MS 1000ull
/* A live stream refreshes its dialog's idle timer at most this often. */
#define DIALOG_TOUCH_US 1000000ull
/* An announced direction is "no RTP" only if the call was answered this long ago:
 * RTP starts well within it, and a capture cut right after the 200 OK is not a fault. */
#define NO_RTP_MIN_US 2000000ull
/* Flat-line check on a live stream every this many audio payloads (320 ms at 20 ms ptime). */
#define FLAT_CHECK_EVERY 16
/* Heuristic RTP: packets in sequence before a flow is measured. */
#define PROBATION 3
/* Heuristic RTP: largest timestamp step between probation packets (1 s at 96 kHz). */
#define PROBATION_MAX_DTS 96000u
#define HEUR_MIN_PORT 1024
#define CID_PREFIX 42

/* Tell the hashes apart; cfg.hash_seed keys them (media_seeds). */
#define SEED_DLG 0x6d656469u
#define SEED_DLG2 0x64696131u
#define SEED_EP 0x65707430u
#define SEED_STREAM 0x73747231u
#define SEED_STREAM4 0x73747234u
#define SEED_TAG 0x74616731u
#define SEED_ERR 0x65727231u

struct media_dkey {
	uint32_t h2;                 /* second hash of the whole Call-ID */
	uint16_t len;
	char prefix[CID_PREFIX];
};

struct media_epkey {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t addr[16];
};

struct media_ep {
	struct media_dialog *d;
	uint8_t party;
	uint8_t line_idx;
	uint8_t kind;                /* MEDIA_EP_RTP / MEDIA_EP_RTCP */
};

/* A SIP parse error already reported: flow and reason. */
struct media_errkey {
	uint8_t family;
	uint8_t reason;
	uint16_t sport, dport;
	uint16_t pad;
	uint8_t src[16], dst[16];
};

struct media_cand_pkt {
	uint64_t us;
	uint32_t ts;
	uint32_t plen;
	uint16_t seq;
	uint8_t pt;
	bool marker;
	bool discarded;              /* by the receiver: bad UDP checksum */
};

struct media_cand {
	uint8_t n;
	struct media_cand_pkt pk[PROBATION - 1];
};

/* Per-entry cost in a flowtab (flowtab.h memory formula), bucket share rounded up. */
#define FT_ROUND16(x) (((x) + 15u) & ~15u)
#define FT_ENTRY(k, v) (HP_FLOWTAB_META_BYTES + FT_ROUND16(k) + FT_ROUND16(v) + \
			64u / HP_FLOWTAB_FILL_PER_BUCKET + 1u)
_Static_assert(FT_ENTRY(sizeof(struct media_skey), sizeof(struct media_stream)) <= 1024,
	       "an RTP stream must cost at most 1 KiB of table");
_Static_assert(FT_ENTRY(sizeof(struct media_dkey), sizeof(struct media_dialog)) +
	       4 * FT_ENTRY(sizeof(struct media_epkey), sizeof(struct media_ep)) +
	       2 * sizeof(struct media_end_slot) <= 4096,
	       "a dialog with its endpoints must cost at most 4 KiB");
_Static_assert(sizeof(struct media_dkey) <= HP_FLOWTAB_MAX_KEY, "dialog key");
_Static_assert(sizeof(struct media_skey) <= HP_FLOWTAB_MAX_KEY, "stream key");

static const char *const end_labels[MEDIA_END_MAX] = {
#define MEDIA_END_LABEL(id, label) label,
	MEDIA_END_REASONS(MEDIA_END_LABEL)
#undef MEDIA_END_LABEL
};

const char *media_end_label(int reason)
{
	return reason >= 0 && reason < MEDIA_END_MAX ? end_labels[reason] : "";
}

const char *hp_media_dir_label(int dir)
{
	switch (dir) {
	case HP_MEDIA_DIR_CALLER_TO_CALLEE:
		return "caller->callee";
	case HP_MEDIA_DIR_CALLEE_TO_CALLER:
		return "callee->caller";
	default:
		return "unknown";
	}
}

void hp_media_cfg_defaults(struct hp_media_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_streams = 16384;
	cfg->max_dialogs = 8192;
	cfg->call_log = 1024;
	cfg->flat_ms = 2000;
	cfg->stream_idle_ms = 30000;
	cfg->dialog_grace_ms = 5000;
	cfg->dialog_idle_ms = 3600000;
	cfg->candidate_idle_ms = 2000;
	cfg->tick_budget = 64;
	cfg->clip_pct = HP_SILENCE_DEF_CLIP_PCT;
	cfg->late_audio_ms = 5000;
	cfg->error_idle_ms = 60000;
	cfg->heuristic_rtp = true;
	cfg->heuristic_rtcp = true;
}

/* ------------------------------------------------------------------ lifecycle */

static void update_gauges(struct hp_media *m)
{
	m->ctr->v[HP_CTR_STREAMS_ACTIVE] = hp_flowtab_count(m->streams);
	m->ctr->v[HP_CTR_DIALOGS_ACTIVE] = hp_flowtab_count(m->dialogs);
	m->ctr->v[HP_CTR_TABLE_BYTES] = m->memory;
}

static uint32_t granularity_us(uint32_t idle_ms)
{
	uint64_t us = (uint64_t)idle_ms * US_PER_MS / 32;

	return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* One 32-bit seed per hash from the 64-bit configured one: which keys share
 * a bucket differs per start, so a flood crafted against one run (or read
 * off this source) does not line up in the next. */
static void media_seeds(struct hp_media *m, uint64_t seed)
{
	m->seed.dlg = hp_flowtab_hash(&seed, sizeof(seed), SEED_DLG);
	m->seed.dlg2 = hp_flowtab_hash(&seed, sizeof(seed), SEED_DLG2);
	m->seed.ep = hp_flowtab_hash(&seed, sizeof(seed), SEED_EP);
	m->seed.stream = hp_flowtab_hash(&seed, sizeof(seed), SEED_STREAM);
	m->seed.stream4 = hp_flowtab_hash(&seed, sizeof(seed), SEED_STREAM4);
	m->seed.tag = hp_flowtab_hash(&seed, sizeof(seed), SEED_TAG);
}

struct hp_media *hp_media_create(const struct hp_media_cfg *cfg, struct hp_counters *ctr,
				 hp_media_sink sink, void *sink_arg)
{
	if (cfg == NULL || ctr == NULL || sink == NULL || cfg->max_streams == 0 ||
	    cfg->max_dialogs == 0 || cfg->max_dialogs > HP_FLOWTAB_MAX_CAPACITY / 4)
		return NULL;
	struct hp_media *m = aligned_alloc(HP_CACHE_LINE,
					   (sizeof(*m) + HP_CACHE_LINE - 1) & ~(size_t)(HP_CACHE_LINE - 1));
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	if (m->cfg.max_candidates == 0)
		m->cfg.max_candidates = cfg->max_streams / 4 > 64 ? cfg->max_streams / 4 : 64;
	if (m->cfg.tick_budget == 0)
		m->cfg.tick_budget = 64;
	m->ctr = ctr;
	m->sink = sink;
	m->sink_arg = sink_arg;
	m->next_gen = 1;
	media_seeds(m, cfg->hash_seed);
	m->streams = hp_flowtab_create(cfg->max_streams, sizeof(struct media_skey),
				       sizeof(struct media_stream));
	m->cands = hp_flowtab_create(m->cfg.max_candidates, sizeof(struct media_skey),
				     sizeof(struct media_cand));
	m->eps = hp_flowtab_create(cfg->max_dialogs * 4, sizeof(struct media_epkey),
				   sizeof(struct media_ep));
	m->dialogs = hp_flowtab_create(cfg->max_dialogs, sizeof(struct media_dkey),
				       sizeof(struct media_dialog));
	/* A dialog queues one end at a time; stale slots of dialogs that ended by
	 * inactivity meanwhile are why there is room for two each. */
	struct hp_register_cfg rcfg;
	hp_register_cfg_defaults(&rcfg);
	/* Sized with the dialogs unless configured: a site with many calls has
	 * many phones registering. A REGISTER waits for its answer for
	 * milliseconds, so an eighth as many pending ones is ample. */
	rcfg.max_bindings = cfg->max_registrations ? cfg->max_registrations : cfg->max_dialogs;
	rcfg.max_pending = rcfg.max_bindings / 8 > 4 ? rcfg.max_bindings / 8 : 4;
	rcfg.hash_seed = cfg->hash_seed;
	m->reg = hp_register_create(&rcfg);
	uint32_t errs = cfg->max_error_flows ? cfg->max_error_flows
		      : cfg->max_dialogs / 8 > 4 ? cfg->max_dialogs / 8 : 4;
	m->errs = hp_flowtab_create(errs, sizeof(struct media_errkey), sizeof(uint64_t));
	m->endq_cap = cfg->max_dialogs * 2;
	m->endq = calloc(m->endq_cap, sizeof(*m->endq));
	if (cfg->call_log > 0)
		m->log = calloc(cfg->call_log, sizeof(*m->log));
	if (m->streams == NULL || m->cands == NULL || m->eps == NULL || m->dialogs == NULL ||
	    m->endq == NULL || (cfg->call_log > 0 && m->log == NULL) || m->reg == NULL ||
	    m->errs == NULL) {
		hp_media_destroy(m);
		return NULL;
	}
	/* Every RTP packet touches its stream, every SIP message its dialog:
	 * moving the entry in the LRU list each time costs three cache misses on
	 * a table larger than the cache. Expiry up to a 32nd of the idle time
	 * late (under a second for a stream) is the price. */
	hp_flowtab_set_granularity(m->streams, granularity_us(m->cfg.stream_idle_ms));
	hp_flowtab_set_granularity(m->cands, granularity_us(m->cfg.candidate_idle_ms));
	hp_flowtab_set_granularity(m->dialogs, granularity_us(m->cfg.dialog_idle_ms));
	/* Endpoints leave with their dialog, never by idle time: their LRU order
	 * is never read, so a touch need not keep it. */
	hp_flowtab_set_granularity(m->eps, UINT32_MAX);
	m->memory = hp_flowtab_memory(m->streams) + hp_flowtab_memory(m->cands) +
		    hp_flowtab_memory(m->eps) + hp_flowtab_memory(m->dialogs) +
		    (size_t)m->endq_cap * sizeof(*m->endq) +
		    (size_t)cfg->call_log * sizeof(*m->log) + hp_register_memory(m->reg) +
		    hp_flowtab_memory(m->errs);
	update_gauges(m);
	return m;
}

void hp_media_destroy(struct hp_media *m)
{
	if (m == NULL)
		return;
	hp_flowtab_destroy(m->streams);
	hp_flowtab_destroy(m->cands);
	hp_flowtab_destroy(m->eps);
	hp_flowtab_destroy(m->dialogs);
	hp_flowtab_destroy(m->errs);
	hp_register_destroy(m->reg);
	free(m->endq);
	free(m->log);
	free(m);
}

size_t hp_media_memory(const struct hp_media *m)
{
	return m->memory;
}

/* ------------------------------------------------------------------ keys */

static void addr_copy(uint8_t *dst, int family, const uint8_t *src)
{
	memset(dst, 0, 16);
	memcpy(dst, src, family == 6 ? 16 : 4);
}

static uint32_t ep_key(const struct hp_media *m, struct media_epkey *k, int family,
		       const uint8_t *addr, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)family;
	k->port = port;
	addr_copy(k->addr, family, addr);
	return hp_flowtab_hash(k, sizeof(*k), m->seed.ep);
}

static void stream_key_fill(struct media_skey *k, const struct hp_pkt *pkt, uint32_t ssrc)
{
	memset(k, 0, sizeof(*k));
	k->family = pkt->ip_version;
	k->sport = pkt->src_port;
	k->dport = pkt->dst_port;
	k->ssrc = ssrc;
	addr_copy(k->src, pkt->ip_version, pkt->src_addr);
	addr_copy(k->dst, pkt->ip_version, pkt->dst_addr);
}

/* Every RTP packet hashes its stream key. An IPv4 key is mostly zero
 * padding, so its hash covers only the 16 bytes that vary (two rounds of
 * hp_flowtab_hash instead of six); the seed keeps the two families apart. */
static uint32_t stream_hash(const struct hp_media *m, const struct media_skey *k)
{
	if (k->family == 4) {
		/* Built as two whole words: narrower stores read back as a word
		 * would stall the hash's loads (no store forwarding). */
		uint32_t src, dst;
		uint64_t v4[2];

		memcpy(&src, k->src, 4);
		memcpy(&dst, k->dst, 4);
		v4[0] = (uint64_t)k->sport | (uint64_t)k->dport << 16 | (uint64_t)k->ssrc << 32;
		v4[1] = (uint64_t)src | (uint64_t)dst << 32;
		return hp_flowtab_hash(v4, sizeof(v4), m->seed.stream4);
	}
	return hp_flowtab_hash(k, sizeof(*k), m->seed.stream);
}

static uint32_t stream_key(const struct hp_media *m, struct media_skey *k,
			   const struct hp_pkt *pkt, uint32_t ssrc)
{
	stream_key_fill(k, pkt, ssrc);
	return stream_hash(m, k);
}

static uint32_t dialog_key(const struct hp_media *m, struct media_dkey *k, struct hp_str cid)
{
	memset(k, 0, sizeof(*k));
	k->h2 = hp_flowtab_hash(cid.p, cid.len, m->seed.dlg2);
	k->len = (uint16_t)(cid.len > 0xFFFF ? 0xFFFF : cid.len);
	memcpy(k->prefix, cid.p, cid.len < CID_PREFIX ? cid.len : CID_PREFIX);
	return hp_flowtab_hash(cid.p, cid.len, m->seed.dlg);
}

/* ------------------------------------------------------------------ endpoints */

static void ep_bind(struct hp_media *m, struct media_dialog *d, int party, int idx, int kind,
		    int family, const uint8_t *addr, uint16_t port, uint64_t ts_us)
{
	struct media_epkey k;
	bool created;
	uint32_t h = ep_key(m, &k, family, addr, port);
	struct media_ep *e = hp_flowtab_insert(m->eps, &k, h, ts_us, &created);

	if (e == NULL) {
		hp_ctr_inc(m->ctr, HP_CTR_ENDPOINT_TABLE_FULL);
		return;
	}
	/* Existing owner or not: the latest SDP announcing an endpoint owns it. */
	e->d = d;
	e->party = (uint8_t)party;
	e->line_idx = (uint8_t)idx;
	e->kind = (uint8_t)kind;
}

static void ep_unbind(struct hp_media *m, const struct media_dialog *d, int family,
		      const uint8_t *addr, uint16_t port)
{
	struct media_epkey k;
	uint32_t h = ep_key(m, &k, family, addr, port);
	struct media_ep *e = hp_flowtab_lookup(m->eps, &k, h);

	if (e != NULL && e->d == d)
		hp_flowtab_remove(m->eps, e);
}

static bool rtcp_separate(const struct media_line *l)
{
	return l->rtcp_port != l->port || l->rtcp_family != l->family ||
	       memcmp(l->rtcp_addr, l->addr, 16) != 0;
}

static bool ep_same(int fa, const uint8_t *a, uint16_t pa, int fb, const uint8_t *b, uint16_t pb)
{
	return fa == fb && pa == pb && memcmp(a, b, 16) == 0;
}

/* Whether one of the party's lines announces this endpoint, for RTP or RTCP. */
static bool party_has_ep(const struct media_party *pp, int family, const uint8_t *addr,
			 uint16_t port)
{
	if (pp == NULL)
		return false;
	for (int i = 0; i < pp->n_line; i++) {
		const struct media_line *l = &pp->line[i];
		if (ep_same(family, addr, port, l->family, l->addr, l->port) ||
		    ep_same(family, addr, port, l->rtcp_family, l->rtcp_addr, l->rtcp_port))
			return true;
	}
	return false;
}

/* Release the party's endpoints, except those keep (may be NULL) announces
 * again: party_bind() takes those over in place. */
static void party_unbind_except(struct hp_media *m, struct media_dialog *d, int party,
				const struct media_party *keep)
{
	const struct media_party *pp = &d->party[party];

	for (int i = 0; i < pp->n_line; i++) {
		const struct media_line *l = &pp->line[i];
		if (!party_has_ep(keep, l->family, l->addr, l->port))
			ep_unbind(m, d, l->family, l->addr, l->port);
		if (rtcp_separate(l) && !party_has_ep(keep, l->rtcp_family, l->rtcp_addr, l->rtcp_port))
			ep_unbind(m, d, l->rtcp_family, l->rtcp_addr, l->rtcp_port);
	}
}

static void party_unbind(struct hp_media *m, struct media_dialog *d, int party)
{
	party_unbind_except(m, d, party, NULL);
}

static void party_bind(struct hp_media *m, struct media_dialog *d, int party, uint64_t ts_us)
{
	const struct media_party *pp = &d->party[party];

	for (int i = 0; i < pp->n_line; i++) {
		const struct media_line *l = &pp->line[i];
		ep_bind(m, d, party, i, MEDIA_EP_RTP, l->family, l->addr, l->port, ts_us);
		if (rtcp_separate(l))
			ep_bind(m, d, party, i, MEDIA_EP_RTCP, l->rtcp_family, l->rtcp_addr,
				l->rtcp_port, ts_us);
	}
}

/* The endpoint the datagram is sent to, else the one it comes from. */
static struct media_ep *ep_find(struct hp_media *m, const struct hp_pkt *pkt, bool *to_dst)
{
	struct media_epkey k;
	struct media_ep *e;

	if (hp_flowtab_count(m->eps) == 0)
		return NULL;
	e = hp_flowtab_lookup(m->eps, &k, ep_key(m, &k, pkt->ip_version, pkt->dst_addr, pkt->dst_port));
	*to_dst = e != NULL;
	if (e == NULL)
		e = hp_flowtab_lookup(m->eps, &k,
				      ep_key(m, &k, pkt->ip_version, pkt->src_addr, pkt->src_port));
	return e;
}

/* ------------------------------------------------------------------ SDP */

static bool str_contains(struct hp_str s, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= s.len; i++)
		if (memcmp(s.p + i, needle, n) == 0)
			return true;
	return false;
}

static void name_copy(char *dst, struct hp_str s)
{
	size_t n = s.len < MEDIA_CODEC_NAME - 1 ? s.len : MEDIA_CODEC_NAME - 1;
	/* A payload type with neither a static name nor an rtpmap has no name
	 * (s.p is NULL): memcpy's arguments must still be valid pointers. */
	if (n > 0)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void line_fill(struct media_line *l, const struct hp_sdp_media *mm)
{
	memset(l, 0, sizeof(*l));
	l->family = mm->conn.family;
	memcpy(l->addr, mm->conn.addr, 16);
	l->port = mm->port;
	l->rtcp_family = mm->rtcp_addr.family ? mm->rtcp_addr.family : mm->conn.family;
	memcpy(l->rtcp_addr, mm->rtcp_addr.family ? mm->rtcp_addr.addr : mm->conn.addr, 16);
	l->rtcp_port = mm->rtcp_port;
	l->dir = mm->dir;
	l->event_pt = hp_sdp_event_pt(mm);
	l->srtp = str_contains(mm->proto, "SAVP");
	for (int i = 0; i < mm->n_pt && l->n_pt < MEDIA_LINE_PTS; i++) {
		struct media_pt *p = &l->pts[l->n_pt++];
		p->pt = mm->pts[i].pt;
		p->rate = mm->pts[i].rate;
		name_copy(p->name, mm->pts[i].name);
	}
}

/* RFC 1918, RFC 6598 (shared CGN space) and RFC 4193 (ULA) addresses: not
 * reachable from the public side of a NAT. */
static bool addr_private(int family, const uint8_t *a)
{
	if (family == 6)
		return (a[0] & 0xFE) == 0xFC;
	return a[0] == 10 || (a[0] == 172 && (a[1] & 0xF0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xC0) == 64);
}

/* Reachable across the Internet: not private, loopback, link-local,
 * unspecified or multicast. */
static bool addr_public(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (addr_private(family, a))
		return false;
	if (family == 6)
		return memcmp(a, zero, 15) != 0 && !(a[0] == 0xFE && (a[1] & 0xC0) == 0x80) &&
		       a[0] != 0xFF;
	return a[0] != 0 && a[0] != 127 && !(a[0] == 169 && a[1] == 254) && a[0] < 224;
}

/* A private c= in SDP that left a NAT (the message comes from a public
 * address) towards a public peer: nothing rewrote it, so the peer's media
 * goes to an address it cannot reach. */
static void check_private_sdp(struct hp_media *m, struct media_dialog *d, int party,
			      const struct hp_pkt *pkt, uint64_t ts_us)
{
	struct media_party *pp = &d->party[party];

	if (pp->mismatch_reported || !addr_public(pkt->ip_version, pkt->src_addr) ||
	    !addr_public(pkt->ip_version, pkt->dst_addr))
		return;
	for (int i = 0; i < pp->n_line; i++) {
		const struct media_line *l = &pp->line[i];
		if (l->family != pkt->ip_version || !addr_private(l->family, l->addr))
			continue;
		pp->mismatch_reported = true;
		media_emit_sdp_mismatch(m, d, party, "private_address", l->family, l->addr, l->port,
					pkt->src_addr, pkt->src_port, pkt->dst_addr, pkt->dst_port,
					ts_us);
		return;
	}
}

static void learn_sdp(struct hp_media *m, struct media_dialog *d, int party,
		      const struct hp_pkt *pkt, const struct hp_sip_msg *sip, uint64_t ts_us)
{
	struct media_party *pp = &d->party[party];

	if (hp_sdp_parse(sip->body, sip->body_len, &m->sdp) != HP_SDP_OK) {
		hp_ctr_inc(m->ctr, HP_CTR_SDP_MALFORMED);
		return;
	}
	if (m->sdp.bad_lines > 0)
		hp_ctr_add(m->ctr, HP_CTR_SDP_LINES_SKIPPED, m->sdp.bad_lines);
	struct media_party next = *pp;
	next.n_line = 0;
	for (int i = 0; i < m->sdp.n_media && next.n_line < MEDIA_LINES; i++) {
		const struct hp_sdp_media *mm = &m->sdp.media[i];
		/* Port 0 rejects the stream (RFC 3264 §6); a host name cannot be matched. */
		if (mm->kind != HP_SDP_AUDIO || mm->port == 0 || mm->conn.family == 0)
			continue;
		line_fill(&next.line[next.n_line++], mm);
	}
	/* A re-INVITE or a retransmission mostly repeats the endpoints: those stay
	 * in the table and are rebound in place instead of removed and added. */
	party_unbind_except(m, d, party, &next);
	*pp = next;
	pp->have_sdp = true;
	party_bind(m, d, party, ts_us);
	check_private_sdp(m, d, party, pkt, ts_us);
}

static bool ieq_prefix(struct hp_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && strncasecmp(s.p, lit, n) == 0;
}

/* Offer/answer travel in INVITE, its reliable 1xx and 2xx, ACK, PRACK and UPDATE
 * (RFC 3261 §13.2.1, RFC 3262 §5, RFC 3311 §5). */
static bool carries_sdp(const struct hp_sip_msg *s)
{
	if (s->body == NULL || s->body_len == 0)
		return false;
	if (s->method != HP_SIP_INVITE && s->method != HP_SIP_ACK && s->method != HP_SIP_UPDATE &&
	    s->method != HP_SIP_PRACK)
		return false;
	if (!s->is_request && (s->status <= 100 || s->status >= 300))
		return false;
	if (s->content_type.len > 0)
		return ieq_prefix(s->content_type, "application/sdp");
	return s->body_len >= 2 && s->body[0] == 'v' && s->body[1] == '=';
}

/* ------------------------------------------------------------------ dialogs */

static int sender_party(const struct hp_media *m, struct media_dialog *d,
			const struct hp_sip_msg *sip)
{
	uint32_t th = hp_flowtab_hash(sip->from_tag.len ? sip->from_tag.p : "", sip->from_tag.len,
				      m->seed.tag);

	/* The From of a request and of its responses is the requester. */
	if (!d->have_caller) {
		d->caller_tag_hash = th;
		d->have_caller = true;
	}
	bool from_is_caller = th == d->caller_tag_hash;
	return sip->is_request == from_is_caller ? MEDIA_CALLER : MEDIA_CALLEE;
}

static void stream_end(struct hp_media *m, struct media_stream *s, int reason, bool remove);

static bool expects_rtp(const struct media_dialog *d, int party, uint64_t now_us)
{
	const struct media_party *pp = &d->party[party];

	if (!d->confirmed || now_us < d->confirmed_us + NO_RTP_MIN_US ||
	    !d->party[0].have_sdp || !d->party[1].have_sdp)
		return false;
	for (int i = 0; i < pp->n_line; i++)
		if (pp->line[i].dir == HP_SDP_SENDRECV || pp->line[i].dir == HP_SDP_SENDONLY)
			return true;
	return false;
}

/* Ends a dialog: its streams, its no_rtp events, its call_summary event, its
 * call-log entry, its endpoints.
 * The caller removes the dialog entry (or the table does, on expiry). */
static void dialog_end(struct hp_media *m, struct media_dialog *d, int reason)
{
	struct media_call_sum c;

	while (d->streams != NULL)
		stream_end(m, d->streams, reason, true);
	memset(&c, 0, sizeof(c));
	for (int p = 0; p < 2; p++) {
		if (expects_rtp(d, p, m->now_us) && !d->party[p].rtp_seen) {
			media_emit_no_rtp(m, d, p, reason, m->now_us);
			c.no_rtp[p] = true;
		}
	}
	c.start_us = d->created_us;
	c.end_us = m->now_us;
	c.end_reason = (uint8_t)reason;
	c.n_streams = d->n_ended;
	c.more_streams = d->more_ended;
	c.cid_len = (uint16_t)(d->call_id_len < MEDIA_LOG_CID ? d->call_id_len : MEDIA_LOG_CID);
	memcpy(c.cid, d->call_id, c.cid_len);
	memcpy(c.s, d->ended, sizeof(c.s));
	media_emit_call_summary(m, d, &c);
	media_emit_call_verdict(m, d, &c);
	if (d->disc.requests > 0 && !d->disc.answered)
		media_emit_checksum_discarded(m, d, m->now_us);
	media_log_call(m, &c);
	party_unbind(m, d, MEDIA_CALLER);
	party_unbind(m, d, MEDIA_CALLEE);
	d->gen = 0;
}

static void dialog_end_now(struct hp_media *m, struct media_dialog *d, int reason)
{
	dialog_end(m, d, reason);
	hp_flowtab_remove(m->dialogs, d);
	hp_ctr_inc(m->ctr, HP_CTR_DIALOGS_EXPIRED);
	update_gauges(m);
}

static void dialog_schedule_end(struct hp_media *m, struct media_dialog *d, int reason,
				uint64_t ts_us)
{
	if (d->end_reason != MEDIA_END_NONE)
		return;
	d->end_reason = (uint8_t)reason;
	d->end_at_us = ts_us + m->cfg.dialog_grace_ms * US_PER_MS;
	if (m->endq_n == m->endq_cap) {
		/* Only stale slots can fill the queue; ending now loses just the grace. */
		m->now_us = ts_us;
		dialog_end_now(m, d, reason);
		return;
	}
	struct media_end_slot *e = &m->endq[(m->endq_head + m->endq_n) % m->endq_cap];
	e->d = d;
	e->gen = d->gen;
	e->at_us = d->end_at_us;
	m->endq_n++;
}

static struct media_dialog *dialog_get(struct hp_media *m, const struct hp_sip_msg *sip,
				       bool create, uint64_t ts_us)
{
	struct media_dkey k;
	uint32_t h = dialog_key(m, &k, sip->call_id);
	struct media_dialog *d = hp_flowtab_lookup(m->dialogs, &k, h);
	bool created;

	if (d != NULL) {
		hp_flowtab_touch(m->dialogs, d, ts_us);
		return d;
	}
	if (!create)
		return NULL;
	d = hp_flowtab_insert(m->dialogs, &k, h, ts_us, &created);
	if (d == NULL) {
		hp_ctr_inc(m->ctr, HP_CTR_DIALOG_TABLE_FULL);
		return NULL;
	}
	d->gen = m->next_gen++;
	if (m->next_gen == 0)
		m->next_gen = 1;
	d->created_us = ts_us;
	d->call_id_len = (uint16_t)(sip->call_id.len < HP_MEDIA_CALL_ID_MAX ? sip->call_id.len
									 : HP_MEDIA_CALL_ID_MAX);
	memcpy(d->call_id, sip->call_id.p, d->call_id_len);
	hp_ctr_inc(m->ctr, HP_CTR_DIALOGS);
	update_gauges(m);
	return d;
}

static void dialog_state(struct hp_media *m, struct media_dialog *d, const struct hp_sip_msg *sip,
			 uint64_t ts_us)
{
	if (sip->is_request) {
		if (sip->method == HP_SIP_BYE)
			dialog_schedule_end(m, d, MEDIA_END_BYE, ts_us);
		else if (sip->method == HP_SIP_CANCEL)
			dialog_schedule_end(m, d, MEDIA_END_CANCEL, ts_us);
		return;
	}
	if (sip->method != HP_SIP_INVITE)
		return;
	if (sip->status >= 200 && sip->status < 300) {
		if (!d->confirmed)
			d->confirmed_us = ts_us;
		d->confirmed = true;
		/* Another fork answered after one rejected: the call goes on. Its queue slot
		 * turns stale because end_reason no longer matches. */
		if (d->end_reason == MEDIA_END_REJECTED)
			d->end_reason = MEDIA_END_NONE;
	} else if (sip->status >= 300 && !d->confirmed) {
		/* A failed re-INVITE leaves the dialog as it was (RFC 3261 §14.1). */
		dialog_schedule_end(m, d, MEDIA_END_REJECTED, ts_us);
	}
}

void hp_media_on_sip(struct hp_media *m, const struct hp_pkt *pkt, const struct hp_sip_msg *sip,
		     uint64_t ts_us)
{
	if (sip->call_id.len == 0)
		return;
	if (sip->method == HP_SIP_REGISTER) {
		struct hp_register_change c;
		if (hp_register_on_sip(m->reg, pkt, sip, ts_us, &c))
			media_emit_register_change(m, &c);
		return;
	}
	bool sdp = carries_sdp(sip);
	bool invite = sip->is_request && sip->method == HP_SIP_INVITE;
	/* Only an INVITE or an SDP starts tracking: REGISTER, OPTIONS, ... have no media. */
	struct media_dialog *d = dialog_get(m, sip, invite || sdp, ts_us);
	if (d == NULL)
		return;
	int party = sender_party(m, d, sip);
	/* A response to the discarded request, or a copy of it that the
	 * receiver kept: the message got through after all. */
	if (d->disc.requests > 0 && sip->cseq_num == d->disc.cseq)
		d->disc.answered = true;
	if (sdp)
		learn_sdp(m, d, party, pkt, sip, ts_us);
	dialog_state(m, d, sip, ts_us);
}

void hp_media_on_sip_discarded(struct hp_media *m, const struct hp_pkt *pkt,
			       const struct hp_sip_msg *sip, int csum_verdict, uint64_t ts_us)
{
	if (sip->call_id.len == 0)
		return;
	bool invite = sip->is_request && sip->method == HP_SIP_INVITE;
	struct media_dialog *d = dialog_get(m, sip, invite, ts_us);
	if (d == NULL)
		return;
	struct media_discard *x = &d->disc;
	if (x->n++ == 0)
		x->first_us = ts_us;
	x->last_us = ts_us;
	if (!sip->is_request)
		return;
	/* A retransmission of the same request keeps what was learnt of it. */
	if (x->requests++ == 0 || sip->cseq_num != x->cseq)
		x->answered = false;
	x->cseq = sip->cseq_num;
	x->verdict = (uint8_t)csum_verdict;
	x->family = pkt->ip_version;
	memcpy(x->src, pkt->src_addr, 16);
	memcpy(x->dst, pkt->dst_addr, 16);
	x->sport = pkt->src_port;
	x->dport = pkt->dst_port;
	size_t n = sip->method_str.len < sizeof(x->method) - 1 ? sip->method_str.len
								: sizeof(x->method) - 1;
	memcpy(x->method, sip->method_str.p, n);
	x->method[n] = '\0';
}

void hp_media_on_sip_error(struct hp_media *m, const struct hp_pkt *pkt, int reason,
			   uint64_t ts_us)
{
	struct media_errkey k;
	bool created;

	memset(&k, 0, sizeof(k));
	k.family = pkt->ip_version;
	k.reason = (uint8_t)reason;
	k.sport = pkt->src_port;
	k.dport = pkt->dst_port;
	addr_copy(k.src, pkt->ip_version, pkt->src_addr);
	addr_copy(k.dst, pkt->ip_version, pkt->dst_addr);
	uint32_t h = hp_flowtab_hash(&k, sizeof(k), m->seed.tag ^ SEED_ERR);
	uint64_t *count = hp_flowtab_insert(m->errs, &k, h, ts_us, &created);
	/* A full table reports nothing new: a flood of garbage is one story
	 * per flow, not an event per datagram. */
	if (count == NULL)
		return;
	if (!created) {
		(*count)++;
		return;
	}
	*count = 1;
	media_emit_parse_error(m, pkt, reason, ts_us);
}

/* ------------------------------------------------------------------ streams */

static const struct media_line *stream_line(const struct media_stream *s)
{
	if (s->d == NULL)
		return NULL;
	const struct media_party *pp = &s->d->party[s->line_party];
	return s->line_idx < pp->n_line ? &pp->line[s->line_idx] : NULL;
}

static const struct media_pt *line_pt(const struct media_line *l, uint8_t pt)
{
	if (l == NULL)
		return NULL;
	for (int i = 0; i < l->n_pt; i++)
		if (l->pts[i].pt == pt)
			return &l->pts[i];
	return NULL;
}

/* RFC 3551 §6 Table 4: the static audio types seen in telephony (all 8 kHz RTP clock). */
static const char *static_name(uint8_t pt)
{
	switch (pt) {
	case 0: return "PCMU";
	case 3: return "GSM";
	case 4: return "G723";
	case 8: return "PCMA";
	case 9: return "G722";
	case 18: return "G729";
	default: return "";
	}
}

/* Codec of the stream's first audio packet: SDP of the endpoint's party, then of
 * the other party (answers usually repeat the offer's numbers), then RFC 3551. */
static void stream_set_codec(struct hp_media *m, struct media_stream *s, uint8_t pt)
{
	const struct media_pt *p = line_pt(stream_line(s), pt);
	if (p == NULL && s->d != NULL) {
		const struct media_party *o = &s->d->party[s->line_party ^ 1];
		p = line_pt(s->line_idx < o->n_line ? &o->line[s->line_idx] : NULL, pt);
	}
	s->codec_pt = pt;
	if (p != NULL && p->name[0] != '\0')
		memcpy(s->codec, p->name, MEDIA_CODEC_NAME);
	else
		strcpy(s->codec, static_name(pt));

	enum hp_silence_codec sc = HP_SILENCE_RAW;
	if (strcasecmp(s->codec, "PCMU") == 0)
		sc = HP_SILENCE_PCMU;
	else if (strcasecmp(s->codec, "PCMA") == 0)
		sc = HP_SILENCE_PCMA;
	/* Packets before this one were events or comfort noise: keep their count. */
	uint64_t other = s->sil.other_packets;
	hp_silence_init(&s->sil, sc, 0, m->cfg.flat_ms * (HP_SILENCE_RATE / 1000));
	hp_silence_set_clip(&s->sil, m->cfg.clip_pct);
	s->sil.other_packets = other;
}

static bool is_other_pt(const struct media_stream *s, uint8_t pt)
{
	return pt == s->st.event_pt || pt == HP_RTP_PT_CN || pt == HP_RTP_PT_CN_OLD;
}

static void stream_bind(struct media_stream *s, const struct media_ep *e, bool to_dst)
{
	struct media_dialog *d = e->d;
	int sender = to_dst ? e->party ^ 1 : e->party;

	s->d = d;
	s->prev = NULL;
	s->next = d->streams;
	if (d->streams != NULL)
		d->streams->prev = s;
	d->streams = s;
	s->dir = sender == MEDIA_CALLER ? HP_MEDIA_DIR_CALLER_TO_CALLEE : HP_MEDIA_DIR_CALLEE_TO_CALLER;
	s->line_party = e->party;
	s->line_idx = e->line_idx;
	d->party[sender].rtp_seen = true;
	const struct media_line *l = stream_line(s);
	if (l != NULL) {
		s->srtp = l->srtp;
		hp_rtp_stats_set_event_pt(&s->st, l->event_pt);
	}
}

static void stream_unlink(struct media_stream *s)
{
	if (s->d == NULL)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		s->d->streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->d = NULL;
	s->prev = s->next = NULL;
}

/* RTP clock of pt from the stream's SDP line (RFC 3551 §4.5: a dynamic type's
 * rate comes only from its rtpmap); for an event or CN packet, the line's
 * preferred audio format; 8000 when there is no line or no rate. */
static uint32_t line_clock(const struct media_stream *s, uint8_t pt)
{
	const struct media_line *l = stream_line(s);
	const struct media_pt *p = is_other_pt(s, pt) ? NULL : line_pt(l, pt);
	if (p == NULL && l != NULL && l->n_pt > 0 && is_other_pt(s, pt))
		p = &l->pts[0];
	return p != NULL && p->rate != 0 ? p->rate : 8000;
}

/* A stream found heuristically was measured with the 8 kHz default; once SDP
 * names its format the jitter must use that format's clock. Every transit
 * time so far was converted with the wrong clock (a drift of the rate ratio
 * per packet, not jitter), so A.8 restarts at this packet instead of carrying
 * that into J; the sequence and loss figures do not depend on the clock. */
static void stream_adopt_clock(struct hp_media *m, struct media_stream *s, uint8_t pt)
{
	uint8_t audio_pt = s->codec_pt != HP_RTP_NO_PT ? s->codec_pt : pt;
	uint32_t clock = line_clock(s, audio_pt);

	if (s->codec_pt != HP_RTP_NO_PT && s->codec[0] == '\0' && !s->srtp)
		stream_set_codec(m, s, s->codec_pt);
	if (clock == s->clock)
		return;
	s->clock = clock;
	s->st.clock_rate = clock;
	s->st.have_ref = false;
	s->st.jitter16 = 0;
	s->st.jitter_max = 0;
	s->st.jitter_sum = 0;
	s->st.jitter_n = 0;
}

/* RTP that arrived at its endpoint from somewhere its sender's SDP did not
 * announce: a NAT changed the source, and nothing fixed the SDP. Once per
 * party and call. */
static void check_source(struct hp_media *m, struct media_stream *s, bool to_dst, uint64_t ts_us)
{
	static const uint8_t zero[16];
	struct media_dialog *d = s->d;

	if (!to_dst || d == NULL)
		return;
	int sender = s->dir == HP_MEDIA_DIR_CALLER_TO_CALLEE ? MEDIA_CALLER : MEDIA_CALLEE;
	struct media_party *pp = &d->party[sender];
	const struct media_skey *k = hp_flowtab_key(m->streams, s);
	if (!pp->have_sdp || pp->n_line == 0 || pp->mismatch_reported ||
	    party_has_ep(pp, k->family, k->src, k->sport))
		return;
	const struct media_line *l = &pp->line[s->line_idx < pp->n_line ? s->line_idx : 0];
	/* c=0.0.0.0 puts the stream on hold (RFC 3264 §8.4): it announces no source. */
	if (l->family != k->family || memcmp(l->addr, zero, 16) == 0)
		return;
	pp->mismatch_reported = true;
	media_emit_sdp_mismatch(m, d, sender, "rtp_source", k->family, l->addr, l->port, k->src,
				k->sport, k->dst, k->dport, ts_us);
}

/* A new stream; e NULL for one found heuristically. */
static struct media_stream *stream_new(struct hp_media *m, const struct media_skey *k, uint32_t h,
				       const struct media_ep *e, bool to_dst, uint8_t first_pt,
				       uint64_t ts_us)
{
	bool created;
	struct media_stream *s = hp_flowtab_insert(m->streams, k, h, ts_us, &created);

	if (s == NULL)
		return NULL;
	s->codec_pt = HP_RTP_NO_PT;
	s->heuristic = e == NULL;
	hp_silence_init(&s->sil, HP_SILENCE_RAW, 0, m->cfg.flat_ms * (HP_SILENCE_RATE / 1000));
	hp_silence_set_clip(&s->sil, m->cfg.clip_pct);
	hp_rtp_stats_init(&s->st, 0);
	if (e != NULL) {
		stream_bind(s, e, to_dst);
		check_source(m, s, to_dst, ts_us);
	}
	s->clock = line_clock(s, first_pt);
	uint8_t ev = s->st.event_pt;
	hp_rtp_stats_init(&s->st, s->clock);
	hp_rtp_stats_set_event_pt(&s->st, ev);
	hp_ctr_inc(m->ctr, HP_CTR_STREAMS);
	update_gauges(m);
	return s;
}

static void flat_check(struct hp_media *m, struct media_stream *s, uint64_t ts_us)
{
	struct hp_silence_result r;

	hp_silence_finish(&s->sil, &r);
	if (!r.flagged)
		return;
	s->flat_reported = true;
	hp_ctr_inc(m->ctr, HP_CTR_STREAMS_FLAT);
	media_emit_flat(m, s, &r, false, ts_us);
}

static void stream_measure(struct hp_media *m, struct media_stream *s, const struct hp_rtp_hdr *h,
			   bool discarded, uint64_t ts_us)
{
	hp_rtp_stats_update(&s->st, h, ts_us);
	s->discarded += discarded;
	/* Media keeps its dialog alive, checked against the stream's own
	 * clock: reading the dialog on every packet would be a cache miss per
	 * packet on a large table. */
	if (s->d != NULL && ts_us > s->dialog_touched_us + DIALOG_TOUCH_US) {
		s->dialog_touched_us = ts_us;
		hp_flowtab_touch(m->dialogs, s->d, ts_us);
	}
	if (s->srtp)
		return;
	if (is_other_pt(s, h->pt)) {
		hp_silence_note_other(&s->sil);
		return;
	}
	if (s->codec_pt == HP_RTP_NO_PT)
		stream_set_codec(m, s, h->pt);
	if (h->pt != s->codec_pt) {
		/* A codec switch mid-stream: not decoded with the first codec's law. */
		hp_silence_note_other(&s->sil);
		return;
	}
	hp_silence_update(&s->sil, h->payload, h->payload_len, ts_us);
	if (!s->flat_reported && ++s->since_check >= FLAT_CHECK_EVERY) {
		s->since_check = 0;
		flat_check(m, s, ts_us);
	}
}

static void stream_end(struct hp_media *m, struct media_stream *s, int reason, bool remove)
{
	struct media_stream_sum sum;
	struct media_dialog *d = s->d;

	media_stream_end_records(m, s, reason, &sum);
	if (sum.lost > 0)
		hp_ctr_add(m->ctr, HP_CTR_RTP_LOST, (uint64_t)sum.lost);
	hp_ctr_add(m->ctr, HP_CTR_RTP_DISCARDED, sum.discarded);
	if (d != NULL) {
		if (d->n_ended < MEDIA_SUM_STREAMS)
			d->ended[d->n_ended++] = sum;
		else if (d->more_ended < 0xFF)
			d->more_ended++;
	} else {
		struct media_call_sum c;
		memset(&c, 0, sizeof(c));
		c.start_us = sum.start_us;
		c.end_us = sum.end_us;
		c.end_reason = (uint8_t)reason;
		c.n_streams = 1;
		c.s[0] = sum;
		media_log_call(m, &c);
	}
	stream_unlink(s);
	if (remove) {
		hp_flowtab_remove(m->streams, s);
		update_gauges(m);
	}
}

/* ------------------------------------------------------------------ datagrams */

static int rtcp_measure(struct hp_media *m, const struct hp_pkt *pkt, const struct media_dialog *d,
			uint64_t ts_us)
{
	size_t n = hp_rtcp_to_json(&m->rtcp, m->buf, sizeof(m->buf) - 1);

	hp_ctr_inc(m->ctr, HP_CTR_RTCP_PACKETS);
	if (n > 0) {
		m->buf[n] = '\0';
		media_emit(m, HP_HEP_PROTO_RTCP, n, d, pkt->ip_version, pkt->src_addr, pkt->dst_addr,
			   pkt->src_port, pkt->dst_port, ts_us);
	}
	return HP_MEDIA_RTCP;
}

/* The call of an unannounced RTCP packet: the RTP stream of its sender SSRC one
 * port below (RFC 3550 §11), when that stream is tied to a call. */
static const struct media_dialog *rtcp_guess_dialog(struct hp_media *m, const struct hp_pkt *pkt)
{
	struct media_skey k;
	struct hp_pkt rtp = *pkt;

	if (m->rtcp.n_pkts == 0 || (pkt->src_port & 1) == 0 || (pkt->dst_port & 1) == 0)
		return NULL;
	rtp.src_port--;
	rtp.dst_port--;
	uint32_t h = stream_key(m, &k, &rtp, m->rtcp.pkt[0].ssrc);
	const struct media_stream *s = hp_flowtab_lookup(m->streams, &k, h);
	return s != NULL ? s->d : NULL;
}

static int on_rtcp(struct hp_media *m, const struct hp_pkt *pkt, uint64_t ts_us)
{
	bool to_dst;
	const struct media_ep *e = ep_find(m, pkt, &to_dst);

	if (e != NULL) {
		/* RTCP on the RTP port too: RFC 5761 multiplexing. */
		if (hp_rtcp_parse(pkt->payload, pkt->payload_len, &m->rtcp) != HP_R_OK)
			return -HP_R_RTCP_MALFORMED;
		return rtcp_measure(m, pkt, e->d, ts_us);
	}
	/* Unannounced: only on odd ports (RFC 3550 §11) away from well-known services,
	 * and only a compound that starts with SR or RR (RFC 3550 §6.1). */
	if (!m->cfg.heuristic_rtcp || ((pkt->src_port | pkt->dst_port) & 1) == 0 ||
	    pkt->src_port < HEUR_MIN_PORT || pkt->dst_port < HEUR_MIN_PORT ||
	    !hp_rtcp_looks_like_rtcp(pkt->payload, pkt->payload_len) ||
	    hp_rtcp_parse(pkt->payload, pkt->payload_len, &m->rtcp) != HP_R_OK ||
	    (m->rtcp.pkt[0].type != HP_RTCP_SR && m->rtcp.pkt[0].type != HP_RTCP_RR))
		return HP_MEDIA_NOT_MEDIA;
	return rtcp_measure(m, pkt, rtcp_guess_dialog(m, pkt), ts_us);
}

static bool cand_consistent(const struct media_cand *c, const struct hp_rtp_hdr *h)
{
	const struct media_cand_pkt *last = &c->pk[c->n - 1];
	uint16_t dseq = (uint16_t)(h->seq - last->seq);

	return h->pt == last->pt && dseq >= 1 && dseq <= 3 &&
	       (uint32_t)(h->ts - last->ts) <= PROBATION_MAX_DTS;
}

/* PT an unannounced stream may carry: RFC 3551 static audio/video types and the
 * dynamic range; 35..71 and 77..95 are unassigned and rare in real RTP. */
static bool heur_pt(uint8_t pt)
{
	return pt <= 34 || pt >= 96;
}

static int on_candidate(struct hp_media *m, const struct hp_pkt *pkt, const struct media_skey *k,
			uint32_t h, const struct hp_rtp_hdr *rh, bool discarded, uint64_t ts_us)
{
	bool created;

	if (!m->cfg.heuristic_rtp || pkt->src_port < HEUR_MIN_PORT || pkt->dst_port < HEUR_MIN_PORT ||
	    !heur_pt(rh->pt) || !hp_rtp_looks_like_rtp(pkt->payload, pkt->payload_len))
		return HP_MEDIA_NOT_MEDIA;
	struct media_cand *c = hp_flowtab_insert(m->cands, k, h, ts_us, &created);
	/* RTP-shaped, so not "not VoIP": a flood of unannounced flows filling the
	 * table must show as such, not hide among STUN and DNS. */
	if (c == NULL)
		return -HP_R_CANDIDATE_TABLE_FULL;
	if (created || c->n == 0 || !cand_consistent(c, rh))
		c->n = 0;
	if (c->n < PROBATION - 1) {
		struct media_cand_pkt *p = &c->pk[c->n++];
		p->us = ts_us;
		p->ts = rh->ts;
		p->plen = rh->payload_len;
		p->seq = rh->seq;
		p->pt = rh->pt;
		p->marker = rh->marker;
		p->discarded = discarded;
		return HP_MEDIA_RTP_PROBATION;
	}
	struct media_cand held = *c;
	hp_flowtab_remove(m->cands, c);
	struct media_stream *s = stream_new(m, k, h, NULL, false, rh->pt, ts_us);
	if (s == NULL)
		return -HP_R_STREAM_TABLE_FULL;
	/* The held packets count in the statistics; their payloads are gone, so the
	 * flat-line classifier starts with this packet. */
	for (int i = 0; i < held.n; i++) {
		struct hp_rtp_hdr ph;
		memset(&ph, 0, sizeof(ph));
		ph.version = 2;
		ph.marker = held.pk[i].marker;
		ph.pt = held.pk[i].pt;
		ph.seq = held.pk[i].seq;
		ph.ts = held.pk[i].ts;
		ph.ssrc = rh->ssrc;
		ph.hdr_len = 12;
		ph.payload_len = held.pk[i].plen;
		hp_rtp_stats_update(&s->st, &ph, held.pk[i].us);
		s->discarded += held.pk[i].discarded;
	}
	stream_measure(m, s, rh, discarded, ts_us);
	return HP_MEDIA_RTP;
}

static int on_rtp(struct hp_media *m, const struct hp_pkt *pkt, const struct hp_media_prep *prep,
		  bool discarded, uint64_t ts_us)
{
	struct hp_rtp_hdr rh;
	struct media_skey k;
	const struct media_ep *e;
	bool to_dst;

	if (hp_rtp_parse(pkt->payload, pkt->payload_len, &rh) != HP_R_OK) {
		e = ep_find(m, pkt, &to_dst);
		if (e == NULL)
			return HP_MEDIA_NOT_MEDIA;
		return e->kind == MEDIA_EP_RTCP ? -HP_R_RTCP_MALFORMED : -HP_R_RTP_MALFORMED;
	}
	uint32_t h;
	if (prep->rtp) {
		stream_key_fill(&k, pkt, rh.ssrc);
		h = prep->stream_hash;
	} else {
		h = stream_key(m, &k, pkt, rh.ssrc);
	}
	struct media_stream *s = hp_flowtab_lookup(m->streams, &k, h);
	if (s != NULL) {
		hp_flowtab_touch(m->streams, s, ts_us);
		/* A stream found before its SDP was seen joins the call once the SDP is in. */
		if (s->d == NULL && (s->st.packets & 63) == 63) {
			e = ep_find(m, pkt, &to_dst);
			if (e != NULL && e->kind == MEDIA_EP_RTP) {
				stream_bind(s, e, to_dst);
				check_source(m, s, to_dst, ts_us);
				stream_adopt_clock(m, s, rh.pt);
			}
		}
		stream_measure(m, s, &rh, discarded, ts_us);
		return HP_MEDIA_RTP;
	}
	e = ep_find(m, pkt, &to_dst);
	if (e == NULL)
		return on_candidate(m, pkt, &k, h, &rh, discarded, ts_us);
	if (e->kind == MEDIA_EP_RTCP)
		return -HP_R_RTCP_MALFORMED;
	s = stream_new(m, &k, h, e, to_dst, rh.pt, ts_us);
	if (s == NULL)
		return -HP_R_STREAM_TABLE_FULL;
	stream_measure(m, s, &rh, discarded, ts_us);
	return HP_MEDIA_RTP;
}

/* RFC 7983 §7: a first byte of 128..191 is RTP or RTCP; below are STUN, ZRTP,
 * DTLS and TURN channels, which share media ports but are not measured. */
static bool rtp_or_rtcp(const struct hp_pkt *pkt)
{
	return pkt->l4_proto == IPPROTO_UDP && pkt->payload != NULL && pkt->payload_len >= 8 &&
	       (pkt->payload[0] >> 6) == 2;
}

/* RFC 5761 §4: the second byte of RTCP (packet type) is 192..223. */
static bool is_rtcp(const uint8_t *p)
{
	return p[1] >= 192 && p[1] <= 223;
}

void hp_media_prepare(const struct hp_media *m, const struct hp_pkt *pkt, struct hp_media_prep *prep)
{
	struct media_skey k;

	prep->rtp = false;
	if (!rtp_or_rtcp(pkt) || is_rtcp(pkt->payload) || pkt->payload_len < 12)
		return;
	/* The SSRC at octets 8..11 of the fixed header (RFC 3550 §5.1), as
	 * hp_rtp_parse() will read it. */
	prep->stream_hash = stream_key(m, &k, pkt, hp_get_be32(pkt->payload + 8));
	prep->rtp = true;
	hp_flowtab_prefetch(m->streams, prep->stream_hash);
}

void hp_media_prefetch(const struct hp_media *m, const struct hp_media_prep *prep)
{
	if (prep->rtp)
		hp_flowtab_prefetch_entry(m->streams, prep->stream_hash);
}

void hp_media_prefetch_touch(const struct hp_media *m, const struct hp_media_prep *prep,
			     uint64_t ts_us)
{
	if (prep->rtp)
		hp_flowtab_prefetch_lru(m->streams, prep->stream_hash, ts_us);
}

int hp_media_on_udp_prepared(struct hp_media *m, const struct hp_pkt *pkt,
			     const struct hp_media_prep *prep, int csum_verdict, uint64_t ts_us)
{
	if (!rtp_or_rtcp(pkt))
		return HP_MEDIA_NOT_MEDIA;
	if (is_rtcp(pkt->payload))
		return on_rtcp(m, pkt, ts_us);
	/* The receiving host drops a datagram whose checksum fails (RFC 768,
	 * RFC 1122 §4.1.3.4) and, over IPv6, one with no checksum at all
	 * (RFC 8200 §8.1): it is on the wire but not heard. */
	bool discarded = csum_verdict == HP_CSUM_BAD || csum_verdict == HP_CSUM_ZERO_IPV6;
	return on_rtp(m, pkt, prep, discarded, ts_us);
}

int hp_media_on_udp(struct hp_media *m, const struct hp_pkt *pkt, uint64_t ts_us)
{
	struct hp_media_prep prep = { 0 };

	return hp_media_on_udp_prepared(m, pkt, &prep, HP_CSUM_OK, ts_us);
}

/* ------------------------------------------------------------------ timers */

static void stream_expired(void *value, void *arg)
{
	struct hp_media *m = arg;

	stream_end(m, value, MEDIA_END_TIMEOUT, false);
	hp_ctr_inc(m->ctr, HP_CTR_STREAMS_EXPIRED);
}

static void dialog_expired(void *value, void *arg)
{
	struct hp_media *m = arg;

	dialog_end(m, value, MEDIA_END_TIMEOUT);
	hp_ctr_inc(m->ctr, HP_CTR_DIALOGS_EXPIRED);
}

static void endq_run(struct hp_media *m, uint64_t now_us)
{
	for (uint32_t n = 0; n < m->cfg.tick_budget && m->endq_n > 0; n++) {
		struct media_end_slot *e = &m->endq[m->endq_head];
		if (e->at_us > now_us)
			break;
		m->endq_head = (m->endq_head + 1) % m->endq_cap;
		m->endq_n--;
		struct media_dialog *d = e->d;
		if (d->gen == e->gen && d->end_reason != MEDIA_END_NONE && d->end_at_us == e->at_us)
			dialog_end_now(m, d, d->end_reason);
	}
}

void hp_media_tick(struct hp_media *m, uint64_t now_us)
{
	uint32_t budget = m->cfg.tick_budget;

	m->now_us = now_us;
	hp_flowtab_expire(m->streams, now_us, m->cfg.stream_idle_ms * US_PER_MS, budget,
			  stream_expired, m);
	hp_flowtab_expire(m->cands, now_us, m->cfg.candidate_idle_ms * US_PER_MS, budget, NULL, NULL);
	endq_run(m, now_us);
	hp_register_tick(m->reg, now_us, budget);
	hp_flowtab_expire(m->errs, now_us, (uint64_t)m->cfg.error_idle_ms * US_PER_MS, budget,
			  NULL, NULL);
	hp_flowtab_expire(m->dialogs, now_us, m->cfg.dialog_idle_ms * US_PER_MS, budget,
			  dialog_expired, m);
	update_gauges(m);
}

static void flush_dialog(void *value, void *arg)
{
	struct hp_media *m = arg;

	dialog_end(m, value, MEDIA_END_EOC);
	hp_flowtab_remove(m->dialogs, value);
}

static void flush_stream(void *value, void *arg)
{
	stream_end(arg, value, MEDIA_END_EOC, true);
}

static void flush_cand(void *value, void *arg)
{
	hp_flowtab_remove(arg, value);
}

void hp_media_flush(struct hp_media *m, uint64_t now_us)
{
	m->now_us = now_us;
	hp_flowtab_foreach(m->dialogs, flush_dialog, m);
	hp_flowtab_foreach(m->streams, flush_stream, m);
	hp_flowtab_foreach(m->cands, flush_cand, m->cands);
	m->endq_head = 0;
	m->endq_n = 0;
	update_gauges(m);
}
