/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to lib/media: the table entries of the engine and the functions
 * media.c (tables, SIP, packets, timers) and media_report.c (JSON records,
 * call log, call view) share. */
#ifndef HP_MEDIA_INT_H
#define HP_MEDIA_INT_H

#include "flowtab/flowtab.h"
#include "media/media.h"
#include "rtp/rtp.h"
#include "sdp/sdp.h"
#include "register/register.h"
#include "silence/silence.h"

enum { MEDIA_CALLER = 0, MEDIA_CALLEE = 1, MEDIA_NO_PARTY = 0xFF };
enum { MEDIA_EP_RTP = 1, MEDIA_EP_RTCP = 2 };

/* Why a stream or dialog ended ("bye" also covers the grace after it). */
#define MEDIA_END_REASONS(X) \
	X(NONE, "") X(BYE, "bye") X(CANCEL, "cancel") X(REJECTED, "rejected") \
	X(TIMEOUT, "timeout") X(EOC, "end_of_capture")

enum media_end {
#define MEDIA_END_ENUM(id, label) MEDIA_END_##id,
	MEDIA_END_REASONS(MEDIA_END_ENUM)
#undef MEDIA_END_ENUM
	MEDIA_END_MAX
};

#define MEDIA_LINES 2            /* audio m= lines kept per party */
#define MEDIA_LINE_PTS 8         /* formats kept per m= line */
#define MEDIA_CODEC_NAME 12
#define MEDIA_SUM_STREAMS 4      /* ended streams remembered per call for the call view */
#define MEDIA_LOG_CID 128        /* Call-ID bytes kept in the call log */
#define MEDIA_VERDICT_ENCRYPTED 0xFE /* SRTP: payload not classified */
#define MEDIA_VERDICT_NO_RTP 0xFD    /* an announced direction that carried no RTP */
#define MEDIA_SUMMARY_MAX 640        /* call summary sentence: 6 directions of <= 80 bytes */
#define MEDIA_JSON_MAX 32768

struct media_pt {
	uint8_t pt;
	uint32_t rate;
	char name[MEDIA_CODEC_NAME];
};

/* One audio m= line of one party's latest SDP. */
struct media_line {
	uint8_t family;              /* 4 or 6 */
	uint8_t rtcp_family;
	uint8_t dir;                 /* enum hp_sdp_dir */
	uint8_t event_pt;            /* HP_RTP_NO_PT when none */
	uint8_t n_pt;
	bool srtp;                   /* RTP/SAVP(F): payload encrypted */
	uint16_t port;
	uint16_t rtcp_port;
	uint8_t addr[16];
	uint8_t rtcp_addr[16];
	struct media_pt pts[MEDIA_LINE_PTS];
};

struct media_party {
	struct media_line line[MEDIA_LINES];
	uint8_t n_line;
	bool have_sdp;
	bool rtp_seen;               /* a stream this party sent was seen */
	bool mismatch_reported;      /* one sdp_address_mismatch per party and call */
};

/* The SIP messages of a call that the receiving host discarded for their
 * UDP checksum, and whether the last discarded request was answered anyway
 * (a retransmission got through). */
struct media_discard {
	uint32_t n;                  /* discarded messages */
	uint32_t requests;           /* of which requests */
	uint32_t cseq;               /* the last discarded request's CSeq */
	bool answered;               /* a response to that CSeq reached its sender */
	uint8_t family;
	uint8_t verdict;             /* enum hp_csum_verdict of the last one */
	uint16_t sport, dport;
	uint8_t src[16], dst[16];    /* of the last discarded request */
	uint64_t first_us, last_us;
	char method[16];
};

/* What the call view keeps of a stream. */
struct media_stream_sum {
	uint8_t family;
	uint8_t dir;                 /* enum hp_media_dir */
	uint8_t verdict;             /* enum hp_silence_verdict or MEDIA_VERDICT_ENCRYPTED */
	int16_t flat_value;
	uint16_t sport, dport;
	uint32_t ssrc;
	uint32_t flat_ms;
	uint64_t flat_start_us;
	uint64_t start_us, end_us;
	uint64_t packets;
	int64_t lost;
	uint64_t discarded;          /* by the receiver (bad UDP checksum) */
	uint64_t flat_end_us;
	bool have_audio_span;        /* first/last_audio are set (hp_silence_result) */
	uint64_t first_audio_us, last_audio_end_us;
	uint8_t src[16], dst[16];
	char codec[MEDIA_CODEC_NAME];
};

/* One ended call (or call-less stream) in the call log. */
struct media_call_sum {
	uint64_t start_us, end_us;
	uint8_t end_reason;
	uint8_t n_streams;
	uint8_t more_streams;        /* streams beyond MEDIA_SUM_STREAMS, not listed */
	bool no_rtp[2];              /* by sending party */
	bool live;
	uint16_t cid_len;
	char cid[MEDIA_LOG_CID];
	struct media_stream_sum s[MEDIA_SUM_STREAMS];
};

struct media_stream;

