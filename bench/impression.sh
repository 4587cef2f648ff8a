#!/usr/bin/env bash
# bench/impression.sh -- /impression throughput with wrk against a private
# stack (Redis, mock upstream, adstats on free loopback ports, all stopped
# afterwards). Bounded: one wrk run of DURATION (default 5s) per repeat.
#   usage: bench/impression.sh [REPEATS] [-- extra adstats flags...]
# Binaries come from $ADSTATS_BIN (default bin/), so two builds can be
# compared in one session: ADSTATS_BIN=/tmp/old bench/impression.sh 3
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT

repeats=${1:-3}; shift || true
[ "${1:-}" = "--" ] && shift
duration=${DURATION:-5s}

redis_port=$(free_port); start_redis "$redis_port"
vast_port=$(free_port); start_vastmock "$vast_port"
port=$(free_port); start_adstats "$port" "$redis_port" "$vast_port" "$@"

url="http://127.0.0.1:$port/impression?sdk_version=1.0&session_id=s1&platform=ios&username=alice&country_code=us"
for i in $(seq "$repeats"); do
  wrk -t1 -c64 -d"$duration" "$url" | awk -v i="$i" '/Requests\/sec/ {print "run " i ": " $2 " req/s"} /Non-2xx/ {print "run " i ": " $0}'
done
