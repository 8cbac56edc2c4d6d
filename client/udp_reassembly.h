// Putting a memcached UDP reply message that spans several datagrams back
// together. A message is complete when every sequence number 0..total-1 has
// arrived, in any order. Used by the client library and by mcbench.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::client {

class UdpReassembly {
 public:
  enum class Status { kIncomplete, kComplete, kBadFrame };

  // Adds one datagram's payload (header removed). kBadFrame: total is 0 or
  // changed midstream, sequence >= total, a sequence came twice, or reserved
  // is not 0; the message is then lost and further datagrams stay bad.
  Status add(const FrameHeader& header, std::string_view payload);

  // Whether `header` repeats a sequence number already added with the same
  // total and the same payload: a duplicated datagram a caller may drop
  // before add() instead of spoiling the message.
  bool isDuplicate(const FrameHeader& header, std::string_view payload) const;

  // The payloads joined in sequence order; valid after kComplete until reset().
  std::string_view message() const { return message_; }

  bool started() const { return total_ != 0 || bad_; }
  void reset();

 private:
  uint16_t total_ = 0;
  uint16_t received_ = 0;
  bool bad_ = false;
  std::vector<std::string> parts_;
  std::vector<bool> present_;
  std::string message_;
};

}  // namespace unbuckle::client
