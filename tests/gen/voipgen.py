#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic generator of realistic SIP + RTP + RTCP captures.

Writes a classic pcap (LINKTYPE_ETHERNET, microsecond timestamps) and a JSON
summary that is the ground truth a correct probe must report.  Same seed and
arguments -> same bytes.  Python 3 standard library only.

Each call is a SIP/UDP dialog on port 5060 (RFC 3261: INVITE with an SDP
offer, 100, 180, 200 with the SDP answer, ACK, later BYE and its 200), then two
G.711 RTP streams at 20 ms (RFC 3550, RFC 3551 PT 0/8) between the addresses
the SDP announced, and RTCP SR+SDES every 5 s on RTP port + 1.  Streams may
carry impairments (loss, bursts, reordering, duplicates, jitter, sequence or
timestamp wrap, RFC 4733 DTMF, RFC 3389 comfort noise with DTX gaps) and one
of several audio contents, flat or not.

Packets of all calls are merged in time order through a heap of lazy per-call
sources, so memory stays small for 10^7 packets.

Summary semantics (per RTP stream, as tshark -z rtp,streams computes them):
  packets_sent_on_wire  frames of this SSRC in the capture (audio, DTMF, CN,
                        duplicates included)
  expected              highest extended seq - first seq + 1
  lost                  expected - packets_sent_on_wire (negative when
                        duplicates outnumber losses)
The generator keeps every impairment away from the first and last 10 packets
of a stream, so the first packet carries the lowest and the last packet the
highest sequence number: tshark's "stop" (last seen) sequence number and the
RFC 3550 A.3 "highest" one coincide, and it checks that they do.

