// browser.mjs -- Debian's Chromium, started headless by playwright-core.
//
// playwright-core brings no browser of its own here: it drives
// /usr/bin/chromium (Debian package chromium; $CHROMIUM overrides). The
// flags keep Chromium off the network (nothing but the adstats under test on
// 127.0.0.1) and quiet. launch() gives every run a fresh, temporary
// --user-data-dir of its own and removes it on close, and adds --headless
// and --no-first-run.

import {chromium} from 'playwright-core';

export const BASE_URL = process.env.ADSTATS_URL;
export const ARTIFACTS = process.env.ARTIFACTS || new URL('../artifacts/', import.meta.url).pathname;

export function launch() {
  if (!BASE_URL) throw new Error('set ADSTATS_URL (tests/browser/run.py does)');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-quic',
           '--no-first-run', '--disable-default-apps', '--disable-extensions',
           '--disable-features=Translate,MediaRouter,OptimizationHints',
           '--metrics-recording-only', '--no-default-browser-check'],
  });
}

export const DESKTOP = {width: 1280, height: 900};
export const PHONE = {width: 390, height: 844};
