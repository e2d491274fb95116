/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP over SCTP (RFC 4168): the SCTP checksum and the chunks after the
 * 12-byte common header (RFC 9260 §3), which lib/net has already found.
 *
 * One SCTP user message is one SIP message (RFC 4168 §5). A DATA (RFC 9260
 * §3.3.1) or I-DATA (RFC 8260 §2.1) chunk with both B and E set is a whole
 * message and is reported in place; fragmented messages are copied into a
 * small per-worker reassembly table (fixed at create time, timed out), and a
 * per-association window of delivered TSNs keeps a retransmission from being
 * reported twice.
 *
 * The checksum is not checked by hp_sctp_packet(): the caller runs
 * hp_sctp_verify() first, counts the verdict and decides (a BAD packet is
 * dropped as HP_R_SCTP_BAD_CHECKSUM; ZERO is what checksum offload leaves in
 * captures taken on the sending host). */
#ifndef HP_SCTP_H
#define HP_SCTP_H

#include <stdint.h>
#include <stddef.h>
#include "common/hp_common.h"
#include "common/reason.h"

/* RFC 9260 §3.1 */
#define HP_SCTP_COMMON_HDR 12u

enum hp_sctp_csum { HP_SCTP_CSUM_OK, HP_SCTP_CSUM_BAD, HP_SCTP_CSUM_ZERO, HP_SCTP_CSUM_TRUNCATED };

/* CRC32c (Castagnoli, reflected polynomial 0x82F63B78, initial value and final
 * xor 0xFFFFFFFF; RFC 9260 Appendix B) of len bytes. Uses the SSE4.2 crc32
 * instruction when the CPU has it, else hp_sctp_crc32c_sw(). */
uint32_t hp_sctp_crc32c(const uint8_t *p, size_t len);
/* The same value from the portable slice-by-8 tables. */
uint32_t hp_sctp_crc32c_sw(const uint8_t *p, size_t len);

/* Checksum verdict of the SCTP packet at sctp (its common header), len bytes:
 * the CRC32c of the packet with the checksum field taken as zero, compared
 * with that field (RFC 9260 §6.8). OK when they match; else ZERO when the
 * field is 0; else TRUNCATED when len is below the common header, no chunk
 * follows it, or the last chunk with its padding runs past len (the capture
 * cut the packet, so a mismatch says nothing); else BAD. Returns an enum
 * hp_sctp_csum. */
int hp_sctp_verify(const uint8_t *sctp, size_t len);

struct hp_sctp_cfg {
	uint32_t max_reassembly; /* messages being reassembled at once */
	uint32_t max_msg_size;   /* bytes of one reassembled message, 1..HP_SCTP_MAX_MSG_SIZE */
	uint32_t max_pieces;     /* fragments of one message, 2..HP_SCTP_MAX_PIECES */
	uint64_t timeout_us;     /* a message whose fragments stop arriving this long is dropped */
	/* added: the delivered-TSN windows */
	uint32_t max_assocs;     /* association directions tracked for duplicates */
	uint64_t assoc_idle_us;  /* a direction's window is forgotten after this much silence */
};

#define HP_SCTP_MAX_MSG_SIZE (1u << 19)
#define HP_SCTP_MAX_PIECES 1024u
/* TSNs below the highest one seen per association direction that are still
 * told apart; an older TSN counts as a duplicate (as an anti-replay window). */
#define HP_SCTP_TSN_WINDOW 256u

void hp_sctp_cfg_defaults(struct hp_sctp_cfg *c);

/* One complete user message. p points into the packet given to
 * hp_sctp_packet() (unfragmented) or into the table's own buffer
 * (reassembled): valid only during the sink call. For a reassembled message,
 * ppid and tsn are those of its first fragment. */
struct hp_sctp_msg {
	const uint8_t *p;
	uint32_t len;
	uint16_t stream;
	uint32_t ppid;
	uint32_t tsn;
};

/* Chunk kinds counted apart in hp_sctp_stats.control (RFC 9260 §3.2 table,
 * RFC 4895 AUTH, RFC 5061 ASCONF, RFC 3758 FORWARD-TSN, RFC 6525 RE-CONFIG,
 * RFC 4820 PAD, RFC 8260 I-FORWARD-TSN); DATA and I-DATA are data_chunks.
 * X(ID, chunk type, "label") */
