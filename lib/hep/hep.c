/* SPDX-License-Identifier: BSD-3-Clause */
/* HEPv3 (EEP) encoder and decoder, from ../shared/HEP3.md: "HEP3", a u16
 * total length, then vendor/type/length chunks, all big-endian. */
#include "hep/hep.h"
#include "hep/gz.h"

#define HP_HEP_HDR_LEN 6   /* "HEP3" + u16 total length */
#define HP_HEP_CHUNK_HDR 6 /* vendor u16, type u16, length u16 */

/* Writes one vendor-0 chunk header at p; the caller has checked the room. */
static uint8_t *put_chunk_hdr(uint8_t *p, uint16_t type, size_t body_len)
{
	hp_put_be16(p, 0);
	hp_put_be16(p + 2, type);
	hp_put_be16(p + 4, (uint16_t)(HP_HEP_CHUNK_HDR + body_len));
	return p + HP_HEP_CHUNK_HDR;
}

static uint8_t *put_u8(uint8_t *p, uint16_t type, uint8_t v)
{
	p = put_chunk_hdr(p, type, 1);
	*p = v;
	return p + 1;
}

static uint8_t *put_u16(uint8_t *p, uint16_t type, uint16_t v)
{
	p = put_chunk_hdr(p, type, 2);
	hp_put_be16(p, v);
	return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint16_t type, uint32_t v)
{
	p = put_chunk_hdr(p, type, 4);
	hp_put_be32(p, v);
	return p + 4;
}

static uint8_t *put_bytes(uint8_t *p, uint16_t type, const void *v, size_t n)
{
	p = put_chunk_hdr(p, type, n);
	if (n > 0)
		memcpy(p, v, n);
	return p + n;
}

/* Every chunk before the payload; 0 for an address family HEP cannot carry. */
static size_t header_len(const struct hp_hep_msg *m)
{
	size_t addr;
	size_t n;

	if (m->ip_family == HP_HEP_FAMILY_IPV4)
		addr = 4;
	else if (m->ip_family == HP_HEP_FAMILY_IPV6)
		addr = 16;
	else
		return 0;
	n = HP_HEP_HDR_LEN;
	n += 2 * (HP_HEP_CHUNK_HDR + 1);    /* family, ip proto */
	n += 2 * (HP_HEP_CHUNK_HDR + addr); /* src, dst address */
	n += 2 * (HP_HEP_CHUNK_HDR + 2);    /* src, dst port */
	n += 2 * (HP_HEP_CHUNK_HDR + 4);    /* ts sec, usec */
	n += HP_HEP_CHUNK_HDR + 1;          /* proto type */
	n += HP_HEP_CHUNK_HDR + 4;          /* capture id */
	if (m->auth_key.len > 0)
		n += HP_HEP_CHUNK_HDR + (size_t)m->auth_key.len;
	if (m->correlation_id.len > 0)
		n += HP_HEP_CHUNK_HDR + (size_t)m->correlation_id.len;
	if (m->has_vlan)
		n += HP_HEP_CHUNK_HDR + 2;
	if (m->node_name.len > 0)
		n += HP_HEP_CHUNK_HDR + (size_t)m->node_name.len;
	return n;
}

