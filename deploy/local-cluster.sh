#!/usr/bin/env bash
# local-cluster.sh -- adstats scaled out on one machine, from existing parts:
#
#   clients -> nginx -> adstats node 1..N -> twemproxy -> redis shard 1..3
#                      (stateless)          (ketama)     (append-only)
#
#   deploy/local-cluster.sh up      start it on free 127.0.0.1 ports; prints them
#   deploy/local-cluster.sh test    up, the cluster tests, down (also on failure)
#   deploy/local-cluster.sh down    stop everything `up` started
#   deploy/local-cluster.sh kill-node|start-node|kill-shard|start-shard I
#                                   faults for the tests (SIGKILL; restart on the same port)
#
# Nothing is home-made: nginx (Debian `nginx`) balances with keep-alive
# upstreams and passive health checks (deploy/nginx/adstats-server.conf);
# twemproxy (Debian `nutcracker`) shards keys over the redis-servers with
# consistent hashing. nginx runs as a private foreground process with its
# own prefix (config, logs, pid, temp files) under the cluster directory,
# never as the system service, and as `nobody` when started by root.
#
# State: the ports live in $CLUSTER_STATE (default .run/cluster.env), the
# logs, data and pid files in the directory it names; `down` stops exactly
# the processes whose pid files are there, after checking each pid still
# runs the program it was started as. Knobs (environment):
#   CLUSTER_NODES (2)          adstats nodes
#   CLUSTER_THREADS (1)        event loops per adstats node
#   CLUSTER_APPENDFSYNC (always) shards' AOF policy: always, everysec, or no (no AOF)
#   CLUSTER_ACCESS_LOG (1)     nginx access log (0 for benchmarks)
#   CLUSTER_FAIL_TIMEOUT (2s)  nginx fail_timeout for a node
#   CLUSTER_ADMIN_TOKEN (local-cluster-admin) the nodes' --admin-token
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
. tools/lib.sh

STATE=${CLUSTER_STATE:-$REPO/.run/cluster.env}
SHARDS=3
NODES=${CLUSTER_NODES:-2}
THREADS=${CLUSTER_THREADS:-1}
APPENDFSYNC=${CLUSTER_APPENDFSYNC:-always}
ACCESS_LOG=${CLUSTER_ACCESS_LOG:-1}
FAIL_TIMEOUT=${CLUSTER_FAIL_TIMEOUT:-2s}
ADMIN_TOKEN=${CLUSTER_ADMIN_TOKEN:-local-cluster-admin}  # for DELETE /statistics

die() { echo "local-cluster: $*" >&2; exit 1; }

# ---- state -----------------------------------------------------------------

load_state() {
  [ -f "$STATE" ] || die "no cluster is up (no $STATE)"
  # shellcheck disable=SC1090
  . "$STATE"
  STACK_DIR=$CLUSTER_DIR  # lib.sh's helpers put logs and data there
}

save_state() {
  mkdir -p "$(dirname "$STATE")"
  cat >"$STATE" <<EOF
CLUSTER_DIR=$CLUSTER_DIR
NGINX_PORT=$NGINX_PORT
PROXY_PORT=$PROXY_PORT
PROXY_STATS_PORT=$PROXY_STATS_PORT
VAST_PORT=$VAST_PORT
SHARD_PORTS="$SHARD_PORTS"
NODE_PORTS="$NODE_PORTS"
THREADS=$THREADS
APPENDFSYNC=$APPENDFSYNC
ADMIN_TOKEN=$ADMIN_TOKEN
EOF
}

# record NAME: the process lib.sh started last is NAME (for `down`); it is
# no longer lib.sh's to stop.
record() {
  echo "${STACK_PIDS[-1]}" >"$CLUSTER_DIR/pids/$1.pid"
  STACK_PIDS=()
}

# pick_port VAR: sets VAR to a free port not already chosen for this
# cluster (free_port only knows what listens now, and every port is chosen
# before anything starts).
pick_port() {
  local p
  while :; do
    p=$(free_port)
    [[ " $CHOSEN " == *" $p "* ]] || break
  done
  CHOSEN+=" $p"
  printf -v "$1" '%s' "$p"
}

