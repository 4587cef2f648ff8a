"""test_store_failure.py -- how a 503 words a failed store: Redis refusing
a write (an error reply, here OOM) names the error's code, and says what
the request lost; both kinds of failure carry Retry-After: 1."""

import unittest

from harness import StackTestCase, event_params, unique, unique_version


class StoreRefusal(StackTestCase):
    def setUp(self):
        self.redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
        self.redis.command("CONFIG", "SET", "maxmemory", "1")
        self.addCleanup(self.redis.command, "CONFIG", "SET", "maxmemory", "0")

    def check_refused(self, resp, what):
        doc = self.assertJSON(resp, 503)
        self.assertEqual(doc, {"success": False, "message":
                               "statistics store refused the command (OOM): " + what})
        self.assertEqual(resp[1].get("Retry-After"), "1")

    def test_impression_refused_names_the_code(self):
        resp = self.app.get("/impression", event_params(unique(), unique_version()))
        self.check_refused(resp, "impression not counted")

    def test_ad_refused_names_the_code(self):
        self.check_refused(self.ad(unique(), unique_version()), "ad request not counted")


class StoreOutage(StackTestCase):
    def test_outage_says_retry_later(self):
        self.stack.redis.stop()
        resp = self.app.get("/impression", event_params(unique(), unique_version()))
        doc = self.assertJSON(resp, 503)
        self.assertEqual(doc["message"],
                         "statistics store unavailable: impression not counted, retry later")
        self.assertEqual(resp[1].get("Retry-After"), "1")
        resp = self.stats(username="nobody")
        self.assertEqual(self.assertJSON(resp, 503)["message"],
                         "statistics store unavailable: statistics not read, retry later")


if __name__ == "__main__":
    unittest.main(verbosity=2)
