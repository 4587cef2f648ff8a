#!/usr/bin/env bash
# `make bench-callgrind`: instructions per request, a figure that does not
# move with machine noise. adstats runs under valgrind's callgrind with one
# worker thread four times: serving nothing, serving N /impression
# requests of one user (hot: write combining's best case), N /impression
# requests each from a new user with a new session (distinct: the
# realistic case) and N /statistics requests (one keep-alive client, one
# request at a time); per request = (run - idle run) / N. Start-up and
# shutdown cancel out. The bare libmicrohttpd responder (bench-bare) and
# the one on adstats' http_start() (bench-ceiling) are measured the same
# way. Appends the figures to bench/results/callgrind.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT

N=${BENCH_CALLGRIND_REQUESTS:-2000}
redis_port=$(free_port); start_redis "$redis_port"
vast_port=$(free_port); start_vastmock "$vast_port"
q="sdk_version=3.0&session_id=s1&platform=ios&username=cg&country_code=US"
qd="sdk_version=3.0&session_id=s{n}&platform=ios&username=cg{n}&country_code=US"
out=${BENCH_KEEP:+/tmp/adstats-callgrind}
out=${out:-$(stack_dir)/callgrind}

# run NAME PATH COUNT [RESPONDER] -> prints total instructions of adstats
# (or of the responder binary RESPONDER) for that run
run() {
  local port; port=$(free_port)
  if [ -n "${4:-}" ]; then
    valgrind --tool=callgrind --callgrind-out-file="$out.$1" \
      "$4" "$port" 1 >"$out.$1.log" 2>&1 &
  else
    valgrind --tool=callgrind --callgrind-out-file="$out.$1" \
      bin/adstats --threads 1 --port "$port" --bind 127.0.0.1 \
      --redis-url "redis://127.0.0.1:$redis_port/0" --vast-url "http://127.0.0.1:$vast_port/vast" \
      --error-log "$(stack_dir)/errors.log" >"$out.$1.log" 2>&1 &
  fi
  local pid=$!
  wait_for_port "$port" 60
  [ "$3" -eq 0 ] || python3 bench/client.py "$port" "$2" "$3"
  kill -TERM "$pid"; wait "$pid"
  awk '/^(summary|totals):/ {print $2; exit}' "$out.$1"
}

bare_idle=$(run bare-idle / 0 bin/bench-bare)
bare=$(run bare "/impression?$q" "$N" bin/bench-bare)
ceiling_idle=$(run ceiling-idle / 0 bin/bench-ceiling)
ceiling=$(run ceiling "/impression?$q" "$N" bin/bench-ceiling)
idle=$(run idle / 0)
imp=$(run impression "/impression?$q" "$N")
distinct=$(run distinct "/impression?$qd" "$N")
stats=$(run statistics "/statistics?username=cg" "$N")
per_bare=$(( (bare - bare_idle) / N ))
per_ceiling=$(( (ceiling - ceiling_idle) / N ))
per_imp=$(( (imp - idle) / N ))
per_distinct=$(( (distinct - idle) / N ))
per_stats=$(( (stats - idle) / N ))
echo "instructions per request (callgrind, $N sequential requests, 1 worker thread):"
echo "  bare libmicrohttpd responder          $per_bare"
echo "  responder on adstats' http_start()    $per_ceiling"
echo "  /impression, hot user                 $per_imp"
echo "  /impression, distinct users           $per_distinct"
echo "  /statistics                           $per_stats"
echo "(callgrind counts each byte of a 'rep stosb' memset as an instruction: libmicrohttpd"
echo " zeroes its 32 KiB connection pool per request, which is most of the responder's figure)"
csv=bench/results/callgrind.csv
header="date,commit,requests,ceiling_instr,impression_instr,statistics_instr,bare_instr,distinct_instr"
[ -f $csv ] || echo "$header" >$csv
# Files written before the bare and distinct columns get them appended.
[ "$(head -1 $csv)" = "$header" ] || sed -i "1s/.*/$header/" $csv
echo "$(date -u +%F),$(git rev-parse --short HEAD 2>/dev/null || echo unknown),$N,$per_ceiling,$per_imp,$per_stats,$per_bare,$per_distinct" >>$csv
