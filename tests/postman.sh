#!/usr/bin/env bash
# Runs the Postman collection with newman against a live stack: a private
# Redis, the mock upstream and adstats, all stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT
redis_port=$(free_port); start_redis "$redis_port"
vast_port=$(free_port); start_vastmock "$vast_port"
# The admin token is the one in postman/adstats.postman_environment.json.
# --index-flush-ms 0: the collection reads unique_sessions and the top lists
# right after its events; they are written at the end of the loop turn that
# acknowledged them, before newman can send its next request.
port=$(free_port)
start_adstats "$port" "$redis_port" "$vast_port" --admin-token postman-admin-token \
  --index-flush-ms 0
tests/newman.sh "http://127.0.0.1:$port"
