"""test_analytics.py -- the analytics features against a real Redis.

Every event counts per user, SDK version, country and platform, all-time
and per UTC day (day buckets expire after --retention-days); /statistics
filters by any of the four, over a range of days, with a daily series and
unique sessions; /statistics/top lists the leaders of a dimension; event_id
makes retries safe (also under a race of 50 identical requests);
--events-stream appends counted events to a Redis stream; DELETE
/statistics forgets a subject, behind the admin token. The clock is frozen
with --now, and further adstats processes with other --now values on the
same Redis put events on other days (the day boundary).
"""

import collections
import json
import os
import socket
import threading
import time
import unittest

from harness import (HTTPClient, StackTestCase, event_params, eventually, request, unique,
                     unique_version)
from harness.keys import day_bucket_key, day_counts

TOKEN = "t0ken-for-the-tests"
STREAM = "as-test-events"
D0 = "2025-03-10"              # the frozen "today"
D0_EPOCH = 1741564800          # 2025-03-10T00:00:00Z
DAY = 86400
RETENTION_S = 400 * DAY
FLASK_MISSING = (b'{"success": false, "message": '
                 b'"following params are required [\'username\', \'sdk\']"}')

_platforms = iter(range(1, 1 << 30))


def unique_platform():
    return "pf-%d-%d" % (os.getpid() % 100000, next(_platforms))


def day(offset):
    """D0 + offset days as YYYY-MM-DD."""
    return time.strftime("%Y-%m-%d", time.gmtime(D0_EPOCH + offset * DAY))


def compact(offset):
    return day(offset).replace("-", "")


class AnalyticsCase(StackTestCase):
    adstats_args = ("--now", D0, "--admin-token", TOKEN, "--events-stream", STREAM)

    def send(self, kind, user, sdk, country="US", platform="ios", session="s1", event_id=None,
             app=None, post=False):
        params = event_params(user, sdk, session_id=session, platform=platform,
                              country_code=country)
        if event_id is not None:
            params.append(("event_id", event_id))
        app = app or self.app
        path = "/impression" if kind == "imp" else "/ad"
        return app.post_form(path, params) if post else app.get(path, params)

    def ok(self, resp):
        self.assertEqual(resp[0], 200, resp[2][:300])
        return resp

    def at(self, when, *extra):
        """Another adstats on the same Redis, its clock frozen at `when`."""
        return self.stack.start_adstats(["--now", str(when), "--admin-token", TOKEN,
                                         "--events-stream", STREAM] + list(extra))

    def stats_doc(self, params, status=200):
        return self.assertJSON(self.app.get("/statistics", params), status)

    def counts_of(self, params):
        """The counts object of a /statistics answer (zeros for a 404)."""
        code, _, body = self.app.get("/statistics", params)
        if code == 404:
            return {"impressions": 0, "ad_requests": 0}
        self.assertEqual(code, 200, body)
        doc = json.loads(body)
        (value,) = [k for k in doc if k != "success"]
        return doc[value]

    def admin(self, method, path, params, token=TOKEN, app=None):
        headers = {} if token is None else {"Authorization": "Bearer " + token}
        return (app or self.app).request(method, path, params, headers=headers)


# ---- 1. dimensions and day buckets ------------------------------------------

