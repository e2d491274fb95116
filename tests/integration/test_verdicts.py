# SPDX-License-Identifier: BSD-3-Clause
"""The diagnostics verdicts (issue 13) of the real hepprobe, checked against
the truth the generator wrote (never against hepprobe's own output).

usage: test_verdicts.py HEPPROBE gen_verdicts.pcap
       test_verdicts.py HEPPROBE --corpus-flat sip_b2bua_pcmu_flatline_offload.pcap
       test_verdicts.py --check-gen DATADIR

gen_verdicts.pcap (voipgen --scenario verdicts): every verdict event fires on
its case with the fields the truth names, under the case's Call-ID (the AOR
for a registration, the flow for a parse error) as HEP correlation id; the
controls get none; hepprobe_verdicts_total{verdict=...} counts exactly the
expected events; the end-of-run report has one line per verdict; every
type-34 report carries the Homer QoS keys with the types HEP3.md names.
The corpus capture: each call's flat directions (tshark: 0xFF payload runs,
SOURCES.md) get the flat-line explanation of call_verdict."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VOIPGEN = os.path.join(HERE, "..", "gen", "voipgen.py")
GEN_ARGS = ["--scenario", "verdicts", "--seed", "13"]
VERDICTS = ["call_verdict", "sdp_address_mismatch", "register_target_change",
            "sip_parse_error", "sip_checksum_discarded", "clipping"]
QOS_NUM = ["TOTAL_PK", "EXPECTED_PK", "PACKET_LOSS", "JITTER", "MAX_JITTER", "DELTA", "MOS",
           "MIN_MOS", "RFACTOR", "SRC_PORT", "DST_PORT", "CODEC_PT", "DIR"]
QOS_STR = ["CORRELATION_ID", "SRC_IP", "DST_IP", "CODEC_NAME", "TYPE"]


def payload_json(m):
    try:
        return json.loads(m.payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None


def run(c, binary, pcap):
    r = harness.run_probe(binary, pcap)
    c.eq(r.rc, 0, "hepprobe exit code")
    c.eq(r.decode_errors, [], "every datagram is well-formed HEPv3")
    c.eq(r.rx_drops, 0, "test receiver dropped nothing")
    events, reports = [], []
    for m in r.messages:
        if m.proto_type not in (34, 100):
            continue
        d = payload_json(m)
        if d is None:
            c.fatal("type-%d payload is not JSON: %r" % (m.proto_type, (m.payload or b"")[:120]))
            continue
        if m.proto_type == 100 and d.get("event") in VERDICTS:
            events.append((d, m))
        elif m.proto_type == 34:
            reports.append((d, m))
    return r, events, reports


def case_id(case):
    return case.get("call_id") if "aor" not in case and "flow" not in case else \
        case.get("aor", case.get("flow"))


def check_generated(binary, pcap):
    c = harness.Checks("verdicts:" + os.path.basename(pcap))
    with open(pcap[:-len(".pcap")] + ".json") as f:
        truth = json.load(f)
    r, events, reports = run(c, binary, pcap)
    by_cid = {}
    for d, m in events:
        by_cid.setdefault(m.correlation_id, []).append(d)
    want_counts = {v: 0 for v in VERDICTS}
    seen = set()
    for case in truth["cases"]:
        cid = case_id(case)
        got = by_cid.get(cid, [])
        seen.add(cid)
        if case["control"]:
            c.none(["%s: %s" % (d["event"], json.dumps(d)[:300]) for d in got],
                   "control %s: no verdict" % case["name"])
            continue
        c.eq(len(got), len(case["expect"]), "%s: %d verdict event(s)" % (case["name"], len(case["expect"])))
        for e in case["expect"]:
            want_counts[e["event"]] += 1
            match = [d for d in got if d.get("event") == e["event"]]
            if not match:
                c.fatal("%s: no %s event" % (case["name"], e["event"]))
                continue
            d = match[0]
            bad = ["%s=%r (want %r)" % (k, d.get(k), v) for k, v in e.items() if d.get(k) != v]
            c.none(bad, "%s: %s fields as the truth names them" % (case["name"], e["event"]))
            if e["event"] == "call_verdict":
                bd = [x for x in d.get("directions", []) if x.get("sender") == e["bad_sender"]]
                c.check(len(bd) == 1 and bd[0].get("verdict") == e["verdict"] and
                        "check" in bd[0], "%s: the bad direction is explained, with what to check"
                        % case["name"], json.dumps(d.get("directions"))[:400])
            if e["event"] == "clipping":
                c.check(d.get("max_full_scale_pct", 0) >= 5 and d.get("clipped_windows", 0) >= 2,
                        "%s: clipping share and windows reported" % case["name"], json.dumps(d))
    stray = ["%s: %s" % (cid, [d["event"] for d in ds]) for cid, ds in by_cid.items()
             if cid not in seen]
    c.none(stray, "no verdict outside the cases")
    for v in VERDICTS:
        c.eq(r.metrics.value("hepprobe_verdicts_total", verdict=v), want_counts[v],
             "hepprobe_verdicts_total{verdict=\"%s\"}" % v)
    c.eq(sum(want_counts.values()), truth["totals"]["verdict_events"], "truth totals agree")
    # The end-of-run report: one line per verdict, zero included.
    rr = subprocess.run([os.path.abspath(binary), "--pcap", os.path.abspath(pcap)],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    text = rr.stdout.decode("utf-8", "replace")
    sect = text.split("== verdicts ==", 1)[-1].split("==", 1)[0].split()
    rows = dict(zip(sect[0::2], sect[1::2])) if "== verdicts ==" in text else {}
    c.eq(sorted(rows), sorted(VERDICTS), "report lists every verdict")
    c.none(["%s %s" % (v, rows.get(v)) for v in VERDICTS if rows.get(v) != str(want_counts[v])],
           "report lines count what fired")
    # Homer QoS keys on every type-34 report (HEP3.md): numbers and strings.
    c.check(len(reports) > 0, "type-34 reports were sent")
    bad = []
    for d, m in reports:
        for k in QOS_NUM:
            if not isinstance(d.get(k), (int, float)) or isinstance(d.get(k), bool):
                bad.append("%s %s=%r" % (d.get("ssrc"), k, d.get(k)))
        for k in QOS_STR:
            if not isinstance(d.get(k), str):
                bad.append("%s %s=%r" % (d.get("ssrc"), k, d.get(k)))
        if d.get("CORRELATION_ID") != m.correlation_id or \
                "%s:%s" % (d.get("SRC_IP"), d.get("SRC_PORT")) != d.get("src") or \
                d.get("TOTAL_PK") != d.get("packets") or d.get("CODEC_NAME") != d.get("codec"):
            bad.append("%s: keys disagree with the report's own fields" % d.get("ssrc"))
    c.none(bad, "every type-34 report carries the Homer QoS keys")
    return c


def check_corpus_flat(binary, pcap):
    """SOURCES.md / tshark: two calls through the B2BUA, each leg's streams
    carry long 0xFF runs: flat lines, on both directions."""
    c = harness.Checks("verdicts:" + os.path.basename(pcap))
    r, events, _ = run(c, binary, pcap)
    cvs = [d for d, _ in events if d["event"] == "call_verdict"]
    c.eq(len(cvs), 2, "one call_verdict per call")
    for d in cvs:
        flat = [x for x in d.get("directions", []) if x.get("verdict") == "flatline"]
        c.check(d.get("verdict") == "flatline" and len(flat) >= 1 and
                all("check" in x and x.get("duration_ms", 0) >= 2000 for x in flat),
                "%s: the flat direction gets the flat-line explanation" % d.get("call_id"),
                json.dumps(d)[:400])
    return c


def check_gen(datadir):
    c = harness.Checks("verdicts:generated")
    tmp = tempfile.mkdtemp(prefix="hp-verdicts-gen-")
    try:
        out = os.path.join(tmp, "gen_verdicts.pcap")
        subprocess.run([sys.executable, VOIPGEN, "--quiet", "--out", out] + GEN_ARGS,
                       check=True, timeout=600)
        for ext in (".pcap", ".json"):
            with open(out[:-5] + ext, "rb") as a, \
                    open(os.path.join(datadir, "gen_verdicts" + ext), "rb") as b:
                c.check(a.read() == b.read(), "gen_verdicts%s is what voipgen %s writes"
                        % (ext, " ".join(GEN_ARGS)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return c


def main(argv):
    if len(argv) == 3 and argv[1] == "--check-gen":
        check_gen(argv[2]).exit()
    if len(argv) == 4 and argv[2] == "--corpus-flat":
        check_corpus_flat(argv[1], argv[3]).exit()
    if len(argv) == 3:
        check_generated(argv[1], argv[2]).exit()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
