#include "mcbench/udp_channel.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "mcbench/sockets.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::mcbench {

namespace {

// Bounds a blocking receive so the caller sees timeouts and stop requests.
constexpr std::chrono::microseconds kReceiveWait{2000};
constexpr int kSendRetries = 3;

}  // namespace

UdpChannel::UdpChannel(const Endpoint& endpoint, uint32_t slots, size_t max_payload)
    : fd_(connectUdp(endpoint, kReceiveWait)),
      stride_(MC_UDP_HEADER_SIZE + max_payload),
      slot_of_id_(65536, kNoSlot),
      id_of_slot_(slots, kNoId),
      reassembly_(slots),
      queued_slots_(kBatch),
      send_buffer_(kBatch * stride_),
      send_iov_(kBatch),
      send_headers_(kBatch),
      receive_buffer_(kBatch * kMaxDatagram),
      receive_iov_(kBatch),
      receive_headers_(kBatch) {
  unsent_.reserve(kBatch);
  replies_.reserve(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    send_iov_[i].iov_base = send_buffer_.data() + i * stride_;
    send_headers_[i].msg_hdr.msg_iov = &send_iov_[i];
    send_headers_[i].msg_hdr.msg_iovlen = 1;
    receive_iov_[i] = iovec{receive_buffer_.data() + i * kMaxDatagram, kMaxDatagram};
    receive_headers_[i].msg_hdr.msg_iov = &receive_iov_[i];
    receive_headers_[i].msg_hdr.msg_iovlen = 1;
  }
}

void UdpChannel::queue(uint32_t slot, std::string_view payload) {
  while (slot_of_id_[next_id_] != kNoSlot) ++next_id_;  // only with a window near 65536
  const uint16_t id = next_id_++;
  slot_of_id_[id] = slot;
  id_of_slot_[slot] = id;
  reassembly_[slot].reset();

  char* out = send_buffer_.data() + queued_ * stride_;
  writeFrameHeader(FrameHeader{id, 0, 1, 0}, out);
  std::memcpy(out + MC_UDP_HEADER_SIZE, payload.data(), payload.size());
  send_iov_[queued_].iov_len = MC_UDP_HEADER_SIZE + payload.size();
  queued_slots_[queued_] = slot;
  ++queued_;
}

std::span<const uint32_t> UdpChannel::flush() {
  unsent_.clear();
  size_t sent = 0;
  int retries = 0;
  while (sent < queued_) {
    const int n = sendmmsg(fd_.get(), send_headers_.data() + sent, static_cast<unsigned>(queued_ - sent), 0);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    // ECONNREFUSED reports an ICMP error for an earlier datagram; the
    // others are transient. Past a few tries the rest of the batch is dropped.
    const bool transient = errno == EINTR || errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN;
    if (!transient) throw std::system_error(errno, std::generic_category(), "sendmmsg");
    if (++retries > kSendRetries) break;
  }
  for (size_t i = sent; i < queued_; ++i) {
    release(queued_slots_[i]);
    unsent_.push_back(queued_slots_[i]);
  }
  queued_ = 0;
  return unsent_;
}

std::span<const UdpReply> UdpChannel::receive(bool wait) {
  replies_.clear();
  const int flags = wait ? MSG_WAITFORONE : MSG_DONTWAIT;
  int n = recvmmsg(fd_.get(), receive_headers_.data(), kBatch, flags, nullptr);
  // An ICMP "port unreachable" for an earlier request is reported once;
  // receive again so a dead server makes the caller wait, not spin.
  if (n < 0 && errno == ECONNREFUSED) n = recvmmsg(fd_.get(), receive_headers_.data(), kBatch, flags, nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED) return {};
    throw std::system_error(errno, std::generic_category(), "recvmmsg");
  }
  for (int i = 0; i < n; ++i) {
    const mmsghdr& received = receive_headers_[static_cast<size_t>(i)];
    const std::string_view datagram(receive_buffer_.data() + static_cast<size_t>(i) * kMaxDatagram, received.msg_len);
    const auto header = parseFrameHeader(datagram);
    const uint32_t slot = header ? slot_of_id_[header->request_id] : kNoSlot;
    if (slot == kNoSlot) {
      ++stray_;
      continue;
    }
    const std::string_view payload = datagram.substr(MC_UDP_HEADER_SIZE);
    UdpReassembly& reassembly = reassembly_[slot];
    if (received.msg_hdr.msg_flags & MSG_TRUNC) {
      replies_.push_back(UdpReply{slot, true, {}});
      release(slot);
    } else if (isWholeMessage(*header) && !reassembly.started()) {
      replies_.push_back(UdpReply{slot, false, payload});
      release(slot);
    } else {
      const auto status = reassembly.add(*header, payload);
      if (status == UdpReassembly::Status::kIncomplete) continue;
      const bool bad = status == UdpReassembly::Status::kBadFrame;
      replies_.push_back(UdpReply{slot, bad, bad ? std::string_view{} : reassembly.message()});
      release(slot);
    }
  }
  return replies_;
}

void UdpChannel::forget(uint32_t slot) {
  release(slot);
}

void UdpChannel::release(uint32_t slot) {
  const uint32_t id = id_of_slot_[slot];
  if (id == kNoId) return;
  slot_of_id_[id] = kNoSlot;
  id_of_slot_[slot] = kNoId;
}

}  // namespace unbuckle::mcbench
