#include "config/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace unbuckle::config {
namespace {

// Whether the first `bits` bits of a and b are equal.
bool samePrefix(const uint8_t* a, const uint8_t* b, unsigned bits) {
  const unsigned bytes = bits / 8;
  if (std::memcmp(a, b, bytes) != 0) {
    return false;
  }
  const unsigned rest = bits % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[bytes] & mask) == (b[bytes] & mask);
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Cidr cidr;
  unsigned max_length = 32;
  if (inet_pton(AF_INET, address.c_str(), cidr.address_.data()) == 1) {
    cidr.family_ = AF_INET;
  } else if (inet_pton(AF_INET6, address.c_str(), cidr.address_.data()) == 1) {
    cidr.family_ = AF_INET6;
    max_length = 128;
  } else {
    return std::nullopt;
  }
  cidr.prefix_length_ = max_length;
  if (slash != std::string_view::npos) {
    const std::string_view length = text.substr(slash + 1);
    const auto [end, error] =
        std::from_chars(length.data(), length.data() + length.size(), cidr.prefix_length_);
    if (length.empty() || error != std::errc() || end != length.data() + length.size() ||
        cidr.prefix_length_ > max_length) {
      return std::nullopt;
    }
  }
  Cidr network = cidr;
  for (unsigned bit = cidr.prefix_length_; bit < max_length; ++bit) {
    network.address_[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (network.address_ != cidr.address_) {
    return std::nullopt;
  }
  return cidr;
}

bool Cidr::contains(const sockaddr* address) const {
  const uint8_t* bytes = nullptr;
  int family = address->sa_family;
  if (family == AF_INET) {
    bytes = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  } else if (family == AF_INET6) {
    const auto* v6 = &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    bytes = v6->s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(v6)) {
      family = AF_INET;
      bytes += 12;
    }
  } else {
    return false;
  }
  return contains(family, bytes);
}

bool Cidr::contains(int family, const uint8_t* bytes) const {
  return family == family_ && samePrefix(bytes, address_.data(), prefix_length_);
}

bool Cidr::covers(const Cidr& inner) const {
  return inner.family_ == family_ && inner.prefix_length_ >= prefix_length_ &&
         samePrefix(inner.address_.data(), address_.data(), prefix_length_);
}

std::string Cidr::toString() const {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family_, address_.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix_length_);
}

}  // namespace unbuckle::config
