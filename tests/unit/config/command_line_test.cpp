#include "config/command_line.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace unbuckle::config {
namespace {

namespace fs = std::filesystem;

const std::string kShippedConfig = UNBUCKLE_SOURCE_DIR "/systemd/unbuckle-xdp.conf";

class CommandLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/unbuckle-config-test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Parses `args` as flags; the default config file is one that does not exist
  // unless a test writes it.
  Result<CommandLine> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "unbuckle-xdp");
    std::vector<const char*> argv;
    for (const std::string& a : args) {
      argv.push_back(a.c_str());
    }
    return parseCommandLine(static_cast<int>(argv.size()), argv.data(), defaultPath());
  }

  DaemonConfig run(std::vector<std::string> args) {
    auto outcome = parse(std::move(args));
    EXPECT_TRUE(outcome.ok() && outcome.value().config) << (outcome.ok() ? outcome.value().text : outcome.error());
    return outcome.ok() ? outcome.value().config.value_or(DaemonConfig{}) : DaemonConfig{};
  }

  // Asserts a refusal (the daemon exits 1) with a one-line reason containing `text`.
  void expectRefused(std::vector<std::string> args, const std::string& text) {
    const auto outcome = parse(args);
    ASSERT_FALSE(outcome.ok()) << text;
    EXPECT_NE(outcome.error().find(text), std::string::npos) << outcome.error();
    EXPECT_EQ(outcome.error().find('\n'), std::string::npos) << outcome.error();
  }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string defaultPath() const { return dir_ + "/default.conf"; }

  // Built-in defaults as the daemon resolves them for the socket backend.
  static DaemonConfig resolvedDefaults() {
    DaemonConfig expected;
    expected.threads = std::max(1u, std::thread::hardware_concurrency());
    return expected;
  }

  std::string dir_;
};

TEST_F(CommandLineTest, DefaultsMatchTheArchitectureTable) {
  const DaemonConfig c = run({});
  EXPECT_EQ(c, resolvedDefaults());
  EXPECT_TRUE(c.interfaces.empty());
  EXPECT_EQ(c.port, 11211);
  EXPECT_EQ(c.tcp_port, 11211);
  EXPECT_EQ(c.listen, "0.0.0.0");
  EXPECT_FALSE(c.listen_given);   // every address, IPv6 too (memcached without -l)
  EXPECT_EQ(c.backend, Backend::kSocket);
  EXPECT_EQ(c.threads, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(c.memory_limit_mb, 64u);
  EXPECT_EQ(c.max_item_size, 1u << 20);
  EXPECT_EQ(c.max_connections, 1024u);
  EXPECT_EQ(c.idle_timeout, 0u);
  EXPECT_EQ(c.xdp_mode, XdpMode::kAuto);
  EXPECT_EQ(c.zerocopy, ZeroCopy::kAuto);
  EXPECT_FALSE(c.busy_poll);
  EXPECT_TRUE(c.kernel_cache);
  EXPECT_EQ(c.kernel_cache_entries, 65536u);
  ASSERT_EQ(c.allow.size(), kDefaultAllow.size());
  for (size_t i = 0; i < c.allow.size(); ++i) {
    EXPECT_EQ(c.allow[i].toString(), kDefaultAllow[i]);
  }
  EXPECT_EQ(c.control_socket, "/run/unbuckle-xdp/control.sock");
  EXPECT_EQ(c.control_group, "");
  EXPECT_EQ(c.pin_path, "/sys/fs/bpf/unbuckle-xdp");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.config_file, "");
}

TEST_F(CommandLineTest, TcpPortFollowsPortUnlessGiven) {
  EXPECT_EQ(run({"--port", "12345"}).tcp_port, 12345);
  const DaemonConfig c = run({"--port", "12345", "--tcp-port", "0"});
  EXPECT_EQ(c.port, 12345);
  EXPECT_EQ(c.tcp_port, 0);
  EXPECT_EQ(run({"--port", "0", "--tcp-port", "7"}).port, 0);
}

TEST_F(CommandLineTest, RefusesBadPorts) {
  expectRefused({"--port", "70000"}, "--port");
  expectRefused({"--port", "eleven"}, "--port");
  expectRefused({"--tcp-port", "-1"}, "--tcp-port");
  expectRefused({"--port", "0"}, "nothing to serve");
}

