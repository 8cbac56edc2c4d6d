#!/usr/bin/python3
"""The differential test (../differential.py) with the kernel cache on: a
real memcached and unbuckle-xdp --interface --kernel-cache on side by side in
the server namespace, the client namespace sending both the same requests
over UDP and TCP. 0 mismatches, and XDP must have answered GETs.

  mutations  for every mutation kind (set family, cas, ms modes, delete, md,
             incr/decr/ma, touch, gat, gats, mg T, flush_all now and delayed,
             expiry), over TCP and again over UDP: single-key UDP GETs of
             the key before and after it, three each, so that XDP answers
             the ones before and must not answer a stale one after
  random     ../differential.py's seeded random requests (a few seconds)
  hot        16 hot keys, each GET 15 times over UDP
  cas, metadump, stats, late datagrams: as ../differential.py

../differential.py's own edge cases (request parsing, mostly not plain GETs,
which XDP passes on) take 20 s and run in ../afxdp/afxdp_differential.py;
`afxdp_differential.py --kernel-cache on` runs them with the cache on.

Needs root; exits 77 (skipped) otherwise. About 15 s.
"""

import argparse
import os
import random
import sys
import time

from kernel_cache_setup import SKIP, KernelCacheServers  # first: it puts ../ on sys.path
import differential  # noqa: E402
from differential import CasRef, Pause, Request

HOT_KEYS = [b"hot%02d" % i for i in range(16)]
HOT_ROUNDS = 15


def get(key):
    return ("get", key)


def mutation_cases():
    """(name, steps): a step is a mutation Request, get(key) (three UDP GETs)
    or a Pause. Each case starts from an empty store."""
    k = b"kc"
    v = b"value-of-kc"
    first = [Request("", b"set kc 5 0 %d\r\n%s\r\n" % (len(v), v)), get(k)]
    numeric = [Request("", b"set kc 0 0 3\r\n100\r\n"), get(k)]
    return [
        ("set", first + [Request("", b"set kc 6 0 3\r\nnew\r\n"), get(k)]),
        ("set noreply", first + [Request("", b"set kc 0 0 2 noreply\r\nnr\r\n", 0), get(k)]),
        ("add (refused)", first + [Request("", b"add kc 0 0 1\r\nx\r\n"), get(k)]),
        ("replace", first + [Request("", b"replace kc 7 0 4\r\nrepl\r\n"), get(k)]),
        ("append", first + [Request("", b"append kc 0 0 4\r\n+app\r\n"), get(k)]),
        ("prepend", first + [Request("", b"prepend kc 0 0 4\r\npre+\r\n"), get(k)]),
        ("cas", first + [Request("", b"gets kc\r\n", key=k),
                         Request("", [b"cas kc 0 0 3 ", CasRef(k, "current"), b"\r\ncas\r\n"], key=k),
                         get(k)]),
        ("cas (stale)", first + [Request("", b"cas kc 0 0 3 1\r\nbad\r\n"), get(k)]),
        ("ms", first + [Request("", b"ms kc 2 F9\r\nms\r\n", key=k), get(k)]),
        ("ms append", first + [Request("", b"ms kc 2 MA\r\nMA\r\n", key=k), get(k)]),
        ("ms prepend", first + [Request("", b"ms kc 2 MP\r\nMP\r\n", key=k), get(k)]),
        ("ms replace", first + [Request("", b"ms kc 2 MR\r\nMR\r\n", key=k), get(k)]),
        ("ms add (refused)", first + [Request("", b"ms kc 2 ME\r\nME\r\n", key=k), get(k)]),
        ("ms invalidate", first + [Request("", b"ms kc 2 I\r\nIV\r\n", key=k), get(k)]),
        ("delete", first + [Request("", b"delete kc\r\n"), get(k)]),
        ("md", first + [Request("", b"md kc\r\n", key=k), get(k)]),
        ("md invalidate", first + [Request("", b"md kc I T30\r\n", key=k), get(k),
                                   Request("", b"mg kc v c\r\n", key=k)]),
        ("incr", numeric + [Request("", b"incr kc 5\r\n"), get(k),
                            Request("", b"incr kc 900\r\n"), get(k)]),
        ("decr", numeric + [Request("", b"decr kc 1\r\n"), get(k),
                            Request("", b"decr kc 90\r\n"), get(k)]),
        ("ma", numeric + [Request("", b"ma kc D7 v\r\n", key=k), get(k),
                          Request("", b"ma kc MD D2 v\r\n", key=k), get(k)]),
        ("touch", first + [Request("", b"touch kc 100\r\n"), get(k),
                           Request("", b"mg kc t v\r\n", key=k)]),
        ("touch to the past", first + [Request("", b"touch kc -1\r\n"), get(k)]),
        ("gat", first + [Request("", b"gat 100 kc\r\n"), get(k),
                         Request("", b"gat -1 kc\r\n"), get(k)]),
        ("gats", first + [Request("", b"gats 100 kc\r\n", key=k), get(k)]),
        ("mg T", first + [Request("", b"mg kc T100 v\r\n", key=k), get(k),
                          Request("", b"mg kc T-1 v\r\n", key=k), get(k)]),
        ("flush_all", first + [Request("", b"flush_all\r\n"), get(k),
                               Request("", b"set kc 0 0 5\r\nafter\r\n"), get(k)]),
        ("flush_all 0", first + [Request("", b"flush_all 0\r\n"), get(k)]),
        ("flush_all noreply", first + [Request("", b"flush_all noreply\r\n", 0), get(k)]),
        ("expiry and delayed flush", [
            Request("", b"set ttl 0 2 3\r\nttl\r\n"), Request("", b"set keep 0 0 4\r\nkeep\r\n"),
            get(b"ttl"), get(b"keep"), Request("", b"flush_all 2\r\n"),
            Request("", b"set late 0 0 4\r\nlate\r\n"), get(b"keep"), get(b"late"),
            Pause(3.2), get(b"ttl"), get(b"keep"), get(b"late"),
            Request("", b"set after 0 0 5\r\nafter\r\n"), get(b"after")]),
    ]


