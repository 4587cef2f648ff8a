// chart.js -- the daily chart, drawn as SVG by hand (no library).
//
// Impressions and ad requests are lines on the left axis (counts), the
// fill rate a dashed line on the right axis (percent). The chart is drawn
// at its container's width in pixels (not stretched), so text stays
// crisp on a phone and a desktop; app.js redraws it when the width
// changes. Each day's point has a <title> (a tooltip), and the same
// numbers are in a table under the chart for screen readers and keyboards.

import {formatAxis, formatCount, formatRate, svg} from './dom.js';

const HEIGHT = 260;
const MARGIN = {top: 14, right: 52, bottom: 34, left: 52};
const TICKS = 4;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// "2026-11-24" -> "Nov 24" (no Date: days are UTC, the browser may not be).
function shortDate(iso) {
  const [, month, day] = iso.split('-').map(Number);
  return `${MONTHS[month - 1]} ${day}`;
}

// The smallest 1, 2 or 5 times a power of ten that is >= max / TICKS,
// times TICKS: an axis top with round ticks.
function niceTop(max) {
  if (!(max > 0)) return TICKS;
  const raw = max / TICKS;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return Math.max(step * TICKS, TICKS);
}

function linePath(points) {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

function axes(g, plot, countTop, rateTop) {
  for (let i = 0; i <= TICKS; i++) {
    const y = plot.bottom - (i / TICKS) * plot.height;
    g.append(svg('line', {class: 'grid', x1: plot.left, x2: plot.right, y1: y, y2: y}));
    g.append(svg('text', {class: 'tick', x: plot.left - 6, y: y + 4, 'text-anchor': 'end'},
                 formatAxis((countTop * i) / TICKS)));
    g.append(svg('text', {class: 'tick rate', x: plot.right + 6, y: y + 4},
                 formatRate((rateTop * i) / TICKS).replace('.0%', '%')));
  }
}

function dateLabels(g, series, x, plot) {
  const every = Math.max(1, Math.ceil(series.length / Math.max(2, Math.floor(plot.width / 70))));
  series.forEach((day, i) => {
    if (i % every !== 0 && i !== series.length - 1) return;
    if (i !== series.length - 1 && series.length - 1 - i < every) return; // no overlap at the end
    g.append(svg('text', {class: 'tick', x: x(i), y: plot.bottom + 20, 'text-anchor': 'middle'},
                 shortDate(day.date)));
  });
}

function dayTitle(day) {
  return `${day.date}: ${formatCount(day.impressions)} impressions, ` +
         `${formatCount(day.ad_requests)} ad requests, fill rate ${formatRate(day.fill_rate)}`;
}

// Draws `series` ([{date, impressions, ad_requests, fill_rate}]) into
// `container`; `label` names the subject for assistive technology.
export function renderChart(container, series, label) {
  const width = Math.max(280, Math.floor(container.clientWidth || 600));
  const plot = {left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top,
                bottom: HEIGHT - MARGIN.bottom};
  plot.width = plot.right - plot.left;
  plot.height = plot.bottom - plot.top;
  const countTop = niceTop(Math.max(0, ...series.map((d) => Math.max(d.impressions, d.ad_requests))));
  const rateTop = Math.max(1, ...series.map((d) => d.fill_rate));
  const x = (i) => series.length < 2 ? plot.left + plot.width / 2
                                     : plot.left + (i / (series.length - 1)) * plot.width;
  const yCount = (v) => plot.bottom - (v / countTop) * plot.height;
  const yRate = (v) => plot.bottom - (v / rateTop) * plot.height;

  const root = svg('svg', {width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`,
                           role: 'img', 'aria-label': label});
  const g = svg('g');
  root.append(g);
  axes(g, plot, countTop, rateTop);
  if (series.length === 0) {
    g.append(svg('text', {class: 'nodata', x: width / 2, y: HEIGHT / 2, 'text-anchor': 'middle'},
                 'No data for this range'));
  } else {
    dateLabels(g, series, x, plot);
    for (const [key, y] of [['ad_requests', yCount], ['impressions', yCount], ['fill_rate', yRate]]) {
      g.append(svg('path', {class: `line ${key}`, d: linePath(series.map((d, i) => [x(i), y(d[key])]))}));
    }
    if (plot.width / series.length >= 12) { // points only where they do not crowd
      series.forEach((day, i) => {
        g.append(svg('circle', {class: 'point ad_requests', cx: x(i), cy: yCount(day.ad_requests), r: 3},
                     svg('title', null, dayTitle(day))));
        g.append(svg('circle', {class: 'point impressions', cx: x(i), cy: yCount(day.impressions), r: 3},
                     svg('title', null, dayTitle(day))));
      });
    }
  }
  container.replaceChildren(root);
}