static uint8_t *put_header_chunks(const struct hp_hep_msg *m, uint8_t *p)
{
	size_t addr = m->ip_family == HP_HEP_FAMILY_IPV4 ? 4 : 16;
	uint16_t src_t = addr == 4 ? HP_HEP_IP4_SRC : HP_HEP_IP6_SRC;
	uint16_t dst_t = addr == 4 ? HP_HEP_IP4_DST : HP_HEP_IP6_DST;

	/* The order of HEP3.md's table. Receivers walk the chunks, so the order
	 * is not a wire rule; keeping it fixed makes our output byte-stable. */
	p = put_u8(p, HP_HEP_IP_FAMILY, m->ip_family);
	p = put_u8(p, HP_HEP_IP_PROTO, m->ip_proto);
	p = put_bytes(p, src_t, m->src_addr, addr);
	p = put_bytes(p, dst_t, m->dst_addr, addr);
	p = put_u16(p, HP_HEP_SRC_PORT, m->src_port);
	p = put_u16(p, HP_HEP_DST_PORT, m->dst_port);
	p = put_u32(p, HP_HEP_TS_SEC, m->ts_sec);
	p = put_u32(p, HP_HEP_TS_USEC, m->ts_usec);
	p = put_u8(p, HP_HEP_PROTO_TYPE, m->proto_type);
	p = put_u32(p, HP_HEP_CAPTURE_ID, m->capture_id);
	if (m->auth_key.len > 0)
		p = put_bytes(p, HP_HEP_AUTH_KEY, m->auth_key.p, m->auth_key.len);
	if (m->correlation_id.len > 0)
		p = put_bytes(p, HP_HEP_CORRELATION_ID, m->correlation_id.p,
			      m->correlation_id.len);
	if (m->has_vlan)
		p = put_u16(p, HP_HEP_VLAN_ID, m->vlan_id);
	if (m->node_name.len > 0)
		p = put_bytes(p, HP_HEP_NODE_NAME, m->node_name.p, m->node_name.len);
	return p;
}

/* Tries chunk 0x10 right after the header chunks. Returns the compressed
 * body length, or 0 when compression is off, does not shrink the payload or
 * does not fit: the caller then sends chunk 0x0f. */
static size_t try_compress(const struct hp_hep_msg *m, uint8_t *buf, size_t cap,
			   size_t hdr, struct hp_hep_gz *gz, uint32_t gz_threshold)
{
	size_t room;

	if (gz == NULL || m->payload_len < gz_threshold || m->payload_len == 0)
		return 0;
	if (hdr + HP_HEP_CHUNK_HDR >= cap || hdr + HP_HEP_CHUNK_HDR >= HP_HEP_MAX_LEN)
		return 0;
	room = cap - hdr - HP_HEP_CHUNK_HDR;
	if (room > HP_HEP_MAX_LEN - hdr - HP_HEP_CHUNK_HDR)
		room = HP_HEP_MAX_LEN - hdr - HP_HEP_CHUNK_HDR;
	/* Only worth it when strictly smaller than the raw payload. */
	if (room > (size_t)m->payload_len - 1)
		room = (size_t)m->payload_len - 1;
	if (room == 0)
		return 0;
	return hp_hep_gz_deflate(gz, m->payload, m->payload_len,
				 buf + hdr + HP_HEP_CHUNK_HDR, room);
}

size_t hp_hep_encode(const struct hp_hep_msg *m, uint8_t *buf, size_t cap,
		     struct hp_hep_gz *gz, uint32_t gz_threshold)
{
	size_t hdr = header_len(m);
	size_t zlen;
	size_t total;
	uint8_t *p;

	if (hdr == 0 || hdr > cap || hdr > HP_HEP_MAX_LEN)
		return 0;
	zlen = try_compress(m, buf, cap, hdr, gz, gz_threshold);
	if (zlen > 0) {
		total = hdr + HP_HEP_CHUNK_HDR + zlen;
	} else {
		total = hdr + HP_HEP_CHUNK_HDR + (size_t)m->payload_len;
		if (total > cap || total > HP_HEP_MAX_LEN)
			return 0;
	}
	memcpy(buf, "HEP3", 4);
	hp_put_be16(buf + 4, (uint16_t)total);
	p = put_header_chunks(m, buf + HP_HEP_HDR_LEN);
	if (zlen > 0)
		put_chunk_hdr(p, HP_HEP_PAYLOAD_GZ, zlen); /* body already in place */
	else
		put_bytes(p, HP_HEP_PAYLOAD, m->payload, m->payload_len);
	return total;
}

/* The fixed payload size of a chunk type, or 0 when any size is allowed
 * (strings, payloads, types this decoder does not read). */
static size_t fixed_len(uint16_t type)
{
	switch (type) {
	case HP_HEP_IP_FAMILY:
	case HP_HEP_IP_PROTO:
	case HP_HEP_PROTO_TYPE:
		return 1;
	case HP_HEP_SRC_PORT:
	case HP_HEP_DST_PORT:
	case HP_HEP_VLAN_ID:
		return 2;
	case HP_HEP_IP4_SRC:
	case HP_HEP_IP4_DST:
	case HP_HEP_TS_SEC:
	case HP_HEP_TS_USEC:
		return 4;
	case HP_HEP_IP6_SRC:
	case HP_HEP_IP6_DST:
		return 16;
	default:
		return 0;
	}
}

