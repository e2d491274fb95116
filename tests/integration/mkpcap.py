# SPDX-License-Identifier: BSD-3-Clause
"""Generates the crafted captures in tests/data/ (deterministic: same bytes
every run, so the checked-in files can be regenerated and compared).

  gen_sip_qinq.pcap          SIP in 802.1ad+802.1Q (QinQ), double 0x8100,
                             single 802.1Q (IPv6) and untagged frames
  gen_sip_bad_checksum.pcap  SIP with a wrong UDP checksum, a zero checksum
                             over IPv4 (legal) and IPv6 (illegal), a
                             transmit-offload partial checksum, a good one,
                             and a non-SIP datagram cut by the snap length

usage: mkpcap.py OUTDIR          write both files into OUTDIR
       mkpcap.py --check DATADIR exit 1 unless DATADIR holds exactly what
                                 this script generates
"""

import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapfile  # noqa: E402

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
# Documentation ranges only (RFC 5737, RFC 3849).
V4_A, V4_B = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 20])
V6_A = bytes.fromhex("20010db8000000000000000000000010")
V6_B = bytes.fromhex("20010db8000000000000000000000020")
T0 = 1700000000


def sip_request(method, callid, cseq=1, body=b""):
    return (("%s sip:bob@198.51.100.20 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-%s\r\n"
             "Max-Forwards: 70\r\n"
             "From: <sip:alice@192.0.2.10>;tag=a%s\r\n"
             "To: <sip:bob@198.51.100.20>\r\n"
             "Call-ID: %s\r\n"
             "CSeq: %d %s\r\n"
             "Contact: <sip:alice@192.0.2.10:5060>\r\n"
             "Content-Length: %d\r\n\r\n")
            % (method, callid[:8], callid[:6], callid, cseq, method, len(body))).encode() + body


def sip_response(code, reason, method, callid, cseq=1):
    return (("SIP/2.0 %d %s\r\n"
             "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-%s\r\n"
             "From: <sip:alice@192.0.2.10>;tag=a%s\r\n"
             "To: <sip:bob@198.51.100.20>;tag=b%s\r\n"
             "Call-ID: %s\r\n"
             "CSeq: %d %s\r\n"
             "Content-Length: 0\r\n\r\n")
            % (code, reason, callid[:8], callid[:6], callid[:6], callid, cseq, method)).encode()


def csum_field(pseudo, udp_wo_csum):
    """RFC 768 checksum; a computed 0 is sent as 0xffff."""
    c = 0xFFFF - pcapfile.fold(pseudo + pcapfile.ones_sum(udp_wo_csum))
    return 0xFFFF if c == 0 else c


def udp(sport, dport, payload, pseudo_addr_sum, mode="good"):
    """mode: good | bad | zero | partial."""
    ulen = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    pseudo = pseudo_addr_sum + 17 + ulen
    if mode == "good":
        c = csum_field(pseudo, hdr + payload)
    elif mode == "bad":
        c = csum_field(pseudo, hdr + payload) ^ 0x5A5A
    elif mode == "zero":
        c = 0
    elif mode == "partial":
        c = pcapfile.fold(pseudo)
    else:
        raise ValueError(mode)
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def ipv4(src, dst, l4, ident):
    total = 20 + len(l4)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, 64, 17, 0, src, dst)
    c = 0xFFFF - pcapfile.fold(pcapfile.ones_sum(h))
    return h[:10] + struct.pack("!H", c) + h[12:] + l4


def ipv6(src, dst, l4):
    return struct.pack("!IHBB", 0x60000000, len(l4), 17, 64) + src + dst + l4


def udp4(src, dst, sport, dport, payload, mode="good", ident=1):
    s = pcapfile.ones_sum(src + dst)
    return ipv4(src, dst, udp(sport, dport, payload, s, mode), ident)


def udp6(src, dst, sport, dport, payload, mode="good"):
    s = pcapfile.ones_sum(src + dst)
    return ipv6(src, dst, udp(sport, dport, payload, s, mode))


