"""test_log_bounds.py -- the backend error log stays bounded under a flood.

With the upstream down (a loopback port nothing listens on: every /ad is a
502 connect_error), a flood of ad requests writes, per outcome, at most 5
failures in full and one summary line a second; a summary has the shape of
the other lines plus "repeated": N, and the full lines and the Ns add up
to the failures exactly -- once the summaries are due (the writer's tick)
and at shutdown (held ones are written on SIGTERM). /metrics counts the
summarized failures. A few failures are each written in full.
"""

import math
import threading
import time
import unittest

from harness import (HTTPClient, LOOPBACK, StackTestCase, event_params, free_port, metric_value,
                     unique, unique_version, wait_until)

FULL_PER_SECOND = 5


def dead_upstream():
    return "http://%s:%d/vast" % (LOOPBACK, free_port())


def flood(app, total, threads=4, max_seconds=10.0):
    """Sends `total` /ad requests from a few keep-alive clients; returns the
    number answered 502 and the seconds it took."""
    failures = [0] * threads
    deadline = time.monotonic() + max_seconds

    def client(i):
        c = HTTPClient(app.port)
        try:
            for _ in range(total // threads):
                if time.monotonic() > deadline:
                    return
                resp = c.get("/ad", event_params(unique(), unique_version()))
                failures[i] += resp.status == 502
        finally:
            c.close()

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(failures), time.monotonic() - started


def accounted(lines):
    """Failures the lines stand for: one per full line, N per summary."""
    return sum(line.get("repeated", 1) for line in lines)


class LogBoundsTests(StackTestCase):

    def test_flood_is_bounded_and_counted(self):
        app = self.stack.start_adstats(vast_url=dead_upstream())
        failures, seconds = flood(app, 3000)
        self.assertGreater(failures, 1000)
        lines = wait_until(lambda: (lambda l: l if accounted(l) >= failures else None)(
            app.backend_log()), 5.0, 0.05, "the summaries of the flood")
        self.assertEqual(accounted(lines), failures)
        windows = math.ceil(seconds) + 1
        self.assertLessEqual(len(lines), (FULL_PER_SECOND + 1) * windows + 2)
        summaries = [line for line in lines if "repeated" in line]
        self.assertTrue(summaries)
        for s in summaries:
            self.assertEqual(set(s), {"time", "url", "outcome", "http_status", "latency_ms",
                                      "message", "repeated"})
            self.assertEqual(s["outcome"], "connect_error")
            self.assertEqual(s["url"], app.vast_url)
            self.assertGreater(s["repeated"], 0)
            self.assertIn("more connect_error failures in the last", s["message"])
            self.assertIn("upstream ad server unreachable", s["message"])
        text = app.get("/metrics").text
        self.assertEqual(metric_value(text, "adstats_log_lines_summarized_total", log="backend"),
                         sum(s["repeated"] for s in summaries))

    def test_shutdown_writes_the_held_summary(self):
        app = self.stack.start_adstats(vast_url=dead_upstream())
        failures, seconds = flood(app, 40, threads=2)
        self.assertEqual(failures, 40)
        self.assertEqual(app.stop(), 0)
        lines = app.backend_log()
        self.assertEqual(accounted(lines), 40)
        self.assertLessEqual(len(lines), (FULL_PER_SECOND + 1) * (math.ceil(seconds) + 1))

    def test_few_failures_are_written_in_full(self):
        app = self.stack.start_adstats(vast_url=dead_upstream())
        for _ in range(3):
            resp = app.get("/ad", event_params(unique(), unique_version()))
            self.assertEqual(resp.status, 502)
        lines = app.wait_backend_log(3)
        time.sleep(1.5)  # past the window: nothing more comes
        lines = app.backend_log()
        self.assertEqual(len(lines), 3)
        for line in lines:
            self.assertNotIn("repeated", line)
            self.assertEqual(line["outcome"], "connect_error")
        self.assertEqual(metric_value(app.get("/metrics").text,
                                      "adstats_log_lines_summarized_total", log="backend"), 0)


if __name__ == "__main__":
    unittest.main()
