#!/usr/bin/env bash
# Installs the Debian packages adstats needs to build, test and run, if any
# are missing. Usage: tools/deps.sh [build|test|bench|cluster]  (default: build)
# `cluster` is what deploy/local-cluster.sh needs (twemproxy and nginx, run
# as private processes, never as the system services); the test and bench
# lists include it because tests/run-all.sh and `make bench-cluster` use it.
set -euo pipefail

build=(make gcc pkg-config libmicrohttpd-dev libhiredis-dev libcurl4-openssl-dev libssl-dev
       libxml2-dev libevent-dev libjansson-dev redis-server xxd)
test_extra=(libcmocka-dev python3 curl clang libclang-rt-14-dev valgrind groff-base chromium
            libxml2-utils)
bench_extra=(wrk gnuplot-nox valgrind redis-tools iproute2)
cluster_extra=(nutcracker nginx redis-tools python3 curl)

want=("${build[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_extra[@]}" "${cluster_extra[@]}") ;;
  bench) want+=("${test_extra[@]}" "${bench_extra[@]}" "${cluster_extra[@]}") ;;
  cluster) want+=("${cluster_extra[@]}") ;;
  *) echo "usage: $0 [build|test|bench|cluster]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js and npm (for newman and the browser tests) may come from outside
# Debian; only a machine with neither gets Debian's.
case "${1:-build}" in test|bench) need_node=1 ;; *) need_node=0 ;; esac
if [ $need_node -eq 1 ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages and not root; run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
