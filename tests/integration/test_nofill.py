"""test_nofill.py -- no-fills: the upstream has no ad for an ad request.

An upstream 204, or a well-formed VAST document (any version, VAST 1.0's
<VideoAdServingTemplate> included) without an <Ad> child of its root, is a
no-fill, not a failure: /ad answers 200 with a VAST document (the
upstream's own, byte for byte; <VAST version="3.0"/> for a 204), the ad
request stays counted, a no-fill is counted in all four dimensions (field
`nof` of the same hashes, all-time and per day), nothing goes to the backend
error log, and /metrics counts it. /statistics shows it with no_fills=1
only, in the totals and every day of a series; without the flag the answer
is the Flask one, byte for byte. A retry (same event_id) counts no second
no-fill, and a no-fill whose count fails (Redis gone) is still answered.
Real failures stay 502 and logged.
"""

import json
import os
import re
import threading
import time
import unittest

from harness import (
    RedisServer, StackTestCase, event_params, unique, unique_version, wait_until)

NOW = "2025-03-10"
TODAY = "20250310"
TOKEN = "nofill-admin-token"

# The answer to a 204.
EMPTY_VAST = b'<VAST version="3.0"/>'

# A no-fill as VAST 3 recommends it: no <Ad>, <Error> URLs for the player.
NO_AD_VAST = ('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<VAST version="3.0">\n'
              '  <Error><![CDATA[https://adserver.example/error?code=303&caf\u00e9=1]]></Error>\n'
              '  <Error>https://other.example/e</Error>\n'
              '</VAST>\n')

VAST1_AD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<VideoAdServingTemplate xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            ' <Ad id="v1"><InLine><AdSystem>s</AdSystem><AdTitle>VAST 1.0 ad</AdTitle>\n'
            '  <Impression><URL><![CDATA[http://127.0.0.1/i]]></URL></Impression>\n'
            '  <Video><Duration>00:00:15</Duration></Video></InLine></Ad>\n'
            '</VideoAdServingTemplate>\n')

VAST1_NO_AD = '<?xml version="1.0"?>\n<VideoAdServingTemplate/>\n'

DIMENSIONS = ("username", "sdk", "country", "platform")

_countries = iter(["NZ", "IS", "NO", "FI", "SE", "DK", "EE", "LV", "LT", "PL", "CZ", "SK",
                   "HU", "SI", "HR", "RS", "BG", "RO", "GR", "CY", "MT", "PT", "IE", "LU"])
_platforms = iter(range(1, 1000))


def subject():
    """Values of the four dimensions that no other test of the class uses."""
    return {"username": unique(), "sdk": unique_version(), "country": next(_countries),
            "platform": "pf-nofill-%d-%d" % (os.getpid() % 100000, next(_platforms))}


def metric_value(text, name, **labels):
    """The value of one sample of a Prometheus text exposition (0 if absent)."""
    label = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    pattern = r"^%s%s (\S+)$" % (re.escape(name), re.escape("{%s}" % label) if label else "")
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else 0.0


class NoFillCase(StackTestCase):
    adstats_args = ("--now", NOW, "--admin-token", TOKEN)

    def ad_for(self, s, event_id=None, app=None):
        params = event_params(s["username"], s["sdk"], platform=s["platform"],
                              country_code=s["country"])
        if event_id is not None:
            params.append(("event_id", event_id))
        return (app or self.app).get("/ad", params)

    def serve(self, body, status=200, delay_ms=0):
        self.mock.set_scenario([(body, status, delay_ms)])

    def statistics(self, dim, value, **extra):
        params = {dim: value}
        params.update(extra)
        return self.app.get("/statistics", params)

    def counts(self, dim, value, **extra):
        doc = self.assertJSON(self.statistics(dim, value, **extra), 200)
        return doc[value]

    def scrape(self, app=None):
        code, _, body = (app or self.app).get("/metrics")
        self.assertEqual(code, 200)
        return body.decode()

    def no_fills_metric(self, app=None):
        return metric_value(self.scrape(app), "adstats_events_total", type="no_fill")

    def assert_no_new_backend_line(self, lines_before, app=None):
        time.sleep(0.3)  # the log is written by a thread of its own
        lines = (app or self.app).backend_log()
        self.assertEqual(len(lines), lines_before, lines[lines_before:])

    def assert_counted(self, s, ad_requests, no_fills):
        """The counters of every dimension: all-time (Redis and /statistics
        with no_fills=1) and today's (the day series)."""
        letters = {"username": "u", "sdk": "s", "country": "c", "platform": "p"}
        want = {"req": ad_requests}
        if no_fills:
            want["nof"] = no_fills
        for dim in DIMENSIONS:
            with self.subTest(dimension=dim):
                self.assertEqual(self.counters(letters[dim], s[dim]), want)
                self.assertEqual(self.counts(dim, s[dim], no_fills="1"),
                                 {"impressions": 0, "ad_requests": ad_requests, "fill_rate": 0,
                                  "no_fills": no_fills})
                ranged = self.counts(dim, s[dim], no_fills="1", interval="day",
                                     **{"from": "2025-03-09", "to": NOW})
                self.assertEqual(ranged["no_fills"], no_fills)
                self.assertEqual(ranged["ad_requests"], ad_requests)
                self.assertEqual(ranged["series"], [
                    {"date": "2025-03-09", "impressions": 0, "ad_requests": 0, "fill_rate": 0,
                     "no_fills": 0},
                    {"date": NOW, "impressions": 0, "ad_requests": ad_requests, "fill_rate": 0,
                     "no_fills": no_fills}])


