#!/usr/bin/python3
"""Differential test: the same request bytes go to a real memcached 1.6.18 and
to unbuckle-xdp (or to a second memcached, to prove the harness), over UDP and
TCP, and the replies are compared byte for byte.

What is compared:
  - UDP: every reply datagram of a request (request id echo, seq/total,
    reserved, payload); when cas or TTL numbers make payload lengths differ,
    the reassembled messages are compared after normalisation and each
    server's framing is checked on its own.
  - TCP: the reply byte stream of each request.
  - With --coalesced the subject runs with --udp-coalesce-replies on: each
    of its messages must keep memcached's framing, and a request's messages
    joined must equal memcached's joined (same normalisation), in no more
    messages than memcached sends.
cas numbers may differ between servers, so they are compared by behaviour:
each server's cas values are renamed, per key, to the order in which they were
first seen, and a request that carries a cas gets each server's own value from
its last reply. Remaining TTLs (`t`, `exp=`) may differ by a clock tick.
`version` is compared byte for byte; `me`'s la/cls/size are not compared.
A last phase compares exact cas steps around every kind of flush_all
(memcached uses up one cas unique on an immediate flush) and the output of
`lru_crawler metadump` (la/exp as times, cls/size this store's, not compared). A counter's space
padding after incr/decr is not compared either (see Peer._unpad). `stats` is
checked for field names only.

How the end of a reply is found: over TCP an `mn` follows every request (one
more `MN` to wait for). Over UDP, requests whose reply count is known wait
for that many reply units; the others (noreply, meta q, malformed) carry an
`mn` in the same datagram. Both fall back to a quiet timeout.

run_differential() runs every phase against two servers that are already
running; afxdp/afxdp_differential.py uses it through the AF_XDP path.
"""

import argparse
import random
import re
import selectors
import sys
import time

import mcharness as mc

SHOW_MISMATCHES = 25
UDP_MAX_REQUEST = 60000  # larger requests go over TCP even in UDP turns
QUIET = 0.5        # silence that ends a reply whose end is not recognised
EDGE_QUIET = 0.3   # silence that ends a UDP edge-case reply
DEADLINE = 5.0

# `stats` fields memcached_exporter reads (memcached-facts.md).
EXPORTER_STATS = """version uptime time get_hits get_misses delete_hits delete_misses
incr_hits incr_misses decr_hits decr_misses cas_hits cas_misses touch_hits touch_misses
cas_badval cmd_flush cmd_set rusage_user rusage_system bytes limit_maxbytes curr_items
total_items bytes_read bytes_written curr_connections total_connections
rejected_connections conn_yields listen_disabled_num evictions reclaimed store_too_large
store_no_memory lru_crawler_starts direct_reclaims crawler_items_checked
crawler_reclaimed moves_to_cold moves_to_warm moves_within_lru total_malloced
accepting_conns""".split()


# ------------------------------------------------------------------ requests

class CasRef:
    """Stands for a cas value in a request: each server gets its own."""

    def __init__(self, key, kind):
        self.key, self.kind = key, kind  # kind: current | stale | bogus


class Request:
    """A request: bytes with CasRef holes. `expect` is the number of reply
    units that end it, None when unknown (noreply, meta q, malformed)."""

    def __init__(self, label, parts, expect=1, key=None, mn_count=0, fetch_races=False):
        self.label = label
        self.parts = parts if isinstance(parts, list) else [parts]
        self.expect = expect
        self.key = key
        self.mn_count = mn_count
        self.fetch_races = fetch_races

    def render(self, peer):
        out = []
        for p in self.parts:
            out.append(peer.cas_for(p) if isinstance(p, CasRef) else p)
        return b"".join(out)


def line(*tokens):
    return b" ".join(t if isinstance(t, bytes) else str(t).encode() for t in tokens)


