#!/usr/bin/env bash
# `make bench-hotkeys`: what one Redis shard holds for each kind of hot key
# adstats writes, for the capacity plan (docs/SCALING.md). A private
# redis-server on 127.0.0.1 gets each command pipelined (redis-benchmark -P
# 64, one connection per benchmark client) against one key:
#
#   top list    ZINCRBY on one sorted set that grows to BENCH_HOTKEY_MEMBERS
#               (1,000,000) members, random members: a dimension's top list
#               when every event is a new value (users)
#   counters    HINCRBY on one hash field: an SDK version's all-time counter
#   day bucket  HINCRBY on random fields of one hash: a day bucket
#   sessions    PFADD of random elements into one HyperLogLog
#
# Every figure is commands per second for one key on one core. Bounded in
# requests; everything started is stopped. Appends to bench/results/hotkeys.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT

members=${BENCH_HOTKEY_MEMBERS:-1000000}
n=${BENCH_HOTKEY_REQUESTS:-2000000}
port=$(free_port); start_redis "$port"

# rps COMMAND... -> the requests per second redis-benchmark measured
rps() {
  redis-benchmark -h 127.0.0.1 -p "$port" -P 64 -c 8 -q "$@" 2>/dev/null \
    | tr '\r' '\n' \
    | awk '/requests per second/ {for (i = 2; i <= NF; i++) if ($i == "requests") print int($(i - 1))}' \
    | tail -n 1
}

# The top list is filled first, so the ZINCRBY figure is that of a large set.
rps -n "$members" -r "$members" zadd as:u:top:imp __rand_int__ m__rand_int__ >/dev/null
size=$(redis-cli -p "$port" zcard as:u:top:imp)
top=$(rps -n "$n" -r "$members" zincrby as:u:top:imp 1 m__rand_int__)
counter=$(rps -n "$n" hincrby as:s:t:4.12.3 imp 1)
bucket=$(rps -n "$n" -r 5000 hincrby as:u:e20261201:b0001 i:u__rand_int__ 1)
sessions=$(rps -n "$n" -r 100000000 pfadd as:s:h:4.12.3 s__rand_int__)

echo "commands per second on one key, one Redis core (redis-benchmark -P 64):"
printf '  %-44s %10s\n' "ZINCRBY, top list of $size members" "$top" \
  "HINCRBY, one counter" "$counter" \
  "HINCRBY, day bucket (random fields)" "$bucket" \
  "PFADD, one HyperLogLog" "$sessions"
csv=bench/results/hotkeys.csv
[ -f $csv ] || echo "date,commit,top_members,zincrby,hincrby_counter,hincrby_bucket,pfadd" >$csv
echo "$(date -u +%F),$(git rev-parse --short HEAD 2>/dev/null || echo unknown),$size,$top,$counter,$bucket,$sessions" >>$csv
