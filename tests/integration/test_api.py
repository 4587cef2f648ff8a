"""test_api.py -- adstats' HTTP contract, end to end.

Every endpoint and every error of the contract (postman/ shows it as tests),
against a real adstats with its own Redis and mock upstream (tests/harness).
Counters are checked both through /statistics and in Redis itself
(as:u:t:<user> and as:s:t:<sdk>, fields imp and req).
"""

import json
import signal
import threading
import time
import unittest
import urllib.parse

from harness import (
    HTTPClient, RedisServer, StackTestCase, VastMock, event_params, free_port, raw_exchange,
    request, unique, unique_version, wait_until)
from harness.keys import day_counts

VAST_OK = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<VAST version="4.0"><Ad id="t1"><InLine><AdTitle>caf\u00e9 \u5e7f\u544a'
           '</AdTitle><Impression><![CDATA[http://127.0.0.1/i?a=1&b=2]]></Impression>'
           '</InLine></Ad></VAST>\n<!-- trailing comment -->\n')


def q(value):
    """Percent-encodes a parameter value (UTF-8, '+' for space)."""
    return urllib.parse.quote_plus(value)


def raw_event_query(user, sdk, **raw):
    """The five event parameters as a raw query; `raw` gives already-encoded
    values that replace the defaults (for values no encoder would make)."""
    values = {"sdk_version": q(sdk), "session_id": "sess-1", "platform": "android",
              "username": q(user), "country_code": "US"}
    values.update(raw)
    return "&".join("%s=%s" % (k, values[k]) for k in
                    ("sdk_version", "session_id", "platform", "username", "country_code"))


class EventTests(StackTestCase):
    """/impression and /ad: success, exact counting, the returned ad."""

    def test_impression_get_counted(self):
        user, sdk = unique(), unique_version()
        resp = self.impression(user, sdk)
        self.assertEqual(resp[2], b'{"success": true, "message": "Successfully fetched"}')
        self.assertEqual(self.counters("u", user), {"imp": 1})
        self.assertEqual(self.counters("s", sdk), {"imp": 1})
        doc = self.assertJSON(self.stats(username=user), 200)
        self.assertEqual(doc, {"success": True, user: {"impressions": 1, "ad_requests": 0,
                                                       "fill_rate": 0}})

    def test_impression_post_form_counted(self):
        user, sdk = unique(), unique_version()
        self.impression(user, sdk, post=True)
        self.impression(user, sdk, post=True, platform="ios", country_code="de")
        self.assertEqual(self.counters("u", user), {"imp": 2})
        self.assertEqual(self.counters("s", sdk), {"imp": 2})

    def test_ad_get_returns_the_mocks_vast_unchanged(self):
        user, sdk = unique(), unique_version()
        direct = self.mock.fetch_default()
        self.assertEqual(direct[0], 200)
        status, headers, body = self.ad(user, sdk)
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers.get("Content-Type"), "application/xml")
        self.assertEqual(body, direct[2])
        self.assertTrue(body.startswith(b"<?xml") and b"<VAST" in body)
        self.assertEqual(self.counters("u", user), {"req": 1})
        self.assertEqual(self.counters("s", sdk), {"req": 1})

    def test_ad_post_form_returns_vast(self):
        user, sdk = unique(), unique_version()
        status, headers, body = self.ad(user, sdk, post=True)
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers.get("Content-Type"), "application/xml")
        self.assertEqual(body, self.mock.fetch_default()[2])
        self.assertEqual(self.counters("u", user), {"req": 1})

    def test_ad_body_is_passed_through_byte_for_byte(self):
        user, sdk = unique(), unique_version()
        self.mock.set_scenario([(VAST_OK, 200, 0)])
        status, headers, body = self.ad(user, sdk)
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers.get("Content-Type"), "application/xml")
        self.assertEqual(body, VAST_OK.encode("utf-8"))
        self.assertEqual(len(self.mock.requests()), 1)

    def test_counts_are_exact(self):
        user, sdk = unique(), unique_version()
        for i in range(7):
            self.impression(user, sdk, post=bool(i % 2), session_id="s%d" % i)
        for i in range(4):
            self.assertEqual(self.ad(user, sdk, post=bool(i % 2))[0], 200)
        self.assertEqual(self.counters("u", user), {"imp": 7, "req": 4})
        self.assertEqual(self.counters("s", sdk), {"imp": 7, "req": 4})
        # today's counters are the user's fields of a shared day bucket
        # (docs/ANALYTICS.md, layout 2); users keep no session HyperLogLogs
        # by default, so the all-time hash is the only key naming the user
        day = time.strftime("%Y%m%d", time.gmtime())
        self.assertEqual(day_counts(self.redis, "u", day, user), {"imp": 7, "req": 4})
        self.assertEqual(day_counts(self.redis, "s", day, sdk), {"imp": 7, "req": 4})
        self.assertEqual(self.redis.keys("as:*:%s" % user), [("as:u:t:" + user).encode()])
        for params, key in (({"username": user}, user), ({"sdk": sdk}, sdk)):
            doc = self.assertJSON(self.stats(**params), 200)
            self.assertEqual(doc, {"success": True,
                                   key: {"impressions": 7, "ad_requests": 4, "fill_rate": 1.75}})

    def test_lower_case_country_and_platform_punctuation_accepted(self):
        user, sdk = unique(), unique_version()
        self.impression(user, sdk, country_code="jp", platform="android-tv_2.0")
        self.assertEqual(self.ad(user, sdk, country_code="Br")[0], 200)
        self.assertEqual(self.counters("u", user), {"imp": 1, "req": 1})

    def test_plus_in_query_is_a_space(self):
        sdk = unique_version()
        status, _, body = self.app.get("/impression", raw_event_query("x", sdk,
                                                                      username="two+words"))
        self.assertEqual(status, 200, body)
        self.assertEqual(self.counters("u", "two words"), {"imp": 1})
        doc = self.assertJSON(self.stats(username="two words"), 200)
        self.assertIn("two words", doc)

    def test_limits_accepted(self):
        user64 = "u" * 64
        user_mb64 = "\u00e9" * 32  # 64 bytes of UTF-8
        sdk32 = "1." * 15 + "12"   # 32 bytes
        self.assertEqual(len(sdk32), 32)
        self.impression(user64, sdk32, session_id="s" * 128, platform="p" * 32, country_code="jp")
        self.assertEqual(self.ad(user_mb64, sdk32)[0], 200)
        self.assertEqual(self.counters("u", user64), {"imp": 1})
        self.assertEqual(self.counters("u", user_mb64), {"req": 1})
        self.assertEqual(self.counters("s", sdk32), {"imp": 1, "req": 1})
        doc = self.assertJSON(self.stats(sdk=sdk32), 200)
        self.assertEqual(doc, {"success": True,
                               sdk32: {"impressions": 1, "ad_requests": 1, "fill_rate": 1}})

    def test_unknown_parameters_are_ignored(self):
        user, sdk = unique(), unique_version()
        params = event_params(user, sdk) + [("foo", "bar"), ("sdk", "9.9"), ("username", "other")]
        resp = self.app.get("/impression", params)
        self.assertJSON(resp, 200)
        # The first value of a repeated parameter is the one used.
        self.assertEqual(self.counters("u", user), {"imp": 1})
        self.assertEqual(self.counters("u", "other"), {})


