/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel cache's XDP side: a memcached UDP request that is exactly
 * `get <key>\r\n`, from a source the allow list admitted (allow_list.h),
 * whose key has a valid slot in unbuckle_kc_slots, is answered here with
 * XDP_TX, byte for byte the frame the AF_XDP path
 * (daemon/afxdp/packet_headers.cpp, reply_transmitter.cpp) would send. Anything else leaves the frame untouched, with the reason, for
 * the caller to steer to AF_XDP. The maps and the slot protocol are
 * described in include/unbuckle/bpf_abi.h. */
#ifndef UNBUCKLE_BPF_KERNEL_CACHE_H
#define UNBUCKLE_BPF_KERNEL_CACHE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "parse.h"
#include "unbuckle/bpf_abi.h"
#include "unbuckle/mc_udp.h"

/* Set by the loader before load (bpf_abi.h). 0 leaves every path below
 * dead code the verifier removes. */
const volatile __u8 cfg_kernel_cache = 0;
const volatile __u32 cfg_kc_set_mask = 0;

/* The daemon creates the real maps and hands them over with
 * bpf_map__reuse_fd(); these sizes only serve a program loaded alone. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, UNBUCKLE_KC_WAYS);
	__type(key, __u32);
	__type(value, struct unbuckle_kc_slot);
} unbuckle_kc_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, UNBUCKLE_KC_WAYS);
	__type(key, __u32);
	__type(value, struct unbuckle_kc_hit);
} unbuckle_kc_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unbuckle_kc_state);
} unbuckle_kc_state SEC(".maps");

/* The reply's headers: Ethernet, tag, IPv6, UDP, memcached frame header. */
#define KC_HEADERS_MAX (14 + 4 + 40 + 8 + MC_UDP_HEADER_SIZE)
/* A power of two above it, for lengths masked to a bound the verifier sees. */
#define KC_HEADERS_ROOM 128
/* The kernel's default TTL / hop limit, as ReplyHeaders::kTtl. */
#define KC_TTL 64
/* The shortest line: "get " + a 1-byte key + "\r\n". */
#define KC_GET_PREFIX 4
#define KC_LINE_MIN (KC_GET_PREFIX + 1 + 2)

/* Per-CPU working memory, too big for the 512-byte stack. */
struct kc_scratch {
	__u64 key[UNBUCKLE_KC_KEY_ROOM / 8];   /* the request's key, zero after it */
	struct unbuckle_kc_slot slot;          /* a whole copy of the slot */
	__u8 headers[KC_HEADERS_ROOM];         /* the reply's headers, built here */
	__u16 ip_id;   /* the next IPv4 identification, as the AF_XDP worker's
			* per-transmitter counter (DF is set, so any value is valid) */
	__u8 pad[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kc_scratch);
} unbuckle_kc_scratch SEC(".maps");

/* The parsed request, as the steering code found it. */
struct kc_request {
	struct ethhdr *eth;
	void *l3;                  /* struct iphdr or struct ipv6hdr */
	int ipv6;
	struct udphdr *udp;
	__u32 udp_payload_len;     /* memcached frame header included */
	void *end;                 /* of the first buffer */
	void *start;
	__u32 frame_len;
};

/* v & mask, computed in the program: the compiler, knowing v is already
 * below it, would drop the mask the verifier needs to see the bound. */
static __always_inline __u32 kc_bounded(__u32 v, __u32 mask)
{
	asm volatile("" : "+r"(v));
	return v & mask;
}

static __always_inline void put16(__u8 *p, __u16 host)
{
	p[0] = host >> 8;
	p[1] = host & 0xff;
}

/* Adds `words` big-endian 16-bit words at p to sum, as host values. */
static __always_inline __u32 sum16(__u32 sum, const __u8 *p, int words)
{
	int i;

#pragma unroll
	for (i = 0; i < words; i++)
		sum += ((__u32)p[2 * i] << 8) | p[2 * i + 1];
	return sum;
}

