#!/usr/bin/env bash
# Runs each cmocka test binary given as an argument; prints a summary line
# and fails if any test failed.
set -u
passed=0 failed=0
for t in "$@"; do
  if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "unit: FAILED $t"; fi
done
echo "unit test programs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
