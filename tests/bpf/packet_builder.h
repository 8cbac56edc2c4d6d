// Readable test packets: Pkt().eth().ipv4().udp(11211).mcFrame(7).payload("get k\r\n").
// Lengths and checksums are filled in by build(); the lie*() setters
// override a length afterwards to make malformed packets.
#pragma once

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unbuckle::testing {

class Pkt {
 public:
  Pkt& eth(uint16_t ethertype = 0) {
    ethertype_ = ethertype;
    return *this;
  }
  Pkt& vlan(uint16_t id, uint16_t tpid = ETH_P_8021Q) {
    vlan_ = id;
    tpid_ = tpid;
    return *this;
  }
  Pkt& ipv4(uint8_t protocol = IPPROTO_UDP) {
    ip_ = 4;
    protocol_ = protocol;
    return *this;
  }
  Pkt& ipv4Options(size_t words) {
    options_words_ = words;
    return *this;
  }
  Pkt& fragment(uint16_t frag_off) {
    frag_off_ = frag_off;
    return *this;
  }
  Pkt& ipv6(uint8_t next_header = IPPROTO_UDP) {
    ip_ = 6;
    protocol_ = next_header;
    return *this;
  }
  // Ethernet and IPv4 addresses other than the defaults (02::02 -> 02::01,
  // 10.0.0.2 -> 10.0.0.1), for frames sent on a real interface.
  Pkt& from(std::array<uint8_t, 6> mac, std::array<uint8_t, 4> ipv4) {
    src_mac_ = mac;
    src_ipv4_ = ipv4;
    return *this;
  }
  // An IPv6 source other than the default, fd00::2.
  Pkt& from6(std::array<uint8_t, 16> ipv6) {
    src_ipv6_ = ipv6;
    return *this;
  }
  Pkt& to(std::array<uint8_t, 6> mac, std::array<uint8_t, 4> ipv4) {
    dst_mac_ = mac;
    dst_ipv4_ = ipv4;
    return *this;
  }
  Pkt& udp(uint16_t dport, uint16_t sport = 40000) {
    dport_ = dport;
    sport_ = sport;
    udp_ = true;
    return *this;
  }
  Pkt& mcFrame(uint16_t request_id, uint16_t seq = 0, uint16_t total = 1) {
    uint16_t fields[4] = {htons(request_id), htons(seq), htons(total), 0};
    payload_.append(reinterpret_cast<const char*>(fields), sizeof(fields));
    return *this;
  }
  Pkt& payload(std::string_view bytes) {
    payload_.append(bytes);
    return *this;
  }
  Pkt& lieIpLength(uint16_t len) {
    ip_len_ = len;
    return *this;
  }
  Pkt& lieUdpLength(uint16_t len) {
    udp_len_ = len;
    return *this;
  }
  Pkt& truncate(size_t bytes) {
    truncate_ = bytes;
    return *this;
  }

  std::vector<uint8_t> build() const;

 private:
  std::array<uint8_t, 6> src_mac_ = {0x02, 0, 0, 0, 0, 0x02};
  std::array<uint8_t, 6> dst_mac_ = {0x02, 0, 0, 0, 0, 0x01};
  std::array<uint8_t, 4> src_ipv4_ = {10, 0, 0, 2};
  std::array<uint8_t, 4> dst_ipv4_ = {10, 0, 0, 1};
  std::array<uint8_t, 16> src_ipv6_ = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  std::array<uint8_t, 16> dst_ipv6_ = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  uint16_t ethertype_ = 0;
  std::optional<uint16_t> vlan_;
  uint16_t tpid_ = ETH_P_8021Q;
  int ip_ = 0;
  uint8_t protocol_ = 0;
  size_t options_words_ = 0;
  uint16_t frag_off_ = 0;
  bool udp_ = false;
  uint16_t sport_ = 0, dport_ = 0;
  std::string payload_;
  std::optional<uint16_t> ip_len_, udp_len_;
  std::optional<size_t> truncate_;
};

// "0000: 45 00 ..." lines, for failure messages.
std::string hexdump(const std::vector<uint8_t>& bytes);

}  // namespace unbuckle::testing
