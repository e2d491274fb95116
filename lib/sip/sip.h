/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP framing and the few headers a probe needs (RFC 3261 §7, §20).
 * hp_sip_parse() works on bytes in place: every hp_str points into the input. */
#ifndef HP_SIP_H
#define HP_SIP_H

#include <stdbool.h>
#include "common/hp_common.h"
#include "common/reason.h"

/* Methods counted by name; anything else is OTHER. */
#define HP_SIP_METHODS(X) \
	X(INVITE) X(ACK) X(BYE) X(CANCEL) X(REGISTER) X(OPTIONS) X(PRACK) \
	X(UPDATE) X(INFO) X(SUBSCRIBE) X(NOTIFY) X(REFER) X(MESSAGE) X(PUBLISH)

enum hp_sip_method {
	HP_SIP_NONE = 0, /* a response */
#define HP_SIP_M_ENUM(m) HP_SIP_##m,
	HP_SIP_METHODS(HP_SIP_M_ENUM)
#undef HP_SIP_M_ENUM
	HP_SIP_OTHER,
	HP_SIP_METHOD_MAX
};

/* "INVITE", ..., "OTHER"; "" for HP_SIP_NONE. */
const char *hp_sip_method_name(int method);

struct hp_sip_msg {
	bool is_request;
	uint8_t method;            /* enum hp_sip_method; for responses, the CSeq method */
	uint16_t status;           /* 100..699 for responses, 0 for requests */
	struct hp_str method_str;  /* request method token as on the wire */
	struct hp_str reason;      /* response reason phrase */
	struct hp_str request_uri;
	struct hp_str call_id;     /* Call-ID or compact i: (value trimmed) */
	uint32_t cseq_num;
	struct hp_str cseq_method;
	struct hp_str from_tag;    /* may be empty */
	struct hp_str to_tag;      /* may be empty */
	struct hp_str to_uri;      /* To URI without brackets or parameters (the AOR of a REGISTER) */
	struct hp_str contact_uri; /* first Contact's URI; empty when absent */
	int32_t contact_expires;   /* its expires parameter (RFC 3261 §10.2.1.1), -1 when absent */
	int32_t expires;           /* Expires header (§20.19), -1 when absent or malformed */
	struct hp_str content_type;
	int32_t content_length;    /* -1 when absent */
	const uint8_t *body;       /* after the empty line */
	uint32_t body_len;         /* Content-Length when present, else the rest */
	uint32_t msg_len;          /* header + body: where the next message would start */
};

/* What a UDP payload on a SIP port, or one matched by content, is. */
enum hp_sip_kind {
	HP_SIP_KIND_SIP,       /* starts like a SIP message: parse it */
	HP_SIP_KIND_KEEPALIVE, /* only CR/LF (RFC 5626 §3.5.1) */
	HP_SIP_KIND_EMPTY,
	HP_SIP_KIND_NOT_SIP,   /* HTTP, STUN, binary, ... */
};

/* Cheap check of the first line only. */
enum hp_sip_kind hp_sip_classify(const uint8_t *p, size_t len);

/* Parse one SIP message at p. Returns HP_R_OK or an HP_R_SIP_* reason. */
int hp_sip_parse(const uint8_t *p, size_t len, struct hp_sip_msg *out);

/* Stream framing (lib/sip/frame.c): where one SIP message ends on a byte
 * stream (TCP, WebSocket, TLS plaintext). RFC 3261 §18.3: on a stream the
 * message length is Content-Length (compact "l", §7.3.3; §20.14), header
 * names are case-insensitive and a value may be folded over lines (§7.3.1).
 * A missing Content-Length counts as 0 (no body): §18.3 makes it mandatory on
 * streams, and 0 is the only length that does not swallow the next message. */
struct hp_sip_frame {
	bool complete;         /* the empty line ending the headers is in the input */
	bool has_content_length;
	uint32_t line_len;     /* start line without CRLF (0 until the line ends) */
	uint32_t header_len;   /* start line, headers and the empty line */
	uint32_t body_len;     /* Content-Length, 0 when absent */
	uint32_t msg_len;      /* header_len + body_len: where the next message starts */
};

/* Start lines and header lines longer than this are not SIP a probe reads. */
#define HP_SIP_FRAME_MAX_LINE 2048u

/* p is the first byte of a message (the caller has skipped CRLF keep-alives).
 * Returns HP_R_OK with out->complete false when more bytes are needed (what
 * is there can still begin a SIP message), HP_R_OK with out->complete true
 * when the header section is in p..len (the body need not be), or
 * HP_R_SIP_STREAM_BAD_START_LINE, HP_R_SIP_STREAM_BAD_CONTENT_LENGTH (not
 * digits, over 2^32 - 1, or two different values),
 * HP_R_SIP_STREAM_HEADER_TOO_LONG (no empty line within max_header bytes). */
int hp_sip_frame(const uint8_t *p, size_t len, size_t max_header, struct hp_sip_frame *out);

/* Resynchronisation after lost bytes: the offset of the first line start in
 * p..len (offset 0 counts as one) where a SIP start line begins, with *found
 * true. Otherwise *found is false and the offset is where the bytes worth
 * keeping start: the last, unterminated line if it can still become a start
 * line, else len. */
size_t hp_sip_frame_sync(const uint8_t *p, size_t len, bool *found);

/* Content detector: a Hyperscan block-mode database compiled once at start-up
 * (a SIP request line "METHOD uri SIP/2.0" or a status line "SIP/2.0 NNN "),
 * and a scratch space per worker. Create/destroy are cold-path (they allocate);
 * hp_sip_detect() is hot-path and allocation-free. */
struct hp_sip_detector;
struct hp_sip_scratch;

struct hp_sip_detector *hp_sip_detector_create(char *err, size_t errlen);
void hp_sip_detector_destroy(struct hp_sip_detector *d);
struct hp_sip_scratch *hp_sip_scratch_create(const struct hp_sip_detector *d);
void hp_sip_scratch_destroy(struct hp_sip_scratch *s);
/* True when the payload starts with a SIP start line. */
bool hp_sip_detect(const struct hp_sip_detector *d, struct hp_sip_scratch *s,
		   const uint8_t *p, size_t len);

#endif
