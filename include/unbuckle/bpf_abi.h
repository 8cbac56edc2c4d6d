/* SPDX-License-Identifier: GPL-2.0 */
/* Everything the XDP program and the C++ side both see: map sizes, counter
 * indices, the shape of each map value. Plain C, fixed-width types, explicit
 * padding; the C++ side adds static_asserts on sizes. */
#ifndef UNBUCKLE_BPF_ABI_H
#define UNBUCKLE_BPF_ABI_H

#include <linux/bpf.h>
#include <linux/types.h>

/* One XSKMAP slot per RX queue; bpf_redirect_map() indexes it by
 * rx_queue_index. */
#define UNBUCKLE_MAX_QUEUES 64

/* The AF_XDP umem's frames (daemon/afxdp/umem_cost.h): a page each, no
 * headroom of our own. The kernel keeps XDP_PACKET_HEADROOM at the front of
 * every frame it fills, so a socket receives frames of at most
 * UNBUCKLE_XSK_RX_ROOM bytes, Ethernet header included (3840: an IPv4
 * memcached request of up to 3790 bytes after its 8-byte frame header).
 * The kernel drops a longer one redirected to the socket (XDP_STATISTICS
 * rx_dropped); the XDP program passes it to the kernel's UDP socket
 * instead (pass_oversize). */
#define UNBUCKLE_XSK_FRAME_SIZE 4096
#define UNBUCKLE_XSK_FRAME_HEADROOM 0
#define UNBUCKLE_XSK_RX_ROOM (UNBUCKLE_XSK_FRAME_SIZE - XDP_PACKET_HEADROOM - UNBUCKLE_XSK_FRAME_HEADROOM)

/* Per-CPU verdict and drop-reason counters of the XDP program, in one list
 * so the BPF enum and the names `unbucklectl stats` prints cannot drift.
 * X(name, description). */
#define UNBUCKLE_XDP_COUNTERS(X)                                                    \
	X(pass_not_ip, "not IPv4/IPv6 (ARP, LLDP, ...): passed to the kernel")          \
	X(pass_truncated_l2, "Ethernet or VLAN header cut short: passed")              \
	X(pass_not_udp, "IP but not UDP (TCP, ICMP, ...): passed")                      \
	X(pass_other_port, "UDP to another port: passed")                               \
	X(pass_ip_fragment, "IPv4 fragment: passed for the kernel to reassemble")      \
	X(pass_ipv6_ext, "IPv6 with extension headers: passed")                         \
	X(drop_bad_ip_length, "IP header or total length disagrees with the frame")    \
	X(drop_bad_udp_length, "UDP length disagrees with the IP payload")             \
	X(drop_short_frame, "memcached UDP payload of 8 bytes or less (memcached drops it too)") \
	X(drop_multi_datagram, "memcached request spanning several datagrams (memcached drops it too)") \
	X(pass_oversize, "memcached UDP longer than an AF_XDP frame holds: passed to the kernel's UDP socket") \
	X(redirect, "memcached UDP steered to the AF_XDP socket of its queue")         \
	X(redirect_no_socket, "memcached UDP for a queue without a socket: passed")  \
	X(kc_hit, "single-key get answered from the kernel cache (XDP_TX)")           \
	X(kc_hit_bytes, "reply bytes (memcached payload) sent by kernel-cache hits")   \
	X(kc_miss_absent, "plain get whose key has no kernel-cache slot: redirected")  \
	X(kc_miss_expired, "plain get whose slot is expired or in its last second: redirected") \
	X(kc_miss_flushed, "plain get whose slot predates a flush_all: redirected")    \
	X(kc_miss_busy, "plain get whose slot the daemon was writing: redirected")      \
	X(kc_fallback_too_big, "kernel-cache hit whose reply does not fit the frame: redirected") \
	X(kc_fallback_not_plain_get, "memcached UDP that is not one `get <key>\\r\\n`: redirected") \
	X(kc_fallback_paused, "memcached UDP while the kernel cache is paused (stats detail on): redirected") \
	X(drop_denied, "memcached UDP from a source outside --allow: dropped")

