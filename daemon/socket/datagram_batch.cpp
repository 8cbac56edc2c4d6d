#include "socket/datagram_batch.h"

#include <errno.h>

#include <cstring>

#include "unbuckle/mc_udp.h"

namespace unbuckle::net {

DatagramBatch::DatagramBatch(int fd, proto::WorkerStats& stats)
    : fd_(fd), stats_(stats), buffers_(new char[kSize * MC_UDP_MAX_PAYLOAD]) {}

void DatagramBatch::setRequestSource(const sockaddr_storage& address, socklen_t length) {
  source_ = &address;
  source_length_ = length;
}

void DatagramBatch::startReply() {
  destination_ = *source_;
  destination_length_ = source_length_;
}

char* DatagramBatch::slot(size_t index) const { return buffers_.get() + index * MC_UDP_MAX_PAYLOAD; }

std::span<char> DatagramBatch::open() {
  if (opened_ == 0 && count_ == kSize) {
    flush();
  }
  if (count_ + opened_ == kSize) {
    return {};
  }
  return {slot(count_ + opened_++), MC_UDP_MAX_PAYLOAD};
}

void DatagramBatch::sendOpened(size_t last_length) {
  while (opened_ > 0) {
    --opened_;
    queue(opened_ == 0 ? last_length : MC_UDP_MAX_PAYLOAD);
  }
}

void DatagramBatch::discardOpened() { opened_ = 0; }

void DatagramBatch::write(std::string_view header, std::string_view data) {
  if (count_ == kSize) {
    flush();
  }
  std::memcpy(slot(count_), header.data(), MC_UDP_HEADER_SIZE);
  if (!data.empty()) {
    std::memcpy(slot(count_) + MC_UDP_HEADER_SIZE, data.data(), data.size());
  }
  queue(MC_UDP_HEADER_SIZE + data.size());
}

void DatagramBatch::queue(size_t length) {
  iov_[count_] = iovec{slot(count_), length};
  addresses_[count_] = destination_;
  msghdr& message = messages_[count_].msg_hdr;
  message = msghdr{};
  message.msg_name = &addresses_[count_];
  message.msg_namelen = destination_length_;
  message.msg_iov = &iov_[count_];
  message.msg_iovlen = 1;
  ++count_;
}

void DatagramBatch::flush() {
  size_t next = 0;
  while (next < count_) {
    const int sent = sendmmsg(fd_, &messages_[next], static_cast<unsigned>(count_ - next), 0);
    if (sent < 0) {
      if (errno != EINTR) {
        ++next;   // this datagram was refused (e.g. by a firewall rule): skip it
      }
      continue;
    }
    for (int i = 0; i < sent; ++i) {
      proto::bump(stats_.bytes_written, iov_[next + i].iov_len);
    }
    proto::bump(stats_.udp_datagrams_out, static_cast<uint64_t>(sent));
    next += static_cast<size_t>(sent);
  }
  count_ = 0;
}

}  // namespace unbuckle::net
