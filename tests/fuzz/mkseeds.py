#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Extract small fuzzing seeds from captures (Python standard library only).

    tests/fuzz/mkseeds.py [--data DIR] [--corpus DIR] [--out DIR]

Writes tests/fuzz/seeds/<harness>/<key>_<sha1 of the content, 8 digits>,
replacing what an earlier run wrote there (files named so) and leaving other
files, hand-made seeds and the inputs of fixed crashes, in place:
  net  whole link-layer frames (fuzz_net decodes each input as every link type),
       plus tunnel frames written here (VXLAN, Geneve, GTP-U, MPLS, ERSPAN, ...)
  sip  SIP messages carried in UDP/TCP payloads
  sdp  SDP bodies of those SIP messages
  rtp  RTP and RTCP UDP payloads
  hep  HEPv3 UDP payloads, single and back to back (fuzz_hep reads a TCP-like
       stream of messages)
  flowtab  operation programs (byte pairs) from a fixed PRNG
  media    scripts for fuzz_media (SIP call set-up with SDP, RTP/RTCP both ways,
       clock steps, BYE), written here from scratch
  ipfrag   fragment records for fuzz_ipfrag (datagrams cut in order, reversed,
       shuffled, with duplicates, overlaps, bad lengths, timeouts), from scratch
  tcp      segment sequences for fuzz_tcp (SIP over TCP in order, split, out of
       order, WebSocket, TLS, table full, idle), written here from scratch