TEST_F(CommandLineTest, BackendFollowsInterfaceUnlessGiven) {
  EXPECT_EQ(run({"--backend", "xdp"}).backend, Backend::kXdp);
  const DaemonConfig c = run({"--interface", "eth0", "--interface", "veth1"});
  EXPECT_EQ(c.backend, Backend::kXdp);
  EXPECT_EQ(c.interfaces, (std::vector<std::string>{"eth0", "veth1"}));
  EXPECT_EQ(c.threads, 0u);   // one per RX queue, decided when attaching
  expectRefused({"--interface", "eth0", "--backend", "socket"}, "--interface needs --backend xdp");
  expectRefused({"--backend", "dpdk"}, "--backend");
  expectRefused({"--interface", "much-too-long-name0"}, "--interface");
}

TEST_F(CommandLineTest, MaxItemSizeTakesMemcachedUnits) {
  EXPECT_EQ(run({"--max-item-size", "512k"}).max_item_size, 512u << 10);
  EXPECT_EQ(run({"--max-item-size", "2M"}).max_item_size, 2u << 20);
  EXPECT_EQ(run({"--max-item-size", "1024"}).max_item_size, 1024u);
  EXPECT_EQ(run({"--max-item-size", "1024m", "--memory-limit", "2048"}).max_item_size,
            size_t{1} << 30);
  expectRefused({"--max-item-size", "1023"}, "--max-item-size");
  expectRefused({"--max-item-size", "1025m", "--memory-limit", "4096"}, "--max-item-size");
  expectRefused({"--max-item-size", "1x"}, "--max-item-size");
  expectRefused({"--max-item-size", "k"}, "--max-item-size");
  expectRefused({"--max-item-size", "33m"}, "more than half of --memory-limit 64");
  EXPECT_EQ(run({"--max-item-size", "32m"}).max_item_size, 32u << 20);
}

TEST_F(CommandLineTest, ParseByteSize) {
  EXPECT_EQ(parseByteSize("1m"), size_t{1} << 20);
  EXPECT_EQ(parseByteSize("512k"), size_t{512} << 10);
  EXPECT_EQ(parseByteSize("1G"), size_t{1} << 30);
  EXPECT_EQ(parseByteSize("77"), 77u);
  EXPECT_EQ(parseByteSize(""), std::nullopt);
  EXPECT_EQ(parseByteSize("m"), std::nullopt);
  EXPECT_EQ(parseByteSize("1mb"), std::nullopt);
  EXPECT_EQ(parseByteSize("-1"), std::nullopt);
  EXPECT_EQ(parseByteSize("99999999999999999999"), std::nullopt);
}

TEST_F(CommandLineTest, ValidatesEveryOtherFlag) {
  EXPECT_EQ(run({"--listen", "::1"}).listen, "::1");
  EXPECT_TRUE(run({"--listen", "0.0.0.0"}).listen_given);
  expectRefused({"--listen", "localhost"}, "--listen");
  expectRefused({"--threads", "0"}, "--threads");
  EXPECT_EQ(run({"--threads", "3"}).threads, 3u);
  expectRefused({"--memory-limit", "0"}, "--memory-limit");
  EXPECT_EQ(run({"--max-connections", "10"}).max_connections, 10u);
  EXPECT_EQ(run({"--idle-timeout", "30"}).idle_timeout, 30u);
  expectRefused({"--max-connections", "0"}, "--max-connections");
  EXPECT_EQ(run({"--xdp-mode", "native"}).xdp_mode, XdpMode::kNative);
  EXPECT_EQ(run({"--xdp-mode", "skb"}).xdp_mode, XdpMode::kSkb);
  expectRefused({"--xdp-mode", "generic"}, "--xdp-mode");
  EXPECT_EQ(run({"--zerocopy", "off"}).zerocopy, ZeroCopy::kOff);
  expectRefused({"--zerocopy", "yes"}, "--zerocopy");
  EXPECT_TRUE(run({"--busy-poll"}).busy_poll);
  EXPECT_FALSE(run({"--kernel-cache", "off"}).kernel_cache);
  expectRefused({"--kernel-cache", "1"}, "--kernel-cache");
  EXPECT_FALSE(run({}).udp_coalesce_replies);
  EXPECT_TRUE(run({"--udp-coalesce-replies", "on"}).udp_coalesce_replies);
  expectRefused({"--udp-coalesce-replies", "yes"}, "--udp-coalesce-replies");
  EXPECT_EQ(run({"--kernel-cache-entries", "1024"}).kernel_cache_entries, 1024u);
  EXPECT_EQ(run({"--control-socket", "/tmp/c.sock"}).control_socket, "/tmp/c.sock");
  expectRefused({"--control-socket", "c.sock"}, "--control-socket");
  // Every system has a group root; no system a group of this name.
  EXPECT_EQ(run({"--control-group", "root"}).control_group, "root");
  expectRefused({"--control-group", "no-such-group-ubx"}, "no group named 'no-such-group-ubx'");
  expectRefused({"--pin-path", "bpf"}, "--pin-path");
  EXPECT_EQ(run({"--log-level", "debug"}).log_level, "debug");
  expectRefused({"--log-level", "loud"}, "--log-level");
  EXPECT_TRUE(isLogLevel("warn"));
  EXPECT_FALSE(isLogLevel("loud"));
  expectRefused({"--no-such-flag"}, "--no-such-flag");
  expectRefused({"stray"}, "stray");
}

