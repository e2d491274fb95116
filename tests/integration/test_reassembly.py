# SPDX-License-Identifier: BSD-3-Clause
"""hepprobe on captures that need reassembly, decapsulation or a transport
other than UDP: every SIP message tshark finds is delivered once, byte for
byte.

usage: test_reassembly.py HEPPROBE FILE

The truth is tshark_sip.py (tshark 4.0 with TCP, SIP-over-TCP and IP
reassembly, WebSocket, SCTP and tunnels), re-checked here:
  * each of tshark's messages checks as one SIP message from its bytes alone
    (start line, headers, Content-Length; tshark_sip.check_message);
  * over TCP and WebSocket, an independent reading of the raw segments
    (tshark_sip.own_split: sequence order, retransmissions once, Content-
    Length, RFC 6455 frames unmasked) finds the same messages in the same
    frames;
  * the count per capture is the one the corpus readings give
    (/work/shared/corpus/tshark/<name>.txt, `-Y sip` lines; no frame there
    holds two SIP messages).

Then `hepprobe --pcap FILE --hep udp:127.0.0.1:PORT --metrics-file M` with
the ports each capture needs (PROBE_ARGS), and:
  * the multiset of HEP type-1 payloads equals tshark's messages, one for one
    and byte for byte (no TCP/WebSocket/SCTP framing, no duplicate from a
    retransmission -- sip_register_tcp_to_udp_proxy_sll.pcap frame 38
    resends frame 36's 200 OK whole -- nothing non-SIP), each with the innermost addresses and
    ports, HEP ip_proto 17 UDP / 6 TCP (WebSocket too) / 132 SCTP, family,
    correlation id = Call-ID, and the time of the frame completing the
    message within 1 ms;
  * metrics: rx_frames == frames in the file == sum(delivered) + sum(drops);
    hep_sent == HEP messages received; no send errors;
  * sip_tls_only.pcap: nothing delivered and drops{reason=tls_on_sip_port} > 0;
  * exit code 0.
"""

import collections
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hep3  # noqa: E402
import tshark_sip  # noqa: E402

# The ports are given explicitly so the test does not depend on defaults.
COMMON = ["--tls-ports", "5061"]
PROBE_ARGS = {
    # tshark needs -d tcp.port==6060,sip for it; hepprobe --sip-ports.
    "sip_tcp6060_segmented.pcap": ["--sip-ports", "5060,6060"],
    # Unmasked-on-the-wire ws on TCP 8080 after an HTTP Upgrade.
    "sip_websocket_and_udp.pcap": ["--sip-ports", "5060,5061", "--ws-ports", "8080"],
    # HTTP that never upgrades, on a port declared WebSocket: still not SIP.
    "vlan_qinqinq_http.pcap": ["--sip-ports", "5060,5061", "--ws-ports", "80"],
}
DEFAULT_ARGS = ["--sip-ports", "5060,5061", "--ws-ports", "8080"]

# SIP messages per capture in the corpus readings (tshark -Y sip, one line
# per frame; each of those frames holds one message).
CORPUS_COUNT = {
    "sip_tcp6060_segmented.pcap": 406,
    "sip_tcp_pcma_cn_rtcp.pcap": 7,
    "sip_register_tcp_to_udp_proxy_sll.pcap": 8,
    "sip_tcp_in_ipip.pcap": 4,
    "sip_ipv6_fragmented_sll.pcap": 32,
    "gen_sipp_ipv4_fragmented_pcma.pcap": 6,
    "sip_erspan_gre.pcapng": 140,
    "sip_vlan_gre_ppp_1pkt.pcapng": 1,
    "sip_websocket_and_udp.pcap": 39,
    "sip_sctp_sll.pcap": 4,
    "sip_tls_only.pcap": 0,
    "vlan_qinqinq_http.pcap": 0,
}

TS_TOLERANCE_NS = 1000000


