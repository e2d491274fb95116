# SPDX-License-Identifier: BSD-3-Clause
"""sngrep as an independent HEP receiver.

usage: test_sngrep.py HEPPROBE|--sngrep-sender FILE...

sngrep (a curses program) runs in a detached tmux session on its own socket,
with HOME in a fresh temp dir and a config that puts Call-ID and message
count first in the call list, and that lists every dialog: by default
sngrep 1.6 hides a dialog whose first message is a response, BYE, ACK,
CANCEL or PRACK (sip.noincomplete, and filter.methods whose default list
omits them; "." matches every method).  Command:  `sngrep -f RC -I empty.pcap -L udp:127.0.0.1:P`
(-I of an empty capture keeps it from sniffing the machine's own interfaces:
only HEP counts).  hepprobe sends the capture; then the screen is read with
`tmux capture-pane -p` and every dialog tshark sees (SIP/UDP on the outer
stack, bad-checksum SIP excluded: hepprobe sends those as events) must be
listed with its message count, and nothing else.

--sngrep-sender replaces hepprobe with `sngrep -I FILE -H udp:...`: a check
of this harness itself.
"""

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hep3  # noqa: E402
import pcapfile  # noqa: E402
import test_pcap  # noqa: E402

ROWS = 200
COLS = 250
SNGREPRC = """\
set cl.column0 callid
set cl.column0.width 110
set cl.column1 msgcnt
set cl.column2 method
set sip.noincomplete off
set cl.noexitprompt on
set capture.limit 100000
set filter.methods .
"""
ROW = re.compile(r"^\s*\[[ *x]\]\s+(\S+)\s+(\d+)\s+(\S+)")


def screen(tmux):
    p = subprocess.run(tmux + ["capture-pane", "-p", "-t", "hp"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.stdout.decode("utf-8", "replace")


def dialogs_on(text):
    out = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def dialog_count(text):
    m = re.search(r"Dialogs:\s*(\d+)", text)
    return int(m.group(1)) if m else None


def test_capture(binary, pcap):
    name = os.path.basename(pcap)
    c = harness.Checks("sngrep " + name)
    want_sip, _events = test_pcap.expectations(pcap)
    want = collections.Counter(e["callids"][0] for e in want_sip if e["callids"])
    tmp = tempfile.mkdtemp(prefix="hp-sngrep-")
    tmux = ["tmux", "-S", os.path.join(tmp, "tmux.sock")]
    pane_pid = None
    try:
        # ~/.sngreprc as well as -f: sngrep 1.6 applies some settings
        # (sip.noincomplete) only from the files it reads at start-up.
        rc = os.path.join(tmp, ".sngreprc")
        with open(rc, "w") as f:
            f.write(SNGREPRC)
        empty = os.path.join(tmp, "empty.pcap")
        pcapfile.write(empty, [])
        port = hep3.free_udp_port()
        env = dict(os.environ, HOME=tmp, TERM="xterm")
        # exec: the pane's process is sngrep itself, so it can be ended by pid
        # (sngrep outlives a tmux kill-server otherwise).
        cmd = "exec sngrep -f %s -I %s -L udp:127.0.0.1:%d 2>%s/sngrep.err" % (rc, empty, port, tmp)
        subprocess.run(tmux + ["new-session", "-d", "-s", "hp", "-x", str(COLS), "-y", str(ROWS), cmd],
                       env=env, check=True)
        p = subprocess.run(tmux + ["display-message", "-p", "-t", "hp", "#{pane_pid}"],
                           stdout=subprocess.PIPE, check=True)
        pane_pid = int(p.stdout.decode().strip())
        if not c.check(harness.wait_until(lambda: harness.udp_bound(port), 20),
                       "sngrep listens on 127.0.0.1:%d" % port, screen(tmux)[-500:]):
            return c
        # sngrep reads with the default socket buffer: pace as an operator would.
        rcode, err = harness.send_capture(binary, pcap, port,
                                          ["--hep-rate", "2000"] if binary != harness.SNGREP_SENDER else [])
        c.eq(rcode, 0, "sender exit code" + ("" if rcode == 0 else " (%s)" % err.strip()[-300:]))
        text = harness.wait_stable(lambda: screen(tmux), 60, quiet=1.5,
                                   enough=lambda t: all(dialogs_on(t).get(k) == v for k, v in want.items()))
        got = dialogs_on(text)
        print(text.rstrip())
        c.eq(dialog_count(text), len(want), "sngrep's dialog count == tshark's Call-IDs")
        missing = {k: v for k, v in want.items() if k not in got}
        wrong = {k: (got[k], v) for k, v in want.items() if k in got and got[k] != v}
        extra = {k: v for k, v in got.items() if k not in want}
        c.none(missing, "every tshark dialog is listed by sngrep (%d dialogs)" % len(want))
        c.none(wrong, "message count per dialog (got, want)")
        c.none(extra, "no dialog tshark does not see")
    finally:
        if pane_pid is not None:
            try:
                os.kill(pane_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not harness.wait_until(lambda: not os.path.exists("/proc/%d/cmdline" % pane_pid)
                                      or not open("/proc/%d/cmdline" % pane_pid, "rb").read(), 10):
                os.kill(pane_pid, signal.SIGKILL)
        subprocess.run(tmux + ["kill-server"], stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
    return c


def main(argv):
    if len(argv) < 3:
        print("usage: test_sngrep.py HEPPROBE|--sngrep-sender FILE...", file=sys.stderr)
        return 2
    total = harness.Checks("test_sngrep")
    if not harness.need_tools(total, "sngrep", "tmux", "tshark"):
        total.exit()
    for pcap in argv[2:]:
        c = test_capture(argv[1], pcap)
        total.failed += c.failed
        total.passed += c.passed
    total.exit()


if __name__ == "__main__":
    main(sys.argv)
