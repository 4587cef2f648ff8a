"""test_dashboard.py -- GET / and /dashboard/...: the dashboard's files as
HTTP serves them (what the browser then does with them is
tests/browser/dashboard.test.mjs).

Every file that the page refers to is served from the binary with its
content type, an ETag that revalidates to a 304, Cache-Control, and the
strict Content-Security-Policy; unknown files are a JSON 404 with the same
security headers; the page has no inline script or style for the CSP to
block; serving it touches no counter.
"""

import os
import re

from harness import REPO, StackTestCase

CSP_DIRECTIVES = [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
]
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8"}


def source_files():
    d = os.path.join(REPO, "dashboard")
    return sorted(f for f in os.listdir(d) if os.path.splitext(f)[1] in TYPES)


def read_source(name):
    with open(os.path.join(REPO, "dashboard", name), "rb") as f:
        return f.read()


class DashboardFileTests(StackTestCase):

    def assertSecure(self, headers):
        csp = headers.get("Content-Security-Policy", "")
        for directive in CSP_DIRECTIVES:
            self.assertIn(directive, csp)
        self.assertNotIn("unsafe", csp)
        self.assertEqual(headers.get("X-Content-Type-Options"), "nosniff")

    def test_page_at_root_and_dashboard(self):
        page = read_source("index.html")
        for path in ("/", "/dashboard", "/dashboard/", "/dashboard/index.html", "/?refresh=2"):
            with self.subTest(path=path):
                status, headers, body = self.app.get(path)
                self.assertEqual(status, 200)
                self.assertEqual(headers.get("Content-Type"), TYPES[".html"])
                self.assertEqual(body, page)
                self.assertSecure(headers)
                self.assertEqual(headers.get("Cache-Control"), "no-cache")
                self.assertRegex(headers.get("ETag", ""), r'^"[0-9a-f]{16}"$')

    def test_every_file_with_its_type_byte_for_byte(self):
        for name in source_files():
            with self.subTest(name=name):
                status, headers, body = self.app.get("/dashboard/" + name)
                self.assertEqual(status, 200)
                self.assertEqual(headers.get("Content-Type"), TYPES[os.path.splitext(name)[1]])
                self.assertEqual(body, read_source(name))
                self.assertSecure(headers)

    def test_every_reference_is_served(self):
        """Scripts, style sheets and module imports all resolve here."""
        refs = set(re.findall(rb'(?:src|href)="(/dashboard/[^"]+)"', read_source("index.html")))
        for name in source_files():
            if name.endswith(".js"):
                for mod in re.findall(rb"from '\./([^']+)'", read_source(name)):
                    refs.add(b"/dashboard/" + mod)
        self.assertGreaterEqual(len(refs), 3)
        for ref in sorted(refs):
            with self.subTest(ref=ref):
                status, _, _ = self.app.get(ref.decode())
                self.assertEqual(status, 200)

    def test_no_inline_script_or_style(self):
        page = read_source("index.html").decode()
        self.assertNotRegex(page, r"<script(?![^>]*\bsrc=)[^>]*>")
        self.assertNotIn("<style", page)
        self.assertNotRegex(page, r"\sstyle=")
        self.assertNotRegex(page, r"\son[a-z]+=")
        markup_sinks = rb"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\("
        for name in source_files():
            if name.endswith(".js"):
                self.assertNotRegex(read_source(name), markup_sinks, name)

    def test_etag_revalidates_to_304(self):
        for path in ("/", "/dashboard/app.js"):
            with self.subTest(path=path):
                _, headers, _ = self.app.get(path)
                etag = headers["ETag"]
                status, h304, body = self.app.get(path, headers={"If-None-Match": etag})
                self.assertEqual(status, 304)
                self.assertEqual(body, b"")
                self.assertEqual(h304.get("ETag"), etag)
                self.assertSecure(h304)
                listed = 'W/"0000000000000000", ' + etag
                self.assertEqual(self.app.get(path, headers={"If-None-Match": listed})[0], 304)
                other = self.app.get(path, headers={"If-None-Match": '"0000000000000000"'})
                self.assertEqual(other[0], 200)

    def test_files_differ_in_etag(self):
        tags = {self.app.get("/dashboard/" + name)[1]["ETag"] for name in source_files()}
        self.assertEqual(len(tags), len(source_files()))

    def test_head_has_headers_and_no_body(self):
        status, headers, body = self.app.request("HEAD", "/dashboard/style.css")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("Content-Type"), TYPES[".css"])
        self.assertEqual(body, b"")

    def test_unknown_files_are_json_404_with_the_same_headers(self):
        cases = {
            "/dashboard/nope.js": "no such dashboard file: nope.js",
            "/dashboard/a/app.js": "no such dashboard file",
            "/dashboard/../app.js": None,  # the client may normalise it
            "/dashboard/%3Cimg%3E": "no such dashboard file",
            "/dashboard/" + "x" * 300: "no such dashboard file",
        }
        for path, message in cases.items():
            with self.subTest(path=path[:40]):
                resp = self.app.get(path)
                if message is None:
                    self.assertIn(resp[0], (200, 404))
                    continue
                self.assertEqual(self.assertError(resp, 404), message)
                self.assertSecure(resp[1])

    def test_other_paths_are_not_the_dashboard(self):
        for path in ("/dashboardx", "/index.html", "/favicon.ico"):
            with self.subTest(path=path):
                self.assertError(self.app.get(path), 404, "no such endpoint")

    def test_only_get_and_head(self):
        for path in ("/", "/dashboard/app.js"):
            for method in ("POST", "PUT", "DELETE"):
                with self.subTest(path=path, method=method):
                    resp = self.app.request(method, path)
                    self.assertError(resp, 405)
                    self.assertEqual(resp[1].get("Allow"), "GET, HEAD")
                    self.assertSecure(resp[1])

    def test_serving_the_page_counts_nothing(self):
        before = self.redis.dbsize()
        for path in ("/", "/dashboard/app.js", "/dashboard/missing.css"):
            self.app.get(path)
        self.assertEqual(self.redis.dbsize(), before)

    def test_api_answers_carry_no_dashboard_headers(self):
        _, headers, _ = self.app.get("/statistics", {"username": "nobody-here"})
        self.assertIsNone(headers.get("Content-Security-Policy"))
