/* SPDX-License-Identifier: BSD-3-Clause */
/* hepprobe's own command line (the part after EAL's arguments). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>


enum {
	OPT_PCAP = 256,
	OPT_HEP,
	OPT_NODE_ID,
	OPT_NODE_NAME,
	OPT_AUTH_KEY,
	OPT_SIP_PORTS,
	OPT_METRICS_FILE,
	OPT_FORWARD_BAD,
	OPT_COMPRESS,
	OPT_PORT,
	OPT_QUEUES,
	OPT_QUIET,
	OPT_LOOP,
	OPT_HEP_RATE,
	OPT_METRICS_INTERVAL,
	OPT_MAX_STREAMS,
	OPT_MAX_DIALOGS,
	OPT_FLAT_MS,
	OPT_NO_HEURISTIC,
	OPT_DURATION,
	OPT_WS_PORTS,
	OPT_TLS_PORTS,
	OPT_VXLAN_PORT,
	OPT_GENEVE_PORT,
	OPT_GTPU_PORT,
	OPT_MAX_TCP_FLOWS,
	OPT_MAX_IP_DATAGRAMS,
	OPT_RX_LCORE,
	OPT_METRICS_LISTEN,
	OPT_HELP,
	OPT_CLIP_PCT,
	OPT_LATE_AUDIO_MS,
	OPT_MAX_REGISTRATIONS,
	OPT_HEP_MODE,
	OPT_HEP_CA,
	OPT_HEP_CERT,
	OPT_HEP_KEY,
	OPT_HEP_QUEUE,
	OPT_HEP_KEEPALIVE,
	OPT_HEP_WAIT,
	OPT_SHUTDOWN_TIMEOUT,
};

static const struct option options[] = {
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "hep", required_argument, NULL, OPT_HEP },
	{ "node-id", required_argument, NULL, OPT_NODE_ID },
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "auth-key", required_argument, NULL, OPT_AUTH_KEY },
	{ "sip-ports", required_argument, NULL, OPT_SIP_PORTS },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "forward-bad-checksum", no_argument, NULL, OPT_FORWARD_BAD },
	{ "compress-threshold", required_argument, NULL, OPT_COMPRESS },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "loop", no_argument, NULL, OPT_LOOP },
	{ "hep-rate", required_argument, NULL, OPT_HEP_RATE },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL },
	{ "max-streams", required_argument, NULL, OPT_MAX_STREAMS },
	{ "max-dialogs", required_argument, NULL, OPT_MAX_DIALOGS },
	{ "flat-ms", required_argument, NULL, OPT_FLAT_MS },
	{ "no-heuristic-rtp", no_argument, NULL, OPT_NO_HEURISTIC },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "ws-ports", required_argument, NULL, OPT_WS_PORTS },
	{ "tls-ports", required_argument, NULL, OPT_TLS_PORTS },
	{ "vxlan-port", required_argument, NULL, OPT_VXLAN_PORT },
	{ "geneve-port", required_argument, NULL, OPT_GENEVE_PORT },
	{ "gtpu-port", required_argument, NULL, OPT_GTPU_PORT },
	{ "max-tcp-flows", required_argument, NULL, OPT_MAX_TCP_FLOWS },
	{ "max-ip-datagrams", required_argument, NULL, OPT_MAX_IP_DATAGRAMS },
	{ "rx-lcore", no_argument, NULL, OPT_RX_LCORE },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "clip-pct", required_argument, NULL, OPT_CLIP_PCT },
	{ "late-audio-ms", required_argument, NULL, OPT_LATE_AUDIO_MS },
	{ "max-registrations", required_argument, NULL, OPT_MAX_REGISTRATIONS },
	{ "hep-mode", required_argument, NULL, OPT_HEP_MODE },
	{ "hep-ca", required_argument, NULL, OPT_HEP_CA },
	{ "hep-cert", required_argument, NULL, OPT_HEP_CERT },
	{ "hep-key", required_argument, NULL, OPT_HEP_KEY },
	{ "hep-queue", required_argument, NULL, OPT_HEP_QUEUE },
	{ "hep-keepalive", required_argument, NULL, OPT_HEP_KEEPALIVE },
	{ "hep-wait", required_argument, NULL, OPT_HEP_WAIT },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

void hp_config_usage(FILE *out)
{
	fputs("usage: hepprobe --pcap FILE [options]\n"
	      "       hepprobe [EAL arguments] -- [--pcap FILE | --port N] [options]\n"
	      "\n"
	      "Reads frames through a DPDK port, verifies every UDP checksum, finds SIP and\n"
	      "sends it as HEPv3 to a Homer collector.\n"
	      "\n"
	      "input:\n"
	      "  --pcap FILE            replay a capture (pcap/pcapng; Ethernet, Linux SLL/SLL2\n"
	      "                         or raw IP) through a net_pcap vdev; exits 0 at its end.\n"
	      "                         Without EAL arguments hepprobe uses one lcore per worker\n"
	      "                         plus the main one (-l 0-1 for one worker; lcores share\n"
	      "                         CPUs when there are fewer) and --no-huge -m 1024\n"
	      "                         --no-pci --no-shconf --no-telemetry\n"
	      "  --port N               EAL mode: read DPDK port N (default 0) until SIGINT/SIGTERM\n"
	      "  --loop                 replay the capture forever (net_pcap infinite_rx, for\n"
	      "                         benchmarks; combine with --duration)\n"
	      "  --duration S           stop after S seconds and report the packet rate\n"
	      "  --rx-lcore             with a CPU the workers do not use, give each worker an RX\n"
	      "                         lcore feeding it through a ring (in EAL mode: when the EAL\n"
	      "                         has 2 x queues + 1 lcores); both poll, so it pays only where\n"
	      "                         that CPU is really free (bench/RESULTS.md)\n"
	      "  --queues N             RX queues (one worker lcore each; default 1); with --pcap\n"
	      "                         only together with --loop: every queue replays the whole\n"
	      "                         capture, one copy of it preloaded per queue\n"
	      "output:\n"
	      "  --hep udp:HOST:PORT    send HEPv3 to this collector (tcp:, tls: and more than one:\n"
	      "                         see collectors below); without it, print one line per HEP\n"
	      "                         message that would be sent\n"
	      "  --hep-rate N           send at most N HEP messages per second, so a collector with a\n"
	      "                         small socket buffer is not overrun by a burst (default: unpaced);\n"
	      "                         a capture file waits, a live port counts hep_queue_full\n"
	      "  --node-id N            HEP capture agent id (chunk 0x0c; default 2001)\n"
	      "  --node-name S          HEP node name (chunk 0x13)\n"
	      "  --auth-key K           HEP authentication key (chunk 0x0e)\n"
	      "  --compress-threshold N gzip payloads of N bytes or more into chunk 0x10,\n"
	      "                         e.g. 1200 to stay under a 1500-byte MTU; default 0 = never:\n"
	      "                         Kamailio sipcapture, heplify-server and sngrep ignore 0x10\n"
	      "  --metrics-file F       write Prometheus text counters to F at exit\n"
	      "  --metrics-interval S   also rewrite the metrics file every S seconds while running\n"
	      "  --metrics-listen A:P   serve the same counters live as Prometheus text on\n"
	      "                         http://A:P/metrics (A an IPv4 address or [IPv6])\n"
	      "  --quiet                no per-message lines and no end-of-run report\n"
	      "classification:\n"
	      "  --sip-ports LIST       SIP ports, comma-separated, ranges allowed (default 5060,5061);\n"
	      "                         SIP on other UDP and TCP ports is found by content\n"
	      "  --ws-ports LIST        TCP ports carrying SIP over WebSocket (RFC 7118; default\n"
	      "                         80,8080,8088): the HTTP upgrade is skipped, frames unmasked\n"
	      "  --tls-ports LIST       TCP ports of SIP over TLS (default 5061): not readable, its\n"
	      "                         flows and bytes are counted (tls_on_sip_port)\n"
	      "  --vxlan-port N         UDP port of VXLAN (default 4789; 0 = off)\n"
	      "  --geneve-port N        UDP port of Geneve (default 6081; 0 = off)\n"
	      "  --gtpu-port N          UDP port of GTP-U (default 2152; 0 = off)\n"
	      "reassembly (tables per worker, allocated at start-up, counted when full):\n"
	      "  --max-tcp-flows N      TCP connections followed at once (default 16384)\n"
	      "  --max-ip-datagrams N   fragmented IP datagrams in reassembly at once (default 1024)\n"
	      "  --forward-bad-checksum also forward SIP whose UDP checksum is bad (or zero over\n"
	      "                         IPv6) as SIP; by default it is reported as a HEP type-100\n"
	      "                         event only, because the receiving host drops it\n"
	      "media:\n"
	      "  --max-streams N        RTP streams measured at once per worker (default 16384;\n"
	      "                         ~0.6 KB each, allocated at start-up; a full table is counted)\n"
	      "  --max-dialogs N        SIP dialogs tracked at once per worker (default 8192; ~2 KB each)\n"
	      "  --flat-ms MS           flat waveform this long flags a stream (default 2000)\n"
	      "  --no-heuristic-rtp     measure only RTP that SDP announced\n"
	      "  --help                 this text\n"
	      "diagnostics (verdicts, see README \"Diagnostics\"):\n"
	      "  --clip-pct P           a 1 s window with P % or more of its G.711 samples at full\n"
	      "                         scale is clipped; two such windows make a clipping verdict\n"
	      "                         (1..100, default 5)\n"
	      "  --late-audio-ms MS     a direction whose audio starts MS after its RTP, or stops MS\n"
	      "                         before it, gets a late_audio / early_stop call_verdict\n"
	      "                         (default 5000, at least 1000)\n"
	      "  --max-registrations N  REGISTER bindings (AOR + Contact) tracked per worker for\n"
	      "                         for register_target_change (default: --max-dialogs)\n"
	      "collectors (--hep may be given up to 8 times):\n"
	      "  --hep PROTO:HOST:PORT[,node-id=N][,node-name=S][,auth-key=K]\n"
	      "                         PROTO udp (one message per datagram, at most 65507 bytes),\n"
	      "                         tcp or tls (HEP3 messages back to back; reconnects with\n"
	      "                         back-off, HOST resolved again on each connect); the options\n"
	      "                         override --node-id/--node-name/--auth-key for this collector\n"
	      "  --hep-mode M           duplicate (default: every collector gets every message) or\n"
	      "                         balance (by Call-ID: one call stays on one collector)\n"
	      "  --hep-ca FILE          CA certificates verifying tls: collectors (default: system)\n"
	      "  --hep-cert FILE        client certificate for tls: collectors (with --hep-key)\n"
	      "  --hep-key FILE         its private key\n"
	      "  --hep-queue N          messages queued per collector (default 2048); a live port\n"
	      "                         counts what does not fit (hepprobe_hep_dropped_total)\n"
	      "  --hep-keepalive S      send a HEP keep-alive to tcp/tls collectors every S seconds\n"
	      "                         without traffic (default 0 = off)\n"
	      "  --hep-wait MS          a capture file waits this long for a full or absent\n"
	      "                         collector before its messages are counted dropped (10000)\n"
	      "  --shutdown-timeout S   at the end of the input or on SIGINT/SIGTERM, give the\n"
	      "                         collectors S seconds (default 10) to take what is queued,\n"
	      "                         pacing included; the rest is counted dropped (shutdown).\n"
	      "                         A second signal ends at once, the metrics still written\n",
	      out);
}

static void die(const char *fmt, const char *arg)
{
	fputs("hepprobe: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see --help)\n", stderr);
	exit(2);
}

static unsigned long parse_ulong(const char *s, unsigned long max, const char *what)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-')
		die(what, s);
	return v;
}

static void set_port(uint8_t *bitmap, unsigned p) { bitmap[p >> 3] |= (uint8_t)(1u << (p & 7)); }

/* A comma-separated list of ports and lo-hi ranges for option opt, e.g.
 * "5060,5080-5090"; "none" clears the set. */
