"""The client scenarios run in lockstep (see lockstep.py): pymemcache (also
used through twemproxy), pylibmc over TCP, and libmemcached's UDP writes
(pylibmc with UDP on) read back over TCP. Every step returns plain values:
long values as (length, sha1) so a difference prints short.
"""

import hashlib
import re
import time

from pymemcache.client.base import Client as PymemcacheClient
from pymemcache import serde as pymemcache_serde

# Values around memcached 1.6.18's largest item (1 MB by default, header
# included): with the key "big" it stores 1048514 bytes and refuses 1048515.
LARGE_SIZES = (1_000_000, 1048500, 1048514, 1048515, 1048516, 1048576, 1048577)
THIRTY_DAYS = 60 * 60 * 24 * 30  # longer exptimes are absolute Unix times
MANY_KEYS = 3000  # of 241 bytes each in one get_many
NOREPLY_BURST = 2000
MULTI_LARGE = 12  # values of 300 KB in one get_many: a 3.6 MB reply
# memcached's clock ticks once a second, so an exptime of 1 may end within
# milliseconds: 2 s keeps the "before" reads safe, 3.2 s is past it anywhere.
EXPIRY_S = 2
EXPIRY_WAIT_S = 3.2
STAT_COUNTERS = ("curr_items", "cmd_get", "cmd_set", "cmd_touch", "get_hits", "get_misses",
                 "delete_hits", "delete_misses", "incr_hits", "incr_misses", "decr_hits",
                 "decr_misses", "cas_hits", "cas_misses", "cas_badval", "touch_hits",
                 "touch_misses", "cmd_flush")
# Settings a client or dashboard reads, equal at both servers' defaults.
SETTINGS_VALUES = ("maxbytes", "maxconns", "item_size_max", "growth_factor", "chunk_size",
                   "num_threads", "evictions", "cas_enabled", "flush_enabled")


def digest(value):
    if isinstance(value, (bytes, bytearray)) and len(value) > 64:
        return (len(value), hashlib.sha1(value).hexdigest())
    return value


class FlagsSerde:
    """pymemcache's pickle serde, returning (value, flags) so that the flags a
    server kept are compared too."""

    def serialize(self, key, value):
        return pymemcache_serde.pickle_serde.serialize(key, value)

    def deserialize(self, key, value, flags):
        return (digest(pymemcache_serde.pickle_serde.deserialize(key, value, flags)), flags)


class RawSerde:
    """Bytes as stored, with their flags: for values another library wrote."""

    def serialize(self, key, value):
        return value, 0

    def deserialize(self, key, value, flags):
        return (digest(value), flags)


def pymemcache_client(port, host="127.0.0.1", serde=None):
    return PymemcacheClient((host, port), serde=serde or FlagsSerde(), connect_timeout=3, timeout=5,
                            default_noreply=False)


# This server's own counters after memcached's (README, "How it differs"):
# memcached 1.6.18 prints no name with these prefixes.
OWN_STAT_PREFIXES = ("unbuckle_", "udp_", "xdp_", "afxdp_")
_CLASS_ID = re.compile(r"^(items:)?[0-9]+:")


def stat_names(client, *args):
    """The field names of `stats [args]` in the server's order, less this
    server's own counters, with class ids masked (each name once): the two
    servers' size classes differ by design (memcached chunks items over
    512 KB, this server keeps them whole)."""
    names = (k.decode() if isinstance(k, bytes) else k for k in client.stats(*args))
    masked = (_CLASS_ID.sub(lambda m: (m.group(1) or "") + "N:", name) for name in names
              if not name.startswith(OWN_STAT_PREFIXES))
    return list(dict.fromkeys(masked))


