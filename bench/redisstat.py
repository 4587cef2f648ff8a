#!/usr/bin/env python3
"""What a benchmark run cost Redis, from Redis' own INFO, whatever the key
layout: commands (INFO commandstats), CPU (used_cpu_sys + used_cpu_user)
and memory (used_memory).

  redisstat.py snap PORT > FILE
      one snapshot, as JSON
  redisstat.py diff BEFORE AFTER EVENTS [NEW_USERS]
      prints one CSV row fragment for EVENTS acknowledged events:
      cmds_per_event,redis_cpu_us_per_event,redis_bytes_per_user,commands
      where redis_bytes_per_user is the used_memory delta / NEW_USERS (empty
      without NEW_USERS) and commands the per-command breakdown, most
      frequent first, as NAME:PER_EVENT separated by ';'. The INFO calls of
      the snapshots themselves are left out."""
import json
import subprocess
import sys


def info(port, section):
    out = subprocess.run(["redis-cli", "-p", str(port), "info", section], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            yield key.strip(), value.strip()


def snap(port):
    calls = {}
    for key, value in info(port, "commandstats"):
        fields = dict(f.split("=", 1) for f in value.split(","))
        calls[key[len("cmdstat_"):].upper()] = int(fields["calls"])
    cpu = dict(info(port, "cpu"))
    memory = dict(info(port, "memory"))
    return {"calls": calls,
            "cpu_s": float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]),
            "used_memory": int(memory["used_memory"])}


def diff(before, after, events, new_users):
    if events <= 0:
        return ",,,"
    delta = {name: n - before["calls"].get(name, 0) for name, n in after["calls"].items()}
    delta = {name: n for name, n in delta.items() if n > 0 and name != "INFO"}
    total = sum(delta.values())
    cpu_us = (after["cpu_s"] - before["cpu_s"]) * 1e6 / events
    memory = ("%.0f" % ((after["used_memory"] - before["used_memory"]) / new_users)
              if new_users else "")
    breakdown = ";".join("%s:%.2f" % (name, n / events)
                         for name, n in sorted(delta.items(), key=lambda kv: -kv[1]))
    return "%.2f,%.2f,%s,%s" % (total / events, cpu_us, memory, breakdown)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "snap":
        json.dump(snap(sys.argv[2]), sys.stdout)
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "diff":
        before, after = (json.load(open(path)) for path in sys.argv[2:4])
        new_users = int(sys.argv[5]) if len(sys.argv) == 6 and sys.argv[5] else 0
        print(diff(before, after, int(sys.argv[4]), new_users))
    else:
        sys.exit(__doc__)


main()
