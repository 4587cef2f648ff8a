// app.js -- the dashboard page: what it asks the API, and where it shows it.
//
// One refresh asks for the top lists of every dimension (the platform ones
// by both metrics, which also give the totals), the chosen subject's days
// for the chart, and the search result if there is one; then it redraws
// from those answers only. Refreshes never overlap: the next is scheduled
// when one ends, every few seconds while auto-refresh is on and the page
// is visible. `?refresh=N` sets the interval in seconds (1..300).
//
// Everything shown goes through dom.js as text (never markup), and the
// only live announcement is a short one when the totals change, so a
// screen reader is not read every table every few seconds.

import {DIMENSIONS, TOP_MAX, daily, stats, top} from './api.js';
import {renderChart} from './chart.js';
import {el, formatCount, formatRate, setText} from './dom.js';
import {renderTable} from './table.js';

const TABLE_LIMIT = 20;
const CHART_ALL_MAX = 20; // platforms summed for "All platforms"
const VERSION_LIKE = /^[0-9]+(\.[0-9]+)*$/;

const LABELS = {
  sdk: {one: 'SDK version', many: 'SDK versions'},
  country: {one: 'Country', many: 'Countries'},
  platform: {one: 'Platform', many: 'Platforms'},
  username: {one: 'User', many: 'Top users'},
};
const RANK_WORDS = {impressions: 'impressions', ad_requests: 'ad requests'};

const state = {
  rank: 'ad_requests',
  subject: {dim: 'all', value: ''},
  from: '',
  to: '',
  query: '',
  auto: true,
  intervalMs: 5000,
  timer: null,
  running: false,
  pending: false,
  lastTotals: null,
  sessions: {}, // dimension -> do its top-list rows carry unique_sessions?
  chartSeries: [],
  chartLabel: '',
  errors: [],
  refreshes: 0, // completed refreshes
};

const $ = (id) => document.getElementById(id);

function noteError(result) {
  if (!result.ok && !state.errors.includes(result.message)) state.errors.push(result.message);
}

function showErrors() {
  const box = $('error');
  const text = state.errors.join(' · ');
  if (box.textContent !== text) box.textContent = text;
  box.hidden = text === '';
}

// ---- totals ----------------------------------------------------------------

// Every event has one platform, so the platforms' counts add up to the
// totals; the two lists together hold every platform with any event.
function platformUnion(byImpressions, byRequests) {
  const all = new Map();
  for (const row of [...byImpressions.rows, ...byRequests.rows]) all.set(row.value, row);
  return [...all.values()];
}

function renderTotals(platforms, capped) {
  const sum = (key) => platforms.reduce((n, row) => n + row[key], 0);
  const t = {impressions: sum('impressions'), ad_requests: sum('ad_requests'),
             unique_sessions: sum('unique_sessions')};
  t.fill_rate = t.ad_requests > 0 ? t.impressions / t.ad_requests : 0;
  setText('total-impressions', formatCount(t.impressions));
  setText('total-ad_requests', formatCount(t.ad_requests));
  setText('total-fill_rate', formatRate(t.fill_rate));
  setText('total-unique_sessions', formatCount(t.unique_sessions));
  setText('totals-note', capped
    ? `Over ${TOP_MAX} platforms: these totals cover the ${TOP_MAX} with the most events.`
    : `Summed over ${platforms.length} platform${platforms.length === 1 ? '' : 's'}.`);
  const before = state.lastTotals;
  if (before !== null && (before.impressions !== t.impressions || before.ad_requests !== t.ad_requests)) {
    setText('announce', `New events: ${formatCount(t.impressions)} impressions, ` +
                        `${formatCount(t.ad_requests)} ad requests, fill rate ${formatRate(t.fill_rate)}.`);
  }
  state.lastTotals = t;
}

// ---- the tables ------------------------------------------------------------

// The soft hyphen lets a phone break the longest header in two.
const COLUMNS = [
  {key: 'impressions', label: 'Impres\u00adsions', type: 'count'},
  {key: 'ad_requests', label: 'Ad requests', type: 'count'},
  {key: 'fill_rate', label: 'Fill rate', type: 'rate'},
  {key: 'unique_sessions', label: 'Unique sessions', type: 'count'},
];

// A table that could not be refreshed keeps what it showed (the error
// banner says why), unless it never showed anything.
function renderDimension(dim, result, limit) {
  const container = $(`table-${dim}`);
  if (!result.ok && container.firstChild !== null) return;
  renderTable(container, {
    id: `rows-${dim}`,
    caption: `${LABELS[dim].many} (top ${limit} by ${RANK_WORDS[state.rank]})`,
    columns: [{key: 'value', label: LABELS[dim].one, type: 'text'}, ...COLUMNS],
    rows: result.rows,
    empty: result.ok ? 'No events yet' : 'Could not be loaded',
    pickKey: 'value',
    onPick: (row) => pickSubject(dim, row.value),
  });
}