def frame_count(pcap):
    """Frames in the file, by tshark (pcapfile reads classic pcap only)."""
    p = subprocess.run([tshark_sip.TSHARK, "-n", "-r", pcap, "-T", "fields", "-e", "frame.number"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    return len(p.stdout.split()) if p.returncode == 0 else None


def endpoint(addr, port):
    return ("[%s]:%s" if ":" in str(addr) else "%s:%s") % (addr, port)


def describe(e):
    return "frame %d.%d %s%s %s->%s %r" % (
        e["frame"], e["index"], e["transport"], "/ws" if e["websocket"] else "",
        endpoint(e["src"], e["sport"]), endpoint(e["dst"], e["dport"]),
        e["payload"].split(b"\r\n", 1)[0][:48])


def check_truth(c, pcap, msgs, problems):
    name = os.path.basename(pcap)
    c.none(problems, "tshark's SIP bytes are whole SIP messages (start line .. Content-Length)")
    c.eq(len(msgs), CORPUS_COUNT.get(name), "tshark finds the corpus's count of SIP messages")
    own_tcp, own_ws, holes = tshark_sip.own_split(pcap)
    c.eq(holes, [], "no SIP/TCP or WebSocket direction has a hole in its sequence space")
    for what, own, ws in (("TCP", own_tcp, False), ("WebSocket", own_ws, True)):
        tsh = sorted((m["frame"], m["payload"]) for m in msgs
                     if m["transport"] == "tcp" and m["websocket"] == ws)
        c.check(sorted(own) == tsh, "own split of the %s bytes == tshark's SIP/%s messages" % (what, what),
                "own %d, tshark %d; only own: %r; only tshark: %r"
                % (len(own), len(tsh), sorted(set(own) - set(tsh))[:3], sorted(set(tsh) - set(own))[:3]))


def check_sip(c, r, want):
    got = [m for m in r.messages if m.proto_type == 1]
    pool = collections.defaultdict(list)
    for m in got:
        pool[(m.src_ip, m.dst_ip, m.src_port, m.dst_port, m.payload)].append(m)
    missing, wrong = [], []
    for e in want:
        cands = pool.get((e["src"], e["dst"], e["sport"], e["dport"], e["payload"]))
        if not cands:
            missing.append(describe(e))
            continue
        # The same message twice (a UDP resend): take the one closest in time.
        # A message without a time (reported by problems()) sorts last.
        cands.sort(key=lambda m: abs((m.ts_usec if m.ts_usec is not None else 0) * 1000 - e["ts_ns"]))
        m = cands.pop(0)
        errs = []
        if m.family != e["family"]:
            errs.append("family %r, want %d" % (m.family, e["family"]))
        if m.ip_proto != e["ip_proto"]:
            errs.append("ip proto %r, want %d" % (m.ip_proto, e["ip_proto"]))
        if m.ts_usec is None or abs(m.ts_usec * 1000 - e["ts_ns"]) > TS_TOLERANCE_NS:
            errs.append("time %d us, completing frame %d ns" % (m.ts_usec, e["ts_ns"]))
        if m.correlation_id != e["callid"]:
            errs.append("correlation id %r, Call-ID %r" % (m.correlation_id, e["callid"]))
        if errs:
            wrong.append("%s: %s" % (describe(e), "; ".join(errs)))
    extra = [("%s->%s proto %s" % (endpoint(k[0], k[2]), endpoint(k[1], k[3]), m.ip_proto), k[4][:48])
             for k, v in pool.items() for m in v]
    by_tp = collections.Counter(e["transport"] + ("/ws" if e["websocket"] else "") for e in want)
    c.none(missing, "every tshark SIP message arrived as HEP type 1, byte for byte (%d expected: %s)"
           % (len(want), dict(by_tp)))
    c.none(wrong, "family/ip_proto/time/Call-ID of each SIP message")
    c.none(extra, "no type-1 message beyond tshark's (got %d)" % len(got), "extra")
    return got


def check_metrics(c, r, pcap, got):
    M = r.metrics
    nframes = frame_count(pcap)
    rx = M.value("hepprobe_rx_frames_total")
    c.eq(rx, nframes, "hepprobe_rx_frames_total == frames in the file (tshark)")
    delivered = M.total("hepprobe_delivered_total")
    drops = M.total("hepprobe_drops_total")
    nonzero = lambda d: {k: v for k, v in d.items() if v}  # noqa: E731
    c.eq(rx, delivered + drops, "invariant rx == sum(delivered) + sum(drops) (%s + %s; delivered %s; drops %s)"
         % (delivered, drops, nonzero(M.by_label("hepprobe_delivered_total", "kind")),
            nonzero(M.by_label("hepprobe_drops_total", "reason"))))
    c.eq(M.value("hepprobe_hep_sent_total"), len(r.messages), "hep_sent_total == HEP messages received")
    c.eq(M.value("hepprobe_hep_send_errors_total"), 0, "hep_send_errors_total == 0")
    if os.path.basename(pcap) == "sip_tls_only.pcap":
        c.eq(len(got), 0, "TLS: no SIP delivered")
        c.eq(delivered, 0, "TLS: sum(delivered) == 0")
        tls = M.value("hepprobe_drops_total", reason="tls_on_sip_port")
        c.check(tls > 0, "TLS: drops{reason=tls_on_sip_port} > 0", "got %r" % tls)


def test_capture(binary, pcap):
    name = os.path.basename(pcap)
    c = harness.Checks(name)
    try:
        want, excluded, problems = tshark_sip.sip_messages(pcap)
    except (RuntimeError, ValueError, KeyError) as e:
        c.fatal("truth extraction failed: %s" % e)
        return c
    print("%s: tshark finds %d SIP messages %s; left out %s"
          % (name, len(want), tshark_sip.summary(want), excluded))
    check_truth(c, pcap, want, problems)

    r = harness.run_probe(binary, pcap, COMMON + PROBE_ARGS.get(name, DEFAULT_ARGS))
    c.eq(r.rc, 0, "exit code")
    c.eq(r.decode_errors, [], "every datagram decodes as HEPv3")
    c.eq(r.rx_drops, 0, "test receiver dropped nothing (else: test infrastructure, not hepprobe)")
    probs = ["msg %d type %s: %s" % (i, m.proto_type, p)
             for i, m in enumerate(r.messages) for p in m.problems()]
    c.none(probs, "every HEP message has the mandatory chunks")
    c.check(r.metrics_text is not None, "metrics file written")
    c.eq(r.metrics_bad_lines, [], "metrics file is valid Prometheus text")
    got = check_sip(c, r, want)
    other = collections.Counter(m.proto_type for m in r.messages if m.proto_type != 1)
    print("info %s: other HEP types received: %s" % (name, dict(other)))
    check_metrics(c, r, pcap, got)
    return c


def main(argv):
    if len(argv) != 3:
        print("usage: test_reassembly.py HEPPROBE FILE", file=sys.stderr)
        return 2
    c = harness.Checks("test_reassembly")
    if not harness.need_tools(c, tshark_sip.TSHARK):
        c.exit()
    if not os.access(argv[1], os.X_OK):
        c.fatal("hepprobe binary %r not executable" % argv[1])
        c.exit()
    r = test_capture(argv[1], argv[2])
    c.failed += r.failed
    c.passed += r.passed
    c.exit()


if __name__ == "__main__":
    main(sys.argv)
