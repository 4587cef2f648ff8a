"""test_upstream_xml.py -- hostile VAST documents from the upstream, end to
end: vastmock serves them, /ad fetches and checks them.

Entity expansion (billion laughs, quadratic blow-up), external entities
(XXE: a local file, an external DTD on the network), the same in UTF-16,
and deep nesting must each be answered 502 quickly, without adstats' memory
growing, without any file's content in an answer or the backend error log,
and without any fetch besides the ad itself (the external DTD points at
vastmock, which logs every request). Documents that merely look dangerous
(XInclude, which libxml2 only processes on request, and `<!DOCTYPE html>`
inside CDATA, which HTML companion ads carry) are valid VAST and pass
through unchanged (those without an <Ad> as no-fills, answered 200 all the
same: see tests/integration/test_nofill.py).
"""

import json
import os
import time
import unittest

from harness import StackTestCase, event_query, make_tmpdir, read_text

RSS_GROWTH_LIMIT_KIB = 32 * 1024


def billion_laughs():
    ents = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        ents.append('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
    return ('<?xml version="1.0"?>\n<!DOCTYPE VAST [\n%s\n]>\n<VAST version="3.0">&lol9;</VAST>'
            % "\n".join(ents))


def quadratic_blowup():
    return ('<?xml version="1.0"?><!DOCTYPE VAST [<!ENTITY a "%s">]><VAST>%s</VAST>'
            % ("a" * 50000, "&a;" * 10000))


def xxe_file(path):
    return ('<?xml version="1.0"?><!DOCTYPE VAST [<!ENTITY x SYSTEM "file://%s">]>'
            '<VAST version="3.0"><Ad><AdTitle>&x;</AdTitle></Ad></VAST>' % path)


def xxe_parameter(dtd_url):
    return ('<?xml version="1.0"?><!DOCTYPE VAST [<!ENTITY %% p SYSTEM "%s"> %%p;]>'
            '<VAST version="3.0"/>' % dtd_url)


def external_dtd(dtd_url):
    return '<?xml version="1.0"?><!DOCTYPE VAST SYSTEM "%s"><VAST version="3.0"/>' % dtd_url


def utf16(text):
    """UTF-16LE without a byte order mark: libxml2 recognises it from '<?'.
    (Every character here is ASCII, so the JSON string carries the bytes.)"""
    return text.encode("utf-16-le").decode("latin-1")


def deep(levels):
    return '<VAST version="3.0">' + "<a>" * levels + "</a>" * levels + "</VAST>"


class HostileUpstream(StackTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secret = "TOP-SECRET-%d" % os.getpid()
        cls.secret_path = os.path.join(make_tmpdir("adstats-xxe-"), "secret.txt")
        with open(cls.secret_path, "w") as f:
            f.write(cls.secret)
        cls.dtd_url = "http://127.0.0.1:%d/evil.dtd" % cls.mock.port

    def fetch_ad(self, body):
        """Serves `body` once from the mock and asks adstats for an ad;
        returns (status, answer body, seconds, RSS growth in KiB)."""
        self.mock.set_scenario([(body, 200, 0)])
        rss_before = self.app.rss_kib()
        started = time.monotonic()
        status, _, answer = self.app.get("/ad?" + event_query("xml"), timeout=10)
        elapsed = time.monotonic() - started
        growth = self.app.rss_kib() - rss_before
        self.assertEqual(len(self.mock.requests()), 1, "adstats fetched something besides the ad")
        self.app.assert_healthy(self)
        return status, answer, elapsed, growth

    def assert_refused(self, name, body):
        status, answer, elapsed, growth = self.fetch_ad(body)
        print("  %-40s %d in %5.1f ms, RSS %+d KiB" % (name, status, elapsed * 1000, growth))
        self.assertEqual(status, 502, answer[:300])
        doc = json.loads(answer)
        self.assertIs(doc["success"], False)
        self.assertIn("not valid VAST", doc["message"])
        self.assertLess(elapsed, 1.0)
        self.assertLess(growth, RSS_GROWTH_LIMIT_KIB)
        self.assertNotIn(self.secret.encode(), answer)
        self.assertNotIn(b"root:", answer)

    def test_hostile_documents_are_refused(self):
        print()
        cases = [
            ("billion laughs", billion_laughs()),
            ("quadratic blow-up", quadratic_blowup()),
            ("XXE: local file", xxe_file(self.secret_path)),
            ("XXE: /etc/passwd", xxe_file("/etc/passwd")),
            ("XXE: parameter entity over HTTP", xxe_parameter(self.dtd_url)),
            ("external DTD over HTTP", external_dtd(self.dtd_url)),
            ("XXE in UTF-16", utf16('<?xml version="1.0" encoding="UTF-16"?>'
                                    + xxe_file(self.secret_path)[21:])),
            ("billion laughs in UTF-16", utf16('<?xml version="1.0" encoding="UTF-16"?>'
                                               + billion_laughs()[21:])),
            ("nesting 10,000 deep", deep(10000)),
            ("nesting 300 deep (libxml2 caps at 256)", deep(300)),
            ("undeclared entity", '<VAST version="3.0">&x;</VAST>'),
        ]
        for name, body in cases:
            with self.subTest(name):
                self.assert_refused(name, body)
        self.assertNotIn(self.secret, self.app.log())
        time.sleep(0.2)  # the backend log is written by a thread of its own
        self.assertNotIn(self.secret, read_text(self.app.error_log))

    def test_lookalikes_pass(self):
        cases = [
            ("UTF-16 VAST", utf16('<?xml version="1.0" encoding="UTF-16"?><VAST version="3.0"/>')),
            ("XInclude is not processed",
             '<VAST version="3.0" xmlns:xi="http://www.w3.org/2001/XInclude">'
             '<xi:include href="file://%s" parse="text"/></VAST>' % self.secret_path),
            ("<!DOCTYPE html> inside CDATA",
             '<VAST version="3.0"><Ad><HTMLResource><![CDATA[<!DOCTYPE html><p>ad</p>]]>'
             '</HTMLResource></Ad></VAST>'),
            ("nesting 200 deep", deep(200)),
        ]
        for name, body in cases:
            with self.subTest(name):
                status, answer, _, _ = self.fetch_ad(body)
                self.assertEqual(status, 200, answer[:300])
                self.assertEqual(answer, body.encode("latin-1" if "UTF-16" in name else "utf-8"))
                self.assertNotIn(self.secret.encode(), answer)


if __name__ == "__main__":
    unittest.main(verbosity=2)
