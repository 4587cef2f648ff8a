#!/usr/bin/env bash
# The dashboard's end-to-end tests in headless Chromium (Debian package
# chromium), driven by playwright-core from npm: an exact version, named in
# tests/browser/package.json and locked in its package-lock.json, with no
# dependencies of its own, installed by tools/npm.sh into
# tests/browser/node_modules (not tracked by git). It downloads no browser.
#   tests/browser.sh           the tests (part of `make test`)
#   tests/browser.sh --demo    demo data and the screenshots in docs/
# Screenshots of each run go to tests/artifacts/ (not tracked either).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
  echo "browser.sh: /usr/bin/chromium not found (tools/deps.sh test installs it)" >&2
  exit 1
fi
. tools/npm.sh
npm_install tests/browser
npm_install tests/vast  # @dailymotion/vast-client, for the tracking player's page
# run.py imports the test harness package tests/harness.
export PYTHONPATH=$PWD/tests${PYTHONPATH:+:$PYTHONPATH}
exec python3 tests/browser/run.py "$@"
