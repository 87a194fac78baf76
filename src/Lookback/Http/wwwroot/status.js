// Status: per camera fps, frames, bytes, errors, last error, ring; the render queue — from api/status (the JSON
// twin of /metrics), refreshed every 2 s.
import { api, badge, fmtAgo, fmtBytes, fmtNum, fmtSeconds, h } from './util.js';

export const name = 'status';

export function mount(root) {
  const head = h('div', { class: 'toolbar' }, h('h1', {}, 'Status'), h('span', { class: 'muted', id: 'status-meta' }, ''),
    h('span', { class: 'grow' }), h('a', { href: 'metrics', target: '_blank', rel: 'noopener' }, 'Prometheus metrics'));
  const cams = h('div', { class: 'status-grid', id: 'status-cameras' });
  const queue = h('div', { class: 'panel', id: 'status-render' });
  const err = h('p', { class: 'error-text' });
  root.append(head, err, cams, h('div', { class: 'section-title' }, 'Renders'), queue);
  const cards = new Map();
  let timer = null, disposed = false;

  function stat(label, value, field) {
    return h('div', {}, h('b', { dataset: { field } }, value), h('span', {}, label));
  }

  function camCard(c) {
    const kv = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
    return h('div', { class: 'panel stat-card', dataset: { cam: c.name } },
      h('h3', {}, h('a', { href: `#/camera/${encodeURIComponent(c.name)}` }, c.title), badge(c)),
      h('div', { class: 'big' }, stat('fps', fmtNum(c.fps, 2), 'fps'), stat('buffered', fmtSeconds(c.buffered_seconds), 'buffered'),
        stat('errors', fmtNum(c.errors_total), 'errors')),
      h('dl', { class: 'kv' },
        ...kv('Kind', c.kind),
        ...kv('Frames received', fmtNum(c.frames_total)),
        ...kv('Bytes received', fmtBytes(c.bytes_total)),
        ...kv('Ring', `${fmtNum(c.ring_frames)} frames · ${fmtBytes(c.ring_bytes)}`),
        ...kv('Average frame', c.ring_frames ? fmtBytes(c.ring_bytes / c.ring_frames) : '–'),
        ...kv('Last frame', fmtAgo(c.last_frame_at && Date.parse(c.last_frame_at))),
        ...kv('Motion detection', c.motion_enabled ? 'on' : 'off')),
      c.last_error ? h('div', { class: 'lasterr', dataset: { field: 'last-error' } }, `Last error: ${c.last_error}`) : null);
  }

  function renderQueue(r) {
    const cell = (v, cls = 'n') => h('td', { class: cls }, v);
    queue.replaceChildren(
      h('div', { class: 'stat-card' }, h('div', { class: 'big' },
        stat('queued', fmtNum(r.queued), 'queued'), stat('running', `${r.running}/${r.workers}`, 'running'),
        stat('moments waiting', fmtNum(r.waiting_moments), 'waiting'))),
      h('p', { class: 'muted' }, `Queue capacity ${r.capacity}; beyond it requests are answered "busy" (429) instead of piling up.`),
      r.counters.length
        ? h('table', { class: 't' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Camera'), h('th', {}, 'Kind'), h('th', { class: 'n' }, 'OK'), h('th', { class: 'n' }, 'Errors'),
            h('th', { class: 'n' }, 'Busy'), h('th', { class: 'n' }, 'Average'))),
          h('tbody', {}, r.counters.map(c => h('tr', {}, cell(c.camera, ''), cell(c.kind, ''), cell(fmtNum(c.ok)), cell(fmtNum(c.error)),
            cell(fmtNum(c.busy)), cell(c.avg_ms == null ? '–' : `${fmtNum(c.avg_ms)} ms`)))))
        : h('p', { class: 'muted' }, 'No renders yet.'));
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const s = await api('api/status');
      if (disposed) return;
      err.textContent = '';
      document.getElementById('status-meta').textContent =
        `Lookback ${s.version} · up ${fmtSeconds((Date.parse(s.now) - Date.parse(s.started_at)) / 1000)}`;
      for (const c of s.cameras) {
        const el = camCard(c);
        const old = cards.get(c.name);
        if (old) old.replaceWith(el); else cams.append(el);
        cards.set(c.name, el);
      }
      renderQueue(s.render);
    } catch (e) {
      if (!disposed) err.textContent = `Cannot load the status: ${e.message}`;
    }
    if (!disposed) timer = setTimeout(refresh, document.hidden ? 10000 : 2000);
  }
  refresh();
  return () => { disposed = true; clearTimeout(timer); };
}
