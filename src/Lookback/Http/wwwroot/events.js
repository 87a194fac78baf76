// Events: newest first from api/events, filtered by camera, paged with `before`; a click plays the event.
import { ICONS, api, cameraPicker, fmtDateTime, fmtNum, fmtSeconds, h, icon } from './util.js';
import { framePlayer } from './eventframes.js';

export const name = 'events';
const PAGE = 24;

export function mount(root, camera = '') {
  const { select, titles, unsubscribe } = cameraPicker(root, camera, c => c ? `#/events/${encodeURIComponent(c)}` : '#/events', 'event-camera');
  const list = h('div', { class: 'events', id: 'events' });
  const status = h('p', { class: 'empty muted' }, 'Loading events…');
  const moreBtn = h('button', { id: 'more', onclick: () => loadPage() }, 'Older events');
  const more = h('div', { class: 'more' }, moreBtn);
  more.hidden = true;
  // search: type, zone, day and free text in the metadata (JPEG comment, file name…), all sent to api/events
  const type = h('select', { id: 'event-type', title: 'Kind', onchange: () => reload() },
    h('option', { value: '' }, 'All kinds'), h('option', { value: 'motion' }, 'Motion'), h('option', { value: 'file' }, 'Files'));
  const zone = h('input', { id: 'event-zone', type: 'search', placeholder: 'Zone', size: 8, onchange: () => reload() });
  const day = h('input', { id: 'event-date', type: 'date', title: 'Day', onchange: () => reload() });
  const text = h('input', { id: 'event-search', type: 'search', placeholder: 'Search metadata', onchange: () => reload() });
  root.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Events'), select, type, zone, day, text,
    h('button', { title: 'Reload', onclick: () => reload() }, 'Refresh')), list, status, more);

  let oldest = null, loading = false, disposed = false;
  const shown = [];

  async function loadPage() {
    if (loading) return;
    loading = true; moreBtn.disabled = true;
    try {
      const q = new URLSearchParams({ limit: PAGE });
      if (camera) q.set('camera', camera);
      if (type.value) q.set('type', type.value);
      if (zone.value.trim()) q.set('zone', zone.value.trim());
      if (day.value) q.set('date', day.value);
      if (text.value.trim()) q.set('q', text.value.trim());
      if (oldest != null) q.set('before', oldest);
      const searching = q.has('type') || q.has('zone') || q.has('date') || q.has('q');
      const page = await api(`api/events?${q}`);
      if (disposed) return;
      for (const ev of page) { shown.push(ev); list.append(card(ev)); }
      if (page.length) oldest = Date.parse(page.at(-1).start);
      more.hidden = page.length < PAGE;
      status.hidden = shown.length > 0;
      status.textContent = searching ? 'No event matches this search.' : 'No events yet. Motion events and captures appear here.';
    } catch (e) {
      status.hidden = false;
      status.textContent = `Cannot load events: ${e.message}`;
    } finally { loading = false; moreBtn.disabled = false; }
  }
  function reload() { oldest = null; shown.length = 0; list.replaceChildren(); loadPage(); }

  function card(ev) {
    const start = Date.parse(ev.start), end = ev.end ? Date.parse(ev.end) : null;
    const thumbSrc = ev.files?.snapshot?.path;
    const thumb = h('div', { class: 'thumb' },
      thumbSrc ? h('img', { src: thumbSrc, alt: '', loading: 'lazy' }) : h('div', { class: 'noimg' }, 'no picture'),
      h('span', { class: 'pill type' }, ev.type),
      h('span', { class: 'pill dur' }, end ? fmtSeconds((end - start) / 1000) : 'ongoing'));
    return h('button', { class: 'event', dataset: { id: ev.id, camera: ev.camera }, onclick: () => openPlayer(ev) },
      thumb,
      h('div', { class: 'body' },
        h('div', { class: 'line' }, h('span', { class: 'cam', dataset: { camera: ev.camera } }, titles.get(ev.camera) ?? ev.camera), h('span', { class: 'muted num' }, fmtDateTime(start))),
        h('div', { class: 'line muted' }, scoreText(ev) ? h('span', { dataset: { field: 'score' } }, scoreText(ev)) : null,
          h('span', {}, Object.keys(ev.files ?? {}).filter(k => k !== 'snapshot' && k !== 'frames_index').join(' · ') || 'snapshot only')),
        ev.zones?.length ? h('div', { class: 'zones' }, ev.zones.map(z => h('span', { class: 'chip' }, z))) : null));
  }

  // ---------- player ----------
  let dialog = null, frames = null;
  function openPlayer(ev) {
    dialog?.remove();
    const files = ev.files ?? {};
    const kinds = Object.keys(files).filter(k => k !== 'frames_index').sort((a, b) => rank(a) - rank(b));
    const stage = h('div', { class: 'stage' });
    const tabs = h('div', { class: 'tabs' });
    const start = Date.parse(ev.start);
    function showFile(k) {
      const f = files[k];
      const isVideo = /\.mp4$/i.test(f.path);
      frames?.dispose(); frames = null;
      if (k === 'frames' && files.frames_index) stage.replaceChildren(frames = framePlayer(ev));
      else stage.replaceChildren(isVideo
        ? h('video', { src: f.path, controls: true, autoplay: true, muted: true, loop: true, playsInline: true })
        : h('img', { src: f.path, alt: `${ev.camera} ${k}` }));
      for (const b of tabs.children) b.classList.toggle('on', b.dataset.kind === k);
      link.href = f.path; link.textContent = f.url ?? f.path;
    }
    const link = h('a', { target: '_blank', rel: 'noopener' });
    for (const k of kinds) tabs.append(h('button', { dataset: { kind: k }, onclick: () => showFile(k) }, k));
    const idx = shown.indexOf(ev);
    const meta = Object.entries(ev.metadata ?? {}).filter(([k]) => k !== 'files');
    dialog = h('dialog', { class: 'player', id: 'player', onclose: () => { frames?.dispose(); frames = null; dialog?.remove(); } },
      stage,
      h('div', { class: 'bar' },
        h('b', {}, titles.get(ev.camera) ?? ev.camera), h('span', { class: 'muted' }, fmtDateTime(start)),
        scoreText(ev) ? h('span', { class: 'muted' }, scoreText(ev)) : null,
        ev.zones?.length ? h('span', {}, ev.zones.map(z => h('span', { class: 'chip' }, z))) : null,
        h('span', { class: 'grow' }), tabs,
        h('button', { class: 'icon', title: 'Newer event', disabled: idx <= 0, onclick: () => openPlayer(shown[idx - 1]) }, '‹'),
        h('button', { class: 'icon', title: 'Older event', disabled: idx < 0 || idx >= shown.length - 1, onclick: () => openPlayer(shown[idx + 1]) }, '›'),
        h('button', { class: 'icon', title: 'Close', onclick: () => dialog.close() }, icon(ICONS.close))),
      meta.length ? h('dl', { class: 'bar meta muted', id: 'event-meta' }, ...meta.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, v)])) : null,
      h('div', { class: 'bar muted' }, link));
    dialog.addEventListener('click', e => { if (e.target === dialog) dialog.close(); });
    root.append(dialog);
    dialog.showModal();
    if (kinds.length) showFile(kinds[0]);
    else stage.append(h('p', { class: 'empty muted' }, 'This event has no files.'));
  }
  const rank = k => ({ frames: -1, gif: 0, clip: 1, mp4: 1, moment: 1, snapshot: 5 })[k] ?? 3;
  // file events are not scored (no analysis): no "score 0.00" for them
  const scoreText = ev => ev.type === 'file' ? null : `score ${fmtNum(ev.score, 2)}`;

  loadPage();
  return () => { disposed = true; unsubscribe(); frames?.dispose(); dialog?.remove(); };
}
