#!/usr/bin/python3
"""The Python module unbuckle_client against unbuckle-xdp's AF_XDP datapath,
from a client network namespace joined by a veth to a server namespace
(../afxdp/netns.py, set up by client_library_afxdp.py) where

  unbuckle-xdp  port 11211 on ubx0, native XDP, the kernel cache on
  memcached -U  another port on the server address beside it, the
                reference the same checks run against first

  compare           python_client.py's compare with values of 0 bytes to
                    100 KB and get_many of 1 and 100 keys: UDP get, gets,
                    get_many and gets_many equal pymemcache's reads over TCP,
                    and set, delete, incr and the other TCP calls answer as
                    memcached's;
  keys per request  python_client.py's: 30 keys with udp_keys_per_request
                    0, 1 and 7; through the kernel cache, the 30 single-key
                    requests are answered by XDP (kernel_cache_hits), the
                    others go to the daemon (kernel_cache_fallback_not_plain_get).

The client's route to the server is checked to go over the veth before
anything is sent (netns.enter_client), and XDP's counters must show the
compare reads went through AF_XDP. About 3.5 s.

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "afxdp"))
import mcharness as mc  # noqa: E402
from afxdp_daemon import SKIP, xdp_counters  # noqa: E402
from client_library_afxdp import servers_across_veth  # noqa: E402
from python_client import SIZES, compare, keys_per_request  # noqa: E402

NAMESPACE_PREFIX = "ubxpy"
AFXDP_SIZES = [size for size in SIZES if size <= 100000]
AFXDP_COUNTS = (1, 100)


def run(args, unbuckle_client):
    with servers_across_veth(args, NAMESPACE_PREFIX) as (net, memcached, daemon):
        compare(unbuckle_client, "memcached", memcached, AFXDP_SIZES, AFXDP_COUNTS)
        keys_per_request(unbuckle_client, "memcached", memcached)
        before = xdp_counters(net)
        compare(unbuckle_client, "unbuckle-xdp", daemon, AFXDP_SIZES, AFXDP_COUNTS)
        redirected = xdp_counters(net).get("redirect", 0) - before.get("redirect", 0)
        print(f"unbuckle-xdp: compare: XDP redirected {redirected} datagrams to AF_XDP", flush=True)
        if redirected == 0:
            mc.fail("unbuckle-xdp: the compare reads did not go through AF_XDP")
        keys_per_request(unbuckle_client, "unbuckle-xdp", daemon, kernel_cache=True)
        if not daemon.alive():
            mc.fail("unbuckle-xdp died during the run")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--module-dir", required=True, help="where unbuckle_client*.so was built")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    sys.path.insert(0, args.module_dir)
    import unbuckle_client

    started = time.monotonic()
    run(args, unbuckle_client)
    print(f"PASS ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