class StatisticsTests(StackTestCase):

    def make(self, user, sdk, impressions, ad_requests):
        for _ in range(impressions):
            self.impression(user, sdk)
        for _ in range(ad_requests):
            self.assertEqual(self.ad(user, sdk)[0], 200)

    def test_by_username_and_by_sdk_fill_rate_0_4(self):
        user, sdk = unique(), unique_version()
        self.make(user, sdk, 2, 5)
        for params, key in (({"username": user}, user), ({"sdk": sdk}, sdk)):
            resp = self.stats(**params)
            doc = self.assertJSON(resp, 200)
            self.assertEqual(doc, {"success": True,
                                   key: {"impressions": 2, "ad_requests": 5, "fill_rate": 0.4}})
            self.assertIsInstance(doc[key]["impressions"], int)
            self.assertIsInstance(doc[key]["ad_requests"], int)
            self.assertIn(b'"fill_rate": 0.4}', resp[2])

    def test_fill_rate_zero_without_ad_requests_is_the_number_0(self):
        user, sdk = unique(), unique_version()
        self.make(user, sdk, 1, 0)
        resp = self.stats(username=user)
        doc = self.assertJSON(resp, 200)
        self.assertEqual(doc[user], {"impressions": 1, "ad_requests": 0, "fill_rate": 0})
        self.assertIs(type(doc[user]["fill_rate"]), int)
        self.assertIn(b'"fill_rate": 0}', resp[2])

    def test_ad_requests_without_impressions_fill_rate_zero(self):
        user, sdk = unique(), unique_version()
        self.make(user, sdk, 0, 2)
        doc = self.assertJSON(self.stats(username=user), 200)
        self.assertEqual(doc, {"success": True,
                               user: {"impressions": 0, "ad_requests": 2, "fill_rate": 0}})
        self.assertIn(type(doc[user]["fill_rate"]), (int, float))

    def test_fill_rate_is_written_as_python_json_writes_it(self):
        # The Flask service answered with Python's json; json.h promises the
        # same text for fill_rate ("the way Python's json module does").
        for imp, req in ((2, 5), (1, 3), (2, 3), (1, 1), (3, 2), (10, 1), (25, 2), (120, 1)):
            user, sdk = unique(), unique_version()
            self.make(user, sdk, imp, req)
            resp = self.stats(username=user)
            doc = self.assertJSON(resp, 200)
            self.assertEqual(doc[user]["fill_rate"], imp / req)
            expected = ('"fill_rate": %s}' % json.dumps(imp / req)).encode()
            self.assertIn(expected, resp[2], "%d/%d" % (imp, req))

    def test_first_parameter_wins_when_both_are_given(self):
        user, sdk = unique(), unique_version()
        user2, sdk2 = unique(), unique_version()
        self.make(user, sdk, 2, 5)
        self.make(user2, sdk2, 3, 4)
        doc = self.assertJSON(self.app.get("/statistics", [("username", user), ("sdk", sdk2)]), 200)
        self.assertEqual(doc, {"success": True,
                               user: {"impressions": 2, "ad_requests": 5, "fill_rate": 0.4}})
        doc = self.assertJSON(self.app.get("/statistics", [("sdk", sdk2), ("username", user)]), 200)
        self.assertEqual(doc, {"success": True,
                               sdk2: {"impressions": 3, "ad_requests": 4, "fill_rate": 0.75}})
        # An empty value counts as absent: the other one is used.
        doc = self.assertJSON(self.app.get("/statistics", "username=&sdk=" + q(sdk2)), 200)
        self.assertIn(sdk2, doc)

    def test_sdk_aggregates_users(self):
        sdk = unique_version()
        users = [unique() for _ in range(3)]
        self.make(users[0], sdk, 1, 2)
        self.make(users[1], sdk, 2, 0)
        self.make(users[2], sdk, 0, 2)
        doc = self.assertJSON(self.stats(sdk=sdk), 200)
        self.assertEqual(doc, {"success": True,
                               sdk: {"impressions": 3, "ad_requests": 4, "fill_rate": 0.75}})

    def test_not_found(self):
        user, sdk = unique("nobody"), unique_version()
        for params, who in (({"username": user}, user), ({"sdk": sdk}, sdk)):
            resp = self.stats(**params)
            doc = self.assertJSON(resp, 404)
            self.assertEqual(doc, {"success": False, "message": "%s not found" % who})
        self.assertEqual(self.redis.keys("as:*:%s" % user), [])

    def test_not_found_message_is_json_escaped(self):
        for base in ('q"uote', "back\\slash", "</script><script>alert(1)</script>",
                     "sep \u2028 arator", "\U0001F600 \u7528\u6237"):
            name = base + unique("-")
            resp = self.stats(username=name)
            doc = self.assertJSON(resp, 404)
            self.assertEqual(doc, {"success": False, "message": name + " not found"})
            self.assertNotIn(b"<", resp[2])  # safe to embed in HTML

    def test_neither_username_nor_sdk_is_400(self):
        expected = (b'{"success": false, "message": '
                    b'"following params are required [\'username\', \'sdk\']"}')
        for query in ("", "user=x&sdk_version=1.0", "username=&sdk="):
            status, headers, body = self.app.get("/statistics", query)
            self.assertEqual(status, 400, query)
            self.assertTrue(headers.get("Content-Type", "").startswith("application/json"))
            self.assertEqual(body, expected, query)

    def test_invalid_subject_is_400(self):
        for query, name in (("username=" + "u" * 65, "username"), ("username=a%FFb", "username"),
                            ("username=a%0Ab", "username"), ("sdk=abc", "sdk"),
                            ("sdk=" + "1" * 33, "sdk"), ("sdk=1..2", "sdk"),
                            ("username=%G1", None)):
            resp = self.app.get("/statistics", query)
            self.assertError(resp, 400, name)

    def test_user_and_sdk_with_the_same_value_do_not_share_counters(self):
        other_sdk, other_user = unique_version(), unique()
        self.impression("1.0", other_sdk)             # user "1.0"
        self.assertEqual(self.ad(other_user, "1.0")[0], 200)  # sdk "1.0"
        self.assertEqual(self.counters("u", "1.0"), {"imp": 1})
        self.assertEqual(self.counters("s", "1.0"), {"req": 1})
        doc = self.assertJSON(self.stats(username="1.0"), 200)
        self.assertEqual(doc, {"success": True,
                               "1.0": {"impressions": 1, "ad_requests": 0, "fill_rate": 0}})
        doc = self.assertJSON(self.stats(sdk="1.0"), 200)
        self.assertEqual(doc, {"success": True,
                               "1.0": {"impressions": 0, "ad_requests": 1, "fill_rate": 0}})

    def test_hostile_usernames_round_trip_as_json_keys(self):
        names = ['q"uote', "back\\slash\\", "</script><script>alert('x')</script>",
                 "\U0001F600\U0001F389 emoji", "\u7528\u6237\u540d\u4e2d\u6587",
                 "a&b=c%d#e+f?g", "line\u2028sep\u2029", "caf\u00e9 na\u00efve",
                 "{\"json\": [1]}", "' OR 1=1 --", "as:u:t:evil"]
        sdk = unique_version()
        for name in names:
            self.impression(name, sdk)
            self.assertEqual(self.ad(name, sdk, post=True)[0], 200)
            self.assertEqual(self.ad(name, sdk)[0], 200)
        for name in names:
            resp = self.stats(username=name)
            doc = self.assertJSON(resp, 200)
            self.assertEqual(doc, {"success": True,
                                   name: {"impressions": 1, "ad_requests": 2, "fill_rate": 0.5}},
                             repr(name))
            self.assertNotIn(b"<", resp[2])
            self.assertEqual(self.counters("u", name), {"imp": 1, "req": 2}, repr(name))
        doc = self.assertJSON(self.stats(sdk=sdk), 200)
        self.assertEqual(doc[sdk]["impressions"], len(names))


