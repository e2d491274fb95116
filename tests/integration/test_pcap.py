# SPDX-License-Identifier: BSD-3-Clause
"""hepprobe on captures, checked against tshark and an independent HEP decoder.

usage: test_pcap.py HEPPROBE FILE...

For each capture:
  * run `hepprobe --pcap FILE --hep udp:127.0.0.1:PORT --metrics-file F
    --node-id/--node-name/--auth-key`, receive its HEP with hep3.Receiver;
  * every SIP/UDP message tshark sees on the outer stack (see tshark_truth)
    arrives exactly once as HEP type 1 with the UDP payload byte for byte,
    its addresses, ports, family, protocol 17, the capture time within 1 ms,
    correlation id = Call-ID, VLAN id when tagged, node id/name, auth key;
    no other type-1 message arrives;
  * SIP with a bad checksum (tshark "bad" that is not a TX-offload partial sum,
    or tshark "illegal" = zero over IPv6) arrives instead as one HEP type 100
    {"event":"udp_checksum_bad"} with the Call-ID as correlation id, and as
    plain SIP with --forward-bad-checksum (second run, when the capture has
    any);
  * metrics: checksum verdicts == tshark's status counts (mapping in
    tshark_truth), rx_frames == frames in the file == delivered + drops,
    delivered{kind=sip} / {kind=sip_event} == what arrived, hep_sent ==
    messages received, hep_bytes == bytes received, no send errors, SIP
    method/status counters == tshark's;
  * exit code 0.
"""

import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hep3  # noqa: E402
import pcapfile  # noqa: E402
import tshark_truth  # noqa: E402

NODE_ID = 4242
# A payload up to this size fits one 1500-byte datagram uncompressed with
# room for every chunk; only above it may the payload travel as 0x10.
COMPRESS_OK_ABOVE = 1200
AUTH_KEY = "it-secret-key"


def expectations(pcap):
    """Split tshark's SIP into (sent as SIP, sent as checksum event)."""
    sip, _excluded = tshark_truth.sip_messages(pcap)
    linktype, frames, _ = pcapfile.read(pcap)
    as_sip, as_event = [], []
    for e in sip:
        st = e["csum_status"]
        if st == 4 or (st == 0 and not pcapfile.is_offload_partial(linktype, frames[e["frame"] - 1][4])):
            as_event.append(e)
        else:
            as_sip.append(e)
    return as_sip, as_event


def key(src, dst, sport, dport, payload):
    return (src, dst, sport, dport, payload)


def check_common(c, r, node_name):
    c.eq(r.rc, 0, "exit code")
    c.eq(r.decode_errors, [], "every datagram decodes as HEPv3")
    c.eq(r.rx_drops, 0, "test receiver dropped nothing (else: test infrastructure, not hepprobe)")
    probs = []
    for i, m in enumerate(r.messages):
        for p in m.problems():
            probs.append("msg %d type %s: %s" % (i, m.proto_type, p))
        if m.node_id != NODE_ID:
            probs.append("msg %d node id %r" % (i, m.node_id))
        if m.node_name != node_name:
            probs.append("msg %d node name %r" % (i, m.node_name))
        if m.auth_key != AUTH_KEY:
            probs.append("msg %d auth key %r" % (i, m.auth_key))
    c.none(probs, "every message has the mandatory chunks, node id, node name, auth key")
    c.check(r.metrics_text is not None, "metrics file written")
    c.eq(r.metrics_bad_lines, [], "metrics file is valid Prometheus text")


