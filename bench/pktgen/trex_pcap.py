# SPDX-License-Identifier: BSD-3-Clause
"""TRex stateless profile: replay a capture, frame by frame in file order,
at a set packet rate, looping over the file.

  trex> start -f bench/pktgen/trex_pcap.py -p 0 -t pcap=/data/bench-tiny.pcap,pps=100000 -d 60

(bench/pktgen/rfc2544.py --generator trex --trex-profile ... loads it the
same way.) The frames become one chain of single-packet streams with an
inter-stream gap of 1/pps, the last one pointing back to the first
(STLProfile.load_pcap with loop_count 0): fine for captures of a few
thousand frames, e.g. `bench/gen tiny` or `scalecap.py --calls 500`. For
larger ones the driver uses TRex's push_remote, which streams the file from
the TRex machine's disk at the same gap.
"""

import argparse

try:
    from trex.stl.api import STLProfile  # TRex >= 2.50
except ImportError:
    from trex_stl_lib.api import STLProfile


class HepprobePcap:
    def _params(self, tunables, kwargs):
        pcap, pps = kwargs.get("pcap"), kwargs.get("pps", 100000)
        if isinstance(tunables, list):
            # Newer TRex hands the -t words over as an argv list.
            p = argparse.ArgumentParser(prog="trex_pcap.py")
            p.add_argument("--pcap", required=True)
            p.add_argument("--pps", type=float, default=100000)
            a = p.parse_args(tunables)
            pcap, pps = a.pcap, a.pps
        if not pcap:
            raise ValueError("trex_pcap.py needs pcap=FILE")
        return pcap, float(pps)

    def get_streams(self, tunables=None, port_id=0, direction=0, **kwargs):
        pcap, pps = self._params(tunables, kwargs)
        if pps <= 0:
            raise ValueError("pps must be > 0")
        prof = STLProfile.load_pcap(pcap, ipg_usec=1e6 / pps, loop_count=0)
        return prof.get_streams()


def register():
    return HepprobePcap()
