/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include "flowtab/flowtab.h"
#include "register/register.h"

#define US_PER_S 1000000ull
/* Timer F = 64 * T1 (RFC 3261 §17.1.2.2): no final response after this. */
#define PENDING_US (64ull * 500000ull)
/* A binding idle (neither refreshed nor looked at) this long is past any
 * expiry the table still needs to check: longer than a day-long registration. */
#define BINDING_IDLE_US (2ull * 86400ull * US_PER_S)
#define SEED_PEND 0x72656731u
#define SEED_BIND 0x72656732u
#define SEED_B2 0x72656733u

struct pend_key {
	uint32_t cid_hash, cid_hash2;
	uint32_t cseq;
	uint16_t cid_len;
	uint16_t pad;
};

struct pend {
	struct hp_register_addr server, client;
	uint32_t expires_s;                /* what the request asked for */
	uint16_t aor_len, contact_len, cid_len;
	char aor[HP_REGISTER_URI_MAX];
	char contact[HP_REGISTER_URI_MAX];
	char call_id[HP_REGISTER_URI_MAX];
	uint64_t at_us;
};

struct bind_key {
	uint32_t aor_hash, contact_hash, both_hash;
	uint16_t aor_len, contact_len;
};

struct binding {
	struct hp_register_addr server;
	uint64_t registered_us, expires_us;
};

struct hp_register {
	struct hp_flowtab *pend, *bind;
	uint32_t seed_pend, seed_bind, seed_b2;
	size_t memory;
};

void hp_register_cfg_defaults(struct hp_register_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bindings = 65536;
	cfg->max_pending = 8192;
}

struct hp_register *hp_register_create(const struct hp_register_cfg *cfg)
{
	if (cfg == NULL || cfg->max_bindings == 0 || cfg->max_pending == 0)
		return NULL;
	struct hp_register *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	uint64_t seed = cfg->hash_seed;
	r->seed_pend = hp_flowtab_hash(&seed, sizeof(seed), SEED_PEND);
	r->seed_bind = hp_flowtab_hash(&seed, sizeof(seed), SEED_BIND);
	r->seed_b2 = hp_flowtab_hash(&seed, sizeof(seed), SEED_B2);
	r->pend = hp_flowtab_create(cfg->max_pending, sizeof(struct pend_key), sizeof(struct pend));
	r->bind = hp_flowtab_create(cfg->max_bindings, sizeof(struct bind_key), sizeof(struct binding));
	if (r->pend == NULL || r->bind == NULL) {
		hp_register_destroy(r);
		return NULL;
	}
	r->memory = sizeof(*r) + hp_flowtab_memory(r->pend) + hp_flowtab_memory(r->bind);
	return r;
}

void hp_register_destroy(struct hp_register *r)
{
	if (r == NULL)
		return;
	hp_flowtab_destroy(r->pend);
	hp_flowtab_destroy(r->bind);
	free(r);
}

size_t hp_register_memory(const struct hp_register *r)
{
	return r->memory;
}

uint32_t hp_register_count(const struct hp_register *r)
{
	return hp_flowtab_count(r->bind);
}

static uint32_t pend_key(const struct hp_register *r, struct pend_key *k, const struct hp_sip_msg *sip)
{
	memset(k, 0, sizeof(*k));
	k->cid_hash = hp_flowtab_hash(sip->call_id.p, sip->call_id.len, r->seed_pend);
	k->cid_hash2 = hp_flowtab_hash(sip->call_id.p, sip->call_id.len, r->seed_b2);
	k->cseq = sip->cseq_num;
	k->cid_len = (uint16_t)(sip->call_id.len > 0xFFFF ? 0xFFFF : sip->call_id.len);
	return hp_flowtab_hash(k, sizeof(*k), r->seed_pend);
}

static uint16_t text_copy(char *dst, struct hp_str s)
{
	size_t n = s.len < HP_REGISTER_URI_MAX - 1 ? s.len : HP_REGISTER_URI_MAX - 1;

	if (n > 0)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
	return (uint16_t)n;
}

static void addr_set(struct hp_register_addr *a, int family, const uint8_t *addr, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	a->port = port;
	memcpy(a->addr, addr, family == 6 ? 16 : 4);
}

static bool addr_eq(const struct hp_register_addr *a, const struct hp_register_addr *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, 16) == 0;
}

/* The expiry a message names for its (first) Contact: the contact's expires
 * parameter, else the Expires header (RFC 3261 §10.2.1.1); -1 when neither. */
static int64_t named_expiry(const struct hp_sip_msg *sip)
{
	if (sip->contact_expires >= 0)
		return sip->contact_expires;
	return sip->expires;
}