static void parse_ports(uint8_t *bitmap, const char *opt, const char *list)
{
	char buf[1024], what[64];
	if (strlen(list) >= sizeof(buf))
		die("port list too long: %s", list);
	strcpy(buf, list);
	memset(bitmap, 0, 65536 / 8);
	if (strcmp(list, "none") == 0)
		return;
	snprintf(what, sizeof(what), "bad port in %s: %%s", opt);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		unsigned lo, hi;
		if (dash != NULL) {
			*dash = '\0';
			lo = (unsigned)parse_ulong(tok, 65535, what);
			hi = (unsigned)parse_ulong(dash + 1, 65535, what);
		} else {
			lo = hi = (unsigned)parse_ulong(tok, 65535, what);
		}
		if (lo == 0 || lo > hi)
			die("bad port range: %s", list);
		for (unsigned p = lo; p <= hi; p++)
			set_port(bitmap, p);
	}
}

/* key=value options after the address: node-id, node-name, auth-key. */
static void parse_collector_opts(struct hp_collector_cfg *k, char *opts, const char *arg)
{
	for (char *save = NULL, *tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (eq == NULL)
			die("--hep option without a value in '%s'", arg);
		*eq++ = '\0';
		if (strcmp(tok, "node-id") == 0) {
			k->node_id = (uint32_t)parse_ulong(eq, UINT32_MAX, "bad node-id in --hep: '%s'");
			k->has_node_id = true;
		} else if (strcmp(tok, "node-name") == 0 && strlen(eq) <= 255) {
			k->node_name = eq;
		} else if (strcmp(tok, "auth-key") == 0 && strlen(eq) <= 255) {
			k->auth_key = eq;
		} else {
			die("unknown or too long --hep option in '%s' (node-id, node-name, auth-key)", arg);
		}
	}
}