class MissingParameterTests(StackTestCase):

    def expect_missing(self, resp, names):
        status, headers, body = resp
        self.assertEqual(status, 400, body)
        self.assertTrue(headers.get("Content-Type", "").startswith("application/json"))
        listed = ", ".join("'%s'" % n for n in names)
        expected = '{"success": false, "message": "following params are required [%s]"}' % listed
        self.assertEqual(body.decode(), expected)

    def test_missing_parameters_exact_message_and_order(self):
        user, sdk = unique(), unique_version()
        before = self.redis.dbsize()
        all5 = ["sdk_version", "session_id", "platform", "username", "country_code"]
        for path in ("/impression", "/ad"):
            self.expect_missing(self.app.get(path), all5)
            self.expect_missing(self.app.get(path, "session_id=sess-1&platform=android&country_code=US"),
                                ["sdk_version", "username"])
            self.expect_missing(self.app.get(path, {"username": user}),
                                ["sdk_version", "session_id", "platform", "country_code"])
            # In the order of the contract, whatever the order in the request.
            self.expect_missing(self.app.get(path, [("username", user), ("session_id", "s")]),
                                ["sdk_version", "platform", "country_code"])
            # An empty value is a missing value.
            self.expect_missing(self.app.get(path, raw_event_query(user, sdk, username="")),
                                ["username"])
            params = [p for p in event_params(user, sdk) if p[0] != "country_code"]
            self.expect_missing(self.app.post_form(path, params), ["country_code"])
            self.expect_missing(self.app.post_form(path, b""), all5)
        self.assertEqual(self.redis.dbsize(), before)
        self.assertEqual(self.mock.requests(), [])


