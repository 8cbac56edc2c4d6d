#include "udp/datagram_reply_sink.h"

#include <algorithm>
#include <cstring>

#include "unbuckle/mc_udp.h"

namespace unbuckle::udp {

static_assert(DatagramReplySink::kMaxMessageBytes == size_t{65535} * MC_UDP_DATA_SIZE);

size_t DatagramReplySink::replyBudget(size_t max_item_size) {
  return std::clamp(4 * max_item_size, size_t{1} << 20, kMaxMessageBytes);
}

DatagramReplySink::DatagramReplySink(DatagramWriter& out, proto::WorkerStats& stats,
                                     size_t max_reply_bytes, bool coalesce)
    : out_(out),
      stats_(stats),
      max_reply_bytes_(std::min(max_reply_bytes, kMaxMessageBytes)),
      coalesce_(coalesce) {}

void DatagramReplySink::startRequest(uint16_t request_id) {
  drop();
  request_id_ = request_id;
  request_bytes_ = 0;
  request_sent_ = 0;
  truncated_ = false;
}

void DatagramReplySink::finishRequest() {
  if (held_ != 0) {
    sendHeld();
  }
  drop();
}

void DatagramReplySink::append(std::string_view bytes) {
  if (truncated_) {
    return;
  }
  if (bytes.size() > max_reply_bytes_ - request_bytes_) {
    // The responses held so far are whole: they still leave.
    if (held_ != 0) {
      sendHeld();
    }
    truncated_ = true;
    drop();
    proto::bump(stats_.udp_reply_truncated);
    return;
  }
  request_bytes_ += bytes.size();
  if (held_ != 0 && messageBytes() + bytes.size() > MC_UDP_DATA_SIZE) {
    sendHeld();
  }
  place(bytes);
}

void DatagramReplySink::place(std::string_view bytes) {
  // Into the lent datagrams while the writer lends them, then the buffer.
  while (!bytes.empty() && overflow_.empty()) {
    if (room_.empty()) {
      const std::span<char> datagram = out_.open();
      if (datagram.empty()) {
        break;
      }
      opened_.push_back(datagram.data());
      room_ = datagram.subspan(MC_UDP_HEADER_SIZE, MC_UDP_DATA_SIZE);
    }
    const size_t n = std::min(bytes.size(), room_.size());
    std::memcpy(room_.data(), bytes.data(), n);
    room_ = room_.subspan(n);
    bytes.remove_prefix(n);
  }
  overflow_.append(bytes);
}

size_t DatagramReplySink::messageBytes() const {
  return opened_.size() * MC_UDP_DATA_SIZE - room_.size() + overflow_.size();
}

void DatagramReplySink::sendHeld() {
  char encoded[MC_UDP_HEADER_SIZE];
  writeFrameHeader(FrameHeader{request_id_, 0, 1, 0}, encoded);
  request_sent_ += held_ + MC_UDP_HEADER_SIZE;
  // The message fits one datagram (held_'s invariant): the held responses
  // are its first bytes, the start of the response being built follows.
  char rest[MC_UDP_DATA_SIZE];
  size_t rest_size = 0;
  if (opened_.empty()) {
    out_.write({encoded, sizeof encoded}, std::string_view(overflow_).substr(0, held_));
    rest_size = overflow_.copy(rest, sizeof rest, held_);
  } else {
    char* datagram = opened_.front();
    const char* data = datagram + MC_UDP_HEADER_SIZE;
    rest_size = messageBytes() - held_;
    std::memcpy(rest, data + held_, rest_size);
    std::memcpy(datagram, encoded, sizeof encoded);
    out_.sendOpened(MC_UDP_HEADER_SIZE + held_);
  }
  clear();
  place({rest, rest_size});
}

void DatagramReplySink::endResponse() {
  if (truncated_) {
    return;
  }
  const size_t bytes = messageBytes();
  if (coalesce_ && bytes != held_ && bytes <= MC_UDP_DATA_SIZE) {
    held_ = bytes;
    return;
  }
  if (held_ != 0) {  // an empty response: what is held leaves before it
    sendHeld();
    return endResponse();
  }
  const size_t total = (bytes + MC_UDP_DATA_SIZE - 1) / MC_UDP_DATA_SIZE;
  FrameHeader header{request_id_, 0, static_cast<uint16_t>(total), 0};
  request_sent_ += bytes + std::max<size_t>(total, 1) * MC_UDP_HEADER_SIZE;
  for (char* datagram : opened_) {
    writeFrameHeader(header, datagram);
    ++header.sequence;
  }
  if (!opened_.empty()) {
    out_.sendOpened(MC_UDP_MAX_PAYLOAD - room_.size());
  }
  char encoded[MC_UDP_HEADER_SIZE];
  if (total == 0) {
    writeFrameHeader(header, encoded);
    out_.write({encoded, sizeof encoded}, {});
  }
  std::string_view rest = overflow_;
  while (!rest.empty()) {
    const size_t n = std::min(rest.size(), size_t{MC_UDP_DATA_SIZE});
    writeFrameHeader(header, encoded);
    out_.write({encoded, sizeof encoded}, rest.substr(0, n));
    rest.remove_prefix(n);
    ++header.sequence;
  }
  clear();
}

void DatagramReplySink::drop() {
  if (!opened_.empty()) {
    out_.discardOpened();
  }
  clear();
}

void DatagramReplySink::clear() {
  opened_.clear();
  held_ = 0;
  room_ = {};
  overflow_.clear();
}

}  // namespace unbuckle::udp
