#include "udp/exposure_check.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "config/daemon_config.h"

namespace unbuckle::udp {
namespace {

std::vector<config::Cidr> list(std::initializer_list<const char*> texts) {
  std::vector<config::Cidr> out;
  for (const char* text : texts) out.push_back(*config::Cidr::parse(text));
  return out;
}

TEST(ExposureCheckTest, PrivateLoopbackSharedAndLinkLocalAddressesAreNotGlobal) {
  for (const char* address : {"10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "127.0.0.1", "169.254.1.1",
                              "::1", "fd00::1", "fe80::1"}) {
    EXPECT_FALSE(isGlobalAddress(*config::Cidr::parse(address))) << address;
  }
  for (const char* address : {"203.0.113.5", "8.8.8.8", "172.32.0.1", "2001:db8::1", "2a00::1"}) {
    EXPECT_TRUE(isGlobalAddress(*config::Cidr::parse(address))) << address;
  }
}

TEST(ExposureCheckTest, TheDefaultListNeverAdmitsTheWorld) {
  EXPECT_EQ(worldWideNetwork(config::defaultAllow(), AF_INET), nullptr);
  EXPECT_EQ(worldWideNetwork(config::defaultAllow(), AF_INET6), nullptr);
  EXPECT_EQ(exposureWarning("eth0", list({"203.0.113.5", "2001:db8::5"}), config::defaultAllow()), "");
}

TEST(ExposureCheckTest, AWorldWideListWarnsOnlyForAGlobalAddressOfItsFamily) {
  const auto world4 = list({"10.0.0.0/8", "0.0.0.0/0"});
  EXPECT_EQ(exposureWarning("eth0", list({"10.1.1.1", "2001:db8::5"}), world4), "");
  const std::string warning = exposureWarning("eth0", list({"10.1.1.1", "203.0.113.5"}), world4);
  EXPECT_TRUE(warning.starts_with("eth0 has the global address 203.0.113.5 and the allow list admits 0.0.0.0/0"))
      << warning;
  EXPECT_NE(warning.find("unbucklectl allow"), std::string::npos) << warning;
  EXPECT_NE(exposureWarning("eth1", list({"2001:db8::5"}), list({"::/0"})), "");
  // Two halves are the world too; a /9 of global space is not flagged.
  EXPECT_NE(exposureWarning("eth0", list({"203.0.113.5"}), list({"0.0.0.0/1", "128.0.0.0/1"})), "");
  EXPECT_EQ(exposureWarning("eth0", list({"203.0.113.5"}), list({"203.0.0.0/9"})), "");
}

}  // namespace
}  // namespace unbuckle::udp
