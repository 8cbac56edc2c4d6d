#include "afxdp/packet_headers.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include <cstring>

#include "afxdp/internet_checksum.h"

namespace unbuckle::afxdp {
namespace {

constexpr size_t kEthernetSize = 14;
constexpr size_t kVlanSize = 4;
constexpr size_t kIpv4Size = 20;
constexpr size_t kIpv6Size = 40;
constexpr size_t kUdpSize = 8;
constexpr uint16_t kIpv4DontFragment = 0x4000;
constexpr uint16_t kIpv4FragmentBits = 0x3fff;   // MF and the offset

// Network-order fields at any alignment (frames put IP at offset 14).
uint16_t load16(const uint8_t* p) {
  uint16_t value;
  std::memcpy(&value, p, 2);
  return value;
}

void store16(uint8_t* p, uint16_t value) { std::memcpy(p, &value, 2); }

}  // namespace

std::optional<RequestHeaders> parseRequestHeaders(std::span<const uint8_t> frame) {
  RequestHeaders headers;
  const uint8_t* p = frame.data();
  const size_t size = frame.size();
  if (size < kEthernetSize) {
    return std::nullopt;
  }
  // A reply's source is the request's destination: it must be one host.
  if (p[0] & 0x01) {   // group bit: broadcast or multicast MAC
    return std::nullopt;
  }
  std::memcpy(headers.destination_mac.data(), p, 6);
  std::memcpy(headers.source_mac.data(), p + 6, 6);
  uint16_t ethertype = ntohs(load16(p + 12));
  size_t at = kEthernetSize;
  if (ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD) {
    if (size < at + kVlanSize) {
      return std::nullopt;
    }
    headers.has_vlan = true;
    headers.vlan_tpid = load16(p + 12);
    headers.vlan_tci = load16(p + at);
    ethertype = ntohs(load16(p + at + 2));
    at += kVlanSize;
  }

  size_t ip_payload_length = 0;
  if (ethertype == ETH_P_IP) {
    if (size < at + kIpv4Size || p[at] >> 4 != 4) {
      return std::nullopt;
    }
    const size_t header_length = static_cast<size_t>(p[at] & 0x0f) * 4;
    const size_t total_length = ntohs(load16(p + at + 2));
    if (header_length < kIpv4Size || total_length < header_length || size < at + total_length) {
      return std::nullopt;
    }
    // The kernel drops a bad IPv4 header checksum, so do we. UDP checksums
    // are not checked: a local sender on veth or lo leaves a partial one
    // (checksum offload) that only the kernel knows to be fine.
    if (checksumFinish(checksumAdd(0, p + at, header_length)) != 0) {
      return std::nullopt;
    }
    if ((ntohs(load16(p + at + 6)) & kIpv4FragmentBits) != 0 || p[at + 9] != IPPROTO_UDP) {
      return std::nullopt;
    }
    if (p[at + 16] >= 224) {   // multicast, reserved or the limited broadcast
      return std::nullopt;
    }
    std::memcpy(headers.source_address.data(), p + at + 12, 4);
    std::memcpy(headers.destination_address.data(), p + at + 16, 4);
    ip_payload_length = total_length - header_length;
    at += header_length;
  } else if (ethertype == ETH_P_IPV6) {
    if (size < at + kIpv6Size || p[at] >> 4 != 6 || p[at + 6] != IPPROTO_UDP) {
      return std::nullopt;
    }
    ip_payload_length = ntohs(load16(p + at + 4));
    if (size < at + kIpv6Size + ip_payload_length || p[at + 24] == 0xff) {   // ff00::/8 multicast
      return std::nullopt;
    }
    headers.ipv6 = true;
    std::memcpy(headers.source_address.data(), p + at + 8, 16);
    std::memcpy(headers.destination_address.data(), p + at + 24, 16);
    at += kIpv6Size;
  } else {
    return std::nullopt;
  }

  if (ip_payload_length < kUdpSize) {
    return std::nullopt;
  }
  const size_t udp_length = ntohs(load16(p + at + 4));
  if (udp_length < kUdpSize || udp_length > ip_payload_length) {
    return std::nullopt;
  }
  headers.source_port = load16(p + at);
  headers.destination_port = load16(p + at + 2);
  headers.payload_offset = at + kUdpSize;
  headers.payload_length = udp_length - kUdpSize;
  return headers;
}

ReplyHeaders::ReplyHeaders(const RequestHeaders& request) : ipv6_(request.ipv6) {
  uint8_t* p = bytes_.data();
  std::memcpy(p, request.source_mac.data(), 6);
  std::memcpy(p + 6, request.destination_mac.data(), 6);
  size_t at = 12;
  if (request.has_vlan) {
    store16(p + at, request.vlan_tpid);
    store16(p + at + 2, request.vlan_tci);
    at += kVlanSize;
  }
  store16(p + at, htons(ipv6_ ? ETH_P_IPV6 : ETH_P_IP));
  at += 2;
  ip_offset_ = at;

  const size_t address_size = ipv6_ ? 16 : 4;
  uint8_t* source;
  if (ipv6_) {
    p[at] = 0x60;               // version 6, traffic class and flow label 0
    p[at + 6] = IPPROTO_UDP;
    p[at + 7] = kTtl;
    source = p + at + 8;
    at += kIpv6Size;
  } else {
    p[at] = 0x45;               // version 4, no options
    store16(p + at + 6, htons(kIpv4DontFragment));
    p[at + 8] = kTtl;
    p[at + 9] = IPPROTO_UDP;
    source = p + at + 12;
    at += kIpv4Size;
  }
  std::memcpy(source, request.destination_address.data(), address_size);
  std::memcpy(source + address_size, request.source_address.data(), address_size);
  udp_offset_ = at;
  store16(p + at, request.destination_port);
  store16(p + at + 2, request.source_port);
  size_ = at + kUdpSize;

  pseudo_header_sum_ = checksumAdd(0, source, 2 * address_size);
  pseudo_header_sum_ += htons(IPPROTO_UDP);
}

void ReplyHeaders::write(uint8_t* frame, size_t payload_length, uint16_t ip_id) const {
  std::memcpy(frame, bytes_.data(), size_);
  const auto udp_length = static_cast<uint16_t>(kUdpSize + payload_length);
  uint8_t* ip = frame + ip_offset_;
  if (ipv6_) {
    store16(ip + 4, htons(udp_length));
  } else {
    store16(ip + 2, htons(static_cast<uint16_t>(kIpv4Size + udp_length)));
    store16(ip + 4, htons(ip_id));
    store16(ip + 10, checksumFinish(checksumAdd(0, ip, kIpv4Size)));
  }
  uint8_t* udp = frame + udp_offset_;
  store16(udp + 4, htons(udp_length));
  // The pseudo-header's length and the UDP length field: the same value twice.
  uint64_t sum = pseudo_header_sum_ + htons(udp_length);
  sum = checksumAdd(sum, udp, kUdpSize + payload_length);
  uint16_t checksum = checksumFinish(sum);
  // 0 means "no checksum" over IPv4 and is invalid over IPv6: send all ones.
  store16(udp + 6, checksum == 0 ? 0xffff : checksum);
}

}  // namespace unbuckle::afxdp
