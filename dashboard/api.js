// api.js -- the adstats JSON API, as the dashboard reads it.
//
// Every call resolves (never rejects) to {ok, status, body, message}:
// `message` says what went wrong, in words fit to show, when ok is false.
// Requests go to this same origin only (the page's CSP allows no other)
// and give up after a few seconds, so a stuck server cannot pile them up.

const TIMEOUT_MS = 8000;

export const DIMENSIONS = ['sdk', 'country', 'platform', 'username'];
export const METRICS = ['impressions', 'ad_requests'];
export const TOP_MAX = 100;

async function getJSON(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  try {
    const resp = await fetch(url, {signal: abort.signal, cache: 'no-store',
                                   headers: {Accept: 'application/json'}});
    let body = null;
    try {
      body = await resp.json();
    } catch {
      return {ok: false, status: resp.status, body: null,
              message: `${path} answered HTTP ${resp.status} without JSON`};
    }
    // A user named "success" makes {"success": true, "success": {...}},
    // which parses to the object: that is a success too.
    const ok = resp.ok && body !== null && typeof body === 'object' && body.success !== false;
    const message = ok ? '' : (body && typeof body.message === 'string'
      ? body.message : `${path} answered HTTP ${resp.status}`);
    return {ok, status: resp.status, body, message};
  } catch (e) {
    const message = e.name === 'AbortError' ? `${path} did not answer within ${TIMEOUT_MS / 1000} s`
                                            : `${path} could not be reached`;
    return {ok: false, status: 0, body: null, message};
  } finally {
    clearTimeout(timer);
  }
}

// The `limit` values of `dimension` with the most `metric`:
// {ok, rows: [{value, impressions, ad_requests, fill_rate, unique_sessions}]}.
export async function top(dimension, metric, limit) {
  const r = await getJSON('/statistics/top', {dimension, metric, limit});
  return {...r, rows: r.ok && Array.isArray(r.body.top) ? r.body.top : []};
}

// The subject's member of a /statistics answer: the one named `value`,
// else the only object member (the server writes country codes upper-case).
function subjectOf(body, value) {
  if (Object.hasOwn(body, value) && typeof body[value] === 'object') return body[value];
  const key = Object.keys(body).find((k) => body[k] !== null && typeof body[k] === 'object');
  return key === undefined ? null : body[key];
}

// One subject's all-time counts: {ok, status, counts} (status 404: none
// recorded), with the tracking pixels' counts, completion_rate and ctr
// (video=1; zeros where no ad was served with --tracking-url). Unique
// sessions are asked for unless the top list of the dimension came without
// them (`sessions` false: the server counts none for it, by default for
// users); a 400 for them is asked again without, so
// `counts.unique_sessions` is then absent.
export async function stats(dimension, value, sessions = true) {
  const params = {[dimension]: value, video: 1};
  let r = await getJSON('/statistics', sessions ? {...params, unique_sessions: 1} : params);
  if (sessions && r.status === 400) r = await getJSON('/statistics', params);
  return {...r, counts: r.ok ? subjectOf(r.body, value) : null};
}

// One subject's days from..to (empty: the server's default range):
// {ok, status, counts: {..., from, to, series: [{date, ...}]}}.
export async function daily(dimension, value, from, to) {
  const r = await getJSON('/statistics', {[dimension]: value, from, to, interval: 'day'});
  return {...r, counts: r.ok ? subjectOf(r.body, value) : null};
}
