"""test_hostile.py -- the hostile request corpus (tests/hostile/cases.json)
against a live adstats with a Redis of its own.

Each case is sent as raw bytes on a fresh connection. It must get the
status it expects, always a 4xx, as adstats' JSON {"success": false,
"message": ...} naming what was wrong: malformed request heads included,
which the acceptor answers before libmicrohttpd would (src/headcheck.c). After every case the server is still up and Redis still
holds no key at all: nothing rejected reached it. The format is described
in tests/hostile/README.md.
"""

import json
import os
import unittest
import urllib.parse

from harness import REPO, StackTestCase, raw_exchange

CORPUS = os.path.join(REPO, "tests", "hostile", "cases.json")


def load_corpus():
    with open(CORPUS) as f:
        doc = json.load(f)
    for case in doc["cases"]:
        parts = case["request"] if isinstance(case["request"], list) else [case["request"]]
        data = "".join(p if isinstance(p, str) else p["repeat"] * p["times"] for p in parts)
        case["bytes"] = data.replace("{Q}", doc["Q"]).encode("latin-1")
    return doc["cases"]


class HostileCorpus(StackTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cases = load_corpus()

    def setUp(self):
        self.redis.command("FLUSHALL")

    def check_ours(self, case, status, headers, body):
        """An answer from adstats' pipeline: a JSON error naming the problem."""
        self.assertEqual(headers.get("content-type"), "application/json", body)
        doc = json.loads(body)
        self.assertIs(doc["success"], False)
        message = doc["message"]
        self.assertTrue(message)
        for needle in case.get("message", []):
            self.assertIn(needle, message)
        for needle in case.get("not_in_body", []):
            self.assertNotIn(needle.encode(), body)
        if status == 405:
            self.assertIn("allow", headers)

    def run_case(self, case):
        head = case.get("head", False)
        reply = raw_exchange(self.app.port, case["bytes"], timeout=3.0, settle=0.1, head=head)
        expect = case["expect"]
        self.assertEqual(reply.rest, b"", "unparsable answer: %r" % reply.raw[:300])
        statuses = [r[0] for r in reply.responses]
        self.assertEqual(statuses, expect if isinstance(expect, list) else [expect],
                         reply.raw[:500])
        for status, headers, body in reply.responses:
            self.assertTrue(400 <= status < 500)
            if not head:
                self.check_ours(case, status, headers, body)
        self.app.assert_healthy(self)
        self.assertEqual(self.redis.command("DBSIZE"), 0,
                         "keys in Redis: %r" % self.redis.command("KEYS", "*"))
        return statuses

    def test_corpus(self):
        self.assertGreaterEqual(len(self.cases), 60)
        tally = {}
        for case in self.cases:
            with self.subTest(case["name"]):
                for status in self.run_case(case):
                    tally[status] = tally.get(status, 0) + 1
        print("\nhostile corpus: %d cases, every answer adstats' JSON: %s; Redis keys "
              "afterwards: %d" % (len(self.cases), dict(sorted(tally.items())),
                                  self.redis.command("DBSIZE")))

    def test_server_still_serves(self):
        """After all that, a valid event still counts."""
        for case in self.cases:
            raw_exchange(self.app.port, case["bytes"], timeout=3.0, settle=0.05,
                         head=case.get("head", False))
        self.assertEqual(self.redis.command("DBSIZE"), 0)
        status, _, _ = self.app.get(
            "/impression?sdk_version=1.0&session_id=s&platform=ios&username=ok&country_code=us")
        self.assertEqual(status, 200)
        self.assertGreater(self.redis.command("DBSIZE"), 0)
        self.redis.command("FLUSHALL")

    def test_metacharacters_are_counted_verbatim_and_escaped(self):
        """Printable usernames full of JSON, HTML and Redis syntax are valid:
        they are counted under exactly their own bytes (arguments travel
        binary-safe, nothing is interpreted) and come back escaped."""
        self.redis.command("SET", "sentinel", "1")
        names = ['<script>alert("x")</script>', '"},"x":{"\\', "a b *3 FLUSHALL $8 &amp;",
                 "\u2028\u00e9\U0001F600"]
        for name in names:
            query = urllib.parse.urlencode([("sdk_version", "1.0"), ("session_id", "s"),
                                            ("platform", "ios"), ("username", name),
                                            ("country_code", "fr")])
            self.assertEqual(self.app.get("/impression?" + query)[0], 200, name)
            status, headers, body = self.app.get(
                "/statistics?" + urllib.parse.urlencode([("username", name)]))
            self.assertEqual(status, 200, body)
            self.assertEqual(headers.get("Content-Type"), "application/json")
            for raw in (b"<", b">", b"&", "\u2028".encode()):
                self.assertNotIn(raw, body)
            doc = json.loads(body)
            self.assertEqual(doc[name]["impressions"], 1)
            keys = self.redis.command("KEYS", "*")
            self.assertTrue(any(name.encode() in k for k in keys), keys)
        self.assertEqual(self.redis.command("GET", "sentinel"), b"1")
        self.redis.command("FLUSHALL")


if __name__ == "__main__":
    unittest.main(verbosity=2)
