#!/usr/bin/env bash
# unbuckle-xdp's AF_XDP datapath and its kernel cache against memcached and
# against their ceilings, in two network namespaces made (and deleted) by this script: a server and a
# client namespace joined by one veth pair per server, so that no two servers
# share an XDP program, a NAPI thread or a CPU account.
#
#   memcached   memcached -U, one worker thread (-t 1), kernel UDP
#   socket      unbuckle-xdp --backend socket --threads 1
#   xdp         unbuckle-xdp --interface IF --kernel-cache off: XDP
#               steering, one AF_XDP worker
#   ceiling     the same AF_XDP datapath with --debug-fixed-reply: every
#               request gets one fixed GET hit of the value size, without
#               parsing or store (mcbench sees wrong keys; not counted)
#   xdp-busy    xdp with --busy-poll (phase 2)
#   xdp-busy-skb  the same with --xdp-mode skb (phase 2): on a veth, generic
#               XDP answered a little sooner than native at window 1
#   kc          unbuckle-xdp --interface IF --kernel-cache on (phase 3): GET
#               hits answered by the XDP program from the kernel cache
#   echo        tools/xdp_tx_echo (phase 3), no daemon: XDP answers every
#               GET with one fixed hit of the kernel cache's reply size for
#               the phase's keys and values (grown frame, checksums, XDP_TX),
#               the kernel cache's ceiling (mcbench sees wrong keys; not
#               counted)
#
# Load: mcbench in the client namespace, GETs only, over UDP (100,000 20-byte
# keys preloaded over TCP, so every GET hits), one client thread, at window 64
# (throughput) and window 1 (the latency floor) for each value size.
# Phase 1: memcached, socket, xdp and ceiling in one `mcbench --compare` per
# case, in 4 alternating rounds against the noise of a shared machine.
# Phase 2, window 1 only: memcached, xdp-busy and xdp-busy-skb the same way,
# each server stopped (mcbench --pause-idle) while another is measured, since
# a busy-polling worker spins on the server core.
# Phase 3, the kernel cache: memcached, xdp, kc and echo in one `mcbench
# --compare` per window (64 and 1), 10,000 hot 20-byte keys (--kc-keys)
# preloaded with 64-byte values (every one mirrored), 4 alternating rounds. XDP_TX on a veth
# needs an XDP program on the receiving end, so kc's and echo's client ends
# keep the pass-through program at window 1 too (a copy per reply that
# memcached's and xdp's replies do not pay there).
# Servers run on the server core, mcbench on the client core (taskset).
# Printed last: one table with ratios to memcached and to the ceiling (phase
# 3: the echo), PASS/MISS for the targets of issues 4 and 10, and with
# --perf where the xdp daemon's time goes.
#
#   tools/bench.sh [--duration S] [--quick] [--value-sizes LIST] [--napi MODE]
#                  [--kc-only] [--kc-keys N] [--perf] [--build-dir DIR] [--server-cpu N]
#                  [--client-cpu N]
#
# --duration S        measured seconds per server and case (default 8: the
#                     whole run takes about 6 minutes)
# --quick             2 s per server and case (about 2 minutes)
# --kc-only           phase 3 alone (about 2 minutes at 8 s)
# --kc-keys N         phase 3's hot keys, 1..65536 (default 10000): in this
#                     VM a hit's cost grows with the slots' memory it touches
# --value-sizes LIST  comma-separated value sizes in bytes (default 64,1000)
# --napi MODE         where each veth end's receive work runs:
#                     threaded (default): a NAPI thread per end, pinned to its
#                       side's core, so each core does its own side's work and
#                       CPU per request = server process + its NAPI thread;
#                       the window-1 cases still run in softirq, since NAPI
#                       threads add two wake-ups to every round trip
#                     softirq: veth's default, in the sender's softirq, so
#                       each core also runs the other side's receive work
# --perf              also record `perf record -e cpu-clock -g` (this VM has
#                     no hardware counters) of the xdp daemon and its NAPI
#                     thread during an extra run at window 64 and the first
#                     value size, and print where each request's time goes
# --build-dir DIR     CMake build tree (default build/; configured as Release
#                     and built when needed)
# --server-cpu N, --client-cpu N   the two cores (default 1 and 0)
#
# Needs root. Installs missing Debian packages (tools/install-deps.sh, and
# linux-perf for --perf). Stops only processes it started; deletes its
# namespaces on every exit path, Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=8
value_sizes=64,1000
perf=0
build_dir=build
server_cpu=1
client_cpu=0
napi=threaded
kc_only=0
kc_keys=10000   # phase 3: every key mirrored in the kernel cache (65,536 slots)
usage() { sed -n '2,70p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
    --quick) duration=2; shift ;;
    --value-sizes) value_sizes=${2:?--value-sizes needs a list}; shift 2 ;;
    --napi) napi=${2:?--napi needs threaded or softirq}; shift 2 ;;
    --perf) perf=1; shift ;;
    --kc-only) kc_only=1; shift ;;
    --kc-keys) kc_keys=${2:?--kc-keys needs a number}; shift 2 ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --server-cpu) server_cpu=${2:?--server-cpu needs a CPU number}; shift 2 ;;
    --client-cpu) client_cpu=${2:?--client-cpu needs a CPU number}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
