#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Extract small fuzzing seeds from captures (Python standard library only).

    tests/fuzz/mkseeds.py [--data DIR] [--corpus DIR] [--out DIR]

Writes tests/fuzz/seeds/<harness>/<name>, replacing what was there:
  net  whole link-layer frames (fuzz_net decodes each input as every link type)
  sip  SIP messages carried in UDP/TCP payloads
  sdp  SDP bodies of those SIP messages
  rtp  RTP and RTCP UDP payloads
  hep  HEPv3 UDP payloads, single and back to back (fuzz_hep reads a TCP-like
       stream of messages)
  flowtab  operation programs (byte pairs) from a fixed PRNG
  media    scripts for fuzz_media (SIP call set-up with SDP, RTP/RTCP both ways,
       clock steps, BYE), written here from scratch
One seed per distinct shape (protocol stack, method/status, payload type, ...)
keeps the set small while covering every branch the captures reach.
"""
import argparse
import hashlib
import os
import random
import re
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Shapes tests/data lacks: Linux cooked capture, IPv4/IPv6 fragments, SIP over
# TCP and IP-in-IP, compound RTCP, RFC 4733 telephone-events.
CORPUS_EXTRA = ('sip_ipv6_fragmented_sll.pcap', 'gen_sipp_ipv4_fragmented_pcma.pcap',
                'sip_tcp_in_ipip.pcap', 'rtcp_compound_sll.pcap', 'rtp_pcmu_rfc2833_sll.pcap')

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.path.join(ROOT, 'tests', 'data'))
    ap.add_argument('--corpus', default='/work/shared/corpus')
    ap.add_argument('--out', default=os.path.join(HERE, 'seeds'))
    a = ap.parse_args()

    for h in ('net', 'sip', 'sdp', 'rtp', 'hep', 'flowtab', 'media', 'register'):
        shutil.rmtree(os.path.join(a.out, h), ignore_errors=True)
    seeds = Seeds(a.out)
    for name in sorted(os.listdir(a.data)):
        if name.endswith(('.pcap', '.pcapng')):
            walk(seeds, os.path.join(a.data, name))
    for name in CORPUS_EXTRA:
        walk(seeds, os.path.join(a.corpus, name))
    for name in sorted(os.listdir(a.corpus)):
        if name.startswith('hep3_') and name.endswith(('.pcap', '.pcapng')):
            hep_seeds(seeds, os.path.join(a.corpus, name))
    flowtab_seeds(seeds)
    media_seeds(seeds)
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
