#!/usr/bin/env python3
"""Reads wrk --latency output on stdin; prints one CSV row fragment:
req_per_s,p50_ms,p99_ms,requests,non2xx,socket_errors"""
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
total = re.search(r"(\d+) requests in", out)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
print("%.0f,%.3f,%.3f,%d,%d,%d" % (
    float(rate.group(1)) if rate else 0.0,
    ms(p50.group(1)) if p50 else float("nan"),
    ms(p99.group(1)) if p99 else float("nan"),
    int(total.group(1)) if total else 0,
    int(non2xx.group(1)) if non2xx else 0,
    sum(int(g) for g in errors.groups()) if errors else 0))
