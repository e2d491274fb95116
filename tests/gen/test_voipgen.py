#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Self-check of voipgen.py: its JSON summary must match what tshark reads
from the capture it wrote, and the capture must be deterministic.

Independent readers only: tshark 4.0 (SIP, SDP-driven RTP/RTCP decoding,
-z rtp,streams, checksum validation) and Python's audioop for G.711 decoding.
Run directly (exit 0 pass, 1 fail; a missing tshark or audioop is a failure, never a skip)
or with `python3 -m unittest`.
"""

import hashlib
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "voipgen.py")
sys.path.insert(0, HERE)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop
    except ImportError:       # removed in Python 3.13
        audioop = None

TSHARK = shutil.which("tshark")


def run_gen(outdir, name, *args):
    pcap = os.path.join(outdir, name + ".pcap")
    js = os.path.join(outdir, name + ".json")
    subprocess.run([sys.executable, GEN, "--quiet", "--out", pcap, "--summary", js] +
                   list(args), check=True)
    with open(js) as f:
        return pcap, json.load(f)


def tshark(pcap, *args):
    r = subprocess.run([TSHARK, "-n", "-r", pcap] + list(args), check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout


RTP_STREAM_LINE = re.compile(
    r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+"
    r"(.+?)\s+(\d+)\s+(-?\d+) \(")


def rtp_streams(pcap):
    """{(src, dst, ssrc): (payload names, pkts, lost)} from -z rtp,streams."""
    res = {}
    for line in tshark(pcap, "-q", "-z", "rtp,streams").splitlines():
        m = RTP_STREAM_LINE.match(line)
        if m:
            key = ("%s:%s" % (m.group(1), m.group(2)), "%s:%s" % (m.group(3), m.group(4)),
                   int(m.group(5), 16))
            res[key] = (m.group(6), int(m.group(7)), int(m.group(8)))
    return res


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pcap_header(path):
    with open(path, "rb") as f:
        return struct.unpack("<IHHiIII", f.read(24))


FIELDS = ["frame.protocols", "udp.checksum.status", "ip.checksum.status",
          "sip.Call-ID", "sip.Method", "sip.Status-Code", "sip.Content-Length",
          "sdp.connection_info.address", "sdp.media.port",
          "rtp.ssrc", "rtp.p_type", "rtp.timestamp", "rtp.payload",
          "rtcp.pt", "rtpevent.end_of_event", "udp.payload",
          "_ws.expert.severity", "_ws.malformed"]


@unittest.skipUnless(TSHARK and audioop, "needs tshark and Python audioop")
class MixCapture(unittest.TestCase):
    """One small capture of every kind, checked field by field.  tshark runs
    twice (one field dump with checksum validation on, one -z rtp,streams)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="voipgen-")
        # 13 calls = one full rotation of the mix templates: every content
        # kind and impairment appears at least once.
        cls.pcap, cls.doc = run_gen(cls.tmp, "mix", "--seed", "7", "--calls", "13",
                                    "--duration-s", "12", "--concurrency", "6")
        cls.streams = [s for c in cls.doc["calls"] for s in c["streams"]]
        cmd = ["-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
               "-T", "fields", "-E", "occurrence=f"]
        for f in FIELDS:
            cmd += ["-e", f]
        cls.rows = [dict(zip(FIELDS, line.split("\t")))
                    for line in tshark(cls.pcap, *cmd).splitlines()]
        cls.rtp_streams = rtp_streams(cls.pcap)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def proto(self, name):
        return [r for r in self.rows if name in r["frame.protocols"].split(":")]

    def test_pcap_header(self):
        magic, vmaj, vmin, _, _, snap, link = pcap_header(self.pcap)
        self.assertEqual((magic, vmaj, vmin, link), (0xA1B2C3D4, 2, 4, 1))
        self.assertGreaterEqual(snap, 1514)

    def test_every_kind_present(self):
        contents = {s["content"] for s in self.streams}
        self.assertEqual(contents, {"speech", "quiet", "silence", "dc", "alt", "onset"})
        imps = {i for s in self.streams for i in s["impairments"]}
        self.assertEqual(imps, {"loss", "burst", "reorder", "dup", "jitter", "seqwrap",
                                "tswrap", "dtmf", "dtx"})

    def test_frame_count(self):
        self.assertEqual(len(self.rows), self.doc["totals"]["frames"])

    def test_sip_messages(self):
        rows = self.proto("sip")
        self.assertEqual(len(rows), self.doc["totals"]["sip_messages"])
        per_call = {}
        for r in rows:
            per_call.setdefault(r["sip.Call-ID"], []).append(r["sip.Method"] or
                                                             r["sip.Status-Code"])
        self.assertEqual(len(per_call), self.doc["totals"]["calls"])
        for c in self.doc["calls"]:
            self.assertEqual(per_call[c["call_id"]], c["sip_methods"], c["call_id"])
            self.assertEqual(per_call[c["call_id"]][:5], ["INVITE", "100", "180", "200", "ACK"])

    def test_sip_content_length(self):
        # Content-Length as tshark parsed it against the body length counted
        # from the raw UDP payload (bytes after the blank line).
        bodies = 0
        for r in self.proto("sip"):
            raw = bytes.fromhex(r["udp.payload"].replace(":", ""))
            head, sep, body = raw.partition(b"\r\n\r\n")
            self.assertEqual(sep, b"\r\n\r\n")
            self.assertEqual(len(body), int(r["sip.Content-Length"]))
            bodies += 1 if body else 0
        self.assertEqual(bodies, 2 * self.doc["totals"]["calls"])   # offer + answer

    def test_no_expert_info(self):
        # Nothing malformed, no bad checksum, no SIP/SDP/RTP complaint.
        bad = [r for r in self.rows if r["_ws.expert.severity"] or r["_ws.malformed"]]
        self.assertEqual(bad, [])

    def test_sdp_addresses(self):
        by_call = {c["call_id"]: c for c in self.doc["calls"]}
        rows = [r for r in self.rows if r["sdp.media.port"]]
        self.assertEqual(len(rows), 2 * len(by_call))
        for r in rows:
            c = by_call[r["sip.Call-ID"]]
            self.assertIn("%s:%s" % (r["sdp.connection_info.address"], r["sdp.media.port"]),
                          (c["caller_media"], c["callee_media"]))

    def test_rtp_streams_pkts_and_lost(self):
        ts = self.rtp_streams
        self.assertEqual(len(ts), len(self.streams))
        for s in self.streams:
            key = (s["src"], s["dst"], s["ssrc"])
            self.assertIn(key, ts)
            names, pkts, lost = ts[key]
            self.assertEqual(pkts, s["packets_sent_on_wire"], key)
            self.assertEqual(lost, s["lost"], key)
            self.assertTrue(names.startswith("g711U" if s["pt"] == 0 else "g711A"), names)
        # The impairments must actually show.
        self.assertTrue(any(s["lost"] > 0 for s in self.streams))
        self.assertTrue(any(s["duplicates"] > 0 for s in self.streams))
        for s in self.streams:
            self.assertEqual(s["seq_wrapped"], "seqwrap" in s["impairments"])
            self.assertEqual(s["ts_wrapped"], "tswrap" in s["impairments"])

    def test_rtp_rtcp_event_cn_counts(self):
        t = self.doc["totals"]
        self.assertEqual(len(self.proto("rtp")), t["rtp_packets"])
        rtcp = self.proto("rtcp")
        self.assertEqual(len(rtcp), t["rtcp_packets"])
        self.assertTrue(all(r["rtcp.pt"] == "200" for r in rtcp))   # first: SR
        self.assertEqual(len(self.proto("rtpevent")),
                         sum(s["dtmf_packets"] for s in self.streams))
        self.assertEqual(len([r for r in self.rows if r["rtp.p_type"] == "13"]),
                         sum(s["cn_packets"] for s in self.streams))
        # RFC 4733: the end bit on exactly the last three packets of each event.
        ends = [r for r in self.rows if r["rtpevent.end_of_event"] in ("1", "True")]
        self.assertEqual(len(ends), 3 * sum(1 for s in self.streams if s["dtmf_packets"]))

    def test_checksums_all_good(self):
        self.assertEqual({(r["udp.checksum.status"], r["ip.checksum.status"])
                          for r in self.rows}, {("1", "1")})   # 1 = Good

    def payloads(self):
        """{ssrc: [(rtp ts, payload bytes)]} for G.711 packets, wire order."""
        out = {}
        for r in self.rows:
            if r["rtp.p_type"] in ("0", "8"):
                out.setdefault(int(r["rtp.ssrc"], 16), []).append(
                    (int(r["rtp.timestamp"]), bytes.fromhex(r["rtp.payload"].replace(":", ""))))
        return out

    def test_flat_content(self):
        pl = self.payloads()
        for s in self.streams:
            pk = pl[s["ssrc"]]
            dec = audioop.ulaw2lin if s["codec"] == "PCMU" else audioop.alaw2lin
            flat_pkts = []
            for rts, p in pk:
                lin = set(struct.unpack("<%dh" % len(p), dec(p, 2)))
                flat_pkts.append((rts, len(lin) == 1, lin))
            if not s["flat"]:
                # Controls (speech, quiet noise) never have a flat packet.
                self.assertFalse(any(f for _, f, _ in flat_pkts), s["ssrc_hex"])
                continue
            start_ts = (s["first_ts"] + int(round(s["flat_start_s"] * 8000))) & 0xFFFFFFFF
            for rts, f, lin in flat_pkts:
                after = ((rts - start_ts) & 0xFFFFFFFF) < (1 << 31)
                self.assertEqual(f, after, (s["ssrc_hex"], rts))
                if f:
                    self.assertEqual(lin, {s["flat_value"]})
            if s["flat_start_s"] > 0:
                self.assertTrue(any(not f for _, f, _ in flat_pkts))

    def test_quiet_level(self):
        pl = self.payloads()
        quiet = [s for s in self.streams if s["content"] == "quiet"]
        self.assertTrue(quiet)
        for s in quiet:
            dec = audioop.ulaw2lin if s["codec"] == "PCMU" else audioop.alaw2lin
            lin = b"".join(dec(p, 2) for _, p in pl[s["ssrc"]])
            dbfs = 20 * math.log10(audioop.rms(lin, 2) / 32768.0)
            self.assertGreater(dbfs, -61.0)
            self.assertLess(dbfs, -55.0)

    def test_speech_is_loud_and_varied(self):
        pl = self.payloads()
        sp = [s for s in self.streams if s["content"] == "speech"]
        self.assertTrue(sp)
        for s in sp:
            dec = audioop.ulaw2lin if s["codec"] == "PCMU" else audioop.alaw2lin
            rms = [audioop.rms(dec(p, 2), 2) for _, p in pl[s["ssrc"]]]
            # Syllables and pauses: loud frames and quiet frames both occur.
            self.assertGreater(max(rms), 32768 * 10 ** (-20 / 20))
            self.assertLess(min(rms), 32768 * 10 ** (-40 / 20))


