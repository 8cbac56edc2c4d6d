#include "client/memcached_key.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "unbuckle/mc_udp.h"

namespace unbuckle::client {

bool validKey(std::string_view key) {
  if (key.empty() || key.size() > MC_KEY_MAX_LENGTH) return false;
  return std::none_of(key.begin(), key.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= ' ' || byte == 0x7f;
  });
}

void checkKey(std::string_view key) {
  if (!validKey(key)) {
    throw std::invalid_argument("memcached key '" + std::string(key.substr(0, 60)) +
                                "' is empty, over 250 bytes, or has a space or control character");
  }
}

}  // namespace unbuckle::client
