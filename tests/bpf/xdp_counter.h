// One of the steering program's per-CPU counters (UNBUCKLE_XDP_*), summed
// over CPUs, as the daemon's `stats` reports it.
#pragma once

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace unbuckle::testing {

inline uint64_t xdpCounter(const bpf_map* counters, int index) {
  std::vector<uint64_t> values(libbpf_num_possible_cpus());
  uint32_t key = index;
  EXPECT_EQ(bpf_map__lookup_elem(counters, &key, sizeof(key), values.data(), values.size() * sizeof(uint64_t), 0),
            0);
  uint64_t sum = 0;
  for (uint64_t v : values) sum += v;
  return sum;
}

}  // namespace unbuckle::testing