say() { echo "bench.sh: $*"; }
die() { echo "bench.sh: $*" >&2; exit 1; }

[[ $duration =~ ^[0-9]+([.][0-9]+)?$ ]] && python3 -c "import sys; sys.exit(not 1 <= $duration <= 120)" ||
  die "--duration '$duration' is not a number of seconds in 1..120"
[[ $kc_keys =~ ^[0-9]+$ ]] && ((kc_keys >= 1 && kc_keys <= 65536)) ||
  die "--kc-keys '$kc_keys' is not a number of keys in 1..65536"
[[ $napi == threaded || $napi == softirq ]] || die "--napi '$napi': use threaded or softirq"
[[ $value_sizes =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--value-sizes '$value_sizes' is not a list such as 64,1000"
IFS=, read -r -a values <<<"$value_sizes"
for v in "${values[@]}"; do ((v >= 1 && v <= 2000)) || die "value size $v: use 1..2000 (100,000 values must fit in 256 MB)"; done
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, XDP, AF_XDP); run it with sudo"
cpus=$(nproc)
[[ $server_cpu =~ ^[0-9]+$ && $client_cpu =~ ^[0-9]+$ ]] && ((server_cpu != client_cpu && server_cpu < cpus && client_cpu < cpus)) ||
  die "--server-cpu $server_cpu and --client-cpu $client_cpu must be two different CPUs below $cpus"

# --- packages and build --------------------------------------------------------
say "checking packages (tools/install-deps.sh installs only what is missing)"
bash tools/install-deps.sh
if ((perf)) && ! command -v perf >/dev/null; then
  say "installing linux-perf for --perf"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends linux-perf >/dev/null; } ||
    die "cannot install linux-perf (apt-get install linux-perf), or run without --perf"
fi
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  say "configuring a Release build in $build_dir"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
say "building unbuckle-xdp, mcbench and the client end's XDP pass program in $build_dir"
build_log=$(mktemp /tmp/bench-build.XXXXXX)
if ! cmake --build "$build_dir" -j 2 --target unbuckle-xdp mcbench unbuckle_test_xdp_pass_skel_gen xdp_tx_echo >"$build_log" 2>&1; then
  grep -m 5 -E "error|Error" "$build_log" >&2 || true
  rm -f "$build_log"
  die "building in $build_dir failed (see the errors above; the tree may be mid-change: retry later)"
