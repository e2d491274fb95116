# SPDX-License-Identifier: BSD-3-Clause
"""HEPv3 decoder and UDP receiver for the integration tests.

Written from /work/shared/HEP3.md alone (not from lib/hep), so that a
misreading of the format in the encoder cannot hide behind the same misreading
in the test.  Every integer on the wire is network byte order.
"""

import ipaddress
import os
import socket
import struct
import threading
import time
import zlib

# Generic (vendor 0) chunk types, from HEP3.md's table.
CH_FAMILY = 0x01
CH_PROTO = 0x02
CH_SRC4 = 0x03
CH_DST4 = 0x04
CH_SRC6 = 0x05
CH_DST6 = 0x06
CH_SPORT = 0x07
CH_DPORT = 0x08
CH_TS_SEC = 0x09
CH_TS_USEC = 0x0A
CH_PROTO_TYPE = 0x0B
CH_NODE_ID = 0x0C
CH_KEEPALIVE = 0x0D
CH_AUTH_KEY = 0x0E
CH_PAYLOAD = 0x0F
CH_PAYLOAD_GZ = 0x10
CH_CORR_ID = 0x11
CH_VLAN = 0x12
CH_NODE_NAME = 0x13

# Fixed payload sizes: a chunk of one of these types with another size is malformed.
FIXED_SIZE = {
    CH_FAMILY: 1, CH_PROTO: 1, CH_SRC4: 4, CH_DST4: 4, CH_SRC6: 16, CH_DST6: 16,
    CH_SPORT: 2, CH_DPORT: 2, CH_TS_SEC: 4, CH_TS_USEC: 4, CH_PROTO_TYPE: 1,
    CH_NODE_ID: 4, CH_KEEPALIVE: 2, CH_VLAN: 2,
}

# HEP3.md: what every message a collector accepts carries (besides a payload).
MANDATORY = (CH_FAMILY, CH_PROTO, CH_SPORT, CH_DPORT, CH_TS_SEC, CH_TS_USEC,
             CH_PROTO_TYPE, CH_NODE_ID)

HEADER_LEN = 6
CHUNK_HDR_LEN = 6


class HepError(ValueError):
    """The bytes are not a well-formed HEPv3 message."""


