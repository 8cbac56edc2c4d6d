#!/usr/bin/python3
"""memcached's temporary LRU against this server's: memcached 1.6.18 with
-o temporary_ttl=61 and unbuckle-xdp with --temporary-ttl 61 (and both
without it) get the same requests over TCP: a short-TTL canary, then enough
long-TTL items of its size to evict the class several times over. With the
temporary LRU the canary must survive unfetched on both; without it both
evict it. `stats items` (number_temp, hits_to_temp), `stats settings`
(temp_lru, temporary_ttl) and `lru temp_ttl N` changing the threshold at run
time must agree.

Python 3 standard library only; servers on free 127.0.0.1 ports.
"""

import argparse
import os
import sys
import tempfile

import mcharness as mc

VALUE = b"B" * 66560   # t/lru-maintainer.t's size: a class of about 15 chunks a page
FILLERS = 100


def start(kind, daemon, temporary_ttl):
    port = mc.free_port()
    if kind == "memcached":
        argv = [mc.MEMCACHED, "-U", "0", "-p", str(port), "-l", mc.HOST, "-m", "2", "-t", "2"]
        if temporary_ttl is not None:
            argv += ["-o", f"temporary_ttl={temporary_ttl}"]
        if os.geteuid() == 0:
            argv += ["-u", "root"]
        return mc.Server("memcached", argv, port)
    private_dir = tempfile.mkdtemp(prefix="unbuckle-it-")
    argv = [daemon, "--backend", "socket", "--listen", mc.HOST, "--port", "0",
            "--tcp-port", str(port), "--threads", "2", "--memory-limit", "2"]
    if temporary_ttl is not None:
        argv += ["--temporary-ttl", str(temporary_ttl)]
    argv += mc._daemon_private_paths(daemon, private_dir)
    return mc.Server("unbuckle-xdp", argv, port, private_dir)


def store(client, key, exptime):
    line = b"set %s 0 %d %d\r\n" % (key, exptime, len(VALUE)) + VALUE + b"\r\n"
    reply = client.request(line, done=lambda r: r.endswith(b"\r\n"))
    if reply != b"STORED\r\n":
        raise RuntimeError(f"set {key!r}: {reply[:100]!r}")


def hit(client, key):
    reply = client.request(b"get %s\r\n" % key, done=lambda r: r.endswith(b"END\r\n"))
    return reply.startswith(b"VALUE ")


def command(client, line):
    return client.request(line, done=lambda r: r.endswith(b"\r\n")).decode().strip()


def item_totals(port):
    """number_temp and hits_to_temp summed over the classes (None where no
    class shows the field), and the evictions."""
    items = mc.stats(port, "items")
    out = {"evictions": int(mc.stats(port)["evictions"]) > 0}
    for field in ("number_temp", "hits_to_temp"):
        values = [int(v) for k, v in items.items() if k.endswith(":" + field)]
        out[field] = sum(values) if values else None
    return out


def scenario(server, temporary_ttl):
    """What a client sees; the same dict is expected from both servers."""
    client = mc.TcpClient(server.port, server.host)
    seen = {}
    try:
        settings = mc.stats(server.port, "settings")
        seen["settings"] = (settings["temp_lru"], settings["temporary_ttl"])
        store(client, b"canary", 30)     # temporary when the TTL is 61
        store(client, b"edge", 61)       # temporary: exptime - now <= 61
        for i in range(FILLERS):
            store(client, b"key%d" % i, 3600)
        seen["after fill"] = item_totals(server.port)
        seen["canary kept"] = hit(client, b"canary")
        seen["edge kept"] = hit(client, b"edge")
        hit(client, b"canary")
        seen["after gets"] = item_totals(server.port)
        if temporary_ttl is None:
            return seen
        # Off at run time: new short-TTL items are evictable, number_temp is not shown.
        seen["lru temp_ttl -1"] = command(client, b"lru temp_ttl -1\r\n")
        store(client, b"off", 5)
        seen["off"] = item_totals(server.port)
        settings = mc.stats(server.port, "settings")
        seen["settings off"] = (settings["temp_lru"], settings["temporary_ttl"])
        # A new threshold: 10 is temporary, 11 is not.
        seen["lru temp_ttl 10"] = command(client, b"lru temp_ttl 10\r\n")
        store(client, b"ttl10", 10)
        store(client, b"ttl11", 11)
        seen["threshold 10"] = item_totals(server.port)
        settings = mc.stats(server.port, "settings")
        seen["settings 10"] = (settings["temp_lru"], settings["temporary_ttl"])
    finally:
        client.close()
    return seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    args = parser.parse_args()
    failures = 0
    for temporary_ttl in (61, None):
        label = f"temporary_ttl={temporary_ttl}" if temporary_ttl is not None else "no temporary LRU"
        results = []
        for kind in ("memcached", "ours"):
            server = start(kind, args.daemon, temporary_ttl)
            try:
                results.append(scenario(server, temporary_ttl))
            finally:
                server.stop()
        memcached, ours = results
        expected_kept = temporary_ttl is not None
        if memcached["canary kept"] != expected_kept:
            failures += 1
            print(f"FAIL {label}: memcached itself did not behave as expected: {memcached}")
        for key in memcached:
            if memcached[key] != ours[key]:
                failures += 1
                print(f"FAIL {label}: {key}: memcached {memcached[key]}, unbuckle-xdp {ours[key]}")
            else:
                print(f"ok   {label}: {key}: {ours[key]}")
    print(f"temporary LRU: {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
