// The worker thread of one RX queue: takes request frames off its socket's
// RX ring in batches, runs each through the memcached UDP framing and the
// protocol engine, sends the replies through its ReplyTransmitter, and
// keeps its fill ring stocked from its FramePool. It sleeps in poll() when
// idle, or with busy polling spins on recvfrom() (one core per worker).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <stop_token>
#include <vector>

#include "afxdp/frame_pool.h"
#include "afxdp/packet_headers.h"
#include "afxdp/queue_counters.h"
#include "afxdp/reply_transmitter.h"
#include "afxdp/umem.h"
#include "afxdp/xsk_socket.h"
#include "config/cidr.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "udp/datagram_reply_sink.h"
#include "udp/source_filter.h"

namespace unbuckle::afxdp {

struct WorkerSettings {
  const udp::AllowList* allow = nullptr;   // sources that get answers
  size_t max_reply_bytes = 0;                          // per request, see DatagramReplySink
  bool busy_poll = false;
  // --debug-fixed-reply: the reply to every request, instead of the engine's.
  const std::string* fixed_reply = nullptr;
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
  void serve(uint64_t address, uint32_t length);
  bool allowed(const RequestHeaders& headers);
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
  udp::DatagramReplySink sink_;
  proto::Session session_;
  uint32_t fill_target_;
  uint32_t in_fill_ = 0;   // frames on the fill ring or in the kernel's hands from it
  std::atomic<int> cpu_{-1};
  udp::SourceFilter source_filter_;
};

}  // namespace unbuckle::afxdp
