#!/usr/bin/env bash
# `make bench-callgrind`: instructions per request, a figure that does not
# move with machine noise. adstats runs under valgrind's callgrind with one
# worker thread four times: serving nothing, serving N /impression
# requests of one user (hot: write combining's best case), N /impression
# requests each from a new user with a new session (distinct: the
# realistic case) and N /statistics requests (one keep-alive client, one
# request at a time); per request = (run - idle run) / N. Start-up and
# shutdown cancel out. Then the tracking rows: /ad on a zero-delay upstream
# without and with --tracking-url (seven signed trackers injected per ad),
# GET /t with N distinct valid tokens (each counted: minted beforehand
# through /ad by an adstats outside valgrind), the same token N times
# (a duplicate after the first: the claim, no counting) and /impression
# with a distinct, and with a repeated, event_id to set them against. The
# ratios are instruction ratios (throughput goes as their inverse). The bare libmicrohttpd responder (bench-bare) and
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

tracking=(--tracking-url http://adstats.test --tracking-secret callgrind-tracking-secret)

# run NAME PATH COUNT [RESPONDER|""] [adstats flags...] -> prints total
# instructions of adstats (or of the responder binary RESPONDER) for that run
run() {
  local port; port=$(free_port)
  local extra=("${@:5}")
  if [ -n "${4:-}" ]; then
    valgrind --tool=callgrind --callgrind-out-file="$out.$1" \
      "$4" "$port" 1 >"$out.$1.log" 2>&1 &
  else
    valgrind --tool=callgrind --callgrind-out-file="$out.$1" \
      bin/adstats --threads 1 --port "$port" --bind 127.0.0.1 \
      --redis-url "redis://127.0.0.1:$redis_port/0" --vast-url "http://127.0.0.1:$vast_port/vast" \
      --error-log "$(stack_dir)/errors.log" "${extra[@]}" >"$out.$1.log" 2>&1 &
  fi
  local pid=$!
  wait_for_port "$port" 60
  [ "$3" -eq 0 ] || python3 bench/client.py "$port" "$2" "$3"
  kill -TERM "$pid"; wait "$pid"
  awk '/^(summary|totals):/ {print $2; exit}' "$out.$1"
}

# mint N pixel URLs (the first tracker of N ads), one a line, into FILE
mint_pixels() {
  local port; port=$(free_port)
  start_adstats "$port" "$redis_port" "$vast_port" "${tracking[@]}"
  wait_for_port "$port"
  python3 - "$port" "$N" "$1" <<'PY'
import http.client, re, sys
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
with open(path, "w") as f:
    for i in range(n):
        conn.request("GET", "/ad?sdk_version=3.0&session_id=m%d&platform=ios&username=mint"
                     "&country_code=US" % i)
        body = conn.getresponse().read().decode()
        f.write(re.search(r"http://adstats\.test(/t\?k=[^\]<\s]+)", body).group(1) + "\n")
PY
}
pixels="$(stack_dir)/pixels"; mint_pixels "$pixels"
pixel=$(head -1 "$pixels")

bare_idle=$(run bare-idle / 0 bin/bench-bare)
bare=$(run bare "/impression?$q" "$N" bin/bench-bare)
ceiling_idle=$(run ceiling-idle / 0 bin/bench-ceiling)
ceiling=$(run ceiling "/impression?$q" "$N" bin/bench-ceiling)
idle=$(run idle / 0)
imp=$(run impression "/impression?$q" "$N")
distinct=$(run distinct "/impression?$qd" "$N")
stats=$(run statistics "/statistics?username=cg" "$N")
ad=$(run ad "/ad?$q" "$N")
ad_track=$(run ad-tracking "/ad?$q" "$N" "" "${tracking[@]}")
track_idle=$(run tracking-idle / 0 "" "${tracking[@]}")
pixel_distinct=$(run pixel "@$pixels" "$N" "" "${tracking[@]}")
pixel_dup=$(run pixel-duplicate "$pixel" "$N" "" "${tracking[@]}")
imp_eid=$(run impression-event-id "/impression?$q&event_id=e{n}" "$N")
imp_eid_dup=$(run impression-event-id-duplicate "/impression?$q&event_id=e1" "$N")
per_bare=$(( (bare - bare_idle) / N ))
per_ceiling=$(( (ceiling - ceiling_idle) / N ))
per_imp=$(( (imp - idle) / N ))
per_distinct=$(( (distinct - idle) / N ))
per_stats=$(( (stats - idle) / N ))
per_ad=$(( (ad - idle) / N ))
per_ad_track=$(( (ad_track - track_idle) / N ))
per_pixel=$(( (pixel_distinct - track_idle) / N ))
per_pixel_dup=$(( (pixel_dup - track_idle) / N ))
per_imp_eid=$(( (imp_eid - idle) / N ))
per_imp_eid_dup=$(( (imp_eid_dup - idle) / N ))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "instructions per request (callgrind, $N sequential requests, 1 worker thread):"
echo "  bare libmicrohttpd responder          $per_bare"
echo "  responder on adstats' http_start()    $per_ceiling"
echo "  /impression, hot user                 $per_imp"
echo "  /impression, distinct users           $per_distinct"
echo "  /statistics                           $per_stats"
echo "  /ad, zero-delay upstream              $per_ad"
echo "  /ad with tracking (7 trackers)        $per_ad_track"
echo "  /t, a new valid token each            $per_pixel"
echo "  /t, one token repeated (duplicates)   $per_pixel_dup"
echo "  /impression, a new event_id each      $per_imp_eid"
echo "  /impression, one event_id repeated    $per_imp_eid_dup"
echo "ratios (throughput on one core goes as the inverse of instructions):"
echo "  /ad / ceiling                         $(ratio "$per_ceiling" "$per_ad")  (goal >= 0.35)"
echo "  /ad with tracking / /ad               $(ratio "$per_ad" "$per_ad_track")  (goal >= 0.90)"
echo "  /t / /impression (hot user)           $(ratio "$per_imp" "$per_pixel")  (goal >= 0.95)"
echo "  /t / /impression with event_id        $(ratio "$per_imp_eid" "$per_pixel")"
echo "  /t / /impression, both duplicates     $(ratio "$per_imp_eid_dup" "$per_pixel_dup")"
echo "(callgrind counts each byte of a 'rep stosb' memset as an instruction: libmicrohttpd"
echo " zeroes its 32 KiB connection pool per request, which is most of the responder's figure)"
csv=bench/results/callgrind.csv
header="date,commit,requests,ceiling_instr,impression_instr,statistics_instr,bare_instr,distinct_instr,ad_instr,ad_tracking_instr,pixel_instr,pixel_duplicate_instr,impression_event_id_instr,impression_event_id_duplicate_instr"
[ -f $csv ] || echo "$header" >$csv
# Files written before the later columns get them appended.
[ "$(head -1 $csv)" = "$header" ] || sed -i "1s/.*/$header/" $csv
echo "$(date -u +%F),$(git rev-parse --short HEAD 2>/dev/null || echo unknown),$N,$per_ceiling,$per_imp,$per_stats,$per_bare,$per_distinct,$per_ad,$per_ad_track,$per_pixel,$per_pixel_dup,$per_imp_eid,$per_imp_eid_dup" >>$csv
