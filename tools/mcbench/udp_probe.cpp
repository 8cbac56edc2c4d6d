#include "mcbench/udp_probe.h"

#include <sys/socket.h>

#include <cstring>

#include "mcbench/sockets.h"
#include "mcbench/stop_signal.h"
#include "unbuckle/mc_udp.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::mcbench {

namespace {

constexpr std::chrono::milliseconds kResendInterval{100};
constexpr uint16_t kProbeId = 0x7e57;

}  // namespace

bool probeUdp(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  const FileDescriptor fd = connectUdp(endpoint, kResendInterval);
  char request[MC_UDP_HEADER_SIZE + 9];
  writeFrameHeader(FrameHeader{kProbeId, 0, 1, 0}, request);
  std::memcpy(request + MC_UDP_HEADER_SIZE, "version\r\n", 9);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && !stopRequested()) {
    send(fd.get(), request, sizeof(request), 0);
    char reply[2048];
    const ssize_t got = recv(fd.get(), reply, sizeof(reply), 0);  // waits up to kResendInterval
    if (got <= 0) continue;
    const auto header = parseFrameHeader(std::string_view(reply, static_cast<size_t>(got)));
    if (header && header->request_id == kProbeId) return true;
  }
  return false;
}

}  // namespace unbuckle::mcbench
