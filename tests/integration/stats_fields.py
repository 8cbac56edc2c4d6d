#!/usr/bin/python3
"""`stats` and its subcommands name every field memcached 1.6.18 names, in
its order (values differ and are not compared), and the counters memcached
tests read after `stats reset`, expiry and flush agree with memcached's.

Checked against a real memcached started here, the same requests to both:
- `stats`, `stats settings`, `stats items`, `stats slabs`: the list of
  names in order (class ids replaced by "N"); the daemon's own fields
  (unbuckle_version, udp_*, xdp_*, afxdp_*) may only follow memcached's;
- `stats conns`: the kinds of socket groups (listener, UDP, client) with
  their names in order, and as many of each kind as memcached lists;
- `curr_connections` and `total_connections` as memcached counts them (its
  listener and one UDP connection per thread included) with the same
  threads, with UDP and without (-U 0), while clients come and go and
  after `stats reset`; and without an address (memcached without -l, the
  daemon without --listen): TCP and UDP answered over ::1, `inter NULL`,
  the same counts and `stats conns` kinds with both families' sockets;
- `stats detail on|dump|off`: byte for byte;
- `stats reset`: total_items and the eviction counters start again
  (t/issue_22.t);
- `reclaimed` for a flushed item a set finds, as memcached -o no_modern
  counts it (t/issue_183.t), and for expired items at the LRU tails, as
  memcached's LRU maintainer counts them (t/lru-maintainer.t, t/issue_163.t).
Fails naming the missing and extra names.
"""

import argparse
import os
import re
import socket
import tempfile
import time

import mcharness as mc

EXTRA_PREFIXES = ("unbuckle_", "udp_", "xdp_", "afxdp_")


def request(client, line):
    return client.request(line, done=lambda r: r.endswith(b"END\r\n") or r.endswith(b"OK\r\n")
                          or r.endswith(b"RESET\r\n") or r.endswith(b"STORED\r\n")
                          or r.startswith(b"ERROR") or r.startswith(b"CLIENT_ERROR"))


def names(reply):
    out = []
    for line in reply.split(b"\r\n"):
        parts = line.split(b" ", 2)
        if len(parts) == 3 and parts[0] == b"STAT":
            out.append(parts[1].decode())
    return out


def by_class(field_names):
    """Class ids replaced by N, one copy of each name (first class's order)."""
    seen = []
    for name in field_names:
        general = re.sub(r"^(items:)?\d+:", lambda m: (m.group(1) or "") + "N:", name)
        if general not in seen:
            seen.append(general)
    return seen


def conn_groups(field_names):
    """The set of per-socket name sequences of `stats conns`, fds dropped."""
    groups = {}
    for name in field_names:
        fd, _, field = name.partition(":")
        groups.setdefault(fd, []).append(field)
    return {tuple(g) for g in groups.values()}


def conn_kinds(reply):
    """Sockets of `stats conns` per kind: listening, UDP, client."""
    kinds = {}
    for line in reply.split(b"\r\n"):
        parts = line.split(b" ", 2)
        if len(parts) != 3 or parts[0] != b"STAT" or not parts[1].endswith(b":state"):
            continue
        state = parts[2].decode()
        kind = "listening" if state == "conn_listening" else None
        kinds[parts[1].split(b":")[0]] = kind
    for line in reply.split(b"\r\n"):
        if line.endswith(b":UDP UDP"):
            kinds[line.split(b" ")[1].split(b":")[0]] = "udp"
    counts = {}
    for kind in kinds.values():
        counts[kind or "client"] = counts.get(kind or "client", 0) + 1
    return counts


