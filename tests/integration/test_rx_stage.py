# SPDX-License-Identifier: BSD-3-Clause
"""The receive stage changes nothing but who calls the PMD.

usage: test_rx_stage.py HEPPROBE FILE...

Runs each capture twice, with --rx-lcore (on a machine with a CPU the
worker does not use, an RX lcore feeds the worker through a ring) and
without (the worker polls its queue), and requires the same HEP
messages (type, addresses, ports, correlation id, payload; order aside) and
the same counters, timing-free ones only (rx, delivered, drops, verdicts).
"""

import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FAMILIES = ("hepprobe_rx_frames_total", "hepprobe_delivered_total", "hepprobe_drops_total",
            "hepprobe_udp_checksum_total", "hepprobe_hep_queued_total")


def summary(run):
    msgs = collections.Counter((m.proto_type, m.src_ip, m.dst_ip, m.src_port, m.dst_port,
                                m.correlation_id, m.payload) for m in run.messages)
    counters = {k: v for k, v in run.metrics.s.items() if k[0] in FAMILIES}
    return msgs, counters


def main(argv):
    c = harness.Checks("rx_stage")
    if len(argv) < 3:
        c.fatal("usage: test_rx_stage.py HEPPROBE FILE...")
        c.exit()
    for pcap in argv[2:]:
        name = os.path.basename(pcap)
        staged = harness.run_probe(argv[1], pcap, args=["--rx-lcore"])
        direct = harness.run_probe(argv[1], pcap)
        c.eq((staged.rc, direct.rc), (0, 0), "%s: exit codes" % name)
        m1, k1 = summary(staged)
        m2, k2 = summary(direct)
        c.check(len(m1) > 0, "%s: HEP arrived" % name)
        c.check(m1 == m2, "%s: the same HEP messages both ways" % name,
                "%d only with the RX lcore, %d only without" % (len(m1 - m2), len(m2 - m1)))
        diff = {k: (k1.get(k), k2.get(k)) for k in set(k1) | set(k2) if k1.get(k) != k2.get(k)}
        c.none(sorted(diff.items())[:10] if diff else [], "%s: the same counters both ways" % name)
        c.eq(k1.get(("hepprobe_rx_frames_total", ())), harness.frame_count(pcap), "%s: every frame" % name)
    c.exit()


if __name__ == "__main__":
    main(sys.argv)