static void on_request(struct hp_register *r, const struct hp_pkt *pkt,
		       const struct hp_sip_msg *sip, uint64_t ts_us)
{
	struct pend_key k;
	bool created;

	/* "Contact: *" removes every binding (§10.2.2); a REGISTER without a
	 * Contact only queries them: neither names one binding. */
	if (sip->to_uri.len == 0 || sip->contact_uri.len == 0 ||
	    (sip->contact_uri.len == 1 && sip->contact_uri.p[0] == '*'))
		return;
	uint32_t h = pend_key(r, &k, sip);
	struct pend *p = hp_flowtab_insert(r->pend, &k, h, ts_us, &created);
	if (p == NULL)
		return;
	/* A retransmission (same Call-ID and CSeq) only refreshes its time. */
	addr_set(&p->server, pkt->ip_version, pkt->dst_addr, pkt->dst_port);
	addr_set(&p->client, pkt->ip_version, pkt->src_addr, pkt->src_port);
	int64_t e = named_expiry(sip);
	p->expires_s = e >= 0 ? (uint32_t)e : HP_REGISTER_DEFAULT_EXPIRES_S;
	p->aor_len = text_copy(p->aor, sip->to_uri);
	p->contact_len = text_copy(p->contact, sip->contact_uri);
	p->cid_len = text_copy(p->call_id, sip->call_id);
	p->at_us = ts_us;
}

static uint32_t bind_key(const struct hp_register *r, struct bind_key *k, const struct pend *p)
{
	memset(k, 0, sizeof(*k));
	k->aor_hash = hp_flowtab_hash(p->aor, p->aor_len, r->seed_bind);
	k->contact_hash = hp_flowtab_hash(p->contact, p->contact_len, r->seed_bind);
	k->both_hash = hp_flowtab_hash(p->contact, p->contact_len, k->aor_hash ^ r->seed_b2);
	k->aor_len = p->aor_len;
	k->contact_len = p->contact_len;
	return hp_flowtab_hash(k, sizeof(*k), r->seed_bind);
}

/* The expiry the registrar granted: the 2xx lists the bindings with their
 * expires (§10.3 step 8); its first Contact is ours when it names our URI. */
static uint32_t granted_expiry(const struct hp_sip_msg *sip, const struct pend *p)
{
	if (sip->contact_uri.len == p->contact_len && sip->contact_expires >= 0 &&
	    memcmp(sip->contact_uri.p, p->contact, p->contact_len) == 0)
		return (uint32_t)sip->contact_expires;
	if (sip->expires >= 0)
		return (uint32_t)sip->expires;
	return p->expires_s;
}

static bool on_final(struct hp_register *r, const struct hp_sip_msg *sip, uint64_t ts_us,
		     struct hp_register_change *out)
{
	struct pend_key pk;
	struct bind_key bk;
	bool created, changed = false;
	struct pend *p = hp_flowtab_lookup(r->pend, &pk, pend_key(r, &pk, sip));

	if (p == NULL)
		return false;
	if (sip->status < 200 || sip->status >= 300) {
		hp_flowtab_remove(r->pend, p);
		return false;
	}
	uint32_t expires = granted_expiry(sip, p);
	uint32_t h = bind_key(r, &bk, p);
	struct binding *b = hp_flowtab_lookup(r->bind, &bk, h);
	if (expires == 0) {
		if (b != NULL)
			hp_flowtab_remove(r->bind, b);
		hp_flowtab_remove(r->pend, p);
		return false;
	}
	if (b != NULL && ts_us < b->expires_us && !addr_eq(&b->server, &p->server)) {
		memset(out, 0, sizeof(*out));
		memcpy(out->aor, p->aor, sizeof(out->aor));
		memcpy(out->contact, p->contact, sizeof(out->contact));
		memcpy(out->call_id, p->call_id, sizeof(out->call_id));
		out->client = p->client;
		out->old_server = b->server;
		out->new_server = p->server;
		out->old_registered_us = b->registered_us;
		out->old_expires_us = b->expires_us;
		out->new_registered_us = ts_us;
		out->expires_s = expires;
		changed = true;
	}
	if (b == NULL)
		b = hp_flowtab_insert(r->bind, &bk, h, ts_us, &created);
	else
		hp_flowtab_touch(r->bind, b, ts_us);
	if (b != NULL) {
		b->server = p->server;
		b->registered_us = ts_us;
		b->expires_us = ts_us + (uint64_t)expires * US_PER_S;
	}
	hp_flowtab_remove(r->pend, p);
	return changed;
}

bool hp_register_on_sip(struct hp_register *r, const struct hp_pkt *pkt,
			const struct hp_sip_msg *sip, uint64_t ts_us, struct hp_register_change *out)
{
	if (sip->method != HP_SIP_REGISTER || sip->call_id.len == 0)
		return false;
	if (sip->is_request) {
		on_request(r, pkt, sip, ts_us);
		return false;
	}
	if (sip->status < 200)
		return false;
	return on_final(r, sip, ts_us, out);
}

void hp_register_tick(struct hp_register *r, uint64_t now_us, uint32_t budget)
{
	hp_flowtab_expire(r->pend, now_us, PENDING_US, budget, NULL, NULL);
	hp_flowtab_expire(r->bind, now_us, BINDING_IDLE_US, budget, NULL, NULL);
}
