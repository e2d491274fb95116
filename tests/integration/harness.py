# SPDX-License-Identifier: BSD-3-Clause
"""Shared pieces of the integration tests: running hepprobe, reading its
Prometheus file, and a check list that prints every verdict and fails the
test if any check failed."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hep3  # noqa: E402
import pcapfile  # noqa: E402

PROBE_TIMEOUT = 180


class Checks:
    def __init__(self, name):
        self.name = name
        self.failed = 0
        self.passed = 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print("ok   %s: %s" % (self.name, what))
        else:
            self.failed += 1
            print("FAIL %s: %s%s" % (self.name, what, (" -- " + detail) if detail else ""))
        return cond

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

    def none(self, items, what, label="offending"):
        """Passes when items (a list or dict of problems) is empty."""
        n = len(items)
        shown = items[:10] if isinstance(items, list) else items
        return self.check(n == 0, what, "%d %s: %r" % (n, label, shown))

    def fatal(self, what):
        self.failed += 1
        print("FAIL %s: %s" % (self.name, what))

    def exit(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def need_tools(checks, *tools):
    """A missing tool is a failure, never a silent skip."""
    ok = True
    for t in tools:
        if shutil.which(t) is None:
            checks.fatal("required tool %r not found in PATH: install it (see ENVIRONMENT.md)" % t)
            ok = False
    return ok


_METRIC = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """Returns {(name, ((label, value), ...)): float} and a list of lines that
    are not valid exposition format."""
    out, bad = {}, []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _METRIC.match(line.strip())
        if not m:
            bad.append(line)
            continue
        labels = tuple(sorted(_LABEL.findall(m.group(3) or "")))
        try:
            out[(m.group(1), labels)] = float(m.group(4))
        except ValueError:
            bad.append(line)
    return out, bad


class Metrics:
    def __init__(self, samples):
        self.s = samples

    def get(self, name, **labels):
        return self.s.get((name, tuple(sorted(labels.items()))))

    def value(self, name, **labels):
        """0 for a labelled series that is absent (a zero counter need not be
        exported), None for an absent unlabelled one."""
        v = self.get(name, **labels)
        if v is None and labels:
            return 0
        return v

    def by_label(self, name, label):
        out = {}
        for (n, labels), v in self.s.items():
            if n != name:
                continue
            d = dict(labels)
            if label in d:
                out[d[label]] = out.get(d[label], 0) + v
        return out

    def total(self, name):
        return sum(v for (n, _), v in self.s.items() if n == name)


class Run:
    """One hepprobe run: rc, stdout, stderr, datagrams, messages, metrics."""


def run_probe(binary, pcap, args=(), hep=True, metrics=True, workdir=None):
    """Runs hepprobe on pcap; with hep=True sends to a fresh Receiver."""
    r = Run()
    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.mkdtemp(prefix="hp-integ-")
        workdir = own_tmp
    # meson passes the binary relative to the build dir; we run in a temp dir.
    binary, pcap = os.path.abspath(binary), os.path.abspath(pcap)
    cmd = [binary, "--pcap", pcap]
    rx = None
    if hep:
        rx = hep3.Receiver()
        cmd += ["--hep", "udp:127.0.0.1:%d" % rx.port]
    mfile = os.path.join(workdir, "metrics.prom")
    if metrics:
        cmd += ["--metrics-file", mfile]
    cmd += list(args)
    r.cmd = cmd
    print("run: %s" % " ".join(cmd))
    try:
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=PROBE_TIMEOUT, cwd=workdir)
            r.rc, r.stdout, r.stderr = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            r.rc, r.stdout, r.stderr = "timeout", e.stdout or b"", e.stderr or b""
        finally:
            r.datagrams = rx.finish() if rx else []
        r.rx_drops = rx.drops if rx else 0
        r.messages, r.decode_errors = [], []
        for i, d in enumerate(r.datagrams):
            try:
                r.messages.extend(hep3.decode_datagram(d))
            except hep3.HepError as e:
                r.decode_errors.append("datagram %d (%d bytes): %s" % (i, len(d), e))
        r.metrics_text = None
        if metrics and os.path.exists(mfile):
            with open(mfile) as f:
                r.metrics_text = f.read()
    finally:
        if own_tmp:
            shutil.rmtree(own_tmp, ignore_errors=True)
    samples, r.metrics_bad_lines = parse_prometheus(r.metrics_text or "")
    r.metrics = Metrics(samples)
    if r.rc != 0:
        print("stderr: %s" % r.stderr.decode("utf-8", "replace")[-2000:])
    return r


def check_captures(name, check_capture, binary, pcaps):
    """Runs check_capture(binary, pcap) -> Checks on each capture, a capture
    that cannot be checked failing rather than stopping the others; prints
    each capture's and the overall tally, returns the exit status."""
    total_p, total_f = 0, 0
    for pcap in pcaps:
        try:
            cc = check_capture(binary, pcap)
        except (OSError, RuntimeError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            cc = Checks("%s:%s" % (name, os.path.basename(pcap)))
            cc.fatal("could not check: %s: %s" % (type(e).__name__, e))
        print("%s: %d passed, %d failed" % (cc.name, cc.passed, cc.failed))
        total_p += cc.passed
        total_f += cc.failed
    print("%d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else 0


def frame_count(pcap):
    return len(pcapfile.read(pcap)[1])


def udp_bound(port):
    """True when something listens on 127.0.0.1:port (or any address) over UDP."""
    want = (":%04X" % port)
    try:
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                local = line.split()[1]
                if local.endswith(want) and local.split(":")[0] in ("0100007F", "00000000"):
                    return True
    except OSError:
        pass
    return False


def wait_until(pred, limit, step=0.1):
    """Polls pred until true or `limit` seconds pass; returns its last value.
    The limit bounds the wait; the caller's verdict is on the value."""
    deadline = time.monotonic() + limit
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def wait_stable(read, limit, quiet=2.0, step=0.2, enough=None):
    """Polls read() until its value has not changed for `quiet` seconds (or
    `limit` passes); returns the last value. With enough, a stable value
    counts only once enough(value) holds, so a receiver slowed by a loaded
    machine gets up to `limit` to catch up, and anything extra arriving
    within `quiet` after that is still seen."""
    deadline = time.monotonic() + limit
    last = read()
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(step)
        v = read()
        if v != last:
            last, since = v, time.monotonic()
        elif time.monotonic() - since >= quiet and (enough is None or enough(v)):
            break
    return last


SNGREP_SENDER = "--sngrep-sender"


def tcp_listening(port):
    """True when something listens on 127.0.0.1:port (or any address) over TCP."""
    want = ":%04X" % port
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if (parts[1].endswith(want) and parts[3] == "0A"
                        and parts[1].split(":")[0] in ("0100007F", "00000000")):
                    return True
    except OSError:
        pass
    return False


def send_capture(binary, pcap, port, args=()):
    """Sends pcap's SIP as HEP to 127.0.0.1:port and waits for the sender to
    exit.  binary == SNGREP_SENDER uses `sngrep -I pcap -H` instead of
    hepprobe: a known-good sender to check a receiver-side harness with."""
    if binary == SNGREP_SENDER:
        cmd = ["sngrep", "-I", pcap, "-H", "udp:127.0.0.1:%d" % port, "-N", "-q"]
    else:
        cmd = [os.path.abspath(binary), "--pcap", os.path.abspath(pcap),
               "--hep", "udp:127.0.0.1:%d" % port] + list(args)
    print("run: %s" % " ".join(cmd))
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout", ""
    return p.returncode, p.stderr.decode("utf-8", "replace")
