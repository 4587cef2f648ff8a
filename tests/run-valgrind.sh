#!/usr/bin/env bash
# Runs each cmocka unit test binary given as an argument under valgrind's
# memcheck: any invalid access, use of uninitialised memory or leak (of
# memory the test lost: definite or indirect) fails it. Prints a summary
# line and fails if any program failed.
set -u
passed=0 failed=0
logdir=$(mktemp -d "${TMPDIR:-/tmp}/adstats-valgrind.XXXXXX")
trap 'rm -rf "$logdir"' EXIT
for t in "$@"; do
  log=$logdir/$(basename "$t").log
  if valgrind --quiet --error-exitcode=99 --leak-check=full \
       --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
       --track-origins=yes --log-file="$log" "$t" >/dev/null 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "valgrind: FAILED $t"
    cat "$log"
  fi
done
echo "valgrind unit test programs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
