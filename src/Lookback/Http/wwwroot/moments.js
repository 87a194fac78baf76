// Moments: every snapshot, GIF, MP4 and moment asked for (web UI, HTTP, MQTT, triggers), newest first from
// api/moments, filtered by camera and kind, paged with `before`; a click plays it.
import { ICONS, api, cameraPicker, fmtBytes, fmtDateTime, fmtSeconds, h, icon } from './util.js';

export const name = 'moments';
const PAGE = 24;
const WHO = { http: 'web / HTTP', mqtt: 'MQTT', trigger: 'trigger' };

export function mount(root, camera = '') {
  const { select, titles, unsubscribe } = cameraPicker(root, camera, c => c ? `#/moments/${encodeURIComponent(c)}` : '#/moments', 'moment-camera');
  const kind = h('select', { id: 'moment-kind', title: 'Kind', onchange: () => reload() },
    ...[['', 'All kinds'], ['moment', 'Moments'], ['gif', 'GIFs'], ['mp4', 'MP4s'], ['snapshot', 'Snapshots']].map(([v, t]) => h('option', { value: v }, t)));
  const list = h('div', { class: 'events', id: 'moments' });
  const status = h('p', { class: 'empty muted' }, 'Loading moments…');
  const moreBtn = h('button', { id: 'more-moments', onclick: () => loadPage() }, 'Older moments');
  const more = h('div', { class: 'more' }, moreBtn);
  more.hidden = true;
  root.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Moments'), select, kind,
    h('button', { title: 'Reload', onclick: () => reload() }, 'Refresh')), list, status, more);

  let oldest = null, loading = false, disposed = false;
  const shown = [];

  async function loadPage() {
    if (loading) return;
    loading = true; moreBtn.disabled = true;
    try {
      const q = new URLSearchParams({ limit: PAGE });
      if (camera) q.set('camera', camera);
      if (kind.value) q.set('kind', kind.value);
      if (oldest != null) q.set('before', oldest);
      const page = await api(`api/moments?${q}`);
      if (disposed) return;
      for (const m of page) { shown.push(m); list.append(card(m)); }
      if (page.length) oldest = Date.parse(page.at(-1).requested_at);
      more.hidden = page.length < PAGE;
      status.hidden = shown.length > 0;
      status.textContent = 'No moments yet. Snapshots, GIFs and moments asked for (here, over MQTT or by a trigger) appear here.';
    } catch (e) {
      status.hidden = false;
      status.textContent = `Cannot load moments: ${e.message}`;
    } finally { loading = false; moreBtn.disabled = false; }
  }
  function reload() { oldest = null; shown.length = 0; list.replaceChildren(); loadPage(); }

  const who = m => [WHO[m.origin] ?? m.origin, m.doorbell ? 'doorbell' : null, m.trigger, m.request_id].filter(Boolean).join(' · ');
  const span = m => m.start && m.end ? fmtSeconds((Date.parse(m.end) - Date.parse(m.start)) / 1000) : null;

  function card(m) {
    const f = m.files ?? {};
    const thumbSrc = (f.gif ?? f.snapshot)?.path;
    const thumb = h('div', { class: 'thumb' },
      thumbSrc ? h('img', { src: thumbSrc, alt: '', loading: 'lazy' }) : h('div', { class: 'noimg' }, m.status === 'ok' ? 'video' : 'failed'),
      h('span', { class: 'pill type' }, m.kind),
      span(m) ? h('span', { class: 'pill dur' }, span(m)) : null);
    return h('button', { class: 'event moment' + (m.status === 'ok' ? '' : ' failed'), dataset: { id: m.id, camera: m.camera, kind: m.kind }, onclick: () => openPlayer(m) },
      thumb,
      h('div', { class: 'body' },
        h('div', { class: 'line' }, h('span', { class: 'cam', dataset: { camera: m.camera } }, titles.get(m.camera) ?? m.camera),
          h('span', { class: 'muted num' }, fmtDateTime(Date.parse(m.requested_at)))),
        h('div', { class: 'line muted' }, h('span', { dataset: { field: 'who' } }, who(m)), m.bytes ? h('span', {}, fmtBytes(m.bytes)) : null),
        m.error ? h('div', { class: 'line error-text' }, m.error) : null));
  }

  // ---------- player ----------
  let dialog = null;
  function openPlayer(m) {
    dialog?.remove();
    const files = m.files ?? {};
    const kinds = Object.keys(files).sort((a, b) => ({ mp4: 0, gif: 1, snapshot: 2 })[a] - ({ mp4: 0, gif: 1, snapshot: 2 })[b]);
    const stage = h('div', { class: 'stage' });
    const tabs = h('div', { class: 'tabs' });
    const link = h('a', { target: '_blank', rel: 'noopener' });
    function showFile(k) {
      const f = files[k];
      stage.replaceChildren(/\.mp4$/i.test(f.path)
        ? h('video', { src: f.path, controls: true, autoplay: true, muted: true, loop: true, playsInline: true })
        : h('img', { src: f.path, alt: `${m.camera} ${k}` }));
      for (const b of tabs.children) b.classList.toggle('on', b.dataset.kind === k);
      link.href = f.path; link.textContent = f.url ?? f.path;
    }
    for (const k of kinds) tabs.append(h('button', { dataset: { kind: k }, onclick: () => showFile(k) }, k));
    dialog = h('dialog', { class: 'player', id: 'moment-player', onclose: () => dialog?.remove() },
      stage,
      h('div', { class: 'bar' },
        h('b', {}, titles.get(m.camera) ?? m.camera), h('span', { class: 'muted' }, fmtDateTime(Date.parse(m.requested_at))),
        h('span', { class: 'muted' }, who(m)), h('span', { class: 'grow' }), tabs,
        h('button', { class: 'icon', title: 'Close', onclick: () => dialog.close() }, icon(ICONS.close))),
      h('div', { class: 'bar muted' }, link));
    dialog.addEventListener('click', e => { if (e.target === dialog) dialog.close(); });
    root.append(dialog);
    dialog.showModal();
    if (kinds.length) showFile(kinds[0]);
    else stage.append(h('p', { class: 'empty muted' }, m.error ? `This ${m.kind} failed: ${m.error}` : 'No files.'));
  }

  loadPage();
  return () => { disposed = true; unsubscribe(); dialog?.remove(); };
}
