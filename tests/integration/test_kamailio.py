# SPDX-License-Identifier: BSD-3-Clause
"""Kamailio sipcapture (db_sqlite) as a real HEP collector.

usage: test_kamailio.py HEPPROBE|--sngrep-sender FILE...

Per capture: a fresh temp dir with an SQLite database holding the
sip_capture table (Debian ships no SQLite schema for sipcapture; columns from
ENVIRONMENT.md), a Kamailio config listening on 127.0.0.1:<free port>
(tests/kamailio/sipcapture.cfg.in), `kamailio -f cfg -DD -E` started and
awaited until its port is bound; hepprobe sends the capture; once the
sender exited and the row count has stopped changing, every SIP message
tshark sees (bad-checksum SIP excluded: hepprobe sends those as events) must
be stored exactly once: Call-ID, method (or status code for a reply),
source/destination address and port, capture time within 1 ms, the message
text, and the node column ending in the node id.
"""

import collections
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hep3  # noqa: E402
import test_pcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CFG_TEMPLATE = os.path.join(HERE, "..", "kamailio", "sipcapture.cfg.in")
NODE_ID = 4242

TEXT_COLUMNS = ("method reply_reason ruri ruri_user ruri_domain from_user from_domain from_tag "
                "to_user to_domain to_tag pid_user contact_user auth_user callid callid_aleg "
                "via_1 via_1_branch cseq diversion reason content_type auth user_agent source_ip "
                "source_port destination_ip destination_port contact_ip contact_port originator_ip "
                "originator_port expires correlation_id custom_field1 custom_field2 custom_field3 "
                "proto family rtp_stat type node msg").split()
SCHEMA = ("CREATE TABLE sip_capture (id INTEGER PRIMARY KEY AUTOINCREMENT, date TEXT, "
          "micro_ts INTEGER, " + ", ".join("%s TEXT" % c for c in TEXT_COLUMNS) + ");")


def row_count(db):
    try:
        con = sqlite3.connect(db, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM sip_capture").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def test_capture(binary, pcap):
    name = os.path.basename(pcap)
    c = harness.Checks("kamailio " + name)
    want_sip, _events = test_pcap.expectations(pcap)
    tmp = tempfile.mkdtemp(prefix="hp-kamailio-")
    kam = None
    try:
        db = os.path.join(tmp, "cap.db")
        con = sqlite3.connect(db)
        con.execute(SCHEMA)
        con.commit()
        con.close()
        port = hep3.free_udp_port()
        with open(CFG_TEMPLATE) as f:
            cfg = f.read().replace("@PORT@", str(port)).replace("@DB@", db)
        cfg_path = os.path.join(tmp, "kamailio.cfg")
        with open(cfg_path, "w") as f:
            f.write(cfg)
        log = open(os.path.join(tmp, "kamailio.log"), "w")
        # meson test sets MALLOC_PERTURB_; with it Kamailio 5.6's db_sqlite
        # fails every insert ("error while submitting query"), whoever sends.
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_PERTURB_"}
        kam = subprocess.Popen(["kamailio", "-f", cfg_path, "-DD", "-E", "-w", tmp,
                                "-P", os.path.join(tmp, "kamailio.pid")], env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if not c.check(harness.wait_until(lambda: harness.udp_bound(port) or kam.poll() is not None, 30)
                       and kam.poll() is None, "kamailio listens on 127.0.0.1:%d" % port,
                       open(os.path.join(tmp, "kamailio.log")).read()[-1500:]):
            return c
        rcode, err = harness.send_capture(binary, pcap, port,
                                          # Kamailio reads with one child that writes every
                                          # message to SQLite before the next read, behind the
                                          # default 208 KB socket buffer (a few KB of kernel
                                          # accounting per datagram): pace as an operator would.
                                          ["--node-id", str(NODE_ID), "--hep-rate", "200"]
                                          if binary != harness.SNGREP_SENDER else [])
        c.eq(rcode, 0, "sender exit code" + ("" if rcode == 0 else " (%s)" % err.strip()[-300:]))
        n = harness.wait_stable(lambda: row_count(db), 60, quiet=2.0,
                                enough=lambda rows: rows >= len(want_sip))
        c.eq(n, len(want_sip), "rows in sip_capture == tshark's SIP messages")

        con = sqlite3.connect(db)
        rows = con.execute("SELECT callid, method, source_ip, source_port, destination_ip, "
                           "destination_port, micro_ts, msg, node FROM sip_capture").fetchall()
        con.close()
        pool = collections.defaultdict(list)
        for r in rows:
            pool[(r[0], r[1], r[2], int(r[3]), r[4], int(r[5]))].append(r)
        missing, wrong = [], []
        for e in want_sip:
            method = e["methods"][0] if e["methods"] else (e["statuses"][0] if e["statuses"] else "?")
            k = (e["callids"][0] if e["callids"] else "", method, e["src"], e["sport"], e["dst"], e["dport"])
            cands = pool.get(k)
            if not cands:
                missing.append("frame %d %r" % (e["frame"], k))
                continue
            cands.sort(key=lambda r: abs(int(r[6]) * 1000 - e["ts_ns"]))
            r = cands.pop(0)
            errs = []
            if abs(int(r[6]) * 1000 - e["ts_ns"]) > 1000000:
                errs.append("micro_ts %s vs %d ns" % (r[6], e["ts_ns"]))
            msg = r[7] if isinstance(r[7], bytes) else (r[7] or "").encode("utf-8", "surrogateescape")
            if msg != e["payload"]:
                errs.append("msg differs (%d vs %d bytes)" % (len(msg), len(e["payload"])))
            if binary != harness.SNGREP_SENDER and not (r[8] or "").endswith(":%d" % NODE_ID):
                errs.append("node %r" % r[8])
            if errs:
                wrong.append("frame %d: %s" % (e["frame"], "; ".join(errs)))
        extra = sum(len(v) for v in pool.values())
        c.none(missing, "every SIP message stored (Call-ID, method, addresses, ports)")
        c.none(wrong, "time, message text and node of each stored row")
        c.eq(extra, 0, "no stored row beyond tshark's SIP messages")
    finally:
        if kam is not None and kam.poll() is None:
            os.killpg(kam.pid, signal.SIGTERM)
            try:
                kam.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(kam.pid, signal.SIGKILL)
                kam.wait()
        if os.environ.get("HP_KEEP"):
            print("kept %s (HP_KEEP set)" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return c


def main(argv):
    if len(argv) < 3:
        print("usage: test_kamailio.py HEPPROBE|--sngrep-sender FILE...", file=sys.stderr)
        return 2
    total = harness.Checks("test_kamailio")
    if not harness.need_tools(total, "kamailio", "tshark"):
        total.exit()
    if not os.path.exists("/usr/lib/x86_64-linux-gnu/kamailio/modules/sipcapture.so"):
        total.fatal("kamailio sipcapture module missing: apt-get install kamailio kamailio-sqlite-modules")
        total.exit()
    for pcap in argv[2:]:
        c = test_capture(argv[1], pcap)
        total.failed += c.failed
        total.passed += c.passed
    total.exit()


if __name__ == "__main__":
    main(sys.argv)