One seed per distinct shape (protocol stack, method/status, payload type, ...)
keeps the set small while covering every branch the captures reach.
"""
import argparse
import hashlib
import os
import random
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Shapes tests/data lacks: Linux cooked capture, IPv4/IPv6 fragments, SIP over
# TCP and IP-in-IP, compound RTCP, RFC 4733 telephone-events, GRE (Ethernet
# bridging; PPTP's PPP), three stacked VLAN tags.
CORPUS_EXTRA = ('sip_ipv6_fragmented_sll.pcap', 'gen_sipp_ipv4_fragmented_pcma.pcap',
                'sip_tcp_in_ipip.pcap', 'rtcp_compound_sll.pcap', 'rtp_pcmu_rfc2833_sll.pcap',
                'sip_erspan_gre.pcapng', 'sip_vlan_gre_ppp_1pkt.pcapng', 'vlan_qinqinq_http.pcap')

LINK_ETHERNET, LINK_RAW, LINK_RAW101, LINK_SLL, LINK_IPV4, LINK_IPV6, LINK_SLL2 = 1, 12, 101, 113, 228, 229, 276


def read_capture(path):
    """Yield (linktype, frame bytes) from a pcap or pcapng file."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '<' if magic[0] in (0xd4, 0x4d) else '>'
        linktype = struct.unpack(e + 'I', data[20:24])[0] & 0x0fffffff
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
            yield linktype, data[off + 16:off + 16 + incl]
            off += 16 + incl
        return
    if magic == b'\x0a\x0d\x0d\x0a':
        e = '<' if data[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
        links = []
        off = 0
        while off + 12 <= len(data):
            btype, blen = struct.unpack(e + 'II', data[off:off + 8])
            body = data[off + 8:off + blen - 4]
            if btype == 0x0a0d0d0a:
                links = []
            elif btype == 1:
                links.append(struct.unpack(e + 'H', body[:2])[0])
            elif btype == 6:
                ifid, _, _, cap = struct.unpack(e + 'IIII', body[:16])[:4]
                yield links[ifid], body[20:20 + cap]
            elif btype == 3:
                yield links[0], body[4:]
            if blen < 12:
                break
            off += blen
        return
    raise ValueError('%s: not a pcap or pcapng file' % path)


def l3_of(linktype, frame):
    """Return (ethertype path, ethertype, l3 bytes) or None."""
    if linktype == LINK_ETHERNET:
        et, off, path = struct.unpack('!H', frame[12:14])[0] if len(frame) >= 14 else 0, 14, []
        while et in (0x8100, 0x88a8, 0x9100) and off + 4 <= len(frame):
            path.append('vlan')
            et = struct.unpack('!H', frame[off + 2:off + 4])[0]
            off += 4
        return '+'.join(path), et, frame[off:]
    if linktype in (LINK_RAW, LINK_RAW101):
        v = frame[0] >> 4 if frame else 0
        return 'raw', 0x0800 if v == 4 else 0x86dd, frame
    if linktype == LINK_SLL and len(frame) >= 16:
        return 'sll', struct.unpack('!H', frame[14:16])[0], frame[16:]
    if linktype == LINK_SLL2 and len(frame) >= 20:
        return 'sll2', struct.unpack('!H', frame[0:2])[0], frame[20:]
    return None


def l4_of(et, l3):
    """Return (ip version, proto, is fragment, l4 bytes) or None."""
    if et == 0x0800 and len(l3) >= 20 and l3[0] >> 4 == 4:
        ihl = (l3[0] & 15) * 4
        tot = struct.unpack('!H', l3[2:4])[0]
        frag = struct.unpack('!H', l3[6:8])[0] & 0x3fff
        return 4, l3[9], frag != 0, l3[ihl:max(ihl, min(tot, len(l3)))]
    if et == 0x86dd and len(l3) >= 40 and l3[0] >> 4 == 6:
        nh, off = l3[6], 40
        frag = False
        while nh in (0, 43, 44, 60) and off + 8 <= len(l3):
            if nh == 44:
                frag = True
                nh, off = l3[off], off + 8
            else:
                nh, off = l3[off], off + (l3[off + 1] + 1) * 8
        return 6, nh, frag, l3[off:]
    return None


def payload_of(proto, l4):
    """Return (sport, dport, payload) of a UDP or TCP segment, or None."""
    if proto == 17 and len(l4) >= 8:
        sport, dport, ulen = struct.unpack('!HHH', l4[:6])
        return sport, dport, l4[8:max(8, min(ulen, len(l4)))]
    if proto == 6 and len(l4) >= 20:
        sport, dport = struct.unpack('!HH', l4[:4])
        return sport, dport, l4[(l4[12] >> 4) * 4:]
    return None


SIP_START = re.compile(rb'^(SIP/2\.0 (\d{3})[^\r\n]*|([A-Z]+) [^ \r\n]+ SIP/2\.0)\r?\n')


def sip_key(p):
    m = SIP_START.match(p)
    if not m:
        return None
    return (m.group(2) or m.group(3)).decode()


def sdp_body(p):
    head, sep, body = p.partition(b'\r\n\r\n')
    if not sep or not re.search(rb'(?im)^(content-type|c)\s*:\s*application/sdp', head):
        return None
    cl = re.search(rb'(?im)^(content-length|l)\s*:\s*(\d+)', head)
    if cl:
        body = body[:int(cl.group(2))]
    return body if body.startswith(b'v=') else None


def rtp_key(p):
    """Classify a UDP payload as RTP / RTCP (RFC 3550 section 5.1 / 6.4)."""
    if len(p) < 8 or p[0] >> 6 != 2:
        return None
    pt = p[1]
    if 200 <= pt <= 204:
        return 'rtcp%d_%d' % (pt, p[0] & 31)
    if len(p) >= 12 + 4 * (p[0] & 15) and ((pt & 0x7f) < 35 or 96 <= (pt & 0x7f) < 128):
        return 'rtp%d_m%d_x%d_cc%d' % (pt & 0x7f, pt >> 7, (p[0] >> 4) & 1, p[0] & 15)
    return None


def hep_key(p):
    """HEPv3 (HEP3 magic, total length, then chunks): key by proto type and
    chunk set."""
    if len(p) < 6 or p[:4] != b'HEP3':
        return None
    chunks, off, ptype = [], 6, 0
    while off + 6 <= len(p):
        ctype, clen = struct.unpack('!HH', p[off + 2:off + 6])
        if clen < 6:
            break
        if ctype == 0x0b and clen == 7:
            ptype = p[off + 6]
        chunks.append(ctype)
        off += clen
    return 'pt%d_%s' % (ptype, '.'.join('%x' % c for c in sorted(set(chunks))))


class Seeds:
    def __init__(self, out):
        self.out = out
        self.seen = {}
        self.digests = set()

    def add(self, harness, key, data, limit):
        """Store data as a seed unless its key is known; True if stored."""
        seen = self.seen.setdefault(harness, set())
        digest = (harness, hashlib.sha1(data).hexdigest())
        if key in seen or len(seen) >= limit or not data or digest in self.digests:
            return False
        seen.add(key)
        self.digests.add(digest)
        d = os.path.join(self.out, harness)
        os.makedirs(d, exist_ok=True)
        name = re.sub(r'[^A-Za-z0-9_.+-]', '_', '%s_%s' % (key, digest[1][:8]))
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
        return True


def remove_made(d):
    """Delete the seeds an earlier run wrote to d, and nothing else: those are
    the files whose name ends in _ and the first 8 hex digits of the SHA-1 of
    their content (see Seeds.add). Hand-made seeds and the inputs of fixed
    crashes are named otherwise and stay."""
    if not os.path.isdir(d):
        return
    for name in os.listdir(d):
        path = os.path.join(d, name)
        if not os.path.isfile(path):
            continue
        with open(path, 'rb') as f:
            digest = hashlib.sha1(f.read()).hexdigest()[:8]
        if name.endswith('_' + digest):
            os.remove(path)


def walk(seeds, path):
    base = os.path.splitext(os.path.basename(path))[0]
    per_file = 0
    for linktype, frame in read_capture(path):
        l3 = l3_of(linktype, frame)
        if not l3:
            continue
        path_s, et, l3b = l3
        l4 = l4_of(et, l3b)
        shape = '%d_%s_%04x' % (linktype, path_s, et)
        if not l4:
            if per_file < 8:
                per_file += seeds.add('net', shape, frame, 60)
            continue
        ver, proto, frag, l4b = l4
        pl = payload_of(proto, l4b) if not frag else None
        kind = 'other'
        if pl:
            sport, dport, p = pl
            sk = sip_key(p)
            rk = rtp_key(p) if proto == 17 and not sk else None
            if sk:
                kind = 'sip'
                body = sdp_body(p)
                seeds.add('sip', '%s_%s_sdp%d' % (sk, 'udp' if proto == 17 else 'tcp', body is not None), p, 30)
                if body:
                    seeds.add('sdp', '%s_%s' % (base, sk), body, 12)
            elif rk and min(sport, dport) >= 1024:
                kind = rk[:4]
                seeds.add('rtp', rk, p, 20)
        key = '%s_v%d_p%d_f%d_%s' % (shape, ver, proto, frag, kind)
        if per_file < 8:
            per_file += seeds.add('net', key, frame, 60)


def hep_seeds(seeds, path):
    msgs = []
    for linktype, frame in read_capture(path):
        l3 = l3_of(linktype, frame)
        l4 = l4_of(l3[1], l3[2]) if l3 else None
        pl = payload_of(l4[1], l4[3]) if l4 and not l4[2] else None
        if not pl:
            continue
        k = hep_key(pl[2])
        if k is not None:
            msgs.append(pl[2])
            seeds.add('hep', 'hep3_' + k, pl[2], 12)
    # the harness reads back-to-back messages as from a TCP stream
    if len(msgs) >= 3:
        seeds.add('hep', 'stream3_' + os.path.basename(path).split('.')[0], b''.join(msgs[:3]), 14)


def tunnel_seeds(seeds):
    """One Ethernet frame per encapsulation lib/net decodes, around UDP/SIP
    (RFC 5737 / 3849 addresses); the captures have only GRE and IP-in-IP."""
    sip = b'OPTIONS sip:a SIP/2.0\r\n'

    def eth(t):
        return b'\x00\x0c\x29\xf8\x0d\x44\x00\x0c\x29\x3a\xa6\x0f' + struct.pack('!H', t)

    def vlan(vid, t):
        return struct.pack('!HH', vid, t)

    def ip4(proto, body, frag=0):
        return struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(body), 1, frag, 64, proto, 0,
                           bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])) + body

    def ip6(nh, body):
        return (struct.pack('!IHBB', 0x60000000, len(body), nh, 64) +
                bytes.fromhex('20010db8' + '00' * 11 + '01') + bytes.fromhex('20010db8' + '00' * 11 + '02') + body)

    def udp(dport, body):
        return struct.pack('!HHHH', 5060, dport, 8 + len(body), 0) + body

    u4 = ip4(17, udp(5060, sip))
    u6 = ip6(17, udp(5060, sip))
    frames = {
        'vxlan_vlan': eth(0x0800) + ip4(17, udp(4789, struct.pack('!II', 0x08000000, 0x12345600) +
                                                 eth(0x8100) + vlan(200, 0x86dd) + u6)),
        'geneve_opt': eth(0x0800) + ip4(17, udp(6081, struct.pack('!BBHI', 2, 0, 0x0800, 0xabcdef00) +
                                                 struct.pack('!HBBI', 0x0102, 0x80, 1, 0) + u4)),
        'gtpu_ext': eth(0x0800) + ip4(17, udp(2152, struct.pack('!BBHIHBB', 0x34, 255, 8 + len(u4), 7, 0, 0, 0x85) +
                                               bytes([1, 0x10, 9, 0]) + u4)),
        'gtpu_echo': eth(0x0800) + ip4(17, udp(2152, struct.pack('!BBHIHBB', 0x32, 1, 4, 0, 1, 0, 0))),
        'mpls_ip6': eth(0x8847) + struct.pack('!II', 16 << 12 | 64, 2 << 12 | 0x100 | 64) + u6,
        'pppoe_ip6': eth(0x8864) + struct.pack('!BBHHH', 0x11, 0, 1, 2 + len(u6), 0x0057) + u6,
        'gre_key_seq': eth(0x0800) + ip4(47, struct.pack('!HHII', 0x3000, 0x0800, 1, 2) + u4),
        'erspan2': eth(0x0800) + ip4(47, struct.pack('!HHI', 0x1000, 0x88be, 1) +
                                     struct.pack('!HHI', 0x1000, 0x155, 0) + eth(0x0800) + u4),
        'erspan3': eth(0x0800) + ip4(47, struct.pack('!HHI', 0x1000, 0x22eb, 1) +
                                     struct.pack('!HHIHBB', 0x2000, 7, 0, 0, 0, 1) + bytes(8) + eth(0x0800) + u4),
        '6in4': eth(0x0800) + ip4(41, u6),
        '6in6': eth(0x86dd) + ip6(41, u6),
        'frag_in_gre': eth(0x0800) + ip4(47, struct.pack('!HH', 0, 0x0800) + ip4(17, udp(5060, sip), 0x2000)),
    }
    for name, frame in sorted(frames.items()):
        seeds.add('net', 'tun_' + name, frame, 80)


