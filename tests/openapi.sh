#!/usr/bin/env bash
# Validates openapi.yaml (tests/openapi/check.js: the OpenAPI 3.1 schema,
# and every example against its schema).
#   usage: tests/openapi.sh [--json OUT]   (--json: also write the document
#                                           with $refs resolved, as JSON)
# The validator's npm packages (tests/openapi/package.json, versions locked
# in package-lock.json) are installed with `npm ci` into tests/.node/openapi
# -- no global install; that directory is a cache, not tracked by git.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/tests/.node/openapi"
LOCK="$ROOT/tests/openapi/package-lock.json"

if ! cmp -s "$LOCK" "$NODE_DIR/package-lock.json" || [ ! -d "$NODE_DIR/node_modules" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "openapi.sh: npm not found; run tools/deps.sh test" >&2
    exit 1
  fi
  echo "openapi.sh: installing the validator into $NODE_DIR" >&2
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  cp "$ROOT/tests/openapi/package.json" "$LOCK" "$NODE_DIR/"
  npm ci --no-audit --no-fund --silent --prefix "$NODE_DIR" >&2
fi
NODE_PATH="$NODE_DIR/node_modules" node "$ROOT/tests/openapi/check.js" "$ROOT/openapi.yaml" "$@"
