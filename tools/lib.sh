# tools/lib.sh -- shell helpers shared by `make run`, the benchmarks and the
# cluster scripts: free loopback ports, a private redis-server, the mock
# upstream, waiting for a port, and stopping everything that was started.
# Source it; call `stack_cleanup` from an EXIT trap.

STACK_PIDS=()
# Scratch space for logs and data, made now (not lazily: a command
# substitution would make it in a subshell, and the parent would never
# know or remove it).
STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/adstats.XXXXXX")

# Prints a TCP port on 127.0.0.1 that nothing listens on (from a random
# starting point, so parallel runs rarely collide). Ports come from below
# the kernel's ephemeral range: a port in that range may be the local end
# of some client connection, which a connect probe cannot see but which
# makes the server's bind fail. The Python test harness follows the same
# policy (tests/harness/ports.py) and holds an flock on
# $TMPDIR/adstats-ports/PORT for each port it hands out: those are skipped.
free_port() {
  local low=32768 _high
  read -r low _high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 11000 ] || low=32768
  local span=$((low - 10000))
  local port=$((10000 + RANDOM % span)) tries=0
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || port_held "$port"; do
    port=$((10000 + (port - 10000 + 1) % span)); tries=$((tries + 1))
    [ $tries -lt 1000 ] || { echo "no free port found" >&2; return 1; }
  done
  echo "$port"
}

# port_held PORT: true if a Python harness process holds the port's lock.
port_held() {
  local locks=${TMPDIR:-/tmp}/adstats-ports
  [ -d "$locks" ] || return 1
  flock -n -E 75 "$locks/$1" true 2>/dev/null
  [ $? -eq 75 ]
}

# wait_for_port PORT [SECONDS]
wait_for_port() {
  local deadline=$((SECONDS + ${2:-10}))
  until (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "nothing listens on port $1" >&2; return 1; }
    sleep 0.05
  done
}

# Prints the scratch directory.
stack_dir() {
  echo "$STACK_DIR"
}

# Remakes the scratch directory if stack_cleanup removed it (start_* call
# this in the calling shell, never in a $(...) subshell).
stack_ensure_dir() {
  [ -n "$STACK_DIR" ] || STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/adstats.XXXXXX")
}

# start_redis PORT [extra redis-server args...]
start_redis() {
  local port=$1; shift
  local dir; dir=$(stack_dir)/redis-$port
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
    --appendonly no --logfile "$dir/redis.log" "$@" &
  STACK_PIDS+=($!)
  wait_for_port "$port"
}

# start_vastmock PORT [extra args...]
start_vastmock() {
  local port=$1; shift
  "${ADSTATS_BIN:-bin}/vastmock" --port "$port" "$@" >"$(stack_dir)/vastmock-$port.log" 2>&1 &
  STACK_PIDS+=($!)
  wait_for_port "$port"
}

# start_adstats PORT REDIS_PORT VAST_PORT [extra flags...]
start_adstats() {
  local port=$1 redis_port=$2 vast_port=$3; shift 3
  "${ADSTATS_BIN:-bin}/adstats" --port "$port" --bind 127.0.0.1 \
    --redis-url "redis://127.0.0.1:$redis_port/0" \
    --vast-url "http://127.0.0.1:$vast_port/vast" \
    --error-log "$(stack_dir)/backend_errors.log" "$@" \
    >>"$(stack_dir)/adstats-$port.log" 2>&1 &
  STACK_PIDS+=($!)
  wait_for_port "$port"
}

# Stops every process started above (TERM, then KILL after 5 s) and removes
# the scratch directory.
stack_cleanup() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STACK_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  STACK_PIDS=()
  [ -z "$STACK_DIR" ] || rm -rf "$STACK_DIR"
}
