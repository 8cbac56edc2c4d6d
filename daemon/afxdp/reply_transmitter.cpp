#include "afxdp/reply_transmitter.h"

#include <errno.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "udp/frame_header.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::afxdp {
namespace {

// A back-pressure wait: the first rounds spin (copy mode sends and
// completes within the kick), later ones sleep a little; all of it is
// bounded by about kWaitRounds * kWaitSleep.
constexpr uint32_t kSpinRounds = 16;
constexpr uint32_t kWaitRounds = 1000;
constexpr auto kWaitSleep = std::chrono::microseconds(20);
// Copy mode sends at most a small batch per kick and answers -EAGAIN while
// more is waiting; a full TX ring takes a few dozen kicks.
constexpr int kMaxKicks = 128;

}  // namespace

ReplyTransmitter::ReplyTransmitter(Umem& umem, XskSocket& socket, FramePool& pool,
                                   QueueCounters& counters, proto::WorkerStats& stats,
                                   bool busy_poll)
    : umem_(umem),
      socket_(socket),
      pool_(pool),
      counters_(counters),
      stats_(stats),
      busy_poll_(busy_poll) {}

void ReplyTransmitter::startReply(const ReplyHeaders& headers) {
  headers_ = &headers;
  stalled_ = false;
}

std::span<char> ReplyTransmitter::open() {
  if (opened_count_ == kMaxOpened || pool_.available() <= kBatch) {
    return {};
  }
  const std::optional<uint64_t> frame = pool_.take();
  opened_[opened_count_++] = *frame;
  return {dataArea(*frame), MC_UDP_DATA_SIZE};
}

void ReplyTransmitter::sendOpened(uint16_t request_id, uint16_t total, size_t last_length) {
  for (size_t i = 0; i < opened_count_; ++i) {
    const udp::FrameHeader header{request_id, static_cast<uint16_t>(i), total, 0};
    send(opened_[i], header, i + 1 == opened_count_ ? last_length : MC_UDP_DATA_SIZE);
  }
  opened_count_ = 0;
}

void ReplyTransmitter::discardOpened() {
  for (size_t i = 0; i < opened_count_; ++i) {
    pool_.give(opened_[i]);
  }
  opened_count_ = 0;
}

void ReplyTransmitter::write(const udp::FrameHeader& header, std::string_view data) {
  if (!data.empty()) {
    proto::bump(counters_.tx_buffered);
  }
  const std::optional<uint64_t> frame = takeFrame();
  if (!frame) {
    proto::bump(counters_.tx_dropped_no_frame);
    return;
  }
  std::memcpy(dataArea(*frame), data.data(), data.size());
  send(*frame, header, data.size());
}

char* ReplyTransmitter::dataArea(uint64_t frame) {
  return reinterpret_cast<char*>(umem_.frame(frame)) + headers_->size() + MC_UDP_HEADER_SIZE;
}

void ReplyTransmitter::send(uint64_t frame, const udp::FrameHeader& header, size_t data_length) {
  uint32_t index = 0;
  if (!reserveSlot(index)) {
    pool_.give(frame);
    proto::bump(counters_.tx_dropped_ring_full);
    return;
  }
  uint8_t* bytes = umem_.frame(frame);
  const size_t payload_offset = headers_->size();
  writeFrameHeader(header, reinterpret_cast<char*>(bytes + payload_offset));
  const size_t payload_length = MC_UDP_HEADER_SIZE + data_length;
  headers_->write(bytes, payload_length, ip_id_++);
  socket_.tx().set(index, frame, static_cast<uint32_t>(payload_offset + payload_length));
  ++queued_;
  proto::bump(counters_.tx_frames);
  proto::bump(stats_.udp_datagrams_out);
  proto::bump(stats_.bytes_written, payload_length);
  if (queued_ == kBatch) {
    flush();
  }
}

void ReplyTransmitter::flush() {
  if (queued_ > 0) {
    socket_.tx().submit(queued_);
    published_ += queued_;
    queued_ = 0;
    kick_pending_ = true;
  }
  if (!kick_pending_ || !(busy_poll_ || socket_.tx().needsWakeup())) {
    kick_pending_ = false;
    return;
  }
  for (int kick = 0; kick < kMaxKicks; ++kick) {
    const int err = socket_.kickTx();
    if (err == 0) {
      kick_pending_ = false;
      return;
    }
    if (err != -EAGAIN) {
      return;   // ENOBUFS, EBUSY, ENETDOWN: soft, the worker kicks again soon
    }
    reclaim();   // -EAGAIN: a batch went out, or the completion ring is full
  }
}

void ReplyTransmitter::reclaim() {
  CompletionRing& completion = socket_.completion();
  uint32_t index = 0;
  while (const uint32_t n = completion.peek(kBatch, index)) {
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t address = completion.address(index + i);
      if (pool_.owns(address)) {
        pool_.give(address);
      }
    }
    completion.release(n);
    published_ -= n;
  }
}

std::optional<uint64_t> ReplyTransmitter::takeFrame() {
  for (uint32_t round = 0;; ++round) {
    if (std::optional<uint64_t> frame = pool_.take()) {
      return frame;
    }
    if (!waitRound(round)) {
      return std::nullopt;
    }
  }
}

bool ReplyTransmitter::reserveSlot(uint32_t& index) {
  for (uint32_t round = 0;; ++round) {
    if (socket_.tx().reserve(1, index) == 1) {
      return true;
    }
    if (!waitRound(round)) {
      return false;
    }
  }
}

bool ReplyTransmitter::waitRound(uint32_t round) {
  if (stalled_ || round == kWaitRounds) {
    stalled_ = true;
    return false;
  }
  flush();
  reclaim();
  if (round >= kSpinRounds) {
    std::this_thread::sleep_for(kWaitSleep);
  }
  return true;
}

}  // namespace unbuckle::afxdp
