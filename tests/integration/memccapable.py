#!/usr/bin/python3
"""libmemcached's memccapable, ASCII tests only (-a), against memcached 1.6.18
(the baseline, printed) and against unbuckle-xdp, which must pass every test
that memcached passes and report no [FAIL].
"""

import argparse
import re
import shutil
import subprocess
import sys

import mcharness as mc

IO_TIMEOUT_S = 5
RUN_TIMEOUT_S = 120


def run_memccapable(server):
    """Per-test results {name: pass|FAIL|skip}, exit code and output of one run."""
    # Test names go to stdout and [FAIL] with the failed assertion (-v) to
    # stderr: unbuffered stdout into one pipe keeps them in order.
    argv = ["stdbuf", "-o0", shutil.which("memccapable") or "memccapable", "-a", "-v",
            "-h", mc.HOST, "-p", str(server.port), "-t", str(IO_TIMEOUT_S)]
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=RUN_TIMEOUT_S)
        output, code = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as e:
        output, code = e.stdout or b"", "timeout"
    output = output.decode(errors="replace")
    results = {}
    name = None
    for line in output.splitlines():
        if line.startswith("ascii "):
            name = line.split("[")[0].strip()
        m = re.search(r"\[(pass|FAIL|skip)\]", line)
        if m and name:
            results[name] = m.group(1)
            name = None
    return results, code, output


def version_hint(server):
    """memccapable expects 1.6 behaviour (`quit foo`, `version foo` accepted)
    only when `version` reports 1.6 or later; say so when it does not."""
    client = mc.TcpClient(server.port)
    try:
        reply = client.request(b"version\r\n", done=lambda r: r.endswith(b"\r\n"))
    finally:
        client.close()
    if not re.match(rb"VERSION (1\.[6-9]|[2-9])", reply):
        print(f"note: {server.name} answers {reply!r} to `version`; memccapable then "
              "expects pre-1.6 answers (errors for `version foo`, `quit foo`), "
              "which memcached 1.6 does not give")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", help="path of unbuckle-xdp; without it a second "
                        "memcached is the subject (harness self-test)")
    args = parser.parse_args()

    with mc.Server.memcached(64, 2) as oracle:
        baseline, base_code, _ = run_memccapable(oracle)
    print(f"memcached baseline (exit {base_code}): "
          f"{sum(v == 'pass' for v in baseline.values())} pass, "
          f"{sum(v == 'FAIL' for v in baseline.values())} FAIL, "
          f"{sum(v == 'skip' for v in baseline.values())} skip")

    subject = mc.Server.daemon(args.daemon, 64, 2) if args.daemon else mc.Server.memcached(64, 2)
    try:
        version_hint(subject)
        results, code, output = run_memccapable(subject)
        alive = subject.alive()
    finally:
        subject.stop()
    print(output.rstrip())

    failures = [f"{name}: {v}" for name, v in results.items() if v == "FAIL"]
    failures += [f"{name}: missing (memcached: {v})" for name, v in baseline.items()
                 if v == "pass" and name not in results]
    if code != 0:
        failures.append(f"memccapable exit status {code}")
    if not alive:
        failures.append(f"{subject.name} died during the run")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"memccapable: {subject.name} passed {sum(v == 'pass' for v in results.values())} "
          f"of {len(results)} ASCII tests, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
