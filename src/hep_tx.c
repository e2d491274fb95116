/* SPDX-License-Identifier: BSD-3-Clause */
/* The HEP sender. Each collector has a bounded queue of buffer pointers
 * (a buffer shared by several collectors is reference-counted). UDP sends one
 * message per datagram. TCP and TLS write messages back to back through a
 * staging buffer, and remember where in the byte stream each message ends:
 * a message counts as sent once the kernel says the peer acknowledged its
 * last byte (SIOCOUTQ, unacknowledged bytes, tcp(7)). When a connection
 * breaks, every message not wholly acknowledged stays queued and is written
 * again from its first byte on the next connection, so a collector never
 * sees a message continued from a previous connection. */
#include "hep_tx.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/json.h"
#include "sip/sip.h"

#define UDP_MAX 65507            /* IPv4 UDP payload limit (RFC 768 length, 20-byte IP header) */
#define STAGE_CAP (256 * 1024)
#define STAGE_SLACK 4096         /* TLS record overhead of one message, with room to spare */
#define BACKOFF_MIN_NS 100000000ull   /* 100 ms */
#define BACKOFF_MAX_NS 5000000000ull  /* 5 s */

volatile bool hp_abort;

enum coll_state { C_DOWN, C_CONNECTING, C_HANDSHAKE, C_UP };

struct hp_hep_coll {
	const struct hp_collector_cfg *cfg;
	struct hp_hep_ident ident;
	bool rewrite;              /* own identity: re-encode the chunks */
	int fd;
	SSL *ssl;
	BIO *rbio, *wbio;          /* memory BIOs: TLS bytes pass through the stage */
	enum coll_state state;
	uint64_t retry_ns, backoff_ns, last_out_ns, full_since_ns;
	bool ever_up;
	/* Queue: count entries from head; the first nstaged of them are in the
	 * byte stream of this connection, q_end[] their end offsets. */
	struct hp_hep_buf **q;
	uint64_t *q_end;
	uint32_t qcap, head, count, nstaged;
	uint8_t *stage;
	size_t stage_len, stage_off;
	uint64_t produced, written;     /* stream bytes of this connection */
	uint64_t assigned, sent, bytes, reconnects, keepalives;
	uint64_t dropped[HP_R_MAX];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void buf_release(struct hp_hep_buf *b)
{
	if (--b->refs == 0)
		rte_mempool_put(rte_mempool_from_obj(b), b);
}

static void coll_drop(struct hp_hep_tx *tx, struct hp_hep_coll *c, int reason)
{
	c->dropped[reason]++;
	hp_ctr_inc(&tx->ctr, HP_CTR_HEP_DROPPED);
}

/* Removes the oldest entry (sent or dropped by the caller). */
static struct hp_hep_buf *q_pop(struct hp_hep_coll *c)
{
	struct hp_hep_buf *b = c->q[c->head];
	c->head = (c->head + 1) % c->qcap;
	c->count--;
	if (c->nstaged > 0)
		c->nstaged--;
	return b;
}

static void q_push(struct hp_hep_coll *c, struct hp_hep_buf *b)
{
	c->q[(c->head + c->count) % c->qcap] = b;
	c->count++;
	b->refs++;
	c->assigned++;
}

static void log_coll(const struct hp_hep_coll *c, const char *what, const char *why)
{
	fprintf(stderr, "hepprobe: collector %s: %s%s%s\n", c->cfg->name, what, why ? ": " : "", why ? why : "");
}

/* The bytes to send for b: as the worker encoded it, or with this
 * collector's node id, name and auth key. */
static const uint8_t *msg_bytes(struct hp_hep_tx *tx, const struct hp_hep_coll *c,
				const struct hp_hep_buf *b, size_t *len)
{
	if (!c->rewrite) {
		*len = b->len;
		return b->data;
	}
	*len = hp_hep_set_ident(b->data, b->len, &c->ident, tx->scratch, sizeof(tx->scratch));
	return *len ? tx->scratch : NULL;
}

/* Bytes count the message as the worker encoded it. */
static void sent_one(struct hp_hep_tx *tx, struct hp_hep_coll *c, size_t len)
{
	c->sent++;
	c->bytes += len;
	hp_ctr_inc(&tx->ctr, HP_CTR_HEP_SENT);
	hp_ctr_add(&tx->ctr, HP_CTR_HEP_BYTES, len);
}

static int udp_open(struct hp_hep_coll *c, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_family = AF_UNSPEC };
	struct addrinfo *res = NULL;

