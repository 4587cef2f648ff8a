"""VAST tracking (issue 14): /ad injects signed trackers, GET /t counts them.

Against the real stack (redis-server, bin/vastmock, bin/adstats):
  - tracking off: /ad is the upstream's document byte for byte;
  - tracking on: every sample tag of tests/vast/samples through /ad is
    still schema-valid where it was (xmllint --schema, tests/vast/xsd),
    and every injected URL, fired, answers the GIF and counts once;
  - forgery: an altered field, event, timestamp or signature, another
    secret, an expired or future token, one cut short, an unknown
    version, 1,000 random tokens: all 403, Redis unchanged (a full dump);
  - rotation: a token of --tracking-secret-previous counts while that
    secret is configured, and is refused by a server without it;
  - the counters come out exact: video=1, completion_rate, ctr, /top;
  - --ivt-filter: a crawler User-Agent and a denied address (through a
    trusted proxy's X-Forwarded-For) count as invalid only.
Tokens are made here too (harness.tracking), so forgeries are signed
exactly as adstats signs."""
import glob
import os
import random
import re
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from harness import StackTestCase, event_params, request, unique
from harness.tracking import EVENTS, b64, seal, token_body, token_event, unb64

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = sorted(glob.glob(os.path.join(REPO, "tests", "vast", "samples", "*", "*.xml")))
XSD = {"3": "vast3_draft.xsd", "4": "vast_4.2.xsd"}
SECRET = "current-secret-0123456789"
PREVIOUS = "previous-secret-9876543210"
BASE = "http://127.0.0.1:9/px"
GIF_MAGIC = b"GIF89a"
URL_RE = re.compile(rb"<!\[CDATA\[(" + re.escape(BASE.encode()) + rb"/t\?k=[A-Za-z0-9_-]+)\]\]>")


def token_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url.decode()).query)["k"][0]


def fields_of(user, sdk="1.0"):
    return [sdk, "sess-1", "android", user, "US"]


def schema_valid(path, version):
    xsd = os.path.join(REPO, "tests", "vast", "xsd", XSD[version])
    return subprocess.run(["xmllint", "--noout", "--schema", xsd, path],
                          capture_output=True).returncode == 0


def sample_version(doc):
    m = re.search(rb'<(?:\w+:)?VAST[^>]*version="(\d)', doc)
    return m.group(1).decode() if m else None


class TrackingOffTest(StackTestCase):
    def test_ad_is_the_upstream_document_byte_for_byte(self):
        with open(SAMPLES[0], "rb") as f:
            doc = f.read()
        self.mock.set_scenario([(doc.decode(), 200, 0)])
        status, headers, body = self.app.get("/ad", event_params(unique(), "1.0"))
        self.assertEqual(status, 200)
        self.assertEqual(body, doc)
        self.assertIsNone(headers.get("Adstats-Ad-Id"))

    def test_pixels_are_refused_without_a_secret(self):
        tok = seal(token_body("start", fields_of(unique())), SECRET)
        status, _, _ = self.app.get("/t", [("k", tok)])
        self.assertEqual(status, 403)