class ValidationTests(StackTestCase):
    """Invalid values are refused with a 400 that names the parameter, and
    change no counter and create no Redis key."""

    CASES = [
        # (name, raw overrides, parameter the message must name)
        ("username of 65 bytes", {"username": "u" * 65}, "username"),
        ("username of 66 bytes in 33 characters", {"username": q("\u00e9" * 33)}, "username"),
        ("session_id of 129 bytes", {"session_id": "s" * 129}, "session_id"),
        ("sdk_version of 33 bytes", {"sdk_version": "1." * 16 + "1"}, "sdk_version"),
        ("platform of 33 bytes", {"platform": "p" * 33}, "platform"),
        ("country_code USA", {"country_code": "USA"}, "country_code"),
        ("country_code with a digit", {"country_code": "U1"}, "country_code"),
        ("country_code not ISO 3166-1", {"country_code": "AB"}, "country_code"),
        ("country_code non-ASCII", {"country_code": "%C3%89S"}, "country_code"),
        ("sdk_version 1.0-beta", {"sdk_version": "1.0-beta"}, "sdk_version"),
        ("sdk_version abc", {"sdk_version": "abc"}, "sdk_version"),
        ("sdk_version 1..0", {"sdk_version": "1..0"}, "sdk_version"),
        ("sdk_version trailing dot", {"sdk_version": "1.0."}, "sdk_version"),
        ("platform with a slash", {"platform": "ios%2Fx"}, "platform"),
        ("platform with a space", {"platform": "and%20roid"}, "platform"),
        ("username invalid UTF-8 %FF", {"username": "bob%FF"}, "username"),
        ("username overlong UTF-8", {"username": "%C0%AF"}, "username"),
        ("username UTF-8 surrogate", {"username": "%ED%A0%80"}, "username"),
        ("username newline %0A", {"username": "bob%0Ax"}, "username"),
        ("username NUL %00", {"username": "bob%00x"}, "username"),
        ("username DEL", {"username": "bob%7F"}, "username"),
        ("username C1 control", {"username": "bob%C2%85"}, "username"),
        ("session_id NUL %00", {"session_id": "sess%00x"}, "session_id"),
        ("session_id tab", {"session_id": "sess%09x"}, "session_id"),
        ("platform invalid UTF-8", {"platform": "ios%FF"}, "platform"),
    ]

    BAD_ESCAPES = ["bob%G1", "bob%", "bob%4", "%zz", "bob%%41"]

    def assertNothingCounted(self, before, user):
        self.assertEqual(self.redis.dbsize(), before)
        self.assertEqual(self.redis.keys("as:u:t:%s*" % user), [])

    def test_invalid_values_get_400_naming_the_parameter(self):
        sdk = unique_version()
        for name, raw, param in self.CASES:
            for path in ("/impression", "/ad"):
                for method in ("GET", "POST"):
                    with self.subTest(case=name, path=path, method=method):
                        user = unique("val")
                        before = self.redis.dbsize()
                        query = raw_event_query(user, sdk, **raw)
                        resp = (self.app.get(path, query) if method == "GET"
                                else self.app.post_form(path, query))
                        self.assertError(resp, 400, param)
                        self.assertNothingCounted(before, user)
        self.assertEqual(self.mock.requests(), [])

    def test_bad_percent_encoding_is_400(self):
        sdk = unique_version()
        for bad in self.BAD_ESCAPES:
            for path in ("/impression", "/ad"):
                for method in ("GET", "POST"):
                    with self.subTest(value=bad, path=path, method=method):
                        user = unique("esc")
                        before = self.redis.dbsize()
                        query = raw_event_query(user, sdk, username=user + bad)
                        resp = (self.app.get(path, query) if method == "GET"
                                else self.app.post_form(path, query))
                        self.assertError(resp, 400, "percent")
                        self.assertNothingCounted(before, user)
        # In a parameter name, or in an ignored parameter, too.
        for extra in ("&x%G1=1", "&junk=%G1"):
            resp = self.app.get("/impression", raw_event_query(unique(), sdk) + extra)
            self.assertError(resp, 400)

    def test_several_problems_are_all_named(self):
        before = self.redis.dbsize()
        resp = self.app.get("/impression", raw_event_query("x", "abc", username="u" * 65,
                                                           country_code="ZZZ"))
        message = self.assertError(resp, 400)
        for param in ("sdk_version", "username", "country_code"):
            self.assertIn(param, message)
        self.assertEqual(self.redis.dbsize(), before)

    def test_too_many_parameters(self):
        before = self.redis.dbsize()
        query = raw_event_query(unique(), unique_version()) + "".join("&p%d=1" % i for i in range(60))
        self.assertError(self.app.get("/impression", query), 400)
        self.assertEqual(self.redis.dbsize(), before)


