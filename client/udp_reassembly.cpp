#include "client/udp_reassembly.h"

namespace unbuckle::client {

UdpReassembly::Status UdpReassembly::add(const FrameHeader& header, std::string_view payload) {
  if (bad_) return Status::kBadFrame;
  const bool consistent = header.total != 0 && header.sequence < header.total && header.reserved == 0 &&
                          (total_ == 0 || header.total == total_) && (total_ == 0 || !present_[header.sequence]);
  if (!consistent) {
    bad_ = true;
    return Status::kBadFrame;
  }
  if (total_ == 0) {
    total_ = header.total;
    parts_.resize(total_);
    present_.assign(total_, false);
  }
  parts_[header.sequence].assign(payload);
  present_[header.sequence] = true;
  if (++received_ < total_) return Status::kIncomplete;

  message_.clear();
  for (const std::string& part : parts_) message_ += part;
  return Status::kComplete;
}

bool UdpReassembly::isDuplicate(const FrameHeader& header, std::string_view payload) const {
  return !bad_ && total_ != 0 && header.total == total_ && header.sequence < total_ && present_[header.sequence] &&
         parts_[header.sequence] == payload;
}

void UdpReassembly::reset() {
  total_ = 0;
  received_ = 0;
  bad_ = false;
  parts_.clear();
  present_.clear();
  message_.clear();
}

}  // namespace unbuckle::client
