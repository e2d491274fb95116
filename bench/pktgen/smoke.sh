#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Few-second smoke of the zero-loss rate search on one machine:
# bench/pktgen/rfc2544.py with bench/sender as the generator, in a veth lab
# of two network namespaces it creates and deletes, hepprobe reading the far
# end through net_af_packet.
#
# The verdict never depends on speed. It passes when the driver ran its
# search to the end, read hepprobe's counters around every trial and
# reports a zero-loss rate > 0, and no namespace of the run is left. The
# floor trial (100 packets/s for 2 s = 200 frames) fits the af_packet ring
# (512 frames) whole, so it cannot lose a frame however the machine
# schedules hepprobe: the reported rate is at least the floor.
#
# usage: bench/pktgen/smoke.sh [BUILD_DIR]   (default: build; needs root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bd=${1:-$root/build}
case $bd in /*) ;; *) bd=$PWD/$bd ;; esac
hepprobe=$bd/hepprobe
die() { echo "bench/pktgen/smoke.sh: $*" >&2; exit 1; }
[ -x "$hepprobe" ] || die "$hepprobe not built"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raw sockets)"
command -v ip >/dev/null || die "ip (iproute2) not found"

work=$bd/bench-pktgen-smoke
rm -rf "$work"
mkdir -p "$work"
pcap=$work/scale-50c-3r.pcap
python3 "$here/../sender/scalecap.py" --calls 50 --rtp 3 --out "$pcap" >/dev/null || die "scalecap.py failed"

# The search itself, against a stand-in probe that loses one frame per trial
# above 3000 packets/s: bisection from [100, 5000] must end on the last
# passing rate within the resolution, 2997..3000 (hand-derived: it stops
# when hi - lo <= max(1, 0.001 * hi) with lo passing and hi losing).
python3 - "$here" <<'PY' || die "search self-test failed"
import sys, types
sys.path.insert(0, sys.argv[1])
import rfc2544
class Probe:
    rx = 0
    def settled(self, timeout):
        return {"hepprobe_rx_frames_total": float(self.rx)}
class Gen:
    def __init__(self, probe):
        self.probe = probe
    def trial(self, rate, seconds):
        sent = int(rate * seconds)
        self.probe.rx += sent - (1 if rate > 3000 else 0)
        return {"sent": sent, "seconds": seconds, "pps": float(rate)}
probe = Probe()
a = types.SimpleNamespace(lo=100, hi=5000, steps=30, resolution=0.001, trial=1.0, wait_after=0,
                          settle_timeout=1, loss_reasons=[], trials=[], lab=None)
best = rfc2544.search(Gen(probe), probe, a)
assert 2997 <= best <= 3000, best
assert not a.trials[0]["pass"] and a.trials[1]["pass"], a.trials[:2]
print("search self-test: %d trials, result %d (expected 2997..3000)" % (len(a.trials), best))
PY

rc=0
python3 "$here/rfc2544.py" --generator sender --veth --hepprobe "$hepprobe" --pcap "$pcap" \
	--lo 100 --hi 5000 --trial 2 --steps 2 --wait-after 1 --workdir "$work" \
	--json "$work/result.json" || rc=$?
[ "$rc" = 0 ] || die "rfc2544.py exited with $rc; hepprobe's output: $work/hepprobe.log"

python3 - "$work/result.json" <<'PY' || die "verdict failed (details above; $work/result.json)"
import json, subprocess, sys
r = json.load(open(sys.argv[1]))
t = r["trials"]
problems = []
if not r["counters_read"] or not t:
    problems.append("no trial read hepprobe's counters")
# The search: the ceiling, and when it lost, the floor and the bisection.
if t and not t[0]["pass"] and len(t) < 2:
    problems.append("the search stopped after a lost ceiling trial without trying the floor")
if any(x["sent"] <= 0 for x in t):
    problems.append("a trial sent nothing")
if r["zero_loss_pps"] <= 0:
    problems.append("zero-loss rate is %d" % r["zero_loss_pps"])
left = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE).stdout.decode()
for ns in r["lab"] or []:
    if ns in left.split():
        problems.append("namespace %s left behind" % ns)
for p in problems:
    print("smoke: " + p)
print("smoke: %d trials, zero-loss rate %d packets/s" % (len(t), r["zero_loss_pps"]))
sys.exit(1 if problems else 0)
PY
echo "smoke: ok"
