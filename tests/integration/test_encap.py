# SPDX-License-Identifier: BSD-3-Clause
"""hepprobe on the encapgen captures (tunnels, impaired TCP, impaired IP
fragments, malformed input), checked against the generator's truth JSON.

usage: test_encap.py HEPPROBE CAPTURE...    run hepprobe on each capture
       test_encap.py --tshark DATADIR       check the committed captures with tshark
       test_encap.py --check-gen DATADIR    regenerate elsewhere, compare bytes
       test_encap.py --regen DATADIR        (re)write the gen_* encapgen captures

For each capture, `hepprobe --pcap FILE --hep udp:127.0.0.1:PORT
--metrics-file F --quiet` sends to hep3.Receiver, and:

  * the HEP type-1 messages are exactly the truth's SIP messages as a multiset:
    payload byte for byte, innermost source/destination address and port,
    family, ip_proto (17 for UDP, also when reassembled from fragments; 6 for
    TCP); no other type-1 message (nothing the truth lists as undelivered:
    cut by a lost segment, started before the capture, overlapping or
    incomplete fragments, junk);
  * per truth RTP stream (src, dst, ssrc) exactly one type-34 report whose
    packets and lost equal the truth's and whose call_id and correlation id
    are the stream's Call-ID; no report for any other stream;
  * exit code 0; rx_frames == frames in the file == sum(delivered) +
    sum(drops);
  * gen_malformed: sum(drops) >= the junk frames (every junk frame is
    dropped under some reason; the valid calls' frames are delivered), and
    the SIP of the valid calls before and after the junk all arrives.

--tshark validates the generator independently of hepprobe (tshark 4.0):
  * tunnels, gen_malformed: tshark's SIP (frame, Call-ID) pairs equal the
    truth's messages (completing frame), junk frames aside;
  * gen_frag_ip: the same plus the two overlapping datagrams, which tshark
    reassembles (it flags the overlap but keeps the data; RFC 5722 and the
    truth drop them);
  * gen_tcp_sip: the TCP byte streams rebuilt from tshark's tcp.seq and
    tcp.payload hold every delivered message contiguously and no undelivered
    one whole; and tshark's SIP (default and tcp.reassemble_out_of_order) is a
    subset of the truth.  tshark itself does not resynchronise after a hole
    (it appends the next segment to the cut message) and by default does not
    reorder, so its count is lower: printed, not compared;
  * every capture: tshark -z rtp,streams lists exactly the truth's streams
    with the truth's packets and lost.
"""

import base64
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_media  # noqa: E402
import tshark_truth  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
ENCAPGEN = os.path.join(HERE, "..", "gen", "encapgen.py")
sys.path.insert(0, os.path.join(HERE, "..", "gen"))
import encapgen  # noqa: E402


def load_truth(pcap):
    with open(pcap[:-len(".pcap")] + ".json") as f:
        return json.load(f)


def msg_key(src, dst, sport, dport, proto, family, payload):
    return (src, dst, sport, dport, proto, family, payload)


def truth_key(m):
    return msg_key(m["src"], m["dst"], m["sport"], m["dport"], m["ip_proto"],
                   2 if m["family"] == 4 else 10, base64.b64decode(m["payload_b64"]))


def describe(k):
    return "%s:%d->%s:%d proto %d %d bytes %r" % (k[0], k[2], k[1], k[3], k[4], len(k[6]),
                                                 k[6][:40])


