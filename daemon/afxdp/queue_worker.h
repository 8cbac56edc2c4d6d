// The worker thread of one RX queue: takes request frames off its socket's
// RX ring in batches, hands each request's UDP payload and source to its
// udp::DatagramServer, which replies through its ReplyTransmitter, and
// keeps its fill ring stocked from its FramePool. It sleeps in poll() when
// idle, or with busy polling spins on recvfrom() (one core per worker).
#pragma once

#include <atomic>
#include <cstdint>
#include <stop_token>

#include "afxdp/frame_pool.h"
#include "afxdp/packet_headers.h"
#include "afxdp/queue_counters.h"
#include "afxdp/reply_transmitter.h"
#include "afxdp/umem.h"
#include "afxdp/xsk_socket.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "udp/datagram_server.h"

namespace unbuckle::afxdp {

struct WorkerSettings {
  udp::DatagramServerSettings server;
  bool busy_poll = false;
};

class QueueWorker {
 public:
  // Serves `socket` with the frames of `pool`, all of them free.
  QueueWorker(XskSocket& socket, Umem& umem, FramePool pool, proto::Engine& engine,
              proto::WorkerStats& stats, const WorkerSettings& settings);
  QueueWorker(const QueueWorker&) = delete;
  QueueWorker& operator=(const QueueWorker&) = delete;

  // Serves until `stop` is requested; `stop_fd` (an eventfd) becomes
  // readable at the same time to end a poll().
  void run(std::stop_token stop, int stop_fd);

  uint32_t queue() const { return socket_.queue(); }
  uint32_t frames() const { return pool_.total(); }
  // The CPU the worker last ran on, -1 before it ran.
  int cpu() const { return cpu_.load(std::memory_order_relaxed); }
  const QueueCounters& counters() const { return counters_; }

 private:
  uint32_t receive();
  // Serves the request in the RX frame at `address`, received at `now`.
  void serve(uint64_t address, uint32_t length, uint64_t now);
  void refill();
  void idle(int stop_fd);
  void publishFrameCounts();

  XskSocket& socket_;
  Umem& umem_;
  FramePool pool_;
  proto::Engine& engine_;
  proto::WorkerStats& stats_;
  WorkerSettings settings_;
  QueueCounters counters_;
  ReplyTransmitter transmitter_;
  udp::DatagramServer server_;
  uint32_t fill_target_;
  uint32_t in_fill_ = 0;   // frames on the fill ring or in the kernel's hands from it
  std::atomic<int> cpu_{-1};
};

}  // namespace unbuckle::afxdp
