#!/usr/bin/env bash
# VAST tracker injection against every sample tag (tests/vast/check.py):
# schema-valid where the original was (xmllint, Debian libxml2-utils), every
# injected tracker found by a real player library (@dailymotion/vast-client,
# pinned in tests/vast/package.json and its lock file, installed by
# tools/npm.sh), and every other byte unchanged. The driver,
# build/<mode>/tests/vast-inject, comes from `make test` (or is built here).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${VAST_BUILD:-build/release}
[ "${ADSTATS_BIN:-bin}" = bin ] || build=build/asan
mode=release
[ "$build" = build/asan ] && mode=asan
[ -x "$build/tests/vast-inject" ] || make --no-print-directory MODE=$mode "$build/tests/vast-inject" >&2
. tools/npm.sh
npm_install tests/vast
exec python3 tests/vast/check.py "$build/tests/vast-inject"
