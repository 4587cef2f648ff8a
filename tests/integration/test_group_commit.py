"""test_group_commit.py -- the store's group commit (store.c): while Redis
still owes replies, a worker holds its write-only batches back and sends
them together when the replies are in, merged (combine.h).

Redis is paused (CLIENT PAUSE) and 30 events of distinct users, with one
SDK version, country and platform, arrive one after another during the
pause, each in a turn of the loop of its own. The first turn's commands
wait for Redis; the 29 later events wait for them and then go as one
merged send. So each user costs its two HINCRBYs but the shared SDK,
country and platform counters are sent twice in all (one all-time and one
day HINCRBY each, per send), not once per event: at most 2 * 30 + 2 * 6
HINCRBY calls, where one send per event would take 8 * 30. Every event is
answered 200 and counted exactly.
"""

import threading
import time
import unittest

from harness import StackTestCase, event_params, request, unique, unique_version

EVENTS = 30
PAUSE_MS = 700
GAP_S = 0.012  # between arrivals: longer than a turn of the idle loop


def hincrby_calls(redis):
    for line in redis.command("INFO", "commandstats").decode().splitlines():
        if line.startswith("cmdstat_hincrby:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


class GroupCommitTest(StackTestCase):
    adstats_args = ("--threads", "1", "--redis-timeout-ms", "5000")

    def test_events_during_a_round_trip_go_as_one_merged_send(self):
        sdk, users = unique_version(), [unique("gc") for _ in range(EVENTS)]
        self.impression(unique("gc-warm"), sdk)  # connected, keys' expiries sent
        self.redis.settle()
        before = hincrby_calls(self.redis)
        statuses = [None] * EVENTS

        def send(i):
            resp = request(self.app.port, "GET", "/impression", event_params(users[i], sdk),
                           timeout=10)
            statuses[i] = resp[0]

        self.redis.command("CLIENT", "PAUSE", str(PAUSE_MS), "ALL")
        threads = [threading.Thread(target=send, args=(i,)) for i in range(EVENTS)]
        for t in threads:
            t.start()
            time.sleep(GAP_S)
        for t in threads:
            t.join(15)
        self.assertEqual(statuses, [200] * EVENTS)

        calls = hincrby_calls(self.redis) - before
        self.assertGreaterEqual(calls, 2 * EVENTS + 6)
        self.assertLessEqual(calls, 2 * EVENTS + 2 * 6, "%d HINCRBY for %d events" % (calls, EVENTS))
        for u in users:
            self.assertEqual(self.counters("u", u)["imp"], 1)
        self.assertEqual(self.counters("s", sdk)["imp"], EVENTS + 1)


if __name__ == "__main__":
    unittest.main()
