#include "client/udp_request_ids.h"

namespace unbuckle::client {

std::optional<uint16_t> UdpRequestIds::allocate() {
  if (count_ == kIds) return std::nullopt;
  while (in_flight_[next_]) ++next_;
  const uint16_t id = next_++;
  in_flight_[id] = true;
  ++count_;
  return id;
}

void UdpRequestIds::release(uint16_t id) {
  if (!in_flight_[id]) return;
  in_flight_[id] = false;
  --count_;
}

}  // namespace unbuckle::client
