#include "control/peer_access.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace unbuckle::control {
namespace {

constexpr uid_t kDaemonUid = 110;
constexpr gid_t kControlGroup = 120;

TEST(PeerAccessTest, RootTheDaemonsUserAndTheGroupsMembers) {
  EXPECT_TRUE(mayControl({1, 0, 0, {}}, kDaemonUid, kControlGroup));
  EXPECT_TRUE(mayControl({1, kDaemonUid, 999, {}}, kDaemonUid, kControlGroup));
  EXPECT_TRUE(mayControl({1, 1000, kControlGroup, {}}, kDaemonUid, kControlGroup));
  EXPECT_TRUE(mayControl({1, 1000, 1000, {27, kControlGroup}}, kDaemonUid, kControlGroup));
  EXPECT_FALSE(mayControl({1, 1000, 1000, {27, 100}}, kDaemonUid, kControlGroup));
  EXPECT_FALSE(mayControl({1, 65534, 65534, {}}, kDaemonUid, kControlGroup));
}

TEST(PeerAccessTest, TheKernelSaysWhoIsAtTheOtherEnd) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  const std::optional<Peer> peer = peerOf(pair[0]);
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->pid, getpid());
  EXPECT_EQ(peer->uid, geteuid());
  EXPECT_EQ(peer->gid, getegid());
  std::vector<gid_t> groups(static_cast<size_t>(getgroups(0, nullptr)));
  groups.resize(static_cast<size_t>(getgroups(static_cast<int>(groups.size()), groups.data())));
  EXPECT_EQ(peer->groups, groups);
  close(pair[0]);
  close(pair[1]);
}

}  // namespace
}  // namespace unbuckle::control
