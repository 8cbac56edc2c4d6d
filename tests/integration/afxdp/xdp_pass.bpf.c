// SPDX-License-Identifier: GPL-2.0
/* Passes every frame. The tests attach it to the client end of their veth:
 * a veth delivers frames redirected or bounced (XDP_TX) by the XDP program
 * on the other end only when its receiving end has an XDP program too. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
