// The 16-bit request ids of one UDP socket's requests in flight. An id is
// never handed out while it is in flight; ids advance by one from a seed so
// that a finished id is reused as late as possible (after the other 65535),
// which lets a late datagram of a finished request meet no live request.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>

namespace unbuckle::client {

class UdpRequestIds {
 public:
  static constexpr uint32_t kIds = 65536;

  explicit UdpRequestIds(uint16_t seed = 0) : next_(seed) {}

  // A free id, now in flight; nullopt when all 65536 are in flight.
  std::optional<uint16_t> allocate();
  void release(uint16_t id);
  bool inFlight(uint16_t id) const { return in_flight_[id]; }
  uint32_t count() const { return count_; }

 private:
  std::bitset<kIds> in_flight_;
  uint16_t next_;
  uint32_t count_ = 0;
};

}  // namespace unbuckle::client
