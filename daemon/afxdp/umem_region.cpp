#include "afxdp/umem_region.h"

#include <cstdio>
#include <limits>
#include <string>
#include <system_error>

namespace unbuckle::afxdp {

Result<std::unique_ptr<UmemRegion>> UmemRegion::create(const std::vector<uint32_t>& queues, size_t arena_bytes,
                                                       uint64_t available_bytes) {
  uint64_t total_queues = 0;
  for (const uint32_t q : queues) {
    total_queues += q;
  }
  const size_t frame_bytes = total_queues * kFramesPerQueue * kFrameSize;
  const size_t rounded_arena = (arena_bytes + kFrameSize - 1) / kFrameSize * kFrameSize;
  const uint64_t kernel_bytes = total_queues * ((frame_bytes + rounded_arena) / kFrameSize) * kKernelBytesPerChunk;
  if (frame_bytes + rounded_arena + kernel_bytes > available_bytes) {
    return Error{"the umem would pin " + std::to_string(rounded_arena >> 20) + " MiB of item arena and " +
                 std::to_string(frame_bytes >> 20) + " MiB of frames, and the kernel needs about " +
                 std::to_string(kernel_bytes >> 20) + " MiB more for " + std::to_string(total_queues) +
                 (total_queues == 1 ? " queue" : " queues") + ", but only " + std::to_string(available_bytes >> 20) +
                 " MiB of memory is available: lower --memory-limit"};
  }
  try {
    return std::unique_ptr<UmemRegion>(new UmemRegion(queues, frame_bytes, rounded_arena));
  } catch (const std::system_error& e) {
    return Error{"cannot map " + std::to_string((frame_bytes + rounded_arena) >> 20) +
                 " MiB for the umem (frames and item arena): " + e.code().message()};
  }
}

uint64_t UmemRegion::availableMemory() {
  FILE* meminfo = std::fopen("/proc/meminfo", "r");
  if (meminfo == nullptr) {
    return std::numeric_limits<uint64_t>::max();
  }
  uint64_t available = std::numeric_limits<uint64_t>::max();
  char line[256];
  unsigned long long kib = 0;
  while (std::fgets(line, sizeof line, meminfo)) {
    if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1) {
      available = uint64_t{kib} << 10;
      break;
    }
  }
  std::fclose(meminfo);
  return available;
}

UmemRegion::UmemRegion(const std::vector<uint32_t>& queues, size_t frame_bytes, size_t arena_bytes)
    : queues_(queues), frame_bytes_(frame_bytes), arena_bytes_(arena_bytes),
      mapping_(frame_bytes + arena_bytes) {
  uint32_t first = 0;
  for (const uint32_t q : queues_) {
    first_queue_.push_back(first);
    first += q;
  }
}

}  // namespace unbuckle::afxdp