class TrackingTest(StackTestCase):
    adstats_args = ["--tracking-url", BASE + "/", "--tracking-secret", SECRET,
                    "--tracking-secret-previous", PREVIOUS, "--tracking-ttl", "3600"]

    def stats(self, user, **flags):
        params = [("username", user)] + [(k, v) for k, v in flags.items()]
        status, _, body = self.app.get("/statistics", params)
        return status, body

    def video(self, user):
        return self.assertJSON(self.app.get("/statistics", [("username", user), ("video", "1")]),
                               200)[user]

    def fire(self, url):
        path = url[len(BASE):] if isinstance(url, str) else url[len(BASE):].decode()
        return request(self.app.port, "GET", path)

    def serve(self, user, doc):
        self.mock.set_scenario([(doc.decode("utf-8"), 200, 0)])
        status, headers, body = self.app.get("/ad", event_params(user, "1.0"))
        self.assertEqual(status, 200, body[:300])
        return headers, body

    def test_every_sample_stays_valid_and_every_tracker_counts_once(self):
        for path in SAMPLES:
            with self.subTest(sample=os.path.relpath(path, REPO)):
                with open(path, "rb") as f:
                    doc = f.read()
                user = unique("sample")
                headers, body = self.serve(user, doc)
                self.assertRegex(headers.get("Adstats-Ad-Id", ""), "^[0-9a-f]{32}$")
                version = sample_version(doc)
                if version in XSD and schema_valid(path, version):
                    with tempfile.NamedTemporaryFile(suffix=".xml") as out:
                        out.write(body)
                        out.flush()
                        self.assertTrue(schema_valid(out.name, version), "no longer valid")
                urls = URL_RE.findall(body)
                self.assertTrue(urls, "no tracker injected")
                events = set()
                for u in urls + urls:  # each fired twice: counted once
                    status, h, gif = self.fire(u)
                    self.assertEqual(status, 200)
                    self.assertEqual(h.get("Content-Type"), "image/gif")
                    self.assertEqual(h.get("Cache-Control"), "no-store")
                    self.assertTrue(gif.startswith(GIF_MAGIC))
                    events.add(token_event(token_of(u)))
                got = self.video(user)
                linear = "start" in events
                self.assertEqual(got["impressions"], 1)
                self.assertEqual(got["ad_requests"], 1)
                for name, event in [("starts", "start"), ("first_quartiles", "firstQuartile"),
                                    ("midpoints", "midpoint"),
                                    ("third_quartiles", "thirdQuartile"),
                                    ("completes", "complete"), ("clicks", "click")]:
                    self.assertEqual(got[name], 1 if event in events else 0, name)
                self.assertEqual(got["completion_rate"], 1 if linear else 0)
                self.assertEqual(got["ctr"], 1 if "click" in events else 0)

    def test_refused_documents_pass_through_and_no_fills_stay_no_fills(self):
        vast1 = (b'<?xml version="1.0"?><VideoAdServingTemplate><Ad id="a"><InLine>'
                 b'<AdSystem>x</AdSystem><AdTitle>t</AdTitle><Video><Duration>00:00:10</Duration>'
                 b'</Video></InLine></Ad></VideoAdServingTemplate>')
        latin1 = ('<?xml version="1.0" encoding="ISO-8859-1"?><VAST version="3.0"><Ad id="\xe9">'
                  '<InLine><AdSystem>x</AdSystem><AdTitle>t</AdTitle><Impression>'
                  '<![CDATA[http://example.invalid/i]]></Impression><Creatives/></InLine></Ad>'
                  '</VAST>').encode("latin-1")
        metric = 'adstats_vast_injections_total{outcome="passed_through"}'

        def passed_through():
            text = self.app.get("/metrics")[2].decode()
            return int(re.search(re.escape(metric) + r" (\d+)", text).group(1))

        before = passed_through()
        for doc in (vast1, latin1):
            self.mock.set_scenario([(doc.decode("latin-1"), 200, 0)])
            status, headers, body = self.app.get("/ad", event_params(unique("pass"), "1.0"))
            self.assertEqual(status, 200)
            if doc is vast1:
                self.assertEqual(body, doc)
            self.assertIsNone(headers.get("Adstats-Ad-Id"))
        self.assertEqual(passed_through(), before + 2)
        user = unique("nofill")
        self.mock.set_scenario([('<VAST version="4.2"><Error><![CDATA[http://e.invalid/]]>'
                                 '</Error></VAST>', 200, 0)])
        status, headers, body = self.app.get("/ad", event_params(user, "1.0"))
        self.assertEqual(status, 200)
        self.assertNotIn(b"/t?k=", body)
        got = self.assertJSON(self.app.get("/statistics", [("username", user),
                                                           ("no_fills", "1")]), 200)[user]
        self.assertEqual((got["ad_requests"], got["no_fills"]), (1, 1))

    def test_exact_counters_rates_and_top_lists(self):
        user = unique("chain")
        fields = fields_of(user)
        # two served ads: the first played to the end and clicked, the second
        # started only; a pixel fired twice counts once
        ad1, ad2 = os.urandom(16), os.urandom(16)
        fired = [(ad1, e) for e in EVENTS] + [(ad2, "impression"), (ad2, "start"),
                                               (ad1, "complete"), (ad2, "start")]
        for ad, event in fired:
            tok = seal(token_body(event, fields, ad_id=ad), SECRET)
            status, _, _ = self.app.get("/t", [("k", tok), ("e", event)])
            self.assertEqual(status, 200)
        got = self.video(user)
        self.assertEqual(got, {"impressions": 2, "ad_requests": 0, "fill_rate": 0, "starts": 2,
                               "first_quartiles": 1, "midpoints": 1, "third_quartiles": 1,
                               "completes": 1, "clicks": 1, "completion_rate": 0.5,
                               "ctr": 0.5})
        # without video=1 the answer is today's
        status, body = self.stats(user)
        self.assertEqual(body.decode(), '{"success": true, "%s": {"impressions": 2, '
                                        '"ad_requests": 0, "fill_rate": 0}}' % user)
        day = self.assertJSON(self.app.get("/statistics", [("username", user), ("video", "1"),
                                                           ("interval", "day")]), 200)[user]
        self.assertEqual(day["series"][-1]["completes"], 1)
        self.assertEqual(day["series"][-1]["completion_rate"], 0.5)
        self.assertEqual(day["completes"], 1)
        top = self.assertJSON(self.app.get("/statistics/top", [("dimension", "username"),
                                                               ("metric", "clicks"),
                                                               ("limit", "100")]), 200)
        row = [r for r in top["top"] if r["value"] == user]
        self.assertEqual(row[0]["clicks"], 1)
        self.assertEqual(row[0]["ctr"], 0.5)

    def test_event_param_must_match_the_token(self):
        user = unique("e")
        tok = seal(token_body("start", fields_of(user)), SECRET)
        status, _, body = self.app.get("/t", [("k", tok), ("e", "complete")])
        self.assertEqual(status, 403)
        status, _, _ = self.app.get("/t", [("k", "abc$")])
        self.assertEqual(status, 400)
        status, _, _ = self.app.get("/t", [])
        self.assertEqual(status, 400)
        self.assertEqual(self.stats(user)[0], 404)

    def test_forged_tokens_are_403_and_change_nothing(self):
        user = unique("forge")
        good_body = token_body("start", fields_of(user))
        good = seal(good_body, SECRET)
        raw = unb64(good)
        now = int(time.time())

        def altered(offset, byte):
            b = bytearray(raw)
            b[offset] ^= byte
            return b64(bytes(b))

        user_at = raw.index(user.encode())
        forged = {
            "username": altered(user_at, 0x01),
            "event": altered(1, 0x04),               # start -> complete: another HMAC
            "event, same HMAC": altered(1, 0x02),    # start -> thirdQuartile: another tag of it
            "timestamp": altered(9, 0x01),
            "signature": altered(len(raw) - 1, 0x80),
            "other secret": seal(good_body, "some-other-secret-123456"),
            "expired": seal(token_body("start", fields_of(user), served_at=now - 3700), SECRET),
            "future": seal(token_body("start", fields_of(user), served_at=now + 4000), SECRET),
            "version 3": seal(token_body("start", fields_of(user), version=3), SECRET),
            "version 1 label on a version 2 token": b64(bytes([1]) + raw[1:]),
            "cut short": good[:-5],
            "cut to nothing much": good[:10],
            "resigned username": seal(token_body("start", fields_of(user + "x")),
                                      "not-the-secret-at-all"),
        }
        before = self.redis_dump()
        for name, tok in forged.items():
            with self.subTest(forgery=name):
                status, headers, body = self.app.get("/t", [("k", tok)])
                self.assertEqual(status, 403, body)
                self.assertIn("tracking token", self.assertJSON((status, headers, body),
                                                                403)["message"])
        rng = random.Random(14)
        for _ in range(1000):
            n = rng.randint(1, 428)
            tok = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_") for _ in range(n))
            status, _, _ = self.app.get("/t", [("k", tok)])
            self.assertEqual(status, 403, tok)
        self.assertEqual(self.redis_dump(), before)
        self.assertEqual(self.stats(user)[0], 404)
        metrics = self.app.get("/metrics")[2].decode()
        self.assertRegex(metrics, r'adstats_pixels_total\{outcome="forbidden"\} (\d{4,})')

    def redis_dump(self):
        self.redis.settle()  # earlier pixels' index writes may still be arriving
        out = {}
        for key in sorted(self.redis.keys("*")):
            kind = self.redis.command("TYPE", key)
            if kind == "hash":
                out[key] = self.redis.hgetall(key)
            elif kind == "zset":
                out[key] = self.redis.command("ZRANGE", key, "0", "-1", "WITHSCORES")
            elif kind == "string":
                out[key] = self.redis.command("GET", key)
            else:
                out[key] = self.redis.command("DUMP", key)
        return out

    def test_version_1_tokens_of_an_earlier_release_still_count(self):
        """Ads served before an upgrade carry version 1 tokens (a full
        HMAC-SHA256 each); fired after it, they count, once per event, and
        the same pixel as a version 2 token is a duplicate of it."""
        user = unique("v1")
        ad = os.urandom(16)
        v1 = seal(token_body("start", fields_of(user), ad_id=ad, version=1), SECRET)
        self.assertEqual(len(unb64(v1)), len(unb64(seal(token_body("start", fields_of(user)),
                                                            SECRET))) + 24)
        self.assertEqual(self.app.get("/t", [("k", v1)])[0], 200)
        v2 = seal(token_body("start", fields_of(user), ad_id=ad), SECRET)
        self.assertEqual(self.app.get("/t", [("k", v2)])[0], 200)
        self.assertEqual(self.app.get("/t", [("k", v1)])[0], 200)
        previous = seal(token_body("complete", fields_of(user), ad_id=ad, version=1), PREVIOUS)
        self.assertEqual(self.app.get("/t", [("k", previous)])[0], 200)
        video = self.video(user)
        self.assertEqual((video["starts"], video["completes"]), (1, 1))

    def test_rotation(self):
        user = unique("rot")
        tok = seal(token_body("complete", fields_of(user)), PREVIOUS)
        self.assertEqual(self.app.get("/t", [("k", tok)])[0], 200)
        self.assertEqual(self.video(user)["completes"], 1)
        after = self.stack.start_adstats(["--tracking-url", BASE, "--tracking-secret", PREVIOUS])
        tok2 = seal(token_body("complete", fields_of(user)), SECRET)
        self.assertEqual(after.get("/t", [("k", tok2)])[0], 403)  # the old current: gone
        rotated = self.stack.start_adstats(["--tracking-url", BASE, "--tracking-secret",
                                            "a-brand-new-secret-42"])
        self.assertEqual(rotated.get("/t", [("k", tok)])[0], 403)

    def test_impression_event_id_rule(self):
        """An SDK that reports the same view to /impression with
        event_id=<Adstats-Ad-Id> does not count it twice."""
        with open(SAMPLES[0], "rb") as f:
            doc = f.read()
        user = unique("both")
        headers, body = self.serve(user, doc)
        ad_id = headers["Adstats-Ad-Id"]
        status, _, _ = self.app.get("/impression", event_params(user, "1.0")
                                    + [("event_id", ad_id)])
        self.assertEqual(status, 200)
        impression = [u for u in URL_RE.findall(body) if token_event(token_of(u)) == "impression"]
        self.assertEqual(self.fire(impression[0])[0], 200)
        self.assertEqual(self.video(user)["impressions"], 1)

    def test_start_up_errors(self):
        from harness import Adstats
        for args, needle in [(["--tracking-url", BASE], "--tracking-secret"),
                             (["--tracking-url", BASE, "--tracking-secret", "short"], "16"),
                             (["--tracking-url", "ftp://x", "--tracking-secret", SECRET],
                              "--tracking-url"),
                             (["--ivt-filter", "1", "--ivt-user-agents", "/nonexistent"],
                              "/nonexistent"),
                             (["--ivt-deny", "10.0.0.1/8"], "--ivt-deny")]:
            a = Adstats(self.stack.redis.url, None, args)
            try:
                a.start(wait=False)
                deadline = time.time() + 10
                while a.alive() and time.time() < deadline:
                    time.sleep(0.05)
                self.assertEqual(a.stop(), 2)
                lines = [l for l in a.stderr().splitlines() if not l.startswith("config:")]
                self.assertEqual(len(lines), 1, lines)  # one clear line
                self.assertIn(needle, lines[0])
            finally:
                a.close()