	if (getaddrinfo(c->cfg->host, c->cfg->port, &hints, &res) != 0 || res == NULL) {
		snprintf(err, errlen, "cannot resolve collector %s", c->cfg->name);
		return -1;
	}
	c->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "cannot open a UDP socket for %s: %s", c->cfg->name, strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	int sndbuf = 4 << 20;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* Connected, so a collector that is down shows up as ECONNREFUSED and
	 * is counted, instead of vanishing. */
	int rc = connect(c->fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot reach collector %s: %s", c->cfg->name, strerror(errno));
		return -1;
	}
	c->state = C_UP;
	return 0;
}

static int make_ssl_ctx(struct hp_hep_tx *tx, const struct hp_config *cfg, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create a TLS context");
		return -1;
	}
	tx->ssl_ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	int ok = cfg->hep_ca ? SSL_CTX_load_verify_locations(ctx, cfg->hep_ca, NULL)
			     : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		snprintf(err, errlen, "cannot load CA certificates from '%s'", cfg->hep_ca ? cfg->hep_ca : "system store");
		return -1;
	}
	if (cfg->hep_cert != NULL &&
	    (SSL_CTX_use_certificate_chain_file(ctx, cfg->hep_cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, cfg->hep_key, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(ctx) != 1)) {
		snprintf(err, errlen, "cannot use client certificate '%s' with key '%s'", cfg->hep_cert, cfg->hep_key);
		return -1;
	}
	return 0;
}

