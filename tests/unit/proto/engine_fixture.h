// Drives the protocol engine directly: a real Store on a ManualClock, a
// sink that records response boundaries, and helpers that feed bytes as a
// TCP stream or as one UDP datagram.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proto/engine.h"
#include "proto/reply_sink.h"
#include "proto/stats.h"
#include "store/clock.h"
#include "store/store.h"

namespace unbuckle::proto::testing {

// Every endResponse() closes one recorded response (possibly empty).
class RecordingSink final : public ReplySink {
 public:
  void append(std::string_view bytes) override { current_ += bytes; }
  void endResponse() override {
    responses_.push_back(current_);
    current_.clear();
  }

  const std::vector<std::string>& responses() const { return responses_; }
  std::string text() const {
    std::string all;
    for (const auto& r : responses_) all += r;
    return all + current_;
  }
  // Bytes appended after the last endResponse() (should stay empty).
  const std::string& unended() const { return current_; }
  void clear() {
    responses_.clear();
    current_.clear();
  }

 private:
  std::vector<std::string> responses_;
  std::string current_;
};

class EngineTest : public ::testing::Test {
 protected:
  static store::StoreConfig storeConfig() {
    store::StoreConfig c;
    c.memory_limit = 64u << 20;
    c.max_item_size = 1u << 20;
    return c;
  }

  explicit EngineTest(const store::StoreConfig& config = storeConfig())
      : store_(config, clock_), worker_(registry_.addWorker()),
        engine_(store_, EngineConfig{}, registry_) {}

  // Feeds `input` as one stream read; expects all of it to be consumed and
  // returns the replies.
  std::string tcp(std::string_view input) {
    sink_.clear();
    const size_t used = engine_.process(input, sink_, session_, worker_);
    EXPECT_EQ(used, input.size()) << "input not consumed: " << input;
    EXPECT_EQ(sink_.unended(), "");
    return sink_.text();
  }

  // Feeds one stream read and returns how much was consumed.
  size_t feed(std::string_view input) {
    sink_.clear();
    return engine_.process(input, sink_, session_, worker_);
  }

  // One UDP datagram payload on a fresh session; returns the responses.
  std::vector<std::string> udp(std::string_view payload) {
    sink_.clear();
    Session session;
    session.transport = Transport::kDatagram;
    EXPECT_EQ(engine_.process(payload, sink_, session, worker_), payload.size());
    EXPECT_EQ(sink_.unended(), "");
    return sink_.responses();
  }

  uint64_t stat(Counter WorkerStats::*field) const { return registry_.sum(field); }

  store::ManualClock clock_;
  store::Store store_;
  StatsRegistry registry_;
  WorkerStats& worker_;
  Engine engine_;
  Session session_;
  RecordingSink sink_;
};

}  // namespace unbuckle::proto::testing
