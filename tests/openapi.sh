#!/usr/bin/env bash
# Validates openapi.yaml (tests/openapi/check.js: the OpenAPI 3.1 schema,
# and every example against its schema).
#   usage: tests/openapi.sh [--json OUT]   (--json: also write the document
#                                           with $refs resolved, as JSON)
# The validator's npm packages (tests/openapi/package.json, versions locked
# in package-lock.json) are installed by tools/npm.sh into
# tests/openapi/node_modules (not tracked by git).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/tools/npm.sh"
npm_install "$ROOT/tests/openapi"
node "$ROOT/tests/openapi/check.js" "$ROOT/openapi.yaml" "$@"
