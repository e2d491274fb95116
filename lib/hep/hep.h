/* SPDX-License-Identifier: BSD-3-Clause */
/* HEPv3 (EEP) encoder and decoder. See ../shared/HEP3.md. Every integer on the
 * wire is big-endian; chunk length includes its 6-byte header. */
#ifndef HP_HEP_H
#define HP_HEP_H

#include <stdbool.h>
#include "common/hp_common.h"

enum hp_hep_proto {
	HP_HEP_PROTO_SIP = 1,
	HP_HEP_PROTO_RTP = 4,
	HP_HEP_PROTO_RTCP = 5,
	HP_HEP_PROTO_QOS_JSON = 34,
	HP_HEP_PROTO_QOS_TEXT = 35,
	HP_HEP_PROTO_LOG = 100,
};

enum hp_hep_chunk {
	HP_HEP_IP_FAMILY = 0x01,
	HP_HEP_IP_PROTO = 0x02,
	HP_HEP_IP4_SRC = 0x03,
	HP_HEP_IP4_DST = 0x04,
	HP_HEP_IP6_SRC = 0x05,
	HP_HEP_IP6_DST = 0x06,
	HP_HEP_SRC_PORT = 0x07,
	HP_HEP_DST_PORT = 0x08,
	HP_HEP_TS_SEC = 0x09,
	HP_HEP_TS_USEC = 0x0a,
	HP_HEP_PROTO_TYPE = 0x0b,
	HP_HEP_CAPTURE_ID = 0x0c,
	HP_HEP_KEEPALIVE = 0x0d,
	HP_HEP_AUTH_KEY = 0x0e,
	HP_HEP_PAYLOAD = 0x0f,
	HP_HEP_PAYLOAD_GZ = 0x10,
	HP_HEP_CORRELATION_ID = 0x11,
	HP_HEP_VLAN_ID = 0x12,
	HP_HEP_NODE_NAME = 0x13,
};

#define HP_HEP_FAMILY_IPV4 2
#define HP_HEP_FAMILY_IPV6 10
#define HP_HEP_MAX_LEN 65535

/* One HEP message. The encoder reads it; the decoder fills it with pointers
 * into the decoded buffer (strings are not NUL-terminated). */
struct hp_hep_msg {
	uint8_t ip_family;          /* HP_HEP_FAMILY_* */
	uint8_t ip_proto;           /* 17, 6, 132 */
	uint8_t src_addr[16];       /* IPv4 in the first 4 bytes */
	uint8_t dst_addr[16];
	uint16_t src_port;
	uint16_t dst_port;
	uint32_t ts_sec;            /* capture time */
	uint32_t ts_usec;
	uint8_t proto_type;         /* enum hp_hep_proto */
	uint32_t capture_id;        /* node id */
	bool has_vlan;
	uint16_t vlan_id;
	struct hp_str auth_key;     /* empty: chunk omitted */
	struct hp_str node_name;    /* empty: chunk omitted */
	struct hp_str correlation_id; /* empty: chunk omitted */
	const uint8_t *payload;
	uint32_t payload_len;
	bool payload_compressed;    /* decoder: payload came in chunk 0x10 (still compressed) */
};

/* Preallocated compression state (one per worker). Chunk 0x10 carries a gzip
 * member (RFC 1952), as HEPv3 defines it. Create is cold-path; compressing
 * reuses the state with deflateReset and never allocates. */
struct hp_hep_gz;
struct hp_hep_gz *hp_hep_gz_create(void);
void hp_hep_gz_destroy(struct hp_hep_gz *gz);

/* Encode m into buf. When gz is not NULL and payload_len >= gz_threshold, the
 * payload is gzip-compressed into chunk 0x10 (falls back to 0x0f when
 * compression does not shrink it). Returns the message length, or 0 when it
 * does not fit in cap (or exceeds 65535). */
size_t hp_hep_encode(const struct hp_hep_msg *m, uint8_t *buf, size_t cap,
		     struct hp_hep_gz *gz, uint32_t gz_threshold);

/* Decode one message at p. Returns its total length (> 0) or a negative
 * value when p does not hold a valid HEPv3 message. Unknown chunks and
 * vendor chunks are skipped. */
long hp_hep_decode(const uint8_t *p, size_t len, struct hp_hep_msg *out);

/* Inflate a decoded chunk-0x10 payload (gzip, or zlib as some agents send) into out; returns the inflated length or -1.
 * Cold path (tests, collectors, the print mode). */
long hp_hep_gunzip(const uint8_t *p, size_t len, uint8_t *out, size_t cap);

/* Who sends: chunks 0x0c, 0x0e, 0x13 (empty strings omitted). */
struct hp_hep_ident {
	uint32_t capture_id;
	struct hp_str auth_key;
	struct hp_str node_name;
};

/* Hash of a correlation id (Call-ID), so one call keeps to one collector. */
uint32_t hp_hep_corr_hash(const char *p, size_t len);

/* A keep-alive message: identity and chunk 0x0d (timer, seconds), no payload.
 * Returns its length or 0 when cap is too small. */
size_t hp_hep_encode_keepalive(const struct hp_hep_ident *id, uint16_t interval_s, uint8_t *buf, size_t cap);

/* Copy the message p (exactly len bytes, one HEP3 message) into out with its
 * identity chunks replaced by id: a collector with its own node id or auth
 * key. Returns the new length, or 0 when p is malformed or out too small. */
size_t hp_hep_set_ident(const uint8_t *p, size_t len, const struct hp_hep_ident *id, uint8_t *out, size_t cap);

#endif