int hp_hep_tx_open(struct hp_hep_tx *tx, const struct hp_config *cfg, char *err, size_t errlen)
{
	memset(tx, 0, sizeof(*tx));
	tx->cfg = cfg;
	tx->nb_coll = cfg->nb_collectors;
	if (tx->nb_coll == 0)
		return 0;
	tx->coll = calloc(tx->nb_coll, sizeof(*tx->coll));
	if (tx->coll == NULL) {
		snprintf(err, errlen, "out of memory for the collectors");
		return -1;
	}
	for (unsigned i = 0; i < tx->nb_coll; i++) {
		struct hp_hep_coll *c = &tx->coll[i];
		const struct hp_collector_cfg *k = &cfg->collectors[i];
		const char *key = k->auth_key ? k->auth_key : cfg->auth_key;
		const char *name = k->node_name ? k->node_name : cfg->node_name;

		c->cfg = k;
		c->fd = -1;
		c->rewrite = k->has_node_id || k->auth_key || k->node_name;
		c->ident.capture_id = k->has_node_id ? k->node_id : cfg->node_id;
		if (key)
			c->ident.auth_key = (struct hp_str){ key, (uint32_t)strlen(key) };
		if (name)
			c->ident.node_name = (struct hp_str){ name, (uint32_t)strlen(name) };
		c->qcap = cfg->hep_queue;
		c->q = calloc(c->qcap, sizeof(*c->q));
		c->q_end = calloc(c->qcap, sizeof(*c->q_end));
		c->backoff_ns = BACKOFF_MIN_NS;
		if (c->q == NULL || c->q_end == NULL) {
			snprintf(err, errlen, "out of memory for the queue of %s (--hep-queue)", k->name);
			return -1;
		}
		if (k->proto == HP_COLL_UDP) {
			if (udp_open(c, err, errlen) != 0)
				return -1;
			continue;
		}
		c->stage = malloc(STAGE_CAP);
		if (c->stage == NULL) {
			snprintf(err, errlen, "out of memory for %s", k->name);
			return -1;
		}
		if (k->proto == HP_COLL_TLS && tx->ssl_ctx == NULL && make_ssl_ctx(tx, cfg, err, errlen) != 0)
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



/* Counts the messages whose last byte the peer acknowledged as sent. */
static void stream_confirm(struct hp_hep_tx *tx, struct hp_hep_coll *c)
{
	int outq = 0;
	if (c->fd < 0 || ioctl(c->fd, SIOCOUTQ, &outq) != 0)
		return;
	uint64_t acked = c->written - (uint64_t)outq;
	while (c->nstaged > 0 && c->q_end[c->head] <= acked) {
		struct hp_hep_buf *b = q_pop(c);
		sent_one(tx, c, b->len);
		buf_release(b);
	}
}

/* The connection is gone: what the peer acknowledged is sent, the rest is
 * written again, whole, on the next connection. */
static void stream_down(struct hp_hep_tx *tx, struct hp_hep_coll *c, const char *why)
{
	uint64_t now = mono_ns();

	stream_confirm(tx, c);
	if (c->state == C_UP)
		log_coll(c, "connection lost, reconnecting", why);
	else if (why != NULL && c->backoff_ns == BACKOFF_MIN_NS)
		log_coll(c, "cannot connect (retrying with back-off)", why);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->nstaged = 0;
	c->stage_len = c->stage_off = 0;
	c->produced = c->written = 0;
	c->state = C_DOWN;
	c->retry_ns = now + c->backoff_ns;
	c->backoff_ns = c->backoff_ns * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : c->backoff_ns * 2;
}

/* Moves what OpenSSL wrote into its memory BIO to the stage. */
static void pump_wbio(struct hp_hep_coll *c)
{
	int n;
	while (c->stage_len < STAGE_CAP &&
	       (n = BIO_read(c->wbio, c->stage + c->stage_len, (int)(STAGE_CAP - c->stage_len))) > 0) {
		c->stage_len += (size_t)n;
		c->produced += (uint64_t)n;
	}
}

/* Appends one message (or keep-alive) to the stream; false when TLS refused it. */
static bool stage_bytes(struct hp_hep_coll *c, const uint8_t *p, size_t len)
{
	if (c->ssl != NULL) {
		/* A memory BIO takes the whole record: all or nothing. */
		if (SSL_write(c->ssl, p, (int)len) != (int)len)
			return false;
		pump_wbio(c);
		return true;
	}
	memcpy(c->stage + c->stage_len, p, len);
	c->stage_len += len;
	c->produced += len;
	return true;
}

static bool stage_room(struct hp_hep_coll *c, size_t len)
{
	if (c->stage_off == c->stage_len) {
		c->stage_off = c->stage_len = 0;
	} else if (c->stage_off > STAGE_CAP / 2) {
		memmove(c->stage, c->stage + c->stage_off, c->stage_len - c->stage_off);
		c->stage_len -= c->stage_off;
		c->stage_off = 0;
	}
	return c->stage_len + len + STAGE_SLACK <= STAGE_CAP;
}

/* Writes the stage; returns false when the connection broke. */
static bool stream_write(struct hp_hep_coll *c)
{
	while (c->stage_off < c->stage_len) {
		ssize_t n = send(c->fd, c->stage + c->stage_off, c->stage_len - c->stage_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->stage_off += (size_t)n;
			c->written += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		return false;
	}
	return true;
}

/* Reads what the peer sent (TLS records, or nothing at all for a HEP
 * collector); false when it closed or broke the connection. */
static bool stream_read(struct hp_hep_coll *c)
{
	uint8_t buf[16384];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (c->rbio != NULL)
			BIO_write(c->rbio, buf, (int)n);
	}
}

static void stream_up(struct hp_hep_coll *c)
{
	if (c->ever_up)
		c->reconnects++;
	else
		log_coll(c, "connected", NULL);
	c->ever_up = true;
	c->backoff_ns = BACKOFF_MIN_NS;
	c->state = C_UP;
}

static void stream_connected(struct hp_hep_tx *tx, struct hp_hep_coll *c)
{
	if (c->cfg->proto == HP_COLL_TCP) {
		stream_up(c);
	} else {
		struct in6_addr a6;
		bool ip = inet_pton(AF_INET, c->cfg->host, &a6) == 1 || inet_pton(AF_INET6, c->cfg->host, &a6) == 1;
		c->ssl = SSL_new(tx->ssl_ctx);
		c->rbio = BIO_new(BIO_s_mem());
		c->wbio = BIO_new(BIO_s_mem());
		SSL_set_bio(c->ssl, c->rbio, c->wbio);
		SSL_set_connect_state(c->ssl);
		/* The certificate must name the collector we asked for. */
		if (ip) {
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->cfg->host);
		} else {
			SSL_set_tlsext_host_name(c->ssl, c->cfg->host);
			SSL_set1_host(c->ssl, c->cfg->host);
		}
		c->state = C_HANDSHAKE;
	}
	c->last_out_ns = mono_ns();
}

/* Non-blocking connect to the first address the name resolves to now. */
static void stream_connect(struct hp_hep_tx *tx, struct hp_hep_coll *c)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(c->cfg->host, c->cfg->port, &hints, &res);

	if (gai != 0 || res == NULL) {
		stream_down(tx, c, gai_strerror(gai));
		return;
	}
	c->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		freeaddrinfo(res);
		stream_down(tx, c, strerror(errno));
		return;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int rc = connect(c->fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc == 0)
		stream_connected(tx, c);
	else if (errno == EINPROGRESS)
		c->state = C_CONNECTING;
	else
		stream_down(tx, c, strerror(errno));
}

