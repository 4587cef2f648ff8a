// player.test.mjs -- a web player on another origin, in a real browser
// (Debian's Chromium, headless), against a real adstats that run.py started
// with --cors-origin listing the player's origin and --cors-credentials.
//
// The page (player.html) is served by run.py at PLAYER_URL, on an origin
// adstats lists, and at STRANGER_URL, the same file on an origin it does
// not list (http://localhost:P and http://127.0.0.1:P are two origins).
// From the player's origin an XMLHttpRequest with credentials gets the VAST
// ad and parses it, and a navigator.sendBeacon counts the impression; from
// the stranger's, the browser refuses to hand the ad to the page. What was
// counted is read from adstats directly.

import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {BASE_URL, launch} from './browser.mjs';

const PLAYER_URL = process.env.PLAYER_URL;
const STRANGER_URL = process.env.STRANGER_URL;
const WAIT_MS = 15000;

function event(username) {
  return {sdk_version: '6.1.0', session_id: `${username}-s1`, platform: 'web', username,
          country_code: 'NL'};
}

const adUrl = (params) => new URL(`/ad?${new URLSearchParams(params)}`, BASE_URL).href;
const impressionUrl = new URL('/impression', BASE_URL).href;

async function counts(username) {
  const resp = await fetch(new URL(`/statistics?username=${encodeURIComponent(username)}`, BASE_URL));
  const body = await resp.json();
  return resp.status === 200 ? body[username] : null;
}

async function waitForCounts(username, want) {
  const deadline = Date.now() + WAIT_MS;
  let got;
  while (Date.now() < deadline) {
    got = await counts(username);
    if (got && got.impressions === want.impressions && got.ad_requests === want.ad_requests)
      return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`counts of ${username}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

let browser;
const corsErrors = [];

async function open(url) {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') corsErrors.push(m.text()); });
  await page.goto(url);
  return page;
}

before(async () => {
  assert.ok(PLAYER_URL && STRANGER_URL, 'set PLAYER_URL and STRANGER_URL (run.py does)');
  assert.notEqual(new URL(PLAYER_URL).origin, new URL(BASE_URL).origin);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

describe('a player on a listed origin', () => {
  test('gets the VAST ad with credentials and counts the impression with a beacon', async () => {
    const page = await open(PLAYER_URL);
    const user = `player-${Date.now()}`;
    const ad = await page.evaluate((url) => window.requestAd(url), adUrl(event(user)));
    assert.deepEqual(ad, {loaded: true, status: 200, root: 'VAST', version: ad.version});
    const queued = await page.evaluate(([url, params]) => window.reportImpression(url, params),
                                       [impressionUrl, event(user)]);
    assert.equal(queued, true);
    await waitForCounts(user, {impressions: 1, ad_requests: 1});
    await page.close();
  });
});

describe('a page on an origin adstats does not list', () => {
  test('is refused the ad by the browser', async () => {
    const page = await open(STRANGER_URL);
    const user = `stranger-${Date.now()}`;
    const before = corsErrors.length;
    const ad = await page.evaluate((url) => window.requestAd(url), adUrl(event(user)));
    assert.deepEqual(ad, {loaded: false, status: 0, root: null});
    // Chromium says why on the console: the CORS policy.
    const deadline = Date.now() + WAIT_MS;
    while (!corsErrors.slice(before).some((e) => /CORS policy/.test(e)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(corsErrors.slice(before).some((e) => /CORS policy/.test(e)), corsErrors.join('\n'));
    await page.close();
  });
});
