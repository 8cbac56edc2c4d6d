#!/usr/bin/env bash
# The client library's UDP multi-get against unbuckle-xdp vs the same
# library's TCP multi-get against memcached, in one run (issue 13's
# benchmark): tools/client_bench, which drives include/unbuckle/client.h with
# a set number of multi-gets in flight from one thread, UDP phase then TCP
# phase, and reports keys per second, the p50/p99 of a whole multi-get and
# the client thread's CPU time per key (user space + kernel).
#
# Each phase runs at each depth of --in-flight (multi-gets in flight), so
# that the two transports are compared at equal p99, as the issue asks: the
# TCP row is memcached's best key rate over the depths, and the UDP row is
# the best UDP key rate whose p99 is no higher than that TCP row's p99.
# Every depth's medians are printed too. Both phases take their hits the
# same way, each way of --values in turn: `map`, the ItemMap of takeGet()
# (every value copied into a std::string), or `sink`, a ValueSink that
# counts them (no copy, no allocation per key).
#
#   socket   unbuckle-xdp --backend socket on the server namespace's lo, vs
#            memcached over TCP on the same lo (client_bench in the server
#            namespace)
#   xdp      unbuckle-xdp --interface on a veth (native XDP, one AF_XDP
#            worker), --kernel-cache off, vs memcached over TCP on the same
#            veth (client_bench in the client namespace)
#   socket-coalesced, xdp-coalesced
#            socket and xdp with --udp-coalesce-replies on: the small
#            values of a multi-get leave together, about 1392 bytes per
#            datagram, instead of one datagram per key
#   socket-busy, xdp-busy
#            socket-coalesced and xdp-coalesced with --busy-poll: the
#            daemon's worker spins instead of sleeping, so a request never
#            waits for it to wake up. It would spin through the TCP phase
#            on the core memcached shares, so client_bench runs each phase
#            on its own and the daemon is stopped (and its XDP program
#            detached) for the TCP phase, then started again
#   xdp-kc   xdp with --kernel-cache on. The kernel cache answers only
#            single-key `get` requests (README "Kernel cache"): the library
#            sends a multi-get as `get k1 k2 ...`, which XDP redirects to
#            AF_XDP, so this case shows the cache does not serve multi-gets
#            (the script prints its hit counter to prove it).
#   xdp-kc-1 the same daemon, the library asking each key of a multi-get in
#            a request of its own (ClientOptions::udp_keys_per_request 1,
#            client_bench --udp-keys-per-request 1): every key is answered
#            by XDP from the kernel cache.
#
# Every server has 10,000 keys of --value-size bytes preloaded over TCP, so
# every key hits. Servers run on --server-cpu, client_bench on --client-cpu;
# memcached and the daemons have one worker thread each. Each case and key
# count is run --rounds times (one daemon at a time), and the table shows medians,
# with the load average before and after.
#
#   tools/client-bench.sh [--cases LIST] [--seconds S] [--rounds N] [--keys LIST]
#                         [--in-flight LIST] [--values LIST] [--value-size BYTES] [--build-dir DIR]
#                         [--server-cpu N] [--client-cpu N] [--napi MODE]
#
# --cases LIST        cases to run, in this order (default socket,
#                     socket-coalesced,socket-busy,xdp,xdp-coalesced,xdp-busy,
#                     xdp-kc; xdp-kc includes xdp-kc-1)
# --seconds S         measured seconds per phase and depth (default 2; 1..60)
# --rounds N          rounds (default 3; 1..9): 2 x S seconds per depth and
#                     way of taking values, and a few of preload, per case,
#                     key count and round: about 36 minutes for every case,
#                     19 for the four coalesced ones
# --keys LIST         keys per multi-get (default 10,100)
# --in-flight LIST    multi-gets in flight, each measured (default 2,4,8,16,32)
# --values LIST       map, sink or both (default map,sink)
# --value-size BYTES  (default 100; 1..1000, so that each value's reply fits
#                     one datagram)
# --build-dir DIR     CMake build tree (default build/; configured as
#                     Release and built when needed)
# --server-cpu N, --client-cpu N   the two cores (default 1 and 0)
# --napi MODE         in the veth cases, where each veth end's receive work
#                     (XDP and AF_XDP's included) runs: threaded (default): a
#                     NAPI thread per end pinned to its side's core, as a
#                     NIC's receive work runs on the receiver's CPUs;
#                     softirq: veth's default, on the sender's core, so the
#                     client's core also runs the server's XDP program
#
# Needs root. Stops only processes it started; deletes its namespaces on
# every exit path, Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."

