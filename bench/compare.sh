#!/usr/bin/env bash
# bench/compare.sh -- /impression throughput of two builds, alternated so
# that both see the same machine (other load on a shared box comes and
# goes): OLD NEW NEW OLD OLD NEW ..., ROUNDS times each (default 4), each a
# fresh stack and a DURATION (default 5s) wrk run. Prints every run and the
# medians.   usage: bench/compare.sh OLD_BIN_DIR NEW_BIN_DIR [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-4}
run() { # one fresh stack and wrk run; retried once if the stack did not start
  local r
  for _ in 1 2; do
    r=$(ADSTATS_BIN=$1 bench/impression.sh 1 2>/dev/null | awk '/req\/s/ {print $3}') || true
    [ -n "$r" ] && { echo "$r"; return; }
  done
  echo 0
}
olds=() news=()
for i in $(seq "$rounds"); do
  if [ $((i % 2)) -eq 1 ]; then o=$(run "$old"); n=$(run "$new"); else n=$(run "$new"); o=$(run "$old"); fi
  echo "round $i: old $o  new $n"
  olds+=("$o"); news+=("$n")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mo=$(median "${olds[@]}"); mn=$(median "${news[@]}")
echo "median: old $mo  new $mn  ratio $(awk -v a="$mn" -v b="$mo" 'BEGIN {printf "%.3f", a/b}')"
