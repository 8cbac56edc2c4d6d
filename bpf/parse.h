/* SPDX-License-Identifier: GPL-2.0 */
/* Header parsing with a bounds-checked cursor. Each parser checks the bytes
 * it reads against the end of the frame's first buffer before touching them
 * and advances the cursor past its header. Lengths the headers claim are
 * checked against the whole frame, which a multi-buffer frame (jumbo MTU in
 * native mode) continues in fragments the program does not read. */
#ifndef UNBUCKLE_BPF_PARSE_H
#define UNBUCKLE_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

struct cursor {
	void *pos;
	void *end;   /* of the first buffer: the bytes the program may read */
	void *start;
	__u32 frame_len;   /* of the whole frame, fragments included */
};

/* Whether `bytes` from the cursor run past the end of the whole frame. */
static __always_inline int beyond_frame(const struct cursor *c, __u32 bytes)
{
	return (__u32)(c->pos - c->start) + bytes > c->frame_len;
}

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* Returns the EtherType after at most one 802.1Q/802.1ad tag, or -1 when the
 * frame is too short. */
static __always_inline int parse_ethernet(struct cursor *c, struct ethhdr **eth)
{
	struct ethhdr *e = c->pos;
	__u16 proto;

	if ((void *)(e + 1) > c->end)
		return -1;
	c->pos = e + 1;
	*eth = e;
	proto = bpf_ntohs(e->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		struct vlan_hdr *v = c->pos;

		if ((void *)(v + 1) > c->end)
			return -1;
		c->pos = v + 1;
		proto = bpf_ntohs(v->encapsulated_proto);
	}
	return proto;
}

#define PARSE_BAD_LENGTH -1
#define PARSE_FRAGMENT -2
#define PARSE_EXTENSION -3

/* Returns the IP protocol, or one of the PARSE_* codes. IPv4 options are
 * skipped; the total length must fit the frame (padding after it is fine),
 * the header the first buffer. */
static __always_inline int parse_ipv4(struct cursor *c, struct iphdr **ip)
{
	struct iphdr *h = c->pos;
	__u32 hlen;

	if ((void *)(h + 1) > c->end)
		return PARSE_BAD_LENGTH;
	hlen = h->ihl * 4;
	if (hlen < sizeof(*h) || c->pos + hlen > c->end)
		return PARSE_BAD_LENGTH;
	if (bpf_ntohs(h->tot_len) < hlen || beyond_frame(c, bpf_ntohs(h->tot_len)))
		return PARSE_BAD_LENGTH;
	c->pos += hlen;
	*ip = h;
	if (h->frag_off & bpf_htons(0x3fff)) /* MF set or offset non-zero */
		return PARSE_FRAGMENT;
	return h->protocol;
}

/* Whether an IPv4 fragment is the first one (offset 0), which carries the
 * transport header. */
static __always_inline int first_fragment(const struct iphdr *ip)
{
	return !(ip->frag_off & bpf_htons(0x1fff));
}

static __always_inline int parse_ipv6(struct cursor *c, struct ipv6hdr **ip6)
{
	struct ipv6hdr *h = c->pos;

	if ((void *)(h + 1) > c->end)
		return PARSE_BAD_LENGTH;
	if (beyond_frame(c, sizeof(*h) + bpf_ntohs(h->payload_len)))
		return PARSE_BAD_LENGTH;
	c->pos = h + 1;
	*ip6 = h;
	switch (h->nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_MH:
		return PARSE_EXTENSION;
	}
	return h->nexthdr;
}

struct ipv6_fragment_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;   /* offset in 8-byte units << 3, M flag in bit 0 */
	__be32 identification;
};

/* Headers an extension chain is followed through. */
#define IPV6_CHAIN_MAX 4

/* Follows an IPv6 extension chain that starts with `next` after the fixed
 * header (the cursor there) through at most IPV6_CHAIN_MAX hop-by-hop,
 * routing, destination-options, AH or first-fragment headers in the first
 * buffer; returns the protocol after them with the cursor on it, or
 * PARSE_EXTENSION when the chain is longer, truncated, ends in a mobility
 * header or goes on in an earlier fragment (a later fragment's). */
static __always_inline int skip_ipv6_extensions(struct cursor *c, __u8 next)
{
	for (int i = 0; i <= IPV6_CHAIN_MAX; i++) {
		struct ipv6_opt_hdr *h = c->pos;
		__u32 len;

		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((void *)(h + 1) > c->end)
				return PARSE_EXTENSION;
			len = ((__u32)h->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			if ((void *)(h + 1) > c->end)
				return PARSE_EXTENSION;
			len = ((__u32)h->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT: {
			struct ipv6_fragment_hdr *f = c->pos;

			if ((void *)(f + 1) > c->end || (f->frag_off & bpf_htons(0xfff8)))
				return PARSE_EXTENSION;
			len = sizeof(*f);
			break;
		}
		case IPPROTO_MH:
			return PARSE_EXTENSION;
		default:
			return next;
		}
		if (i == IPV6_CHAIN_MAX || c->pos + len > c->end)
			return PARSE_EXTENSION;
		next = h->nexthdr;
		c->pos += len;
	}
	return PARSE_EXTENSION;
}

static __always_inline struct udphdr *parse_udp(struct cursor *c)
{
	struct udphdr *u = c->pos;

	if ((void *)(u + 1) > c->end)
		return 0;
	c->pos = u + 1;
	return u;
}

#endif
