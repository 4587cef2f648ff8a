#!/usr/bin/env bash
# `make bench`: adstats against the two ceilings it cannot beat, in one run
# on this machine. Everything runs on 127.0.0.1, each load after a warm-up,
# bounded in time, and everything started is stopped at the end.
#
#   HTTP ceiling     bench-ceiling: libmicrohttpd configured exactly as adstats
#                    (same http_start()), answering a fixed JSON body
#   storage ceiling  redis-benchmark running HINCRBY pipelined, divided by the
#                    commands an event sends
#   adstats          /impression, /statistics, /ad (vastmock, no delay)
#   cores            ceiling and /impression with 1 and 2 HTTP threads
#   growth           /impression and /statistics with 1,000 and 1,000,000
#                    distinct users already in Redis (alternating runs,
#                    median of three)
#
# After each counting run the Redis counters are checked against wrk: no
# 2xx may be missing (lost), and at most the requests wrk still had in
# flight when it stopped (one per connection) may be counted beyond the
# 2xx it reported (extra).
#
# Writes bench/results/bench.csv and the table between the markers in
# BENCHMARKS.md. Knobs: BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_CONNS (64).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT

SECONDS_RUN=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNS:-64}
GROWTH_USERS=${BENCH_GROWTH_USERS:-1000000}
# An event is 28-30 single-key commands (four dimensions: all-time and day
# counters, unique sessions, top lists; see src/events.c), before write
# combining merges repeated ones.
CMDS_PER_EVENT=${BENCH_CMDS_PER_EVENT:-28}
GROWTH_SECONDS=${BENCH_GROWTH_SECONDS:-5}
CSV=bench/results/bench.csv
mkdir -p bench/results
echo "name,threads,req_per_s,p50_ms,p99_ms,requests,non2xx,socket_errors,peak_rss_kb,ratio,lost,extra" >"$CSV"

redis_port=$(free_port); start_redis "$redis_port"
vast_port=$(free_port); start_vastmock "$vast_port"
rcli() { redis-cli -p "$redis_port" "$@"; }

event_query() { echo "sdk_version=$2&session_id=s1&platform=ios&username=$1&country_code=US"; }

