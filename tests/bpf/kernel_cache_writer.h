// Test-only kernel-cache slots, filled as bpf_abi.h says the daemon fills
// them (key zero-padded, key_hash, reply_sum), so the XDP tests do not depend
// on the daemon's writer. Fields a test wants wrong are set on the result.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "unbuckle/bpf_abi.h"

namespace unbuckle::testing {

inline uint64_t kcHash(std::string_view key) {
  __u64 words[UNBUCKLE_KC_KEY_ROOM / 8] = {};
  auto* bytes = reinterpret_cast<unsigned char*>(words);
  for (size_t i = 0; i < key.size() && i < sizeof(words); ++i) bytes[i] = static_cast<unsigned char>(key[i]);
  return unbuckle_kc_hash(words, static_cast<uint32_t>(key.size()));
}

// The ones' complement sum of big-endian 16-bit words, folded, host order.
inline uint16_t kcReplySum(std::string_view reply) {
  uint32_t sum = 0;
  for (size_t i = 0; i < reply.size(); i += 2) {
    const uint8_t high = static_cast<uint8_t>(reply[i]);
    const uint8_t low = i + 1 < reply.size() ? static_cast<uint8_t>(reply[i + 1]) : 0;
    sum += static_cast<uint32_t>(high << 8 | low);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// A stable slot (even seq) holding `reply` for `key`.
inline unbuckle_kc_slot kcSlot(std::string_view key, std::string_view reply, uint32_t generation = 0,
                               uint64_t expires_ns = 0) {
  unbuckle_kc_slot slot{};
  slot.seq = 2;
  slot.key_len = static_cast<uint16_t>(key.size());
  slot.reply_len = static_cast<uint16_t>(reply.size());
  slot.key_hash = kcHash(key);
  slot.expires_ns = expires_ns;
  slot.cas = 1;
  slot.generation = generation;
  slot.reply_sum = kcReplySum(reply);
  slot.slab_class = 1;
  std::memcpy(slot.key, key.data(), key.size());
  std::memcpy(slot.reply, reply.data(), reply.size());
  return slot;
}

}  // namespace unbuckle::testing