# ---- the parts ---------------------------------------------------------------

shard_port() { local ports; read -ra ports <<<"$SHARD_PORTS"; echo "${ports[$(($1 - 1))]}"; }
node_port() { local ports; read -ra ports <<<"$NODE_PORTS"; echo "${ports[$(($1 - 1))]}"; }

launch_shard() { # I
  local port; port=$(shard_port "$1")
  local aof=(--appendonly yes --appendfsync "$APPENDFSYNC")
  [ "$APPENDFSYNC" != no ] || aof=(--appendonly no)
  # Its stdio goes to files: a process that outlives this script must not
  # hold the caller's pipe open (`up | tail` would never end).
  start_redis "$port" "${aof[@]}" </dev/null >/dev/null 2>>"$CLUSTER_DIR/shards.stderr" \
    || die "shard $1 did not start: see $CLUSTER_DIR/redis-$port/redis.log"
  record "shard$1"
}

launch_node() { # I
  start_adstats "$(node_port "$1")" "$PROXY_PORT" "$VAST_PORT" --threads "$THREADS" \
    --log-level warn --admin-token "$ADMIN_TOKEN" </dev/null
  record "node$1"
}

# twemproxy: one pool, ketama over the shards by name (shard1..3), so a
# key's shard does not depend on addresses. No ejection: a dead shard's keys
# fail (503) rather than move to another shard and split their counters.
# Its stats (server_timedout etc. per shard, on PROXY_STATS_PORT) are
# published every second (-i 1000) rather than every 30 s, for the tests.
launch_proxy() {
  local conf=$CLUSTER_DIR/nutcracker.yml i
  {
    echo "adstats:"
    echo "  listen: 127.0.0.1:$PROXY_PORT"
    sed -n '/^  hash:/,/^  servers:/p' deploy/compose/nutcracker.yml
    for i in $(seq "$SHARDS"); do echo "    - 127.0.0.1:$(shard_port "$i"):1 shard$i"; done
  } >"$conf"
  nutcracker -t -c "$conf" >/dev/null 2>&1 || die "twemproxy rejects $conf: $(nutcracker -t -c "$conf" 2>&1)"
  nutcracker -c "$conf" -s "$PROXY_STATS_PORT" -a 127.0.0.1 -i 1000 -o "$CLUSTER_DIR/nutcracker.log" \
    -p "$CLUSTER_DIR/nutcracker.pid" >/dev/null 2>&1 </dev/null &
  STACK_PIDS+=($!)
  record proxy
  wait_for_port "$PROXY_PORT"
}

launch_nginx() {
  local dir=$CLUSTER_DIR/nginx i log=off
  mkdir -p "$dir/tmp"
  cp deploy/nginx/adstats-server.conf "$dir/"
  [ "$ACCESS_LOG" = 0 ] || log="$dir/access.log adstats"
  {
    cat <<EOF
# Written by deploy/local-cluster.sh; the topology of deploy/compose/nginx.conf on loopback.
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    log_format adstats '\$status "\$upstream_status" "\$upstream_addr" \$request_method \$uri '
                       '"\$arg_username" "\$arg_sdk_version" \$request_time';
    access_log $log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    upstream adstats {
EOF
    for i in $(seq "$NODES"); do
      echo "        server 127.0.0.1:$(node_port "$i") max_fails=1 fail_timeout=$FAIL_TIMEOUT;"
    done
    cat <<EOF
        keepalive 64;
        keepalive_timeout 20s;  # below adstats' IDLE_TIMEOUT_S (30 s)
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        include $dir/adstats-server.conf;
    }
}
EOF
  } >"$dir/nginx.conf"
  local run=()
  if [ "$(id -u)" -eq 0 ]; then  # unprivileged even for root: its own files belong to nobody
    chmod 711 "$CLUSTER_DIR"
    chown -R nobody:nogroup "$dir"
    run=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  fi
  "${run[@]}" nginx -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" \
    || die "nginx rejects $dir/nginx.conf"
  "${run[@]}" nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >/dev/null 2>&1 </dev/null &
  STACK_PIDS+=($!)
  record nginx
  wait_for_port "$NGINX_PORT"
}