static void stream_handshake(struct hp_hep_tx *tx, struct hp_hep_coll *c)
{
	int rc = SSL_do_handshake(c->ssl);
	pump_wbio(c);
	if (!stream_write(c)) {
		stream_down(tx, c, "connection closed during the TLS handshake");
		return;
	}
	if (rc == 1) {
		stream_up(c);
		return;
	}
	if (SSL_get_error(c->ssl, rc) != SSL_ERROR_WANT_READ) {
		char why[256];
		long v = SSL_get_verify_result(c->ssl);
		if (v != X509_V_OK)
			snprintf(why, sizeof(why), "certificate: %s", X509_verify_cert_error_string(v));
		else
			ERR_error_string_n(ERR_get_error(), why, sizeof(why));
		ERR_clear_error();
		stream_down(tx, c, why);
	}
}

static void stream_keepalive(struct hp_hep_tx *tx, struct hp_hep_coll *c, uint64_t now)
{
	uint8_t ka[600];
	uint32_t s = tx->cfg->hep_keepalive_s;
	if (s == 0 || now - c->last_out_ns < (uint64_t)s * 1000000000u || !stage_room(c, sizeof(ka)))
		return;
	size_t n = hp_hep_encode_keepalive(&c->ident, (uint16_t)s, ka, sizeof(ka));
	if (n > 0 && stage_bytes(c, ka, n)) {
		c->keepalives++;
		c->last_out_ns = now;
	}
}

static void stream_poll(struct hp_hep_tx *tx, struct hp_hep_coll *c)
{
	uint64_t now = mono_ns();

	if (c->state == C_DOWN) {
		if (now < c->retry_ns)
			return;
		stream_connect(tx, c);
	}
	if (c->state == C_CONNECTING) {
		int e = 0;
		socklen_t el = sizeof(e);
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		if (poll(&pfd, 1, 0) <= 0)
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e != 0) {
			stream_down(tx, c, strerror(e));
			return;
		}
		stream_connected(tx, c);
	}
	if (!stream_read(c)) {
		stream_down(tx, c, "closed by the collector");
		return;
	}
	if (c->state == C_HANDSHAKE) {
		stream_handshake(tx, c);
		return;
	}
	if (c->ssl != NULL) {
		uint8_t sink[4096];
		while (SSL_read(c->ssl, sink, sizeof(sink)) > 0)
			;
		pump_wbio(c);
	}
	while (c->nstaged < c->count) {
		uint32_t idx = (c->head + c->nstaged) % c->qcap;
		size_t len;
		const uint8_t *p = msg_bytes(tx, c, c->q[idx], &len);
		if (p == NULL) {
			/* Cannot happen for a buffer the encoder wrote; counted, not sent. */
			coll_drop(tx, c, HP_R_HEP_ENCODE);
			buf_release(q_pop(c));
			continue;
		}
		if (!stage_room(c, len))
			break;
		if (!stage_bytes(c, p, len)) {
			ERR_clear_error();
			stream_down(tx, c, "TLS write failed");
			return;
		}
		c->q_end[idx] = c->produced;
		c->nstaged++;
		c->last_out_ns = now;
	}
	stream_keepalive(tx, c, now);
	if (!stream_write(c)) {
		stream_down(tx, c, strerror(errno));
		return;
	}
	stream_confirm(tx, c);
}

