#!/usr/bin/python3
"""The client library's ketama placement against the operator's existing
clients: three memcached 1.6.18 on loopback; for each distribution, 2,000 keys
are set through the real client (pylibmc with its ketama behaviours,
php-memcached's libketama and consistent modes, or twemproxy's ketama pools),
each server is asked over TCP which keys it holds,
and every key must be where ketama_placement (the library's Continuum) puts
it. Weights other than 1 and twemproxy server names are among the cases.
Then one memcached is stopped, and pylibmc (remove_failed) and twemproxy
(auto_eject_hosts) must eject it as the library's continuum without it
places keys.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
from nutcracker import Nutcracker  # noqa: E402

try:
    import pylibmc
except ImportError as e:
    mc.fail(f"{e}: run tools/install-deps.sh (python3-pylibmc)")

# Bytes >= 0x80 in a quarter of the keys: the references sign-extend them.
KEYS = [f"key-{i}".encode() for i in range(1500)] + \
       [f"cl\u00e9-{i}".encode() for i in range(500)]
BATCH = 100
WEIGHTS = (1, 3, 2)
NAMES = ("alpha", "beta", "gamma")

# label -> (library distribution, pylibmc behaviours, weights)
PYLIBMC_CASES = {
    "pylibmc ketama_weighted": ("libmemcached-ketama-weighted", {"ketama_weighted": True},
                                (1, 1, 1)),
    "pylibmc ketama_weighted, weights 1:3:2": ("libmemcached-ketama-weighted",
                                               {"ketama_weighted": True}, WEIGHTS),
    "pylibmc ketama": ("libmemcached-ketama", {"ketama": True}, (1, 1, 1)),
    "pylibmc ketama + hash md5": ("libmemcached-ketama-md5", {"ketama": True, "hash": "md5"},
                                  (1, 1, 1)),
}
# label -> (library distribution, php_ketama_set.php mode, weights)
PHP_CASES = {
    "php-memcached OPT_LIBKETAMA_COMPATIBLE, weights 1:3:2": ("libmemcached-ketama-weighted",
                                                              "libketama", WEIGHTS),
    "php-memcached DISTRIBUTION_CONSISTENT": ("libmemcached-ketama", "consistent", (1, 1, 1)),
}
PHP_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "php_ketama_set.php")
# label -> (library distribution, twemproxy hash, weights, server names)
TWEMPROXY_CASES = {
    "twemproxy md5, weights 1:3:2": ("twemproxy-ketama-md5", "md5", WEIGHTS, None),
    "twemproxy fnv1a_64": ("twemproxy-ketama-fnv1a_64", "fnv1a_64", (1, 1, 1), None),
    "twemproxy fnv1a_64, weights 1:3:2 and names": ("twemproxy-ketama-fnv1a_64", "fnv1a_64",
                                                    WEIGHTS, NAMES),
}


# label -> (library distribution, pylibmc behaviours or twemproxy hash, weights)
EJECTION_CASES = {
    "pylibmc ketama_weighted 1:3:2, remove_failed, server 1 down": (
        "libmemcached-ketama-weighted",
        {"ketama_weighted": True, "remove_failed": 1, "failure_limit": 1, "dead_timeout": 60,
         "retry_timeout": 60, "connect_timeout": 500}, WEIGHTS),
    "twemproxy md5 1:3:2, auto_eject_hosts, server 1 down": ("twemproxy-ketama-md5", "md5",
                                                             WEIGHTS),
}
DEAD = 1


def server_entry(server, weight, name=None):
    """One server as the library's parser and twemproxy both take it."""
    entry = f"{mc.HOST}:{server.port}:{weight}"
    return f"{entry} {name}" if name else entry


def tcp_exchange(server_port, request, done):
    client = mc.TcpClient(server_port)
    try:
        return client.request(request, done=done, quiet=2.0, deadline=10.0)
    finally:
        client.close()