TEST_F(CommandLineTest, DisableEvictionsIsAFlagAndAKey) {
  EXPECT_FALSE(run({}).disable_evictions);
  EXPECT_TRUE(run({"--disable-evictions"}).disable_evictions);
  EXPECT_TRUE(run({"--config", write("m.conf", "disable-evictions = true\n")}).disable_evictions);
  EXPECT_NE(parse({"--help"}).value().text.find("--disable-evictions"), std::string::npos);
}

TEST_F(CommandLineTest, CpusTakeATasksetListAndNeedXdp) {
  const DaemonConfig c = run({"--interface", "eth0", "--cpus", "0,2-4,7"});
  EXPECT_EQ(c.cpus, (std::vector<uint32_t>{0, 2, 3, 4, 7}));
  EXPECT_TRUE(run({}).cpus.empty());
  for (const char* bad : {"", "a", "1,", ",1", "3-1", "1-", "1024", "0-2000", "1;2"}) {
    expectRefused({"--interface", "eth0", "--cpus", bad}, "--cpus");
  }
  expectRefused({"--cpus", "0"}, "--cpus needs the xdp backend (--interface)");
}

TEST_F(CommandLineTest, DebugFixedReplyIsForTheXdpBackendOnly) {
  EXPECT_EQ(run({"--interface", "eth0", "--debug-fixed-reply", "64"}).debug_fixed_reply, 64u);
  EXPECT_FALSE(run({}).debug_fixed_reply);
  expectRefused({"--debug-fixed-reply", "64"}, "--debug-fixed-reply needs the xdp backend (--interface)");
  expectRefused({"--interface", "eth0", "--debug-fixed-reply", "2000000"}, "--debug-fixed-reply");
}

// memcached's -X -A -F -C and -o temporary_ttl, as flags and as config keys.
TEST_F(CommandLineTest, MemcachedSwitches) {
  const DaemonConfig off = run({});
  EXPECT_FALSE(off.disable_dumping);
  EXPECT_FALSE(off.enable_shutdown);
  EXPECT_FALSE(off.disable_flush_all);
  EXPECT_FALSE(off.disable_cas);
  EXPECT_FALSE(off.temporary_ttl);
  const DaemonConfig on = run({"--disable-dumping", "--enable-shutdown", "--disable-flush-all",
                               "--disable-cas", "--temporary-ttl", "30"});
  EXPECT_TRUE(on.disable_dumping);
  EXPECT_TRUE(on.enable_shutdown);
  EXPECT_TRUE(on.disable_flush_all);
  EXPECT_TRUE(on.disable_cas);
  EXPECT_EQ(on.temporary_ttl, 30u);
  const std::string path = write("s.conf",
                                 "disable-dumping = true\nenable-shutdown = true\n"
                                 "disable-flush-all = true\ndisable-cas = true\ntemporary-ttl = 0\n");
  const DaemonConfig file = run({"--config", path});
  EXPECT_TRUE(file.disable_dumping);
  EXPECT_TRUE(file.enable_shutdown);
  EXPECT_TRUE(file.disable_flush_all);
  EXPECT_TRUE(file.disable_cas);
  EXPECT_EQ(file.temporary_ttl, 0u);
  expectRefused({"--temporary-ttl", "-1"}, "--temporary-ttl");
  expectRefused({"--temporary-ttl", "30", "--no-lru-maintainer"},
                "--temporary-ttl needs the LRU maintainer: drop --no-lru-maintainer");
  expectRefused({"--temporary-ttl", "x"}, "--temporary-ttl");
}

