#include "socket/datagram_batch.h"

#include <errno.h>
#include <netinet/udp.h>

#include <cstring>

#include "unbuckle/mc_udp.h"

namespace unbuckle::net {

namespace {

// One send carries at most 64 KiB of UDP payload (IPv6 headers counted) in
// at most 64 datagrams (UDP_MAX_SEGMENTS before Linux 6.9).
constexpr size_t kMaxBytesPerSend = 0xffff - 8 - 40;
constexpr size_t kMaxDatagramsPerSend = 64;

}  // namespace

DatagramBatch::DatagramBatch(int fd, proto::WorkerStats& stats)
    : fd_(fd), stats_(stats), buffers_(new char[kSize * MC_UDP_MAX_PAYLOAD]) {
  // A kernel without UDP GSO would ignore the cmsg and send one datagram
  // of the whole run, so it is used only where the option is known.
  int size = 0;
  socklen_t length = sizeof(size);
  segmentation_offload_ = getsockopt(fd_, SOL_UDP, UDP_SEGMENT, &size, &length) == 0;
}

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

bool DatagramBatch::continuesRun(size_t first, size_t index) const {
  const msghdr& run = messages_[first].msg_hdr;
  const msghdr& current = messages_[index].msg_hdr;
  // What UDP GSO can cut: datagrams of the first one's size, the last one
  // possibly shorter, all to one destination.
  return iov_[index - 1].iov_len == iov_[first].iov_len && iov_[index].iov_len <= iov_[first].iov_len &&
         run.msg_namelen == current.msg_namelen &&
         std::memcmp(&addresses_[first], &addresses_[index], current.msg_namelen) == 0;
}

size_t DatagramBatch::gatherSends(size_t first) {
  size_t sends = 0;
  for (size_t next = first; next < count_; ++sends) {
    size_t datagrams = 1;
    size_t bytes = iov_[next].iov_len;
    while (segmentation_offload_ && next + datagrams < count_ && datagrams < kMaxDatagramsPerSend &&
           bytes + iov_[next + datagrams].iov_len <= kMaxBytesPerSend && continuesRun(next, next + datagrams)) {
      bytes += iov_[next + datagrams].iov_len;
      ++datagrams;
    }
    mmsghdr& send = sends_[sends];
    send = messages_[next];
    if (datagrams > 1) {
      send.msg_hdr.msg_iovlen = datagrams;   // the slots' iovecs are consecutive
      send.msg_hdr.msg_control = send_control_[sends].data();
      send.msg_hdr.msg_controllen = kControlSpace;
      cmsghdr* segment = CMSG_FIRSTHDR(&send.msg_hdr);
      segment->cmsg_level = SOL_UDP;
      segment->cmsg_type = UDP_SEGMENT;
      segment->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const auto size = static_cast<uint16_t>(iov_[next].iov_len);
      std::memcpy(CMSG_DATA(segment), &size, sizeof(size));
    }
    send_datagrams_[sends] = datagrams;
    send_bytes_[sends] = bytes;
    next += datagrams;
  }
  return sends;
}

void DatagramBatch::flush() {
  size_t next = 0;
  while (next < count_) {
    const size_t sends = gatherSends(next);
    const int sent = sendmmsg(fd_, sends_.data(), static_cast<unsigned>(sends), 0);
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      // The kernel refuses a GSO send on a route whose MTU is below the
      // segment size (EMSGSIZE on Linux 6.18), with checksums off (EINVAL)
      // or through IPsec (EIO); single datagrams are fragmented instead.
      if (send_datagrams_[0] > 1 && (errno == EMSGSIZE || errno == EINVAL || errno == EIO)) {
        segmentation_offload_ = false;   // one by one from now on
        continue;
      }
      next += send_datagrams_[0];   // refused (e.g. by a firewall rule): skipped
      continue;
    }
    for (size_t i = 0; i < static_cast<size_t>(sent); ++i) {
      proto::bump(stats_.bytes_written, send_bytes_[i]);
      proto::bump(stats_.udp_datagrams_out, send_datagrams_[i]);
      next += send_datagrams_[i];
    }
  }
  count_ = 0;
}

}  // namespace unbuckle::net