def flush_all(servers, dead=()):
    for server in (s for i, s in enumerate(servers) if i not in dead):
        reply = tcp_exchange(server.port, b"flush_all\r\n", lambda r: r.endswith(b"\r\n"))
        if reply != b"OK\r\n":
            mc.fail(f"flush_all on {server.port} answered {reply!r}")


def set_through(port, keys):
    """Sets every key through a memcached-protocol proxy on `port`; returns
    {key: reply line} of those not stored."""
    refused = {}
    for start in range(0, len(keys), BATCH):
        batch = keys[start:start + BATCH]
        request = b"".join(b"set %s 0 0 1\r\nv\r\n" % key for key in batch)
        reply = tcp_exchange(port, request, lambda r: r.count(b"\r\n") >= len(batch))
        lines = reply.split(b"\r\n")[:len(batch)]
        if len(lines) < len(batch):
            mc.fail(f"sets through port {port}: {len(lines)} replies to {len(batch)}: "
                    f"{reply[:200]!r}")
        refused.update({k: line for k, line in zip(batch, lines) if line != b"STORED"})
    return refused


def holders(servers, keys, dead=()):
    """key -> indices of the servers that hold it, asked with TCP gets."""
    held = {key: [] for key in keys}
    for index, server in enumerate(servers):
        if index in dead:
            continue
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            reply = tcp_exchange(server.port, b"get " + b" ".join(batch) + b"\r\n",
                                 lambda r: r.endswith(b"END\r\n"))
            for line in reply.split(b"\r\n"):
                if line.startswith(b"VALUE "):
                    held[line.split(b" ")[1]].append(index)
    return held


def library_placement(binary, distribution, entries, keys, dead=()):
    out = subprocess.run([binary, *(f"--dead={i}" for i in dead), distribution, *entries],
                         input=b"\n".join(keys) + b"\n", capture_output=True, timeout=30)
    if out.returncode != 0:
        mc.fail(f"ketama_placement {distribution}: {out.stderr.decode(errors='replace').strip()}")
    placed = {}
    for line in out.stdout.splitlines():
        key, index = line.rsplit(b" ", 1)
        placed[key] = int(index)
    return placed


def compare(label, servers, expected, dead=()):
    held = holders(servers, KEYS, dead)
    lost = [k for k, where in held.items() if len(where) != 1]
    if lost:
        mc.fail(f"{label}: {len(lost)} keys not on exactly one server, e.g. "
                f"{lost[0]!r} on {held[lost[0]]}")
    wrong = [k for k in KEYS if held[k][0] != expected[k]]
    counts = [sum(1 for k in KEYS if held[k][0] == i) for i in range(len(servers))]
    print(f"{label}: keys per server {counts}, {len(wrong)} placed elsewhere by the library",
          flush=True)
    if wrong:
        mc.fail(f"{label}: the library places {len(wrong)} of {len(KEYS)} keys elsewhere, e.g. "
                f"{wrong[0]!r} on server {expected[wrong[0]]}, the client on {held[wrong[0]][0]}")
    if min(c for i, c in enumerate(counts) if i not in dead) == 0:
        mc.fail(f"{label}: a server got no key: {counts}")


