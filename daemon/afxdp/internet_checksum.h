// The Internet checksum (RFC 1071): the one's-complement sum of 16-bit
// words, inverted. Partial sums add, so a UDP checksum is the sum of the
// pseudo-header, the UDP header and the payload, finished once.
//
// The sum is accumulated over words as they sit in memory (host order);
// RFC 1071 §2(B) shows the result, stored back as is, is the right bytes on
// the wire. So: add fields in network byte order, store the finished value
// with memcpy, never with htons.
#pragma once

#include <cstddef>
#include <cstdint>

namespace unbuckle::afxdp {

// Adds `length` bytes at `data` to `sum`. Every piece but the last must have
// an even length (an odd tail is padded with a zero byte).
uint64_t checksumAdd(uint64_t sum, const void* data, size_t length);

// Folds `sum` to 16 bits and inverts it: the checksum field's value, in
// network byte order.
uint16_t checksumFinish(uint64_t sum);

}  // namespace unbuckle::afxdp
