#!/usr/bin/python3
"""The client library against unbuckle-xdp's AF_XDP datapath: the checks of
client_library.py's compare and lossy scenarios, run by client_library_check
from a client network namespace joined by a veth to a server namespace where

  unbuckle-xdp  port 11211 on ubx0, native XDP, the kernel cache on (the
                default): single-key gets that fit a datagram are answered
                by XDP, multi-gets and gets through AF_XDP, TCP through the
                kernel
  memcached -U  another port on the server address beside it, the
                reference the same checks run against first

  compare  UDP get, gets and multi-gets of 1 to 1,000 keys, values of 0
           bytes to 1 MB, each equal to the same read over TCP;
  lossy    UDP reads through client_library.py's relay (in the client
           namespace, on its lo) that drops, reorders and duplicates
           datagrams: every read is the stored value or a miss.

The client's route to the server is checked to go over the veth before
anything is sent (netns.enter_client), and XDP's counters must show the
reads went through AF_XDP and the kernel cache, not a fallback to the
kernel's socket.

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import contextlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "afxdp"))
import mcharness as mc  # noqa: E402
import netns  # noqa: E402
from afxdp_daemon import SKIP, xdp_counters  # noqa: E402
from afxdp_differential import start_daemon, start_memcached  # noqa: E402
from client_library import scenario  # noqa: E402

NAMESPACE_PREFIX = "ubxcl"


@contextlib.contextmanager
def servers_across_veth(args, prefix):
    """(net, memcached, daemon): memcached -U and unbuckle-xdp (native XDP,
    kernel cache on) in the server namespace, this thread in the client
    namespace, its route checked; everything stopped and removed on exit."""
    servers = []
    with netns.VethNamespaces(1, args.xdp_pass, prefix=prefix) as net:
        try:
            net.enter_client()
            servers.append(start_memcached(net))
            servers.append(start_daemon(net, args.daemon, kernel_cache="on"))
            if "XDP native" not in servers[1].log_text():
                mc.fail(f"the daemon is not on native XDP:\n{servers[1].log_text()}")
            yield net, servers[0], servers[1]
        finally:
            net.leave()
            for server in servers:
                server.stop()


def run(args):
    with servers_across_veth(args, NAMESPACE_PREFIX) as (net, memcached, daemon):
        scenario("memcached", memcached, args.check)
        before = xdp_counters(net)
        scenario("unbuckle-xdp", daemon, args.check)
        after = xdp_counters(net)
        grown = {name: after[name] - before.get(name, 0)
                 for name in ("redirect", "kc_hit", "pass_oversize", "pass_ip_fragment") if name in after}
        print(f"unbuckle-xdp: XDP counters grew by {grown}", flush=True)
        if grown.get("redirect", 0) == 0 or grown.get("kc_hit", 0) == 0:
            mc.fail(f"reads did not go through both AF_XDP and the kernel cache: {grown}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--check", required=True, help="the client_library_check program")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    started = time.monotonic()
    run(args)
    print(f"client_library_afxdp: {time.monotonic() - started:.1f} s")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
