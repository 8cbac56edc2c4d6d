// What a command handler works with: the store, the reply sink, the session
// and counters, plus the bytes after its command line (for data blocks).
// Reply helpers follow memcached's out_string() (one whole response object,
// suppressed by noreply) and out_errstring() (never suppressed).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "proto/engine.h"
#include "proto/reply_sink.h"
#include "proto/stats.h"
#include "store/store.h"

namespace unbuckle::proto {

// The engine's view of the ReplySink: memcached's response objects as they
// leave its queue. memcached sends what it queued since its last flush one
// response at a time, and a send also retires the empty responses queued
// right behind it; so an empty response (a header-only datagram over UDP)
// goes out only if nothing went out since the last flush. memcached flushes
// after every successful get and after `mn` (and when the input runs out,
// i.e. at the end of each process() call).
class ResponseStream {
 public:
  explicit ResponseStream(ReplySink& sink) : sink_(sink) {}

  void append(std::string_view bytes) {
    sink_.append(bytes);
    has_bytes_ = has_bytes_ || !bytes.empty();
  }
  void endResponse() {
    if (has_bytes_ || !sent_since_flush_) {
      sink_.endResponse();
      sent_since_flush_ = true;
    }
    has_bytes_ = false;
  }
  void flush() { sent_since_flush_ = false; }
  // Whether responses wait in memcached's queue (its resp_has_stack()).
  bool stacked() const { return sent_since_flush_; }

 private:
  ReplySink& sink_;
  bool has_bytes_ = false;
  bool sent_since_flush_ = false;
};

struct CommandContext {
  store::Store& store;
  const EngineConfig& config;
  StatsRegistry& registry;
  ResponseStream& out;
  Session& session;
  WorkerStats& stats;
  std::string_view after_line;   // input following the command line

  bool noreply = false;          // this command's replies are suppressed
  size_t data_consumed = 0;      // bytes of after_line the command used
  bool incomplete = false;       // its data block has not fully arrived

  const store::Clock& clock() const { return store.clock(); }

  // One response holding `text` (which carries its own "\r\n"), unless
  // noreply hides it.
  void reply(std::string_view text) {
    if (!noreply) send(text);
  }
  // A protocol error: shown even under noreply or meta q.
  void replyError(std::string_view text) {
    noreply = false;
    send(text);
  }
  // One response that noreply does not hide (meta replies other than HD).
  void send(std::string_view text) {
    out.append(text);
    out.endResponse();
  }

  // The data block of `length` bytes (value plus "\r\n") that follows the
  // command line; nullopt if it has not all arrived (then the command is
  // retried with more input, or dropped at the end of a datagram).
  std::optional<std::string_view> takeDataBlock(size_t length) {
    if (after_line.size() < length) {
      incomplete = true;
      session.need = length - after_line.size();
      return std::nullopt;
    }
    data_consumed = length;
    return after_line.substr(0, length);
  }
  // False when the data block of `length` bytes has not all arrived and is
  // longer than the datapath can buffer (session.block_room).
  bool blockFits(size_t length) const {
    return after_line.size() >= length || length <= session.block_room;
  }
  // Discards a refused data block; over a stream what has not arrived yet
  // is discarded as it comes (memcached's conn_swallow).
  void swallowDataBlock(size_t length) {
    data_consumed = length < after_line.size() ? length : after_line.size();
    if (session.transport == Transport::kStream) session.swallow = length - data_consumed;
  }
};

}  // namespace unbuckle::proto
