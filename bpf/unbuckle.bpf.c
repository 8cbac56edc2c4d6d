// SPDX-License-Identifier: GPL-2.0
/* XDP steering: memcached UDP to our port from a source in the allow list
 * (allow_list.h) goes to the AF_XDP socket of the packet's RX queue, unless
 * the kernel cache answers it (kernel_cache.h); from any other source it is
 * dropped. Everything else goes on to the kernel untouched.
 * Multi-buffer aware ("xdp.frags"), so native XDP attaches where the MTU is
 * larger than a page: a frame's headers are in its first buffer, and a frame
 * too long for an AF_XDP socket goes to the kernel anyway. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "allow_list.h"
#include "kernel_cache.h"
#include "parse.h"
#include "unbuckle/bpf_abi.h"
#include "unbuckle/mc_udp.h"

/* Set by the loader before load, so the verifier sees constants. */
const volatile __u16 cfg_port = MC_DEFAULT_PORT;
/* The longest frame the AF_XDP sockets receive (bpf_abi.h). */
const volatile __u32 cfg_xsk_rx_room = UNBUCKLE_XSK_RX_ROOM;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, UNBUCKLE_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} unbuckle_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UNBUCKLE_XDP_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} unbuckle_counters SEC(".maps");

static __always_inline int count_n(int counter, __u64 n, int verdict)
{
	__u32 key = counter;
	__u64 *value = bpf_map_lookup_elem(&unbuckle_counters, &key);

	if (value)
		*value += n;
	return verdict;
}

static __always_inline int count(int counter, int verdict)
{
	return count_n(counter, 1, verdict);
}

/* The memcached frame: more than 8 bytes, a single-datagram request. */
static __always_inline int check_mc_frame(struct cursor *c, __u32 payload_len)
{
	struct mc_udp_header *mc = c->pos;

	if (payload_len <= MC_UDP_HEADER_SIZE || (void *)(mc + 1) > c->end)
		return count(UNBUCKLE_XDP_drop_short_frame, XDP_DROP);
	if (mc->total != bpf_htons(1))
		return count(UNBUCKLE_XDP_drop_multi_datagram, XDP_DROP);
	return -1;
}

static __always_inline int steer(struct xdp_md *ctx)
{
	int ret = bpf_redirect_map(&unbuckle_xsks, ctx->rx_queue_index, XDP_PASS);

	if (ret == XDP_REDIRECT)
		return count(UNBUCKLE_XDP_redirect, ret);
	return count(UNBUCKLE_XDP_redirect_no_socket, ret);
}

/* A plain get answered from the kernel cache (or dropped there, its source's
 * reply budget spent), else steered as always.
 * Only while the queue has its AF_XDP socket: the mirror's writer is the
 * daemon behind that socket, and a daemon killed with -9 leaves this
 * program and its maps behind, so its cache would otherwise be served, and
 * go stale, until the next start. */
static __always_inline int serve_or_steer(struct xdp_md *ctx, struct kc_request *r)
{
	__u32 queue = ctx->rx_queue_index;
	__u64 reply_bytes = 0;
	int outcome;

	if (!cfg_kernel_cache || !bpf_map_lookup_elem(&unbuckle_xsks, &queue))
		return steer(ctx);
	outcome = kc_serve(ctx, r, &reply_bytes);
	if (outcome == UNBUCKLE_XDP_kc_hit) {
		count_n(UNBUCKLE_XDP_kc_hit_bytes, reply_bytes, 0);
		return count(UNBUCKLE_XDP_kc_hit, XDP_TX);
	}
	if (outcome == UNBUCKLE_XDP_kc_drop_over_budget)
		return count(outcome, XDP_DROP);
	count(outcome, 0);
	return steer(ctx);
}

/* Checks UDP to our port; returns an XDP verdict. `ip_payload_len` is what
 * the IP header says follows it; `r` holds the headers parsed so far. */
static __always_inline int handle_udp(struct xdp_md *ctx, struct cursor *c, __u32 ip_payload_len,
				      struct kc_request *r)
{
	struct udphdr *udp = parse_udp(c);
	__u32 udp_len;
	int verdict;

