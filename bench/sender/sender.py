#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A small paced replay of a capture into a network interface through a raw
AF_PACKET socket: the traffic source of bench/pktgen/rfc2544.py on one
machine, where no DPDK generator and no NIC pair are at hand.

Frames go out unchanged (Ethernet captures only), in file order, looping
over the file as often as needed, at a set packet rate: frame k is due at
t0 + k / pps, and the sender sleeps while it is ahead and sends what is due
when it is behind, so short stalls of a loaded machine are caught up and the
offered rate over the trial stays the set one (the report says how far
behind the schedule it ended, should the machine not keep up at all).

VethLab creates the bench topology and removes it: two network namespaces
(generator side G, probe side P) joined by a veth pair, IPv6 off on both
ends and no addresses at all, so the kernel itself sends nothing on the
link and the probe counts only what the sender wrote. Everything it creates
carries the creating process id in its name and is deleted on exit.

Python 3.8+, no third-party modules; needs CAP_NET_ADMIN and CAP_NET_RAW.

usage: sender.py --iface IF [--netns NS] --pcap FILE --pps R
                 (--seconds S | --count N)
prints one JSON object: {"sent", "errors", "seconds", "pps", "behind_s"}
"""

import argparse
import ctypes
import json
import os
import socket
import struct
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class NetNs:
    """`with NetNs(name):` runs the block in network namespace `name` (this
    thread only); a socket made inside stays in that namespace."""

    def __init__(self, name):
        self.name = name
        self.home = None

    def __enter__(self):
        if self.name is None:
            return self
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into " + self.name)
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        if self.home is None:
            return False
        try:
            if _libc.setns(self.home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(self.home)
        return False



def netns_exec(ns):
    """Command prefix running a program in network namespace ns. nsenter
    enters only the network namespace; `ip netns exec` (and `ip -n`) also
    need a mount namespace, which a chroot cannot give."""
    return ["nsenter", "--net=/run/netns/" + ns]

def read_pcap(path, limit=None):
    """Frames of a classic pcap file (micro- or nanosecond, either byte
    order), Ethernet link type only."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise ValueError("%s: not a pcap file" % path)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            e = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            e = ">"
        else:
            raise ValueError("%s: not a classic pcap file (pcapng: convert with editcap -F pcap)" % path)
        linktype = struct.unpack(e + "I", hdr[20:24])[0]
        if linktype != 1:
            raise ValueError("%s: link type %d, only Ethernet (1) can be sent" % (path, linktype))
        rec = struct.Struct(e + "IIII")
        frames = []
        while limit is None or len(frames) < limit:
            h = f.read(16)
            if len(h) < 16:
                break
            _, _, caplen, _ = rec.unpack(h)
            data = f.read(caplen)
            if len(data) < caplen:
                break
            frames.append(data)
    if not frames:
        raise ValueError("%s: no frames" % path)
    return frames


def open_socket(iface, netns=None):
    with NetNs(netns):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((iface, 0))
    return s


def replay(sock, frames, pps, seconds=None, count=None):
    """Sends frames (looping) at pps until `seconds` have passed or `count`
    frames went out. Returns the report dict."""
    if pps <= 0:
        raise ValueError("pps must be > 0")
    total = count if count is not None else int(round(pps * seconds))
    n = len(frames)
    send = sock.send
    sent = errors = 0
    period = 1.0 / pps
    t0 = time.perf_counter()
    k = 0
    while k < total:
        now = time.perf_counter()
        due = min(total, int((now - t0) * pps) + 1)
        if due <= k:
            # Ahead of the schedule: sleep until the next frame is due (the
            # kernel rounds short sleeps up; the next round catches up).
            time.sleep(max(0.0, t0 + k * period - now))
            continue
        while k < due:
            try:
                send(frames[k % n])
                sent += 1
            except OSError:
                errors += 1
            k += 1
    elapsed = time.perf_counter() - t0
    behind = max(0.0, elapsed - total * period)
    return {"sent": sent, "errors": errors, "seconds": round(elapsed, 6),
            "pps": round(sent / elapsed, 1) if elapsed > 0 else 0.0,
            "behind_s": round(behind, 6)}


def run(cmd, what):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("%s: `%s` exited %d: %s" % (what, " ".join(cmd), p.returncode,
                                                       p.stderr.decode("utf-8", "replace").strip()))
    return p.stdout.decode("utf-8", "replace")


class VethLab:
    """Namespaces hpb<pid>g / hpb<pid>p and veth hpb<pid>g (in G) <->
    hpb<pid>p (in P). Use as a context manager; down() is idempotent."""

    def __init__(self, tag=None):
        t = "hpb%d" % (tag if tag is not None else os.getpid())
        self.ns_gen, self.ns_probe = t + "g", t + "p"
        self.if_gen, self.if_probe = t + "g", t + "p"
        self.made = False

    def up(self):
        self.made = True
        g, p = self.ns_gen, self.ns_probe
        for cmd, what in (
                (["ip", "netns", "add", g], "create namespace G"),
                (["ip", "netns", "add", p], "create namespace P"),
                (["ip", "link", "add", self.if_gen, "type", "veth", "peer", "name", self.if_probe],
                 "create veth pair"),
                (["ip", "link", "set", self.if_gen, "netns", g], "move veth end to G"),
                (["ip", "link", "set", self.if_probe, "netns", p], "move veth end to P"),
                (netns_exec(g) + ["sysctl", "-qw",
                  "net.ipv6.conf.%s.disable_ipv6=1" % self.if_gen], "IPv6 off in G"),
                (netns_exec(p) + ["sysctl", "-qw",
                  "net.ipv6.conf.%s.disable_ipv6=1" % self.if_probe], "IPv6 off in P"),
                (netns_exec(g) + ["ip", "link", "set", self.if_gen, "up"], "veth up in G"),
                (netns_exec(p) + ["ip", "link", "set", self.if_probe, "up"], "veth up in P")):
            run(cmd, what)
        return self

    def down(self):
        if not self.made:
            return
        # Deleting a namespace destroys the veth end inside it and with it the
        # pair; the link delete covers a set-up that failed before the move.
        for cmd in (["ip", "netns", "del", self.ns_gen], ["ip", "netns", "del", self.ns_probe],
                    ["ip", "link", "del", self.if_gen]):
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        self.made = False

    def rx_packets(self):
        """The probe end's kernel RX packet counter."""
        out = run(netns_exec(self.ns_probe) + ["ip", "-j", "-s", "link", "show", "dev", self.if_probe],
                  "read veth counters")
        return json.loads(out)[0]["stats64"]["rx"]["packets"]

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()
        return False


def main(argv=None):
    p = argparse.ArgumentParser(description="Paced raw-socket replay of a pcap file.")
    p.add_argument("--iface", required=True)
    p.add_argument("--netns", default=None, help="network namespace of --iface")
    p.add_argument("--pcap", required=True)
    p.add_argument("--pps", type=float, required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--seconds", type=float)
    g.add_argument("--count", type=int)
    a = p.parse_args(argv)
    try:
        frames = read_pcap(a.pcap)
        s = open_socket(a.iface, a.netns)
        rep = replay(s, frames, a.pps, seconds=a.seconds, count=a.count)
    except (OSError, ValueError) as e:
        print("sender.py: %s" % e, file=sys.stderr)
        return 2
    print(json.dumps(rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
