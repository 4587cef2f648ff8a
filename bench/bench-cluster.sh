#!/usr/bin/env bash
# `make bench-cluster`: what scaling out costs and buys, in one run on this
# machine, on the topology of deploy/local-cluster.sh (each adstats node one
# event loop, shards with appendfsync everysec, nginx without access log).
#
#   throughput   wrk /impression (10,000 users, 20 SDK versions, keep-alive):
#                  one node, Redis direct   (a node of its own on shard 1)
#                  one node, via twemproxy  (node 1 of the cluster)
#                  nginx -> one node        (node 2 stopped for the run)
#                  nginx -> two nodes
#                  one node, via Redis Cluster       (issue 16: 3 masters, 3
#                  one node, Redis Cluster + WAIT 1   replicas, deploy/redis-cluster.sh;
#                                                     skipped, said so, while adstats
#                                                     has no --redis-cluster)
#                in BENCH_ROUNDS rounds, the configurations taking turns, so
#                that other load on the machine hits them alike; the median
#   CPU          per configuration, the CPU time each part a request crosses
#                used per event (utime + stime from /proc over the events the
#                shards counted): the per-event cost the capacity plan in
#                docs/SCALING.md starts from, and the figure that
#                explains the throughput ratios on shared cores
#   Redis        redis-benchmark HINCRBY pipelined: one shard direct, and
#                the three shards through twemproxy
#   memory       INFO memory on a private redis-server before and after
#                loading N users' keys of each kind adstats writes or will
#                write (all-time hash; from the analytics work: daily hash
#                with TTL, daily session HyperLogLog with TTL and 3 sessions,
#                all-time HyperLogLog with 100 sessions (N/10 users), top-list
#                member, event id SET NX EX): bytes per key
#
# Everything shares this machine's cores, wrk included: the figures are
# ratios between configurations measured in the same run, not capacities.
# Bounded (BENCH_SECONDS per run, fixed request counts elsewhere); on
# 127.0.0.1 only; everything started is stopped at the end, also on failure.
# Writes bench/results/cluster.csv (and prints a summary).
# Knobs: BENCH_SECONDS (5), BENCH_WARMUP (1), BENCH_ROUNDS (3), BENCH_CONNS (64),
# BENCH_MEM_USERS (200000).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