static void udp_poll(struct hp_hep_tx *tx, struct hp_hep_coll *c)
{
	while (c->count > 0) {
		struct hp_hep_buf *b = c->q[c->head];
		size_t len;
		const uint8_t *p = msg_bytes(tx, c, b, &len);
		if (p == NULL || len > UDP_MAX) {
			coll_drop(tx, c, p == NULL ? HP_R_HEP_ENCODE : HP_R_HEPTX_TOO_LARGE_UDP);
			buf_release(q_pop(c));
			continue;
		}
		ssize_t n = send(c->fd, p, len, MSG_DONTWAIT);
		if (n == (ssize_t)len) {
			sent_one(tx, c, b->len);
		} else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)) {
			return; /* the socket buffer is full: try again on the next poll */
		} else {
			hp_ctr_inc(&tx->ctr, HP_CTR_HEP_SEND_ERRORS);
			coll_drop(tx, c, HP_R_HEPTX_SEND_ERROR);
		}
		buf_release(q_pop(c));
	}
}

void hp_hep_tx_poll(struct hp_hep_tx *tx)
{
	for (unsigned i = 0; i < tx->nb_coll; i++) {
		if (tx->coll[i].cfg->proto == HP_COLL_UDP)
			udp_poll(tx, &tx->coll[i]);
		else
			stream_poll(tx, &tx->coll[i]);
	}
}

/* A capture file waits for a full collector, up to --hep-wait; a live
 * port never does. true: c may take the message now (or it is dropped). */
static bool coll_ready(struct hp_hep_tx *tx, struct hp_hep_coll *c, uint64_t now)
{
	if (c->count < c->qcap) {
		c->full_since_ns = 0;
		return true;
	}
	if (tx->cfg->pcap_file == NULL || hp_abort)
		return true;
	if (c->full_since_ns == 0)
		c->full_since_ns = now;
	return now - c->full_since_ns >= (uint64_t)tx->cfg->hep_wait_ms * 1000000u;
}

static void coll_take(struct hp_hep_tx *tx, struct hp_hep_coll *c, struct hp_hep_buf *b)
{
	if (c->count < c->qcap) {
		q_push(c, b);
	} else {
		c->assigned++;
		coll_drop(tx, c, HP_R_HEPTX_QUEUE_FULL);
	}
}

/* The collector of b's call: the hash's high bits, FNV-1a's best mixed. */
static unsigned balance_pick(const struct hp_hep_tx *tx, const struct hp_hep_buf *b)
{
	return (unsigned)(((uint64_t)b->corr_hash * tx->nb_coll) >> 32);
}

/* Fans b out; false when a capture file must wait for a collector. */
static bool place(struct hp_hep_tx *tx, struct hp_hep_buf *b)
{
	uint64_t now = mono_ns();

	b->refs = 1; /* held while placing */
	if (tx->nb_coll == 0) {
		if (!tx->cfg->quiet)
			print_message(b->data, b->len);
		hp_ctr_inc(&tx->ctr, HP_CTR_HEP_SENT);
		hp_ctr_add(&tx->ctr, HP_CTR_HEP_BYTES, b->len);
	} else if (tx->cfg->hep_mode == HP_HEP_BALANCE) {
		struct hp_hep_coll *c = &tx->coll[balance_pick(tx, b)];
		if (!coll_ready(tx, c, now))
			return false;
		coll_take(tx, c, b);
	} else {
		for (unsigned i = 0; i < tx->nb_coll; i++)
			if (!coll_ready(tx, &tx->coll[i], now))
				return false;
		for (unsigned i = 0; i < tx->nb_coll; i++)
			coll_take(tx, &tx->coll[i], b);
	}
	buf_release(b);
	return true;
}

