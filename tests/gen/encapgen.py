#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic captures of SIP calls inside tunnels, over impaired TCP, in
impaired IP fragments, and among malformed frames, each with a JSON truth.

Python 3 standard library only (plus voipgen.py beside it for G.711 and the
RFC 1071 sum).  Same seed -> same bytes.  Classic pcap, LINKTYPE_ETHERNET,
microsecond timestamps.

Captures (CAPTURES below lists them with what each holds):
  gen_tun_<kind>   one SIP/UDP call (INVITE+SDP, 100, 180, 200+SDP, ACK, BYE,
                   200) and its two RTP streams (PCMU, 20 ms, 2 s each way),
                   every frame in both directions inside one encapsulation
  gen_tcp_sip      SIP over TCP 5060: two messages per segment, one message in
                   three segments, a retransmission, out-of-order segments, a
                   partial overlap, a segment lost from the capture (gap never
                   filled) and a connection whose capture starts mid-message
  gen_frag_ip      SIP in IPv4/IPv6 fragments: reversed, shuffled, duplicated,
                   overlapping (datagram dropped), never completed (timed
                   out), and a 2000-Via message in 41 fragments
  gen_malformed    a valid call, seeded junk (see JUNK_KINDS), a valid call

Truth (one JSON per capture):
  messages     the SIP a correct probe delivers: payload (base64), innermost
               src/dst/sport/dport, family (4/6), ip_proto (17/6), transport,
               call_id, first_frame and frame (1-based; frame = the frame
               after which every byte of the message has been captured)
  undelivered  SIP that is in the capture (whole or in part) but must not be
               delivered, with the reason (lost segment, mid-message start,
               overlapping fragments, missing last fragment)
  streams      RTP streams: src, dst ("ip:port", "[v6]:port"), ssrc, pt,
               packets, lost, call_id
  frames       frames in the capture; junk_frames / junk_by_kind for
               gen_malformed (frame numbers of the junk in junk_frame_list)

usage: encapgen.py [--seed S] [--only NAME] OUTDIR
       encapgen.py --list
