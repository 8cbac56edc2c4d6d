#include "afxdp/queue_worker.h"

#include <poll.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace unbuckle::afxdp {
namespace {

// poll() timeouts: idle, and while sent frames await completion or a kick
// met a soft error (then the worker comes back soon to finish the job).
constexpr int kIdleWaitMs = 1000;
constexpr int kBusyWaitMs = 1;

}  // namespace

QueueWorker::QueueWorker(XskSocket& socket, Umem& umem, FramePool pool, proto::Engine& engine,
                         proto::WorkerStats& stats, const WorkerSettings& settings)
    : socket_(socket),
      umem_(umem),
      pool_(std::move(pool)),
      engine_(engine),
      stats_(stats),
      settings_(settings),
      transmitter_(umem, socket, pool_, counters_, stats, settings.busy_poll),
      server_(transmitter_, engine, stats, settings.server),
      // Half the frames wait on the fill ring for requests, the other half
      // carry replies.
      fill_target_(std::min(umem.layout().fill_size, pool_.total() / 2)) {}

void QueueWorker::run(std::stop_token stop, int stop_fd) {
  refill();
  publishFrameCounts();
  while (!stop.stop_requested()) {
    const uint32_t received = receive();
    transmitter_.flush();
    transmitter_.reclaim();
    refill();
    publishFrameCounts();
    if (received > 0) {
      if (socket_.fill().needsWakeup()) {
        socket_.wakeRx();
      }
    } else if (settings_.busy_poll) {
      socket_.wakeRx();   // recvfrom() polls the queue's NAPI for a while
    } else {
      idle(stop_fd);
    }
  }
}

uint32_t QueueWorker::receive() {
  RxRing& rx = socket_.rx();
  uint32_t index = 0;
  const uint32_t n = rx.peek(ReplyTransmitter::kBatch, index);
  const uint64_t now = n > 0 ? udp::DatagramServer::now() : 0;
  for (uint32_t i = 0; i < n; ++i) {
    const xdp_desc& desc = rx.descriptor(index + i);
    serve(desc.addr, desc.len, now);
    pool_.give(desc.addr);
  }
  if (n > 0) {
    rx.release(n);
    in_fill_ -= n;
    proto::bump(counters_.rx_frames, n);
  }
  return n;
}

void QueueWorker::serve(uint64_t address, uint32_t length, uint64_t now) {
  const uint8_t* frame = umem_.frame(address);
  const std::optional<RequestHeaders> headers = parseRequestHeaders({frame, length});
  if (!headers) {
    proto::bump(counters_.rx_malformed);
    return;
  }
  const udp::SourceAddress source = headers->ipv6 ? udp::SourceAddress::ipv6(headers->source_address.data())
                                                  : udp::SourceAddress::ipv4(headers->source_address.data());
  transmitter_.setRequest(*headers);
  server_.serve(std::string_view(reinterpret_cast<const char*>(frame + headers->payload_offset),
                                 headers->payload_length),
                source, now);
}

void QueueWorker::refill() {
  const uint32_t wanted = std::min(fill_target_ - in_fill_, pool_.available());
  if (wanted == 0) {
    return;
  }
  FillRing& fill = socket_.fill();
  uint32_t index = 0;
  if (fill.reserve(wanted, index) != wanted) {
    return;
  }
  for (uint32_t i = 0; i < wanted; ++i) {
    fill.set(index + i, *pool_.take());
  }
  fill.submit(wanted);
  in_fill_ += wanted;
}

void QueueWorker::idle(int stop_fd) {
  pollfd fds[2] = {{socket_.fd(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
  const bool unfinished = transmitter_.inFlight() > 0 || transmitter_.kickPending();
  poll(fds, 2, unfinished ? kBusyWaitMs : kIdleWaitMs);
}

void QueueWorker::publishFrameCounts() {
  counters_.frames_free.store(pool_.available(), std::memory_order_relaxed);
  counters_.frames_in_fill.store(in_fill_, std::memory_order_relaxed);
  counters_.frames_in_tx.store(transmitter_.inFlight(), std::memory_order_relaxed);
  cpu_.store(sched_getcpu(), std::memory_order_relaxed);
}

}  // namespace unbuckle::afxdp