def check_sip(c, r, want_sip):
    """Every expected SIP exactly once, byte for byte; no extra SIP."""
    got = [m for m in r.messages if m.proto_type == 1]
    pool = collections.defaultdict(list)
    for m in got:
        pool[key(m.src_ip, m.dst_ip, m.src_port, m.dst_port, m.payload)].append(m)
    missing, wrong = [], []
    for e in want_sip:
        k = key(e["src"], e["dst"], e["sport"], e["dport"], e["payload"])
        cands = pool.get(k)
        if not cands:
            missing.append("frame %d %s:%d->%s:%d %s" % (e["frame"], e["src"], e["sport"], e["dst"],
                                                          e["dport"], e["callids"][:1]))
            continue
        # Identical datagrams captured twice: take the one closest in time.
        cands.sort(key=lambda m: abs(m.ts_usec * 1000 - e["ts_ns"]))
        m = cands.pop(0)
        errs = []
        if m.family != e["family"]:
            errs.append("family %r" % m.family)
        if m.ip_proto != 17:
            errs.append("ip proto %r" % m.ip_proto)
        if abs(m.ts_usec * 1000 - e["ts_ns"]) > 1000000:
            errs.append("time %d us vs tshark %d ns" % (m.ts_usec, e["ts_ns"]))
        if e["callids"] and m.correlation_id != e["callids"][0]:
            errs.append("correlation id %r vs Call-ID %r" % (m.correlation_id, e["callids"][0]))
        if e["vlans"]:
            if m.vlan not in e["vlans"]:
                errs.append("vlan %r not among frame's tags %r" % (m.vlan, e["vlans"]))
        elif m.vlan is not None:
            errs.append("vlan chunk %r on an untagged frame" % m.vlan)
        # The contract: chunk 0x0f holds the UDP payload byte for byte.
        # HEP3.md allows gzip (0x10) to keep a large message under the MTU,
        # so compression is accepted only where 0x0f would not fit.
        if hep3.CH_PAYLOAD not in m.chunks and len(e["payload"]) <= COMPRESS_OK_ABOVE:
            errs.append("payload not in chunk 0x0f (chunks %s)" % ["0x%02x" % t for t in m.order])
        if errs:
            wrong.append("frame %d: %s" % (e["frame"], "; ".join(errs)))
    extra = sum(len(v) for v in pool.values())
    c.none(missing, "every tshark SIP/UDP message arrived (%d expected)" % len(want_sip))
    c.none(wrong, "family/proto/time/Call-ID/VLAN/payload chunk of each SIP message")
    c.eq(extra, 0, "no SIP message beyond tshark's (got %d type-1 messages)" % len(got))
    return got


def check_events(c, r, want_events):
    events = [m for m in r.messages if m.proto_type == 100]
    parsed, bad = [], []
    for m in events:
        try:
            j = json.loads(m.payload.decode("utf-8"))
            parsed.append((m, j))
        except (ValueError, UnicodeDecodeError) as e:
            bad.append("%r: %s" % (m.payload[:80], e))
    c.none(bad, "every type-100 payload is JSON")
    csum_events = collections.Counter(m.correlation_id for m, j in parsed
                                      if isinstance(j, dict) and j.get("event") == "udp_checksum_bad")
    want = collections.Counter(e["callids"][0] if e["callids"] else None for e in want_events)
    c.eq(dict(csum_events), dict(want),
         "one udp_checksum_bad event per bad-checksum SIP, correlation id = Call-ID")
    others = collections.Counter(j.get("event") if isinstance(j, dict) else None for _, j in parsed)
    print("info: type-100 events by name: %s" % dict(others))
    return sum(csum_events.values())


