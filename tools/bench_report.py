#!/usr/bin/python3
"""The reports of tools/bench.sh.

  bench_report.py table DIR NAPI CPU_NOTE KC_KEYS
      DIR holds v<value>-w<window>-<phase>.json (mcbench --json) and .napi
      ("<target> <CPU seconds of its server-end NAPI thread>" per line): one
      table of every target and case with ratios to memcached and to the
      ceiling per phase (a: phase 1, b: phase 2, c: phase 3, whose ceiling is
      the XDP_TX echo), then a PASS/MISS line per target of issues 4 and 10.
  bench_report.py perf SCRIPT RUN_JSON
      SCRIPT is `perf script -F comm,tid,period,ip,sym,dso` of a cpu-clock
      recording with call chains, RUN_JSON the mcbench run it covered: CPU
      time per request by where it goes, and the top symbols.
"""

import collections
import glob
import json
import os
import re
import sys

ORDER = ["memcached", "socket", "xdp", "ceiling", "xdp-busy", "xdp-busy-skb", "kc", "echo"]
WINDOWS = (64, 1)
PHASES = {"a": "phase 1: one mcbench --compare per case",
          "b": "phase 2: busy-poll, each server stopped while another is measured",
          "c": "phase 3: the kernel cache, {kc_keys} hot keys, one mcbench --compare per case"}
# The fixed-reply servers: their replies never carry the key asked for.
CEILINGS = ("ceiling", "echo")


def load_rows(folder):
    """{(phase, value, window): {target: row}} from every v<value>-w<window>-<phase>.json."""
    cases = collections.defaultdict(dict)
    for path in glob.glob(os.path.join(folder, "v*-w*-*.json")):
        value, window, phase = re.search(r"v(\d+)-w(\d+)-(\w+)\.json$", os.path.basename(path)).groups()
        with open(path.removesuffix(".json") + ".napi") as f:
            napi = {name: None if seconds == "none" else float(seconds)
                    for name, seconds in (line.split() for line in f)}
        for r in json.load(open(path))["results"]:
            name = r["target"]
            answered = r["answered"] or 1
            errors = r["get_errors"] + r["set_errors"]
            if name in CEILINGS:
                errors -= r["errors"]["wrong_key"]
            cases[phase, int(value), int(window)][name] = {
                "ops": r["ops_per_second"], "p50": r["latency_us"]["p50"], "p99": r["latency_us"]["p99"],
                "cpu": ((r["server_cpu_seconds"] or 0) + (napi[name] or 0)) / answered * 1e6,
                "napi": None if napi[name] is None else napi[name] / answered * 1e6,
                "lost": r["get_lost"] + r["set_lost"], "errors": errors, "answered": r["answered"],
            }
    return cases


def table(folder, napi, cpu_note, kc_keys):
    cases = load_rows(folder)
    print(f"== results: GETs over UDP through a veth, 1 client thread, NAPI {napi} (window 1: softirq)")
    print(f"   cpu us/req: {cpu_note}; (napi): the NAPI thread's part")
    header = (f"{'target':<12} {'value':>5} {'window':>6} {'ops/s':>9} {'p50 us':>8} {'p99 us':>8}"
              f" {'cpu us/req':>10} {'(napi)':>6} {'x memcached':>11} {'x ceiling':>9} {'lost':>6} {'errors':>6}")
    ratio = lambda a, b: f"{a / b:.2f}" if b else "-"
    for phase, title in PHASES.items():
        values = sorted({v for p, v, _ in cases if p == phase})
        if not values:
            continue
        print(f"-- {title.format(kc_keys=kc_keys)}")
        print(header)
        print("-" * len(header))
        for value in values:
            for window in WINDOWS:
                rows = cases.get((phase, value, window), {})
                base = rows.get("memcached")
                ceiling = next((rows[n] for n in CEILINGS if n in rows), None)
                for name in (n for n in ORDER if n in rows):
                    r = rows[name]
                    print(f"{name:<12} {value:>5} {window:>6} {r['ops']:>9.0f} {r['p50']:>8.1f} {r['p99']:>8.1f}"
                          f" {r['cpu']:>10.2f} {'-' if r['napi'] is None else format(r['napi'], '.2f'):>6}"
                          f" {ratio(r['ops'], base['ops'] if base else 0):>11}"
                          f" {ratio(r['ops'], ceiling['ops'] if ceiling else 0):>9}"
                          f" {r['lost']:>6} {r['errors']:>6}")
                if rows:
                    print()
    print("ceiling, echo: every reply is the same fixed GET hit (their wrong_key errors are not counted).")

    print("\n== targets of issue 4 (ratios from this run)")
    verdict = lambda ok: "PASS" if ok else "MISS"
    for value in sorted({v for p, v, _ in cases if p in "ab"}):
        rows = cases.get(("a", value, 64), {})
        x, mc, ceil = (rows.get(n) for n in ("xdp", "memcached", "ceiling"))
        if x and ceil:
            print(f"{verdict(x['ops'] >= 0.8 * ceil['ops'])}  xdp ops/s >= 0.8x ceiling, {value} B, window 64:"
                  f" {x['ops'] / ceil['ops']:.2f}x ({x['ops']:.0f} / {ceil['ops']:.0f})")
        if x and mc:
            print(f"{verdict(x['ops'] >= 2 * mc['ops'])}  xdp ops/s >= 2x memcached, {value} B, window 64:"
                  f" {x['ops'] / mc['ops']:.2f}x ({x['ops']:.0f} / {mc['ops']:.0f})")
            print(f"{verdict(x['p99'] < mc['p99'])}  xdp p99 < memcached p99, {value} B, window 64:"
                  f" {x['p99']:.1f} us vs {mc['p99']:.1f} us")
        rows = cases.get(("b", value, 1), {})
        for name in ("xdp-busy", "xdp-busy-skb"):
            busy, mc1 = rows.get(name), rows.get("memcached")
            if busy and mc1:
                print(f"{verdict(busy['p50'] <= 0.5 * mc1['p50'])}  {name} p50 <= 0.5x memcached p50, {value} B,"
                      f" window 1: {busy['p50']:.1f} us vs {mc1['p50']:.1f} us ({busy['p50'] / mc1['p50']:.2f}x)")
    kernel_cache_targets(cases, verdict)
    for (phase, value, window), rows in sorted(cases.items()):
        for name, r in rows.items():
            if r["errors"] or r["lost"] > r["answered"] // 1000:
                print(f"NOTE  {name}, {value} B, window {window}, phase {phase}: {r['errors']} errors,"
                      f" {r['lost']} lost of {r['answered']} answered")


