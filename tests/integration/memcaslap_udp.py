#!/usr/bin/python3
"""libmemcached's load generator memcaslap (memaslap) over UDP for 30 s
against unbuckle-xdp: every get and set goes over UDP (memaslap needs the TCP
and UDP ports to be equal), 5% of the gets verify the value. The run must
report zero errors: no misses, no verification failures, no dropped,
reordered or timed-out datagrams and no error replies.
"""

import argparse
import re
import shutil
import subprocess
import sys

import mcharness as mc

# Counters memaslap prints at the end with --udp --verify; all must be 0.
ERROR_COUNTERS = ["get_misses", "verify_misses", "verify_failed", "packet_disorder",
                  "packet_drop", "udp_timeout"]
# Room for every object memaslap writes, so that a miss is an error and not an
# eviction: a fast run writes over 300 MB of objects (the store maps memory
# lazily, so the limit costs nothing until used). Evictions are checked too.
MEMORY_MB = 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", help="path of unbuckle-xdp; without it memcached is "
                        "the subject (harness self-test)")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()

    server = (mc.Server.daemon(args.daemon, MEMORY_MB, 2) if args.daemon
              else mc.Server.memcached(MEMORY_MB, 2))
    argv = [shutil.which("memcaslap") or "memcaslap", f"--servers={mc.HOST}:{server.port}",
            "--udp", f"--time={args.seconds}s", "--threads=2", "--concurrency=16",
            "--verify=0.05"]
    print(" ".join(argv), flush=True)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=args.seconds + 60)
        alive = server.alive()
        evictions = int(mc.stats(server.port).get("evictions", "0")) if alive else 0
    except subprocess.TimeoutExpired:
        mc.fail(f"memcaslap did not finish within {args.seconds + 60}s")
    finally:
        server.stop()
    output = proc.stdout + proc.stderr
    print(output.rstrip())

    counters = {m.group(1): int(m.group(2))
                for m in re.finditer(r"^(\w+): (\d+)$", output, re.MULTILINE)}
    failures = []
    for name in ERROR_COUNTERS + ["cmd_get", "cmd_set"]:
        if name not in counters:
            failures.append(f"memcaslap printed no {name}")
    failures += [f"{n} = {counters[n]}" for n in ERROR_COUNTERS if counters.get(n, 0) != 0]
    if counters.get("cmd_get", 0) == 0 or counters.get("cmd_set", 0) == 0:
        failures.append("no gets or no sets were executed")
    error_lines = [line for line in output.splitlines()
                   if re.search(r"ERROR|verification failed|didn't set success", line)]
    if error_lines:
        failures.append(f"{len(error_lines)} error lines, first: {error_lines[0]}")
    if proc.returncode != 0:
        failures.append(f"memcaslap exit status {proc.returncode}")
    if evictions:
        failures.append(f"{server.name} evicted {evictions} items: MEMORY_MB is too small "
                        "for this run, so misses are expected")
    if not alive:
        failures.append(f"{server.name} died during the run")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"memcaslap_udp: {counters.get('cmd_get', 0)} gets, {counters.get('cmd_set', 0)} "
          f"sets over UDP in {args.seconds}s, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
