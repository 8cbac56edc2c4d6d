#include "packet_builder.h"

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <cstdio>
#include <cstring>

namespace unbuckle::testing {

namespace {

void append(std::vector<uint8_t>& out, const void* bytes, size_t n) {
  if (n == 0) return;
  size_t at = out.size();
  out.resize(at + n);
  std::memcpy(out.data() + at, bytes, n);
}

void put16(std::vector<uint8_t>& out, uint16_t host) {
  out.push_back(host >> 8);
  out.push_back(host & 0xff);
}

uint16_t ipv4Checksum(const uint8_t* header, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (header[i] << 8) | header[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

std::vector<uint8_t> Pkt::build() const {
  std::vector<uint8_t> out;
  append(out, dst_mac_.data(), 6);
  append(out, src_mac_.data(), 6);
  uint16_t ethertype = ethertype_ ? ethertype_ : (ip_ == 6 ? ETH_P_IPV6 : ETH_P_IP);
  if (vlan_) {
    put16(out, tpid_);
    put16(out, *vlan_);
  }
  put16(out, ethertype);

  std::vector<uint8_t> l4;
  if (udp_) {
    uint16_t udp_len = static_cast<uint16_t>(sizeof(udphdr) + payload_.size());
    put16(l4, sport_);
    put16(l4, dport_);
    put16(l4, udp_len_.value_or(udp_len));
    put16(l4, 0);  // checksum optional over IPv4; the program does not check it
  }
  append(l4, payload_.data(), payload_.size());

  if (ip_ == 4) {
    size_t hlen = sizeof(iphdr) + options_words_ * 4;
    size_t start = out.size();
    out.push_back(static_cast<uint8_t>(0x40 | (hlen / 4)));
    out.push_back(0);
    put16(out, ip_len_.value_or(static_cast<uint16_t>(hlen + l4.size())));
    put16(out, 0x1234);
    put16(out, frag_off_);
    out.push_back(64);
    out.push_back(protocol_);
    put16(out, 0);
    append(out, src_ipv4_.data(), 4);
    append(out, dst_ipv4_.data(), 4);
    for (size_t i = 0; i < options_words_ * 4; ++i) out.push_back(1);  // NOP options
    uint16_t sum = ipv4Checksum(&out[start], hlen);
    out[start + 10] = sum >> 8;
    out[start + 11] = sum & 0xff;
  } else if (ip_ == 6) {
    out.push_back(0x60);
    out.push_back(0);
    put16(out, 0);
    put16(out, ip_len_.value_or(static_cast<uint16_t>(l4.size())));
    out.push_back(protocol_);
    out.push_back(64);
    append(out, src_ipv6_.data(), 16);
    append(out, dst_ipv6_.data(), 16);
  }
  append(out, l4.data(), l4.size());
  if (truncate_ && *truncate_ < out.size()) out.resize(*truncate_);
  return out;
}

std::string hexdump(const std::vector<uint8_t>& bytes) {
  std::string text;
  char line[24];
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i % 16 == 0) {
      std::snprintf(line, sizeof(line), "\n%04zx:", i);
      text += line;
    }
    std::snprintf(line, sizeof(line), " %02x", bytes[i]);
    text += line;
  }
  return text;
}

}  // namespace unbuckle::testing