"""

import argparse
import base64
import ipaddress
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import voipgen  # noqa: E402

START_EPOCH = 1704067200     # 2024-01-01T00:00:00Z
DEFAULT_SEED = 7
RTP_PACKETS = 100            # 2 s of 20 ms packets per direction
PCAP_GLOBAL = struct.Struct("<IHHiIII")
PCAP_REC = struct.Struct("<IIII")

ETH_IP4, ETH_IP6 = 0x0800, 0x86DD
ETH_VLAN, ETH_QINQ = 0x8100, 0x88A8
ETH_MPLS = 0x8847
ETH_PPPOE_S = 0x8864
ETH_TEB = 0x6558             # RFC 1701 transparent Ethernet bridging
ETH_PPP = 0x880B
ETH_ERSPAN12 = 0x88BE
ETH_ERSPAN3 = 0x22EB
IPP_IPIP, IPP_TCP, IPP_UDP, IPP_IP6, IPP_FRAG6, IPP_GRE = 4, 6, 17, 41, 44, 47
IP_DF = 0x4000
IP_MF = 0x2000
TCP_FIN, TCP_SYN, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x08, 0x10


def csum(b):
    return ~voipgen.fold(voipgen.words_sum(b)) & 0xFFFF


# ---------------------------------------------------------------------------
# Hosts, IP, UDP, TCP.

class Host:
    def __init__(self, text, rng):
        a = ipaddress.ip_address(text)
        self.text = text
        self.ip = a.packed
        self.fam = a.version
        # Locally administered unicast MAC derived from the address.
        self.mac = b"\x02\x00" + self.ip[-4:]
        self.ident = rng.getrandbits(16)   # IPv4 Identification / IPv6 fragment id

    def next_id(self):
        self.ident = (self.ident + 1) & 0xFFFF
        return self.ident

    @property
    def uri(self):
        return "[%s]" % self.text if self.fam == 6 else self.text

    def ep(self, port):
        return "%s:%d" % (self.uri, port)


def ipv4(src, dst, proto, payload, ident, frag=IP_DF, ttl=64, tos=0, total=None, vihl=0x45):
    tot = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", vihl, tos, tot, ident, frag, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(src, dst, nh, payload, hlim=64, plen=None, vtc=0x60000000):
    n = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", vtc, n, nh, hlim, src, dst) + payload


def pseudo(src, dst, proto, n):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, n)
    return src + dst + struct.pack("!IxxxB", n, proto)


def udp(src, dst, sport, dport, payload, ulen=None):
    n = 8 + len(payload) if ulen is None else ulen
    seg = struct.pack("!HHHH", sport, dport, n, 0) + payload
    c = csum(pseudo(src.ip, dst.ip, IPP_UDP, len(seg)) + seg) or 0xFFFF   # RFC 768
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp(src, dst, sport, dport, seq, ack, flags, payload, doff=5):
    """No options: doff other than 5 is written as given (malformed input)."""
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      doff << 4, flags, 64240, 0, 0) + payload
    c = csum(pseudo(src.ip, dst.ip, IPP_TCP, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ip_packet(src, dst, proto, l4, frag=IP_DF):
    if src.fam == 4:
        return ipv4(src.ip, dst.ip, proto, l4, src.next_id(), frag)
    return ipv6(src.ip, dst.ip, proto, l4)


def eth(dst_mac, src_mac, etype, payload):
    return dst_mac + src_mac + struct.pack("!H", etype) + payload


def ethertype(fam):
    return ETH_IP4 if fam == 4 else ETH_IP6


# ---------------------------------------------------------------------------
# Encapsulations: wrap an innermost IP packet into a whole Ethernet frame.

OUTER4 = ("203.0.113.1", "203.0.113.2")          # RFC 5737 TEST-NET-3
OUTER6 = ("2001:db8:ffff::1", "2001:db8:ffff::2")  # RFC 3849
INNER_MAC = (bytes.fromhex("0200aa000001"), bytes.fromhex("0200aa000002"))

# name: (inner family, what the frames carry)
TUNNELS = {
    "vlan3": (4, "802.1ad S-tag + two 802.1Q tags (3 deep) over IPv4"),
    "mpls_ip4": (4, "MPLS 2-label stack (RFC 3032) with an IPv4 payload"),
    "mpls_ip6": (6, "MPLS 2-label stack (RFC 3032) with an IPv6 payload"),
    "pppoe": (4, "PPPoE session (RFC 2516, ethertype 0x8864), PPP protocol 0x0021"),
    "gre_keyseq": (4, "GRE (RFC 2890) with key and sequence number, IPv4 over IPv4"),
    "gre_ip6": (6, "GRE (RFC 2784) protocol 0x86DD over IPv4, carrying IPv6"),
    "gre_teb": (4, "GRE 0x6558 transparent Ethernet bridging: Ethernet+IPv4 inside"),
    "gre_ppp": (4, "enhanced GRE version 1 (RFC 2637 PPTP) 0x880B with key and "
                   "sequence, PPP FF 03 0x0021, IPv4"),
    "erspan1": (4, "ERSPAN type I: GRE 0x88BE without sequence number, Ethernet inside"),
    "erspan2": (4, "ERSPAN type II: GRE 0x88BE with sequence, 8-byte ERSPAN header"),
    "erspan3": (4, "ERSPAN type III: GRE 0x22EB with sequence, 12-byte ERSPAN header"),
    "vxlan": (4, "VXLAN (RFC 7348, UDP 4789), inner Ethernet with an 802.1Q tag"),
    "geneve": (4, "Geneve (RFC 8926, UDP 6081) with one 8-byte option, inner Ethernet"),
    "gtpu": (4, "GTP-U v1 G-PDU (UDP 2152), no optional fields, IPv4 inside"),
    "gtpu_ext": (4, "GTP-U v1 G-PDU with a PDU Session Container extension header"),
    "ipip": (4, "IPv4-in-IPv4 (RFC 2003, protocol 4)"),
    "ip6in4": (6, "IPv6-in-IPv4 (RFC 4213, protocol 41)"),
    "ip6in6": (6, "IPv6-in-IPv6 (RFC 2473, next header 41)"),
}


def gre_hdr(proto, key=None, seq=None, ver=0):
    flags = (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0) | ver
    h = struct.pack("!HH", flags, proto)
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h


def mpls_label(label, bos, ttl=64, tc=0):
    return struct.pack("!I", label << 12 | tc << 9 | (1 if bos else 0) << 8 | ttl)


class Tunnel:
    def __init__(self, kind, rng):
        self.kind = kind
        self.rng = rng
        self.o4 = [Host(a, rng) for a in OUTER4]
        self.o6 = [Host(a, rng) for a in OUTER6]
        self.seq = [0, 0]                       # GRE / ERSPAN sequence per direction
        self.gtp_seq = 0
        self.teid = (rng.getrandbits(32), rng.getrandbits(32))

    def _outer4(self, d, proto, payload):
        a, b = self.o4[d], self.o4[1 - d]
        return eth(b.mac, a.mac, ETH_IP4, ipv4(a.ip, b.ip, proto, payload, a.next_id()))

    def _outer_udp4(self, d, sport, dport, payload):
        a, b = self.o4[d], self.o4[1 - d]
        return self._outer4(d, IPP_UDP, udp(a, b, sport, dport, payload))

    def _next_seq(self, d):
        self.seq[d] += 1
        return self.seq[d]

    def wrap(self, l3, fam, d):
        """d = 0: caller -> callee, 1: the reverse."""
        k = self.kind
        et = ethertype(fam)
        inner_eth = eth(INNER_MAC[1 - d], INNER_MAC[d], et, l3)
        a, b = self.o4[d], self.o4[1 - d]
        if k == "vlan3":
            tags = (struct.pack("!HH", 100, ETH_VLAN) + struct.pack("!HH", 200, ETH_VLAN) +
                    struct.pack("!HH", 5 << 13 | 300, et))
            return eth(b.mac, a.mac, ETH_QINQ, tags + l3)
        if k in ("mpls_ip4", "mpls_ip6"):
            return eth(b.mac, a.mac, ETH_MPLS,
                       mpls_label(1000 + d, False) + mpls_label(16 + d, True) + l3)
        if k == "pppoe":
            ppp = struct.pack("!H", 0x0021 if fam == 4 else 0x0057) + l3
            return eth(b.mac, a.mac, ETH_PPPOE_S, struct.pack("!BBHH", 0x11, 0, 0x1234, len(ppp)) + ppp)
        if k == "gre_keyseq":
            return self._outer4(d, IPP_GRE, gre_hdr(et, key=0x00C0FFEE, seq=self._next_seq(d)) + l3)
        if k == "gre_ip6":
            return self._outer4(d, IPP_GRE, gre_hdr(et) + l3)
        if k == "gre_teb":
            return self._outer4(d, IPP_GRE, gre_hdr(ETH_TEB) + inner_eth)
        if k == "gre_ppp":
            ppp = b"\xff\x03" + struct.pack("!H", 0x0021) + l3
            # RFC 2637 4.1: the key field is payload length and call id.
            key = len(ppp) << 16 | (0x4A00 + d)
            return self._outer4(d, IPP_GRE, gre_hdr(ETH_PPP, key=key, seq=self._next_seq(d), ver=1) + ppp)
        if k == "erspan1":
            return self._outer4(d, IPP_GRE, gre_hdr(ETH_ERSPAN12) + inner_eth)
        if k == "erspan2":
            # ver 1 | vlan 0; cos 0, en 0, t 0, session 0x155; reserved, index 7
            hdr = struct.pack("!HHI", 1 << 12, 0x155, 7)
            return self._outer4(d, IPP_GRE, gre_hdr(ETH_ERSPAN12, seq=self._next_seq(d)) + hdr + inner_eth)
        if k == "erspan3":
            # ver 2 | vlan 0; session 0x2AA; timestamp; sgt 0, p 0, ft 0, hw 1, d 0, gra 1, o 0
            ts = self._next_seq(d) * 20000
            hdr = struct.pack("!HHIHH", 2 << 12, 0x2AA, ts & 0xFFFFFFFF, 0, 1 << 4 | 1 << 1)
            return self._outer4(d, IPP_GRE, gre_hdr(ETH_ERSPAN3, seq=self.seq[d]) + hdr + inner_eth)
        if k == "vxlan":
            tagged = (INNER_MAC[1 - d] + INNER_MAC[d] + struct.pack("!HHH", ETH_VLAN, 42, et) + l3)
            hdr = struct.pack("!BxxxI", 0x08, 5001 << 8)
            return self._outer_udp4(d, 49152 + d * 17, 4789, hdr + tagged)
        if k == "geneve":
            # One 4-byte option of type 1: critical bit clear (RFC 8926 3.5),
            # so no receiver may drop the packet for not knowing it.
            opt = struct.pack("!HBB", 0x0102, 0x01, 1) + struct.pack("!I", 0xDEADBEEF)
            hdr = struct.pack("!BBHI", len(opt) // 4, 0, ETH_TEB, 7001 << 8) + opt
            return self._outer_udp4(d, 50000 + d * 31, 6081, hdr + inner_eth)
        if k == "gtpu":
            hdr = struct.pack("!BBHI", 0x30, 0xFF, len(l3), self.teid[d])
            return self._outer_udp4(d, 2152, 2152, hdr + l3)
        if k == "gtpu_ext":
            self.gtp_seq += 1
            # TS 29.281 5.2: E flag -> seq, N-PDU, next type 0x85 (PDU Session
            # Container, TS 38.415: length 1 word, PDU type 1 UL, QFI 9, next 0).
            opt = struct.pack("!HBB", self.gtp_seq & 0xFFFF, 0, 0x85) + bytes([1, 0x10, 9, 0])
            hdr = struct.pack("!BBHI", 0x34, 0xFF, len(opt) + len(l3), self.teid[d]) + opt
            return self._outer_udp4(d, 2152, 2152, hdr + l3)
        if k == "ipip":
            return self._outer4(d, IPP_IPIP, l3)
        if k == "ip6in4":
            return self._outer4(d, IPP_IP6, l3)
        if k == "ip6in6":
            a6, b6 = self.o6[d], self.o6[1 - d]
            return eth(b6.mac, a6.mac, ETH_IP6, ipv6(a6.ip, b6.ip, IPP_IP6, l3))
        if k == "plain":
            return eth(INNER_MAC[1 - d], INNER_MAC[d], et, l3)
        raise ValueError(k)


# ---------------------------------------------------------------------------
# Capture: frames with the byte ranges they carry, truth assembled at the end.

class Frame:
    __slots__ = ("t", "order", "data", "origlen", "seg", "index", "junk")


class Capture:
    def __init__(self, name, seed, description):
        self.name = name
        self.description = description
        self.seed = seed
        self.frames = []
        self.messages = []
        self.undelivered = []
        self.streams = []
        self.base = START_EPOCH * 1000000
        self.sids = 0

    def new_sid(self):
        self.sids += 1
        return (self.name, self.sids)

    def add(self, t_us, data, seg=None, origlen=None, junk=None):
        """seg = (stream id, start, end): the part of a message byte stream
        (a TCP direction, an IP datagram, a UDP datagram) this frame carries."""
        f = Frame()
        f.t, f.order, f.data = int(t_us), len(self.frames), data
        f.origlen = len(data) if origlen is None else origlen
        f.seg, f.index, f.junk = seg, None, junk
        self.frames.append(f)
        return f

    def message(self, payload, src, dst, sport, dport, proto, call_id, span):
        """A message a correct probe delivers; span = (stream id, start, end)."""
        self.messages.append(dict(payload=payload, src=src, dst=dst, sport=sport, dport=dport,
                                  proto=proto, call_id=call_id, span=span))

    def lost(self, payload, call_id, span, reason):
        self.undelivered.append(dict(payload=payload, call_id=call_id, span=span, reason=reason))

    def _coverage(self, span):
        """(first frame, completing frame) of a span, or (first, None)."""
        sid, s, e = span
        have = []
        first = None
        for f in self.frames:
            if f.seg is None or f.seg[0] != sid or f.seg[2] <= s or f.seg[1] >= e:
                continue
            if first is None:
                first = f.index
            have.append((max(s, f.seg[1]), min(e, f.seg[2])))
            have.sort()
            pos = s
            for a, b in have:
                if a > pos:
                    break
                pos = max(pos, b)
            if pos >= e:
                return first, f.index
        return first, None

    def write(self, outdir):
        self.frames.sort(key=lambda f: (f.t, f.order))
        for i, f in enumerate(self.frames):
            f.index = i + 1
        path = os.path.join(outdir, self.name + ".pcap")
        with open(path, "wb") as fh:
            fh.write(PCAP_GLOBAL.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for f in self.frames:
                sec, us = divmod(self.base + f.t, 1000000)
                fh.write(PCAP_REC.pack(sec, us, len(f.data), f.origlen))
                fh.write(f.data)
        msgs = []
        for m in self.messages:
            first, done = self._coverage(m["span"])
            if done is None:
                raise AssertionError("%s: delivered message not in the capture" % self.name)
            src, dst = m["src"], m["dst"]
            msgs.append({"frame": done, "first_frame": first, "call_id": m["call_id"],
                         "transport": "tcp" if m["proto"] == IPP_TCP else "udp",
                         "ip_proto": m["proto"], "family": src.fam,
                         "src": src.text, "dst": dst.text, "sport": m["sport"], "dport": m["dport"],
                         "length": len(m["payload"]),
                         "payload_b64": base64.b64encode(m["payload"]).decode()})
        und = []
        for u in self.undelivered:
            sid = u["span"][0]
            frames = sorted({f.index for f in self.frames if f.seg is not None and f.seg[0] == sid
                             and f.seg[1] < u["span"][2] and f.seg[2] > u["span"][1]})
            und.append({"reason": u["reason"], "call_id": u["call_id"], "frames": frames,
                        "length": len(u["payload"]),
                        "payload_b64": base64.b64encode(u["payload"]).decode()})
        junk = [f.index for f in self.frames if f.junk]
        by_kind = {}
        for f in self.frames:
            if f.junk:
                by_kind[f.junk] = by_kind.get(f.junk, 0) + 1
        doc = {"generator": "encapgen 1", "name": self.name, "seed": self.seed,
               "description": self.description,
               "pcap": {"linktype": 1, "tsresol": "us", "start_epoch": START_EPOCH},
               "definitions": {
                   "frame": "1-based frame after which every byte of the message is in the capture",
                   "first_frame": "1-based first frame carrying a byte of the message",
                   "lost": "expected - packets (RFC 3550 A.3); 0: nothing lost",
               },
               "frames": len(self.frames),
               "messages": msgs, "undelivered": und, "streams": self.streams}
        if by_kind:
            doc["junk_frames"] = len(junk)
            doc["junk_by_kind"] = dict(sorted(by_kind.items()))
            doc["junk_frame_list"] = junk
        with open(os.path.join(outdir, self.name + ".json"), "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
        return doc


# ---------------------------------------------------------------------------
# SIP and SDP (RFC 3261, RFC 4566).

def token(rng, n):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def sdp(host, port, sess, extra_lines=0):
    ipv = "IP4" if host.fam == 4 else "IP6"
    lines = ["v=0", "o=- %d 1 IN %s %s" % (sess, ipv, host.text), "s=call",
             "c=IN %s %s" % (ipv, host.text), "t=0 0",
             "m=audio %d RTP/AVP 0 101" % port, "a=rtpmap:0 PCMU/8000",
             "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20"]
    # A large offer: ICE candidates (RFC 8839) as a browser gateway sends them.
    for i in range(extra_lines):
        lines.append("a=candidate:%d 1 UDP %d 10.%d.%d.%d %d typ host generation 0"
                     % (i + 1, 2130706431 - i, i % 7, (i * 13) % 250, (i * 29) % 250 + 1,
                        20000 + 2 * i))
    lines.append("a=sendrecv")
    return ("\r\n".join(lines) + "\r\n").encode()


def sip_msg(start, headers, body=b""):
    h = [start] + ["%s: %s" % kv for kv in headers]
    if body:
        h.append("Content-Type: application/sdp")
    h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


class Call:
    """One dialog: INVITE (offer), 100, 180, 200 (answer), ACK, BYE, 200."""

    def __init__(self, rng, a, b, transport="UDP", a_port=5060, b_port=5060, big_sdp=0):
        self.rng, self.a, self.b = rng, a, b
        self.call_id = "%s@%s" % (token(rng, 20), a.text)
        self.ftag, self.ttag = token(rng, 10), token(rng, 10)
        self.a_port, self.b_port = a_port, b_port
        self.media = (2 * rng.randint(8000, 15000), 2 * rng.randint(15001, 30000))
        self.transport = transport
        via = "SIP/2.0/%s %s;branch=z9hG4bK%s;rport" % (transport, a.ep(a_port), token(rng, 12))
        frm = '"Alice" <sip:alice@example.com>;tag=%s' % self.ftag
        to = "<sip:bob@example.net>"
        to_t = "%s;tag=%s" % (to, self.ttag)
        b_contact = "<sip:bob@%s;transport=%s>" % (b.ep(b_port), transport.lower())
        a_contact = "<sip:alice@%s;transport=%s>" % (a.ep(a_port), transport.lower())
        cseq = rng.randint(1, 9000)
        common = [("Call-ID", self.call_id)]
        offer = sdp(a, self.media[0], rng.getrandbits(31), big_sdp)
        answer = sdp(b, self.media[1], rng.getrandbits(31))
        self.msgs = [
            (0, "INVITE", sip_msg("INVITE sip:bob@example.net SIP/2.0", [
                ("Via", via), ("Max-Forwards", "70"), ("From", frm), ("To", to)] + common + [
                ("CSeq", "%d INVITE" % cseq), ("Contact", a_contact)], offer)),
            (1, "100", sip_msg("SIP/2.0 100 Trying", [("Via", via), ("From", frm), ("To", to)] +
                               common + [("CSeq", "%d INVITE" % cseq)])),
            (1, "180", sip_msg("SIP/2.0 180 Ringing", [("Via", via), ("From", frm), ("To", to_t)] +
                               common + [("CSeq", "%d INVITE" % cseq), ("Contact", b_contact)])),
            (1, "200", sip_msg("SIP/2.0 200 OK", [("Via", via), ("From", frm), ("To", to_t)] +
                               common + [("CSeq", "%d INVITE" % cseq), ("Contact", b_contact)],
                               answer)),
            (0, "ACK", sip_msg("ACK %s SIP/2.0" % b_contact[1:-1].split(";")[0], [
                ("Via", via.replace("branch=z9hG4bK", "branch=z9hG4bKa")), ("Max-Forwards", "70"),
                ("From", frm), ("To", to_t)] + common + [("CSeq", "%d ACK" % cseq)])),
            (0, "BYE", sip_msg("BYE %s SIP/2.0" % b_contact[1:-1].split(";")[0], [
                ("Via", via.replace("branch=z9hG4bK", "branch=z9hG4bKb")), ("Max-Forwards", "70"),
                ("From", frm), ("To", to_t)] + common + [("CSeq", "%d BYE" % (cseq + 1))])),
            (1, "200", sip_msg("SIP/2.0 200 OK", [
                ("Via", via.replace("branch=z9hG4bK", "branch=z9hG4bKb")), ("From", frm),
                ("To", to_t)] + common + [("CSeq", "%d BYE" % (cseq + 1))])),
        ]

    def hosts(self, d):
        return (self.a, self.b) if d == 0 else (self.b, self.a)

    def ports(self, d):
        return (self.a_port, self.b_port) if d == 0 else (self.b_port, self.a_port)


def ok_for(req):
    """The 200 to a request: its Via, From, To (tagged), Call-ID, CSeq."""
    lines = req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    keep = [ln for ln in lines if ln.split(b":", 1)[0].lower() in (b"via", b"v", b"from", b"call-id",
                                                                  b"cseq")]
    to = [ln for ln in lines if ln.startswith(b"To:")][0] + b";tag=ok%d" % len(req)
    return b"\r\n".join([b"SIP/2.0 200 OK"] + keep + [to, b"Content-Length: 0"]) + b"\r\n\r\n"


def standalone(rng, a, b, method, body_len, transport="UDP", vias=1, sport=5060, dport=5060):
    """An out-of-dialog request (MESSAGE, OPTIONS, INFO) of a chosen size."""
    call_id = "%s@%s" % (token(rng, 16), a.text)
    hdrs = []
    for i in range(vias):
        # Compact Via (RFC 3261 7.3.3): many hops of a long proxy chain.
        hdrs.append(("v", "SIP/2.0/%s h%05d.ex.net" % (transport, i))
                    if i else ("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s"
                               % (transport, a.ep(sport), token(rng, 12))))
    hdrs += [("Max-Forwards", "70"), ("From", "<sip:alice@example.com>;tag=%s" % token(rng, 8)),
             ("To", "<sip:bob@example.net>"), ("Call-ID", call_id),
             ("CSeq", "%d %s" % (rng.randint(1, 9000), method))]
    body = b""
    if body_len:
        words = []
        n = 0
        while n < body_len:
            w = token(rng, rng.randint(2, 9))
            words.append(w)
            n += len(w) + 1
        body = " ".join(words).encode()[:body_len]
        hdrs.append(("Content-Type", "text/plain"))
    h = ["%s sip:bob@example.net SIP/2.0" % method] + ["%s: %s" % kv for kv in hdrs]
    h.append("Content-Length: %d" % len(body))
    return call_id, ("\r\n".join(h) + "\r\n\r\n").encode() + body


# ---------------------------------------------------------------------------
# RTP (RFC 3550) with PCMU noise payloads.

class Audio:
    def __init__(self, seed):
        rng = random.Random("audio:%d" % seed)
        enc = voipgen.encoder("PCMU")
        lin = voipgen.synth_noise(rng, 2.0, -30.0)
        data = bytes(enc[x & 0xFFFF] for x in lin)
        self.frames = [data[i:i + 160] for i in range(0, len(data) - 159, 160)]


def rtp_stream(cap, rng, audio, call, d, t0, send, n=RTP_PACKETS):
    src, dst = call.hosts(d)
    sport, dport = call.media[d], call.media[1 - d]
    ssrc = rng.getrandbits(32)
    seq, ts = rng.randint(0, 60000), rng.getrandbits(31)
    for k in range(n):
        hdr = struct.pack("!BBHII", 0x80, (0x80 if k == 0 else 0) | 0, (seq + k) & 0xFFFF,
                          (ts + 160 * k) & 0xFFFFFFFF, ssrc)
        pkt = ip_packet(src, dst, IPP_UDP, udp(src, dst, sport, dport,
                                               hdr + audio.frames[k % len(audio.frames)]))
        send(t0 + 20000 * k + rng.randint(0, 400), pkt, src.fam, d)
    cap.streams.append({"src": src.ep(sport), "dst": dst.ep(dport), "ssrc": ssrc, "pt": 0,
                        "packets": n, "lost": 0, "call_id": call.call_id})


def udp_call(cap, rng, audio, call, t0, send, media=True):
    """The call's SIP as plain UDP datagrams through send(t, l3, fam, d,
    seg); RTP between the 200's ACK and the BYE.  Returns the end time."""
    t = t0
    for d, name, payload in call.msgs:
        src, dst = call.hosts(d)
        sport, dport = call.ports(d)
        sid = cap.new_sid()
        pkt = ip_packet(src, dst, IPP_UDP, udp(src, dst, sport, dport, payload))
        send(t, pkt, src.fam, d, (sid, 0, 1))
        cap.message(payload, src, dst, sport, dport, IPP_UDP, call.call_id, (sid, 0, 1))
        if name == "ACK" and media:
            rtp_stream(cap, rng, audio, call, 0, t + 10000, send)
            rtp_stream(cap, rng, audio, call, 1, t + 15000, send)
            t += RTP_PACKETS * 20000 + 60000
        else:
            t += rng.randint(2000, 80000)
    return t