class MethodPathAndSizeTests(StackTestCase):

    def test_405_with_allow_header(self):
        user, sdk = unique(), unique_version()
        query = raw_event_query(user, sdk)
        before = self.redis.dbsize()
        for path, allowed in (("/impression", ["GET", "POST"]), ("/ad", ["GET", "POST"]),
                              ("/statistics", ["GET", "DELETE"])):
            methods = ["PUT", "PATCH"] + (["POST"] if path == "/statistics" else ["DELETE"])
            for method in methods:
                for with_body in (False, True):
                    with self.subTest(path=path, method=method, body=with_body):
                        if with_body:
                            resp = request(self.app.port, method, path, body=query.encode(),
                                           headers={"Content-Type":
                                                    "application/x-www-form-urlencoded"})
                        else:
                            resp = request(self.app.port, method, path, query)
                        message = self.assertError(resp, 405)
                        self.assertIn(method, message)
                        allow = [m.strip() for m in resp[1].get("Allow", "").split(",")]
                        self.assertEqual(sorted(allow), sorted(allowed), resp[1].get("Allow"))
                        self.assertNotIn(method, allow)
        self.assertEqual(self.redis.dbsize(), before)
        self.assertEqual(self.mock.requests(), [])

    def test_unknown_paths_are_404_json(self):
        query = raw_event_query(unique(), unique_version())
        before = self.redis.dbsize()
        # "/" is the dashboard now (test_dashboard.py).
        for path in ("/no-such-path", "/impressions", "/ad/", "/AD", "/statistics/x",
                     "/impression.json", "/dashboardx"):
            for method in ("GET", "POST"):
                with self.subTest(path=path, method=method):
                    resp = request(self.app.port, method, path, query)
                    self.assertError(resp, 404)
        self.assertEqual(self.redis.dbsize(), before)

    def _post_head(self, length=None, chunked=False, path="/impression"):
        head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n" % path)
        if chunked:
            head += "Transfer-Encoding: chunked\r\n"
        if length is not None:
            head += "Content-Length: %d\r\n" % length
        return (head + "\r\n").encode()

    def test_413_for_a_body_over_16_KiB(self):
        before = self.redis.dbsize()
        for path in ("/impression", "/ad"):
            for length in (16385, 17 * 1024, 10 ** 6, 10 ** 12):
                with self.subTest(path=path, length=length):
                    # Refused on the headers alone: no need to send the body.
                    status, headers, body = raw_exchange(self.app.port,
                                                         self._post_head(length, path=path))
                    self.assertEqual(status, 413, body)
                    self.assertTrue(headers.get("content-type", "").startswith("application/json"))
                    doc = json.loads(body)
                    self.assertIs(doc["success"], False)
                    self.assertIn("16384", doc["message"])
        # A whole 17 KiB body sent with the headers gets the same answer.
        user, sdk = unique(), unique_version()
        body = (raw_event_query(user, sdk) + "&pad=" + "x" * (17 * 1024)).encode()
        status, _, data = raw_exchange(self.app.port, self._post_head(len(body)) + body)
        self.assertEqual(status, 413, data)
        self.assertEqual(self.redis.dbsize(), before)

    def test_413_for_a_chunked_body(self):
        before = self.redis.dbsize()
        user, sdk = unique(), unique_version()
        form = raw_event_query(user, sdk).encode()
        for path in ("/impression", "/ad"):
            with self.subTest(path=path):
                status, headers, body = raw_exchange(
                    self.app.port, self._post_head(chunked=True, path=path)
                    + b"%x\r\n%s\r\n0\r\n\r\n" % (len(form), form))
                self.assertEqual(status, 413, body)
                self.assertIn("chunked", json.loads(body)["message"])
        self.assertEqual(self.redis.dbsize(), before)

    def test_body_of_exactly_16_KiB_is_accepted(self):
        user, sdk = unique(), unique_version()
        form = raw_event_query(user, sdk) + "&pad="
        body = form + "x" * (16384 - len(form))
        self.assertEqual(len(body), 16384)
        resp = self.app.post_form("/impression", body)
        self.assertJSON(resp, 200)
        self.assertEqual(self.counters("u", user), {"imp": 1})

    def test_414_for_a_10_KiB_query(self):
        before = self.redis.dbsize()
        query = raw_event_query(unique(), unique_version()) + "&pad=" + "x" * (10 * 1024)
        for path in ("/impression", "/ad", "/statistics", "/no-such-path"):
            with self.subTest(path=path):
                resp = request(self.app.port, "GET", path, query)
                self.assertError(resp, 414)
        self.assertEqual(self.redis.dbsize(), before)

    def test_query_of_exactly_8192_bytes_is_accepted(self):
        user, sdk = unique(), unique_version()
        query = raw_event_query(user, sdk) + "&pad="
        query += "x" * (8192 - len(query))
        self.assertEqual(len(query), 8192)
        self.assertJSON(self.app.get("/impression", query), 200)
        self.assertEqual(self.counters("u", user), {"imp": 1})

    def test_415_for_a_body_of_another_type(self):
        # Forms, JSON and text/plain are accepted (test_interop_http.py).
        user, sdk = unique(), unique_version()
        before = self.redis.dbsize()
        body = json.dumps(dict(event_params(user, sdk))).encode()
        resp = self.app.request("POST", "/impression", body=body,
                                headers={"Content-Type": "application/xml"})
        self.assertError(resp, 415)
        self.assertEqual(self.redis.dbsize(), before)

    def test_keep_alive_survives_errors(self):
        # One connection: errors answered in full do not cost the connection.
        c = HTTPClient(self.app.port)
        try:
            user, sdk = unique(), unique_version()
            self.assertEqual(c.get("/impression", event_params(user, sdk))[0], 200)
            sock = c.conn.sock
            self.assertEqual(c.get("/impression")[0], 400)
            self.assertEqual(c.get("/nope")[0], 404)
            self.assertEqual(c.get("/statistics", {"username": unique()})[0], 404)
            self.assertEqual(c.get("/impression", event_params(user, sdk))[0], 200)
            self.assertIs(c.conn.sock, sock)
        finally:
            c.close()
        self.assertEqual(self.counters("u", user), {"imp": 2})


