#!/usr/bin/python3
"""memcached's switches of its administrative commands against this server's
flags: each pair started side by side (-X / --disable-dumping,
-F / --disable-flush-all, -C / --disable-cas, -A / --enable-shutdown), the
same request bytes to both over TCP, the replies compared byte for byte; with
-A `shutdown` must stop both processes.

Python 3 standard library only; servers on free 127.0.0.1 ports.
"""

import argparse
import os
import sys
import tempfile
import time

import mcharness as mc

CASES = [
    ("-X", "--disable-dumping",
     b"set a 0 0 1\r\nx\r\nstats cachedump 1 0\r\nlru_crawler metadump all\r\n"
     b"lru_crawler metadump hash\r\nlru_crawler crawl all\r\nmn\r\n"),
    ("-F", "--disable-flush-all",
     b"set foo 0 0 1\r\nx\r\nflush_all\r\nflush_all 0 noreply\r\nflush_all x\r\nget foo\r\nmn\r\n"),
    ("-C", "--disable-cas",
     b"set a 0 0 1\r\nx\r\ngets a\r\ngats 100 a\r\ncas a 0 0 1 0\r\ny\r\ncas a 0 0 1 1\r\nz\r\n"
     b"cas b 0 0 1 0\r\nz\r\nmg a c v\r\nms a 1 C0\r\nq\r\nms a 1 C5\r\nw\r\nma n N0 c\r\n"
     b"md a C3\r\nms a 1 MA C4\r\ny\r\nmg a v c\r\nmd a C0\r\nms b 1 C0\r\nq\r\n"
     b"set m 0 0 1048524\r\n" + b"M" * 1048524 + b"\r\n"
     b"set m 0 0 1048525\r\n" + b"M" * 1048525 + b"\r\nmn\r\n"),
    ("-A", "--enable-shutdown", b"shutdown foo\r\nshutdown graceful x\r\nversion\r\n"),
]


def start(kind, daemon, flag):
    port = mc.free_port()
    if kind == "memcached":
        argv = [mc.MEMCACHED, "-U", "0", "-p", str(port), "-l", mc.HOST, flag]
        if os.geteuid() == 0:
            argv += ["-u", "root"]
        return mc.Server("memcached", argv, port)
    private_dir = tempfile.mkdtemp(prefix="unbuckle-it-")
    argv = [daemon, "--backend", "socket", "--listen", mc.HOST, "--port", "0",
            "--tcp-port", str(port), "--threads", "2", flag]
    argv += mc._daemon_private_paths(daemon, private_dir)
    return mc.Server("unbuckle-xdp", argv, port, private_dir)


def exchange(server, data):
    client = mc.TcpClient(server.port, server.host)
    try:
        return client.request(data, done=lambda r: r.endswith(b"MN\r\n") or r.endswith(b"VERSION 1.6.18\r\n"))
    finally:
        client.close()


def stops_on_shutdown(server, line):
    """Sends `line`; True if the connection closes without a reply and the
    process exits cleanly (status 0) within 5 s."""
    client = mc.TcpClient(server.port, server.host)
    try:
        reply = client.request(line, quiet=1.0)
    finally:
        client.close()
    deadline = time.monotonic() + 5
    while server.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    return reply == b"" and not server.alive() and server.proc.returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    args = parser.parse_args()
    failures = 0
    for memcached_flag, our_flag, data in CASES:
        servers = [start("memcached", args.daemon, memcached_flag), start("ours", args.daemon, our_flag)]
        try:
            replies = [exchange(s, data) for s in servers]
            if replies[0] != replies[1]:
                failures += 1
                print(f"FAIL {memcached_flag} / {our_flag}:\n  memcached:   {replies[0][:600]!r}\n"
                      f"  unbuckle-xdp: {replies[1][:600]!r}")
            else:
                print(f"ok   {memcached_flag} / {our_flag}: {len(replies[0])} bytes alike")
            if memcached_flag == "-A":
                for server, line in zip(servers, (b"shutdown\r\n", b"shutdown graceful\r\n")):
                    if not stops_on_shutdown(server, line):
                        failures += 1
                        print(f"FAIL {server.name} did not stop on {line!r}:\n{server.log_text()}")
                    else:
                        print(f"ok   {server.name} stopped on {line!r}")
        finally:
            for s in servers:
                s.stop()
    print(f"admin switches: {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
