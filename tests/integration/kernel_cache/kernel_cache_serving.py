#!/usr/bin/python3
"""The kernel cache serves single-key GET hits in XDP, and the daemon counts
them as its own; with --kernel-cache off the AF_XDP path serves as before.

  on   32 hot keys (64-byte values) set over TCP, one warm-up GET each, then
       320 UDP GETs: every reply exact, the AF_XDP RX counter
       (stats afxdp_rx_frames) and the XDP redirect counter do not move,
       XDP's kc_hit and stats kernel_cache_hits grow by 320, and stats
       get_hits and cmd_get include those hits
  mg   after a GET served by XDP, `mg <k> h l t` answers as memcached (run
       beside it, same requests) does: hit before (the XDP hit folded into
       the item), the same last access and TTL
  big  a 1000-byte value, mirrored but too big to grow a veth frame into:
       still answered (through AF_XDP), counted as kc_fallback_too_big
  detail  `stats detail on` on both servers, the same UDP GETs (hits and
       misses of ':'-prefixed keys): `stats detail dump` is memcached's, byte
       for byte (XDP pauses while detail is on); after `stats detail off`
       XDP answers again
  temp --temporary-ttl 10 beside memcached -o temporary_ttl=10: UDP GETs of
       a key stored with a 8 s TTL (in the temporary LRU), answered by XDP
       here: `stats items` hits_to_temp and number_temp equal memcached's
  off  --kernel-cache off: the same GETs all go through AF_XDP, no XDP hit
  kill kill -9 leaves the program and the mirror behind, but XDP answers
       nothing from a cache no daemon keeps coherent any more

Needs root; exits 77 (skipped) otherwise. About 10 s.
"""

import argparse
import os
import sys
import time

from kernel_cache_setup import (MEMCACHED_PORT, SKIP, KernelCacheServers, UdpGetter, mc, netns,
                                tcp_request, PORT)

KEYS = [b"hot:%016d" % i for i in range(32)]
ROUNDS = 10
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", flush=True)
    return condition


