#!/usr/bin/python3
"""The Python module unbuckle_client (client/python/) through the scenarios of
client_library.py, against Debian's memcached started with -U and against
unbuckle-xdp's socket backend, both on 127.0.0.1; pymemcache over TCP is the
oracle for every read:

- compare: UDP get, gets, get_many and gets_many of 1 to 1,000 keys, values
  of 0 bytes to 1 MB, each equal to pymemcache's read over TCP (and to the
  module's own tcp=True read); every other call once, with memcached's
  outcomes; errors raised as the module's exceptions;
- lossy: UDP reads through client_library.py's relay that drops, reorders
  and duplicates datagrams: every value read is the stored one, and both
  hits and misses occur;
- pool: three memcached; keys set by pylibmc (ketama_weighted) are all read
  over UDP, and server_for names the memcached that holds each; then one is
  stopped, marked dead (its keys move to the others) and, restarted,
  re-admitted;
- keys per request: a multi-get of 30 keys with udp_keys_per_request 0 (one
  request), 1 (30 requests) and 7 (5 requests) reads the same items, and the
  server's cmd_get, bytes_read (both as memcached counts them) and
  udp_datagrams_in grow by what that many requests cost
  (udp_requests.py);
- gil: a UDP read waiting for its timeout lets other Python threads run;
- readme: the README's Python example, as written but for its server list,
  on a pool of memcached and unbuckle-xdp; each line whose comment starts
  with a value (after "UDP: " or "TCP: ") evaluates to that value.

python_client_afxdp.py runs compare and keys per request through AF_XDP.
"""

import argparse
import ast
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
import udp_requests  # noqa: E402
from client_library import LossyRelay, pylibmc_pool  # noqa: E402

LOSSY_ROUNDS = 80
POOL_KEYS = 600
SIZES = [0, 1, 100, 1370, 1392, 1393, 3000, 20000, 100000, 500000, 1000000]
COUNTS = (1, 2, 10, 100, 250, 1000)
PER_REQUEST_KEYS = 30