def pymemcache_scenario(run, proxied=False):
    """Every step a pymemcache user may take. `proxied` leaves out what
    twemproxy does not forward (flush_all, stats, cache_memlimit)."""
    s = run.step
    s("set bytes", lambda c: c.set("k1", b"v1"))
    s("get bytes", lambda c: c.get("k1"))
    s("get miss", lambda c: c.get("nokey"))
    for label, value in (("int", 42), ("negative int", -7), ("big int", 1 << 70),
                         ("text", "h\u00e9llo"), ("dict", {"a": [1, 2]}), ("empty", b""),
                         ("spaces", b"a b\r\nc")):
        s(f"set {label}", lambda c, v=value, k=label: c.set("t-" + k.replace(" ", "_"), v))
        s(f"get {label}", lambda c, k=label: c.get("t-" + k.replace(" ", "_")))
    s("set raw flags", lambda c: c._store_cmd(b"set", {b"fl": b"x"}, 0, False, flags=4294967295))
    s("get raw flags", lambda c: c.get("fl"))

    s("gets", lambda c: c.gets("k1"))
    s("gets miss", lambda c: c.gets("nokey"))
    s("cas right", lambda c: c.cas("k1", b"v2", c.gets("k1")[1]))
    s("cas stale", lambda c: c.cas("k1", b"v3", 1))
    s("cas miss", lambda c: c.cas("nokey", b"v3", 1))
    s("gets after cas", lambda c: c.gets("k1"))

    s("add existing", lambda c: c.add("k1", b"x"))
    s("add new", lambda c: c.add("k2", b"added"))
    s("replace miss", lambda c: c.replace("nokey", b"x"))
    s("replace existing", lambda c: c.replace("k2", b"replaced"))
    s("append", lambda c: c.append("k2", b"+tail"))
    s("prepend", lambda c: c.prepend("k2", b"head+"))
    s("append miss", lambda c: c.append("nokey", b"x"))
    s("prepend miss", lambda c: c.prepend("nokey", b"x"))
    s("after append/prepend", lambda c: c.gets("k2"))

    s("set counter", lambda c: c.set("n", b"10"))
    s("incr", lambda c: c.incr("n", 5))
    s("decr below zero", lambda c: c.decr("n", 20))
    s("incr miss", lambda c: c.incr("nokey", 1))
    s("decr miss", lambda c: c.decr("nokey", 1))
    s("set 99", lambda c: c.set("n", b"99"))
    s("incr grows", lambda c: c.incr("n", 1))
    s("decr shrinks", lambda c: c.decr("n", 1))
    s("value after decr", lambda c: c.gets("n"))
    s("set max", lambda c: c.set("n", b"18446744073709551615"))
    s("incr wraps", lambda c: c.incr("n", 1))
    s("incr non-numeric", lambda c: c.incr("k1", 1))
    s("set padded", lambda c: c.set("n", b"12 "))
    s("incr padded", lambda c: c.incr("n", 1))
    s("incr noreply", lambda c: c.incr("n", 1, noreply=True))
    s("value after noreply incr", lambda c: c.get("n"))

    s("touch", lambda c: c.touch("k1", 100))
    s("touch miss", lambda c: c.touch("nokey", 100))
    s("gets after touch", lambda c: c.gets("k1"))
    s("delete", lambda c: c.delete("k2"))
    s("delete miss", lambda c: c.delete("k2"))
    s("set noreply", lambda c: c.set("nr", b"quiet", noreply=True))
    s("get noreply", lambda c: c.get("nr"))

    s("set_many", lambda c: c.set_many({"m1": b"1", "m2": 2, "m3": "three"}))
    s("get_many with misses", lambda c: c.get_many(["m1", "nokey", "m2", "m3", "nokey2"]))
    s("gets_many", lambda c: c.gets_many(["m1", "nokey", "m3"]))
    s("delete_many", lambda c: c.delete_many(["m1", "nokey"]))
    s("get_many after delete", lambda c: c.get_many(["m1", "m2"]))

    for size in LARGE_SIZES:
        s(f"set {size} bytes", lambda c, n=size: c.set("big", b"L" * n))
        s(f"get after {size} bytes", lambda c: c.get("big"))
    s("set_many large", lambda c: c.set_many({f"l{i}": bytes([65 + i]) * 300_000
                                              for i in range(MULTI_LARGE)}))
    s("get_many large", lambda c: c.get_many([f"l{i}" for i in range(MULTI_LARGE)] + ["nokey"]))
    s("key 250", lambda c: c.set("K" * 250, b"long key"))
    s("get key 250", lambda c: c.get("K" * 250))
    s("key 251", lambda c: c.set("K" * 251, b"too long"))
    s("key with space", lambda c: c.set("a b", b"x"))
    # A get line of 720 KB, and a burst of noreply sets with nothing read between.
    many = [f"many-{i:05d}-" + "x" * 230 for i in range(MANY_KEYS)]
    s("set_many half of many keys", lambda c: c.set_many({k: b"v" for k in many[::2]}))
    s("get_many many long keys", lambda c: sorted(c.get_many(many)) == many[::2])
    s("delete_many many keys", lambda c: c.delete_many(many))
    s("noreply burst", lambda c: [c.set(f"nr{i}", b"x" * 1000, noreply=True)
                                  for i in range(NOREPLY_BURST)] and
      len(c.get_many([f"nr{i}" for i in range(NOREPLY_BURST)])))

    s("set exptime 2", lambda c: c.set("e1", b"soon", expire=EXPIRY_S))
    s("set for touch", lambda c: c.set("e2", b"touched", expire=0))
    s("touch to 2", lambda c: c.touch("e2", EXPIRY_S))
    s("set exptime negative", lambda c: c.set("e3", b"gone", expire=-1))
    s("get exptime negative", lambda c: c.get("e3"))
    s("set absolute past", lambda c: c.set("e4", b"gone", expire=1_000_000_000))
    s("get absolute past", lambda c: c.get("e4"))
    s("set absolute future", lambda c: c.set("e5", b"kept", expire=2_000_000_000))
    s("get absolute future", lambda c: c.get("e5"))
    s("set exptime 30 days", lambda c: c.set("e6", b"relative", expire=THIRTY_DAYS))
    s("set exptime 30 days + 1", lambda c: c.set("e7", b"absolute", expire=THIRTY_DAYS + 1))
    s("get 30-day boundary", lambda c: c.get_many(["e6", "e7"]))
    s("get before expiry", lambda c: c.get_many(["e1", "e2"]))
    run.pause(EXPIRY_WAIT_S)
    s("get after expiry", lambda c: c.get_many(["e1", "e2", "e5"]))

    s("version", lambda c: c.version())
    if proxied:
        return
    # Its own step, so that each difference is one entry of expected.py.
    s("stats total_malloced", lambda c: b"total_malloced" in c.stats())
    s("stats names", lambda c: stat_names(c))
    s("stats settings names", lambda c: stat_names(c, "settings"))
    s("stats items names", lambda c: stat_names(c, "items"))
    s("stats slabs names", lambda c: stat_names(c, "slabs"))
    s("stats counters", lambda c: {k: c.stats()[k.encode()] for k in STAT_COUNTERS})
    s("stats connections", lambda c: {k: c.stats()[k.encode()]
                                      for k in ("curr_connections", "total_connections")})
    s("stats settings values", lambda c: {k: c.stats("settings").get(k.encode())
                                          for k in SETTINGS_VALUES})
    s("cache_memlimit", lambda c: c.cache_memlimit(64))

    s("flush_all", lambda c: c.flush_all())
    s("get after flush_all", lambda c: c.get_many(["k1", "n", "e5"]))
    s("set after flush_all", lambda c: c.set("f1", b"after"))
    s("gets after flush_all", lambda c: c.gets("f1"))
    s("flush_all noreply", lambda c: c.flush_all(noreply=True))
    s("get after flush_all noreply", lambda c: c.get("f1"))