cases=socket,socket-coalesced,socket-busy,xdp,xdp-coalesced,xdp-busy,xdp-kc
seconds=2
rounds=3
keys_list=10,100
in_flight=2,4,8,16,32
value_modes=map,sink
value_size=100
build_dir=build
server_cpu=1
client_cpu=0
napi=threaded
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while (($#)); do
  case "$1" in
    --cases) cases=${2:?--cases needs a list}; shift 2 ;;
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --keys) keys_list=${2:?--keys needs a list}; shift 2 ;;
    --in-flight) in_flight=${2:?--in-flight needs a list}; shift 2 ;;
    --values) value_modes=${2:?--values needs map, sink or map,sink}; shift 2 ;;
    --value-size) value_size=${2:?--value-size needs bytes}; shift 2 ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --server-cpu) server_cpu=${2:?--server-cpu needs a CPU number}; shift 2 ;;
    --client-cpu) client_cpu=${2:?--client-cpu needs a CPU number}; shift 2 ;;
    --napi) napi=${2:?--napi needs threaded or softirq}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "client-bench.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
say() { echo "client-bench.sh: $*"; }
die() { echo "client-bench.sh: $*" >&2; exit 1; }

[[ $napi == threaded || $napi == softirq ]] || die "--napi '$napi': use threaded or softirq"
IFS=, read -r -a case_names <<<"$cases"
for c in "${case_names[@]}"; do
  [[ $c =~ ^(socket|socket-coalesced|socket-busy|xdp|xdp-coalesced|xdp-busy|xdp-kc)$ ]] ||
    die "--cases: no case '$c' (socket, socket-coalesced, socket-busy, xdp, xdp-coalesced, xdp-busy, xdp-kc)"
