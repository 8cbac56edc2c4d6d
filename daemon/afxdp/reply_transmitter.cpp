#include "afxdp/reply_transmitter.h"

#include <errno.h>

#include <chrono>
#include <cstring>
#include <thread>

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

void ReplyTransmitter::startReply() {
  headers_.emplace(*request_);
  stalled_ = false;
}

std::span<char> ReplyTransmitter::open() {
  if (opened_count_ == kMaxOpened || pool_.available() <= kBatch) {
    return {};
  }
  const std::optional<uint64_t> frame = pool_.take();
  opened_[opened_count_++] = *frame;
  return {payloadArea(*frame), MC_UDP_MAX_PAYLOAD};
}

void ReplyTransmitter::sendOpened(size_t last_length) {
  for (size_t i = 0; i < opened_count_; ++i) {
    send(opened_[i], i + 1 == opened_count_ ? last_length : MC_UDP_MAX_PAYLOAD);
  }
  opened_count_ = 0;
}

void ReplyTransmitter::discardOpened() {
  for (size_t i = 0; i < opened_count_; ++i) {
    pool_.give(opened_[i]);
  }
  opened_count_ = 0;
}

void ReplyTransmitter::write(std::string_view header, std::string_view data) {
  if (!data.empty()) {
    proto::bump(counters_.tx_buffered);
  }
  const std::optional<uint64_t> frame = takeFrame();
  if (!frame) {
    proto::bump(counters_.tx_dropped_no_frame);
    return;
  }
  char* payload = payloadArea(*frame);
  std::memcpy(payload, header.data(), MC_UDP_HEADER_SIZE);
  std::memcpy(payload + MC_UDP_HEADER_SIZE, data.data(), data.size());
  send(*frame, MC_UDP_HEADER_SIZE + data.size());
}

char* ReplyTransmitter::payloadArea(uint64_t frame) {
  return reinterpret_cast<char*>(umem_.frame(frame)) + headers_->size();
}

void ReplyTransmitter::send(uint64_t frame, size_t payload_length) {
  uint32_t index = 0;
  if (!reserveSlot(index)) {
    pool_.give(frame);
    proto::bump(counters_.tx_dropped_ring_full);
    return;
  }
  const size_t payload_offset = headers_->size();
  headers_->write(umem_.frame(frame), payload_length, ip_id_++);
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
