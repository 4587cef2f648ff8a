#!/usr/bin/env bash
# `make run`: a private Redis and the mock upstream on free loopback ports,
# and adstats in the foreground on $PORT (default 5000) until Ctrl-C; then
# everything started here is stopped. Redis keeps its data in .run/redis
# (append-only), so counters survive a restart of `make run`.
# Settings can be overridden as usual: flags after `--` in ARGS, environment
# variables, or a .env file (see bin/adstats --help).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT
trap 'exit 0' INT TERM

port=${PORT:-5000}
if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "make run: port $port is in use; choose another with PORT=N make run" >&2
  exit 1
fi
redis_port=$(free_port)
mkdir -p .run/redis
start_redis "$redis_port" --dir "$PWD/.run/redis" --appendonly yes
vast_port=$(free_port)
start_vastmock "$vast_port"

echo "adstats: http://127.0.0.1:$port  (Redis on 127.0.0.1:$redis_port, mock upstream on 127.0.0.1:$vast_port; Ctrl-C stops all)"
bin/adstats --port "$port" --redis-url "redis://127.0.0.1:$redis_port/0" \
  --vast-url "http://127.0.0.1:$vast_port/vast" ${ARGS:-} &
STACK_PIDS+=($!)
wait "${STACK_PIDS[-1]}"
