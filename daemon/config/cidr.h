// An address prefix such as 10.0.0.0/8 or fc00::/7: the entries of --allow.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace unbuckle::config {

class Cidr {
 public:
  // "ADDR/LEN" or a bare address (a host prefix); IPv4 or IPv6. Host bits
  // beyond the prefix must be zero, so a typo is not silently widened.
  static std::optional<Cidr> parse(std::string_view text);

  // Whether `address` (AF_INET or AF_INET6) lies inside the prefix. An
  // IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as IPv4.
  bool contains(const sockaddr* address) const;
  // Whether every address of `inner` lies inside this prefix.
  bool covers(const Cidr& inner) const;
  // Whether the address `bytes` (network order, 4 or 16 of them) of
  // `family` lies inside the prefix; no IPv4-mapped matching.
  bool contains(int family, const uint8_t* bytes) const;

  std::string toString() const;
  int family() const { return family_; }
  // The network's address bytes, network order; IPv4 uses the first 4.
  const std::array<uint8_t, 16>& address() const { return address_; }
  unsigned prefixLength() const { return prefix_length_; }
  bool operator==(const Cidr&) const = default;

 private:
  int family_ = AF_INET;
  std::array<uint8_t, 16> address_{};   // network order; IPv4 uses the first 4 bytes
  unsigned prefix_length_ = 0;
};

}  // namespace unbuckle::config