class UpstreamFailureTests(StackTestCase):
    """What /ad answers when the upstream misbehaves: the ad request is
    counted anyway, the client gets a JSON error, and a JSON line goes to
    the backend error log."""

    def check_failure(self, scenario, status, mentions, outcome, http_status, app=None,
                      mock=None):
        app = app or self.app
        mock = mock or self.mock
        user, sdk = unique(), unique_version()
        lines_before = len(app.backend_log())
        if scenario is not None:
            mock.set_scenario(scenario)
        started = time.monotonic()
        resp = self.ad(user, sdk, app=app)
        elapsed = time.monotonic() - started
        message = self.assertError(resp, status)
        for word in mentions:
            self.assertIn(word, message)
        self.assertEqual(self.counters("u", user), {"req": 1})
        self.assertEqual(self.counters("s", sdk), {"req": 1})
        lines = app.wait_backend_log(lines_before + 1)
        self.assertEqual(len(lines), lines_before + 1)
        line = lines[-1]
        for field in ("time", "url", "outcome", "http_status", "latency_ms"):
            self.assertIn(field, line)
        self.assertEqual(line["url"], app.vast_url)
        self.assertEqual(line["outcome"], outcome)
        self.assertEqual(line["http_status"], http_status)
        self.assertIsInstance(line["latency_ms"], int)
        self.assertGreaterEqual(line["latency_ms"], 0)
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        return message, line, elapsed

    def test_upstream_500_is_502(self):
        self.check_failure([("oops", 500, 0)], 502, ["500"], "http_status", 500)

    def test_upstream_404_is_502(self):
        self.check_failure([("<VAST/>", 404, 0)], 502, ["404"], "http_status", 404)

    def test_upstream_redirect_is_not_followed(self):
        self.check_failure([("", 302, 0)], 502, ["302"], "http_status", 302)

    def test_malformed_xml_is_502(self):
        self.check_failure([("<VAST version='3.0'><Ad>", 200, 0)], 502, ["malformed"],
                           "malformed_xml", 200)

    def test_not_xml_at_all_is_502(self):
        self.check_failure([('{"ad": "json"}', 200, 0)], 502, ["malformed"], "malformed_xml", 200)

    def test_root_not_vast_is_502(self):
        self.check_failure([("<?xml version='1.0'?><html><VAST/></html>", 200, 0)], 502,
                           ["not VAST"], "not_vast", 200)

    def test_empty_body_is_502(self):
        self.check_failure([("", 200, 0)], 502, ["empty"], "malformed_xml", 200)

    def test_doctype_entities_are_refused(self):
        lol = ('<?xml version="1.0"?><!DOCTYPE VAST [<!ENTITY a "aaaaaaaaaa">'
               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
               '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><VAST>&c;</VAST>')
        self.check_failure([(lol, 200, 0)], 502, ["malformed"], "malformed_xml", 200)

    def test_service_recovers_after_the_scenario(self):
        self.mock.set_scenario([("x", 500, 0)])
        user, sdk = unique(), unique_version()
        self.assertEqual(self.ad(user, sdk)[0], 502)
        status, _, body = self.ad(user, sdk)
        self.assertEqual(status, 200)
        self.assertEqual(body, self.mock.fetch_default()[2])
        self.assertEqual(self.counters("u", user), {"req": 2})

    def test_timeout_is_504_within_timeout_plus_200_ms(self):
        app = self.stack.start_adstats(["--vast-timeout-ms", "300"])
        message, line, elapsed = self.check_failure([(VAST_OK, 200, 1500)], 504, ["timed out"],
                                                    "timeout", 0, app=app)
        self.assertLess(elapsed, 0.5, "answered after %.3f s" % elapsed)
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertGreaterEqual(line["latency_ms"], 250)
        self.assertLess(line["latency_ms"], 500)
        # An answer within the timeout is still served.
        self.mock.set_scenario([(VAST_OK, 200, 100)])
        status, _, body = self.ad(unique(), unique_version(), app=app)
        self.assertEqual(status, 200)
        self.assertEqual(body, VAST_OK.encode())

    def test_upstream_down_is_502_and_recovers(self):
        mock = VastMock().start()
        try:
            app = self.stack.start_adstats(vast_url=mock.url)
            self.assertEqual(self.ad(unique(), unique_version(), app=app)[0], 200)
            mock.stop()
            message, line, _ = self.check_failure(None, 502, ["unreachable"], "connect_error", 0,
                                                  app=app)
            self.assertNotIn("http_status", message)
            mock2 = VastMock(port=mock.port).start()
            try:
                def served():
                    return self.ad(unique(), unique_version(), app=app)[0] == 200
                wait_until(served, 3.0, 0.05, "/ad to be served again")
            finally:
                mock2.close()
        finally:
            mock.close()

    def test_body_over_vast_max_bytes_is_502(self):
        app = self.stack.start_adstats(["--vast-max-bytes", "1000"])
        big = ('<?xml version="1.0"?><VAST version="3.0"><!-- %s --></VAST>' % ("x" * 2000))
        self.assertGreater(len(big), 2000)
        self.check_failure([(big, 200, 0)], 502, ["size cap"], "too_large", 200, app=app)
        small = '<?xml version="1.0"?><VAST version="3.0"><!-- %s --></VAST>' % ("y" * 900)
        self.assertLess(len(small), 1000)
        self.mock.set_scenario([(small, 200, 0)])
        status, _, body = self.ad(unique(), unique_version(), app=app)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, small.encode())

    def test_vast_limit_refuses_at_once_with_503(self):
        # --vast-limit bounds the fetches in flight of the whole process,
        # however many worker threads share the connections (4 here, so
        # that the test means the same on any number of cores).
        app = self.stack.start_adstats(["--vast-limit", "2", "--threads", "4",
                                        "--vast-timeout-ms", "5000"])
        # The held fetches take 3 s: room for the checks below on a busy machine.
        self.mock.set_scenario([(VAST_OK, 200, 3000), (VAST_OK, 200, 3000)])
        user, sdk = unique(), unique_version()
        results = []

        def slow_ad():
            c = HTTPClient(app.port)
            try:
                results.append(c.get("/ad", event_params(user, sdk)))
            except Exception as e:  # reported below
                results.append(e)
            finally:
                c.close()

        threads = [threading.Thread(target=slow_ad) for _ in range(2)]
        for t in threads:
            t.start()
        refused = []
        try:
            wait_until(lambda: len(self.mock.requests()) == 2, 3.0, 0.01,
                       "two fetches in flight at the mock")
            lines_before = len(app.backend_log())
            # Each on a connection of its own, which the kernel may hand to
            # any worker.
            for i in range(3):
                started = time.monotonic()
                status, headers, body = request(app.port, "GET", "/ad", event_params(user, sdk))
                elapsed = time.monotonic() - started
                refused.append(status)
                self.assertEqual(status, 503, "extra /ad #%d with 2 fetches in flight and "
                                 "--vast-limit 2 got %d (the mock saw %d fetches): %r"
                                 % (i + 1, status, len(self.mock.requests()), body[:100]))
                self.assertLess(elapsed, 0.2, "refused after %.3f s" % elapsed)
                self.assertEqual(headers.get("Retry-After"), "1")
                self.assertIn("too many", json.loads(body)["message"])
        finally:
            for t in threads:
                t.join(10)
        self.assertEqual([r[0] for r in results], [200, 200], results)
        self.assertEqual(self.counters("u", user), {"req": 5})  # refused ones are counted
        self.assertEqual(len(self.mock.requests()), 2)
        self.assertEqual(len(app.backend_log()), lines_before)  # busy is not a backend failure
        # The slots are free again.
        self.assertEqual(self.ad(user, sdk, app=app)[0], 200)