struct media_dialog {
	struct media_stream *streams;     /* live streams bound to this dialog */
	uint64_t created_us;
	uint64_t confirmed_us;
	uint64_t end_at_us;               /* when end_reason is set */
	uint32_t gen;                     /* 0 once ended: invalidates stale end-queue slots */
	uint32_t caller_tag_hash;
	bool have_caller;
	bool confirmed;                   /* 2xx to INVITE seen */
	uint8_t end_reason;               /* pending end; MEDIA_END_NONE while live */
	uint8_t n_ended, more_ended;
	uint16_t call_id_len;
	char call_id[HP_MEDIA_CALL_ID_MAX + 1];
	struct media_party party[2];
	struct media_discard disc;
	struct media_stream_sum ended[MEDIA_SUM_STREAMS];
};

struct media_stream {
	struct hp_rtp_stats st;
	struct hp_silence sil;
	struct media_dialog *d;           /* NULL: not tied to a call */
	struct media_stream *prev, *next; /* in d->streams */
	uint64_t dialog_touched_us;       /* when this stream last kept d alive */
	uint64_t discarded;               /* packets the receiver drops: bad UDP checksum */
	uint32_t clock;
	uint8_t dir;                      /* enum hp_media_dir */
	uint8_t line_party, line_idx;     /* SDP line that named the codec (when d) */
	uint8_t codec_pt;                 /* HP_RTP_NO_PT until the first audio packet */
	bool srtp;
	bool heuristic;
	bool flat_reported;
	uint8_t since_check;
	char codec[MEDIA_CODEC_NAME];
};

/* Stream identity; padding bytes are explicit and zero so the key hashes and
 * compares as bytes. */
struct media_skey {
	uint8_t family;
	uint8_t pad0;
	uint16_t sport, dport;
	uint16_t pad1;
	uint32_t ssrc;
	uint8_t src[16], dst[16];
};

struct media_end_slot {
	struct media_dialog *d;
	uint32_t gen;
	uint64_t at_us;
};

struct hp_media {
	struct hp_media_cfg cfg;
	struct hp_counters *ctr;
	hp_media_sink sink;
	void *sink_arg;
	struct hp_flowtab *streams, *cands, *eps, *dialogs;
	struct hp_flowtab *errs;          /* (flow, reason) of SIP parse errors reported */
	struct hp_register *reg;
	struct {
		uint32_t dlg, dlg2, ep, stream, stream4, tag;
	} seed;                           /* from cfg.hash_seed */
	struct media_end_slot *endq;      /* dialogs waiting out their grace, deadline order */
	uint32_t endq_cap, endq_head, endq_n;
	struct media_call_sum *log;
	uint64_t log_n;                   /* calls ever logged; slot = log_n % cfg.call_log */
	uint32_t next_gen;
	uint64_t now_us;                  /* for the expiry callbacks */
	size_t memory;
	struct hp_sdp sdp;
	struct hp_rtcp rtcp;
	char buf[MEDIA_JSON_MAX];
};

const char *media_end_label(int reason);

/* media_report.c */
void media_emit(struct hp_media *m, uint8_t hep_type, size_t len, const struct media_dialog *d,
		uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		uint16_t dport, uint64_t ts_us);
/* media_emit with an explicit correlation id (a flow or an AOR). */
void media_emit_cid(struct hp_media *m, uint8_t hep_type, size_t len, struct hp_str cid,
		    uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		    uint16_t dport, uint64_t ts_us);
void media_emit_flat(struct hp_media *m, const struct media_stream *s,
		     const struct hp_silence_result *r, bool final, uint64_t ts_us);
/* Final events and the type-34 report of a stream that ends; fills its summary. */
void media_stream_end_records(struct hp_media *m, struct media_stream *s, int reason,
			      struct media_stream_sum *sum);
void media_stream_sum(const struct hp_media *m, const struct media_stream *s,
		      struct media_stream_sum *out);
void media_emit_no_rtp(struct hp_media *m, const struct media_dialog *d, int sender, int reason,
		       uint64_t ts_us);
void media_log_call(struct hp_media *m, const struct media_call_sum *c);
/* The call_summary event of an ending dialog, from its call-log entry c. */
void media_emit_call_summary(struct hp_media *m, const struct media_dialog *d,
			     const struct media_call_sum *c);

/* Diagnostics verdicts (issue 13); each counts hepprobe_verdicts_total. */
void media_emit_call_verdict(struct hp_media *m, const struct media_dialog *d,
			     const struct media_call_sum *c);
/* kind "rtp_source": RTP of party came from observed, not the announced
 * endpoint; "private_address": party's SDP announced a private address in a
 * message from the public observed address to the public peer. */
void media_emit_sdp_mismatch(struct hp_media *m, const struct media_dialog *d, int party,
			     const char *kind, int family, const uint8_t *ann_addr,
			     uint16_t ann_port, const uint8_t *obs_addr, uint16_t obs_port,
			     const uint8_t *peer_addr, uint16_t peer_port, uint64_t ts_us);
void media_emit_checksum_discarded(struct hp_media *m, const struct media_dialog *d,
				   uint64_t ts_us);
void media_emit_register_change(struct hp_media *m, const struct hp_register_change *c);
void media_emit_parse_error(struct hp_media *m, const struct hp_pkt *pkt, int reason,
			    uint64_t ts_us);

#endif
