"""test_clients.py -- slow and greedy clients.

  - Past --max-connections a new connection's request is answered with a
    JSON 503 (Retry-After, Connection: close) and counts nothing, while the
    connections already open keep being served; once some close, new ones
    are served again.
  - A connection that sends nothing is closed after --idle-timeout-s; one
    whose request head is not whole by then gets a JSON 408, however busily
    it dribbles (the deadline runs from the accept).
  - 1,000 connections dribbling their headers one byte at a time
    (slowloris) do not keep a normal client from getting /impression
    answers in under 100 ms.
"""

import multiprocessing
import socket
import time
import unittest

from harness import (LOOPBACK, Adstats, RedisServer, event_query, parse_responses,
                     raise_fd_limit, raw_exchange, wait_until)

SLOW_CONNECTIONS = 1000
LATENCY_LIMIT_MS = 100


def request_bytes(user, extra_headers=""):
    return ("GET /impression?%s HTTP/1.1\r\nHost: t\r\n%s\r\n"
            % (event_query(user), extra_headers)).encode()


def open_served(port, n, deadline_s=10):
    """Opens `n` keep-alive connections that have each been served once (so
    adstats has surely accepted and counted them). A connection refused
    with 503 because an earlier, closed one is still being counted is
    closed and tried again."""
    socks = []
    deadline = time.monotonic() + deadline_s
    probe = b"GET /statistics?username=warm HTTP/1.1\r\nHost: t\r\n\r\n"
    while len(socks) < n and time.monotonic() < deadline:
        s = socket.create_connection((LOOPBACK, port), timeout=5)
        s.sendall(probe)
        answer = s.recv(4096)
        if answer.startswith(b"HTTP/1.1 404"):
            socks.append(s)
        else:
            s.close()
            time.sleep(0.05)
    if len(socks) < n:
        raise AssertionError("could not open %d served connections" % n)
    return socks


class MaxConnections(unittest.TestCase):
    LIMIT = 20

    def setUp(self):
        self.redis = RedisServer().start()
        self.adstats = Adstats(self.redis.url,
                               extra_args=["--max-connections", str(self.LIMIT)]).start()
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()
        try:
            self.adstats.stop_clean()
        finally:
            self.redis.stop()

    def test_503_past_the_limit(self):
        self.socks = open_served(self.adstats.port, self.LIMIT)  # every slot taken
        reply = raw_exchange(self.adstats.port, request_bytes("late"), timeout=3.0, settle=0.3)
        status, headers, body = reply
        self.assertEqual(len(reply.responses), 1, reply.raw)
        self.assertEqual(status, 503, reply.raw)
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertIn(b"too many open connections", body)
        self.assertIn("retry-after", headers)
        self.assertEqual(headers.get("connection"), "close")
        self.assertTrue(reply.closed)
        self.assertEqual(self.redis.command("DBSIZE"), 0, "a refused request was counted")

        # A connection that was open before the limit is still served.
        early = self.socks.pop()
        early.sendall(request_bytes("early"))
        self.assertIn(b" 200 ", early.recv(4096).split(b"\r\n")[0] + b" ")
        early.close()

        # Once connections close, new ones are served again.
        for s in self.socks[:5]:
            s.close()
        del self.socks[:5]
        wait_until(lambda: raw_exchange(self.adstats.port, request_bytes("again"))[0] == 200,
                   5, interval=0.1, what="a 200 once connections closed")
        self.adstats.assert_healthy(self)


class IdleTimeout(unittest.TestCase):
    def test_idle_connection_is_closed(self):
        with RedisServer().start() as redis, \
                Adstats(redis.url, extra_args=["--idle-timeout-s", "1"]).start() as adstats:
            with socket.create_connection((LOOPBACK, adstats.port), timeout=5) as s:
                started = time.monotonic()
                self.assertEqual(s.recv(1), b"")  # closed by the server
                waited = time.monotonic() - started
            self.assertGreater(waited, 0.5)
            self.assertLess(waited, 3.5)
            adstats.assert_healthy(self)