def tunnel_sender(cap, tun):
    def send(t, l3, fam, d, seg=None):
        cap.add(t, tun.wrap(l3, fam, d), seg)
    return send


def hosts_for(rng, fam, n=0):
    if fam == 4:
        return Host("192.0.2.%d" % (10 + n), rng), Host("198.51.100.%d" % (20 + n), rng)
    return Host("2001:db8:1::%x" % (0xa + n), rng), Host("2001:db8:2::%x" % (0xb + n), rng)


def build_tunnel(kind, seed, audio):
    fam, what = TUNNELS[kind]
    rng = random.Random("tun:%d:%s" % (seed, kind))
    cap = Capture("gen_tun_" + kind, seed, what + "; one SIP/UDP call, RTP 2 s each way")
    a, b = hosts_for(rng, fam)
    udp_call(cap, rng, audio, Call(rng, a, b), 100000, tunnel_sender(cap, Tunnel(kind, rng)))
    return cap


# ---------------------------------------------------------------------------
# SIP over TCP with segment impairments.

class TcpConn:
    """Both directions' byte streams; segments are ranges of them.  A range
    marked lost consumes sequence space but is not written (capture loss:
    the peer got it, so its ACKs cover it)."""

    def __init__(self, cap, rng, cli, srv, cport, sport=5060):
        self.cap, self.cli, self.srv = cap, cli, srv
        self.port = (cport, sport)
        self.isn = (rng.getrandbits(32), rng.getrandbits(32))
        self.data = [b"", b""]
        self.sent = [0, 0]          # highest stream offset sent per direction
        self.fin = [False, False]
        self.sid = (("tcp", cap.name, cport, 0), ("tcp", cap.name, cport, 1))

    def hosts(self, d):
        return (self.cli, self.srv) if d == 0 else (self.srv, self.cli)

    def queue(self, d, payload, call_id, deliver=True, reason=None):
        """Appends a message to direction d's stream; returns its offsets."""
        s = len(self.data[d])
        self.data[d] += payload
        span = (self.sid[d], s, s + len(payload))
        src, dst = self.hosts(d)
        if deliver:
            self.cap.message(payload, src, dst, self.port[d], self.port[1 - d], IPP_TCP,
                             call_id, span)
        else:
            self.cap.lost(payload, call_id, span, reason)
        return s, s + len(payload)

    def _seg(self, t, d, flags, start, end, payload, lost=False):
        src, dst = self.hosts(d)
        seq = self.isn[d] + 1 + start
        ack = self.isn[1 - d] + 1 + self.sent[1 - d] + (1 if self.fin[1 - d] else 0)
        if flags & TCP_SYN:
            seq = self.isn[d]
            ack = self.isn[1 - d] + 1 if flags & TCP_ACK else 0
        self.sent[d] = max(self.sent[d], end)
        if lost:
            return None
        pkt = ip_packet(src, dst, IPP_TCP, tcp(src, dst, self.port[d], self.port[1 - d],
                                               seq, ack, flags, payload))
        return self.cap.add(t, eth(INNER_MAC[1 - d], INNER_MAC[d], ethertype(src.fam), pkt),
                            (self.sid[d], start, end) if end > start else None)

    def handshake(self, t):
        self._seg(t, 0, TCP_SYN, 0, 0, b"")
        self._seg(t + 300, 1, TCP_SYN | TCP_ACK, 0, 0, b"")
        self._seg(t + 600, 0, TCP_ACK, 0, 0, b"")

    def send(self, t, d, start, end, lost=False):
        return self._seg(t, d, TCP_PSH | TCP_ACK, start, end, self.data[d][start:end], lost)

    def ack(self, t, d):
        self._seg(t, d, TCP_ACK, self.sent[d], self.sent[d], b"")

    def close(self, t):
        end0, end1 = len(self.data[0]), len(self.data[1])
        self._seg(t, 0, TCP_FIN | TCP_ACK, end0, end0, b"")
        self.fin[0] = True
        self._seg(t + 300, 1, TCP_FIN | TCP_ACK, end1, end1, b"")
        self.fin[1] = True
        self.sent[0] += 1
        self._seg(t + 600, 0, TCP_ACK, end0 + 1, end0 + 1, b"")


