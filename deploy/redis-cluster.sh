#!/usr/bin/env bash
# redis-cluster.sh -- a Redis Cluster on one machine, for adstats' --redis-cluster:
#
#   clients -> adstats --redis-cluster -> master 1..3 (slots 0-16383)
#                                          replica 1..3 (one per master)
#
#   deploy/redis-cluster.sh start    6 redis-servers on free 127.0.0.1 ports, joined with
#                                    redis-cli --cluster create --cluster-replicas 1;
#                                    prints the seeds for --redis-cluster
#   deploy/redis-cluster.sh status   redis-cli --cluster check, and who is master
#   deploy/redis-cluster.sh stop     stop every node `start` started
#   deploy/redis-cluster.sh test     the Redis Cluster suite (tests/cluster/
#                                    test_redis_cluster.py: it starts clusters of its own
#                                    with tests/harness/redis_cluster.py, the same layout)
#
# Each node has a directory of its own (redis.conf, nodes.conf, AOF, log)
# under the state directory, and its cluster bus on a port of its own
# (cluster-port), below the ephemeral range like every port here
# (tools/lib.sh's free_port). State: $REDIS_CLUSTER_STATE (default
# .run/redis-cluster.env). Knobs (environment):
#   REDIS_CLUSTER_NODE_TIMEOUT (1500)    cluster-node-timeout in ms
#   REDIS_CLUSTER_APPENDFSYNC (everysec) always, everysec, or no (no AOF)
#   REDIS_CLUSTER_PASSWORD ()            requirepass and masterauth of every node
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
. tools/lib.sh

STATE=${REDIS_CLUSTER_STATE:-$REPO/.run/redis-cluster.env}
NODES=6
NODE_TIMEOUT=${REDIS_CLUSTER_NODE_TIMEOUT:-1500}
APPENDFSYNC=${REDIS_CLUSTER_APPENDFSYNC:-everysec}
PASSWORD=${REDIS_CLUSTER_PASSWORD:-}

die() { echo "redis-cluster: $*" >&2; exit 1; }

cli() { # redis-cli with the password, if any
  if [ -n "$PASSWORD" ]; then redis-cli -a "$PASSWORD" --no-auth-warning "$@"; else redis-cli "$@"; fi
}

# write_conf DIR PORT BUS_PORT
write_conf() {
  {
    echo "# written by deploy/redis-cluster.sh"
    echo "port $2"
    echo "cluster-port $3"
    echo "bind 127.0.0.1"
    echo "dir $1"
    echo "logfile $1/redis.log"
    echo "pidfile $1/redis.pid"
    echo "daemonize no"
    echo "cluster-enabled yes"
    echo "cluster-config-file nodes.conf"
    echo "cluster-node-timeout $NODE_TIMEOUT"
    echo 'save ""'
    echo "repl-diskless-sync-delay 0"  # replicas in sync at once: WAIT counts them
    if [ "$APPENDFSYNC" = no ]; then echo "appendonly no"
    else echo "appendonly yes"; echo "appendfsync $APPENDFSYNC"; fi
    if [ -n "$PASSWORD" ]; then echo "requirepass $PASSWORD"; echo "masterauth $PASSWORD"; fi
  } >"$1/redis.conf"
}

cmd_start() {
  [ ! -e "$STATE" ] || die "a cluster is already up ($STATE): run stop first"
  local dir=$STACK_DIR addrs="" i port bus chosen=" "
  mkdir -p "$(dirname "$STATE")"
  for i in $(seq "$NODES"); do
    for _ in 1 2; do  # the client port and the bus port, all distinct
      while :; do port=$(free_port); [[ $chosen == *" $port "* ]] || break; done
      chosen+="$port "
    done
  done
  read -ra picked <<<"$chosen"
  printf 'REDIS_CLUSTER_DIR=%s\nREDIS_CLUSTER_PORTS="%s"\n' "$dir" \
    "$(for i in $(seq 0 2 $((2 * NODES - 1))); do printf '%s ' "${picked[$i]}"; done)" >"$STATE"
  for i in $(seq "$NODES"); do
    port=${picked[$((2 * i - 2))]} bus=${picked[$((2 * i - 1))]}
    mkdir -p "$dir/node$i"
    write_conf "$dir/node$i" "$port" "$bus"
    # stdio to files: a process outliving this script must not hold the caller's pipe
    redis-server "$dir/node$i/redis.conf" </dev/null >/dev/null 2>>"$dir/node$i/stderr" &
    echo $! >"$dir/node$i/pid"
    wait_for_port "$port" || die "node $i did not start: see $dir/node$i/redis.log"
    addrs+="127.0.0.1:$port "
  done
  disown -a
  # shellcheck disable=SC2086  # one argument per node
  cli --cluster create $addrs --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
    || die "redis-cli --cluster create failed: see $dir/create.log"
  wait_ok
  cat <<EOF
Redis Cluster up (state: $STATE, nodes: $dir/node1..$NODES)
  nodes         ${addrs% }
  adstats       bin/adstats --redis-cluster $(echo "${addrs% }" | tr ' ' ,)
EOF
}

wait_ok() { # every node says cluster_state:ok, every replica is in sync
  local deadline=$((SECONDS + 30)) port
  load_state
  for port in $REDIS_CLUSTER_PORTS; do
    until cli -p "$port" CLUSTER INFO 2>/dev/null | grep '^cluster_state:ok' >/dev/null \
        && ! cli -p "$port" INFO replication 2>/dev/null | grep '^master_link_status:down' >/dev/null; do
      [ $SECONDS -lt $deadline ] || die "node $port: cluster_state is not ok (or not in sync) after 30 s"
      sleep 0.1
    done
  done
}

load_state() {
  [ -f "$STATE" ] || die "no cluster is up (no $STATE)"
  # shellcheck disable=SC1090
  . "$STATE"
}

cmd_status() {
  load_state
  local first; read -r first _ <<<"$REDIS_CLUSTER_PORTS"
  cli --cluster check "127.0.0.1:$first"
  cli -p "$first" CLUSTER NODES | awk '{split($2, a, "@"); print "  " a[1], $3, $9 ? $9 : ""}'
}

# Stops the nodes whose pid files are there, if each pid still runs redis-server.
cmd_stop() {
  [ -f "$STATE" ] || { echo "redis-cluster: nothing to stop (no $STATE)"; return 0; }
  load_state
  local f pid pids=()
  for f in "$REDIS_CLUSTER_DIR"/node*/pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || continue
    kill -CONT "$pid" 2>/dev/null || true  # a paused node cannot stop
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  local deadline=$((SECONDS + 5))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$REDIS_CLUSTER_DIR" "$STATE"
  echo "redis-cluster: stopped"
}

cmd_test() {
  PYTHONPATH=$REPO/tests${PYTHONPATH:+:$PYTHONPATH} python3 tests/cluster/test_redis_cluster.py
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

case ${1:-} in
  start)
    # shellcheck disable=SC2154  # rc is the trap's own
    trap 'rc=$?; [ $rc -eq 0 ] || cmd_stop >/dev/null; exit $rc' EXIT
    cmd_start
    trap - EXIT
    ;;
  stop) rmdir "$STACK_DIR"; cmd_stop ;;
  status) rmdir "$STACK_DIR"; cmd_status ;;
  test) rmdir "$STACK_DIR"; cmd_test ;;
  *) rmdir "$STACK_DIR"; usage ;;
esac
