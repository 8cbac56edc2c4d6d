#!/usr/bin/python3
"""The differential test (../differential.py) through the AF_XDP path: a real
memcached and unbuckle-xdp --interface run side by side in a server network
namespace, and the client namespace, joined to it by a veth, sends both the
same edge cases and seeded random requests over UDP and TCP. 0 mismatches.

  unbuckle-xdp  port 11211 on ubx0, native XDP: UDP through XDP + AF_XDP,
                TCP through the kernel
  memcached     another port on the server address; the XDP program passes
                it to the kernel

The XDP redirect counter (with --kernel-cache on, redirects plus the
kernel cache's hits) must grow by at least the number of UDP requests that
fit in one frame, so the test cannot pass through a fallback to the
kernel. --kernel-cache on|off is passed to the daemon (default off: the
AF_XDP path alone; ../kernel_cache/ runs the kernel cache's own);
--coalesced runs it with --udp-coalesce-replies on. Larger
requests cross the veth as IP fragments, which XDP passes to the kernel by
design (memcached takes requests of up to 64 KiB); they are compared like
the others.

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import differential  # noqa: E402
import mcharness as mc  # noqa: E402
import netns  # noqa: E402
from afxdp_daemon import PORT, SKIP, xdp_counters  # noqa: E402

MEMCACHED_PORT = 11311
ALLOW = "10.202.0.0/24"   # the veth's subnet, where the client sends from
ONE_FRAME = 1500 - 20 - 8  # largest UDP payload unfragmented: veth MTU less IPv4, UDP headers


def start_memcached(net):
    argv = [mc.MEMCACHED, "-U", str(MEMCACHED_PORT), "-p", str(MEMCACHED_PORT),
            "-l", netns.SERVER_IP, "-m", "64", "-t", "2", "-u", "root"]
    return mc.Server("memcached", net.server_exec(*argv), MEMCACHED_PORT, host=netns.SERVER_IP)


def start_daemon(net, path, kernel_cache="off", extra_args=(), udp_admin="on"):
    private = tempfile.mkdtemp(prefix="unbuckle-afxdp-diff-")
    argv = [path, "--interface", netns.SERVER_IF, "--xdp-mode", "native", "--port", str(PORT),
            "--allow", ALLOW, "--pin-path", net.pin_path, "--memory-limit", "64",
            "--threads", "2", "--control-socket", os.path.join(private, "control.sock"),
            "--kernel-cache", kernel_cache, "--udp-admin", udp_admin, *extra_args]
    daemon = mc.Server("unbuckle-xdp", net.server_exec_bpffs(*argv), PORT, private,
                       host=netns.SERVER_IP)
    # TCP answers as soon as its workers start; the AF_XDP workers start after.
    deadline = time.monotonic() + 10
    while "serving" not in daemon.log_text():
        if time.monotonic() > deadline:
            daemon.stop()
            raise RuntimeError("unbuckle-xdp answered TCP but never logged 'serving'")
        time.sleep(0.05)
    return daemon


def run(args):
    failures = []
    servers = []
    with netns.VethNamespaces(1, args.xdp_pass) as net:
        try:
            # Both start from here, so their readiness checks cross the veth.
            net.enter_client()
            coalesce = ("--udp-coalesce-replies", "on") if args.coalesced else ()
            servers.append(start_daemon(net, args.daemon, args.kernel_cache, coalesce))
            servers.append(start_memcached(net))
            daemon, memcached = servers
            startup = daemon.log_text()
            if "XDP native" not in startup:
                failures.append(f"the daemon is not on native XDP:\n{startup}")
            before = xdp_counters(net)

            passed, sizes = differential.run_differential(memcached, daemon, args.seed,
                                                          args.requests, args.max_seconds,
                                                          args.coalesced)
            if not passed:
                failures.append("memcached and the AF_XDP path differ (see above)")
            counters = xdp_counters(net)
            redirected = counters["redirect"] - before["redirect"]
            answered = counters.get("kc_hit", 0) - before.get("kc_hit", 0)
            unfragmented = sum(1 for n in sizes if n <= ONE_FRAME)
            print(f"XDP redirected {redirected} datagrams to AF_XDP and answered {answered} "
                  f"from the kernel cache for {len(sizes)} UDP requests, {unfragmented} of "
                  f"them unfragmented; counters {counters}", flush=True)
            if redirected + answered < unfragmented:
                failures.append(f"XDP redirected or answered {redirected + answered} of "
                                f"{unfragmented} unfragmented UDP requests: some reached "
                                f"the kernel")
            if args.kernel_cache == "off" and answered:
                failures.append(f"--kernel-cache off, yet XDP answered {answered} requests")
        finally:
            for s in servers:
                s.stop()
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    parser.add_argument("--kernel-cache", choices=("on", "off"), default="off",
                        help="the daemon's --kernel-cache (default off: the AF_XDP path alone)")
    parser.add_argument("--coalesced", action="store_true",
                        help="the daemon with --udp-coalesce-replies on (see differential.py)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--requests", type=int, default=3000,
                        help="random requests after the edge cases")
    parser.add_argument("--max-seconds", type=float, default=50,
                        help="time bound of the random phase")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    if args.seed is None:
        args.seed = random.randrange(1 << 31)
    print(f"afxdp_differential: seed {args.seed} (rerun with --seed {args.seed})", flush=True)
    failures = run(args)
    for f in failures:
        print(f"FAIL: {f}")
    print(f"afxdp_differential: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