# ---- commands ----------------------------------------------------------------

cmd_up() {
  [ ! -e "$STATE" ] || die "a cluster is already up ($STATE): run down first"
  CLUSTER_DIR=$STACK_DIR
  mkdir -p "$CLUSTER_DIR/pids"
  local i
  local port
  SHARD_PORTS="" NODE_PORTS="" CHOSEN=""
  for i in $(seq "$SHARDS"); do pick_port port; SHARD_PORTS+="$port "; done
  for i in $(seq "$NODES"); do pick_port port; NODE_PORTS+="$port "; done
  pick_port NGINX_PORT; pick_port PROXY_PORT; pick_port PROXY_STATS_PORT; pick_port VAST_PORT
  save_state  # from here on `down` can stop whatever has started
  for i in $(seq "$SHARDS"); do launch_shard "$i"; done
  start_vastmock "$VAST_PORT"; record vastmock
  launch_proxy
  for i in $(seq "$NODES"); do launch_node "$i"; done
  launch_nginx
  cat <<EOF
adstats cluster up (state: $STATE, logs: $CLUSTER_DIR)
  nginx       http://127.0.0.1:$NGINX_PORT   e.g. curl 'http://127.0.0.1:$NGINX_PORT/statistics?username=alice'
  adstats     $(for p in $NODE_PORTS; do printf '127.0.0.1:%s ' "$p"; done)($THREADS event loop(s) each)
  twemproxy   127.0.0.1:$PROXY_PORT (stats on $PROXY_STATS_PORT)
  redis       $(for p in $SHARD_PORTS; do printf '127.0.0.1:%s ' "$p"; done)(appendfsync $APPENDFSYNC)
  vastmock    127.0.0.1:$VAST_PORT
EOF
}

# The program a pid file's process must still be running (pids get reused).
expected_comm() {
  case $1 in
    shard*) echo redis-server ;; node*) echo adstats ;; proxy) echo nutcracker ;;
    nginx) echo nginx ;; vastmock) echo vastmock ;;
  esac
}

running() { # PID NAME: alive, not a zombie, and still the program started as NAME
  local state comm
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]] || return 1
  comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
  [[ $comm == "$(expected_comm "$2")"* ]]
}

# stop SIGNAL NAME...: signals each named process, waits up to 5 s for all
# to go, then kills what is left.
stop() {
  local sig=$1 name pid; shift
  local pids=()
  for name in "$@"; do
    local file=$CLUSTER_DIR/pids/$name.pid
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    rm -f "$file"
    running "$pid" "$name" || continue
    kill "-$sig" "$pid" 2>/dev/null || true
    pids+=("$pid:$name")
  done
  local deadline=$((SECONDS + 5)) entry
  for entry in "${pids[@]}"; do
    while running "${entry%%:*}" "${entry#*:}" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    running "${entry%%:*}" "${entry#*:}" && kill -KILL "${entry%%:*}" 2>/dev/null
    wait "${entry%%:*}" 2>/dev/null || true  # reaps it when this shell started it
  done
}

