#!/usr/bin/env python3
"""run.py -- the dashboard's browser tests, and its documentation screenshots.

    tests/browser.sh            # the end-to-end tests
    tests/browser.sh --demo     # seeds 30 days of demo data and writes
                                # docs/dashboard.png and docs/dashboard-phone.png

(browser.sh installs playwright-core, then runs this file with tests/ on
PYTHONPATH.) Starts a private Redis, the mock upstream and adstats (the
test harness, tests/harness, which stops them whatever happens), sends
events through the API, then runs the Node side (dashboard.test.mjs or screenshot.mjs), which
drives Debian's Chromium with playwright-core against that adstats. The
tests then run player.test.mjs: a second adstats with CORS for a player's
origin, and player.html served from that origin and from one not listed;
and tracking.test.mjs: a third with --tracking-url, whose ads tracking.html
plays with @dailymotion/vast-client, firing the trackers it finds.
Everything listens on 127.0.0.1 only; the number of requests is fixed.
"""

import argparse
import datetime
import http.server
import os
import random
import subprocess
import sys
import threading

import harness  # installs its clean-up hooks

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = harness.REPO

HOSTILE_USER = "<img src=x onerror=alert(1)>"
NODE_TIMEOUT_S = 240


def send(client, kind, username, sdk, session, platform, country):
    status, _, body = client.get("/" + kind, harness.event_params(
        username, sdk, session_id=session, platform=platform, country_code=country))
    if status not in (200, 502, 504):  # /ad counts even when the mock fails
        raise RuntimeError("/%s answered %d: %r" % (kind, status, body[:200]))


# ---- the tests' data: small, and the same every run ------------------------

TEST_EVENTS = [
    # user, sdk, platform, country, ad requests, impressions
    ("alice", "4.12.3", "ios", "US", 6, 4),
    ("bob", "4.12.3", "android", "DE", 5, 2),
    ("carol", "5.0.1", "android", "FR", 4, 4),
    ("dave", "5.0.1", "web", "BR", 3, 0),
    (HOSTILE_USER, "4.13.0", "ios", "JP", 2, 1),
    ("erin", "4.13.0", "web", "US", 1, 1),
]


def seed_test(adstats):
    client = adstats.client
    for user, sdk, platform, country, ads, imps in TEST_EVENTS:
        for i in range(ads):
            send(client, "ad", user, sdk, "%s-s%d" % (user, i % 2), platform, country)
        for i in range(imps):
            send(client, "impression", user, sdk, "%s-s%d" % (user, i % 2), platform, country)


# ---- demo data for the screenshots ----------------------------------------

DEMO_USERS = ["pixelforge", "northwind-games", "aurora-studio", "tinyfox", "bluecart",
              "meteorapps", "quillcraft", "harbor-media", "zenith-tv", "lumen-news",
              "orbit-play", "kiwi-labs", "papercup", "redshift", "saltmarsh"]
DEMO_SDKS = [("5.2.0", 0.78), ("5.1.3", 0.72), ("5.1.2", 0.69), ("5.0.9", 0.61), ("4.12.3", 0.48)]
DEMO_COUNTRIES = [("US", 1.0), ("GB", 0.97), ("DE", 0.95), ("FR", 0.9), ("BR", 0.8), ("IN", 0.7),
                  ("JP", 0.92), ("CA", 0.98), ("MX", 0.82), ("ES", 0.88)]
DEMO_PLATFORMS = [("ios", 1.05), ("android", 0.95), ("web", 0.85)]
DEMO_DAYS = 30


def seed_demo_day(client, rng, day_index):
    """One day's events: volume grows over the fortnight with a weekly
    dip; fill rate depends on SDK, country and platform."""
    weekly = 0.75 if day_index % 7 in (5, 6) else 1.0
    requests = int((60 + 4 * day_index) * weekly * rng.uniform(0.9, 1.1))
    for n in range(requests):
        user = DEMO_USERS[min(int(rng.expovariate(0.25)), len(DEMO_USERS) - 1)]
        sdk, sdk_fill = DEMO_SDKS[min(int(rng.expovariate(0.7)), len(DEMO_SDKS) - 1)]
        country, c_fill = DEMO_COUNTRIES[min(int(rng.expovariate(0.35)), len(DEMO_COUNTRIES) - 1)]
        platform, p_fill = rng.choices(DEMO_PLATFORMS, weights=(45, 40, 15))[0]
        session = "%s-%d-%d" % (user, day_index, n % 9)
        send(client, "ad", user, sdk, session, platform, country)
        if rng.random() < sdk_fill * c_fill * p_fill:
            send(client, "impression", user, sdk, session, platform, country)


