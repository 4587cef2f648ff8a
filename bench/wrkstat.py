#!/usr/bin/env python3
"""Reads wrk --latency output on stdin; prints one CSV row fragment:
req_per_s,p50_ms,p99_ms,requests,non2xx,socket_errors
When bench/wrk/events.lua counted the events itself (its EVENTS line: a
run bounded by a count, whose extra /bench-done probes are no events), the
rate, requests and non2xx are those events' over the time wrk ran."""
import re
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


out = sys.stdin.read()
rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
total = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
events = re.search(r"^EVENTS,(\d+),(\d+)$", out, re.M)
rate = float(rate.group(1)) if rate else 0.0
requests = int(total.group(1)) if total else 0
non2xx = int(non2xx.group(1)) if non2xx else 0
if events and total:
    ok, failed = int(events.group(1)), int(events.group(2))
    rate, requests, non2xx = (ok + failed) / (ms(total.group(2)) / 1000), ok + failed, failed
print("%.0f,%.3f,%.3f,%d,%d,%d" % (
    rate, ms(p50.group(1)) if p50 else float("nan"), ms(p99.group(1)) if p99 else float("nan"),
    requests, non2xx, sum(int(g) for g in errors.groups()) if errors else 0))
