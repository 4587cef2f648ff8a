"""test_adcontext.py -- what /ad tells the upstream ad server about the
device, as the mock upstream records it (GET /requests/detail): the
--vast-url placeholders, substituted and percent-encoded; the client's
User-Agent, as User-Agent and X-Device-User-Agent; X-Forwarded-For, believed
only from a peer in --trusted-proxies; and the start-up errors of a bad
template or a bad address list."""

import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    LOOPBACK, StackTestCase, event_params, free_port, make_tmpdir, raw_exchange, remove_tmpdir,
    request, unique)
from test_config import run_adstats  # noqa: E402

TEMPLATE_PATH = ("/vast?sdk={sdk_version}&sid={session_id}&p={platform}&u={username}"
                 "&cc={country_code}&cb={cachebuster}&ts={timestamp}")


def details(mock):
    """What the mock recorded of each ad request since its last scenario."""
    status, _, data = request(mock.port, "GET", "/requests/detail")
    if status != 200:
        raise RuntimeError("GET /requests/detail: %d %r" % (status, data))
    return json.loads(data)


def raw_ad(app, user, extra_headers):
    """GET /ad with header lines sent byte for byte (bytes, CRLF-separated)."""
    query = urllib.parse.urlencode(event_params(user, "1.0"))
    head = (b"GET /ad?" + query.encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            + extra_headers + b"\r\n")
    return raw_exchange(app.port, head)


