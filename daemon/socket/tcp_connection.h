// One memcached TCP connection: non-blocking reads into an InputBuffer,
// pipelined requests run through the engine one command at a time, replies
// written from an OutputBuffer. It never blocks and bounds its memory:
//  - input grows to what the incomplete command needs, up to max_input
//    (a larger unfinished command closes the connection);
//  - beyond a small guarantee its buffers borrow from the server's
//    BufferPool: a data block the pool cannot hold is answered "SERVER_ERROR
//    out of memory storing object" and swallowed, a command line it cannot
//    hold closes the connection (read_buf_oom), a reply it cannot hold is
//    replaced by "SERVER_ERROR out of memory writing get response"
//    (response_obj_oom);
//  - above output_high_water, or above OutputBuffer::kGuaranteed while the
//    pool has less than output_high_water left, it stops reading and
//    running commands until the client has taken the backlog (EPOLLOUT);
//  - after commands_per_event it yields to other connections (memcached -R).
// `quit` or a fatal protocol error closes it once its replies are written;
// so does the peer's shutdown of its sending side.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "proto/engine.h"
#include "proto/stats.h"
#include "unbuckle/file_descriptor.h"
#include "socket/buffer_pool.h"
#include "socket/input_buffer.h"
#include "socket/output_buffer.h"

namespace unbuckle::net {

struct ConnectionLimits {
  size_t max_input = (1u << 20) + 64 * 1024;
  size_t output_high_water = 1u << 20;
  size_t max_output = 64u << 20;
  size_t commands_per_event = 20;

  // Limits for a server whose largest item is `max_item_size`: a whole item
  // plus a long command line in, a few items of backlog out.
  static ConnectionLimits forItemSize(size_t max_item_size);
};

class TcpConnection {
 public:
  TcpConnection(FileDescriptor socket, const ConnectionLimits& limits, BufferPool& pool);

  int fd() const { return socket_.get(); }

  // For `stats conns` and the idle timeout, read from any thread: memcached's
  // name for what the connection is doing, and the steady-clock second of
  // its last command (or of its accept).
  const char* stateName() const;
  int64_t lastCommand() const { return last_command_.load(std::memory_order_relaxed); }
  // Waiting for a new command (memcached closes idle connections only then).
  bool awaitingCommand() const { return state_.load(std::memory_order_relaxed) == State::kRead; }
  static int64_t steadySeconds();

  // Handles the epoll `events` and returns the events to wait for next;
  // 0 means the connection is finished and should be closed.
  uint32_t onEvents(uint32_t events, proto::Engine& engine, proto::WorkerStats& stats,
                    proto::ConnectionStats& connections);

 private:
  enum class State : uint8_t { kRead, kParse, kNread, kSwallow, kWrite, kClosing };
  State stateAfterEvents() const;

  void receive(proto::WorkerStats& stats);
  // Runs buffered commands; true if it stopped with commands possibly left.
  bool runCommands(proto::Engine& engine, proto::WorkerStats& stats,
                   proto::ConnectionStats& connections);
  size_t runOneCommand(proto::Engine& engine, proto::WorkerStats& stats);
  // The backlog is high enough to wait for the client before the next command.
  bool backlogged() const;
  void transmit(proto::WorkerStats& stats);
  bool closing() const;

  FileDescriptor socket_;
  ConnectionLimits limits_;
  BufferPool& pool_;
  InputBuffer input_;
  OutputBuffer output_;
  proto::Session session_;
  // Buffered bytes the unfinished command needs before the engine sees it
  // again (its line and whole data block; 0 when unknown or none).
  size_t awaited_ = 0;
  bool peer_closed_ = false;   // read() returned 0
  bool failed_ = false;        // socket error or an unfinishable command
  std::atomic<State> state_{State::kRead};
  std::atomic<int64_t> last_command_;
};

}  // namespace unbuckle::net
