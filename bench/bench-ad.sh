#!/usr/bin/env bash
# `make bench-ad`: /ad latency and throughput against an upstream that
# takes 50 ms, from 1 to 1000 keep-alive connections, with VAST_LIMIT 1000.
# By Little's law a server that adds nothing would do connections / 50 ms
# requests per second at a latency of 50 ms. Then /impression's latency
# while /ad is held at the limit by more connections than it allows.
# Writes bench/results/ad.csv and bench/results/ad.png (gnuplot).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # 1000+ connections need descriptors

DELAY_MS=${BENCH_AD_DELAY_MS:-50}
RUN=${BENCH_AD_SECONDS:-5}
STEPS=${BENCH_AD_STEPS:-"1 10 50 100 250 500 1000"}
CSV=bench/results/ad.csv
mkdir -p bench/results

redis_port=$(free_port); start_redis "$redis_port"
vast_port=$(free_port); start_vastmock "$vast_port" --delay-ms "$DELAY_MS"
port=$(free_port)
start_adstats "$port" "$redis_port" "$vast_port" --vast-limit 1000 --vast-timeout-ms 5000
q="sdk_version=2.0&session_id=s1&platform=ios&username=bench-ad&country_code=US"
url="http://127.0.0.1:$port/ad?$q"

wrk_stats() { # CONNS SECONDS URL
  wrk -t1 -c"$1" -d"$2s" --timeout 10s -s bench/wrk/report.lua "$3" | awk -F, '/^STATS/'
}

echo "connections,req_per_s,p50_ms,p95_ms,p99_ms,requests,non2xx,socket_errors,littles_law_req_per_s,throughput_ratio" >"$CSV"
printf '%6s %10s %9s %9s %9s %8s %10s\n' conns req/s p50_ms p95_ms p99_ms non2xx "vs c/delay"
for c in $STEPS; do
  wrk_stats "$c" 1 "$url" >/dev/null # warm-up: connections open, upstream pool filled
  line=$(wrk_stats "$c" "$RUN" "$url")
  ideal=$(awk -v c="$c" -v d="$DELAY_MS" 'BEGIN {printf "%.0f", c * 1000 / d}')
  ratio=$(echo "$line" | awk -F, -v i="$ideal" '{printf "%.2f", $2 / i}')
  echo "$c,${line#STATS,},$ideal,$ratio" >>"$CSV"
  echo "$c,${line#STATS,},$ratio" | awk -F, '{printf "%6s %10s %9s %9s %9s %8s %10s\n", $1, $2, $3, $4, $5, $7, $9}'
done

# /impression while /ad is saturated: 1200 /ad connections against a limit of 1000.
wrk -t1 -c1200 -d"$((RUN + 2))s" --timeout 10s "$url" >/dev/null 2>&1 &
load=$!
sleep 1
imp=$(wrk_stats 16 "$RUN" "http://127.0.0.1:$port/impression?$q")
wait "$load" || true
echo "impression-under-ad-saturation,${imp#STATS,}" >bench/results/ad-impression.csv
echo "$imp" | awk -F, '{printf "/impression while /ad is at its limit: %s req/s, p50 %s ms, p99 %s ms\n", $2, $3, $5}'

gnuplot <<GP
set terminal pngcairo size 900,520 font ",10" noenhanced
set output "bench/results/ad.png"
set datafile separator ","
set title "adstats /ad against a ${DELAY_MS} ms upstream (VAST_LIMIT 1000, wrk keep-alive)"
set xlabel "concurrent connections"
set logscale x
set ylabel "latency (ms)"
set y2label "throughput (req/s)"
set ytics nomirror
set y2tics
set key top left
set grid
plot "$CSV" every ::1 using 1:3 with linespoints title "p50", \
     "" every ::1 using 1:4 with linespoints title "p95", \
     "" every ::1 using 1:5 with linespoints title "p99", \
     "" every ::1 using 1:2 axes x1y2 with linespoints lw 2 title "req/s", \
     "" every ::1 using 1:9 axes x1y2 with lines dt 2 title "c / delay (Little's law)"
GP
echo "wrote $CSV and bench/results/ad.png"
