#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the fuzz_sctp seeds (Python standard library only).

    tests/fuzz/mkseeds_sctp.py [--corpus DIR] [--out DIR]

Writes tests/fuzz/seeds/sctp/<name>, overwriting the seeds of those names
and leaving other files there (a seed no longer made here is deleted by
hand). Each seed is a fuzz_sctp script (see tests/fuzz/fuzz_sctp.c):
records of op (1 byte), length (2 bytes, big-endian) and an SCTP packet. The
packets are the SCTP parts of sip_sctp_sll.pcap from the shared corpus (when
it is there) and packets built here: bundles with control chunks, DATA and
I-DATA fragments in and out of order, retransmissions, limits and time steps
past the timeout.
Kept apart from mkseeds.py, which owns the other harnesses' seeds.
"""
import argparse
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def crc32c(data):
    """RFC 9260 Appendix B, bit by bit: slow, and independent of lib/sctp."""
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff


def pad(b):
    return b + b'\0' * (-len(b) % 4)


def packet(chunks, sport=5060, dport=5060, vtag=0x1234abcd):
    p = struct.pack('!HHII', sport, dport, vtag, 0) + b''.join(chunks)
    return p[:8] + struct.pack('<I', crc32c(p)) + p[12:]


def data(flags, tsn, user, sid=0, ssn=0, ppid=0):
    return pad(struct.pack('!BBHIHHI', 0, flags, 16 + len(user), tsn, sid, ssn, ppid) + user)


def idata(flags, tsn, user, sid=0, mid=0, ppid_fsn=0):
    return pad(struct.pack('!BBHIHHII', 64, flags, 20 + len(user), tsn, sid, 0, mid, ppid_fsn) + user)


def control(ctype, body=b''):
    return pad(struct.pack('!BBH', ctype, 0, 4 + len(body)) + body)


def record(pkt, op=0):
    return struct.pack('!BH', op, len(pkt)) + pkt


def step(units, expire=False):
    """op bits 3-7: clock step of units * 97 us; bit 2: expire after."""
    return (units << 3) | (4 if expire else 0)


def capture_packets(path):
    """SCTP packets of a Linux cooked (SLL) IPv4 pcap."""
    with open(path, 'rb') as f:
        d = f.read()
    e = '<' if d[:4] == b'\xd4\xc3\xb2\xa1' else '>'
    off, out = 24, []
    while off + 16 <= len(d):
        incl = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
        ip = d[off + 16 + 16:off + 16 + incl]
        off += 16 + incl
        if len(ip) < 20 or ip[9] != 132:
            continue
        ihl = (ip[0] & 15) * 4
        out.append((ip[12:16], ip[ihl:struct.unpack('!H', ip[2:4])[0]]))
    return out


SIP = b'INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: 1@a\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'


def synthetic():
    s = {}
    parts = [SIP[:30], SIP[30:60], SIP[60:]]
    fr = [data(2, 100, parts[0], ssn=5), data(0, 101, parts[1], ssn=5), data(1, 102, parts[2], ssn=5)]
    s['whole_and_bundle'] = (record(packet([control(3, b'\0' * 12), data(3, 1, SIP, ppid=0)])) +
                             record(packet([data(3, 2, b'a'), data(3, 3, b'bc'), control(4, b'hb!'),
                                            data(7, 4, b'def')])))
    s['frag_in_order'] = b''.join(record(packet([c])) for c in fr)
    s['frag_reordered_dup'] = b''.join(record(packet([fr[i]])) for i in (2, 0, 0, 1, 1, 2))
    s['frag_two_messages'] = b''.join(record(packet([c])) for c in (
        data(2, 10, b'A', ssn=1), data(2, 12, b'C', ssn=2), data(1, 13, b'D', ssn=2),
        data(1, 11, b'B', ssn=1)))
    s['frag_timeout'] = (record(packet([fr[0]])) + record(b'', step(31, True)) +
                         record(b'', step(31, True)) + record(packet([fr[2]]), step(1)) +
                         record(packet([fr[1]])))
    big = [data(2 if i == 0 else (1 if i == 9 else 0), 200 + i, bytes([65 + i]) * 300) for i in range(10)]
    s['frag_too_big'] = b''.join(record(packet([c])) for c in big)
    s['pieces_cap'] = b''.join(record(packet([data(2 if i == 0 else (1 if i == 11 else 0), 400 + i, b'p')]))
                               for i in range(12))
    s['stale_entry_then_room'] = (
        b''.join(record(packet([data(2, 500 + 2 * i, b'h', sid=i)]), step(6)) for i in range(4)) +
        record(packet([data(2, 520, b'late', sid=9)]), step(31)) +
        record(packet([data(1, 503, b'e', sid=1)]), step(31)))
    s['discard_then_next'] = b''.join(record(packet([c])) for c in (
        data(2, 600, b'q' * 1500), data(0, 601, b'r' * 1000), data(2, 603, b'n'), data(1, 604, b'o'),
        data(1, 602, b's')))
    s['too_big_at_end'] = record(packet([data(2, 700, b't' * 1500)])) + record(packet([data(1, 701, b'u' * 1000)]))
    s['many_associations'] = b''.join(record(packet([data(3, 1, b'm')], vtag=v)) for v in range(8))
    s['table_full'] = b''.join(record(packet([data(2, 300 + 2 * i, b'x', sid=i)])) for i in range(6))
    s['idata'] = b''.join(record(packet([c])) for c in (
        idata(3, 1, b'whole', mid=0, ppid_fsn=39), idata(1, 2, b'x2', mid=1, ppid_fsn=2),
        idata(2, 3, b'y0', mid=2, ppid_fsn=40), idata(2, 4, b'x0', mid=1, ppid_fsn=41),
        idata(1, 5, b'y1', mid=2, ppid_fsn=1), idata(0, 6, b'x1', mid=1, ppid_fsn=1),
        idata(6, 7, b'u0', mid=9), idata(5, 8, b'u1', mid=9, ppid_fsn=1)))
    s['control_kinds'] = record(packet([control(t, bytes(range(t % 7))) for t in
                                        (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                         128, 130, 132, 192, 193, 194, 63)]))
    s['window_and_directions'] = b''.join(
        record(packet([data(3, tsn, b'w')]), op) for tsn, op in
        ((5, 0), (40, 0), (5, 0), (6, 1), (6, 2), (300, 0), (40, 0), (0xfffffff0, 3)))
    s['tsn_wrap'] = b''.join(record(packet([c])) for c in (
        data(1, 0, b'end'), data(0, 0xffffffff, b'mid'), data(2, 0xfffffffe, b'start')))
    s['malformed'] = (record(packet([])) + record(packet([data(3, 1, b'')])) +
                      record(packet([control(3)])[:-2]) +
                      record(packet([struct.pack('!BBH', 0, 3, 2)])) +
                      record(packet([data(3, 9, b'cut me')])[:-5]) +
                      record(packet([idata(1, 10, b'fsn0', mid=3, ppid_fsn=0)])))
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--corpus', default='/work/shared/corpus')
    ap.add_argument('--out', default=os.path.join(HERE, 'seeds', 'sctp'))
    a = ap.parse_args()
    seeds = synthetic()
    cap = os.path.join(a.corpus, 'sip_sctp_sll.pcap')
    if os.path.exists(cap):
        pk = capture_packets(cap)
        first = pk[0][0]
        seeds['capture_sip_sctp'] = b''.join(record(p, 0 if src == first else 2) for src, p in pk)
        seeds['capture_fragments_reversed'] = record(pk[1][1]) + record(pk[0][1])
    # Overwrite only the names made here: other files in the directory
    # (hand-made seeds, inputs of fixed crashes) stay.
    os.makedirs(a.out, exist_ok=True)
    for name, b in sorted(seeds.items()):
        with open(os.path.join(a.out, name), 'wb') as f:
            f.write(b)
    print('%d seeds in %s' % (len(seeds), a.out))


if __name__ == '__main__':
    main()
