#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Highest zero-loss packet rate of hepprobe, RFC 2544 section 26.1 style:
offer a capture at a rate for a trial of fixed length, count what the probe
took in, and binary-search the rate between a floor and a ceiling.

A trial passes when the probe received at least as many frames as the
generator reports sent (hepprobe_rx_frames_total) and none of the loss
counters moved: hepprobe_port_imissed_total, hepprobe_port_ierrors_total,
hepprobe_port_rx_nombuf_total, hepprobe_hep_dropped_total and
hepprobe_drops_total for each reason in --loss-reasons (default
stream_table_full). Counters are read from hepprobe's Prometheus text, which
it rewrites every --metrics-interval seconds: from the file itself
(--metrics-file, e.g. on the probe machine or over a shared mount) or from
any command that prints it (--metrics-cmd 'ssh probe cat /run/hp.prom').
Before and after each trial the driver waits until two rewrites in a row
show the same frame count (the probe is idle, every frame in flight has
been counted); RFC 2544 section 23 asks for the same settling.

Generators (--generator):
  sender  bench/sender/sender.py in this process: raw AF_PACKET replay into
          --iface (in --netns); with --veth it builds its own two-namespace
          veth lab, runs --hepprobe on the far end through net_af_packet and
          removes everything on exit (the one-machine smoke test).
  trex    TRex stateless (machine A): push_remote of the capture at an
          inter-packet gap of 1/rate, or --trex-profile trex_pcap.py streams.
  pktgen  Pktgen-DPDK (machine A) started with -G (Lua socket, TCP 22022)
          and -s P:capture.pcap; each trial runs bench/pktgen/replay.lua.

The offered rate reported per trial is the one the generator achieved
(frames sent / seconds it sent), not only the target.

usage: rfc2544.py --generator sender|trex|pktgen --pcap FILE --lo PPS --hi PPS
                  [--trial S] [--steps N] [--resolution F] [--json OUT] ...
