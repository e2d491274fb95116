# SPDX-License-Identifier: BSD-3-Clause
"""HEP over TCP and TLS to collectors that go away (issue 12 item 2).

usage: test_collectors.py HEPPROBE PCAP
       test_collectors.py --collector PORT OUTDIR [CERT KEY]   (the collector process)

The collector is a separate process (so it can be killed for real): it
accepts TCP (or TLS with CERT/KEY) on 127.0.0.1:PORT and appends what each
connection brings to OUTDIR/<pid>-<n>.bin, flushed after every read. On
SIGTERM it reads every connection dry, then exits.

Cases, each with a paced hepprobe (--hep-rate) on PCAP:
  * tcp crash: SIGKILL the collector mid-run, restart it on the same port;
  * tcp / tls stop: pause hepprobe (SIGSTOP, so nothing is in flight on
    loopback), stop the collector, resume hepprobe, restart the collector:
    then nothing may be lost at all;
  * tls with a CA that did not sign the server: nothing sent, all counted;
  * two collectors, duplicate and balance, the second with its own node id
    and auth key.
Checks: hepprobe exits 0 and reconnected; every connection's bytes are whole
HEP3 messages back to back (a killed connection may end inside one; the
next connection starts at a message boundary); every message received is
one hepprobe produced (the same bytes as a UDP reference run); per collector
sent + dropped == assigned, and assigned == queued (duplicate) or the
assigned sum == queued (balance); balance keeps each Call-ID on one
collector.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hep3  # noqa: E402

RATE = "40"


def collector_main(port, outdir, cert=None, key=None):
    import selectors
    ctx = None
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(8)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    files = {}
    stopping = []
    signal.signal(signal.SIGTERM, lambda *a: stopping.append(1))
    n = 0

    def read_from(conn):
        try:
            data = conn.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            return True
        except (ssl.SSLError, OSError):
            data = b""
        if not data:
            sel.unregister(conn)
            files.pop(conn).close()
            conn.close()
            return False
        f = files[conn]
        f.write(data)
        f.flush()
        return True

    while not stopping:
        for k, _ in sel.select(0.1):
            if k.fileobj is lsock:
                conn, _ = lsock.accept()
                if ctx is not None:
                    try:
                        conn.settimeout(5)
                        conn = ctx.wrap_socket(conn, server_side=True)
                    except (ssl.SSLError, OSError):
                        conn.close()
                        continue
                conn.setblocking(False)
                n += 1
                files[conn] = open(os.path.join(outdir, "%d-%d.bin" % (os.getpid(), n)), "wb")
                sel.register(conn, selectors.EVENT_READ, None)
            else:
                read_from(k.fileobj)
    # Stop: read every connection dry before the sockets close.
    import select
    for conn in list(files):
        while conn in files:
            ready = select.select([conn], [], [], 0)[0] or (ctx is not None and conn.pending())
            if not ready or not read_from(conn):
                break
    for f in files.values():
        f.close()
    return 0


def start_collector(port, outdir, tls):
    cmd = [sys.executable, os.path.abspath(__file__), "--collector", str(port), outdir]
    if tls:
        cmd += [tls[0], tls[1]]
    p = subprocess.Popen(cmd)
    harness.wait_until(lambda: harness.tcp_listening(port) or p.poll() is not None, 20)
    return p


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_ca(tmp):
    """A test CA and a server certificate for 127.0.0.1, made with openssl."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=tmp,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=hepprobe test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr",
        "-subj", "/CN=127.0.0.1")
    with open(os.path.join(tmp, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    return [os.path.join(tmp, n) for n in ("ca.pem", "srv.pem", "srv.key")]


def key_of(m):
    """A message by what it carries: resent copies compare equal."""
    return (m.chunks.get(hep3.CH_PAYLOAD),
            m.ts_usec, m.src_port, m.dst_port, m.proto_type)


def body_len(m):
    """Bytes of m's chunk bodies: less than its length on the wire."""
    return sum(len(v) for v in m.chunks.values())


def received_bytes(outdir):
    return sum(os.path.getsize(os.path.join(outdir, n)) for n in os.listdir(outdir))


def split_stream(data):
    """Whole messages and the length of a torn tail (0 when none)."""
    msgs, off = [], 0
    while off < len(data):
        try:
            m, n = hep3.decode(memoryview(data)[off:])
        except hep3.HepError:
            return msgs, len(data) - off
        msgs.append(m)
        off += n
    return msgs, 0


def read_collector(c, outdir, what):
    """Messages per connection file, in connection order."""
    conns = []
    for name in sorted(os.listdir(outdir), key=lambda n: os.path.getmtime(os.path.join(outdir, n))):
        with open(os.path.join(outdir, name), "rb") as f:
            conns.append((name, f.read()))
    out, torn = [], []
    for i, (name, data) in enumerate(conns):
        msgs, tail = split_stream(data)
        if tail and i == len(conns) - 1:
            torn.append("%s: last connection ends inside a message (%d bytes)" % (name, tail))
        elif tail:
            # Only a connection the collector lost may end inside a message;
            # the rest of that message must not be what the next one starts with.
            rest = conns[i + 1][1] if i + 1 < len(conns) else b""
            if rest and rest[:4] != b"HEP3":
                torn.append("%s: next connection does not start at a message" % name)
        out.extend(msgs)
    c.none(torn, what + ": every connection carries whole HEP3 messages back to back")
    return out, len(conns)


def reference(binary, pcap):
    r = harness.run_probe(binary, pcap, args=["--quiet"], metrics=False)
    return r.messages


def run_hepprobe(binary, pcap, heps, tmp, extra=(), rate=RATE):
    mfile = os.path.join(tmp, "m.prom")
    cmd = [binary, "--pcap", pcap, "--quiet", "--metrics-file", mfile, "--hep-rate", rate] + list(extra)
    for h in heps:
        cmd += ["--hep", h]
    print("run: %s" % " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p, mfile


def accounting(c, mfile, names, mode):
    with open(mfile) as f:
        text = f.read()
    samples, bad = harness.parse_prometheus(text)
    c.none(bad, "metrics file is exposition format")
    m = harness.Metrics(samples)
    queued = m.value("hepprobe_hep_queued_total")
    total_assigned = 0
    for n in names:
        sent = m.value("hepprobe_hep_sent_total", collector=n)
        dropped = sum(v for (k, labels), v in samples.items()
                      if k == "hepprobe_hep_dropped_total" and ("collector", n) in labels)
        assigned = m.value("hepprobe_hep_collector_assigned_total", collector=n)
        total_assigned += assigned
        c.eq(sent + dropped, assigned, "%s: sent + dropped == assigned" % n)
        if mode == "duplicate":
            c.eq(assigned, queued, "%s: duplicate: assigned == hepprobe_hep_queued_total" % n)
    if mode == "balance":
        c.eq(total_assigned, queued, "balance: assigned over collectors == hepprobe_hep_queued_total")
    return m


def restart_case(c, binary, pcap, ref, tmp, tls, graceful):
    name = ("tls" if tls else "tcp") + (" stop" if graceful else " crash")
    port = free_tcp_port()
    outdir = os.path.join(tmp, name.replace(" ", "_"))
    os.mkdir(outdir)
    col = start_collector(port, outdir, tls[1:] if tls else None)
    hep = "%s:127.0.0.1:%d" % ("tls" if tls else "tcp", port)
    extra = ["--hep-ca", tls[0]] if tls else []
    p, mfile = run_hepprobe(binary, pcap, [hep], tmp, extra)
    # Mid-run: once a quarter of the messages arrived (hepprobe paced at RATE/s).
    c.check(harness.wait_until(lambda: received_bytes(outdir) >= sum(body_len(x) for x in ref) // 4, 60),
            name + ": the collector receives messages")
    if graceful:
        # Paused, hepprobe has nothing in flight: every byte it wrote is in
        # the collector's socket buffer, which the collector reads dry.
        os.kill(p.pid, signal.SIGSTOP)
        harness.wait_until(lambda: open("/proc/%d/stat" % p.pid).read().split(")")[1].split()[0] == "T", 10)
        col.send_signal(signal.SIGTERM)
    else:
        col.kill()
    col.wait()
    if graceful:
        os.kill(p.pid, signal.SIGCONT)
    time.sleep(0.5)
    c.check(p.poll() is None, name + ": hepprobe keeps running without its collector")
    col = start_collector(port, outdir, tls[1:] if tls else None)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    col.send_signal(signal.SIGTERM)
    col.wait()
    c.eq(p.returncode, 0, name + ": exit 0 (%s)" % err.decode(errors="replace")[-300:])
    c.check(b"connection lost" in err, name + ": the lost connection is logged", err.decode()[-300:])
    msgs, nconn = read_collector(c, outdir, name)
    c.check(nconn >= 2, name + ": hepprobe reconnected to the restarted collector", "%d connections" % nconn)
    m = accounting(c, mfile, [hep], "duplicate")
    c.check(m.value("hepprobe_hep_collector_reconnects_total", collector=hep) >= 1,
            name + ": reconnect counted")
    refkeys = {key_of(x) for x in ref}
    got = {key_of(x) for x in msgs}
    c.none([k[1] for k in got - refkeys], name + ": every message received is one hepprobe produced")
    dropped = m.total("hepprobe_hep_dropped_total") - m.value("hepprobe_hep_dropped_total")
    sent = m.value("hepprobe_hep_sent_total", collector=hep)
    if graceful:
        c.eq(sent, len(refkeys), name + ": every message counted sent")
        c.eq(len(got), len(refkeys), name + ": nothing lost across the collector restart")
        c.eq(dropped, 0, name + ": nothing dropped")


def wrong_ca(c, binary, pcap, tmp, tls):
    """A server certificate the CA did not sign: no connection, every message
    counted dropped (shutdown, after --shutdown-timeout), nothing reaches the
    collector."""
    other = os.path.join(tmp, "other")
    os.mkdir(other)
    bad_ca = make_ca(other)[0]
    port = free_tcp_port()
    outdir = os.path.join(tmp, "wrong_ca")
    os.mkdir(outdir)
    col = start_collector(port, outdir, tls[1:])
    hep = "tls:127.0.0.1:%d" % port
    p, mfile = run_hepprobe(binary, pcap, [hep], tmp, ["--hep-ca", bad_ca, "--shutdown-timeout", "1"], rate="2000")
    out, err = p.communicate(timeout=120)
    col.send_signal(signal.SIGTERM)
    col.wait()
    c.eq(p.returncode, 0, "wrong CA: exit 0")
    c.check(b"certificate" in err, "wrong CA: the verification failure is logged", err.decode()[-300:])
    m = accounting(c, mfile, [hep], "duplicate")
    c.eq(m.value("hepprobe_hep_sent_total", collector=hep), 0, "wrong CA: nothing counted sent")
    c.eq(m.value("hepprobe_hep_dropped_total", collector=hep, reason="shutdown"),
         m.value("hepprobe_hep_queued_total"), "wrong CA: every message counted dropped (shutdown)")
    c.eq(received_bytes(outdir), 0, "wrong CA: no byte of HEP reached the collector")


def shutdown_case(c, binary, pcap, tmp, signals):
    """SIGTERM while paced far below the capture's message count: with one
    signal the flush is bounded by --shutdown-timeout, with two it ends at
    once; either way the metrics are written and every message is sent or
    counted dropped (shutdown)."""
    what = "%d signal(s)" % signals
    rx = hep3.Receiver()
    hep = "udp:127.0.0.1:%d" % rx.port
    p, mfile = run_hepprobe(binary, pcap, [hep], tmp, ["--shutdown-timeout", "2"], rate="5")
    # Running: the first message arrived.
    c.check(harness.wait_until(lambda: len(rx.datagrams) > 0, 60), what + ": hepprobe sends")
    for _ in range(signals):
        p.send_signal(signal.SIGTERM)
        time.sleep(0.2)
    try:
        p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
    got = rx.finish()
    c.eq(p.returncode, 0, what + ": exit 0")
    m = accounting(c, mfile, [hep], "duplicate")
    shut = m.value("hepprobe_hep_dropped_total", collector=hep, reason="shutdown")
    c.check(shut > 0, what + ": what the flush could not send is counted dropped (shutdown)", str(shut))
    c.eq(m.value("hepprobe_hep_sent_total", collector=hep), len(got), what + ": sent == datagrams received")


def two_collectors(c, binary, pcap, ref, tmp, mode):
    names, cols, outs = [], [], []
    for i in range(2):
        port = free_tcp_port()
        outdir = os.path.join(tmp, "%s%d" % (mode, i))
        os.mkdir(outdir)
        cols.append(start_collector(port, outdir, None))
        outs.append(outdir)
        names.append("tcp:127.0.0.1:%d" % port)
    # The second collector has its own identity (chunks 0x0c and 0x0e).
    heps = [names[0], names[1] + ",node-id=77,auth-key=k2"]
    p, mfile = run_hepprobe(binary, pcap, heps, tmp, ["--hep-mode", mode], rate="2000")
    out, err = p.communicate(timeout=120)
    for col in cols:
        col.send_signal(signal.SIGTERM)
        col.wait()
    c.eq(p.returncode, 0, mode + ": exit 0")
    accounting(c, mfile, names, mode)
    refkeys = {key_of(x) for x in ref}
    got = []
    for i, outdir in enumerate(outs):
        msgs, _ = read_collector(c, outdir, "%s collector %d" % (mode, i))
        got.append(msgs)
    c.none(sorted({(x.node_id, x.auth_key) for x in got[0]} - {(2001, None)}),
           mode + ": collector 0 gets the global identity (node id 2001, no key)")
    c.none(sorted({(x.node_id, x.auth_key) for x in got[1]} - {(77, "k2")}),
           mode + ": collector 1 gets its own node-id=77, auth-key=k2")
    if mode == "duplicate":
        for i in range(2):
            c.eq({key_of(x) for x in got[i]}, refkeys, "duplicate: collector %d has every message" % i)
    else:
        both = {key_of(x) for x in got[0]} | {key_of(x) for x in got[1]}
        c.eq(both, refkeys, "balance: the two collectors together have every message once")
        c.eq(len(got[0]) + len(got[1]), len(refkeys), "balance: no message on both")
        ids = [{x.correlation_id for x in g} for g in got]
        c.none(sorted(ids[0] & ids[1]), "balance: no Call-ID on both collectors")
        c.check(len(got[0]) > 0 and len(got[1]) > 0, "balance: both collectors used",
                "%d / %d" % (len(got[0]), len(got[1])))


def main(argv):
    if len(argv) >= 3 and argv[1] == "--collector":
        return collector_main(int(argv[2]), argv[3], *(argv[4:6] if len(argv) >= 6 else ()))
    binary, pcap = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    c = harness.Checks("collectors " + os.path.basename(pcap))
    if not harness.need_tools(c, "openssl"):
        return c.exit()
    tmp = tempfile.mkdtemp(prefix="hp-coll-")
    try:
        run_cases(c, binary, pcap, tmp)
    finally:
        if os.environ.get("HP_KEEP"):
            print("kept %s (HP_KEEP set)" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return c.exit()


def run_cases(c, binary, pcap, tmp):
    ref = reference(binary, pcap)
    c.check(len(ref) > 20, "reference run over UDP sends messages", str(len(ref)))
    restart_case(c, binary, pcap, ref, tmp, None, graceful=False)
    restart_case(c, binary, pcap, ref, tmp, None, graceful=True)
    tls = make_ca(tmp)
    restart_case(c, binary, pcap, ref, tmp, tls, graceful=True)
    wrong_ca(c, binary, pcap, tmp, tls)
    shutdown_case(c, binary, pcap, tmp, 1)
    shutdown_case(c, binary, pcap, tmp, 2)
    two_collectors(c, binary, pcap, ref, tmp, "duplicate")
    two_collectors(c, binary, pcap, ref, tmp, "balance")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
