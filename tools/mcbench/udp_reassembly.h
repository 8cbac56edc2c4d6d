// memcached UDP replies: the 8-byte frame header and putting a reply that
// spans several datagrams back together. A message is complete when every
// sequence number 0..total-1 has arrived, in any order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unbuckle::mcbench {

struct FrameHeader {
  uint16_t request_id = 0;
  uint16_t sequence = 0;
  uint16_t total = 0;
  uint16_t reserved = 0;
};

// nullopt when the datagram is shorter than the header.
std::optional<FrameHeader> parseFrameHeader(std::string_view datagram);
void writeFrameHeader(char* out, const FrameHeader& header);

// A single datagram carrying a whole message (the common case), which needs
// no reassembly: sequence 0 of 1, reserved 0.
inline bool isWholeMessage(const FrameHeader& header) {
  return header.sequence == 0 && header.total == 1 && header.reserved == 0;
}

class UdpReassembly {
 public:
  enum class Status { kIncomplete, kComplete, kBadFrame };

  // Adds one datagram's payload (header removed). kBadFrame: total is 0 or
  // changed midstream, sequence >= total, a sequence came twice, or reserved
  // is not 0; the message is then lost and further datagrams stay bad.
  Status add(const FrameHeader& header, std::string_view payload);

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

}  // namespace unbuckle::mcbench
