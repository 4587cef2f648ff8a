#!/usr/bin/env bash
# The whole test suite, as `make test` runs it: unit tests (cmocka), then
# the integration tests against real redis-server, vastmock and adstats
# processes, the dashboard in headless Chromium (tests/browser.sh), then the
# Postman collection with newman against a live stack.
# Binaries come from $ADSTATS_BIN (default bin/), so the same suite runs
# against the sanitizer build. Prints one closing line: N passed, N failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export ADSTATS_BIN=${ADSTATS_BIN:-bin}
build=build/release
[ "$ADSTATS_BIN" = bin ] || build=build/asan
postman=1
[ "${1:-}" = "--no-postman" ] && postman=0

passed=0 failed=0
suite() { # suite NAME COMMAND...
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok"
  else failed=$((failed + 1)); echo "=== $name: FAILED"; fi
}

suite unit tests/run-unit.sh "$build"/tests/test_*
suite integration python3 tests/integration/run.py
suite browser tests/browser.sh
[ $postman -eq 0 ] || suite postman tests/postman.sh

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
