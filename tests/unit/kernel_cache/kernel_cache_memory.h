// The kernel cache's three arrays in ordinary memory, and a reader that does
// what the XDP program does with them, for the mirror tests.
#pragma once

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel_cache/mirror.h"
#include "unbuckle/bpf_abi.h"

namespace unbuckle::kernel_cache::test {

struct KernelCacheMemory {
  explicit KernelCacheMemory(uint32_t n) : entries(n), slots(n), hits(n) {}
  MirrorMemory memory() { return {slots.data(), hits.data(), &state, entries}; }

  uint64_t hashOf(std::string_view key) const {
    std::array<__u64, UNBUCKLE_KC_KEY_ROOM / 8> words{};
    std::memcpy(words.data(), key.data(), key.size());
    return unbuckle_kc_hash(words.data(), static_cast<__u32>(key.size()));
  }
  uint32_t setOf(std::string_view key) const {
    return static_cast<uint32_t>(hashOf(key) & (entries / UNBUCKLE_KC_WAYS - 1));
  }

  // The slot holding `key` (whatever its generation and expiry), or -1.
  int indexOf(std::string_view key) const {
    const uint32_t base = setOf(key) * UNBUCKLE_KC_WAYS;
    for (uint32_t i = base; i < base + UNBUCKLE_KC_WAYS; ++i) {
      const unbuckle_kc_slot& s = slots[i];
      if (s.key_len == key.size() && std::memcmp(s.key, key.data(), key.size()) == 0) return static_cast<int>(i);
    }
    return -1;
  }
  const unbuckle_kc_slot* slotOf(std::string_view key) const {
    const int i = indexOf(key);
    return i < 0 ? nullptr : &slots[static_cast<size_t>(i)];
  }

  // What XDP answers for `get <key>` at CLOCK_MONOTONIC now_ns, as the
  // program decides it: nothing, or the slot's reply.
  std::optional<std::string> serve(std::string_view key, uint64_t now_ns) const {
    const unbuckle_kc_slot* s = slotOf(key);
    if (s == nullptr || (s->seq & 1) || s->key_hash != hashOf(key) || s->generation != state.generation ||
        (s->expires_ns != 0 && now_ns >= s->expires_ns)) {
      return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(s->reply), s->reply_len);
  }

  // XDP serving a hit from `key`'s slot at now_ns.
  void hit(std::string_view key, uint64_t now_ns, uint64_t count = 1) {
    const int i = indexOf(key);
    if (i < 0) return;
    hits[static_cast<size_t>(i)].last_hit_ns = now_ns;
    hits[static_cast<size_t>(i)].hits += count;
  }

  uint32_t entries;
  std::vector<unbuckle_kc_slot> slots;
  std::vector<unbuckle_kc_hit> hits;
  unbuckle_kc_state state{};
};

}  // namespace unbuckle::kernel_cache::test
