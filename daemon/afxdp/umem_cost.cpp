#include "afxdp/umem_cost.h"

#include <cstdio>
#include <limits>

namespace unbuckle::afxdp {

Result<bool> checkUmemFits(const std::string& interface, uint32_t queues, uint64_t available_bytes) {
  const uint64_t umem_bytes = queues * kUmemBytesPerQueue;
  const uint64_t kernel_bytes = queues * kKernelBytesPerQueue;
  if (umem_bytes + kernel_bytes > available_bytes) {
    return Error{interface + ": " + std::to_string(queues) + (queues == 1 ? " queue" : " queues") + " would pin " +
                 std::to_string(umem_bytes >> 20) + " MiB of AF_XDP frames and the kernel needs about " +
                 std::to_string(kernel_bytes >> 10) + " KiB more, but only " + std::to_string(available_bytes >> 20) +
                 " MiB of memory is available: free memory, or give " + interface +
                 " fewer queues (ethtool -L " + interface + " combined N)"};
  }
  return true;
}

uint64_t availableMemory() {
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

}  // namespace unbuckle::afxdp
