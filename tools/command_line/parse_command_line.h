// The command line of the tools made of subcommands (unbucklecat,
// unbucklectl), parsed the same way: --help and --version print and exit 0;
// every error is one line on stderr, "PROG: cause (PROG --help)", and a
// missing or unknown command names the commands there are.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace unbuckle::tools {

// "get, set, delete, stats"
inline std::string subcommandNames(const CLI::App& app) {
  std::string names;
  for (const CLI::App* command : app.get_subcommands({})) {
    names += (names.empty() ? "" : ", ") + command->get_name();
  }
  return names;
}

// Parses argv into `app`: nullopt when the command line is good, else the
// status to exit with (0 after --help or --version, `usage_code` after an
// error).
inline std::optional<int> parseCommandLine(CLI::App& app, int argc, char** argv, int usage_code) {
  const std::string name = app.get_name();
  const auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), message.c_str());
    return usage_code;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    if (!app.get_subcommands().empty()) return fail(std::string(e.what()) + " (" + name + " --help)");
    const std::vector<std::string> rest = app.remaining();
    if (rest.empty()) return fail("a command is required: " + subcommandNames(app) + " (" + name + " --help)");
    return fail("unknown command '" + rest.front() + "' (" + subcommandNames(app) + ")");
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (" + name + " --help)");
  }
  return std::nullopt;
}

}  // namespace unbuckle::tools