// ---- the chart -------------------------------------------------------------

function sumSeries(answers) {
  const days = new Map();
  for (const answer of answers) {
    for (const d of answer.counts.series) {
      const day = days.get(d.date) || {date: d.date, impressions: 0, ad_requests: 0};
      day.impressions += d.impressions;
      day.ad_requests += d.ad_requests;
      days.set(d.date, day);
    }
  }
  return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1))
    .map((d) => ({...d, fill_rate: d.ad_requests > 0 ? d.impressions / d.ad_requests : 0}));
}

// The chosen subject's days: {series, label, message, failed, status}
// (message: why there are none; failed: the API did not answer as it
// should, with HTTP `status`, 0 when it could not be reached).
async function loadSeries(platforms) {
  const {dim, value} = state.subject;
  if (dim !== 'all') {
    const r = await daily(dim, value, state.from, state.to);
    if (r.ok) return {series: r.counts.series, label: `${LABELS[dim].one} ${value}`};
    if (r.status !== 404) noteError(r);
    return {series: [], label: `${LABELS[dim].one} ${value}`, message: r.message,
            failed: r.status !== 404, status: r.status};
  }
  const names = platforms.map((p) => p.value).slice(0, CHART_ALL_MAX);
  const answers = await Promise.all(names.map((p) => daily('platform', p, state.from, state.to)));
  const failed = answers.find((r) => !r.ok && r.status !== 404);
  if (failed) {
    noteError(failed);
    return {series: [], label: 'All platforms', message: failed.message, failed: true,
            status: failed.status};
  }
  const label = platforms.length > CHART_ALL_MAX ? `The ${CHART_ALL_MAX} largest platforms`
                                                 : 'All platforms';
  if (names.length === 0) return {series: [], label, message: 'No events yet.'};
  return {series: sumSeries(answers.filter((r) => r.ok)), label};
}

function seriesSummary(series) {
  const imp = series.reduce((n, d) => n + d.impressions, 0);
  const req = series.reduce((n, d) => n + d.ad_requests, 0);
  return `${formatCount(imp)} impressions, ${formatCount(req)} ad requests, ` +
         `fill rate ${formatRate(req > 0 ? imp / req : 0)}`;
}

function drawChart() {
  if (state.chartLabel !== '') renderChart($('chart'), state.chartSeries, state.chartLabel);
}

// A request the server refused (400: e.g. a reversed range) empties the
// chart and says why; one that failed otherwise keeps the last chart.
async function refreshChart(platforms) {
  const {series, label, message, failed, status} = await loadSeries(platforms);
  const refused = status >= 400 && status < 500;
  if (failed && !refused && state.chartLabel !== '') {
    setText('chart-caption', `${state.chartLabel} (not updated: ${message})`);
    return;
  }
  const range = series.length > 0 ? `, ${series[0].date} to ${series[series.length - 1].date} (UTC)` : '';
  state.chartSeries = series;
  state.chartLabel = `${label}${range}: ${message || seriesSummary(series)}`;
  setText('chart-caption', state.chartLabel);
  drawChart();
  renderTable($('series-table'), {
    id: 'rows-series',
    caption: `${label}, per day`,
    columns: [{key: 'date', label: 'Day (UTC)', type: 'text'}, ...COLUMNS.slice(0, 3)],
    rows: series,
    empty: message || 'No days',
  });
}

function pickSubject(dim, value) {
  state.subject = {dim, value};
  $('subject-dim').value = dim;
  $('subject-value').disabled = false;
  $('subject-value').value = value;
  $('chart-h').focus();
  $('chart-h').scrollIntoView({block: 'start'});
  refresh();
}

// ---- search ----------------------------------------------------------------

function resultCard(kind, dim, value, counts) {
  const figure = (label, text) => el('div', null, el('dt', null, label), el('dd', null, text));
  return el('div', {class: 'card result'},
    el('h3', null, `${LABELS[kind].one}: `, el('span', {class: 'value'}, value)),
    el('dl', null,
      figure('Impressions', formatCount(counts.impressions)),
      figure('Ad requests', formatCount(counts.ad_requests)),
      figure('Fill rate', formatRate(counts.fill_rate)),
      figure('Unique sessions', formatCount(counts.unique_sessions)),
      figure('Completion rate', formatRate(counts.completion_rate)),
      figure('CTR', formatRate(counts.ctr))),
    el('button', {type: 'button', onclick: () => pickSubject(dim, value)}, 'Show in the chart'));
}