class AdContextTests(StackTestCase):
    """The main adstats has a fixed URL and trusts nobody; `templated` has
    the placeholder URL; `trusting` trusts 127.0.0.0/8 (which the tests
    connect from)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        url = "http://%s:%d%s" % (LOOPBACK, cls.mock.port, TEMPLATE_PATH)
        cls.templated = cls.stack.start_adstats(vast_url=url)
        cls.trusting = cls.stack.start_adstats(
            extra_args=["--trusted-proxies", "192.0.2.0/24, 127.0.0.0/8,::1"])

    def setUp(self):
        self.mock.set_scenario([])  # clears the request log

    def fetched(self, app, params=None, headers=None):
        """Sends one /ad and returns the mock's record of the fetch."""
        params = params or event_params(unique(), "1.0")
        code, _, body = app.get("/ad", params, headers=headers)
        self.assertEqual(code, 200, body[:300])
        recorded = details(self.mock)
        self.assertEqual(len(recorded), 1, recorded)
        return recorded[0]

    def query_of(self, detail):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(detail["uri"]).query,
                                           keep_blank_values=True))

    # ---- URL placeholders ------------------------------------------------

    def test_placeholders_are_substituted_percent_encoded(self):
        user = "a b&c/d=é+" + unique()
        session = "s/1?x=y#z%20~._-"
        detail = self.fetched(self.templated, event_params(user, "1.2.3", session_id=session,
                                                           platform="ios", country_code="de"))
        raw = urllib.parse.urlsplit(detail["uri"]).query
        self.assertIn("u=a%20b%26c%2Fd%3D%C3%A9%2B", raw)
        self.assertIn("sid=s%2F1%3Fx%3Dy%23z%2520~._-&", raw)
        self.assertNotIn("+", raw)  # a space is %20, a plus %2B
        q = self.query_of(detail)
        self.assertEqual(q["u"], user)
        self.assertEqual(q["sid"], session)
        self.assertEqual((q["sdk"], q["p"], q["cc"]), ("1.2.3", "ios", "DE"))
        self.assertTrue(detail["uri"].startswith("/vast?sdk="), detail["uri"])

    def test_cachebuster_differs_and_timestamp_is_now(self):
        seen = []
        for _ in range(5):
            before = time.time()
            q = self.query_of(self.fetched(self.templated))
            self.mock.set_scenario([])
            self.assertRegex(q["cb"], r"^[0-9]{8,10}$")
            self.assertRegex(q["ts"], r"^[0-9]+$")
            self.assertLessEqual(int(before) - 1, int(q["ts"]))
            self.assertLessEqual(int(q["ts"]), time.time() + 1)
            seen.append(q["cb"])
        self.assertEqual(len(set(seen)), len(seen), seen)

    def test_fixed_url_is_fetched_unchanged(self):
        self.assertEqual(self.fetched(self.app)["uri"], "/vast")

    # ---- User-Agent -------------------------------------------------------

    def test_client_user_agent_is_passed_in_both_headers(self):
        ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AdSDK/4.2"
        detail = self.fetched(self.app, headers={"User-Agent": ua})
        self.assertEqual(detail["user_agent"], ua)
        self.assertEqual(detail["device_user_agent"], ua)

    def test_without_user_agent_adstats_names_itself(self):
        detail = self.fetched(self.app)
        self.assertEqual(detail["user_agent"], "adstats")
        self.assertIsNone(detail["device_user_agent"])

    def test_user_agent_is_cleaned_and_bounded(self):
        code, _, _ = raw_ad(self.app, unique(), b"User-Agent: Agent\tOne\r\n")
        self.assertEqual(code, 200)
        self.assertEqual(details(self.mock)[0]["device_user_agent"], "AgentOne")
        self.mock.set_scenario([])
        self.fetched(self.app, headers={"User-Agent": "x" * 3000})
        recorded = details(self.mock)[0]
        self.assertEqual(recorded["user_agent"], "x" * 1024)
        self.assertEqual(recorded["device_user_agent"], "x" * 1024)

    # ---- X-Forwarded-For -------------------------------------------------

    def test_untrusted_peer_spoofed_forwarded_for_is_ignored(self):
        detail = self.fetched(self.app, headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
        self.assertEqual(detail["forwarded_for"], "127.0.0.1")
        self.mock.set_scenario([])
        self.assertEqual(self.fetched(self.app)["forwarded_for"], "127.0.0.1")

    def test_trusted_peer_forwarded_for_is_appended_to(self):
        detail = self.fetched(self.trusting, headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
        self.assertEqual(detail["forwarded_for"], "203.0.113.9, 10.0.0.1, 127.0.0.1")
        self.mock.set_scenario([])
        self.assertEqual(self.fetched(self.trusting)["forwarded_for"], "127.0.0.1")

    def test_trusted_peer_several_headers_are_joined(self):
        code, _, _ = raw_ad(self.trusting, unique(),
                            b"X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-For: 10.0.0.1\r\n")
        self.assertEqual(code, 200)
        self.assertEqual(details(self.mock)[0]["forwarded_for"], "203.0.113.9, 10.0.0.1, 127.0.0.1")

    def test_trusted_forwarded_for_is_cleaned_and_bounded(self):
        code, _, _ = raw_ad(self.trusting, unique(),
                            "X-Forwarded-For: 203.0.113.9\t\xe9, 10.0.0.1\r\n".encode("latin-1"))
        self.assertEqual(code, 200)
        self.assertEqual(details(self.mock)[0]["forwarded_for"], "203.0.113.9, 10.0.0.1, 127.0.0.1")
        self.mock.set_scenario([])
        chain = ", ".join("10.0.%d.%d" % (i // 250, i % 250) for i in range(300))
        sent = self.fetched(self.trusting, headers={"X-Forwarded-For": chain})["forwarded_for"]
        self.assertLessEqual(len(sent), 512)
        self.assertTrue(sent.endswith("10.0.1.49, 127.0.0.1"), sent[-60:])
        entries = sent.split(", ")
        self.assertGreater(len(entries), 20)
        for e in entries:
            self.assertRegex(e, r"^(10\.0\.[0-9]+\.[0-9]+|127\.0\.0\.1)$")
        self.assertIn(entries[0], chain.split(", "))  # a whole entry, not a torn one


class StartupErrorTests(unittest.TestCase):
    """A bad template or address list stops start-up: exit 2, one line."""

    def setUp(self):
        self.tmp = make_tmpdir()
        self.safe = ["--bind", LOOPBACK, "--port", str(free_port()),
                     "--redis-url", "redis://127.0.0.1:%d/0" % free_port(),
                     "--error-log", os.path.join(self.tmp, "backend_errors.log")]

    def tearDown(self):
        remove_tmpdir(self.tmp)

    def assertRefused(self, args, mentions, env=None):
        code, out, err = run_adstats(self.safe + args, env=env, cwd=self.tmp)
        self.assertEqual(code, 2, "args %r: exit %r, stderr %r" % (args, code, err))
        self.assertEqual(out, "")
        self.assertEqual(len(err.splitlines()), 1, err)
        for word in mentions:
            self.assertIn(word, err)

    def test_bad_templates_are_refused(self):
        base = "http://127.0.0.1:%d" % free_port()
        cases = [
            (base + "/vast?u={user}", ["--vast-url", "unknown placeholder {user}", "{username}"]),
            (base + "/vast?u={username", ["--vast-url", "no closing '}'"]),
            (base + "/vast?u=username}", ["--vast-url", "'}' without '{'"]),
            (base + "/vast?u={}", ["--vast-url", "unknown placeholder {}"]),
            ("http://{platform}.ads.example/vast", ["--vast-url", "in the host"]),
        ]
        for url, mentions in cases:
            with self.subTest(url=url):
                self.assertRefused(["--vast-url", url], mentions)

    def test_bad_trusted_proxies_are_refused(self):
        vast = ["--vast-url", "http://127.0.0.1:%d/vast" % free_port()]
        cases = [
            ("10.0.0.0/33", ["--trusted-proxies", "10.0.0.0/33", "prefix"]),
            ("10.0.0.1/8", ["--trusted-proxies", "10.0.0.0/8"]),
            ("127.0.0.1, proxy.internal", ["--trusted-proxies", "proxy.internal"]),
            ("10.0.0.0/8,,::1", ["--trusted-proxies", "empty entry"]),
            ("10.0.0.256", ["--trusted-proxies", "10.0.0.256"]),
            ("fd00::/129", ["--trusted-proxies", "prefix"]),
        ]
        for value, mentions in cases:
            with self.subTest(value=value):
                self.assertRefused(vast + ["--trusted-proxies", value], mentions)

    def test_bad_trusted_proxies_from_environment_are_refused(self):
        env = dict(os.environ, TRUSTED_PROXIES="10.0.0.0/8, nope")
        self.assertRefused(["--vast-url", "http://127.0.0.1:%d/vast" % free_port()],
                           ["TRUSTED_PROXIES", "nope"], env=env)


if __name__ == "__main__":
    unittest.main()
