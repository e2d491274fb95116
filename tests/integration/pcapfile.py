# SPDX-License-Identifier: BSD-3-Clause
"""Classic pcap reading/writing and the little frame decoding the tests need
to tell a transmit-offload artefact from a bad UDP checksum (tshark calls both
"bad").  Written from the pcap file format, IEEE 802.1Q/802.1ad, RFC 791,
RFC 8200 and RFC 768; independent of lib/net and lib/csum."""

import struct

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_RAW_ALT = (12, 14)

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)


def read(path):
    """Returns (linktype, [(ts_sec, ts_frac, incl_len, orig_len, bytes)]) and
    whether fractions are nanoseconds."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    frames = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        frames.append((sec, frac, incl, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, frames, nano


def write(path, frames, linktype=LINKTYPE_ETHERNET, snaplen=65535):
    """frames: (ts_sec, ts_usec, bytes[, orig_len]); little-endian, microseconds."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for fr in frames:
        sec, usec, b = fr[0], fr[1], fr[2]
        orig = fr[3] if len(fr) > 3 else len(b)
        out.append(struct.pack("<IIII", sec, usec, len(b), orig) + b)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def ones_sum(b, acc=0):
    """RFC 1071 one's-complement sum, not folded."""
    if len(b) % 2:
        b = b + b"\x00"
    for (w,) in struct.iter_unpack("!H", b):
        acc += w
    return acc


def fold(acc):
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def outer_udp(linktype, frame):
    """Walks link / VLAN tags / IP to the outer UDP header.  Returns
    dict(pseudo=<unfolded pseudo-header sum>, udp=<bytes from the UDP header>,
    family=4|6) or None when the frame is not plain [VLAN] IP/UDP or is an IP
    fragment."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        et = struct.unpack("!H", frame[12:14])[0]
        off = 14
        while et in VLAN_TPIDS:
            if len(frame) < off + 4:
                return None
            et = struct.unpack("!H", frame[off + 2:off + 4])[0]
            off += 4
    elif linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            return None
        et = struct.unpack("!H", frame[14:16])[0]
        off = 16
    elif linktype == LINKTYPE_RAW or linktype in LINKTYPE_RAW_ALT:
        off = 0
        et = ETH_IPV4 if frame[:1] and frame[0] >> 4 == 4 else ETH_IPV6
    else:
        return None
    ip = frame[off:]
    if et == ETH_IPV4 and len(ip) >= 20 and ip[0] >> 4 == 4:
        ihl = (ip[0] & 0x0F) * 4
        flags_frag = struct.unpack("!H", ip[6:8])[0]
        if flags_frag & 0x3FFF or ip[9] != 17:
            return None
        total = struct.unpack("!H", ip[2:4])[0]
        udp = ip[ihl:total]
        if len(udp) < 8:
            return None
        ulen = struct.unpack("!H", udp[4:6])[0]
        pseudo = ones_sum(ip[12:20]) + 17 + ulen
        return {"pseudo": pseudo, "udp": udp, "family": 4}
    if et == ETH_IPV6 and len(ip) >= 40 and ip[0] >> 4 == 6:
        # Only the no-extension-header case is needed by the captures used.
        if ip[6] != 17:
            return None
        plen = struct.unpack("!H", ip[4:6])[0]
        udp = ip[40:40 + plen]
        if len(udp) < 8:
            return None
        ulen = struct.unpack("!H", udp[4:6])[0]
        pseudo = ones_sum(ip[8:40]) + 17 + ulen
        return {"pseudo": pseudo, "udp": udp, "family": 6}
    return None


def is_offload_partial(linktype, frame):
    """True when the UDP checksum field holds the folded, uncomplemented
    pseudo-header sum: what Linux leaves for the NIC to finish
    (CHECKSUM_PARTIAL) and a capture on the sending host records."""
    u = outer_udp(linktype, frame)
    if u is None:
        return False
    stored = struct.unpack("!H", u["udp"][6:8])[0]
    return stored != 0 and stored == fold(u["pseudo"])