done
[[ $seconds =~ ^[0-9]+$ ]] && ((seconds >= 1 && seconds <= 60)) || die "--seconds '$seconds': use 1..60"
[[ $rounds =~ ^[0-9]+$ ]] && ((rounds >= 1 && rounds <= 9)) || die "--rounds '$rounds': use 1..9"
[[ $keys_list =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--keys '$keys_list' is not a list such as 10,100"
IFS=, read -r -a key_counts <<<"$keys_list"
for k in "${key_counts[@]}"; do ((k >= 1 && k <= 1000)) || die "--keys: $k keys per multi-get, use 1..1000"; done
[[ $in_flight =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--in-flight '$in_flight' is not a list such as 2,4,8,16"
IFS=, read -r -a depths <<<"$in_flight"
for d in "${depths[@]}"; do ((d >= 1 && d <= 256)) || die "--in-flight: $d multi-gets in flight, use 1..256"; done
[[ $value_modes =~ ^(map|sink)(,(map|sink))?$ ]] || die "--values '$value_modes': use map, sink or map,sink"
IFS=, read -r -a modes <<<"$value_modes"
[[ $value_size =~ ^[0-9]+$ ]] && ((value_size >= 1 && value_size <= 1000)) || die "--value-size '$value_size': use 1..1000"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, XDP, AF_XDP); run it with sudo"
cpus=$(nproc)
[[ $server_cpu =~ ^[0-9]+$ && $client_cpu =~ ^[0-9]+$ ]] && ((server_cpu != client_cpu && server_cpu < cpus && client_cpu < cpus)) ||
  die "--server-cpu $server_cpu and --client-cpu $client_cpu must be two different CPUs below $cpus"
command -v memcached >/dev/null || die "no memcached: run tools/install-deps.sh"

# --- build ---------------------------------------------------------------------------
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  say "configuring a Release build in $build_dir"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
say "building unbuckle-xdp, client_bench and the client end's XDP pass program in $build_dir"
build_log=$(mktemp /tmp/client-bench-build.XXXXXX)
if ! cmake --build "$build_dir" -j 2 --target unbuckle-xdp client_bench unbuckle_test_xdp_pass_skel_gen >"$build_log" 2>&1; then
  grep -m 5 -E "error|Error" "$build_log" >&2 || true
  rm -f "$build_log"
  die "building in $build_dir failed (see the errors above)"
fi
rm -f "$build_log"
daemon=$(realpath "$build_dir/bin/unbuckle-xdp")
client_bench=$(realpath "$build_dir/bin/client_bench")
xdp_pass=$(realpath "$build_dir/tests/integration/afxdp/xdp_pass.bpf.o")

# --- clean-up on every exit path ---------------------------------------------------
tag=$$
server_ns=ubcbs$tag
client_ns=ubcbc$tag
server_if=ucbs$tag
client_if=ucbc$tag
server_ip=10.204.0.1
client_ip=10.204.0.2
work=$(mktemp -d /tmp/client-bench.XXXXXX)
bpffs=$work/bpffs
declare -A pid_of=()   # server name -> PID: the only processes this script stops
started_ns=0
mounted=0
stop_pid() {   # SIGTERM, up to 5 s, then SIGKILL
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local name
  for name in "${!pid_of[@]}"; do stop_pid "${pid_of[$name]}"; done
  if ((mounted)); then umount "$bpffs" 2>/dev/null || true; fi
  if ((started_ns)); then
    ip netns del "$server_ns" 2>/dev/null || true
    ip netns del "$client_ns" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- namespaces ------------------------------------------------------------------------
say "creating namespaces $server_ns (server) and $client_ns (client), veth $server_if/$client_if"
ip netns add "$server_ns"
started_ns=1
ip netns add "$client_ns"
ip link add "$server_if" netns "$server_ns" type veth peer name "$client_if" netns "$client_ns"
ip -n "$server_ns" link set "$server_if" address 02:00:00:cc:01:01
ip -n "$client_ns" link set "$client_if" address 02:00:00:cc:01:02
ip -n "$server_ns" addr add "$server_ip/24" dev "$server_if"
ip -n "$client_ns" addr add "$client_ip/24" dev "$client_if"
for ns in "$server_ns" "$client_ns"; do ip -n "$ns" link set lo up; done
ip -n "$server_ns" link set "$server_if" up
ip -n "$client_ns" link set "$client_if" up
ip -n "$server_ns" neigh add "$client_ip" lladdr 02:00:00:cc:01:02 dev "$server_if" nud permanent
ip -n "$client_ns" neigh add "$server_ip" lladdr 02:00:00:cc:01:01 dev "$client_if" nud permanent
# XDP_TX (the kernel cache's replies) on a veth needs a program on the
# receiving end; every case gets it, so they all receive the same way.
ip -n "$client_ns" link set dev "$client_if" xdpdrv obj "$xdp_pass" sec xdp
mkdir -p "$bpffs"
mount -t bpf bpf "$bpffs"   # `ip netns exec` remounts /sys: the daemons pin here
mounted=1
# The client namespace has no default route and reaches the server over the
# veth: checked before any traffic (client_bench checks it too).
[ -z "$(ip -n "$client_ns" route show default)" ] || die "$client_ns has a default route; refusing to send load"
route=$(ip -n "$client_ns" route get "$server_ip")
[[ $route == *"dev $client_if "* ]] || die "route to $server_ip in $client_ns is not over $client_if: $route"

# --- servers ---------------------------------------------------------------------------
memcached_port=11311
daemon_port=11211
no_budget=(--udp-reply-rate 64g --udp-reply-burst 1g)   # the bench measures the datapath, not the budget
start_server() {   # name, address to wait for, port, then the command
  local name=$1 address=$2 port=$3 pid
  shift 3
  taskset -c "$server_cpu" ip netns exec "$server_ns" "$@" >"$work/$name.log" 2>&1 </dev/null &
  pid=$!
  pid_of[$name]=$pid
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.log" >&2; die "$name exited at start-up (its log is above)"; }
    if grep -q serving "$work/$name.log" 2>/dev/null || [ "$name" = memcached ]; then
      if ip netns exec "$server_ns" bash -c "exec 3<>/dev/tcp/$address/$port" 2>/dev/null; then
        say "  $name: pid $pid on $address:$port, CPU $server_cpu"
        return
      fi
    fi
    sleep 0.1
  done
  cat "$work/$name.log" >&2
  die "$name did not start within 15 s (its log is above)"
}
stop_server() {
  stop_pid "${pid_of[$1]}"
  unset "pid_of[$1]"
}
start_daemon() {   # name, address, then its flags
  local name=$1 address=$2
  shift 2
  start_server "$name" "$address" "$daemon_port" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$0" "$@"' \
    "$daemon" --port "$daemon_port" --threads 1 --memory-limit 64 --control-socket "$work/$name.sock" \
    --listen "$address" "${no_budget[@]}" "$@"
}
source tools/veth_napi.sh
start_xdp() {   # name, kernel cache on or off, then more flags
  local name=$1 kernel_cache=$2 client_pids server_pids
  shift 2
  start_daemon "$name" "$server_ip" --interface "$server_if" --xdp-mode native --allow 10.204.0.0/24 \
    --pin-path "$bpffs/$name" --kernel-cache "$kernel_cache" "$@"
  if [ "$napi" = threaded ]; then   # the server end has NAPI now that it has the daemon's program
    client_pids=$(thread_napi "$client_ns" "$client_if" "$client_cpu")
    server_pids=$(thread_napi "$server_ns" "$server_if" "$server_cpu")
    say "  $name: client end NAPI thread $client_pids on CPU $client_cpu, server end $server_pids on CPU $server_cpu"
  fi
}
kc_counters() {   # the kernel cache's hits and multi-key fallbacks so far
  ip netns exec "$server_ns" bash -c "exec 3<>/dev/tcp/$server_ip/$daemon_port; printf 'stats\r\nquit\r\n' >&3; cat <&3" |
    tr -d '\r' | awk '$2 == "kernel_cache_hits" || $2 == "kernel_cache_fallback_not_plain_get" { printf "%s %s ", $2, $3 }'
}

say "starting memcached (TCP reference, on lo and the veth) on CPU $server_cpu"
start_server memcached "$server_ip" "$memcached_port" memcached -U "$memcached_port" -p "$memcached_port" \
  -l "127.0.0.1,$server_ip" -t 1 -m 64 -u root

# --- load ------------------------------------------------------------------------------
results=$work/results.tsv
run_bench() {   # case, keys, round, namespace, UDP target, TCP target (either may be ""), UDP keys per request
  local name=$1 keys=$2 round=$3 ns=$4 output status=0 targets=()
  [ -z "$5" ] || targets+=(--udp "$5")
  [ -z "$6" ] || targets+=(--tcp "$6")
  output=$(timeout $((2 * seconds * ${#depths[@]} * ${#modes[@]} + 60)) taskset -c "$client_cpu" ip netns exec "$ns" "$client_bench" \
    "${targets[@]}" --keys-per-get "$keys" --in-flight "$in_flight" --values "$value_modes" --seconds "$seconds" \
    --value-size "$value_size" --udp-keys-per-request "$7" 2>&1) || status=$?
  ((status == 0)) || die "client_bench ($name, $keys keys) failed with status $status: $output"
  awk -v c="$name" -v k="$keys" -v r="$round" '($1 == "UDP" || $1 == "TCP") && $4 == "in" {
    for (i = 1; i <= NF; ++i) { if ($i == "keys/s") rate = $(i - 1); if ($i == "p50") p50 = $(i + 1); if ($i == "p99") p99 = $(i + 1); if ($i == "hits") hits = $(i + 1)
      if ($i == "user") user = $(i + 1); if ($i == "kernel") kernel = $(i + 1) }
    print c "\t" k "\t" r "\t" $1 "\t" $2 "\t" $3 "\t" rate "\t" p50 "\t" p99 "\t" hits "\t" user "\t" kernel }' <<<"$output" >>"$results"
  say "  round $round $name, $keys keys: $(grep -E '^(UDP|TCP)' <<<"$output" | tr -s ' ' | cut -d' ' -f1-6,13-14 | paste -sd ';')"
}
coalesce=(--udp-coalesce-replies on)
start_case() {
  case $1 in
    socket) start_daemon socket 127.0.0.1 --backend socket ;;
    socket-coalesced) start_daemon socket-coalesced 127.0.0.1 --backend socket "${coalesce[@]}" ;;
    socket-busy) start_daemon socket-busy 127.0.0.1 --backend socket "${coalesce[@]}" --busy-poll ;;
    xdp) start_xdp xdp off ;;
    xdp-coalesced) start_xdp xdp-coalesced off "${coalesce[@]}" ;;
    xdp-busy) start_xdp xdp-busy off "${coalesce[@]}" --busy-poll ;;
    xdp-kc) start_xdp xdp-kc on ;;
  esac
}
run_busy() {   # case, keys, round, namespace, UDP target, TCP target: the TCP phase without the daemon
  run_bench "$1" "$2" "$3" "$4" "$5" "" 0
  stop_server "$1"
  run_bench "$1" "$2" "$3" "$4" "" "$6" 0
  start_case "$1"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average before: $load_before"
for name in "${case_names[@]}"; do
  start_case "$name"
  for ((round = 1; round <= rounds; ++round)); do
    for keys in "${key_counts[@]}"; do
      case $name in
        socket-busy) run_busy "$name" "$keys" "$round" "$server_ns" "127.0.0.1:$daemon_port" "127.0.0.1:$memcached_port" ;;
        socket*) run_bench "$name" "$keys" "$round" "$server_ns" "127.0.0.1:$daemon_port" "127.0.0.1:$memcached_port" 0 ;;
        xdp-busy) run_busy "$name" "$keys" "$round" "$client_ns" "$server_ip:$daemon_port" "$server_ip:$memcached_port" ;;
        xdp|xdp-coalesced)
          run_bench "$name" "$keys" "$round" "$client_ns" "$server_ip:$daemon_port" "$server_ip:$memcached_port" 0 ;;
        xdp-kc)
          run_bench xdp-kc "$keys" "$round" "$client_ns" "$server_ip:$daemon_port" "$server_ip:$memcached_port" 0
          say "  xdp-kc: $(kc_counters)so far (the kernel cache answers single-key gets only)"
          run_bench xdp-kc-1 "$keys" "$round" "$client_ns" "$server_ip:$daemon_port" "$server_ip:$memcached_port" 1
          say "  xdp-kc-1: $(kc_counters)so far" ;;
      esac
    done
  done
  stop_server "$name"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average after: $load_after"

