"""test_interop_http.py -- what the clients that exist send and expect:
GET bodies ignored (Postman keeps a raw body on a GET), POST bodies as a
form, as JSON or as text/plain (navigator.sendBeacon), Cache-Control:
no-store on the API's answers, and CORS for a list of player origins with
credentials."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    LOOPBACK, Proc, StackTestCase, binary, clean_env, event_params, free_port, make_tmpdir,
    remove_tmpdir, request, unique, unique_version)

ADMIN_TOKEN = "interop-admin-token"
THREE_TYPES = ("application/x-www-form-urlencoded", "application/json", "text/plain")


def form(pairs):
    return "&".join("%s=%s" % kv for kv in pairs)


class GetBodyIgnoredTest(StackTestCase):
    """A GET answers from its query, whatever body it carries."""

    def get_with_body(self, path, params, body, ctype):
        headers = {"Content-Type": ctype} if ctype else {}
        return self.app.request("GET", path, params, body=body, headers=headers)

    def test_json_body_on_a_get_is_ignored(self):
        user, sdk = unique(), unique_version()
        other = unique()
        body = json.dumps(dict(event_params(other, sdk))).encode()
        resp = self.get_with_body("/impression", event_params(user, sdk), body,
                                  "application/json")
        self.assertEqual(self.assertJSON(resp, 200),
                         {"success": True, "message": "Successfully fetched"})
        self.assertEqual(self.counters("u", user), {"imp": 1})
        self.assertEqual(self.counters("u", other), {})

    def test_any_type_and_size_up_to_the_cap_is_ignored(self):
        user, sdk = unique(), unique_version()
        other = unique()
        bodies = [(b"<xml/>", "application/xml"), (b"\xff\xfe garbage", None),
                  (form(event_params(other, sdk)).encode(), "application/x-www-form-urlencoded"),
                  (b"{" * 16384, "application/json"), (b"[1, 2]", "text/plain")]
        for body, ctype in bodies:
            with self.subTest(ctype=ctype, size=len(body)):
                self.assertJSON(self.get_with_body("/impression", event_params(user, sdk), body,
                                                   ctype), 200)
        self.assertEqual(self.counters("u", user), {"imp": len(bodies)})
        self.assertEqual(self.counters("u", other), {})

    def test_parameters_only_in_a_get_body_are_missing(self):
        user, sdk = unique(), unique_version()
        body = json.dumps(dict(event_params(user, sdk))).encode()
        before = self.redis.dbsize()
        resp = self.get_with_body("/impression", None, body, "application/json")
        self.assertError(resp, 400, "following params are required")
        self.assertEqual(self.redis.dbsize(), before)

    def test_ad_and_statistics_with_a_leftover_body(self):
        user, sdk = unique(), unique_version()
        body = b'{"username": "someone-else"}'
        resp = self.get_with_body("/ad", event_params(user, sdk), body, "application/json")
        self.assertEqual(resp[0], 200, resp[2][:300])
        self.assertIn(b"<VAST", resp[2])
        doc = self.assertJSON(self.get_with_body("/statistics", {"username": user}, body,
                                                 "application/json"), 200)
        self.assertEqual(doc[user]["ad_requests"], 1)

    def test_a_get_body_over_the_cap_is_still_refused(self):
        user, sdk = unique(), unique_version()
        resp = self.get_with_body("/impression", event_params(user, sdk), b"x" * 16385,
                                  "application/json")
        self.assertError(resp, 413, "16384")
        self.assertEqual(self.counters("u", user), {})


class PostBodyTest(StackTestCase):
    """POST parameters as a form, JSON, or text/plain holding a form."""

    def post(self, path, body, ctype, params=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.app.request("POST", path, params, body=body, headers={"Content-Type": ctype})

    def test_json_strings(self):
        user, sdk = unique(), unique_version()
        resp = self.post("/impression", json.dumps(dict(event_params(user, sdk))),
                         "application/json")
        self.assertEqual(self.assertJSON(resp, 200),
                         {"success": True, "message": "Successfully fetched"})
        self.assertEqual(self.counters("u", user), {"imp": 1})

    def test_json_numbers_take_their_text(self):
        user = unique()
        body = ('{"sdk_version": 7.10, "session_id": 12345, "platform": "web", '
                '"username": "%s", "country_code": "de"}' % user)
        resp = self.post("/ad", body, "application/json; charset=utf-8")
        self.assertEqual(resp[0], 200, resp[2][:300])
        self.assertEqual(self.counters("u", user), {"req": 1})
        self.assertEqual(self.counters("s", "7.10"), {"req": 1})

    def test_json_values_are_checked_like_form_values(self):
        user, sdk = unique(), unique_version()
        params = dict(event_params(user, sdk), country_code="xx", session_id="a\u0000b")
        before = self.redis.dbsize()
        msg = self.assertError(self.post("/impression", json.dumps(params), "application/json"),
                               400)
        self.assertIn("country_code", msg)
        self.assertIn("session_id", msg)
        self.assertEqual(self.redis.dbsize(), before)

    def test_json_refusals_change_no_counter(self):
        user, sdk = unique(), unique_version()
        good = json.dumps(dict(event_params(user, sdk)))
        cases = [
            (good[:-1] + ', "extra": {"a": 1}}', "strings or numbers"),
            (good[:-1] + ', "extra": [1]}', "strings or numbers"),
            (good[:-1] + ', "event_id": null}', "strings or numbers"),
            (good[:-1] + ', "extra": true}', "strings or numbers"),
            (good[:-1], "malformed JSON body"),
            (good + "x", "malformed JSON body"),
            ("{'username': 'x'}", "malformed JSON body"),
            ("[" + good + "]", "must be an object"),
            ('"%s"' % form(event_params(user, sdk)), "must be an object"),
            (good.encode()[:-1] + b', "extra": "\xff"}', "valid UTF-8"),
            ("{%s}" % ", ".join('"k%d": 1' % i for i in range(65)), "too many parameters"),
        ]
        before, fetched = self.redis.dbsize(), len(self.mock.requests())
        for body, words in cases:
            with self.subTest(body=body[:60]):
                self.assertError(self.post("/impression", body, "application/json"), 400, words)
                self.assertError(self.post("/ad", body, "application/json"), 400, words)
        self.assertEqual(self.redis.dbsize(), before)
        self.assertEqual(len(self.mock.requests()), fetched)

    def test_query_and_json_body_both_count_query_first(self):
        user, sdk = unique(), unique_version()
        pairs = event_params(user, sdk)
        body = json.dumps({k: v for k, v in pairs[1:]} | {"sdk_version": "9.9.9"})
        resp = self.post("/impression", body, "application/json", params=pairs[:1])
        self.assertJSON(resp, 200)
        self.assertEqual(self.counters("s", sdk), {"imp": 1})
        self.assertEqual(self.counters("s", "9.9.9"), {})

    def test_text_plain_holding_a_form(self):
        user, sdk = unique(), unique_version()
        for ctype in ("text/plain;charset=UTF-8", "text/plain", "TEXT/PLAIN; charset=utf-8"):
            with self.subTest(ctype=ctype):
                resp = self.post("/impression", form(event_params(user, sdk)), ctype)
                self.assertJSON(resp, 200)
        self.assertEqual(self.counters("u", user), {"imp": 3})

    def test_415_names_the_three_types(self):
        user, sdk = unique(), unique_version()
        before = self.redis.dbsize()
        for ctype in ("application/xml", "multipart/form-data; boundary=x", "text/html",
                      "application/jsonp", "text/plainx", None):
            with self.subTest(ctype=ctype):
                headers = {"Content-Type": ctype} if ctype else {}
                resp = self.app.request("POST", "/impression",
                                        body=form(event_params(user, sdk)).encode(),
                                        headers=headers)
                message = self.assertError(resp, 415)
                for t in THREE_TYPES:
                    self.assertIn(t, message)
        self.assertEqual(self.redis.dbsize(), before)


class CacheControlTest(StackTestCase):
    adstats_args = ("--admin-token", ADMIN_TOKEN)

    def assertNoStore(self, resp):
        self.assertEqual(resp[1].get("Cache-Control"), "no-store",
                         "status %s, body %r" % (resp[0], resp[2][:200]))

    def test_every_api_answer_says_no_store(self):
        user, sdk = unique(), unique_version()
        pairs = event_params(user, sdk)
        admin = {"Authorization": "Bearer " + ADMIN_TOKEN}
        answers = [
            self.app.get("/impression", pairs),                        # shared success
            self.app.get("/impression", pairs + [("event_id", "e1")]),
            self.app.get("/impression", pairs + [("event_id", "e1")]),  # duplicate
            self.app.post_form("/impression", pairs),
            self.app.get("/impression"),                               # 400
            self.app.request("PUT", "/impression"),                    # 405
            self.app.get("/ad", pairs),
            self.app.get("/ad"),
            self.app.get("/statistics", {"username": user}),
            self.app.get("/statistics", {"username": unique()}),       # 404
            self.app.get("/statistics"),
            self.app.get("/statistics/top", {"dimension": "sdk"}),
            self.app.get("/statistics/top", {"dimension": "nope"}),
            self.app.request("DELETE", "/statistics", {"username": user}),  # 401
            self.app.request("DELETE", "/statistics", {"username": user}, headers=admin),
        ]
        self.assertEqual([a[0] for a in answers],
                         [200, 200, 200, 200, 400, 405, 200, 400, 200, 404, 400, 200, 400, 401,
                          200])
        for resp in answers:
            self.assertNoStore(resp)

    def test_dashboard_and_operations_are_not_no_store(self):
        for path in ("/", "/dashboard/app.js", "/dashboard/style.css"):
            with self.subTest(path=path):
                status, headers, _ = self.app.get(path)
                self.assertEqual(status, 200)
                self.assertEqual(headers.get("Cache-Control"), "no-cache")
                self.assertTrue(headers.get("ETag"))
        for path in ("/metrics", "/healthz", "/readyz", "/openapi.yaml", "/nope"):
            with self.subTest(path=path):
                self.assertNotIn("Cache-Control", self.app.get(path)[1])


PLAYER_A = "https://player-a.example"
PLAYER_B = "http://localhost:8080"
STRANGER = "https://elsewhere.example"


class CorsOriginListTest(StackTestCase):
    adstats_args = ("--cors-origin", "%s, %s" % (PLAYER_A, PLAYER_B), "--cors-credentials", "1")

    def answers(self, origin):
        user, sdk = unique(), unique_version()
        headers = {"Origin": origin} if origin else {}
        pairs = event_params(user, sdk)
        return [self.app.get("/impression", pairs, headers=headers),  # shared
                self.app.get("/impression", headers=headers),         # 400
                self.app.get("/ad", pairs, headers=headers),
                self.app.get("/statistics", {"username": user}, headers=headers),
                self.app.get("/nope", headers=headers),
                self.app.get("/healthz", headers=headers)]

    def test_a_listed_origin_is_echoed_with_credentials(self):
        for origin in (PLAYER_A, PLAYER_B):
            for resp in self.answers(origin):
                with self.subTest(origin=origin, status=resp[0]):
                    h = resp[1]
                    self.assertEqual(h.get("Access-Control-Allow-Origin"), origin)
                    self.assertEqual(h.get("Access-Control-Allow-Credentials"), "true")
                    self.assertEqual(h.get("Vary"), "Origin")
                    self.assertEqual(h.get("Access-Control-Expose-Headers"),
                                     "Retry-After, Allow, Adstats-Duplicate, Adstats-Ad-Id")
                    self.assertEqual(len(h.get_all("Access-Control-Allow-Origin")), 1)

    def test_other_origins_get_no_cors_headers(self):
        for origin in (STRANGER, PLAYER_A + ".evil", PLAYER_A.upper(), None):
            for resp in self.answers(origin):
                with self.subTest(origin=origin, status=resp[0]):
                    h = resp[1]
                    self.assertNotIn("Access-Control-Allow-Origin", h)
                    self.assertNotIn("Access-Control-Allow-Credentials", h)
                    self.assertEqual(h.get("Vary"), "Origin")

    def test_preflight_for_a_listed_origin(self):
        r = self.app.request("OPTIONS", "/ad", headers={
            "Origin": PLAYER_B, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        self.assertEqual(r[0], 204)
        self.assertEqual(r[1]["Access-Control-Allow-Origin"], PLAYER_B)
        self.assertEqual(r[1]["Access-Control-Allow-Credentials"], "true")
        self.assertEqual(r[1]["Access-Control-Allow-Methods"], "GET, POST, OPTIONS")
        self.assertEqual(r[1]["Access-Control-Allow-Headers"], "Content-Type, Authorization")
        self.assertEqual(r[1]["Access-Control-Max-Age"], "86400")
        stranger = self.app.request("OPTIONS", "/ad", headers={
            "Origin": STRANGER, "Access-Control-Request-Method": "POST"})
        self.assertEqual(stranger[0], 204)
        self.assertNotIn("Access-Control-Allow-Origin", stranger[1])


class CorsSingleOriginCredentialsTest(StackTestCase):
    """One origin: the fixed, request-independent headers, plus credentials."""
    adstats_args = ("--cors-origin", PLAYER_A, "--cors-credentials", "1")

    def test_fixed_headers_with_credentials(self):
        user, sdk = unique(), unique_version()
        for origin in (PLAYER_A, None):
            headers = {"Origin": origin} if origin else {}
            for resp in (self.app.get("/impression", event_params(user, sdk), headers=headers),
                         self.app.get("/statistics", headers=headers)):
                self.assertEqual(resp[1].get("Access-Control-Allow-Origin"), PLAYER_A)
                self.assertEqual(resp[1].get("Access-Control-Allow-Credentials"), "true")
                self.assertEqual(resp[1].get("Vary"), "Origin")


class CorsStartUpTest(unittest.TestCase):

    def run_adstats(self, args, env=None):
        tmp = make_tmpdir("adstats-cors-")
        try:
            safe = ["--bind", LOOPBACK, "--port", str(free_port()),
                    "--redis-url", "redis://127.0.0.1:%d/0" % free_port(),
                    "--error-log", os.path.join(tmp, "backend_errors.log")]
            p = Proc("adstats", [binary("adstats")] + safe + list(args), tmp,
                     env=env if env is not None else clean_env(), cwd=tmp)
            code = p.wait(10)
            p.stop()
            return code, p.stderr()
        finally:
            remove_tmpdir(tmp)

    def test_wildcard_with_credentials_is_refused(self):
        for args, env in ((["--cors-origin", "*", "--cors-credentials", "1"], None),
                          (["--cors-origin=*"], clean_env(CORS_CREDENTIALS="1")),
                          ([], clean_env(CORS_CREDENTIALS="1", CORS_ORIGIN="*"))):
            with self.subTest(args=args):
                code, err = self.run_adstats(args, env)
                self.assertEqual(code, 2, err)
                self.assertEqual(err.count("\n"), 1, err)
                self.assertIn("--cors-credentials", err)
                self.assertIn("*", err)

    def test_bad_lists_are_refused(self):
        for value in ("https://a.example,", "*,https://a.example", "https://a.example/x,http://b"):
            with self.subTest(value=value):
                code, err = self.run_adstats(["--cors-origin", value])
                self.assertEqual(code, 2, err)
                self.assertIn("--cors-origin", err)


if __name__ == "__main__":
    unittest.main()