RUN=${BENCH_SECONDS:-5}
WARMUP=${BENCH_WARMUP:-1}
CONNS=${BENCH_CONNS:-64}
MEM_USERS=${BENCH_MEM_USERS:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
CSV=bench/results/cluster.csv
mkdir -p bench/results

export CLUSTER_STATE=$STACK_DIR/cluster.env CLUSTER_ACCESS_LOG=0 CLUSTER_APPENDFSYNC=everysec \
       CLUSTER_THREADS=1 CLUSTER_NODES=2
export REDIS_CLUSTER_STATE=$STACK_DIR/redis-cluster.env REDIS_CLUSTER_APPENDFSYNC=everysec
trap 'deploy/local-cluster.sh down >/dev/null || true
      deploy/redis-cluster.sh stop >/dev/null 2>&1 || true; stack_cleanup' EXIT
deploy/local-cluster.sh up >/dev/null
# shellcheck disable=SC1090
. "$CLUSTER_STATE"
read -r shard1 _ <<<"$SHARD_PORTS"
read -r node1 _ <<<"$NODE_PORTS"
pidof_part() { cat "$CLUSTER_DIR/pids/$1.pid"; }

direct=$(free_port)
start_adstats "$direct" "$shard1" "$VAST_PORT" --threads 1 --log-level warn
direct_pid=${STACK_PIDS[-1]}

# The Redis Cluster rows: the same adstats (one event loop) on a cluster of
# three masters and three replicas (AOF everysec, like the shards), without
# and with --redis-wait-replicas 1. Throughput only: their events are not
# in the shards' counters that the CPU figures divide by.
RC_CONFIGS=()
rc_pids=()
adstats_help=$("${ADSTATS_BIN:-bin}/adstats" --help 2>&1 || true)  # grep -q would SIGPIPE it
if [[ $adstats_help == *--redis-cluster* ]]; then
  deploy/redis-cluster.sh start >"$STACK_DIR/redis-cluster.out"
  # shellcheck disable=SC1090
  . "$REDIS_CLUSTER_STATE"
  # shellcheck disable=SC2086  # one argument per port
  seeds=$(printf '127.0.0.1:%s,' $REDIS_CLUSTER_PORTS); seeds=${seeds%,}
  read -r rc_first _ <<<"$REDIS_CLUSTER_PORTS"
  rc_port=$(free_port)
  start_adstats "$rc_port" "$rc_first" "$VAST_PORT" --threads 1 --log-level warn --redis-cluster "$seeds"
  rc_pids+=("${STACK_PIDS[-1]}")
  rcw_port=$(free_port)
  start_adstats "$rcw_port" "$rc_first" "$VAST_PORT" --threads 1 --log-level warn --redis-cluster "$seeds" \
    --redis-wait-replicas 1
  rc_pids+=("${STACK_PIDS[-1]}")
  RC_CONFIGS=(one-node-via-redis-cluster one-node-redis-cluster-wait1)
else
  echo "Redis Cluster rows skipped: ${ADSTATS_BIN:-bin}/adstats --help lists no --redis-cluster (issue 16)"
fi

# ---- throughput and CPU per event ----------------------------------------------

# wrk_run PORT -> "req_per_s,p50_ms,p95_ms,p99_ms,requests,non2xx,socket_errors,wrk_cpu_s"
# (the last: CPU seconds wrk used, warm-up included, from the shell's `times`)
wrk_run() {
  local url="http://127.0.0.1:$1/" line
  wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s bench/wrk/spread.lua "$url" >/dev/null 2>&1 || true
  line=$(wrk -t1 -c"$CONNS" -d"${RUN}s" --timeout 5s -s bench/wrk/spread.lua "$url" \
           | awk '/^STATS/ {sub(/^STATS,/, ""); print}')
  times >"$STACK_DIR/times"  # a redirection, not a pipe: a subshell has no children
  echo "$line,$(tail -1 "$STACK_DIR/times" | tr 'ms' '  ' | awk '{print $1 * 60 + $2 + $3 * 60 + $4}')"
}

# CPU ticks (utime + stime, all threads) of a list of processes.
ticks() {
  local pid sum=0
  for pid in "$@"; do
    sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$sum"
}

# Events the shards counted so far: every request is two HINCRBY.
events() {
  local p
  for p in $SHARD_PORTS; do
    redis-cli -p "$p" INFO commandstats | sed -n 's/^cmdstat_hincrby:calls=\([0-9]*\),.*/\1/p'
  done | awk '{s += $1} END {print int(s / 2)}'
}

# Reads the shards have done so far (one read() may bring many pipelined
# commands: commands per read is how well the traffic is batched).
reads() {
  local p
  for p in $SHARD_PORTS; do
    redis-cli -p "$p" INFO stats | sed -n 's/^total_reads_processed:\([0-9]*\).*/\1/p'
  done | awk '{s += $1} END {print s + 0}'
}

nginx_pids() { local m; m=$(pidof_part nginx); echo "$m" "$(ps --ppid "$m" -o pid= | tr '\n' ' ')"; }
# components CONFIG -> "name=pid,pid name=pid ..." (the processes a request crosses)
components() {
  local redis proxy
  redis="redis=$(pidof_part shard1),$(pidof_part shard2),$(pidof_part shard3)"
  proxy="twemproxy=$(pidof_part proxy)"
  case $1 in
    one-node-redis-direct) echo "adstats=$direct_pid redis=$(pidof_part shard1)" ;;
    one-node-via-twemproxy) echo "adstats=$(pidof_part node1) $proxy $redis" ;;
    nginx-one-node) echo "nginx=$(nginx_pids | tr ' ' ,) adstats=$(pidof_part node1) $proxy $redis" ;;
    nginx-two-nodes) echo "nginx=$(nginx_pids | tr ' ' ,) adstats=$(pidof_part node1),$(pidof_part node2) $proxy $redis" ;;
  esac
}