# --- the table -------------------------------------------------------------------------
python3 - "$results" "$rounds" "$value_size" "$seconds" "$load_before" "$load_after" "$napi" <<'EOF'
import statistics
import sys

path, rounds, value_size, seconds, before, after, napi = sys.argv[1:]
# (case, keys, values) -> proto -> depth -> [(rate, p50, p99, user, kernel) per round]
rows = {}
for line in open(path):
    case, keys, _, proto, values, depth, rate, p50, p99, _, user, kernel = line.split("\t")
    rows.setdefault((case, int(keys), values), {}).setdefault(proto, {}).setdefault(int(depth), []).append(
        (float(rate), float(p50), float(p99), float(user), float(kernel)))
paths = {"socket": "socket backend, lo", "xdp": "AF_XDP, veth",
         "socket-coalesced": "socket backend, lo, coalesced", "xdp-coalesced": "AF_XDP, veth, coalesced",
         "socket-busy": "socket backend, lo, coalesced, --busy-poll", "xdp-busy": "AF_XDP, veth, coalesced, --busy-poll",
         "xdp-kc": "AF_XDP + kernel cache, veth",
         "xdp-kc-1": "AF_XDP + kernel cache, veth, 1 key per UDP request"}


def medians(by_depth):
    return {depth: [statistics.median(run[i] for run in runs) for i in range(5)] for depth, runs in by_depth.items()}