def build_tcp(seed, audio):
    rng = random.Random("tcp:%d" % seed)
    cap = Capture("gen_tcp_sip", seed,
                  "SIP over TCP 5060: a call (INVITE in 3 segments, 100+180 in one segment, "
                  "200 in 2 segments out of order, ACK retransmitted, BYE in 2 partly "
                  "overlapping segments) with RTP; a connection with a segment lost from the "
                  "capture (2 messages cut, later ones recovered at the next message start); "
                  "a connection whose capture starts mid-message; an OPTIONS over UDP 90 s later")

    # Connection A: the call.
    a, b = hosts_for(rng, 4)
    call = Call(rng, a, b, "TCP", a_port=rng.randint(40000, 60000))
    ca = TcpConn(cap, rng, a, b, call.a_port)
    t = 100000
    ca.handshake(t)
    t += 2000
    off = {}
    for i, (d, _, payload) in enumerate(call.msgs):
        off[i] = ca.queue(d, payload, call.call_id)
    s, e = off[0]                                   # INVITE over 3 segments
    c1, c2 = s + (e - s) // 3, s + 2 * (e - s) // 3
    for x, y in ((s, c1), (c1, c2), (c2, e)):
        ca.send(t, 0, x, y)
        t += 150
    t += 3000
    ca.send(t, 1, off[1][0], off[2][1])             # 100 + 180 in one segment
    t += 40000
    s, e = off[3]                                   # 200 OK: second half first
    mid = s + (e - s) // 2
    ca.send(t, 1, mid, e)
    ca.send(t + 200, 1, s, mid)
    t += 5000
    s, e = off[4]
    ca.send(t, 0, s, e)                              # ACK, retransmitted
    ca.send(t + 200000, 0, s, e)
    rtp_send = tunnel_sender(cap, Tunnel("plain", rng))
    rtp_stream(cap, rng, audio, call, 0, t + 10000, rtp_send)
    rtp_stream(cap, rng, audio, call, 1, t + 15000, rtp_send)
    t += RTP_PACKETS * 20000 + 60000
    s, e = off[5]                                   # BYE: [s, s+2/3) then [s+1/3, e)
    ca.send(t, 0, s, s + 2 * (e - s) // 3)
    ca.send(t + 300, 0, s + (e - s) // 3, e)
    t += 3000
    ca.send(t, 1, off[6][0], off[6][1])
    t += 1000
    ca.close(t)

    # Connection B: requests M1..M6 and their 200s; the capture missed the
    # segment holding M2's tail and M3's head (the server got it and answers,
    # so its ACKs cover the hole: capture loss, not network loss).
    c, srv = hosts_for(rng, 4, 1)
    cb = TcpConn(cap, rng, c, srv, rng.randint(40000, 60000))
    t = 300000
    cb.handshake(t)
    t += 2000
    reqs = [standalone(rng, c, srv, ("OPTIONS", "MESSAGE", "INFO")[i % 3],
                       rng.randint(120, 400) if i % 3 else 0, "TCP", sport=cb.port[0])
            for i in range(6)]
    off = [cb.queue(0, p, cid, deliver=i not in (1, 2),
                    reason="cut by the segment lost from the capture")
           for i, (cid, p) in enumerate(reqs)]
    cut2 = (off[1][0] + off[1][1]) // 2
    cut3 = (off[2][0] + off[2][1]) // 2
    # (client range, lost, requests the server answers after it in one segment)
    plan = [(off[0][0], off[0][1], False, [0]), (off[1][0], cut2, False, []),
            (cut2, cut3, True, []), (cut3, off[2][1], False, [1, 2]),
            (off[3][0], off[3][1], False, [3]), (off[4][0], off[5][1], False, [4, 5])]
    for x, y, lost, answers in plan:
        cb.send(t, 0, x, y, lost)
        t += 2000
        if answers:
            rs = [cb.queue(1, ok_for(reqs[k][1]), reqs[k][0]) for k in answers]
            cb.send(t, 1, rs[0][0], rs[-1][1])
            t += 1500
    cb.close(t + 20000)

    # Connection C: the capture starts inside a MESSAGE (its head was sent
    # before the capture began); then an OPTIONS and its 200 in full.
    c, srv = hosts_for(rng, 4, 2)
    cc = TcpConn(cap, rng, c, srv, rng.randint(40000, 60000))
    cid0, p0 = standalone(rng, c, srv, "MESSAGE", 300, "TCP", sport=cc.port[0])
    s0 = cc.queue(0, p0, cid0, deliver=False, reason="capture starts inside this message")
    cid1, p1 = standalone(rng, c, srv, "OPTIONS", 0, "TCP", sport=cc.port[0])
    s1 = cc.queue(0, p1, cid1)
    s2 = cc.queue(1, ok_for(p1), cid1)
    t = 50000
    cut = s0[0] + 2 * (s0[1] - s0[0]) // 3
    cc.send(t - 40000, 0, s0[0], cut, lost=True)     # before the capture
    cc.send(t, 0, cut, s0[1])
    cc.send(t + 30000, 0, s1[0], s1[1])
    cc.send(t + 32000, 1, s2[0], s2[1])
    cc.close(t + 50000)

    # 90 s later an OPTIONS over UDP: capture time passes any reassembly
    # timeout a probe may use to give up on connection B's hole, so a probe
    # that resynchronises on a timer rather than at once or at the end of the
    # capture is judged on the same truth.
    c, srv = hosts_for(rng, 4, 3)
    cid, p = standalone(rng, c, srv, "OPTIONS", 0)
    sid = cap.new_sid()
    send = tunnel_sender(cap, Tunnel("plain", rng))
    send(90000000, ip_packet(c, srv, IPP_UDP, udp(c, srv, 5060, 5060, p)), 4, 0, (sid, 0, 1))
    cap.message(p, c, srv, 5060, 5060, IPP_UDP, cid, (sid, 0, 1))
    return cap


# ---------------------------------------------------------------------------
# IP fragments (RFC 791 section 3.2, RFC 8200 section 4.5).

def frags4(src, dst, l4, ident, ranges):
    """IPv4 fragments of one UDP datagram over the given byte ranges
    (offsets multiples of 8); MF set on all but the range ending the datagram."""
    out = []
    for s, e in ranges:
        mf = IP_MF if e < len(l4) else 0
        out.append((s, e, ipv4(src.ip, dst.ip, IPP_UDP, l4[s:e], ident, mf | (s >> 3))))
    return out


def frags6(src, dst, l4, ident, ranges):
    out = []
    for s, e in ranges:
        m = 1 if e < len(l4) else 0
        fh = struct.pack("!BBHI", IPP_UDP, 0, s | m, ident)
        out.append((s, e, ipv6(src.ip, dst.ip, IPP_FRAG6, fh + l4[s:e])))
    return out


def even_ranges(n, size):
    return [(i, min(n, i + size)) for i in range(0, n, size)]


def build_frag(seed, audio):
    rng = random.Random("frag:%d" % seed)
    cap = Capture("gen_frag_ip", seed,
                  "SIP in fragments: IPv4 INVITE (big SDP) fragments reversed, IPv6 INVITE "
                  "fragments shuffled (both calls with RTP), a duplicated fragment, "
                  "overlapping IPv4 and IPv6 pairs (datagrams dropped), a datagram whose last "
                  "fragment never comes (timed out), a 2000-Via OPTIONS in 41 IPv4 fragments")
    send = tunnel_sender(cap, Tunnel("plain", rng))

    def frag_send(t, src, dst, payload, how, call_id, deliver=True, reason=None):
        l4 = udp(src, dst, 5060, 5060, payload)
        sid = ("frag", src.text, src.next_id())
        size = 1480 if src.fam == 4 else 1448
        ranges = even_ranges(len(l4), size)
        if how == "overlap":
            # The second fragment starts 80 bytes inside the first (same bytes).
            ranges = [(0, size), (size - 80, 2 * size - 80), (2 * size - 80, len(l4))]
        mk = frags4 if src.fam == 4 else frags6
        fr = mk(src, dst, l4, sid[2] if src.fam == 4 else rng.getrandbits(32), ranges)
        if how == "reverse":
            fr.reverse()
        elif how == "shuffle":
            order = list(range(len(fr)))
            while order == sorted(order) or order == sorted(order, reverse=True):
                rng.shuffle(order)
            fr = [fr[i] for i in order]
        elif how == "dup":
            fr.insert(2, fr[1])
        elif how == "nolast":
            fr = fr[:-1]
        if how == "even" and len(fr) != 41:
            raise AssertionError("2000-Via message in %d fragments, not 41" % len(fr))
        for s, e, pkt in fr:
            send(t, pkt, src.fam, 0, (sid, s, e))
            t += 40
        span = (sid, 0, len(l4))
        if deliver:
            cap.message(payload, src, dst, 5060, 5060, IPP_UDP, call_id, span)
        else:
            cap.lost(payload, call_id, span, reason)
        return t

    def frag_call(t, fam, n, how):
        """A call whose INVITE (big SDP) goes in fragments sent `how`."""
        a, b = hosts_for(rng, fam, n)
        call = Call(rng, a, b, big_sdp=60)
        invite = call.msgs[0][2]
        t = frag_send(t, a, b, invite, how, call.call_id) + 30000
        for d, name, payload in call.msgs[1:]:
            src, dst = call.hosts(d)
            sid = cap.new_sid()
            send(t, ip_packet(src, dst, IPP_UDP, udp(src, dst, 5060, 5060, payload)),
                 src.fam, d, (sid, 0, 1))
            cap.message(payload, src, dst, 5060, 5060, IPP_UDP, call.call_id, (sid, 0, 1))
            if name == "ACK":
                rtp_stream(cap, rng, audio, call, 0, t + 10000, send)
                rtp_stream(cap, rng, audio, call, 1, t + 15000, send)
                t += RTP_PACKETS * 20000 + 60000
            else:
                t += rng.randint(2000, 50000)
        return t

    t = frag_call(100000, 4, 0, "reverse")
    t = frag_call(t + 100000, 6, 1, "shuffle")
    a, b = hosts_for(rng, 4, 2)
    cid, p = standalone(rng, a, b, "MESSAGE", 3500)
    t = frag_send(t + 50000, a, b, p, "dup", cid)
    cid, p = standalone(rng, a, b, "MESSAGE", 3600)
    t = frag_send(t + 50000, a, b, p, "overlap", cid, False,
                  "overlapping fragments: datagram dropped (RFC 5722 for IPv6, as Linux for IPv4)")
    a6, b6 = hosts_for(rng, 6, 3)
    cid, p = standalone(rng, a6, b6, "MESSAGE", 3600)
    t = frag_send(t + 50000, a6, b6, p, "overlap", cid, False,
                  "overlapping fragments: datagram dropped (RFC 8200 4.5, RFC 5722)")
    cid, p = standalone(rng, a, b, "OPTIONS", 0, vias=2000)
    t = frag_send(t + 50000, a, b, p, "even", cid)
    cid, p = standalone(rng, a, b, "MESSAGE", 3000)
    t = frag_send(t + 50000, a, b, p, "nolast", cid, False,
                  "last fragment never arrives: reassembly times out")
    # 120 s later (past any reassembly timeout: RFC 791 suggests 15 s, Linux
    # uses 30 s, RFC 8200 60 s), one more unfragmented call.
    a, b = hosts_for(rng, 4, 4)
    udp_call(cap, rng, audio, Call(rng, a, b), t + 120000000,
             lambda tt, pkt, f, d, seg=None: send(tt, pkt, f, d, seg), media=False)
    return cap


# ---------------------------------------------------------------------------
# Malformed input between two valid calls.

JUNK_KINDS = {
    "runt": "frames of 1-13 bytes, and 14-byte Ethernet headers with nothing after",
    "random_sip_udp": "random bytes as a UDP payload to port 5060 (correct checksum)",
    "random_sip_tcp": "random bytes in a TCP segment to port 5060 (own connection)",
    "ip4_bad_ihl": "IPv4 IHL 0-4, or larger than the packet",
    "ip4_bad_version": "ethertype 0x0800 with IP version 0, 5, 6 or 15",
    "ip6_bad_version": "ethertype 0x86DD with IP version 4, 0 or 7",
    "ip4_length": "IPv4 total length below 20, or IPv4 and UDP lengths (up to 65535) "
                  "above the frame",
    "ip6_length": "IPv6 payload and UDP lengths above the frame",
    "udp_length": "UDP length below 8 or above the IP payload",
    "snap_truncated": "SIP datagram cut by the capture snap length (caplen < len)",
    "sip_content_length": "SIP with a Content-Length beyond its body (up to 99999999)",
    "sip_bitflip": "SIP with one bit flipped where it must break the message: the "
                   "version token, the header/body separator, the Call-ID header name "
                   "or a Content-Length digit raised past the body (checksums recomputed)",
    "tcp_bad_offset": "TCP data offset 0-4, or past the segment",
    "tunnel_nested": "SIP under 20 nested tunnel layers (GRE/IP-in-IP, IP-in-IP, "
                     "IPv6-in-IPv6) or 20 VLAN tags",
    "tunnel_truncated": "frames ending inside a GRE, GRE key, ERSPAN, VXLAN, Geneve option, "
                        "GTP-U, MPLS, PPPoE or PPTP header, or whose length field runs past it",
    "random_frame": "random bytes after an Ethernet header with an unused ethertype",
}


def build_malformed(seed, audio):
    rng = random.Random("junk:%d" % seed)
    cap = Capture("gen_malformed", seed,
                  "a valid SIP/UDP call with RTP, then seeded malformed frames (junk_by_kind), "
                  "then another valid call with RTP")
    send = tunnel_sender(cap, Tunnel("plain", rng))
    a, b = hosts_for(rng, 4, 0)
    t = udp_call(cap, rng, audio, Call(rng, a, b), 100000, send)
    t += 100000
    ja, jb = Host("192.0.2.200", rng), Host("198.51.100.200", rng)
    ja6, jb6 = Host("2001:db8:1::200", rng), Host("2001:db8:2::200", rng)
    mac = (INNER_MAC[1], INNER_MAC[0])
    junk_tcp_port = [41000]

    def sip_payload():
        _, p = standalone(rng, ja, jb, rng.choice(("OPTIONS", "MESSAGE", "INFO")),
                          rng.choice((0, 0, 200)))
        return p

    def l2(etype, payload):
        return eth(mac[0], mac[1], etype, payload)

    def v4(proto, l4, **kw):
        return l2(ETH_IP4, ipv4(ja.ip, jb.ip, proto, l4, ja.next_id(), **kw))

    def nested(depth, kinds):
        pkt = ipv4(ja.ip, jb.ip, IPP_UDP, udp(ja, jb, 5060, 5060, sip_payload()), ja.next_id())
        for i in range(depth):
            k = kinds[i % len(kinds)]
            if k == "gre":
                pkt = ipv4(ja.ip, jb.ip, IPP_GRE, gre_hdr(ETH_IP4) + pkt, ja.next_id(), ttl=64)
            else:
                pkt = ipv4(ja.ip, jb.ip, IPP_IPIP, pkt, ja.next_id())
        return l2(ETH_IP4, pkt)

    def nested6(depth):
        pkt = ipv6(ja6.ip, jb6.ip, IPP_UDP, udp(ja6, jb6, 5060, 5060, sip_payload()))
        for _ in range(depth):
            pkt = ipv6(ja6.ip, jb6.ip, IPP_IP6, pkt)
        return l2(ETH_IP6, pkt)

    def trunc_tunnel():
        sip = ipv4(ja.ip, jb.ip, IPP_UDP, udp(ja, jb, 5060, 5060, sip_payload()), ja.next_id())
        k = rng.randrange(10)
        if k == 0:       # frame ends inside the 4-byte GRE base header
            return v4(IPP_GRE, gre_hdr(ETH_IP4)[:rng.randint(0, 3)])
        if k == 1:       # key and sequence flags set, fields missing
            return v4(IPP_GRE, struct.pack("!HH", 0x3000, ETH_IP4) + b"\x00\x01")
        if k == 2:       # ERSPAN II header cut
            return v4(IPP_GRE, gre_hdr(ETH_ERSPAN12, seq=1) + b"\x10\x00\x01")
        if k == 3:       # VXLAN header cut
            return v4(IPP_UDP, udp(ja, jb, 49152, 4789, b"\x08\x00\x00"))
        if k == 4:       # Geneve option length past the payload
            return v4(IPP_UDP, udp(ja, jb, 50000, 6081, struct.pack("!BBHI", 30, 0, ETH_TEB, 1 << 8)
                                   + b"\x01\x02\x80\x01"))
        if k == 5:       # GTP-U length past the payload
            return v4(IPP_UDP, udp(ja, jb, 2152, 2152, struct.pack("!BBHI", 0x30, 0xFF, 4000, 9)
                                   + sip[:30]))
        if k == 6:       # GTP-U with E flag, optional fields cut
            return v4(IPP_UDP, udp(ja, jb, 2152, 2152, struct.pack("!BBHI", 0x34, 0xFF, 2, 9) + b"\0\0"))
        if k == 7:       # MPLS labels without bottom of stack to the frame's end
            return l2(ETH_MPLS, b"".join(mpls_label(100 + i, False) for i in range(rng.randint(1, 5))))
        if k == 8:       # PPPoE length past the frame, or header cut
            if rng.random() < 0.5:
                return l2(ETH_PPPOE_S, struct.pack("!BBHHH", 0x11, 0, 7, 1400, 0x0021) + sip[:40])
            return l2(ETH_PPPOE_S, b"\x11\x00\x00")
        # PPTP enhanced GRE: key present, sequence flag set, frame ends in it
        return v4(IPP_GRE, struct.pack("!HHHH", 0x3001, ETH_PPP, 60, 1) + b"\x00")

    def bitflip():
        p = bytearray(sip_payload())
        k = rng.randrange(4)
        if k == 0:       # "SIP/2.0" -> "SIQ/2.0" / "SIP/3.0" in the start line
            line_end = p.index(b"\r\n")
            v = p.rindex(b"SIP/2.0", 0, line_end)
            i = v + rng.choice((2, 4))
            p[i] ^= 0x01
        elif k == 1:     # the empty line ending the headers: LF -> VT
            i = p.index(b"\r\n\r\n") + 3
            p[i] ^= 0x01
        elif k == 2:     # "Call-ID" -> "Calm-ID" (no compact "i:" form present)
            i = p.index(b"\r\nCall-ID:") + 5
            p[i] ^= 0x01
        else:            # a Content-Length digit made larger than the body
            i = p.index(b"Content-Length: ") + 16
            p[i] = ord("8") if p[i] < ord("8") else ord("9")
            if int(p[i:p.index(b"\r\n", i)]) <= len(p) - (p.index(b"\r\n\r\n") + 4):
                p[i:i] = b"9"
        return v4(IPP_UDP, udp(ja, jb, 5060, 5060, bytes(p)))

    def random_tcp():
        port = junk_tcp_port[0]
        junk_tcp_port[0] += 1
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 600)))
        return v4(IPP_TCP, tcp(ja, jb, port, 5060, rng.getrandbits(32), rng.getrandbits(32),
                               TCP_PSH | TCP_ACK, body))

    def make(kind):
        if kind == "runt":
            n = rng.randint(1, 14)
            return l2(ETH_IP4, b"")[:n] if n < 14 else l2(rng.choice((ETH_IP4, ETH_IP6)), b"")
        if kind == "random_sip_udp":
            return v4(IPP_UDP, udp(ja, jb, rng.randint(1024, 65535), 5060,
                                   bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1200)))))
        if kind == "random_sip_tcp":
            return random_tcp()
        if kind == "ip4_bad_ihl":
            l4 = udp(ja, jb, 5060, 5060, sip_payload())
            ihl = rng.choice((0, 1, 2, 3, 4, 15))
            if ihl == 15:   # 60-byte header claimed in a packet shorter than that
                return l2(ETH_IP4, ipv4(ja.ip, jb.ip, IPP_UDP, l4[:20], ja.next_id(), vihl=0x4F))
            return l2(ETH_IP4, ipv4(ja.ip, jb.ip, IPP_UDP, l4, ja.next_id(), vihl=0x40 | ihl))
        if kind == "ip4_bad_version":
            l4 = udp(ja, jb, 5060, 5060, sip_payload())
            ver = rng.choice((0, 5, 6, 15))
            return l2(ETH_IP4, ipv4(ja.ip, jb.ip, IPP_UDP, l4, ja.next_id(), vihl=ver << 4 | 5))
        if kind == "ip6_bad_version":
            l4 = udp(ja6, jb6, 5060, 5060, sip_payload())
            ver = rng.choice((4, 0, 7))
            return l2(ETH_IP6, ipv6(ja6.ip, jb6.ip, IPP_UDP, l4, vtc=ver << 28))
        if kind == "ip4_length":
            p = sip_payload()
            if rng.random() < 0.3:
                l4 = udp(ja, jb, 5060, 5060, p)
                return l2(ETH_IP4, ipv4(ja.ip, jb.ip, IPP_UDP, l4, ja.next_id(),
                                        total=rng.randint(0, 19)))
            # Oversized: IP and UDP lengths agree on a datagram longer than
            # the frame, whose record is not snap-cut (caplen == len).
            tot = rng.choice((20 + 8 + len(p) + rng.randint(1, 2000), 65535))
            l4 = udp(ja, jb, 5060, 5060, p, ulen=tot - 20)
            return l2(ETH_IP4, ipv4(ja.ip, jb.ip, IPP_UDP, l4, ja.next_id(), total=tot))
        if kind == "ip6_length":
            p = sip_payload()
            plen = rng.choice((8 + len(p) + rng.randint(1, 3000), 65535))
            l4 = udp(ja6, jb6, 5060, 5060, p, ulen=plen)
            return l2(ETH_IP6, ipv6(ja6.ip, jb6.ip, IPP_UDP, l4, plen=plen))
        if kind == "udp_length":
            p = sip_payload()
            ulen = rng.choice((rng.randint(0, 7), 8 + len(p) + rng.randint(1, 5000)))
            return v4(IPP_UDP, udp(ja, jb, 5060, 5060, p, ulen=ulen))
        if kind == "snap_truncated":
            f = v4(IPP_UDP, udp(ja, jb, 5060, 5060, sip_payload()))
            return f[:rng.randint(43, len(f) - 1)], len(f)
        if kind == "sip_content_length":
            p = sip_payload()
            i = p.index(b"Content-Length: ") + 16
            j = p.index(b"\r\n", i)
            body = len(p) - (p.index(b"\r\n\r\n") + 4)
            cl = rng.choice((body + rng.randint(1, 500), 99999999))
            return v4(IPP_UDP, udp(ja, jb, 5060, 5060, p[:i] + str(cl).encode() + p[j:]))
        if kind == "sip_bitflip":
            return bitflip()
        if kind == "tcp_bad_offset":
            body = sip_payload()
            port = junk_tcp_port[0]
            junk_tcp_port[0] += 1
            doff = rng.choice((0, 1, 2, 3, 4, 15))
            return v4(IPP_TCP, tcp(ja, jb, port, 5060, rng.getrandbits(32), 0, TCP_PSH | TCP_ACK,
                                   body[:20] if doff == 15 else body, doff=doff))
        if kind == "tunnel_nested":
            k = rng.randrange(4)
            if k == 0:
                return nested(20, ("gre", "ipip"))
            if k == 1:
                return nested(20, ("ipip",))
            if k == 2:
                return nested6(20)
            tags = b"".join(struct.pack("!HH", 10 + i, ETH_VLAN if i < 19 else ETH_IP4)
                            for i in range(20))
            return eth(mac[0], mac[1], ETH_VLAN, tags + ipv4(ja.ip, jb.ip, IPP_UDP, udp(
                ja, jb, 5060, 5060, sip_payload()), ja.next_id()))
        if kind == "tunnel_truncated":
            return trunc_tunnel()
        if kind == "random_frame":
            et = rng.choice((0x0000, 0x1234, 0x4242, 0x7777, 0xABCD))
            return l2(et, bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))))
        raise ValueError(kind)

    kinds = sorted(JUNK_KINDS)
    order = [k for k in kinds for _ in range(12)]
    rng.shuffle(order)
    for kind in order:
        r = make(kind)
        data, origlen = r if isinstance(r, tuple) else (r, None)
        cap.add(t, data, origlen=origlen, junk=kind)
        t += rng.randint(100, 3000)
    a, b = hosts_for(rng, 4, 1)
    udp_call(cap, rng, audio, Call(rng, a, b), t + 100000, send)
    return cap