# wrk_run URL [KEY FIELD] -> prints wrkstat's fields; with KEY and FIELD,
# sets COUNTED to how much that Redis counter grew during the measured run
# (the warm-up's counts excluded).
COUNTED=""
wrk_run() {
  wrk -t1 -c"$CONNS" -d"${WARMUP}s" "$1" >/dev/null 2>&1 || true
  local before=0
  [ $# -lt 3 ] || before=$(rcli hget "$2" "$3")
  wrk -t1 -c"$CONNS" -d"${SECONDS_RUN}s" --latency "$1" | python3 bench/wrkstat.py
  [ $# -lt 3 ] || COUNTED=$(( $(rcli hget "$2" "$3") - ${before:-0} ))
}

CEILING=0
# record NAME THREADS STATS PID [COUNTER_VALUE]
record() {
  local name=$1 threads=$2 stats=$3 pid=$4 counter=${5:-}
  local rate rss ratio lost="" extra=""
  rate=${stats%%,*}
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  [ "$CEILING" != 0 ] && ratio=$(awk -v a="$rate" -v b="$CEILING" 'BEGIN {printf "%.2f", a / b}') || ratio=1.00
  if [ -n "$counter" ]; then
    local requests non2xx ok
    requests=$(echo "$stats" | cut -d, -f4); non2xx=$(echo "$stats" | cut -d, -f5)
    ok=$((requests - non2xx))
    lost=$(( ok > counter ? ok - counter : 0 ))
    extra=$(( counter > ok ? counter - ok : 0 ))
  fi
  echo "$name,$threads,$stats,$rss,$ratio,$lost,$extra" >>"$CSV"
  printf '%-28s %3s thr %9s req/s  ratio %5s  p50 %7s ms  p99 %7s ms  rss %6s KB%s\n' \
    "$name" "$threads" "$rate" "$ratio" "$(echo "$stats" | cut -d, -f2)" \
    "$(echo "$stats" | cut -d, -f3)" "$rss" "${counter:+  lost $lost extra $extra}"
  if [ -n "$counter" ] && { [ "$lost" -ne 0 ] || [ "$extra" -gt "$CONNS" ]; }; then
    echo "bench: COUNTER MISMATCH for $name (counter $counter)" >&2; MISMATCH=1
  fi
}
MISMATCH=0

start_ceiling() { # PORT THREADS
  bin/bench-ceiling "$1" "$2" & STACK_PIDS+=($!); CEILING_PID=$!; wait_for_port "$1"
}
stop_pid() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

cores=$(nproc)
echo "== adstats benchmark: $cores cores, wrk -t1 -c$CONNS, ${SECONDS_RUN}s runs after ${WARMUP}s warm-up"

# ---- HTTP ceiling --------------------------------------------------------
port=$(free_port); start_ceiling "$port" 0
stats=$(wrk_run "http://127.0.0.1:$port/impression?$(event_query c 1.0)")
CEILING=${stats%%,*}
record "http-ceiling" "$cores" "$stats" "$CEILING_PID"
stop_pid "$CEILING_PID"

# ---- storage ceiling -----------------------------------------------------
hincr=$(redis-benchmark -p "$redis_port" -c "$CONNS" -n 2000000 -P 32 -q \
          HINCRBY as:u:t:bench-storage imp 1 | tr '\r' '\n' \
        | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
events=$(awk -v h="$hincr" -v n="$CMDS_PER_EVENT" 'BEGIN {printf "%.0f", h / n}')
echo "storage-ceiling,1,$events,,,,,,,$(awk -v a="$events" -v b="$CEILING" 'BEGIN {printf "%.2f", a / b}'),," >>"$CSV"
printf '%-28s %9s HINCRBY/s pipelined = %s events/s at %s commands per event\n' \
  "storage-ceiling" "$hincr" "$events" "$CMDS_PER_EVENT"

# ---- adstats -------------------------------------------------------------
port=$(free_port)
start_adstats "$port" "$redis_port" "$vast_port"
pid=${STACK_PIDS[-1]}
base="http://127.0.0.1:$port"

wrk_run "$base/impression?$(event_query bench-imp 7.1)" as:u:t:bench-imp imp >"$(stack_dir)/stats"
record "impression" "$cores" "$(cat "$(stack_dir)/stats")" "$pid" "$COUNTED"
stats=$(wrk_run "$base/statistics?username=bench-imp")
record "statistics" "$cores" "$stats" "$pid"
wrk_run "$base/ad?$(event_query bench-ad 7.2)" as:u:t:bench-ad req >"$(stack_dir)/stats"
record "ad (upstream delay 0)" "$cores" "$(cat "$(stack_dir)/stats")" "$pid" "$COUNTED"
stop_pid "$pid"

# ---- cores ---------------------------------------------------------------
for threads in 1 2; do
  port=$(free_port); start_ceiling "$port" "$threads"
  record "http-ceiling" "$threads" "$(wrk_run "http://127.0.0.1:$port/x")" "$CEILING_PID"
  stop_pid "$CEILING_PID"
  port=$(free_port); start_adstats "$port" "$redis_port" "$vast_port" --threads "$threads"
  pid=${STACK_PIDS[-1]}
  user=bench-thr$threads
  wrk_run "http://127.0.0.1:$port/impression?$(event_query $user 7.3)" "as:u:t:$user" imp \
    >"$(stack_dir)/stats"
  record "impression" "$threads" "$(cat "$(stack_dir)/stats")" "$pid" "$COUNTED"
  stop_pid "$pid"
done

# ---- growth --------------------------------------------------------------
# Two Redis servers, one preloaded with 1,000 distinct users and one with
# GROWTH_USERS, each behind its own adstats. Runs alternate between the two
# (three rounds) and the median of each is kept, so that noise from the
# shared machine hits both sizes alike.
preload_users() { # PORT COUNT: distinct users with both counters, as the event path writes them
  awk -v n="$2" 'BEGIN {
    for (i = 0; i < n; i++) {
      k = "as:u:t:grow" i
      printf "*4\r\n$7\r\nHINCRBY\r\n$%d\r\n%s\r\n$3\r\nimp\r\n$1\r\n1\r\n", length(k), k
      printf "*4\r\n$7\r\nHINCRBY\r\n$%d\r\n%s\r\n$3\r\nreq\r\n$1\r\n2\r\n", length(k), k
    }
  }' | redis-cli -p "$1" --pipe >/dev/null
}
median3() { sort -t, -k1 -n | sed -n 2p; }
declare -A grow_port grow_pid
for users in 1000 "$GROWTH_USERS"; do
  rp=$(free_port); start_redis "$rp"; preload_users "$rp" "$users"
  port=$(free_port); start_adstats "$port" "$rp" "$vast_port"
  grow_port[$users]=$port; grow_pid[$users]=${STACK_PIDS[-1]}
done
for what in impression statistics; do
  for users in 1000 "$GROWTH_USERS"; do : >"$(stack_dir)/grow-$what-$users"; done
  for round in 1 2 3; do
    for users in 1000 "$GROWTH_USERS"; do
      user=grow$((users / 2))
      path="statistics?username=$user"
      [ $what = statistics ] || path="impression?$(event_query "$user" 7.4)"
      SECONDS_RUN=$GROWTH_SECONDS wrk_run "http://127.0.0.1:${grow_port[$users]}/$path" >>"$(stack_dir)/grow-$what-$users"
    done
  done
  for users in 1000 "$GROWTH_USERS"; do
    record "$what @${users} users" "$cores" "$(median3 <"$(stack_dir)/grow-$what-$users")" \
      "${grow_pid[$users]}"
  done
done

python3 bench/report.py "$CSV" BENCHMARKS.md
[ "$MISMATCH" -eq 0 ] || { echo "bench: counters did not match" >&2; exit 1; }
