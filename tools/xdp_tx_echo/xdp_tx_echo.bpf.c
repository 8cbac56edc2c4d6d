// SPDX-License-Identifier: GPL-2.0
/* The bench's ceiling for the kernel cache (tools/bench.sh): answers every
 * memcached UDP request to port 11211 over IPv4 (mcbench's GETs, and the
 * `version` it probes with first) with one fixed GET hit of the size the
 * kernel cache sends for mcbench's 20-byte keys and 64-byte values, built as
 * the kernel cache builds it: the frame grown (at the tail, else at the
 * front), MACs, addresses and ports swapped, the request id kept, IPv4 and
 * UDP checksums computed, XDP_TX. No map, no key, no parsing of the request.
 * Everything else passes. Load: ip link set dev IF xdpdrv obj
 * xdp_tx_echo.bpf.o sec xdp (the veth peer needs an XDP program too). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "unbuckle/mc_udp.h"

/* mcbench's key 9999 with --key-size 20 --value-size 64 (flags = key index). */
#define REPLY "VALUE mcb:0000000000009999 9999 64\r\n" \
	"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr\r\nEND\r\n"
#define REPLY_LEN (sizeof(REPLY) - 1)
#define REPLY_FRAME_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr) + \
			 MC_UDP_HEADER_SIZE + REPLY_LEN)

/* Ones' complement sum of big-endian 16-bit words, not yet folded. */
static __always_inline __u32 sum16(const void *bytes, __u32 len)
{
	const __u8 *b = bytes;
	__u32 sum = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

static __always_inline __u16 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

SEC("xdp")
int xdp_tx_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct mc_udp_header *mc = (void *)(udp + 1);
	struct ethhdr saved_eth;
	struct iphdr saved_ip;
	struct udphdr saved_udp;
	__be16 request_id;
	int delta;
	__u32 sum;

	if ((void *)(mc + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || udp->dest != bpf_htons(MC_DEFAULT_PORT))
		return XDP_PASS;
	saved_eth = *eth;
	saved_ip = *ip;
	saved_udp = *udp;
	request_id = mc->request_id;

	delta = (int)REPLY_FRAME_LEN - (int)(end - data);
	if (bpf_xdp_adjust_tail(ctx, delta) && (delta < 0 || bpf_xdp_adjust_head(ctx, -delta)))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + REPLY_FRAME_LEN > end)
		return XDP_PASS;
	eth = data;
	ip = (void *)(eth + 1);
	udp = (void *)(ip + 1);
	mc = (void *)(udp + 1);

	__builtin_memcpy(eth->h_dest, saved_eth.h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, saved_eth.h_dest, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	*ip = saved_ip;
	ip->saddr = saved_ip.daddr;
	ip->daddr = saved_ip.saddr;
	ip->tot_len = bpf_htons(REPLY_FRAME_LEN - sizeof(struct ethhdr));
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->check = 0;
	ip->check = bpf_htons(fold(sum16(ip, sizeof(*ip))));

	udp->source = saved_udp.dest;
	udp->dest = saved_udp.source;
	udp->len = bpf_htons(REPLY_FRAME_LEN - sizeof(struct ethhdr) - sizeof(struct iphdr));
	udp->check = 0;
	mc->request_id = request_id;
	mc->sequence = 0;
	mc->total = bpf_htons(1);
	mc->reserved = 0;
	__builtin_memcpy(mc + 1, REPLY, REPLY_LEN);

	/* Pseudo-header (addresses, protocol, length), UDP and frame headers,
	 * then the reply, whose sum the compiler folds to a constant. */
	sum = sum16(&ip->saddr, 8) + IPPROTO_UDP + bpf_ntohs(udp->len) +
	      sum16(udp, sizeof(*udp) + MC_UDP_HEADER_SIZE) + sum16(REPLY, REPLY_LEN);
	udp->check = bpf_htons(fold(sum) ?: 0xffff);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