static __always_inline __u16 fold16(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* What the AF_XDP path would refuse (parseRequestHeaders): a group
 * destination MAC, an IP version that is not the EtherType's, a bad IPv4
 * header checksum, a multicast or broadcast destination address. Such a
 * request goes to the daemon to be dropped there. */
static __always_inline int kc_addressed_to_us(struct xdp_md *ctx, const struct kc_request *r)
{
	if (r->eth->h_dest[0] & 1)
		return 0;
	if (r->ipv6) {
		struct ipv6hdr *ip6 = r->l3;

		return ip6->version == 6 && ip6->daddr.s6_addr[0] != 0xff;
	}
	struct iphdr *ip = r->l3;
	__u8 header[60] = {};   /* the longest IPv4 header, zero-padded */
	__u32 hlen = ip->ihl * 4;

	if (ip->version != 4 || (bpf_ntohl(ip->daddr) >> 24) >= 224)
		return 0;
	if (hlen < 20 || bpf_xdp_load_bytes(ctx, (void *)ip - r->start, header, hlen))
		return 0;
	return fold16(sum16(0, header, sizeof(header) / 2)) == 0xffff;
}

/* State of the bpf_loop() callbacks below: with a loop over the key's
 * length unrolled or bounded instead, the verifier would walk every length
 * separately, past its instruction limit. */
struct kc_loop {
	struct kc_scratch *s;
	__u32 key_len;
	__u32 bad;
	__u64 h;
};

static long kc_check_byte(__u32 i, void *ctx)
{
	struct kc_loop *l = ctx;
	__u8 c;

	if (i >= UNBUCKLE_KC_KEY_ROOM)
		return 1;
	c = ((__u8 *)l->s->key)[i];
	if (c <= ' ' || c == 0x7f) {
		l->bad = 1;
		return 1;
	}
	return 0;
}

/* unbuckle_kc_hash(), one word per call. */
static long kc_hash_word(__u32 i, void *ctx)
{
	struct kc_loop *l = ctx;

	if (i >= UNBUCKLE_KC_KEY_ROOM / 8)
		return 1;
	l->h = unbuckle_kc_hash_word(l->h, l->s->key[i]);
	return 0;
}

/* Compares the request's key with the slot copy's, a word per call. */
static long kc_compare_word(__u32 i, void *ctx)
{
	struct kc_loop *l = ctx;

	if (i >= UNBUCKLE_KC_KEY_ROOM / 8)
		return 1;
	if (((__u64 *)l->s->slot.key)[i] != l->s->key[i]) {
		l->bad = 1;
		return 1;
	}
	return 0;
}

static __always_inline __u64 kc_hash(struct kc_scratch *s, __u32 key_len)
{
	struct kc_loop loop = { .s = s, .key_len = key_len,
				.h = UNBUCKLE_KC_HASH_SEED ^ key_len };

	bpf_loop((key_len + 7) / 8, kc_hash_word, &loop, 0);
	return unbuckle_kc_hash_finish(loop.h);
}

/* Reads the key of `get <key>\r\n` into s->key (zero-padded); returns its
 * length, or 0 when the payload is anything else. */
static __always_inline __u32 kc_read_key(struct xdp_md *ctx, const struct kc_request *r,
					 struct kc_scratch *s)
{
	__u8 *line = (__u8 *)(r->udp + 1) + MC_UDP_HEADER_SIZE;
	__u32 line_len = r->udp_payload_len - MC_UDP_HEADER_SIZE;
	__u32 line_off = (void *)line - r->start;
	struct kc_loop loop;
	__u32 key_len, i;
	__u8 crlf[2];
	__u8 *key = (__u8 *)s->key;

	/* A get is short: always whole in the first buffer. */
	if (r->frame_len != r->end - r->start)
		return 0;
	if (line_len < KC_LINE_MIN || line_len > KC_GET_PREFIX + MC_KEY_MAX_LENGTH + 2)
		return 0;
	if ((void *)(line + KC_GET_PREFIX) > r->end)
		return 0;
	if (line[0] != 'g' || line[1] != 'e' || line[2] != 't' || line[3] != ' ')
		return 0;
	key_len = line_len - KC_GET_PREFIX - 2;
	if (bpf_xdp_load_bytes(ctx, line_off + line_len - 2, crlf, 2) ||
	    crlf[0] != '\r' || crlf[1] != '\n')
		return 0;
#pragma unroll
	for (i = 0; i < UNBUCKLE_KC_KEY_ROOM / 8; i++)
		s->key[i] = 0;
	if (key_len < 1 || key_len > MC_KEY_MAX_LENGTH)
		return 0;
	if (bpf_xdp_load_bytes(ctx, line_off + KC_GET_PREFIX, key, key_len))
		return 0;
	/* No spaces (a second key) or control characters: those go to the
	 * daemon's parser. */
	loop.s = s;
	loop.key_len = key_len;
	loop.bad = 0;
	if (bpf_loop(key_len, kc_check_byte, &loop, 0) < 0 || loop.bad)
		return 0;
	return key_len;
}

#define KC_FOUND 0

/* Copies the slot of `key` (key_len bytes, hash h) into s->slot under its
 * sequence lock and sets *found to its index. Returns KC_FOUND or the miss
 * counter. */
static __always_inline int kc_find(struct kc_scratch *s, __u32 key_len, __u64 h, __u32 *found)
{
	__u32 first = (__u32)(h & cfg_kc_set_mask) * UNBUCKLE_KC_WAYS;
	int verdict = UNBUCKLE_XDP_kc_miss_absent;
	__u32 way;

	for (way = 0; way < UNBUCKLE_KC_WAYS; way++) {
		__u32 index = first + way;
		struct unbuckle_kc_slot *slot = bpf_map_lookup_elem(&unbuckle_kc_slots, &index);
		struct kc_loop loop;
		__u32 seq, reply_len;

		if (!slot)
			break;
		seq = *(volatile __u32 *)&slot->seq;
		if (seq & 1) {
			verdict = UNBUCKLE_XDP_kc_miss_busy;
			continue;
		}
		if (*(volatile __u16 *)&slot->key_len != key_len ||
		    *(volatile __u64 *)&slot->key_hash != h)
			continue;
		reply_len = *(volatile __u16 *)&slot->reply_len;
		if (reply_len > UNBUCKLE_KC_REPLY_MAX)
			reply_len = UNBUCKLE_KC_REPLY_MAX;
		bpf_probe_read_kernel(&s->slot, UNBUCKLE_KC_SLOT_HEADER + UNBUCKLE_KC_KEY_ROOM + reply_len, slot);
		if (*(volatile __u32 *)&slot->seq != seq) {
			verdict = UNBUCKLE_XDP_kc_miss_busy;
			continue;
		}
		if (s->slot.key_len != key_len || s->slot.reply_len != reply_len)
			continue;
		loop.s = s;
		loop.bad = 0;
		bpf_loop((key_len + 7) / 8, kc_compare_word, &loop, 0);
		if (!loop.bad) {
			*found = index;
			return KC_FOUND;
		}
	}
	return verdict;
}

/* Lays the reply's headers out in s->headers, from the request's, as
 * ReplyHeaders does; returns their length (memcached frame header
 * included). Lengths and checksums are for a reply of `reply_len`. */
static __always_inline __u32 kc_build_headers(const struct kc_request *r, struct kc_scratch *s,
					      __u32 reply_len, __u16 ip_id)
{
	__u8 *h = s->headers;
	__u32 l2 = (void *)r->l3 - (void *)r->eth;
	__u32 l3_len = r->ipv6 ? 40 : 20;
	__u32 payload_len = MC_UDP_HEADER_SIZE + reply_len;
	__u32 udp_len = sizeof(struct udphdr) + payload_len;
	struct mc_udp_header *mc = (void *)(r->udp + 1);
	__u8 *ip, *udp;
	__u32 sum;

	if (l2 != 14 && l2 != 18)
		return 0;
	__builtin_memcpy(h, r->eth->h_source, 6);
	__builtin_memcpy(h + 6, r->eth->h_dest, 6);
	/* The tag and the EtherType as they came. */
	if (l2 == 18) {
		if ((void *)r->eth + 18 > r->end)
			return 0;
		__builtin_memcpy(h + 12, (void *)r->eth + 12, 6);
	} else {
		__builtin_memcpy(h + 12, (void *)r->eth + 12, 2);
	}
	ip = h + kc_bounded(l2, 31);   /* 14 or 18; the mask keeps the bound the verifier needs */
	if (r->ipv6) {
		struct ipv6hdr *ip6 = r->l3;

		ip[0] = 0x60;   /* traffic class and flow label 0 */
		ip[1] = ip[2] = ip[3] = 0;
		put16(ip + 4, udp_len);
		ip[6] = IPPROTO_UDP;
		ip[7] = KC_TTL;
		__builtin_memcpy(ip + 8, &ip6->daddr, 16);
		__builtin_memcpy(ip + 24, &ip6->saddr, 16);
		sum = sum16(0, ip + 8, 16);
	} else {
		struct iphdr *ip4 = r->l3;

		ip[0] = 0x45;   /* no options, TOS 0 */
		ip[1] = 0;
		put16(ip + 2, 20 + udp_len);
		put16(ip + 4, ip_id);
		put16(ip + 6, 0x4000);   /* DF */
		ip[8] = KC_TTL;
		ip[9] = IPPROTO_UDP;
		put16(ip + 10, 0);
		__builtin_memcpy(ip + 12, &ip4->daddr, 4);
		__builtin_memcpy(ip + 16, &ip4->saddr, 4);
		put16(ip + 10, ~fold16(sum16(0, ip, 10)));
		sum = sum16(0, ip + 12, 4);
	}
	udp = ip + l3_len;
	__builtin_memcpy(udp, &r->udp->dest, 2);
	__builtin_memcpy(udp + 2, &r->udp->source, 2);
	put16(udp + 4, udp_len);
	put16(udp + 6, 0);
	if ((void *)(mc + 1) > r->end)
		return 0;
	__builtin_memcpy(udp + 8, &mc->request_id, 2);
	put16(udp + 10, 0);   /* sequence */
	put16(udp + 12, 1);   /* total */
	put16(udp + 14, 0);
	/* Pseudo-header (addresses, protocol, length), UDP and frame headers,
	 * then the reply, whose sum the daemon stored with the slot. */
	sum += IPPROTO_UDP + udp_len;
	sum = sum16(sum, udp, 8);
	sum += s->slot.reply_sum;
	sum = (__u16)~fold16(sum);
	/* 0 means "no checksum" (invalid over IPv6): all ones instead. */
	put16(udp + 6, sum ? sum : 0xffff);
	return l2 + l3_len + sizeof(struct udphdr) + MC_UDP_HEADER_SIZE;
}

/* Answers the request from the kernel cache. Returns UNBUCKLE_XDP_kc_hit
 * (the frame is now the reply; *reply_bytes is its UDP payload length) or the
 * counter saying why not (the frame is unchanged). */
static __always_inline int kc_serve(struct xdp_md *ctx, const struct kc_request *r,
				    __u64 *reply_bytes)
{
	__u32 zero = 0, key_len, reply_len, header_len, index;
	struct kc_scratch *s = bpf_map_lookup_elem(&unbuckle_kc_scratch, &zero);
	struct unbuckle_kc_state *state = bpf_map_lookup_elem(&unbuckle_kc_state, &zero);
	struct unbuckle_kc_hit *hit;
	__u64 h, now;
	int delta, verdict, at_tail;

	if (!s || !state)
		return UNBUCKLE_XDP_kc_miss_absent;
	/* `stats detail on`: the daemon sees every request, to count it. */
	if (*(volatile __u32 *)&state->paused)
		return UNBUCKLE_XDP_kc_fallback_paused;
	key_len = kc_read_key(ctx, r, s);
	if (!key_len || !kc_addressed_to_us(ctx, r))
		return UNBUCKLE_XDP_kc_fallback_not_plain_get;
	h = kc_hash(s, key_len);
	verdict = kc_find(s, key_len, h, &index);
	if (verdict != KC_FOUND)
		return verdict;
	if (s->slot.generation != *(volatile __u32 *)&state->generation)
		return UNBUCKLE_XDP_kc_miss_flushed;
	now = bpf_ktime_get_ns();
	if (s->slot.expires_ns && now >= s->slot.expires_ns)
		return UNBUCKLE_XDP_kc_miss_expired;
	reply_len = s->slot.reply_len;
	if (reply_len < 1 || reply_len > UNBUCKLE_KC_REPLY_MAX)
		return UNBUCKLE_XDP_kc_miss_absent;
	header_len = kc_build_headers(r, s, reply_len, s->ip_id);
	if (!header_len || header_len > KC_HEADERS_MAX)
		return UNBUCKLE_XDP_kc_fallback_not_plain_get;

	/* The reply replaces the whole frame: grow (or shrink) it at the end,
	 * else at the front; then every byte of it is written. The stores only
	 * fail on a frame shorter than they need, before writing anything. */
	delta = (int)(header_len + reply_len) - (int)r->frame_len;
	at_tail = bpf_xdp_adjust_tail(ctx, delta) == 0;
	if (!at_tail && bpf_xdp_adjust_head(ctx, -delta))
		return UNBUCKLE_XDP_kc_fallback_too_big;
	if (bpf_xdp_store_bytes(ctx, 0, s->headers, kc_bounded(header_len - 1, KC_HEADERS_ROOM - 1) + 1) ||
	    bpf_xdp_store_bytes(ctx, header_len, s->slot.reply, reply_len)) {
		if (at_tail)
			bpf_xdp_adjust_tail(ctx, -delta);
		else
			bpf_xdp_adjust_head(ctx, delta);
		return UNBUCKLE_XDP_kc_fallback_too_big;
	}
	s->ip_id++;

	hit = bpf_map_lookup_elem(&unbuckle_kc_hits, &index);
	if (hit) {
		hit->last_hit_ns = now;
		__sync_fetch_and_add(&hit->hits, 1);
	}
	*reply_bytes = MC_UDP_HEADER_SIZE + reply_len;
	return UNBUCKLE_XDP_kc_hit;
}

#endif