part_pids() { local p=${1#*=}; echo "${p//,/ }"; }  # "name=1,2" -> "1 2"
# (its output is split into pids on purpose below: SC2046)

CONFIGS=(one-node-redis-direct one-node-via-twemproxy nginx-one-node nginx-two-nodes)
declare -A port=([one-node-redis-direct]=$direct [one-node-via-twemproxy]=$node1
                 [nginx-one-node]=$NGINX_PORT [nginx-two-nodes]=$NGINX_PORT)
[ ${#RC_CONFIGS[@]} -eq 0 ] || port+=([one-node-via-redis-cluster]=$rc_port [one-node-redis-cluster-wait1]=$rcw_port)
declare -A rates stats cpu nevents nreads wrkcpu
# measure CONFIG: one warm-up + run; adds its rate, CPU ticks and events.
measure() {
  local c=$1 part name t0=() i=0 e0 r0 line
  local parts
  read -ra parts <<<"$(components "$c")"
  # shellcheck disable=SC2046
  for part in "${parts[@]}"; do t0+=("$(ticks $(part_pids "$part"))"); done
  e0=$(events) r0=$(reads)
  line=$(wrk_run "${port[$c]}")
  nevents[$c]=$((${nevents[$c]:-0} + $(events) - e0))
  nreads[$c]=$((${nreads[$c]:-0} + $(reads) - r0 - 2))  # less this function's own INFO
  for part in "${parts[@]}"; do
    name=${part%%=*}
    # shellcheck disable=SC2046
    cpu[$c:$name]=$((${cpu[$c:$name]:-0} + $(ticks $(part_pids "$part")) - t0[i]))
    i=$((i + 1))
  done
  wrkcpu[$c]=$(awk -v a="${wrkcpu[$c]:-0}" -v b="${line##*,}" 'BEGIN {print a + b}')
  line=${line%,*}
  rates[$c]+="${line%%,*} "
  stats[$c]+="$line;"
}

# measure_rate CONFIG: one warm-up + run; adds its rate and wrk's figures only.
measure_rate() {
  local line
  line=$(wrk_run "${port[$1]}")
  line=${line%,*}
  rates[$1]+="${line%%,*} "
  stats[$1]+="$line;"
}

for round in $(seq "$ROUNDS"); do
  echo "round $round of $ROUNDS"
  measure one-node-redis-direct
  measure one-node-via-twemproxy
  measure nginx-two-nodes
  deploy/local-cluster.sh kill-node 2
  measure nginx-one-node
  deploy/local-cluster.sh start-node 2 >/dev/null
  for c in "${RC_CONFIGS[@]}"; do measure_rate "$c"; done
  sleep 2.5  # nginx's fail_timeout (2 s) for node 2 passes
done
for pid in "$direct_pid" "${rc_pids[@]}"; do
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
hz=$(getconf CLK_TCK)
echo "name,req_per_s_median,req_per_s_rounds,p50_ms_last,p99_ms_last,non2xx_total,socket_errors_total,ratio_to_one_node_direct,hincrby_per_shard_read,cpu_us_per_event_server,cpu_us_per_event_wrk,ratio_predicted_by_cpu,cpu_us_per_event_by_part" >"$CSV"
echo
printf '%-24s %8s %6s %6s %9s %9s %6s  %s\n' config "req/s" ratio "by CPU" "cmds/read" "CPU us/ev" "wrk" "server CPU us/event by part"
base=$(echo "${rates[one-node-redis-direct]}" | median)
# throughput CONFIG: sets rate (the median round), ratio (to one node,
# direct), p50 and p99 (of the last round) and bad ("non2xx,socket_errors",
# all rounds) for one configuration's row.
throughput() {
  rate=$(echo "${rates[$1]}" | median)
  ratio=$(awk -v a="$rate" -v b="$base" 'BEGIN {printf "%.2f", a / b}')
  local last=${stats[$1]%;}; last=${last##*;}
  IFS=, read -r _ p50 _ p99 _ _ _ <<<"$last"
  bad=$(echo "${stats[$1]}" | tr ';' '\n' | awk -F, 'NF {n += $6; e += $7} END {print n + 0 "," e + 0}')
}
# With every process on the same cores, throughput goes as 1 / (all the CPU
# an event costs, client included): the ratio that CPU alone predicts.
base_cpu=""
for c in "${CONFIGS[@]}"; do
  throughput "$c"
  by="" total=0
  for part in $(components "$c"); do
    name=${part%%=*}
    us=$(awk -v t="${cpu[$c:$name]}" -v hz="$hz" -v n="${nevents[$c]}" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
    total=$(awk -v a="$total" -v b="$us" 'BEGIN {print a + b}')
    by+="$name $us "
  done
  batch=$(awk -v e="${nevents[$c]}" -v r="${nreads[$c]}" 'BEGIN {printf "%.1f", 2 * e / r}')
  wrk_us=$(awk -v s="${wrkcpu[$c]}" -v n="${nevents[$c]}" 'BEGIN {printf "%.1f", s * 1e6 / n}')
  all=$(awk -v a="$total" -v b="$wrk_us" 'BEGIN {print a + b}')
  [ -n "$base_cpu" ] || base_cpu=$all
  predicted=$(awk -v a="$base_cpu" -v b="$all" 'BEGIN {printf "%.2f", a / b}')
  echo "$c,$rate,${rates[$c]% },$p50,$p99,$bad,$ratio,$batch,$total,$wrk_us,$predicted,${by% }" >>"$CSV"
  printf '%-24s %8s %6s %6s %9s %9s %6s  %s\n' "$c" "$rate" "$ratio" "$predicted" "$batch" "$total" "$wrk_us" "$by"
done
for c in "${RC_CONFIGS[@]}"; do
  throughput "$c"
  echo "$c,$rate,${rates[$c]% },$p50,$p99,$bad,$ratio,,,,," >>"$CSV"
  printf '%-24s %8s %6s %6s %9s %9s %6s  %s\n' "$c" "$rate" "$ratio" - - - - "(throughput only)"
done
if [ ${#RC_CONFIGS[@]} -gt 0 ]; then
  printf -- '--redis-wait-replicas 1 on the cluster: %s of the throughput without it\n' \
    "$(awk -v a="$(echo "${rates[one-node-redis-cluster-wait1]}" | median)" \
           -v b="$(echo "${rates[one-node-via-redis-cluster]}" | median)" 'BEGIN {printf "%.2f", a / b}')"
fi
echo "(rates: median of $ROUNDS runs of ${RUN} s; cmds/read: HINCRBY per read() at the shards; CPU: all runs, warm-ups included; by CPU: the ratio 1 / (server + wrk CPU per event) predicts; non-2xx and socket errors: $(awk -F, 'NR > 1 && NF == 13 {n += $6; e += $7} END {print n + 0 " and " e + 0}' "$CSV"))"

# ---- Redis: direct and through twemproxy ------------------------------------

hincrby_rate() { # PORT
  redis-benchmark -p "$1" -c 50 -n 1000000 -P 16 -r 100000 -q HINCRBY as:u:t:b__rand_int__ imp 1 \
    2>/dev/null | tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
}
echo
d=$(hincrby_rate "$shard1"); p=$(hincrby_rate "$PROXY_PORT")
echo "redis-hincrby-one-shard-direct,$d" >>"$CSV"
echo "redis-hincrby-via-twemproxy,$p" >>"$CSV"
printf 'HINCRBY pipelined (-P 16, 50 connections): one shard direct %s/s, three shards via twemproxy %s/s (%s)\n' \
  "$d" "$p" "$(awk -v a="$p" -v b="$d" 'BEGIN {printf "%.2f", a / b}')"

# ---- memory per key ------------------------------------------------------------

mem_port=$(free_port)
start_redis "$mem_port" >/dev/null
used_memory() { redis-cli -p "$mem_port" INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
# load KIND: one key (or member) per user, written as adstats writes it.
load() {
  python3 - "$MEM_USERS" "$1" <<'PY' | redis-cli -p "$mem_port" --pipe >/dev/null
import sys
n, kind = int(sys.argv[1]), sys.argv[2]
def cmd(*a):
    return "*%d\r\n%s" % (len(a), "".join("$%d\r\n%s\r\n" % (len(x), x) for x in a))
out = []
for i in range(n):
    u = "user-%08d" % i
    if kind == "total":
        out += [cmd("HINCRBY", "as:u:t:" + u, "imp", "3"), cmd("HINCRBY", "as:u:t:" + u, "req", "5")]
    elif kind == "day":
        k = "as:u:20250101:" + u
        out += [cmd("HINCRBY", k, "imp", "3"), cmd("HINCRBY", k, "req", "5"), cmd("EXPIRE", k, "7776000")]
    elif kind == "sessions":
        k = "as:u:h20250101:" + u
        out += [cmd("PFADD", k, "sess-%d-a" % i, "sess-%d-b" % i, "sess-%d-c" % i), cmd("EXPIRE", k, "7776000")]
    elif kind == "sessions100":  # a user's all-time sessions HyperLogLog, 100 sessions
        if i % 10 == 0:
            out.append(cmd("PFADD", "as:u:h:" + u, *["sess-%d-%d" % (i, j) for j in range(100)]))
    elif kind == "eventid":  # an event id remembered for deduplication
        out.append(cmd("SET", "as:e:i:%016x%016x" % (i * 2654435761, i), "1", "NX", "EX", "600"))
    elif kind == "top":
        out.append(cmd("ZINCRBY", "as:u:top:imp", str(i % 1000), u))
    if len(out) >= 10000:
        sys.stdout.write("".join(out)); out = []
sys.stdout.write("".join(out))
PY
}
echo
echo "memory per key ($MEM_USERS users each, INFO memory used_memory):"
for kind in total day sessions sessions100 top eventid; do
  m0=$(used_memory); load "$kind"; m1=$(used_memory)
  n=$MEM_USERS; [ "$kind" != sessions100 ] || n=$((MEM_USERS / 10))
  per=$(awk -v a="$m0" -v b="$m1" -v n="$n" 'BEGIN {printf "%.0f", (b - a) / n}')
  echo "bytes-per-key-$kind,$per" >>"$CSV"
  printf '  %-12s %5s bytes\n' "$kind" "$per"
done
echo "keys on the memory shard: $(redis-cli -p "$mem_port" DBSIZE)"
echo "wrote $CSV"