/* Places what a capture file held back, then one burst of ring (one message
 * at a time under --hep-rate). */
unsigned hp_hep_tx_drain(struct hp_hep_tx *tx, struct rte_ring *ring)
{
	unsigned taken = 0;
	bool dequeued = false;

	for (;;) {
		if (tx->pend_i == tx->pend_n) {
			if (dequeued)
				return taken;
			tx->pend_i = 0;
			tx->pend_n = rte_ring_sc_dequeue_burst(ring, tx->pend,
							       tx->cfg->hep_rate ? 1 : HP_HEP_TX_BURST, NULL);
			dequeued = true;
			if (tx->pend_n == 0)
				return taken;
		}
		if (tx->cfg->hep_rate != 0 && !hp_abort) {
			/* Space messages 1/rate apart; an idle period does not bank a burst. */
			uint64_t now = mono_ns();
			if (now < tx->next_send_ns)
				return taken;
			tx->next_send_ns = now + 1000000000u / tx->cfg->hep_rate;
		}
		if (!place(tx, tx->pend[tx->pend_i]))
			return taken;
		tx->pend_i++;
		taken++;
	}
}

bool hp_hep_tx_idle(const struct hp_hep_tx *tx)
{
	if (tx->pend_i != tx->pend_n)
		return false;
	for (unsigned i = 0; i < tx->nb_coll; i++)
		if (tx->coll[i].count > 0)
			return false;
	return true;
}

/* Prometheus label value: the collector as given; \ and " escaped. */
static void label_of(const struct hp_hep_coll *c, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *p = c->cfg->name; *p && o + 3 < cap; p++) {
		if (*p == '\\' || *p == '"')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
}

struct tx_out {
	char *buf;
	size_t cap, len;
	bool overflow;
};

