#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark captures for bench/gen's tcp and tunnel presets, built with
tests/gen/encapgen.py's packet builders (and voipgen.py for the tunnel's
call mix).  Same arguments -> same bytes.

  tcp     SIP over TCP with RTP: --conns connections, one call each, every
          connection opened (SYN) and closed (FIN both ways) inside the
          capture, several messages per segment and messages split over
          segments, OPTIONS pings during the media
  tunnel  the bench/gen call mix (voipgen --scenario bench) with every frame
          inside a tunnel: each pair of hosts in VXLAN, GRE or ERSPAN II

Why every TCP connection closes inside the capture: bench/run.sh replays it
with --loop, and the next pass sends the same sequence numbers again.  A
connection still open at the end of a pass would see every later segment as
a retransmission; one that closed is forgotten, and its SYN in the next pass
opens it afresh, so each pass costs what the first did.

usage: gencap.py tcp OUTDIR [--conns N] [--rtp-packets N] [--pings N] [--seed S]
       gencap.py tunnel OUTDIR [--calls N] [--duration-s S] [--seed S]
Writes OUTDIR/bench-tcp.pcap and .json (encapgen's truth: every message with
the frame that completes it) or OUTDIR/bench-tunnel.pcap and .json
(voipgen's summary of the inner calls, with the frames per tunnel kind).
"""

import argparse
import json
import os
import random
import struct
import sys
import tempfile
import zlib

_tests = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests")
sys.path.insert(0, os.path.join(_tests, "gen"))
sys.path.insert(0, os.path.join(_tests, "integration"))
import encapgen as eg  # noqa: E402
import pcapfile  # noqa: E402
import voipgen  # noqa: E402

SERVERS = 8


def split_send(conn, t, d, start, end, cuts, gap=150):
    """Sends direction d's bytes [start, end) as segments cut at the
    offsets in cuts; returns the time after the last."""
    edges = [start] + [c for c in cuts if start < c < end] + [end]
    for x, y in zip(edges, edges[1:]):
        conn.send(t, d, x, y)
        t += gap
    return t


def tcp_connection(cap, rng, audio, i, t, rtp_packets, pings):
    """One connection, one call: returns the TCP frames it added."""
    cli = eg.Host("10.20.%d.%d" % (i // 250, i % 250 + 1), rng)
    srv = eg.Host("198.51.100.%d" % (10 + i % SERVERS), rng)
    cport = rng.randint(20000, 60000)
    call = eg.Call(rng, cli, srv, "TCP", a_port=cport)
    conn = eg.TcpConn(cap, rng, cli, srv, cport)
    first = len(cap.frames)
    # Each direction's byte stream holds its messages in the order they are
    # sent: queue() appends, send() takes byte ranges of it.
    msg = {name: p for _, name, p in call.msgs[:5]}
    invite = conn.queue(0, msg["INVITE"], call.call_id)
    trying = conn.queue(1, msg["100"], call.call_id)
    ringing = conn.queue(1, msg["180"], call.call_id)
    ok = conn.queue(1, msg["200"], call.call_id)
    ack = conn.queue(0, msg["ACK"], call.call_id)
    # Pipelined right behind the ACK: three MESSAGEs, the second split.
    texts = [eg.standalone(rng, cli, srv, "MESSAGE", rng.randint(80, 300), "TCP", sport=cport)
             for _ in range(3)]
    moff = [conn.queue(0, p, cid) for cid, p in texts]
    conn.handshake(t)
    t += 1000
    s, e = invite
    t = split_send(conn, t, 0, s, e, [s + rng.randint(200, e - s - 200)])
    t += 3000
    conn.send(t, 1, trying[0], ringing[1])           # 100 + 180 in one segment
    t += 30000
    s, e = ok
    t = split_send(conn, t, 1, s, e, [s + (e - s) // 2])
    conn.ack(t + 200, 0)
    t += 2000
    m2 = (moff[1][0] + moff[1][1]) // 2
    # ACK + MESSAGE 1 + the head of MESSAGE 2 | its tail + MESSAGE 3
    t = split_send(conn, t, 0, ack[0], moff[2][1], [m2], gap=400)
    answers = [conn.queue(1, eg.ok_for(p), cid) for cid, p in texts]
    conn.send(t + 2000, 1, answers[0][0], answers[-1][1])
    t += 10000
    send = eg.tunnel_sender(cap, eg.Tunnel("plain", rng))
    eg.rtp_stream(cap, rng, audio, call, 0, t, send, rtp_packets)
    eg.rtp_stream(cap, rng, audio, call, 1, t + 5000, send, rtp_packets)
    media_us = rtp_packets * 20000
    for k in range(pings):
        tp = t + (k + 1) * media_us // (pings + 1)
        cid, p = eg.standalone(rng, cli, srv, "OPTIONS", 0, "TCP", sport=cport)
        s, e = conn.queue(0, p, cid)
        conn.send(tp, 0, s, e)
        s, e = conn.queue(1, eg.ok_for(p), cid)
        conn.send(tp + 1500, 1, s, e)
    t += media_us + 20000
    s, e = conn.queue(0, call.msgs[5][2], call.call_id)          # BYE
    bye_ok = conn.queue(1, call.msgs[6][2], call.call_id)         # its 200
    t = split_send(conn, t, 0, s, e, [s + (e - s) // 3, s + 2 * (e - s) // 3])
    conn.send(t + 3000, 1, bye_ok[0], bye_ok[1])
    conn.close(t + 5000)
    return len(cap.frames) - first - 2 * rtp_packets


def build_tcp(a):
    rng = random.Random("bench-tcp:%d" % a.seed)
    audio = eg.Audio(a.seed)
    cap = eg.Capture("bench-tcp", a.seed,
                     "bench tcp preset: %d SIP/TCP connections, one call each, %d RTP packets "
                     "per stream, %d OPTIONS pings" % (a.conns, a.rtp_packets, a.pings))
    tcp_frames = 0
    for i in range(a.conns):
        # Connections start 5 ms apart and each lasts longer than its media,
        # so about media / 5 ms of them are open at once, their segments
        # interleaved.
        tcp_frames += tcp_connection(cap, rng, audio, i, 100000 + 5000 * i, a.rtp_packets,
                                     a.pings)
    # The truth (encapgen's): every message with the frame completing it.
    doc = cap.write(a.outdir)
    return {"frames": doc["frames"], "tcp_frames": tcp_frames, "connections": a.conns,
            "sip_messages": len(doc["messages"]), "rtp_streams": len(doc["streams"])}


TUNNEL_KINDS = ("vxlan", "gre_keyseq", "erspan2")


def build_tunnel(a):
    rng = random.Random("bench-tunnel:%d" % a.seed)
    tunnels = {k: eg.Tunnel(k, rng) for k in TUNNEL_KINDS}
    fd, inner = tempfile.mkstemp(suffix=".pcap", dir=a.outdir)
    os.close(fd)
    summary = os.path.join(a.outdir, "bench-tunnel.json")
    try:
        voipgen.main(["--scenario", "bench", "--seed", str(a.seed), "--calls", str(a.calls),
                      "--duration-s", str(a.duration_s), "--flat-share", "0.1", "--out", inner,
                      "--summary", summary, "--quiet"])
        _, frames, _ = pcapfile.read(inner)
    finally:
        os.remove(inner)
    out = []
    per_kind = dict.fromkeys(TUNNEL_KINDS, 0)
    for sec, usec, _, _, f in frames:
        etype = struct.unpack("!H", f[12:14])[0]
        if etype != eg.ETH_IP4:
            raise ValueError("voipgen frame with ethertype 0x%04x" % etype)
        l3 = f[14:]
        src, dst = l3[12:16], l3[16:20]
        # One tunnel per pair of hosts, as between two VTEPs: a call's SIP,
        # RTP and RTCP all take the same one.
        kind = TUNNEL_KINDS[zlib.crc32(min(src, dst) + max(src, dst)) % len(TUNNEL_KINDS)]
        per_kind[kind] += 1
        out.append((sec, usec, tunnels[kind].wrap(l3, 4, 0 if src < dst else 1)))
    pcapfile.write(os.path.join(a.outdir, "bench-tunnel.pcap"), out)
    # The truth is voipgen's summary of the inner call mix, plus the tunnels.
    with open(summary) as fh:
        doc = json.load(fh)
    doc["tunnels"] = {"frames_per_kind": per_kind,
                      "kinds": {k: eg.TUNNELS[k][1] for k in TUNNEL_KINDS}}
    with open(summary, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    return {"frames": len(out), "calls": a.calls, "frames_per_tunnel": per_kind}


def main(argv=None):
    p = argparse.ArgumentParser(description="bench/gen tcp and tunnel captures")
    sub = p.add_subparsers(dest="preset", required=True)
    t = sub.add_parser("tcp")
    t.add_argument("--conns", type=int, default=200)
    t.add_argument("--rtp-packets", type=int, default=20, help="RTP packets per stream")
    t.add_argument("--pings", type=int, default=4, help="OPTIONS per connection")
    u = sub.add_parser("tunnel")
    u.add_argument("--calls", type=int, default=10)
    u.add_argument("--duration-s", type=float, default=10.0)
    for x in (t, u):
        x.add_argument("outdir")
        x.add_argument("--seed", type=int, default=1)
        x.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    os.makedirs(a.outdir, exist_ok=True)
    doc = build_tcp(a) if a.preset == "tcp" else build_tunnel(a)
    if not a.quiet:
        print("gencap %s: %s" % (a.preset, json.dumps(doc)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
