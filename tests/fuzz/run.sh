#!/usr/bin/env bash
# Runs each libFuzzer target for N seconds (default 60; `make fuzz
# FUZZ_SECONDS=N`), starting from its seed corpus in tests/fuzz/corpus/<t>/
# (which also holds every input that ever crashed a target, kept as a
# regression: they run first, every time). New inputs go to a scratch
# directory, not into the repository; a crashing input is saved under
# build/fuzz/artifacts/ and its name printed: copy it into the target's
# corpus directory once fixed. libFuzzer's chatter goes to
# build/fuzz/<target>.log; the last lines are shown on failure.
# Usage: tests/fuzz/run.sh SECONDS TARGET...
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}; shift
scratch=$(mktemp -d "${TMPDIR:-/tmp}/adstats-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p build/fuzz/artifacts

passed=0 failed=0
for target in "$@"; do
  dict=()
  [ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")
  mkdir -p "$scratch/$target"
  log=build/fuzz/$target.log
  if build/fuzz/fuzz_"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 "${dict[@]}" \
       -artifact_prefix="build/fuzz/artifacts/$target-" \
       "$scratch/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz $target: ok, ${runs:-?} inputs in ${seconds}s"
    passed=$((passed + 1))
  else
    echo "fuzz $target: FAILED (log: $log)"
    tail -n 40 "$log"
    ls build/fuzz/artifacts/"$target"-* 2>/dev/null
    failed=$((failed + 1))
  fi
done
echo "fuzz targets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
