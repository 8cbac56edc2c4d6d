#include "mcbench/udp_reassembly.h"

#include "unbuckle/mc_udp.h"

namespace unbuckle::mcbench {

namespace {

uint16_t readBigEndian16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

void writeBigEndian16(char* p, uint16_t value) {
  p[0] = static_cast<char>(value >> 8);
  p[1] = static_cast<char>(value & 0xff);
}

}  // namespace

std::optional<FrameHeader> parseFrameHeader(std::string_view datagram) {
  if (datagram.size() < MC_UDP_HEADER_SIZE) return std::nullopt;
  const char* p = datagram.data();
  return FrameHeader{readBigEndian16(p), readBigEndian16(p + 2), readBigEndian16(p + 4), readBigEndian16(p + 6)};
}

void writeFrameHeader(char* out, const FrameHeader& header) {
  writeBigEndian16(out, header.request_id);
  writeBigEndian16(out + 2, header.sequence);
  writeBigEndian16(out + 4, header.total);
  writeBigEndian16(out + 6, header.reserved);
}

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

void UdpReassembly::reset() {
  total_ = 0;
  received_ = 0;
  bad_ = false;
  parts_.clear();
  present_.clear();
  message_.clear();
}

}  // namespace unbuckle::mcbench
