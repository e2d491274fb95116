# SPDX-License-Identifier: BSD-3-Clause
"""What tshark reads from a capture: the expected output of hepprobe.

How tshark's view is narrowed to what hepprobe's first version promises:

* Only the OUTER stack counts: [Ethernet [802.1Q/802.1ad tags...] [PPPoE
  session / PPP] | Linux SLL | raw IP] -> IPv4|IPv6 -> UDP.  tshark also
  dissects UDP inside ICMP errors, L2TP, GRE, IP-in-IP; hepprobe walks GRE
  and IP-in-IP too (lib/net), but the captures checked here have none, and
  it does not walk ICMP or L2TP, so such frames are neither expected SIP nor
  counted in checksum verdicts.  The test is on frame.protocols.
* IP fragments are excluded.  tshark reassembles and shows the SIP on the
  last fragment; hepprobe counts every fragment as a drop (ipv4_fragment /
  ipv6_fragment) and gives it no checksum verdict.  A frame is a fragment when
  its outer IPv4 header has MF set or a non-zero offset, or its IPv6 header
  chain holds a Fragment header.
* `sip && udp` also matches frames carrying SIP over TCP when UDP appears
  elsewhere in the frame; the outer-stack rule above (protocols ...:udp:sip)
  keeps SIP over UDP only.
* Checksum status (`-o udp.check_checksum:TRUE`, udp.checksum.status of the
  first, outer UDP header).  Mapping checked on gen_sip_bad_checksum.pcap and
  the zeek vectors with tshark 4.0.17:
      0 Bad           -> bad + offload_partial   (tshark cannot tell a TX
                         offload artefact; pcapfile.is_offload_partial splits)
      1 Good          -> ok
      2 Unverified    -> truncated (snap length shorter than the datagram)
      3 Not present   -> zero_ipv4  (field 0 over IPv4, RFC 768)
      4 Illegal       -> zero_ipv6  (field 0 over IPv6, RFC 8200 8.1)
  A UDP header whose length field is invalid gets no status from tshark at
  all (bad_length): counted under "none".
"""

import json
import re
import subprocess
import sys

TSHARK = "tshark"

OUTER_UDP = re.compile(
    r"^(eth:ethertype:((vlan|ieee8021ad):ethertype:)*(?:pppoes:ppp:)?|sll:ethertype:|raw:)"
    r"(ip|ipv6(:ipv6\.[a-z]+)*):udp(:|$)")

FIELDS = ["frame.number", "frame.time_epoch", "frame.protocols",
          "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.flags.mf", "ip.frag_offset",
          "ipv6.fraghdr.nxt", "udp.srcport", "udp.dstport", "udp.payload",
          "udp.checksum.status", "sip.Call-ID", "sip.Method", "sip.Status-Code",
          "vlan.id", "ieee8021ad.id"]

STATUS_NAMES = {0: "bad", 1: "good", 2: "unverified", 3: "not_present", 4: "illegal"}


def run_tshark(pcap, display_filter):
    cmd = [TSHARK, "-n", "-r", pcap, "-o", "udp.check_checksum:TRUE",
           "-Y", display_filter, "-T", "json"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("tshark failed (%d): %s" % (p.returncode, p.stderr.decode()[-500:]))
    out = p.stdout.decode("utf-8", "replace").strip()
    if not out:
        return []
    return [pkt["_source"]["layers"] for pkt in json.loads(out)]


def first(layers, name, default=None):
    v = layers.get(name)
    return v[0] if v else default


def epoch_to_ns(s):
    """'1105725482.965944000' -> integer nanoseconds, exact (no float)."""
    whole, _, frac = s.partition(".")
    return int(whole) * 1000000000 + int((frac + "000000000")[:9])


def classify(layers):
    """'ok' when the frame's outer stack is plain [VLAN] IP/UDP and not a
    fragment; otherwise why it is excluded."""
    protos = first(layers, "frame.protocols", "")
    if not OUTER_UDP.match(protos):
        return "not_outer_udp"
    if ":ipv6.fraghdr" in protos or first(layers, "ipv6.fraghdr.nxt") is not None:
        return "ip_fragment"
    if first(layers, "ip.flags.mf") in ("1", "True", "true") or \
            first(layers, "ip.frag_offset", "0") not in ("0",):
        return "ip_fragment"
    return "ok"


def sip_messages(pcap):
    """Returns (expected, excluded).  expected: list of dicts, one per UDP
    datagram carrying SIP on the outer stack, in capture order."""
    expected, excluded = [], []
    for L in run_tshark(pcap, "sip && udp"):
        why = classify(L)
        num = int(first(L, "frame.number"))
        if why != "ok":
            excluded.append((num, why))
            continue
        if OUTER_UDP.match(first(L, "frame.protocols")).group(4).startswith("ipv6"):
            family, src, dst = 10, first(L, "ipv6.src"), first(L, "ipv6.dst")
        else:
            family, src, dst = 2, first(L, "ip.src"), first(L, "ip.dst")
        vlans = [int(v) for v in L.get("ieee8021ad.id", []) + L.get("vlan.id", [])]
        expected.append({
            "frame": num,
            "ts_ns": epoch_to_ns(first(L, "frame.time_epoch")),
            "family": family,
            "src": src, "dst": dst,
            "sport": int(first(L, "udp.srcport")),
            "dport": int(first(L, "udp.dstport")),
            "payload": bytes.fromhex(first(L, "udp.payload", "").replace(":", "")),
            "callids": L.get("sip.Call-ID", []),
            "methods": L.get("sip.Method", []),
            "statuses": L.get("sip.Status-Code", []),
            "vlans": vlans,
            "csum_status": int(first(L, "udp.checksum.status", "-1")),
        })
    return expected, excluded


def udp_frames(pcap):
    """All outer-stack, non-fragment UDP frames: list of (frame number, status)
    with status -1 when tshark gave none."""
    out = []
    for L in run_tshark(pcap, "udp"):
        if classify(L) != "ok":
            continue
        out.append((int(first(L, "frame.number")), int(first(L, "udp.checksum.status", "-1"))))
    return out


def checksum_counts(pcap):
    counts = {}
    for _, st in udp_frames(pcap):
        name = STATUS_NAMES.get(st, "none")
        counts[name] = counts.get(name, 0) + 1
    return counts


def main(argv):
    for pcap in argv[1:]:
        exp, exc = sip_messages(pcap)
        print("%s: %d SIP/UDP messages expected, %d excluded %s; checksum %s"
              % (pcap, len(exp), len(exc), exc[:5], checksum_counts(pcap)))
        for e in exp:
            print("  f%d %d %s:%d -> %s:%d vlans=%s callid=%s %s%s csum=%d len=%d"
                  % (e["frame"], e["family"], e["src"], e["sport"], e["dst"], e["dport"],
                     e["vlans"], e["callids"], e["methods"], e["statuses"],
                     e["csum_status"], len(e["payload"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
