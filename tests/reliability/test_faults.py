"""test_faults.py -- nothing acknowledged is lost when Redis fails.

Under a steady concurrent load of /impression, redis-server is killed with
SIGKILL and restarted on the same port, twice, and then frozen with CLIENT
PAUSE for longer than --redis-timeout-ms. Redis runs with append-only
persistence and `appendfsync always`: it writes (and fsyncs) the AOF before
it sends any reply, so a process kill loses nothing it acknowledged. (With
`everysec` the write to the kernel also comes before the reply, which is
all a process kill needs, except while a previous fsync is still running:
then Redis may postpone the write for up to 2 s and still reply.)

Afterwards:
  - every 2xx the clients received is in the counters (counters >= acked);
  - the surplus (counted but not acknowledged: applied by Redis, but the
    reply was lost with the connection) is at most the number of 503s;
  - every refusal was a JSON 503 with Retry-After, no request went
    unanswered, none took much longer than the Redis timeout;
  - while Redis was down /ad and /statistics answered 503 and /ad fetched
    nothing upstream;
  - service resumed within 1 s of Redis coming back, every time;
  - the adstats process is the one started at the beginning.
The figures are printed (docs/RELIABILITY.md quotes them).
"""

import json
import socket
import struct
import time
import unittest

from harness import (LOOPBACK, Adstats, RedisClient, RedisServer, VastMock, event_query,
                     free_port, metric_value, wait_until)
from harness.loadgen import Load

TIMEOUT_MS = 500
PAUSE_MS = 1500
LOAD_USER, LOAD_SDK = "fault-load", "7.7.7"
PROBE_USER, PROBE_SDK = "fault-probe", "8.8.8"


def statistics(adstats, param, value):
    """Impressions of a user or SDK version, read through the API."""
    status, _, body = adstats.get("/statistics?%s=%s" % (param, value))
    if status == 404:
        return 0
    if status != 200:
        raise AssertionError("/statistics answered %d: %r" % (status, body))
    doc = json.loads(body)
    return next(v["impressions"] for v in doc.values() if isinstance(v, dict))


