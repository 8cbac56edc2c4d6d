#include "control/stats_json.h"

#include <gtest/gtest.h>

namespace unbuckle::control {
namespace {

TEST(StatsJsonTest, IntegersAreNumbersTheRestStrings) {
  EXPECT_EQ(statsJson("STAT pid 42\r\nSTAT version 1.6.18\r\nSTAT rusage_user 0.012000\r\n"
                      "STAT curr_items 0\r\nSTAT odd 007\r\nSTAT neg -3\r\nEND\r\n"),
            R"({"pid": 42, "version": "1.6.18", "rusage_user": "0.012000", "curr_items": 0, "odd": "007", )"
            R"("neg": -3})");
}

TEST(StatsJsonTest, EscapesStrings) {
  EXPECT_EQ(statsJson("STAT a x\"y\\z\nSTAT empty\n"), R"({"a": "x\"y\\z", "empty": ""})");
  EXPECT_EQ(statsJson("END\r\n"), "{}");
}

}  // namespace
}  // namespace unbuckle::control
