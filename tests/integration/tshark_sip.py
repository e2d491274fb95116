# SPDX-License-Identifier: BSD-3-Clause
"""Every SIP message tshark finds in a capture, as raw bytes: the truth for
test_reassembly.py.

usage: tshark_sip.py FILE...     (prints the messages and a count per file)

tshark 4.0 runs with its reassembly switched on (TCP streams, SIP headers
and bodies over TCP, IPv4/IPv6 fragments are on by default), over WebSocket,
SCTP and the tunnels it knows (GRE/ERSPAN, PPP, IP-in-IP...), with
`-T json -x --no-duplicate-keys`: each layer then comes with a `<proto>_raw`
[hex, offset, length, bitmask, type] taken from the buffer the layer was
dissected from -- the reassembled buffer for reassembled messages, the
unmasked payload for WebSocket -- and several SIP PDUs in one frame become
a list.  So `sip_raw` is one SIP message, start line to the end of its body
(Content-Length honoured over stream transports), without TCP, WebSocket or
SCTP framing; check_message() below re-checks that from the bytes alone.

A message is attributed to the frame tshark shows it on: the frame that
completes it (last TCP segment, last IP fragment).  Its addresses, ports and
transport are the innermost ones of that frame (the last IPv4/IPv6 layer and
the last UDP/TCP/SCTP layer of frame.protocols).

Left out, with a reason: SIP quoted inside ICMP errors (a truncated copy of
a packet, not a message on the wire).

Per-capture decode-as options (ports tshark does not know as SIP) are in
TSHARK_OPTS; the corpus used the same (see /work/shared/corpus/tshark).
"""

import json
import os
import re
import subprocess
import sys

TSHARK = "tshark"

BASE_OPTS = [
    "-o", "tcp.desegment_tcp_streams:TRUE",
    "-o", "sip.desegment_headers:TRUE",
    "-o", "sip.desegment_body:TRUE",
    "-o", "ip.defragment:TRUE",
    "-o", "ipv6.defragment:TRUE",
]

# Without the decode-as tshark calls the port-6060 stream X11.
TSHARK_OPTS = {
    "sip_tcp6060_segmented.pcap": ["-d", "tcp.port==6060,sip"],
}

TRANSPORTS = {"udp": 17, "tcp": 6, "sctp": 132}


