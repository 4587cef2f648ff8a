#!/usr/bin/env python3
"""Turns bench/results/bench.csv into the tables between the bench markers
of BENCHMARKS.md, with each target of the benchmark checked (issue 15's
targets for the realistic workloads).
Usage: report.py CSV MARKDOWN [PAIRED_CSV]"""
import csv
import datetime
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CONNS = 64


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=0):
    return "" if v is None else ("%.*f" % (digits, v))


def table(rows):
    out = ["| run | threads | req/s | ratio to HTTP ceiling | ratio to the ceiling runs next to it "
           "| ratio to bare libmicrohttpd "
           "| p50 ms | p99 ms | Redis commands / event | Redis CPU µs / event "
           "| Redis bytes / user | adstats CPU µs / event | lost | extra | peak RSS MB |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rss = num(r["peak_rss_kb"])
        out.append("| %s |" % r["name"] + " %s |" * 14 % (
            r["threads"], fmt(num(r["req_per_s"])), r["ratio"], r.get("ratio_near") or "",
            r["ratio_bare"],
            fmt(num(r["p50_ms"]), 2), fmt(num(r["p99_ms"]), 2), r["cmds_per_event"],
            r["redis_cpu_us_per_event"], r["redis_bytes_per_user"],
            r.get("adstats_cpu_us_per_event") or "", r["lost"], r["extra"],
            fmt(rss / 1024 if rss else None, 1)))
    return out


def commands(rows):
    """Commands per event by name, for the runs that measured them."""
    measured = [r for r in rows if r["commands"]]
    names = []
    for r in measured:
        for item in r["commands"].split(";"):
            if item.split(":")[0] not in names:
                names.append(item.split(":")[0])
    if not measured:
        return []
    out = ["| run | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for r in measured:
        per = dict(item.split(":") for item in r["commands"].split(";"))
        out.append("| %s | " % r["name"] + " | ".join(per.get(n, "") for n in names) + " |")
    return out


def find(rows, prefix, threads=None):
    for r in rows:
        if r["name"].startswith(prefix) and (threads is None or r["threads"] == str(threads)):
            return r
    return None


def verdicts(rows, paired):
    out = []
    ceiling = find(rows, "http-ceiling")
    cores = ceiling["threads"] if ceiling else None

    def field(prefix, name):
        r = find(rows, prefix, cores)
        return num(r.get(name)) if r else None

    def check(label, value, ok, detail):
        if value is None:
            out.append("- ❔ %s: not measured" % label)
        else:
            out.append("- %s %s: %s" % ("✅" if ok(value) else "❌", label, detail % value))

    def ratio_check(label, prefix, goal):
        """A ratio goal holds only against both references: the run's median
        ceiling and the ceiling runs right before and after the row."""
        r = find(rows, prefix, cores)
        start = num(r.get("ratio")) if r else None
        near = num(r.get("ratio_near")) if r else None
        if start is None or near is None:
            check(label, start, lambda v: v >= goal, "%.2f")
            return
        out.append("- %s %s: %.2f against the run's ceiling, %.2f against the ceiling runs "
                   "next to it" % ("✅" if min(start, near) >= goal else "❌", label, start, near))

    for how, prefix in (("holding every request's connection for one loop turn, as adstats "
                         "does while Redis works,", "http-ceiling (held one loop turn"),
                        ("suspending it instead, as /ad does while the upstream works,",
                         "http-ceiling (suspended one loop turn")):
        waited = find(rows, prefix)
        if ceiling and waited and num(ceiling["req_per_s"]):
            out.append("- ℹ️ %s leaves the http_start() responder %.2f of its throughput "
                       "(%s against %s req/s)"
                       % (how, num(waited["req_per_s"]) / num(ceiling["req_per_s"]),
                          fmt(num(waited["req_per_s"])), fmt(num(ceiling["req_per_s"]))))
    zipf_ceiling = find(rows, "http-ceiling (zipf requests")
    if ceiling and zipf_ceiling and num(ceiling["req_per_s"]):
        out.append("- ℹ️ the zipf row's ratios are to the ceiling loaded with the same zipf requests "
                   "(%s req/s, %.2f of the distinct-mode ceiling: wrk's Zipf draw costs it that)"
                   % (fmt(num(zipf_ceiling["req_per_s"])),
                      num(zipf_ceiling["req_per_s"]) / num(ceiling["req_per_s"])))
    ratio_check("distinct-user /impression ≥ 45% of the HTTP ceiling", "distinct users", 0.45)
    ratio_check("zipf /impression ≥ 55% of the HTTP ceiling", "zipf users", 0.55)
    ratio_check("hot-user /impression (one URL) ≥ 70% of the HTTP ceiling", "hot user (one URL)",
                0.70)
    skewed = find(rows, "hot user (skewed", cores)
    if skewed:
        out.append("- ℹ️ one user with skewed SDK versions, countries and platforms: %s against "
                   "the run's ceiling, %s against the ceiling runs next to it"
                   % (skewed["ratio"], skewed.get("ratio_near") or "?"))
    check("distinct-user /impression p99 ≤ 5 ms", field("distinct users", "p99_ms"),
          lambda v: v <= 5.0, "%.2f ms")
    check("Redis commands per distinct-user event ≤ 5", field("distinct users", "cmds_per_event"),
          lambda v: v <= 5, "%.2f")
    check("Redis memory per new user ≤ 350 B", field("distinct users", "redis_bytes_per_user"),
          lambda v: v <= 350, "%.0f B")
    out.append("- ℹ️ Redis memory per further active day of a user: %s B; Redis CPU per "
               "distinct-user event: %s µs; adstats' own CPU per distinct-user event: %s µs" % (
                   fmt(field("same users next day", "redis_bytes_per_user")) or "?",
                   fmt(field("distinct users", "redis_cpu_us_per_event"), 2) or "?",
                   fmt(field("distinct users", "adstats_cpu_us_per_event"), 1) or "?"))
    ratio_check("/statistics ≥ 70% of the HTTP ceiling", "statistics", 0.70)
    ratio_check("/ad (zero-delay upstream) ≥ 35% of the HTTP ceiling", "ad (upstream delay 0)",
                0.35)
    for label, pair, goal in (("/ad with tracking vs without", "ad tracking on / off", 0.90),
                              ("/t vs /impression with event_id",
                               "t: impression pixel / impression + event_id", 0.95),
                              ("/t vs plain /impression (no claim round trip)",
                               "t: impression pixel / plain impression", 0.95)):
        p = paired.get(pair)
        if p:
            check("%s ≥ %.2f (median of %s paired rounds)" % (label, goal, p["rounds"]),
                  num(p["ratio"]), lambda v, g=goal: v >= g, "%.2f")
    rss = max([num(r["peak_rss_kb"]) or 0 for r in rows
               if not r["name"].startswith(("http-ceiling", "storage"))] or [0])
    check("adstats peak RSS ≤ 32 MB", rss / 1024, lambda v: v <= 32, "%.1f MB")
    counted = [r for r in rows if r["lost"] not in ("", None)]
    check("no lost counts (every 2xx is counted)", sum(int(r["lost"]) for r in counted),
          lambda v: v == 0, "%d lost")
    check("no extra counts beyond requests in flight at wrk's stop",
          max([int(r["extra"]) for r in counted] or [0]), lambda v: v <= CONNS,
          "at most %d in flight counted")
    for what in ("distinct", "zipf"):
        small = find(rows, what + " @1000 ")
        big = [r for r in rows if r["name"].startswith(what + " @") and r is not small]
        if small and big:
            a, b = num(small["req_per_s"]), num(big[0]["req_per_s"])
            check("%s with %s vs 1,000 users within 10%%" % (what, big[0]["name"].split("@")[1]),
                  100 * abs(a - b) / max(a, b, 1), lambda v: v <= 10, "%.1f%% apart")
    return out


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    paired = {}
    if len(sys.argv) > 3:  # the ratios of paired rounds (bench.sh's PAIRED)
        paired = {r["pair"]: r for r in csv.DictReader(open(sys.argv[3]))}
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = [BEGIN, "", "Last run: %s (`make bench`)." % stamp, ""] + table(rows) + [""] + \
        ["Redis commands per event, by command:", ""] + commands(rows) + [""] + \
        verdicts(rows, paired) + ["", END]
    text = "\n".join(block)
    print("\n".join(verdicts(rows, paired)))
    try:
        doc = open(sys.argv[2]).read()
    except FileNotFoundError:
        doc = "# Benchmarks\n\n%s\n%s\n" % (BEGIN, END)
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        doc = head + text + rest.split(END, 1)[1]
    else:
        doc += "\n" + text + "\n"
    open(sys.argv[2], "w").write(doc)


main()
