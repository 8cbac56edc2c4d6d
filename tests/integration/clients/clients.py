#!/usr/bin/python3
"""Real memcached client libraries against memcached 1.6.18 and unbuckle-xdp
(--backend socket), the same scenario through each, comparing what the
library returns at every step: pymemcache, pylibmc (TCP, and UDP writes read
back over TCP), php-memcached (TCP, and UDP writes). Each scenario gets a
fresh pair of servers, so CAS values compare exactly.

Steps listed in expected.py are known bugs being fixed elsewhere; one that
stops differing fails the run until its entry is deleted.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
import lockstep  # noqa: E402
from expected import EXPECTED_DIFFERENCES  # noqa: E402

try:
    import scenarios
except ImportError as e:
    mc.fail(f"{e}: run tools/install-deps.sh (python3-pymemcache, python3-pylibmc)")

PHP_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "php_scenario.php")
PHP_TIMEOUT_S = 40
# memcached's worker threads share its UDP socket and may store two datagrams
# out of order; one thread keeps CAS values comparable.
UDP_THREADS = 1

def server_pair(daemon, threads=2):
    """(memcached, unbuckle-xdp), both fresh; the caller stops both."""
    oracle = mc.Server.memcached(64, threads)
    try:
        subject = mc.Server.daemon(daemon, 64, threads)
    except BaseException:
        oracle.stop()
        raise
    return {"memcached": oracle, "unbuckle-xdp": subject}


def stop_all(servers):
    for server in servers.values():
        server.stop()


def lockstep_scenario(name, daemon, make_client, scenario, threads=2):
    servers = server_pair(daemon, threads)
    try:
        run = lockstep.Lockstep(name, {label: make_client(s.port) for label, s in servers.items()},
                                EXPECTED_DIFFERENCES[name])
        scenario(run)
        dead = [label for label, s in servers.items() if not s.alive()]
        if dead:
            mc.fail(f"{name}: {', '.join(dead)} died during the scenario")
    finally:
        stop_all(servers)
    return run


def php_scenario(name, daemon, mode):
    servers = server_pair(daemon, UDP_THREADS if mode == "udp" else 2)
    try:
        return php_run(name, {label: s.port for label, s in servers.items()}, mode)
    finally:
        stop_all(servers)


def php_run(name, ports, mode, host=mc.HOST, prefix=()):
    """php_scenario.php against each server at once (each sleeps for expiry),
    run under `prefix` (a namespace's `ip netns exec`); their JSON lines are
    paired by step. `ports`: {label: port}, memcached first."""
    outputs = {}
    procs = {}
    try:
        for label, port in ports.items():
            procs[label] = subprocess.Popen([*prefix, "php", PHP_SCRIPT, str(port), mode, host],
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            preexec_fn=mc._die_with_parent)
        for label, proc in procs.items():
            try:
                out, err = proc.communicate(timeout=PHP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            if proc.returncode != 0:
                mc.fail(f"{name}: php against {label} exited with {proc.returncode}: "
                        f"{err.decode(errors='replace')[-2000:]}")
            outputs[label] = [json.loads(line) for line in out.decode().splitlines()]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
    run = lockstep.Lockstep(name, {label: None for label in ports}, EXPECTED_DIFFERENCES[name])
    reference = outputs["memcached"]
    for index, line in enumerate(reference):
        results = {}
        for label, lines in outputs.items():
            if index < len(lines) and lines[index]["step"] == line["step"]:
                results[label] = lines[index]["result"]
            else:
                results[label] = "step missing"
        run.record(line["step"], results)
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--show", action="store_true", help="print every step's results")
    args = parser.parse_args()

    runs = [
        lockstep_scenario("pymemcache", args.daemon, scenarios.pymemcache_client,
                          scenarios.pymemcache_scenario),
        lockstep_scenario("pylibmc", args.daemon, scenarios.pylibmc_client,
                          scenarios.pylibmc_scenario),
        lockstep_scenario("pylibmc buffered", args.daemon, scenarios.pylibmc_buffered_client,
                          scenarios.pylibmc_scenario),
        lockstep_scenario("pylibmc udp", args.daemon, scenarios.UdpWriter,
                          scenarios.udp_writes_scenario, UDP_THREADS),
    ]
    if shutil.which("php"):
        runs.append(php_scenario("php-memcached", args.daemon, "tcp"))
        runs.append(php_scenario("php-memcached udp", args.daemon, "udp"))
    else:
        mc.fail("php not found: run tools/install-deps.sh (php-cli, php-memcached)")
    lockstep.finish(runs, args.show)


if __name__ == "__main__":
    main()
