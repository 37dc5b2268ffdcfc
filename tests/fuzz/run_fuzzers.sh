#!/bin/sh
# Builds the libFuzzer targets with clang in BUILD_DIR and runs each for SECONDS (default 30) on a
# copy of its seed corpus; fails on the first crash, leak, sanitizer report or invariant abort.
# A summary (executions per target) is written to BUILD_DIR/fuzz-summary.txt.
#   tests/fuzz/run_fuzzers.sh build/fuzz 30            all targets
#   tests/fuzz/run_fuzzers.sh build/fuzz 3600 fuzz_token   one target, an hour
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_fuzzers.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-30}
shift; [ $# -gt 0 ] && shift
targets=${*:-"fuzz_smtp_reply fuzz_email_address fuzz_mime_header fuzz_token fuzz_bounce_parser"}
: "${CXX:=clang++}"
export CXX

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j2 >"$build.build.log" 2>&1 || { tail -50 "$build.build.log"; exit 1; }

summary="$build/fuzz-summary.txt"
: >"$summary"
status=0
for t in $targets; do
  seeds="$here/corpus/${t#fuzz_}"
  work="$build/corpus-${t#fuzz_}"
  mkdir -p "$work" "$build/artifacts"
  log="$build/$t.log"
  echo "== $t: ${seconds}s, seeds $seeds"
  # New inputs go to $work, never into the source tree; crashes to artifacts/.
  if "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "$t: ${execs:-?} executions in ${seconds}s, $cov, corpus $(ls "$work" | wc -l) files" | tee -a "$summary"
  else
    status=1
    echo "$t: FAILED (see $log)" | tee -a "$summary"
    grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written|runtime error' "$log" | head -20
  fi
done
exit $status