def check_capture(binary, pcap):
    name = os.path.basename(pcap)
    c = harness.Checks("encap:" + name)
    truth = load_truth(pcap)
    r = harness.run_probe(binary, pcap, args=["--quiet"])
    c.eq(r.rc, 0, "hepprobe exit code")
    c.eq(r.decode_errors, [], "every datagram is well-formed HEPv3")
    c.eq(r.rx_drops, 0, "test receiver dropped nothing (else: test infrastructure, not hepprobe)")
    c.eq(r.metrics_bad_lines, [], "metrics file is valid Prometheus text")
    c.check(r.metrics_text is not None, "metrics file written")

    # -- SIP: the truth's messages, as a multiset -------------------------
    want = collections.Counter(truth_key(m) for m in truth["messages"])
    got = collections.Counter()
    for m in r.messages:
        if m.proto_type == 1:
            got[msg_key(m.src_ip, m.dst_ip, m.src_port, m.dst_port, m.ip_proto, m.family,
                        m.payload)] += 1
    by_key = {truth_key(m): m for m in truth["messages"]}
    missing = ["frame %d %s %s" % (by_key[k]["frame"], by_key[k]["call_id"], describe(k))
               for k in sorted(want - got)]
    undelivered = {base64.b64decode(u["payload_b64"]): u for u in truth["undelivered"]}
    extra = []
    for k in sorted(got - want):
        u = undelivered.get(k[6])
        extra.append("%s%s" % (describe(k), " (truth: undelivered, %s)" % u["reason"] if u else ""))
    c.none(missing, "every truth SIP message arrives as type 1 with its innermost "
           "addresses, ports, family, ip_proto, bytes (%d messages)" % len(truth["messages"]))
    c.none(extra, "no other type-1 message (%d received)" % sum(got.values()), "extra")

    # -- RTP: one type-34 report per truth stream --------------------------
    reports = collections.defaultdict(list)
    for m in r.messages:
        if m.proto_type == 34:
            d = test_media.load_json_payload(c, m, "type-34")
            if d is not None:
                try:
                    reports[test_media.stream_key(d)].append((d, m))
                except (KeyError, ValueError, TypeError):
                    c.fatal("type-34 report without src/dst/ssrc: %r" % d)
    streams = {(test_media.addr_norm(s["src"]), test_media.addr_norm(s["dst"]), s["ssrc"]): s
               for s in truth["streams"]}
    bad = []
    for k, s in sorted(streams.items()):
        reps = reports.get(k, [])
        if len(reps) != 1:
            bad.append("%s->%s 0x%08X: %d reports" % (s["src"], s["dst"], k[2], len(reps)))
            continue
        d, m = reps[0]
        if (d.get("packets"), d.get("lost")) != (s["packets"], s["lost"]):
            bad.append("0x%08X: packets %r lost %r, truth %d / %d"
                       % (k[2], d.get("packets"), d.get("lost"), s["packets"], s["lost"]))
        if d.get("call_id") != s["call_id"] or m.correlation_id != s["call_id"]:
            bad.append("0x%08X: call_id %r correlation id %r, truth %r"
                       % (k[2], d.get("call_id"), m.correlation_id, s["call_id"]))
    c.none(bad, "one type-34 report per truth stream, packets, lost and Call-ID as the truth "
           "(%d streams)" % len(streams))
    c.none(["%s->%s 0x%08X" % (a, b, x) for a, b, x in sorted(set(reports) - set(streams))],
           "no type-34 report for a stream the truth does not have")

    # -- metrics ------------------------------------------------------------
    M = r.metrics
    rx = M.value("hepprobe_rx_frames_total")
    nframes = harness.frame_count(pcap)
    c.eq(nframes, truth["frames"], "frames in the file == truth (capture sanity)")
    c.eq(rx, float(nframes), "rx_frames == frames in the file")
    delivered = M.total("hepprobe_delivered_total")
    drops = M.total("hepprobe_drops_total")
    reasons = M.by_label("hepprobe_drops_total", "reason")
    print("info: delivered %s, drops by reason %s"
          % (M.by_label("hepprobe_delivered_total", "kind"), {k: v for k, v in reasons.items() if v}))
    c.eq(rx, delivered + drops, "invariant rx == sum(delivered) + sum(drops) (%s + %s)"
         % (delivered, drops))
    if "junk_frames" in truth:
        c.check(drops >= truth["junk_frames"], "every junk frame is dropped under some reason: "
                "sum(drops) >= %d junk frames" % truth["junk_frames"], "drops %s" % drops)
        first, last = min(truth["junk_frame_list"]), max(truth["junk_frame_list"])
        for side, sel in (("before", lambda m: m["frame"] < first),
                          ("after", lambda m: m["first_frame"] > last)):
            ks = [truth_key(m) for m in truth["messages"] if sel(m)]
            c.check(ks and all(got[k] for k in ks),
                    "the valid call %s the junk is delivered (%d SIP messages)" % (side, len(ks)),
                    "%d of them missing" % sum(1 for k in ks if not got[k]))
    return c


