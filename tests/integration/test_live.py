# SPDX-License-Identifier: BSD-3-Clause
"""hepprobe on a live port: EAL mode (`hepprobe [EAL args] -- --port 0`) on a
veth end inside a network namespace, fed with the frames of a capture.

usage: test_live.py HEPPROBE PCAP af_packet
       test_live.py HEPPROBE PCAP af_xdp XDP_PROG.o

Set-up (all of it private to this run, removed in `finally`):
  * namespaces hp<pid>a / hp<pid>b joined by veth hp<pid>x / hp<pid>y, with
    10.99.N.1/24 and 10.99.N.2/24, IPv6 off on both ends (no router or
    neighbour solicitations: the frame counts stay exact), TX checksum
    offload off on the sending end, lo up in A;
  * the HEP receiver (hep3.Receiver) on 127.0.0.1 inside A: its socket is
    created after setns(2) into A, so it lives there;
  * hepprobe inside A (`nsenter --net`) on hp<pid>x through net_af_packet or
    net_af_xdp with our XDP program (xsks_map);
  * the frames of PCAP, written unchanged into hp<pid>y from B through an
    AF_PACKET socket in chunks of CHUNK frames, each chunk followed by a
    sentinel SIP OPTIONS built here.

One RX queue keeps the frames in order, so a sentinel's HEP arriving means
hepprobe has taken every frame before it off the port: only then does the
next chunk go out (no ring can overflow, however loaded the machine is), and
only after the last one is hepprobe sent SIGTERM.  Sentinels go to a MAC and
an address nobody in A owns, so A's kernel ignores them and answers nothing.

Expectations come from tshark on the frames exactly as written (capture and
sentinels, tshark_truth) and from the kernel's own counters of the veth:
  * exit code 0 after SIGTERM, every datagram decodes as HEPv3 with the
    mandatory chunks and our node id;
  * every SIP/UDP message tshark sees arrives exactly once, byte for byte,
    with its addresses, ports, Call-ID as correlation id, in wire order;
  * its time stamp is live: not before its chunk's first write, not after
    its sentinel's HEP was seen (causality on one CLOCK_REALTIME, so a
    correct probe cannot miss it however slow the machine);
  * rx_frames_total == frames written == the veth's RX packet counter in A,
    and A sent nothing on the veth; rx == sum(delivered) + sum(drops);
    delivered{kind=sip} == SIP messages; checksum verdicts == tshark's status
    counts; hep_sent / hep_bytes == what arrived; port_imissed == 0.
A missing tool or a set-up step that fails is a failure, never a skip.
"""

import collections
import ctypes
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hep3  # noqa: E402
import pcapfile  # noqa: E402
import tshark_truth  # noqa: E402

EAL = ["-l", "0-1", "--no-huge", "-m", "1024", "--no-pci", "--no-shconf", "--no-telemetry"]
NODE_ID = 4343
WAIT_HEP = 30.0          # bound on waiting for the sentinel's HEP
WAIT_READY = 20.0        # bound on waiting for the port to come up
PROBE_EXIT = 20.0        # bound on hepprobe's exit after SIGTERM
# Frames written before waiting for a sentinel: well under the smallest
# ring on the way (hepprobe's 1024 RX descriptors, the kernel's backlog of
# 1000 frames per CPU), so a busy machine slows the test but loses nothing.
CHUNK = 256
CLONE_NEWNET = 0x40000000
SENTINEL_MAC_DST = bytes.fromhex("020000000099")   # locally administered, unused
SENTINEL_MAC_SRC = bytes.fromhex("020000000098")

_libc = ctypes.CDLL(None, use_errno=True)