def kernel_cache_targets(cases, verdict):
    """Issue 10's targets, from phase 3 (kc: the kernel cache, xdp: the AF_XDP
    path, echo: the XDP_TX ceiling)."""
    for value in sorted({v for p, v, _ in cases if p == "c"}):
        print(f"\n== targets of issue 10, {value} B (ratios from this run)")
        rows = cases.get(("c", value, 64), {})
        kc, x, echo = (rows.get(n) for n in ("kc", "xdp", "echo"))
        if kc and echo:
            print(f"{verdict(kc['ops'] >= 0.8 * echo['ops'])}  kc ops/s >= 0.8x echo, window 64:"
                  f" {kc['ops'] / echo['ops']:.2f}x ({kc['ops']:.0f} / {echo['ops']:.0f})")
        if kc and x:
            faster, cheaper = kc["ops"] >= 1.5 * x["ops"], kc["cpu"] <= 0.5 * x["cpu"]
            print(f"{verdict(faster or cheaper)}  kc ops/s >= 1.5x xdp or CPU/req <= 0.5x xdp's, window 64:"
                  f" {kc['ops'] / x['ops']:.2f}x ops/s ({kc['ops']:.0f} / {x['ops']:.0f}),"
                  f" {kc['cpu'] / x['cpu']:.2f}x CPU/req ({kc['cpu']:.2f} / {x['cpu']:.2f} us)")
        rows = cases.get(("c", value, 1), {})
        kc, x, mc1 = (rows.get(n) for n in ("kc", "xdp", "memcached"))
        if kc and mc1:
            print(f"{verdict(kc['p50'] <= 0.25 * mc1['p50'])}  kc p50 <= 1/4 memcached's, window 1:"
                  f" {kc['p50']:.1f} us vs {mc1['p50']:.1f} us ({kc['p50'] / mc1['p50']:.2f}x)")
        if kc and x:
            print(f"{verdict(kc['p50'] <= 0.5 * x['p50'])}  kc p50 <= 1/2 xdp's, window 1:"
                  f" {kc['p50']:.1f} us vs {x['p50']:.1f} us ({kc['p50'] / x['p50']:.2f}x)")


