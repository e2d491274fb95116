#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Capture for the stream-scale benchmark (bench/scale.sh): N calls that are
all in progress at once, each with its two RTP streams, and only K RTP packets
per stream, so that a million streams still fit a file that net_pcap can
preload into mbufs.

Layout, chosen for `hepprobe --pcap F --loop` (the file replays forever):
  1. set-up: per call an INVITE with an SDP offer (caller -> callee), and
     with --answer its 200 OK with the SDP answer (callee -> caller). The
     offer alone announces the caller's endpoint, which binds both streams
     of the call (one is sent to it, the other from it). No BYE: dialogs and
     endpoints outlive the end of the file, so every later pass finds them
     in the tables (lookups, no creation).
  2. media: K rounds; round r carries packet r of every stream, stream after
     stream: consecutive packets of one stream are N*2 packets apart, as on a
     link that carries N concurrent calls, so a table lookup rarely hits a
     cache line the previous packet warmed.

Why not tests/gen/voipgen.py: its shortest call has 2 s of media (100 RTP
packets per stream, 100 M frames for 1 M streams), every call ends with a
BYE (the next pass would create every stream again), and its callee
endpoints repeat every 20 000 calls (a newer dialog takes the endpoint over).

Addresses: callers 10.0.0.0/8 (one per call), callees 198.18.0.0/15 (the
RFC 2544 benchmarking block) with a port that makes every callee endpoint
unique up to 1.3e9 calls. G.711 mu-law, 20 ms, payloads from a seeded PRNG
(not flat, so no flat-line events fire). Every IPv4 and UDP checksum is
right (RFC 791 3.1, RFC 768 with the RFC 1071 sum). Same arguments, same
bytes.

Size: with --no-huge every preloaded mbuf takes a 4 KB page (mempool
objects do not cross pages), so a pass of F frames needs about F * 4 KB of
EAL memory: 1 M streams with --rtp 1 and no answer are 1.5 M frames, 6 GB.

