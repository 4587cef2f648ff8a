// tracking.test.mjs -- a web player plays ads with adstats' trackers, in a
// real browser (Debian's Chromium, headless), against an adstats that
// run.py started with --tracking-url (itself) and CORS for the player's
// origin.
//
// The page (tracking.html, at PLAYER_URL) fetches /ad, parses it with
// @dailymotion/vast-client and fires the trackers the library found: the
// first ad to the end and clicked, the second started only, the first's
// complete fired twice. /statistics?video=1 must then show exactly that:
// two impressions, two starts, one of each quartile, complete and click,
// completion_rate 0.5, ctr 0.5.

import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {BASE_URL, launch} from './browser.mjs';

const PLAYER_URL = process.env.PLAYER_URL;
const ALL = ['impression', 'start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete', 'click'];

let browser;

before(async () => {
  assert.ok(PLAYER_URL, 'set PLAYER_URL (run.py does)');
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

const adUrl = (username) => new URL(`/ad?${new URLSearchParams({
  sdk_version: '6.2.0', session_id: `${username}-s1`, platform: 'web', username,
  country_code: 'SE'})}`, BASE_URL).href;

test('the trackers the library finds count exactly once each', async () => {
  const page = await browser.newPage();
  await page.goto(PLAYER_URL);
  await page.waitForFunction(() => window.ready === true);
  const user = `viewer-${Date.now()}`;
  const first = await page.evaluate(([u, b, e]) => window.play(u, b, e), [adUrl(user), BASE_URL, ALL]);
  assert.equal(first.status, 200);
  assert.match(first.adId, /^[0-9a-f]{32}$/);
  for (const e of ALL) assert.equal(first.found[e], 1, `${e} found once`);
  assert.ok(first.fired.every((f) => f.loaded && f.width === 1), JSON.stringify(first.fired));
  const second = await page.evaluate(([u, b, e]) => window.play(u, b, e),
                                     [adUrl(user), BASE_URL, ['impression', 'start']]);
  assert.equal(second.fired.length, 2);
  assert.notEqual(second.adId, first.adId);
  // a player that fires complete again (a replay): the same pixel counts once
  const again = await page.evaluate((url) => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve(true);
    img.onerror = () => resolve(false);
    img.src = url + '&replay=1';
  }), first.fired[ALL.indexOf('complete')].url);
  assert.equal(again, true);

  const resp = await fetch(new URL(`/statistics?username=${user}&video=1`, BASE_URL));
  const got = (await resp.json())[user];
  assert.deepEqual(got, {impressions: 2, ad_requests: 2, fill_rate: 1, starts: 2,
                         first_quartiles: 1, midpoints: 1, third_quartiles: 1, completes: 1,
                         clicks: 1, completion_rate: 0.5, ctr: 0.5});
  await page.close();
});
