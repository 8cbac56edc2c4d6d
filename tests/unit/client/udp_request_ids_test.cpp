#include "client/udp_request_ids.h"

#include <gtest/gtest.h>

#include <set>

namespace unbuckle::client {
namespace {

TEST(UdpRequestIds, AdvanceFromTheSeedAndWrap) {
  UdpRequestIds ids(65534);
  EXPECT_EQ(ids.allocate(), 65534);
  EXPECT_EQ(ids.allocate(), 65535);
  EXPECT_EQ(ids.allocate(), 0);
  EXPECT_EQ(ids.count(), 3u);
}

TEST(UdpRequestIds, NeverHandOutAnIdInFlight) {
  UdpRequestIds ids(0);
  // 1000 long-lived requests, then 200,000 short ones around them: no id is
  // ever handed out twice while in flight.
  std::set<uint16_t> long_lived;
  for (int i = 0; i < 1000; ++i) long_lived.insert(*ids.allocate());
  for (int i = 0; i < 200000; ++i) {
    const auto id = ids.allocate();
    ASSERT_TRUE(id);
    ASSERT_FALSE(long_lived.count(*id)) << "id " << *id << " reused while in flight";
    ids.release(*id);
  }
  EXPECT_EQ(ids.count(), 1000u);
}

TEST(UdpRequestIds, ReuseAFinishedIdAsLateAsPossible) {
  UdpRequestIds ids(100);
  const uint16_t first = *ids.allocate();
  ids.release(first);
  EXPECT_NE(ids.allocate(), first);  // the next one, not the one just freed
}

TEST(UdpRequestIds, AllInFlightRefusesAndReleaseFrees) {
  UdpRequestIds ids(7);
  for (uint32_t i = 0; i < UdpRequestIds::kIds; ++i) ASSERT_TRUE(ids.allocate());
  EXPECT_FALSE(ids.allocate());
  ids.release(12345);
  ids.release(12345);  // twice is harmless
  EXPECT_EQ(ids.allocate(), 12345);
  EXPECT_TRUE(ids.inFlight(12345));
}

}  // namespace
}  // namespace unbuckle::client
