#!/usr/bin/env python3
"""Every sample VAST tag through vast_inject(), checked three ways.

For each tests/vast/samples/*/*.xml, the injector driver (vast-inject, built
by the Makefile) writes the rewritten document; then:
  1. schema: `xmllint --schema` of the document's VAST version passes on
     the output wherever it passed on the original;
  2. player: @dailymotion/vast-client (tests/vast/trackers.mjs) finds every
     injected impression, the five tracking events and the click tracker of
     every <Linear>, each exactly once, with the URL of its own ad (where
     the library reads the original: it ignores prefixed VAST elements);
  3. bytes: removing the injected elements (known by their URLs) gives the
     original back exactly, but for the <TrackingEvents>/<VideoClicks>
     vast-inject reports as created (left empty by the removal) and the
     self-closing tags it reports as expanded.
Usage: check.py DRIVER   (tests/vast.sh runs it)"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
XSD = {'3': 'vast3_draft.xsd', '4': 'vast_4.2.xsd'}
BASE = 'https://adstats.test/t?'
EVENTS = ['start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete']
INJECTED = re.compile(rb'<(?:[\w.-]+:)?(Impression|Tracking|ClickTracking)(?: event="\w+")?>'
                      rb'<!\[CDATA\[' + re.escape(BASE.encode()) + rb'[^\]]*\]\]></(?:[\w.-]+:)?\1>')
CREATED = re.compile(rb'<((?:[\w.-]+:)?(?:TrackingEvents|VideoClicks))></\1>')
END_TAG = re.compile(rb'</([\w.:-]+)>')


def valid(path, version):
    xsd = os.path.join(HERE, 'xsd', XSD[version])
    return subprocess.run(['xmllint', '--noout', '--schema', xsd, path],
                          capture_output=True).returncode == 0


def url(event, index, ad_id):
    u = f'{BASE}ev={event}&ad={index}'
    return u if ad_id is None else u + '&id=' + urllib.parse.quote(ad_id, safe='-')


def check_player(ads, stats):
    """Problems with what the library found, as a list of strings."""
    problems = []
    if len(ads) != stats['ads']:
        problems.append(f'{len(ads)} ads found, {stats["ads"]} injected')
    linears = 0
    for index, ad in enumerate(ads):
        ours = [u for u in ad['impressions'] if u.startswith(BASE)]
        if ours != [url('impression', index, ad['id'])]:
            problems.append(f'ad {index}: impressions {ours}')
        for n, linear in enumerate(ad['linears']):
            linears += 1
            for event in EVENTS:
                got = [u for u in linear['tracking'].get(event, []) if u.startswith(BASE)]
                if got != [url(event, index, ad['id'])]:
                    problems.append(f'ad {index} linear {n}: {event} {got}')
            got = [u for u in linear['clicks'] if u.startswith(BASE)]
            if got != [url('click', index, ad['id'])]:
                problems.append(f'ad {index} linear {n}: clicks {got}')
    if linears != stats['linears']:
        problems.append(f'{linears} linears found, {stats["linears"]} injected')
    return problems


def check_bytes(original, output, stats):
    """Walks both documents; returns a problem or None."""
    out = INJECTED.sub(b'', output)
    i = j = created = expanded = 0
    while i < len(original) or j < len(out):
        m = CREATED.match(out, j)
        if m and not re.compile(rb'<' + re.escape(m.group(1)) + rb'[\s/>]').match(original, i):
            j, created = m.end(), created + 1
            continue
        if i < len(original) and j < len(out) and original[i] == out[j]:
            i, j = i + 1, j + 1
            continue
        if original.startswith(b'/>', i) and out.startswith(b'>', j):
            k = j + 1  # <X/> became <X>, maybe new elements, </X>
            while (m := CREATED.match(out, k)):
                k, created = m.end(), created + 1
            if (m := END_TAG.match(out, k)):
                i, j, expanded = i + 2, m.end(), expanded + 1
                continue
        return f'differs at byte {i}: {original[i:i + 40]!r} vs {out[j:j + 40]!r}'
    if (created, expanded) != (stats['created'], stats['expanded']):
        return f'created/expanded {created}/{expanded}, reported {stats["created"]}/{stats["expanded"]}'
    return None


def main():
    driver = sys.argv[1]
    samples = sorted(os.path.join(d, f) for d, _, files in os.walk(os.path.join(HERE, 'samples'))
                     for f in files if f.endswith('.xml'))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for n, sample in enumerate(samples):
            out = os.path.join(tmp, f'{n}.xml')
            res = subprocess.run([driver, sample, out], capture_output=True, check=True, text=True)
            runs.append((sample, out, json.loads(res.stdout)))
        found = json.loads(subprocess.run(
            ['node', os.path.join(HERE, 'trackers.mjs')] + [f for s, o, _ in runs for f in (s, o)],
            capture_output=True, check=True, text=True).stdout)
        for sample, out, stats in runs:
            name = os.path.relpath(sample, HERE)
            with open(sample, 'rb') as f:
                original = f.read()
            with open(out, 'rb') as f:
                output = f.read()
            version = re.search(rb'VAST\b[^>]*\bversion="(\d)', original).group(1).decode()
            problems = [] if stats['ok'] else [f'not injected: {stats["status"]}']
            if valid(sample, version) and not valid(out, version):
                problems.append('valid before, not after')
            if found[sample] is None:
                print(f'      {name}: the player library cannot read it, player check skipped')
            elif found[out] is None:
                problems.append('the player library cannot read the output')
            else:
                problems += check_player(found[out], stats)
            problem = check_bytes(original, output, stats)
            if problem:
                problems.append(problem)
            failures += bool(problems)
            print(f'{"FAIL" if problems else "ok"}  {name}: {stats["ads"]} ads, '
                  f'{stats["linears"]} linears, {stats["inserted"]} inserted'
                  + ''.join(f'\n      {p}' for p in problems))
    print(f'vast: {len(samples) - failures} passed, {failures} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
