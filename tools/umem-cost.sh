#!/usr/bin/env bash
# What the AF_XDP umems cost the host: for each queue count, unbuckle-xdp
# starts on a veth with that many RX queues, in a network namespace made (and
# deleted) by this script, and the script prints how long start-up took, the
# daemon's resident memory (and how much of it is in transparent huge
# pages), and how much kernel memory (VmallocUsed + SUnreclaim of
# /proc/meminfo: the pools' bookkeeping is vmalloc'd when large, kmalloc'd
# when not, and the rings are vmalloc'd) the umem registrations and the
# per-queue AF_XDP sockets took. The kernel cache is off (its map is
# vmalloc'd too, and the same with or without AF_XDP). No traffic is sent.
# Run it with the --build-dir of an older build to compare (before this
# tree, the item arena was in every interface's umem).
#
#   tools/umem-cost.sh [--memory-limit MB] [--queues LIST] [--build-dir DIR]
#
# --memory-limit MB   the daemon's --memory-limit (default 2048)
# --queues LIST       comma-separated RX queue counts, 1..64 (default 1,4,16)
# --build-dir DIR     CMake build tree holding bin/unbuckle-xdp (default build/)
#
# Needs root. Other processes allocating kernel memory meanwhile blur the
# figure: run it on a quiet machine. Stops only the daemons it started.
set -euo pipefail
cd "$(dirname "$0")/.."

memory_limit=2048
queue_counts=1,4,16
build_dir=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --memory-limit) memory_limit="$2"; shift 2 ;;
    --queues) queue_counts="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "umem-cost.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
daemon="$build_dir/bin/unbuckle-xdp"
[[ $EUID -eq 0 ]] || { echo "umem-cost.sh: needs root (namespaces, XDP, AF_XDP)" >&2; exit 2; }
[[ -x "$daemon" ]] || { echo "umem-cost.sh: no $daemon: build first (tools/check.sh) or pass --build-dir" >&2; exit 2; }

ns="umemcost$$"
pid=""
log="$(mktemp)"
cleanup() {
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  ip netns del "$ns" 2>/dev/null || true
  rm -f "$log" "$log.sock"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"

kernel_kib() { awk '/^(VmallocUsed|SUnreclaim):/ {sum += $2} END {print sum}' /proc/meminfo; }

printf '%-7s %9s %11s %16s %13s %15s\n' queues "start s" "VmRSS MiB" "huge pages MiB" "kernel +MiB" "per queue KiB"
IFS=, read -ra counts <<< "$queue_counts"
for q in "${counts[@]}"; do
  ip link add ucsrv numrxqueues "$q" numtxqueues "$q" netns "$ns" type veth \
    peer name uccli numrxqueues "$q" numtxqueues "$q" netns "$ns"
  ip -n "$ns" link set ucsrv up
  ip -n "$ns" link set uccli up
  before=$(kernel_kib)
  start=$(date +%s.%N)
  ip netns exec "$ns" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$0" "$@"' "$daemon" \
    --interface ucsrv --xdp-mode native --port 11211 --tcp-port 0 --memory-limit "$memory_limit" --kernel-cache off \
    --pin-path /sys/fs/bpf/umem-cost --control-socket "$log.sock" > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do   # 60 s at most
    grep -q serving "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q serving "$log"; then
    echo "umem-cost.sh: unbuckle-xdp did not start with $q queues:" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  seconds=$(awk -v from="$start" -v to="$(date +%s.%N)" 'BEGIN { print to - from }')
  rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  huge_kib=$(awk '/^AnonHugePages:/ {print $2}' "/proc/$pid/smaps_rollup")
  kernel=$(( $(kernel_kib) - before ))
  printf '%-7s %9.1f %11d %16d %13.1f %15d\n' "$q" "$seconds" $((rss_kib / 1024)) $((huge_kib / 1024)) \
    "$(awk -v k="$kernel" 'BEGIN { print k / 1024 }')" $((kernel / q))
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  ip -n "$ns" link del ucsrv
done
