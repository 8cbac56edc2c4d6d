"""Runs one client scenario in lockstep against several servers (memcached
first, as the reference) and compares what the client library returns at
every step. A step's result is whatever the library gives back, or the
exception it raises (type and message, with pointer values masked).

A step may be listed as an expected difference (a known bug being fixed
elsewhere): the run fails if such a step stops differing, so the entry is
deleted once the fix lands.
"""

import re
import sys
import time

_POINTER = re.compile(r"0x[0-9a-fA-F]+")
_ADDRESS = re.compile(r"([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+):[0-9]+")


def describe(exc):
    """An exception as a result: pointers and server ports masked."""
    text = _ADDRESS.sub(r"\1:PORT", _POINTER.sub("0x?", str(exc)))
    return f"raises {type(exc).__name__}: {text}"


def short(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


class Lockstep:
    """`clients` maps a server label to a client; the first label is the reference."""

    def __init__(self, scenario, clients, expected=None):
        self.scenario = scenario
        self.clients = clients
        self.labels = list(clients)
        self.expected = dict(expected or {})
        self.steps = []  # (name, {label: result})

    def step(self, name, action):
        """Run action(client) on every server, in order; record what each returns."""
        results = {}
        for label, client in self.clients.items():
            try:
                results[label] = action(client)
            except Exception as exc:  # the client's error is the result to compare
                results[label] = describe(exc)
        self.steps.append((name, results))
        return results

    def record(self, name, results):
        """Results obtained elsewhere (a PHP process's output), one per label."""
        self.steps.append((name, results))

    @staticmethod
    def pause(seconds):
        time.sleep(seconds)

    def problems(self):
        """Lines describing every unexpected difference and every expected
        difference that no longer differs. Empty when the scenario passes."""
        out = []
        reference = self.labels[0]
        seen = set()
        for name, results in self.steps:
            seen.add(name)
            ref = results.get(reference)
            differing = [label for label in self.labels[1:] if results.get(label) != ref]
            if differing and name not in self.expected:
                out.append(f"{self.scenario}: step {name!r} differs:")
                for label in self.labels:
                    out.append(f"    {label}: {short(results.get(label))}")
            elif not differing and name in self.expected:
                out.append(f"{self.scenario}: step {name!r} no longer differs "
                           f"({self.expected[name]}): delete it from the expected differences")
        for name in self.expected:
            if name not in seen:
                out.append(f"{self.scenario}: expected difference {name!r} names no step")
        return out

    def summary(self):
        diffs = sum(1 for name, _ in self.steps if name in self.expected)
        return (f"{self.scenario}: {len(self.steps)} steps over {', '.join(self.labels)}; "
                f"{diffs} expected differences")


def finish(lockstep_runs, show=False):
    """Print each run's summary (with every step's results if `show`) and
    problems; exit 1 if any run has a problem."""
    problems = []
    for run in lockstep_runs:
        print(run.summary(), flush=True)
        if show:
            for name, results in run.steps:
                same = len({repr(r) for r in results.values()}) == 1
                print(f"  {name}: " + (short(results[run.labels[0]]) if same else
                                       " | ".join(f"{label}: {short(r)}"
                                                  for label, r in results.items())))
        problems += run.problems()
    for line in problems:
        print(f"FAIL: {line}" if not line.startswith("    ") else line, flush=True)
    if problems:
        sys.exit(1)
    print("PASS", flush=True)
