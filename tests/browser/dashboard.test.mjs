// dashboard.test.mjs -- the dashboard in a real browser (Debian's Chromium,
// headless), against a real adstats on a real Redis that run.py started
// and seeded (run.py's TEST_EVENTS).
//
// Each check reads what a person would see -- the text of the page -- and
// compares it with what the JSON API answers at the same moment. The page
// is opened with ?refresh=1 (auto-refresh every second) so that waiting
// for a refresh stays short; every wait is bounded.

import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {ARTIFACTS, BASE_URL, DESKTOP, PHONE, launch} from './browser.mjs';

const HOSTILE = '<img src=x onerror=alert(1)>';
const WAIT_MS = 15000;

const integer = new Intl.NumberFormat('en-US', {maximumFractionDigits: 0});
const percent = new Intl.NumberFormat('en-US', {style: 'percent', minimumFractionDigits: 1,
                                                maximumFractionDigits: 1});
const count = (n) => (Number.isFinite(n) ? integer.format(n) : '\u2013');
const rate = (r) => percent.format(r);

// ---- the API, asked directly ----------------------------------------------------

async function api(path) {
  const resp = await fetch(new URL(path, BASE_URL));
  return {status: resp.status, body: await resp.json()};
}

async function top(dimension, metric, limit) {
  const {body} = await api(`/statistics/top?dimension=${dimension}&metric=${metric}&limit=${limit}`);
  assert.equal(body.success, true);
  return body.top;
}

async function sendEvent(kind, username, sdk, platform, country) {
  const q = new URLSearchParams({sdk_version: sdk, session_id: `${username}-late`, platform,
                                 username, country_code: country});
  const resp = await fetch(new URL(`/${kind}?${q}`, BASE_URL));
  await resp.arrayBuffer();
  assert.ok(resp.status === 200 || resp.status >= 500, `/${kind} answered ${resp.status}`);
}

const asShown = (row) => [row.value, count(row.impressions), count(row.ad_requests),
                          rate(row.fill_rate), count(row.unique_sessions)];

// ---- the page ------------------------------------------------------------------

let browser;
let context;
let page;
const seen = {dialogs: [], pageErrors: [], consoleErrors: [], requests: []};