class RedisFaults(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer(aof=True).start()
        self.mock = VastMock().start()
        self.adstats = Adstats(self.redis.url, self.mock.url,
                               ["--redis-timeout-ms", str(TIMEOUT_MS), "--log-level", "error"]
                               ).start()
        self.figures = {}

    def tearDown(self):
        try:
            self.adstats.stop_clean()
        finally:
            self.mock.close()
            self.redis.close()

    def probe(self, path="/impression?" + event_query(PROBE_USER, PROBE_SDK)):
        started = time.monotonic()
        status, headers, body = self.adstats.get(path, timeout=5)
        return status, headers, body, time.monotonic() - started

    def check_refusals_while_down(self):
        """With Redis gone: 503s, and /ad fetches nothing."""
        self.mock.set_scenario([])  # clears the mock's request log
        for path in ("/ad?" + event_query(PROBE_USER, PROBE_SDK),
                     "/impression?" + event_query(PROBE_USER, PROBE_SDK),
                     "/statistics?username=" + LOAD_USER):
            status, headers, body, _ = self.probe(path)
            self.assertEqual(status, 503, "%s while Redis is down: %r" % (path, body))
            self.assertIsNotNone(headers.get("Retry-After"), path)
            self.assertIs(json.loads(body)["success"], False)
        self.assertEqual(self.mock.requests(), [], "/ad fetched an ad it could not count")

    def wait_for_service(self, since):
        """Seconds from `since` to the first 200 of a probe."""
        deadline = since + 10
        while time.monotonic() < deadline:
            status, _, _, _ = self.probe()
            if status == 200:
                return time.monotonic() - since
            self.assertEqual(status, 503)
            time.sleep(0.01)
        self.fail("no 200 within 10 s of Redis coming back")

    def kill_and_restart(self, round_no):
        self.redis.kill()
        time.sleep(0.3)
        self.check_refusals_while_down()
        time.sleep(0.5)
        self.redis.restart()  # returns once it answers PING (AOF loaded)
        recovery = self.wait_for_service(time.monotonic())
        self.figures["recovery_after_restart_%d_ms" % round_no] = round(recovery * 1000)
        self.assertLess(recovery, 1.0, "service resumed %.2f s after Redis came back" % recovery)

    def pause(self):
        with RedisClient(self.redis.port) as r:
            r.command("CLIENT", "PAUSE", PAUSE_MS, "ALL")
        paused_at = time.monotonic()
        status, _, _, latency = self.probe()
        self.figures["probe_during_pause"] = {"status": status, "latency_ms": round(latency * 1000)}
        self.assertEqual(status, 503, "a request during CLIENT PAUSE was not refused")
        self.assertLess(latency, 2 * TIMEOUT_MS / 1000 + 0.5, "the Redis timeout did not bound it")
        time.sleep(max(0.0, PAUSE_MS / 1000 - (time.monotonic() - paused_at)))
        recovery = self.wait_for_service(time.monotonic())
        self.figures["recovery_after_pause_ms"] = round(recovery * 1000)
        self.assertLess(recovery, 1.0)

    def test_kills_and_pause_under_load(self):
        pid = self.adstats.pid
        path = "/impression?" + event_query(LOAD_USER, LOAD_SDK)
        load = Load(self.adstats.port, path, workers=3, max_seconds=120).start()
        try:
            time.sleep(1.5)
            self.kill_and_restart(1)
            time.sleep(1.0)
            self.kill_and_restart(2)
            time.sleep(1.0)
            self.pause()
            time.sleep(1.0)
        finally:
            totals = load.stop()

        # Normal service resumed: a burst of requests, every one a 200.
        statuses = [self.probe()[0] for _ in range(50)]
        self.assertEqual(statuses, [200] * 50)

        by_user = statistics(self.adstats, "username", LOAD_USER)
        by_sdk = statistics(self.adstats, "sdk", LOAD_SDK)
        self.figures.update({
            "requests": totals.sent, "acknowledged_2xx": totals.ok,
            "refused_503": totals.unavailable, "other_status": totals.other,
            "unanswered": totals.errors, "max_latency_ms": totals.max_latency_ms,
            "counted_by_user": by_user, "counted_by_sdk": by_sdk,
            "surplus_user": by_user - totals.ok, "surplus_sdk": by_sdk - totals.ok,
            "adstats_pid_unchanged": self.adstats.pid == pid and self.adstats.alive(),
        })
        print("\nfault test figures: " + json.dumps(self.figures, indent=1))

        self.adstats.assert_healthy(self)
        self.assertEqual(self.adstats.pid, pid)
        self.assertGreater(totals.ok, 0)
        self.assertGreater(totals.unavailable, 0, "the faults produced no 503 at all")
        self.assertEqual(totals.other, 0, "statuses: %r" % totals.statuses)
        self.assertEqual(totals.errors, 0, "requests left unanswered")
        self.assertEqual(totals.bad_503, 0, "a 503 without Retry-After or a JSON message")
        self.assertLess(totals.max_latency_ms, 3 * TIMEOUT_MS)  # bounded by the timeout
        for counted in (by_user, by_sdk):
            self.assertGreaterEqual(counted, totals.ok, "an acknowledged event was lost")
            self.assertLessEqual(counted - totals.ok, totals.unavailable,
                                 "more events counted than acknowledged or refused")


class RedisUnreachable(unittest.TestCase):
    """Redis absent at start-up, and a Redis that accepts but never answers."""

    def check_503(self, adstats, max_seconds):
        for path in ("/impression?" + event_query("u"), "/ad?" + event_query("u"),
                     "/statistics?username=u"):
            started = time.monotonic()
            status, headers, body = adstats.get(path, timeout=5)
            self.assertEqual(status, 503, body)
            self.assertIsNotNone(headers.get("Retry-After"))
            self.assertIs(json.loads(body)["success"], False)
            self.assertLess(time.monotonic() - started, max_seconds)

    def test_redis_absent_at_start_then_started(self):
        redis = RedisServer(port=free_port())  # nothing listens there yet
        adstats = Adstats(redis.url, extra_args=["--redis-timeout-ms", str(TIMEOUT_MS)])
        with redis, adstats.start():
            self.check_503(adstats, 1.0)
            redis.start()
            came_back = time.monotonic()
            while adstats.get("/impression?" + event_query("u"))[0] != 200:
                self.assertLess(time.monotonic() - came_back, 1.0, "not serving 1 s after")
                time.sleep(0.01)

    def test_silent_redis(self):
        """A server that accepts connections and never answers: every
        request is failed within the timeout, again and again."""
        listener = socket.socket()
        listener.bind((LOOPBACK, free_port()))
        listener.listen(64)
        port = listener.getsockname()[1]
        adstats = Adstats("redis://127.0.0.1:%d/0" % port,
                          extra_args=["--redis-timeout-ms", str(TIMEOUT_MS)])
        with listener, adstats.start():
            for _ in range(3):
                self.check_503(adstats, 3 * TIMEOUT_MS / 1000)
                time.sleep(0.1)  # reconnected: the next round times out afresh


def open_connections(port, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection((LOOPBACK, port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        socks.append(s)
    return socks


class ClientsGoneWhileWaiting(unittest.TestCase):
    """Clients that reset their connection while the request waits on Redis.

    One worker, so that the 200 connections go past the 128 requests a
    worker holds (src/request.c): the first wait held, the rest suspended.
    Redis is paused (CLIENT PAUSE) while they are sent, and every client
    resets its connection after 0.2 s. Then the pause ends and Redis
    answers (a timeout longer than the pause), or the timeout fails them
    (shorter). Either way adstats must free every request once its batch
    is done without answering it or touching its connection (the sanitizer
    build would report a use after free or a leak), count nothing it did
    not send, and go on serving."""

    CONNECTIONS = 200

    def run_case(self, timeout_ms, pause_ms):
        with RedisServer().start() as redis, Adstats(
                redis.url, extra_args=["--threads", "1", "--redis-timeout-ms", str(timeout_ms),
                                       "--log-level", "error"]).start() as adstats:
            socks = open_connections(adstats.port, self.CONNECTIONS)
            with RedisClient(redis.port) as r:
                r.command("CLIENT", "PAUSE", pause_ms, "ALL")
            for i, s in enumerate(socks):
                path = ("/statistics?username=gone" if i % 4 == 3 else
                        "/impression?" + event_query("gone")
                        + ("&event_id=g%d" % i if i % 4 == 2 else ""))
                s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode())
            time.sleep(0.2)
            for s in socks:
                s.close()  # SO_LINGER 0: a reset
            time.sleep(pause_ms / 1000 + 0.3)

            def settled():
                status, _, body = adstats.get("/metrics", timeout=5)
                return status == 200 and metric_value(body.decode(),
                                                      "adstats_http_requests_in_flight") == 1
            wait_until(settled, 3 * timeout_ms / 1000 + 2, 0.05,
                       "every request of a reset connection to be freed")
            adstats.assert_healthy(self)
            self.assertEqual(adstats.get("/impression?" + event_query("after"), timeout=5)[0], 200)
            self.assertLessEqual(statistics(adstats, "username", "gone"),
                                 self.CONNECTIONS // 4 * 3)

    def test_redis_answers_after_the_reset(self):
        self.run_case(timeout_ms=3000, pause_ms=600)

    def test_timeout_fails_them_after_the_reset(self):
        self.run_case(timeout_ms=300, pause_ms=900)


if __name__ == "__main__":
    unittest.main(verbosity=2)
