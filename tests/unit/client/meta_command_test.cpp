// The key that places a meta command on a pool's server, and the commands
// that name none.
#include "client/meta_command.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace unbuckle::client {
namespace {

TEST(MetaKey, IsTheCommandsSecondWord) {
  EXPECT_EQ(metaKey("mg foo v f c"), "foo");
  EXPECT_EQ(metaKey("ms user:1 5 T60"), "user:1");
  EXPECT_EQ(metaKey("md k"), "k");
  EXPECT_EQ(metaKey("ma  counter  D2"), "counter");
}

void expectRefused(const std::string& command, const std::string& why) {
  try {
    metaKey(command);
    ADD_FAILURE() << command << " was given a key";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

TEST(MetaKey, RefusesCommandsThatNameNoServer) {
  expectRefused("mn", "names no key");
  expectRefused("mg", "names no key");
  expectRefused("", "names no key");
  expectRefused("mg Zm9v b v", "base64 key (flag b)");
  // A key of "b" is a key, not the flag.
  EXPECT_EQ(metaKey("mg b v"), "b");
}

}  // namespace
}  // namespace unbuckle::client