def set_with_pylibmc(client, keys):
    """Sets the keys through a pylibmc client; returns those it could not set."""
    refused = []
    for key in keys:
        try:
            if not client.set(key, b"v"):
                refused.append(key)
        except pylibmc.Error:
            refused.append(key)
    return refused


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--placement", required=True, help="path of ketama_placement")
    args = parser.parse_args()
    if not shutil.which("nutcracker"):
        mc.fail("nutcracker not found: run tools/install-deps.sh (nutcracker)")
    if not shutil.which("php"):
        mc.fail("php not found: run tools/install-deps.sh (php-cli, php-memcached)")

    started = time.monotonic()
    servers = []
    proxy = None
    try:
        for _ in range(3):
            servers.append(mc.Server.memcached(16, 1))

        for label, (distribution, behaviors, weights) in PYLIBMC_CASES.items():
            entries = [server_entry(s, w) for s, w in zip(servers, weights)]
            flush_all(servers)
            client = pylibmc.Client(entries, behaviors=behaviors)
            try:
                refused = set_with_pylibmc(client, KEYS)
            finally:
                client.disconnect_all()
            if refused:
                mc.fail(f"{label}: pylibmc could not set {len(refused)} keys, e.g. {refused[0]!r}")
            compare(label, servers, library_placement(args.placement, distribution, entries, KEYS))

        for label, (distribution, mode, weights) in PHP_CASES.items():
            entries = [server_entry(s, w) for s, w in zip(servers, weights)]
            flush_all(servers)
            out = subprocess.run(["php", PHP_SCRIPT, mode, *entries],
                                 input=b"\n".join(KEYS) + b"\n", capture_output=True, timeout=30)
            if out.returncode != 0:
                mc.fail(f"{label}: php exited with {out.returncode}: "
                        f"{(out.stdout + out.stderr).decode(errors='replace').strip()[:500]}")
            compare(label, servers, library_placement(args.placement, distribution, entries, KEYS))

        pools = {}
        for label, (distribution, hash_name, weights, names) in TWEMPROXY_CASES.items():
            pools[label] = (hash_name, [server_entry(s, w, n) for s, w, n in
                                        zip(servers, weights, names or (None,) * 3)])
        ejecting = {label: (hash_name, [server_entry(s, w) for s, w in zip(servers, weights)], True)
                    for label, (_, hash_name, weights) in EJECTION_CASES.items()
                    if label.startswith("twemproxy")}
        proxy = Nutcracker({**pools, **ejecting})
        for label, (distribution, _, _, _) in TWEMPROXY_CASES.items():
            flush_all(servers)
            refused = set_through(proxy.ports[label], KEYS)
            if refused:
                mc.fail(f"{label}: twemproxy refused {len(refused)} sets, e.g. "
                        f"{next(iter(refused.items()))}")
            compare(label, servers,
                    library_placement(args.placement, distribution, pools[label][1], KEYS))

        servers[DEAD].stop()
        for label, (distribution, how, weights) in EJECTION_CASES.items():
            entries = [server_entry(s, w) for s, w in zip(servers, weights)]
            flush_all(servers, dead=(DEAD,))
            client = None
            if label.startswith("pylibmc"):
                client = pylibmc.Client(entries, behaviors=how)
                def set_keys(keys, client=client):
                    return set_with_pylibmc(client, keys)
            else:
                def set_keys(keys, port=proxy.ports[label]):
                    return list(set_through(port, keys))
            # The first sets to the stopped server fail and eject it (keys
            # set before that went by the old ring: flushed); then every key
            # goes to a live server.
            try:
                first = set_keys(KEYS)
                flush_all(servers, dead=(DEAD,))
                again = set_keys(KEYS) if first else []
            finally:
                if client:
                    client.disconnect_all()
            if not first or again:
                mc.fail(f"{label}: {len(first)} sets failed before the ejection (want some), "
                        f"{len(again)} after it (want none)")
            compare(label, servers, library_placement(args.placement, distribution, entries,
                                                      KEYS, dead=(DEAD,)), dead=(DEAD,))
        dead = [str(s.port) for i, s in enumerate(servers) if i != DEAD and not s.alive()]
        if dead or proxy.proc.poll() is not None:
            mc.fail(f"died during the run: memcached on {dead}, nutcracker "
                    f"{'exited' if proxy.proc.poll() is not None else 'alive'}")
    finally:
        if proxy:
            proxy.stop()
        for server in servers:
            server.stop()
    cases = len(PYLIBMC_CASES) + len(PHP_CASES) + len(TWEMPROXY_CASES) + len(EJECTION_CASES)
    print(f"PASS: {cases} placements of {len(KEYS)} keys "
          f"in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