"""

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sender"))
import sender  # noqa: E402

PORT_LOSS = ("hepprobe_port_imissed_total", "hepprobe_port_ierrors_total",
             "hepprobe_port_rx_nombuf_total", "hepprobe_hep_dropped_total")


class Fatal(Exception):
    pass


# ---------------------------------------------------------------------------
# hepprobe's counters

def parse_prom(text):
    """Prometheus text -> {name or name{labels}: value}."""
    out = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        k, _, v = line.rpartition(" ")
        try:
            out[k] = float(v)
        except ValueError:
            continue
    return out


class Metrics:
    def __init__(self, path=None, cmd=None, interval=1.0):
        if (path is None) == (cmd is None):
            raise Fatal("give one of --metrics-file and --metrics-cmd")
        self.path, self.cmd, self.interval = path, cmd, interval

    def read(self):
        if self.path is not None:
            try:
                with open(self.path) as f:
                    return parse_prom(f.read())
            except FileNotFoundError:
                return None
        p = subprocess.run(self.cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        return parse_prom(p.stdout.decode("utf-8", "replace")) if p.returncode == 0 else None

    def settled(self, timeout):
        """A snapshot after two rewrites in a row showed the same frame count."""
        end = time.monotonic() + timeout
        prev = None
        while time.monotonic() < end:
            m = self.read()
            if m is not None and "hepprobe_rx_frames_total" in m:
                rx = m["hepprobe_rx_frames_total"]
                if prev is not None and prev == rx:
                    return m
                prev = rx
            time.sleep(self.interval + 0.1)
        raise Fatal("hepprobe's frame counter did not settle within %.0f s "
                    "(is it running with --metrics-file and --metrics-interval?)" % timeout)


def delta(after, before, key):
    return after.get(key, 0.0) - before.get(key, 0.0)


# ---------------------------------------------------------------------------
# generators: trial(rate, seconds) -> {"sent", "seconds", "pps"}

class SenderGen:
    name = "sender"

    def __init__(self, a):
        self.frames = sender.read_pcap(a.pcap)
        self.sock = sender.open_socket(a.iface, a.netns)

    def trial(self, rate, seconds):
        return sender.replay(self.sock, self.frames, rate, seconds=seconds)


class TrexGen:
    name = "trex"

    def __init__(self, a):
        try:
            from trex.stl.api import STLClient, STLProfile  # TRex >= 2.50
        except ImportError:
            try:
                from trex_stl_lib.api import STLClient, STLProfile
            except ImportError:
                raise Fatal("TRex client library not found: add TRex's "
                            "automation/trex_control_plane/interactive to PYTHONPATH")
        self.profile_cls = STLProfile
        self.c = STLClient(server=a.trex_server)
        self.c.connect()
        self.port = a.trex_port
        self.pcap = a.pcap
        self.profile = a.trex_profile
        self.frames = a.frames_in_pcap

    def trial(self, rate, seconds):
        c, p = self.c, self.port
        c.reset(ports=[p])
        c.clear_stats()
        t0 = time.monotonic()
        if self.profile:
            prof = self.profile_cls.load(self.profile, direction=0, port_id=p, pcap=self.pcap, pps=rate)
            c.add_streams(prof.get_streams(), ports=[p])
            c.start(ports=[p], duration=seconds)
        else:
            # The capture lives on the TRex machine; loops enough times to
            # fill the trial, the duration cuts it.
            loops = int(math.ceil(rate * seconds / max(1, self.frames))) + 1
            c.push_remote(self.pcap, ports=[p], ipg_usec=1e6 / rate, count=loops, duration=seconds)
        c.wait_on_traffic(ports=[p], timeout=seconds * 3 + 30)
        el = time.monotonic() - t0
        sent = int(c.get_stats()[p]["opackets"])
        return {"sent": sent, "seconds": round(el, 3), "pps": round(sent / seconds, 1)}


class PktgenGen:
    name = "pktgen"

    def __init__(self, a):
        host, _, port = a.pktgen.rpartition(":")
        self.addr = (host or "127.0.0.1", int(port))
        self.port = a.pktgen_port
        self.size = a.frame_bytes
        self.link_mbps = a.link_gbps * 1000
        self.lua = a.pktgen_lua

    def trial(self, rate, seconds):
        # Pktgen executes what arrives on its Lua socket once the client
        # closes its sending side, and writes the script's output back.
        code = ("HP_PORT=%r HP_PPS=%d HP_SECONDS=%g HP_SIZE=%d HP_LINK_MBPS=%d dofile(%r)\n"
                % (str(self.port), rate, seconds, self.size, self.link_mbps, self.lua))
        with socket.create_connection(self.addr, timeout=seconds * 3 + 30) as s:
            s.sendall(code.encode())
            s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        for line in out.decode("utf-8", "replace").splitlines():
            if line.startswith("hp-pktgen "):
                kv = dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)
                sent, el = int(kv["sent"]), float(kv["seconds"])
                return {"sent": sent, "seconds": el, "pps": round(sent / el, 1) if el else 0.0}
        raise Fatal("no 'hp-pktgen sent=...' line from Pktgen; it said: %r" % out[-500:])


# ---------------------------------------------------------------------------
# the search

def run_trial(gen, metrics, rate, a):
    before = metrics.settled(a.settle_timeout)
    k0 = a.lab.rx_packets() if a.lab is not None else None
    tx = gen.trial(rate, a.trial)
    time.sleep(a.wait_after)
    after = metrics.settled(a.settle_timeout)
    rx = int(delta(after, before, "hepprobe_rx_frames_total"))
    # The veth lab also knows what the kernel delivered to the probe's
    # interface: frames past it but not in rx were lost in the socket ring.
    kernel_rx = a.lab.rx_packets() - k0 if a.lab is not None else None
    lost = max(0, tx["sent"] - rx)
    counters = {k.replace("hepprobe_", ""): int(delta(after, before, k)) for k in PORT_LOSS}
    for r in a.loss_reasons:
        counters["drops{%s}" % r] = int(delta(after, before, 'hepprobe_drops_total{reason="%s"}' % r))
    ok = lost == 0 and tx["sent"] > 0 and all(v == 0 for v in counters.values())
    t = {"target_pps": rate, "sent": tx["sent"], "tx_pps": tx["pps"], "tx_seconds": tx["seconds"],
         "received": rx, "lost": lost, "counters": counters, "pass": ok}
    if "behind_s" in tx:
        t["behind_s"] = tx["behind_s"]
    if kernel_rx is not None:
        t["kernel_rx"] = kernel_rx
    bad = ", ".join("%s +%d" % kv for kv in counters.items() if kv[1])
    print("trial %3d: target %9d pps, offered %11.1f pps, sent %9d, received %9d, lost %7d%s%s -> %s"
          % (len(a.trials) + 1, rate, tx["pps"], tx["sent"], rx, lost,
             (", " + bad) if bad else "",
             ", veth rx %d" % kernel_rx if kernel_rx is not None else "",
             "pass" if ok else "loss"), flush=True)
    a.trials.append(t)
    return ok


def search(gen, metrics, a):
    """Ceiling first (a pass ends the search), then the floor (a loss there
    means no zero-loss rate in range: result 0), then bisection between the
    highest pass and the lowest loss for --steps trials or until the interval
    is within --resolution of the ceiling of the interval."""
    lo, hi = a.lo, a.hi
    if run_trial(gen, metrics, hi, a):
        return hi
    if not run_trial(gen, metrics, lo, a):
        return 0
    for _ in range(a.steps):
        if hi - lo <= max(1, a.resolution * hi):
            break
        mid = (lo + hi) // 2
        if run_trial(gen, metrics, mid, a):
            lo = mid
        else:
            hi = mid
    return lo


# ---------------------------------------------------------------------------
# one-machine lab: namespaces, veth, hepprobe on the far end

def start_probe(a, lab, mfile, log):
    cmd = sender.netns_exec(lab.ns_probe) + [a.hepprobe, "-l", "0-1", "--no-huge", "-m", "1024",
           "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:warning",
           "--vdev", "net_af_packet0,iface=%s" % lab.if_probe, "--",
           "--port", "0", "--quiet", "--metrics-file", mfile,
           "--metrics-interval", str(int(a.metrics_interval))] + a.probe_arg
    print("probe: %s" % " ".join(cmd), flush=True)
    a.probe_cmd = cmd
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)


def count_frames(path):
    return len(sender.read_pcap(path))


def main(argv=None):
    p = argparse.ArgumentParser(description="RFC 2544 26.1 zero-loss rate search against hepprobe.")
    p.add_argument("--generator", choices=("sender", "trex", "pktgen"), required=True)
    p.add_argument("--pcap", required=True, help="capture to offer (for trex: its path on the TRex machine)")
    p.add_argument("--lo", type=int, required=True, help="floor, packets/s")
    p.add_argument("--hi", type=int, required=True, help="ceiling, packets/s")
    p.add_argument("--trial", type=float, default=60.0, help="seconds per trial (RFC 2544: 60)")
    p.add_argument("--steps", type=int, default=8, help="bisection trials at most")
    p.add_argument("--resolution", type=float, default=0.01, help="stop when hi - lo <= F * hi")
    p.add_argument("--wait-after", type=float, default=2.0, help="seconds after a trial before reading (RFC 2544 23: 2)")
    p.add_argument("--settle-timeout", type=float, default=60.0)
    p.add_argument("--loss-reasons", default="stream_table_full",
                   help="hepprobe drop reasons that count as loss (comma-separated)")
    p.add_argument("--metrics-file")
    p.add_argument("--metrics-cmd")
    p.add_argument("--metrics-interval", type=float, default=1.0)
    p.add_argument("--json", help="write trials and result here")
    g = p.add_argument_group("sender")
    g.add_argument("--iface")
    g.add_argument("--netns")
    g.add_argument("--veth", action="store_true", help="build the namespace lab and run --hepprobe in it")
    g.add_argument("--hepprobe", help="hepprobe binary for --veth")
    g.add_argument("--probe-arg", action="append", default=[], help="extra hepprobe option (repeatable)")
    g.add_argument("--workdir", default=None, help="--veth: metrics and logs here (default a temp dir)")
    g = p.add_argument_group("trex")
    g.add_argument("--trex-server", default="127.0.0.1")
    g.add_argument("--trex-port", type=int, default=0)
    g.add_argument("--trex-profile", help="use this stateless profile (e.g. bench/pktgen/trex_pcap.py) instead of push_remote")
    g = p.add_argument_group("pktgen")
    g.add_argument("--pktgen", default="127.0.0.1:22022", help="Pktgen Lua socket HOST:PORT")
    g.add_argument("--pktgen-port", type=int, default=0)
    g.add_argument("--pktgen-lua", default="replay.lua", help="replay.lua as Pktgen sees it (its path on machine A)")
    g.add_argument("--link-gbps", type=float, default=10.0)
    g.add_argument("--frame-bytes", type=int, default=0, help="mean frame size for Pktgen's rate (default: from --pcap)")
    a = p.parse_args(argv)
    if not 0 < a.lo <= a.hi:
        p.error("need 0 < --lo <= --hi")
    a.loss_reasons = [r for r in a.loss_reasons.split(",") if r]
    a.trials = []
    a.probe_cmd = None
    a.lab = None

    # SIGTERM / SIGHUP end the run through the same clean-up as Ctrl-C.
    def _term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGHUP, _term)

    lab = probe = log = None
    rc = 0
    try:
        if a.generator == "trex":
            a.frames_in_pcap = count_frames(a.pcap) if os.path.exists(a.pcap) else 1
        if a.generator == "pktgen" and a.frame_bytes == 0:
            fr = sender.read_pcap(a.pcap)
            a.frame_bytes = int(round(sum(len(f) for f in fr) / len(fr)))
        if a.veth:
            if a.generator != "sender" or not a.hepprobe:
                raise Fatal("--veth needs --generator sender and --hepprobe")
            wd = a.workdir or "/tmp/hp-rfc2544-%d" % os.getpid()
            os.makedirs(wd, exist_ok=True)
            a.metrics_file, a.metrics_cmd = os.path.join(wd, "metrics.prom"), None
            lab = a.lab = sender.VethLab().up()
            a.iface, a.netns = lab.if_gen, lab.ns_gen
            log = open(os.path.join(wd, "hepprobe.log"), "wb")
            probe = start_probe(a, lab, a.metrics_file, log)
        if a.generator == "sender" and not a.iface:
            raise Fatal("--generator sender needs --iface (and --netns) or --veth")
        metrics = Metrics(a.metrics_file, a.metrics_cmd, a.metrics_interval)
        gen = {"sender": SenderGen, "trex": TrexGen, "pktgen": PktgenGen}[a.generator](a)
        if probe is not None:
            # Up and counting: the first rewrite of the metrics file.
            metrics.settled(a.settle_timeout)
            if probe.poll() is not None:
                raise Fatal("hepprobe exited with %d; see %s" % (probe.returncode, log.name))
        best = search(gen, metrics, a)
        counters_read = len(a.trials) > 0
        print("result: zero-loss rate %d packets/s (%d trials of %g s, generator %s, floor %d, ceiling %d)"
              % (best, len(a.trials), a.trial, a.generator, a.lo, a.hi), flush=True)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"generator": a.generator, "pcap": a.pcap, "lo": a.lo, "hi": a.hi,
                           "trial_s": a.trial, "zero_loss_pps": best, "counters_read": counters_read,
                           "probe_cmd": a.probe_cmd,
                           "lab": [lab.ns_gen, lab.ns_probe] if lab is not None else None,
                           "trials": a.trials}, f, indent=1)
                f.write("\n")
    except Fatal as e:
        print("rfc2544.py: %s" % e, file=sys.stderr)
        rc = 2
    except KeyboardInterrupt:
        print("rfc2544.py: interrupted", file=sys.stderr)
        rc = 130
    finally:
        if probe is not None and probe.poll() is None:
            probe.send_signal(signal.SIGINT)
            try:
                probe.wait(timeout=30)
            except subprocess.TimeoutExpired:
                probe.kill()
                probe.wait()
        if log is not None:
            log.close()
        if lab is not None:
            lab.down()
    return rc


if __name__ == "__main__":
    sys.exit(main())
