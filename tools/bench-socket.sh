#!/usr/bin/env bash
# unbuckle-xdp's socket backend against memcached 1.6 on 127.0.0.1, side by
# side: GET-heavy UDP load (SETs over TCP), 64- and 1000-byte values, window
# 64 (throughput) and window 1 (latency floor). Every case runs
# `mcbench --compare` with memcached (started by mcbench) as the baseline, in
# two alternating rounds (noise on a shared machine evens out), and prints a
# line per target; a ratio table of all cases closes the run. Both servers
# get 256 MB, so the 100,000 keys fit and GETs hit.
#
#   tools/bench-socket.sh [--duration S] [--server-threads N] [--build-dir DIR] [--stand-in]
#
# --duration is the measured time per target and case (default 10 s).
# --stand-in runs a second memcached in the daemon's place, to try the script
# where build/bin/unbuckle-xdp does not exist. Only PIDs this script started
# are stopped, on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10
server_threads=2
memory_mb=256
build_dir=build
stand_in=0
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --server-threads) server_threads=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --stand-in) stand_in=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-socket.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done

# --- build ------------------------------------------------------------------
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build_dir" --target mcbench -j 2 >/dev/null ||
  { echo "bench-socket.sh: building mcbench in $build_dir failed" >&2; exit 1; }
mcbench=$build_dir/bin/mcbench
daemon=$build_dir/bin/unbuckle-xdp
if ((!stand_in)); then
  if ! cmake --build "$build_dir" --target unbuckle-xdp -j 2 >/dev/null || [ ! -x "$daemon" ]; then
    echo "bench-socket.sh: cannot build $daemon (use --stand-in to try the script with a second memcached)" >&2
    exit 1
  fi
fi

# --- the server under test ----------------------------------------------------
server_pid=
results=$(mktemp -d /tmp/bench-socket.XXXXXX)
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$results"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A 127.0.0.1 port free for both TCP and UDP right now.
free_port() {
  python3 - <<'EOF'
import socket
while True:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break
EOF
}

port=$(free_port)
if ((stand_in)); then
  name=stand-in
  args=(-U "$port" -p "$port" -l 127.0.0.1 -t "$server_threads" -m "$memory_mb")
  [ "$(id -u)" -eq 0 ] && args+=(-u root)
  /usr/bin/memcached "${args[@]}" &
else
  name=unbuckle
  "$daemon" --backend socket --listen 127.0.0.1 --port "$port" --tcp-port "$port" \
    --threads "$server_threads" --memory-limit "$memory_mb" --control-socket "$results/control.sock" &
fi
server_pid=$!

# Wait until it accepts TCP (at most 5 s); mcbench checks UDP itself.
for _ in $(seq 50); do
  kill -0 "$server_pid" 2>/dev/null || { echo "bench-socket.sh: $name exited at start-up" >&2; exit 1; }
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done
echo "bench-socket.sh: $name pid $server_pid on 127.0.0.1:$port; $duration s per target and case"

# --- the cases ----------------------------------------------------------------
round_duration=$(python3 -c "print($duration / 2)")
common=(--compare --start-memcached memcached --memcached-threads "$server_threads" --memcached-memory "$memory_mb"
        --target "$name=127.0.0.1:$port" --server-pid "$name=$server_pid"
        --get-ratio 0.95 --proto udp --set-proto tcp --keys 100000 --key-size 20
        --preload --validate --rounds 2 --duration "$round_duration" --quiet)
for value_size in 64 1000; do
  for window in 64 1; do
    threads=$((window > 1 ? 2 : 1))
    case_name="value ${value_size} B, window ${window}, ${threads} client thread(s)"
    echo
    echo "== $case_name"
    "$mcbench" "${common[@]}" --value-size "$value_size" --window "$window" --threads "$threads" \
      --json >"$results/v${value_size}-w${window}.json"
    python3 - "$results/v${value_size}-w${window}.json" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
base = runs[0]
for r in runs:
    cpu = r["server_cpu_s_per_million"]
    cpu_ratio = f"{cpu / base['server_cpu_s_per_million']:.2f}" if cpu and base["server_cpu_s_per_million"] else "-"
    errors = r["get_errors"] + r["set_errors"]
    print(f"  {r['target']:<10} {r['ops_per_second']:>11.0f} ops/s  x{r['ops_per_second'] / base['ops_per_second']:.2f}"
          f"  p50 {r['latency_us']['p50']:.1f} us  p99 {r['latency_us']['p99']:.1f} us"
          f"  p99.9 {r['latency_us']['p999']:.1f} us  hit {100 * r['hit_ratio']:.2f}%"
          f"  lost {r['get_lost'] + r['set_lost']}  errors {errors}"
          f"  cpu {cpu if cpu is None else round(cpu, 3)} s/M (x{cpu_ratio})")
EOF
  done
done

# --- summary ------------------------------------------------------------------
echo
echo "== ratio table: $name / memcached (throughput: higher is better; latency and CPU per request: lower is better)"
python3 - "$results" "$name" <<'EOF'
import json, os, sys
folder, name = sys.argv[1], sys.argv[2]
print(f"{'value':>6} {'window':>6}  {'ops/s x':>8}  {'p50 x':>6}  {'p99 x':>6}  {'cpu/req x':>9}  {'errors':>6}  {'lost':>6}")
for value in (64, 1000):
    for window in (64, 1):
        runs = json.load(open(os.path.join(folder, f"v{value}-w{window}.json")))["results"]
        base = next(r for r in runs if r["target"] == "memcached")
        ours = next(r for r in runs if r["target"] == name)
        ratio = lambda a, b: f"{a / b:.2f}" if a and b else "-"
        print(f"{value:>6} {window:>6}  {ratio(ours['ops_per_second'], base['ops_per_second']):>8}"
              f"  {ratio(ours['latency_us']['p50'], base['latency_us']['p50']):>6}"
              f"  {ratio(ours['latency_us']['p99'], base['latency_us']['p99']):>6}"
              f"  {ratio(ours['server_cpu_s_per_million'], base['server_cpu_s_per_million']):>9}"
              f"  {ours['get_errors'] + ours['set_errors']:>6}  {ours['get_lost'] + ours['set_lost']:>6}")
EOF