# ---------------------------------------------------------------------------
# tshark validation of the generator.

def tshark(pcap, args):
    cmd = [tshark_truth.TSHARK, "-n", "-r", pcap] + list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("tshark failed (%d): %s" % (p.returncode, p.stderr.decode()[-500:]))
    return p.stdout.decode("utf-8", "replace")


def tshark_sip(pcap, opts=()):
    """Counter of (frame, Call-ID), one per SIP message tshark decodes."""
    out = collections.Counter()
    text = tshark(pcap, list(opts) + ["-Y", "sip", "-T", "fields", "-E", "occurrence=a",
                                      "-E", "aggregator=\x01", "-e", "frame.number",
                                      "-e", "sip.Call-ID"])
    for line in text.splitlines():
        num, _, cids = line.partition("\t")
        for cid in cids.split("\x01"):
            if cid:
                out[(int(num), cid)] += 1
    return out


def tshark_frames(pcap, args):
    return [int(x) for x in tshark(pcap, list(args) + ["-T", "fields", "-e", "frame.number"]).split()]


def tcp_streams(pcap):
    """{(stream, srcport): [runs of contiguous bytes]} from tcp.seq/payload."""
    segs = collections.defaultdict(dict)
    text = tshark(pcap, ["-o", "tcp.relative_sequence_numbers:FALSE", "-Y", "tcp.len > 0",
                         "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport",
                         "-e", "tcp.seq", "-e", "tcp.payload"])
    for line in text.splitlines():
        st, sp, seq, hexdata = line.split("\t")
        segs[(int(st), int(sp))][int(seq)] = bytes.fromhex(hexdata.replace(":", ""))
    runs = {}
    for k, d in segs.items():
        base = min(d)
        buf = {}
        for seq, data in d.items():
            for i, b in enumerate(data):
                buf[(seq - base + i) & 0xFFFFFFFF] = b
        out, cur, prev = [], bytearray(), None
        for off in sorted(buf):
            if prev is not None and off != prev + 1:
                out.append(bytes(cur))
                cur = bytearray()
            cur.append(buf[off])
            prev = off
        out.append(bytes(cur))
        runs[k] = out
    return runs


def check_tshark(datadir):
    c = harness.Checks("encap:tshark")
    for name in encapgen.CAPTURES:
        pcap = os.path.join(datadir, name + ".pcap")
        truth = load_truth(pcap)
        want = collections.Counter((m["frame"], m["call_id"]) for m in truth["messages"])
        ts = tshark_sip(pcap)
        print("info: %s: tshark decodes %d SIP messages, truth delivers %d (%d undelivered)"
              % (name, sum(ts.values()), sum(want.values()), len(truth["undelivered"])))
        if name == "gen_tcp_sip":
            check_tshark_tcp(c, pcap, truth, ts)
        else:
            junk = set(truth.get("junk_frame_list", []))
            seen = collections.Counter({k: v for k, v in ts.items() if k[0] not in junk})
            if junk:
                print("info: %s: tshark decodes SIP in %d of the %d junk frames"
                      % (name, sum(1 for k in ts if k[0] in junk), len(junk)))
            expect = collections.Counter(want)
            for u in truth["undelivered"]:
                if u["reason"].startswith("overlapping fragments"):
                    expect[(u["frames"][-1], u["call_id"])] += 1
            c.eq(sorted(seen.items()), sorted(expect.items()),
                 "%s: tshark's SIP (frame, Call-ID) == truth%s" % (
                     name, " + overlapping datagrams" if expect != want else ""))
        if name != "gen_tcp_sip":
            # The TCP capture is impaired on purpose (tshark warns of the
            # hole, the reordering): every other frame must decode cleanly.
            warned = set(tshark_frames(pcap, ["-o", "ip.check_checksum:TRUE",
                                              "-o", "udp.check_checksum:TRUE",
                                              "-o", "tcp.check_checksum:TRUE",
                                              "-Y", '_ws.expert.severity >= "Warning" || _ws.malformed']))
            c.none(sorted(warned - set(truth.get("junk_frame_list", []))),
                   "%s: no tshark warning, error or bad checksum outside the junk" % name,
                   "frames")
        streams = test_media.parse_streams(tshark(pcap, ["-q", "-z", "rtp,streams"]))
        got = {k: (v["packets"], v["lost"]) for k, v in streams.items()}
        exp = {(test_media.addr_norm(s["src"]), test_media.addr_norm(s["dst"]), s["ssrc"]):
               (s["packets"], s["lost"]) for s in truth["streams"]}
        c.eq(got, exp, "%s: tshark -z rtp,streams == truth streams (packets, lost)" % name)
    return c