def diff(what, expected, got, extras_allowed=False):
    missing = [n for n in expected if n not in got]
    extra = [n for n in got if n not in expected]
    if extras_allowed:
        extra = [n for n in extra if not n.startswith(EXTRA_PREFIXES)]
        tail = got[len(expected):]
        in_order = got[:len(expected)] == expected and all(n.startswith(EXTRA_PREFIXES) for n in tail)
    else:
        in_order = got == expected
    if missing or extra or not in_order:
        mc.fail(f"{what}: missing {missing}, extra {extra}; "
                f"{'order differs' if not missing and not extra else ''}\n"
                f"memcached: {expected}\nunbuckle:  {got}")
    print(f"{what}: {len(expected)} names, same order", flush=True)


def compare_names(memcached, daemon):
    clients = [mc.TcpClient(s.port) for s in (memcached, daemon)]
    for client in clients:
        request(client, b"set a 0 0 1\r\nx\r\n")
        request(client, b"get a\r\n")
    replies, raw = {}, {}
    for sub in ("", "settings", "items", "slabs", "conns"):
        line = f"stats {sub}".strip().encode() + b"\r\n"
        raw[sub] = [request(c, line) for c in clients]
        replies[sub] = [names(r) for r in raw[sub]]
    want, got = replies[""]
    diff("stats", want, got, extras_allowed=True)
    diff("stats settings", *replies["settings"])
    diff("stats items", *(by_class(r) for r in replies["items"]))
    diff("stats slabs", *(by_class(r) for r in replies["slabs"]))
    want, got = (conn_groups(r) for r in replies["conns"])
    if want != got:
        mc.fail(f"stats conns: socket groups differ\nmemcached: {sorted(want)}\nunbuckle:  {sorted(got)}")
    want, got = (conn_kinds(r) for r in raw["conns"])
    if want != got:
        mc.fail(f"stats conns: sockets of each kind differ\nmemcached: {want}\nunbuckle:  {got}")
    print(f"stats conns: {len(want)} kinds of socket, same names and numbers {got}", flush=True)

    detail = []
    for client in clients:
        script = [b"stats detail on\r\n", b"set p:a 0 0 1\r\nx\r\n", b"get p:a p:b\r\n",
                  b"delete p:a\r\n", b"get nokey\r\n", b"stats detail dump\r\n",
                  b"stats detail off\r\n", b"stats detail dump\r\n", b"stats detail\r\n"]
        detail.append(b"".join(request(client, line) for line in script))
    if detail[0] != detail[1]:
        mc.fail(f"stats detail differs\nmemcached: {detail[0]!r}\nunbuckle:  {detail[1]!r}")
    print("stats detail: same bytes", flush=True)
    for client in clients:
        client.close()


def connection_counts(server):
    stats = mc.stats(server.port)
    return int(stats["curr_connections"]), int(stats["total_connections"])


def compare_connections(memcached, daemon):
    """(curr_connections, total_connections) after each step, both servers."""
    seen = []
    for server in (memcached, daemon):
        steps = [connection_counts(server)]
        first, second = mc.TcpClient(server.port), mc.TcpClient(server.port)
        for client in (first, second):
            client.request(b"version\r\n", done=lambda r: r.endswith(b"\r\n"))
        steps.append(connection_counts(server))
        first.close()
        second.close()
        time.sleep(0.3)   # the server sees the closes
        steps.append(connection_counts(server))
        client = mc.TcpClient(server.port)
        request(client, b"stats reset\r\n")
        client.close()
        time.sleep(0.3)
        steps.append(connection_counts(server))
        seen.append(steps)
    if seen[0] != seen[1]:
        mc.fail(f"(curr_connections, total_connections) at start, with 2 clients, after they "
                f"close, after stats reset:\nmemcached: {seen[0]}\nunbuckle:  {seen[1]}\n"
                f"{' '.join(memcached.argv)}\n{' '.join(daemon.argv)}")
    print(f"connections: {seen[1]} as memcached ({' '.join(memcached.argv[1:])})", flush=True)