class DimensionTests(AnalyticsCase):

    def test_every_event_counts_in_every_dimension(self):
        user, sdk, platform = unique(), unique_version(), unique_platform()
        country_before = self.counts_of({"country": "NZ"})
        for i in range(3):
            self.ok(self.send("imp", user, sdk, "nz", platform, "s%d" % i, post=i == 1))
        for i in range(2):
            self.ok(self.send("ad", user, sdk, "NZ", platform, "s%d" % i))
        want = {"impressions": 3, "ad_requests": 2, "fill_rate": 1.5}
        for param, value in (("username", user), ("sdk", sdk), ("platform", platform)):
            self.assertEqual(self.stats_doc({param: value}), {"success": True, value: want})
        country = self.counts_of({"country": "nz"})
        self.assertEqual(country["impressions"] - country_before["impressions"], 3)
        self.assertEqual(country["ad_requests"] - country_before["ad_requests"], 2)

        d = compact(0)
        for dim, value in (("u", user), ("s", sdk), ("p", platform)):
            self.assertEqual(self.counters(dim, value), {"imp": 3, "req": 2})
            self.assertEqual(day_counts(self.redis, dim, d, value), {"imp": 3, "req": 2})
        # layout 2: a user's day is fields of a shared day bucket, and users
        # keep no session HyperLogLogs (--sessions-dimensions default), so
        # the all-time hash is the one key of its own a user has
        self.assertEqual(self.redis.keys("as:*:%s" % user), [("as:u:t:" + user).encode()])

        def sessions():  # written by the index writer, after the answers
            for dim, value in (("s", sdk), ("p", platform)):
                self.assertEqual(self.redis.keys("as:%s:h*:%s" % (dim, value)),
                                 sorted(k.encode() for k in ("as:%s:h:%s" % (dim, value),
                                                             "as:%s:h%s:%s" % (dim, d, value))))
        eventually(sessions)

    def test_flask_answer_and_message_are_byte_identical(self):
        user, sdk = unique(), unique_version()
        self.ok(self.send("imp", user, sdk))
        for _ in range(4):
            self.ok(self.send("ad", user, sdk))
        code, _, body = self.app.get("/statistics", {"username": user})
        self.assertEqual(code, 200)
        self.assertEqual(body, ('{"success": true, "%s": {"impressions": 1, "ad_requests": 4, '
                                '"fill_rate": 0.25}}' % user).encode())
        for params in (None, {"from": D0}, [("country", ""), ("platform", "")],
                       {"sdk_version": sdk, "country_code": "US"}):
            code, _, body = self.app.get("/statistics", params)
            self.assertEqual((code, body), (400, FLASK_MISSING), params)

    def test_first_filter_in_the_query_wins(self):
        user, sdk, platform = unique(), unique_version(), unique_platform()
        self.ok(self.send("imp", user, sdk, "FJ", platform))
        for pairs, key in (([("country", "fj"), ("username", user)], "FJ"),
                           ([("username", user), ("country", "FJ")], user),
                           ([("platform", platform), ("sdk", sdk)], platform),
                           ([("sdk", sdk), ("platform", platform)], sdk)):
            doc = self.stats_doc(pairs)
            self.assertEqual(sorted(doc), sorted(["success", key]), pairs)

    def test_filters_are_validated(self):
        self.assertError(self.app.get("/statistics", {"country": "XX"}), 400, "country")
        self.assertError(self.app.get("/statistics", {"platform": "a/b"}), 400, "platform")
        self.assertError(self.app.get("/statistics", {"username": unique()}), 404, "not found")
        self.assertError(self.app.get("/statistics", {"platform": unique_platform()}), 404)

    def test_day_buckets_expire_after_the_retention(self):
        user, sdk, platform = unique(), unique_version(), unique_platform()
        self.ok(self.send("imp", user, sdk, "TO", platform))
        d = compact(0)
        # a day key expires at a fixed instant, the end of its day plus the
        # retention (EXPIREAT): D0 is frozen at midnight, so a full day more
        end_of_day = RETENTION_S + DAY
        eventually(lambda: self.assertEqual(  # the index writer's last key
            self.redis.command("ZSCORE", "as:p:top:imp", platform), b"1"))
        eventually(lambda: self.assertEqual(self.redis.command("PFCOUNT", "as:p:h:" + platform), 1))
        for dim, value in (("u", user), ("s", sdk), ("c", "TO"), ("p", platform)):
            day_keys = [day_bucket_key(dim, d, value)]
            if dim != "u":  # users keep no session HyperLogLogs by default
                day_keys.append("as:%s:h%s:%s" % (dim, d, value))
            for key in day_keys:
                ttl = self.redis.command("TTL", key)
                self.assertTrue(end_of_day - 60 < ttl <= end_of_day, (key, ttl))
            all_time = ["as:%s:t:%s" % (dim, value), "as:%s:top:imp" % dim]
            if dim != "u":
                all_time.append("as:%s:h:%s" % (dim, value))
            for key in all_time:
                self.assertEqual(self.redis.command("TTL", key), -1, key)
        short = self.at(D0, "--retention-days", "2")
        user2 = unique()
        while day_bucket_key("u", d, user2) == day_bucket_key("u", d, user):
            user2 = unique()  # a bucket the first process has not set already
        self.ok(self.send("ad", user2, sdk, app=short))
        ttl = self.redis.command("TTL", day_bucket_key("u", d, user2))
        self.assertTrue(3 * DAY - 60 < ttl <= 3 * DAY, ttl)

    def test_day_boundary(self):
        user, sdk = unique(), unique_version()
        before_midnight = self.at(D0_EPOCH + DAY - 1)
        after_midnight = self.at(D0_EPOCH + DAY)
        self.ok(self.send("imp", user, sdk, app=before_midnight))
        self.ok(self.send("imp", user, sdk, app=after_midnight))
        self.ok(self.send("ad", user, sdk, app=after_midnight))
        self.assertEqual(day_counts(self.redis, "u", compact(0), user), {"imp": 1})
        self.assertEqual(day_counts(self.redis, "u", compact(1), user), {"imp": 1, "req": 1})
        doc = self.stats_doc({"username": user, "from": day(0), "to": day(1), "interval": "day"})
        self.assertEqual(doc[user], {
            "impressions": 2, "ad_requests": 1, "fill_rate": 2.0, "from": day(0), "to": day(1),
            "series": [
                {"date": day(0), "impressions": 1, "ad_requests": 0, "fill_rate": 0},
                {"date": day(1), "impressions": 1, "ad_requests": 1, "fill_rate": 1.0},
            ]})
        times = sorted(int(e[b"time"]) for e in self.stream_entries(user))
        self.assertEqual(times, [(D0_EPOCH + DAY - 1) * 1000, (D0_EPOCH + DAY) * 1000,
                                 (D0_EPOCH + DAY) * 1000])

    def stream_entries(self, user):
        entries = self.redis.command("XRANGE", STREAM, "-", "+")
        out = []
        for _id, flat in entries:
            fields = dict(zip(flat[::2], flat[1::2]))
            if fields.get(b"username") == user.encode():
                out.append(fields)
        return out


