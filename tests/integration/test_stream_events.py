# SPDX-License-Identifier: BSD-3-Clause
"""An unparseable SIP message on a TCP connection, through the real binary.

usage: test_stream_events.py HEPPROBE

Builds, in a temporary directory, one SIP/TCP connection (handshake, an
OPTIONS, a message whose Content-Length is not a number, another OPTIONS,
FIN both ways) and one whose message has no Call-ID, with the packet
builders of tests/gen/encapgen.py, and checks what a Kamailio user needs to
see: each bad message is one HEP type-100 {"event": "sip_parse_error"} naming
the flow (src, dst), the transport and the reason, and its first line; the
stream resynchronises, so the OPTIONS after it arrives as SIP; when the
connection of a framing error ends, a second event (phase connection_end)
says it closed, by whom, and how many messages came after the error; the
metrics count two parse errors (one verdict each), and rx_frames ==
delivered + drops.
"""

import json
import os
import random
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "gen"))
import encapgen  # noqa: E402
import harness  # noqa: E402
import pcapfile  # noqa: E402

SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
T0 = 1700000000


def options(call_id, cseq):
    return ("OPTIONS sip:bob@198.51.100.20 SIP/2.0\r\n"
            "Via: SIP/2.0/TCP 192.0.2.10:40000;branch=z9hG4bK%d\r\n"
            "From: <sip:alice@192.0.2.10>;tag=a%d\r\n"
            "To: <sip:bob@198.51.100.20>\r\n"
            "Call-ID: %s\r\nCSeq: %d OPTIONS\r\nContent-Length: 0\r\n\r\n"
            % (cseq, cseq, call_id, cseq)).encode()


BAD_LENGTH = (b"MESSAGE sip:bob@198.51.100.20 SIP/2.0\r\n"
              b"Via: SIP/2.0/TCP 192.0.2.10:40000;branch=z9hG4bK9\r\n"
              b"Call-ID: bad-length@192.0.2.10\r\nCSeq: 9 MESSAGE\r\n"
              b"Content-Length: twelve\r\n\r\nhello, world")
NO_CALL_ID = (b"INFO sip:bob@198.51.100.20 SIP/2.0\r\n"
              b"Via: SIP/2.0/TCP 192.0.2.11:40001;branch=z9hG4bK7\r\n"
              b"CSeq: 7 INFO\r\nContent-Length: 0\r\n\r\n")


def connection(cli, srv, cport, payloads, t):
    """Frames of one client->server connection carrying payloads in order."""
    frames, seq, sseq = [], 1000, 5000

    def add(src, dst, sp, dp, s, a, flags, data=b""):
        l4 = encapgen.tcp(src, dst, sp, dp, s, a, flags, data)
        ip = encapgen.ip_packet(src, dst, encapgen.IPP_TCP, l4)
        frames.append(encapgen.eth(dst.mac, src.mac, encapgen.ethertype(src.fam), ip))

    add(cli, srv, cport, 5060, seq, 0, SYN)
    add(srv, cli, 5060, cport, sseq, seq + 1, SYN | ACK)
    seq, sseq = seq + 1, sseq + 1
    for p in payloads:
        add(cli, srv, cport, 5060, seq, sseq, PSH | ACK, p)
        seq += len(p)
    add(cli, srv, cport, 5060, seq, sseq, FIN | ACK)
    add(srv, cli, 5060, cport, sseq, seq + 1, FIN | ACK)
    return [(T0 + t, i * 1000, f) for i, f in enumerate(frames)]


def main(argv):
    c = harness.Checks("stream_events")
    if len(argv) != 2:
        c.fatal("usage: test_stream_events.py HEPPROBE")
        c.exit()
    rng = random.Random(1)
    cli, cli2, srv = (encapgen.Host(a, rng) for a in ("192.0.2.10", "192.0.2.11", "198.51.100.20"))
    frames = connection(cli, srv, 40000, [options("first@192.0.2.10", 1), BAD_LENGTH,
                                          options("after@192.0.2.10", 2)], 0)
    frames += connection(cli2, srv, 40001, [NO_CALL_ID, options("later@192.0.2.11", 3)], 1)
    tmp = tempfile.mkdtemp(prefix="hp-stream-events-")
    try:
        pcap = os.path.join(tmp, "parse_error.pcap")
        pcapfile.write(pcap, frames)
        r = harness.run_probe(argv[1], pcap)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.eq(r.rc, 0, "exit code")
    sip = sorted(m.correlation_id for m in r.messages if m.proto_type == 1)
    c.eq(sip, ["after@192.0.2.10", "first@192.0.2.10", "later@192.0.2.11"],
         "the messages before and after each bad one arrive as SIP (the stream resynchronised)")
    events = [json.loads(m.payload) for m in r.messages if m.proto_type == 100]
    errs = [e for e in events if e.get("event") == "sip_parse_error" and e.get("phase") == "error"]
    c.eq(len(errs), 2, "one sip_parse_error event per bad message")
    ends = [e for e in events if e.get("event") == "sip_parse_error" and e.get("phase") == "connection_end"]
    c.eq(len(ends), 1, "one connection_end report (the framing error's connection)")
    end = ends[0] if ends else {}
    c.eq((end.get("reason"), end.get("connection_closed"), end.get("end"), end.get("closed_by"),
          end.get("messages_after")), ("sip_stream_bad_content_length", True, "fin", "sender", 1),
         "connection_end: closed by the sender's FIN, one message after the error")
    c.check("192.0.2.10" in json.dumps(end.get("src")), "connection_end: the flow", repr(end))
    by_line = {e.get("first_line"): e for e in errs}
    e = by_line.get("MESSAGE sip:bob@198.51.100.20 SIP/2.0", {})
    c.eq((e.get("transport"), e.get("reason")), ("tcp", "sip_stream_bad_content_length"),
         "bad Content-Length: transport and reason")
    c.check("192.0.2.10" in json.dumps(e.get("src")) and "40000" in json.dumps(e.get("src"))
            and "198.51.100.20" in json.dumps(e.get("dst")), "bad Content-Length: the flow",
            repr(e))
    e = by_line.get("INFO sip:bob@198.51.100.20 SIP/2.0", {})
    c.eq((e.get("transport"), e.get("reason")), ("tcp", "sip_no_call_id"), "no Call-ID: transport and reason")
    c.check("192.0.2.11" in json.dumps(e.get("src")), "no Call-ID: the flow", repr(e))
    m = r.metrics
    c.eq(m.get("hepprobe_sip_stream_parse_errors_total"), 2, "parse errors counted")
    c.eq(m.get("hepprobe_verdicts_total", verdict="sip_parse_error"), 2, "one verdict per bad message")
    rx = m.get("hepprobe_rx_frames_total")
    c.eq(rx, len(frames), "rx_frames == frames")
    c.eq(m.total("hepprobe_delivered_total") + m.total("hepprobe_drops_total"), rx,
         "rx == sum(delivered) + sum(drops)")
    c.exit()


if __name__ == "__main__":
    main(sys.argv)