class NoFillTests(NoFillCase):

    def check_no_fill(self, body, status, answer):
        s = subject()
        lines_before = len(self.app.backend_log())
        metric_before = self.no_fills_metric()
        self.serve(body, status)
        code, headers, got = self.ad_for(s)
        self.assertEqual(code, 200, got[:300])
        self.assertEqual(headers.get("Content-Type"), "application/xml")
        self.assertEqual(got, answer)
        self.assertIsNone(headers.get("Adstats-Duplicate"))
        self.assert_counted(s, ad_requests=1, no_fills=1)
        self.assert_no_new_backend_line(lines_before)
        self.assertEqual(self.no_fills_metric(), metric_before + 1)
        return s

    def test_upstream_204_is_answered_with_an_empty_vast(self):
        self.check_no_fill("", 204, EMPTY_VAST)

    def test_vast_without_ad_passes_through_byte_for_byte(self):
        self.check_no_fill(NO_AD_VAST, 200, NO_AD_VAST.encode())

    def test_minimal_empty_vast(self):
        self.check_no_fill('<VAST version="4.2" xmlns="http://www.iab.com/VAST"/>', 200,
                           b'<VAST version="4.2" xmlns="http://www.iab.com/VAST"/>')

    def test_vast1_without_ad_is_a_no_fill(self):
        self.check_no_fill(VAST1_NO_AD, 200, VAST1_NO_AD.encode())

    def test_vast1_with_an_ad_passes_unchanged(self):
        s = subject()
        lines_before = len(self.app.backend_log())
        self.serve(VAST1_AD)
        code, headers, got = self.ad_for(s)
        self.assertEqual(code, 200, got[:300])
        self.assertEqual(headers.get("Content-Type"), "application/xml")
        self.assertEqual(got, VAST1_AD.encode())
        self.assertEqual(self.counters("u", s["username"]), {"req": 1})
        self.assert_no_new_backend_line(lines_before)

    def test_an_ad_counts_no_no_fill(self):
        s = subject()
        metric_before = self.no_fills_metric()
        code, _, got = self.ad_for(s)  # the mock's default VAST 3.0 ad
        self.assertEqual(code, 200)
        self.assertEqual(got, self.mock.fetch_default()[2])
        self.assert_counted(s, ad_requests=1, no_fills=0)
        self.assertEqual(self.no_fills_metric(), metric_before)

    def test_fill_rate_keeps_its_definition(self):
        s = subject()
        self.serve("", 204)
        self.assertEqual(self.ad_for(s)[0], 200)
        self.assertEqual(self.ad_for(s)[0], 200)  # an ad
        self.impression(s["username"], s["sdk"], platform=s["platform"],
                        country_code=s["country"])
        self.assertEqual(self.counts("username", s["username"], no_fills="1"),
                         {"impressions": 1, "ad_requests": 2, "fill_rate": 0.5, "no_fills": 1})

    def test_duplicate_event_id_counts_one_no_fill(self):
        s = subject()
        event_id = "nofill-retry-%d" % os.getpid()
        metric_before = self.no_fills_metric()
        self.mock.set_scenario([("", 204, 0), ("", 204, 0)])
        first = self.ad_for(s, event_id=event_id)
        retry = self.ad_for(s, event_id=event_id)
        for code, _, got in (first, retry):
            self.assertEqual(code, 200, got[:300])
            self.assertEqual(got, EMPTY_VAST)
        self.assertIsNone(first[1].get("Adstats-Duplicate"))
        self.assertEqual(retry[1].get("Adstats-Duplicate"), "true")
        self.assert_counted(s, ad_requests=1, no_fills=1)
        self.assertEqual(self.no_fills_metric(), metric_before + 1)

    def test_no_fills_with_unique_sessions(self):
        s = subject()
        self.serve("", 204)
        self.assertEqual(self.ad_for(s)[0], 200)
        self.assertEqual(self.counts("sdk", s["sdk"], no_fills="true", unique_sessions="1"),
                         {"impressions": 0, "ad_requests": 1, "fill_rate": 0, "no_fills": 1,
                          "unique_sessions": 1})