class HepMessage:
    """One decoded HEPv3 message.  Vendor-0 chunks are in .chunks by type;
    vendor-private chunks are kept in .vendor as (vendor, type, bytes)."""

    def __init__(self):
        self.chunks = {}
        self.vendor = []
        self.order = []

    def raw(self, t):
        return self.chunks.get(t)

    def u8(self, t):
        v = self.chunks.get(t)
        return None if v is None else v[0]

    def u16(self, t):
        v = self.chunks.get(t)
        return None if v is None else struct.unpack("!H", v)[0]

    def u32(self, t):
        v = self.chunks.get(t)
        return None if v is None else struct.unpack("!I", v)[0]

    def text(self, t):
        v = self.chunks.get(t)
        return None if v is None else v.decode("utf-8", "replace")

    @property
    def family(self):
        return self.u8(CH_FAMILY)

    @property
    def ip_proto(self):
        return self.u8(CH_PROTO)

    @property
    def src_ip(self):
        if CH_SRC4 in self.chunks:
            return str(ipaddress.IPv4Address(self.chunks[CH_SRC4]))
        if CH_SRC6 in self.chunks:
            return str(ipaddress.IPv6Address(self.chunks[CH_SRC6]))
        return None

    @property
    def dst_ip(self):
        if CH_DST4 in self.chunks:
            return str(ipaddress.IPv4Address(self.chunks[CH_DST4]))
        if CH_DST6 in self.chunks:
            return str(ipaddress.IPv6Address(self.chunks[CH_DST6]))
        return None

    @property
    def src_port(self):
        return self.u16(CH_SPORT)

    @property
    def dst_port(self):
        return self.u16(CH_DPORT)

    @property
    def ts_usec(self):
        """Capture time in integer microseconds since the epoch."""
        s, us = self.u32(CH_TS_SEC), self.u32(CH_TS_USEC)
        if s is None or us is None:
            return None
        return s * 1000000 + us

    @property
    def proto_type(self):
        return self.u8(CH_PROTO_TYPE)

    @property
    def node_id(self):
        return self.u32(CH_NODE_ID)

    @property
    def payload(self):
        if CH_PAYLOAD in self.chunks:
            return self.chunks[CH_PAYLOAD]
        if CH_PAYLOAD_GZ in self.chunks:
            # HEP3.md says gzip; accept zlib framing too (wbits 47 = auto-detect).
            return zlib.decompress(self.chunks[CH_PAYLOAD_GZ], 47)
        return None

    @property
    def correlation_id(self):
        return self.text(CH_CORR_ID)

    @property
    def vlan(self):
        return self.u16(CH_VLAN)

    @property
    def node_name(self):
        return self.text(CH_NODE_NAME)

    @property
    def auth_key(self):
        return self.text(CH_AUTH_KEY)

    def problems(self):
        """What makes this message unacceptable to a collector (HEP3.md:
        mandatory chunks, address chunks matching the family, ranges)."""
        out = []
        for t in MANDATORY:
            if t not in self.chunks:
                out.append("missing chunk 0x%02x" % t)
        if CH_PAYLOAD not in self.chunks and CH_PAYLOAD_GZ not in self.chunks:
            out.append("no payload chunk (0x0f/0x10)")
        fam = self.family
        if fam == 2:
            if CH_SRC4 not in self.chunks or CH_DST4 not in self.chunks:
                out.append("family 2 without IPv4 address chunks")
            if CH_SRC6 in self.chunks or CH_DST6 in self.chunks:
                out.append("family 2 with IPv6 address chunks")
        elif fam == 10:
            if CH_SRC6 not in self.chunks or CH_DST6 not in self.chunks:
                out.append("family 10 without IPv6 address chunks")
            if CH_SRC4 in self.chunks or CH_DST4 in self.chunks:
                out.append("family 10 with IPv4 address chunks")
        elif fam is not None:
            out.append("family %d is neither 2 nor 10" % fam)
        us = self.u32(CH_TS_USEC)
        if us is not None and us > 999999:
            out.append("microseconds %d out of range" % us)
        return out


def decode(buf):
    """Decode exactly one HEPv3 message that starts at buf[0].
    Returns (HepMessage, length consumed).  Raises HepError."""
    if len(buf) < HEADER_LEN:
        raise HepError("shorter than the 6-byte header")
    if buf[:4] != b"HEP3":
        raise HepError("bad magic %r" % bytes(buf[:4]))
    total = struct.unpack("!H", buf[4:6])[0]
    if total < HEADER_LEN or total > len(buf):
        raise HepError("total length %d vs %d bytes available" % (total, len(buf)))
    msg = HepMessage()
    off = HEADER_LEN
    while off < total:
        if total - off < CHUNK_HDR_LEN:
            raise HepError("chunk header at %d runs past total length %d" % (off, total))
        vendor, ctype, clen = struct.unpack("!HHH", buf[off:off + 6])
        if clen < CHUNK_HDR_LEN:
            raise HepError("chunk 0x%04x length %d below 6" % (ctype, clen))
        if off + clen > total:
            raise HepError("chunk 0x%04x at %d length %d runs past total length %d"
                           % (ctype, off, clen, total))
        body = bytes(buf[off + 6:off + clen])
        if vendor != 0:
            msg.vendor.append((vendor, ctype, body))
        else:
            if ctype in msg.chunks:
                raise HepError("chunk 0x%04x sent twice" % ctype)
            want = FIXED_SIZE.get(ctype)
            if want is not None and len(body) != want:
                raise HepError("chunk 0x%04x payload %d bytes, expected %d"
                               % (ctype, len(body), want))
            msg.chunks[ctype] = body
            msg.order.append(ctype)
        off += clen
    return msg, total


def decode_datagram(buf):
    """A UDP datagram holds one or more whole HEPv3 messages back to back."""
    out = []
    off = 0
    while off < len(buf):
        msg, n = decode(memoryview(buf)[off:])
        out.append(msg)
        off += n
    if not out:
        raise HepError("empty datagram")
    return out