	if (!udp)
		return count(UNBUCKLE_XDP_drop_bad_udp_length, XDP_DROP);
	if (udp->dest != bpf_htons(cfg_port))
		return count(UNBUCKLE_XDP_pass_other_port, XDP_PASS);
	udp_len = bpf_ntohs(udp->len);
	if (udp_len < sizeof(*udp) || udp_len > ip_payload_len)
		return count(UNBUCKLE_XDP_drop_bad_udp_length, XDP_DROP);
	/* Before anything can reach the daemon or the kernel's socket. */
	if (!source_allowed(r->l3, r->ipv6))
		return count(UNBUCKLE_XDP_drop_denied, XDP_DROP);
	verdict = check_mc_frame(c, udp_len - sizeof(*udp));
	if (verdict >= 0)
		return verdict;
	/* The kernel would drop it on the way into the socket's frame. */
	if (c->frame_len > cfg_xsk_rx_room)
		return count(UNBUCKLE_XDP_pass_oversize, XDP_PASS);
	r->udp = udp;
	r->udp_payload_len = udp_len - sizeof(*udp);
	r->end = c->end;
	r->start = c->start;
	r->frame_len = c->frame_len;
	return serve_or_steer(ctx, r);
}

/* What goes to the kernel unparsed (an IPv4 fragment, IPv6 with extension
 * headers) but shows UDP to our port from a source the allow list denies is
 * dropped here, as every other denied request is: it never reaches the
 * daemon's kernel socket. A later fragment shows no port; with its first
 * one dropped, the kernel never completes the datagram. */
static __always_inline int pass_unless_denied(struct cursor *c, int l4, const void *l3, int ipv6,
					      int pass_reason)
{
	struct udphdr *udp;

	if (l4 == IPPROTO_UDP) {
		udp = parse_udp(c);
		if (udp && udp->dest == bpf_htons(cfg_port) && !source_allowed(l3, ipv6))
			return count(UNBUCKLE_XDP_drop_denied, XDP_DROP);
	}
	return count(pass_reason, XDP_PASS);
}

SEC("xdp.frags")
int unbuckle_xdp(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end,
			    (void *)(long)ctx->data, bpf_xdp_get_buff_len(ctx) };
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	struct kc_request r = {};
	int proto = parse_ethernet(&c, &eth);

	if (proto < 0)
		return count(UNBUCKLE_XDP_pass_truncated_l2, XDP_PASS);
	if (proto == ETH_P_IP) {
		int l4 = parse_ipv4(&c, &ip);

		if (l4 == PARSE_BAD_LENGTH)
			return count(UNBUCKLE_XDP_drop_bad_ip_length, XDP_DROP);
		if (l4 == PARSE_FRAGMENT)
			return pass_unless_denied(&c, first_fragment(ip) ? ip->protocol : -1, ip, 0,
						  UNBUCKLE_XDP_pass_ip_fragment);
		if (l4 != IPPROTO_UDP)
			return count(UNBUCKLE_XDP_pass_not_udp, XDP_PASS);
		r.eth = eth;
		r.l3 = ip;
		return handle_udp(ctx, &c, bpf_ntohs(ip->tot_len) - ip->ihl * 4, &r);
	}
	if (proto == ETH_P_IPV6) {
		int l4 = parse_ipv6(&c, &ip6);

		if (l4 == PARSE_BAD_LENGTH)
			return count(UNBUCKLE_XDP_drop_bad_ip_length, XDP_DROP);
		if (l4 == PARSE_EXTENSION)
			return pass_unless_denied(&c, skip_ipv6_extensions(&c, ip6->nexthdr), ip6, 1,
						  UNBUCKLE_XDP_pass_ipv6_ext);
		if (l4 != IPPROTO_UDP)
			return count(UNBUCKLE_XDP_pass_not_udp, XDP_PASS);
		r.eth = eth;
		r.l3 = ip6;
		r.ipv6 = 1;
		return handle_udp(ctx, &c, bpf_ntohs(ip6->payload_len), &r);
	}
	return count(UNBUCKLE_XDP_pass_not_ip, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