@unittest.skipUnless(TSHARK, "needs tshark")
class BenchAndDeterminism(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="voipgen-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_bench_flat_share(self):
        pcap, doc = run_gen(self.tmp, "bench", "--seed", "5", "--scenario", "bench",
                            "--calls", "10", "--duration-s", "4", "--flat-share", "0.25")
        t = doc["totals"]
        self.assertEqual(t["streams"], 20)
        self.assertEqual(t["flat_streams"], 5)
        self.assertEqual(t["rtp_packets"], 20 * 200)
        ts = rtp_streams(pcap)
        self.assertEqual(len(ts), 20)
        for s in (s for c in doc["calls"] for s in c["streams"]):
            self.assertEqual(ts[(s["src"], s["dst"], s["ssrc"])][1:], (200, 0))
        # Sorted by time, all calls overlapping (bench = N concurrent calls).
        times = [float(x) for x in tshark(pcap, "-T", "fields", "-e",
                                          "frame.time_epoch").split()]
        self.assertEqual(times, sorted(times))
        starts = [c["start_s"] for c in doc["calls"]]
        ends = [c["end_s"] for c in doc["calls"]]
        self.assertLess(max(starts), min(ends))

    def test_deterministic(self):
        a, _ = run_gen(self.tmp, "a", "--seed", "11", "--calls", "4", "--duration-s", "3")
        b, _ = run_gen(self.tmp, "b", "--seed", "11", "--calls", "4", "--duration-s", "3")
        c, _ = run_gen(self.tmp, "c", "--seed", "12", "--calls", "4", "--duration-s", "3")
        self.assertEqual(sha256(a), sha256(b))
        self.assertNotEqual(sha256(a), sha256(c))


@unittest.skipUnless(audioop, "needs Python audioop")
class G711Encoder(unittest.TestCase):
    """The generator's encoders against audioop (an independent G.711)."""

    def test_alaw_matches_audioop(self):
        import voipgen
        lin = struct.pack("<65536h", *range(-32768, 32768))
        ref = audioop.lin2alaw(lin, 2)
        mine = bytes(voipgen.lin2alaw(x) for x in range(-32768, 32768))
        self.assertEqual(mine, ref)

    def test_ulaw_matches_audioop(self):
        # audioop truncates negative input toward -inf before taking the
        # magnitude; the G.191 reference (and voipgen) takes the one's
        # complement, which is the same decision shifted by 4 (16-bit units).
        import voipgen
        lin = struct.pack("<65536h", *range(-32768, 32768))
        ref = audioop.lin2ulaw(lin, 2)
        for x in range(-32768, 32768):
            want = ref[x + 32768] if x >= 0 else (ref[x + 4 + 32768] if x < -4 else 0x7F)
            self.assertEqual(voipgen.lin2ulaw(x), want, x)

    def test_flat_bytes_decode_constant(self):
        self.assertEqual(set(struct.unpack("<2h", audioop.ulaw2lin(b"\xff\x7f", 2))), {0})
        self.assertEqual(struct.unpack("<h", audioop.ulaw2lin(b"\x9a", 2))[0], 10876)
        self.assertEqual(struct.unpack("<h", audioop.alaw2lin(b"\xd5", 2))[0], 8)


if __name__ == "__main__":
    if not TSHARK or not audioop:
        print("FAIL: needs tshark and Python audioop (deploy/install-deps.sh installs them)")
        sys.exit(1)
    prog = unittest.main(exit=False, verbosity=2)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
