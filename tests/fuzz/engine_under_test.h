// The protocol engine on a small store (8 MB, memcached -m 8), built afresh
// for every fuzz input so that what an input does never depends on the
// inputs before it: a finding replays from its one file.
#pragma once

#include "proto/engine.h"
#include "proto/stats.h"
#include "store/clock.h"
#include "store/store.h"

namespace unbuckle::fuzz {

struct EngineUnderTest {
  static store::StoreConfig smallStore() {
    store::StoreConfig config;
    config.memory_limit = 8u << 20;
    return config;
  }

  store::ManualClock clock;
  store::Store store{smallStore(), clock};
  proto::StatsRegistry registry;
  proto::WorkerStats& worker{registry.addWorker()};
  proto::Engine engine{store, proto::EngineConfig{}, registry};
};

}  // namespace unbuckle::fuzz
