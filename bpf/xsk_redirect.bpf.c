/* SPDX-License-Identifier: BSD-3-Clause */
/* XDP program for hepprobe's AF_XDP mode (net_af_xdp, xdp_prog=...): every
 * frame of an RX queue goes to the AF_XDP socket bound to that queue. The
 * probe wants all frames (it counts what it does not use), so nothing is
 * filtered here; a queue without a socket passes frames to the kernel. The
 * PMD looks the map up by the name xsks_map. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

SEC("xdp")
int hp_xsk_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
