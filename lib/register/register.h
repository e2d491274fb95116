/* SPDX-License-Identifier: BSD-3-Clause */
/* Registration tracking: which server each binding (AOR + Contact) last
 * registered to and until when, learnt from REGISTER requests and their 2xx
 * (RFC 3261 §10). A binding that registers to a different server address
 * while its previous registration is still valid is a target change: a UDP
 * softphone taking the first of rotating DNS answers gets a new NAT binding
 * with each server, and calls to it fail until it registers again.
 *
 * Threading: one table per lcore, no locks. Create/destroy are cold (they
 * allocate); hp_register_on_sip and hp_register_tick never allocate. */
#ifndef HP_REGISTER_H
#define HP_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include "common/hp_common.h"
#include "net/net.h"
#include "sip/sip.h"

/* Bytes of the AOR and Contact kept per binding for the report. */
#define HP_REGISTER_URI_MAX 96u
/* RFC 3261 §10.2.1.1: a registrar picks its default when a request names no
 * expiry; 3600 s is the common one (and the RFC's suggested value). */
#define HP_REGISTER_DEFAULT_EXPIRES_S 3600u

struct hp_register_cfg {
	uint32_t max_bindings;       /* bindings tracked at once (default 65536) */
	uint32_t max_pending;        /* REGISTERs awaiting their response (default 8192) */
	uint64_t hash_seed;
};

void hp_register_cfg_defaults(struct hp_register_cfg *cfg);

struct hp_register_addr {
	uint8_t family;              /* 4 or 6 */
	uint16_t port;
	uint8_t addr[16];
};

/* A binding that moved server while still registered. The strings are
 * NUL-terminated copies (cut at HP_REGISTER_URI_MAX - 1 bytes). */
struct hp_register_change {
	char aor[HP_REGISTER_URI_MAX];
	char contact[HP_REGISTER_URI_MAX];
	char call_id[HP_REGISTER_URI_MAX];
	struct hp_register_addr client;   /* the registering UA, as the server sees it */
	struct hp_register_addr old_server, new_server;
	uint64_t old_registered_us;       /* the 2xx that accepted the previous registration */
	uint64_t old_expires_us;          /* when that registration would have expired */
	uint64_t new_registered_us;       /* the 2xx of this one */
	uint32_t expires_s;               /* this registration's granted expiry */
};

struct hp_register;

/* Cold. NULL on a zero capacity or allocation failure. */
struct hp_register *hp_register_create(const struct hp_register_cfg *cfg);
void hp_register_destroy(struct hp_register *r);
size_t hp_register_memory(const struct hp_register *r);
uint32_t hp_register_count(const struct hp_register *r);

/* Hot. One parsed SIP message. A REGISTER request is remembered (its server
 * is the destination) until its final response; a 2xx to it records the
 * binding, an expiry of 0 removes it (§10.2.2). Returns true and fills *out
 * when the 2xx moves a still valid binding to another server. */
bool hp_register_on_sip(struct hp_register *r, const struct hp_pkt *pkt,
			const struct hp_sip_msg *sip, uint64_t ts_us, struct hp_register_change *out);

/* Drops requests unanswered past Timer F (64*T1 = 32 s, RFC 3261 §17.1.2.2)
 * and bindings past their expiry, at most budget of each. */
void hp_register_tick(struct hp_register *r, uint64_t now_us, uint32_t budget);

#endif
