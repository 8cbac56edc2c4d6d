// mcbench: memcached load generator and side-by-side report. See --help.
#include <fmt/format.h>

#include <exception>
#include <variant>

#include "mcbench/commands.h"
#include "mcbench/options.h"
#include "mcbench/stop_signal.h"

int main(int argc, char** argv) {
  using namespace unbuckle::mcbench;
  installStopHandlers();
  auto parsed = parseOptions(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const Options& options = std::get<Options>(parsed);
  try {
    return options.mode == Options::Mode::kFill ? runFillCommand(options) : runLoadCommand(options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "mcbench: {}\n", e.what());
    return 1;
  }
}
