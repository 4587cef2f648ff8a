#!/usr/bin/env bash
# check-redis-commands.sh -- adstats' Redis commands against what the
# sharding proxy supports (deploy/redis-commands.txt explains the list).
#
#   deploy/check-redis-commands.sh [--redis-port P] [--proxy-port P]
#
# The commands adstats uses are found in the code, not declared: every
# string literal in src/ and endpoints/ whose first word is the name of a
# Redis command (as a running redis-server lists them with COMMAND LIST;
# the HTTP method table, lines with METHOD_, is skipped). That catches
# store_arg_static(c, "HINCRBY"), add_keyed(b, "PFADD", ...) and
# "AUTH %s" alike. A private redis-server is started for the list unless
# --redis-port names one. With --proxy-port, each `proxy` line's example is
# then sent through that twemproxy and must not be refused.
# Exit status: 0 when every used command is listed (and, live, accepted).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
trap stack_cleanup EXIT

LIST=deploy/redis-commands.txt
redis_port="" proxy_port=""
while [ $# -gt 0 ]; do
  case $1 in
    --redis-port) redis_port=$2; shift 2 ;;
    --proxy-port) proxy_port=$2; shift 2 ;;
    *) echo "usage: $0 [--redis-port P] [--proxy-port P]" >&2; exit 2 ;;
  esac
done
if [ -z "$redis_port" ]; then
  redis_port=$(free_port)
  start_redis "$redis_port" >/dev/null
fi

known=$(redis-cli -p "$redis_port" COMMAND LIST | grep -v '|' | tr '[:lower:]' '[:upper:]' | sort -u)
[ -n "$known" ] || { echo "check: redis-server on port $redis_port listed no commands" >&2; exit 1; }
# Lines marked not-a-command hold other upper-case words (Redis error codes).
literals=$(grep -rhvE 'METHOD_|not-a-command' src endpoints --include='*.c' --include='*.h' \
             | grep -oE '"[A-Z][A-Z0-9_]*[ "]' | tr -d '" ' | sort -u)
used=$(comm -12 <(echo "$known") <(echo "$literals"))

route_of() { awk -v c="$1" '!/^#/ && $1 == c {print $2; exit}' "$LIST"; }

fail=0
echo "Redis commands named in src/ and endpoints/: $(echo "$used" | tr '\n' ' ')"
for cmd in $used; do
  case $(route_of "$cmd") in
    proxy) ;;
    handshake|direct) echo "  $cmd: $(awk -v c="$cmd" '!/^#/ && $1 == c {$1 = $2 = ""; sub(/^ +/, ""); print}' "$LIST")" ;;
    *) echo "FAIL: adstats sends $cmd, which $LIST does not cover: check that twemproxy supports it and list it" >&2
       fail=1 ;;
  esac
done

if [ -n "$proxy_port" ]; then
  # Each example alone on a fresh connection: twemproxy closes the
  # connection on a command it does not support, so redis-cli fails.
  while read -r cmd route example; do
    [ "$route" = proxy ] || continue
    example=${example%%(*}
    # shellcheck disable=SC2086  # the example is split into arguments on purpose
    if reply=$(timeout 5 redis-cli -p "$proxy_port" $example 2>&1) && [[ $reply != *ERR* ]]; then
      echo "  through twemproxy: $example -> ok"
    else
      echo "FAIL: twemproxy on port $proxy_port refused '$example': $reply" >&2
      fail=1
    fi
  done < <(grep -v '^#' "$LIST" | grep -v '^[[:space:]]*$')
  redis-cli -p "$proxy_port" DEL chk:h chk:p chk:z chk:s >/dev/null
fi
[ $fail -eq 0 ] && echo "check-redis-commands: every command adstats sends is covered by $LIST"
exit $fail
