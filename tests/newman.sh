#!/usr/bin/env bash
# Run the adstats Postman collection with newman against a running server.
#   usage: tests/newman.sh BASE_URL        e.g. tests/newman.sh http://127.0.0.1:5000
# newman is the version locked in tests/newman/package-lock.json, installed
# into tests/newman/node_modules by tools/npm.sh (not tracked by git).
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 BASE_URL   (e.g. $0 http://127.0.0.1:5000)" >&2
  exit 2
fi
BASE_URL="${1%/}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COLLECTION="$ROOT/postman/adstats.postman_collection.json"
ENVIRONMENT="$ROOT/postman/adstats.postman_environment.json"
. "$ROOT/tools/npm.sh"
npm_install "$ROOT/tests/newman"

# Per-request timeout 10 s, whole run 5 min: a hung server fails the run
# instead of blocking it.
set +e
"$ROOT/tests/newman/node_modules/.bin/newman" run "$COLLECTION" \
  --environment "$ENVIRONMENT" \
  --env-var "baseUrl=$BASE_URL" \
  --reporters cli \
  --timeout-request 10000 \
  --timeout 300000
status=$?
set -e
exit "$status"