async function refreshSearch() {
  const q = state.query;
  const box = $('search-results');
  if (q === '') {
    box.replaceChildren();
    return;
  }
  const kinds = VERSION_LIKE.test(q) ? ['sdk', 'username'] : ['username'];
  const answers = await Promise.all(kinds.map((k) => stats(k, q, state.sessions[k] !== false)));
  if (q !== state.query) return; // a newer search has started
  const cards = [];
  const messages = [];
  answers.forEach((r, i) => {
    if (r.ok) cards.push(resultCard(kinds[i], kinds[i], q, r.counts));
    else if (r.status !== 404) messages.push(r.message);
  });
  if (cards.length === 0) {
    const text = messages.length > 0 ? messages.join(' · ')
      : `No ${kinds.length > 1 ? 'user or SDK version' : 'user'} “${q}” has any events.`;
    cards.push(el('p', {class: 'muted'}, text));
  }
  box.replaceChildren(...cards);
}

// ---- the refresh loop ----------------------------------------------------------

function schedule() {
  clearTimeout(state.timer);
  state.timer = null;
  if (state.auto && !document.hidden) state.timer = setTimeout(refresh, state.intervalMs);
}

async function refresh() {
  if (state.running) {
    state.pending = true;
    return;
  }
  state.running = true;
  state.errors = [];
  try {
    const others = DIMENSIONS.filter((d) => d !== 'platform');
    const [byImpressions, byRequests, ...tables] = await Promise.all([
      top('platform', 'impressions', TOP_MAX), top('platform', 'ad_requests', TOP_MAX),
      ...others.map((d) => top(d, state.rank, TABLE_LIMIT))]);
    [byImpressions, byRequests, ...tables].forEach(noteError);
    const platforms = platformUnion(byImpressions, byRequests);
    if (byImpressions.ok && byRequests.ok) {
      renderTotals(platforms, byImpressions.rows.length >= TOP_MAX || byRequests.rows.length >= TOP_MAX);
    }
    others.forEach((d, i) => {
      const rows = tables[i].ok ? tables[i].rows : [];
      if (rows.length > 0) state.sessions[d] = Object.hasOwn(rows[0], 'unique_sessions');
      renderDimension(d, tables[i], TABLE_LIMIT);
    });
    renderDimension('platform', state.rank === 'impressions' ? byImpressions : byRequests, TOP_MAX);
    await Promise.all([refreshChart(platforms), refreshSearch()]);
    const time = new Date().toLocaleTimeString('en-GB');
    setText('updated', state.errors.length === 0 ? `Updated at ${time}` : `Update failed at ${time}`);
    state.refreshes += 1;
    document.body.setAttribute('data-refreshes', String(state.refreshes)); // for tests
  } finally {
    showErrors();
    state.running = false;
    if (state.pending) {
      state.pending = false;
      refresh();
    } else {
      schedule();
    }
  }
}

// ---- controls ----------------------------------------------------------------

function readInterval() {
  const n = Number(new URLSearchParams(window.location.search).get('refresh'));
  return Number.isInteger(n) && n >= 1 && n <= 300 ? n : 5;
}

function wireControls() {
  $('auto').addEventListener('change', (e) => {
    state.auto = e.target.checked;
    schedule();
  });
  $('refresh').addEventListener('click', () => refresh());
  $('rank').addEventListener('change', (e) => {
    state.rank = e.target.value;
    refresh();
  });
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    state.query = $('q').value.trim();
    refreshSearch();
  });
  $('subject-dim').addEventListener('change', (e) => {
    const all = e.target.value === 'all';
    $('subject-value').disabled = all;
    if (!all) $('subject-value').focus();
  });
  $('chart-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const dim = $('subject-dim').value;
    const value = $('subject-value').value.trim();
    if (dim !== 'all' && value === '') {
      $('subject-value').focus();
      return;
    }
    state.subject = {dim, value: dim === 'all' ? '' : value};
    state.from = $('from').value;
    state.to = $('to').value;
    refresh();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.auto) refresh();
    else schedule();
  });
  let width = 0;
  new ResizeObserver(() => {
    const w = $('chart').clientWidth;
    if (w !== width) {
      width = w;
      drawChart();
    }
  }).observe($('chart'));
}

state.intervalMs = readInterval() * 1000;
setText('interval', String(state.intervalMs / 1000));
$('chart-h').setAttribute('tabindex', '-1');
wireControls();
refresh();
