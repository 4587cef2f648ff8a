"""test_concurrency_dimensions.py -- under concurrency, every dimension is
exact: all-time totals, day buckets, top lists and the event stream.

Eight client processes, each with its own keep-alive connection, send
16,000 requests in total (a third /ad, the rest /impression, some as form
POSTs), each with a user, SDK version, country and platform drawn at random
from small sets, so that the write combining of the store (combine.h) sees
many equal keys at once. Every client tallies what got a 200; afterwards
/statistics, Redis' hashes (all-time and today's), every top list and the
stream length must equal the tallies exactly.
"""

import collections
import os
import sys
import time
import unittest
import urllib.parse

from harness import StackTestCase, event_params
from harness.concurrency import DEADLINE_S, run_clients, send_events
from harness.keys import day_bucket_key, day_counts

CLIENTS = 8
TOTAL_REQUESTS = 16000
NOW = "2025-06-01"
STREAM = "conc-events"

# dimension: (/statistics parameter, key letter)
DIMS = {"username": ("username", "u"), "sdk": ("sdk", "s"), "country": ("country", "c"),
        "platform": ("platform", "p")}


def client_main(port, client_id, n_requests, values, seed):
    """Tallies keyed by (kind, dimension, value): one event counts in each
    of its four dimensions."""
    def draw(rng, i):
        pick = {d: rng.choice(values[d]) for d in DIMS}
        query = urllib.parse.urlencode(event_params(
            pick["username"], pick["sdk"], session_id="c%d-%d" % (client_id, i % 7),
            platform=pick["platform"], country_code=pick["country"].lower()))
        return query, [(d, pick[d]) for d in DIMS]

    return send_events(port, client_id, n_requests, seed, draw)


class ConcurrentDimensionTests(StackTestCase):
    adstats_args = ("--now", NOW, "--events-stream", STREAM)

    def test_every_dimension_and_top_list_is_exact(self):
        tag = "%d" % os.getpid()
        values = {"username": ["cd-%s-u%d" % (tag, i) for i in range(5)],
                  "sdk": ["8.%s.%d" % (tag, i) for i in range(3)],
                  "country": ["US", "DE", "JP", "BR"],
                  "platform": ["ios", "android", "tv_os-2"]}
        per_client = TOTAL_REQUESTS // CLIENTS
        jobs = [(self.app.port, c, per_client, values, 500 + c) for c in range(CLIENTS)]
        started = time.monotonic()
        results = run_clients(jobs, DEADLINE_S + 20, client_main)
        elapsed = time.monotonic() - started
        self.assertEqual([r["crash"] for r in results if "crash" in r], [])
        ok, statuses, errors = collections.Counter(), collections.Counter(), []
        for r in results:
            ok.update({tuple(k): v for k, v in r["ok"].items()})
            statuses.update(r["statuses"])
            errors += r["errors"]
        sys.stderr.write("\n  concurrency (4 dimensions): %d requests in %.2f s: %.0f/s; %s\n"
                         % (sum(statuses.values()), elapsed, sum(statuses.values()) / elapsed,
                            dict(statuses)))
        self.assertEqual(errors, [], errors[:5])
        self.assertEqual(sum(statuses.values()), TOTAL_REQUESTS)

        mismatches = []
        today = NOW.replace("-", "")
        for dim, (param, letter) in DIMS.items():
            for value in values[dim]:
                imp, req = ok["imp", dim, value], ok["ad", dim, value]
                want = {"impressions": imp, "ad_requests": req,
                        "fill_rate": imp / req if req else 0}
                doc = self.assertJSON(self.stats(**{param: value}), 200)
                if doc != {"success": True, value: want}:
                    mismatches.append("%s=%s: /statistics %r, tallied %r"
                                      % (param, value, doc, want))
                raw = {k: v for k, v in (("imp", imp), ("req", req)) if v}
                for where, got in (("as:%s:t:%s" % (letter, value),
                                    self.redis.hgetall("as:%s:t:%s" % (letter, value))),
                                   ("%s, fields of %s" % (day_bucket_key(letter, today, value),
                                                          value),
                                    day_counts(self.redis, letter, today, value))):
                    if got != raw:
                        mismatches.append("%s: %r, tallied %r" % (where, got, raw))
            for kind, field in (("imp", "imp"), ("ad", "req")):
                key = "as:%s:top:%s" % (letter, field)
                flat = self.redis.command("ZRANGE", key, 0, -1, "WITHSCORES")
                got = {flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)}
                want = {v: ok[kind, dim, v] for v in values[dim] if ok[kind, dim, v]}
                if got != want:
                    mismatches.append("%s: %r, tallied %r" % (key, got, want))
                doc = self.assertJSON(self.app.get("/statistics/top", {
                    "dimension": dim, "metric": "impressions" if kind == "imp" else "ad_requests",
                    "limit": "100"}), 200)
                listed = [e["value"] for e in doc["top"]]
                if sorted(listed) != sorted(want) or [want[v] for v in listed] != sorted(
                        want.values(), reverse=True):
                    mismatches.append("/statistics/top %s %s: %r, tallied %r"
                                      % (dim, kind, listed, want))
        self.assertEqual(mismatches, [])
        self.assertEqual(self.redis.command("XLEN", STREAM), TOTAL_REQUESTS)


if __name__ == "__main__":
    unittest.main()