def value_of(key, size=64):
    return (key * (size // len(key) + 1))[:size]


def hit(key, value, flags=0):
    return b"VALUE %s %d %d\r\n%s\r\nEND\r\n" % (key, flags, len(value), value)


def set_keys(port, keys, size=64, exptime=0):
    client = mc.TcpClient(port, netns.SERVER_IP)
    try:
        for key in keys:
            reply = tcp_request(client, b"set %s 0 %d %d\r\n%s\r\n" % (key, exptime, size,
                                                                         value_of(key, size)),
                                b"\r\n")
            check(reply == b"STORED\r\n", f"set {key!r} on port {port}: {reply!r}")
    finally:
        client.close()


def get_rounds(getter, rounds):
    wrong = 0
    for _ in range(rounds):
        for key in KEYS:
            reply = getter.request(b"get %s\r\n" % key)
            if reply != hit(key, value_of(key)):
                wrong += 1
                if wrong <= 3:
                    print(f"  get {key!r}: {reply!r}")
    return wrong


def kernel_cache_field(stats, name):
    """stats kernel_cache_<name>; a failure (listing the fields there are) if absent."""
    field = f"kernel_cache_{name}"
    if field not in stats:
        check(False, f"stats has no {field}: " +
              " ".join(k for k in sorted(stats) if k.startswith("kernel_cache")))
        return 0
    return stats[field]


def settled_stats(servers, field, expected, before):
    """stats once `field` has grown by `expected` (XDP hits are folded into
    the daemon's counters at least once a second), at most 3 s."""
    deadline = time.monotonic() + 3
    while True:
        stats = servers.stats()
        if stats.get(field, 0) - before.get(field, 0) >= expected or time.monotonic() > deadline:
            return stats
        time.sleep(0.1)


def serving_on(args):
    with KernelCacheServers(args.daemon, args.xdp_pass, "on", memcached=True) as servers:
        set_keys(PORT, KEYS)
        getter = UdpGetter()
        try:
            check(get_rounds(getter, 1) == 0, "warm-up GETs answered exactly")
            stats0, xdp0 = servers.stats(), servers.counters()
            wrong = get_rounds(getter, ROUNDS)
            n = ROUNDS * len(KEYS)
            xdp1 = servers.counters()
            stats1 = settled_stats(servers, "get_hits", n, stats0)
        finally:
            getter.close()
        check(wrong == 0, f"{wrong} of {n} GETs answered wrongly or not at all")
        delta = {k: stats1.get(k, 0) - stats0.get(k, 0)
                 for k in ("afxdp_rx_frames", "get_hits", "cmd_get", "get_misses")}
        xdelta = {k: xdp1[k] - xdp0[k] for k in ("redirect", "kc_hit")}
        kc_hits = kernel_cache_field(stats1, "hits") - kernel_cache_field(stats0, "hits")
        print(f"on: {n} GETs; stats deltas {delta}, kernel_cache_hits +{kc_hits}; XDP {xdelta}",
              flush=True)
        check("afxdp_rx_frames" in stats1, "stats has afxdp_rx_frames")
        check(delta["afxdp_rx_frames"] == 0 and xdelta["redirect"] == 0,
              f"warm hot keys never reach AF_XDP: afxdp_rx_frames +{delta['afxdp_rx_frames']}, "
              f"XDP redirect +{xdelta['redirect']}")
        check(xdelta["kc_hit"] == n, f"XDP kc_hit +{xdelta['kc_hit']}, expected +{n}")
        check(kc_hits == n, f"stats kernel_cache_hits +{kc_hits}, expected +{n}")
        check(delta["get_hits"] == n and delta["cmd_get"] == n and delta["get_misses"] == 0,
              f"stats get_hits/cmd_get include the XDP hits: {delta}, expected +{n}")

        meta_after_xdp_gets(servers)
        too_big(servers)
        detail_counts_every_get(servers)


def meta_after_xdp_gets(servers):
    """`mg k h l t` after a pause and a GET served by XDP, against memcached."""
    key = b"meta:hlt"
    for port in (PORT, MEMCACHED_PORT):
        set_keys(port, [key], exptime=100)
    time.sleep(2.2)
    xdp0 = servers.counters()
    replies = []
    for port in (PORT, MEMCACHED_PORT):
        getter = UdpGetter(port)
        try:
            reply = getter.request(b"get %s\r\n" % key)
        finally:
            getter.close()
        check(reply == hit(key, value_of(key)), f"get {key!r} on port {port}: {reply!r}")
        client = mc.TcpClient(port, netns.SERVER_IP)
        try:
            replies.append(tcp_request(client, b"mg %s h l t\r\n" % key, b"\r\n"))
        finally:
            client.close()
    check(servers.counters()["kc_hit"] - xdp0["kc_hit"] == 1, "XDP served the daemon's GET")
    ours, theirs = replies
    print(f"mg h l t after an XDP hit: unbuckle {ours!r}, memcached {theirs!r}", flush=True)

    def flags(reply):
        return dict((t[:1], t[1:]) for t in reply.split()[1:])
    a, b = flags(ours), flags(theirs)
    check(ours.startswith(b"HD ") and a.get(b"h") == b.get(b"h") == b"1",
          f"mg h: hit before, as memcached: {ours!r} vs {theirs!r}")
    # memcached moves an item's last access only when it is a minute old
    # (ITEM_UPDATE_INTERVAL): after 2 s both still say l2.
    check(a.get(b"l", b"").isdigit() and b.get(b"l", b"").isdigit()
          and abs(int(a[b"l"]) - int(b[b"l"])) <= 1,
          f"mg l: the same last access as memcached: {ours!r} vs {theirs!r}")
    check(a.get(b"t", b"").isdigit() and b.get(b"t", b"").isdigit()
          and abs(int(a[b"t"]) - int(b[b"t"])) <= 1,
          f"mg t: the same TTL as memcached: {ours!r} vs {theirs!r}")


def too_big(servers):
    """A value whose reply the kernel cache holds but a veth frame cannot
    grow into is answered through AF_XDP and counted."""
    key = b"big:1000"
    set_keys(PORT, [key], size=1000)
    stats0, xdp0 = servers.stats(), servers.counters()
    getter = UdpGetter()
    try:
        replies = [getter.request(b"get %s\r\n" % key) for _ in range(3)]
    finally:
        getter.close()
    xdp1, stats1 = servers.counters(), servers.stats()
    check(all(r == hit(key, value_of(key, 1000)) for r in replies),
          f"a 1000-byte value is answered: {[len(r or b'') for r in replies]} bytes")
    fallbacks = xdp1["kc_fallback_too_big"] - xdp0["kc_fallback_too_big"]
    stat_fallbacks = (kernel_cache_field(stats1, "fallback_too_big")
                      - kernel_cache_field(stats0, "fallback_too_big"))
    print(f"big: XDP kc_fallback_too_big +{fallbacks}, stats +{stat_fallbacks}, "
          f"redirect +{xdp1['redirect'] - xdp0['redirect']}", flush=True)
    check(fallbacks == 3 and stat_fallbacks == 3,
          f"3 too-big fallbacks counted: XDP +{fallbacks}, stats +{stat_fallbacks}")


def tcp_command(port, command, terminator):
    client = mc.TcpClient(port, netns.SERVER_IP)
    try:
        return tcp_request(client, command, terminator)
    finally:
        client.close()


def detail_counts_every_get(servers):
    """`stats detail dump` after UDP GETs that XDP would answer, against memcached."""
    keys = [b"dp:%d" % i for i in range(4)]
    for port in (PORT, MEMCACHED_PORT):
        set_keys(port, keys)
        check(tcp_command(port, b"stats detail on\r\n", b"\r\n") == b"OK\r\n",
              f"stats detail on, port {port}")
    dumps = []
    for port in (PORT, MEMCACHED_PORT):
        getter = UdpGetter(port)
        try:
            for key in keys + [b"dp:absent", b"dq:absent"]:
                getter.request(b"get %s\r\n" % key)
        finally:
            getter.close()
        dumps.append(tcp_command(port, b"stats detail dump\r\n", b"END\r\n"))
    print(f"detail dump: unbuckle {dumps[0]!r}, memcached {dumps[1]!r}", flush=True)
    check(dumps[0] == dumps[1], f"stats detail dump as memcached's: {dumps[0]!r} vs {dumps[1]!r}")
    check(tcp_command(PORT, b"stats detail off\r\n", b"\r\n") == b"OK\r\n", "stats detail off")
    xdp0 = servers.counters()
    getter = UdpGetter()
    try:
        getter.request(b"get %s\r\n" % keys[0])
    finally:
        getter.close()
    check(servers.counters()["kc_hit"] - xdp0["kc_hit"] == 1, "after stats detail off XDP answers again")


TEMPORARY_TTL = 10


def temp_lru_lines(port):
    """The hits_to_temp and number_temp lines of `stats items`."""
    reply = tcp_command(port, b"stats items\r\n", b"END\r\n")
    return [line for line in reply.split(b"\r\n")
            if b":hits_to_temp " in line or b":number_temp " in line]


def temporary_hits(args):
    """XDP hits of an item in the temporary LRU count as hits_to_temp, as
    memcached counts its own hits of it."""
    key = b"temp:1"
    gets = 5
    with KernelCacheServers(args.daemon, args.xdp_pass, "on",
                            daemon_args=("--temporary-ttl", str(TEMPORARY_TTL)),
                            memcached_options=f"temporary_ttl={TEMPORARY_TTL}") as servers:
        for port in (PORT, MEMCACHED_PORT):
            set_keys(port, [key], exptime=TEMPORARY_TTL - 2)
        xdp0 = servers.counters()
        for port in (PORT, MEMCACHED_PORT):
            getter = UdpGetter(port)
            try:
                replies = [getter.request(b"get %s\r\n" % key) for _ in range(gets)]
            finally:
                getter.close()
            check(all(r == hit(key, value_of(key)) for r in replies),
                  f"get {key!r} on port {port}: {replies!r}")
        served = servers.counters()["kc_hit"] - xdp0["kc_hit"]
        check(served == gets, f"XDP answered the daemon's {gets} GETs: kc_hit +{served}")
        theirs = temp_lru_lines(MEMCACHED_PORT)
        # XDP's hits reach the per-class counts within a sweep (a second).
        deadline = time.monotonic() + 3
        while (ours := temp_lru_lines(PORT)) != theirs and time.monotonic() < deadline:
            time.sleep(0.1)
        print(f"temp: stats items unbuckle {ours!r}, memcached {theirs!r}", flush=True)
        check(any(line.endswith(b":hits_to_temp %d" % gets) for line in theirs),
              f"memcached counts {gets} hits_to_temp: {theirs!r}")
        check(ours == theirs, f"hits_to_temp and number_temp as memcached's: {ours!r} vs {theirs!r}")


def serving_off(args):
    with KernelCacheServers(args.daemon, args.xdp_pass, "off") as servers:
        set_keys(PORT, KEYS)
        stats0, xdp0 = servers.stats(), servers.counters()
        getter = UdpGetter()
        try:
            wrong = get_rounds(getter, ROUNDS)
        finally:
            getter.close()
        n = ROUNDS * len(KEYS)
        xdp1, stats1 = servers.counters(), servers.stats()
        rx = stats1.get("afxdp_rx_frames", 0) - stats0.get("afxdp_rx_frames", 0)
        print(f"off: {n} GETs; afxdp_rx_frames +{rx}, XDP redirect "
              f"+{xdp1['redirect'] - xdp0['redirect']}, kc_hit {xdp1['kc_hit']}, "
              f"kernel_cache_hits {stats1.get('kernel_cache_hits')}", flush=True)
        check(wrong == 0, f"--kernel-cache off: {wrong} of {n} GETs answered wrongly")
        check(rx == n and xdp1["redirect"] - xdp0["redirect"] == n,
              f"--kernel-cache off: every GET through AF_XDP (afxdp_rx_frames +{rx})")
        check(xdp1["kc_hit"] == 0 and stats1.get("kernel_cache_hits", 0) == 0,
              "--kernel-cache off: no kernel-cache hit")
        check(stats1["get_hits"] - stats0["get_hits"] == n, "--kernel-cache off: get_hits")


def answered_after_kill(getter, key):
    """Whether a GET got a reply; the kernel's port unreachable is none."""
    try:
        return getter.request(b"get %s\r\n" % key) is not None
    except ConnectionRefusedError:
        return False


def killed(args):
    with KernelCacheServers(args.daemon, args.xdp_pass, "on") as servers:
        keys = KEYS[:4]
        set_keys(PORT, keys)
        getter = UdpGetter(timeout=0.5)
        try:
            xdp0 = servers.counters()
            wrong = sum(getter.request(b"get %s\r\n" % k) != hit(k, value_of(k)) for k in keys)
            xdp1 = servers.counters()
            check(wrong == 0 and xdp1["kc_hit"] - xdp0["kc_hit"] == len(keys),
                  f"before kill -9: XDP answers the hot keys ({wrong} wrong, "
                  f"kc_hit +{xdp1['kc_hit'] - xdp0['kc_hit']})")
            servers.daemon.proc.kill()
            servers.daemon.proc.wait(timeout=10)
            check(servers.net.xdp_attached(), "after kill -9 the program stays attached")
            answered = [k for k in keys if answered_after_kill(getter, k)]
            xdp2 = servers.counters()
        finally:
            getter.close()
        print(f"kill -9: {len(answered)} of {len(keys)} GETs answered afterwards; XDP kc_hit "
              f"+{xdp2['kc_hit'] - xdp1['kc_hit']}, redirect_no_socket "
              f"+{xdp2['redirect_no_socket'] - xdp1['redirect_no_socket']}", flush=True)
        check(not answered and xdp2["kc_hit"] == xdp1["kc_hit"],
              f"after kill -9 nothing is answered from the orphaned cache: {answered}")
        check(xdp2["redirect_no_socket"] - xdp1["redirect_no_socket"] == len(keys),
              "after kill -9 every GET is passed to the kernel, counted as redirect_no_socket")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    started = time.monotonic()
    for part in (serving_on, temporary_hits, serving_off, killed):
        print(f"== {part.__name__}", flush=True)
        try:
            part(args)
        except Exception as e:  # a broken part fails the test, the other still runs
            check(False, f"{part.__name__}: {type(e).__name__}: {e}")
    print(f"kernel_cache_serving: {len(failures)} failures in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