#define HP_SCTP_KINDS(X) \
	X(INIT, 1, "init") X(INIT_ACK, 2, "init_ack") X(SACK, 3, "sack") \
	X(HEARTBEAT, 4, "heartbeat") X(HEARTBEAT_ACK, 5, "heartbeat_ack") \
	X(ABORT, 6, "abort") X(SHUTDOWN, 7, "shutdown") X(SHUTDOWN_ACK, 8, "shutdown_ack") \
	X(ERROR, 9, "error") X(COOKIE_ECHO, 10, "cookie_echo") X(COOKIE_ACK, 11, "cookie_ack") \
	X(ECNE, 12, "ecne") X(CWR, 13, "cwr") X(SHUTDOWN_COMPLETE, 14, "shutdown_complete") \
	X(AUTH, 15, "auth") X(ASCONF_ACK, 128, "asconf_ack") X(RECONFIG, 130, "re_config") \
	X(PAD, 132, "pad") X(FORWARD_TSN, 192, "forward_tsn") X(ASCONF, 193, "asconf") \
	X(I_FORWARD_TSN, 194, "i_forward_tsn")

enum hp_sctp_kind {
#define HP_SCTP_KIND_ENUM(id, type, label) HP_SCTP_KIND_##id,
	HP_SCTP_KINDS(HP_SCTP_KIND_ENUM)
#undef HP_SCTP_KIND_ENUM
	HP_SCTP_KIND_OTHER,
	HP_SCTP_KIND_MAX
};

/* "init", ..., "other"; never NULL. */
const char *hp_sctp_kind_label(int kind);
/* The enum hp_sctp_kind of a chunk type other than DATA/I-DATA. */
int hp_sctp_kind_of(uint8_t chunk_type);

/* Counted per chunk (data_chunks, control_chunks, duplicates,
 * fragments_held, table_full, too_big, pieces_cap), per message (messages,
 * reassembled, timeout, assoc_full), and per bad chunk or packet (malformed,
 * truncated). A malformed DATA chunk is not in data_chunks. */
struct hp_sctp_stats {
	uint64_t data_chunks, control_chunks, messages, fragments_held, reassembled, duplicates,
		table_full, too_big, timeout, malformed;
	/* added */
	uint64_t truncated;     /* packets whose last chunk runs past the captured bytes */
	uint64_t pieces_cap;    /* fragments dropped because the message has max_pieces (also in too_big) */
	uint64_t assoc_full;    /* messages delivered without a duplicate check: window table full */
	uint64_t control[HP_SCTP_KIND_MAX];
};

struct hp_sctp;

/* Cold path: allocates and commits everything. NULL on a bad cfg (a zero
 * count or time, a size above its maximum) or no memory. seed keys the table
 * hashes. */
struct hp_sctp *hp_sctp_create(const struct hp_sctp_cfg *c, uint32_t seed);
void hp_sctp_destroy(struct hp_sctp *t);
/* Bytes allocated by hp_sctp_create(). */
size_t hp_sctp_memory(const struct hp_sctp *t);

/* sctp points at the 12-byte common header, len its bytes. version (4 or 6)
 * and src/dst (4 or 16 bytes) identify the association with the ports and the
 * verification tag. Calls sink once per complete user message, in chunk
 * order. Returns for THIS frame's accounting: HP_R_OK when at least one
 * message was delivered to sink; else the first that applies of
 * HP_R_SCTP_TRUNCATED (a chunk runs past len: the walk stops there),
 * HP_R_SCTP_MALFORMED (a chunk length below 4 stops the walk; a DATA chunk
 * without user data is skipped), HP_R_SCTP_TABLE_FULL, HP_R_SCTP_TOO_BIG,
 * HP_R_SCTP_HELD (a fragment kept), HP_R_SCTP_DUPLICATE, HP_R_SCTP_CONTROL
 * (only control chunks). Chunks before the one that stopped the walk are
 * handled as usual. */
int hp_sctp_packet(struct hp_sctp *t, uint8_t version, const uint8_t *src, const uint8_t *dst,
		   const uint8_t *sctp, size_t len, uint64_t now_us,
		   void (*sink)(void *arg, const struct hp_sctp_msg *m), void *arg);

/* Drop incomplete messages idle for more than timeout_us (each counted as a
 * timeout) and forget association windows idle for assoc_idle_us; at most
 * HP_SCTP_EXPIRE_BUDGET of each per call. Returns the messages dropped. */
#define HP_SCTP_EXPIRE_BUDGET 256u
uint32_t hp_sctp_expire(struct hp_sctp *t, uint64_t now_us);

const struct hp_sctp_stats *hp_sctp_stats(const struct hp_sctp *t);

#endif
