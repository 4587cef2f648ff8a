"""test_index_writer.py -- the deferred index writer (src/index_writer.c):
top lists and unique sessions are written after the event is answered,
by a per-worker writer, every --index-flush-ms.

- A top list kept at --top-size members stays exact for its top N against
  the all-time counters, however many values pass through it.
- A list longer than --top-size (an upgrade from ZINCRBY-built lists of
  millions) is trimmed gradually, at most 10,000 members a flush, keeping
  its highest members and their scores.
- Session ids reach the HyperLogLogs after the flush.
- Redis down during a flush, then back: the flush is retried, nothing
  crashes, counters stay exact and the indexes catch up.
- A graceful shutdown flushes what is buffered.
"""

import unittest

from harness import (Adstats, RedisServer, StackTestCase, eventually, event_params, metric_value,
                     unique)


def top(app, dimension, limit=100, metric="impressions"):
    doc = app.get("/statistics/top", {"dimension": dimension, "metric": metric,
                                      "limit": str(limit)}).json()
    assert doc["success"], doc
    return [(row["value"], row["impressions"]) for row in doc["top"]]


class TopListSizeTest(StackTestCase):
    adstats_args = ["--top-size", "3", "--index-flush-ms", "10"]

    def test_top_stays_exact_with_many_values(self):
        # 40 users, user i with i % 7 + 1 impressions, interleaved
        users = [unique("top") for _ in range(40)]
        counts = {u: i % 7 + 1 for i, u in enumerate(users)}
        for round_ in range(7):
            for u in users:
                if counts[u] > round_:
                    self.impression(u, "1.0")
        truth = sorted(((c, u) for u, c in counts.items()), reverse=True)
        best = [c for c, _ in truth[:3]]

        def check():
            got = top(self.app, "username")
            self.assertEqual([c for _, c in got], best)
            for value, c in got:  # each one's all-time counter
                self.assertEqual(self.counters("u", value)["imp"], c)
            self.assertEqual(self.redis.command("ZCARD", "as:u:top:imp"), 3)
        eventually(check)

    def test_dropped_updates_are_a_metric(self):
        text = self.app.get("/metrics").text
        self.assertIn("adstats_index_dropped_total", text)
        self.assertEqual(metric_value(text, "adstats_index_dropped_total", index="top"), 0)


class UpgradeFromBigListTest(StackTestCase):
    """A layout-2 list of 25,000 members built by ZINCRBY (before the
    writer), then a node with --top-size 3."""
    adstats_args = ["--top-size", "3", "--index-flush-ms", "10"]

    def test_big_list_is_trimmed_gradually_keeping_its_best(self):
        for start in range(0, 25000, 1000):
            args = ["ZADD", "as:p:top:imp"]
            for i in range(start, start + 1000):
                args += [str(i + 1), "old-%d" % i]
            self.redis.command(*args)
        self.redis.command("CONFIG", "RESETSTAT")
        self.impression(unique("u"), "1.0", platform="new-platform")

        def trimmed():
            self.assertEqual(self.redis.command("ZCARD", "as:p:top:imp"), 3)
        eventually(trimmed, timeout=10)
        self.assertEqual(self.redis.command("ZRANGE", "as:p:top:imp", 0, -1, "WITHSCORES"),
                         [b"old-24997", b"24998", b"old-24998", b"24999", b"old-24999", b"25000"])
        stats = self.redis.command("INFO", "commandstats").decode()
        calls = [line for line in stats.splitlines() if "zremrangebyrank" in line][0]
        self.assertGreaterEqual(int(calls.split("calls=")[1].split(",")[0]), 3)  # 10k a step


class SessionsAfterFlushTest(StackTestCase):
    adstats_args = ["--index-flush-ms", "200"]

    def test_sessions_visible_after_the_flush(self):
        sdk = "7.%s" % unique("v").split("-")[-1]
        for i in range(5):
            self.impression(unique("s"), sdk, session_id="sess-%d" % i)
        self.assertEqual(self.counters("s", sdk)["imp"], 5)  # counters at once

        def check():
            doc = self.stats(sdk=sdk, unique_sessions="1").json()
            self.assertEqual(doc[sdk]["unique_sessions"], 5)
        eventually(check)


class RedisDownDuringFlushTest(StackTestCase):
    def test_flush_retried_after_redis_comes_back(self):
        redis = RedisServer(aof=True).start()
        try:
            app = Adstats(redis.url, self.mock.url,
                          ["--index-flush-ms", "300", "--redis-timeout-ms", "200"]).start()
            self.stack.extra.append(app)
            user, sdk = unique("down"), "8.1"
            for i in range(3):
                self.impression(user, sdk, app=app, session_id="s-%d" % i)
            redis.kill()  # before the flush: the writer's batch fails, and again
            app.get("/statistics", {"username": user})  # a 503, nothing crashes
            redis.restart()
            client = redis.client()
            try:
                def check():
                    self.assertEqual(client.command("ZSCORE", "as:u:top:imp", user), b"3")
                    self.assertEqual(client.command("PFCOUNT", "as:s:h:" + sdk), 3)
                eventually(check, timeout=10)
                self.assertEqual(client.hgetall("as:u:t:" + user), {"imp": 3})
            finally:
                client.close()
            self.assertTrue(app.alive())
        finally:
            redis.close()


class ShutdownFlushTest(StackTestCase):
    def test_sigterm_flushes_the_buffers(self):
        app = self.stack.start_adstats(["--index-flush-ms", "60000"])
        user = unique("bye")
        self.impression(user, "9.9", app=app, session_id="last-session")
        self.impression(user, "9.9", app=app, session_id="last-session")
        self.assertIsNone(self.redis.command("ZSCORE", "as:u:top:imp", user))  # not yet
        self.assertEqual(app.stop(), 0)
        self.assertEqual(self.redis.command("ZSCORE", "as:u:top:imp", user), b"2")
        self.assertEqual(self.redis.command("PFCOUNT", "as:s:h:9.9"), 1)


if __name__ == "__main__":
    unittest.main()
