#!/usr/bin/python3
"""Hostile TCP clients against memcached -m 64 and unbuckle-xdp --memory-limit 64
in the same run: hostile requests (huge declared lengths, oversized keys, a
line without CRLF, binary garbage, `get` with 10,000 keys) must get
memcached's replies byte for byte; then slowloris connections holding
half-sent 1 MB values and clients that pipeline `get`s of a 500 KB item and
never read their replies must leave the daemon's RSS within a bound of
memcached's, while a well-behaved client keeps being served.
"""

import argparse
import random
import socket
import sys
import time

import mcharness as mc

MEMORY_MB = 64
SLOWLORIS = 120            # connections, each holding half of a 1 MB value
NON_READERS = 20           # connections pipelining gets they never read
GETS_PER_NON_READER = 200  # of a 500 KB item: 100 MB of replies each
BIG_VALUE = b"b" * 500_000
# RSS the daemon may hold above memcached's in the same test. Measured (Debian
# 12, 2 threads): memcached peaks at 83 MB under the hostile clients, the
# daemon at 79 MB; with the buffer pool made 1000 times larger (no bound in
# effect) the daemon reached 132 MB and this test failed.
RSS_ALLOWANCE_MB = 25


def hostile_requests():
    """(name, request bytes) whose replies memcached has an opinion on."""
    rng = random.Random(12)
    garbage = bytes(rng.randrange(256) for _ in range(3000)).replace(b"\n", b" ")
    keys = b" ".join(b"k%d" % i for i in range(10_000))
    return [
        ("set then get of 10,000 keys", b"set k5 0 0 2\r\nhi\r\nset k9999 7 0 3\r\nabc\r\n"
                                        b"get " + keys + b"\r\n"),
        ("declared length over 2^32", b"set a 0 0 4294967296\r\nxx\r\nget a\r\n"),
        ("declared length negative", b"set a 0 0 -1\r\nget a\r\n"),
        # memcached answers once the refused block is swallowed; "get a"
        # inside the block is data, the one after it a command.
        ("declared length over the item size", b"set a 0 0 2000000\r\n" + b"x" * 5000 +
                                               b"get a\r\n" + b"x" * 1_994_995 + b"\r\nget a\r\n"),
        ("oversized key in set", b"set " + b"k" * 251 + b" 0 0 1\r\nx\r\nversion\r\n"),
        ("oversized key in get", b"get a " + b"k" * 251 + b" b\r\nversion\r\n"),
        ("LF without CR", b"set c 0 0 1\nz\r\nget c\nversion\n"),
        ("binary garbage lines", garbage[:1000] + b"\r\n" + garbage[1000:] + b"\r\nversion\r\n"),
        ("NUL inside a line", b"get c\x00junk\r\nversion\r\n"),
    ]


def replies_to(server, request):
    client = mc.TcpClient(server.port)
    try:
        return client.request(request, quiet=0.5, deadline=10.0)
    finally:
        client.close()


def open_slowloris(server, count):
    """Connections that send half of a 1 MB value and then nothing."""
    socks = []
    for i in range(count):
        s = socket.create_connection((mc.HOST, server.port), timeout=5)
        s.sendall(b"set slow%d 0 0 1000000\r\n" % i + b"s" * 500_000)
        socks.append(s)
    return socks


def open_non_readers(server, count):
    """Connections that pipeline gets of a 500 KB item and never read."""
    socks = []
    request = b"get big\r\n" * GETS_PER_NON_READER
    for _ in range(count):
        s = socket.create_connection((mc.HOST, server.port), timeout=5)
        s.setblocking(False)
        try:
            s.send(request)   # whatever the kernel takes; the rest never comes
        except BlockingIOError:
            pass
        socks.append(s)
    return socks


def well_behaved(server, rounds=20):
    """Problems a polite client meets while the hostile ones hold on."""
    client = mc.TcpClient(server.port)
    problems = []
    try:
        for i in range(rounds):
            value = b"v%d" % i * 1000
            request = b"set polite%d 0 0 %d\r\n%s\r\nget polite%d\r\n" % (i, len(value), value, i)
            want = b"STORED\r\nVALUE polite%d 0 %d\r\n%s\r\nEND\r\n" % (i, len(value), value)
            got = client.request(request, done=lambda r, w=want: len(r) >= len(w),
                                 quiet=2.0, deadline=5.0)
            if got != want:
                problems.append(f"round {i}: {got[:80]!r}")
                break
    finally:
        client.close()
    return problems


def under_siege(server):
    """Peak RSS (KiB) with the hostile clients connected, and the polite client's problems."""
    setup = mc.TcpClient(server.port)
    reply = setup.request(b"set big 0 0 %d\r\n%s\r\n" % (len(BIG_VALUE), BIG_VALUE),
                          done=lambda r: r.endswith(b"\r\n"))
    setup.close()
    if reply != b"STORED\r\n":
        mc.fail(f"{server.name}: set big answered {reply!r}")
    socks = []
    try:
        socks += open_slowloris(server, SLOWLORIS)
        socks += open_non_readers(server, NON_READERS)
        peak = 0
        end = time.monotonic() + 3.0
        while time.monotonic() < end:
            peak = max(peak, server.rss_kb())
            time.sleep(0.2)
        problems = well_behaved(server)
        peak = max(peak, server.rss_kb())
        if not server.alive():
            problems.append(f"died:\n{server.log_text()}")
        return peak, problems
    finally:
        for s in socks:
            s.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", help="path of unbuckle-xdp; without it memcached is "
                        "also the subject (harness self-test)")
    args = parser.parse_args()
    requests = hostile_requests()
    failures = []

    with mc.Server.memcached(MEMORY_MB, 2) as oracle:
        expected = [replies_to(oracle, r) for _, r in requests]
        oracle_rss, oracle_problems = under_siege(oracle)
    subject = (mc.Server.daemon(args.daemon, MEMORY_MB, 2) if args.daemon
               else mc.Server.memcached(MEMORY_MB, 2))
    with subject:
        for (name, request), want in zip(requests, expected):
            got = replies_to(subject, request)
            if got != want:
                failures.append(f"{name}: memcached {want[:200]!r}, {subject.name} "
                                f"{got[:200]!r}")
        subject_rss, subject_problems = under_siege(subject)
        counters = mc.stats(subject.port)

    if oracle_problems:
        failures.append(f"memcached's polite client: {oracle_problems}")
    if subject_problems:
        failures.append(f"{subject.name}'s polite client: {subject_problems}")
    bound = oracle_rss + RSS_ALLOWANCE_MB * 1024
    if subject_rss > bound:
        failures.append(f"{subject.name} RSS peaked at {subject_rss // 1024} MB, over "
                        f"memcached's {oracle_rss // 1024} MB + {RSS_ALLOWANCE_MB} MB")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"hostile_tcp: {len(requests)} hostile requests compared; with {SLOWLORIS} slowloris "
          f"and {NON_READERS} non-reading clients RSS peaked at memcached "
          f"{oracle_rss // 1024} MB, {subject.name} {subject_rss // 1024} MB "
          f"(store_no_memory {counters.get('store_no_memory')}, read_buf_oom "
          f"{counters.get('read_buf_oom')}, response_obj_oom "
          f"{counters.get('response_obj_oom')}); {len(failures)} failures", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
