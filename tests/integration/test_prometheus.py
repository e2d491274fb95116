# SPDX-License-Identifier: BSD-3-Clause
"""/metrics on a live run, scraped by a real Prometheus server.

usage: test_prometheus.py HEPPROBE PCAP VERSION ALERT_RULES DASHBOARD_JSON

The live set-up of test_live.py (veth pair in two namespaces, hepprobe in EAL
mode on net_af_packet, the capture written chunk by chunk with a sentinel
after each) with `--metrics-listen 127.0.0.1:PORT`, plus Debian's
`prometheus` inside namespace A, started here with a scrape configuration
written here (1 s scrapes of hepprobe, the alert rules loaded).

Checks:
  * /metrics fetched during the run passes `promtool check metrics`, every
    family has HELP and TYPE, the Content-Type is text 0.0.4, other paths
    are 404;
  * its values agree with what was sent: rx_frames_total and the port's
    per-queue packet counter == frames written (every sentinel came back, so
    every frame was taken off the port), worker busy time > 0, build info
    carries VERSION and a DPDK version, the start time lies within the run;
  * Prometheus scraped it (up == 1, sum(hepprobe_rx_frames_total) == frames
    written), loaded every alert rule without an evaluation error, and every
    PromQL expression of the dashboard and of the alert rules returns data
    through /api/v1/query (an alert's comparison is queried as `bool`, so a
    rule that is quiet on a healthy probe still shows its series exist);
  * after SIGTERM: exit 0, the metrics file has the same families as /metrics.
A missing tool is a failure, never a skip.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hep3  # noqa: E402
import pcapfile  # noqa: E402
import test_live  # noqa: E402

METRICS_PORT = 19100
PROM_PORT = 19090
WAIT_PROM = 60.0
NODE_ID = 4343


def http_get(ns, url, timeout=5.0):
    """(status, headers, body) of a GET made from inside namespace ns."""
    with test_live.NetNs(ns):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as e:
            return None, {}, str(e)


def prom_query(ns, expr):
    status, _, body = http_get(ns, "http://127.0.0.1:%d/api/v1/query?%s"
                               % (PROM_PORT, urllib.parse.urlencode({"query": expr})))
    if status != 200:
        return None, "HTTP %r: %s" % (status, body[:300])
    d = json.loads(body)
    if d.get("status") != "success":
        return None, body[:300]
    return d["data"]["result"], None


_CMP = ("==", "!=", ">=", "<=", ">", "<")


def as_bool(expr):
    """expr with its last top-level comparison made `bool` (PromQL): the
    series behind an alert, 0 or 1 each, instead of only those past the
    threshold."""
    depth, quote, last = 0, None, None
    i = 0
    while i < len(expr):
        ch = expr[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif depth == 0:
            for op in _CMP:
                if expr.startswith(op, i) and not expr.startswith("=~", i) and not expr.startswith("!~", i):
                    last = (i, len(op))
                    i += len(op) - 1
                    break
        i += 1
    if last is None:
        return expr
    at = last[0] + last[1]
    if expr[at:].lstrip().startswith("bool"):
        return expr
    return expr[:at] + " bool" + expr[at:]


def dashboard_exprs(path):
    with open(path) as f:
        d = json.load(f)
    out = []
    for p in d.get("panels", []):
        for t in p.get("targets", []):
            out.append((p.get("title"), t["expr"]))
    return out


def alert_exprs(rules_path):
    """[(alert name, expr)] of every alerting rule in the file."""
    with open(rules_path) as f:
        d = yaml.safe_load(f)
    return [(r["alert"], r["expr"]) for g in d["groups"] for r in g["rules"] if "alert" in r]


def family_names(text):
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def check_scrape(c, text, headers, n_sent, version, t0, collector):
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    c.eq((p.returncode, p.stdout.decode("utf-8", "replace").strip()[:2000]), (0, ""),
         "promtool check metrics on /metrics: clean")
    c.check(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
            "Content-Type is Prometheus text 0.0.4", headers.get("Content-Type"))
    helps = {line.split()[2] for line in text.splitlines() if line.startswith("# HELP ")}
    c.eq(sorted(family_names(text) ^ helps), [], "every family has both HELP and TYPE")
    samples, bad = harness.parse_prometheus(text)
    c.eq(bad[:5], [], "every sample line parses")
    M = harness.Metrics(samples)
    c.eq(M.value("hepprobe_rx_frames_total"), n_sent, "/metrics rx_frames_total == frames written")
    c.eq(M.value("hepprobe_port_rx_queue_packets_total", port="0", queue="0"), n_sent,
         "/metrics port 0 queue 0 packets == frames written (rte_eth_stats)")
    c.eq(M.value("hepprobe_port_rx_packets_total", port="0"), n_sent, "/metrics port 0 packets == frames written")
    c.eq(M.value("hepprobe_worker_rx_frames_total", worker="0"), n_sent, "/metrics worker 0 frames == frames written")
    c.check((M.value("hepprobe_worker_busy_seconds_total", worker="0") or 0) > 0, "worker 0 busy time > 0")
    c.check((M.value("hepprobe_worker_idle_seconds_total", worker="0") or 0) > 0,
            "worker 0 idle time > 0 (it polls between chunks)")
    build = [dict(l) for (n, l), v in samples.items() if n == "hepprobe_build_info" and v == 1]
    c.check(len(build) == 1 and build[0].get("version") == version and
            build[0].get("dpdk_version", "").startswith("DPDK "),
            "hepprobe_build_info{version=%r, dpdk_version=DPDK ...} 1" % version, build)
    start = M.value("process_start_time_seconds") or 0
    c.check(t0 - 1 <= start <= time.time(), "process_start_time_seconds lies within the run",
            "%r not in [%r, now]" % (start, t0))
    c.check((M.value("hepprobe_memory_resident_bytes") or 0) > 0, "jemalloc resident bytes > 0")
    c.check((M.value("hepprobe_memory_allocated_bytes") or 0) > 0, "jemalloc allocated bytes > 0")
    c.eq(M.value("hepprobe_table_capacity", table="rtp_streams"), 16384, "rtp_streams capacity (default, 1 worker)")
    c.eq(M.value("hepprobe_table_capacity", table="dialogs"), 8192, "dialogs capacity (default, 1 worker)")
    c.eq(M.value("hepprobe_hep_collector_queue_capacity", collector=collector), 2048,
         "HEP queue capacity of the collector (--hep-queue default)")
    return M


def prom_config(workdir, rules):
    path = os.path.join(workdir, "prometheus.yml")
    with open(path, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "rule_files:\n  - %s\n"
                "scrape_configs:\n  - job_name: hepprobe\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % (json.dumps(rules), METRICS_PORT))
    return path


def check_prometheus(c, ns, n_sent, rules, dashboard, workdir):
    def scraped_all():
        r, _ = prom_query(ns, 'sum(hepprobe_rx_frames_total{job="hepprobe"})')
        n, _ = prom_query(ns, 'count_over_time(hepprobe_rx_frames_total{job="hepprobe"}[1m])')
        return bool(r) and float(r[0]["value"][1]) == n_sent and bool(n) and float(n[0]["value"][1]) >= 6
    ok = harness.wait_until(scraped_all, WAIT_PROM, step=0.5)
    c.check(ok, "Prometheus scraped hepprobe (sum(hepprobe_rx_frames_total) == %d, 6+ samples)" % n_sent,
            tail(os.path.join(workdir, "prometheus.err")))
    up, err = prom_query(ns, 'up{job="hepprobe"}')
    c.check(bool(up) and up[0]["value"][1] == "1", "up{job=hepprobe} == 1", err or up)

    status, _, body = http_get(ns, "http://127.0.0.1:%d/api/v1/rules" % PROM_PORT)
    loaded = []
    if status == 200:
        for g in json.loads(body)["data"]["groups"]:
            for r in g["rules"]:
                loaded.append((r["name"], r.get("health"), r.get("lastError", "")))
    want = alert_exprs(rules)
    c.eq(sorted(n for n, _, _ in loaded), sorted(n for n, _ in want), "Prometheus loaded every alert rule")
    c.eq([x for x in loaded if x[1] != "ok" or x[2]], [], "every alert rule evaluates without error")

    empty = []
    for title, expr in dashboard_exprs(dashboard):
        res, err = prom_query(ns, expr)
        if not res:
            empty.append("dashboard %r: %s -> %s" % (title, expr, err or "no data"))
    for name, expr in want:
        q = as_bool(expr)
        res, err = prom_query(ns, q)
        if not res:
            empty.append("alert %s: %s -> %s" % (name, q, err or "no data"))
    c.eq(empty, [], "every PromQL expression of the dashboard (%d) and the alert rules (%d) returns data"
         % (len(dashboard_exprs(dashboard)), len(want)))


def tail(path, n=2000):
    return test_live.tail(path, n)


def self_test(c):
    """as_bool and alert_exprs on fixed inputs: a parser that dropped a rule
    or rewrote the wrong operator would hide a silent rule."""
    c.eq(as_bool('up{job="x"} == 0'), 'up{job="x"} == bool 0', "as_bool: ==")
    c.eq(as_bool('a{r=~"x>y"} / clamp_min(b, 1e-9) > 0.05'), 'a{r=~"x>y"} / clamp_min(b, 1e-9) > bool 0.05',
         "as_bool: operators inside braces and strings are skipped")
    c.eq(as_bool("max(a >= 1) <= 2"), "max(a >= 1) <= bool 2", "as_bool: only the top level")
    c.eq(as_bool("a > bool 1"), "a > bool 1", "as_bool: already bool")


def run(binary, pcap, version, rules, dashboard):
    c = harness.Checks("prometheus live %s" % os.path.basename(pcap))
    self_test(c)
    if not harness.need_tools(c, "ip", "ethtool", "nsenter", "promtool", "prometheus"):
        return c
    if os.geteuid() != 0:
        c.fatal("needs root (network namespaces, veth, AF_PACKET)")
        return c
    topo = test_live.Topology()
    linktype, frames, _ = pcapfile.read(pcap)
    chunks = test_live.wire_chunks(topo, [f[4] for f in frames])
    n_sent = sum(len(fr) + 1 for fr, _, _ in chunks)
    workdir = tempfile.mkdtemp(prefix="hp-prom-")
    print("work directory %s (removed when every check passes)" % workdir)
    mfile = os.path.join(workdir, "metrics.prom")
    probe = prom = rx = None
    t0 = time.time()
    try:
        if not topo.up(c):
            return c
        with test_live.NetNs(topo.ns_a):
            rx = hep3.Receiver()
        collector = "udp:127.0.0.1:%d" % rx.port
        cmd = (test_live.netns_exec(topo.ns_a) + [binary] + test_live.EAL +
               ["--vdev", "net_af_packet0,iface=%s" % topo.if_a, "--", "--port", "0", "--hep", collector,
                "--node-id", str(NODE_ID), "--metrics-file", mfile, "--quiet",
                "--metrics-listen", "127.0.0.1:%d" % METRICS_PORT])
        print("run: %s" % " ".join(cmd))
        with open(os.path.join(workdir, "probe.out"), "wb") as out, \
                open(os.path.join(workdir, "probe.err"), "wb") as err:
            probe = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=workdir)
        ready = harness.wait_until(lambda: test_live.port_ready(topo, probe) and
                                   http_get(topo.ns_a, "http://127.0.0.1:%d/metrics" % METRICS_PORT)[0] == 200,
                                   test_live.WAIT_READY)
        if probe.poll() is not None or not ready:
            c.fatal("hepprobe did not serve /metrics within %.0f s (exit %r); stderr: %s"
                    % (test_live.WAIT_READY, probe.poll(), tail(os.path.join(workdir, "probe.err"))))
            return c
        pcmd = (test_live.netns_exec(topo.ns_a) +
                ["prometheus", "--config.file=" + prom_config(workdir, rules),
                 "--storage.tsdb.path=" + os.path.join(workdir, "tsdb"),
                 "--web.listen-address=127.0.0.1:%d" % PROM_PORT])
        with open(os.path.join(workdir, "prometheus.err"), "wb") as err:
            prom = subprocess.Popen(pcmd, stdout=subprocess.DEVNULL, stderr=err, cwd=workdir)

        windows = []
        stopped = test_live.send_chunks(topo, chunks, rx, probe, windows)
        c.eq(stopped, None, "every chunk's sentinel came back as HEP while hepprobe ran")

        status, headers, text = http_get(topo.ns_a, "http://127.0.0.1:%d/metrics" % METRICS_PORT)
        c.eq(status, 200, "GET /metrics during the run")
        check_scrape(c, text, headers, n_sent, version, t0, collector)
        status404 = http_get(topo.ns_a, "http://127.0.0.1:%d/other" % METRICS_PORT)[0]
        c.eq(status404, 404, "GET /other is 404")

        check_prometheus(c, topo.ns_a, n_sent, rules, dashboard, workdir)
        status, _, last = http_get(topo.ns_a, "http://127.0.0.1:%d/metrics" % METRICS_PORT)

        probe.send_signal(signal.SIGTERM)
        try:
            rc = probe.wait(timeout=test_live.PROBE_EXIT)
        except subprocess.TimeoutExpired:
            rc = "no exit %.0f s after SIGTERM" % test_live.PROBE_EXIT
        c.eq(rc, 0, "exit code after SIGTERM")
        with test_live.NetNs(topo.ns_a):
            rx.finish()
        rx = None
    finally:
        for p in (probe, prom):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        if rx is not None:
            rx.finish(quiet=0, limit=0)
        topo.down()

    text = open(mfile).read() if os.path.exists(mfile) else ""
    c.check(text != "", "metrics file written at exit")
    c.eq(sorted(family_names(text) ^ family_names(last)), [], "the metrics file has the families of /metrics")
    if c.failed == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print("kept %s (probe.err, prometheus.err, prometheus.yml, metrics.prom)" % workdir)
    return c


def main(argv):
    if len(argv) != 6:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    c = run(os.path.abspath(argv[1]), os.path.abspath(argv[2]), argv[3], os.path.abspath(argv[4]),
            os.path.abspath(argv[5]))
    c.exit()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