def without_udp(server):
    """The same server started again with UDP off (memcached -U 0, --port 0)."""
    argv = list(server.argv)
    private_dir = None
    if server.name == "memcached":
        argv[argv.index("-U") + 1] = "0"
    else:
        argv[argv.index("--port") + 1] = "0"
        private_dir = tempfile.mkdtemp(prefix="unbuckle-it-")
        argv = [a.replace(server.private_dir, private_dir) for a in argv]
    return mc.Server(server.name, argv, server.port, private_dir)


def every_address(server):
    """The same server started again without an address: memcached without
    -l, the daemon without --listen (0.0.0.0 and ::). Traffic stays on
    loopback."""
    argv = list(server.argv)
    flag = "-l" if server.name == "memcached" else "--listen"
    at = argv.index(flag)
    del argv[at:at + 2]
    private_dir = None
    if server.private_dir:
        private_dir = tempfile.mkdtemp(prefix="unbuckle-it-")
        argv = [a.replace(server.private_dir, private_dir) for a in argv]
    return mc.Server(server.name, argv, server.port, private_dir)


def ask_ipv6(port, kind, payload):
    """The first reply from [::1]:port over TCP or UDP, b"" when none."""
    with socket.socket(socket.AF_INET6, kind) as s:
        s.settimeout(2)
        try:
            s.connect(("::1", port))
            s.send(payload)
            return s.recv(2048)
        except OSError:
            return b""


def compare_every_address(memcached, daemon):
    """Without an address both answer over IPv6 too (TCP and UDP to ::1),
    show `inter NULL` and count a listener and a UDP socket per thread per
    family."""
    seen = []
    for server in (memcached, daemon):
        seen.append((ask_ipv6(server.port, socket.SOCK_STREAM, b"version\r\n")[:8],
                     ask_ipv6(server.port, socket.SOCK_DGRAM, b"\0\7\0\0\0\1\0\0version\r\n")[:16],
                     mc.stats(server.port, "settings")["inter"]))
    if seen[0] != seen[1] or seen[1][0] != b"VERSION ":
        mc.fail(f"without an address (TCP over ::1, UDP over ::1, inter): memcached {seen[0]}, "
                f"unbuckle {seen[1]}")
    print(f"every address: IPv6 TCP and UDP answered, inter {seen[1][2]} as memcached", flush=True)
    compare_connections(memcached, daemon)
    replies = [request(c, b"stats conns\r\n") for c in (mc.TcpClient(memcached.port),
                                                          mc.TcpClient(daemon.port))]
    want, got = (conn_kinds(r) for r in replies)
    if want != got:
        mc.fail(f"stats conns without an address: memcached {want}, unbuckle {got}")


def compare_reset(memcached, daemon):
    counters = ("total_items", "evictions", "evicted_unfetched", "reclaimed", "crawler_reclaimed",
                "curr_items")
    results = []
    for server in (memcached, daemon):
        client = mc.TcpClient(server.port)
        value = b"v" * 100000
        for i in range(40):   # 4 MB into a 2 MB cache: evictions
            client.request(b"set k%d 0 0 %d\r\n%s\r\n" % (i, len(value), value),
                           done=lambda r: r.endswith(b"\r\n"))
        before = mc.stats(server.port)
        if request(client, b"stats reset\r\n") != b"RESET\r\n":
            mc.fail(f"{server.name}: stats reset was not answered RESET")
        after = mc.stats(server.port)
        client.close()
        results.append((before, after))
    (mc_before, mc_after), (ub_before, ub_after) = results
    for name in counters:
        if (mc_after[name] == "0") != (ub_after[name] == "0"):
            mc.fail(f"after stats reset {name} is {ub_after[name]} (before {ub_before[name]}); "
                    f"memcached: {mc_after[name]} (before {mc_before[name]})")
    if int(ub_before["evictions"]) == 0:
        mc.fail("the reset test did not evict anything")
    print("stats reset: " + ", ".join(f"{n} {ub_after[n]}" for n in counters), flush=True)


