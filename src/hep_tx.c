/* SPDX-License-Identifier: BSD-3-Clause */
#include "hep_tx.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "sip/sip.h"

#define TX_BURST 64

int hp_hep_tx_open(struct hp_hep_tx *tx, const struct hp_config *cfg, char *err, size_t errlen)
{
	memset(tx, 0, sizeof(*tx));
	tx->cfg = cfg;
	tx->fd = -1;
	if (!cfg->hep_enabled)
		return 0;
	tx->fd = socket(cfg->hep_addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tx->fd < 0) {
		snprintf(err, errlen, "cannot open a UDP socket for %s: %s", cfg->hep_text, strerror(errno));
		return -1;
	}
	int sndbuf = 4 << 20;
	setsockopt(tx->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* Connected, so a collector that is down shows up as ECONNREFUSED and
	 * is counted, instead of vanishing. */
	if (connect(tx->fd, (const struct sockaddr *)&cfg->hep_addr, cfg->hep_addr_len) != 0) {
		snprintf(err, errlen, "cannot reach collector %s: %s", cfg->hep_text, strerror(errno));
		close(tx->fd);
		tx->fd = -1;
		return -1;
	}
	return 0;
}

static const char *proto_name(uint8_t t)
{
	switch (t) {
	case HP_HEP_PROTO_SIP: return "sip";
	case HP_HEP_PROTO_RTCP: return "rtcp";
	case HP_HEP_PROTO_QOS_JSON: return "report";
	case HP_HEP_PROTO_LOG: return "event";
	default: return "other";
	}
}

/* One readable line per message, from a decode of the bytes that would go out. */
static void print_message(const uint8_t *p, size_t len)
{
	struct hp_hep_msg m;
	char src[48], dst[48], when[32];
	int fam;

	if (hp_hep_decode(p, len, &m) <= 0) {
		printf("HEP undecodable message of %zu bytes\n", len);
		return;
	}
	fam = m.ip_family == HP_HEP_FAMILY_IPV6 ? 6 : 4;
	hp_addr_format(fam, m.src_addr, src, sizeof(src));
	hp_addr_format(fam, m.dst_addr, dst, sizeof(dst));
	time_t t = (time_t)m.ts_sec;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("HEP %-6s %s.%06u %s%s%s:%u -> %s%s%s:%u %s", proto_name(m.proto_type), when, m.ts_usec,
	       fam == 6 ? "[" : "", src, fam == 6 ? "]" : "", m.src_port, fam == 6 ? "[" : "", dst,
	       fam == 6 ? "]" : "", m.dst_port, m.ip_proto == 6 ? "TCP" : "UDP");
	if (m.proto_type == HP_HEP_PROTO_SIP && !m.payload_compressed) {
		struct hp_sip_msg sip;
		if (hp_sip_parse(m.payload, m.payload_len, &sip) == HP_R_OK) {
			if (sip.is_request)
				printf(" %.*s", (int)sip.method_str.len, sip.method_str.p);
			else
				printf(" %u %.*s", sip.status, (int)sip.cseq_method.len, sip.cseq_method.p);
		}
	} else if (m.proto_type == HP_HEP_PROTO_SIP) {
		printf(" (compressed, %u bytes)", m.payload_len);
	} else {
		printf(" %.*s", (int)m.payload_len, (const char *)m.payload);
	}
	printf(" call-id=%.*s\n", (int)m.correlation_id.len, m.correlation_id.p);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Space sends 1/rate apart; a short idle period does not bank a burst. */
static void pace(struct hp_hep_tx *tx)
{
	uint64_t gap = 1000000000u / tx->cfg->hep_rate;
	uint64_t now = mono_ns();
	if (now < tx->next_send_ns) {
		uint64_t wait = tx->next_send_ns - now;
		struct timespec ts = { (time_t)(wait / 1000000000u), (long)(wait % 1000000000u) };
		nanosleep(&ts, NULL);
		now = tx->next_send_ns;
	}
	tx->next_send_ns = now + gap;
}

static void send_one(struct hp_hep_tx *tx, const struct hp_hep_buf *b)
{
	if (tx->cfg->hep_rate != 0)
		pace(tx);
	if (tx->fd < 0) {
		if (!tx->cfg->quiet)
			print_message(b->data, b->len);
		hp_ctr_inc(&tx->ctr, HP_CTR_HEP_SENT);
		hp_ctr_add(&tx->ctr, HP_CTR_HEP_BYTES, b->len);
		return;
	}
	for (;;) {
		ssize_t n = send(tx->fd, b->data, b->len, 0);
		if (n == (ssize_t)b->len) {
			hp_ctr_inc(&tx->ctr, HP_CTR_HEP_SENT);
			hp_ctr_add(&tx->ctr, HP_CTR_HEP_BYTES, b->len);
			return;
		}
		/* The socket buffer is full: wait for the kernel rather than lose it. */
		if (n < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)) {
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
			continue;
		}
		hp_ctr_inc(&tx->ctr, HP_CTR_HEP_SEND_ERRORS);
		return;
	}
}

unsigned hp_hep_tx_drain(struct hp_hep_tx *tx, struct rte_ring *ring)
{
	void *bufs[TX_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(ring, bufs, TX_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		send_one(tx, bufs[i]);
		rte_mempool_put(rte_mempool_from_obj(bufs[i]), bufs[i]);
	}
	return n;
}

void hp_hep_tx_close(struct hp_hep_tx *tx)
{
	if (tx->fd >= 0)
		close(tx->fd);
	tx->fd = -1;
}
