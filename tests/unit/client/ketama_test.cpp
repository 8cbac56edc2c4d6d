// Ketama placement against vectors taken from the reference implementations:
// libmemcached 1.1.4 (Debian's libmemcached11) through its
// memcached_generate_hash(), with the servers added first and the behaviours
// set after, as pylibmc does; twemproxy 0.5.0 (Debian's nutcracker) by
// setting keys through it and finding which member holds each.
// tests/integration/clients/ketama_placement.py checks the same against
// live pylibmc and nutcracker pools.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ketama.h"
#include "md5.h"

namespace unbuckle::client {
namespace {

std::string hex(const Md5Digest& digest) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(hex(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(hex(md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(hex(md5("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(hex(md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(hex(md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, PaddingAtEveryBlockBoundary) {
  // Lengths 55, 56, 63, 64 and 65 cross the one- and two-block tails.
  EXPECT_EQ(hex(md5(std::string(55, 'x'))), "04364420e25c512fd958a70738aa8f72");
  EXPECT_EQ(hex(md5(std::string(56, 'x'))), "668a72d5ba17f08e62dabcafad6db14b");
  EXPECT_EQ(hex(md5(std::string(63, 'x'))), "7dc2ca208106a2f703567bdff99d8981");
  EXPECT_EQ(hex(md5(std::string(64, 'x'))), "c1bb4f81d892b2d57947682aeb252456");
  EXPECT_EQ(hex(md5(std::string(65, 'x'))), "1bc932052302d074bdec39795fe00cf6");
}

std::vector<ServerSpec> three(uint32_t w0 = 1, uint32_t w1 = 1, uint32_t w2 = 1) {
  // The first on memcached's default port, whose points drop ":11211".
  return {{"10.0.0.1", 11211, w0, ""}, {"10.0.0.2", 11212, w1, ""}, {"cache-3.example", 11213, w2, ""}};
}

// <net><i>:<firstPort + i> for i < n, the first of weight firstWeight.
std::vector<ServerSpec> numbered(const std::string& net, int n, int firstPort, uint32_t firstWeight = 1) {
  std::vector<ServerSpec> servers;
  for (int i = 0; i < n; ++i) {
    servers.push_back({net + std::to_string(i), static_cast<uint16_t>(firstPort + i), i ? 1 : firstWeight, ""});
  }
  return servers;
}

std::vector<ServerSpec> seven() { return numbered("10.1.0.", 7, 11211); }

// Server index of "key-0" .. "key-<n-1>", one base-36 digit each.
std::string placements(const Continuum& continuum, size_t n) {
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kDigits[continuum.serverIndex("key-" + std::to_string(i))];
  return out;
}

// Keys with bytes >= 0x80 (sign-extended by the references), a long key.
std::vector<size_t> oddPlacements(const Continuum& continuum) {
  const std::vector<std::string> keys = {"\xe9t\xe9", std::string(10, '\xff'), "a", "user:1234:profile",
                                         std::string(250, 'x')};
  std::vector<size_t> out;
  for (const auto& key : keys) out.push_back(continuum.serverIndex(key));
  return out;
}

using V = std::vector<size_t>;

TEST(LibmemcachedKetamaWeighted, EqualWeights) {
  const Continuum c(three(), Distribution::LibmemcachedKetamaWeighted);
  EXPECT_EQ(c.pointCount(), 480u);
  EXPECT_EQ(placements(c, 240),
            "211110101110011012020021111001100101201010200222202200020200100112120011202202112220002111201212122222"
            "100100002010022101211200010120200212222211001122002112121122110020201011000000012020101200000011120210"
            "112100021020002000200212100100100112");
  EXPECT_EQ(oddPlacements(c), (V{1, 0, 1, 1, 2}));
}

TEST(LibmemcachedKetamaWeighted, Weights132) {
  const Continuum c(three(1, 3, 2), Distribution::LibmemcachedKetamaWeighted);
  // 160 * 3 * weight / 6: 80, 240 and 160 points.
  EXPECT_EQ(c.pointCount(), 480u);
  EXPECT_EQ(placements(c, 240),
            "211111111110011112021221111011111101201110211122202210121210110112120011212222111211102111201212121222"
            "101111002111012111211210011121201112222211001122202112121122111120211011221101012110101210112111110210"
            "112100021020002000200212111110102112");
  EXPECT_EQ(oddPlacements(c), (V{1, 0, 1, 1, 2}));
}

TEST(LibmemcachedKetamaWeighted, SevenServersRoundInFloat) {
  const Continuum c(seven(), Distribution::LibmemcachedKetamaWeighted);
  EXPECT_EQ(placements(c, 240),
            "152554326355153365513046044604144202515353101246654031443211511106626465113511133441252461251403505641"
            "103556422555366510556451533053112646302116235535131654400661234043415510525454322054522020061642244613"
            "212300334601216045161151045324433446");
  EXPECT_EQ(oddPlacements(c), (V{1, 6, 2, 3, 2}));
}

// The points per server come from float arithmetic: with 25 equal servers
// 1/25 * 160 / 4 * 25 is 39.99999 in float, so each gets 156 points, not 160;
// a server of weight 6 among 19 of weight 1 gets 191 * 4, not 192 * 4.
TEST(LibmemcachedKetamaWeighted, PointCountsRoundInFloat) {
  const Continuum c25(numbered("10.2.0.", 25, 11300), Distribution::LibmemcachedKetamaWeighted);
  EXPECT_EQ(c25.pointCount(), 25u * 156u);
  EXPECT_EQ(placements(c25, 240),
            "kk4229k50mlao5mde4a8haa3gjlh4ka4019ja36ao7g5g11h1ef5lomc49ckdm8dfkin0ee2foaeekg5j8j06bklagb7mhjk6l1ci"
            "64dd5bhadbf1lhh3ll3cen9k0eb21ad9b0oiln8bodloli0k92bg7l59f6893o7lj7dime5j3no223iaol2127fefghhid7d87j09"
            "1a5hnb3c8887lh49ej1k17oblbejdm8727m79m");
  const Continuum c20(numbered("10.3.0.", 20, 11300, 6), Distribution::LibmemcachedKetamaWeighted);
  EXPECT_EQ(placements(c20, 240),
            "jjea780ee1j30j50g20aghd08fid8eh86ha990j43a750g5925dcj0000h8d8109b97d00e0jd2aab0gji58hf1i28008653j00g03"
            "12j06ea60jej01hj0jd0564055j6i07b21gj00d56eg071h5b012j70e03jhhhgf29iaecb270b3a20c5g870d0j2gj101a0abh5h0"
            "g4de28fg08ai4bia04e03b0b0317i615e0e6");
}

TEST(LibmemcachedKetama, OneAtATime) {
  const Continuum c(three(), Distribution::LibmemcachedKetama);
  EXPECT_EQ(c.pointCount(), 300u);
  EXPECT_EQ(placements(c, 240),
            "021121112200000101000012011112202001222210200222102022100102202121120020111110122210002211120122100220"
            "000022110020101011002222020211212021012110022211000010112011210201111112201110211101000010000201101001"
            "010220120021212000211022220012200111");
  EXPECT_EQ(oddPlacements(c), (V{1, 2, 0, 2, 2}));
  const Continuum c7(seven(), Distribution::LibmemcachedKetama);
  EXPECT_EQ(placements(c7, 240),
            "646132221100321135501034503544025550612036124543141011360223164400200464035306241525564313213310413105"
            "164565012040314443154262144133305545140306333325165466405661322620126613632111555113260112061045360014"
            "336601134164360443356626642154051165");
  EXPECT_EQ(oddPlacements(c7), (V{1, 3, 0, 2, 1}));
}

TEST(LibmemcachedKetama, Md5) {
  // libmemcached hashes the points with the hash in force when the continuum
  // is built: pylibmc sets "hash" before "ketama" whatever the dict's order.
  const Continuum c(three(), Distribution::LibmemcachedKetamaMd5);
  EXPECT_EQ(c.pointCount(), 300u);
  EXPECT_EQ(placements(c, 240),
            "000110010002201012001201020210110020121012021222200112020210002012002011111220202020212012200010110220"
            "200001202001001001210102012120020000102110120022000001210002200222211001200012011100011122100012120220"
            "212000222002212012202002201112020202");
  EXPECT_EQ(oddPlacements(c), (V{0, 1, 2, 1, 0}));
}

std::vector<ServerSpec> named(uint32_t w0, uint32_t w1, uint32_t w2) {
  // twemproxy hashes the names, so where these servers are does not matter.
  return {{"127.0.0.1", 1, w0, "alpha"}, {"127.0.0.1", 2, w1, "beta"}, {"127.0.0.1", 3, w2, "gamma"}};
}

// Keys "<(i * 2654435761) mod 2^32>": fnv1a_64's 32-bit state puts
// "key-0".."key-99" on one server, so these vectors use scattered numbers.
// `prefix` "\xe9" puts a byte >= 0x80 (sign-extended) in every key.
std::string scatteredPlacements(const Continuum& continuum, size_t n, const std::string& prefix = "") {
  std::string out;
  for (uint64_t i = 0; i < n; ++i) {
    out += char('0' + continuum.serverIndex(prefix + std::to_string((i * 2654435761u) & 0xffffffffu)));
  }
  return out;
}

TEST(TwemproxyKetama, Md5NamedWeights132) {
  const Continuum c(named(1, 3, 2), Distribution::TwemproxyKetamaMd5);
  EXPECT_EQ(c.pointCount(), 480u);
  EXPECT_EQ(placements(c, 240),
            "022002021221120120111001102111212222012212111110012121110022010200121210111012110202211211201211212101"
            "211021111122212212222201102111122111111211121210122021011211122100022121021122120212111100222221222112"
            "212122110111100212221122110021212021");
  EXPECT_EQ(oddPlacements(c), (V{2, 1, 0, 2, 1}));
}

TEST(TwemproxyKetama, Fnv1a64Named) {
  const Continuum c(named(1, 1, 1), Distribution::TwemproxyKetamaFnv1a64);
  EXPECT_EQ(scatteredPlacements(c, 240),
            "200102001220022202202120220220211020201022202112101101020102010021211101202221201112220102020200001221"
            "010020010221222022102102202101211201000021201121201000121222200222021122210110202000012120201122210101"
            "200011121012110122122002102021111110");
  EXPECT_EQ(oddPlacements(c), (V{2, 0, 2, 2, 2}));
  EXPECT_EQ(scatteredPlacements(c, 100, "\xe9"),
            "1122211020101020102010210122121222022210120112220202112011200022201010101112020012002011110211121020");
  const Continuum weighted(named(1, 3, 2), Distribution::TwemproxyKetamaFnv1a64);
  EXPECT_EQ(scatteredPlacements(weighted, 240),
            "200122021211022222212120121220211010221022202112121101020102111021111101202221211112220112020211001211"
            "111021111221222111102102102101211201100121201121211010111222211222021122211111221100011120211121210101"
            "112011121112112112122012112011111112");
  EXPECT_EQ(oddPlacements(weighted), (V{2, 1, 2, 1, 2}));
  EXPECT_EQ(scatteredPlacements(weighted, 100, "\xe9"),
            "1121211121101120102010211122111212122210121112220222112211200122101010101112122112012211110111111121");
}

// Without a name twemproxy hashes "host:port", or "host" on port 11211.
TEST(TwemproxyKetama, UnnamedServersHashHostAndPort) {
  const std::vector<ServerSpec> unnamed = {{"10.0.0.1", 11211, 1, ""}, {"10.0.0.2", 11212, 2, ""}};
  const std::vector<ServerSpec> spelled = {{"x", 1, 1, "10.0.0.1"}, {"y", 2, 2, "10.0.0.2:11212"}};
  for (Distribution d : {Distribution::TwemproxyKetamaMd5, Distribution::TwemproxyKetamaFnv1a64}) {
    const Continuum a(unnamed, d);
    const Continuum b(spelled, d);
    for (int i = 0; i < 500; ++i) {
      const std::string key = std::to_string(i * 7919);
      ASSERT_EQ(a.serverIndex(key), b.serverIndex(key)) << distributionName(d) << " " << key;
    }
  }
}

TEST(Continuum, OneServerTakesEveryKey) {
  const Continuum c({{"h", 1, 1, ""}}, Distribution::TwemproxyKetamaFnv1a64);
  EXPECT_EQ(c.serverIndex("anything"), 0u);
  EXPECT_EQ(c.serverIndex(""), 0u);
}

// An ejected server's points leave the ring and the others' are rescaled,
// as when libmemcached or twemproxy rebuild without it: the placement is that
// of the pool of the live servers alone, in the original indices.
TEST(Continuum, DeadServersArePlacedAsAPoolWithoutThem) {
  for (Distribution d : {Distribution::LibmemcachedKetamaWeighted, Distribution::LibmemcachedKetama,
                         Distribution::TwemproxyKetamaMd5, Distribution::TwemproxyKetamaFnv1a64}) {
    const bool weighted = d != Distribution::LibmemcachedKetama;
    const auto all = weighted ? three(2, 1, 3) : three();
    const Continuum withDead(all, d, {true, false, true});
    const Continuum liveOnly({all[0], all[2]}, d);
    for (int i = 0; i < 500; ++i) {
      const std::string key = "k" + std::to_string(i);
      const size_t expected = liveOnly.serverIndex(key) == 0 ? 0 : 2;
      ASSERT_EQ(withDead.serverIndex(key), expected) << distributionName(d) << " " << key;
    }
  }
}

std::string refusal(const std::vector<ServerSpec>& servers, Distribution d, std::vector<bool> live = {}) {
  try {
    if (live.empty()) {
      Continuum(servers, d);
    } else {
      Continuum(servers, d, live);
    }
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Continuum, RefusesWhatTheReferenceWouldNotPlaceAlike) {
  EXPECT_EQ(refusal({}, Distribution::LibmemcachedKetamaWeighted),
            "ketama: the pool has no server; give at least one");
  EXPECT_EQ(refusal(three(1, 2, 1), Distribution::LibmemcachedKetama),
            "ketama: server 10.0.0.2:11212: weight 2 under libmemcached-ketama, which ignores weights as "
            "pylibmc's \"ketama\" does; set weight 1 or use libmemcached-ketama-weighted");
  EXPECT_EQ(refusal({{"h", 1, 1, "shard"}}, Distribution::LibmemcachedKetamaWeighted),
            "ketama: server h:1: name \"shard\" under libmemcached-ketama-weighted: only twemproxy places keys "
            "by server name; drop the name");
  EXPECT_EQ(refusal(three(), Distribution::TwemproxyKetamaMd5, {false, false, false}),
            "ketama: no live server to place keys on; keep at least one live");
  EXPECT_EQ(refusal(three(), Distribution::TwemproxyKetamaMd5, {true}),
            "ketama: 1 liveness flags for 3 servers; give one per server");
}

TEST(Distribution, NamesRoundTrip) {
  for (Distribution d : {Distribution::LibmemcachedKetamaWeighted, Distribution::LibmemcachedKetama,
                         Distribution::LibmemcachedKetamaMd5, Distribution::TwemproxyKetamaMd5,
                         Distribution::TwemproxyKetamaFnv1a64}) {
    EXPECT_EQ(parseDistribution(distributionName(d)), d);
  }
  EXPECT_THROW(parseDistribution("modula"), std::invalid_argument);
}

}  // namespace
}  // namespace unbuckle::client
