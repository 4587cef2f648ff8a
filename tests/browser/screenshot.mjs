// screenshot.mjs -- the documentation screenshots (run.py --demo): the
// dashboard over seeded demo data, full page, at desktop and phone widths.
// Writes $DOCS/dashboard.png (desktop, whole page) and
// $DOCS/dashboard-phone.png (a phone's first screen), and copies them, and
// the phone's whole page and a dark-scheme desktop screen, to
// tests/artifacts/.

import {mkdirSync, copyFileSync} from 'node:fs';
import {join} from 'node:path';

import {ARTIFACTS, BASE_URL, DESKTOP, PHONE, launch} from './browser.mjs';

const docs = process.env.DOCS || ARTIFACTS;
mkdirSync(docs, {recursive: true});
mkdirSync(ARTIFACTS, {recursive: true});

async function shoot(browser, viewport, file, options = {}, fullPage = true, dir = docs) {
  const context = await browser.newContext({viewport, deviceScaleFactor: 1,
                                            colorScheme: 'light', ...options});
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error(`page: ${m.text()}`); });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${BASE_URL}/`);
  await page.waitForSelector('#rows-username tbody tr button.pick');
  await page.waitForSelector('#chart svg path.line');
  await page.fill('#q', '5.2.0');
  await page.click('#search button[type=submit]');
  await page.waitForSelector('#search-results .card');
  await page.evaluate(() => window.scrollTo(0, 0));
  const path = join(dir, file);
  await page.screenshot({path, fullPage});
  copyFileSync(path, join(ARTIFACTS, file));
  if (!fullPage) await page.screenshot({path: join(ARTIFACTS, `full-${file}`), fullPage: true});
  // The rest of a phone page, screen by screen, to look at (artifacts only).
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = viewport.height, n = 2; !fullPage && y < height; y += viewport.height, n++) {
    await page.screenshot({path: join(ARTIFACTS, file.replace('.png', `-${n}.png`)), fullPage: true,
                           clip: {x: 0, y, width: viewport.width, height: Math.min(viewport.height, height - y)}});
  }
  await context.close();
  console.log(`wrote ${path}`);
}

const browser = await launch();
try {
  await shoot(browser, DESKTOP, 'dashboard.png');
  // The phone's first screen only: a whole page would be too tall to read.
  await shoot(browser, PHONE, 'dashboard-phone.png', {isMobile: true, hasTouch: true}, false);
  // The dark scheme, to look at (artifacts only).
  await shoot(browser, DESKTOP, 'dashboard-dark.png', {colorScheme: 'dark'}, false, ARTIFACTS);
} finally {
  await browser.close();
}