Run with --help for the options and --list-scenarios for the scenarios.
"""

import argparse
import array
import bisect
import heapq
import json
import math
import random
import struct
import sys
import time

# ---------------------------------------------------------------------------
# G.711 (ITU-T G.711 tables 1a/1b and 2a/2b), 16-bit linear in and out.

ULAW_BIAS = 0x84      # 33 in 14-bit units, shifted to 16-bit scale
ULAW_CLIP = 32635     # largest magnitude that stays in segment 7 after bias


def lin2ulaw(x):
    """mu-law: bias the magnitude so every segment boundary is a power of
    two, then the segment is the position of the top bit.  Negative input
    takes the one's complement magnitude (-x - 1), as the G.191 reference
    encoder does, so -1 encodes to negative zero."""
    if x < 0:
        mag, sign = -x - 1, 0x00
    else:
        mag, sign = x, 0x80
    mag = min(mag, ULAW_CLIP) + ULAW_BIAS
    seg = mag.bit_length() - 8           # mag >= 0x84 -> bit_length >= 8
    mant = (mag >> (seg + 3)) & 0x0F
    # G.711 transmits the one's complement; the sign bit set means positive.
    return (sign | (seg << 4) | mant) ^ 0x7F


def ulaw2lin(b):
    b = ~b & 0xFF
    seg = (b >> 4) & 7
    mag = (((b & 0x0F) << 3) + ULAW_BIAS) << seg
    mag -= ULAW_BIAS
    return -mag if b & 0x80 else mag


def lin2alaw(x):
    """A-law on the 13-bit magnitude: segments 0 and 1 both have step 2,
    segment s >= 2 starts at 2^(s+4) with step 2^s; even bits inverted
    (XOR 0x55) as G.711 transmits them."""
    if x >= 0:
        mag, sign = x >> 3, 0x80
    else:
        mag, sign = (-x - 1) >> 3, 0x00
    if mag >= 4096:
        code = 0x7F
    elif mag < 32:
        code = mag >> 1
    else:
        seg = mag.bit_length() - 5       # 32..63 -> 1, 64..127 -> 2, ...
        code = (seg << 4) | ((mag >> seg) & 0x0F)
    return (sign | code) ^ 0x55


def alaw2lin(b):
    b ^= 0x55
    seg = (b >> 4) & 7
    q = b & 0x0F
    if seg == 0:
        mag = (q << 4) + 8
    else:
        mag = ((q << 4) + 0x108) << (seg - 1)
    return mag if b & 0x80 else -mag


ENC_TABLE = {}


def encoder(codec):
    """65536-entry table indexed by the sample as unsigned 16 bits."""
    if codec not in ENC_TABLE:
        f = lin2ulaw if codec == "PCMU" else lin2alaw
        ENC_TABLE[codec] = bytes(f(i - 65536 if i >= 32768 else i)
                                 for i in range(65536))
    return ENC_TABLE[codec]


CODEC_PT = {"PCMU": 0, "PCMA": 8}
DECODE = {"PCMU": ulaw2lin, "PCMA": alaw2lin}
PT_CN = 13
PT_DTMF = 101

# Flat payloads: each packet's payload decodes to one constant sample value.
FLAT_KINDS = {
    # kind: {codec: payload byte pattern}
    "silence": {"PCMU": b"\xff", "PCMA": b"\xd5"},   # digital zero / +8
    "dc": {"PCMU": b"\x9a"},                         # +10876 constant
    "alt": {"PCMU": b"\xff\x7f"},                    # +0 / -0 alternation
}

# ---------------------------------------------------------------------------
# Checksums (RFC 1071): one's-complement sum of big-endian 16-bit words.

BIG_ENDIAN_HOST = sys.byteorder == "big"


def words_sum(b):
    if len(b) & 1:
        b += b"\0"
    a = array.array("H", b)
    if not BIG_ENDIAN_HOST:
        a.byteswap()
    return sum(a)


def fold(s):
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return s


def udp_checksum_from_sum(s):
    c = ~fold(s) & 0xFFFF
    # RFC 768: a computed zero is sent as all ones (zero means "no checksum").
    return c or 0xFFFF


# ---------------------------------------------------------------------------
# Frame building.

PCAP_GLOBAL = struct.Struct("<IHHiIII")
PCAP_REC = struct.Struct("<IIII")
ETH_TYPE_IPV4 = b"\x08\x00"
TOS_EF = 0xB8        # RTP/RTCP marked Expedited Forwarding (RFC 3246)
TOS_CS3 = 0x60       # signalling
IP_DF = 0x4000
UDP_HDR = 8
IP_HDR = 20
RTP_HDR = 12
FRAME_US = 20000     # ptime 20 ms
SAMPLES = 160        # 8000 Hz * 20 ms
NTP_UNIX_OFFSET = 2208988800


class Host:
    __slots__ = ("ip", "ip_str", "mac", "ttl", "ip_words")

    def __init__(self, ip_str, ttl):
        self.ip_str = ip_str
        self.ip = bytes(int(x) for x in ip_str.split("."))
        # Locally administered unicast MAC derived from the address.
        self.mac = b"\x02\x00" + self.ip
        self.ttl = ttl
        self.ip_words = (self.ip[0] << 8 | self.ip[1]) + (self.ip[2] << 8 | self.ip[3])


class Sender:
    """One UDP flow source (src host:port -> dst host:port) with its own
    IPv4 Identification counter, as a real socket has."""

    def __init__(self, src, dst, sport, dport, tos, ipid):
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.tos = tos
        self.ipid = ipid

    def frame(self, payload):
        """Generic path (SIP, RTCP, DTMF, CN): full checksum computation."""
        ulen = UDP_HDR + len(payload)
        tot = IP_HDR + ulen
        ipid = self.ipid
        self.ipid = (ipid + 1) & 0xFFFF
        src, dst = self.src, self.dst
        ip_hdr = struct.pack("!BBHHHBBH4s4s", 0x45, self.tos, tot, ipid, IP_DF,
                             src.ttl, 17, 0, src.ip, dst.ip)
        ipcs = ~fold(words_sum(ip_hdr)) & 0xFFFF
        s = (src.ip_words + dst.ip_words + 17 + ulen +
             self.sport + self.dport + ulen + words_sum(payload))
        return b"".join((dst.mac, src.mac, ETH_TYPE_IPV4, ip_hdr[:10],
                         struct.pack("!H", ipcs), ip_hdr[12:],
                         struct.pack("!HHHH", self.sport, self.dport, ulen,
                                     udp_checksum_from_sum(s)),
                         payload))


# ---------------------------------------------------------------------------
# Audio banks: G.711 frames and their word sums, shared by all streams.

SPEECH_VOICES = 3
SPEECH_SECONDS = 16
QUIET_SECONDS = 4
QUIET_DBFS = -58.0


def synth_speech(rng, seconds):
    """Voiced speech stand-in: a harmonic wavetable with two formant bumps,
    slow f0 vibrato, a syllable-rate (3.5-5 Hz) envelope gated into phrases
    and pauses, and a -50 dBFS noise floor so pauses are never digital
    silence."""
    f0 = rng.uniform(95.0, 230.0)
    f1 = rng.uniform(450.0, 800.0)
    f2 = rng.uniform(1200.0, 2300.0)
    table_n = 1024
    harm = []
    for h in range(1, 16):
        fh = h * f0
        if fh > 3400.0:
            break
        a = (1.0 / h) * (0.3 + 1.5 * math.exp(-((fh - f1) / 180.0) ** 2) +
                         0.8 * math.exp(-((fh - f2) / 300.0) ** 2))
        harm.append((h, a, rng.uniform(0, 2 * math.pi)))
    wave = [sum(a * math.sin(h * 2 * math.pi * i / table_n + ph) for h, a, ph in harm)
            for i in range(table_n)]
    peak = max(abs(v) for v in wave)
    wave = [v / peak for v in wave]

    n = int(seconds * 8000)
    out = [0] * n
    syl = rng.uniform(3.5, 5.0)
    vib = rng.uniform(0.4, 0.9)
    phase = 0.0
    t_phrase_end = rng.uniform(1.5, 4.0)
    talking = True
    gauss = rng.gauss
    amp = 0.45 * 32767
    noise = 32767 * 10 ** (-50 / 20)
    for i in range(n):
        t = i / 8000.0
        if t >= t_phrase_end:
            talking = not talking
            t_phrase_end = t + (rng.uniform(1.5, 4.0) if talking else rng.uniform(0.3, 1.2))
        f = f0 * (1.0 + 0.06 * math.sin(2 * math.pi * vib * t))
        phase += f / 8000.0
        env = 0.0
        if talking:
            e = 0.5 - 0.5 * math.cos(2 * math.pi * syl * t)
            env = e * math.sqrt(e)
        v = amp * env * wave[int(phase * table_n) & (table_n - 1)] + gauss(0.0, noise)
        out[i] = int(max(-32768, min(32767, v)))
    return out


def synth_noise(rng, seconds, dbfs):
    sigma = 32768 * 10 ** (dbfs / 20)
    return [int(round(rng.gauss(0.0, sigma))) for _ in range(int(seconds * 8000))]


class Bank:
    """Encoded 20 ms frames per (codec, source) with their checksum word sums."""

    def __init__(self, seed):
        self.seed = seed
        self.linear = {}
        self.cache = {}

    def _linear(self, name):
        if name not in self.linear:
            rng = random.Random("bank:%s:%s" % (self.seed, name))
            if name == "quiet":
                self.linear[name] = synth_noise(rng, QUIET_SECONDS, QUIET_DBFS)
            else:
                self.linear[name] = synth_speech(rng, SPEECH_SECONDS)
        return self.linear[name]

    def frames(self, codec, name):
        key = (codec, name)
        if key not in self.cache:
            lin = self._linear(name)
            enc = encoder(codec)
            data = bytes(enc[x & 0xFFFF] for x in lin)
            fr = [data[i:i + SAMPLES] for i in range(0, len(data) - SAMPLES + 1, SAMPLES)]
            self.cache[key] = (fr, [words_sum(f) for f in fr])
        return self.cache[key]

    def flat(self, codec, kind):
        key = (codec, "flat:" + kind)
        if key not in self.cache:
            pat = FLAT_KINDS[kind][codec]
            f = pat * (SAMPLES // len(pat))
            self.cache[key] = ([f], [words_sum(f)])
        return self.cache[key]


# ---------------------------------------------------------------------------
# RTP streams.

EDGE = 10   # packets at each end of a stream never impaired (see module doc)


class Segment:
    __slots__ = ("k0", "k1", "frames", "sums", "off")

    def __init__(self, k0, k1, frames, sums, off):
        self.k0, self.k1, self.frames, self.sums, self.off = k0, k1, frames, sums, off


class RtpStream:
    def __init__(self, rng, bank, call, direction, src, dst, sport, dport, codec,
                 start_us, n, content, impair, flat_start_frac=None):
        self.rng = rng
        self.call = call
        self.direction = direction
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.codec = codec
        self.pt = CODEC_PT[codec]
        self.start_us = start_us
        self.n = n                      # 20 ms slots from first to last packet
        self.content = content
        self.impair = list(impair)
        self.ssrc = rng.getrandbits(32)
        if "seqwrap" in impair:
            # Wrap early enough that even the shortest stream crosses it.
            self.seq0 = 65536 - rng.randint(2 * EDGE, min(400, n - 2 * EDGE))
        else:
            # Keep other streams clear of the wrap so "seqwrap" is the only
            # kind that wraps (a probe's wrap handling is tested on purpose).
            self.seq0 = rng.randint(0, max(0, 65535 - n - 200))
        span = SAMPLES * (n + 50 * 60)  # DTX gaps add time: leave headroom
        if "tswrap" in impair:
            self.ts0 = (1 << 32) - SAMPLES * rng.randint(2 * EDGE, min(400, n - 2 * EDGE))
        else:
            self.ts0 = rng.randint(0, (1 << 32) - 1 - span)
        self.sender = Sender(src, dst, sport, dport, TOS_EF, rng.getrandbits(16))
        self.flat = content in ("silence", "dc", "alt", "onset")
        self.flat_start_k = None
        self.segments = self._segments(bank, flat_start_frac)
        self.peer = None
        self.rtcp_times = []
        self.plan = None
        self.duplicates = 0
        self.dtmf_packets = 0
        self.cn_packets = 0
        self.dtmf_event = None
        if self.impair:
            self._build_plan()
        self._stats()

    # -- content --------------------------------------------------------
    def _segments(self, bank, flat_start_frac):
        rng, codec, n = self.rng, self.codec, self.n
        c = self.content
        if c in ("speech", "onset"):
            fr, su = bank.frames(codec, "voice%d" % rng.randrange(SPEECH_VOICES))
            off = rng.randrange(len(fr))
            if c == "speech":
                return [Segment(0, n, fr, su, off)]
            kf = max(1, min(n - 1, int(n * flat_start_frac)))
            self.flat_start_k = kf
            ff, fs = bank.flat(codec, "silence")
            return [Segment(0, kf, fr, su, off), Segment(kf, n, ff, fs, 0)]
        if c == "quiet":
            fr, su = bank.frames(codec, "quiet")
            return [Segment(0, n, fr, su, rng.randrange(len(fr)))]
        ff, fs = bank.flat(codec, c)
        self.flat_start_k = 0
        return [Segment(0, n, ff, fs, 0)]

    def _payload(self, k):
        for s in self.segments:
            if s.k0 <= k < s.k1:
                i = (s.off + k) % len(s.frames)
                return s.frames[i], s.sums[i]
        raise IndexError(k)

    # -- impaired streams: an explicit plan of wire packets ---------------
    def _build_plan(self):
        """List of [arrival_us, ext_seq, ts, pt, marker, payload, psum] in
        wire order.  ext_seq counts from seq0 without wrapping."""
        rng, n, imp = self.rng, self.n, self.impair
        t0 = self.start_us
        pkts = []
        # Slot timeline: nominal send time per slot, possibly stretched by DTX.
        dtx = None
        if "dtx" in imp:
            k = rng.randint(max(EDGE + 1, n // 3), max(EDGE + 2, n // 2))
            dtx = (k, rng.randint(40, 120))       # silence of 0.8-2.4 s
        dtmf = None
        if "dtmf" in imp:
            k = rng.randint(max(EDGE + 1, n // 4), max(EDGE + 2, n // 2))
            dtmf = (k, rng.randint(4, 9), rng.choice("0123456789*#"))
        ext = self.seq0
        ts_ext = self.ts0
        t = t0
        k = 0
        marker = 1
        ts_start_event = None
        while k < n:
            if dtx and k == dtx[0]:
                # RFC 3389: one CN packet opens the silence, then nothing
                # (DTX) until speech resumes with the marker bit; the
                # sequence number continues, the timestamp jumps.
                payload = bytes([rng.randint(60, 80)])   # noise level -dBov
                pkts.append([t, ext, ts_ext & 0xFFFFFFFF, PT_CN, 0, payload, None])
                self.cn_packets += 1
                ext += 1
                t += FRAME_US * dtx[1]
                ts_ext += SAMPLES * dtx[1]
                k += 1
                marker = 1
                continue
            if dtmf and k == dtmf[0]:
                # RFC 4733 2.5: the event replaces audio for its duration;
                # timestamp = event start, duration grows by 160 per packet,
                # the end packet (E bit) is sent three times (2.5.1.4).
                ts_start_event = ts_ext
                code = "0123456789*#".index(dtmf[2])
                steps = dtmf[1]
                for j in range(steps + 2):
                    last = j >= steps - 1
                    dur = SAMPLES * min(j + 1, steps)
                    payload = struct.pack("!BBH", code, (0x80 if last else 0) | 10, dur)
                    pkts.append([t, ext, ts_start_event & 0xFFFFFFFF, PT_DTMF,
                                 1 if j == 0 else 0, payload, None])
                    self.dtmf_packets += 1
                    ext += 1
                    t += FRAME_US
                    ts_ext += SAMPLES
                    k += 1
                self.dtmf_event = {"digit": dtmf[2], "start_ts": ts_start_event & 0xFFFFFFFF,
                                   "duration": SAMPLES * steps, "packets": steps + 2}
                continue
            payload, psum = self._payload(k)
            pkts.append([t, ext, ts_ext & 0xFFFFFFFF, self.pt, marker, payload, psum])
            marker = 0
            ext += 1
            t += FRAME_US
            ts_ext += SAMPLES
            k += 1
        self.end_us = t - FRAME_US
        self.ts_wrapped = ts_ext - SAMPLES > 0xFFFFFFFF

        m = len(pkts)
        lo, hi = EDGE, m - EDGE            # impairable index range
        keep = [True] * m
        if "loss" in imp:
            for i in range(lo, hi):
                if rng.random() < 0.02:
                    keep[i] = False
        if "burst" in imp:
            # Gilbert model: good -> bad 1 %, bad -> good 30 %, all lost in bad.
            bad = False
            for i in range(lo, hi):
                bad = rng.random() < (0.7 if bad else 0.01)
                if bad:
                    keep[i] = False
        if "jitter" in imp:
            # Arrival noise of 0-18 ms: RTP timestamps stay regular; under
            # one ptime so the jitter kind alone never reorders.
            for i in range(lo, hi):
                pkts[i][0] += int(rng.triangular(0, 18000, 3000))
        if "reorder" in imp:
            i = lo
            while i < hi - 3:
                if rng.random() < 0.01 and keep[i]:
                    pkts[i][0] += FRAME_US * rng.choice((1, 2)) + rng.randint(500, 5000)
                    i += 3
                i += 1
        out = [p for p, kp in zip(pkts, keep) if kp]
        if "dup" in imp:
            dup = []
            for i in range(EDGE, len(out) - EDGE):
                if rng.random() < 0.01:
                    d = list(out[i])
                    d[0] += rng.randint(100, 3000)
                    dup.append(d)
            self.duplicates = len(dup)
            out.extend(dup)
        # Stable sort: a duplicate sorts after its original on equal times.
        out.sort(key=lambda p: p[0])
        self.plan = out

    # -- statistics (the summary's ground truth) --------------------------
    def _stats(self):
        if self.plan is None:
            self.end_us = self.start_us + (self.n - 1) * FRAME_US
            self.ts_wrapped = self.ts0 + SAMPLES * (self.n - 1) > 0xFFFFFFFF
            self.sent = self.n
            self.expected = self.n
            self.highest_ext = self.seq0 + self.n - 1
            return
        exts = [p[1] for p in self.plan]
        first, last, hi = exts[0], exts[-1], max(exts)
        if first != min(exts) or last != hi:
            raise AssertionError("impairment reached a stream edge (generator bug)")
        self.sent = len(exts)
        self.expected = hi - first + 1
        self.highest_ext = hi
        # For RTCP report blocks: arrival times, prefix max of ext seq and
        # RFC 3550 A.8 interarrival jitter after each packet.
        self.arr = [p[0] for p in self.plan]
        pm, m = [], -1
        jit, j = [], 0.0
        prev = None
        for p in self.plan:
            m = max(m, p[1])
            pm.append(m)
            if prev is not None and p[3] != PT_DTMF and prev[3] != PT_DTMF:
                d = (p[0] - prev[0]) * 8 / 1000.0 - ((p[2] - prev[2]) & 0xFFFFFFFF)
                if d > (1 << 31):
                    d -= 1 << 32
                j += (abs(d) - j) / 16.0
            jit.append(j)
            prev = p
        self.prefmax, self.jit = pm, jit

    def rx_state(self, t_us):
        """(received, highest ext seq or None, jitter) seen by the far end at t."""
        if self.plan is None:
            if t_us < self.start_us:
                return 0, None, 0
            c = min(self.n, (t_us - self.start_us) // FRAME_US + 1)
            return c, self.seq0 + c - 1, 0
        i = bisect.bisect_right(self.arr, t_us)
        if i == 0:
            return 0, None, 0
        return i, self.prefmax[i - 1], int(self.jit[i - 1])

    def sent_state(self, t_us):
        """(packets, payload octets) sent by t, for the SR sender info."""
        if self.plan is None:
            c = 0 if t_us < self.start_us else min(self.n, (t_us - self.start_us) // FRAME_US + 1)
            return c, c * SAMPLES
        c, octets = 0, 0
        for p in self.plan:
            if p[0] <= t_us:
                c += 1
                octets += len(p[5])
        return c, octets

    # -- wire ---------------------------------------------------------------
    def _consts(self):
        s = self.sender
        src, dst = s.src, s.dst
        ulen = UDP_HDR + RTP_HDR + SAMPLES
        tot = IP_HDR + ulen
        pre = dst.mac + src.mac + ETH_TYPE_IPV4 + struct.pack("!BBH", 0x45, s.tos, tot)
        mid = struct.pack("!HBB", IP_DF, src.ttl, 17)
        addrs = src.ip + dst.ip + struct.pack("!HHH", s.sport, s.dport, ulen)
        ip_k = 0x4500 | s.tos
        ip_k += tot + IP_DF + (src.ttl << 8 | 17) + src.ip_words + dst.ip_words
        ssrc = self.ssrc
        udp_k = (src.ip_words + dst.ip_words + 17 + ulen + s.sport + s.dport + ulen +
                 (ssrc >> 16) + (ssrc & 0xFFFF))
        return pre, mid, addrs, ip_k, udp_k

    def packets(self):
        """Yields (time_us, frame) in wire order."""
        if self.plan is None:
            yield from self._packets_clean()
            return
        ssrc, frame = self.ssrc, self.sender.frame
        for t, ext, ts, pt, marker, payload, _ in self.plan:
            rtp = struct.pack("!BBHII", 0x80, marker << 7 | pt, ext & 0xFFFF, ts, ssrc)
            yield t, frame(rtp + payload)

    def _packets_clean(self):
        """The hot path for benchmarks: constant parts precomputed, the UDP
        checksum is the stream constant plus the words that change (IP id is
        not in it; seq, timestamp, marker/PT and the payload's cached sum)."""
        pre, mid, addrs, ip_k, udp_k = self._consts()
        pack = RTP_FRAME.pack
        ssrc, pt, ts0, seq0, t0 = self.ssrc, self.pt, self.ts0, self.seq0, self.start_us
        sender = self.sender
        ipid = sender.ipid
        for seg in self.segments:
            frames, sums, off = seg.frames, seg.sums, seg.off
            nf = len(frames)
            for k in range(seg.k0, seg.k1):
                seq = (seq0 + k) & 0xFFFF
                ts = (ts0 + SAMPLES * k) & 0xFFFFFFFF
                b1 = pt | 0x80 if k == 0 else pt
                i = (off + k) % nf
                s = ip_k + ipid
                s = (s & 0xFFFF) + (s >> 16)
                ipcs = ~((s & 0xFFFF) + (s >> 16)) & 0xFFFF
                u = udp_k + seq + (ts >> 16) + (ts & 0xFFFF) + (0x8000 | b1) + sums[i]
                u = (u & 0xFFFF) + (u >> 16)
                u = (u & 0xFFFF) + (u >> 16)
                u = ~u & 0xFFFF or 0xFFFF
                yield (t0 + FRAME_US * k,
                       pack(pre, ipid, mid, ipcs, addrs, u, 0x80, b1, seq, ts, ssrc) + frames[i])
                ipid = (ipid + 1) & 0xFFFF
        sender.ipid = ipid

    def summary(self, base_us):
        d = {
            "direction": self.direction,
            "src": "%s:%d" % (self.src.ip_str, self.sport),
            "dst": "%s:%d" % (self.dst.ip_str, self.dport),
            "ssrc": self.ssrc,
            "ssrc_hex": "0x%08X" % self.ssrc,
            "pt": self.pt,
            "codec": self.codec,
            "first_seq": self.seq0 & 0xFFFF,
            "first_ts": self.ts0,
            "start_s": round((self.start_us - base_us) / 1e6, 6),
            "end_s": round((self.end_us - base_us) / 1e6, 6),
            "packets_sent_on_wire": self.sent,
            "expected": self.expected,
            "lost": self.expected - self.sent,
            "duplicates": self.duplicates,
            "dtmf_packets": self.dtmf_packets,
            "cn_packets": self.cn_packets,
            "seq_wrapped": self.highest_ext > 0xFFFF,
            "ts_wrapped": self.ts_wrapped,
            "impairments": self.impair,
            "content": self.content,
            "flat": self.flat,
            "flat_start_s": None,
            "flat_value": None,
            "flat_bytes": None,
            "rtcp_port": self.sport + 1,
        }
        if self.flat:
            kind = "silence" if self.content == "onset" else self.content
            pat = FLAT_KINDS[kind][self.codec]
            d["flat_start_s"] = round(self.flat_start_k * FRAME_US / 1e6, 6)
            d["flat_value"] = DECODE[self.codec](pat[0])
            d["flat_bytes"] = pat.hex()
        if self.dtmf_event:
            d["dtmf"] = self.dtmf_event
        return d


# The RTP hot path packs Ethernet+IPv4+UDP+RTP headers in one call:
# eth + ver/tos/len (18) | id | flags/ttl/proto (4) | ip csum | addrs + ports
# + udp len (14) | udp csum | V/P/X/CC | M/PT | seq | ts | ssrc
RTP_FRAME = struct.Struct("!18sH4sH14sHBBHII")


# ---------------------------------------------------------------------------
# RTCP (RFC 3550 6.4.1 SR + 6.5 SDES CNAME, compound as 6.1 requires).

def ntp64(t_us):
    sec, us = divmod(t_us, 1000000)
    return sec + NTP_UNIX_OFFSET, (us << 32) // 1000000


def rtcp_packets(stream, cname, first_us, period_us):
    """SR + SDES from stream's sender every period until the stream ends;
    the report block is about the peer stream as received here."""
    peer = stream.peer
    sender = Sender(stream.src, stream.dst, stream.sport + 1, stream.dport + 1,
                    TOS_EF, stream.rng.getrandbits(16))
    cn = cname.encode()
    item = bytes([1, len(cn)]) + cn + b"\0"
    chunk = struct.pack("!I", stream.ssrc) + item
    chunk += b"\0" * (-len(chunk) % 4)
    sdes = struct.pack("!BBH", 0x81, 202, len(chunk) // 4) + chunk
    prev_exp, prev_rec = 0, 0
    base = peer.seq0
    t = first_us
    last = stream.end_us
    while t <= last:
        sec, frac = ntp64(t)
        rtp_ts = (stream.ts0 + (t - stream.start_us) * 8 // 1000) & 0xFFFFFFFF
        pk, octets = stream.sent_state(t)
        rec, hi, jit = peer.rx_state(t)
        body = struct.pack("!IIIIII", stream.ssrc, sec, frac, rtp_ts, pk, octets)
        if hi is not None:
            exp = hi - base + 1
            lost = exp - rec
            d_exp, d_rec = exp - prev_exp, rec - prev_rec
            frac_lost = 0 if d_exp <= 0 or d_exp <= d_rec else ((d_exp - d_rec) << 8) // d_exp
            prev_exp, prev_rec = exp, rec
            # LSR/DLSR (6.4.1): middle 32 bits of the peer's last SR NTP time.
            lsr, dlsr = 0, 0
            j = bisect.bisect_right(peer.rtcp_times, t) - 1
            if j >= 0:
                ps, pf = ntp64(peer.rtcp_times[j])
                lsr = ((ps & 0xFFFF) << 16) | (pf >> 16)
                dlsr = ((t - peer.rtcp_times[j]) << 16) // 1000000
            lost24 = lost & 0xFFFFFF
            rb = struct.pack("!IIIIII", peer.ssrc, (min(frac_lost, 255) << 24) | lost24,
                             hi & 0xFFFFFFFF, jit, lsr, dlsr)
            sr = struct.pack("!BBH", 0x81, 200, (4 + len(body) + len(rb)) // 4 - 1) + body + rb
        else:
            sr = struct.pack("!BBH", 0x80, 200, (4 + len(body)) // 4 - 1) + body
        yield t, sender.frame(sr + sdes)
        t += period_us


# ---------------------------------------------------------------------------
# SIP (RFC 3261) with SDP (RFC 4566 / RFC 3264 offer-answer).

FIRST_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
               "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil",
               "trent", "victor", "walter", "yvonne"]
UA_CALLER = ["Linphone/5.2.0 (belle-sip/5.2.0)", "Zoiper rv2.10.19.4",
             "Grandstream GXP2170 1.0.11.23", "Yealink SIP-T46U 108.86.0.45",
             "MicroSIP/3.21.3", "Cisco-SIPGateway/IOS-15.x"]
UA_CALLEE = ["Asterisk PBX 20.5.0", "FreeSWITCH-mod_sofia/1.10.10",
             "Polycom/6.4.3 PolycomVVX-VVX_450", "snom D785/10.1.159.12",
             "Yealink SIP-T54W 96.86.0.70"]


def rand_token(rng, n, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def sdp_body(rng, sess_user, host, port, codecs):
    sess_id = rng.randint(10 ** 9, 10 ** 10)
    pts = " ".join(str(CODEC_PT[c]) for c in codecs)
    lines = [
        "v=0",
        "o=%s %d %d IN IP4 %s" % (sess_user, sess_id, sess_id, host.ip_str),
        "s=Talk",
        "c=IN IP4 %s" % host.ip_str,
        "t=0 0",
        "m=audio %d RTP/AVP %s %d" % (port, pts, PT_DTMF),
    ]
    for c in codecs:
        lines.append("a=rtpmap:%d %s/8000" % (CODEC_PT[c], c))
    lines += ["a=rtpmap:%d telephone-event/8000" % PT_DTMF,
              "a=fmtp:%d 0-16" % PT_DTMF,
              "a=ptime:20",
              "a=sendrecv"]
    return ("\r\n".join(lines) + "\r\n").encode()


def sip_msg(start_line, headers, body=b""):
    h = [start_line] + ["%s: %s" % kv for kv in headers]
    h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


class Call:
    """Parameters of one call; sources() instantiates its packet generators."""

    def __init__(self, index, seed, start_us, media_s, tmpl, codec, bench=False,
                 flat_override=None):
        self.index = index
        self.seed = seed
        self.start_us = start_us
        self.media_s = media_s
        self.tmpl = tmpl
        self.codec = codec
        self.bench = bench
        self.flat_override = flat_override

    def sources(self, bank, base_us):
        rng = random.Random("call:%d:%d" % (self.seed, self.index))
        i = self.index
        # Caller addresses: an odd-multiplier bijection over 10.0.0.0/8 host
        # numbers (last octet 1..254) so concurrent calls never share a
        # 5-tuple; callees in the two documentation ranges (RFC 5737).
        m = 256 * 256 * 254
        j = (i * 2654435761 + self.seed * 40503) % m
        caller = Host("10.%d.%d.%d" % (j // (256 * 254), (j // 254) % 256, j % 254 + 1), 64)
        net = rng.choice(("192.0.2", "198.51.100"))
        callee = Host("%s.%d" % (net, (i * 37 + self.seed) % 250 + 2), 57)
        # Callee ports cycle with the call index: unique among the 20000
        # calls nearest in time.
        callee_port = 20000 + 2 * (i % 20000)
        caller_port = 2 * rng.randint(5000, 9999)
        a_user = "%s%d" % (rng.choice(FIRST_NAMES), rng.randint(100, 999))
        b_num = "+1555%07d" % rng.randint(0, 9999999)
        domain = "voip.example.net" if net == "192.0.2" else "pbx.example.com"
        call_id = "%s@%s" % (rand_token(rng, 24), caller.ip_str)
        ftag, ttag = rand_token(rng, 10), rand_token(rng, 12)
        cseq = rng.randint(1, 30000)
        ua, server = rng.choice(UA_CALLER), rng.choice(UA_CALLEE)
        other = "PCMA" if self.codec == "PCMU" else "PCMU"

        sip_a = Sender(caller, callee, 5060, 5060, TOS_CS3, rng.getrandbits(16))
        sip_b = Sender(callee, caller, 5060, 5060, TOS_CS3, rng.getrandbits(16))
        via = "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s;rport" % (caller.ip_str, rand_token(rng, 16))
        frm = '"%s" <sip:%s@%s>;tag=%s' % (a_user.capitalize(), a_user, domain, ftag)
        to = "<sip:%s@%s>" % (b_num, domain)
        to_t = to + ";tag=" + ttag
        ruri = "sip:%s@%s:5060" % (b_num, callee.ip_str)
        a_contact = "<sip:%s@%s:5060>" % (a_user, caller.ip_str)
        b_contact = "<sip:%s@%s:5060>" % (b_num, callee.ip_str)
        allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY"

        offer = sdp_body(rng, a_user, caller, caller_port, [self.codec, other])
        answer = sdp_body(rng, "root", callee, callee_port, [self.codec])

        def resp(code, reason, to_hdr, extra=(), body=b""):
            hs = [("Via", via), ("From", frm), ("To", to_hdr), ("Call-ID", call_id),
                  ("CSeq", "%d INVITE" % cseq)]
            hs += list(extra)
            return sip_msg("SIP/2.0 %d %s" % (code, reason), hs, body)

        t = self.start_us
        rtt = rng.randint(2000, 40000)
        msgs = []
        msgs.append((t, sip_a, sip_msg("INVITE %s SIP/2.0" % ruri, [
            ("Via", via), ("Max-Forwards", "70"), ("From", frm), ("To", to),
            ("Call-ID", call_id), ("CSeq", "%d INVITE" % cseq), ("Contact", a_contact),
            ("Allow", allow), ("Supported", "replaces, timer"), ("User-Agent", ua),
            ("Content-Type", "application/sdp")], offer)))
        t += rtt // 2 + rng.randint(200, 3000)
        msgs.append((t, sip_b, resp(100, "Trying", to, [("Server", server)])))
        t += rng.randint(20000, 150000)
        msgs.append((t, sip_b, resp(180, "Ringing", to_t, [("Contact", b_contact),
                                                          ("Server", server)])))
        t += rng.randint(300000, 1500000) if self.bench else rng.randint(800000, 4000000)
        msgs.append((t, sip_b, resp(200, "OK", to_t, [
            ("Contact", b_contact), ("Allow", allow), ("Supported", "replaces, timer"),
            ("Server", server), ("Content-Type", "application/sdp")], answer)))
        t_ok = t
        t += rtt
        msgs.append((t, sip_a, sip_msg("ACK %s SIP/2.0" % b_contact[1:-1], [
            ("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s;rport"
             % (caller.ip_str, rand_token(rng, 16))),
            ("Max-Forwards", "70"), ("From", frm), ("To", to_t), ("Call-ID", call_id),
            ("CSeq", "%d ACK" % cseq), ("User-Agent", ua)])))
        t_ack = t

        # Media: callee talks right after its 200 OK, caller after the ACK.
        n = max(2 * EDGE + 40, int(self.media_s * 50))
        (ca, ia), (cb, ib) = self.tmpl
        if self.flat_override:
            ca = self.flat_override.get(0, ca)
            cb = self.flat_override.get(1, cb)
        srng = [random.Random("stream:%d:%d:%d" % (self.seed, self.index, d)) for d in (0, 1)]
        s_a = RtpStream(srng[0], bank, self, "caller->callee", caller, callee, caller_port,
                        callee_port, self.codec, t_ack + rng.randint(5000, 30000), n, ca, ia,
                        srng[0].uniform(0.35, 0.65))
        s_b = RtpStream(srng[1], bank, self, "callee->caller", callee, caller, callee_port,
                        caller_port, self.codec, t_ok + rng.randint(5000, 30000), n, cb, ib,
                        srng[1].uniform(0.35, 0.65))
        s_a.peer, s_b.peer = s_b, s_a
        for s in (s_a, s_b):
            first = s.start_us + rng.randint(1000000, 5000000)
            s.rtcp_times = list(range(first, s.end_us + 1, 5000000))
            s.rtcp_first = first

        # Hang-up: a random side sends BYE shortly after its media stops.
        t = max(s_a.end_us, s_b.end_us) + rng.randint(5000, 60000)
        if rng.random() < 0.5:
            branch = rand_token(rng, 16)
            msgs.append((t, sip_a, sip_msg("BYE %s SIP/2.0" % b_contact[1:-1], [
                ("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s;rport" % (caller.ip_str, branch)),
                ("Max-Forwards", "70"), ("From", frm), ("To", to_t), ("Call-ID", call_id),
                ("CSeq", "%d BYE" % (cseq + 1)), ("User-Agent", ua)])))
            t += rtt
            msgs.append((t, sip_b, sip_msg("SIP/2.0 200 OK", [
                ("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s;rport=5060;received=%s"
                 % (caller.ip_str, branch, caller.ip_str)),
                ("From", frm), ("To", to_t), ("Call-ID", call_id),
                ("CSeq", "%d BYE" % (cseq + 1)), ("Server", server)])))
            bye_by = "caller"
        else:
            b_cseq = rng.randint(1, 30000)
            b_via = "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s" % (callee.ip_str, rand_token(rng, 16))
            b_from = "<sip:%s@%s>;tag=%s" % (b_num, domain, ttag)
            b_to = '"%s" <sip:%s@%s>;tag=%s' % (a_user.capitalize(), a_user, domain, ftag)
            msgs.append((t, sip_b, sip_msg("BYE %s SIP/2.0" % a_contact[1:-1], [
                ("Via", b_via), ("Max-Forwards", "70"), ("From", b_from), ("To", b_to),
                ("Call-ID", call_id), ("CSeq", "%d BYE" % b_cseq), ("User-Agent", server)])))
            t += rtt
            msgs.append((t, sip_a, sip_msg("SIP/2.0 200 OK", [
                ("Via", b_via), ("From", b_from), ("To", b_to), ("Call-ID", call_id),
                ("CSeq", "%d BYE" % b_cseq), ("User-Agent", ua)])))
            bye_by = "callee"

        def sip_gen():
            for tm, snd, payload in msgs:
                yield tm, snd.frame(payload)

        cname_a = "%s@%s" % (a_user, caller.ip_str)
        cname_b = "%s@%s" % (b_num, callee.ip_str)
        srcs = [sip_gen(), s_a.packets(), s_b.packets(),
                rtcp_packets(s_a, cname_a, s_a.rtcp_first, 5000000),
                rtcp_packets(s_b, cname_b, s_b.rtcp_first, 5000000)]
        summ = {
            "index": i,
            "call_id": call_id,
            "caller": caller.ip_str,
            "callee": callee.ip_str,
            "caller_sip": "%s:5060" % caller.ip_str,
            "callee_sip": "%s:5060" % callee.ip_str,
            "caller_media": "%s:%d" % (caller.ip_str, caller_port),
            "callee_media": "%s:%d" % (callee.ip_str, callee_port),
            "from_tag": ftag,
            "to_tag": ttag,
            "codec": self.codec,
            "start_s": round((self.start_us - base_us) / 1e6, 6),
            "answer_s": round((t_ok - base_us) / 1e6, 6),
            "end_s": round((t - base_us) / 1e6, 6),
            "bye_by": bye_by,
            "sip_messages": len(msgs),
            "sip_methods": [m[2].split(b" ", 1)[0].decode() if not m[2].startswith(b"SIP/2.0")
                            else m[2].split(b" ", 2)[1].decode() for m in msgs],
            "rtcp_packets": len(s_a.rtcp_times) + len(s_b.rtcp_times),
            "streams": [s_a.summary(base_us), s_b.summary(base_us)],
        }
        return srcs, summ


# ---------------------------------------------------------------------------
# Scenarios: which (content, impairments) pair each call's two directions get.

MIX_TEMPLATES = [
    (("speech", []), ("speech", [])),
    (("speech", ["loss"]), ("speech", ["jitter"])),
    (("speech", ["burst"]), ("quiet", [])),
    (("speech", ["reorder"]), ("speech", ["dup"])),
    (("speech", ["seqwrap"]), ("speech", ["tswrap"])),
    (("speech", ["dtmf"]), ("speech", ["dtx"])),
    (("silence", []), ("speech", [])),
    (("speech", ["loss"]), ("dc", [])),
    (("alt", []), ("speech", ["jitter"])),
    (("onset", []), ("speech", [])),
    (("quiet", ["jitter"]), ("quiet", [])),
    (("speech", ["reorder", "dup", "loss"]), ("speech", ["seqwrap", "dtmf"])),
    (("silence", ["loss"]), ("onset", ["jitter"])),
]

FLAT_TEMPLATES = [
    (("silence", []), ("speech", [])),
    (("speech", []), ("dc", [])),
    (("alt", []), ("quiet", [])),
    (("onset", []), ("speech", [])),
    (("quiet", []), ("quiet", [])),
    (("silence", []), ("silence", [])),
    (("speech", []), ("speech", [])),
]

IMPAIR_TEMPLATES = [t for t in MIX_TEMPLATES
                    if t[0][0] == "speech" and t[1][0] == "speech" and (t[0][1] or t[1][1])]

SCENARIOS = {
    "mix": "every content kind and impairment, rotated over the calls (default)",
    "bench": "N concurrent calls of plain speech, --flat-share of the streams flat, "
             "no impairments; for throughput",
    "flat": "only the flat kinds (silence, DC, 0xFF/0x7F, mid-call onset) and their "
            "non-flat controls (quiet -58 dBFS noise, speech)",
    "impair": "speech both ways, every impairment kind",
    "clean": "speech both ways, no impairments, calls overlapping per --concurrency",
    "verdicts": "one case per diagnostics verdict (issue 13) and the negative controls "
                "on which none may fire; the summary lists the events each case expects",
}


def plan_calls(args):
    """Call parameters, sorted by start time; cheap (nothing instantiated)."""
    rng = random.Random("plan:%d:%s" % (args.seed, args.scenario))
    base = args.start_epoch * 1000000
    calls = []
    if args.scenario == "bench":
        n_streams = 2 * args.calls
        n_flat = int(round(args.flat_share * n_streams))
        flat_ids = set(rng.sample(range(n_streams), n_flat))
        kinds = ["silence", "dc", "alt"]
        spread = 2000000   # all calls begin within 2 s: all concurrent
        for i in range(args.calls):
            ov = {}
            for d in (0, 1):
                if 2 * i + d in flat_ids:
                    ov[d] = kinds[(2 * i + d) % 3]
            codec = "PCMU" if rng.random() < 0.5 else "PCMA"
            if any(k != "silence" for k in ov.values()):
                codec = "PCMU"    # DC and the alternation are mu-law patterns
            calls.append(Call(i, args.seed, base + (i * spread) // max(1, args.calls),
                              args.duration_s, (("speech", []), ("speech", [])), codec,
                              bench=True, flat_override=ov))
        return calls
    tmpls = {"mix": MIX_TEMPLATES, "flat": FLAT_TEMPLATES, "impair": IMPAIR_TEMPLATES,
             "clean": [(("speech", []), ("speech", []))]}[args.scenario]
    conc = max(1, min(args.concurrency or min(args.calls, 10), args.calls))
    mean_len = 2.5 + 0.8 * args.duration_s
    gap = mean_len / conc
    t = 0.0
    order = []
    for i in range(args.calls):
        if i % len(tmpls) == 0:
            order = list(range(len(tmpls)))
            rng.shuffle(order)
        tmpl = tmpls[order[i % len(tmpls)]]
        need_u = any(c in ("dc", "alt") for c, _ in tmpl)
        codec = "PCMU" if need_u or rng.random() < 0.5 else "PCMA"
        media = args.duration_s * rng.uniform(0.6, 1.0)
        calls.append(Call(i, args.seed, base + int(t * 1e6), media, tmpl, codec))
        t += gap * rng.uniform(0.5, 1.5)
    return calls


# ---------------------------------------------------------------------------
# Merge and write.

# ---------------------------------------------------------------------------
# Scenario "verdicts": hand-built cases for the diagnostics verdicts.

VERDICT_RTP_S = 10          # media seconds of each verdict call
VERDICT_GAP_US = 4000000    # between the starts of consecutive cases


def scale_clip(lin, gain):
    return [max(-32768, min(32767, int(round(x * gain)))) for x in lin]


def rms_dbfs(lin):
    ms = sum(x * x for x in lin) / max(1, len(lin))
    return 10 * math.log10(ms / 32768.0 ** 2) if ms > 0 else -200.0


class VerdictBuilder:
    """The frames (time, bytes) of every case, and the truth of each."""

    def __init__(self, seed, base_us):
        self.rng = random.Random("verdicts:%d" % seed)
        self.bank = Bank(seed)
        self.frames = []
        self.cases = []
        self.t = base_us + 1000000
        self.base_us = base_us
        self.n = 0
        speech = self.bank._linear("speech")
        peak = max(abs(x) for x in speech)
        self.lin = {
            "speech": speech,
            # Quiet but real: the same speech 25 dB down, still above the
            # -45 dBFS low-level line in its voiced windows.
            "quiet_speech": scale_clip(speech, 10 ** (-25 / 20.0)),
            # Loud: peaks normalised to full scale, a few samples reach it.
            "loud": scale_clip(speech, 32767.0 / peak),
            # Overdriven: 12x gain, hard-limited at full scale.
            "clipped": scale_clip(speech, 12.0 * 32767.0 / peak),
            "noise": synth_noise(random.Random("verdicts-noise:%d" % seed), 4, QUIET_DBFS),
        }

    def payloads(self, codec, content, n):
        """n 160-byte payloads of content; a list of (kind, seconds) runs."""
        enc = encoder(codec)
        out = []
        for kind, secs in content:
            k = n - len(out) if secs is None else int(secs * 50)
            if kind == "silence":
                out += [FLAT_KINDS["silence"][codec] * SAMPLES] * k
                continue
            lin = self.lin[kind]
            for i in range(k):
                off = (i * SAMPLES) % (len(lin) - SAMPLES)
                out.append(bytes(enc[x & 0xFFFF] for x in lin[off:off + SAMPLES]))
        return out[:n]

    def rtp(self, snd, start_us, payloads, pt):
        ssrc = self.rng.getrandbits(32)
        seq = self.rng.getrandbits(16)
        ts = self.rng.getrandbits(32)
        for i, pl in enumerate(payloads):
            hdr = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | pt,
                              (seq + i) & 0xFFFF, (ts + i * SAMPLES) & 0xFFFFFFFF, ssrc)
            self.frames.append((start_us + i * 20000, snd.frame(hdr + pl)))
        return ssrc

    def sip(self, t, snd, payload, bad=False):
        f = snd.frame(payload)
        if bad:
            # Flip the UDP checksum (never to 0, which means "none" over IPv4).
            off = 14 + IP_HDR + 6
            cs = struct.unpack("!H", f[off:off + 2])[0] ^ 0x5A5A
            f = f[:off] + struct.pack("!H", cs or 0x5A5A) + f[off + 2:]
        self.frames.append((t, f))

    def sdp(self, user, c_ip, port, codec):
        sid = self.rng.randint(10 ** 9, 10 ** 10)
        lines = ["v=0", "o=%s %d %d IN IP4 %s" % (user, sid, sid, c_ip), "s=Talk",
                 "c=IN IP4 %s" % c_ip, "t=0 0",
                 "m=audio %d RTP/AVP %d" % (port, CODEC_PT[codec]),
                 "a=rtpmap:%d %s/8000" % (CODEC_PT[codec], codec), "a=ptime:20", "a=sendrecv"]
        return ("\r\n".join(lines) + "\r\n").encode()

    def case(self, name, control, expect, **extra):
        d = {"name": name, "control": control, "expect": expect}
        d.update(extra)
        self.cases.append(d)
        self.t += VERDICT_GAP_US
        self.n += 1

    def call(self, name, control, expect, a_content=(("speech", None),),
             b_content=(("speech", None),), codec="PCMU", a_ip=None, b_ip=None,
             a_sig_ip=None, a_c=None, a_rtp_src=None, first_invite_bad=False,
             b_rtp=True, secs=VERDICT_RTP_S):
        i = self.n
        rng = self.rng
        a_ip = a_ip or "10.77.%d.%d" % (i // 200, i % 200 + 10)
        b_ip = b_ip or "192.0.2.%d" % (i + 10)
        a_sig = Host(a_sig_ip or a_ip, 64)
        b = Host(b_ip, 60)
        a_port, b_port = 30000 + 2 * i, 40000 + 2 * i
        a_c_ip, a_c_port = a_c or (a_ip, a_port)
        src_ip, src_port = a_rtp_src or (a_c_ip, a_c_port)
        call_id = "%s@verdict-%s" % (rand_token(rng, 16), name)
        ftag, ttag = rand_token(rng, 8), rand_token(rng, 8)
        frm = "<sip:alice%d@example.org>;tag=%s" % (i, ftag)
        to = "<sip:bob%d@example.net>" % i
        to_t = to + ";tag=" + ttag
        via = "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s" % (a_sig.ip_str, rand_token(rng, 10))
        sa = Sender(a_sig, b, 5060, 5060, TOS_CS3, rng.getrandbits(16))
        sb = Sender(b, a_sig, 5060, 5060, TOS_CS3, rng.getrandbits(16))
        base = [("Via", via), ("From", frm), ("To", to), ("Call-ID", call_id),
                ("CSeq", "1 INVITE")]
        invite = sip_msg("INVITE sip:bob%d@%s SIP/2.0" % (i, b_ip),
                         base + [("Contact", "<sip:alice%d@%s>" % (i, a_sig.ip_str)),
                                 ("Content-Type", "application/sdp")],
                         self.sdp("alice", a_c_ip, a_c_port, codec))
        t = self.t
        if first_invite_bad:
            self.sip(t, sa, invite, bad=True)
            t += 500000
        self.sip(t, sa, invite)
        resp = lambda code, reason, to_h, extra=(), body=b"": sip_msg(
            "SIP/2.0 %d %s" % (code, reason),
            [("Via", via), ("From", frm), ("To", to_h), ("Call-ID", call_id),
             ("CSeq", "1 INVITE")] + list(extra), body)
        self.sip(t + 20000, sb, resp(100, "Trying", to))
        self.sip(t + 60000, sb, resp(180, "Ringing", to_t))
        t_ok = t + 1000000
        self.sip(t_ok, sb, resp(200, "OK", to_t,
                                [("Contact", "<sip:bob%d@%s>" % (i, b_ip)),
                                 ("Content-Type", "application/sdp")],
                                self.sdp("bob", b_ip, b_port, codec)))
        self.sip(t_ok + 30000, sa, sip_msg("ACK sip:bob%d@%s SIP/2.0" % (i, b_ip), [
            ("Via", via), ("From", frm), ("To", to_t), ("Call-ID", call_id), ("CSeq", "1 ACK")]))
        n = secs * 50
        ra = Sender(Host(src_ip, 64), b, src_port, b_port, 0xB8, rng.getrandbits(16))
        ssrc_a = self.rtp(ra, t_ok + 50000, self.payloads(codec, a_content, n), CODEC_PT[codec])
        ssrc_b = None
        if b_rtp:
            rb = Sender(b, Host(a_c_ip, 64), b_port, a_c_port, 0xB8, rng.getrandbits(16))
            ssrc_b = self.rtp(rb, t_ok + 10000, self.payloads(codec, b_content, n),
                              CODEC_PT[codec])
        t_bye = t_ok + 50000 + n * 20000 + 100000
        self.sip(t_bye, sa, sip_msg("BYE sip:bob%d@%s SIP/2.0" % (i, b_ip), [
            ("Via", via), ("From", frm), ("To", to_t), ("Call-ID", call_id), ("CSeq", "2 BYE")]))
        self.sip(t_bye + 20000, sb, sip_msg("SIP/2.0 200 OK", [
            ("Via", via), ("From", frm), ("To", to_t), ("Call-ID", call_id), ("CSeq", "2 BYE")]))
        refs = {"@caller_media": "%s:%d" % (a_c_ip, a_c_port)}
        expect = [{k: refs.get(v, v) if isinstance(v, str) else v for k, v in e.items()}
                  for e in expect]
        self.case(name, control, expect, call_id=call_id,
                  caller_media="%s:%d" % (a_c_ip, a_c_port),
                  caller_rtp_src="%s:%d" % (src_ip, src_port),
                  callee_media="%s:%d" % (b_ip, b_port),
                  caller_ssrc="0x%08x" % ssrc_a,
                  callee_ssrc=None if ssrc_b is None else "0x%08x" % ssrc_b,
                  rtp_start_s=round((t_ok + 50000 - self.base_us) / 1e6, 6))
        self.t = max(self.t, t_bye + 500000)

    def register(self, name, control, expect, phone_ip, servers, gaps_s, expires):
        """REGISTERs of one binding: the k-th to servers[k] gaps_s[k] after the
        previous one, each answered 200 with expires[k]."""
        rng = self.rng
        phone = Host(phone_ip, 64)
        aor = "sip:%s@example.org" % name.replace("_", "")
        contact = "sip:%s@%s:5060" % (name.replace("_", ""), phone_ip)
        call_id = "%s@%s" % (rand_token(rng, 16), phone_ip)
        t = self.t
        for k, (srv, gap) in enumerate(zip(servers, gaps_s)):
            t += int(gap * 1e6)
            sh = Host(srv, 60)
            sa = Sender(phone, sh, 5060, 5060, TOS_CS3, rng.getrandbits(16))
            sb = Sender(sh, phone, 5060, 5060, TOS_CS3, rng.getrandbits(16))
            via = "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s;rport" % (phone_ip, rand_token(rng, 10))
            hs = [("Via", via), ("From", "<%s>;tag=%s" % (aor, rand_token(rng, 8))),
                  ("To", "<%s>" % aor), ("Call-ID", call_id), ("CSeq", "%d REGISTER" % (k + 1))]
            self.sip(t, sa, sip_msg("REGISTER sip:example.org SIP/2.0",
                                    hs + [("Contact", "<%s>" % contact), ("Expires", "3600")]))
            self.sip(t + 15000, sb, sip_msg("SIP/2.0 200 OK",
                                            hs + [("Contact", "<%s>;expires=%d"
                                                   % (contact, expires[k]))]))
        self.case(name, control, expect, aor=aor, contact=contact, call_id=call_id)
        self.t = max(self.t, t + 500000)


def generate_verdicts(args, out=sys.stdout):
    base_us = args.start_epoch * 1000000
    vb = VerdictBuilder(args.seed, base_us)
    cv = "call_verdict"
    vb.call("normal", True, [])
    vb.call("quiet_speech", True, [], a_content=(("quiet_speech", None),),
            b_content=(("quiet_speech", None),))
    vb.call("flat_caller", False, [{"event": cv, "verdict": "flatline", "bad_sender": "caller"}],
            a_content=(("silence", None),))
    vb.call("no_rtp_callee", False, [{"event": cv, "verdict": "no_rtp", "bad_sender": "callee"}],
            b_rtp=False)
    vb.call("low_level_callee", False,
            [{"event": cv, "verdict": "low_level", "bad_sender": "callee"}],
            b_content=(("noise", None),))
    vb.call("late_audio_caller", False,
            [{"event": cv, "verdict": "late_audio", "bad_sender": "caller"}],
            a_content=(("noise", 6), ("speech", None)), secs=14)
    vb.call("early_stop_callee", False,
            [{"event": cv, "verdict": "early_stop", "bad_sender": "callee"}],
            b_content=(("speech", 5), ("noise", None)), secs=14)
    vb.call("clipping_callee", False, [{"event": "clipping", "sender": "callee"}],
            b_content=(("clipped", None),))
    vb.call("loud_speech", True, [], a_content=(("loud", None),), b_content=(("loud", None),))
    vb.call("sdp_rtp_source", False,
            [{"event": "sdp_address_mismatch", "kind": "rtp_source", "party": "caller",
              "announced": "@caller_media", "observed": "203.0.113.50:41000"}],
            a_ip="203.0.113.50", a_rtp_src=("203.0.113.50", 41000))
    vb.call("sdp_private", False,
            [{"event": "sdp_address_mismatch", "kind": "private_address", "party": "caller",
              "announced": "192.168.1.20:30022", "observed": "203.0.113.60:5060"}],
            a_ip="203.0.113.60", a_c=("192.168.1.20", 30022),
            a_rtp_src=("203.0.113.60", 30022))
    # An SBC (198.51.100.200) rewrote the NAT'd phone's SDP: c= is the
    # address its RTP comes from.
    vb.call("nat_sbc", True, [], a_ip="203.0.113.70", a_sig_ip="198.51.100.200")
    vb.call("csum_retrans_answered", True, [], first_invite_bad=True)
    # An INVITE sent four times (RFC 3261 Timer A doubling), every copy with
    # a bad checksum, never answered.
    i = vb.n
    a, b = Host("10.88.0.%d" % (i + 1), 64), Host("192.0.2.%d" % (i + 100), 60)
    sa = Sender(a, b, 5060, 5060, TOS_CS3, vb.rng.getrandbits(16))
    cid = "%s@verdict-csum_unanswered" % rand_token(vb.rng, 16)
    inv = sip_msg("INVITE sip:carol@%s SIP/2.0" % b.ip_str, [
        ("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bKcsum1" % a.ip_str),
        ("From", "<sip:dave@example.org>;tag=csumtag"), ("To", "<sip:carol@example.net>"),
        ("Call-ID", cid), ("CSeq", "1 INVITE"), ("Contact", "<sip:dave@%s>" % a.ip_str),
        ("Content-Type", "application/sdp")], vb.sdp("dave", a.ip_str, 30100, "PCMU"))
    for k, dt in enumerate((0, 500000, 1500000, 3500000)):
        vb.sip(vb.t + dt, sa, inv, bad=True)
    vb.case("csum_unanswered", False,
            [{"event": "sip_checksum_discarded", "sending_host": "%s:5060" % a.ip_str,
              "discarded": 4, "method": "INVITE"}], call_id=cid)
    vb.t += 4000000
    # A request the receiver cannot parse (no Call-ID), sent twice on one
    # flow: one event for the flow and reason.
    a, b = Host("10.89.0.1", 64), Host("192.0.2.200", 60)
    sa = Sender(a, b, 5060, 5060, TOS_CS3, vb.rng.getrandbits(16))
    bad = ("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKnocid\r\n"
           "From: <sip:probe@example.org>;tag=x\r\nTo: <sip:%s>\r\nCSeq: 1 OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n" % (b.ip_str, a.ip_str, b.ip_str)).encode()
    vb.sip(vb.t, sa, bad)
    vb.sip(vb.t + 500000, sa, bad)
    vb.case("parse_error", False,
            [{"event": "sip_parse_error", "reason": "sip_no_call_id",
              "src": "10.89.0.1:5060", "dst": "192.0.2.200:5060"}],
            flow="udp:10.89.0.1:5060->192.0.2.200:5060")
    vb.register("reg_change", False,
                [{"event": "register_target_change", "old_server": "198.51.100.10:5060",
                  "new_server": "198.51.100.11:5060", "interval_ms": 60000}],
                "203.0.113.80", ["198.51.100.10", "198.51.100.11"], [0, 60], [3600, 3600])
    vb.register("reg_refresh", True, [], "203.0.113.81", ["198.51.100.10", "198.51.100.10"],
                [0, 60], [3600, 3600])
    vb.register("reg_after_expiry", True, [], "203.0.113.82",
                ["198.51.100.10", "198.51.100.11"], [0, 60], [30, 3600])
    vb.frames.sort(key=lambda x: x[0])
    with open(args.out, "wb") as f:
        f.write(PCAP_GLOBAL.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in vb.frames:
            sec, us = divmod(t, 1000000)
            f.write(PCAP_REC.pack(sec, us, len(fr), len(fr)))
            f.write(fr)
    doc = {
        "generator": "voipgen 1",
        "args": {"seed": args.seed, "scenario": "verdicts", "start_epoch": args.start_epoch},
        "pcap": {"linktype": 1, "tsresol": "us", "start_epoch": args.start_epoch},
        "levels_dbfs": {k: round(rms_dbfs(v), 1) for k, v in vb.lin.items()},
        "definitions": {
            "expect": "the verdict events (HEP type 100) hepprobe must emit for the case, "
                      "with these fields; a control expects none",
        },
        "totals": {"frames": len(vb.frames), "cases": len(vb.cases),
                   "verdict_events": sum(len(c["expect"]) for c in vb.cases)},
        "cases": vb.cases,
    }
    with open(args.summary, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    if not args.quiet:
        print("voipgen verdicts: %d frames, %d cases" % (len(vb.frames), len(vb.cases)), file=out)
    return doc


def generate(args, out=sys.stdout):
    if args.scenario == "verdicts":
        return generate_verdicts(args, out)
    calls = plan_calls(args)
    base_us = args.start_epoch * 1000000
    bank = Bank(args.seed)
    heap = []
    uid = 0
    ci, nc = 0, len(calls)
    summaries = []
    frames = 0
    rec = PCAP_REC.pack
    t_start, c_start = time.time(), time.process_time()
    with open(args.out, "wb", buffering=1 << 20) as f:
        # Classic pcap header, microsecond resolution, snaplen 65535.
        f.write(PCAP_GLOBAL.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        write = f.write
        while True:
            # Instantiate calls lazily: a call joins the heap once the merge
            # time reaches its INVITE (its packets never precede it).
            if ci < nc and (not heap or calls[ci].start_us <= heap[0][0]):
                srcs, summ = calls[ci].sources(bank, base_us)
                summaries.append(summ)
                for g in srcs:
                    first = next(g, None)
                    if first is not None:
                        heapq.heappush(heap, (first[0], uid, first[1], g))
                        uid += 1
                ci += 1
                continue
            if not heap:
                break
            t, u, frame, g = heap[0]
            sec, us = divmod(t, 1000000)
            ln = len(frame)
            write(rec(sec, us, ln, ln))
            write(frame)
            frames += 1
            nxt = next(g, None)
            if nxt is None:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (nxt[0], u, nxt[1], g))
    elapsed = time.time() - t_start
    cpu = time.process_time() - c_start

    streams = [s for c in summaries for s in c["streams"]]
    totals = {
        "calls": len(summaries),
        "sip_messages": sum(c["sip_messages"] for c in summaries),
        "streams": len(streams),
        "rtp_packets": sum(s["packets_sent_on_wire"] for s in streams),
        "rtcp_packets": sum(c["rtcp_packets"] for c in summaries),
        "flat_streams": sum(1 for s in streams if s["flat"]),
        "frames": frames,
    }
    if totals["sip_messages"] + totals["rtp_packets"] + totals["rtcp_packets"] != frames:
        raise AssertionError("frame accounting mismatch (generator bug)")
    doc = {
        "generator": "voipgen 1",
        "args": {"seed": args.seed, "calls": args.calls, "scenario": args.scenario,
                 "concurrency": args.concurrency, "duration_s": args.duration_s,
                 "flat_share": args.flat_share, "start_epoch": args.start_epoch},
        "pcap": {"linktype": 1, "tsresol": "us", "start_epoch": args.start_epoch},
        "definitions": {
            "lost": "expected - packets_sent_on_wire; expected = highest extended "
                    "seq - first seq + 1 (tshark -z rtp,streams Lost)",
            "flat": "every G.711 payload byte of a packet decodes to one constant "
                    "sample value; flat_start_s is seconds from the stream's first "
                    "packet; flat_value is that sample (16-bit linear)",
            "times": "start_s/end_s are seconds from start_epoch",
        },
        "totals": totals,
        "calls": summaries,
    }
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    if not args.quiet:
        print("voipgen: %d frames (%d SIP, %d RTP, %d RTCP), %d calls; %.1f s wall, "
              "%.1f s CPU, %.0f frames/s wall" % (
                  frames, totals["sip_messages"], totals["rtp_packets"], totals["rtcp_packets"],
                  totals["calls"], elapsed, cpu, frames / elapsed if elapsed > 0 else 0.0),
              file=out)
    return doc


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Deterministic SIP/RTP/RTCP capture generator with a JSON ground truth.")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--calls", type=int, default=13, help="number of calls (N)")
    p.add_argument("--concurrency", type=int, default=0,
                   help="average calls in progress (default min(N, 10); bench: all N)")
    p.add_argument("--duration-s", type=float, default=None,
                   help="media seconds per call (mix-like: each call 0.6-1.0 x this); "
                        "default 20, bench 30")
    p.add_argument("--flat-share", type=float, default=0.1,
                   help="bench: fraction of streams whose content is flat")
    p.add_argument("--scenario", default="mix", choices=sorted(SCENARIOS))
    p.add_argument("--out", default="voipgen.pcap")
    p.add_argument("--summary", default=None, help="JSON summary path (default OUT.json)")
    p.add_argument("--start-epoch", type=int, default=1704067200,
                   help="capture start, Unix seconds (default 2024-01-01T00:00:00Z)")
    p.add_argument("--list-scenarios", action="store_true")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    if a.list_scenarios:
        for k in sorted(SCENARIOS):
            print("%-8s %s" % (k, SCENARIOS[k]))
        sys.exit(0)
    if a.duration_s is None:
        a.duration_s = 30.0 if a.scenario == "bench" else 20.0
    if a.calls < 1 or a.duration_s < 2.0 or not 0.0 <= a.flat_share <= 1.0:
        p.error("need --calls >= 1, --duration-s >= 2, 0 <= --flat-share <= 1")
    if a.summary is None:
        a.summary = (a.out[:-5] if a.out.endswith(".pcap") else a.out) + ".json"
    return a


def main(argv=None):
    generate(parse_args(argv))


if __name__ == "__main__":
    main()
