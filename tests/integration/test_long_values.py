"""test_long_values.py -- the longest values a dimension allows (64-byte
usernames) through the commands that name them many times over: a ranged
/statistics (one HMGET of the value's fields per day, up to 400 days) and
DELETE /statistics (one HDEL of its fields per day of the retention
window). Both once ran out of batch room and answered 503 for usernames of
61 to 64 bytes (review finding 1): the fields are now copied once per
batch, and each day points at the copies. The upgrade marker is set to a
day long gone, as on a server past its upgrade, so that no batch also reads
layout 1's day hashes (which would give it room to spare).
"""

import datetime

from harness import StackTestCase, event_params

TOKEN = "t0ken-for-long-values"
TODAY = datetime.date(2025, 3, 10)  # the frozen --now
D0 = TODAY.isoformat()


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def long_user(n, tag):
    return (tag + "-" + "x" * n)[:n]


class LongValueTests(StackTestCase):

    adstats_args = ("--now", D0, "--admin-token", TOKEN,
                    "--sessions-dimensions", "username,sdk,country,platform")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Upgrades long done (layout.h): no day of the tests reads layout
        # 1's day hashes or layout 2's buckets too, so the batches are the
        # shortest they get.
        for marker in ("as:layout:v2", "as:layout:v3"):
            cls.redis.command("SET", marker, "20200101")

    def count(self, user):
        for path in ("/impression", "/ad"):
            self.assertEqual(self.app.get(path, event_params(user, "1.0"))[0], 200)

    def ranged(self, user, days, **more):
        params = {"username": user, "from": day(1 - days), "to": day(0), "interval": "day"}
        params.update(more)
        return self.assertJSON(self.app.get("/statistics", params), 200)

    def test_ranges_of_30_and_400_days_for_61_to_64_byte_usernames(self):
        for n in (61, 62, 63, 64):
            user = long_user(n, "r%d" % n)
            self.assertEqual(len(user.encode()), n)
            self.count(user)
            for days in (30, 400):
                with self.subTest(length=n, days=days):
                    doc = self.ranged(user, days)
                    self.assertEqual(doc[user]["impressions"], 1)
                    self.assertEqual(len(doc[user]["series"]), days)
                    self.assertEqual(doc[user]["series"][-1]["impressions"], 1)

    def test_a_400_day_range_with_every_member(self):
        user = long_user(64, "members")
        self.count(user)
        doc = self.ranged(user, 400, video="1", invalid="1", unique_sessions="1")
        self.assertEqual(doc[user]["impressions"], 1)
        self.assertEqual(doc[user]["ad_requests"], 1)
        self.assertEqual(doc[user]["unique_sessions"], 1)
        self.assertEqual(len(doc[user]["series"]), 400)

    def test_delete_of_a_64_byte_username(self):
        user = long_user(64, "delete")
        self.count(user)
        resp = self.app.request("DELETE", "/statistics", {"username": user},
                                headers={"Authorization": "Bearer " + TOKEN})
        doc = self.assertJSON(resp, 200)
        self.assertIs(doc["success"], True)
        self.assertGreater(doc["deleted"], 0)
        self.assertEqual(self.counters("u", user), {})
        params = {"username": user, "from": day(-29), "to": day(0)}
        self.assertError(self.app.get("/statistics", params), 404, "not found")