class RedisDownTests(StackTestCase):

    def test_redis_down_is_503_and_service_resumes(self):
        user, sdk = unique(), unique_version()
        self.impression(user, sdk)
        port = self.stack.redis.port
        self.redis.close()
        self.stack.redis.stop()
        self.mock.set_scenario([])
        for path in ("/impression", "/ad"):
            for post in (False, True):
                with self.subTest(path=path, post=post):
                    params = event_params(user, sdk)
                    started = time.monotonic()
                    resp = (self.app.post_form(path, params) if post
                            else self.app.get(path, params))
                    self.assertError(resp, 503, "retry")
                    self.assertEqual(resp[1].get("Retry-After"), "1")
                    self.assertLess(time.monotonic() - started, 1.5)
        for params in ({"username": user}, {"sdk": sdk}):
            resp = self.stats(**params)
            self.assertError(resp, 503)
            self.assertEqual(resp[1].get("Retry-After"), "1")
        # An ad that could not be counted is not fetched.
        self.assertEqual(self.mock.requests(), [])

        # Redis comes back on the same port: service resumes within 1 s.
        self.stack.redis.close()
        self.stack.redis = RedisServer(port=port).start()
        back = time.monotonic()

        counted = []

        def all_counted():
            # Fresh connections, which the kernel spreads over the workers
            # (each has a Redis connection of its own): all must be back.
            statuses = [request(self.app.port, "GET", "/impression", event_params(user, sdk))[0]
                        for _ in range(6)]
            counted.extend(s for s in statuses if s == 200)
            return all(s == 200 for s in statuses)
        wait_until(all_counted, 1.0, 0.02, "/impression to answer 200 after Redis came back")
        resumed_after = time.monotonic() - back
        self.assertLess(resumed_after, 1.0)
        self.__class__.redis = self.stack.redis.client()
        self.assertEqual(self.ad(user, sdk)[0], 200)
        n = len(counted)
        self.assertEqual(self.counters("u", user), {"imp": n, "req": 1})
        doc = self.assertJSON(self.stats(username=user), 200)
        self.assertEqual(doc[user], {"impressions": n, "ad_requests": 1, "fill_rate": float(n)})

    def test_redis_absent_at_start_up(self):
        redis = RedisServer(port=free_port())
        app = self.stack.start_adstats(redis_url=redis.url)
        try:
            user, sdk = unique(), unique_version()
            resp = app.get("/impression", event_params(user, sdk))
            self.assertError(resp, 503)
            self.assertEqual(resp[1].get("Retry-After"), "1")
            redis.start()
            back = time.monotonic()
            counted = []

            def all_counted():
                statuses = [request(app.port, "GET", "/impression", event_params(user, sdk))[0]
                            for _ in range(6)]
                counted.extend(s for s in statuses if s == 200)
                return all(s == 200 for s in statuses)
            wait_until(all_counted, 1.0, 0.02, "service to resume after Redis started")
            self.assertLess(time.monotonic() - back, 1.0)
            with redis.client() as r:
                self.assertEqual(r.hgetall("as:u:t:" + user), {"imp": len(counted)})
        finally:
            redis.close()