/* (udp|tcp|tls):HOST:PORT[,key=value...], HOST an IPv4 address, [IPv6] or a
 * name. The name is resolved here once so a typo fails at start; the sender
 * resolves it again on each connect. */
static void parse_hep(struct hp_config *c, const char *arg)
{
	char *rest, *colon, *opts;
	size_t hl;

	if (c->nb_collectors == HP_MAX_COLLECTORS)
		die("more than 8 --hep collectors: '%s'", arg);
	struct hp_collector_cfg *k = &c->collectors[c->nb_collectors];
	char *dup = strdup(arg);
	if (dup == NULL)
		die("out of memory at '%s'", arg);
	k->spec = dup;
	if (strncmp(dup, "udp:", 4) == 0)
		k->proto = HP_COLL_UDP;
	else if (strncmp(dup, "tcp:", 4) == 0)
		k->proto = HP_COLL_TCP;
	else if (strncmp(dup, "tls:", 4) == 0)
		k->proto = HP_COLL_TLS;
	else
		die("--hep must be udp:, tcp: or tls:HOST:PORT, got '%s'", arg);
	rest = dup + 4;
	opts = strchr(rest, ',');
	if (opts != NULL)
		*opts++ = '\0';
	if (rest[0] == '[') {
		char *close = strchr(rest, ']');
		if (close == NULL || close[1] != ':')
			die("--hep address malformed: '%s'", arg);
		hl = (size_t)(close - rest - 1);
		if (hl == 0 || hl >= sizeof(k->host))
			die("--hep address malformed: '%s'", arg);
		memcpy(k->host, rest + 1, hl);
		colon = close + 1;
	} else {
		colon = strrchr(rest, ':');
		if (colon == NULL || colon == rest)
			die("--hep must be udp:, tcp: or tls:HOST:PORT, got '%s'", arg);
		hl = (size_t)(colon - rest);
		if (hl >= sizeof(k->host))
			die("--hep address malformed: '%s'", arg);
		memcpy(k->host, rest, hl);
	}
	k->host[hl] = '\0';
	unsigned long port = parse_ulong(colon + 1, 65535, "bad port in --hep: '%s'");
	if (port == 0)
		die("bad port in --hep: '%s'", arg);
	snprintf(k->port, sizeof(k->port), "%lu", port);
	snprintf(k->name, sizeof(k->name), "%.3s:%s", arg, rest);
	if (opts != NULL)
		parse_collector_opts(k, opts, arg);

	struct addrinfo hints = { .ai_socktype = k->proto == HP_COLL_UDP ? SOCK_DGRAM : SOCK_STREAM,
				  .ai_family = AF_UNSPEC };
	struct addrinfo *res = NULL;
	if (getaddrinfo(k->host, k->port, &hints, &res) != 0 || res == NULL)
		die("cannot resolve the --hep host in '%s'", arg);
	freeaddrinfo(res);
	c->nb_collectors++;
	c->hep_enabled = true;
}

