#!/usr/bin/python3
"""Appends on a small store (issue 9): `set mk 0 0 2` then appends of 2 bytes
to the same key over TCP, against memcached -m 8 and unbuckle-xdp
--memory-limit 8. memcached stores every one; so must the daemon, each
answered without a stall (it used to wait ~80 ms on the page holding the
append's own new item, then answer NOT_STORED).
"""

import argparse
import time

import mcharness as mc

MEMORY_MB = 8
APPENDS = 400
# One append, round trip included; the stall was four 20 ms waits.
SLOWEST_APPEND_S = 0.07


def run(server):
    """The replies, the final get and the slowest append's seconds."""
    client = mc.TcpClient(server.port)
    try:
        replies = [client.request(b"set mk 0 0 2\r\nno\r\n", done=lambda r: r.endswith(b"\r\n"))]
        slowest = 0.0
        for _ in range(APPENDS):
            start = time.monotonic()
            replies.append(client.request(b"append mk 0 0 2\r\n!!\r\n", done=lambda r: r.endswith(b"\r\n")))
            slowest = max(slowest, time.monotonic() - start)
        final = client.request(b"get mk\r\n", done=lambda r: r.endswith(b"END\r\n"))
        return replies, final, slowest
    finally:
        client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", help="path of unbuckle-xdp; without it memcached is "
                        "also the subject (harness self-test)")
    args = parser.parse_args()

    with mc.Server.memcached(MEMORY_MB, 2) as oracle:
        expected, expected_final, _ = run(oracle)
    subject = (mc.Server.daemon(args.daemon, MEMORY_MB, 2) if args.daemon
               else mc.Server.memcached(MEMORY_MB, 2))
    with subject:
        replies, final, slowest = run(subject)

    value = b"no" + b"!!" * APPENDS
    if expected_final != b"VALUE mk 0 %d\r\n%s\r\nEND\r\n" % (len(value), value):
        mc.fail(f"memcached did not store every append: {expected_final[:80]!r}")
    failures = []
    for i, (got, want) in enumerate(zip(replies, expected)):
        if got != want:
            failures.append(f"request {i}: {got!r}, memcached {want!r}")
            break
    if final != expected_final:
        failures.append(f"final get differs: {final[:80]!r}")
    if slowest > SLOWEST_APPEND_S:
        failures.append(f"slowest append took {slowest * 1000:.0f} ms (bound {SLOWEST_APPEND_S * 1000:.0f} ms)")
    if failures:
        mc.fail("\n".join(failures))
    print(f"{subject.name}: {APPENDS} appends stored as memcached, slowest {slowest * 1000:.1f} ms")


if __name__ == "__main__":
    main()
