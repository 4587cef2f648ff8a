#!/usr/bin/env bash
# Run the adstats Postman collection with newman against a running server.
#   usage: tests/newman.sh BASE_URL        e.g. tests/newman.sh http://127.0.0.1:5000
# newman is installed locally into tests/.node (no global install); that
# directory is a cache and is not tracked by git.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 BASE_URL   (e.g. $0 http://127.0.0.1:5000)" >&2
  exit 2
fi
BASE_URL="${1%/}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/tests/.node"
NEWMAN="$NODE_DIR/node_modules/.bin/newman"
COLLECTION="$ROOT/postman/adstats.postman_collection.json"
ENVIRONMENT="$ROOT/postman/adstats.postman_environment.json"

if [ ! -x "$NEWMAN" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "newman.sh: npm not found, installing nodejs and npm with apt-get" >&2
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y nodejs npm
  fi
  echo "newman.sh: installing newman@6 into $NODE_DIR" >&2
  mkdir -p "$NODE_DIR"
  npm install --no-audit --no-fund --prefix "$NODE_DIR" newman@6
fi

# Per-request timeout 10 s, whole run 5 min: a hung server fails the run
# instead of blocking it.
set +e
"$NEWMAN" run "$COLLECTION" \
  --environment "$ENVIRONMENT" \
  --env-var "baseUrl=$BASE_URL" \
  --reporters cli \
  --timeout-request 10000 \
  --timeout 300000
status=$?
set -e
exit "$status"