fi
rm -f "$build_log"
daemon=$(realpath "$build_dir/bin/unbuckle-xdp")
mcbench=$(realpath "$build_dir/bin/mcbench")
xdp_pass=$(realpath "$build_dir/tests/integration/afxdp/xdp_pass.bpf.o")
xdp_tx_echo=$(realpath "$build_dir/tools/xdp_tx_echo/xdp_tx_echo.bpf.o")

# --- clean-up on every exit path -------------------------------------------------
tag=$$
server_ns=ubbs$tag
client_ns=ubbc$tag
work=$(mktemp -d /tmp/bench-afxdp.XXXXXX)
bpffs=$work/bpffs
declare -A pid_of=()     # server name (or perf) -> PID: the only processes this script stops
started_ns=0
mounted=0

stop_pid() {   # SIGTERM, up to 5 s, then SIGKILL
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true   # stopped by an interrupted mcbench --pause-idle
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

# --- namespaces: one veth pair per server -------------------------------------------
# Pair i: server end ub<k><pid> 10.203.i.1, client end uc<k><pid> 10.203.i.2;
# short names, since the NAPI thread is "napi/<ifname>-<id>" in 15 characters.
# Phase 2's servers take over the pairs of phase 1's xdp and ceiling.
declare -A letter=([memcached]=m [socket]=s [xdp]=x [ceiling]=c [kc]=k [echo]=e)
declare -A pair=([memcached]=1 [socket]=2 [xdp]=3 [ceiling]=4 [kc]=5 [echo]=6)
declare -A pair_of=([memcached]=memcached [socket]=socket [xdp]=xdp [ceiling]=ceiling [xdp-busy]=xdp
  [xdp-busy-skb]=ceiling [kc]=kc [echo]=echo)
server_if() { echo "ub${letter[${pair_of[$1]}]}$tag"; }
client_if() { echo "uc${letter[${pair_of[$1]}]}$tag"; }
server_ip() { echo "10.203.${pair[${pair_of[$1]}]}.1"; }

say "creating namespaces $server_ns (server) and $client_ns (client)"
ip netns add "$server_ns"
started_ns=1
ip netns add "$client_ns"
ip -n "$server_ns" link set lo up
ip -n "$client_ns" link set lo up
for name in memcached socket xdp ceiling kc echo; do
  i=${pair[$name]}
  s_if=$(server_if "$name")
  c_if=$(client_if "$name")
  s_mac=02:00:00:cb:0$i:01
  c_mac=02:00:00:cb:0$i:02
  ip link add "$s_if" netns "$server_ns" type veth peer name "$c_if" netns "$client_ns"
  ip -n "$server_ns" link set "$s_if" address "$s_mac"
  ip -n "$client_ns" link set "$c_if" address "$c_mac"
  ip -n "$server_ns" addr add "10.203.$i.1/24" dev "$s_if"
  ip -n "$client_ns" addr add "10.203.$i.2/24" dev "$c_if"
  ip -n "$server_ns" link set "$s_if" up
  ip -n "$client_ns" link set "$c_if" up
  ip -n "$server_ns" neigh add "10.203.$i.2" lladdr "$c_mac" dev "$s_if" nud permanent
  ip -n "$client_ns" neigh add "10.203.$i.1" lladdr "$s_mac" dev "$c_if" nud permanent
done
mkdir -p "$bpffs"
# `ip netns exec` remounts /sys: the daemons pin into a bpffs of our own.
mount -t bpf bpf "$bpffs"
mounted=1

# The client namespace has no default route and reaches every server over
# its own veth: checked before any traffic (mcbench checks it too).
check_routes() {
  local name route
  [ -z "$(ip -n "$client_ns" route show default)" ] || die "$client_ns has a default route; refusing to send load"
  for name in memcached socket xdp ceiling kc echo; do
    route=$(ip -n "$client_ns" route get "$(server_ip "$name")")
    [[ $route == *"dev $(client_if "$name") "* ]] ||
      die "route to $(server_ip "$name") in $client_ns is not over $(client_if "$name"): $route"
  done
}

# Where each veth end's receive work runs (--napi, tools/veth_napi.sh).
# threaded: in a NAPI thread of its own, pinned to its side's core, so that
# each core does its own side's work and a server's CPU is its process plus
# that thread. softirq: veth's default, on the sender's core. Placed again
# after every daemon start (a veth end has NAPI only with an XDP program).
source tools/veth_napi.sh
declare -A napi_pid=()   # server name -> PID of its server end's NAPI thread
place_napi() {   # the names of the servers whose pairs to set up
  local name client_pids
  for name in "$@"; do
    napi_pid[$name]=
    if [ "$napi" = softirq ]; then
      say "  $name: NAPI in softirq on both veth ends (veth's default)"
      continue
    fi
    client_pids=$(thread_napi "$client_ns" "$(client_if "$name")" "$client_cpu")
    napi_pid[$name]=$(thread_napi "$server_ns" "$(server_if "$name")" "$server_cpu")
    say "  $name: client end NAPI thread $client_pids on CPU $client_cpu, server end NAPI thread ${napi_pid[$name]} on CPU $server_cpu"
  done
}

# Window 64 (throughput): a veth end receives through NAPI, which can run
# in a thread, only with an XDP program: the client ends and the
# kernel-socket servers' ends get one that passes every frame, so that every
# server receives the same way.
throughput_ends() {   # the names of the servers whose pairs to set up
  local name
  for name in "$@"; do
    ip -n "$client_ns" link set dev "$(client_if "$name")" xdpdrv obj "$xdp_pass" sec xdp ||
      die "cannot attach $xdp_pass to $(client_if "$name")"
    if [ "$name" = memcached ] || [ "$name" = socket ]; then
      ip -n "$server_ns" link set dev "$(server_if "$name")" xdpdrv obj "$xdp_pass" sec xdp ||
        die "cannot attach $xdp_pass to $(server_if "$name")"
    fi
  done
  place_napi "$@"
}

# Window 1 (the latency floor): every end as in production, with no XDP
# program but unbuckle's own, NAPI in softirq, and a spinning client
# (mcbench --spin): a NAPI thread adds a wake-up on each side to every round
# trip, a sleeping client one more, and a pass-through program a copy of
# each frame on veth, the same for every server, which would hide what the
# servers themselves take.
latency_ends() {   # the names of the servers whose pairs to set up
  local name
  for name in "$@"; do
    napi_pid[$name]=
    if [ "$name" != kc ] && [ "$name" != echo ]; then   # XDP_TX needs it on the receiving end
      ip -n "$client_ns" link set dev "$(client_if "$name")" xdpdrv off ||
        die "cannot detach the pass-through program from $(client_if "$name")"
    fi
    if [ "$name" = memcached ] || [ "$name" = socket ]; then
      ip -n "$server_ns" link set dev "$(server_if "$name")" xdpdrv off ||
        die "cannot detach the pass-through program from $(server_if "$name")"
    elif [[ $name != *-skb ]]; then   # unbuckle's own program stays, its NAPI may be threaded (generic XDP has none)
      ip netns exec "$server_ns" sh -c "echo 0 > /sys/class/net/$(server_if "$name")/threaded" ||
        die "cannot switch $(server_if "$name") to NAPI in softirq"
    fi
  done
}

# --- servers ------------------------------------------------------------------------
# Every server runs on the server core, in the server namespace, its output
# in $work/<name>.log.
start_server() {   # name, then the command
  local name=$1 pid
  shift
  taskset -c "$server_cpu" ip netns exec "$server_ns" "$@" >"$work/$name.log" 2>&1 </dev/null &
  pid=$!
  pid_of[$name]=$pid
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.log" >&2; die "$name exited at start-up (its log is above)"; }
    if ip netns exec "$server_ns" bash -c "exec 3<>/dev/tcp/$(server_ip "$name")/$port_tcp" 2>/dev/null; then
      say "  $name: pid $pid on $(server_ip "$name"), CPU $server_cpu"
      return
    fi
    sleep 0.1
  done
  cat "$work/$name.log" >&2
  die "$name did not accept TCP within 15 s (its log is above)"
}
port_tcp=11211
memory_mb=256   # 100,000 1000-byte values fit: every GET hits
# mcbench is one source drawing up to 200 MB/s here, under the default reply
# budget (README "Reply budget"), but the bench measures the datapath, not the
# budget: on a faster machine too, so the daemons get one it cannot reach.
no_budget=(--udp-reply-rate 64g --udp-reply-burst 1g)
start_afxdp() {   # name (native XDP, generic for a name ending in -skb), then extra daemon flags
  local name=$1 mode=native
  shift
  [[ $name == *-skb ]] && mode=skb
  # libxdp wants a bpffs at /sys/fs/bpf, which `ip netns exec` left
  # without one: mount it in that mount namespace only.
  start_server "$name" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$0" "$@"' \
    "$daemon" --interface "$(server_if "$name")" --listen "$(server_ip "$name")" --port "$port_tcp" --threads 1 \
    --xdp-mode "$mode" --memory-limit "$memory_mb" --allow 10.203.0.0/16 --pin-path "$bpffs/$name" \
    --control-socket "$work/$name.sock" "${no_budget[@]}" "$@"
}
start_echo() {   # tools/xdp_tx_echo on the echo pair's server end: no process
  ip -n "$server_ns" link set dev "$(server_if echo)" xdpdrv obj "$xdp_tx_echo" sec xdp ||
    die "cannot attach $xdp_tx_echo to $(server_if echo)"
  say "  echo: $(basename "$xdp_tx_echo") on $(server_if echo) ($(server_ip echo)), no process"
}
restart_afxdp() {   # stops the daemon called $1 if it runs, starts $2 with flags
  local old=$1 name=$2
  shift 2
  if [ -n "${pid_of[$old]:-}" ]; then
    stop_pid "${pid_of[$old]}"
    unset "pid_of[$old]"
  fi
  start_afxdp "$name" "$@"
}

say "starting the servers on CPU $server_cpu (mcbench runs on CPU $client_cpu)"
start_server memcached memcached -U "$port_tcp" -p "$port_tcp" -l "$(server_ip memcached)" -t 1 \
  -m "$memory_mb" -u root
if ((kc_only)); then
  start_afxdp xdp --kernel-cache off
else
  start_server socket "$daemon" --backend socket --listen "$(server_ip socket)" --port "$port_tcp" \
    --threads 1 --memory-limit "$memory_mb" --control-socket "$work/socket.sock" "${no_budget[@]}"
  start_afxdp xdp --kernel-cache off
  start_afxdp ceiling --kernel-cache off --debug-fixed-reply "${values[0]}"
  say "placing the veth ends' receive work (--napi $napi)"
  throughput_ends memcached socket xdp ceiling
fi
check_routes

# --- load ------------------------------------------------------------------------------
target() { echo "$1=$(server_ip "${1%-busy}"):$port_tcp"; }
client() {   # mcbench in the client namespace on the client core, bounded
  local status=0
  # --foreground: Ctrl-C reaches mcbench, which stops at once (status 130)
  timeout --foreground "$client_timeout" taskset -c "$client_cpu" ip netns exec "$client_ns" "$mcbench" "$@" ||
    status=$?
  ((status != 130)) || exit 130
  return "$status"
}
napi_seconds() {   # CPU seconds of server $1's NAPI thread so far, "none" without one
  local pid=${napi_pid[$1]:-}
  if [ -z "$pid" ]; then echo none; return; fi
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$pid/stat"
}
measure_flags=()   # phase 2: --pause-idle
workload=(--proto udp --set-proto tcp --get-ratio 1 --keys 100000 --key-size 20 --threads 1 --quiet)
kc_value=64     # the size tools/xdp_tx_echo's reply is built for
client_timeout=$(python3 -c "print(int(5 * $duration + 120))")

preload() {   # value size, then server names
  local value=$1 name args=()
  shift
  for name in "$@"; do args+=(--target "$(target "$name")"); done
  (($# > 1)) && args+=(--compare)
  client "${workload[@]}" "${args[@]}" --value-size "$value" --preload --requests 1 --duration 1 \
    >/dev/null 2>"$work/preload.err" || { cat "$work/preload.err" >&2; die "preloading $* failed"; }
}

# One mcbench run over the named servers, $duration s each in $rounds
# alternating rounds: its JSON goes to $out.json, and the CPU seconds of each
# server's NAPI thread over the run to $out.napi (each server has its own
# veth, and only one has traffic at a time).
measure() {   # output stem, value size, window, rounds, then server names
  local out=$1 value=$2 window=$3 rounds=$4 name args=() before=() i=0
  shift 4
  for name in "$@"; do
    args+=(--target "$(target "$name")")
    # echo has no process: its CPU is its NAPI thread's
    [ -z "${pid_of[$name]:-}" ] || args+=(--server-pid "$name=${pid_of[$name]}")
    before+=("$(napi_seconds "$name")")
  done
  (($# > 1)) && args+=(--compare "${measure_flags[@]}")
  ((window > 1)) || args+=(--spin)   # the latency floor without the client's own wake-ups
  client "${workload[@]}" "${args[@]}" --value-size "$value" --window "$window" --rounds "$rounds" \
    --duration "$(python3 -c "print($duration / $rounds)")" --json >"$out.json" 2>"$out.err" ||
    { cat "$out.err" >&2; die "mcbench failed on $* (value $value B, window $window)"; }
  : >"$out.napi"
  for name in "$@"; do
    if [ "${before[$i]}" = none ]; then
      echo "$name none" >>"$out.napi"
    else
      echo "$name $(python3 -c "print($(napi_seconds "$name") - ${before[$i]})")" >>"$out.napi"
    fi
    i=$((i + 1))
  done
}

# perf on the xdp daemon and its NAPI thread (with --napi threaded) during a
# run of xdp alone at window 64; the call chains show which kernel step a
# sample belongs to (tools/bench_report.py perf sorts them).
profile() {   # value size
  local value=$1 pids=${pid_of[xdp]} whose=xdp
  if [ -n "${napi_pid[xdp]}" ]; then
    pids+=,${napi_pid[xdp]}
    whose="xdp and its NAPI thread"
  fi
  say "perf: cpu-clock of pids $pids ($whose), value $value B, window 64, $duration s"
  timeout "$client_timeout" perf record -q -e cpu-clock -g -o "$work/perf.data" -p "$pids" \
    -- sleep "$(python3 -c "print($duration + 1)")" >"$work/perf.log" 2>&1 &
  pid_of[perf]=$!
  sleep 0.5
  client "${workload[@]}" --target "$(target xdp)" --server-pid "xdp=${pid_of[xdp]}" --value-size "$value" \
    --window 64 --duration "$duration" --json >"$work/perf-run.json" 2>"$work/perf-run.err" ||
    { cat "$work/perf-run.err" >&2; die "mcbench failed during the perf run"; }
  wait "${pid_of[perf]}" || { cat "$work/perf.log" >&2; die "perf record failed (its output is above)"; }
  unset "pid_of[perf]"
}

if ((!kc_only)); then
say "phase 1: memcached, socket, xdp, ceiling in one mcbench --compare per case, 4 alternating rounds, $duration s per server"
first=1
for value in "${values[@]}"; do
  if ((!first)); then
    say "  ceiling: restarting with a $value-byte fixed reply"
    restart_afxdp ceiling ceiling --kernel-cache off --debug-fixed-reply "$value"
    place_napi ceiling
  fi
  say "  preloading 100,000 keys of $value bytes into memcached, socket, xdp"
  preload "$value" memcached socket xdp
  say "  value $value B, window 64"
  measure "$work/v$value-w64-a" "$value" 64 4 memcached socket xdp ceiling
  if ((perf && first)); then profile "$value"; fi
  say "  value $value B, window 1 (no pass-through programs, NAPI in softirq)"
  latency_ends memcached socket xdp ceiling
  measure "$work/v$value-w1-a" "$value" 1 4 memcached socket xdp ceiling
  throughput_ends memcached socket xdp ceiling
  first=0
done

say "phase 2: memcached, xdp-busy, xdp-busy-skb at window 1, each stopped while another is measured, 4 alternating rounds, $duration s per server"
stop_pid "${pid_of[ceiling]}"
unset "pid_of[ceiling]"
restart_afxdp xdp xdp-busy --kernel-cache off --busy-poll
start_afxdp xdp-busy-skb --kernel-cache off --busy-poll
latency_ends memcached xdp-busy xdp-busy-skb
measure_flags=(--pause-idle)
for value in "${values[@]}"; do
  say "  preloading 100,000 keys of $value bytes into memcached, xdp-busy, xdp-busy-skb"
  preload "$value" memcached xdp-busy xdp-busy-skb
  say "  value $value B, window 1"
  measure "$work/v$value-w1-b" "$value" 1 4 memcached xdp-busy xdp-busy-skb
done
measure_flags=()
stop_pid "${pid_of[xdp-busy-skb]}"
unset "pid_of[xdp-busy-skb]"
restart_afxdp xdp-busy xdp --kernel-cache off
fi

say "phase 3: the kernel cache: memcached, xdp, kc, echo in one mcbench --compare per window, $kc_keys hot keys of $kc_value bytes, 4 alternating rounds, $duration s per server"
start_afxdp kc --kernel-cache on
start_echo
throughput_ends memcached xdp kc echo
workload=(--proto udp --set-proto tcp --get-ratio 1 --keys "$kc_keys" --key-size 20 --threads 1 --quiet)
say "  preloading $kc_keys keys of $kc_value bytes into memcached, xdp, kc (kc mirrors each as it is set)"
preload "$kc_value" memcached xdp kc
say "  value $kc_value B, window 64"
measure "$work/v$kc_value-w64-c" "$kc_value" 64 4 memcached xdp kc echo
say "  value $kc_value B, window 1 (NAPI in softirq; kc's and echo's client ends keep the pass-through program)"
latency_ends memcached xdp kc echo
measure "$work/v$kc_value-w1-c" "$kc_value" 1 4 memcached xdp kc echo
say "  kernel cache counters of kc (stats kernel_cache_* and xdp_kc_*):"
timeout 5 ip netns exec "$server_ns" bash -c "exec 3<>/dev/tcp/$(server_ip kc)/$port_tcp; printf 'stats\r\nquit\r\n' >&3; cat <&3" |
  tr -d '\r' | awk '$2 ~ /^(kernel_cache_|xdp_kc_)/ && $3 != 0 { printf "    %s %s\n", $2, $3 }'

# --- report -----------------------------------------------------------------------------
echo
if [ "$napi" = threaded ]; then
  cpu_note="server process + its veth end's NAPI thread; window 1: NAPI in softirq, process only (xdp-busy: spinning included)"
else
  cpu_note="server process only (with --napi softirq, each core also runs the other side's receive work)"
fi
python3 tools/bench_report.py table "$work" "$napi" "$cpu_note" "$kc_keys"
if ((perf)); then
  echo
  perf script -i "$work/perf.data" -F comm,tid,period,ip,sym,dso 2>/dev/null >"$work/perf.txt"
  python3 tools/bench_report.py perf "$work/perf.txt" "$work/perf-run.json"
fi