usage: scalecap.py --calls N [--rtp K] [--answer] --out FILE [--seed S]
"""

import argparse
import array
import random
import struct
import sys

PCAP_GLOBAL = struct.Struct("<IHHiIII")
PCAP_REC = struct.Struct("<IIII")
MAC_CALLER = bytes.fromhex("020000000a01")
MAC_CALLEE = bytes.fromhex("02000000c612")
PT_PCMU = 0
SAMPLES = 160
START_EPOCH = 1704067200
CALLEES = 131070          # hosts of 198.18.0.0/15 without .0.0 and .255.255
SWAP = sys.byteorder == "little"


def caller_ip(i):
    n = i + 1
    return bytes((10, n >> 16 & 255, n >> 8 & 255, n & 255))


def callee_ip(i):
    h = i % CALLEES + 1
    return bytes((198, 18 + (h >> 16), h >> 8 & 255, h & 255))


def caller_port(i):
    return 20000 + 2 * (i % 10000)


def callee_port(i):
    return 30000 + 2 * (i // CALLEES % 10000)


def ip_str(b):
    return "%d.%d.%d.%d" % tuple(b)


def mix32(x):
    """A 32-bit integer hash (murmur3 finaliser) for per-stream constants."""
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = x * 0x85EBCA6B & 0xFFFFFFFF
    x ^= x >> 13
    x = x * 0xC2B2AE35 & 0xFFFFFFFF
    return x ^ x >> 16


def ones_sum(b):
    """RFC 1071 sum of b as 16-bit words, not folded. Summing native-order
    words and swapping the folded result equals the big-endian sum
    (RFC 1071 2.(B), byte-order independence)."""
    if len(b) & 1:
        b += b"\0"
    s = sum(array.array("H", b))
    if SWAP:
        s = fold(s)
        s = (s >> 8 | s << 8) & 0xFFFF
    return s


def fold(s):
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def udp_frame(smac, dmac, src, dst, sport, dport, payload, ipid, tos):
    ulen = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    hdr0 = struct.pack("!HHHH", sport, dport, ulen, 0)
    cs = ~fold(ones_sum(pseudo + hdr0 + payload)) & 0xFFFF or 0xFFFF
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + ulen, ipid, 0x4000, 64, 17, 0, src, dst)
    ics = ~fold(ones_sum(iph)) & 0xFFFF
    iph = iph[:10] + struct.pack("!H", ics) + iph[12:]
    return dmac + smac + b"\x08\x00" + iph + struct.pack("!HHHH", sport, dport, ulen, cs) + payload


def sdp(user, addr, port):
    a = ip_str(addr)
    return ("v=0\r\no=%s 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
            % (user, a, a, port)).encode()


def sip(start, headers, body):
    h = [start] + ["%s: %s" % kv for kv in headers]
    h += ["Content-Type: application/sdp", "Content-Length: %d" % len(body)]
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def setup_frames(i, seed, answer):
    """INVITE (offer) and, with answer, the 200 OK (answer) of call i."""
    a, b = caller_ip(i), callee_ip(i)
    sa, sb = ip_str(a), ip_str(b)
    tag = "%08x" % mix32(i * 7 + seed)
    call_id = "sc%d-%08x@%s" % (i, mix32(i ^ seed << 20), sa)
    via = "SIP/2.0/UDP %s:5060;branch=z9hG4bK%08x" % (sa, mix32(i * 3 + seed))
    frm = "<sip:u%d@%s>;tag=%s" % (i, sa, tag)
    to = "<sip:c%d@%s>" % (i, sb)
    common = [("Via", via), ("From", frm)]
    inv = sip("INVITE sip:c%d@%s SIP/2.0" % (i, sb),
              common + [("To", to), ("Call-ID", call_id), ("CSeq", "1 INVITE"),
                        ("Max-Forwards", "70"), ("Contact", "<sip:u%d@%s:5060>" % (i, sa))],
              sdp("u%d" % i, a, caller_port(i)))
    ok = sip("SIP/2.0 200 OK",
             common + [("To", to + ";tag=%08x" % mix32(i * 11 + seed)), ("Call-ID", call_id),
                       ("CSeq", "1 INVITE"), ("Contact", "<sip:c%d@%s:5060>" % (i, sb))],
             sdp("c%d" % i, b, callee_port(i)))
    out = [udp_frame(MAC_CALLER, MAC_CALLEE, a, b, 5060, 5060, inv, i & 0xFFFF, 0x60)]
    if answer:
        out.append(udp_frame(MAC_CALLEE, MAC_CALLER, b, a, 5060, 5060, ok, i & 0xFFFF, 0x60))
    return out


class Media:
    """RTP frames built from precomputed parts: per packet only the header
    words that change enter the checksums (RFC 1624 style incremental sums)."""

    def __init__(self, seed):
        rng = random.Random("scalecap:%d" % seed)
        # mu-law bytes 0x10..0x6F and 0x90..0xEF: mid-level samples of both
        # signs, never a constant run.
        self.payloads = []
        for _ in range(8):
            p = bytes(rng.choice((0x10, 0x90)) + rng.randrange(0x60) for _ in range(SAMPLES))
            self.payloads.append((p, ones_sum(p)))

    def frame(self, i, d, r, seed):
        if d == 0:
            src, dst, sp, dp, smac, dmac = (caller_ip(i), callee_ip(i), caller_port(i),
                                            callee_port(i), MAC_CALLER, MAC_CALLEE)
        else:
            src, dst, sp, dp, smac, dmac = (callee_ip(i), caller_ip(i), callee_port(i),
                                            caller_port(i), MAC_CALLEE, MAC_CALLER)
        h = mix32(2 * i + d + seed * 0x9E3779B9)
        ssrc = mix32(h + 1)
        seq = (h & 0x7FFF) + r
        ts = (mix32(h + 2) & 0x7FFFFFFF) + SAMPLES * r
        payload, psum = self.payloads[(i + d + r) % len(self.payloads)]
        b1 = PT_PCMU | (0x80 if r == 0 else 0)
        rtp_hdr = struct.pack("!BBHII", 0x80, b1, seq, ts, ssrc)
        ulen = 8 + 12 + SAMPLES
        s = (ones_sum(src + dst) + 17 + ulen + sp + dp + ulen + ones_sum(rtp_hdr) + psum)
        cs = ~fold(s) & 0xFFFF or 0xFFFF
        ipid = (h + r) & 0xFFFF
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0xB8, 20 + ulen, ipid, 0x4000, 64, 17, 0, src, dst)
        ics = ~fold(ones_sum(iph)) & 0xFFFF
        return (dmac + smac + b"\x08\x00" + iph[:10] + struct.pack("!H", ics) + iph[12:] +
                struct.pack("!HHHH", sp, dp, ulen, cs) + rtp_hdr + payload)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, required=True, help="concurrent calls (2 streams each)")
    p.add_argument("--rtp", type=int, default=1, help="RTP packets per stream (default 1)")
    p.add_argument("--answer", action="store_true", help="also the 200 OK with the SDP answer")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if not 1 <= a.calls <= 16000000 or not 1 <= a.rtp <= 1000:
        p.error("need 1 <= --calls <= 16000000 and 1 <= --rtp <= 1000")
    media = Media(a.seed)
    rec = PCAP_REC.pack
    frames = 0
    with open(a.out, "wb", buffering=1 << 22) as f:
        f.write(PCAP_GLOBAL.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        # One microsecond per frame: a monotonic clock; replay rates come
        # from the replaying tool, never from these stamps.
        for i in range(a.calls):
            for fr in setup_frames(i, a.seed, a.answer):
                f.write(rec(START_EPOCH + frames // 1000000, frames % 1000000, len(fr), len(fr)))
                f.write(fr)
                frames += 1
        for r in range(a.rtp):
            for i in range(a.calls):
                for d in (0, 1):
                    fr = media.frame(i, d, r, a.seed)
                    f.write(rec(START_EPOCH + frames // 1000000, frames % 1000000, len(fr), len(fr)))
                    f.write(fr)
                    frames += 1
    print("scalecap: %d frames: %d calls, %d streams, %d SIP, %d RTP -> %s"
          % (frames, a.calls, 2 * a.calls, (2 if a.answer else 1) * a.calls, 2 * a.calls * a.rtp, a.out))


if __name__ == "__main__":
    main()
