#!/usr/bin/python3
"""libmemcached's UDP writes (pylibmc and php-memcached with UDP on) through
unbuckle-xdp's AF_XDP datapath, compared with a memcached 1.6.18 beside it:
on the server namespace's lo (generic XDP, MTU 65536) and over a veth with
MTU 9000 from a client namespace. Writes of up to 5,000 bytes: longer than
an AF_XDP frame holds, in one datagram (issue 9's lost UDP requests). Each
write is read back over TCP.

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
import netns  # noqa: E402
import lockstep  # noqa: E402
import clients  # noqa: E402
import scenarios  # noqa: E402
from afxdp_daemon import PORT, SKIP, Daemon  # noqa: E402

MEMCACHED_PORT = 11311
VETH_MTU = 9000


def start_memcached(net):
    # One worker thread: UDP writes stored in the order sent (see clients.py).
    argv = [mc.MEMCACHED, "-U", str(MEMCACHED_PORT), "-p", str(MEMCACHED_PORT), "-m", "64",
            "-t", str(clients.UDP_THREADS), "-u", "root"]
    net.enter_server()
    try:
        return mc.Server("memcached", net.server_exec(*argv), MEMCACHED_PORT)
    finally:
        net.leave()


def run_interface(net, daemon_path, interface):
    """Both client libraries against the daemon on `interface` and a fresh
    memcached (CAS values compare exactly); their runs."""
    memcached = start_memcached(net)
    try:
        daemon = Daemon(net, daemon_path, interface, "--threads", str(clients.UDP_THREADS))
    except BaseException:
        memcached.stop()
        raise
    ports = {"memcached": MEMCACHED_PORT, "unbuckle-xdp": PORT}
    runs = []
    try:
        if interface == "lo":
            net.enter_server()   # the server namespace's lo, never the host's
            host, namespace = "127.0.0.1", net.server
        else:
            net.enter_client()
            host, namespace = netns.SERVER_IP, net.client
        try:
            writers = {label: scenarios.UdpWriter(port, host) for label, port in ports.items()}
            run = lockstep.Lockstep(f"pylibmc udp, AF_XDP on {interface}", writers,
                                    clients.EXPECTED_DIFFERENCES["pylibmc udp"])
            scenarios.udp_writes_scenario(run)
            runs.append(run)
            stats = mc.stats(PORT, host=host)
        finally:
            net.leave()
        paths = {k: stats.get(k) for k in ("xdp_redirect", "afxdp_rx_frames",
                                            "xdp_pass_oversize", "afxdp_kernel_rx_dropped")}
        print(f"{interface}: pylibmc's requests took {paths}", flush=True)
        if int(stats.get("afxdp_rx_frames", 0)) == 0:
            mc.fail(f"no request came through AF_XDP on {interface}: {stats}")
        php = clients.php_run("php-memcached udp", ports, "udp", host,
                              ("ip", "netns", "exec", namespace))
        php.scenario = f"php-memcached udp, AF_XDP on {interface}"
        runs.append(php)
        if daemon.proc.poll() is not None:
            mc.fail(f"unbuckle-xdp on {interface} exited during the scenario:\n{daemon.text()}")
    finally:
        daemon.close()
        memcached.stop()
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", help="unused: no XDP program on the client end")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    started = time.monotonic()
    runs = []
    with netns.VethNamespaces(1, mtu=VETH_MTU) as net:
        for interface in (netns.SERVER_IF, "lo"):
            runs += run_interface(net, args.daemon, interface)
    print(f"afxdp_clients: {time.monotonic() - started:.0f} s")
    lockstep.finish(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