def seed_demo(stack):
    """DEMO_DAYS days up to today (UTC): each past day through an adstats
    whose clock is frozen on that day (--now), today through the main one."""
    rng = random.Random(20261124)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    for i in range(DEMO_DAYS):
        day = today - datetime.timedelta(days=DEMO_DAYS - 1 - i)
        if day == today:
            seed_demo_day(stack.adstats.client, rng, i)
            continue
        noon = datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.timezone.utc)
        past = harness.Adstats(stack.redis.url, stack.mock.url,
                               ["--now", str(int(noon.timestamp())), "--threads", "1"])
        try:
            past.start()
            seed_demo_day(past.client, rng, i)
        finally:
            past.close()
    # A few events from a user whose name is markup: shown as text.
    for _ in range(3):
        send(stack.adstats.client, "ad", HOSTILE_USER, "5.2.0", "x-1", "web", "US")
    send(stack.adstats.client, "impression", HOSTILE_USER, "5.2.0", "x-1", "web", "US")


# ---- running the Node side --------------------------------------------------

def run_node(script, base_url, extra_env=None):
    env = dict(os.environ)
    env.update({"ADSTATS_URL": base_url, "CHROMIUM": env.get("CHROMIUM", "/usr/bin/chromium"),
                "ARTIFACTS": os.path.join(REPO, "tests", "artifacts")})
    env.update(extra_env or {})
    argv = ["node", "--test", "--test-reporter=spec", script] if script.endswith(".test.mjs") \
        else ["node", script]
    try:
        return subprocess.run(argv, cwd=HERE, env=env, timeout=NODE_TIMEOUT_S).returncode
    except subprocess.TimeoutExpired:
        print("browser: %s did not finish within %d s" % (script, NODE_TIMEOUT_S), file=sys.stderr)
        return 1


# ---- a player's page on other origins -----------------------------------------

VAST_CLIENT = os.path.join(REPO, "tests", "vast", "node_modules", "@dailymotion", "vast-client",
                           "dist", "vast-client.min.js")  # browser.sh installs it
PAGES = {"/player.html": (os.path.join(HERE, "player.html"), "text/html; charset=utf-8"),
         "/tracking.html": (os.path.join(HERE, "tracking.html"), "text/html; charset=utf-8"),
         "/vast-client.js": (VAST_CLIENT, "text/javascript")}


class PlayerPage(http.server.BaseHTTPRequestHandler):
    """Serves the players' pages (PAGES), and nothing else."""

    def do_GET(self):
        if self.path not in PAGES:
            self.send_error(404)
            return
        path, ctype = PAGES[self.path]
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run_player_tests(stack):
    """player.test.mjs: the page at http://localhost:P (an origin the CORS
    adstats lists, with another) and at http://127.0.0.1:P (one it does
    not: same server, another origin)."""
    pages = http.server.ThreadingHTTPServer((harness.LOOPBACK, 0), PlayerPage)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    try:
        port = pages.server_address[1]
        player = "http://localhost:%d" % port
        cors = stack.start_adstats(["--cors-origin", "https://other-player.example," + player,
                                    "--cors-credentials", "1"])
        code = run_node("player.test.mjs", "http://%s:%d" % (harness.LOOPBACK, cors.port),
                        {"PLAYER_URL": player + "/player.html",
                         "STRANGER_URL": "http://%s:%d/player.html" % (harness.LOOPBACK, port)})
        code = run_tracking_tests(stack, player) or code
        for a, what in ((cors, "CORS"), (stack.extra[-1], "tracking")):
            report = a.sanitizer_report()
            if report:
                print("browser: the %s adstats reported:\n%s" % (what, report), file=sys.stderr)
                code = code or 1
        return code
    finally:
        pages.shutdown()
        pages.server_close()


def run_tracking_tests(stack, player):
    """tracking.test.mjs: an adstats whose --tracking-url is itself, with
    CORS for the player's origin, played by tracking.html."""
    port = harness.free_port()
    base = "http://%s:%d" % (harness.LOOPBACK, port)
    tracking = harness.Adstats(stack.redis.url, stack.mock.url,
                               ["--tracking-url", base, "--tracking-secret",
                                "browser-tests-tracking-secret", "--cors-origin", player],
                               port=port)
    stack.extra.append(tracking)
    tracking.start()
    return run_node("tracking.test.mjs", base, {"PLAYER_URL": player + "/tracking.html"})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", action="store_true",
                    help="seed demo data and write the documentation screenshots")
    args = ap.parse_args()

    stack = harness.Stack()
    try:
        stack.start()
        base_url = "http://%s:%d" % (harness.LOOPBACK, stack.adstats.port)
        if args.demo:
            seed_demo(stack)
            code = run_node("screenshot.mjs", base_url, {"DOCS": os.path.join(REPO, "docs")})
        else:
            seed_test(stack.adstats)
            code = run_node("dashboard.test.mjs", base_url)
            code = run_player_tests(stack) or code
        report = stack.adstats.sanitizer_report()
        if report:
            print("browser: adstats reported:\n" + report, file=sys.stderr)
            code = code or 1
    finally:
        exit_code = stack.close()
    if exit_code not in (0, None):
        print("browser: adstats exited with %s" % exit_code, file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