def value_for(key, size):
    """Bytes that differ from key to key, with a CRLF inside."""
    seed = sum(key.encode())
    value = bytearray((97 + (i * 7 + seed + i // 1392) % 26) for i in range(size))
    if size >= 2:
        value[size // 2:size // 2 + 2] = b"\r\n"
    return bytes(value)


def oracle(server):
    from pymemcache.client.base import Client as TcpOracle
    return TcpOracle((server.host, server.port), default_noreply=False, timeout=10)


def expect(condition, what):
    if not condition:
        mc.fail(what)


def compare(unbuckle_client, name, server, sizes=SIZES, counts=COUNTS):
    client = unbuckle_client.Client([f"{server.host}:{server.port}"], udp_timeout=0.5, udp_retries=2)
    tcp = oracle(server)
    try:
        sized = [f"size:{size}" for size in sizes]
        for key, size in zip(sized, sizes):
            expect(client.set(key, value_for(key, size), flags=size % 65536), f"{name}: set {key}")
        for key in sized:
            truth = tcp.gets(key)
            expect(client.get(key) == truth[0], f"{name}: get {key}")
            expect(client.gets(key) == (truth[0], int(truth[1])), f"{name}: gets {key}")
            expect(client.get(key, tcp=True) == truth[0], f"{name}: get {key} tcp=True")
        mixed = sized + ["size:absent"]
        expect(client.get_many(mixed) == tcp.get_many(mixed), f"{name}: get_many of every size")
        keys = [f"multi:{i}" for i in range(max(counts))]
        for i, key in enumerate(keys):
            if i % 3 != 2:
                client.set(key, value_for(key, i % 200), flags=i)
        items = 0
        for count in counts:
            some = keys[:count]
            udp = client.get_many(some)
            expect(udp == tcp.get_many(some), f"{name}: get_many of {count} keys differs from TCP")
            expect(udp == client.get_many(some, tcp=True), f"{name}: get_many of {count} keys, tcp=True")
            truth = {key: (value, int(cas)) for key, (value, cas) in tcp.gets_many(some).items()}
            expect(client.gets_many(some) == truth, f"{name}: gets_many of {count} keys differs from TCP")
            items += len(udp)
        commands(unbuckle_client, client, name, server)
        rest_of_commands(unbuckle_client, client, tcp, name, server)
    finally:
        tcp.close()
    print(f"{name}: compare: {len(sizes)} sizes and {items} get_many items equal to pymemcache's TCP reads; "
          "calls as memcached", flush=True)


def commands(unbuckle_client, client, name, server):
    checks = [
        (client.set(b"cmd", b"a", flags=3), True, "set"),
        (client.add("cmd", "x"), False, "add of an existing key"),
        (client.replace("cmd:none", "x"), False, "replace of a missing key"),
        (client.append("cmd", "b") and client.prepend("cmd", "_"), True, "append, prepend"),
        (client.get("cmd"), b"_ab", "get after append and prepend"),
    ]
    value, cas = client.gets("cmd")
    checks += [
        (client.cas("cmd", "c", cas), True, "cas with the current unique"),
        (client.cas("cmd", "d", cas), False, "cas with a stale unique"),
        (client.cas("cmd:none", "d", 1), None, "cas of a missing key"),
        (client.set("n", "10") and client.incr("n", 5), 15, "incr"),
        (client.decr("n", 20), 0, "decr floored at 0"),
        (client.incr("n:none", 1), None, "incr of a missing key"),
        ((client.touch("cmd", 100), client.touch("cmd:none", 100)), (True, False), "touch"),
        ((client.delete("cmd"), client.delete("cmd")), (True, False), "delete, then delete again"),
        (client.get("cmd", b"fallback"), b"fallback", "get's default on a miss"),
        (client.gets("cmd"), (None, None), "gets of a missing key"),
    ]
    for got, wanted, what in checks:
        expect(got == wanted, f"{name}: {what}: {got!r}, expected {wanted!r}")
    entry = f"{server.host}:{server.port}"
    stats = client.stats()
    expect(list(stats) == [entry] and "pid" in stats[entry], f"{name}: stats {stats}")
    expect(client.stats("settings")[entry].get("tcpport") == str(server.port), f"{name}: stats settings")
    raises(ValueError, "is empty, over 250 bytes", lambda: client.get("a key"), name)
    raises(ValueError, "port \"x\" is not a number", lambda: unbuckle_client.Client(["127.0.0.1:x"]), name)
    raises(TypeError, "give \"host:port[:weight]\" strings",
           lambda: unbuckle_client.Client([(server.host, server.port)]), name)
    raises(ValueError, "no ketama distribution",
           lambda: unbuckle_client.Client([entry], distribution="modula"), name)
    raises(ValueError, "udp_keys_per_request is -1: give 0",
           lambda: unbuckle_client.Client([entry], udp_keys_per_request=-1), name)
    closed = mc.free_port()
    raises(unbuckle_client.ClientError, f"TCP connection to {mc.HOST}:{closed} failed",
           lambda: unbuckle_client.Client([f"{mc.HOST}:{closed}"], tcp_timeout=1).set("k", "v"), name)
    raises(unbuckle_client.TimeoutError, "no whole reply within 50 ms",
           lambda: unbuckle_client.Client([f"{mc.HOST}:{closed}"], udp_timeout=0.05,
                                          udp_timeout_is_error=True).get("k"), name)
    expect(unbuckle_client.Client([f"{mc.HOST}:{closed}"], udp_timeout=0.05).get("k") is None,
           f"{name}: an unanswered UDP read is a miss by default")


def rest_of_commands(unbuckle_client, client, tcp, name, server):
    """meta, set_many, delete_many, version, flush_all and close, checked
    against pymemcache's TCP reads where it has the command; error replies
    raise ReplyError and leave the server in the pool."""
    entry = f"{server.host}:{server.port}"
    checks = [
        (client.meta("ms meta 2 T0 F5", b"hi"), ("HD", [], None), "meta ms"),
        (client.meta("mg meta v f"), ("VA", ["f5"], b"hi"), "meta mg v f"),
        (client.meta("ma meta:n N0 J5 v"), ("VA", [], b"5"), "meta ma autovivified"),
        (client.meta("md meta"), ("HD", [], None), "meta md"),
        (client.meta("mg meta v"), ("EN", [], None), "meta mg of the deleted key"),
        (client.set_many({b"many:1": b"1", "many:2": "two"}), [], "set_many"),
        (tcp.get_many(["many:1", "many:2"]), {"many:1": b"1", "many:2": b"two"}, "pymemcache's read of set_many"),
        (client.delete_many([b"many:1", "many:2", "many:none"]), 2, "delete_many"),
        (tcp.get_many(["many:1", "many:2"]), {}, "pymemcache's read after delete_many"),
        (client.version(), {entry: tcp.version().decode()}, "version"),
    ]
    for got, wanted, what in checks:
        expect(got == wanted, f"{name}: {what}: {got!r}, expected {wanted!r}")
    raises(ValueError, "'bad key' is empty, over 250 bytes",
           lambda: client.set_many({"many:good": "1", "bad key": "2"}), name)
    expect(tcp.get("many:good") is None, f"{name}: set_many with a bad key stored the good one")
    for command, why in (("mn", "names no key"), ("mg bWV0YQ== b v", "base64 key (flag b)"),
                         ("mg meta v q", "quiet mode (q) is not supported")):
        raises(ValueError, why, lambda: client.meta(command), name)
    client.set("flushed", "x")
    expect(client.flush_all() is True and tcp.get("flushed") is None and client.get("flushed") is None,
           f"{name}: flush_all")
    client.set("flushed", "x")
    expect(client.flush_all(delay=100) is True and tcp.get("flushed") == b"x",
           f"{name}: flush_all(delay=100) flushes nothing yet")
    tcp.flush_all()
    open_before = int(tcp.stats()[b"curr_connections"])
    client.close()
    for _ in range(100):
        if int(tcp.stats()[b"curr_connections"]) == open_before - 1:
            break
        time.sleep(0.01)
    expect(int(tcp.stats()[b"curr_connections"]) == open_before - 1,
           f"{name}: close() left the TCP connection open ({open_before} connections before)")
    expect(client.set("after:close", "x") and client.get("after:close") == b"x", f"{name}: a set after close()")
    # With failure_limit=1 one failure marks a server dead; an error reply is
    # not one.
    strict = unbuckle_client.Client([entry], failure_limit=1)
    strict.set("text", "abc")
    for _ in range(3):
        raises(unbuckle_client.ReplyError, "SERVER_ERROR object too large for cache",
               lambda: strict.set("big", b"x" * (1024 * 1024 + 1)), name)
        raises(unbuckle_client.ReplyError, "CLIENT_ERROR cannot increment or decrement non-numeric value",
               lambda: strict.meta("ma text"), name)
    expect(strict.dead_servers() == [] and strict.get("text") == b"abc",
           f"{name}: error replies marked the server dead: {strict.dead_servers()}")
    print(f"{name}: meta, set_many, delete_many, version, flush_all and close as memcached answers them; "
          "error replies raise ReplyError and leave the server in the pool", flush=True)


def ipv6(unbuckle_client, daemon_path):
    """memcached and the daemon on ::1, named "[::1]:port" as the server list
    writes them: reads over UDP, writes over TCP, the same name back."""
    for start in (lambda: mc.Server.memcached(host="::1"), lambda: mc.Server.daemon(daemon_path, host="::1")):
        with start() as server:
            entry = f"[::1]:{server.port}"
            client = unbuckle_client.Client([entry], udp_timeout=0.5, udp_timeout_is_error=True)
            expect(client.set("v6", "six") and client.get("v6") == b"six" and
                   client.get_many([b"v6", b"v6:none"]) == {b"v6": b"six"}, f"{server.name} on ::1: set, get")
            expect(client.server_for("v6") == entry and list(client.version()) == [entry],
                   f"{server.name} on ::1: named {client.server_for('v6')}, not {entry}")
    # A pool of three memcached on ::1 that pylibmc (ketama_weighted) filled:
    # every key read, each from the server pylibmc put it on.
    servers = []
    try:
        entries = pylibmc_pool(servers, 300, host="::1")
        keys = [f"pool:{i}" for i in range(300)]
        client = unbuckle_client.Client(entries, udp_timeout=0.5, udp_retries=2)
        expect(client.get_many(keys) == {key: f"value:{key}".encode() for key in keys},
               "ipv6 pool: keys pylibmc set not read over UDP")
        check_placement(client, keys, entries, servers, "ipv6 pool")
    finally:
        for server in servers:
            server.stop()
    print("ipv6: memcached and unbuckle-xdp on ::1 read over UDP and written over TCP, named [::1]:port; "
          "a pool of three memcached on ::1 placed as pylibmc places keys", flush=True)


def keys_per_request(unbuckle_client, name, server, kernel_cache=False):
    """`kernel_cache`: `server` is unbuckle-xdp with its kernel cache, on
    AF_XDP, where XDP answers each `get KEY` of small values itself (not
    counted in bytes_read) and passes a several-key request to the daemon."""
    entry = f"{server.host}:{server.port}"
    keys = [f"per-request:{i}" for i in range(PER_REQUEST_KEYS)]
    writer = unbuckle_client.Client([entry])
    for key in keys:
        expect(writer.set(key, value_for(key, 40)), f"{name}: set {key}")
    truth = writer.get_many(keys, tcp=True)
    for per_request in (0, 1, 7):
        what = f"{name}: get_many of {len(keys)} keys, udp_keys_per_request={per_request}"
        client = unbuckle_client.Client([entry], udp_timeout=0.5, udp_keys_per_request=per_request)
        items, grown = udp_requests.growth(server, lambda: client.get_many(keys))
        expect(items == truth, f"{what}: {len(items)} items, not the {len(truth)} read over TCP")
        expected = udp_requests.expected_growth(server, keys, per_request)
        if kernel_cache:
            del expected["bytes_read"]
            requests = expected["udp_datagrams_in"]
            expected["kernel_cache_hits"] = len(keys) if per_request == 1 else 0
            expected["kernel_cache_fallback_not_plain_get"] = 0 if per_request == 1 else requests
        udp_requests.check_growth(what, grown, expected)
    print(f"{name}: keys per request: 30 keys in 1, 30 and 5 requests as udp_keys_per_request 0, 1 and 7 "
          f"ask{' (the 30 single-key ones answered by the kernel cache)' if kernel_cache else ''}", flush=True)


def raises(kind, text, call, name):
    try:
        call()
    except kind as e:
        message = str(e)
        expect(text in message and "\n" not in message, f"{name}: {kind.__name__} '{message}' lacks '{text}'")
        return
    mc.fail(f"{name}: no {kind.__name__} ({text})")


def lossy(unbuckle_client, name, server):
    relay = LossyRelay(server.port, seed=17)
    try:
        writer = unbuckle_client.Client([f"{mc.HOST}:{server.port}"])
        # Losses time reads out; the server answers over TCP, so it stays in the pool.
        reader = unbuckle_client.Client([f"{mc.HOST}:{relay.port}"], udp_timeout=0.04)
        keys = [f"lossy:{i}" for i in range(120)]
        for i, key in enumerate(keys):
            if i % 5 != 4:
                writer.set(key, value_for(key, 2000 + (i % 3) * 9000 if i % 4 == 0 else i * 5))
        truth = writer.gets_many(keys, tcp=True)
        hits = misses = 0
        for round_ in range(LOSSY_ROUNDS):
            first, count = round_ * 7 % len(keys), 1 + round_ * 13 % 60
            some = [keys[(first + i) % len(keys)] for i in range(count)]
            with_cas = round_ % 2 == 1
            got = reader.gets_many(some) if with_cas else reader.get_many(some)
            for key, item in got.items():
                expect(key in truth, f"{name}: round {round_}: a value for {key}, never stored")
                expect(item == (truth[key] if with_cas else truth[key][0]), f"{name}: round {round_}: wrong {key}")
            hits += len(got)
            misses += sum(1 for key in set(some) if key in truth and key not in got)
    finally:
        relay.stop()
    expect(hits and misses, f"{name}: the lossy run should give both hits and misses: {hits} hits, {misses} misses")
    expect(min(relay.counts["dropped"], relay.counts["duplicated"], relay.counts["reordered"]) > 0,
           f"{name}: the relay injected nothing: {relay.counts}")
    print(f"{name}: lossy: {hits} hits, {misses} misses of stored keys, 0 wrong; relay {relay.counts}", flush=True)


def check_placement(client, keys, entries, servers, what):
    """Each key's server, asked over TCP, is the one client.server_for names;
    returns {key: entry}."""
    holders = {}
    for entry, server in zip(entries, servers):
        tcp = oracle(server)
        holders.update((key, entry) for key in tcp.get_many(keys))
        tcp.close()
    wrong = [key for key in keys if client.server_for(key) != holders[key]]
    expect(not wrong, f"{what}: server_for differs from pylibmc's placement for {len(wrong)} keys, e.g. {wrong[:3]}")
    return holders


def pool(unbuckle_client):
    servers = []
    try:
        entries = pylibmc_pool(servers, POOL_KEYS)
        keys = [f"pool:{i}" for i in range(POOL_KEYS)]
        client = unbuckle_client.Client(entries, udp_timeout=0.5, udp_retries=2)
        items = client.get_many(keys)
        expect(items == {key: f"value:{key}".encode() for key in keys},
               f"pool: {POOL_KEYS - len(items)} keys set by pylibmc not found over UDP")
        expect(client.get_many(keys, tcp=True) == items, "pool: get_many(tcp=True) differs from the UDP reads")
        holders = check_placement(client, keys, entries, servers, "pool")
        per_server = [sum(1 for key in keys if holders[key] == entry) for entry in entries]
        print(f"pool: {POOL_KEYS} keys set by pylibmc read over UDP ({'/'.join(map(str, per_server))} per server)",
              flush=True)
        written = {f"written:{i}": f"w{i}".encode() for i in range(POOL_KEYS)}
        expect(client.set_many(written) == [], "pool: set_many left keys not stored")
        import pylibmc
        reader = pylibmc.Client(entries, behaviors={"ketama_weighted": True})
        expect(reader.get_multi(list(written)) == written, "pool: pylibmc does not read what set_many wrote")
        expect(client.delete_many(list(written)) == POOL_KEYS and reader.get_multi(list(written)) == {},
               "pool: delete_many left keys for pylibmc to read")
        # A bad key on the last server: no server's batch is sent.
        bad = next(key for key in (f"bad key {i}" for i in range(100)) if client.server_for(key) == entries[-1])
        good = {f"good:{i}": b"g" for i in range(30)}
        raises(ValueError, "is empty, over 250 bytes", lambda: client.set_many({**good, bad: b"x"}), "pool")
        expect(reader.get_multi(list(good)) == {}, "pool: set_many with a bad key wrote to some servers")
        reader.disconnect_all()
        print(f"pool: {POOL_KEYS} keys written by set_many read by pylibmc, then deleted by delete_many; "
              "a bad key sent nothing", flush=True)
        failover(unbuckle_client, servers, entries)
    finally:
        for server in servers:
            server.stop()


def failover(unbuckle_client, servers, entries):
    client = unbuckle_client.Client(entries, udp_timeout=0.1, tcp_timeout=1, failure_limit=2, dead_retry=1.5)
    keys = [f"failover:{i}" for i in range(200)]
    for key in keys:
        expect(client.set(key, f"before:{key}"), f"failover: set {key}")
    on_second = [key for key in keys if client.server_for(key) == entries[1]]
    expect(on_second, "failover: no key on the second server")

    port = servers[1].port
    servers[1].stop()
    for _ in range(2):  # two timed-out UDP reads mark it dead
        items = client.get_many(keys)
        expect(not any(key in items for key in on_second), "failover: a value from a stopped server")
    expect(client.dead_servers() == [entries[1]], f"failover: dead servers {client.dead_servers()}")
    for key in on_second:
        expect(client.server_for(key) != entries[1], f"failover: {key} still placed on the dead server")
        expect(client.set(key, f"during:{key}"), f"failover: set {key} on the remaining servers")
    during = client.get_many(keys)
    expect(all(during.get(key) == f"during:{key}".encode() for key in on_second),
           "failover: keys of the dead server not read from their new servers")

    servers[1] = mc.Server("memcached", servers[1].argv, port)
    readmit_at = time.monotonic() + 1.5
    while time.monotonic() < readmit_at:
        client.get_many(keys)
    client.get_many(keys)
    expect(client.dead_servers() == [], f"failover: not re-admitted: {client.dead_servers()}")
    expect(all(client.server_for(key) == entries[1] for key in on_second),
           "failover: keys not placed on the re-admitted server")
    for key in on_second:
        expect(client.set(key, f"after:{key}"), f"failover: set {key} on the re-admitted server")
    after = client.get_many(keys)
    expect(all(after.get(key) == f"after:{key}".encode() for key in on_second),
           "failover: keys not read back from the re-admitted server")
    print(f"failover: the stopped server was marked dead, its {len(on_second)} keys moved, and it came back",
          flush=True)


def gil(unbuckle_client):
    """A read that waits 0.5 s for a reply that never comes: the main
    thread's Python loop must finish while the read still waits."""
    client = unbuckle_client.Client([f"{mc.HOST}:{mc.free_port()}"], udp_timeout=0.5)
    reader = threading.Thread(target=client.get, args=("k",))
    reader.start()
    time.sleep(0.05)
    spins = 0
    until = time.monotonic() + 0.2
    while time.monotonic() < until:
        spins += 1
    waiting = reader.is_alive()
    reader.join()
    expect(waiting, f"gil: the Python loop ran only after the UDP read returned ({spins} spins): GIL held")
    print(f"gil: {spins} loop turns while a UDP read waited", flush=True)


def claimed_value(comment):
    """The value a README comment such as 'UDP: b"alice", None on a miss'
    starts with, or None when it starts with words."""
    match = re.match(r"\s*(?:UDP|TCP): (.*)", comment)
    if not match:
        return None
    for candidate in (match.group(1).split(", ")[0], match.group(1).split(" ")[0]):
        try:
            return (ast.literal_eval(candidate),)
        except (ValueError, SyntaxError):
            continue
    return None


def readme_example(memcached, daemon):
    blocks = mc.readme_code_blocks("Python", "python")
    expect(len(blocks) == 1, f"readme: the README's Python section has {len(blocks)} python blocks, not 1")
    servers = f'["{memcached.host}:{memcached.port}", "{daemon.host}:{daemon.port}"]'
    block, replaced = re.subn(r"Client\(\[[^\]]*\]", f"Client({servers}", blocks[0])
    expect(replaced == 1, "readme: the example no longer makes one Client([...])")
    namespace = {}
    checked = 0
    for line in block.splitlines():
        code, _, comment = line.partition("#")
        code = code.strip()
        claim = claimed_value(comment)
        if claim is None or re.match(r"[\w, ]+=[^=]", code):
            exec(code, namespace)
            continue
        got = eval(code, namespace)
        expect(got == claim[0], f"readme: {code} gave {got!r}, the README says {claim[0]!r}")
        checked += 1
    expect(checked >= 4, f"readme: only {checked} of the example's claims were checked")
    print(f"readme: the Python example runs, {checked} claimed values hold", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--module-dir", required=True, help="where unbuckle_client*.so was built")
    args = parser.parse_args()
    sys.path.insert(0, args.module_dir)
    import unbuckle_client

    started = time.monotonic()
    with mc.Server.memcached() as memcached, mc.Server.daemon(args.daemon) as daemon:
        readme_example(memcached, daemon)
    with mc.Server.memcached() as memcached:
        compare(unbuckle_client, "memcached", memcached)
        lossy(unbuckle_client, "memcached", memcached)
        keys_per_request(unbuckle_client, "memcached", memcached)
    with mc.Server.daemon(args.daemon) as daemon:
        compare(unbuckle_client, "unbuckle-xdp", daemon)
        lossy(unbuckle_client, "unbuckle-xdp", daemon)
        keys_per_request(unbuckle_client, "unbuckle-xdp", daemon)
        expect(daemon.alive(), "unbuckle-xdp died during the run")
    ipv6(unbuckle_client, args.daemon)
    pool(unbuckle_client)
    gil(unbuckle_client)
    print(f"PASS ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