def flowtab_seeds(seeds):
    """fuzz_flowtab reads (op|id, time step) byte pairs: programs of mixed
    length and op mix, from a fixed PRNG so the files never change."""
    for n, length in enumerate((16, 64, 256, 1024)):
        r = random.Random(n)
        seeds.add('flowtab', 'prog%d' % length, bytes(r.randrange(256) for _ in range(length)), 8)
    # many inserts first (fills the 13-entry table), then lookups and expiry
    r = random.Random(99)
    fill = bytes(b for i in range(40) for b in (i % 32, 1))
    rest = bytes(r.randrange(256) for _ in range(200))
    seeds.add('flowtab', 'fill_then_mix', fill + rest, 8)


def media_script(records):
    """fuzz_media script: [op][len hi][len lo][len bytes] per record. A clock
    step (op 2) of N seconds is written as a header with len N and no bytes;
    the harness clamps len to the bytes left, so the script ends with enough
    flushes (op 3, len 0) to keep every step whole."""
    out = b''
    longest = 0
    for op, body in records:
        if op == 2:
            out += bytes((2, body >> 8, body & 0xff))
            longest = max(longest, body)
        else:
            out += bytes((op, len(body) >> 8, len(body) & 0xff)) + body
    return out + b'\x03\x00\x00' * ((longest + 2) // 3 or 1)


def sip_msg(start, call_id, cseq, from_tag, to_tag=None, sdp=None):
    hdr = [start, 'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-%s-%d' % (call_id, cseq),
           'From: <sip:a@10.0.0.1>;tag=%s' % from_tag,
           'To: <sip:b@10.0.0.2>' + (';tag=%s' % to_tag if to_tag else ''),
           'Call-ID: %s' % call_id, 'CSeq: %d %s' % (cseq, start.split()[0] if not start.startswith('SIP')
                                                    else 'INVITE')]
    body = b''
    if sdp:
        body = sdp.encode()
        hdr.append('Content-Type: application/sdp')
    hdr.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(hdr) + '\r\n\r\n').encode() + body