#define UNBUCKLE_COUNTER_ENUM(name, desc) UNBUCKLE_XDP_##name,
enum unbuckle_xdp_counter {
	UNBUCKLE_XDP_COUNTERS(UNBUCKLE_COUNTER_ENUM)
	UNBUCKLE_XDP_COUNTER_MAX
};
#undef UNBUCKLE_COUNTER_ENUM

/* ---- The allow list: the sources memcached UDP is accepted from ----
 *
 * Two LPM tries created and filled from --allow by the daemon
 * (daemon/xdp/allow_list_maps.h) and shared by the program of every attached
 * interface, whether or not the kernel cache is on:
 *
 *   unbuckle_allow4  LPM_TRIE, key unbuckle_allow4_key, value __u8 (unused)
 *   unbuckle_allow6  LPM_TRIE, key unbuckle_allow6_key, value __u8 (unused)
 *
 * XDP looks up the source address of every memcached UDP packet to our port
 * whose lengths check out: not found, the packet is dropped (drop_denied).
 * An IPv6 source is looked up in unbuckle_allow6 only, an IPv4-mapped one
 * (::ffff:a.b.c.d) included. The daemon replaces the contents at run time
 * by adding the new networks first and deleting the old ones after, so a
 * lookup never sees the list empty or wider than old and new together. */
#define UNBUCKLE_ALLOW_MAX 1024

struct unbuckle_allow4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct unbuckle_allow6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* ---- The kernel cache: single-key GET hits answered by XDP ----
 *
 * Maps created by the daemon (daemon/kernel_cache/) and shared by the
 * program of every attached interface:
 *
 *   unbuckle_kc_slots  ARRAY, BPF_F_MMAPABLE, n slots (n a power of two,
 *                      n >= UNBUCKLE_KC_WAYS): set s holds slots
 *                      [s * WAYS, s * WAYS + WAYS), s = key_hash & (n/WAYS - 1).
 *                      Written only by the daemon, through mmap; XDP reads.
 *   unbuckle_kc_hits   ARRAY, BPF_F_MMAPABLE, n entries: XDP stores the
 *                      time of the last hit it served from slot i; the
 *                      daemon folds it into the item (fetched, LRU, stats).
 *   unbuckle_kc_state  ARRAY, BPF_F_MMAPABLE, 1 entry: the flush generation
 *                      and the pause.
 *
 * The loader sets, before load: cfg_kernel_cache (1: answer hits; 0: the
 * program steers exactly as without a kernel cache) and cfg_kc_set_mask
 * (n / UNBUCKLE_KC_WAYS - 1).
 *
 * A slot is a sequence lock: the daemon makes seq odd, writes the slot, makes
 * seq even again (one writer at a time per slot: it takes the odd value by
 * compare-and-swap). XDP reads seq (even), copies the slot to per-CPU
 * scratch, reads seq again: unchanged means the copy is whole. Array
 * memory is never freed or handed to another element, so a slot can change
 * under a reader but never disappear; the counter says whether it did. */
#define UNBUCKLE_KC_WAYS 4
/* Room for the key, zero-padded to whole 8-byte words for hashing. */
#define UNBUCKLE_KC_KEY_ROOM 256
/* The largest reply mirrored: one memcached datagram (1400 bytes) less its
 * 8-byte frame header. */
#define UNBUCKLE_KC_REPLY_MAX 1392
#define UNBUCKLE_KC_SLOT_SIZE 2048
#define UNBUCKLE_KC_SLOT_HEADER 40
/* unbuckle_kc_slot.item_flags: the item is in the temporary LRU
 * (--temporary-ttl): its hits count as hits_to_temp. */
#define UNBUCKLE_KC_ITEM_TEMPORARY 0x01