static void set_str(struct hp_str *s, const uint8_t *b, size_t n)
{
	s->p = (const char *)b;
	s->len = (uint32_t)n;
}

/* Stores one vendor-0 chunk body b[0..n) into out. Returns -1 when a chunk
 * of a known fixed-size type has the wrong size. */
static int take_chunk(uint16_t type, const uint8_t *b, size_t n,
		      struct hp_hep_msg *out, int *have_payload)
{
	size_t want = fixed_len(type);

	if (want != 0 && n != want)
		return -1;
	switch (type) {
	case HP_HEP_IP_FAMILY:
		out->ip_family = b[0];
		break;
	case HP_HEP_IP_PROTO:
		out->ip_proto = b[0];
		break;
	case HP_HEP_IP4_SRC:
	case HP_HEP_IP6_SRC:
		memset(out->src_addr, 0, sizeof(out->src_addr));
		memcpy(out->src_addr, b, n);
		break;
	case HP_HEP_IP4_DST:
	case HP_HEP_IP6_DST:
		memset(out->dst_addr, 0, sizeof(out->dst_addr));
		memcpy(out->dst_addr, b, n);
		break;
	case HP_HEP_SRC_PORT:
		out->src_port = hp_get_be16(b);
		break;
	case HP_HEP_DST_PORT:
		out->dst_port = hp_get_be16(b);
		break;
	case HP_HEP_TS_SEC:
		out->ts_sec = hp_get_be32(b);
		break;
	case HP_HEP_TS_USEC:
		out->ts_usec = hp_get_be32(b);
		break;
	case HP_HEP_PROTO_TYPE:
		out->proto_type = b[0];
		break;
	case HP_HEP_CAPTURE_ID:
		/* HEP3.md says u32; some old agents send a u16. */
		if (n == 4)
			out->capture_id = hp_get_be32(b);
		else if (n == 2)
			out->capture_id = hp_get_be16(b);
		else
			return -1;
		break;
	case HP_HEP_AUTH_KEY:
		set_str(&out->auth_key, b, n);
		break;
	case HP_HEP_PAYLOAD:
	case HP_HEP_PAYLOAD_GZ:
		out->payload = b;
		out->payload_len = (uint32_t)n;
		out->payload_compressed = type == HP_HEP_PAYLOAD_GZ;
		*have_payload = 1;
		break;
	case HP_HEP_CORRELATION_ID:
		set_str(&out->correlation_id, b, n);
		break;
	case HP_HEP_VLAN_ID:
		out->has_vlan = true;
		out->vlan_id = hp_get_be16(b);
		break;
	case HP_HEP_NODE_NAME:
		set_str(&out->node_name, b, n);
		break;
	default:
		/* HEP3.md: a receiver skips chunks it does not know. */
		break;
	}
	return 0;
}

long hp_hep_decode(const uint8_t *p, size_t len, struct hp_hep_msg *out)
{
	int have_payload = 0;
	size_t total;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (len < HP_HEP_HDR_LEN || memcmp(p, "HEP3", 4) != 0)
		return -1;
	total = hp_get_be16(p + 4);
	if (total < HP_HEP_HDR_LEN || total > len)
		return -1;
	/* From here on only p[0..total) is read: on a TCP stream the bytes after
	 * total belong to the next message. */
	off = HP_HEP_HDR_LEN;
	while (off < total) {
		uint16_t vendor, type;
		size_t clen;

		if (total - off < HP_HEP_CHUNK_HDR)
			return -1;
		vendor = hp_get_be16(p + off);
		type = hp_get_be16(p + off + 2);
		clen = hp_get_be16(p + off + 4);
		/* A length below the header would loop forever or step back; one
		 * past the total would read the next message (HEP3.md). */
		if (clen < HP_HEP_CHUNK_HDR || clen > total - off)
			return -1;
		if (vendor == 0 &&
		    take_chunk(type, p + off + HP_HEP_CHUNK_HDR, clen - HP_HEP_CHUNK_HDR,
			       out, &have_payload) != 0)
			return -1;
		off += clen;
	}
	if (!have_payload)
		return -1;
	return (long)total;
}

