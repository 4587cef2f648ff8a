"""test_layout_marker.py -- the upgrade markers that end read-both
(include/layout.h).

The first range read of a new node records its day with
`SET as:layout:v2 <YYYYMMDD> NX` and `SET as:layout:v3 <YYYYMMDD> NX` (then
`GET`s them, so every node takes the first node's day); from then on readers
add layout 1's day hashes (v2) and layout 2's day buckets (v3) in only for
days up to that marker's day + 1, and ignore later ones. A marker that is no
day means no answer: readers read both. Each test starts a process of its
own, because the answers are cached per process. The same tests run for
each marker, with the old layout's day counters written as its release
wrote them.
"""

import time
import unittest

from harness import StackTestCase, event_params, unique
from harness.keys import day_bucket_key_v2
D0 = "2025-03-10"
D0_EPOCH = 1741564800
DAY = 86400


def day(offset):
    return time.strftime("%Y-%m-%d", time.gmtime(D0_EPOCH + offset * DAY))


def compact(offset):
    return day(offset).replace("-", "")


class MarkerTests(StackTestCase):
    """Layout 1's day hashes, ended by as:layout:v2."""
    MARKER = "as:layout:v2"

    def setUp(self):
        self.redis.flushall()

    def node(self, when=D0):
        return self.stack.start_adstats(["--now", when])

    def old_day(self, user, offset, imp):
        """A layout-1 day hash, as the release before issue 15 wrote it."""
        self.redis.command("HSET", "as:u:%s:%s" % (compact(offset), user), "imp", imp)

    def get_marker(self):
        return self.redis.command("GET", self.MARKER)

    def series(self, app, user, first, last):
        doc = self.assertJSON(app.get("/statistics", {
            "username": user, "from": day(first), "to": day(last), "interval": "day"}), 200)
        return [e["impressions"] for e in doc[user]["series"]]

    def test_the_first_read_records_its_day_and_later_nodes_keep_it(self):
        user = unique()
        first = self.node()
        self.assertEqual(first.get("/impression", event_params(user, "1.0"))[0], 200)
        self.assertIsNone(self.get_marker())  # events do not ask
        self.series(first, user, 0, 0)
        self.assertEqual(self.get_marker(), compact(0).encode())
        later = self.node(day(5))
        self.series(later, user, 0, 0)
        self.assertEqual(self.get_marker(), compact(0).encode())
        self.assertEqual(self.redis.command("TTL", self.MARKER), -1)

    def test_old_hashes_after_the_cutoff_plus_one_are_ignored(self):
        user = unique()
        self.redis.command("SET", self.MARKER, compact(-3))
        app = self.node()
        self.assertEqual(app.get("/impression", event_params(user, "1.0"))[0], 200)
        for offset, imp in ((-5, 1), (-3, 2), (-2, 4), (-1, 8), (0, 16)):
            self.old_day(user, offset, imp)
        # the first read learns the cutoff, the second already knows it
        for _ in range(2):
            self.assertEqual(self.series(app, user, -5, 0), [1, 0, 2, 4, 0, 1])
            doc = self.assertJSON(app.get("/statistics", {"username": user, "from": day(-5)}),
                                  200)
            self.assertEqual(doc[user]["impressions"], 1 + 2 + 4 + 1)

    def test_without_an_answer_both_are_read(self):
        user = unique()
        self.redis.command("SET", self.MARKER, "not a day")
        app = self.node()
        self.assertEqual(app.get("/impression", event_params(user, "1.0"))[0], 200)
        for offset, imp in ((-5, 1), (-1, 8), (0, 16)):
            self.old_day(user, offset, imp)
        self.assertEqual(self.series(app, user, -5, 0), [1, 0, 0, 0, 8, 17])
        self.assertEqual(self.get_marker(), b"not a day")  # NX: kept

    def test_a_rolling_upgrade_across_midnight_is_read(self):
        """The first new node marks D0; an old node still counts into D0 + 1
        after midnight: its day hash is read. D0 + 2 is past the rule."""
        user = unique()
        first = self.node()
        self.assertEqual(first.get("/impression", event_params(user, "1.0"))[0], 200)
        self.series(first, user, 0, 0)
        self.old_day(user, 1, 3)
        self.old_day(user, 2, 5)
        self.assertEqual(self.series(self.node(day(2)), user, 0, 2), [1, 3, 0])


class BucketMarkerTests(MarkerTests):
    """Layout 2's 1024 day buckets, ended by as:layout:v3."""
    MARKER = "as:layout:v3"

    def old_day(self, user, offset, imp):
        """A layout-2 day bucket's field, as the release before layout 3
        wrote it."""
        self.redis.command("HSET", day_bucket_key_v2("u", compact(offset), user),
                           "i:" + user, imp)


if __name__ == "__main__":
    unittest.main()
