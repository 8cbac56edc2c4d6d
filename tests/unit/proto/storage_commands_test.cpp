// set/add/replace/append/prepend/cas. Expected bytes are what memcached
// 1.6.18 sent for the same input (cas values: a fresh server counts from 1).
#include "engine_fixture.h"

namespace unbuckle::proto::testing {
namespace {

using StorageTest = EngineTest;

TEST_F(StorageTest, SetThenGet) {
  EXPECT_EQ(tcp("set a 5 0 3\r\naaa\r\nget a\r\n"), "STORED\r\nVALUE a 5 3\r\naaa\r\nEND\r\n");
}

TEST_F(StorageTest, FlagsAre32BitsWithModuloQuirk) {
  EXPECT_EQ(tcp("set f1 4294967295 0 1\r\na\r\nget f1\r\n"),
            "STORED\r\nVALUE f1 4294967295 1\r\na\r\nEND\r\n");
  EXPECT_EQ(tcp("set f2 4294967296 0 1\r\na\r\nget f2\r\n"), "STORED\r\nVALUE f2 0 1\r\na\r\nEND\r\n");
  EXPECT_EQ(tcp("set f3 4294967297 0 1\r\na\r\nget f3\r\n"), "STORED\r\nVALUE f3 1 1\r\na\r\nEND\r\n");
  EXPECT_EQ(tcp("set f7 18446744073709551615 0 1\r\na\r\nget f7\r\n"),
            "STORED\r\nVALUE f7 4294967295 1\r\na\r\nEND\r\n");
  // strtoull negates "-18446744073709551615" to 1 and memcached keeps it.
  EXPECT_EQ(tcp("set f9 -18446744073709551615 0 1\r\na\r\nget f9\r\n"),
            "STORED\r\nVALUE f9 1 1\r\na\r\nEND\r\n");
}

TEST_F(StorageTest, BadNumbersAreRefusedWithoutSwallowingTheData) {
  const std::string refused = "CLIENT_ERROR bad command line format\r\nERROR\r\n";
  EXPECT_EQ(tcp("set f4 -1 0 1\r\na\r\n"), refused);
  EXPECT_EQ(tcp("set f5 abc 0 1\r\na\r\n"), refused);
  EXPECT_EQ(tcp("set f6 1a 0 1\r\na\r\n"), refused);
  EXPECT_EQ(tcp("set f8 18446744073709551616 0 1\r\na\r\n"), refused);
  EXPECT_EQ(tcp("set e4 0 abc 1\r\na\r\n"), refused);
  EXPECT_EQ(tcp("set v1 0 0 -1\r\na\r\n"), refused);
  EXPECT_EQ(tcp("set v2 0 0 abc\r\na\r\n"), refused);
  EXPECT_EQ(tcp("set v4 0 0 2147483646\r\na\r\n"), refused);
  EXPECT_EQ(tcp("cas c1 0 0 1 abc\r\ny\r\n"), refused);
}

TEST_F(StorageTest, DataLengthWrapsAt2To32) {
  EXPECT_EQ(tcp("set v3 0 0 4294967298\r\nab\r\nget v3\r\n"),
            "STORED\r\nVALUE v3 0 2\r\nab\r\nEND\r\n");
}

TEST_F(StorageTest, ExptimeRules) {
  EXPECT_EQ(tcp("set e1 0 -1 1\r\na\r\nget e1\r\n"), "STORED\r\nEND\r\n");
  EXPECT_EQ(tcp("set e2 0 2592000 1\r\na\r\nget e2\r\n"), "STORED\r\nVALUE e2 0 1\r\na\r\nEND\r\n");
  // Over 30 days is a unix time; 1970 is long gone.
  EXPECT_EQ(tcp("set e3 0 2592001 1\r\na\r\nget e3\r\n"), "STORED\r\nEND\r\n");
  // 32-bit truncation: 4294967295 is -1, 4294967296 is 0 (never).
  EXPECT_EQ(tcp("set e5 0 4294967295 1\r\na\r\nget e5\r\n"), "STORED\r\nEND\r\n");
  EXPECT_EQ(tcp("set e6 0 4294967296 1\r\na\r\nget e6\r\n"), "STORED\r\nVALUE e6 0 1\r\na\r\nEND\r\n");
  EXPECT_EQ(tcp("set e7 0 9999999999 1\r\na\r\nget e7\r\n"), "STORED\r\nEND\r\n");
}

TEST_F(StorageTest, RelativeAndAbsoluteExpiryFollowTheClock) {
  const time_t absolute = clock_.processStarted() + 100;
  tcp("set rel 0 10 1\r\na\r\nset abs 0 " + std::to_string(absolute) + " 1\r\nb\r\n");
  clock_.advance(9);
  EXPECT_EQ(tcp("get rel abs\r\n"), "VALUE rel 0 1\r\na\r\nVALUE abs 0 1\r\nb\r\nEND\r\n");
  clock_.advance(1);
  EXPECT_EQ(tcp("get rel\r\n"), "END\r\n");
  clock_.set(99);
  EXPECT_EQ(tcp("get abs\r\n"), "VALUE abs 0 1\r\nb\r\nEND\r\n");
  clock_.set(100);
  EXPECT_EQ(tcp("get abs\r\n"), "END\r\n");
  EXPECT_EQ(stat(&WorkerStats::get_expired), 2u);
}

TEST_F(StorageTest, Noreply) {
  EXPECT_EQ(tcp("set n1 0 0 1 noreply\r\na\r\nget n1\r\n"), "VALUE n1 0 1\r\na\r\nEND\r\n");
  EXPECT_EQ(tcp("set n2 0 0 1 norepl\r\na\r\n"), "STORED\r\n");
  EXPECT_EQ(tcp("add n1 0 0 1 noreply\r\nb\r\n"), "");
  EXPECT_EQ(tcp("cas n1 4 0 1 41 noreply\r\nz\r\n"), "");
}

TEST_F(StorageTest, WrongTokenCounts) {
  EXPECT_EQ(tcp("set n3 0 0\r\n"), "ERROR\r\n");
  EXPECT_EQ(tcp("set n4 0 0 1 noreply extra\r\na\r\n"), "ERROR\r\nERROR\r\n");
  EXPECT_EQ(tcp("cas c1 0 0 1\r\ny\r\n"), "ERROR\r\nERROR\r\n");
  EXPECT_EQ(tcp("set\r\n"), "ERROR\r\n");
}

TEST_F(StorageTest, BadDataChunk) {
  EXPECT_EQ(tcp("set k 0 0 3\r\nabcd\r\nget k\r\n"),
            "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n");
  EXPECT_EQ(tcp("set k2 0 0 3\r\nab\r\n\r\n"), "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
  // noreply hides the error too; the leftover "\n" still gets ERROR.
  EXPECT_EQ(tcp("set k3 0 0 3 noreply\r\nabcd\r\n"), "ERROR\r\n");
  EXPECT_EQ(stat(&WorkerStats::cmd_set), 3u);
}

TEST_F(StorageTest, KeyOver250Bytes) {
  const std::string key(251, 'x');
  EXPECT_EQ(tcp("set " + key + " 0 0 1\r\nx\r\n"), "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  EXPECT_EQ(tcp("set " + std::string(250, 'x') + " 0 0 1\r\nx\r\n"), "STORED\r\n");
}

TEST_F(StorageTest, TooLargeSwallowsTheDataAndDropsTheOldValue) {
  const std::string big(2000000, 'a');
  EXPECT_EQ(tcp("set big 0 0 1\r\nx\r\nset big 0 0 2000000\r\n" + big + "\r\nget big\r\n"),
            "STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n");
  // Only set drops the old value.
  EXPECT_EQ(tcp("add big2 0 0 1\r\nx\r\nadd big2 0 0 2000000\r\n" + big + "\r\nget big2\r\n"),
            "STORED\r\nSERVER_ERROR object too large for cache\r\nVALUE big2 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(stat(&WorkerStats::store_too_large), 2u);
}

TEST_F(StorageTest, ABlockLongerThanTheDatapathCanBufferIsRefusedAndSwallowed) {
  tcp("set kept 0 0 1\r\nx\r\nadd added 0 0 1\r\ny\r\n");
  session_.block_room = 100;
  // A block that has all arrived needs no more room.
  EXPECT_EQ(tcp("set whole 0 0 200\r\n" + std::string(200, 'w') + "\r\n"), "STORED\r\n");
  // An incomplete one is refused as memcached refuses an item it cannot
  // allocate, and what arrives of it is swallowed; a set drops the old value.
  EXPECT_EQ(tcp("set kept 0 0 1000\r\n" + std::string(300, 'a')),
            "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(session_.swallow, 1002u - 300u);
  EXPECT_EQ(tcp(std::string(702, 'a')), "");
  EXPECT_EQ(tcp("add added 0 0 1000\r\n"), "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(tcp(std::string(1002, 'b')), "");
  EXPECT_EQ(tcp("ms kept 1000 T0\r\n"), "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(tcp(std::string(1002, 'c')), "");
  session_.block_room = SIZE_MAX;
  EXPECT_EQ(tcp("get kept added\r\n"), "VALUE added 0 1\r\ny\r\nEND\r\n");
  EXPECT_EQ(stat(&WorkerStats::store_no_memory), 3u);
}

TEST_F(StorageTest, LargestValueIsMemcachedsLargest) {
  // -I bounds the whole item: memcached 1.6.18 -I 1m stores 1048516 bytes
  // under a 1-byte key and 1048267 under a 250-byte key, whatever the flags.
  const auto set = [&](const std::string& line, size_t n) {
    return tcp(line + std::to_string(n) + "\r\n" + std::string(n, 'a') + "\r\n");
  };
  EXPECT_EQ(set("set m 4294967295 0 ", 1048516), "STORED\r\n");
  EXPECT_EQ(set("set m 0 0 ", 1048517), "SERVER_ERROR object too large for cache\r\n");
  const std::string key(250, 'k');
  EXPECT_EQ(set("set " + key + " 5 0 ", 1048267), "STORED\r\n");
  EXPECT_EQ(set("set " + key + " 5 0 ", 1048268), "SERVER_ERROR object too large for cache\r\n");
}

TEST_F(StorageTest, AddReplaceAppendPrepend) {
  EXPECT_EQ(tcp("add a1 0 0 1\r\nx\r\nadd a1 0 0 1\r\ny\r\nget a1\r\n"),
            "STORED\r\nNOT_STORED\r\nVALUE a1 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(tcp("replace r1 0 0 1\r\nx\r\nset r1 0 0 1\r\nx\r\nreplace r1 3 0 2\r\nyy\r\nget r1\r\n"),
            "NOT_STORED\r\nSTORED\r\nSTORED\r\nVALUE r1 3 2\r\nyy\r\nEND\r\n");
  // append/prepend keep the old flags.
  EXPECT_EQ(tcp("append p1 0 0 1\r\nx\r\nprepend p1 0 0 1\r\nx\r\nset p1 7 0 2\r\nmm\r\n"
                "append p1 9 0 2\r\naa\r\nprepend p1 9 0 2\r\npp\r\nget p1\r\n"),
            "NOT_STORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nVALUE p1 7 6\r\nppmmaa\r\nEND\r\n");
}

TEST_F(StorageTest, AppendKeepsTheOldExptime) {
  tcp("set p 0 10 1\r\na\r\nappend p 0 0 1\r\nb\r\n");
  clock_.advance(10);
  EXPECT_EQ(tcp("get p\r\n"), "END\r\n");
}

TEST_F(StorageTest, Cas) {
  EXPECT_EQ(tcp("set c1 0 0 1\r\nx\r\ngets c1\r\n"), "STORED\r\nVALUE c1 0 1 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(tcp("cas c1 0 0 1 999\r\ny\r\ncas cmiss 0 0 1 1\r\ny\r\ncas c1 0 0 1 0\r\ny\r\n"),
            "EXISTS\r\nNOT_FOUND\r\nEXISTS\r\n");
  EXPECT_EQ(tcp("cas c1 3 0 1 1\r\nz\r\ngets c1\r\n"), "STORED\r\nVALUE c1 3 1 2\r\nz\r\nEND\r\n");
  EXPECT_EQ(stat(&WorkerStats::cas_hits), 1u);
  EXPECT_EQ(stat(&WorkerStats::cas_misses), 1u);
  EXPECT_EQ(stat(&WorkerStats::cas_badval), 2u);
}

TEST_F(StorageTest, OutOfMemoryWhenTheOnlyPageHoldsTheReplacedItem) {
  // The only page belongs to a's class and holds a, which must outlive the
  // allocation of its replacement: nothing can be evicted for it.
  store::StoreConfig small = storeConfig();
  small.memory_limit = 1u << 20;
  store::Store tiny(small, clock_);
  Engine engine(tiny, EngineConfig{}, registry_);
  RecordingSink sink;
  std::string fill = "set a 0 0 500000\r\n" + std::string(500000, 'a') + "\r\n";
  std::string input = fill + "set a 0 0 10\r\n0123456789\r\n";
  engine.process(input, sink, session_, worker_);
  EXPECT_EQ(sink.text().substr(0, 8), "STORED\r\n");
  EXPECT_EQ(sink.text().substr(8), "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(stat(&WorkerStats::store_no_memory), 1u);
}

}  // namespace
}  // namespace unbuckle::proto::testing