def eth(ip_packet, tags=(), src=MAC_A, dst=MAC_B):
    """tags: (tpid, vid) from outermost to innermost."""
    et = 0x0800 if ip_packet[0] >> 4 == 4 else 0x86DD
    out = dst + src
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid & 0x0FFF)
    return out + struct.pack("!H", et) + ip_packet


def qinq_frames():
    c1 = "qinq-call-1@192.0.2.10"
    c2 = "vlan6-options-2@2001:db8::10"
    c3 = "double8100-bye-3@192.0.2.10"
    qinq = ((0x88A8, 100), (0x8100, 200))
    return [
        (T0, 100000, eth(udp4(V4_A, V4_B, 5060, 5060, sip_request("INVITE", c1), ident=11), qinq)),
        (T0, 200000, eth(udp4(V4_B, V4_A, 5060, 5060, sip_response(180, "Ringing", "INVITE", c1),
                              ident=12), qinq, MAC_B, MAC_A)),
        (T0, 300000, eth(udp6(V6_A, V6_B, 5060, 5060, sip_request("OPTIONS", c2)), ((0x8100, 300),))),
        (T0, 400000, eth(udp4(V4_A, V4_B, 5060, 5060, sip_request("ACK", c1), ident=13))),
        (T0, 500000, eth(udp4(V4_A, V4_B, 5060, 5060, sip_request("BYE", c3, 2), ident=14),
                         ((0x8100, 10), (0x8100, 20)))),
    ]


def checksum_frames():
    cb = "bad-checksum-invite@192.0.2.10"
    cg = "good-checksum-trying@192.0.2.10"
    z4 = "zero-ipv4-options@192.0.2.10"
    z6 = "zero-ipv6-message@2001:db8::10"
    po = "offload-partial-info@192.0.2.10"
    junk = bytes(range(256)) * 2
    cut = eth(udp4(V4_A, V4_B, 40000, 40002, junk, ident=26))
    return [
        (T0 + 10, 1, eth(udp4(V4_A, V4_B, 5060, 5060, sip_request("INVITE", cb), "bad", 21))),
        (T0 + 10, 2, eth(udp4(V4_B, V4_A, 5060, 5060, sip_response(100, "Trying", "INVITE", cg),
                              "good", 22), (), MAC_B, MAC_A)),
        (T0 + 10, 3, eth(udp4(V4_A, V4_B, 5060, 5060, sip_request("OPTIONS", z4), "zero", 23))),
        (T0 + 10, 4, eth(udp6(V6_A, V6_B, 5060, 5060, sip_request("MESSAGE", z6, 1, b"hello"),
                              "zero"))),
        (T0 + 10, 5, eth(udp4(V4_A, V4_B, 5060, 5060, sip_request("INFO", po), "partial", 25))),
        # Snap length 200: the datagram is incomplete in the capture.
        (T0 + 10, 6, cut[:200], len(cut)),
    ]


FILES = {
    "gen_sip_qinq.pcap": qinq_frames,
    "gen_sip_bad_checksum.pcap": checksum_frames,
}


def generate(outdir):
    for name, fn in FILES.items():
        pcapfile.write(os.path.join(outdir, name), fn())


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        with tempfile.TemporaryDirectory(prefix="hp-mkpcap-") as tmp:
            generate(tmp)
            bad = 0
            for name in FILES:
                with open(os.path.join(tmp, name), "rb") as a:
                    want = a.read()
                try:
                    with open(os.path.join(argv[2], name), "rb") as b:
                        have = b.read()
                except OSError as e:
                    print("FAIL %s: %s" % (name, e))
                    bad += 1
                    continue
                if want != have:
                    print("FAIL %s differs from what mkpcap.py generates" % name)
                    bad += 1
                else:
                    print("ok %s" % name)
            return 1 if bad else 0
    if len(argv) == 2:
        generate(argv[1])
        return 0
    print(__doc__.strip().splitlines()[-4], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
