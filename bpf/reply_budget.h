/* SPDX-License-Identifier: GPL-2.0 */
/* The reply budget's XDP side (include/unbuckle/bpf_abi.h): a token bucket of
 * reply bytes per source address for the kernel cache's hits, one per source
 * in an LRU hash that every CPU shares.
 *
 * Several CPUs may serve one source at once (RSS spreads its ports over the
 * queues), so a bucket is changed only by atomic operations:
 *   - the refill claims the interval (last_ns, now] with a compare-and-swap
 *     of last_ns and adds at most rate * interval; intervals claimed are
 *     disjoint, so all refills together add at most rate * elapsed time;
 *   - a reply's bytes are taken with an atomic add.
 * A request is answered only when it finds the bucket positive; replies on
 * other CPUs between that check and this reply's debit are the only way
 * below zero, by at most one reply (<= 1400 bytes) per CPU. So in any time t
 * a source draws at most
 *   burst + rate * t + CPUs * 1400 bytes
 * from the kernel cache, however many CPUs it reaches, while the LRU keeps
 * its bucket. The refill reads the tokens outside the compare-and-swap:
 * whatever it reads, it adds at most rate * its interval, so a race can
 * leave a bucket above burst only by refill that rate * t already counts. */
#ifndef UNBUCKLE_BPF_REPLY_BUDGET_H
#define UNBUCKLE_BPF_REPLY_BUDGET_H

#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

#include "unbuckle/bpf_abi.h"

/* Set by the loader before load (--udp-reply-rate, --udp-reply-burst). */
const volatile __u64 cfg_reply_rate = UNBUCKLE_REPLY_RATE_DEFAULT;
const volatile __u64 cfg_reply_burst = UNBUCKLE_REPLY_BURST_DEFAULT;

/* The daemon creates the real map, of UNBUCKLE_KC_BUDGET_SOURCES, and hands
 * it over with bpf_map__reuse_fd(); this small one only serves a program
 * loaded alone (and, unused, one without the kernel cache). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, struct unbuckle_reply_source);
	__type(value, struct unbuckle_reply_bucket);
} unbuckle_kc_budget SEC(".maps");

/* The bucket of the source address of the IP header at l3 (bounds-checked by
 * the caller), made full if the source has none; 0 only if the map refuses
 * both the lookup and the insert. */
static __always_inline struct unbuckle_reply_bucket *reply_bucket(const void *l3, int ipv6, __u64 now)
{
	struct unbuckle_reply_source source = {};
	struct unbuckle_reply_bucket *bucket;
	struct unbuckle_reply_bucket full = { .tokens = (__s64)cfg_reply_burst, .last_ns = now };

	if (ipv6) {
		const struct ipv6hdr *ip6 = l3;

		__builtin_memcpy(source.addr, &ip6->saddr, sizeof(source.addr));
	} else {
		const struct iphdr *ip = l3;

		source.addr[10] = 0xff;
		source.addr[11] = 0xff;
		__builtin_memcpy(source.addr + 12, &ip->saddr, 4);
	}
	bucket = bpf_map_lookup_elem(&unbuckle_kc_budget, &source);
	if (bucket)
		return bucket;
	/* Another CPU may insert it first (-EEXIST): then its bucket is used. */
	bpf_map_update_elem(&unbuckle_kc_budget, &source, &full, BPF_NOEXIST);
	return bpf_map_lookup_elem(&unbuckle_kc_budget, &source);
}

/* Refills the bucket up to `now`; whether it is positive. */
static __always_inline int reply_budget_admits(struct unbuckle_reply_bucket *bucket, __u64 now)
{
	__u64 last = *(volatile __u64 *)&bucket->last_ns;

	if (now > last && __sync_val_compare_and_swap(&bucket->last_ns, last, now) == last) {
		__s64 tokens = *(volatile __s64 *)&bucket->tokens;
		__s64 refilled = unbuckle_reply_refill(tokens, now - last, cfg_reply_rate, cfg_reply_burst);

		if (refilled > tokens)
			__sync_fetch_and_add(&bucket->tokens, refilled - tokens);
	}
	return *(volatile __s64 *)&bucket->tokens > 0;
}

/* Takes a reply's bytes from the bucket. */
static __always_inline void reply_budget_debit(struct unbuckle_reply_bucket *bucket, __u64 bytes)
{
	__sync_fetch_and_add(&bucket->tokens, -(__s64)bytes);
}

#endif
