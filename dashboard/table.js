// table.js -- the sortable tables: one per dimension, and the chart's days.
//
// A table is redrawn whole on every refresh; what survives a redraw is the
// sort order (kept here, per table) and the keyboard focus (restored by the
// element's data-key). Column headers are buttons, so sorting works from
// the keyboard, and each sorted column says so with aria-sort.

import {el, formatCount, formatRate} from './dom.js';

const sorts = new Map(); // table id -> {key, dir}

const FORMAT = {
  text: (v) => String(v),
  count: (v) => formatCount(v),
  rate: (v) => formatRate(v),
};

function compare(a, b, key, type) {
  if (type === 'text') return String(a[key]).localeCompare(String(b[key]), 'en');
  return a[key] - b[key];
}

function sortedRows(rows, columns, sort) {
  if (sort === undefined) return rows; // as the API ranked them
  const column = columns.find((c) => c.key === sort.key);
  const sign = sort.dir === 'ascending' ? 1 : -1;
  // Array.prototype.sort is stable: ties keep the API's order.
  return [...rows].sort((a, b) => sign * compare(a, b, column.key, column.type));
}

function nextSort(current, column) {
  if (current && current.key === column.key)
    return {key: column.key, dir: current.dir === 'ascending' ? 'descending' : 'ascending'};
  return {key: column.key, dir: column.type === 'text' ? 'ascending' : 'descending'};
}

function header(spec, column, sort, redraw) {
  const dir = sort && sort.key === column.key ? sort.dir : null;
  const arrow = dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : '';
  return el('th', {scope: 'col', class: column.type === 'text' ? null : 'num',
                   'aria-sort': dir || false},
    el('button', {type: 'button', class: 'sort', 'data-key': `sort-${column.key}`,
                  onclick: () => { sorts.set(spec.id, nextSort(sort, column)); redraw(); }},
      column.label, el('span', {'aria-hidden': 'true'}, arrow)));
}

function cell(spec, column, row) {
  const text = FORMAT[column.type](row[column.key]);
  if (column.key !== spec.pickKey || spec.onPick === undefined)
    return el(column.type === 'text' ? 'th' : 'td',
              {scope: column.type === 'text' ? 'row' : null,
               class: column.type === 'text' ? 'value' : 'num'}, text);
  return el('th', {scope: 'row', class: 'value'},
    el('button', {type: 'button', class: 'pick', 'data-key': `pick-${text}`,
                  title: 'Show in the daily chart', onclick: () => spec.onPick(row)}, text));
}

// Draws `spec` into its container: {id, caption, columns: [{key, label,
// type: text|count|rate}], rows, empty, pickKey, onPick(row)}.
export function renderTable(container, spec) {
  const redraw = () => renderTable(container, spec);
  const focused = container.contains(document.activeElement)
    ? document.activeElement.getAttribute('data-key') : null;
  const sort = sorts.get(spec.id);
  const rows = sortedRows(spec.rows, spec.columns, sort);
  const captionId = `${container.id}-caption`;
  const table = el('table', {id: spec.id},
    el('caption', {id: captionId}, spec.caption),
    el('thead', null, el('tr', null, spec.columns.map((c) => header(spec, c, sort, redraw)))),
    el('tbody', null, rows.length === 0
      ? el('tr', null, el('td', {colspan: spec.columns.length, class: 'empty'}, spec.empty))
      : rows.map((row) => el('tr', null, spec.columns.map((c) => cell(spec, c, row))))));
  container.replaceChildren(table);
  if (focused !== null) {
    const again = [...container.querySelectorAll('[data-key]')]
      .find((n) => n.getAttribute('data-key') === focused);
    if (again) again.focus();
  }
}
