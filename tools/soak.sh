#!/usr/bin/env bash
# The soak: unbuckle-xdp under a bounded mixed mcbench load (UDP and TCP GETs
# and SETs, values of 100 B to 30 kB, misses, and a client of its own doing
# multi-gets, deletes, incr/decr, append, add and touch with every reply
# checked), with the daemon's RSS, open fds and free umem frames sampled and
# asserted flat. tests/integration/afxdp/soak.py does the work; ctest runs its
# 60-second version (integration_soak), this script the long one.
#
#   tools/soak.sh [SECONDS] [--backend xdp|socket|both] [--rate-scale X]
#                 [--build-dir DIR] [--nice N]
#
# SECONDS           seconds of load per case, 10..3600 (default 600: ten
#                   minutes, plus about 15 s of set-up and preload)
# --backend B       xdp (default): the AF_XDP datapath on a veth in two
#                   namespaces made by the script (names starting with
#                   "soak"), kernel cache on; socket: the socket backend on
#                   127.0.0.1; both: one after the other
# --rate-scale X    multiplies the mcbench loads' requests a second (default
#                   1: about 9,000 a second in all, in bursts; 0.1..20)
# --build-dir DIR   CMake build tree (default build/; configured as Release and
#                   built when needed)
# --nice N          niceness of the whole run (default 10: the machine is
#                   shared)
#
# Prints a progress line every sample and a summary table per case; exits 0
# when every assertion holds, 1 otherwise (soak.py --help lists them). Needs
# root for the xdp case. Stops only processes it started; the namespaces are
# deleted on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=600
backend=xdp
rate_scale=1
build_dir=build
niceness=10
usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "soak.sh: $*" >&2; exit 1; }
while (($#)); do
  case "$1" in
    --backend) backend=${2:?--backend needs xdp, socket or both}; shift 2 ;;
    --rate-scale) rate_scale=${2:?--rate-scale needs a number}; shift 2 ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --nice) niceness=${2:?--nice needs a number}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    [0-9]*) duration=$1; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $duration =~ ^[0-9]+$ ]] && ((duration >= 10 && duration <= 3600)) ||
  die "SECONDS '$duration' is not a number of seconds in 10..3600"
[[ $backend == xdp || $backend == socket || $backend == both ]] || die "--backend '$backend': use xdp, socket or both"
[[ $niceness =~ ^[0-9]+$ ]] && ((niceness <= 19)) || die "--nice '$niceness': use 0..19"
if [[ $backend != socket ]]; then
  [ "$(id -u)" -eq 0 ] || die "the xdp case needs root (network namespaces, XDP, AF_XDP); run it with sudo or use --backend socket"
fi

if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  echo "soak.sh: configuring a Release build in $build_dir"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
echo "soak.sh: building unbuckle-xdp, mcbench and the client end's XDP pass program in $build_dir"
build_log=$(mktemp /tmp/soak-build.XXXXXX)
if ! cmake --build "$build_dir" -j 2 --target unbuckle-xdp mcbench unbuckle_test_xdp_pass_skel_gen >"$build_log" 2>&1; then
  grep -m 5 -E "error|Error" "$build_log" >&2 || true
  rm -f "$build_log"
  die "building in $build_dir failed (see the errors above)"
fi
rm -f "$build_log"

exec nice -n "$niceness" python3 tests/integration/afxdp/soak.py \
  --daemon "$build_dir/bin/unbuckle-xdp" --mcbench "$build_dir/bin/mcbench" \
  --xdp-pass "$build_dir/tests/integration/afxdp/xdp_pass.bpf.o" \
  --backend "$backend" --duration "$duration" --rate-scale "$rate_scale"
