// The Ethernet/IP/UDP headers of a memcached request as AF_XDP hands it over,
// and the headers of the datagrams that answer it. Pure functions over frame
// bytes (no umem, no sockets), so the tests drive them with hand-built frames.
//
//   request  | dst MAC | src MAC | [802.1Q/802.1ad tag] | IPv4 (+options) or IPv6 | UDP | payload |
//   reply    | src MAC | dst MAC | [the same tag]      | IPv4 (no options) or IPv6 | UDP | payload |
//              addresses and ports swapped; lengths and checksums per datagram
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace unbuckle::afxdp {

struct RequestHeaders {
  std::array<uint8_t, 6> destination_mac{};
  std::array<uint8_t, 6> source_mac{};
  bool has_vlan = false;
  uint16_t vlan_tpid = 0;          // network byte order, as in the frame
  uint16_t vlan_tci = 0;           // network byte order
  bool ipv6 = false;
  std::array<uint8_t, 16> source_address{};        // IPv4 uses the first 4 bytes
  std::array<uint8_t, 16> destination_address{};
  uint16_t source_port = 0;        // network byte order
  uint16_t destination_port = 0;   // network byte order
  size_t payload_offset = 0;       // the UDP payload: frame[offset, offset + length)
  size_t payload_length = 0;
};

// Parses a UDP frame, checking every length against the frame: IPv4 with
// options but not fragmented, IPv6 without extension headers, UDP length
// within the IP payload (Ethernet padding after it is ignored), a valid
// IPv4 header checksum (UDP checksums are not checked), sent to one
// host (no multicast or broadcast MAC or IP: the reply's source could not be
// that). Anything else is nullopt.
std::optional<RequestHeaders> parseRequestHeaders(std::span<const uint8_t> frame);

// The headers shared by every datagram answering one request, laid out once;
// write() stamps them in front of each datagram's payload.
class ReplyHeaders {
 public:
  // Largest: Ethernet + tag + IPv6 + UDP.
  static constexpr size_t kMaxSize = 14 + 4 + 40 + 8;
  static constexpr uint8_t kTtl = 64;   // the kernel's default TTL / hop limit

  explicit ReplyHeaders(const RequestHeaders& request);

  // Bytes in front of the UDP payload.
  size_t size() const { return size_; }

  // Writes the headers into frame[0, size()) for the UDP payload of
  // `payload_length` bytes already at frame + size(): lengths, the IPv4
  // header checksum and the UDP checksum (computed for IPv4 too, as a kernel
  // UDP socket sends it). `ip_id` is the IPv4 identification (DF is set).
  void write(uint8_t* frame, size_t payload_length, uint16_t ip_id) const;

 private:
  std::array<uint8_t, kMaxSize> bytes_{};
  size_t size_ = 0;
  size_t ip_offset_ = 0;
  size_t udp_offset_ = 0;
  bool ipv6_ = false;
  uint64_t pseudo_header_sum_ = 0;   // addresses and protocol; lengths added per datagram
};

}  // namespace unbuckle::afxdp
