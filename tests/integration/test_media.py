# SPDX-License-Identifier: BSD-3-Clause
"""hepprobe's media engine on captures, checked against tshark and the
generator's ground truth (never against hepprobe's own output).

usage: test_media.py HEPPROBE CAPTURE...
       test_media.py --regen DATADIR       (re)write the gen_media_* captures
       test_media.py --check-gen DATADIR   regenerate them elsewhere, compare bytes

For each capture, `hepprobe --pcap FILE --hep udp:127.0.0.1:PORT
--metrics-file F --quiet --flat-ms 2000` sends to hep3.Receiver, and:

  * per RTP stream (src, dst, ssrc) that tshark -z rtp,streams lists (with the
    decode options in PROFILES), exactly one HEP type-34 report arrives whose
    packets and lost equal tshark's Pkts and Lost, and whose call_id is the
    Call-ID of the SIP message tshark names as the stream's setup frame
    (rtp.setup-frame; none -> empty);
  * "exact" profiles: no other report arrives (every stream is one tshark sees);
  * generated captures (a voipgen summary beside the pcap): max and mean jitter
    within 10 % of tshark's (exclusions below), direction as in the summary;
    every stream the summary calls flat has exactly one final flatline event
    with the summary's call_id, direction and sample value, starting within
    0.5 s of the summary's onset; no speech or quiet stream has any flatline
    event; hepprobe_rtp_streams_flatline_total == flat streams;
  * the corpus flat-line capture: the four 0xFF streams have one final
    flatline event each lasting the longest 0xFF run of SOURCES.md +-0.1 s;
  * every RTCP frame tshark sees on the outer UDP stack arrives as one HEP
    type-5 message (same addresses, ports, capture time to the microsecond)
    whose JSON array lists tshark's rtcp.pt values in order, with the Call-ID of
    tshark's rtcp.setup-frame as correlation id (absent or empty when none);
    no other type-5 message;
  * metrics: rx_frames == frames in the file == sum(delivered) + sum(drops);
    rtcp_packets_total == delivered{kind=rtcp} == tshark's RTCP frames;
    exact profiles: rtp_streams_total == tshark's streams, delivered{kind=rtp}
    + delivered{kind=rtp_candidate} == tshark's RTP frames, rtp_lost_packets_total == the sum over streams of
    tshark's Lost clamped at 0 (a counter cannot fall: a stream with more
    duplicates than losses adds nothing);
  * exit code 0, every datagram a well-formed HEPv3 message, none lost by the
    test's own socket.

Jitter exclusion (tshark differs on purpose, so its figure is no reference):
streams with RFC 4733 telephone-events (summary impairment "dtmf").  tshark
feeds the event packets into its jitter estimate, and their timestamp stays at
the event start while arrival advances (7-14 ms maxima on a stream with no
arrival noise); the jitter of the audio packets, RFC 3550 A.8, is what a probe
reports.  Timestamp wraps ("tswrap") and DTX timestamp jumps ("dtx") are
compared: tshark and RFC 3550 agree on them.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tshark_truth  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
VOIPGEN = os.path.join(HERE, "..", "gen", "voipgen.py")

# The committed generated captures and the exact voipgen arguments that make
# them (also in tests/data/SOURCES-generated.md).  Mix seed 4 is chosen so that
# every flat stream's flat run is >= 3 s: hepprobe's default --flat-ms 2000
# must be able to see each one (checked below as a precondition).
GENERATED = {
    "gen_media_mix": ["--scenario", "mix", "--seed", "4", "--calls", "13",
                      "--duration-s", "6", "--concurrency", "6"],
    "gen_media_flat": ["--scenario", "flat", "--seed", "11", "--calls", "7",
                       "--duration-s", "9"],
    "gen_media_impair": ["--scenario", "impair", "--seed", "5", "--calls", "10",
                         "--duration-s", "6"],
}

FLAT_MS = 2000
# Margin a flat run must exceed FLAT_MS by before the test demands a flag.
FLAT_MARGIN_S = 0.5
ONSET_TOL_S = 0.5
JITTER_REL = 0.10
# Both tools print jitter in ms with 3 decimals: allow 1.5 units of that
# resolution on top of the relative tolerance, else 0.004 vs 0.005 fails.
JITTER_ABS_MS = 0.0015
JITTER_EXCLUDE = {
    "dtmf": "telephone-event packets enter tshark's jitter (timestamp held at event start)",
}

HEURISTIC = ["-o", "rtp.heuristic_rtp:TRUE"]

# Per capture: tshark decode options (as in /work/shared/corpus/SOURCES.md),
# "exact" = hepprobe must report exactly tshark's streams (no more), flat =
# {ssrc: expected final flat-run seconds} from SOURCES.md, no_flat = no stream
# may be flagged.
PROFILES = {
    "sip_b2bua_pcmu_flatline_offload.pcap": {
        "tshark": [], "exact": True,
        # Longest all-0xFF runs: 829 and 737 packets of 20 ms.
        "flat": {0x00294823: 829 * 0.020, 0x26738F8C: 829 * 0.020,
                 0x6D9F0DDF: 737 * 0.020, 0x441BC0CF: 737 * 0.020},
        "flat_tol_s": 0.1,
    },
    "rtp_pcmu_carrier_loss.pcap": {
        # No SIP/SDP: tshark finds the stream only heuristically, as hepprobe does.
        "tshark": HEURISTIC, "exact": True,
        # SOURCES.md: 24 flat packets in the whole file, < 2 s.
        "no_flat": True,
    },
    "sip_dtmf2_rfc2833_pcma.pcap": {"tshark": [], "exact": True},
    "rtcp_compound_sll.pcap": {"tshark": [], "exact": True, "no_rtp": True},
    "sip_call_rtp_g711a.pcap": {
        # Only SDP-announced streams are compared: hepprobe's heuristic also
        # measures RTP-looking traffic that tshark without heuristics leaves as data.
        # tshark's RTCP heuristic skips frames 531 and 2646 (40379 -> 4801: a
        # whole SR+RR+SDES compound plus 2 zero bytes of UDP padding) though it
        # decodes the same shape on the SDP-announced leg (frames 529, 2644).
        # Decoding that port as RTCP lets tshark judge them as RTCP too.
        "tshark": ["-d", "udp.port==4801,rtcp"], "exact": False,
        # SOURCES.md: speech both ways, 16 flat packets, a 'not silent' reference.
        "no_flat": True,
    },
}
for _n in GENERATED:
    PROFILES[_n + ".pcap"] = {"tshark": [], "exact": True}

RTP_STREAM_LINE = re.compile(
    r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+"
    r"(.+?)\s+(\d+)\s+(-?\d+) \(\s*-?[\d.]+%\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+"
    r"([\d.]+)\s+([\d.]+)\s+([\d.]+)")

FIELDS = ["frame.number", "frame.time_epoch", "frame.protocols", "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "ip.flags.mf",
          "ip.frag_offset", "ipv6.fraghdr.nxt", "rtp.ssrc", "rtp.setup-frame",
          "rtcp.setup-frame", "rtcp.pt", "sip.Call-ID"]


def addr(ip, port):
    return "[%s]:%s" % (ip, port) if ":" in ip else "%s:%s" % (ip, port)


def addr_norm(s):
    """'ip:port' or '[v6]:port' -> (ip, port) for comparison."""
    ip, _, port = s.rpartition(":")
    return ip.strip("[]"), int(port)


def start_tshark(pcap, opts, args):
    cmd = [tshark_truth.TSHARK, "-n", "-r", pcap] + list(opts) + list(args)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc, what, timeout=240):
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError("tshark %s failed (%s): %s" % (what, proc.returncode,
                                                          err.decode()[-500:]))
    return out.decode("utf-8", "replace")


def parse_streams(text):
    """{(src, dst, ssrc): dict} from -z rtp,streams."""
    res = {}
    for line in text.splitlines():
        m = RTP_STREAM_LINE.match(line)
        if not m:
            continue
        key = (addr_norm(addr(m.group(1), m.group(2))), addr_norm(addr(m.group(3), m.group(4))),
               int(m.group(5), 16))
        res[key] = {"payload": m.group(6), "packets": int(m.group(7)), "lost": int(m.group(8)),
                    "mean_jitter_ms": float(m.group(13)), "max_jitter_ms": float(m.group(14))}
    return res


def parse_fields(text):
    """(sip Call-ID by frame, RTCP frames, RTP frames per stream key, setup
    frame per stream key)."""
    callid = {}
    rtcp, rtp_count, rtp_setup = [], {}, {}
    for line in text.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        num = int(v["frame.number"])
        protos = v["frame.protocols"].split(":")
        if "sip" in protos and v.get("sip.Call-ID"):
            callid[num] = v["sip.Call-ID"].split(",")[0]
        layers = {k: (x.split(",") if x else []) for k, x in v.items()}
        if tshark_truth.classify(layers) != "ok":
            continue
        ip4 = bool(v["ip.src"])
        src = (v["ip.src"] if ip4 else v["ipv6.src"]).split(",")[0]
        dst = (v["ip.dst"] if ip4 else v["ipv6.dst"]).split(",")[0]
        sport = int(v["udp.srcport"].split(",")[0])
        dport = int(v["udp.dstport"].split(",")[0])
        if "rtcp" in protos:
            setup = v["rtcp.setup-frame"].split(",")[0]
            rtcp.append({"frame": num, "ts_us": tshark_truth.epoch_to_ns(v["frame.time_epoch"]) // 1000,
                         "src": (src, sport), "dst": (dst, dport),
                         "pts": [int(x) for x in v["rtcp.pt"].split(",") if x],
                         "setup": int(setup) if setup else None})
        elif "rtp" in protos and v["rtp.ssrc"]:
            key = ((src, sport), (dst, dport), int(v["rtp.ssrc"], 16))
            rtp_count[key] = rtp_count.get(key, 0) + 1
            setup = v["rtp.setup-frame"].split(",")[0]
            if key not in rtp_setup and setup:
                rtp_setup[key] = int(setup)
    return callid, rtcp, rtp_count, rtp_setup


def load_json_payload(c, m, what):
    try:
        return json.loads(m.payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, AttributeError) as e:
        c.fatal("%s payload is not JSON (%s): %r" % (what, e, (m.payload or b"")[:120]))
        return None


def stream_key(d):
    return (addr_norm(d["src"]), addr_norm(d["dst"]), int(d["ssrc"], 16))


def close(got, want, rel=JITTER_REL, absol=JITTER_ABS_MS):
    return abs(got - want) <= rel * abs(want) + absol


def summary_streams(summary):
    out = {}
    for call in summary["calls"]:
        for s in call["streams"]:
            key = (addr_norm(s["src"]), addr_norm(s["dst"]), s["ssrc"])
            out[key] = dict(s, call_id=call["call_id"])
    return out


def check_capture(binary, pcap):
    base = os.path.basename(pcap)
    c = harness.Checks("media:" + base)
    prof = PROFILES.get(base)
    if prof is None:
        c.fatal("no profile for %s in test_media.PROFILES" % base)
        return c
    summary = None
    js = pcap[:-len(".pcap")] + ".json"
    if base[:-len(".pcap")] in GENERATED:
        with open(js) as f:
            summary = json.load(f)
    procs = []
    try:
        p_streams = start_tshark(pcap, prof["tshark"], ["-q", "-z", "rtp,streams"])
        procs.append(p_streams)
        fargs = ["-Y", "rtp || rtcp || sip", "-T", "fields", "-E", "separator=/t",
                 "-E", "occurrence=a", "-E", "aggregator=,"]
        for f in FIELDS:
            fargs += ["-e", f]
        p_fields = start_tshark(pcap, prof["tshark"], fargs)
        procs.append(p_fields)
        r = harness.run_probe(binary, pcap, args=["--quiet", "--flat-ms", str(FLAT_MS)])
        ts_streams = parse_streams(finish(p_streams, "rtp,streams"))
        callid, rtcp, rtp_count, rtp_setup = parse_fields(finish(p_fields, "fields"))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    c.eq(r.rc, 0, "hepprobe exit code")
    c.eq(r.decode_errors, [], "every datagram is well-formed HEPv3")
    c.eq(r.rx_drops, 0, "test receiver dropped nothing (else: test infrastructure, not hepprobe)")
    c.eq(r.metrics_bad_lines, [], "metrics file is valid Prometheus text")
    c.check(r.metrics_text is not None, "metrics file written")

    reports, events, rtcp_msgs = {}, [], []
    dup_reports = []
    for m in r.messages:
        if m.proto_type == 34:
            d = load_json_payload(c, m, "type-34")
            if d is None:
                continue
            k = stream_key(d)
            if k in reports:
                dup_reports.append(k)
            reports[k] = (d, m)
        elif m.proto_type == 100:
            d = load_json_payload(c, m, "type-100")
            if d is not None and d.get("event") != "udp_checksum_bad":
                events.append((d, m))
        elif m.proto_type == 5:
            d = load_json_payload(c, m, "type-5")
            if d is not None:
                rtcp_msgs.append((d, m))
    c.none(dup_reports, "at most one type-34 report per (src, dst, ssrc)")

    # -- streams: packets, lost, call_id ----------------------------------
    if prof["exact"]:
        c.check(len(ts_streams) > 0 or prof.get("no_rtp"),
                "tshark lists RTP streams (else the decode options are wrong)",
                "%d streams" % len(ts_streams))
    missing, wrong_counts, wrong_cid, ok_n = [], [], [], 0
    for k, t in sorted(ts_streams.items()):
        got = reports.get(k)
        if got is None:
            missing.append(k)
            continue
        d, m = got
        if (d.get("packets"), d.get("lost")) != (t["packets"], t["lost"]):
            wrong_counts.append("%s ssrc 0x%08X: got packets %s lost %s, tshark %d / %d"
                                % (k[0], k[2], d.get("packets"), d.get("lost"),
                                   t["packets"], t["lost"]))
        setup = rtp_setup.get(k)
        want_cid = callid.get(setup, "") if setup else ""
        if d.get("call_id", "") != want_cid or (m.correlation_id or "") != want_cid:
            wrong_cid.append("ssrc 0x%08X: json %r chunk %r, tshark setup frame %s -> %r"
                             % (k[2], d.get("call_id"), m.correlation_id, setup, want_cid))
        ok_n += 1
    c.none(missing, "every tshark RTP stream has a type-34 report (%d streams)" % len(ts_streams))
    c.none(wrong_counts, "type-34 packets and lost == tshark -z rtp,streams")
    c.none(wrong_cid, "type-34 call_id and correlation id == Call-ID of tshark's setup frame")
    if prof["exact"]:
        extra = sorted(set(reports) - set(ts_streams))
        c.none(["%s->%s 0x%08X" % (a, b, s) for a, b, s in extra],
               "no type-34 report for a stream tshark does not see")

    # -- generated: jitter, direction, flat lines --------------------------
    flat_events = {}
    for d, m in events:
        if d.get("event") == "flatline":
            try:
                flat_events.setdefault(stream_key(d), []).append((d, m))
            except (KeyError, ValueError):
                c.fatal("flatline event without src/dst/ssrc: %r" % d)
    if summary is not None:
        check_generated(c, summary, ts_streams, reports, flat_events)
    if "flat" in prof:
        check_corpus_flat(c, prof, ts_streams, rtp_setup, callid, flat_events)
    if prof.get("no_flat"):
        c.none(sorted("0x%08X" % k[2] for k in flat_events),
               "no flatline event (capture is speech; SOURCES.md)")

    # -- RTCP ---------------------------------------------------------------
    by_key = {}
    for d, m in rtcp_msgs:
        by_key.setdefault(((m.src_ip, m.src_port), (m.dst_ip, m.dst_port), m.ts_usec), []).append((d, m))
    missing, wrong_pt, wrong_cid, multi = [], [], [], []
    for e in rtcp:
        got = by_key.get((e["src"], e["dst"], e["ts_us"]), [])
        if not got:
            missing.append(e["frame"])
            continue
        if len(got) > 1:
            multi.append(e["frame"])
        d, m = got[0]
        pts = [o.get("type") for o in d] if isinstance(d, list) else None
        if pts != e["pts"]:
            wrong_pt.append("frame %d: got %r, tshark %r" % (e["frame"], pts, e["pts"]))
        want_cid = callid.get(e["setup"], "") if e["setup"] else ""
        if (m.correlation_id or "") != want_cid:
            wrong_cid.append("frame %d: got %r, tshark setup frame %s -> %r"
                             % (e["frame"], m.correlation_id, e["setup"], want_cid))
    c.none(missing, "every RTCP frame tshark sees arrives as HEP type 5 (%d frames)" % len(rtcp),
           "frames missing")
    c.none(multi, "each RTCP frame arrives once", "frames sent more than once")
    c.none(wrong_pt, "type-5 JSON array lists tshark's rtcp.pt values in order")
    c.none(wrong_cid, "type-5 correlation id == Call-ID of tshark's rtcp.setup-frame")
    c.eq(len(rtcp_msgs), len(rtcp), "type-5 messages == RTCP frames tshark sees")

    # -- metrics --------------------------------------------------------------
    M = r.metrics
    rx = M.value("hepprobe_rx_frames_total")
    c.eq(rx, float(harness.frame_count(pcap)), "rx_frames == frames in the file")
    delivered = M.total("hepprobe_delivered_total")
    drops = M.total("hepprobe_drops_total")
    c.eq(rx, delivered + drops, "invariant rx == sum(delivered) + sum(drops) (%s + %s; drops %s)"
         % (delivered, drops, M.by_label("hepprobe_drops_total", "reason")))
    c.eq(M.value("hepprobe_rtcp_packets_total"), float(len(rtcp)),
         "rtcp_packets_total == tshark's RTCP frames")
    c.eq(M.value("hepprobe_delivered_total", kind="rtcp"), len(rtcp),
         "delivered{kind=rtcp} == tshark's RTCP frames")
    if prof["exact"]:
        c.eq(M.value("hepprobe_rtp_streams_total"), float(len(ts_streams)),
             "rtp_streams_total == tshark's streams")
        # An unannounced stream's first packets are counted as rtp_candidate
        # while on probation and join the stream once it is confirmed
        # (lib/metrics/metrics.h), so the two kinds together are its frames.
        c.eq(M.value("hepprobe_delivered_total", kind="rtp") +
             M.value("hepprobe_delivered_total", kind="rtp_candidate"), sum(rtp_count.values()),
             "delivered{kind=rtp} + delivered{kind=rtp_candidate} == tshark's RTP frames")
        c.eq(M.value("hepprobe_rtp_lost_packets_total"),
             float(sum(max(0, t["lost"]) for t in ts_streams.values())),
             "rtp_lost_packets_total == sum of tshark's Lost clamped at 0 per stream")
    if summary is not None:
        c.eq(M.value("hepprobe_rtp_streams_flatline_total"),
             float(summary["totals"]["flat_streams"]),
             "rtp_streams_flatline_total == flat streams in the summary")
    elif "flat" in prof:
        c.eq(M.value("hepprobe_rtp_streams_flatline_total"), float(len(prof["flat"])),
             "rtp_streams_flatline_total == flat streams of SOURCES.md")
    elif prof.get("no_flat"):
        c.eq(M.value("hepprobe_rtp_streams_flatline_total"), 0.0,
             "rtp_streams_flatline_total == 0")
    return c


def check_generated(c, summary, ts_streams, reports, flat_events):
    ss = summary_streams(summary)
    c.eq(sorted(ss), sorted(ts_streams), "summary streams == tshark streams (capture sanity)")
    epoch = summary["pcap"]["start_epoch"]

    bad_jit, bad_dir, excluded = [], [], []
    for k, s in sorted(ss.items()):
        got = reports.get(k)
        t = ts_streams.get(k)
        if got is None or t is None:
            continue
        d = got[0]
        if d.get("direction") != s["direction"]:
            bad_dir.append("0x%08X: got %r, summary %r" % (k[2], d.get("direction"), s["direction"]))
        why = [i for i in s["impairments"] if i in JITTER_EXCLUDE]
        if why:
            excluded.append("0x%08X (%s)" % (k[2], ",".join(why)))
            continue
        for name in ("max_jitter_ms", "mean_jitter_ms"):
            g = d.get(name)
            if not isinstance(g, (int, float)) or not close(g, t[name]):
                bad_jit.append("0x%08X %s %s: got %r, tshark %.3f"
                               % (k[2], s["impairments"] or s["content"], name, g, t[name]))
    print("info: jitter not compared for %s" % (", ".join(excluded) or "no stream"))
    c.none(bad_dir, "type-34 direction == summary")
    c.none(bad_jit, "max and mean jitter within 10 %% of tshark's (%d streams)"
           % (len(ss) - len(excluded)))

    too_short, no_event, wrong, control_flagged = [], [], [], []
    for k, s in sorted(ss.items()):
        evs = flat_events.get(k, [])
        if not s["flat"]:
            if evs:
                control_flagged.append("0x%08X %s %s: %d flatline events, first %r"
                                       % (k[2], s["content"], s["direction"], len(evs), evs[0][0]))
            continue
        run = s["end_s"] - s["start_s"] - s["flat_start_s"]
        if run < FLAT_MS / 1000.0 + FLAT_MARGIN_S:
            too_short.append("0x%08X flat run %.2f s" % (k[2], run))
            continue
        finals = [(d, m) for d, m in evs if d.get("final") is True]
        if len(finals) != 1:
            no_event.append("0x%08X %s: %d final flatline events (%d in all)"
                            % (k[2], s["content"], len(finals), len(evs)))
            continue
        d, m = finals[0]
        want_start = epoch + s["start_s"] + s["flat_start_s"]
        probs = []
        if d.get("call_id") != s["call_id"] or m.correlation_id != s["call_id"]:
            probs.append("call_id %r/%r want %r" % (d.get("call_id"), m.correlation_id, s["call_id"]))
        if d.get("direction") != s["direction"]:
            probs.append("direction %r want %r" % (d.get("direction"), s["direction"]))
        if d.get("value") != s["flat_value"]:
            probs.append("value %r want %r" % (d.get("value"), s["flat_value"]))
        st = d.get("start_us")
        if not isinstance(st, int) or abs(st / 1e6 - want_start) > ONSET_TOL_S:
            probs.append("start_us %r want %.6f s +-%.1f" % (st, want_start, ONSET_TOL_S))
        if probs:
            wrong.append("0x%08X %s: %s" % (k[2], s["content"], "; ".join(probs)))
    c.none(too_short, "precondition: every flat run of the capture exceeds --flat-ms + %.1f s"
           % FLAT_MARGIN_S)
    c.none(no_event, "every flat stream has exactly one final flatline event (%d flat)"
           % sum(1 for s in ss.values() if s["flat"]))
    c.none(wrong, "final flatline call_id, direction, value, onset == summary")
    c.none(control_flagged, "no flatline event on a speech or quiet stream (%d controls)"
           % sum(1 for s in ss.values() if not s["flat"]))


def check_corpus_flat(c, prof, ts_streams, rtp_setup, callid, flat_events):
    tol = prof["flat_tol_s"]
    probs = []
    for ssrc, secs in sorted(prof["flat"].items()):
        keys = [k for k in ts_streams if k[2] == ssrc]
        if len(keys) != 1:
            probs.append("0x%08X: tshark lists %d streams" % (ssrc, len(keys)))
            continue
        k = keys[0]
        finals = [(d, m) for d, m in flat_events.get(k, []) if d.get("final") is True]
        if len(finals) != 1:
            probs.append("0x%08X: %d final flatline events" % (ssrc, len(finals)))
            continue
        d, m = finals[0]
        dur = d.get("duration_ms")
        if not isinstance(dur, int) or abs(dur / 1000.0 - secs) > tol:
            probs.append("0x%08X: duration_ms %r, want %.2f s +-%.1f" % (ssrc, dur, secs, tol))
        setup = rtp_setup.get(k)
        want = callid.get(setup, "") if setup else ""
        if d.get("call_id") != want:
            probs.append("0x%08X: call_id %r, want %r" % (ssrc, d.get("call_id"), want))
        if d.get("value") != 0:
            probs.append("0x%08X: value %r, want 0 (0xFF is mu-law zero)" % (ssrc, d.get("value")))
    c.none(probs, "the %d 0xFF streams each have one final flatline event with the "
           "SOURCES.md run length" % len(prof["flat"]))
    others = sorted("0x%08X" % k[2] for k in flat_events if k[2] not in prof["flat"])
    c.none(others, "no flatline event on any other stream")


def regen(outdir):
    """Runs voipgen for every GENERATED capture at once; raises on failure."""
    procs = []
    try:
        for name, args in GENERATED.items():
            pcap = os.path.join(outdir, name + ".pcap")
            procs.append((name, subprocess.Popen(
                [sys.executable, VOIPGEN, "--quiet", "--out", pcap,
                 "--summary", os.path.join(outdir, name + ".json")] + args)))
        for name, p in procs:
            if p.wait(timeout=600) != 0:
                raise RuntimeError("voipgen for %s exited %d" % (name, p.returncode))
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def check_gen(datadir):
    c = harness.Checks("media:generated")
    tmp = tempfile.mkdtemp(prefix="hp-media-gen-")
    try:
        regen(tmp)
        for name in GENERATED:
            for ext in (".pcap", ".json"):
                with open(os.path.join(tmp, name + ext), "rb") as a, \
                        open(os.path.join(datadir, name + ext), "rb") as b:
                    c.check(a.read() == b.read(),
                            "%s%s is what voipgen %s writes" % (name, ext, " ".join(GENERATED[name])))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return c


def main(argv):
    if len(argv) == 3 and argv[1] == "--regen":
        regen(argv[2])
        return 0
    if len(argv) == 3 and argv[1] == "--check-gen":
        try:
            c = check_gen(argv[2])
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
            c = harness.Checks("media:generated")
            c.fatal("could not regenerate: %s: %s" % (type(e).__name__, e))
        c.exit()
    if len(argv) < 3:
        print(__doc__)
        return 2
    c = harness.Checks("media")
    if not harness.need_tools(c, tshark_truth.TSHARK) or not os.access(argv[1], os.X_OK):
        if not os.access(argv[1], os.X_OK):
            c.fatal("hepprobe binary %r not executable" % argv[1])
        c.exit()
    return harness.check_captures("media", check_capture, argv[1], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