def no_modern_memcached():
    port = mc.free_port()
    argv = [mc.MEMCACHED, "-U", str(port), "-p", str(port), "-l", mc.HOST, "-m", "64",
            "-t", "2", "-o", "no_modern"]
    argv += ["-u", "root"] if os.geteuid() == 0 else []
    return mc.Server("memcached", argv, port)


def compare_reclaimed(memcached, daemon):
    """t/issue_183.t: set, flush_all 2 s later, set the key again: reclaimed 1."""
    seen = []
    for server in (memcached, daemon):
        client = mc.TcpClient(server.port)
        request(client, b"set key 0 0 1\r\n1\r\n")
    time.sleep(2)
    for server in (memcached, daemon):
        client = mc.TcpClient(server.port)
        client.request(b"flush_all\r\n", done=lambda r: r.endswith(b"\r\n"))
        request(client, b"set key 0 0 1\r\n1\r\n")
        stats = mc.stats(server.port)
        seen.append((stats["reclaimed"], stats["crawler_reclaimed"]))
        client.close()
    if seen[0] != seen[1]:
        mc.fail(f"(reclaimed, crawler_reclaimed) after flush_all and set: memcached {seen[0]}, "
                f"unbuckle {seen[1]}")
    print(f"reclaimed, crawler_reclaimed: {seen[1]} as memcached", flush=True)


def compare_tail_reclaims(memcached, daemon):
    """t/issue_163.t and t/lru-maintainer.t: items with exptime 1, 3 s later."""
    big = b"A" * 66560
    clients = [mc.TcpClient(s.port) for s in (memcached, daemon)]
    for client in clients:
        request(client, b"set key 0 1 %d\r\n%s\r\n" % (len(big), big))
        for i in range(10):
            request(client, b"set ifoo%d 0 1 2\r\nok\r\n" % i)
    time.sleep(3)
    seen = []
    for server, client in zip((memcached, daemon), clients):
        general = mc.stats(server.port)
        request(client, b"set key 0 0 66570\r\n" + b"B" * 66570 + b"\r\n")
        items = mc.stats(server.port, "items")
        per_class = sorted((k, v) for k, v in items.items() if k.endswith("reclaimed"))
        seen.append((general["reclaimed"], general["crawler_reclaimed"], per_class))
        client.close()
    if seen[0] != seen[1]:
        mc.fail(f"reclaimed, crawler_reclaimed, per class after expiry: memcached {seen[0]}, "
                f"unbuckle {seen[1]}")
    print(f"expired at the tails: reclaimed {seen[1][0]}, crawler_reclaimed {seen[1][1]} "
          "as memcached", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    args = parser.parse_args()

    with mc.Server.memcached(64, 2) as memcached, mc.Server.daemon(args.daemon, 64, 2) as daemon:
        compare_names(memcached, daemon)
    for threads in (1, 4):
        with mc.Server.memcached(64, threads) as memcached, \
                mc.Server.daemon(args.daemon, 64, threads) as daemon:
            compare_connections(memcached, daemon)
            memcached.stop()
            daemon.stop()
            with without_udp(memcached) as memcached_tcp, without_udp(daemon) as daemon_tcp:
                compare_connections(memcached_tcp, daemon_tcp)
    with mc.Server.memcached(64, 2) as memcached, mc.Server.daemon(args.daemon, 64, 2) as daemon:
        memcached.stop()
        daemon.stop()
        with every_address(memcached) as memcached_all, every_address(daemon) as daemon_all:
            compare_every_address(memcached_all, daemon_all)
    with mc.Server.memcached(64, 2) as memcached, mc.Server.daemon(args.daemon, 64, 2) as daemon:
        compare_tail_reclaims(memcached, daemon)
    with mc.Server.memcached(2, 2) as memcached, mc.Server.daemon(args.daemon, 2, 2) as daemon:
        compare_reset(memcached, daemon)
    with no_modern_memcached() as memcached, mc.Server.daemon(args.daemon, 64, 2) as daemon:
        compare_reclaimed(memcached, daemon)
    print("stats_fields: ok")


if __name__ == "__main__":
    main()
