// Shared helpers of the Lookback web UI. Every URL here is relative to the page, so the UI works at / and under
// Home Assistant ingress (/api/hassio_ingress/<token>/).

/** Tiny DOM builder: h('div', {class: 'x', onclick}, 'text', child). Text is always set as text, never as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** An inline SVG icon from a path. */
export function icon(d) {
  const s = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  s.setAttribute('viewBox', '0 0 24 24'); s.setAttribute('class', 'ico'); s.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS('http://www.w3.org/2000/svg', 'path'); p.setAttribute('d', d); s.append(p);
  return s;
}
export const ICONS = {
  play: 'M8 5v14l11-7z', pause: 'M6 5h4v14H6zM14 5h4v14h-4z', prev: 'M6 6h2v12H6zm3.5 6 8.5 6V6z',
  next: 'M16 6h2v12h-2zM6 18l8.5-6L6 6z', first: 'M18.4 7.4 17 6l-6 6 6 6 1.4-1.4L13.8 12zM12.4 7.4 11 6l-6 6 6 6 1.4-1.4L7.8 12z',
  live: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM4.9 4.9l1.4 1.4a8 8 0 0 0 0 11.4l-1.4 1.4a10 10 0 0 1 0-14.2zm14.2 0a10 10 0 0 1 0 14.2l-1.4-1.4a8 8 0 0 0 0-11.4z',
  camera: 'M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3zm3 5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9z',
  gif: 'M4 5h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2zm6 4v6l5-3z',
  moment: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 5v5.2l4 2.4-.8 1.3L11 13V7z',
  close: 'M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z',
};

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** GET a JSON API path (relative), throwing ApiError with the server's {"error"} text on failure. */
export async function api(path, init) {
  const r = await fetch(path, { cache: 'no-store', ...init });
  if (!r.ok) throw new ApiError(r.status, await errorText(r));
  return r.json();
}

export async function errorText(r) {
  try { const j = await r.json(); return j.error ?? r.statusText; } catch { return `${r.status} ${r.statusText}`; }
}

export const camPath = (cam, rest) => `api/cameras/${encodeURIComponent(cam)}/${rest}`;