async function openPage(ctx) {
  const p = await ctx.newPage();
  p.on('dialog', (d) => { seen.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  p.on('pageerror', (e) => seen.pageErrors.push(e.message));
  p.on('console', (m) => {
    // The browser logs the 404 of a search that finds nothing and the 400
    // of a refused range; those the tests cause on purpose.
    if (m.type() === 'error' && !/status of 40[04]/.test(m.text())) seen.consoleErrors.push(m.text());
  });
  p.on('request', (r) => seen.requests.push(r.url()));
  return p;
}

async function newContext(viewport) {
  const ctx = await browser.newContext({viewport, colorScheme: 'light'});
  // Runs before the page's own script (injected by the driver, not
  // subject to the page's CSP): records CSP violations and any alert().
  await ctx.addInitScript(() => {
    window.__violations = [];
    window.__alerts = 0;
    document.addEventListener('securitypolicyviolation',
      (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    const original = window.alert;
    window.alert = (...args) => { window.__alerts += 1; return original.apply(window, args); };
  });
  return ctx;
}

const refreshes = () => page.evaluate(() => Number(document.body.dataset.refreshes || 0));

async function nextRefresh() {
  const n = await refreshes();
  await page.waitForFunction((k) => Number(document.body.dataset.refreshes || 0) > k, n,
                             {timeout: WAIT_MS});
}

// The rows of a table as the text of their cells.
function tableText(id) {
  return page.$$eval(`#${id} tbody tr`, (rows) =>
    rows.map((r) => [...r.children].map((c) => c.textContent)));
}

const totalsText = () => page.$$eval('#totals dd', (dds) => dds.map((d) => d.textContent));

async function expectedTotals() {
  const all = new Map();
  for (const metric of ['impressions', 'ad_requests']) {
    for (const row of await top('platform', metric, 100)) all.set(row.value, row);
  }
  const rows = [...all.values()];
  const sum = (k) => rows.reduce((n, r) => n + r[k], 0);
  const imp = sum('impressions');
  const req = sum('ad_requests');
  return [count(imp), count(req), rate(req > 0 ? imp / req : 0), count(sum('unique_sessions'))];
}

before(async () => {
  mkdirSync(ARTIFACTS, {recursive: true});
  browser = await launch();
  context = await newContext(DESKTOP);
  page = await openPage(context);
});

after(async () => {
  if (page) await page.screenshot({path: join(ARTIFACTS, 'browser-test-desktop.png'), fullPage: true})
    .catch(() => {});
  if (browser) await browser.close();
});

describe('the dashboard in Chromium', () => {
  test('is served with a strict Content-Security-Policy', async () => {
    const resp = await page.goto(`${BASE_URL}/?refresh=1`);
    assert.equal(resp.status(), 200);
    const h = resp.headers();
    assert.match(h['content-type'], /^text\/html/);
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'",
                             "img-src 'self' data:", "connect-src 'self'",
                             "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(h['content-security-policy'].includes(directive), directive);
    }
    assert.equal(h['x-content-type-options'], 'nosniff');
    await page.waitForFunction(() => Number(document.body.dataset.refreshes || 0) >= 1,
                               null, {timeout: WAIT_MS});
  });

  test('shows the totals the API gives', async () => {
    assert.deepEqual(await totalsText(), await expectedTotals());
    assert.equal(await page.textContent('#totals-note'), 'Summed over 3 platforms.');
  });

  test('shows each dimension as /statistics/top ranks it', async () => {
    for (const [dim, limit] of [['sdk', 20], ['country', 20], ['username', 20], ['platform', 100]]) {
      const rows = await top(dim, 'ad_requests', limit);
      assert.ok(rows.length > 0, dim);
      assert.deepEqual(await tableText(`rows-${dim}`), rows.map(asShown), dim);
    }
    await page.selectOption('#rank', 'impressions');
    await nextRefresh();
    const byImpressions = await top('sdk', 'impressions', 20);
    assert.deepEqual(await tableText('rows-sdk'), byImpressions.map(asShown));
    await page.selectOption('#rank', 'ad_requests');
    await nextRefresh();
  });

  test('charts the days the API gives, for all platforms and for a chosen user', async () => {
    // All platforms: the per-platform series added up, day by day.
    const platforms = (await top('platform', 'ad_requests', 100)).map((r) => r.value);
    const days = new Map();
    for (const p of platforms) {
      const {body} = await api(`/statistics?platform=${encodeURIComponent(p)}&interval=day`);
      for (const d of body[p].series) {
        const day = days.get(d.date) || [0, 0];
        days.set(d.date, [day[0] + d.impressions, day[1] + d.ad_requests]);
      }
    }
    const expectedAll = [...days.entries()].sort().map(([date, [imp, req]]) =>
      [date, count(imp), count(req), rate(req > 0 ? imp / req : 0)]);
    assert.deepEqual(await tableText('rows-series'), expectedAll);
    assert.equal(await page.locator('#chart svg path.line').count(), 3);

    // A user picked from the table, with the keyboard.
    await page.locator('#rows-username button.pick', {hasText: /^alice$/}).press('Enter');
    await page.waitForFunction(() => document.querySelector('#rows-series caption')
      .textContent.startsWith('User alice'), null, {timeout: WAIT_MS});
    const {body} = await api('/statistics?username=alice&interval=day');
    const expected = body.alice.series.map((d) =>
      [d.date, count(d.impressions), count(d.ad_requests), rate(d.fill_rate)]);
    assert.deepEqual(await tableText('rows-series'), expected);
    assert.equal(await page.locator('#chart svg circle.point').count(), 2 * expected.length);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'chart-h');
  });

  test('shows a new impression after the next refresh', async () => {
    const aliceRow = async () => (await tableText('rows-username')).find((r) => r[0] === 'alice');
    const before = await aliceRow();
    const totalsBefore = await totalsText();
    await sendEvent('impression', 'alice', '4.12.3', 'ios', 'US');
    await page.waitForFunction((old) => {
      const row = [...document.querySelectorAll('#rows-username tbody tr')]
        .find((r) => r.children[0].textContent === 'alice');
      return row && row.children[1].textContent !== old;
    }, before[1], {timeout: WAIT_MS});
    const now = await aliceRow();
    assert.equal(now[1], count(Number(before[1].replace(/,/g, '')) + 1));
    const totalsNow = await totalsText();
    assert.equal(totalsNow[0], count(Number(totalsBefore[0].replace(/,/g, '')) + 1));
    assert.deepEqual(totalsNow, await expectedTotals());
    assert.match(await page.textContent('#announce'), /^New events: /);
  });

  test('shows a username that is markup as text, and runs nothing', async () => {
    const names = await page.$$eval('#rows-username th.value', (ths) => ths.map((t) => t.textContent));
    assert.ok(names.includes(HOSTILE), `users shown: ${names.join(' | ')}`);
    await page.fill('#q', HOSTILE);
    await page.press('#q', 'Enter');
    await page.waitForSelector('#search-results .card');
    assert.equal(await page.textContent('#search-results .card .value'), HOSTILE);
    await nextRefresh(); // and again after a redraw
    const dom = await page.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      handlers: document.querySelectorAll('[onerror]').length,
      alerts: window.__alerts,
      violations: window.__violations,
    }));
    assert.deepEqual(dom, {images: 0, handlers: 0, alerts: 0, violations: []});
    assert.deepEqual(seen.dialogs, []);
  });

  test('finds an SDK version and says when nothing is found', async () => {
    await page.fill('#q', '4.13.0');
    await page.click('#search button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#search-results .card .value')
      ?.textContent === '4.13.0', null, {timeout: WAIT_MS});
    const {body} = await api('/statistics?sdk=4.13.0&unique_sessions=1&video=1');
    const shown = await page.$$eval('#search-results .card:first-child dd', (d) => d.map((x) => x.textContent));
    const c = body['4.13.0'];
    assert.deepEqual(shown, [count(c.impressions), count(c.ad_requests), rate(c.fill_rate),
                             count(c.unique_sessions), rate(c.completion_rate), rate(c.ctr)]);
    assert.match(await page.textContent('#search-results .card h3'), /^SDK version: /);

    // Users keep no unique sessions by default (--sessions-dimensions): a dash.
    await page.fill('#q', 'alice');
    await page.press('#q', 'Enter');
    await page.waitForFunction(() => document.querySelector('#search-results .card .value')
      ?.textContent === 'alice', null, {timeout: WAIT_MS});
    const user = (await api('/statistics?username=alice&video=1')).body.alice;
    assert.deepEqual(await page.$$eval('#search-results .card:first-child dd', (d) => d.map((x) => x.textContent)),
                     [count(user.impressions), count(user.ad_requests), rate(user.fill_rate), '\u2013',
                      rate(user.completion_rate), rate(user.ctr)]);
    assert.equal((await api('/statistics?username=alice&unique_sessions=1')).status, 400);

    await page.fill('#q', 'nobody-at-all');
    await page.press('#q', 'Enter');
    await page.waitForFunction(() => document.querySelector('#search-results p')?.textContent
      === 'No user “nobody-at-all” has any events.', null, {timeout: WAIT_MS});
  });

  test("shows the API's message for a range it refuses", async () => {
    await page.fill('#from', '2026-01-10');
    await page.fill('#to', '2026-01-01');
    await page.click('#chart-form button[type=submit]');
    await page.waitForSelector('#error:not([hidden])', {timeout: WAIT_MS});
    const {status, body} = await api('/statistics?username=alice&from=2026-01-10&to=2026-01-01&interval=day');
    assert.equal(status, 400);
    assert.equal(await page.textContent('#error'), body.message);
    assert.match(await page.textContent('#chart-caption'), /invalid range/);
    assert.equal(await page.getAttribute('#error', 'role'), 'alert');
    await page.fill('#from', '');
    await page.fill('#to', '');
    await page.click('#chart-form button[type=submit]');
    await page.waitForSelector('#error[hidden]', {state: 'attached', timeout: WAIT_MS});
  });

  test('sorts a table from the keyboard, and keeps focus across refreshes', async () => {
    const button = page.locator('#rows-country thead button', {hasText: 'Fill rate'});
    await button.focus();
    await page.keyboard.press('Enter');
    const header = page.locator('#rows-country thead th', {hasText: 'Fill rate'});
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    const rates = async () => (await tableText('rows-country'))
      .map((r) => Number(r[3].replace('%', '')));
    const desc = await rates();
    assert.deepEqual(desc, [...desc].sort((a, b) => b - a));
    await nextRefresh();
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Fill rate ▼');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#rows-country thead th', {hasText: 'Fill rate'})
      .getAttribute('aria-sort'), 'ascending');
    const asc = await rates();
    assert.deepEqual(asc, [...asc].sort((a, b) => a - b));
  });

  test('stops asking the API while auto-refresh is off', async () => {
    await page.locator('#auto').focus();
    await page.keyboard.press('Space');
    assert.equal(await page.isChecked('#auto'), false);
    await page.waitForTimeout(300); // a refresh already under way may finish
    const n = await refreshes();
    const asked = seen.requests.length;
    await page.waitForTimeout(2500); // 2.5 intervals of ?refresh=1
    assert.equal(await refreshes(), n);
    assert.equal(seen.requests.length, asked);
    await page.keyboard.press('Space');
    await nextRefresh();
  });

  test('revalidates its files on reload and works from them', async () => {
    const statuses = new Map();
    const record = (r) => { if (r.url().includes('/dashboard/')) statuses.set(r.url(), r.status()); };
    page.on('response', record);
    await page.reload();
    await page.waitForFunction(() => Number(document.body.dataset.refreshes || 0) >= 1,
                               null, {timeout: WAIT_MS});
    page.off('response', record);
    // The page, its style sheet and its five modules, all unchanged: 304s.
    assert.ok(statuses.size >= 6, [...statuses.keys()].join(' '));
    assert.deepEqual([...new Set(statuses.values())], [304]);
    assert.deepEqual(await totalsText(), await expectedTotals());
  });

  test('fits a phone screen', async () => {
    const phone = await newContext(PHONE);
    const p = await openPage(phone);
    await p.goto(`${BASE_URL}/`);
    await p.waitForSelector('#rows-username tbody button.pick');
    const widths = await p.evaluate(() => ({page: document.documentElement.scrollWidth,
                                            screen: window.innerWidth}));
    const wide = await p.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .filter((e) => !e.closest('.table-wrap')) // tables scroll inside their box
      .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`));
    assert.ok(widths.page <= widths.screen, `${JSON.stringify(widths)}: ${wide.join(', ')}`);
    await p.screenshot({path: join(ARTIFACTS, 'browser-test-phone.png'), fullPage: true});
    await phone.close();
  });

  test('talked only to adstats, with no script error or CSP violation', async () => {
    assert.ok(seen.requests.length > 10);
    const elsewhere = seen.requests.filter((u) => !u.startsWith(`${BASE_URL}/`));
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(seen.consoleErrors, []);
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
  });
});