print(f"\nmedians of {rounds} rounds, veth NAPI {napi}, {value_size}-byte values, {seconds} s per phase and depth; "
      f"load average {before} before, {after} after")
print("\nAt equal p99: TCP is memcached's best key rate over the depths, UDP the best UDP key rate whose p99 is no "
      "higher than that TCP p99.\n")
print("| UDP server (path) | keys/get | values | UDP keys/s (in flight) | UDP p50 / p99 µs "
      "| TCP memcached keys/s (in flight) | TCP p50 / p99 µs | UDP/TCP keys/s | client ns/key UDP, TCP (user + kernel) |")
print("|---|---|---|---|---|---|---|---|---|")
for (case, keys, values), by_proto in rows.items():
    udp, tcp = medians(by_proto["UDP"]), medians(by_proto["TCP"])
    tcp_depth = max(tcp, key=lambda depth: tcp[depth][0])
    t = tcp[tcp_depth]
    tcp_cells = f"{t[0]:,.0f} ({tcp_depth}) | {t[1]:,.0f} / {t[2]:,.0f}"
    within = [depth for depth in udp if udp[depth][2] <= t[2]]
    if not within:
        print(f"| {paths[case]} | {keys} | {values} | none with p99 ≤ {t[2]:,.0f} | | {tcp_cells} | – | |")
        continue
    udp_depth = max(within, key=lambda depth: udp[depth][0])
    u = udp[udp_depth]
    print(f"| {paths[case]} | {keys} | {values} | {u[0]:,.0f} ({udp_depth}) | {u[1]:,.0f} / {u[2]:,.0f} | {tcp_cells} "
          f"| {u[0] / t[0]:.2f} | {u[3]:,.0f} + {u[4]:,.0f}, {t[3]:,.0f} + {t[4]:,.0f} |")

print("\nEvery depth: key rate and p99 (µs).\n")
print("| UDP server (path) | keys/get | values | in flight | UDP keys/s | UDP p99 | TCP keys/s | TCP p99 | UDP/TCP keys/s |")
print("|---|---|---|---|---|---|---|---|---|")
for (case, keys, values), by_proto in rows.items():
    udp, tcp = medians(by_proto["UDP"]), medians(by_proto["TCP"])
    for depth in sorted(udp):
        u, t = udp[depth], tcp[depth]
        print(f"| {paths[case]} | {keys} | {values} | {depth} | {u[0]:,.0f} | {u[2]:,.0f} | {t[0]:,.0f} | {t[2]:,.0f} "
              f"| {u[0] / t[0]:.2f} |")
EOF
say "done"