/** The relative "media/<cam>/<day>/<file>" of a published URL (http.public_url + the same path), or null. */
export function relativeMedia(url) {
  const m = url && url.match(/\/(media\/[^?#]+)/);
  return m ? m[1] : null;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');
export function fmtClock(ms, withMs = false) {
  const d = new Date(ms);
  const s = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${s}.${pad(d.getMilliseconds(), 3)}` : s;
}
export function fmtDateTime(ms) {
  const d = new Date(ms), today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const day = sameDay ? 'Today' : d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
  return `${day} ${fmtClock(ms)}`;
}
export function fmtBytes(n) {
  if (n == null) return '–';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 || n >= 100 ? 0 : 1)} ${u[i]}`;
}
export function fmtSeconds(s) {
  if (s == null || !isFinite(s)) return '–';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${pad(Math.round(s % 60))} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}
export function fmtAgo(ms) {
  if (ms == null) return 'never';
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 1.5 ? 'just now' : `${fmtSeconds(s)} ago`;
}
export const fmtNum = (n, d = 0) => n == null ? '–' : Number(n).toLocaleString(undefined, { maximumFractionDigits: d, minimumFractionDigits: d });

/** The status badge of a camera (online/offline/starting/standby, fps, buffered seconds; last error or standby reason on hover). */
export function badge(cam, el = h('span')) {
  el.className = `badge ${cam.status}`;
  el.dataset.status = cam.status;
  el.replaceChildren(cam.status);
  if (cam.status !== 'offline' || cam.fps > 0) el.append(h('span', { class: 'sep' }, '·'), `${fmtNum(cam.fps, 1)} fps`,
    h('span', { class: 'sep' }, '·'), `${fmtSeconds(cam.buffered_seconds)}`);
  el.title = cam.standby_reason ?? (cam.last_error ? `Last error: ${cam.last_error}` : `${cam.buffered_frames} frames buffered`);
  return el;
}

const WARNING_NAMES = { no_frames: 'No frames', too_many_events: 'Too many events', offline: 'Offline' };

/**
 * A camera's raised warnings (cam.warnings from api/cameras: kind, active, since, message) as one line each, or
 * (all = true) every configured warning, the clear ones muted; empty when there is nothing to show.
 */
export function warningList(cam, all = false, el = h('div', { class: 'warnings' })) {
  const shown = (cam.warnings ?? []).filter(w => all || w.active);
  el.replaceChildren(...shown.map(w => h('div', { class: `warning${w.active ? ' on' : ''}`, dataset: { kind: w.kind, active: String(w.active) },
    title: w.since ? `since ${fmtDateTime(Date.parse(w.since))}` : '' },
    h('b', {}, `${w.active ? '⚠ ' : '✓ '}${WARNING_NAMES[w.kind] ?? w.kind}`), ' ', h('span', {}, w.message))));
  el.hidden = shown.length === 0;
  return el;
}

/**
 * A JSON API path polled every `ms` while anyone listens (paused while the page is hidden).
 * subscribe(fn) calls fn(value) now (when known) and on every refresh; returns the unsubscribe function.
 */
function polled(path, ms) {
  const subs = new Set();
  let list = null, timer = null, error = null;
  async function poll() {
    clearTimeout(timer);
    try { list = await api(path); error = null; } catch (e) { error = e; }
    for (const fn of subs) fn(list, error);
    if (subs.size && !document.hidden) timer = setTimeout(poll, ms);
  }
  document.addEventListener('visibilitychange', () => { if (!document.hidden && subs.size) poll(); });
  return {
    get list() { return list; },
    subscribe(fn) {
      subs.add(fn);
      if (list) fn(list, error);
      if (subs.size === 1 || !list) poll();
      return () => subs.delete(fn);
    },
    refresh: poll,
  };
}

/** This node's cameras (api/cameras), every 2 s. */
export const cameras = polled('api/cameras', 2000);
/** Every node's cameras grouped by node (api/cameras?scope=bus), every 3 s. */
export const bus = polled('api/cameras?scope=bus', 3000);

/** Shows `url` in an <img>, fetched again every `ms` (another node's retained snapshot). Returns stop(). */
export function pollImage(img, url, ms = 5000) {
  let stopped = false, timer = null, objectUrl = null;
  async function load() {
    clearTimeout(timer);
    if (stopped) return;
    if (!document.hidden) {
      try {
        const r = await fetch(url, { cache: 'no-store' });
        if (r.ok) {
          const u = URL.createObjectURL(await r.blob());
          if (stopped) { URL.revokeObjectURL(u); return; }
          img.src = u;
          if (objectUrl) URL.revokeObjectURL(objectUrl);
          objectUrl = u;
        }
      } catch { /* the next round tries again */ }
    }
    if (!stopped) timer = setTimeout(load, ms);
  }
  load();
  return () => { stopped = true; clearTimeout(timer); if (objectUrl) URL.revokeObjectURL(objectUrl); };
}

const BLANK = 'data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==';

/**
 * Plays a camera live in an <img>: its MJPEG stream, or refreshed snapshots (mode 'snapshot') when many cameras are
 * on screen (a browser opens at most 6 connections per host over HTTP/1.1, and every MJPEG stream holds one).
 * Reconnects after errors; stops while the page is hidden. Returns stop().
 */
export function playLive(img, cam, { mode = 'mjpeg', width = null, onFrame = null } = {}) {
  let stopped = false, timer = null, objectUrl = null, backoff = 1000, abort = null;
  const mjpegUrl = () => `${camPath(cam, 'mjpeg')}?t=${Date.now()}`;
  async function snapshotLoop() {
    if (stopped || document.hidden) return;
    abort = new AbortController();
    try {
      const r = await fetch(camPath(cam, 'snapshot.jpg') + (width ? `?width=${width}` : ''), { cache: 'no-store', signal: abort.signal });
      if (!r.ok) throw new Error(r.status);
      const url = URL.createObjectURL(await r.blob());
      if (stopped) { URL.revokeObjectURL(url); return; }
      img.src = url;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = url; backoff = 1000;
      onFrame?.();
      timer = setTimeout(snapshotLoop, 700);
    } catch {
      if (!stopped) timer = setTimeout(snapshotLoop, backoff = Math.min(backoff * 2, 10000));
    }
  }
  function start() {
    if (stopped) return;
    if (mode === 'mjpeg') {
      img.onload = () => { backoff = 1000; onFrame?.(); };
      img.onerror = () => { if (!stopped && !document.hidden) timer = setTimeout(start, backoff = Math.min(backoff * 2, 10000)); };
      img.src = mjpegUrl();
    } else snapshotLoop();
  }
  function pause() { clearTimeout(timer); abort?.abort(); img.onerror = null; if (mode === 'mjpeg') img.src = BLANK; }
  const onVis = () => { if (document.hidden) pause(); else start(); };
  document.addEventListener('visibilitychange', onVis);
  start();
  return () => {
    stopped = true; pause();
    document.removeEventListener('visibilitychange', onVis);
    img.onload = null;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  };
}

/** Wheel pixels that make one step (a mouse notch is ~100). */
export const NOTCH_PX = 40;
/** Frames to step for a wheel event (negative = up = back in time): a mouse notch (53..120 px) is one frame, and
 * Chrome may coalesce a fast spin into one event of several; touchpads step every NOTCH_PX, summed in `state.acc`. */
export function wheelSteps(e, state) {
  const raw = e.deltaY || e.deltaX;
  const d = e.deltaMode === 1 ? raw * NOTCH_PX : e.deltaMode === 2 ? raw * 10 * NOTCH_PX : raw;
  if (Math.abs(d) >= NOTCH_PX) { state.acc = 0; return Math.sign(d) * Math.max(1, Math.round(Math.abs(d) / 100)); }
  if (Math.abs(state.acc += d) >= NOTCH_PX) { const s = Math.sign(state.acc); state.acc = 0; return s; }
  return 0;
}

/** The Snapshot / GIF / Moment controls of a camera page; a click calls capture(kind, label). */
export function captureControls(capture) {
  const gifSeconds = h('select', { id: 'gif-seconds', title: 'GIF length' },
    h('option', { value: '' }, 'default'), [5, 10, 20, 30, 60].map(s => h('option', { value: s }, `${s} s`)));
  const before = h('input', { type: 'number', min: 0, step: 1, value: 5, id: 'moment-before', title: 'Seconds before now' });
  const after = h('input', { type: 'number', min: 0, step: 1, value: 3, id: 'moment-after', title: 'Seconds after now' });
  const button = (kind, ic, label) => h('button', { class: 'primary', id: `do-${kind}`, onclick: () => capture(kind, label) }, icon(ic), label);
  const actions = h('div', { class: 'actions' },
    h('div', { class: 'row' }, button('snapshot', ICONS.camera, 'Snapshot'), h('span', { class: 'muted' }, 'newest frame')),
    h('div', { class: 'row' }, button('gif', ICONS.gif, 'GIF'), h('label', { class: 'field' }, 'last', gifSeconds)),
    h('div', { class: 'row' }, button('moment', ICONS.moment, 'Moment'),
      h('label', { class: 'field' }, before, 's before'), h('label', { class: 'field' }, after, 's after')));
  return { actions, gifSeconds, before, after };
}

/**
 * A camera filter for a list page: a <select> ("All cameras" + each camera by name) that navigates to hashFor(slug),
 * and the cameras' names by slug; list cards drawn before the camera list came (`.cam[data-camera]`) get their name.
 */
export function cameraPicker(root, camera, hashFor, id) {
  const select = h('select', { id, title: 'Camera', onchange: () => { location.hash = hashFor(select.value); } },
    h('option', { value: '' }, 'All cameras'));
  const titles = new Map();
  const unsubscribe = cameras.subscribe(cams => {
    if (!cams) return;
    for (const c of cams) {
      titles.set(c.name, c.title);
      if (![...select.options].some(o => o.value === c.name)) select.append(h('option', { value: c.name }, c.title));
    }
    select.value = camera;
    for (const el of root.querySelectorAll('.cam[data-camera]')) el.textContent = titles.get(el.dataset.camera) ?? el.dataset.camera;
  });
  return { select, titles, unsubscribe };
}