struct unbuckle_kc_slot {
	__u32 seq;           /* even: stable; odd: the daemon is writing it */
	__u16 key_len;       /* 0: empty slot */
	__u16 reply_len;     /* bytes of reply[] */
	__u64 key_hash;      /* unbuckle_kc_hash() of the key */
	__u64 expires_ns;    /* CLOCK_MONOTONIC (bpf_ktime_get_ns) from which the
			      * slot is a miss: the item's death (expiry or a
			      * pending delayed flush) less one second; 0 never */
	__u64 cas;
	__u32 generation;    /* unbuckle_kc_state.generation when written */
	__u16 reply_sum;     /* ones' complement sum of reply[0, reply_len) as
			      * big-endian 16-bit words (odd length: a zero byte
			      * appended), folded to 16 bits, in host order */
	__u8 slab_class;     /* the item's slab class id (1..63) */
	__u8 item_flags;     /* UNBUCKLE_KC_ITEM_*: XDP ignores them; the daemon
			      * counts the slot's hits by them */
	__u8 key[UNBUCKLE_KC_KEY_ROOM];   /* zero after key_len */
	/* Exactly the daemon's GET hit: "VALUE <key> <flags> <bytes>\r\n<data>\r\nEND\r\n",
	 * zero after reply_len up to the next multiple of 8. */
	__u8 reply[UNBUCKLE_KC_SLOT_SIZE - UNBUCKLE_KC_SLOT_HEADER - UNBUCKLE_KC_KEY_ROOM];
};

struct unbuckle_kc_hit {
	__u64 last_hit_ns;   /* bpf_ktime_get_ns() of the last hit XDP served; 0 none */
	__u64 hits;          /* hits XDP served from the slot (atomic add); the
			      * daemon takes them with an atomic exchange to 0 */
};

struct unbuckle_kc_state {
	__u32 generation;    /* flush_all adds one: older slots are misses */
	__u32 paused;        /* non-zero: XDP answers nothing from the cache. The
			      * daemon sets it while `stats detail on`, whose
			      * per-prefix counts only the daemon can keep. */
};

/* The slot hash, the same in XDP and the daemon: the key zero-padded to
 * whole 8-byte words (read in host order), its length mixed in first. Only
 * 64-bit multiplies, so the BPF side computes it with a bounded loop. */
#define UNBUCKLE_KC_HASH_SEED 0x9e3779b97f4a7c15ULL
#define UNBUCKLE_KC_HASH_MUL 0xd6e8feb86659fd93ULL

static inline __u64 unbuckle_kc_hash_word(__u64 h, __u64 word)
{
	h = (h ^ word) * UNBUCKLE_KC_HASH_MUL;
	return h ^ (h >> 32);
}

static inline __u64 unbuckle_kc_hash_finish(__u64 h)
{
	h ^= h >> 29;
	h *= UNBUCKLE_KC_HASH_SEED;
	return h ^ (h >> 32);
}

/* words: (key_len + 7) / 8 words of key, zero after key_len. */
static inline __u64 unbuckle_kc_hash(const __u64 *words, __u32 key_len)
{
	__u64 h = UNBUCKLE_KC_HASH_SEED ^ key_len;
	__u32 i;

	for (i = 0; i < UNBUCKLE_KC_KEY_ROOM / 8 && i * 8 < key_len; i++)
		h = unbuckle_kc_hash_word(h, words[i]);
	return unbuckle_kc_hash_finish(h);
}

/* ---- The reply budget: a token bucket of reply bytes per source ----
 *
 * --udp-reply-rate (bytes per second) and --udp-reply-burst (bytes); the
 * daemon keeps the buckets (daemon/udp/reply_budget.h). The refill is here
 * so that an XDP side can share it; no BPF code uses it yet (the kernel
 * cache's XDP_TX hits are not budgeted, see README "Reply budget"). */
/* The deepest bucket: keeps the refill arithmetic below in 64 bits. */
#define UNBUCKLE_REPLY_BURST_MAX (1ULL << 30)

/* The bucket's tokens `elapsed_ns` after `tokens`, at `rate` bytes per
 * second (>= 1), at most `burst` (<= UNBUCKLE_REPLY_BURST_MAX). `tokens` is
 * at least minus one reply (< 2^27 bytes), so every product stays below
 * 2^61. */
static inline __s64 unbuckle_reply_refill(__s64 tokens, __u64 elapsed_ns, __u64 rate, __u64 burst)
{
	__u64 gap;

	if (tokens >= (__s64)burst)
		return (__s64)burst;
	gap = (__u64)((__s64)burst - tokens);
	if (elapsed_ns >= gap * 1000000000ULL / rate)
		return (__s64)burst;
	return tokens + (__s64)(elapsed_ns * rate / 1000000000ULL);
}

#endif
