// Meta commands. Expected bytes come from memcached 1.6.18 transcripts;
// cas values are renumbered for a fresh store (memcached's count from 1 too).
#include "engine_fixture.h"

namespace unbuckle::proto::testing {
namespace {

class MetaTest : public EngineTest {
 protected:
  // "cls=<class> size=<bytes>" of a stored key, as this store lays it out.
  std::string classAndSize(std::string_view key) {
    return store_.access(key, [](store::Access& a) {
      const store::Item* it = a.item();
      return "cls=" + std::to_string(it->slabClass()) + " size=" + std::to_string(it->totalSize());
    });
  }
};

std::string repeatedFlags(int n) {
  std::string flags;
  for (int i = 1; i <= n; ++i) flags += " " + std::to_string(i);
  return flags;
}

TEST_F(MetaTest, GetReturnFlags) {
  EXPECT_EQ(tcp("ms mk 2 T0 F5\r\nhi\r\nmg mk v f c s\r\nmg mk\r\nmg mk k t O123 q\r\nmg miss k O1\r\n"
                "mg miss q\r\nmg miss v q k\r\nmn\r\n"),
            "HD\r\nVA 2 f5 c1 s2\r\nhi\r\nHD\r\nHD kmk t-1 O123\r\nEN kmiss O1\r\nMN\r\n");
  EXPECT_EQ(tcp("ms m1 2\r\nhi\r\nmg m1 s v\r\nmg m1 h l t\r\nmg m1 h\r\nmg m1 k t T500\r\nmg m1 t\r\n"),
            "HD\r\nVA 2 s2\r\nhi\r\nHD h1 l0 t-1\r\nHD h1\r\nHD km1 t-1\r\nHD t500\r\n");
}

TEST_F(MetaTest, MissingKeyAndUnknownMetaCommands) {
  EXPECT_EQ(tcp("mg\r\nms\r\nmd\r\nma\r\nme\r\nmn extra\r\nmz a\r\n"),
            "ERROR\r\nERROR\r\nERROR\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nMN\r\nERROR\r\n");
}

TEST_F(MetaTest, GetFlagErrors) {
  tcp("ms m1 2\r\nhi\r\n");
  EXPECT_EQ(tcp("mg m1 x\r\nmg m1 v v\r\nmg m1 Tabc\r\nmg m1 Nabc\r\nmg m1 Rabc\r\nmg m1 C5\r\n"
                "mg m1 F5 M5 J1 D1 I\r\nmg m1 E5\r\nmg m1 P L\r\n"),
            "CLIENT_ERROR invalid flag\r\nCLIENT_ERROR duplicate flag\r\n"
            "CLIENT_ERROR bad token in command line format\r\nCLIENT_ERROR bad token in command line "
            "format\r\nCLIENT_ERROR bad token in command line format\r\nHD\r\nHD\r\n"
            "CLIENT_ERROR invalid flag\r\nHD\r\n");
  EXPECT_EQ(tcp("mg m1" + repeatedFlags(17) + "\r\n"), "CLIENT_ERROR invalid flag\r\n");
  EXPECT_EQ(tcp("mg m1 a b c d e f g h i j k l m n o p q r\r\n"),
            "CLIENT_ERROR options flags are too long\r\n");
  EXPECT_EQ(tcp("mg m1 v O12345678901234567890123456789012\r\n"), "CLIENT_ERROR opaque token too long\r\n");
  EXPECT_EQ(tcp("mg m1 v O1234567890123456789012345678901\r\n"),
            "VA 2 O1234567890123456789012345678901\r\nhi\r\n");
  EXPECT_EQ(tcp("mg nope q O12345678901234567890123456789012\r\n"), "CLIENT_ERROR opaque token too long\r\n");
  EXPECT_EQ(tcp("mg m1 t T0 t\r\n"), "CLIENT_ERROR duplicate flag\r\n");
  EXPECT_EQ(tcp("mg m1 \xff\r\n"), "CLIENT_ERROR duplicate flag\r\n");
}

TEST_F(MetaTest, SetErrorsAndWhatTheySwallow) {
  EXPECT_EQ(tcp("ms m2 2" + repeatedFlags(17) + "\r\nhi\r\nms m2 2 Mx\r\nhi\r\nms m2 2 MSS\r\nhi\r\n"
                "ms m2 2 x\r\nhi\r\nms m2 2 v v\r\nhi\r\nms m2 abc\r\nhi\r\nms m2\r\nhi\r\nms m2 -1\r\nhi\r\n"),
            "CLIENT_ERROR options flags too long\r\nERROR\r\nCLIENT_ERROR invalid mode for ms M token\r\n"
            "CLIENT_ERROR incorrect length for M token\r\nCLIENT_ERROR invalid flag\r\n"
            "CLIENT_ERROR duplicate flag\r\nCLIENT_ERROR bad command line format\r\nERROR\r\n"
            "CLIENT_ERROR bad command line format\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nERROR\r\n");
  EXPECT_EQ(tcp("ms bad key 1\r\nx\r\n"), "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  EXPECT_EQ(tcp("ms k 1 S5\r\nx\r\nms k 1 O\r\nx\r\nmg k O v\r\nmg k k O q v\r\n"),
            "CLIENT_ERROR invalid flag\r\nHD O\r\nVA 1 O\r\nx\r\nVA 1 kk O\r\nx\r\n");
  EXPECT_EQ(tcp("ms k 1 O123456789012345678901234567890123\r\nx\r\n"),
            "CLIENT_ERROR opaque token too long\r\n");
  EXPECT_EQ(tcp("ms m10 2\r\nabc\r\nmg m10 v\r\nms m10 2 q\r\nabc\r\n"),
            "CLIENT_ERROR bad data chunk\r\nERROR\r\nEN\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\n");
}

TEST_F(MetaTest, SetNumbersWrapLikeClassicSet) {
  EXPECT_EQ(tcp("ms m7 2 F4294967297\r\nab\r\nmg m7 f\r\nms m8 4294967298\r\nab\r\nmg m8 v\r\n"
                "ms m9 2 Fabc\r\nab\r\nms m9 2 Cabc\r\nab\r\n"),
            "HD\r\nHD f1\r\nHD\r\nVA 2\r\nab\r\nCLIENT_ERROR bad command line format\r\n"
            "CLIENT_ERROR bad token in command line format\r\n");
}

TEST_F(MetaTest, SetModes) {
  EXPECT_EQ(tcp("ms m4 2 q\r\nhi\r\nms m4 2 ME q\r\nhi\r\nms m4 2 ME c\r\nhi\r\nms m4 2 MR C99 c\r\nhi\r\n"
                "ms m4 2 MA\r\nxx\r\nmg m4 v c\r\n"),
            "NS\r\nNS c0\r\nEX c0\r\nHD\r\nVA 4 c2\r\nhixx\r\n");
  EXPECT_EQ(tcp("ms m5 2 MA\r\nhi\r\nms m5 2 MP\r\nhi\r\nms m5 2 MR\r\nhi\r\nms m5 2 ME C99\r\nhi\r\n"
                "mg m5 v\r\n"),
            "NS\r\nNS\r\nNS\r\nHD\r\nVA 2\r\nhi\r\n");
  // append/prepend keep the old flags and TTL.
  EXPECT_EQ(tcp("ms m6 2 T100 F7\r\nab\r\nms m6 2 MA F9 T0\r\ncd\r\nms m6 2 MP\r\nzz\r\nmg m6 v f t\r\n"),
            "HD\r\nHD\r\nHD\r\nVA 6 f7 t100\r\nzzabcd\r\n");
  // A cas on a missing key: NF. Append compares the cas too.
  EXPECT_EQ(tcp("ms m7 2 c C3\r\nhi\r\nmg m6 c\r\nms m6 2 MA C99\r\nhi\r\nms m6 2 MA C6 c\r\nhi\r\n"),
            "NF c0\r\nHD c6\r\nEX\r\nHD c7\r\n");
}

TEST_F(MetaTest, SetTtlFlags) {
  // 1 - now wraps: memcached prints the TTL as unsigned.
  EXPECT_EQ(tcp("ms tt1 1\r\nx\r\nmg tt1 T-1 t v\r\nmg tt1 v\r\n"), "HD\r\nVA 1 t4294967295\r\nx\r\nEN\r\n");
  EXPECT_EQ(tcp("ms tt2 1 T-1\r\nx\r\nmg tt2 v\r\n"), "HD\r\nEN\r\n");
  EXPECT_EQ(tcp("ms tt3 1 T30\r\nx\r\nmg tt3 t\r\n"), "HD\r\nHD t30\r\n");
}

TEST_F(MetaTest, Base64Keys) {
  EXPECT_EQ(tcp("ms m3 2 c k O9 b\r\nhi\r\nms bTM= 2 b k c\r\nhi\r\nmg bTM= b k v\r\nmg bTM= k v\r\n"
                "mg m3 v\r\nmg m3 k\r\n"),
            "CLIENT_ERROR error decoding key\r\nHD kbTM= b c1\r\nVA 2 kbTM= b\r\nhi\r\nEN kbTM=\r\n"
            "VA 2\r\nhi\r\nHD kbTM= b\r\n");
  EXPECT_EQ(tcp("mg k b\r\nmg aGVsbG8= b v\r\nms aGVsbG8= 2 b\r\nhi\r\nmg aGVsbG8= b v k\r\nmg hello k v\r\n"),
            "CLIENT_ERROR error decoding key\r\nEN\r\nHD\r\nVA 2 kaGVsbG8= b\r\nhi\r\nVA 2 kaGVsbG8= b\r\nhi\r\n");
  EXPECT_EQ(tcp("me hello\r\n"), "ME aGVsbG8= exp=-1 la=0 cas=2 fetch=yes " + classAndSize("hello") + "\r\n");
  EXPECT_EQ(tcp("md aGVsbG8= b k\r\n"), "HD kaGVsbG8= b\r\n");
  // Characters outside the alphabet are skipped; lengths must be whole blocks.
  EXPECT_EQ(tcp("mg a$G$V$s b k v\r\nmg YQ b k\r\nmg YWJj=== b k\r\nmg YW=j b v\r\n"),
            "EN kaGVs b\r\nCLIENT_ERROR error decoding key\r\nCLIENT_ERROR error decoding key\r\nEN\r\n");
}

TEST_F(MetaTest, Delete) {
  EXPECT_EQ(tcp("md dm1\r\nmd dm1 q\r\nmd dm1 k O5\r\nms dm1 1\r\nx\r\nmd dm1 q\r\nmg dm1\r\nms dm1 1\r\nx\r\n"
                "md dm1 k O5 C1\r\nmd dm1 x\r\nmd dm1 E1\r\nmd dm1 v v\r\nmd dm1 Cabc\r\nmd dm1" +
                repeatedFlags(18) + "\r\nmd dm1 k O5\r\n"),
            "NF\r\nNF\r\nNF kdm1 O5\r\nHD\r\nEN\r\nHD\r\nEX kdm1 O5\r\n"
            "CLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\n"
            "CLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\n"
            "CLIENT_ERROR options flags too long\r\nHD kdm1 O5\r\n");
  EXPECT_EQ(stat(&WorkerStats::delete_hits), 2u);
  EXPECT_EQ(stat(&WorkerStats::delete_misses), 4u);
}

TEST_F(MetaTest, StaleItemsAndWinTokens) {
  EXPECT_EQ(tcp("ms st1 1 T100\r\nx\r\nmg st1 c\r\nmd st1 I T30\r\nmg st1 t c v\r\nmg st1 t c v\r\n"
                "mg st1 v\r\nms st1 1 C1 I\r\ny\r\nmg st1 v c\r\n"),
            "HD\r\nHD c1\r\nHD\r\nVA 1 t30 c2 X W\r\nx\r\nVA 1 t30 c2 Z X\r\nx\r\nVA 1 Z X\r\nx\r\nHD\r\n"
            "VA 1 c3 Z X\r\ny\r\n");
  EXPECT_EQ(tcp("ms st2 1\r\nx\r\nmg st2 c\r\nmd st2 I\r\nmg st2 c\r\nms st2 1 I C9999\r\nz\r\n"
                "ms st2 1 I C4\r\nq\r\nmg st2 v c t\r\nmg st2 v c t\r\n"),
            "HD\r\nHD c4\r\nHD\r\nHD c5 X W\r\nEX\r\nHD\r\nVA 1 c6 t-1 Z X\r\nq\r\nVA 1 c6 t-1 Z X\r\nq\r\n");
  // I without C is a plain set.
  EXPECT_EQ(tcp("ms st3 1 I\r\nx\r\nmg st3 v\r\n"), "HD\r\nVA 1\r\nx\r\n");
}

TEST_F(MetaTest, VivifyOnMiss) {
  EXPECT_EQ(tcp("mg nv1 N30 v c t s k\r\nmg nv1 N30 v c t s\r\nmg nv1 v\r\nget nv1\r\nmg nv2 N30 q\r\n"
                "mg nv2 q v\r\n"),
            "VA 0 c1 t30 s0 knv1 W\r\n\r\nVA 0 c1 t30 s0 Z\r\n\r\nVA 0 Z\r\n\r\nVALUE nv1 0 0\r\n\r\nEND\r\n"
            "HD W\r\nVA 0 Z\r\n\r\n");
}

TEST_F(MetaTest, RecacheToken) {
  EXPECT_EQ(tcp("ms r1 1 T10\r\nx\r\nmg r1 R30 v t\r\nmg r1 R30 v t\r\nmg r1 R5 v\r\nms r2 1\r\nx\r\n"
                "mg r2 R30 v\r\n"),
            "HD\r\nVA 1 t10 W\r\nx\r\nVA 1 t10 Z\r\nx\r\nVA 1 Z\r\nx\r\nHD\r\nVA 1\r\nx\r\n");
}

TEST_F(MetaTest, Arithmetic) {
  EXPECT_EQ(tcp("ma am1\r\nma am1 q\r\nma am1 N0 J10 v\r\nma am1 v\r\nma am1 MD D3 v t c\r\n"
                "ma am1 M- D100 v\r\nmg am1 v\r\nma am1 q\r\nma am1 q v\r\nma am1 k O9 q\r\n"),
            "NF\r\nNF\r\nVA 2\r\n10\r\nVA 2\r\n11\r\nVA 1 t-1 c3\r\n8\r\nVA 1\r\n0\r\nVA 2\r\n0 \r\n");
  EXPECT_EQ(tcp("ma am2 N0 J10\r\nma am2 N0 J10 q\r\nma am3 N0 J10 q\r\nma am3 J5 D7 N0 v\r\nma am3 x\r\n"
                "ma am3 Dabc\r\nma am3 Jabc\r\nma am3 MX\r\nma am3 MII\r\nma am3 C1 v\r\nma am3 v c\r\n"),
            "HD\r\nHD\r\nVA 2\r\n17\r\nCLIENT_ERROR invalid or duplicate flag\r\n"
            "CLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\n"
            "CLIENT_ERROR invalid mode for ma M token\r\nCLIENT_ERROR invalid or duplicate flag\r\nEX\r\n"
            "VA 2 c12\r\n18\r\n");
  EXPECT_EQ(tcp("ms am4 3\r\nabc\r\nma am4\r\nma am4 q\r\nma miss4 k O7 v\r\nma am4 T100 t v\r\n"),
            "HD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nNF kmiss4 O7\r\n"
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  EXPECT_EQ(tcp("ms am5 2\r\n99\r\nma am5 v\r\nmg am5 v s\r\nma am5 N5 v\r\n"),
            "HD\r\nVA 3\r\n100\r\nVA 3 s3\r\n100\r\nVA 3\r\n101\r\n");
  EXPECT_EQ(tcp("ma va1 t N30 v\r\nma va2 N30 t v\r\nma va3 N30 J5 v c\r\n"),
            "VA 1 t-1\r\n0\r\nVA 1 t30\r\n0\r\nVA 1 c19\r\n5\r\n");
}

TEST_F(MetaTest, Debug) {
  EXPECT_EQ(tcp("ms me1 5 F3 T100\r\nhello\r\n"), "HD\r\n");
  const std::string item = "ME me1 exp=-100 la=0 cas=1 fetch=no " + classAndSize("me1") + "\r\n";
  const std::string fetched = "ME me1 exp=-100 la=0 cas=1 fetch=yes " + classAndSize("me1") + "\r\n";
  EXPECT_EQ(tcp("me me1\r\nme miss\r\nme me1 extra\r\nmg me1 v\r\nme me1\r\nme bWUx b\r\nme bWUx\r\n"),
            item + "EN\r\n" + item + "VA 5\r\nhello\r\n" + fetched + fetched + "EN\r\n");
  EXPECT_EQ(tcp("me YQ b\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(stat(&WorkerStats::cmd_meta), 6u);   // a key that fails to decode is not counted
}

TEST_F(MetaTest, KeyOver250Bytes) {
  const std::string key(251, 'x');
  EXPECT_EQ(tcp("mg " + key + " v\r\nms " + key + " 1\r\nx\r\nmd " + key + "\r\nma " + key + "\r\nme " + key + "\r\n"),
            "CLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nERROR\r\n"
            "CLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\n"
            "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(MetaTest, Counters) {
  tcp("ms a 1\r\nx\r\nmg a v\r\nmg b v\r\nmg a T10\r\nmg b T10\r\n");
  EXPECT_EQ(stat(&WorkerStats::cmd_set), 1u);
  EXPECT_EQ(stat(&WorkerStats::cmd_get), 3u);
  EXPECT_EQ(stat(&WorkerStats::get_hits), 1u);
  EXPECT_EQ(stat(&WorkerStats::get_misses), 2u);
  EXPECT_EQ(stat(&WorkerStats::cmd_touch), 1u);
  EXPECT_EQ(stat(&WorkerStats::touch_hits), 1u);
}

}  // namespace
}  // namespace unbuckle::proto::testing
