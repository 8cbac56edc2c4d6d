#!/usr/bin/env bash
# Long fuzzing runs: tools/fuzz.sh TARGET SECONDS [libFuzzer flags...]
# TARGET is one of tests/fuzz's programs (tcp_stream_fuzz, udp_datagram_fuzz,
# packet_headers_fuzz, client_reply_fuzz, udp_reader_fuzz, tcp_connection_fuzz,
# cidr_fuzz).
# Builds the clang fuzz tree (build-fuzz), then fuzzes at nice 19 with a
# corpus that grows across runs in
# ${UNBUCKLE_FUZZ_CORPUS:-$HOME/.cache/unbuckle-fuzz}/TARGET (seeded from
# tests/fuzz/corpus/TARGET); findings are written there as crash-*,
# timeout-*, slow-unit-* or oom-* files. A 2 s timeout (an input takes a
# few ms; a nice-19 process on a busy machine was once starved past 1 s) and
# inputs up to 4 KB make slow inputs findings; later flags override these.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: tools/fuzz.sh TARGET SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
target=$1 seconds=$2
shift 2
if [ ! -d "tests/fuzz/corpus/$target" ]; then
  echo "tools/fuzz.sh: no target $target (see tests/fuzz/corpus/)" >&2
  exit 2
fi
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD"
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build-fuzz -DUNBUCKLE_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "$target"
corpus=${UNBUCKLE_FUZZ_CORPUS:-$HOME/.cache/unbuckle-fuzz}/$target
mkdir -p "$corpus"
exec nice -n 19 "build-fuzz/bin/$target" -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 \
  -max_len=4096 -print_final_stats=1 -artifact_prefix="$corpus/" "$@" "$corpus" "tests/fuzz/corpus/$target"