class Workload:
    """Seeded random requests over a small key space so that they interact.

    Counters stay below 2^63: for larger stored numbers memcached 1.6.18's
    safe_strtoull() runs strchr(value, '-') over the item data, which is not
    NUL-terminated, so incr/decr answer "non-numeric" depending on whatever
    bytes follow the item in its slab. The edge cases test 2^64-1 on a fresh
    store instead."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.keys = [b"k%d" % i for i in range(20)] + [b"n%d" % i for i in range(4)]
        # Keys whose item an incr/decr/ma may have replaced since their last
        # set or delete: see Peer._normalise_me.
        self.counted = set()
        self.long_key = b"L" * 249 + b"1"  # 250 bytes, the longest legal key
        self.too_long_key = b"T" * 251
        self.future = int(time.time()) + 3600

    def key(self):
        r = self.rng.random()
        if r < 0.03:
            return self.long_key
        return self.rng.choice(self.keys)

    def text_key(self):
        """A key that never holds a counter. Whether memcached pads a shrunk
        counter with spaces races (see Peer._unpad); appending to it would
        carry that race into values that no normalisation can repair."""
        return self.rng.choice(self.keys[:-4])

    def keys_list(self):
        return [self.key() for _ in range(self.rng.randint(1, 6))]

    def value(self, key):
        rng = self.rng
        if key.startswith(b"n") and rng.random() < 0.8:
            return rng.choice([b"0", b"1", b"42", b"100", b"007", b"1000000000000000",
                               b"99999999999999999999", b"abc", b"12abc", b"-5", b" 7",
                               b"9 "])
        r = rng.random()
        if r < 0.05:
            size = 0
        elif r < 0.55:
            size = rng.randint(1, 100)
        elif r < 0.75:
            size = rng.randint(100, 2000)
        elif r < 0.9:
            size = rng.randint(2000, 20000)
        else:
            size = rng.randint(20000, 100 * 1024)
        if rng.random() < 0.2:
            v = rng.randbytes(size)  # binary data, \r\n included by chance
        else:
            v = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 -") for _ in range(size)) \
                if size < 4096 else (b"0123456789abcdef" * (size // 16 + 1))[:size]
        # incr/decr/ma on a value of only whitespace: memcached's strtoull
        # skips it and its "\r\n" and reads on into whatever the chunk held
        # before, so its answer (HD or non-numeric) has no defined value.
        if v and not v.strip(b" \t\r\n\v\f"):
            v = b"x" + v[1:]
        return v

    def flags(self):
        r = self.rng.random()
        if r < 0.7:
            return 0, True
        return self.rng.choice([(1, True), (65535, True), (4294967295, True),
                                (4294967296, True), (4294967297, True),
                                (18446744073709551615, True), (-1, False),
                                (18446744073709551616, False), ("12a", False)])

    def exptime(self):
        if self.rng.random() < 0.75:
            return 0
        return self.rng.choice([100, 1000, 2592000, 2592001, -1, self.future])

    def noreply(self):
        return self.rng.random() < 0.1

    def next(self):
        rng = self.rng
        kinds = [("get", 12), ("getmulti", 8), ("gets", 8), ("set", 14), ("add", 4),
                 ("replace", 4), ("append", 4), ("prepend", 4), ("cas", 6),
                 ("delete", 5), ("incr", 5), ("decr", 4), ("touch", 3), ("gat", 3),
                 ("gats", 3), ("flush_all", 0.3), ("verbosity", 0.5), ("version", 0.5),
                 ("mg", 8), ("ms", 5), ("md", 3), ("ma", 4), ("mn", 1), ("me", 1),
                 ("badkey", 1)]
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        return getattr(self, "_" + kind)()

    def _get(self):
        k = self.key()
        return Request("get", line(b"get", k) + b"\r\n")

    def _getmulti(self):
        cmd = self.rng.choice([b"get", b"gets"])
        return Request(cmd.decode() + " multi", line(cmd, *self.keys_list()) + b"\r\n")

    def _gets(self):
        return Request("gets", line(b"gets", self.key()) + b"\r\n")

    def _gat(self):
        return Request("gat", line(b"gat", self.exptime(), *self.keys_list()) + b"\r\n")

    def _gats(self):
        return Request("gats", line(b"gats", self.exptime(), *self.keys_list()) + b"\r\n")

    def _storage(self, cmd, extra=()):
        k = self.text_key() if cmd in (b"append", b"prepend") else self.key()
        flags, ok = self.flags()
        # A refused command line leaves its data to be parsed as commands:
        # keep that data one short text line. memcached runs at most 20
        # commands of a UDP datagram per event (-R) and closes a TCP
        # connection whose line outgrows its read buffer.
        v = self.value(k) if ok else b"x" * self.rng.randint(0, 200)
        nr = self.noreply()
        head = [cmd, k, flags, self.exptime(), len(v)]
        parts = [line(*head) + b" "] if extra else [line(*head)]
        parts += list(extra)
        parts.append((b" noreply" if nr else b"") + b"\r\n" + v + b"\r\n")
        expect = 0 if nr and ok else (1 if ok else None)
        return Request(cmd.decode(), parts, expect)

    def _set(self):
        req = self._storage(b"set")
        self.counted.discard(req.parts[0].split(b" ")[1])
        return req

    def _add(self):
        return self._storage(b"add")

    def _replace(self):
        return self._storage(b"replace")

    def _append(self):
        return self._storage(b"append")

    def _prepend(self):
        return self._storage(b"prepend")

    def _cas(self):
        kind = self.rng.choices(["current", "stale", "bogus"], [6, 2, 2])[0]
        req = self._storage(b"cas", extra=[None])
        key = req.parts[0].split(b" ")[1]
        req.parts[1] = CasRef(key, kind)
        req.label = f"cas ({kind})"
        return req

    def _delete(self):
        nr = self.noreply()
        k = self.key()
        self.counted.discard(k)
        return Request("delete", line(b"delete", k, *([b"noreply"] if nr else []))
                       + b"\r\n", 0 if nr else 1)

    def _arith(self, cmd):
        k = self.rng.choice(self.keys[-4:] + [self.key()])
        delta = self.rng.choice([1, 1, 5, 0, 100, 1000000007, b"18446744073709551616",
                                 b"-1", b"abc"])
        nr = self.noreply()
        self.counted.add(k)
        return Request(cmd.decode(), line(cmd, k, delta, *([b"noreply"] if nr else []))
                       + b"\r\n", None if nr else 1)

    def _incr(self):
        return self._arith(b"incr")

    def _decr(self):
        return self._arith(b"decr")

    def _touch(self):
        nr = self.noreply()
        return Request("touch", line(b"touch", self.key(), self.exptime(),
                                     *([b"noreply"] if nr else [])) + b"\r\n", 0 if nr else 1)

    def _flush_all(self):
        variant = self.rng.choice([b"flush_all", b"flush_all 0", b"flush_all noreply"])
        return Request("flush_all", variant + b"\r\n", 0 if b"noreply" in variant else 1)

    def _verbosity(self):
        variant = self.rng.choice([b"verbosity 1", b"verbosity 0", b"verbosity 1 noreply"])
        return Request("verbosity", variant + b"\r\n", 0 if b"noreply" in variant else 1)

    def _version(self):
        return Request("version", b"version\r\n")

    def _opaque(self):
        return b"O" + bytes(self.rng.choice(b"abcdefgh0123456789")
                            for _ in range(self.rng.randint(1, 8)))

    def _pick_flags(self, choices):
        picked = [f() if callable(f) else f
                  for f in self.rng.sample(choices, self.rng.randint(0, len(choices)))]
        return picked

    def _ttl(self, letter):
        # No negative meta TTLs: memcached 1.6.18 then reports `t` as
        # 2^32 - its own uptime, which no other server can match.
        return letter + str(self.rng.choice([0, 100, 1000])).encode()

    def _mg(self):
        k = self.key()
        flags = self._pick_flags([b"v", b"k", b"f", b"t", b"c", b"s", b"q", self._opaque,
                                  lambda: self._ttl(b"T"), lambda: self._ttl(b"N")])
        if k.startswith(b"n") and b"v" not in flags and b"s" in flags:
            flags.remove(b"s")  # the size of a possibly padded counter
        return Request("mg", line(b"mg", k, *flags) + b"\r\n",
                       None if b"q" in flags else 1, key=k, fetch_races=k in self.counted)

    def _ms(self):
        flags = self._pick_flags([lambda: self._ttl(b"T"),
                                  lambda: b"F%d" % self.rng.choice([0, 5, 4294967295, 4294967296]),
                                  b"I", lambda: b"M" + bytes([self.rng.choice(b"EAPRS")]),
                                  b"q", self._opaque, b"c", b"k"])
        k = self.text_key() if b"MA" in flags or b"MP" in flags else self.key()
        v = self.value(k)
        parts = [line(b"ms", k, len(v), *flags)]
        if self.rng.random() < 0.3:
            parts += [b" C", CasRef(k, self.rng.choice(["current", "stale", "bogus"]))]
        parts.append(b"\r\n" + v + b"\r\n")
        return Request("ms", parts, None if b"q" in flags else 1, key=k)

    def _md(self):
        k = self.key()
        flags = self._pick_flags([b"q", b"I", self._opaque, b"k",
                                  lambda: self._ttl(b"T")])
        parts = [line(b"md", k, *flags)]
        if self.rng.random() < 0.3:
            parts += [b" C", CasRef(k, self.rng.choice(["current", "stale", "bogus"]))]
        parts.append(b"\r\n")
        return Request("md", parts, None if b"q" in flags else 1, key=k)

    def _ma(self):
        k = self.rng.choice(self.keys[-4:] + [self.key()])
        self.counted.add(k)
        flags = self._pick_flags([lambda: self._ttl(b"N"),
                                  lambda: b"J%d" % self.rng.choice([0, 10, 1000000000000000]),
                                  lambda: b"D%d" % self.rng.choice([1, 7, 1000000007]),
                                  lambda: b"M" + bytes([self.rng.choice(b"I+D-")]),
                                  b"v", b"t", b"c", b"k", b"q", self._opaque])
        return Request("ma", line(b"ma", k, *flags) + b"\r\n",
                       None if b"q" in flags else 1, key=k)

    def _mn(self):
        return Request("mn", b"mn\r\n", 1, mn_count=1)

    def _me(self):
        k = self.key()
        return Request("me", line(b"me", k) + b"\r\n", fetch_races=k in self.counted)

    def _badkey(self):
        k = self.too_long_key
        return self.rng.choice([
            Request("get 251-byte key", line(b"get", k) + b"\r\n"),
            Request("set 251-byte key", line(b"set", k, 0, 0, 1) + b"\r\nx\r\n", None),
            Request("mg 251-byte key", line(b"mg", k, b"v") + b"\r\n", None),
        ])


# ----------------------------------------------------------- named edge cases

def edge_cases():
    """(name, requests) run in order over TCP and UDP; the reply of each is
    compared. Requests with expect=None wait for the quiet timeout."""
    big = b"B" * 2_000_000
    k250 = b"E" * 250
    k251 = b"E" * 251
    return [
        ("empty line", [Request("", b"\r\n", None)]),
        ("unknown command", [Request("", b"foo bar\r\n", None)]),
        ("GET uppercase", [Request("", b"set up 0 0 1\r\nx\r\n"), Request("", b"GET up\r\n", None)]),
        ("get without key", [Request("", b"get\r\n", None)]),
        ("key with control char", [Request("", b"set a\x01b 0 0 2\r\nhi\r\n", None),
                                   Request("", b"get a\x01b\r\n", None)]),
        ("key 250 and 251 bytes", [Request("", b"set " + k250 + b" 0 0 1\r\nx\r\n", None),
                                   Request("", b"get " + k250 + b"\r\n", None),
                                   Request("", b"set " + k251 + b" 0 0 1\r\nx\r\n", None),
                                   Request("", b"get " + k251 + b"\r\n", None)]),
        ("negative exptime", [Request("", b"set neg 0 -1 1\r\nx\r\n"), Request("", b"get neg\r\n")]),
        ("exptime 2592000", [Request("", b"set e30 0 2592000 1\r\nx\r\n"), Request("", b"get e30\r\n")]),
        ("exptime 2592001", [Request("", b"set e31 0 2592001 1\r\nx\r\n"), Request("", b"get e31\r\n")]),
        ("bad data chunk", [Request("", b"set bd 0 0 3\r\nabcde\r\n", None),
                            Request("", b"get bd\r\n")]),
        ("negative length", [Request("", b"set nl 0 0 -1\r\n", None)]),
        ("zero length value", [Request("", b"set z 0 0 0\r\n\r\n"), Request("", b"get z\r\n")]),
        ("flags bounds", [Request("", b"set fl 4294967295 0 1\r\nx\r\n"), Request("", b"get fl\r\n"),
                          Request("", b"set fl 4294967297 0 1\r\nx\r\n"), Request("", b"get fl\r\n"),
                          Request("", b"set fl -1 0 1\r\nx\r\n", None),
                          Request("", b"set fl 18446744073709551616 0 1\r\nx\r\n", None)]),
        # memcached -I 1m bounds the whole item: 48-byte header, 8-byte cas,
        # key + 1, value + 2. Largest values: 1048516 (1-byte key) and
        # 1048267 (250-byte key) on 64-bit 1.6.18.
        ("largest value (TCP)", [Request("", b"set m 0 0 1048516\r\n" + b"M" * 1048516 + b"\r\n"),
                                 Request("", b"set m 0 0 1048517\r\n" + b"M" * 1048517 + b"\r\n"),
                                 Request("", b"set " + k250 + b" 0 0 1048267\r\n"
                                         + b"M" * 1048267 + b"\r\n"),
                                 Request("", b"set " + k250 + b" 0 0 1048268\r\n"
                                         + b"M" * 1048268 + b"\r\n"),
                                 Request("", b"get m\r\n")]),
        ("too large value (TCP)", [Request("", b"set big 0 0 1\r\nx\r\n"),
                                   Request("", b"set big 0 0 2000000\r\n" + big + b"\r\n", None),
                                   Request("", b"get big\r\n")]),
        ("cas on missing", [Request("", b"cas nokey 0 0 1 12345\r\nx\r\n")]),
        ("incr non-numeric", [Request("", b"set nn 0 0 3\r\nabc\r\n"), Request("", b"incr nn 1\r\n")]),
        ("incr bad delta", [Request("", b"set nd 0 0 1\r\n5\r\n"), Request("", b"incr nd abc\r\n"),
                            Request("", b"incr nd -1\r\n"),
                            Request("", b"incr nd 18446744073709551616\r\n")]),
        ("incr wraps", [Request("", b"set w 0 0 20\r\n18446744073709551615\r\n"),
                        Request("", b"incr w 1\r\n"), Request("", b"get w\r\n")]),
        ("decr below 0", [Request("", b"set d 0 0 1\r\n3\r\n"), Request("", b"decr d 10\r\n"),
                          Request("", b"get d\r\n")]),
        ("decr pads with spaces", [Request("", b"set pad 0 0 3\r\n100\r\n"),
                                   Request("", b"decr pad 1\r\n"), Request("", b"get pad\r\n"),
                                   Request("", b"incr pad 900\r\n"), Request("", b"get pad\r\n")]),
        ("pipelined commands", [Request("", b"set p 0 0 1\r\na\r\nget p\r\nget nop\r\ndelete p\r\n", None)]),
        ("bare LF", [Request("", b"set lf 0 0 1\r\nx\r\n"), Request("", b"get lf\n", None),
                     Request("", b"delete lf\n", None)]),
        ("extra spaces", [Request("", b"set sp 0 0 1\r\nx\r\n"), Request("", b"get  sp   sp \r\n", None)]),
        ("tab separator", [Request("", b"get\tsp\r\n", None)]),
        ("delete with time", [Request("", b"delete sp 0\r\n", None)]),
        ("touch and gat", [Request("", b"touch missing 10\r\n"), Request("", b"set t 0 0 1\r\nx\r\n"),
                           Request("", b"gat -1 t\r\n"), Request("", b"get t\r\n")]),
        ("noreply errors", [Request("", b"incr nokey 1 noreply\r\n", None),
                            Request("", b"set nr 0 0 1 noreply\r\nxx\r\n", None),
                            Request("", b"cas nr 0 0 1 1 noreply\r\nx\r\n", None)]),
        ("verbosity without level", [Request("", b"verbosity\r\n", None)]),
        # Only replies memcached gives before its crawler lock: a crawl that
        # starts can meet memcached's own (BUSY), and its disable/enable race.
        ("lru_crawler", [Request("", line) for line in (
            b"lru_crawler crawl 0\r\n", b"lru_crawler crawl 1,x\r\n", b"lru_crawler tocrawl -1\r\n",
            b"lru_crawler sleep 1000001\r\n", b"lru_crawler sleep 100\r\n", b"lru_crawler tocrawl 0\r\n",
            b"lru_crawler bogus\r\n", b"lru_crawler enable\r\n")]),
        ("administrative commands", [Request("", line) for line in (
            b"shutdown\r\n", b"shutdown graceful\r\n", b"stats cachedump 60 0\r\n",
            b"stats cachedump 64 0\r\n", b"stats cachedump x 0\r\n", b"stats cachedump 1\r\n",
            # Not `metadump ,`: after it memcached 1.6.18 answers every
            # metadump with "ERROR an unknown error happened" (its crawler
            # keeps the client of a dump that never started).
            b"lru_crawler metadump 0\r\n",
            b"verbosity 1\r\n", b"verbosity 0 noreply\r\nverbosity 0\r\n")]),
        ("flush_all arguments", [Request("", b"flush_all abc\r\n", None),
                                 Request("", b"flush_all 0 noreply\r\n", None)]),
        ("many keys", [Request("", b"set mk 0 0 1\r\nx\r\n"),
                       Request("", b"get " + b" ".join(b"mk" for _ in range(100)) + b"\r\n")]),
        ("meta errors", [Request("", b"mg\r\n", None), Request("", b"me\r\n", None),
                         Request("", b"mg mk E5\r\n", None), Request("", b"mg mk v v\r\n", None),
                         Request("", b"mg mk O" + b"o" * 40 + b"\r\n", None),
                         Request("", b"ms mk 2 MZ\r\nhi\r\n", None),
                         Request("", b"ms mk abc\r\nhi\r\n", None),
                         Request("", b"md mk x\r\n", None),
                         Request("", b"ma mk D-1\r\n", None)]),
        ("meta base64 key", [Request("", b"ms Zm9v 2 b\r\nhi\r\n", None),
                             Request("", b"mg Zm9v b v k\r\n", None), Request("", b"get foo\r\n")]),
        ("meta quiet", [Request("", b"mg nomk v q\r\nmg nomk v q k O1\r\nmn\r\n", None, mn_count=1),
                        Request("", b"ms qk 1 q\r\nx\r\nmd qk q\r\nmd qk q\r\nmn\r\n", None, mn_count=1)]),
        ("meta vivify", [Request("", b"mg viv N30 v c t\r\n", None), Request("", b"mg viv v\r\n", None),
                         Request("", b"get viv\r\n", None)]),
        ("meta arithmetic", [Request("", b"ma cnt N0 J10 v\r\n", None),
                             Request("", b"ma cnt MD D3 v\r\n", None),
                             Request("", b"mg cnt v\r\n", None)]),
        ("expiry and delayed flush", [Request("", b"set ttl 0 2 1\r\nx\r\n"),
                                      Request("", b"set keep 0 0 1\r\ny\r\n"),
                                      Request("", b"flush_all 2\r\n"),
                                      Request("", b"get ttl keep\r\n"),
                                      Pause(3.5),
                                      Request("", b"get ttl keep\r\n"),
                                      Request("", b"set after 0 0 1\r\nz\r\n"),
                                      Request("", b"get after\r\n")]),
    ]


class Pause:
    """A wait between the requests of an edge case, for expiry."""

    def __init__(self, seconds):
        self.seconds = seconds


# ------------------------------------------------------------ normalisation

_CAS_TOKEN = re.compile(rb"(?<= )c(\d+)(?= |$)")
_TTL_TOKEN = re.compile(rb"(?<= )t(\d+)(?= |$)")
_SIZE_TOKEN = re.compile(rb"(?<= )s(\d+)(?= |$)")
_PADDED_NUMBER = re.compile(rb"(\d+) +")
_META_CODES = (b"HD", b"VA", b"EN", b"NF", b"NS", b"EX")
# mg's stale (X), win (W) and token-sent (Z) flags: see Peer.normalise.
_STALE_FLAGS = re.compile(rb" [XWZ](?= |$)")


class Peer:
    """One server as the test sees it: clients, cas memory, cas renaming.
    `server` is an mc.Server or anything with the same name, host, port,
    alive(), proc and log_text()."""

    def __init__(self, server, coalesced=False):
        self.server = server
        self.coalesced = coalesced  # its small UDP responses share datagrams
        self.fewer_messages = 0     # requests it answered in fewer messages than memcached
        self.name = server.name
        self.udp = mc.UdpClient(server.port, server.host)
        self.tcp = mc.TcpClient(server.port, server.host)
        self.cas_seen = {}      # key -> cas values this server reported, oldest first
        self.cas_ordinal = {}   # key -> {cas value -> first-seen order}
        self.stray = []         # UDP datagrams for requests already compared

    def cas_for(self, ref):
        history = self.cas_seen.get(ref.key, [])
        if ref.kind == "current" and history:
            return history[-1]
        if ref.kind == "stale" and len(history) > 1:
            return history[-2]
        return b"999999999999"

    def remember(self, reply, key):
        """Record cas values a reply carries, for later requests."""
        units, _ = mc.split_replies(reply)
        for unit in units:
            head = unit.split(b"\r\n", 1)[0]
            parts = head.split(b" ")
            owner, cas = key, None
            if parts[0] == b"VALUE" and len(parts) == 5:
                owner, cas = parts[1], parts[4]
            elif parts[0] in _META_CODES and key is not None:
                m = _CAS_TOKEN.search(head)
                cas = m.group(1) if m else None
            if cas and cas != b"0":
                history = self.cas_seen.setdefault(owner, [])
                if not history or history[-1] != cas:
                    history.append(cas)

    def normalise(self, reply, key, fetch_races=False):
        """(reply with cas/TTL numbers replaced, list of TTL numbers).
        With `fetch_races` (an incr/decr/ma since the key's last set or
        delete: see _normalise_me) an mg's X, W and Z flags are dropped too:
        when memcached links a new item for the arithmetic, it is not stale."""
        units, rest = mc.split_replies(reply)
        ttls = []
        out = []
        for unit in units:
            head, sep, data = self._unpad(*unit.partition(b"\r\n"))
            parts = head.split(b" ")
            if parts[0] == b"VALUE" and len(parts) == 5:
                parts[4] = self._rename(parts[4], parts[1])
                head = b" ".join(parts)
            elif parts[0] in _META_CODES:
                head = _CAS_TOKEN.sub(lambda m: b"c" + self._rename(m.group(1), key), head)
                ttls += [int(t) for t in _TTL_TOKEN.findall(head)]
                head = _TTL_TOKEN.sub(b"t<ttl>", head)
                if fetch_races:
                    head = _STALE_FLAGS.sub(b"", head)
            elif parts[0] == b"ME":
                head = self._normalise_me(parts, ttls, fetch_races)
            out.append(head + sep + data)
        return b"".join(out) + rest, ttls

    @staticmethod
    def _unpad(head, sep, data):
        """incr/decr keep a shrinking number's length with spaces when the item
        is not referenced elsewhere; memcached's UDP replies still hold a
        reference for a moment, so whether "1" or "1   " is stored races. The
        padding is dropped from VALUE/VA data and its sizes."""
        m = _PADDED_NUMBER.fullmatch(data[:-2])
        parts = head.split(b" ")
        if not m or parts[0] not in (b"VALUE", b"VA"):
            return head, sep, data
        size = b"%d" % len(m.group(1))
        parts[3 if parts[0] == b"VALUE" else 1] = size
        head = _SIZE_TOKEN.sub(b"s" + size, b" ".join(parts))
        return head, sep, m.group(1) + b"\r\n"

    def _rename(self, cas, key):
        """Per key, so that one divergence does not shift every later cas."""
        if cas == b"0":
            return cas
        seen = self.cas_ordinal.setdefault(key, {})
        ordinal = seen.setdefault(cas, len(seen) + 1)
        return b"#%d" % ordinal

    def _normalise_me(self, parts, ttls, fetch_races):
        """memcached's incr/decr rewrite an item in place only while nothing
        else references it; otherwise (its LRU maintainer or crawler holds it
        for a moment) they link a new item, whose fetched bit is clear. So
        after an incr/decr `fetch=` races on memcached's side and is not
        compared until the key is set or deleted again."""
        out = parts[:2]
        for p in parts[2:]:
            name, _, value = p.partition(b"=")
            if name == b"cas":
                value = self._rename(value, parts[1])
            elif name == b"exp" and value != b"-1":
                ttls.append(int(value))
                value = b"<ttl>"
            elif name in (b"la", b"cls", b"size") or (name == b"fetch" and fetch_races):
                value = b"*"
            out.append(name + b"=" + value)
        return b" ".join(out)

    def close(self):
        self.udp.close()
        self.tcp.close()


def same_ttls(a, b):
    return len(a) == len(b) and all(abs(x - y) <= 2 for x, y in zip(a, b))


# ---------------------------------------------------------------- exchanges

class Mismatches:
    def __init__(self):
        self.items = []
        self.by_transport = {"udp": 0, "tcp": 0}
        self.by_label = {}

    def add(self, transport, label, requests, replies, why):
        self.by_transport[transport] += 1
        self.by_label[(transport, label)] = self.by_label.get((transport, label), 0) + 1
        self.items.append((transport, label, requests, replies, why))
        if len(self.items) <= SHOW_MISMATCHES:
            print(f"--- mismatch #{len(self.items)} [{transport}] {label}: {why}")
            for name, req in requests:
                print(f"  request to {name}: {clip(req)}")
            for name, rep in replies:
                print(f"  reply from {name}: {clip(rep)}")

    def total(self):
        return len(self.items)


def clip(value, limit=400):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(value)} items/bytes)"


def tcp_exchange(peers, request, mismatches):
    """One request to every peer over its TCP connection, replies compared."""
    rendered = [request.render(p) for p in peers]
    # TCP: the mn after the request marks the end of its reply.
    want_mn = request.mn_count + 1
    for peer, data in zip(peers, rendered):
        if peer.tcp.closed:
            peer.tcp.connect()
        peer.tcp.send(data + b"mn\r\n")
    replies = [b""] * len(peers)
    done = [False] * len(peers)
    end = time.monotonic() + DEADLINE
    sel = selectors.DefaultSelector()
    for i, p in enumerate(peers):
        sel.register(p.tcp.sock, selectors.EVENT_READ, i)
    try:
        while not all(done) and time.monotonic() < end:
            events = sel.select(QUIET)
            if not events:
                break
            for key, _ in events:
                i = key.data
                replies[i] += peers[i].tcp.read_available()
                if mc.count_mn(replies[i]) >= want_mn or peers[i].tcp.closed:
                    done[i] = True
                    sel.unregister(peers[i].tcp.sock)
    finally:
        sel.close()
    for peer, reply in zip(peers, replies):
        peer.remember(reply, request.key)
        if peer.tcp.closed:
            reply += b"<connection closed>"
    compare_tcp(peers, request, rendered, replies, mismatches)


def compare_tcp(peers, request, rendered, replies, mismatches):
    (na, ta), (nb, tb) = [p.normalise(r, request.key, request.fetch_races)
                          for p, r in zip(peers, replies)]
    closed = [p.tcp.closed for p in peers]
    if na == nb and same_ttls(ta, tb) and closed[0] == closed[1]:
        return
    why = "reply bytes differ" if na != nb else "TTL differs by more than 2 s"
    if closed[0] != closed[1]:
        why = "one server closed the connection"
    mismatches.add("tcp", request.label, [(p.name, r) for p, r in zip(peers, rendered)],
                   [(p.name, r) for p, r in zip(peers, replies)], why)


def udp_exchange(peers, request, req_id, mismatches, use_quiet=False):
    """One UDP request to every peer, replies compared."""
    rendered = [request.render(p) for p in peers]
    by_count = request.expect is not None and request.expect > 0 and not use_quiet
    if not by_count and not use_quiet:
        rendered = [r + b"mn\r\n" for r in rendered]
    for peer, data in zip(peers, rendered):
        peer.udp.send(data, req_id)
    got = [[] for _ in peers]
    done = [False] * len(peers)
    end = time.monotonic() + DEADLINE
    sel = selectors.DefaultSelector()
    for i, p in enumerate(peers):
        sel.register(p.udp.sock, selectors.EVENT_READ, i)
    try:
        while not all(done) and time.monotonic() < end:
            events = sel.select(EDGE_QUIET if use_quiet else QUIET)
            if not events:
                break
            for key, _ in events:
                i = key.data
                for d in peers[i].udp.drain():
                    (got[i] if d.req_id == req_id else peers[i].stray).append(d)
                if not use_quiet and udp_complete(got[i], request, by_count):
                    done[i] = True
                    sel.unregister(peers[i].udp.sock)
    finally:
        sel.close()
    for peer, datagrams in zip(peers, got):
        peer.remember(udp_stream(datagrams), request.key)
    compare_udp(peers, request, rendered, got, mismatches)


def udp_stream(datagrams):
    out = []
    for message in mc.group_messages(datagrams):
        payload = mc.message_payload(message)
        if payload is not None:
            out.append(payload)
    return b"".join(out)


def udp_complete(datagrams, request, by_count):
    messages = mc.group_messages(datagrams)
    if any(mc.message_payload(m) is None for m in messages):
        return False
    stream = udp_stream(datagrams)
    if by_count:
        return mc.count_terminals(stream) >= request.expect
    return mc.count_mn(stream) >= request.mn_count + 1


def compare_udp(peers, request, rendered, got, mismatches):
    requests = [(p.name, r) for p, r in zip(peers, rendered)]
    shown = [(p.name, [tuple(d) for d in g]) for p, g in zip(peers, got)]
    messages = [mc.group_messages(g) for g in got]
    # Normalise every message of both servers, so that cas ordinals are
    # handed out in the same order on both sides.
    normalised = [[p.normalise(mc.message_payload(m) or b"", request.key, request.fetch_races)
                   for m in msgs]
                  for p, msgs in zip(peers, messages)]
    if got[0] == got[1]:
        return
    problems = [problem for m in messages[1] for problem in mc.framing_problems(m)]
    if problems:
        mismatches.add("udp", request.label, requests, shown,
                       f"{peers[1].name} framing: {'; '.join(problems)}")
    elif peers[1].coalesced:
        compare_coalesced(peers, request, requests, shown, got, messages, mismatches)
    elif len(messages[0]) != len(messages[1]):
        mismatches.add("udp", request.label, requests, shown,
                       f"{len(messages[0])} vs {len(messages[1])} reply messages")
    elif any(mc.message_payload(m) is None for msgs in messages for m in msgs):
        mismatches.add("udp", request.label, requests, shown, "incomplete message")
    elif any(na != nb or not same_ttls(ta, tb)
             for (na, ta), (nb, tb) in zip(*normalised)):
        mismatches.add("udp", request.label, requests, shown, "payload differs")
    elif any(mc.message_payload(ma) == mc.message_payload(mb)
             and [d[:4] for d in ma] != [d[:4] for d in mb]
             for ma, mb in zip(*messages)):
        mismatches.add("udp", request.label, requests, shown, "frame headers differ")


def compare_coalesced(peers, request, requests, shown, got, messages, mismatches):
    """The subject's messages joined against the oracle's joined."""
    if len(messages[1]) > len(messages[0]):
        mismatches.add("udp", request.label, requests, shown,
                       f"{len(messages[0])} vs {len(messages[1])} reply messages (coalesced)")
    elif any(mc.message_payload(m) is None for msgs in messages for m in msgs):
        mismatches.add("udp", request.label, requests, shown, "incomplete message")
    else:
        (na, ta), (nb, tb) = [p.normalise(udp_stream(g), request.key, request.fetch_races)
                              for p, g in zip(peers, got)]
        if na != nb or not same_ttls(ta, tb):
            mismatches.add("udp", request.label, requests, shown, "joined payload differs")
        elif len(messages[1]) < len(messages[0]):
            peers[1].fewer_messages += 1


# -------------------------------------------------------------------- phases

def run_random(peers, seed, count, max_seconds, mismatches):
    work = Workload(seed)
    rng = random.Random(seed ^ 0x5EED)
    req_id = rng.randrange(0x10000)
    sent = {"udp": 0, "tcp": 0}
    start = time.monotonic()
    for n in range(count):
        if time.monotonic() - start > max_seconds:
            print(f"differential: time bound {max_seconds}s reached after {n} requests")
            break
        request = work.next()
        too_big = max(len(request.render(p)) for p in peers) > UDP_MAX_REQUEST
        if rng.random() < 0.5 and not too_big:
            req_id = (req_id + 1) & 0xFFFF
            udp_exchange(peers, request, req_id, mismatches)
            sent["udp"] += 1
        else:
            tcp_exchange(peers, request, mismatches)
            sent["tcp"] += 1
        check_alive(peers)
    return sent


def run_edge_cases(peers, mismatches):
    sent = {"udp": 0, "tcp": 0}
    req_id = 0x4000
    for name, requests in edge_cases():
        for transport in ("tcp", "udp"):
            # Start each case from the same empty store on both servers.
            tcp_exchange(peers, Request("flush", b"flush_all\r\n"), mismatches)
            for request in requests:
                if isinstance(request, Pause):
                    time.sleep(request.seconds)
                    continue
                request.label = f"edge: {name}"
                if transport == "tcp":
                    tcp_exchange(peers, request, mismatches)
                elif len(request.parts[0]) <= UDP_MAX_REQUEST:
                    req_id += 1
                    udp_exchange(peers, request, req_id, mismatches,
                                 use_quiet=request.expect is None)
                else:
                    continue
                sent[transport] += 1
            check_alive(peers)
    # `quit` over UDP: memcached answers a header-only datagram (total 0).
    req_id += 1
    udp_exchange(peers, Request("edge: quit over UDP", b"quit\r\n", None), req_id,
                 mismatches, use_quiet=True)
    sent["udp"] += 1
    return sent


# ------------------------------------------------- exact cas, metadump

CAS_AROUND_FLUSHES = (
    b"set cf 0 0 1\r\nx\r\ngets cf\r\nflush_all\r\nset cf 0 0 1\r\nx\r\ngets cf\r\n"
    b"flush_all 86400\r\nset cf 0 0 1\r\nx\r\ngets cf\r\nflush_all 0\r\nset cf 0 0 1\r\nx\r\n"
    b"gets cf\r\nflush_all -1\r\nset cf 0 0 1\r\nx\r\ngets cf\r\nflush_all noreply\r\n"
    b"set cf 0 0 1\r\nx\r\nmg cf c\r\nflush_all\r\nset md/1 0 0 1\r\nx\r\n"
    b"set md2 0 100 2\r\nxy\r\nget md/1\r\nmn\r\n")
_CAS_IN_REPLY = re.compile(rb"(?<=^VALUE cf 0 1 )\d+|(?<=^HD c)\d+", re.M)
_METADUMP_TIME = re.compile(rb"(?<= la=)\d+|(?<= exp=)\d+")
_METADUMP_CAS = re.compile(rb"(?<= cas=)\d+")
_METADUMP_OURS = re.compile(rb" cls=\d+ size=\d+$")


def relative_cas(reply, pattern, base=None):
    """The reply with each cas number written as its distance from `base`
    (the first one found when None), and that base."""
    found = pattern.findall(reply)
    if base is None:
        base = int(found[0]) if found else 0
    return pattern.sub(lambda m: b"+%d" % (int(m.group(0)) - base), reply), base


def metadump(peer):
    """`lru_crawler metadump all`, retried while memcached's own crawler is busy."""
    for _ in range(20):
        reply = peer.tcp.request(b"lru_crawler metadump all\r\n",
                                 done=lambda r: r.endswith(b"END\r\n") or r.startswith(b"BUSY"))
        if not reply.startswith(b"BUSY"):
            return reply
        time.sleep(0.2)
    return reply