uint32_t hp_hep_corr_hash(const char *p, size_t len)
{
	/* FNV-1a: cheap, and spreads Call-IDs that differ in one character. */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)p[i];
		h *= 16777619u;
	}
	return h;
}

size_t hp_hep_encode_keepalive(const struct hp_hep_ident *id, uint16_t interval_s, uint8_t *buf, size_t cap)
{
	size_t total = HP_HEP_HDR_LEN + (HP_HEP_CHUNK_HDR + 4) + (HP_HEP_CHUNK_HDR + 2);
	uint8_t *p;

	if (id->auth_key.len > 0)
		total += HP_HEP_CHUNK_HDR + id->auth_key.len;
	if (id->node_name.len > 0)
		total += HP_HEP_CHUNK_HDR + id->node_name.len;
	if (total > cap || total > HP_HEP_MAX_LEN)
		return 0;
	memcpy(buf, "HEP3", 4);
	hp_put_be16(buf + 4, (uint16_t)total);
	p = put_u32(buf + HP_HEP_HDR_LEN, HP_HEP_CAPTURE_ID, id->capture_id);
	p = put_u16(p, HP_HEP_KEEPALIVE, interval_s);
	if (id->auth_key.len > 0)
		p = put_bytes(p, HP_HEP_AUTH_KEY, id->auth_key.p, id->auth_key.len);
	if (id->node_name.len > 0)
		put_bytes(p, HP_HEP_NODE_NAME, id->node_name.p, id->node_name.len);
	return total;
}

static bool is_ident_chunk(uint16_t vendor, uint16_t type)
{
	return vendor == 0 && (type == HP_HEP_CAPTURE_ID || type == HP_HEP_AUTH_KEY || type == HP_HEP_NODE_NAME);
}

size_t hp_hep_set_ident(const uint8_t *p, size_t len, const struct hp_hep_ident *id, uint8_t *out, size_t cap)
{
	size_t total, off = HP_HEP_HDR_LEN;
	uint8_t *o;

	if (len < HP_HEP_HDR_LEN || memcmp(p, "HEP3", 4) != 0 || hp_get_be16(p + 4) != len)
		return 0;
	/* Identity first, as the encoder puts it; then every other chunk in order. */
	total = HP_HEP_HDR_LEN + HP_HEP_CHUNK_HDR + 4;
	if (id->auth_key.len > 0)
		total += HP_HEP_CHUNK_HDR + id->auth_key.len;
	if (id->node_name.len > 0)
		total += HP_HEP_CHUNK_HDR + id->node_name.len;
	while (off < len) {
		if (len - off < HP_HEP_CHUNK_HDR)
			return 0;
		size_t clen = hp_get_be16(p + off + 4);
		if (clen < HP_HEP_CHUNK_HDR || clen > len - off)
			return 0;
		if (!is_ident_chunk(hp_get_be16(p + off), hp_get_be16(p + off + 2)))
			total += clen;
		off += clen;
	}
	if (total > cap || total > HP_HEP_MAX_LEN)
		return 0;
	memcpy(out, "HEP3", 4);
	hp_put_be16(out + 4, (uint16_t)total);
	o = put_u32(out + HP_HEP_HDR_LEN, HP_HEP_CAPTURE_ID, id->capture_id);
	if (id->auth_key.len > 0)
		o = put_bytes(o, HP_HEP_AUTH_KEY, id->auth_key.p, id->auth_key.len);
	if (id->node_name.len > 0)
		o = put_bytes(o, HP_HEP_NODE_NAME, id->node_name.p, id->node_name.len);
	for (off = HP_HEP_HDR_LEN; off < len;) {
		size_t clen = hp_get_be16(p + off + 4);
		if (!is_ident_chunk(hp_get_be16(p + off), hp_get_be16(p + off + 2))) {
			memcpy(o, p + off, clen);
			o += clen;
		}
		off += clen;
	}
	return total;
}