def pylibmc_client(port, udp=False, host="127.0.0.1", **behaviors):
    import pylibmc
    server = f"{'udp:' if udp else ''}{host}:{port}"
    return pylibmc.Client([server], binary=False,
                          behaviors={"cas": True, "connect_timeout": 3000,
                                     "receive_timeout": 5_000_000, "send_timeout": 5_000_000,
                                     **behaviors})


def pylibmc_buffered_client(port):
    """libmemcached queueing writes and sending them with the next read."""
    return pylibmc_client(port, no_block=True, buffer_requests=True, tcp_nodelay=True)


def pylibmc_scenario(run):
    """pylibmc (libmemcached) over TCP, ASCII protocol."""
    s = run.step
    s("set", lambda c: c.set("k1", "v1"))
    s("get", lambda c: c.get("k1"))
    s("get miss", lambda c: c.get("nokey"))
    for label, value in (("int", 42), ("long", 1 << 70), ("bool", True), ("bytes", b"\x00\xff"),
                         ("text", "h\u00e9llo"), ("list", [1, "two", 3.0]), ("empty", "")):
        s(f"set {label}", lambda c, v=value, k=label: c.set("t-" + k, v))
        s(f"get {label}", lambda c, k=label: c.get("t-" + k))
    s("gets", lambda c: c.gets("k1"))
    s("gets miss", lambda c: c.gets("nokey"))
    s("cas right", lambda c: c.cas("k1", "v2", c.gets("k1")[1]))
    s("cas stale", lambda c: c.cas("k1", "v3", 1))
    s("cas miss", lambda c: c.cas("nokey", "v3", 1))
    s("gets after cas", lambda c: c.gets("k1"))
    s("add existing", lambda c: c.add("k1", "x"))
    s("add new", lambda c: c.add("k2", "added"))
    s("replace miss", lambda c: c.replace("nokey", "x"))
    s("replace existing", lambda c: c.replace("k2", "replaced"))
    s("append", lambda c: c.append("k2", "+tail"))
    s("prepend", lambda c: c.prepend("k2", "head+"))
    s("append miss", lambda c: c.append("nokey", "x"))
    s("after append/prepend", lambda c: c.get("k2"))
    s("set counter", lambda c: c.set("n", "10"))
    s("incr", lambda c: c.incr("n", 5))
    s("decr below zero", lambda c: c.decr("n", 20))
    s("incr miss", lambda c: c.incr("nokey", 1))
    s("set 99", lambda c: c.set("n", "99"))
    s("incr grows", lambda c: c.incr("n", 1))
    s("decr shrinks", lambda c: c.decr("n", 1))
    s("value after decr", lambda c: c.get("n"))
    s("set max", lambda c: c.set("n", "18446744073709551615"))
    s("incr wraps", lambda c: c.incr("n", 1))
    s("incr non-numeric", lambda c: c.incr("k1", 1))
    s("incr_multi", lambda c: (c.set_multi({"i1": "1", "i2": "2"}),
                               c.incr_multi(["i1", "i2"], delta=3),
                               c.get_multi(["i1", "i2"])))
    s("touch", lambda c: c.touch("k1", 100))
    s("touch miss", lambda c: c.touch("nokey", 100))
    s("gets after touch", lambda c: c.gets("k1"))
    s("delete", lambda c: c.delete("k2"))
    s("delete miss", lambda c: c.delete("k2"))
    s("set_multi", lambda c: c.set_multi({"m1": "1", "m2": 2, "m3": b"three"}))
    s("add_multi", lambda c: c.add_multi({"m1": "x", "m4": "4"}))
    s("get_multi with misses", lambda c: c.get_multi(["m1", "nokey", "m2", "m3", "m4"]))
    s("delete_multi", lambda c: c.delete_multi(["m1", "nokey"]))
    s("get_multi after delete", lambda c: c.get_multi(["m1", "m2"]))
    for size in LARGE_SIZES:
        s(f"set {size} bytes", lambda c, n=size: c.set("big", b"L" * n))
        s(f"get after {size} bytes", lambda c: digest(c.get("big")))
    s("key 250", lambda c: c.set("K" * 250, "long key"))
    s("get key 250", lambda c: c.get("K" * 250))
    s("key 251", lambda c: c.set("K" * 251, "too long"))
    s("set exptime 2", lambda c: c.set("e1", "soon", time=EXPIRY_S))
    s("set for touch", lambda c: c.set("e2", "touched"))
    s("touch to 2", lambda c: c.touch("e2", EXPIRY_S))
    s("set absolute future", lambda c: c.set("e5", "kept", time=2_000_000_000))
    s("get before expiry", lambda c: c.get_multi(["e1", "e2", "e5"]))
    run.pause(EXPIRY_WAIT_S)
    s("get after expiry", lambda c: c.get_multi(["e1", "e2", "e5"]))
    s("stats names", lambda c: sorted(c.get_stats()[0][1]))
    s("version", lambda c: c.get_stats()[0][1]["version"])
    s("stats settings names", lambda c: sorted(c.get_stats("settings")[0][1]))
    s("flush_all", lambda c: c.flush_all())
    s("get after flush_all", lambda c: c.get_multi(["k1", "n", "e5"]))
    s("set after flush_all", lambda c: c.set("f1", "after"))
    s("gets after flush_all", lambda c: c.gets("f1"))