def check_cas_and_metadump(peers, mismatches):
    """Exact cas steps around flush_all (a delayed flush uses none up, the
    others one each), then the metadump of the items those requests left."""
    replies, bases = [], []
    for peer in peers:
        reply = peer.tcp.request(CAS_AROUND_FLUSHES, done=lambda r: r.endswith(b"MN\r\n"))
        relative, base = relative_cas(reply, _CAS_IN_REPLY)
        replies.append(relative)
        bases.append(base)
    if replies[0] != replies[1]:
        mismatches.add("tcp", "cas around flush_all", [("both", CAS_AROUND_FLUSHES)],
                       list(zip([p.name for p in peers], replies)), "cas steps differ")
    dumps = []
    for peer, base in zip(peers, bases):
        lines = sorted(metadump(peer).split(b"\n"))
        lines = [_METADUMP_OURS.sub(b"", _METADUMP_TIME.sub(b"<t>", line)) for line in lines]
        dumps.append(relative_cas(b"\n".join(lines), _METADUMP_CAS, base)[0])
    if dumps[0] != dumps[1]:
        mismatches.add("tcp", "lru_crawler metadump", [("both", b"lru_crawler metadump all\r\n")],
                       list(zip([p.name for p in peers], dumps)), "metadump differs")


def check_strays(peers, mismatches):
    time.sleep(QUIET)
    for p in peers:
        p.stray += p.udp.drain()
    a, b = ([tuple(d) for d in p.stray] for p in peers)
    if a != b:
        mismatches.add("udp", "late datagrams", [], [(peers[0].name, a), (peers[1].name, b)],
                       "datagrams arrived after their request was compared")


