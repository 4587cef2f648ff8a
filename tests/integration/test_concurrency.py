"""test_concurrency.py -- concurrent increments are never lost nor doubled.

Eight client processes, each with its own keep-alive http.client
connection, send 40,000 requests in total -- about a third /ad, the rest
/impression, some as form POSTs -- spread over 4 users and 3 SDK versions.
Every client tallies what it sent and what got a 200; afterwards
/statistics (and Redis itself) must show exactly the tallies for every user
and every SDK version, and every request must have got a 200.
"""

import collections
import os
import sys
import time
import unittest

from harness import StackTestCase
from harness.concurrency import CLIENTS, DEADLINE_S, run_clients

TOTAL_REQUESTS = 40000


class ConcurrentIncrementTests(StackTestCase):

    def test_concurrent_increments_are_exact(self):
        tag = "%d-%d" % (os.getpid(), int(time.time()))
        users = ["conc-%s-user%d" % (tag, i) for i in range(4)]
        sdks = ["%d.%d.%d" % (7, os.getpid() % 10000, i) for i in range(3)]
        per_client = TOTAL_REQUESTS // CLIENTS
        jobs = [(self.app.port, c, per_client, users, sdks, 1000 + c) for c in range(CLIENTS)]

        started = time.monotonic()
        results = run_clients(jobs, DEADLINE_S + 20)
        elapsed = time.monotonic() - started
        crashes = [r["crash"] for r in results if "crash" in r]
        self.assertEqual(crashes, [])

        sent, ok, statuses = collections.Counter(), collections.Counter(), collections.Counter()
        errors = []
        for r in results:
            sent.update({tuple(k): v for k, v in r["sent"].items()})
            ok.update({tuple(k): v for k, v in r["ok"].items()})
            statuses.update(r["statuses"])
            errors += r["errors"]
        total = sum(sent.values())
        ads = sum(v for k, v in sent.items() if k[0] == "ad")
        sys.stderr.write("\n  concurrency: %d requests (%d /ad) from %d clients in %.2f s: "
                         "%.0f requests/s; statuses %s\n"
                         % (total, ads, CLIENTS, elapsed, total / elapsed, dict(statuses)))

        # Every user and SDK version shows exactly what was answered 200.
        # (Checked first: it tells whether requests that failed were counted.)
        mismatches = []
        for dim, values, idx, param in (("u", users, 1, "username"), ("s", sdks, 2, "sdk")):
            for i, value in enumerate(values):
                imp = sum(v for k, v in ok.items() if k[0] == "imp" and k[idx] == i)
                req = sum(v for k, v in ok.items() if k[0] == "ad" and k[idx] == i)
                expected = {"impressions": imp, "ad_requests": req,
                            "fill_rate": imp / req if req else 0}
                doc = self.assertJSON(self.stats(**{param: value}), 200)
                if doc != {"success": True, value: expected}:
                    mismatches.append("%s %s: /statistics %r, tallied %r"
                                      % (param, value, doc.get(value), expected))
                raw = self.counters(dim, value)
                if raw != {"imp": imp, "req": req}:
                    mismatches.append("%s %s: Redis %r, tallied imp=%d req=%d"
                                      % (param, value, raw, imp, req))

        self.assertEqual(total, TOTAL_REQUESTS, errors[:5])
        self.assertEqual(errors, [], "%d requests failed; first: %s; counters: %s\n"
                         "adstats stderr (tail):\n%s"
                         % (len(errors), errors[:5], mismatches or "as tallied for 200s",
                            self.app.stderr()[-3000:]))
        self.assertEqual(sum(ok.values()), TOTAL_REQUESTS)
        self.assertEqual(mismatches, [])
        self.assertLess(elapsed, 100)


if __name__ == "__main__":
    unittest.main(verbosity=2)
