// The engine on stores of a few pages, where sets need pages of other
// size classes.
#include <string>

#include "engine_fixture.h"

namespace unbuckle::proto::testing {
namespace {

class SmallStoreTest : public EngineTest {
 protected:
  static store::StoreConfig pages(size_t megabytes) {
    store::StoreConfig c;
    c.memory_limit = megabytes << 20;
    return c;
  }
  SmallStoreTest() : EngineTest(pages(8)) {}
};

// The reproducer (memcached stores every one): each combined item
// grows into a class with no page, and the page the store first chose to
// move held the append's own fresh item, so the append waited for itself
// and answered NOT_STORED.
TEST_F(SmallStoreTest, AppendsToOneKeyAreAllStored) {
  ASSERT_EQ(tcp("set mk 0 0 2\r\nno\r\n"), "STORED\r\n");
  std::string expected = "no";
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(tcp("append mk 0 0 2\r\n!!\r\n"), "STORED\r\n") << "append " << i;
    expected += "!!";
  }
  EXPECT_EQ(tcp("get mk\r\n"), "VALUE mk 0 " + std::to_string(expected.size()) + "\r\n" + expected + "\r\nEND\r\n");
}

TEST_F(SmallStoreTest, PrependsAndMetaAppendsAreAllStored) {
  ASSERT_EQ(tcp("set mk 0 0 2\r\nno\r\n"), "STORED\r\n");
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(tcp("prepend mk 0 0 2\r\n<<\r\n"), "STORED\r\n") << "prepend " << i;
    ASSERT_EQ(tcp("ms mk 2 MA\r\n>>\r\n"), "HD\r\n") << "ms MA " << i;
  }
  const std::string value = std::string(400, '<') + "no" + std::string(400, '>');
  EXPECT_EQ(tcp("get mk\r\n"), "VALUE mk 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n");
}

class NoEvictionsTest : public EngineTest {
 protected:
  static store::StoreConfig noEvictions() {
    store::StoreConfig c;
    c.memory_limit = 8u << 20;
    c.evictions = false;
    return c;
  }
  NoEvictionsTest() : EngineTest(noEvictions()) {}
};

// memcached -M -m 8, over TCP: 80 sets of 100,000 bytes are stored, the
// 120 after them answered with an error, nothing evicted.
TEST_F(NoEvictionsTest, AFullStoreAnswersOutOfMemory) {
  const std::string value(100000, 'x');
  int stored = 0;
  int refused = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string reply = tcp("set k" + std::to_string(i) + " 0 0 100000\r\n" + value + "\r\n");
    if (reply == "STORED\r\n") {
      ++stored;
    } else {
      EXPECT_EQ(reply, "SERVER_ERROR out of memory storing object\r\n");
      ++refused;
    }
  }
  EXPECT_EQ(stored, 80);
  EXPECT_EQ(refused, 120);
  EXPECT_EQ(store_.stats().evictions, 0u);
  EXPECT_EQ(tcp("get k0\r\n").substr(0, 20), "VALUE k0 0 100000\r\nx");
  // An append whose own bytes find no memory: memcached's answer too.
  EXPECT_EQ(tcp("append k1 0 0 100000\r\n" + value + "\r\n"), "SERVER_ERROR out of memory storing object\r\n");
}

}  // namespace
}  // namespace unbuckle::proto::testing