class NetNs:
    """`with NetNs(name):` runs the block in namespace `name` (this thread
    only); sockets made inside keep that namespace after the block."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into %s" % self.name)
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        try:
            if _libc.setns(self.home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back home")
        finally:
            os.close(self.home)
        return False



def netns_exec(ns):
    """Command prefix running a program in network namespace ns. nsenter
    enters only the network namespace; `ip netns exec` also remounts /sys in
    a new mount namespace, which fails where / is not a mount point (chroot)."""
    return ["nsenter", "--net=/run/netns/" + ns]

def sh(c, cmd, what):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if p.returncode != 0:
        c.fatal("%s: `%s` exited %d: %s" % (what, " ".join(cmd), p.returncode,
                                            p.stderr.decode("utf-8", "replace").strip()))
        return False
    return True


class Topology:
    def __init__(self):
        pid = os.getpid()
        self.ns_a, self.ns_b = "hp%da" % pid, "hp%db" % pid
        self.if_a, self.if_b = "hp%dx" % pid, "hp%dy" % pid
        n = pid % 250 + 1
        self.ip_a, self.ip_b = "10.99.%d.1" % n, "10.99.%d.2" % n
        self.ip_nobody = "10.99.%d.3" % n

    def up(self, c):
        a, b = self.ns_a, self.ns_b
        steps = [
            (["ip", "netns", "add", a], "create namespace A"),
            (["ip", "netns", "add", b], "create namespace B"),
            (["ip", "link", "add", self.if_a, "type", "veth", "peer", "name", self.if_b], "create veth pair"),
            (["ip", "link", "set", self.if_a, "netns", a], "move veth end to A"),
            (["ip", "link", "set", self.if_b, "netns", b], "move veth end to B"),
            (netns_exec(a) + ["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.if_a],
             "IPv6 off in A"),
            (netns_exec(b) + ["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.if_b],
             "IPv6 off in B"),
            (netns_exec(a) + ["ip", "addr", "add", self.ip_a + "/24", "dev", self.if_a], "address in A"),
            (netns_exec(b) + ["ip", "addr", "add", self.ip_b + "/24", "dev", self.if_b], "address in B"),
            (netns_exec(a) + ["ip", "link", "set", "lo", "up"], "lo up in A"),
            (netns_exec(a) + ["ip", "link", "set", self.if_a, "up"], "veth up in A"),
            (netns_exec(b) + ["ip", "link", "set", self.if_b, "up"], "veth up in B"),
            (netns_exec(b) + ["ethtool", "-K", self.if_b, "tx", "off"], "TX checksum offload off in B"),
        ]
        for cmd, what in steps:
            if not sh(c, cmd, what):
                return False
        return True

    def down(self):
        # Deleting a namespace destroys the veth end inside it, and the pair
        # with it; the link delete covers a set-up that failed before the move.
        for cmd in (["ip", "netns", "del", self.ns_a], ["ip", "netns", "del", self.ns_b],
                    ["ip", "link", "del", self.if_a]):
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

    def link(self, ns, ifname):
        p = subprocess.run(netns_exec(ns) + ["ip", "-j", "-s", "link", "show", "dev", ifname],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout.decode())[0]


def sentinel_frame(topo, k):
    """SIP OPTIONS number k from B's address to an address nobody owns, UDP
    checksum computed here (RFC 768 over the IPv4 pseudo-header, RFC 1071)."""
    callid = "hp-live-sentinel-%d-%d@%s" % (os.getpid(), k, topo.ip_b)
    sip = ("OPTIONS sip:probe@%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-hplive%d-%d\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:test@%s>;tag=hplive\r\n"
           "To: <sip:probe@%s>\r\n"
           "Call-ID: %s\r\n"
           "CSeq: %d OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n"
           % (topo.ip_nobody, topo.ip_b, os.getpid(), k, topo.ip_b, topo.ip_nobody, callid,
              k + 1)).encode()
    src, dst = socket.inet_aton(topo.ip_b), socket.inet_aton(topo.ip_nobody)
    ulen = 8 + len(sip)
    udp0 = struct.pack("!HHHH", 5060, 5060, ulen, 0) + sip
    acc = pcapfile.ones_sum(src + dst) + 17 + ulen
    cs = (~pcapfile.fold(pcapfile.ones_sum(udp0, acc))) & 0xFFFF
    udp = struct.pack("!HHHH", 5060, 5060, ulen, cs or 0xFFFF) + sip
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, k & 0xFFFF, 0, 64, 17, 0, src, dst)
    iph = iph[:10] + struct.pack("!H", (~pcapfile.fold(pcapfile.ones_sum(iph))) & 0xFFFF) + iph[12:]
    return SENTINEL_MAC_DST + SENTINEL_MAC_SRC + b"\x08\x00" + iph + udp, callid


def wire_chunks(topo, frames):
    """The capture cut into chunks of CHUNK frames, each followed by its own
    sentinel: [(frames, sentinel frame, sentinel Call-ID)]."""
    out = []
    for k, i in enumerate(range(0, len(frames), CHUNK)):
        frame, callid = sentinel_frame(topo, k)
        out.append((frames[i:i + CHUNK], frame, callid))
    return out


def start_probe(binary, topo, mode, xdp_prog, hep_port, mfile, workdir):
    if mode == "af_packet":
        vdev = "net_af_packet0,iface=%s" % topo.if_a
    else:
        vdev = "net_af_xdp0,iface=%s,start_queue=0,queue_count=1,xdp_prog=%s" % (topo.if_a, xdp_prog)
    cmd = (netns_exec(topo.ns_a) + [binary] + EAL + ["--vdev", vdev, "--",
           "--port", "0", "--hep", "udp:127.0.0.1:%d" % hep_port, "--node-id", str(NODE_ID),
           "--metrics-file", mfile, "--quiet"])
    print("run: %s" % " ".join(cmd))
    # nsenter execs the command: the child's pid is hepprobe's.
    with open(os.path.join(workdir, "probe.out"), "wb") as out, \
            open(os.path.join(workdir, "probe.err"), "wb") as err:
        return subprocess.Popen(cmd, stdout=out, stderr=err, cwd=workdir)


def port_ready(topo, probe):
    """The probe puts the port in promiscuous mode right after starting it."""
    if probe.poll() is not None:
        return True
    info = topo.link(topo.ns_a, topo.if_a)
    return info is not None and "PROMISC" in info.get("flags", [])


class HepWatch:
    """Which Call-IDs have arrived at the receiver so far (decodes each
    datagram once)."""

    def __init__(self, rx):
        self.rx = rx
        self.seen = set()
        self.next = 0

    def has(self, callid):
        dgs = self.rx.datagrams
        while self.next < len(dgs):
            try:
                for m in hep3.decode_datagram(dgs[self.next]):
                    self.seen.add(m.correlation_id)
            except hep3.HepError:
                pass
            self.next += 1
        return callid in self.seen


def send_chunks(topo, chunks, rx, probe, windows):
    """Writes each chunk and its sentinel into B's veth end, then waits for
    the sentinel's HEP before the next chunk: at most CHUNK + 1 frames are
    ever queued at the port, whatever the load on the machine.  Appends to
    `windows` each chunk's (first write, sentinel's HEP seen) wall-clock
    times.  Returns None or why it stopped."""
    watch = HepWatch(rx)
    with NetNs(topo.ns_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        s.bind((topo.if_b, 0))
        for k, (frames, sentinel, callid) in enumerate(chunks):
            t_first = time.time()
            for f in frames:
                s.send(f)
            s.send(sentinel)
            if not harness.wait_until(lambda: watch.has(callid) or probe.poll() is not None,
                                      WAIT_HEP, step=0.02):
                return "sentinel %d (after frame %d) not received within %.0f s" % (
                    k, sum(len(ch[0]) for ch in chunks[:k + 1]), WAIT_HEP)
            windows.append((t_first, time.time()))
            if probe.poll() is not None:
                return "hepprobe exited (%r) during chunk %d" % (probe.returncode, k)
    finally:
        s.close()
    return None


def decode_all(datagrams):
    msgs, errs = [], []
    for i, d in enumerate(datagrams):
        try:
            msgs.extend(hep3.decode_datagram(d))
        except hep3.HepError as e:
            errs.append("datagram %d (%d bytes): %s" % (i, len(d), e))
    return msgs, errs


def check_sip(c, msgs, want, windows):
    got = [m for m in msgs if m.proto_type == 1]
    got_seq = [(m.src_ip, m.dst_ip, m.src_port, m.dst_port, m.payload) for m in got]
    want_seq = [(e["src"], e["dst"], e["sport"], e["dport"], e["payload"]) for e in want]
    missing = [("frame %d %s:%d->%s:%d" % (e["frame"], e["src"], e["sport"], e["dst"], e["dport"]))
               for e, k in zip(want, want_seq) if k not in got_seq]
    c.eq(missing, [], "every tshark SIP/UDP message arrived byte for byte (%d expected)" % len(want))
    c.eq(len(got), len(want), "number of SIP messages (HEP type 1)")
    c.check(got_seq == want_seq, "SIP messages arrived once each, in wire order",
            "first difference at %s" % next((i for i, (a, b) in enumerate(zip(got_seq, want_seq)) if a != b),
                                            min(len(got_seq), len(want_seq))))
    errs, stamp_errs = [], []
    for m, e in zip(got, want):
        if m.family != 2 or m.ip_proto != 17:
            errs.append("frame %d: family %r proto %r" % (e["frame"], m.family, m.ip_proto))
        if e["callids"] and m.correlation_id != e["callids"][0]:
            errs.append("frame %d: correlation id %r vs Call-ID %r" % (e["frame"], m.correlation_id,
                                                                    e["callids"][0]))
        if m.vlan is not None:
            errs.append("frame %d: vlan chunk %r on an untagged frame" % (e["frame"], m.vlan))
        # Causality, not speed: a frame is captured after its chunk's first
        # write began and before its sentinel's HEP was seen (same clock,
        # CLOCK_REALTIME; HEP truncates to microseconds).
        k = (e["frame"] - 1) // (CHUNK + 1)
        if k < len(windows):
            lo, hi = int(windows[k][0] * 1e6) - 1, int(windows[k][1] * 1e6) + 1
            if m.ts_usec is None or not lo <= m.ts_usec <= hi:
                stamp_errs.append("wire frame %d (chunk %d): %r us is %+.3f ms from the window [%d, %d]"
                                  % (e["frame"], k, m.ts_usec, ((m.ts_usec or 0) - (lo if (m.ts_usec or 0) < lo
                                                                                     else hi)) / 1000, lo, hi))
    c.eq(errs[:10], [], "family/proto/Call-ID/VLAN of each SIP message")
    c.eq(stamp_errs[:6], [], "each SIP message's time stamp lies between its chunk's first write and "
         "its sentinel's HEP (%d outside)" % len(stamp_errs))


def check_metrics(c, M, msgs, datagrams, n_sent, want, csum_truth, veth_rx):
    rx = M.value("hepprobe_rx_frames_total")
    c.eq(rx, n_sent, "hepprobe_rx_frames_total == frames sent into the veth")
    c.eq(veth_rx, n_sent, "the veth in A received every frame sent (kernel counter; else: set-up, not hepprobe)")
    delivered = M.total("hepprobe_delivered_total")
    drops = M.total("hepprobe_drops_total")
    c.eq(rx, delivered + drops, "invariant rx == sum(delivered) + sum(drops) (%s + %s; drops %s)"
         % (delivered, drops, M.by_label("hepprobe_drops_total", "reason")))
    c.eq(M.value("hepprobe_delivered_total", kind="sip"), len(want), "delivered{kind=sip} == SIP messages sent")
    c.eq(M.value("hepprobe_hep_sent_total"), len(msgs), "hep_sent_total == HEP messages received")
    c.eq(M.value("hepprobe_hep_bytes_total"), sum(len(d) for d in datagrams), "hep_bytes_total == bytes received")
    c.eq(M.value("hepprobe_hep_send_errors_total"), 0, "hep_send_errors_total == 0")
    c.eq(M.value("hepprobe_port_imissed_total"), 0, "port_imissed_total == 0")
    got = M.by_label("hepprobe_udp_checksum_total", "result")
    got = {k: int(v) for k, v in got.items() if v}
    want_cs = {}
    for name, n in csum_truth.items():
        label = {"good": "ok", "not_present": "zero_ipv4", "illegal": "zero_ipv6",
                 "unverified": "truncated", "none": "bad_length", "bad": "bad"}[name]
        want_cs[label] = want_cs.get(label, 0) + n
    c.eq(got, want_cs, "checksum verdicts == tshark's status counts (mapping in tshark_truth)")


def tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-n:]
    except OSError as e:
        return "(%s)" % e


def read_truth(pcap, out):
    try:
        out["sip"], out["excluded"] = tshark_truth.sip_messages(pcap)
        out["csum"] = tshark_truth.checksum_counts(pcap)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as e:
        out["error"] = str(e)


def run_live(binary, pcap, mode, xdp_prog):
    c = harness.Checks("live-%s %s" % (mode, os.path.basename(pcap)))
    if not harness.need_tools(c, "ip", "ethtool", "tshark", "sysctl"):
        return c
    if not os.access(binary, os.X_OK):
        c.fatal("hepprobe binary %r not executable" % binary)
        return c
    if mode == "af_xdp" and not os.path.isfile(xdp_prog or ""):
        c.fatal("XDP program %r not found (built by bpf/meson.build)" % xdp_prog)
        return c
    if os.geteuid() != 0:
        c.fatal("needs root (network namespaces, veth, AF_PACKET)")
        return c

    topo = Topology()
    linktype, frames, _ = pcapfile.read(pcap)
    if linktype != pcapfile.LINKTYPE_ETHERNET:
        c.fatal("%s: link type %d, only Ethernet frames can be written into a veth" % (pcap, linktype))
        return c
    workdir = tempfile.mkdtemp(prefix="hp-live-")
    print("work directory %s (removed when every check passes)" % workdir)
    chunks = wire_chunks(topo, [f[4] for f in frames])
    wire = []
    for fr, sentinel, _ in chunks:
        wire += fr + [sentinel]
    # tshark reads exactly what goes on the wire, in the same order.
    sec = frames[0][0]
    truth_pcap = os.path.join(workdir, "wire.pcap")
    pcapfile.write(truth_pcap, [(sec + i // 1000000, i % 1000000, f) for i, f in enumerate(wire)])
    # tshark is the slow part on a busy machine: it reads the file while the
    # live part runs (the verdicts wait for both).
    truth = {}
    reader = threading.Thread(target=read_truth, args=(truth_pcap, truth), daemon=True)
    reader.start()

    probe = rx = None
    mfile = os.path.join(workdir, "metrics.prom")
    try:
        if not topo.up(c):
            return c
        with NetNs(topo.ns_a):
            rx = hep3.Receiver()
        probe = start_probe(binary, topo, mode, xdp_prog, rx.port, mfile, workdir)
        ready = harness.wait_until(lambda: port_ready(topo, probe), WAIT_READY)
        if probe.poll() is not None or not ready:
            c.fatal("hepprobe did not bring port 0 up within %.0f s (exit %r); stderr: %s"
                    % (WAIT_READY, probe.poll(), tail(os.path.join(workdir, "probe.err"))))
            return c
        windows = []
        stopped = send_chunks(topo, chunks, rx, probe, windows)
        c.eq(stopped, None, "every chunk's sentinel came back as HEP while hepprobe ran")
        link_a = topo.link(topo.ns_a, topo.if_a) or {}
        stats = link_a.get("stats64", link_a.get("stats", {}))
        veth_rx = stats.get("rx", {}).get("packets")
        veth_tx = stats.get("tx", {}).get("packets")
        if probe.poll() is None:
            probe.send_signal(signal.SIGTERM)
        try:
            rc = probe.wait(timeout=PROBE_EXIT)
        except subprocess.TimeoutExpired:
            rc = "no exit %.0f s after SIGTERM" % PROBE_EXIT
        with NetNs(topo.ns_a):
            datagrams = rx.finish()
        rx_drops = rx.drops
        rx = None
    finally:
        if probe is not None and probe.poll() is None:
            probe.kill()
            probe.wait()
        if rx is not None:
            rx.finish(quiet=0, limit=0)
        topo.down()

    reader.join()
    if "error" in truth:
        c.fatal("tshark on %s: %s" % (truth_pcap, truth["error"]))
        return c
    want, excluded, csum_truth = truth["sip"], truth["excluded"], truth["csum"]
    sentinel_ids = [ch[2] for ch in chunks]
    c.eq([e["callids"][0] for e in want if e["callids"] and e["callids"][0] in sentinel_ids], sentinel_ids,
         "tshark reads every sentinel as SIP (%d SIP in all, %d excluded)" % (len(want), len(excluded)))
    if not c.eq(rc, 0, "exit code after SIGTERM"):
        print("stderr: %s" % tail(os.path.join(workdir, "probe.err")))
    c.eq(veth_tx, 0, "A's kernel sent nothing on the veth (else the counts are not exact: set-up)")
    msgs, errs = decode_all(datagrams)
    c.eq(errs[:5], [], "every datagram decodes as HEPv3")
    c.eq(rx_drops, 0, "test receiver dropped nothing (else: test infrastructure, not hepprobe)")
    probs = ["msg %d: %s" % (i, p) for i, m in enumerate(msgs) for p in m.problems()]
    probs += ["msg %d: node id %r" % (i, m.node_id) for i, m in enumerate(msgs) if m.node_id != NODE_ID]
    c.eq(probs[:10], [], "every message has the mandatory chunks and our node id")
    other = collections.Counter(m.proto_type for m in msgs if m.proto_type != 1)
    print("info: HEP types other than SIP received: %s" % dict(other))
    check_sip(c, msgs, want, windows)
    text = None
    if os.path.exists(mfile):
        with open(mfile) as f:
            text = f.read()
    c.check(text is not None, "metrics file written at exit")
    samples, bad = harness.parse_prometheus(text or "")
    c.eq(bad, [], "metrics file is valid Prometheus text")
    check_metrics(c, harness.Metrics(samples), msgs, datagrams, len(wire), want, csum_truth, veth_rx)
    if c.failed == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print("kept %s (probe.out, probe.err, metrics.prom, wire.pcap)" % workdir)
    return c


def main(argv):
    if len(argv) not in (4, 5) or argv[3] not in ("af_packet", "af_xdp") or \
            (argv[3] == "af_xdp") != (len(argv) == 5):
        print("usage: test_live.py HEPPROBE PCAP af_packet\n"
              "       test_live.py HEPPROBE PCAP af_xdp XDP_PROG.o", file=sys.stderr)
        return 2
    xdp_prog = os.path.abspath(argv[4]) if len(argv) == 5 else None
    c = run_live(os.path.abspath(argv[1]), os.path.abspath(argv[2]), argv[3], xdp_prog)
    c.exit()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
