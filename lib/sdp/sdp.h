/* SPDX-License-Identifier: BSD-3-Clause */
/* The media lines of an SDP body (RFC 8866, which obsoletes RFC 4566) that a probe
 * needs to find and name RTP/RTCP streams. Fixed-size output, no allocation;
 * codec names point into the body. Lines end in CRLF or a bare LF (RFC 8866 §5
 * asks parsers to accept both). Lines and attributes not listed here are skipped. */
#ifndef HP_SDP_H
#define HP_SDP_H

#include <stdbool.h>
#include "common/hp_common.h"

#define HP_SDP_MAX_MEDIA 4
#define HP_SDP_MAX_PT 16

/* Result of hp_sdp_parse (EMPTY, NOT_SDP: the body is unusable) and why a
 * line was skipped (struct hp_sdp first_bad: BAD_LINE .. BAD_ATTR). Local to
 * this module; 0 is success like HP_R_OK. */
#define HP_SDP_RESULTS(X) \
	X(OK, "ok") \
	X(EMPTY, "sdp_empty")           /* no lines */ \
	X(NOT_SDP, "sdp_not_sdp")       /* first line is not v= (RFC 8866 §5) */ \
	X(BAD_LINE, "sdp_bad_line")     /* a line that is not <letter>=<value> */ \
	X(BAD_MEDIA, "sdp_bad_media")   /* m= without media, port, proto or formats */ \
	X(BAD_CONN, "sdp_bad_conn")     /* c= not "IN IP4|IP6 <addr>" */ \
	X(BAD_ATTR, "sdp_bad_attr")     /* a=rtpmap / a=rtcp / a=ptime malformed */

enum hp_sdp_result {
#define HP_SDP_R_ENUM(id, label) HP_SDP_##id,
	HP_SDP_RESULTS(HP_SDP_R_ENUM)
#undef HP_SDP_R_ENUM
	HP_SDP_RESULT_MAX
};

enum hp_sdp_dir {
	HP_SDP_DIR_UNSET = 0,  /* only inside the parser; results are resolved */
	HP_SDP_SENDRECV,
	HP_SDP_SENDONLY,
	HP_SDP_RECVONLY,
	HP_SDP_INACTIVE,
};

enum hp_sdp_kind { HP_SDP_AUDIO, HP_SDP_VIDEO, HP_SDP_OTHER };

struct hp_sdp_addr {
	uint8_t family;              /* 0 none / not a literal, 4, 6 */
	uint8_t addr[16];            /* network order; IPv4 in the first 4 bytes */
};

struct hp_sdp_pt {
	uint8_t pt;
	uint8_t channels;            /* 1 unless rtpmap says otherwise */
	uint32_t rate;               /* 0 when neither rtpmap nor RFC 3551 gives it */
	struct hp_str name;          /* encoding name from rtpmap, or the RFC 3551 name */
};

struct hp_sdp_media {
	uint8_t kind;                /* enum hp_sdp_kind */
	uint8_t dir;                 /* enum hp_sdp_dir, media level over session level */
	uint16_t port;               /* 0: stream rejected / disabled */
	uint16_t nports;             /* "<port>/<n>", 1 otherwise */
	struct hp_str proto;         /* RTP/AVP, RTP/SAVP, udptl, ... */
	struct hp_sdp_addr conn;     /* media c=, else session c= */
	uint16_t rtcp_port;          /* a=rtcp (RFC 3605), else port + 1 */
	bool rtcp_explicit;
	struct hp_sdp_addr rtcp_addr;/* a=rtcp address, else conn */
	uint16_t ptime;              /* ms, 0 when absent */
	uint8_t n_pt;
	bool pt_overflow;            /* more than HP_SDP_MAX_PT formats on the m= line */
	struct hp_sdp_pt pts[HP_SDP_MAX_PT];
};

struct hp_sdp {
	struct hp_sdp_addr conn;     /* session-level c= */
	uint8_t dir;                 /* session-level direction, resolved */
	uint8_t n_media;
	bool media_overflow;         /* more than HP_SDP_MAX_MEDIA m= lines */
	uint8_t first_bad;           /* enum hp_sdp_result of the first skipped line */
	uint16_t bad_lines;          /* malformed lines skipped (saturates) */
	struct hp_sdp_media media[HP_SDP_MAX_MEDIA];
};

/* Parse an SDP body. Returns HP_SDP_EMPTY (no lines), HP_SDP_NOT_SDP (the first
 * line is not a v= line) or HP_SDP_OK. A malformed line is skipped and counted
 * in bad_lines, the rest is parsed; a malformed m= line skips its whole media
 * section (up to the next m=), a malformed c= or a= line leaves what it would
 * have set as if it were absent. */
int hp_sdp_parse(const uint8_t *p, size_t len, struct hp_sdp *out);

/* The format entry for pt in m, or NULL. */
const struct hp_sdp_pt *hp_sdp_find_pt(const struct hp_sdp_media *m, uint8_t pt);

/* PT whose rtpmap is telephone-event (RFC 4733 §7.1.1), or 0xFF. */
uint8_t hp_sdp_event_pt(const struct hp_sdp_media *m);

/* "ok", "sdp_bad_media", ...; "" for an unknown value. */
const char *hp_sdp_result_label(int r);

#endif