def sdp_for(addr, port, pts='0 8 101'):
    return ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP %s\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n'
            'a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n' % (addr, addr, port, pts))


def rtp(pt, seq, ts, ssrc, payload, marker=0):
    return struct.pack('!BBHII', 0x80, pt | marker << 7, seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def media_seeds(seeds):
    """Datagram op bits 2..4 pick addresses (pkt_addrs in fuzz_media.c): sel 0
    is 10.0.0.1:4000 -> 10.0.0.2:5000, sel 5 the reverse, sel 2 is
    10.0.0.1:4001 -> 10.0.0.2:5001 (RTCP ports)."""
    a_to_b, b_to_a, rtcp_a_to_b = (0 << 2) | 1, (5 << 2) | 1, (2 << 2) | 1
    inv = sip_msg('INVITE sip:b@10.0.0.2 SIP/2.0', 'c1', 1, 'ta', sdp=sdp_for('10.0.0.1', 4000))
    ok = sip_msg('SIP/2.0 200 OK', 'c1', 1, 'ta', 'tb', sdp=sdp_for('10.0.0.2', 5000, '0 101'))
    bye = sip_msg('BYE sip:b@10.0.0.2 SIP/2.0', 'c1', 2, 'ta', 'tb')
    speech = bytes((0x55 + 37 * i) & 0xff for i in range(160))
    flat = b'\xff' * 160
    call = [(0, inv), (0, ok)]
    for i in range(12):
        call.append((a_to_b, rtp(0, 100 + i, 160 * i, 0x1111, speech if i % 4 else flat, i == 0)))
        call.append((b_to_a, rtp(0, 7000 + i, 9000 + 160 * i, 0x2222, flat)))
    # an RFC 4733 event (digit 5, end bit on the last two), then a gap in seq
    for i, (dur, end) in enumerate(((160, 0), (320, 0), (480, 1), (480, 1))):
        call.append((a_to_b, rtp(101, 112 + i, 160 * 12, 0x1111,
                                 bytes((5, 0x0a | end << 7)) + struct.pack('!H', dur), i == 0)))
    call.append((a_to_b, rtp(0, 120, 160 * 20, 0x1111, speech)))
    # RTCP sender report (RFC 3550 section 6.4.1): 28 bytes, length field 6
    sr = struct.pack('!BBHIIIIII', 0x80, 200, 6, 0x1111, 0xe0000000, 0, 160 * 12, 12, 12 * 160)
    call.append((rtcp_a_to_b, sr))
    seeds.add('media', 'call_bye', media_script(call + [(2, 2), (0, bye), (2, 6)]), 8)
    # no BYE: the streams end by inactivity (30 s) at a clock step
    seeds.add('media', 'call_idle', media_script(call + [(2, 40)]), 8)
    # RTP nobody announced: probation, then a confirmed stream
    anon = [(a_to_b, rtp(8, 1 + i, 160 * i, 0x3333, speech)) for i in range(6)]
    seeds.add('media', 'unannounced', media_script(anon + [(2, 1)]), 8)
    # three rejected calls on tables sized for two dialogs
    many = []
    for n in range(3):
        cid = 'm%d' % n
        many.append((0, sip_msg('INVITE sip:b@10.0.0.2 SIP/2.0', cid, 1, 'a%d' % n,
                                sdp=sdp_for('10.0.0.1', 4000 if n % 2 == 0 else 5000))))
        many.append((0, sip_msg('SIP/2.0 486 Busy Here', cid, 1, 'a%d' % n, 'b%d' % n)))
    many += [(a_to_b, rtp(0, 5, 800, 0x4444, speech)), (2, 16)]
    seeds.add('media', 'tables_full', media_script(many), 8)
    # a 48 kHz stream on PT 96 found before its SDP (which has a malformed line),
    # bound by it later; some packets with bad UDP checksums (op bits 5..7 = 1)
    opus = sdp_for('10.0.0.2', 5000, '96 101') + 'a=rtpmap:96 opus/48000/2\r\nbroken line\r\n'
    late = [(b_to_a | (1 << 5) if i % 7 == 0 else b_to_a, rtp(96, 1 + i, 960 * i, 0x5555, speech))
            for i in range(70)]
    late[20:20] = [(0, sip_msg('INVITE sip:a@10.0.0.1 SIP/2.0', 'c2', 1, 'tc', sdp=opus))]
    seeds.add('media', 'bound_late_badcsum', media_script(late + [(2, 1)]), 8)
    # verdicts: an INVITE discarded twice for its checksum (op bit 7), never
    # answered; a request without Call-ID twice on one flow (parse error)
    inv = sip_msg('INVITE sip:b@10.0.0.2 SIP/2.0', 'd1', 1, 'td', sdp=sdp_for('10.0.0.1', 4000))
    junk = b'INVITE sip:b SIP/2.0\r\nVia: x\r\n\r\n'
    seeds.add('media', 'verdicts_discarded_parse_error',
              media_script([(0x80, inv), (0x80, inv), (0, junk), (0, junk), (2, 3)]), 8)


def register_script(records):
    """fuzz_register script: [op][len hi][len lo][SIP] per record; op bit 0 sent
    by the phone, bits 1..2 the server, bits 3..7 seconds before it."""
    return b''.join(bytes((op, len(b) >> 8, len(b) & 0xff)) + b for op, b in records)


def register_seeds(seeds):
    def reg(cseq, server_op):
        m = ('REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.8\r\n'
             'From: <sip:a@example.org>;tag=x\r\nTo: <sip:a@example.org>\r\nCall-ID: r@x\r\n'
             'CSeq: %d REGISTER\r\nContact: <sip:a@203.0.113.8>;expires=60\r\nExpires: 60\r\n\r\n'
             % cseq)
        return (server_op | 1, m.encode())

    def ok(cseq, server_op, exp, gap=0):
        m = ('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 203.0.113.8\r\nFrom: <sip:a@example.org>;tag=x\r\n'
             'To: <sip:a@example.org>;tag=s\r\nCall-ID: r@x\r\nCSeq: %d REGISTER\r\n'
             'Contact: <sip:a@203.0.113.8>;expires=%d\r\n\r\n' % (cseq, exp))
        return (server_op | gap << 3, m.encode())

    seeds.add('register', 'change', register_script(
        [reg(1, 0), ok(1, 0, 60), (reg(2, 2)[0] | 10 << 3, reg(2, 2)[1]), ok(2, 2, 60)]), 8)
    seeds.add('register', 'expiry_then_removal', register_script(
        [reg(1, 0), ok(1, 0, 5), (reg(2, 4)[0] | 10 << 3, reg(2, 4)[1]), ok(2, 4, 0)]), 8)
    star = (b'REGISTER sip:e SIP/2.0\r\nTo: a <sip:a@e;x=1>;tag=1\r\nm: *\r\nCall-ID: s\r\n'
            b'CSeq: 1 REGISTER\r\nExpires: 99999999999\r\n\r\n')
    seeds.add('register', 'star', register_script([(1, star)]), 8)


def ipfrag_rec(off, length, v6=False, more=True, trunc=False, ident=0, alt=False, bad=False,
               clock=0):
    """One fuzz_ipfrag record: [flags][offset/8 hi][lo][len hi][lo][clock]."""
    flags = (v6 << 0 | more << 1 | trunc << 2 | (ident & 7) << 3 | alt << 6 | bad << 7)
    return struct.pack('!BHHB', flags, off // 8, length, clock)


def ipfrag_cut(total, size, **kw):
    """The records of one datagram of total data bytes in pieces of size."""
    return [ipfrag_rec(off, min(size, total - off), more=off + size < total, **kw)
            for off in range(0, total, size)]


def ipfrag_seeds(seeds):
    """fuzz_ipfrag reads a config byte (bit 0: small table) and 6-byte
    fragment records; each seed is one shape the reassembler must handle."""
    small, default = b'\x01', b'\x00'
    r = random.Random(7)
    add = lambda key, cfg, recs: seeds.add('ipfrag', key, cfg + b''.join(recs), 16)
    add('small_v4_in_order', small, ipfrag_cut(1500, 512))
    add('small_v6_hbh_reversed', small, ipfrag_cut(1500, 512, v6=True, ident=1)[::-1])
    big = ipfrag_cut(59608, 1480)
    r.shuffle(big)
    add('v4_41_fragments_shuffled', default, big)
    v6 = ipfrag_cut(12000, 1448, v6=True, ident=3)
    r.shuffle(v6)
    add('v6_hbh_shuffled', default, v6)
    # the other next header on a non-first IPv6 fragment, the other protocol
    # (another datagram) on IPv4
    mix = ipfrag_cut(2000, 1024, v6=True, ident=2) + ipfrag_cut(2000, 1024, ident=2, alt=True)
    mix[1] = ipfrag_rec(1024, 976, v6=True, more=False, ident=2, alt=True)
    add('protocol_variants', default, mix)
    dup = ipfrag_cut(1200, 256, ident=4)
    add('duplicates', small, [dup[2], dup[2], dup[0], dup[4], dup[4], dup[1], dup[3]])
    add('overlap_then_dropped', small,
        [ipfrag_rec(64, 64, ident=5), ipfrag_rec(32, 64, ident=5)] + ipfrag_cut(512, 128, ident=5))
    add('overlap_v6_last', default,
        [ipfrag_rec(64, 64, v6=True), ipfrag_rec(96, 100, v6=True, more=False)])
    # eight datagrams in a four-slot table with a two-block pool
    inter = []
    for ident in range(8):
        inter += ipfrag_cut(1500, 768, v6=bool(ident & 2), ident=ident)
    r.shuffle(inter)
    add('table_and_pool_full', small, inter)
    # held past the 30 s timeout, lazily and by hp_ipfrag_expire()
    t = ipfrag_cut(3000, 1024, ident=6)
    add('timeout', default, [t[0][:5] + b'\x7f', t[1][:5] + b'\xff', t[2], t[0], t[1]])
    add('bad_lengths', small, [
        ipfrag_rec(0, 100, ident=1), ipfrag_rec(0, 0, ident=1), ipfrag_rec(0, 8, bad=True),
        ipfrag_rec(512, 256, more=False), ipfrag_rec(512, 128, more=False),
        ipfrag_rec(1024, 256, ident=2, more=False), ipfrag_rec(2048, 8, ident=2),
        ipfrag_rec(4096, 64, ident=3), ipfrag_rec(0, 512, trunc=True, ident=4),
        ipfrag_rec(512, 512, ident=4)])
    add('too_many', small, ipfrag_cut(1600, 160, v6=True, ident=7))
    for n in range(3):
        prog = [ipfrag_rec(8 * r.randrange(300), r.choice((0, 8, 64, 256, 512, 1000, 1480)),
                           v6=r.random() < .5, more=r.random() < .8, trunc=r.random() < .05,
                           ident=r.randrange(8), alt=r.random() < .1, bad=r.random() < .05,
                           clock=r.randrange(256) if r.random() < .1 else r.randrange(4))
                for _ in range(60)]
        add('random%d' % n, bytes([n & 1]), prog)

def tcp_rec(d, conn, mode, step, flags, delta, payload=b''):
    """One fuzz_tcp segment: [ctl][flags][seq delta][len][payload]."""
    ctl = d | conn << 1 | mode << 3 | step << 5
    return bytes((ctl, flags, (delta >> 8) & 0xff, delta & 0xff,
                  len(payload) >> 8, len(payload) & 0xff)) + payload


def ws_frame(b0, payload, key=None):
    n = len(payload)
    if n < 126:
        hdr = bytes((b0, (0x80 if key else 0) | n))
    elif n < 65536:
        hdr = bytes((b0, (0x80 if key else 0) | 126)) + struct.pack('!H', n)
    else:
        hdr = bytes((b0, (0x80 if key else 0) | 127)) + struct.pack('!Q', n)
    if key:
        return hdr + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return hdr + payload


def tcp_seeds(seeds):
    """fuzz_tcp: flags FIN 1, SYN 2, RST 4, ACK 16; modes SIP 1, WS 2, TLS 3."""
    SYN, ACK, FIN, RST, SA = 2, 16, 1, 4, 18
    m1 = sip_msg('INVITE sip:bob@example.com SIP/2.0', 'tcp1', 1, 'a',
                 sdp=sdp_for('10.0.0.2', 4000))
    m2 = sip_msg('SIP/2.0 200 OK', 'tcp1', 1, 'a', 'b')
    m3 = sip_msg('BYE sip:bob@example.com SIP/2.0', 'tcp1', 2, 'a', 'b')
    hs = tcp_rec(0, 0, 1, 0, SYN, 0) + tcp_rec(1, 0, 1, 0, SA, 0)
    inorder = (hs + tcp_rec(0, 0, 1, 1, ACK, 0, m1 + m3) + tcp_rec(1, 0, 1, 1, ACK, 0, m2[:30]) +
               tcp_rec(1, 0, 1, 1, ACK, 0, m2[30:80]) + tcp_rec(1, 0, 1, 1, ACK, 0, m2[80:]) +
               tcp_rec(0, 0, 1, 1, ACK, 0, b'\r\n\r\n') + tcp_rec(1, 0, 1, 1, ACK, 0, b'\r\n') +
               tcp_rec(0, 0, 1, 1, FIN | ACK, 0) + tcp_rec(1, 0, 1, 1, FIN | ACK, 0))
    seeds.add('tcp', 'inorder', inorder, 16)
    a, b = len(m1), len(m3)
    ooo = (hs + tcp_rec(0, 0, 1, 1, ACK, a, m3) + tcp_rec(0, 0, 1, 1, ACK, -(a + b), m1[:100]) +
           tcp_rec(0, 0, 1, 1, ACK, -50, m1[50:]) + tcp_rec(0, 0, 1, 1, ACK, -(a + 20), m1[:a]) +
           tcp_rec(0, 0, 1, 1, ACK, 300, m3) + tcp_rec(0, 0, 1, 1, ACK, 300, m3) +
           tcp_rec(0, 0, 1, 1, ACK, 300, m3) + tcp_rec(0, 0, 1, 1, RST, 0))
    seeds.add('tcp', 'out_of_order', ooo, 16)
    mid = (tcp_rec(0, 1, 1, 0, ACK, 0, m1[60:] + m3) +
           tcp_rec(0, 1, 1, 1, ACK, 0, b'HTTP/1.1 200 OK\r\n\r\n' + m3) +
           tcp_rec(0, 1, 1, 1, ACK, 0, b'SIP/2.0 200 OK\r\nl: 1\r\nl: 2\r\n\r\nab' + m2) +
           tcp_rec(0, 1, 1, 4, ACK, 0, m2[:40]) + tcp_rec(0, 1, 1, 0, ACK, 0, m2[40:]))
    seeds.add('tcp', 'midstream_errors_idle', mid, 16)
    key = b'\x37\xfa\x21\x3d'
    req = (b'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
           b'Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n')
    resp = b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'
    frag = (ws_frame(0x01, m1[:70], key) + ws_frame(0x89, b'hi', key) +
            ws_frame(0x80, m1[70:], key))
    ws = (tcp_rec(0, 2, 2, 0, SYN, 0) + tcp_rec(1, 2, 2, 0, SA, 0) + tcp_rec(0, 2, 2, 1, ACK, 0, req) +
          tcp_rec(1, 2, 2, 1, ACK, 0, resp) + tcp_rec(0, 2, 2, 1, ACK, 0, ws_frame(0x81, m1, key)) +
          tcp_rec(0, 2, 2, 1, ACK, 0, frag[:90]) + tcp_rec(0, 2, 2, 1, ACK, 0, frag[90:]) +
          tcp_rec(1, 2, 2, 1, ACK, 0, ws_frame(0x82, m2)) +
          tcp_rec(1, 2, 2, 1, ACK, 0, ws_frame(0x8a, b'hi')) +
          tcp_rec(0, 2, 2, 1, ACK, 0, ws_frame(0x88, b'\x03\xe8', key)) +
          tcp_rec(1, 2, 2, 1, ACK, 0, ws_frame(0x88, b'\x03\xe8')))
    seeds.add('tcp', 'websocket', ws, 16)
    hello = b'\x16\x03\x01\x00\x2e\x01\x00\x00\x2a\x03\x03' + bytes(range(40))
    tls = (tcp_rec(0, 3, 1, 0, SYN, 0) + tcp_rec(0, 3, 1, 0, ACK, 0, hello) +
           tcp_rec(1, 3, 1, 0, ACK, 0, hello) + tcp_rec(0, 1, 3, 0, ACK, 0, hello) +
           tcp_rec(0, 0, 1, 0, ACK, 0, m1) + tcp_rec(0, 2, 1, 0, ACK, 0, m1[:20]) +
           tcp_rec(0, 3, 1, 0, FIN, 0) + tcp_rec(1, 3, 1, 0, FIN, 0))
    seeds.add('tcp', 'tls_table_full', tls, 16)
    big = sip_msg('MESSAGE sip:bob@example.com SIP/2.0', 'big', 1, 'a')
    big = big.replace(b'Content-Length: 0', b'Content-Length: 5000') + b'x' * 5000
    large = hs + b''.join(tcp_rec(0, 0, 1, 1, ACK, 0, big[i:i + 1400]) for i in range(0, len(big), 1400))
    large += tcp_rec(0, 0, 1, 1, ACK, 0, m3)
    seeds.add('tcp', 'larger_than_a_buffer', large, 16)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.path.join(ROOT, 'tests', 'data'))
    ap.add_argument('--corpus', default='/work/shared/corpus')
    ap.add_argument('--out', default=os.path.join(HERE, 'seeds'))
    a = ap.parse_args()

    for h in ('net', 'sip', 'sdp', 'rtp', 'hep', 'flowtab', 'media', 'ipfrag', 'tcp', 'register'):
        remove_made(os.path.join(a.out, h))
    seeds = Seeds(a.out)
    for name in sorted(os.listdir(a.data)):
        if name.endswith(('.pcap', '.pcapng')):
            walk(seeds, os.path.join(a.data, name))
    for name in CORPUS_EXTRA:
        walk(seeds, os.path.join(a.corpus, name))
    for name in sorted(os.listdir(a.corpus)):
        if name.startswith('hep3_') and name.endswith(('.pcap', '.pcapng')):
            hep_seeds(seeds, os.path.join(a.corpus, name))
    tunnel_seeds(seeds)
    flowtab_seeds(seeds)
    media_seeds(seeds)
    ipfrag_seeds(seeds)
    tcp_seeds(seeds)
    register_seeds(seeds)
    total = 0
    for h, keys in sorted(seeds.seen.items()):
        d = os.path.join(a.out, h)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        total += size
        print('%-4s %3d seeds %7d bytes' % (h, len(keys), size))
    print('total %d bytes' % total)
    return 0


if __name__ == '__main__':
    sys.exit(main())