class TrackingStreamTest(StackTestCase):
    adstats_args = ["--tracking-secret", SECRET, "--events-stream", "as:test:events"]

    def test_the_stream_carries_the_pixels_events(self):
        user = unique("stream")
        for event in ("start", "click", "impression"):
            tok = seal(token_body(event, fields_of(user)), SECRET)
            self.assertEqual(self.app.get("/t", [("k", tok)])[0], 200)
        entries = self.redis.command("XRANGE", "as:test:events", "-", "+")
        ours = []
        for _, fields in entries:
            text = [v.decode() if isinstance(v, bytes) else v for v in fields]
            f = dict(zip(text[::2], text[1::2]))
            if f.get("username") == user:
                ours.append((f["type"], len(f["event_id"])))
        self.assertEqual(ours, [("start", 32 + len(":start")), ("click", 32 + len(":click")),
                                ("impression", 32)])


IVT_ARGS = ["--tracking-url", BASE, "--tracking-secret", SECRET, "--ivt-filter", "1",
            "--ivt-user-agents", os.path.join(REPO, "deploy", "ivt-user-agents.txt"),
            "--ivt-deny", "203.0.113.0/24", "--trusted-proxies", "127.0.0.1"]


class InvalidTrafficTest(StackTestCase):
    adstats_args = IVT_ARGS

    def counts(self, user):
        return self.assertJSON(self.app.get("/statistics", [("username", user), ("video", "1"),
                                                            ("invalid", "1")]), 200)[user]

    def test_crawler_and_denied_address_count_as_invalid_only(self):
        user = unique("ivt")
        bot = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; "
                             "+http://www.google.com/bot.html)"}
        denied = {"X-Forwarded-For": "203.0.113.9", "User-Agent": "Mozilla/5.0 Firefox/120.0"}
        human = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
                 "X-Forwarded-For": "198.51.100.4"}
        for headers in (bot, denied):
            self.assertEqual(self.app.get("/impression", event_params(user, "1.0"),
                                          headers=headers)[0], 200)
            tok = seal(token_body("start", fields_of(user)), SECRET)
            self.assertEqual(self.app.get("/t", [("k", tok)], headers=headers)[0], 200)
        status, _, _ = self.app.get("/ad", event_params(user, "1.0"), headers=bot)
        self.assertEqual(status, 200)
        got = self.counts(user)
        self.assertEqual((got["impressions"], got["ad_requests"], got["starts"], got["invalid"]),
                         (0, 0, 0, 5))
        self.assertEqual(self.app.get("/impression", event_params(user, "1.0"),
                                      headers=human)[0], 200)
        got = self.counts(user)
        self.assertEqual((got["impressions"], got["invalid"]), (1, 5))
        metrics = self.app.get("/metrics")[2].decode()
        self.assertIn('adstats_events_total{type="invalid"} 5', metrics)


if __name__ == "__main__":
    unittest.main()