def check_alive(peers):
    for p in peers:
        if not p.server.alive():
            mc.fail(f"{p.name} died (exit {p.server.proc.returncode}):\n{p.server.log_text()}")


def check_stats(oracle, subject):
    """Field names of `stats` and `stats settings`; returns a list of failures."""
    failures = []
    a, b = mc.stats(oracle.port, host=oracle.host), mc.stats(subject.port, host=subject.host)
    print(f"stats: {oracle.name} has {len(a)} fields, {subject.name} has {len(b)}")
    print(f"  only in {oracle.name}: {' '.join(sorted(set(a) - set(b))) or '-'}")
    print(f"  only in {subject.name}: {' '.join(sorted(set(b) - set(a))) or '-'}")
    # Only what 1.6.18 prints itself (it has no total_malloced in `stats`).
    missing = [f for f in EXPORTER_STATS if f in a and f not in b]
    if missing:
        failures.append(f"stats lacks fields memcached_exporter reads: {' '.join(missing)}")
    for field in ("rusage_user", "rusage_system"):
        if field in b and not re.fullmatch(r"\d+\.\d{6}", b[field]):
            failures.append(f"stats {field} is {b[field]!r}, not sec.usec")
    for sub in ("settings", "items", "slabs"):
        # Per-class names ("items:3:number", "3:chunk_size") without the class id.
        sa, sb = ({re.sub(r"^(items:)?\d+:", "", name)
                   for name in mc.stats(s.port, sub, s.host)}
                  for s in (oracle, subject))
        print(f"stats {sub}: only in {oracle.name}: {' '.join(sorted(sa - sb)) or '-'}")
        print(f"stats {sub}: only in {subject.name}: {' '.join(sorted(sb - sa)) or '-'}")
        if sub == "settings" and "maxconns" not in sb:
            failures.append("stats settings lacks maxconns (memcached_exporter reads it)")
    return failures


