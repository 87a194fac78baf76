// Another node's camera (#/bus/<node>/<cam>): live view from that node's public_url (its retained snapshot, through
// this node, when that URL cannot be reached), replay on that node's own page, and Snapshot / GIF / Moment asked over
// MQTT through this node (POST api/bus/<node>/<cam>/<action>): the results carry that node's URLs.
import { ApiError, badge, bus, captureControls, errorText, fmtClock, h, pollImage } from './util.js';

export const name = 'buscam';

export function mount(root, node, slug) {
  const title = h('h1', {}, slug);
  const headBadge = h('span', { class: 'badge' });
  const reason = h('span', { class: 'muted', id: 'reason' });
  const open = h('a', { id: 'open-node', target: '_blank', rel: 'noopener', hidden: true }, `Replay on ${node}`);
  const live = h('img', { class: 'live', alt: `${slug} live` });
  const viewer = h('div', { class: 'viewer', id: 'viewer', dataset: { mode: 'snapshot' } }, live);
  const info = h('dl', { class: 'kv' });
  const results = h('div', { class: 'results', id: 'results' });
  const { actions, gifSeconds, before, after } = captureControls((kind, label) => capture(kind, label));

  root.append(
    h('div', { class: 'cam-head' }, h('a', { class: 'back', href: '#/', title: 'All cameras' }, '‹'), title, headBadge,
      h('span', { class: 'muted' }, `on ${node}`), reason, h('span', { class: 'grow' }), open),
    h('div', { class: 'cam-layout' },
      h('section', {}, viewer),
      h('aside', {}, h('div', { class: 'panel' }, h('h2', {}, 'Camera'), info),
        h('div', { class: 'panel' }, h('h2', {}, 'Capture over MQTT'), actions, results))));

  // live: the node's own MJPEG stream when its public_url answers; else its retained snapshot through this node
  let stopPicture = () => {}, liveUrl = null;
  function showSnapshots() {
    stopPicture();
    live.onerror = null;
    viewer.dataset.mode = 'snapshot';
    stopPicture = pollImage(live, `api/bus/${encodeURIComponent(node)}/${encodeURIComponent(slug)}/snapshot.jpg`);
  }
  function showLive(url) {
    if (url === liveUrl) return;
    liveUrl = url;
    stopPicture();
    if (!url) { showSnapshots(); return; }
    viewer.dataset.mode = 'live';
    live.onerror = () => showSnapshots();
    live.src = `${url}?t=${Date.now()}`;
    stopPicture = () => { live.onerror = null; live.removeAttribute('src'); };
  }

  const unsubscribe = bus.subscribe(groups => {
    const g = groups?.find(x => x.node === node);
    const cam = g?.cameras.find(c => c.name === slug);
    if (!cam) { reason.textContent = g ? `${node} does not announce ${slug}` : `node ${node} is not on the bus`; return; }
    title.textContent = cam.title;
    document.title = `${cam.title} · ${node} · Lookback`;
    badge(cam, headBadge);
    reason.textContent = cam.reason ?? '';
    if (cam.page_url) { open.href = cam.page_url; open.hidden = false; }
    showLive(g.online && cam.status === 'online' ? cam.live_url : null);
    info.replaceChildren(...[['node', node], ['kind', cam.kind || '–'], ['status', cam.status], ['fps', cam.fps],
      ['buffered', `${cam.buffered_frames} frames · ${cam.buffered_seconds} s`], ['last error', cam.last_error ?? '–'],
      ['public url', g.public_url ?? '–']].flatMap(([k, v]) => [h('dt', {}, k), h('dd', { dataset: { field: k } }, String(v))]));
  });

  const busy = new Set();
  async function capture(kind, label) {
    if (busy.has(kind)) return;
    busy.add(kind);
    const b = actions.querySelector(`#do-${kind}`);
    b.disabled = true;
    const q = kind === 'gif' ? (gifSeconds.value ? `?seconds=${gifSeconds.value}` : '')
      : kind === 'moment' ? `?before=${+before.value || 0}&after=${+after.value || 0}` : '';
    const path = `api/bus/${encodeURIComponent(node)}/${encodeURIComponent(slug)}/${kind}${q}`;
    const headText = h('span', {}, `${label}: asked over MQTT…`);
    const meta = h('div', { class: 'meta' }, h('div', { class: 'head' }, headText));
    const card = h('div', { class: 'result pending', dataset: { kind } }, meta);
    results.prepend(card);
    while (results.children.length > 4) results.lastElementChild.remove();
    const t0 = performance.now();
    try {
      const r = await fetch(path, { method: 'POST', cache: 'no-store' });
      if (!r.ok) throw new ApiError(r.status, await errorText(r));
      const res = await r.json();
      if (res.status !== 'ok') throw new ApiError(200, res.error ?? res.status);
      const ms = Math.round(performance.now() - t0);
      headText.textContent = `${label} · ${res.node ?? node}`;
      meta.firstChild.append(h('span', { class: 'num', dataset: { field: 'elapsed' } }, `${ms} ms`));
      const gif = kind === 'moment' ? res.gif_url : res.url;
      if (gif) card.prepend(h('img', { src: gif, alt: label }));
      for (const u of [res.url, kind === 'moment' ? res.gif_url : null].filter(Boolean))
        meta.append(h('a', { href: u, target: '_blank', rel: 'noopener', class: 'result-url' }, u));
      meta.append(h('span', { class: 'muted' }, `${fmtClock(Date.now())} · request ${res.request_id}`));
      card.classList.remove('pending');
    } catch (e) {
      card.classList.remove('pending'); card.classList.add('failed');
      headText.textContent = `${label} failed`;
      meta.append(h('span', { class: 'error-text' }, e.message));
    } finally {
      busy.delete(kind);
      b.disabled = false;
    }
  }

  return () => { unsubscribe(); stopPicture(); document.title = 'Lookback'; };
}
