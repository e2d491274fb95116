# SPDX-License-Identifier: BSD-3-Clause
"""deploy/: what `meson install` puts where, the systemd unit, the alert rules.

usage: test_deploy.py BUILD_DIR SOURCE_DIR

  * `meson install --destdir` into a temporary root installs the binary, the
    BPF object, the systemd unit and the examples (unit defaults, Prometheus
    configuration, alert rules and their tests, Grafana dashboard);
  * the installed unit passes `systemd-analyze verify` with no message at all
    (an unknown key is only a warning there, so any output fails), once its
    ExecStart names the binary in the temporary root; it has the directives
    a DPDK probe needs (LimitMEMLOCK=infinity, Restart=on-failure,
    ExecReload sending SIGHUP, CPUAffinity, Type simple or notify);
  * `promtool check rules` and `promtool test rules` pass on the installed
    rules, `promtool check config` on the example configuration;
  * the dashboard is JSON whose every panel has a PromQL target.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

EXAMPLES = ["hepprobe.default", "hepprobe-alerts.yml", "hepprobe-alerts.test.yml",
            "prometheus.example.yml", "hepprobe.json", "README.md"]


def run(cmd, cwd=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace").strip()


def find(root, name):
    for d, _, files in os.walk(root):
        if name in files:
            return os.path.join(d, name)
    return None


def unit_keys(path):
    keys = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")) and "=" in line:
                k, v = line.split("=", 1)
                keys.setdefault(k, []).append(v)
    return keys


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    build, src = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    c = harness.Checks("deploy")
    if not harness.need_tools(c, "meson", "systemd-analyze", "promtool"):
        c.exit()
    dest = tempfile.mkdtemp(prefix="hp-deploy-")
    try:
        rc, out = run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"])
        c.eq((rc, out if rc else ""), (0, ""), "meson install --destdir")
        binary = find(dest, "hepprobe")
        c.check(binary is not None and os.access(binary, os.X_OK) and "/bin/" in binary,
                "the hepprobe binary is installed into bin/", binary)
        bpf = find(dest, "xsk_redirect.bpf.o")
        c.check(bpf is not None and "/hepprobe/" in bpf, "the XDP object is installed under lib/.../hepprobe/", bpf)
        unit = find(dest, "hepprobe.service")
        c.check(unit is not None and unit.endswith("/lib/systemd/system/hepprobe.service"),
                "the unit is installed into lib/systemd/system", unit)
        exdir = os.path.dirname(find(dest, "hepprobe.json") or "")
        c.eq([e for e in EXAMPLES if not os.path.isfile(os.path.join(exdir, e))], [],
             "every example is installed into share/doc/hepprobe/examples")
        if unit is None or binary is None:
            c.exit()

        keys = unit_keys(unit)
        installed_bin = binary[len(dest):]
        c.check(keys.get("ExecStart", [""])[0].startswith(installed_bin + " "),
                "ExecStart runs the installed binary (%s)" % installed_bin, keys.get("ExecStart"))
        c.check(keys.get("Type", [""])[0] in ("simple", "notify"), "Type=simple or notify", keys.get("Type"))
        c.eq(keys.get("LimitMEMLOCK"), ["infinity"], "LimitMEMLOCK=infinity")
        c.eq(keys.get("Restart"), ["on-failure"], "Restart=on-failure")
        c.check(any("-HUP" in v and "$MAINPID" in v for v in keys.get("ExecReload", [])),
                "ExecReload sends SIGHUP to the main process", keys.get("ExecReload"))
        c.check(bool(keys.get("CPUAffinity")), "CPUAffinity set", keys.get("CPUAffinity"))
        # systemd-analyze checks that ExecStart's program exists: point it at
        # the binary of the temporary root, nothing else changes.
        vdir = tempfile.mkdtemp(prefix="hp-unit-")
        try:
            with open(unit) as f:
                text = f.read()
            with open(os.path.join(vdir, "hepprobe.service"), "w") as f:
                f.write(text.replace("ExecStart=" + installed_bin, "ExecStart=" + binary))
            rc, out = run(["systemd-analyze", "verify", os.path.join(vdir, "hepprobe.service")])
            c.eq((rc, out), (0, ""), "systemd-analyze verify: exit 0, no message")
        finally:
            shutil.rmtree(vdir, ignore_errors=True)

        rules = os.path.join(exdir, "hepprobe-alerts.yml")
        rc, out = run(["promtool", "check", "rules", rules])
        c.eq((rc, out if rc else ""), (0, ""), "promtool check rules")
        rc, out = run(["promtool", "test", "rules", "hepprobe-alerts.test.yml"], cwd=exdir)
        c.eq((rc, [l.strip() for l in out.splitlines()[-1:]] if rc == 0 else out), (0, ["SUCCESS"]),
             "promtool test rules")
        rc, out = run(["promtool", "check", "config", "prometheus.example.yml"], cwd=exdir)
        c.eq((rc, out if rc else ""), (0, ""), "promtool check config on the example")
        with open(os.path.join(exdir, "hepprobe.json")) as f:
            dash = json.load(f)
        no_expr = [p.get("title") for p in dash.get("panels", [])
                   if not p.get("targets") or not all(t.get("expr") for t in p["targets"])]
        c.check(len(dash.get("panels", [])) > 0 and not no_expr, "every dashboard panel has PromQL targets", no_expr)
        # The installed copies are the sources, byte for byte.
        for rel, name in (("deploy/prometheus/hepprobe-alerts.yml", "hepprobe-alerts.yml"),
                          ("deploy/grafana/hepprobe.json", "hepprobe.json")):
            with open(os.path.join(src, rel), "rb") as a, open(os.path.join(exdir, name), "rb") as b:
                c.check(a.read() == b.read(), "installed %s == %s" % (name, rel))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    c.exit()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
