// trackers.mjs -- what a real player library finds in VAST documents.
// For each file named on the command line, parses it with the
// @dailymotion/vast-client VASTParser (no fetching: wrappers are not
// followed, their own trackers are kept) over @xmldom/xmldom's DOMParser,
// and prints one JSON object per file: {file: [ad, ...]} where each ad has
// its impression URLs, and each linear creative its tracking URLs by event
// and its click-tracking URLs; null for a document the library refuses. check.py compares them with what was injected.
import { readFileSync } from 'node:fs';
import { DOMParser } from '@xmldom/xmldom';
import { VASTParser } from '@dailymotion/vast-client';

const urls = (list) => (list || []).map((t) => (typeof t === 'string' ? t : t.url));

async function trackers(file) {
  const xml = new DOMParser().parseFromString(readFileSync(file, 'utf8'), 'text/xml');
  const response = await new VASTParser().parseVAST(xml, { resolveAll: true });
  return response.ads.map((ad) => ({
    id: ad.id,
    impressions: urls(ad.impressionURLTemplates),
    linears: ad.creatives
      .filter((c) => c.type === 'linear')
      .map((c) => ({
        tracking: Object.fromEntries(
          Object.entries(c.trackingEvents || {}).map(([event, list]) => [event, urls(list)])),
        clicks: urls(c.videoClickTrackingURLTemplates),
      })),
  }));
}

// A document the library refuses (it reads no namespace prefixes, say) is null.
const result = {};
for (const file of process.argv.slice(2)) result[file] = await trackers(file).catch(() => null);
process.stdout.write(JSON.stringify(result));
