#include "control/status_text.h"

namespace unbuckle::control {

std::string statusText(const DaemonStatus& status) {
  std::string text;
  const auto line = [&text](const std::string& name, const std::string& value) {
    text += name + ": " + value + "\n";
  };
  line("version", status.version);
  line("pid", std::to_string(status.pid));
  line("uptime", std::to_string(status.uptime_seconds) + " s");
  line("backend", status.backend);
  line("memory", std::to_string(status.memory_used) + " of " + std::to_string(status.memory_limit) +
                     " bytes used");
  line("items", std::to_string(status.items));
  line("kernel cache", status.kernel_cache ? std::to_string(status.kernel_cache->entries) + " of " +
                                                 std::to_string(status.kernel_cache->capacity) + " entries"
                                           : std::string("off"));
  line("interfaces", std::to_string(status.interfaces.size()));
  for (const InterfaceStatus& interface : status.interfaces) {
    line("interface " + interface.interface,
         "driver " + interface.driver + ", XDP " + interface.xdp_mode + ", AF_XDP " + interface.bind_mode + ", " +
             std::to_string(interface.queues.size()) + (interface.queues.size() == 1 ? " queue" : " queues"));
    for (size_t i = 0; i < interface.queues.size(); ++i) {
      const int cpu = i < interface.worker_cpus.size() ? interface.worker_cpus[i] : -1;
      line("  queue " + std::to_string(interface.queues[i]),
           cpu < 0 ? std::string("worker not run yet") : "worker on CPU " + std::to_string(cpu));
    }
  }
  return text;
}

}  // namespace unbuckle::control