def check_tshark_tcp(c, pcap, truth, ts_default):
    runs = tcp_streams(pcap)
    allruns = [r for rs in runs.values() for r in rs]
    missing = [m["call_id"] for m in truth["messages"] if m["transport"] == "tcp" and
               not any(base64.b64decode(m["payload_b64"]) in r for r in allruns)]
    udp = collections.Counter((m["frame"], m["call_id"]) for m in truth["messages"]
                              if m["transport"] == "udp")
    c.none(sorted((udp - ts_default).elements()), "gen_tcp_sip: tshark decodes the SIP/UDP message(s)")
    present = [u["call_id"] for u in truth["undelivered"]
               if any(base64.b64decode(u["payload_b64"]) in r for r in allruns)]
    c.none(missing, "gen_tcp_sip: every delivered message is contiguous in tshark's TCP streams")
    c.none(present, "gen_tcp_sip: no undelivered message is whole in tshark's TCP streams")
    ts_ooo = tshark_sip(pcap, ["-o", "tcp.reassemble_out_of_order:TRUE"])
    print("info: gen_tcp_sip: tshark with out-of-order reassembly decodes %d SIP messages"
          % sum(ts_ooo.values()))
    want = collections.Counter((m["frame"], m["call_id"]) for m in truth["messages"])
    for label, ts in (("default", ts_default), ("out-of-order", ts_ooo)):
        c.none(sorted((ts - want).elements()),
               "gen_tcp_sip: tshark (%s) decodes no SIP beyond the truth" % label)
    union = ts_default | ts_ooo
    print("info: gen_tcp_sip: truth messages tshark decodes in neither mode: %s"
          % sorted((want - union).elements()))


# ---------------------------------------------------------------------------

def regen(outdir):
    p = subprocess.run([sys.executable, ENCAPGEN, outdir], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("encapgen exited %d: %s" % (p.returncode, p.stderr.decode()[-500:]))


def check_gen(datadir):
    c = harness.Checks("encap:generated")
    tmp = tempfile.mkdtemp(prefix="hp-encap-gen-")
    try:
        regen(tmp)
        for name in encapgen.CAPTURES:
            for ext in (".pcap", ".json"):
                with open(os.path.join(tmp, name + ext), "rb") as a, \
                        open(os.path.join(datadir, name + ext), "rb") as b:
                    c.check(a.read() == b.read(), "%s%s is what encapgen writes" % (name, ext))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return c


def main(argv):
    if len(argv) == 3 and argv[1] == "--regen":
        regen(argv[2])
        return 0
    if len(argv) == 3 and argv[1] in ("--check-gen", "--tshark"):
        what = "generated" if argv[1] == "--check-gen" else "tshark"
        try:
            c = check_gen(argv[2]) if what == "generated" else None
            if c is None:
                c = harness.Checks("encap:tshark")
                if harness.need_tools(c, tshark_truth.TSHARK):
                    c = check_tshark(argv[2])
        except (OSError, RuntimeError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            c = harness.Checks("encap:" + what)
            c.fatal("could not check: %s: %s" % (type(e).__name__, e))
        c.exit()
    if len(argv) < 3:
        print(__doc__)
        return 2
    if not os.access(argv[1], os.X_OK):
        c = harness.Checks("encap")
        c.fatal("hepprobe binary %r not executable" % argv[1])
        c.exit()
    return harness.check_captures("encap", check_capture, argv[1], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
