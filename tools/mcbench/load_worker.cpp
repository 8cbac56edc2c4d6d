#include "mcbench/load_worker.h"

#include <poll.h>

#include <exception>

namespace unbuckle::mcbench {

namespace {

constexpr int kPollMilliseconds = 2;
constexpr auto kExpiryScanInterval = std::chrono::milliseconds(1);

}  // namespace

bool usesProtocol(const LoadSettings& settings, Protocol protocol) {
  return (settings.get_ratio > 0 && settings.get_protocol == protocol) ||
         (settings.get_ratio < 1 && settings.set_protocol == protocol);
}

LoadWorker::LoadWorker(const LoadSettings& settings, const Workload& workload, const KeyChooser& chooser,
                       const Endpoint& endpoint, uint64_t seed, uint64_t budget)
    : settings_(settings),
      workload_(workload),
      chooser_(chooser),
      rng_(seed),
      budget_(budget),
      slots_(settings.window) {
  if (usesProtocol(settings, Protocol::kUdp)) {
    const bool udp_sets = settings.get_ratio < 1 && settings.set_protocol == Protocol::kUdp;
    const size_t max_payload = udp_sets ? workload.maxSetSize() : workload.getSize();
    udp_ = std::make_unique<UdpChannel>(endpoint, settings.window, max_payload);
  }
  if (usesProtocol(settings, Protocol::kTcp)) tcp_ = std::make_unique<TcpChannel>(endpoint);
  free_.reserve(settings.window);
  for (uint32_t slot = settings.window; slot-- > 0;) free_.push_back(slot);
  request_.reserve(workload.maxSetSize());
}

void LoadWorker::run(const std::atomic<bool>& stop) {
  try {
    loop(stop);
  } catch (const std::exception& e) {
    error_ = e.what();
    live_.failed.store(true, std::memory_order_relaxed);
  }
  finished_at_ = Clock::now();
  publish();
  live_.done.store(true, std::memory_order_release);
}

void LoadWorker::loop(const std::atomic<bool>& stop) {
  last_expiry_scan_ = Clock::now();
  while (!stop.load(std::memory_order_relaxed)) {
    if (budget_ != 0 && issued_ == budget_ && in_flight_ == 0) return;
    issue();
    waitAndReceive();
    const auto now = Clock::now();
    if (udp_ && now - last_expiry_scan_ >= kExpiryScanInterval) {
      expire(now);
      last_expiry_scan_ = now;
    }
    publish();
  }
}

void LoadWorker::issue() {
  while (!free_.empty() && (budget_ == 0 || issued_ < budget_)) {
    const uint32_t index = free_.back();
    free_.pop_back();
    Slot& slot = slots_[index];
    slot.busy = true;
    slot.op = rng_.uniform01() < settings_.get_ratio ? Op::kGet : Op::kSet;
    slot.protocol = slot.op == Op::kGet ? settings_.get_protocol : settings_.set_protocol;
    slot.key = chooser_.next(rng_);
    slot.sent_at = Clock::now();
    request_.clear();
    if (slot.op == Op::kGet) {
      workload_.appendGet(request_, slot.key);
    } else {
      workload_.appendSet(request_, slot.key);
    }
    ++issued_;
    ++in_flight_;
    if (slot.protocol == Protocol::kUdp) {
      udp_->queue(index, request_);
      if (udp_->queued() == UdpChannel::kBatch && !flushUdp()) break;
    } else {
      tcp_->queue(index, slot.op, request_);
    }
  }
  if (udp_ && udp_->queued() > 0) flushUdp();
  if (tcp_ && tcp_->wantsWrite()) tcp_->flush();
}

bool LoadWorker::flushUdp() {
  const auto unsent = udp_->flush();
  for (const uint32_t slot : unsent) {
    ++counters_.send_errors;
    --issued_;
    release(slot);
  }
  return unsent.empty();
}

void LoadWorker::waitAndReceive() {
  if (!tcp_) {
    receiveUdp(!settings_.spin);
    return;
  }
  pollfd fds[2];
  nfds_t count = 0;
  if (udp_) fds[count++] = pollfd{udp_->fd(), POLLIN, 0};
  const nfds_t tcp_index = count;
  fds[count++] = pollfd{tcp_->fd(), static_cast<short>(POLLIN | (tcp_->wantsWrite() ? POLLOUT : 0)), 0};
  if (poll(fds, count, settings_.spin ? 0 : kPollMilliseconds) <= 0) return;
  if (udp_ && (fds[0].revents & POLLIN)) receiveUdp(false);
  if (fds[tcp_index].revents & POLLOUT) tcp_->flush();
  if (fds[tcp_index].revents & (POLLIN | POLLHUP | POLLERR)) receiveTcp();
}

void LoadWorker::receiveUdp(bool wait) {
  const auto replies = udp_->receive(wait);
  counters_.stray += udp_->takeStray();
  if (replies.empty()) return;
  const auto now = Clock::now();
  for (const UdpReply& reply : replies) {
    if (reply.bad_frame) {
      fail(reply.slot, ErrorKind::kBadFrame);
    } else {
      complete(reply.slot, reply.message, now);
    }
  }
}

void LoadWorker::receiveTcp() {
  const auto replies = tcp_->receive();
  if (replies.empty()) return;
  const auto now = Clock::now();
  for (const TcpReply& reply : replies) complete(reply.slot, reply.message, now);
}

void LoadWorker::complete(uint32_t index, std::string_view reply, Clock::time_point now) {
  const Slot& slot = slots_[index];
  latency_.record(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - slot.sent_at).count()));
  if (slot.op == Op::kGet) {
    expected_key_.clear();
    workload_.appendKey(expected_key_, slot.key);
    const ExpectedItem expected{expected_key_, workload_.value(slot.key), Workload::flags(slot.key)};
    const Verdict verdict = checkGetReply(reply, expected, settings_.validate);
    if (verdict.outcome == Outcome::kHit) {
      ++counters_.get_hits;
    } else if (verdict.outcome == Outcome::kMiss) {
      ++counters_.get_misses;
    } else {
      ++counters_.get_errors;
      ++counters_.errors[static_cast<size_t>(verdict.error)];
    }
  } else {
    const Verdict verdict = checkSetReply(reply);
    if (verdict.outcome == Outcome::kStored) {
      ++counters_.set_stored;
    } else {
      ++counters_.set_errors;
      ++counters_.errors[static_cast<size_t>(verdict.error)];
    }
  }
  release(index);
}