def _udp_drops(port):
    """Kernel drop counter of our 127.0.0.1:port socket (last column of
    /proc/net/udp): tells a receiver overflow apart from a sender that did not
    send."""
    want = "0100007F:%04X" % port
    try:
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[1] == want:
                    return int(cols[-1])
    except OSError:
        return None
    return None


class Receiver:
    """Collects UDP datagrams on 127.0.0.1:<random free port> in a thread.

    Usage: r = Receiver(); start the sender with r.port; wait for the sender
    to exit; datagrams = r.finish().  finish() drains until the socket has been
    quiet for `quiet` seconds: the sender has exited, so everything it sent is
    already in (or was dropped by) the socket buffer, and the quiet period only
    bounds how long we look, it never decides a verdict."""

    def __init__(self, rcvbuf=32 << 20):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # Root may exceed rmem_max (SO_RCVBUFFORCE = 33 on Linux).
            self.sock.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.datagrams = []
        self._stop = threading.Event()
        self._thr = threading.Thread(target=self._run, daemon=True)
        self._thr.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.datagrams.append(data)

    def finish(self, quiet=1.0, limit=30.0):
        """Call after the sender exited.  Returns the list of datagrams."""
        deadline = time.monotonic() + limit
        last = len(self.datagrams)
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            n = len(self.datagrams)
            if n != last:
                last = n
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet:
                break
        self.drops = _udp_drops(self.port)
        self._stop.set()
        self._thr.join()
        self.sock.close()
        return self.datagrams


def free_udp_port():
    """A port that was free a moment ago (for receivers we do not own, such as
    sngrep or Kamailio, which must bind it themselves)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _selftest():
    """Decode hand-built messages (built here from HEP3.md, byte by byte)."""
    def chunk(t, body, vendor=0):
        return struct.pack("!HHH", vendor, t, 6 + len(body)) + body
    sip = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x1\r\n\r\n"
    body = (chunk(1, b"\x02") + chunk(2, b"\x11") + chunk(3, bytes([10, 0, 0, 1]))
            + chunk(4, bytes([10, 0, 0, 2])) + chunk(7, b"\x13\xc4") + chunk(8, b"\x13\xc5")
            + chunk(9, struct.pack("!I", 1700000000)) + chunk(10, struct.pack("!I", 123456))
            + chunk(11, b"\x01") + chunk(12, struct.pack("!I", 7)) + chunk(0x11, b"x1")
            + chunk(0x99, b"zz", vendor=0x1234) + chunk(15, sip))
    msg = b"HEP3" + struct.pack("!H", 6 + len(body)) + body
    m, n = decode(msg)
    assert n == len(msg)
    assert m.family == 2 and m.ip_proto == 17
    assert m.src_ip == "10.0.0.1" and m.dst_ip == "10.0.0.2"
    assert m.src_port == 5060 and m.dst_port == 5061
    assert m.ts_usec == 1700000000123456
    assert m.proto_type == 1 and m.node_id == 7 and m.correlation_id == "x1"
    assert m.payload == sip and m.problems() == []
    assert m.vendor == [(0x1234, 0x99, b"zz")]
    assert len(decode_datagram(msg + msg)) == 2
    for bad in (msg[:5], b"HEP2" + msg[4:], msg[:-1],
                msg[:4] + struct.pack("!H", len(msg) - 3) + msg[6:]):
        try:
            decode(bad)
        except HepError:
            continue
        raise AssertionError("accepted malformed %r" % bad[:8])
    # A chunk whose length field claims less than its own header.
    broken = b"HEP3" + struct.pack("!H", 12) + struct.pack("!HHH", 0, 1, 5)
    try:
        decode(broken)
    except HepError:
        pass
    else:
        raise AssertionError("accepted chunk length 5")
    # Receiver round trip.
    r = Receiver()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(100):
        s.sendto(msg, ("127.0.0.1", r.port))
    s.close()
    got = r.finish(quiet=0.3)
    assert len(got) == 100, len(got)
    assert r.drops == 0, r.drops
    print("hep3 selftest ok (pid %d)" % os.getpid())


if __name__ == "__main__":
    _selftest()