void hp_config_release(struct hp_config *c)
{
	for (unsigned i = 0; i < c->nb_collectors; i++) {
		free(c->collectors[i].spec);
		c->collectors[i].spec = NULL;
	}
}

void hp_config_parse(struct hp_config *c, int argc, char **argv)
{
	int opt;

	memset(c, 0, sizeof(*c));
	c->node_id = 2001;
	c->nb_queues = 1;
	c->max_streams = 16384;
	c->max_dialogs = 8192;
	c->flat_ms = 2000;
	c->heuristic_rtp = true;
	c->clip_pct = 5;
	c->late_audio_ms = 5000;
	c->max_tcp_flows = 16384;
	c->max_ip_datagrams = 1024;
	c->vxlan_port = 4789;
	c->geneve_port = 6081;
	c->gtpu_port = 2152;
	c->hep_queue = 2048;
	c->hep_wait_ms = 10000;
	c->shutdown_timeout_s = 10;
	set_port(c->sip_ports, 5060);
	set_port(c->sip_ports, 5061);
	set_port(c->tls_ports, 5061);
	set_port(c->ws_ports, 80);
	set_port(c->ws_ports, 8080);
	set_port(c->ws_ports, 8088);

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case OPT_PCAP:
			c->pcap_file = optarg;
			break;
		case OPT_HEP:
			parse_hep(c, optarg);
			break;
		case OPT_NODE_ID:
			c->node_id = (uint32_t)parse_ulong(optarg, UINT32_MAX, "bad --node-id: '%s'");
			break;
		case OPT_NODE_NAME:
			if (strlen(optarg) > 255)
				die("--node-name longer than 255 bytes: '%s'", optarg);
			c->node_name = optarg;
			break;
		case OPT_AUTH_KEY:
			if (strlen(optarg) > 255)
				die("--auth-key longer than 255 bytes%s", "");
			c->auth_key = optarg;
			break;
		case OPT_SIP_PORTS:
			parse_ports(c->sip_ports, "--sip-ports", optarg);
			break;
		case OPT_WS_PORTS:
			parse_ports(c->ws_ports, "--ws-ports", optarg);
			break;
		case OPT_TLS_PORTS:
			parse_ports(c->tls_ports, "--tls-ports", optarg);
			break;
		case OPT_VXLAN_PORT:
			c->vxlan_port = (uint16_t)parse_ulong(optarg, 65535, "bad --vxlan-port: '%s'");
			break;
		case OPT_GENEVE_PORT:
			c->geneve_port = (uint16_t)parse_ulong(optarg, 65535, "bad --geneve-port: '%s'");
			break;
		case OPT_GTPU_PORT:
			c->gtpu_port = (uint16_t)parse_ulong(optarg, 65535, "bad --gtpu-port: '%s'");
			break;
		case OPT_MAX_TCP_FLOWS:
			c->max_tcp_flows = (uint32_t)parse_ulong(optarg, 1u << 24, "bad --max-tcp-flows (1..16777216): '%s'");
			if (c->max_tcp_flows == 0)
				die("bad --max-tcp-flows (1..16777216): '%s'", optarg);
			break;
		case OPT_MAX_IP_DATAGRAMS:
			c->max_ip_datagrams = (uint32_t)parse_ulong(optarg, 1u << 20, "bad --max-ip-datagrams (1..1048576): '%s'");
			if (c->max_ip_datagrams == 0)
				die("bad --max-ip-datagrams (1..1048576): '%s'", optarg);
			break;
		case OPT_METRICS_LISTEN:
			c->metrics_listen = optarg;
			break;
		case OPT_METRICS_FILE:
			c->metrics_file = optarg;
			break;
		case OPT_FORWARD_BAD:
			c->forward_bad_checksum = true;
			break;
		case OPT_COMPRESS:
			c->compress_threshold = (uint32_t)parse_ulong(optarg, 65535, "bad --compress-threshold: '%s'");
			break;
		case OPT_PORT:
			c->port_id = (uint16_t)parse_ulong(optarg, 65535, "bad --port: '%s'");
			break;
		case OPT_QUEUES:
			c->nb_queues = (uint16_t)parse_ulong(optarg, HP_MAX_WORKERS, "bad --queues (1..16): '%s'");
			if (c->nb_queues == 0)
				die("bad --queues (1..16): '%s'", optarg);
			break;
		case OPT_METRICS_INTERVAL:
			c->metrics_interval_s = (uint32_t)parse_ulong(optarg, 86400, "bad --metrics-interval: '%s'");
			break;
		case OPT_HEP_RATE:
			c->hep_rate = (uint32_t)parse_ulong(optarg, 10000000, "bad --hep-rate: '%s'");
			break;
		case OPT_LOOP:
			c->loop = true;
			break;
		case OPT_DURATION:
			c->duration_s = (uint32_t)parse_ulong(optarg, 86400 * 365, "bad --duration: '%s'");
			if (c->duration_s == 0)
				die("bad --duration: '%s'", optarg);
			break;
		case OPT_MAX_STREAMS:
			c->max_streams = (uint32_t)parse_ulong(optarg, 1u << 24, "bad --max-streams (1..16777216): '%s'");
			if (c->max_streams == 0)
				die("bad --max-streams (1..16777216): '%s'", optarg);
			break;
		case OPT_MAX_DIALOGS:
			c->max_dialogs = (uint32_t)parse_ulong(optarg, 1u << 24, "bad --max-dialogs (1..16777216): '%s'");
			if (c->max_dialogs == 0)
				die("bad --max-dialogs (1..16777216): '%s'", optarg);
			break;
		case OPT_FLAT_MS:
			c->flat_ms = (uint32_t)parse_ulong(optarg, 3600000, "bad --flat-ms: '%s'");
			if (c->flat_ms < 100)
				die("--flat-ms below 100 ms would flag ordinary pauses: '%s'", optarg);
			break;
		case OPT_RX_LCORE:
			c->rx_lcores = true;
			break;
		case OPT_NO_HEURISTIC:
			c->heuristic_rtp = false;
			break;
		case OPT_QUIET:
			c->quiet = true;
			break;
		case OPT_HELP:
			hp_config_usage(stdout);
			exit(0);
		case OPT_CLIP_PCT:
			c->clip_pct = (uint32_t)parse_ulong(optarg, 100, "bad --clip-pct (1..100): '%s'");
			if (c->clip_pct == 0)
				die("bad --clip-pct (1..100): '%s'", optarg);
			break;
		case OPT_LATE_AUDIO_MS:
			c->late_audio_ms = (uint32_t)parse_ulong(optarg, 3600000, "bad --late-audio-ms: '%s'");
			if (c->late_audio_ms < 1000)
				die("--late-audio-ms below 1000 ms would flag the pauses of speech: '%s'", optarg);
			break;
		case OPT_MAX_REGISTRATIONS:
			c->max_registrations = (uint32_t)parse_ulong(optarg, 1u << 24, "bad --max-registrations (1..16777216): '%s'");
			if (c->max_registrations == 0)
				die("bad --max-registrations (1..16777216): '%s'", optarg);
			break;
		case OPT_HEP_MODE:
			if (strcmp(optarg, "duplicate") == 0)
				c->hep_mode = HP_HEP_DUPLICATE;
			else if (strcmp(optarg, "balance") == 0)
				c->hep_mode = HP_HEP_BALANCE;
			else
				die("--hep-mode must be duplicate or balance, got '%s'", optarg);
			break;
		case OPT_HEP_CA:
			c->hep_ca = optarg;
			break;
		case OPT_HEP_CERT:
			c->hep_cert = optarg;
			break;
		case OPT_HEP_KEY:
			c->hep_key = optarg;
			break;
		case OPT_HEP_QUEUE:
			c->hep_queue = (uint32_t)parse_ulong(optarg, 1u << 20, "bad --hep-queue (1..1048576): '%s'");
			if (c->hep_queue == 0)
				die("bad --hep-queue (1..1048576): '%s'", optarg);
			break;
		case OPT_HEP_KEEPALIVE:
			c->hep_keepalive_s = (uint32_t)parse_ulong(optarg, 3600, "bad --hep-keepalive (0..3600): '%s'");
			break;
		case OPT_SHUTDOWN_TIMEOUT:
			c->shutdown_timeout_s = (uint32_t)parse_ulong(optarg, 3600, "bad --shutdown-timeout (0..3600): '%s'");
			break;
		case OPT_HEP_WAIT:
			c->hep_wait_ms = (uint32_t)parse_ulong(optarg, 3600000, "bad --hep-wait: '%s'");
			break;
		default:
			die("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (c->metrics_interval_s != 0 && c->metrics_file == NULL)
		die("--metrics-interval needs --metrics-file%s", "");
	if ((c->hep_cert == NULL) != (c->hep_key == NULL))
		die("--hep-cert and --hep-key go together%s", "");
	if (c->loop && (c->pcap_file == NULL || c->duration_s == 0))
		die("--loop needs --pcap and --duration%s", "");
	/* net_pcap gives each queue its own reader of the file: read once, N
	 * queues would hand every frame to N workers and count it N times. */
	if (c->pcap_file != NULL && !c->loop && c->nb_queues > 1)
		die("--queues above 1 with --pcap needs --loop: each queue reads the whole capture, so a single pass would count every frame once per queue%s", "");
}

int hp_config_probe_pcap(struct hp_config *c, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	pcap_t *p = pcap_open_offline(c->pcap_file, perr);
	if (p == NULL) {
		snprintf(err, errlen, "cannot read capture '%s': %s", c->pcap_file, perr);
		return -1;
	}
	c->linktype = pcap_datalink(p);
	c->expected_frames = 0;
	/* Only a replay preloads the capture into mbufs, and needs its size;
	 * a single pass ends when the port runs dry (hp_worker_main). */
	if (c->loop) {
		while ((rc = pcap_next_ex(p, &h, &data)) == 1)
			c->expected_frames++;
		if (rc == PCAP_ERROR)
			fprintf(stderr, "hepprobe: warning: capture '%s' is damaged after frame %llu: %s\n",
				c->pcap_file, (unsigned long long)c->expected_frames, pcap_geterr(p));
	}
	pcap_close(p);
	return 0;
}
