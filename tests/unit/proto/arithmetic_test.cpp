// incr/decr, delete, touch: byte for byte as memcached 1.6.18 answered.
#include <thread>

#include "engine_fixture.h"

namespace unbuckle::proto::testing {
namespace {

using ArithmeticTest = EngineTest;
using KeyCommandTest = EngineTest;

TEST_F(ArithmeticTest, IncrDecrKeepLengthWithSpaces) {
  EXPECT_EQ(tcp("incr i1 1\r\nset i1 0 0 2\r\n10\r\nincr i1 5\r\ndecr i1 100\r\nget i1\r\n"
                "incr i1 12345\r\nget i1\r\n"),
            "NOT_FOUND\r\nSTORED\r\n15\r\n0\r\nVALUE i1 0 2\r\n0 \r\nEND\r\n12345\r\n"
            "VALUE i1 0 5\r\n12345\r\nEND\r\n");
}

TEST_F(ArithmeticTest, IncrWrapsAt2To64) {
  EXPECT_EQ(tcp("set i2 0 0 20\r\n18446744073709551615\r\nincr i2 1\r\nget i2\r\n"),
            "STORED\r\n0\r\nVALUE i2 0 20\r\n0                   \r\nEND\r\n");
}

TEST_F(ArithmeticTest, Errors) {
  EXPECT_EQ(tcp("set i3 0 0 3\r\nabc\r\nincr i3 1\r\nincr i3 abc\r\nincr i3 -1\r\n"
                "incr i3 18446744073709551616\r\n"),
            "STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
            "CLIENT_ERROR invalid numeric delta argument\r\nCLIENT_ERROR invalid numeric delta "
            "argument\r\nCLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(tcp("set i8 0 0 2\r\n10\r\nincr i8 1 noreply\r\nget i8\r\nincr i8 1 foo\r\nincr i8\r\n"
                "incr\r\nincr i8 1 2 3\r\n"),
            "STORED\r\nVALUE i8 0 2\r\n11\r\nEND\r\n12\r\nERROR\r\nERROR\r\nERROR\r\n");
  EXPECT_EQ(tcp("incr " + std::string(251, 'x') + " 1\r\n"), "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(ArithmeticTest, WhatCountsAsANumber) {
  EXPECT_EQ(tcp("set i4 0 0 0\r\n\r\nincr i4 1\r\nset i5 0 0 2\r\n 5\r\nincr i5 1\r\n"
                "set i6 0 0 3\r\n5 x\r\nincr i6 1\r\nset i7 0 0 3\r\n5x \r\nincr i7 1\r\n"),
            "STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nSTORED\r\n6\r\n"
            "STORED\r\n6\r\nSTORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric "
            "value\r\n");
  EXPECT_EQ(tcp("set i9 0 0 3\r\n-5 \r\nincr i9 1\r\nset i10 0 0 2\r\n+5\r\nincr i10 1\r\n"),
            "STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nSTORED\r\n6\r\n");
}

TEST_F(ArithmeticTest, LongerResultGetsAFreshItemWithSameFlagsAndTtl) {
  EXPECT_EQ(tcp("set i11 5 100 1\r\n9\r\nincr i11 1\r\ngets i11\r\n"),
            "STORED\r\n10\r\nVALUE i11 5 2 2\r\n10\r\nEND\r\n");
  clock_.advance(100);
  EXPECT_EQ(tcp("get i11\r\n"), "END\r\n");
}

TEST_F(ArithmeticTest, InPlaceUpdateTakesANewCas) {
  EXPECT_EQ(tcp("set n 0 0 3\r\n100\r\ndecr n 1\r\ngets n\r\n"), "STORED\r\n99\r\nVALUE n 0 3 2\r\n99 \r\nEND\r\n");
}

TEST_F(ArithmeticTest, Counters) {
  tcp("set n 0 0 1\r\n1\r\nincr n 1\r\nincr m 1\r\ndecr n 1\r\ndecr m 1\r\ndecr m 1\r\n");
  EXPECT_EQ(stat(&WorkerStats::incr_hits), 1u);
  EXPECT_EQ(stat(&WorkerStats::incr_misses), 1u);
  EXPECT_EQ(stat(&WorkerStats::decr_hits), 1u);
  EXPECT_EQ(stat(&WorkerStats::decr_misses), 2u);
}

TEST_F(ArithmeticTest, ConcurrentIncrementsAreNotLost) {
  tcp("set n 0 0 1\r\n0\r\n");
  constexpr int kPerThread = 2000;
  auto worker = [&] {
    WorkerStats& stats = registry_.addWorker();
    Session session;
    RecordingSink sink;
    for (int i = 0; i < kPerThread; ++i) engine_.process("incr n 1\r\n", sink, session, stats);
  };
  std::thread a(worker);
  std::thread b(worker);
  a.join();
  b.join();
  EXPECT_EQ(tcp("get n\r\n"), "VALUE n 0 4\r\n4000\r\nEND\r\n");
  EXPECT_EQ(stat(&WorkerStats::incr_hits), 2u * kPerThread);
}

TEST_F(KeyCommandTest, Delete) {
  EXPECT_EQ(tcp("delete d1\r\nset d1 0 0 1\r\nx\r\ndelete d1\r\ndelete d1 0\r\ndelete d1 noreply\r\n"
                "delete d1 0 noreply\r\ndelete d1 1\r\ndelete d1 0 0\r\ndelete\r\ndelete a b c d\r\n"
                "delete d1 noreply 0\r\ndelete d1 1 noreply\r\n"),
            "NOT_FOUND\r\nSTORED\r\nDELETED\r\nNOT_FOUND\r\n"
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nERROR\r\nERROR\r\n"
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
  EXPECT_EQ(stat(&WorkerStats::delete_hits), 1u);
  EXPECT_EQ(stat(&WorkerStats::delete_misses), 4u);
  EXPECT_EQ(tcp("delete " + std::string(251, 'x') + "\r\n"), "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(KeyCommandTest, Touch) {
  EXPECT_EQ(tcp("touch t1 10\r\nset t1 0 0 1\r\nx\r\ntouch t1 10\r\ntouch t1 abc\r\ntouch t1 -1\r\n"
                "get t1\r\ntouch t1\r\ntouch t1 1 noreply\r\n"),
            "NOT_FOUND\r\nSTORED\r\nTOUCHED\r\nCLIENT_ERROR invalid exptime argument\r\nTOUCHED\r\n"
            "END\r\nERROR\r\n");
  EXPECT_EQ(stat(&WorkerStats::cmd_touch), 4u);
  EXPECT_EQ(stat(&WorkerStats::touch_hits), 2u);
  EXPECT_EQ(stat(&WorkerStats::touch_misses), 2u);
  EXPECT_EQ(tcp("touch " + std::string(251, 'x') + " 1\r\n"), "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(KeyCommandTest, TouchMovesTheExpiry) {
  tcp("set t 0 5 1\r\nx\r\ntouch t 20\r\n");
  clock_.advance(19);
  EXPECT_EQ(tcp("get t\r\n"), "VALUE t 0 1\r\nx\r\nEND\r\n");
  clock_.advance(1);
  EXPECT_EQ(tcp("get t\r\n"), "END\r\n");
}

}  // namespace
}  // namespace unbuckle::proto::testing
