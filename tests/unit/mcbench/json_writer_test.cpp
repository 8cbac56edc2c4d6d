#include "mcbench/json_writer.h"

#include <gtest/gtest.h>

namespace unbuckle::mcbench {
namespace {

TEST(JsonWriter, NestsAndEscapes) {
  JsonWriter json;
  json.beginObject()
      .field("name", "a\"b\\c\n")
      .field("count", uint64_t{3})
      .field("ratio", 0.5)
      .field("ok", true)
      .nullField("cpu")
      .beginArray("items")
      .beginObject()
      .field("x", uint64_t{1})
      .endObject()
      .beginObject()
      .endObject()
      .endArray()
      .beginObject("inner")
      .field("ctl", std::string_view("\x01", 1))
      .endObject()
      .endObject();
  EXPECT_EQ(
      json.str(),
      R"({"name":"a\"b\\c\n","count":3,"ratio":0.5,"ok":true,"cpu":null,"items":[{"x":1},{}],"inner":{"ctl":"\u0001"}})");
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
  JsonWriter json;
  json.beginObject().field("nan", 0.0 / 0.0).endObject();
  EXPECT_EQ(json.str(), R"({"nan":null})");
}

}  // namespace
}  // namespace unbuckle::mcbench
