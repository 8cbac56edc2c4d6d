// mcbench's client parts against a real memcached 1.6 (the oracle) on
// 127.0.0.1: short, bounded loads, each checking every reply.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "mcbench/fill.h"
#include "mcbench/key_chooser.h"
#include "mcbench/load_run.h"
#include "mcbench/memcached_process.h"
#include "mcbench/preload.h"
#include "mcbench/workload.h"

namespace unbuckle::mcbench {
namespace {

class MemcachedEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/memcached", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/memcached";
  }

  static MemcachedOptions small() {
    MemcachedOptions options;
    options.threads = 2;
    options.memory_mb = 64;
    return options;
  }

  // A bounded, validating run: `requests` requests, or 20 s at most.
  static RunResult load(const MemcachedProcess& memcached, const Workload& workload, Protocol get_protocol,
                        uint64_t requests) {
    RunPlan plan;
    plan.settings.get_protocol = get_protocol;
    plan.settings.set_protocol = Protocol::kTcp;
    plan.settings.get_ratio = 0.8;
    plan.settings.window = 8;
    plan.settings.validate = true;
    plan.settings.timeout = std::chrono::milliseconds(2000);  // a busy machine is not a lost datagram
    plan.threads = 2;
    plan.requests = requests;
    plan.duration = std::chrono::seconds(20);
    plan.progress = false;
    const KeyChooser chooser(workload.shape().keys, KeyDistribution::kZipf, 0.99);
    return runLoad(Target{"memcached", memcached.endpoint()}, plan, workload, chooser, memcached.pid());
  }
};

TEST_F(MemcachedEndToEnd, StartedMemcachedIsGoneAfterwards) {
  pid_t pid = 0;
  {
    const auto memcached = MemcachedProcess::start(small());
    pid = memcached->pid();
    EXPECT_EQ(kill(pid, 0), 0);
  }
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(MemcachedEndToEnd, MultiDatagramUdpRepliesValidate) {
  const auto memcached = MemcachedProcess::start(small());
  const Workload workload({500, 20, 3000, "mcb"});  // 3 datagrams per hit
  const PreloadResult preloaded = preload(memcached->endpoint(), workload, 2);
  EXPECT_EQ(preloaded.stored, 500u);
  EXPECT_EQ(preloaded.refused, 0u);

  const RunResult run = load(*memcached, workload, Protocol::kUdp, 4000);
  EXPECT_EQ(run.counters.gets() + run.counters.sets(), 4000u);
  EXPECT_EQ(run.counters.get_hits, run.counters.gets());
  EXPECT_EQ(run.counters.set_stored, run.counters.sets());
  EXPECT_EQ(run.counters.errorTotal(), 0u);
  EXPECT_EQ(run.counters.lost(), 0u);
  EXPECT_EQ(run.latency.count(), 4000u);
  EXPECT_TRUE(run.server_cpu_seconds.has_value());
}

TEST_F(MemcachedEndToEnd, PipelinedTcpRepliesValidate) {
  const auto memcached = MemcachedProcess::start(small());
  const Workload workload({1000, 20, 100, "mcb"});
  preload(memcached->endpoint(), workload, 1);
  const RunResult run = load(*memcached, workload, Protocol::kTcp, 4000);
  EXPECT_EQ(run.counters.answered(), 4000u);
  EXPECT_EQ(run.counters.get_hits, run.counters.gets());
  EXPECT_EQ(run.counters.errorTotal(), 0u);
}

TEST_F(MemcachedEndToEnd, FillStopsAtTheFirstEviction) {
  MemcachedOptions options = small();
  options.memory_mb = 4;
  const auto memcached = MemcachedProcess::start(options);
  const Workload workload({100'000'000, 20, 100, "fill"});
  const FillResult fill = fillUntilEviction(memcached->endpoint(), workload, std::chrono::seconds(30));
  EXPECT_TRUE(fill.evicted);
  EXPECT_EQ(fill.items_before, 0u);
  EXPECT_EQ(fill.limit_maxbytes, 4u << 20);
  EXPECT_GT(fill.curr_items, 10000u);
  EXPECT_LE(fill.curr_items, fill.sets);
  EXPECT_GT(fill.evictions, 0u);
  EXPECT_GT(fill.limitBytesPerItem(), 100.0);
}

}  // namespace
}  // namespace unbuckle::mcbench