# Where a sample's time goes. Kernel samples: the frame nearest the leaf
# that names a step of the datapath decides (a memcpy under __xsk_rcv is the
# copy into the umem; generic helpers such as allocators and locks name
# none). Daemon samples: the leaf symbol's namespace (the Release build has
# no frame pointers, so its call chains stop at the leaf).
KERNEL_CATEGORIES = [
    ("kernel: XDP program", r"^bpf_prog_"),
    ("kernel: AF_XDP receive (redirect, copy into umem, wake-up)",
     r"^xdp_do_redirect|^(__)?xsk_(rcv|map_redirect|map_flush|flush|buff)|^xp_"),
    ("kernel: AF_XDP transmit (sendto: copy into an skb, veth xmit)",
     r"^(__)?xsk_(generic_xmit|sendmsg|build_skb|destruct_skb|cq_|tx_)|^__dev_direct_xmit|^veth_xmit"),
    ("kernel: veth receive (skb to XDP frame copy, frees, NAPI)",
     r"^veth_|^skb_pp_cow_data|^napi_threaded_poll|^__napi_poll|^net_rx_action|^skb_defer_free_flush"),
    ("kernel: IP/UDP/TCP stack",
     r"^(ip|ip_list|ip_sublist|ip_local|udp|__udp|udp4|tcp|__tcp)_|^process_backlog|^(__)?netif_receive_skb"),
    ("kernel: poll, syscalls, wake-ups, scheduling",
     r"^do_sys_poll|^__x64_sys_poll|^xsk_poll|^sock_poll|^(__)?schedule|^finish_task_switch|^irqentry_exit"
     r"|^exit_to_user_mode|^do_syscall_64|^entry_SYSCALL|^asm_sysvec|^sysvec_|^try_to_wake_up|^__irq_exit"),
]
USER_CATEGORIES = [
    ("daemon: protocol engine", r"unbuckle::proto::"),
    ("daemon: store", r"unbuckle::store::"),
    ("daemon: reply sink (udp framing)", r"unbuckle::udp::"),
    ("daemon: AF_XDP worker (rings, headers, checksums)", r"unbuckle::afxdp::|unbuckle::net::"),
    ("daemon: libc copies (memcpy, memmove, memset)", r"^__mem(cpy|move|set)|^mem(cpy|move|set)"),
]


def is_kernel(dso):
    return "kernel" in dso or dso.startswith("bpf_prog_")


def categorize(frames):
    """frames: [(sym, dso)] from the leaf up."""
    sym, dso = frames[0]
    if is_kernel(dso):
        for s, d in frames:
            if not is_kernel(d):
                break
            for name, pattern in KERNEL_CATEGORIES:
                if re.search(pattern, s):
                    return name
        return "kernel: other"
    for name, pattern in USER_CATEGORIES:
        if re.search(pattern, sym):
            return name
    return "daemon: other (libc mutex, memcmp, std)"


def read_samples(path):
    """(comm, period ns, [(sym, dso)] leaf first) per sample of `perf script`."""
    samples, current = [], None
    head = re.compile(r"^(\S.*?)\s+(\d+)\s+(\d+)\s*$")
    frame = re.compile(r"^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            m = head.match(line)
            if m:
                current = (m.group(1), int(m.group(3)), [])
                samples.append(current)
                continue
            m = frame.match(line)
            if m and current is not None:
                sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(1))
                current[2].append((sym, os.path.basename(m.group(2))))
    return [s for s in samples if s[2]]


def perf(script, run_json):
    run = json.load(open(run_json))["results"][0]
    requests = run["answered"]
    samples = read_samples(script)
    total = sum(p for _, p, _ in samples)
    if not samples or not requests:
        sys.exit("bench_report.py: no samples or no requests in the perf run")
    per_request = lambda ns: ns / 1e3 / requests
    by_comm = collections.Counter()
    by_category = collections.Counter()
    by_symbol = collections.Counter()
    for comm, period, frames in samples:
        by_comm["NAPI thread" if comm.startswith("napi/") else f"daemon ({comm})"] += period
        by_category[categorize(frames)] += period
        by_symbol[f"{frames[0][0]} [{frames[0][1]}]"] += period
    whose = "the xdp daemon and its NAPI thread" if any(c.startswith("napi/") for c, _, _ in samples) \
        else "the xdp daemon"
    print(f"== perf: cpu-clock of {whose}, window 64, value {json.load(open(run_json))['config']['value_size']} B:"
          f" {run['ops_per_second']:.0f} ops/s under perf, {requests} requests,"
          f" {total / 1e9:.2f} CPU s sampled = {per_request(total):.2f} us per request")
    print("-- by thread")
    for name, ns in by_comm.most_common():
        print(f"  {per_request(ns):6.2f} us  {100 * ns / total:5.1f}%  {name}")
    print("-- by where it goes (kernel: the datapath step nearest the leaf; daemon: the leaf symbol)")
    for name, ns in by_category.most_common():
        print(f"  {per_request(ns):6.2f} us  {100 * ns / total:5.1f}%  {name}")
    print("-- top symbols (self time)")
    for name, ns in by_symbol.most_common(25):
        print(f"  {per_request(ns):6.2f} us  {100 * ns / total:5.1f}%  {name[:110]}")


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "table":
        table(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "perf":
        perf(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
