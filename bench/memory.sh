#!/usr/bin/env bash
# bench/memory.sh -- Redis memory per distinct user, with adstats' own key
# layout: a private redis-server, USERS distinct users (default 1,000,000)
# loaded with exactly the commands the event path sends (bench/eventgen.c,
# built from events.c, piped through redis-cli --pipe), and INFO memory's
# used_memory before and after.
#   usage: bench/memory.sh [USERS] [imp|ad|both]
# Needs redis-tools (tools/deps.sh bench) and a release build (make).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT

users=${1:-1000000} kind=${2:-both}
make --no-print-directory build/release/libadstats.a >/dev/null
gen=$(stack_dir)/eventgen
cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude $(pkg-config --cflags hiredis) -o "$gen" \
  bench/eventgen.c build/release/libadstats.a \
  $(pkg-config --libs libmicrohttpd hiredis libcurl libxml-2.0 libevent) -lpthread -lm

port=$(free_port); start_redis "$port"
used() { redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }
before=$(used)
start=$SECONDS
"$gen" 0 "$users" "$kind" "$(date +%s)" | redis-cli -p "$port" --pipe | tail -1
after=$(used)
keys=$(redis-cli -p "$port" dbsize)
echo "users: $users ($kind), load: $((SECONDS - start)) s, keys: $keys"
echo "used_memory: before $before, after $after, delta $((after - before)) bytes"
awk -v d=$((after - before)) -v u="$users" 'BEGIN {
  printf "per user: %.0f bytes; per 1,000,000 users: %.1f MiB\n", d / u, d / u * 1e6 / 1048576 }'
for key in as:u:top:imp as:u:top:req as:s:top:imp; do
  printf '%-14s %s\n' "$key" "$(redis-cli -p "$port" memory usage "$key" samples 0 2>/dev/null || echo -)"
done
for key in as:u:t:user-00000001 "as:u:$(date -u +%Y%m%d):user-00000001" as:u:h:user-00000001 \
           "as:u:h$(date -u +%Y%m%d):user-00000001"; do
  printf '%-34s %s bytes\n' "$key" "$(redis-cli -p "$port" memory usage "$key")"
done
