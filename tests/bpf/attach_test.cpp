// Attaching the steering program to a veth inside a namespace made by the
// test: native mode, pins under the pin root, a stale program from a crashed
// run replaced, and nothing left after a clean detach.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
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
