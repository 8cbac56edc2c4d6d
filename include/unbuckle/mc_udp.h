/* SPDX-License-Identifier: GPL-2.0 */
/* memcached's UDP frame: constants and header layout shared by the daemon,
 * mcbench, the tests and (later) the XDP program. Plain C on purpose. */
#ifndef UNBUCKLE_MC_UDP_H
#define UNBUCKLE_MC_UDP_H

#include <linux/types.h>

/* memcached.h: UDP_HEADER_SIZE, UDP_MAX_PAYLOAD_SIZE, UDP_DATA_SIZE. */
#define MC_UDP_HEADER_SIZE 8
#define MC_UDP_MAX_PAYLOAD 1400
#define MC_UDP_DATA_SIZE (MC_UDP_MAX_PAYLOAD - MC_UDP_HEADER_SIZE)

/* Every field is big-endian on the wire. */
struct mc_udp_header {
	__be16 request_id;
	__be16 sequence;
	__be16 total;
	__be16 reserved;
};

#define MC_DEFAULT_PORT 11211
#define MC_KEY_MAX_LENGTH 250

#endif
