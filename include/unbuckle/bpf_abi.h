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

/* The AF_XDP umem's frames (daemon/afxdp/umem_region.h): a page each, no
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
	X(redirect_no_socket, "memcached UDP for a queue without a socket: passed")

#define UNBUCKLE_COUNTER_ENUM(name, desc) UNBUCKLE_XDP_##name,
enum unbuckle_xdp_counter {
	UNBUCKLE_XDP_COUNTERS(UNBUCKLE_COUNTER_ENUM)
	UNBUCKLE_XDP_COUNTER_MAX
};
#undef UNBUCKLE_COUNTER_ENUM

#endif
