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
                                     size_t max_reply_bytes)
    : out_(out), stats_(stats), max_reply_bytes_(std::min(max_reply_bytes, kMaxMessageBytes)) {}

void DatagramReplySink::startRequest(uint16_t request_id) {
  drop();
  request_id_ = request_id;
  request_bytes_ = 0;
  truncated_ = false;
}

void DatagramReplySink::append(std::string_view bytes) {
  if (truncated_) {
    return;
  }
  if (bytes.size() > max_reply_bytes_ - request_bytes_) {
    truncated_ = true;
    drop();
    proto::bump(stats_.udp_reply_truncated);
    return;
  }
  request_bytes_ += bytes.size();
  // Into the lent datagrams while the writer lends them, then the buffer.
  while (!bytes.empty() && overflow_.empty()) {
    if (room_.empty()) {
      room_ = out_.open();
      if (room_.empty()) {
        break;
      }
      ++opened_;
    }
    const size_t n = std::min(bytes.size(), room_.size());
    std::memcpy(room_.data(), bytes.data(), n);
    room_ = room_.subspan(n);
    bytes.remove_prefix(n);
  }
  overflow_.append(bytes);
}

void DatagramReplySink::endResponse() {
  if (truncated_) {
    return;
  }
  const size_t lent_bytes = opened_ * MC_UDP_DATA_SIZE - room_.size();
  const size_t bytes = lent_bytes + overflow_.size();
  const size_t total = (bytes + MC_UDP_DATA_SIZE - 1) / MC_UDP_DATA_SIZE;
  FrameHeader header{request_id_, static_cast<uint16_t>(opened_), static_cast<uint16_t>(total), 0};
  if (opened_ > 0) {
    out_.sendOpened(request_id_, header.total, MC_UDP_DATA_SIZE - room_.size());
  } else if (total == 0) {
    out_.write(header, {});
  }
  std::string_view rest = overflow_;
  while (!rest.empty()) {
    const size_t n = std::min(rest.size(), size_t{MC_UDP_DATA_SIZE});
    out_.write(header, rest.substr(0, n));
    rest.remove_prefix(n);
    ++header.sequence;
  }
  clear();
}

void DatagramReplySink::drop() {
  if (opened_ > 0) {
    out_.discardOpened();
  }
  clear();
}

void DatagramReplySink::clear() {
  opened_ = 0;
  room_ = {};
  overflow_.clear();
}

}  // namespace unbuckle::udp