class ShutdownTests(StackTestCase):

    def test_sigterm_exits_0(self):
        app = self.stack.start_adstats()
        user, sdk = unique(), unique_version()
        self.impression(user, sdk, app=app)
        self.assertEqual(self.ad(user, sdk, app=app)[0], 200)
        app.client.close()
        code = app.stop()
        self.assertEqual(code, 0, app.stderr()[-2000:])
        self.assertIn("adstats stopped", app.stderr())
        self.assertIsNone(app.sanitizer_report())

    def test_sigterm_with_idle_keep_alive_connections_exits_promptly(self):
        app = self.stack.start_adstats()
        clients = [HTTPClient(app.port) for _ in range(3)]
        try:
            for c in clients:
                self.assertEqual(c.get("/statistics", {"username": unique()})[0], 404)
            started = time.monotonic()
            app.proc.signal(signal.SIGTERM)
            code = app.proc.wait(5)
            self.assertEqual(code, 0, app.stderr()[-2000:])
            self.assertLess(time.monotonic() - started, 3.0)
        finally:
            for c in clients:
                c.close()
            app.stop()

    def test_sigterm_lets_an_ad_in_flight_finish(self):
        app = self.stack.start_adstats()
        self.mock.set_scenario([(VAST_OK, 200, 800)])
        user, sdk = unique(), unique_version()
        result = []

        def fetch():
            try:
                result.append(request(app.port, "GET", "/ad", event_params(user, sdk)))
            except Exception as e:
                result.append(e)

        t = threading.Thread(target=fetch)
        t.start()
        try:
            wait_until(lambda: len(self.mock.requests()) == 1, 3.0, 0.01, "the fetch to start")
            started = time.monotonic()
            app.proc.signal(signal.SIGTERM)
            code = app.proc.wait(5)
            took = time.monotonic() - started
        finally:
            t.join(10)
        self.assertEqual(code, 0, app.stderr()[-2000:])
        self.assertTrue(result and not isinstance(result[0], Exception), result)
        self.assertEqual(result[0][0], 200)
        self.assertEqual(result[0][2], VAST_OK.encode())
        self.assertLess(took, 4.0)
        self.assertEqual(self.counters("u", user), {"req": 1})
        app.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