def run_tshark(pcap):
    cmd = [TSHARK, "-n", "-r", pcap] + BASE_OPTS + TSHARK_OPTS.get(os.path.basename(pcap), []) + \
        ["-Y", "sip", "-T", "json", "-x", "--no-duplicate-keys"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("tshark failed (%d): %s" % (p.returncode, p.stderr.decode()[-500:]))
    out = p.stdout.decode("utf-8", "replace").strip()
    return [pkt["_source"]["layers"] for pkt in json.loads(out)] if out else []


def as_list(v):
    """--no-duplicate-keys turns a repeated layer into a list of them."""
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def raw_list(v):
    """A `_raw` value is [hex, off, len, mask, type], or a list of those."""
    if v is None:
        return []
    return [v] if isinstance(v[0], str) else v


def find_key(tree, key):
    """First value of `key` anywhere in a nested tshark JSON layer."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        for v in tree.values():
            r = find_key(v, key)
            if r is not None:
                return r
    elif isinstance(tree, list):
        for v in tree:
            r = find_key(v, key)
            if r is not None:
                return r
    return None


def epoch_to_ns(s):
    """'1105725482.965944000' -> integer nanoseconds, exact (no float)."""
    whole, _, frac = s.partition(".")
    return int(whole) * 1000000000 + int((frac + "000000000")[:9])


_CL = re.compile(rb"^(content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*\r?$", re.I | re.M)
_CALLID = re.compile(rb"^(call-id|i)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$", re.I | re.M)
_START = re.compile(rb"^([A-Za-z]+ [^ \r\n]+ SIP/2\.0|SIP/2\.0 [0-9]{3} [^\r\n]*)\r\n")


def check_message(msg, transport):
    """Problems with msg as one SIP message (RFC 3261 7: start line, headers,
    empty line, body).  Over a stream transport the body is exactly
    Content-Length bytes (RFC 3261 18.3); over UDP Content-Length may be
    absent, and a body is then the rest of the datagram."""
    probs = []
    if not _START.match(msg):
        probs.append("does not begin with a SIP start line: %r" % msg[:40])
    end = msg.find(b"\r\n\r\n")
    if end < 0:
        return probs + ["no empty line ending the headers"]
    head, body = msg[:end + 2], msg[end + 4:]
    m = _CL.search(head)
    if m:
        if int(m.group(2)) != len(body):
            probs.append("body %d bytes, Content-Length %s" % (len(body), m.group(2).decode()))
    elif transport != "udp":
        probs.append("no Content-Length over %s" % transport)
    return probs


def header_callid(msg):
    end = msg.find(b"\r\n\r\n")
    m = _CALLID.search(msg[:end if end >= 0 else len(msg)])
    return m.group(2).decode("utf-8", "replace") if m else None


def innermost(L, protos):
    """(family, src, dst, transport, sport, dport) of the innermost IP and
    transport layers, or (None, reason) when the SIP is not a message on the
    wire.  tokens are frame.protocols up to the first 'sip'."""
    tokens = protos.split(":")
    tokens = tokens[:tokens.index("sip")] if "sip" in tokens else tokens
    if "icmp" in tokens or "icmpv6" in tokens:
        return None, "inside an ICMP error"
    ips = [t for t in tokens if t in ("ip", "ipv6")]
    tps = [t for t in tokens if t in TRANSPORTS]
    if not ips or not tps:
        return None, "no IP or transport layer (%s)" % protos
    fam = ips[-1]
    # The k-th 'ip' token is the k-th entry of the 'ip' layer list.
    layer = as_list(L.get(fam))[ips.count(fam) - 1]
    tp = tps[-1]
    tl = as_list(L.get(tp))[tps.count(tp) - 1]
    pre = "ip" if fam == "ip" else "ipv6"
    return (10 if fam == "ipv6" else 2, layer[pre + ".src"], layer[pre + ".dst"], tp,
            int(tl[tp + ".srcport"]), int(tl[tp + ".dstport"]), tl), None


def sip_messages(pcap):
    """Returns (messages, excluded, problems).  messages: one dict per SIP
    message, in the order tshark shows them; excluded: (frame, reason);
    problems: messages whose bytes do not check as one SIP message."""
    msgs, excluded, problems = [], [], []
    for L in run_tshark(pcap):
        fr = L["frame"]
        num = int(fr["frame.number"])
        where, why = innermost(L, fr["frame.protocols"])
        raws = raw_list(L.get("sip_raw"))
        trees = as_list(L.get("sip"))
        if where is None:
            excluded.append((num, why))
            continue
        if len(raws) != len(trees):
            problems.append("frame %d: %d sip layers, %d sip_raw" % (num, len(trees), len(raws)))
        family, src, dst, tp, sport, dport, tl = where
        # hepprobe sends a UDP datagram's payload whole: it must be one SIP
        # message and nothing more.
        if tp == "udp" and (len(raws) != 1 or bytes.fromhex(raws[0][0]) !=
                            bytes.fromhex(tl.get("udp.payload", "").replace(":", ""))):
            problems.append("frame %d: the UDP payload is not exactly one SIP message" % num)
        for i, (raw, tree) in enumerate(zip(raws, trees)):
            payload = bytes.fromhex(raw[0])
            if len(payload) != raw[2]:
                problems.append("frame %d sip %d: %d bytes, tshark length %d"
                                % (num, i, len(payload), raw[2]))
            callid = find_key(tree, "sip.Call-ID")
            for p in check_message(payload, tp):
                problems.append("frame %d sip %d: %s" % (num, i, p))
            if callid != header_callid(payload):
                problems.append("frame %d sip %d: tshark Call-ID %r, header %r"
                                % (num, i, callid, header_callid(payload)))
            msgs.append({
                "frame": num,
                "index": i,
                "ts_ns": epoch_to_ns(fr["frame.time_epoch"]),
                "protocols": fr["frame.protocols"],
                "family": family, "src": src, "dst": dst,
                "transport": tp, "ip_proto": TRANSPORTS[tp],
                "sport": sport, "dport": dport,
                "payload": payload,
                "callid": callid,
                "websocket": "websocket" in fr["frame.protocols"].split(":"),
            })
    return msgs, excluded, problems


def tcp_directions(pcap):
    """Each TCP direction's bytes, in sequence order (RFC 9293 3.4), with a
    retransmitted byte kept once, read from the segments alone (tshark's
    reassembly off).  Returns {(stream, source port): (bytes, frame of each
    byte, hole)}; a direction stops at its first hole (a segment missing
    from the capture)."""
    cmd = [TSHARK, "-n", "-r", pcap, "-o", "tcp.desegment_tcp_streams:FALSE",
           "-Y", "tcp.len > 0", "-T", "fields", "-E", "occurrence=l",
           "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.srcport",
           "-e", "tcp.seq_raw", "-e", "tcp.payload"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("tshark failed (%d): %s" % (p.returncode, p.stderr.decode()[-500:]))
    segs = {}
    for line in p.stdout.decode().splitlines():
        f = line.split("\t")
        if len(f) < 5 or not f[4]:
            continue
        segs.setdefault((f[1], f[2]), []).append((int(f[0]), int(f[3]), bytes.fromhex(f[4].replace(":", ""))))
    out = {}
    for key, ss in segs.items():
        base = ss[0][1]
        data, owner, hole = bytearray(), [], False
        for frame, seq, pl in sorted(ss, key=lambda s: ((s[1] - base) % (1 << 32), s[0])):
            off = (seq - base) % (1 << 32)
            if off > len(data):
                hole = True
                break
            new = pl[len(data) - off:]
            data += new
            owner += [frame] * len(new)
        out[key] = (bytes(data), owner, hole)
    return out


def split_sip(data, owner):
    """Cuts a SIP byte stream into messages by the empty line and
    Content-Length (RFC 3261 18.3), skipping CRLF keep-alives (RFC 5626
    3.5.1): [(frame of the last byte, message)]."""
    out, pos = [], 0
    while pos < len(data):
        if data[pos:pos + 2] == b"\r\n":
            pos += 2
            continue
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            break
        m = _CL.search(data[pos:end + 2])
        stop = end + 4 + (int(m.group(2)) if m else 0)
        if stop > len(data):
            break
        out.append((owner[stop - 1], data[pos:stop]))
        pos = stop
    return out


def split_ws(data, owner):
    """The WebSocket messages after an HTTP Upgrade (RFC 6455 4, 5.2):
    frames unmasked, a text/binary frame plus its continuations up to FIN
    make one message, control frames skipped.  [(frame of the last byte of
    the final frame, message)]."""
    out, msg = [], b""
    pos = data.find(b"\r\n\r\n") + 4
    while pos + 2 <= len(data):
        b0, b1 = data[pos], data[pos + 1]
        n, hdr = b1 & 0x7F, 2
        if n == 126:
            n, hdr = int.from_bytes(data[pos + 2:pos + 4], "big"), 4
        elif n == 127:
            n, hdr = int.from_bytes(data[pos + 2:pos + 10], "big"), 10
        key = data[pos + hdr:pos + hdr + 4] if b1 & 0x80 else b""
        start = pos + hdr + len(key)
        if start + n > len(data):
            break
        body = data[start:start + n]
        if key:
            body = bytes(c ^ key[i % 4] for i, c in enumerate(body))
        if (b0 & 0x0F) in (0, 1, 2):
            msg += body
            if b0 & 0x80:
                out.append((owner[start + n - 1], msg))
                msg = b""
        pos = start + n
    return out


def own_split(pcap):
    """An independent reading of SIP over TCP and WebSocket, to check
    tshark's reassembly with.  A direction whose bytes start with a SIP start
    line is SIP; one that starts with an HTTP GET or a 101 response with
    Upgrade: websocket is a WebSocket (RFC 7118: one SIP message per WebSocket message); others are
    skipped.  Returns (tcp, ws, holes): lists of (frame, message), and the
    SIP or WebSocket directions that had a hole."""
    tcp, ws, holes = [], [], []
    for key, (data, owner, hole) in sorted(tcp_directions(pcap).items()):
        hend = data.find(b"\r\n\r\n")
        if _START.match(data.lstrip(b"\r\n")):
            tcp += split_sip(data, owner)
        elif (data.startswith(b"GET ") or data.startswith(b"HTTP/1.1 101")) and hend >= 0 and \
                re.search(rb"^upgrade:[ \t]*websocket", data[:hend], re.I | re.M):
            ws += split_ws(data, owner)
        else:
            continue
        if hole:
            holes.append(key)
    return tcp, ws, holes


def summary(msgs):
    by = {}
    for m in msgs:
        k = m["transport"] + ("/ws" if m["websocket"] else "")
        by[k] = by.get(k, 0) + 1
    return by


def main(argv):
    rc = 0
    for pcap in argv[1:]:
        msgs, exc, probs = sip_messages(pcap)
        print("%s: %d SIP messages %s in %d frames; excluded %s; problems %d"
              % (os.path.basename(pcap), len(msgs), summary(msgs),
                 len({m["frame"] for m in msgs}), exc[:5], len(probs)))
        for p in probs:
            print("  PROBLEM " + p)
            rc = 1
        own_tcp, own_ws, holes = own_split(pcap)
        for what, own, ws in (("TCP", own_tcp, False), ("WebSocket", own_ws, True)):
            ts = sorted((m["frame"], m["payload"]) for m in msgs
                        if m["transport"] == "tcp" and m["websocket"] == ws)
            same = sorted(own) == ts
            print("  own %s split: %d messages, %s" % (what, len(own), "same as tshark" if same else "DIFFERENT"))
            rc = rc if same else 1
        if holes:
            print("  PROBLEM holes in SIP/WebSocket directions %s" % holes)
            rc = 1
        for m in msgs:
            print("  f%d.%d %s %s:%d -> %s:%d len=%d %r %s"
                  % (m["frame"], m["index"], m["transport"] + ("/ws" if m["websocket"] else ""),
                     m["src"], m["sport"], m["dst"], m["dport"], len(m["payload"]),
                     m["payload"].split(b"\r\n", 1)[0][:50], m["callid"]))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