void LoadWorker::fail(uint32_t index, ErrorKind kind) {
  ++(slots_[index].op == Op::kGet ? counters_.get_errors : counters_.set_errors);
  ++counters_.errors[static_cast<size_t>(kind)];
  release(index);
}

void LoadWorker::expire(Clock::time_point now) {
  const auto deadline = now - settings_.timeout;
  for (uint32_t index = 0; index < slots_.size(); ++index) {
    const Slot& slot = slots_[index];
    if (!slot.busy || slot.protocol != Protocol::kUdp || slot.sent_at > deadline) continue;
    udp_->forget(index);
    ++(slot.op == Op::kGet ? counters_.get_lost : counters_.set_lost);
    release(index);
  }
}

void LoadWorker::release(uint32_t index) {
  slots_[index].busy = false;
  --in_flight_;
  free_.push_back(index);
}

void LoadWorker::publish() {
  live_.answered.store(counters_.answered(), std::memory_order_relaxed);
  live_.gets.store(counters_.gets(), std::memory_order_relaxed);
  live_.hits.store(counters_.get_hits, std::memory_order_relaxed);
  live_.lost.store(counters_.lost(), std::memory_order_relaxed);
  live_.errors.store(counters_.errorTotal(), std::memory_order_relaxed);
}

}  // namespace unbuckle::mcbench
