#!/usr/bin/python3
"""pymemcache's own test suite against memcached 1.6.18 and unbuckle-xdp
(--backend socket), compared test by test.

The suite is the one Debian's python3-pymemcache ships (pymemcache/test, the
same files as its source package), run with Debian's python3-pytest. Only the
files that talk to a server run: test_integration.py and test_benchmark.py
(the others are unit tests against a mock socket). Each server gets its own
pytest run through the suite's --server/--port options; both runs go at once.

Not run, for both servers alike: test_tls (this server has no TLS, and the
package does not ship the suite's certificates). The benchmarks run with
--count 1000 instead of 10000 to stay short; they still check every reply.

The run fails when memcached itself fails a test (the environment is wrong),
when no test ran, or when any test's outcome differs between the servers.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcharness as mc  # noqa: E402

PYTHON = "/usr/bin/python3"
SERVER_FILES = ("test_integration.py", "test_benchmark.py")
NOT_RUN = "not test_tls"
BENCHMARK_COUNT = "1000"
RUN_TIMEOUT_S = 45


def suite_dir():
    found = subprocess.run(
        [PYTHON, "-c", "import pytest, pymemcache.test as t, os; print(os.path.dirname(t.__file__))"],
        capture_output=True, text=True)
    if found.returncode != 0:
        mc.fail(f"{found.stderr.strip()[-300:]}: run tools/install-deps.sh "
                "(python3-pymemcache, python3-pytest)")
    return found.stdout.strip()


def start_pytest(tests, server, junit):
    argv = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-W", "ignore",
            tests[0], *tests[1:], f"--server={server.host}", f"--port={server.port}",
            f"--count={BENCHMARK_COUNT}", "-k", NOT_RUN,
            "-o", "junit_family=xunit2", f"--junitxml={junit}"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=os.path.dirname(junit))


def outcomes(junit):
    """{test id: 'passed' | 'failed' | 'skipped'} from pytest's JUnit XML."""
    result = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            result[name] = "failed"
        elif case.find("skipped") is not None:
            result[name] = "skipped"
        else:
            result[name] = "passed"
    return result


def tally(result):
    return {k: sum(1 for v in result.values() if v == k) for k in ("passed", "failed", "skipped")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--daemon", required=True, help="path to unbuckle-xdp")
    args = ap.parse_args()

    directory = suite_dir()
    tests = [os.path.join(directory, f) for f in SERVER_FILES]
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="pymemcache-suite-")
    servers = {"memcached": mc.Server.memcached(64, 2)}
    try:
        servers["unbuckle-xdp"] = mc.Server.daemon(args.daemon, 64, 2)
        runs = {}
        for label, server in servers.items():
            junit = os.path.join(work, f"{label}.xml")
            runs[label] = (start_pytest(tests, server, junit), junit)
        results = {}
        for label, (proc, junit) in runs.items():
            try:
                output, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                for other, _ in runs.values():
                    other.kill()
                mc.fail(f"pytest against {label} took more than {RUN_TIMEOUT_S}s")
            if not os.path.exists(junit):
                mc.fail(f"pytest against {label} wrote no results:\n{output[-3000:]}")
            results[label] = outcomes(junit)
            if proc.returncode not in (0, 1):
                print(output[-3000:])
        dead = [label for label, s in servers.items() if not s.alive()]
        if dead:
            mc.fail(f"{', '.join(dead)} died during the suite")
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    mine, ref = results["unbuckle-xdp"], results["memcached"]
    for label, result in results.items():
        t = tally(result)
        print(f"{label:13s} passed {t['passed']:4d}  failed {t['failed']:3d}  "
              f"skipped {t['skipped']:3d}")
    print(f"duration {time.monotonic() - started:.1f}s")
    differing = sorted(n for n in set(mine) | set(ref) if mine.get(n) != ref.get(n))
    for name in differing:
        print(f"  {name}: memcached {ref.get(name, 'absent')}, "
              f"unbuckle-xdp {mine.get(name, 'absent')}")
    if tally(ref)["passed"] == 0:
        mc.fail("no test passed against memcached")
    if tally(ref)["failed"]:
        mc.fail("memcached itself fails tests: the environment is wrong")
    if differing:
        mc.fail(f"{len(differing)} tests differ between memcached and unbuckle-xdp")
    print("PASS: every test has the same outcome against both servers")


if __name__ == "__main__":
    main()