def check_metrics(c, r, pcap, n_sip, n_events, sip_for_counters, all_sip):
    M = r.metrics
    nframes = harness.frame_count(pcap)
    rx = M.value("hepprobe_rx_frames_total")
    c.eq(rx, nframes, "hepprobe_rx_frames_total == frames in the file")
    delivered = M.total("hepprobe_delivered_total")
    drops = M.total("hepprobe_drops_total")
    c.eq(rx, delivered + drops, "invariant rx == sum(delivered) + sum(drops) (%s + %s; drops %s)"
         % (delivered, drops, M.by_label("hepprobe_drops_total", "reason")))
    c.eq(M.value("hepprobe_delivered_total", kind="sip"), n_sip,
         "delivered{kind=sip} == SIP messages received")
    c.eq(M.value("hepprobe_delivered_total", kind="sip_event"), n_events,
         "delivered{kind=sip_event} == udp_checksum_bad events received")
    c.eq(M.value("hepprobe_hep_sent_total"), len(r.messages), "hep_sent_total == HEP messages received")
    c.eq(M.value("hepprobe_hep_bytes_total"), sum(len(d) for d in r.datagrams),
         "hep_bytes_total == bytes received")
    c.eq(M.value("hepprobe_hep_send_errors_total"), 0, "hep_send_errors_total == 0")

    # Checksum verdicts against tshark (mapping documented in tshark_truth).
    linktype, frames, _ = pcapfile.read(pcap)
    st = collections.Counter()
    partial = 0
    for num, s in tshark_truth.udp_frames(pcap):
        st[s] += 1
        if s == 0 and pcapfile.is_offload_partial(linktype, frames[num - 1][4]):
            partial += 1
    got = M.by_label("hepprobe_udp_checksum_total", "result")
    g = lambda k: got.get(k, 0)  # noqa: E731
    c.eq(g("ok"), st[1], "checksum ok == tshark good")
    c.eq(g("bad") + g("offload_partial"), st[0], "checksum bad + offload_partial == tshark bad")
    c.eq(g("offload_partial"), partial, "checksum offload_partial == pseudo-header-only fields (pcapfile)")
    c.eq(g("zero_ipv4"), st[3], "checksum zero_ipv4 == tshark not present")
    c.eq(g("zero_ipv6"), st[4], "checksum zero_ipv6 == tshark illegal")
    c.eq(g("truncated"), st[2], "checksum truncated == tshark unverified")
    c.eq(g("bad_length"), st[-1], "checksum bad_length == tshark no status")
    unknown = set(got) - {"ok", "bad", "offload_partial", "zero_ipv4", "zero_ipv6", "truncated", "bad_length"}
    c.eq(sorted(unknown), [], "no unknown checksum result label")

    # SIP counters: over the messages sent as SIP; a probe may also count
    # bad-checksum SIP it parsed, so the all-SIP count is accepted too.
    def tally(msgs):
        req, resp = collections.Counter(), collections.Counter()
        for e in msgs:
            for m in e["methods"]:
                req[m] += 1
            for s in e["statuses"]:
                resp[s] += 1
        return dict(req), dict(resp)
    got_req = {k: int(v) for k, v in M.by_label("hepprobe_sip_requests_total", "method").items() if v}
    got_resp = {k: int(v) for k, v in M.by_label("hepprobe_sip_responses_total", "status").items() if v}
    a, b = tally(sip_for_counters), tally(all_sip)
    c.check((got_req, got_resp) in (a, b), "sip_requests/responses_total == tshark's methods/status codes",
            "got %r %r, want %r %r" % (got_req, got_resp, a[0], a[1]))


def test_capture(binary, pcap):
    name = os.path.basename(pcap)
    c = harness.Checks(name)
    want_sip, want_events = expectations(pcap)
    all_sip = sorted(want_sip + want_events, key=lambda e: e["frame"])
    node_name = "it-" + name[:20]
    base = ["--node-id", str(NODE_ID), "--node-name", node_name, "--auth-key", AUTH_KEY]
    print("%s: tshark expects %d SIP messages as SIP, %d as checksum events"
          % (name, len(want_sip), len(want_events)))

    r = harness.run_probe(binary, pcap, base)
    check_common(c, r, node_name)
    got = check_sip(c, r, want_sip)
    n_csum_events = check_events(c, r, want_events)
    other = collections.Counter(m.proto_type for m in r.messages if m.proto_type not in (1, 100))
    print("info %s: other HEP types received: %s" % (name, dict(other)))
    check_metrics(c, r, pcap, len(got), n_csum_events, want_sip, all_sip)

    if want_events:
        c2 = harness.Checks(name + " --forward-bad-checksum")
        r2 = harness.run_probe(binary, pcap, base + ["--forward-bad-checksum"])
        check_common(c2, r2, node_name)
        check_sip(c2, r2, all_sip)
        c.failed += c2.failed
        c.passed += c2.passed
    return c


def main(argv):
    if len(argv) < 3:
        print("usage: test_pcap.py HEPPROBE FILE...", file=sys.stderr)
        return 2
    total = harness.Checks("test_pcap")
    if not harness.need_tools(total, "tshark") or not os.access(argv[1], os.X_OK):
        if not os.access(argv[1], os.X_OK):
            total.fatal("hepprobe binary %r not executable" % argv[1])
        total.exit()
    for pcap in argv[2:]:
        c = test_capture(argv[1], pcap)
        total.failed += c.failed
        total.passed += c.passed
    total.exit()


if __name__ == "__main__":
    main(sys.argv)