class HeadDeadline(unittest.TestCase):
    def test_dribbled_head_gets_408_at_the_deadline(self):
        with RedisServer().start() as redis, \
                Adstats(redis.url, extra_args=["--idle-timeout-s", "1"]).start() as adstats:
            with socket.create_connection((LOOPBACK, adstats.port), timeout=5) as s:
                started = time.monotonic()
                s.sendall(b"GET /impression?" + event_query("slow").encode() + b" HTTP/1.1\r\n")
                raw = b""
                while not raw and time.monotonic() - started < 4:
                    try:
                        s.sendall(b"X")  # a byte of header every 0.1 s
                    except OSError:
                        break
                    s.settimeout(0.1)
                    try:
                        raw = s.recv(4096)
                    except socket.timeout:
                        pass
                waited = time.monotonic() - started
            (status, headers, body), = parse_responses(raw)[0]
            self.assertEqual(status, 408, raw)
            self.assertEqual(headers.get("content-type"), "application/json")
            self.assertIn(b"request head not received in time", body)
            self.assertGreater(waited, 0.9)
            self.assertLess(waited, 2.5)
            self.assertEqual(redis.command("DBSIZE"), 0)
            adstats.assert_healthy(self)


def _dribble(port, n, seconds, ready, report):
    """Opens `n` connections and sends each a never-ending header, one byte
    per connection about every 0.5 s, for `seconds`."""
    raise_fd_limit()
    socks = [socket.create_connection((LOOPBACK, port), timeout=5) for _ in range(n)]
    head = b"GET /impression?" + event_query("slow").encode() + b" HTTP/1.1\r\nHost: t\r\n"
    for s in socks:
        s.sendall(head)
    ready.set()
    sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for s in socks:
            s.send(b"X-Slow: a\r\n"[sent % 11:sent % 11 + 1])
        sent += 1
        time.sleep(0.5)
    alive = 0
    for s in socks:
        try:
            s.send(b"a")
            alive += 1
        except OSError:
            pass
        s.close()
    report.put((sent, alive))


class Slowloris(unittest.TestCase):
    def test_normal_client_still_served(self):
        self.assertGreater(raise_fd_limit(), SLOW_CONNECTIONS + 100)
        with RedisServer().start() as redis, Adstats(redis.url).start() as adstats:
            self.slowloris(adstats)

    def slowloris(self, adstats):
        ready, report = multiprocessing.Event(), multiprocessing.Queue()
        slow = multiprocessing.Process(target=_dribble, daemon=True,
                                       args=(adstats.port, SLOW_CONNECTIONS, 6, ready, report))
        slow.start()
        try:
            self.assertTrue(ready.wait(30), "could not open the slow connections")
            time.sleep(1.0)  # a couple of dribbles in
            latencies = []
            for i in range(100):
                started = time.monotonic()
                status, _, _ = raw_exchange(adstats.port,
                                            request_bytes("normal", "Connection: close\r\n"))
                latencies.append((time.monotonic() - started) * 1000)
                self.assertEqual(status, 200)
                time.sleep(0.02)
            sent, alive = report.get(timeout=30)
        finally:
            slow.join(30)
            if slow.is_alive():
                slow.kill()
        latencies.sort()
        print("\nslowloris: %d slow connections (%d still open after %d dribbles); "
              "normal client: median %.1f ms, 95th %.1f ms, max %.1f ms over %d requests"
              % (SLOW_CONNECTIONS, alive, sent, latencies[50], latencies[94], latencies[-1],
                 len(latencies)))
        self.assertEqual(alive, SLOW_CONNECTIONS, "slow connections were dropped early")
        self.assertLess(latencies[-1], LATENCY_LIMIT_MS)
        self.assertEqual(adstats.get("/statistics?username=slow")[0], 404)  # none counted
        adstats.assert_healthy(self)


if __name__ == "__main__":
    unittest.main(verbosity=2)
