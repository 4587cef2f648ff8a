// dom.js -- building the page safely, and formatting numbers.
//
// Data reaches the document only as text: el() takes children as nodes or
// strings, and strings become text nodes, never markup. Nothing in the
// dashboard uses innerHTML, so a username such as <img src=x onerror=...>
// is shown as those characters. Numbers are formatted the same way for
// everyone (en-US), so that what is shown can be compared with the API.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'class') node.setAttribute('class', value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return node;
}

// el('td', {class: 'num'}, 'text', otherNode): an HTML element.
export function el(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// svg('line', {x1: 0, ...}): an SVG element.
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function setText(id, text) {
  document.getElementById(id).textContent = text;
}

const integer = new Intl.NumberFormat('en-US', {maximumFractionDigits: 0});
const percent = new Intl.NumberFormat('en-US', {style: 'percent', minimumFractionDigits: 1,
                                                maximumFractionDigits: 1});
const compact = new Intl.NumberFormat('en-US', {notation: 'compact', maximumFractionDigits: 1});

// A count the server did not give (unique sessions of a dimension that
// --sessions-dimensions leaves out, by default users) shows as a dash.
export const formatCount = (n) => (Number.isFinite(n) ? integer.format(n) : '\u2013');
export const formatRate = (r) => percent.format(r);
export const formatAxis = (n) => compact.format(n);
