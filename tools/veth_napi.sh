# Sourced by tools/bench.sh and tools/client-bench.sh: moving a veth end's
# receive work into a NAPI thread pinned to a CPU. By default a veth end's
# receive work (its XDP program included) runs in the sender's softirq, on
# the sender's core; in a thread pinned to its own side's core it runs
# where a NIC's receive work would, and counts in that side's CPU. A veth
# end has NAPI only while it has an XDP program. The caller defines die().

napi_threads() {   # PIDs of the NAPI threads of interface $1
  local comm pid
  for pid in $(pgrep -P 2 2>/dev/null || true); do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    [[ $comm == "napi/$1" || $comm == "napi/$1-"* ]] && echo "$pid"
  done
}

thread_napi() {   # namespace, interface, CPU: prints the PID of its NAPI thread
  local pid pids
  ip netns exec "$1" sh -c "echo 1 > /sys/class/net/$2/threaded" ||
    die "cannot switch $2 to threaded NAPI (/sys/class/net/$2/threaded)"
  pids=$(napi_threads "$2")
  [ -n "$pids" ] || die "no NAPI thread for $2 after enabling threaded NAPI"
  for pid in $pids; do taskset -pc "$3" "$pid" >/dev/null; done
  echo "$pids"
}
