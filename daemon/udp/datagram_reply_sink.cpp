#include "udp/datagram_reply_sink.h"

#include <algorithm>

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
  request_id_ = request_id;
  request_bytes_ = 0;
  truncated_ = false;
  response_.clear();
}

void DatagramReplySink::append(std::string_view bytes) {
  if (truncated_) {
    return;
  }
  if (bytes.size() > max_reply_bytes_ - request_bytes_) {
    truncated_ = true;
    response_.clear();
    proto::bump(stats_.udp_reply_truncated);
    return;
  }
  request_bytes_ += bytes.size();
  response_.append(bytes);
}

void DatagramReplySink::endResponse() {
  if (truncated_) {
    return;
  }
  const size_t total = (response_.size() + MC_UDP_DATA_SIZE - 1) / MC_UDP_DATA_SIZE;
  FrameHeader header{request_id_, 0, static_cast<uint16_t>(total), 0};
  if (total == 0) {
    out_.write(header, {});
  }
  std::string_view rest = response_;
  while (!rest.empty()) {
    const size_t n = std::min(rest.size(), size_t{MC_UDP_DATA_SIZE});
    out_.write(header, rest.substr(0, n));
    rest.remove_prefix(n);
    ++header.sequence;
  }
  response_.clear();
}

}  // namespace unbuckle::udp