# ---------------------------------------------------------------------------

CAPTURES = ["gen_tun_" + k for k in TUNNELS] + ["gen_tcp_sip", "gen_frag_ip", "gen_malformed"]


def build(name, seed, audio):
    if name.startswith("gen_tun_"):
        return build_tunnel(name[len("gen_tun_"):], seed, audio)
    return {"gen_tcp_sip": build_tcp, "gen_frag_ip": build_frag,
            "gen_malformed": build_malformed}[name](seed, audio)


def generate(outdir, seed=DEFAULT_SEED, only=None):
    audio = Audio(seed)
    docs = {}
    for name in CAPTURES:
        if only and name not in only:
            continue
        docs[name] = build(name, seed, audio).write(outdir)
    return docs


def main(argv=None):
    p = argparse.ArgumentParser(description="SIP/RTP captures in tunnels, impaired TCP and "
                                "fragments, and malformed input, with JSON truth.")
    p.add_argument("outdir", nargs="?")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--only", action="append", help="capture name (repeatable)")
    p.add_argument("--list", action="store_true")
    a = p.parse_args(argv)
    if a.list:
        for k in TUNNELS:
            print("%-22s %s" % ("gen_tun_" + k, TUNNELS[k][1]))
        for k in CAPTURES[len(TUNNELS):]:
            print(k)
        return 0
    if not a.outdir:
        p.error("OUTDIR is required")
    bad = [n for n in (a.only or []) if n not in CAPTURES]
    if bad:
        p.error("unknown capture %s (see --list)" % ", ".join(bad))
    os.makedirs(a.outdir, exist_ok=True)
    for name, d in generate(a.outdir, a.seed, a.only).items():
        print("%-22s %5d frames, %3d SIP delivered, %d undelivered, %d RTP streams%s"
              % (name, d["frames"], len(d["messages"]), len(d["undelivered"]), len(d["streams"]),
                 ", %d junk" % d["junk_frames"] if "junk_frames" in d else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