// memcached's -o slab_automove, slab_automove_ratio and slab_automove_window,
// as flags and as config keys, refused where memcached refuses them.
TEST_F(CommandLineTest, SlabAutomoveTunables) {
  const DaemonConfig defaults = run({});
  EXPECT_EQ(defaults.slab_automove, 1u);
  EXPECT_EQ(defaults.slab_automove_ratio, 0.8);
  EXPECT_EQ(defaults.slab_automove_window, 30u);
  const DaemonConfig flags =
      run({"--slab-automove", "2", "--slab-automove-ratio", "0.5", "--slab-automove-window", "3"});
  EXPECT_EQ(flags.slab_automove, 2u);
  EXPECT_EQ(flags.slab_automove_ratio, 0.5);
  EXPECT_EQ(flags.slab_automove_window, 3u);
  const std::string path =
      write("m.conf", "slab-automove = 0\nslab-automove-ratio = 1\nslab-automove-window = 60\n");
  const DaemonConfig file = run({"--config", path});
  EXPECT_EQ(file.slab_automove, 0u);
  EXPECT_EQ(file.slab_automove_ratio, 1.0);
  EXPECT_EQ(file.slab_automove_window, 60u);
  expectRefused({"--slab-automove", "3"}, "--slab-automove");
  expectRefused({"--slab-automove", "-1"}, "--slab-automove");
  expectRefused({"--slab-automove-ratio", "0"}, "--slab-automove-ratio");
  expectRefused({"--slab-automove-ratio", "1.01"}, "--slab-automove-ratio");
  expectRefused({"--slab-automove-ratio", "x"}, "--slab-automove-ratio");
  expectRefused({"--slab-automove-window", "2"}, "--slab-automove-window");
  expectRefused({"--slab-automove-window", "3601"}, "--slab-automove-window");
}

// memcached's -o no_lru_crawler and -o no_lru_maintainer.
TEST_F(CommandLineTest, NoLruCrawlerNoLruMaintainer) {
  const DaemonConfig off = run({});
  EXPECT_FALSE(off.no_lru_crawler);
  EXPECT_FALSE(off.no_lru_maintainer);
  const DaemonConfig on = run({"--no-lru-crawler", "--no-lru-maintainer"});
  EXPECT_TRUE(on.no_lru_crawler);
  EXPECT_TRUE(on.no_lru_maintainer);
  const std::string path = write("l.conf", "no-lru-crawler = true\nno-lru-maintainer = true\n");
  const DaemonConfig file = run({"--config", path});
  EXPECT_TRUE(file.no_lru_crawler);
  EXPECT_TRUE(file.no_lru_maintainer);
}

TEST_F(CommandLineTest, AllowReplacesTheDefaultList) {
  const DaemonConfig c = run({"--allow", "10.1.0.0/16", "--allow", "::1"});
  ASSERT_EQ(c.allow.size(), 2u);
  EXPECT_EQ(c.allow[0].toString(), "10.1.0.0/16");
  EXPECT_EQ(c.allow[1].toString(), "::1/128");
  expectRefused({"--allow", "10.1.0.1/16"}, "--allow");
  expectRefused({"--allow", "10.0.0.0/33"}, "--allow");
}

// Whole sets of four slots, indexed by a mask: a power of two, 4..16Mi.
TEST_F(CommandLineTest, KernelCacheEntriesArePowersOfTwoInRange) {
  EXPECT_EQ(run({"--kernel-cache-entries", "4"}).kernel_cache_entries, 4u);
  EXPECT_EQ(run({"--kernel-cache-entries", "16777216"}).kernel_cache_entries, 16777216u);
  for (const char* refused : {"0", "1", "2", "3", "1000", "65535", "33554432", "-4", "4k", ""}) {
    expectRefused({"--kernel-cache-entries", refused}, "--kernel-cache-entries");
  }
  const auto outcome = parse({"--kernel-cache-entries", "1000"});
  EXPECT_NE(outcome.error().find("power of two from 4 to 16777216"), std::string::npos) << outcome.error();
}

