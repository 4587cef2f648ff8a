#!/usr/bin/env python3
"""Turns bench/results/bench.csv into the table between the bench markers
of BENCHMARKS.md, with each target of the benchmark checked.
Usage: report.py CSV MARKDOWN"""
import csv
import datetime
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=0):
    return "" if v is None else ("%.*f" % (digits, v))


def table(rows):
    out = ["| run | threads | req/s | ratio to HTTP ceiling | p50 ms | p99 ms | peak RSS MB | lost | extra |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rss = num(r["peak_rss_kb"])
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], r["threads"], fmt(num(r["req_per_s"])), r["ratio"],
            fmt(num(r["p50_ms"]), 2), fmt(num(r["p99_ms"]), 2),
            fmt(rss / 1024 if rss else None, 1), r["lost"], r["extra"]))
    return out


def find(rows, name, threads=None):
    for r in rows:
        if r["name"] == name and (threads is None or r["threads"] == str(threads)):
            return r
    return None


def verdicts(rows):
    out = []
    ceiling = find(rows, "http-ceiling")
    cores = ceiling["threads"] if ceiling else None

    def ratio(name):
        r = find(rows, name, cores)
        return num(r["ratio"]) if r else None

    def check(label, ok, detail):
        out.append("- %s %s: %s" % ("✅" if ok else "❌", label, detail))

    imp = find(rows, "impression", cores)
    check("/impression ≥ 70% of the HTTP ceiling", (ratio("impression") or 0) >= 0.70,
          "%.0f%%" % (100 * (ratio("impression") or 0)))
    check("/impression p99 ≤ 5 ms", imp and (num(imp["p99_ms"]) or 99) <= 5.0,
          "%s ms" % (imp["p99_ms"] if imp else "?"))
    check("/statistics ≥ 70% of the HTTP ceiling", (ratio("statistics") or 0) >= 0.70,
          "%.0f%%" % (100 * (ratio("statistics") or 0)))
    check("/ad (zero-delay upstream) ≥ 35% of the HTTP ceiling",
          (ratio("ad (upstream delay 0)") or 0) >= 0.35,
          "%.0f%%" % (100 * (ratio("ad (upstream delay 0)") or 0)))
    rss = max((num(r["peak_rss_kb"]) or 0) for r in rows if r["name"] != "http-ceiling"
              and not r["name"].startswith("storage"))
    check("adstats peak RSS ≤ 32 MB", rss <= 32 * 1024, "%.1f MB" % (rss / 1024))
    counted = [r for r in rows if r["lost"] not in ("", None)]
    lost = sum(int(r["lost"]) for r in counted)
    extra = max([int(r["extra"]) for r in counted] or [0])
    check("no lost counts (every 2xx is in Redis)", lost == 0, "%d lost" % lost)
    check("no extra counts beyond requests in flight at wrk's stop", extra <= 64,
          "at most %d in flight counted" % extra)
    for what in ("impression", "statistics"):
        small = [r for r in rows if r["name"].startswith(what + " @1000 ")]
        big = [r for r in rows if r["name"].startswith(what + " @") and r not in small]
        if small and big:
            a, b = num(small[0]["req_per_s"]), num(big[0]["req_per_s"])
            diff = abs(a - b) / max(a, b)
            check("%s with %s vs 1,000 users within 10%%" % (what, big[0]["name"].split("@")[1]),
                  diff <= 0.10, "%.1f%% apart" % (100 * diff))
    return out


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    block = [BEGIN, "", "Last run: %s (`make bench`)." % stamp, ""] + table(rows) + [""] + \
        verdicts(rows) + ["", END]
    text = "\n".join(block)
    print("\n".join(verdicts(rows)))
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
