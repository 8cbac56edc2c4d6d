/* SPDX-License-Identifier: GPL-2.0 */
/* The allow list's XDP side: the two LPM tries of --allow networks
 * (include/unbuckle/bpf_abi.h) and the lookup of a packet's source in them. */
#ifndef UNBUCKLE_BPF_ALLOW_LIST_H
#define UNBUCKLE_BPF_ALLOW_LIST_H

#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

#include "unbuckle/bpf_abi.h"

/* The daemon creates the real tries and hands them over with
 * bpf_map__reuse_fd(); a program loaded without them has these, empty, and
 * so accepts memcached UDP from nobody. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, UNBUCKLE_ALLOW_MAX);
	__type(key, struct unbuckle_allow4_key);
	__type(value, __u8);
} unbuckle_allow4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, UNBUCKLE_ALLOW_MAX);
	__type(key, struct unbuckle_allow6_key);
	__type(value, __u8);
} unbuckle_allow6 SEC(".maps");

/* Whether the source address of the IP header at l3 (whose bytes the caller
 * has bounds-checked) lies in an allowed network. */
static __always_inline int source_allowed(const void *l3, int ipv6)
{
	if (ipv6) {
		const struct ipv6hdr *ip6 = l3;
		struct unbuckle_allow6_key key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr, &ip6->saddr, sizeof(key.addr));
		return bpf_map_lookup_elem(&unbuckle_allow6, &key) != 0;
	}
	const struct iphdr *ip = l3;
	struct unbuckle_allow4_key key = { .prefixlen = 32 };

	__builtin_memcpy(key.addr, &ip->saddr, sizeof(key.addr));
	return bpf_map_lookup_elem(&unbuckle_allow4, &key) != 0;
}

#endif