// XDP's tries hold UNBUCKLE_ALLOW_MAX networks of each family, with or
// without the kernel cache; the socket backend's list is not limited.
TEST_F(CommandLineTest, AllowListLongerThanXdpTakesIsRefused) {
  std::vector<std::string> args{"--interface", "lo"};
  for (int i = 0; i < 1024; ++i) {
    args.push_back("--allow");
    args.push_back("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24");
  }
  args.push_back("--allow");
  args.push_back("::1");
  EXPECT_EQ(run(args).allow.size(), 1025u);   // 1024 IPv4, one IPv6
  args.push_back("--allow");
  args.push_back("10.9.0.0/24");
  expectRefused(args, "--allow lists 1025 IPv4 networks; XDP takes at most 1024 of each family");
  args.push_back("--kernel-cache");
  args.push_back("off");
  expectRefused(args, "--allow lists 1025 IPv4 networks; XDP takes at most 1024 of each family");
  args.erase(args.begin(), args.begin() + 2);   // the socket backend
  args.resize(args.size() - 2);
  EXPECT_EQ(run(args).allow.size(), 1026u);
}

// An operator's memcached command line is refused flag by flag, each with
// this daemon's flag for it or the news that it is not built.
TEST_F(CommandLineTest, MemcachedFlagsNameTheirEquivalentOrSayNotBuilt) {
  expectRefused({"-m", "64"}, "memcached's -m (item memory in megabytes): use --memory-limit MB");
  expectRefused({"-m64"}, "memcached's -m (item memory in megabytes): use --memory-limit MB");
  expectRefused({"-vv"}, "memcached's -v (verbose): use --log-level debug");
  expectRefused({"-p", "11211"}, "memcached's -p (TCP port): use --tcp-port N");
  expectRefused({"--port", "11211", "-U", "0"}, "memcached's -U (UDP port): use --port N");
  expectRefused({"--udp-port=11211"}, "memcached's --udp-port (UDP port): use --port N");
  expectRefused({"--conn-limit", "10"}, "memcached's --conn-limit (connection limit): use --max-connections N");
  expectRefused({"-e", "/tmp/memory"},
                "memcached's -e (item memory in a file, for warm restart): not built in unbuckle-xdp");
  expectRefused({"-d"}, "memcached's -d (run as a daemon): not built in unbuckle-xdp");
  expectRefused({"-o", "slab_automove=2"}, "memcached's -o (extended options): use --temporary-ttl, --slab-automove");
  // Long names memcached shares with this daemon are this daemon's own.
  EXPECT_EQ(run({"--memory-limit", "32", "--threads", "1", "--disable-cas"}).memory_limit_mb, 32u);
  // A value that starts with a dash reaches its own flag's check.
  expectRefused({"--temporary-ttl", "-1"}, "--temporary-ttl");
}

TEST_F(CommandLineTest, HelpExplainsEveryFlag) {
  auto outcome = parse({"--help"});
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  EXPECT_FALSE(outcome.value().config);
  for (const char* flag :
       {"--interface", "--port", "--tcp-port", "--listen", "--backend", "--threads",
        "--memory-limit", "--max-item-size", "--max-connections", "--xdp-mode", "--zerocopy",
        "--busy-poll", "--kernel-cache", "--kernel-cache-entries", "--allow",
        "--control-socket", "--control-group", "--pin-path", "--log-level", "--config", "--cpus",
        "--debug-fixed-reply", "--disable-dumping", "--enable-shutdown", "--disable-flush-all",
        "--disable-cas", "--temporary-ttl", "--slab-automove", "--slab-automove-ratio",
        "--slab-automove-window", "--no-lru-crawler", "--no-lru-maintainer",
        "--udp-coalesce-replies"}) {
    EXPECT_NE(outcome.value().text.find(flag), std::string::npos) << flag;
  }
  auto version = parse({"--version"});
  ASSERT_TRUE(version.ok()) << version.error();
  EXPECT_FALSE(version.value().config);
  EXPECT_EQ(version.value().text, "unbuckle-xdp " UNBUCKLE_VERSION " (memcached 1.6.18 protocol)");
}

TEST_F(CommandLineTest, ConfigFileSetsKeysAndFlagsWin) {
  const std::string path = write("a.conf",
                                 "# comment\n"
                                 "port = 12345\n"
                                 "listen = \"127.0.0.1\"\n"
                                 "threads = 3\n"
                                 "busy-poll = true\n"
                                 "max-item-size = 512k\n"
                                 "allow = [\"10.0.0.0/8\", \"::1\"]\n"
                                 "backend = socket\n");
  DaemonConfig c = run({"--config", path});
  EXPECT_EQ(c.port, 12345);
  EXPECT_EQ(c.tcp_port, 12345);
  EXPECT_EQ(c.listen, "127.0.0.1");
  EXPECT_TRUE(c.listen_given);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_TRUE(c.busy_poll);
  EXPECT_EQ(c.max_item_size, 512u << 10);
  EXPECT_EQ(c.allow.size(), 2u);
  EXPECT_EQ(c.config_file, path);

  c = run({"--config", path, "--port", "5", "--threads", "1"});
  EXPECT_EQ(c.port, 5);
  EXPECT_EQ(c.threads, 1u);
  EXPECT_EQ(c.listen, "127.0.0.1");
}

