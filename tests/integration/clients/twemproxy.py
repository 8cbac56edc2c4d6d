#!/usr/bin/python3
"""twemproxy (nutcracker) in front of ketama pools of two servers: two
memcached 1.6.18 (the reference), two unbuckle-xdp (--backend socket), and
one of each. pymemcache runs the same scenario through each pool's proxy in
lockstep; then every pool must place the same keys on the same member.
"""

import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
import lockstep  # noqa: E402
from expected import EXPECTED_DIFFERENCES  # noqa: E402
from nutcracker import Nutcracker  # noqa: E402

try:
    import scenarios
except ImportError as e:
    mc.fail(f"{e}: run tools/install-deps.sh (python3-pymemcache)")

# Member names fix ketama's points, so that every pool places a key alike;
# md5 spreads keys of one prefix, where twemproxy's fnv1a_64 puts
# "place-0".."place-63" all on one member.
MEMBERS = ("a", "b")
PLACEMENT_KEYS = 64
# pool label -> server kinds of members a and b
POOLS = {
    "memcached pool": ("memcached", "memcached"),
    "unbuckle-xdp pool": ("unbuckle-xdp", "unbuckle-xdp"),
    "mixed pool": ("unbuckle-xdp", "memcached"),
}


class PoolClient:
    """pymemcache through the proxy, and one straight to each member."""

    def __init__(self, proxy_port, members):
        self.proxy = scenarios.pymemcache_client(proxy_port)
        self.members = {name: scenarios.pymemcache_client(server.port)
                        for name, server in zip(MEMBERS, members)}

    def __getattr__(self, name):
        return getattr(self.proxy, name)

    def placement(self):
        """Which member holds each of PLACEMENT_KEYS keys set through the proxy."""
        keys = [f"place-{i}" for i in range(PLACEMENT_KEYS)]
        failed = self.proxy.set_many({k: b"p" for k in keys})
        held = {name: set(client.get_many(keys)) for name, client in self.members.items()}
        counts = {name: len(held[name]) for name in MEMBERS}
        return failed, counts, {k: [name for name in MEMBERS if k in held[name]] for k in keys}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--show", action="store_true", help="print every step's results")
    args = parser.parse_args()
    if not shutil.which("nutcracker"):
        mc.fail("nutcracker not found: run tools/install-deps.sh (nutcracker)")

    servers = []
    proxy = None
    try:
        pools = {}
        for label, kinds in POOLS.items():
            members = []
            for kind in kinds:
                server = (mc.Server.memcached(64, 2) if kind == "memcached"
                          else mc.Server.daemon(args.daemon, 64, 2))
                servers.append(server)
                members.append(server)
            pools[label] = members
        proxy = Nutcracker({label: ("md5", [f"{mc.HOST}:{server.port}:1 {name}"
                                            for name, server in zip(MEMBERS, members)])
                            for label, members in pools.items()})
        run = lockstep.Lockstep("twemproxy", {label: PoolClient(proxy.ports[label], members)
                                              for label, members in pools.items()},
                                EXPECTED_DIFFERENCES["twemproxy"])
        scenarios.pymemcache_scenario(run, proxied=True)
        placement = run.step("placement", lambda c: c.placement())
        if min(placement["memcached pool"][1].values()) == 0:
            mc.fail(f"ketama placed every key on one member: {placement['memcached pool'][1]}")
        # twemproxy splits a multi-key get by member and merges the replies.
        run.step("get_many across members",
                 lambda c: c.get_many([f"place-{i}" for i in range(PLACEMENT_KEYS)] + ["nokey"]))
        run.step("delete_many across members",
                 lambda c: c.delete_many([f"place-{i}" for i in range(0, PLACEMENT_KEYS, 2)]))
        run.step("gets_many after delete",
                 lambda c: c.gets_many([f"place-{i}" for i in range(PLACEMENT_KEYS)]))
        dead = [s.name for s in servers if not s.alive()]
        if proxy.proc.poll() is not None:
            dead.append("nutcracker")
        if dead:
            mc.fail(f"died during the scenario: {', '.join(dead)}")
    finally:
        if proxy:
            proxy.stop()
        for server in servers:
            server.stop()
    lockstep.finish([run], args.show)


if __name__ == "__main__":
    main()