static void tx_printf(struct tx_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tx_printf(struct tx_out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->overflow)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

enum coll_field { F_ASSIGNED, F_QUEUE, F_QCAP, F_CONNECTED, F_RECONNECTS, F_KEEPALIVES, F_BYTES };

static uint64_t field(const struct hp_hep_coll *c, enum coll_field f)
{
	switch (f) {
	case F_ASSIGNED: return c->assigned;
	case F_QUEUE: return c->count;
	case F_QCAP: return c->qcap;
	case F_CONNECTED: return c->state == C_UP;
	case F_RECONNECTS: return c->reconnects;
	case F_KEEPALIVES: return c->keepalives;
	case F_BYTES: return c->bytes;
	}
	return 0;
}

static const struct {
	const char *name, *type, *help;
	enum coll_field f;
} coll_families[] = {
	{ "hepprobe_hep_collector_assigned_total", "counter", "HEP messages the workers produced for this collector (by --hep-mode)", F_ASSIGNED },
	{ "hepprobe_hep_collector_queue_depth", "gauge", "HEP messages queued for this collector, unacknowledged included", F_QUEUE },
	{ "hepprobe_hep_collector_queue_capacity", "gauge", "HEP messages this collector's queue holds at most (--hep-queue)", F_QCAP },
	{ "hepprobe_hep_collector_connected", "gauge", "1 when the collector's connection is up (UDP: always)", F_CONNECTED },
	{ "hepprobe_hep_collector_reconnects_total", "counter", "Connections to this collector made again after the first", F_RECONNECTS },
	{ "hepprobe_hep_collector_keepalives_total", "counter", "HEP keep-alive messages sent to this collector", F_KEEPALIVES },
	{ "hepprobe_hep_collector_bytes_total", "counter", "Bytes of the HEP messages this collector acknowledged (UDP: sent)", F_BYTES },
};

size_t hp_hep_tx_render_metrics(const struct hp_hep_tx *tx, char *buf, size_t cap)
{
	struct tx_out o = { buf, cap, 0, cap == 0 };
	char l[640];

	tx_printf(&o, "# HELP hepprobe_hep_sent_total HEP messages sent: acknowledged by a TCP/TLS collector, accepted by the UDP socket; unlabelled: all collectors\n"
		      "# TYPE hepprobe_hep_sent_total counter\nhepprobe_hep_sent_total %llu\n",
		  (unsigned long long)tx->ctr.v[HP_CTR_HEP_SENT]);
	for (unsigned i = 0; i < tx->nb_coll; i++) {
		label_of(&tx->coll[i], l, sizeof(l));
		tx_printf(&o, "hepprobe_hep_sent_total{collector=\"%s\"} %llu\n", l,
			  (unsigned long long)tx->coll[i].sent);
	}
	tx_printf(&o, "# HELP hepprobe_hep_dropped_total HEP messages a collector did not get, by reason; unlabelled: all collectors\n"
		      "# TYPE hepprobe_hep_dropped_total counter\nhepprobe_hep_dropped_total %llu\n",
		  (unsigned long long)tx->ctr.v[HP_CTR_HEP_DROPPED]);
	for (unsigned i = 0; i < tx->nb_coll; i++) {
		label_of(&tx->coll[i], l, sizeof(l));
		for (int r = 1; r < HP_R_MAX; r++)
			if (tx->coll[i].dropped[r] != 0)
				tx_printf(&o, "hepprobe_hep_dropped_total{collector=\"%s\",reason=\"%s\"} %llu\n", l,
					  hp_reason_label(r), (unsigned long long)tx->coll[i].dropped[r]);
	}
	for (size_t f = 0; f < sizeof(coll_families) / sizeof(coll_families[0]); f++) {
		tx_printf(&o, "# HELP %s %s\n# TYPE %s %s\n", coll_families[f].name, coll_families[f].help,
			  coll_families[f].name, coll_families[f].type);
		for (unsigned i = 0; i < tx->nb_coll; i++) {
			label_of(&tx->coll[i], l, sizeof(l));
			tx_printf(&o, "%s{collector=\"%s\"} %llu\n", coll_families[f].name, l,
				  (unsigned long long)field(&tx->coll[i], coll_families[f].f));
		}
	}
	return o.overflow ? 0 : o.len;
}

/* A message the sender gives up before placing it: each collector it was
 * for counts it dropped (shutdown). */
static void drop_unplaced(struct hp_hep_tx *tx, struct hp_hep_buf *b)
{
	b->refs = 1;
	for (unsigned i = 0; i < tx->nb_coll; i++) {
		if (tx->cfg->hep_mode == HP_HEP_BALANCE && i != balance_pick(tx, b))
			continue;
		tx->coll[i].assigned++;
		coll_drop(tx, &tx->coll[i], HP_R_HEPTX_SHUTDOWN);
	}
	buf_release(b);
}

unsigned hp_hep_tx_discard(struct hp_hep_tx *tx, struct rte_ring *ring)
{
	void *bufs[HP_HEP_TX_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(ring, bufs, HP_HEP_TX_BURST, NULL);

	for (unsigned i = 0; i < n; i++)
		drop_unplaced(tx, bufs[i]);
	return n;
}

void hp_hep_tx_finish(struct hp_hep_tx *tx)
{
	while (tx->pend_i < tx->pend_n)
		drop_unplaced(tx, tx->pend[tx->pend_i++]);
	for (unsigned i = 0; i < tx->nb_coll; i++) {
		struct hp_hep_coll *c = &tx->coll[i];
		if (c->cfg->proto != HP_COLL_UDP)
			stream_confirm(tx, c);
		while (c->count > 0) {
			coll_drop(tx, c, HP_R_HEPTX_SHUTDOWN);
			buf_release(q_pop(c));
		}
	}
}

void hp_hep_tx_close(struct hp_hep_tx *tx)
{
	hp_hep_tx_finish(tx);
	for (unsigned i = 0; i < tx->nb_coll; i++) {
		struct hp_hep_coll *c = &tx->coll[i];
		if (c->ssl != NULL)
			SSL_free(c->ssl);
		if (c->fd >= 0)
			close(c->fd);
		free(c->q);
		free(c->q_end);
		free(c->stage);
	}
	if (tx->ssl_ctx != NULL)
		SSL_CTX_free(tx->ssl_ctx);
	free(tx->coll);
	tx->coll = NULL;
	tx->nb_coll = 0;
}
