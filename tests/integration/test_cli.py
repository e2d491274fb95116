# SPDX-License-Identifier: BSD-3-Clause
"""hepprobe's command line.

usage: test_cli.py HEPPROBE DATADIR

* bad arguments, an unreadable or non-pcap file, a malformed --hep address,
  a bad number -> exit 2 with exactly one line on stderr;
* --help -> exit 0 and names every option;
* without --hep: one stdout line per HEP message, as many as a --hep run of
  the same capture sends (at least tshark's SIP messages plus one per
  bad-checksum event), and nothing else on stdout; exit 0;
* a collector that is down: every HEP message is either sent or counted as a
  send error (the connected socket reports the port unreachable), exit 0;
* --compress-threshold: payloads at or above it travel as a gzip member
  (RFC 1952) in chunk 0x10 and inflate to what an uncompressed run sends;
* --pcap --loop --queues 2: exit 0, two workers, each of which received
  frames (hepprobe_worker_rx_frames_total), adding up to the total;
  --queues 2 on a capture read once is refused (each queue would read
  every frame), and so is --queues 2 with too few EAL lcores.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_pcap  # noqa: E402

OPTIONS = ["--pcap", "--hep", "--node-id", "--node-name", "--auth-key", "--sip-ports",
           "--metrics-file", "--forward-bad-checksum", "--ws-ports", "--tls-ports", "--vxlan-port",
           "--geneve-port", "--gtpu-port", "--max-tcp-flows", "--max-ip-datagrams",
           "--metrics-listen"]


def run(cmd, timeout=120):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


def usage_error(c, binary, args, what):
    rc, out, err = run([binary] + args)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    c.eq(rc, 2, "%s: exit 2" % what)
    c.check(len(lines) == 1, "%s: exactly one line on stderr" % what,
            "got %d lines: %r" % (len(lines), err[-600:]))


def compression(c, binary, pcap):
    import hep3
    plain = harness.run_probe(binary, pcap, metrics=False)
    packed = harness.run_probe(binary, pcap, args=["--compress-threshold", "400"], metrics=False)
    c.eq(packed.rc, 0, "--compress-threshold: exit 0")
    gz = [m for m in packed.messages if hep3.CH_PAYLOAD_GZ in m.chunks]
    big = [m for m in plain.messages if len(m.payload) >= 400]
    c.check(len(gz) == len(big) and len(big) > 0,
            "--compress-threshold 400: every payload of 400 bytes or more is in chunk 0x10",
            "%d compressed, %d at or above 400 bytes" % (len(gz), len(big)))
    c.none([m.correlation_id for m in gz if m.chunks[hep3.CH_PAYLOAD_GZ][:3] != b"\x1f\x8b\x08"],
           "chunk 0x10 holds a gzip member (RFC 1952 magic 1f 8b, deflate)")
    c.eq([m.payload for m in packed.messages], [m.payload for m in plain.messages],
         "compressed run inflates to the same payloads, in the same order")


def collector_down(c, binary, pcap, tmp):
    """Nothing listens on the port: loopback answers ICMP port unreachable."""
    import hep3
    port = hep3.free_udp_port()
    mfile = os.path.join(tmp, "down.prom")
    rc, out, err = run([binary, "--pcap", pcap, "--hep", "udp:127.0.0.1:%d" % port,
                        "--metrics-file", mfile, "--quiet"])
    c.eq(rc, 0, "collector down: exit 0")
    with open(mfile) as f:
        samples, bad = harness.parse_prometheus(f.read())
    m = harness.Metrics(samples)
    queued = m.value("hepprobe_hep_queued_total")
    sent = m.value("hepprobe_hep_sent_total")
    errors = m.value("hepprobe_hep_send_errors_total")
    c.check(queued is not None and queued > 0 and queued == sent + errors,
            "collector down: every queued HEP message is sent or counted as a send error",
            "queued %s sent %s errors %s" % (queued, sent, errors))
    c.check(errors is not None and errors > 0, "collector down: send errors counted", str(errors))


def two_workers(c, binary, pcap, tmp):
    mfile = os.path.join(tmp, "two.prom")
    rc, out, err = run([binary, "--pcap", pcap, "--loop", "--queues", "2", "--duration", "1",
                        "--quiet", "--metrics-file", mfile])
    c.eq(rc, 0, "--loop --queues 2: exit 0")
    c.check("with 2 worker(s)" in out, "--loop --queues 2: the rate line counts 2 workers", out[-300:])
    try:
        with open(mfile) as f:
            samples, bad = harness.parse_prometheus(f.read())
    except OSError as e:
        c.check(False, "--loop --queues 2: metrics file written", str(e))
        return
    c.none(bad, "--loop --queues 2: metrics file is valid exposition format")
    m = harness.Metrics(samples)
    per = m.by_label("hepprobe_worker_rx_frames_total", "worker")
    c.eq(sorted(per), ["0", "1"], "--loop --queues 2: one frame counter per worker")
    c.check(all(v > 0 for v in per.values()), "--loop --queues 2: both workers received frames", str(per))
    c.eq(sum(per.values()), m.value("hepprobe_rx_frames_total"),
         "--loop --queues 2: the workers' frames add up to hepprobe_rx_frames_total")
    # Read once, two net_pcap queues would each deliver the whole file.
    usage_error(c, binary, ["--pcap", pcap, "--queues", "2"], "--queues 2 without --loop")
    rc, out, err = run([binary, "--pcap", pcap, "--queues", "2"])
    c.check("--loop" in err, "--queues 2 without --loop: the error names --loop", err)
    usage_error(c, binary, ["-l", "0-1", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
                            "--no-telemetry", "--log-level=*:error", "--", "--pcap", pcap, "--loop",
                            "--queues", "2", "--duration", "1"],
                "--queues 2 with 2 EAL lcores")


def main(argv):
    if len(argv) != 3:
        print("usage: test_cli.py HEPPROBE DATADIR", file=sys.stderr)
        return 2
    binary, data = os.path.abspath(argv[1]), argv[2]
    c = harness.Checks("test_cli")
    if not harness.need_tools(c, "tshark"):
        c.exit()
    good = os.path.join(data, "sip_call_rtp_g711a.pcap")
    tmp = tempfile.mkdtemp(prefix="hp-cli-")
    notpcap = os.path.join(tmp, "not-a-pcap.txt")
    with open(notpcap, "w") as f:
        f.write("this is not a capture\n" * 10)
    unreadable = os.path.join(tmp, "unreadable.pcap")
    with open(good, "rb") as src, open(unreadable, "wb") as dst:
        dst.write(src.read(4096))
    os.chmod(unreadable, 0)
    # root reads a mode-000 file anyway; only test it when it really is unreadable.
    really_unreadable = not os.access(unreadable, os.R_OK)

    usage_error(c, binary, [], "no arguments")
    usage_error(c, binary, ["--bogus-option"], "unknown option")
    usage_error(c, binary, ["--pcap"], "--pcap without its value")
    usage_error(c, binary, ["--pcap", os.path.join(tmp, "missing.pcap")], "missing file")
    usage_error(c, binary, ["--pcap", tmp], "a directory as capture")
    usage_error(c, binary, ["--pcap", notpcap], "a text file as capture")
    for bad in ("9100", "localhost:9100", "127.0.0.1:0", "127.0.0.1:70000", "[::1]9100", "127.0.0.1:-1"):
        usage_error(c, binary, ["--pcap", good, "--metrics-listen", bad], "--metrics-listen %s" % bad)
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        usage_error(c, binary, ["--pcap", good, "--metrics-listen", "127.0.0.1:%d" % busy.getsockname()[1]],
                    "--metrics-listen on a port in use")
    finally:
        busy.close()
    if really_unreadable:
        usage_error(c, binary, ["--pcap", unreadable], "unreadable file")
    for bad in ["127.0.0.1:9060", "udp:127.0.0.1", "udp:127.0.0.1:", "udp:127.0.0.1:0",
                "udp:127.0.0.1:65536", "udp:127.0.0.1:abc", "udp::9060", "udp:999.1.1.1:9060",
                "sctp:127.0.0.1:9060", ""]:
        usage_error(c, binary, ["--pcap", good, "--hep", bad], "malformed --hep %r" % bad)
    for opt, bad in [("--node-id", "abc"), ("--node-id", "-1"), ("--node-id", "4294967296"),
                     ("--sip-ports", "70000"), ("--sip-ports", "x"), ("--sip-ports", "5060-"),
                     ("--ws-ports", "0"), ("--tls-ports", "5062-5061"), ("--vxlan-port", "65536"),
                     ("--max-tcp-flows", "0"), ("--max-ip-datagrams", "x")]:
        usage_error(c, binary, ["--pcap", good, opt, bad], "bad %s %r" % (opt, bad))

    rc, out, err = run([binary, "--help"])
    c.eq(rc, 0, "--help: exit 0")
    missing = [o for o in OPTIONS if o not in out + err]
    c.none(missing, "--help names every option")

    for name in ("sip_call_rtp_g711a.pcap", "gen_sip_qinq.pcap", "gen_sip_bad_checksum.pcap"):
        pcap = os.path.join(data, name)
        as_sip, as_event = test_pcap.expectations(pcap)
        # What --hep would send (SIP, checksum events, and whatever media
        # messages the probe adds) is what the print mode must list.
        r = harness.run_probe(binary, pcap, metrics=False)
        sent = len(r.messages)
        c.check(sent >= len(as_sip) + len(as_event),
                "%s with --hep: at least tshark's %d SIP + %d events sent" % (name, len(as_sip), len(as_event)),
                "got %d" % sent)
        rc, out, err = run([binary, "--pcap", pcap])
        # The end-of-run report follows the message lines on stdout; it
        # starts with its "== hepprobe end-of-run report ==" banner.
        head = out.split("\n== hepprobe end-of-run report ==")[0]
        lines = [ln for ln in head.splitlines() if ln.strip()]
        c.check("== hepprobe end-of-run report ==" in out and "hepprobe_rx_frames_total" in out,
                "%s without --hep: end-of-run report on stdout" % name, out[-300:])
        c.eq(rc, 0, "%s without --hep: exit 0" % name)
        c.eq(len(lines), sent, "%s without --hep: one stdout line per HEP message (as many as --hep sends)"
             % name)
        c.none([ln for ln in lines if not ln.startswith("HEP ")],
               "%s without --hep: every line before the report is a HEP message line" % name)
        if rc != 0 or len(lines) != sent:
            print("stdout tail:\n" + "\n".join(lines[-8:]))
    collector_down(c, binary, os.path.join(data, "sip_call_rtp_g711a.pcap"), tmp)
    compression(c, binary, os.path.join(data, "sip_call_rtp_g711a.pcap"))
    two_workers(c, binary, good, tmp)
    os.chmod(unreadable, 0o600)
    shutil.rmtree(tmp, ignore_errors=True)
    c.exit()


if __name__ == "__main__":
    main(sys.argv)