TEST_F(CommandLineTest, TcpPortFromConfigFileIsHonoured) {
  const DaemonConfig c = run({"--config", write("t.conf", "tcp-port = 0\n"), "--port", "5"});
  EXPECT_EQ(c.port, 5);
  EXPECT_EQ(c.tcp_port, 0);
}

TEST_F(CommandLineTest, RepeatedKeysInConfigFile) {
  const std::string path =
      write("i.conf", "interface = eth0\ninterface = eth1\n");
  EXPECT_EQ(run({"--config", path}).interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  const std::string list = write("l.conf", "interface = [\"eth2\", \"eth3\"]\n");
  EXPECT_EQ(run({"--config", list}).interfaces, (std::vector<std::string>{"eth2", "eth3"}));
}

TEST_F(CommandLineTest, DefaultConfigFileIsReadWhenPresent) {
  EXPECT_EQ(run({}).config_file, "");
  write("default.conf", "memory-limit = 128\n");
  const DaemonConfig c = run({});
  EXPECT_EQ(c.memory_limit_mb, 128u);
  EXPECT_EQ(c.config_file, defaultPath());
}

TEST_F(CommandLineTest, RefusesBadConfigFiles) {
  expectRefused({"--config", dir_ + "/missing.conf"}, "missing.conf");
  expectRefused({"--config", write("k.conf", "prot = 1\n")}, "prot");
  expectRefused({"--config", write("v.conf", "port = 99999\n")}, "--port");
  expectRefused({"--config", write("h.conf", "help = true\n")}, "help");
  write("default.conf", "zerocopy = maybe\n");
  expectRefused({}, "--zerocopy");
}

TEST_F(CommandLineTest, ShippedConfigFileParsesToTheDefaults) {
  DaemonConfig expected = resolvedDefaults();
  expected.config_file = kShippedConfig;
  EXPECT_EQ(run({"--config", kShippedConfig}), expected);
}

// Every "#key = value" line of the shipped file, uncommented, must be a valid
// key whose value is the built-in default; every flag must be mentioned.
TEST_F(CommandLineTest, ShippedConfigFileDocumentsTheTrueDefaults) {
  std::ifstream in(kShippedConfig);
  ASSERT_TRUE(in) << kShippedConfig;
  std::string shipped;
  std::string uncommented;
  for (std::string line; std::getline(in, line);) {
    shipped += line + "\n";
    const bool default_line = line.size() > 1 && line[0] == '#' && std::islower(line[1]);
    uncommented += (default_line ? line.substr(1) : line) + "\n";
  }
  const std::string path = write("uncommented.conf", uncommented);
  DaemonConfig expected = resolvedDefaults();
  expected.config_file = path;
  EXPECT_EQ(run({"--config", path}), expected);

  // Flag names as --help lists them.
  const std::string help = parse({"--help"}).value().text;
  size_t keys = 0;
  for (size_t at = help.find("\n  --"); at != std::string::npos; at = help.find("\n  --", at + 1)) {
    const size_t begin = at + 5;
    const std::string key = help.substr(begin, help.find_first_of(" =\n", begin) - begin);
    if (key == "help" || key == "version" || key == "config") {
      continue;
    }
    EXPECT_NE(shipped.find(key + " = "), std::string::npos) << "key missing from the file: " << key;
    ++keys;
  }
  // The 20 flags of ARCHITECTURE.md, --control-group, --max-connections, --cpus, --debug-fixed-reply,
  // --idle-timeout, --disable-evictions, memcached's -X -A -F -C, -o temporary_ttl,
  // slab_automove, slab_automove_ratio, slab_automove_window, -o no_lru_crawler,
  // -o no_lru_maintainer and --udp-coalesce-replies.
  EXPECT_EQ(keys, 37u);
}

}  // namespace
}  // namespace unbuckle::config
