#!/usr/bin/env bash
# Validates openapi.yaml (tests/openapi/check.js: the OpenAPI 3.1 schema,
# and every example against its schema).
#   usage: tests/openapi.sh [--json OUT]   (--json: also write the document
#                                           with $refs resolved, as JSON)
# The validator's npm packages are installed locally into tests/.node/openapi
# (no global install), pinned; that directory is a cache, not tracked by git.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/tests/.node/openapi"
PACKAGES=(@apidevtools/swagger-parser@10.1.1 ajv@8.17.1 js-yaml@4.1.0)

if [ ! -f "$NODE_DIR/.installed" ] || [ "$(cat "$NODE_DIR/.installed")" != "${PACKAGES[*]}" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "openapi.sh: npm not found; run tools/deps.sh test" >&2
    exit 1
  fi
  echo "openapi.sh: installing ${PACKAGES[*]} into $NODE_DIR" >&2
  mkdir -p "$NODE_DIR"
  npm install --no-audit --no-fund --silent --prefix "$NODE_DIR" "${PACKAGES[@]}" >&2
  echo "${PACKAGES[*]}" >"$NODE_DIR/.installed"
fi
NODE_PATH="$NODE_DIR/node_modules" node "$ROOT/tests/openapi/check.js" "$ROOT/openapi.yaml" "$@"
