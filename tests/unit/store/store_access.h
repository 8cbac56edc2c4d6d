// Short set/get/delete wrappers around Store::access() for the store tests,
// doing what the protocol engine does for `set`, `get` and `delete`.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace unbuckle::store::test {

inline AllocError setItem(Store& store, std::string_view key, std::string_view value, uint32_t flags = 0,
                          RelTime exptime = 0) {
  return store.access(key, [&](Access& a) {
    Allocation fresh = a.allocate(flags, exptime, static_cast<uint32_t>(value.size()));
    if (fresh.item == nullptr) return fresh.error;
    std::memcpy(fresh.item->mutableValue(), value.data(), value.size());
    a.link(fresh.item);
    return AllocError::kNone;
  });
}

// The GET reply of a hit (with an LRU bump), or nothing on a miss.
inline std::optional<std::string> getReply(Store& store, std::string_view key) {
  return store.access(key, [&](Access& a) -> std::optional<std::string> {
    Item* item = a.item();
    if (item == nullptr) return std::nullopt;
    a.bump();
    return std::string(item->reply());
  });
}

// Presence without a bump, so that tests can watch the LRU undisturbed.
inline bool contains(Store& store, std::string_view key) {
  return store.access(key, [](Access& a) { return a.item() != nullptr; });
}

inline bool deleteItem(Store& store, std::string_view key) {
  return store.access(key, [](Access& a) {
    if (a.item() == nullptr) return false;
    a.unlink();
    return true;
  });
}

inline uint64_t casOf(Store& store, std::string_view key) {
  return store.access(key, [](Access& a) { return a.item() != nullptr ? a.item()->cas() : uint64_t{0}; });
}

// prefix + decimal i. (Also sidesteps GCC 12's false -Wrestrict on
// "literal" + std::to_string(i).)
inline std::string numbered(std::string_view prefix, uint64_t i) {
  std::string s(prefix);
  s += std::to_string(i);
  return s;
}

inline std::string expectedReply(std::string_view key, uint32_t flags, std::string_view value) {
  return "VALUE " + std::string(key) + " " + std::to_string(flags) + " " + std::to_string(value.size()) + "\r\n" +
         std::string(value) + "\r\nEND\r\n";
}

}  // namespace unbuckle::store::test