class Runner:
    def __init__(self, peers, mismatches):
        self.peers, self.mismatches = peers, mismatches
        self.req_id = random.randrange(0x8000)
        self.sent = {"udp": 0, "tcp": 0}

    def udp(self, request):
        self.req_id = (self.req_id + 1) & 0xFFFF
        differential.udp_exchange(self.peers, request, self.req_id, self.mismatches)
        self.sent["udp"] += 1

    def tcp(self, request):
        differential.tcp_exchange(self.peers, request, self.mismatches)
        self.sent["tcp"] += 1

    def gets(self, key, label, times=3):
        for _ in range(times):
            self.udp(Request(label, b"get %s\r\n" % key, key=key))


def run_mutations(runner):
    for name, steps in mutation_cases():
        for transport in ("tcp", "udp"):
            label = f"kernel cache: {name} over {transport}"
            runner.tcp(Request("flush", b"flush_all\r\n"))
            for step in steps:
                if isinstance(step, Pause):
                    time.sleep(step.seconds)
                elif isinstance(step, tuple):
                    runner.gets(step[1], label + ", then get")
                else:
                    step.label = label
                    (runner.tcp if transport == "tcp" else runner.udp)(step)
        differential.check_alive(runner.peers)


def run_hot(runner):
    for key in HOT_KEYS:
        value = key * 4
        runner.tcp(Request("hot: set", b"set %s 3 0 %d\r\n%s\r\n" % (key, len(value), value)))
    for _ in range(HOT_ROUNDS):
        for key in HOT_KEYS:
            runner.gets(key, "hot: get", times=1)


def run(args):
    failures = []
    with KernelCacheServers(args.daemon, args.xdp_pass, "on", memcached=True) as servers:
        if "XDP native" not in servers.daemon.log_text():
            failures.append(f"the daemon is not on native XDP:\n{servers.daemon.log_text()}")
        xdp0 = servers.counters()
        peers = [differential.Peer(servers.memcached), differential.Peer(servers.daemon)]
        mismatches = differential.Mismatches()
        runner = Runner(peers, mismatches)
        started = time.monotonic()
        try:
            run_mutations(runner)
            print(f"mutations: {time.monotonic() - started:.1f} s", flush=True)
            random_sent = differential.run_random(peers, args.seed, args.requests,
                                                  args.max_seconds, mismatches)
            run_hot(runner)
            differential.check_strays(peers, mismatches)
            differential.check_cas_and_metadump(peers, mismatches)
            failures += differential.check_stats(servers.memcached, servers.daemon)
            differential.check_alive(peers)
        finally:
            for p in peers:
                p.close()
        xdp1 = servers.counters()
        stats = servers.stats()
    sent = {t: runner.sent[t] + random_sent[t] for t in runner.sent}
    kc = {k: xdp1[k] - xdp0[k] for k in xdp1 if k.startswith("kc_") and xdp1[k] != xdp0[k]}
    if mismatches.by_label:
        print("mismatches by command:")
        for (transport, label), n in sorted(mismatches.by_label.items()):
            print(f"  {transport} {label}: {n}")
    print(f"kernel-cache differential: {sent['udp']} UDP and {sent['tcp']} TCP requests, "
          f"{mismatches.total()} mismatches; XDP {kc}; stats kernel_cache_hits "
          f"{stats.get('kernel_cache_hits')}", flush=True)
    if mismatches.total():
        failures.append(f"{mismatches.total()} mismatches between memcached and the daemon")
    if kc.get("kc_hit", 0) <= 0 or not stats.get("kernel_cache_hits"):
        failures.append(f"XDP answered no GET: kc_hit +{kc.get('kc_hit', 0)}, stats "
                        f"kernel_cache_hits {stats.get('kernel_cache_hits')}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--requests", type=int, default=3000, help="random requests")
    parser.add_argument("--max-seconds", type=float, default=5, help="bound of the random phase")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    if args.seed is None:
        args.seed = random.randrange(1 << 31)
    print(f"kernel_cache_differential: seed {args.seed} (rerun with --seed {args.seed})", flush=True)
    started = time.monotonic()
    failures = run(args)
    for f in failures:
        print(f"FAIL: {f}")
    print(f"kernel_cache_differential: {len(failures)} failures in "
          f"{time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