class StatisticsAnswerTests(NoFillCase):
    """Without no_fills=1, /statistics answers as it did."""

    def test_answer_without_the_flag_is_unchanged(self):
        s = subject()
        self.serve("", 204)
        self.assertEqual(self.ad_for(s)[0], 200)
        for dim in DIMENSIONS:
            with self.subTest(dimension=dim):
                code, _, body = self.statistics(dim, s[dim])
                self.assertEqual(code, 200)
                self.assertEqual(body, ('{"success": true, %s: {"impressions": 0, '
                                        '"ad_requests": 1, "fill_rate": 0.0}}'
                                        % json.dumps(s[dim])).encode())
                for extra in ({"no_fills": "0"}, {"unique_sessions": "1"},
                              {"interval": "day"}, {"from": NOW}):
                    text = self.statistics(dim, s[dim], **extra)[2].decode()
                    self.assertNotIn("no_fills", text, extra)

    def test_top_lists_have_no_no_fill_metric(self):
        message = self.assertError(self.app.get("/statistics/top", {"dimension": "username",
                                                                     "metric": "no_fills"}), 400)
        self.assertIn("metric must be impressions, ad_requests, completes or clicks", message)
        doc = self.assertJSON(self.app.get("/statistics/top", {"dimension": "username"}), 200)
        for row in doc["top"]:
            self.assertNotIn("no_fills", row)

    def test_no_fills_must_be_a_flag(self):
        self.assertError(self.statistics("username", "x", no_fills="yes"), 400,
                         "no_fills must be 1, 0, true or false")

    def test_delete_removes_the_no_fills(self):
        s = subject()
        self.serve("", 204)
        self.assertEqual(self.ad_for(s)[0], 200)
        auth = {"Authorization": "Bearer " + TOKEN}
        refused = self.app.request("DELETE", "/statistics",
                                   {"username": s["username"], "no_fills": "1"}, headers=auth)
        self.assertError(refused, 400)
        doc = self.assertJSON(self.app.request("DELETE", "/statistics",
                                               {"username": s["username"]}, headers=auth), 200)
        self.assertGreater(doc["deleted"], 0)
        self.assertEqual(self.counters("u", s["username"]), {})
        self.assertEqual(self.redis.hgetall(b"as:u:" + TODAY.encode() + b":"
                                            + s["username"].encode()), {})
        self.assertEqual(self.statistics("username", s["username"], no_fills="1")[0], 404)


class RealFailureTests(NoFillCase):
    """Failures stay failures: 502, logged, no no-fill counted."""

    def check_failure(self, body, status, outcome):
        s = subject()
        lines_before = len(self.app.backend_log())
        self.serve(body, status)
        message = self.assertError(self.ad_for(s), 502)
        self.assertEqual(self.counters("u", s["username"]), {"req": 1})
        self.assertEqual(self.counters("c", s["country"]), {"req": 1})
        lines = self.app.wait_backend_log(lines_before + 1)
        self.assertEqual(lines[-1]["outcome"], outcome)
        return message

    def test_upstream_500(self):
        self.assertIn("500", self.check_failure("", 500, "http_status"))

    def test_malformed_xml(self):
        self.assertIn("malformed", self.check_failure("<VAST version='3.0'>", 200,
                                                      "malformed_xml"))

    def test_empty_200_is_no_no_fill(self):
        # A 200 must carry VAST: only a 204 says "no ad" without a document.
        self.assertIn("empty", self.check_failure("", 200, "malformed_xml"))

    def test_wrong_root_with_an_ad_child(self):
        self.assertIn("not VAST", self.check_failure("<html><Ad/></html>", 200, "not_vast"))


class RedisFailureTests(NoFillCase):
    """Redis goes away between the ad request's count and its no-fill's."""

    def test_no_fill_is_answered_when_it_cannot_be_counted(self):
        redis = RedisServer().start()
        try:
            app = self.stack.start_adstats(["--now", NOW], redis_url=redis.url)
            lines_before = len(app.backend_log())
            s = subject()
            self.serve(NO_AD_VAST, 200, delay_ms=800)
            result = {}
            t = threading.Thread(target=lambda: result.update(answer=self.ad_for(s, app=app)))
            t.start()
            wait_until(lambda: len(self.mock.requests()) == 1, 3.0, 0.01,
                       "the fetch at the mock (the ad request counted)")
            redis.stop()
            t.join(10)
            code, headers, got = result["answer"]
            self.assertEqual(code, 200, got[:300])
            self.assertEqual(got, NO_AD_VAST.encode())
            text = self.scrape(app)
            self.assertEqual(metric_value(text, "adstats_events_lost_total", type="no_fill"), 1)
            self.assertEqual(metric_value(text, "adstats_events_total", type="no_fill"), 0)
            self.assertEqual(metric_value(text, "adstats_events_total", type="ad_request"), 1)
            self.assert_no_new_backend_line(lines_before, app=app)
            self.assertNotIn("no-fill", app.stderr().lower())
        finally:
            redis.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