def run_differential(oracle, subject, seed, requests, max_seconds, coalesced=False):
    """Every phase against two running servers with empty stores (see Peer
    for what a server is). Returns (passed, the size of every UDP datagram
    sent to the subject)."""
    peers = [Peer(oracle), Peer(subject, coalesced)]
    try:
        print(f"oracle {oracle.name} on {oracle.host}:{oracle.port}, "
              f"subject {subject.name} on {subject.host}:{subject.port}", flush=True)
        mismatches = Mismatches()
        started = time.monotonic()
        # Edge cases first, on a fresh store (see Workload on memcached's strtoull).
        edge = run_edge_cases(peers, mismatches)
        sent = run_random(peers, seed, requests, max_seconds, mismatches)
        check_strays(peers, mismatches)
        check_cas_and_metadump(peers, mismatches)
        failures = check_stats(oracle, subject)
        if coalesced:
            print(f"coalesced: {peers[1].fewer_messages} UDP requests answered in fewer "
                  "messages than memcached's")
            if not peers[1].fewer_messages:
                failures.append("--coalesced, but no reply had fewer messages than memcached's")
        check_alive(peers)
    finally:
        for p in peers:
            p.close()
    total = {t: sent[t] + edge[t] for t in sent}
    print(f"elapsed {time.monotonic() - started:.1f}s")
    if mismatches.by_label:
        print("mismatches by command:")
        for (transport, label), n in sorted(mismatches.by_label.items()):
            print(f"  {transport} {label}: {n}")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"differential: {total['udp'] + total['tcp']} requests, "
          f"{mismatches.total()} mismatches (udp: {mismatches.by_transport['udp']}, "
          f"tcp: {mismatches.by_transport['tcp']})", flush=True)
    return not mismatches.total() and not failures, peers[1].udp.sent_sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", help="path of unbuckle-xdp; without it a second "
                        "memcached is the subject (harness self-test)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--coalesced", action="store_true",
                        help="run the daemon with --udp-coalesce-replies on")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    print(f"differential: seed {seed} (rerun with --seed {seed})", flush=True)

    servers = []
    try:
        servers.append(mc.Server.memcached(64, 2))
        if args.daemon:
            extra = ("--udp-coalesce-replies", "on") if args.coalesced else ()
            servers.append(mc.Server.daemon(args.daemon, 64, args.threads, extra))
        else:
            servers.append(mc.Server.memcached(64, 2))
            servers[-1].name = "memcached-2"
        passed, _ = run_differential(servers[0], servers[1], seed, args.requests,
                                     args.max_seconds, args.coalesced)
        return 0 if passed else 1
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