# ---- 2. ranges, series, unique sessions -------------------------------------

class RangeTests(AnalyticsCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.sdk = unique(), unique_version()
        two_days_ago = cls.stack.start_adstats(["--now", day(-2)])
        for kind, app in (("imp", two_days_ago), ("ad", two_days_ago), ("ad", two_days_ago),
                          ("imp", cls.app), ("imp", cls.app), ("ad", cls.app)):
            params = event_params(cls.user, cls.sdk, session_id="r-%s" % kind)
            path = "/impression" if kind == "imp" else "/ad"
            code, _, body = app.get(path, params)
            assert code == 200, body

    def series(self, doc):
        return [(e["date"], e["impressions"], e["ad_requests"]) for e in doc[self.user]["series"]]

    def test_range_sums_and_series(self):
        doc = self.stats_doc({"username": self.user, "from": day(-2), "to": day(0),
                              "interval": "day"})
        self.assertEqual(doc[self.user]["impressions"], 3)
        self.assertEqual(doc[self.user]["ad_requests"], 3)
        self.assertEqual(doc[self.user]["fill_rate"], 1.0)
        self.assertEqual(self.series(doc), [(day(-2), 1, 2), (day(-1), 0, 0), (day(0), 2, 1)])
        only = self.stats_doc({"sdk": self.sdk, "from": day(-1), "to": day(0)})
        self.assertEqual(only[self.sdk], {"impressions": 2, "ad_requests": 1, "fill_rate": 2.0,
                                          "from": day(-1), "to": day(0)})

    def test_defaults(self):
        doc = self.stats_doc({"username": self.user, "interval": "day"})
        series = doc[self.user]["series"]
        self.assertEqual(len(series), 30)
        self.assertEqual((series[0]["date"], series[-1]["date"]), (day(-29), day(0)))
        self.assertEqual((doc[self.user]["from"], doc[self.user]["to"]), (day(-29), day(0)))
        doc = self.stats_doc({"username": self.user, "to": day(-1)})
        self.assertEqual(doc[self.user], {"impressions": 1, "ad_requests": 2, "fill_rate": 0.5,
                                          "from": day(-30), "to": day(-1)})
        doc = self.stats_doc({"username": self.user, "from": day(0)})
        self.assertEqual(doc[self.user]["from"], day(0))
        self.assertEqual(doc[self.user]["to"], day(0))
        self.assertEqual(doc[self.user]["impressions"], 2)

    def test_range_limits(self):
        doc = self.stats_doc({"username": self.user, "from": day(-399), "to": day(0),
                              "interval": "day"})
        self.assertEqual(len(doc[self.user]["series"]), 400)
        self.assertEqual(doc[self.user]["impressions"], 3)
        msg = self.assertError(self.app.get("/statistics", {"username": self.user,
                                                            "from": day(-400), "to": day(0)}),
                               400, ["401 days", "400"])
        self.assertIn(day(-400), msg)
        self.assertError(self.app.get("/statistics", {"username": self.user, "from": day(1),
                                                      "to": day(0)}), 400, ["from", "after"])
        for params, name in (({"from": "2025-02-29"}, "from"), ({"to": "10-03-2025"}, "to"),
                             ({"from": "2025-03-10T00:00"}, "from"),
                             ({"interval": "week"}, "interval"),
                             ({"unique_sessions": "yes"}, "unique_sessions")):
            params["username"] = self.user
            self.assertError(self.app.get("/statistics", params), 400, name)
        self.assertError(self.app.get("/statistics", {"username": unique(), "from": day(-1)}),
                         404, "not found")

    def test_unique_sessions_of_all_time(self):
        user, sdk, platform = unique(), unique_version(), unique_platform()
        # a node that also keeps users' HyperLogLogs, beside the default one
        every = self.at(D0, "--sessions-dimensions", "username,sdk,country,platform")
        for i in range(30):
            self.ok(self.send("imp" if i % 3 else "ad", user, sdk, "GS", platform,
                              "sess-%d" % (i % 10), app=every))
        for param, value, key in (("username", user, "as:u:h:" + user),
                                  ("sdk", sdk, "as:s:h:" + sdk),
                                  ("platform", platform, "as:p:h:" + platform),
                                  ("country", "GS", "as:c:h:GS")):
            code, _, body = every.get("/statistics", {param: value, "unique_sessions": "1"})
            self.assertEqual(code, 200, body)
            doc = json.loads(body)
            got = doc[value]["unique_sessions"]
            self.assertEqual(got, self.redis.command("PFCOUNT", key))
            if param != "country":
                self.assertLessEqual(abs(got - 10), 1)
                self.assertEqual(doc[value]["impressions"], 20)
        for params in ({"username": user, "unique_sessions": "1"},
                       {"username": user, "unique_sessions": "1", "from": day(0)}):
            self.assertError(self.app.get("/statistics", params), 400,
                             ["unique_sessions", "username", "--sessions-dimensions"])
        doc = self.stats_doc({"sdk": sdk, "unique_sessions": "true", "interval": "day",
                              "from": day(0), "to": day(0)})
        self.assertEqual(doc[sdk]["series"][0]["unique_sessions"], doc[sdk]["unique_sessions"])
        self.assertLessEqual(abs(doc[sdk]["unique_sessions"] - 10), 1)

    def test_range_unique_sessions_equal_pfcount_of_the_union(self):
        user = unique_version()  # an SDK version: SDKs keep session HyperLogLogs
        self.redis.command("HSET", "as:s:t:" + user, "imp", 1)
        keys = ["as:s:h%s:%s" % (compact(o), user) for o in (-3, -2, 0)]
        for start in range(0, 20000, 1000):  # dense
            self.redis.command("PFADD", keys[0], *["e%d" % i for i in range(start, start + 1000)])
        self.redis.command("PFADD", keys[1], *["e%d" % i for i in range(19800, 20300)])  # sparse
        self.redis.command("PFADD", keys[2], "x", "y", "e1")
        self.assertEqual(self.redis.command("GETRANGE", keys[0], 4, 4), b"\x00")
        self.assertEqual(self.redis.command("GETRANGE", keys[1], 4, 4), b"\x01")
        doc = self.stats_doc({"sdk": user, "from": day(-3), "to": day(0),
                              "unique_sessions": "1", "interval": "day"})
        self.assertEqual(doc[user]["unique_sessions"], self.redis.command("PFCOUNT", *keys))
        per_day = [e["unique_sessions"] for e in doc[user]["series"]]
        self.assertEqual(per_day, [self.redis.command("PFCOUNT", keys[0]),
                                   self.redis.command("PFCOUNT", keys[1]), 0,
                                   self.redis.command("PFCOUNT", keys[2])])
        # Something that is no HyperLogLog where one should be: a clear 500.
        self.redis.command("SET", "as:s:h%s:%s" % (compact(-1), user), "not a HyperLogLog")
        self.assertError(self.app.get("/statistics", {"sdk": user, "from": day(-3),
                                                      "unique_sessions": "1"}), 500, "HyperLogLog")


# ---- 3. top lists -----------------------------------------------------------

class TopListTests(AnalyticsCase):
    """A Redis of its own, so that the lists are exactly what is sent here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        plan = {"1.1": (5, 1), "1.2": (2, 4), "1.3": (7, 0), "1.4": (0, 1)}
        for sdk, (imps, ads) in plan.items():
            for i in range(imps):
                cls.app.get("/impression", event_params("top-u" + sdk, sdk, session_id="s%d" % i,
                                                        platform="pl" + sdk[-1]))
            for i in range(ads):
                cls.app.get("/ad", event_params("top-u" + sdk, sdk, session_id="a",
                                                platform="pl" + sdk[-1], country_code="DE"))

    def top(self, **params):
        return self.assertJSON(self.app.get("/statistics/top", params), 200)

    def test_by_impressions(self):
        doc = self.top(dimension="sdk")
        self.assertEqual(doc["success"], True)
        self.assertEqual((doc["dimension"], doc["metric"]), ("sdk", "impressions"))
        self.assertEqual(doc["top"], [
            {"value": "1.3", "impressions": 7, "ad_requests": 0, "fill_rate": 0,
             "unique_sessions": 7},
            {"value": "1.1", "impressions": 5, "ad_requests": 1, "fill_rate": 5.0,
             "unique_sessions": 6},
            {"value": "1.2", "impressions": 2, "ad_requests": 4, "fill_rate": 0.5,
             "unique_sessions": 3},
        ])

    def test_by_ad_requests_with_limit(self):
        doc = self.top(dimension="username", metric="ad_requests")
        self.assertEqual([(e["value"], e["ad_requests"]) for e in doc["top"]],
                         [("top-u1.2", 4), ("top-u1.4", 1), ("top-u1.1", 1)])
        doc = self.top(dimension="platform", metric="ad_requests", limit="1")
        self.assertEqual([e["value"] for e in doc["top"]], ["pl2"])
        doc = self.top(dimension="country", limit="100")
        self.assertEqual([(e["value"], e["impressions"], e["ad_requests"]) for e in doc["top"]],
                         [("US", 14, 0)])
        doc = self.top(dimension="country", metric="ad_requests")
        self.assertEqual([(e["value"], e["ad_requests"]) for e in doc["top"]], [("DE", 6)])

    def test_lists_match_redis(self):
        for dim, letter in (("sdk", "s"), ("username", "u"), ("platform", "p"), ("country", "c")):
            for metric, field in (("impressions", "imp"), ("ad_requests", "req")):
                doc = self.top(dimension=dim, metric=metric)
                flat = self.redis.command("ZREVRANGE", "as:%s:top:%s" % (letter, field), 0, -1,
                                          "WITHSCORES")
                want = [(flat[i].decode(), int(flat[i + 1])) for i in range(0, len(flat), 2)]
                self.assertEqual([(e["value"], e[metric]) for e in doc["top"]], want)

    def test_bad_requests(self):
        self.assertEqual(self.app.get("/statistics/top")[2],
                         b'{"success": false, "message": '
                         b'"following params are required [\'dimension\']"}')
        for params, name in (({"dimension": "sdk_version"}, "dimension"),
                             ({"dimension": "sdk", "metric": "fill_rate"}, "metric"),
                             ({"dimension": "sdk", "limit": "0"}, "limit"),
                             ({"dimension": "sdk", "limit": "101"}, "limit"),
                             ({"dimension": "sdk", "limit": "ten"}, "limit")):
            self.assertError(self.app.get("/statistics/top", params), 400, name)
        self.assertError(self.app.request("POST", "/statistics/top", {"dimension": "sdk"}), 405)
        self.assertError(self.admin("DELETE", "/statistics/top", {"dimension": "sdk"}), 405)


# ---- 4. event ids -----------------------------------------------------------

DUPLICATE = {"success": True, "message": "Successfully fetched", "duplicate": True}
COUNTED = {"success": True, "message": "Successfully fetched"}


class EventIdTests(AnalyticsCase):

    def test_duplicate_impression_is_acknowledged_not_counted(self):
        user, sdk, eid = unique(), unique_version(), unique("ev")
        self.assertEqual(self.assertJSON(self.send("imp", user, sdk, event_id=eid), 200), COUNTED)
        self.assertEqual(self.assertJSON(self.send("imp", user, sdk, event_id=eid, post=True),
                                         200), DUPLICATE)
        self.assertEqual(self.counters("u", user), {"imp": 1})
        self.assertEqual(self.counters("s", sdk), {"imp": 1})
        ttl = self.redis.command("TTL", "as:e:i:" + eid)
        self.assertTrue(DAY - 60 < ttl <= DAY, ttl)
        self.assertEqual(self.assertJSON(self.send("imp", user, sdk, event_id=eid + "-2"), 200),
                         COUNTED)
        self.assertEqual(self.counters("u", user), {"imp": 2})

    def test_duplicate_ad_is_still_served(self):
        user, sdk, eid = unique(), unique_version(), unique("ev")
        self.mock.set_scenario([])
        first = self.ok(self.send("ad", user, sdk, event_id=eid))
        second = self.ok(self.send("ad", user, sdk, event_id=eid))
        self.assertIsNone(first[1].get("Adstats-Duplicate"))
        self.assertEqual(second[1].get("Adstats-Duplicate"), "true")
        self.assertEqual(first[2], second[2])
        self.assertIn(b"<VAST", second[2])
        self.assertEqual(len(self.mock.requests()), 2)
        self.assertEqual(self.counters("u", user), {"req": 1})

    def test_ids_are_per_event_type(self):
        user, sdk, eid = unique(), unique_version(), unique("ev")
        self.ok(self.send("ad", user, sdk, event_id=eid))
        self.assertEqual(self.assertJSON(self.send("imp", user, sdk, event_id=eid), 200), COUNTED)
        self.assertEqual(self.counters("u", user), {"imp": 1, "req": 1})

    def test_fifty_concurrent_duplicates_count_once(self):
        user, sdk, platform, eid = unique(), unique_version(), unique_platform(), unique("race")
        country_before = self.counts_of({"country": "VU"})
        params = event_params(user, sdk, session_id="race", platform=platform,
                              country_code="VU") + [("event_id", eid)]
        n = 50
        barrier = threading.Barrier(n)
        results = [None] * n

        def client(i):
            c = HTTPClient(self.app.port)
            try:
                c.get("/statistics", {"username": "warm-up"})  # connect first
                barrier.wait(10)
                results[i] = c.get("/impression", params)
            except Exception as e:  # reported below
                results[i] = e
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        bodies = collections.Counter()
        for r in results:
            self.assertIsInstance(r, tuple, r)
            self.assertEqual(r[0], 200, r[2])
            bodies[json.dumps(json.loads(r[2]), sort_keys=True)] += 1
        self.assertEqual(bodies[json.dumps(COUNTED, sort_keys=True)], 1, bodies)
        self.assertEqual(bodies[json.dumps(DUPLICATE, sort_keys=True)], n - 1, bodies)
        want = {"impressions": 1, "ad_requests": 0, "fill_rate": 0}
        for param, value in (("username", user), ("sdk", sdk), ("platform", platform)):
            self.assertEqual(self.stats_doc({param: value}), {"success": True, value: want})
        self.assertEqual(self.counts_of({"country": "VU"})["impressions"],
                         country_before["impressions"] + 1)
        eventually(lambda: self.assertEqual(
            self.redis.command("ZSCORE", "as:p:top:imp", platform), b"1"))
        ids = [e for _, flat in self.redis.command("XRANGE", STREAM, "-", "+")
               for e in [dict(zip(flat[::2], flat[1::2]))] if e.get(b"event_id") == eid.encode()]
        self.assertEqual(len(ids), 1)

    def test_claim_then_count_then_remember(self):
        """The commands, in order, as MONITOR shows them: the claim with a
        short PX first, the counting after its reply, the 24 h SET last."""
        user, sdk, eid = unique(), unique_version(), unique("mon")
        key = "as:e:i:" + eid
        with socket.create_connection(("127.0.0.1", self.stack.redis.port), timeout=10) as s:
            s.sendall(b"*1\r\n$7\r\nMONITOR\r\n")
            buf = b""
            while b"+OK\r\n" not in buf:
                buf += s.recv(4096)
            self.ok(self.send("imp", user, sdk, event_id=eid))
            deadline = time.monotonic() + 10
            while ('"EX" "86400"').encode() not in buf and time.monotonic() < deadline:
                buf += s.recv(65536)
        lines = [l for l in buf.decode("utf-8", "replace").split("\r\n")
                 if key in l or ("as:u:t:" + user) in l]
        self.assertEqual(len(lines), 3, lines)
        self.assertIn('"SET" "%s" "1" "NX" "PX" "1000"' % key, lines[0])
        self.assertIn('"HINCRBY" "as:u:t:%s" "imp" "1"' % user, lines[1])
        self.assertIn('"SET" "%s" "1" "EX" "86400"' % key, lines[2])

    def test_a_claim_that_was_never_counted_lapses(self):
        """A claim whose count failed (as if Redis went away in between) is
        only held for its short PX: a retry after it is counted."""
        user, sdk, eid = unique(), unique_version(), unique("lapse")
        self.redis.command("SET", "as:e:i:" + eid, "1", "NX", "PX", "300")
        self.assertEqual(self.assertJSON(self.send("imp", user, sdk, event_id=eid), 200),
                         DUPLICATE)
        time.sleep(0.4)
        self.assertEqual(self.assertJSON(self.send("imp", user, sdk, event_id=eid), 200), COUNTED)
        self.assertEqual(self.counters("u", user), {"imp": 1})

    def test_invalid_event_ids(self):
        user, sdk = unique(), unique_version()
        before = self.redis.dbsize()
        for eid, words in (("e" * 65, ["event_id", "64"]), ("a\nb", ["event_id", "printable"]),
                           ("caf\u00e9", ["event_id", "printable"])):
            self.assertError(self.send("imp", user, sdk, event_id=eid), 400, words)
            self.assertError(self.send("ad", user, sdk, event_id=eid), 400, words)
        self.assertEqual(self.redis.dbsize(), before)
        self.ok(self.send("imp", user, sdk, event_id="e" * 64))
        self.ok(self.send("imp", user, sdk, event_id="!~ \"<>'"))
        self.assertEqual(self.counters("u", user), {"imp": 2})


# ---- 5. the event stream ----------------------------------------------------

class StreamTests(AnalyticsCase):

    def entries(self, stream=STREAM):
        return [(i, dict(zip(f[::2], f[1::2])))
                for i, f in self.redis.command("XRANGE", stream, "-", "+")]

    def test_counted_events_are_appended(self):
        user, sdk = unique(), unique_version()
        self.ok(self.send("imp", user, sdk, "de", "android", "sess-9", event_id="x-" + user))
        self.ok(self.send("imp", user, sdk, "de", "android", "sess-9", event_id="x-" + user))
        self.ok(self.send("ad", user, sdk, "FR", "ios", "sess-8", post=True))
        mine = [e for _, e in self.entries() if e.get(b"username") == user.encode()]
        self.assertEqual(mine, [
            {b"type": b"impression", b"time": str(D0_EPOCH * 1000).encode(),
             b"sdk_version": sdk.encode(), b"session_id": b"sess-9", b"platform": b"android",
             b"username": user.encode(), b"country_code": b"DE",
             b"event_id": ("x-" + user).encode()},
            {b"type": b"ad_request", b"time": str(D0_EPOCH * 1000).encode(),
             b"sdk_version": sdk.encode(), b"session_id": b"sess-8", b"platform": b"ios",
             b"username": user.encode(), b"country_code": b"FR"},
        ])

    def test_consumer_group_reads_the_stream(self):
        user, sdk = unique(), unique_version()
        self.redis.command("XGROUP", "CREATE", STREAM, "billing", "$", "MKSTREAM")
        self.ok(self.send("imp", user, sdk))
        self.ok(self.send("ad", user, sdk))
        reply = self.redis.command("XREADGROUP", "GROUP", "billing", "worker-1", "COUNT", "100",
                                   "STREAMS", STREAM, ">")
        (name, entries), = reply
        self.assertEqual(name, STREAM.encode())
        types = [dict(zip(f[::2], f[1::2]))[b"type"] for _, f in entries]
        self.assertEqual(types, [b"impression", b"ad_request"])
        self.assertEqual(self.redis.command("XACK", STREAM, "billing", *[i for i, _ in entries]), 2)

    def test_stream_is_trimmed_to_about_maxlen(self):
        other = self.stack.start_adstats(["--now", D0, "--events-stream", "as-test-short",
                                          "--events-maxlen", "10"])
        user, sdk = unique(), unique_version()
        for i in range(250):
            self.ok(self.send("imp", user, sdk, session="t%d" % i, app=other))
        length = self.redis.command("XLEN", "as-test-short")
        self.assertGreaterEqual(length, 10)
        self.assertLess(length, 250)  # MAXLEN ~ trims whole nodes (100 entries by default)


class NoStreamNoTokenTests(StackTestCase):
    """Defaults: no stream, and admin requests disabled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first_top = request(cls.app.port, "GET", "/statistics/top", {"dimension": "platform"})

    def test_top_list_is_empty_before_any_event(self):
        doc = self.assertJSON(self.first_top, 200)
        self.assertEqual(doc, {"success": True, "dimension": "platform",
                               "metric": "impressions", "top": []})

    def test_no_stream_by_default(self):
        self.impression(unique(), unique_version())
        self.assertEqual(self.redis.command("SCAN", "0", "TYPE", "stream", "COUNT", "1000"),
                         [b"0", []])

    def test_admin_requests_are_forbidden_without_a_token(self):
        user, sdk = unique(), unique_version()
        self.impression(user, sdk)
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x"}):
            self.assertError(self.app.request("DELETE", "/statistics", {"username": user},
                                              headers=headers), 403, "ADMIN_TOKEN")
        self.assertEqual(self.counters("u", user), {"imp": 1})


# ---- 6. reset ---------------------------------------------------------------

class ResetTests(AnalyticsCase):

    def seed(self, user, sdk, platform, apps):
        for app in apps:
            self.ok(self.send("imp", user, sdk, "SB", platform, app=app))
            self.ok(self.send("ad", user, sdk, "SB", platform, app=app))

    def test_token_is_checked_first_and_in_full(self):
        user, sdk = unique(), unique_version()
        self.ok(self.send("imp", user, sdk))
        for token in (None, "wrong", TOKEN[:-1], TOKEN + "x", ""):
            resp = self.admin("DELETE", "/statistics", {"username": user}, token=token)
            self.assertError(resp, 401, "token")
            self.assertTrue(resp[1].get("WWW-Authenticate", "").startswith("Bearer"))
        resp = self.app.request("DELETE", "/statistics", {"username": user},
                                headers={"Authorization": "Basic " + TOKEN})
        self.assertError(resp, 401)
        self.assertError(self.admin("DELETE", "/statistics", None, token=None), 401)
        self.assertEqual(self.counters("u", user), {"imp": 1})

    def test_delete_forgets_a_user_everywhere(self):
        user, other, sdk, platform = unique(), unique(), unique_version(), unique_platform()
        # the oldest day on a node that keeps users' HyperLogLogs too, and a
        # day hash of layout 1 (before issue 15), as an old release left it
        old = self.at(D0_EPOCH - 399 * DAY, "--sessions-dimensions",
                      "username,sdk,country,platform")
        yesterday = self.at(D0_EPOCH - DAY)
        self.seed(user, sdk, platform, [self.app, old, yesterday])
        self.seed(other, sdk, platform, [self.app, old])
        self.redis.command("HSET", "as:u:%s:%s" % (compact(-5), user), "imp", 4)
        days = [compact(o) for o in (0, -399, -1)]

        def written():  # every app's index writer is done with both users
            self.assertEqual(self.redis.keys("as:*:%s" % user), sorted(k.encode() for k in (
                "as:u:t:" + user, "as:u:h:" + user, "as:u:h%s:%s" % (days[1], user),
                "as:u:%s:%s" % (compact(-5), user))))
            for field in ("imp", "req"):
                for who in (user, other):
                    self.assertEqual(self.redis.command("ZSCORE", "as:u:top:" + field, who),
                                     b"3" if who == user else b"2")
        eventually(written)
        for d in days:
            self.assertEqual(day_counts(self.redis, "u", d, user), {"imp": 1, "req": 1}, d)
        doc = self.assertJSON(self.admin("DELETE", "/statistics", {"username": user}), 200)
        # 4 keys, the user's fields of 3 day buckets, 2 top-list members
        self.assertEqual(doc, {"success": True, "message": "statistics of %s deleted" % user,
                               "deleted": 9})
        self.assertEqual(self.redis.keys("as:*:%s" % user), [])
        for d in days:
            self.assertEqual(day_counts(self.redis, "u", d, user), {}, d)
        for d in days[:2]:
            self.assertEqual(day_counts(self.redis, "u", d, other), {"imp": 1, "req": 1}, d)
        for field in ("imp", "req"):
            self.assertIsNone(self.redis.command("ZSCORE", "as:u:top:" + field, user))
            self.assertIsNotNone(self.redis.command("ZSCORE", "as:u:top:" + field, other))
        self.assertError(self.app.get("/statistics", {"username": user}), 404)
        self.assertEqual(self.counters("u", other), {"imp": 2, "req": 2})
        self.assertEqual(self.counters("s", sdk), {"imp": 5, "req": 5})
        again = self.assertJSON(self.admin("DELETE", "/statistics", {"username": user}), 200)
        self.assertEqual(again["deleted"], 0)

    def test_delete_by_platform_sdk_and_country(self):
        user, sdk, platform = unique(), unique_version(), unique_platform()
        self.seed(user, sdk, platform, [self.app, self.at(D0_EPOCH - 3 * DAY)])
        for param, value, letter in (("platform", platform, "p"), ("sdk", sdk, "s"),
                                     ("country", "sb", "c")):
            doc = self.assertJSON(self.admin("DELETE", "/statistics", {param: value}), 200)
            self.assertGreater(doc["deleted"], 0)
            stored = "SB" if letter == "c" else value
            self.assertEqual(self.redis.keys("as:%s:*:%s" % (letter, stored)), [])
            self.assertIsNone(self.redis.command("ZSCORE", "as:%s:top:imp" % letter, stored))
        self.assertEqual(self.counters("u", user), {"imp": 2, "req": 2})

    def test_delete_parameters(self):
        self.assertEqual(self.admin("DELETE", "/statistics", None)[2], FLASK_MISSING)
        for extra in ({"from": D0}, {"interval": "day"}, {"unique_sessions": "1"}):
            params = dict(extra, username=unique())
            self.assertError(self.admin("DELETE", "/statistics", params), 400, "DELETE")
        self.assertError(self.admin("DELETE", "/statistics", {"country": "XX"}), 400, "country")


if __name__ == "__main__":
    unittest.main()
