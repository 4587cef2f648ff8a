#!/usr/bin/env bash
# The whole test suite, as `make test` runs it: unit tests (cmocka, also
# under valgrind), the OpenAPI description's validation, then the
# integration tests against real redis-server, vastmock and adstats
# processes, the reliability suites (Redis faults,
# the hostile request corpus, slow and greedy clients, hostile upstream
# XML, graceful shutdown), VAST tracker injection over the sample tags
# (tests/vast.sh), then the Postman collection with newman against
# a live stack, the dashboard in headless Chromium (tests/browser.sh),
# the cluster test (nginx, two adstats nodes, twemproxy, three
# Redis shards: deploy/local-cluster.sh test, about 40 s), the Redis
# Cluster suite (three masters, three replicas: deploy/redis-cluster.sh
# test), a short fuzzing
# pass (FUZZ_SECONDS per target, default 15: eleven targets must fit the
# 20-minute budget of `make test`; `make fuzz` alone defaults to 60),
# and finally all of it again against the AddressSanitizer + UBSan build
# (`make test-asan`). Binaries come from $ADSTATS_BIN (default bin/); with
# the sanitizer build (as `make test-asan` runs it) valgrind, fuzzing and
# the nested sanitizer run are left out. Prints one closing line: N passed,
# N failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export ADSTATS_BIN=${ADSTATS_BIN:-bin}
# The Python suites import the test harness package tests/harness.
export PYTHONPATH=$PWD/tests${PYTHONPATH:+:$PYTHONPATH}
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

release=0
[ "$build" = build/release ] && release=1

suite unit tests/run-unit.sh "$build"/tests/test_*
suite layering tools/include-graph.py
[ $release -eq 0 ] || suite valgrind tests/run-valgrind.sh "$build"/tests/test_*
suite openapi tests/openapi.sh
suite integration python3 tests/integration/run.py
suite faults python3 tests/reliability/test_faults.py
suite hostile python3 tests/reliability/test_hostile.py
suite clients python3 tests/reliability/test_clients.py
suite upstream-xml python3 tests/reliability/test_upstream_xml.py
suite vast-inject tests/vast.sh
suite shutdown python3 tests/reliability/test_shutdown.py
suite browser tests/browser.sh
[ $postman -eq 0 ] || suite postman tests/postman.sh
suite cluster deploy/local-cluster.sh test
suite redis-cluster deploy/redis-cluster.sh test
[ $release -eq 0 ] || suite fuzz make --no-print-directory fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-15}"
[ $release -eq 0 ] || suite sanitizers make --no-print-directory test-asan

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