class UdpWriter:
    """pylibmc with UDP on (writes only, noreply) and pymemcache over TCP to
    read back. A write is visible over TCP once a later UDP marker write is:
    the servers run one worker thread, which reads UDP datagrams in order."""

    def __init__(self, port, host="127.0.0.1"):
        self.udp = pylibmc_client(port, udp=True, host=host)
        self.tcp = pymemcache_client(port, host, serde=RawSerde())
        self.marker = 0

    def write(self, action, new_key=None):
        """action(pylibmc client), then wait until the server has stored it.
        A write of `new_key` waits for that key first: through AF_XDP a long
        datagram takes the kernel socket's path and may overtake a short one."""
        result = action(self.udp)
        deadline = time.monotonic() + 2.0
        while new_key and self.tcp.get(new_key) is None and time.monotonic() < deadline:
            time.sleep(0.005)
        self.marker += 1
        self.udp.set("udp-marker", str(self.marker))
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            seen = self.tcp.get("udp-marker")
            if seen and seen[0] == str(self.marker).encode():
                break
            time.sleep(0.005)
        return result


def udp_writes_scenario(run):
    """libmemcached's UDP writes (pylibmc, UDP on), each read back over TCP."""
    s = run.step
    u = lambda action, new_key=None: (lambda c: c.write(action, new_key))
    s("udp get refused", lambda c: c.udp.get("x"))
    for size in (1, 100, 1300, 1350, 1400, 1500, 3000, 5000):
        key = f"u{size}"
        s(f"udp set {size} bytes", u(lambda p, k=key, n=size: p.set(k, b"U" * n), key))
        s(f"read {size} bytes", lambda c, k=key: c.tcp.gets(k))
    s("udp set int", u(lambda p: p.set("ui", 5)))
    s("udp add existing", u(lambda p: p.add("ui", "x")))
    s("udp add new", u(lambda p: p.add("ua", "added")))
    s("read add", lambda c: c.tcp.get_many(["ui", "ua"]))
    s("udp replace", u(lambda p: p.replace("ua", "replaced")))
    s("udp append", u(lambda p: p.append("ua", "+tail")))
    s("udp prepend", u(lambda p: p.prepend("ua", "head+")))
    s("read append/prepend", lambda c: c.tcp.gets("ua"))
    s("udp incr", u(lambda p: p.incr("ui", 10)))
    s("udp decr", u(lambda p: p.decr("ui", 3)))
    s("read incr/decr", lambda c: c.tcp.gets("ui"))
    s("udp touch", u(lambda p: p.touch("ua", 100)))
    s("udp set_multi", u(lambda p: p.set_multi({"um1": "1", "um2": "2"})))
    s("read set_multi", lambda c: c.tcp.get_many(["um1", "um2"]))
    s("udp delete", u(lambda p: p.delete("um1")))
    s("udp delete_multi", u(lambda p: p.delete_multi(["um2", "nokey"])))
    s("read deletes", lambda c: c.tcp.get_many(["um1", "um2", "ua"]))
