// Attaching the steering program to a veth inside a namespace made by the
// test: native mode, pins under the pin root, a stale program from a crashed
// run replaced, and nothing left after a clean detach; a pin root off bpffs
// refused, an interface removed under the program left quietly.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "xdp/xdp_attachment.h"

namespace unbuckle::xdp {
namespace {

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return output;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe)) output += buffer;
  pclose(pipe);
  return output;
}

class AttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "attaching XDP needs root";
    ns_ = "ubattach" + std::to_string(getpid());
    pin_root_ = "/tmp/" + ns_ + "-bpffs";
    ASSERT_EQ(std::system(("ip netns add " + ns_).c_str()), 0);
    ASSERT_EQ(std::system(("ip -n " + ns_ + " link add ub0 type veth peer name ub1 && ip -n " + ns_ +
                           " link set ub0 up && ip -n " + ns_ + " link set ub1 up")
                              .c_str()),
              0);
    std::filesystem::create_directories(pin_root_);
    ASSERT_EQ(mount("bpf", pin_root_.c_str(), "bpf", 0, nullptr), 0) << "cannot mount a private bpffs";
    original_ns_ = open("/proc/self/ns/net", O_RDONLY);
    int target = open(("/run/netns/" + ns_).c_str(), O_RDONLY);
    ASSERT_GE(target, 0);
    ASSERT_EQ(setns(target, CLONE_NEWNET), 0);
    close(target);
  }

  void TearDown() override {
    if (original_ns_ >= 0) {
      setns(original_ns_, CLONE_NEWNET);
      close(original_ns_);
    }
    if (!ns_.empty()) {
      umount(pin_root_.c_str());
      std::filesystem::remove_all(pin_root_);
      std::system(("ip netns del " + ns_ + " 2>/dev/null").c_str());
    }
  }

  AttachOptions options(config::XdpMode mode = config::XdpMode::kNative) {
    return AttachOptions{"ub0", mode, 11211, pin_root_};
  }

  std::string linkShow() { return run("ip -n " + ns_ + " -d link show dev ub0"); }

  std::string ns_, pin_root_;
  int original_ns_ = -1;
};

TEST_F(AttachTest, MissingInterfaceIsNamedInTheError) {
  auto attached = XdpAttachment::attach(AttachOptions{"nosuch9", config::XdpMode::kAuto, 11211, pin_root_});
  ASSERT_FALSE(attached.ok());
  EXPECT_EQ(attached.error(), "cannot attach XDP to nosuch9: no such interface");
}

TEST_F(AttachTest, PinRootOffBpffsIsRefusedBeforeTheInterfaceIsTouched) {
  const std::string elsewhere = pin_root_ + "-plain";   // under /tmp, no bpffs
  std::filesystem::create_directories(elsewhere);
  auto attached = XdpAttachment::attach(AttachOptions{"ub0", config::XdpMode::kNative, 11211, elsewhere + "/pins"});
  std::filesystem::remove_all(elsewhere);
  ASSERT_FALSE(attached.ok());
  EXPECT_EQ(attached.error().rfind("--pin-path " + elsewhere + "/pins is not on a bpffs (" + elsewhere + " is ", 0), 0u)
      << attached.error();
  EXPECT_NE(attached.error().find("mount -t bpf bpf /sys/fs/bpf"), std::string::npos) << attached.error();
  EXPECT_EQ(linkShow().find("prog/xdp"), std::string::npos) << linkShow();
}

TEST_F(AttachTest, AnInterfaceRemovedUnderTheProgramIsLeftQuietly) {
  auto attached = XdpAttachment::attach(options());
  ASSERT_TRUE(attached.ok()) << attached.error();
  ASSERT_EQ(std::system(("ip -n " + ns_ + " link del ub0").c_str()), 0);
  std::ostringstream log;
  const auto before = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("attach_test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  attached.value().reset();   // no detach attempted, the pins go
  spdlog::set_default_logger(before);
  EXPECT_NE(log.str().find("ub0: the interface is gone, and its XDP program with it"), std::string::npos)
      << log.str();
  EXPECT_EQ(log.str().find("cannot detach"), std::string::npos) << log.str();
  EXPECT_FALSE(std::filesystem::exists(pin_root_ + "/ub0"));
}

TEST_F(AttachTest, NativeAttachPinsMapsAndDetachLeavesNothing) {
  {
    auto attached = XdpAttachment::attach(options());
    ASSERT_TRUE(attached.ok()) << attached.error();
    EXPECT_EQ(attached.value()->modeName(), "native");
    EXPECT_NE(linkShow().find("prog/xdp"), std::string::npos) << linkShow();
    EXPECT_TRUE(std::filesystem::exists(pin_root_ + "/ub0/unbuckle_xsks"));
    EXPECT_TRUE(std::filesystem::exists(pin_root_ + "/ub0/unbuckle_counters"));
  }
  EXPECT_EQ(linkShow().find("prog/xdp"), std::string::npos) << linkShow();
  EXPECT_FALSE(std::filesystem::exists(pin_root_ + "/ub0"));
}

TEST_F(AttachTest, PinRootMadeForTheDaemonGoesWithIt) {
  const std::string root = pin_root_ + "/unbuckle-xdp";
  {
    auto attached = XdpAttachment::attach(AttachOptions{"ub0", config::XdpMode::kNative, 11211, root});
    ASSERT_TRUE(attached.ok()) << attached.error();
    EXPECT_TRUE(std::filesystem::exists(root + "/ub0/unbuckle_xsks"));
  }
  EXPECT_FALSE(std::filesystem::exists(root));
}

TEST_F(AttachTest, ASecondAttachWhileTheFirstLivesIsRefused) {
  auto first = XdpAttachment::attach(options());
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = XdpAttachment::attach(options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), "cannot attach XDP to ub0: another unbuckle-xdp (pid " + std::to_string(getpid()) +
                                ") serves it; stop that one first");
  // The first one's program and pins are untouched.
  EXPECT_NE(linkShow().find("prog/xdp"), std::string::npos) << linkShow();
  EXPECT_TRUE(std::filesystem::exists(pin_root_ + "/ub0/unbuckle_xsks"));
}

TEST_F(AttachTest, SkbModeOnRequest) {
  auto attached = XdpAttachment::attach(options(config::XdpMode::kSkb));
  ASSERT_TRUE(attached.ok()) << attached.error();
  EXPECT_EQ(attached.value()->modeName(), "skb");
  EXPECT_NE(linkShow().find("xdpgeneric"), std::string::npos) << linkShow();
}

TEST_F(AttachTest, StaleProgramOfACrashedRunIsReplaced) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto attached = XdpAttachment::attach(options());
    _exit(attached.ok() ? 0 : 1);  // no destructors: the program stays, as after kill -9
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_NE(linkShow().find("prog/xdp"), std::string::npos);

  auto attached = XdpAttachment::attach(options());
  ASSERT_TRUE(attached.ok()) << attached.error();
  attached.value().reset();
  EXPECT_EQ(linkShow().find("prog/xdp"), std::string::npos) << linkShow();
}

}  // namespace
}  // namespace unbuckle::xdp