cmd_down() {
  [ -f "$STATE" ] || { echo "local-cluster: nothing to stop (no $STATE)"; return 0; }
  load_state
  local names=() f
  for f in "$CLUSTER_DIR"/pids/*.pid; do [ -e "$f" ] && names+=("$(basename "$f" .pid)"); done
  # Front to back, so nothing is left sending to what is already gone.
  local order=(nginx) i
  for i in $(seq 16); do order+=("node$i"); done
  order+=(proxy vastmock)
  for i in $(seq "$SHARDS"); do order+=("shard$i"); done
  stop TERM "${order[@]}"
  rm -rf "$CLUSTER_DIR" "$STATE"
  echo "local-cluster: stopped"
}

# docker-compose.cluster.yml's configs, checked without Docker: twemproxy's
# as it is (its pool settings are the ones this cluster runs), nginx's with
# loopback addresses for the service names.
check_compose_configs() {
  nutcracker -t -c deploy/compose/nutcracker.yml >/dev/null 2>&1 \
    || die "deploy/compose/nutcracker.yml: $(nutcracker -t -c deploy/compose/nutcracker.yml 2>&1)"
  local dir=$CLUSTER_DIR/compose-check
  mkdir -p "$dir"
  sed -e "s|adstats[0-9]*:5000|127.0.0.1:$(node_port 1)|; s|listen 80;|listen 127.0.0.1:$NGINX_PORT;|" \
      -e "s|/etc/nginx/adstats-server.conf|$REPO/deploy/nginx/adstats-server.conf|" \
      -e "s|pid /tmp/nginx.pid|pid $dir/nginx.pid|" deploy/compose/nginx.conf >"$dir/nginx.conf"
  nginx -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" \
    || die "deploy/compose/nginx.conf does not pass nginx -t"
  echo "compose configs: deploy/compose/nutcracker.yml and nginx.conf pass nutcracker -t and nginx -t"
}

cmd_test() {
  export CLUSTER_STATE=$STATE
  check_compose_configs
  deploy/check-redis-commands.sh --redis-port "$(shard_port 1)" --proxy-port "$PROXY_PORT"
  PYTHONPATH=$REPO/tests${PYTHONPATH:+:$PYTHONPATH} python3 tests/cluster/test_cluster.py  # tests/harness
  # A sanitizer build (ADSTATS_BIN=build/asan/bin) reports into the nodes' logs.
  if grep -l 'Sanitizer' "$CLUSTER_DIR"/adstats-*.log 2>/dev/null; then
    die "a sanitizer report in the adstats logs above"
  fi
  echo "keys per shard (redis-cli DBSIZE, and --scan for adstats' as:* keys):"
  local i port
  for i in $(seq "$SHARDS"); do
    port=$(shard_port "$i")
    echo "  shard$i 127.0.0.1:$port  DBSIZE $(redis-cli -p "$port" DBSIZE)  as:* $(redis-cli -p "$port" --scan --pattern 'as:*' | wc -l)"
  done
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

main() {
  local cmd=${1:-}
  case $cmd in
    up)
      # shellcheck disable=SC2154  # rc is the trap's own
      trap 'rc=$?; [ $rc -eq 0 ] || { cmd_down; stack_cleanup; }; exit $rc' EXIT
      cmd_up
      trap - EXIT
      STACK_PIDS=() STACK_DIR=""  # handed over to `down`
      ;;
    test)
      # A cluster of its own, next to any that `up` started.
      STATE=$STACK_DIR.env
      # shellcheck disable=SC2154  # rc is the trap's own
      trap 'rc=$?; cmd_down >/dev/null; stack_cleanup; exit $rc' EXIT
      cmd_up
      disown -a  # down reaps them; no "Killed" notices for the faults' kills
      cmd_test
      ;;
    down) rmdir "$STACK_DIR"; cmd_down ;;
    kill-node|kill-shard)
      rmdir "$STACK_DIR"; load_state
      [[ ${2:-} =~ ^[0-9]+$ ]] || usage
      stop KILL "${cmd#kill-}$2"
      ;;
    start-node|start-shard)
      rmdir "$STACK_DIR"; load_state
      [[ ${2:-} =~ ^[0-9]+$ ]] || usage
      [ ! -f "$CLUSTER_DIR/pids/${cmd#start-}$2.pid" ] || die "${cmd#start-} $2 is running"
      # Started but never recorded (it did not come up): stopped here.
      trap '[ ${#STACK_PIDS[@]} -eq 0 ] || kill "${STACK_PIDS[@]}" 2>/dev/null || true' EXIT
      "launch_${cmd#start-}" "$2"
      ;;
    *) rmdir "$STACK_DIR"; usage ;;
  esac
}

main "$@"
