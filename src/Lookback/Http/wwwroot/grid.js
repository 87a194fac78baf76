// Live grid: every camera of every node on the bus, grouped by node, with its status badge; a click opens the
// camera page (this node's cameras) or the bus camera page (another node's: live view from that node's public_url,
// captures asked over MQTT through this node). Alone on the bus (or without MQTT) it is this node's grid, unchanged.
import { badge, bus, fmtAgo, h, playLive, pollImage, warningList } from './util.js';

export const name = 'grid';

/** Up to this many of this node's cameras play their MJPEG stream; beyond, refreshed snapshots keep connections free. */
const MJPEG_MAX = 4;

export function mount(root) {
  const nodes = h('div', { class: 'nodes', id: 'nodes' });
  const empty = h('p', { class: 'empty muted' }, 'Loading cameras…');
  root.append(nodes, empty);
  const sections = new Map();   // node -> { el, head, grid }
  const tiles = new Map();      // node/cam -> tile

  function section(g) {
    const head = h('div', { class: 'node-head' }, h('h2', {}, g.node), h('span', { class: 'badge' }), h('span', { class: 'muted meta' }));
    const grid = h('div', { class: 'grid' });
    const s = { el: h('section', { class: 'node', dataset: { node: g.node } }, head, grid), head, grid };
    nodes.append(s.el);
    return s;
  }

  function tile(g, cam, mode) {
    const img = h('img', { class: 'live', alt: `${cam.title} live` });
    const frame = h('div', { class: 'frame' }, img,
      h('div', { class: 'nosignal' }, h('div', {}, h('b', {}, 'No picture'), h('span', { class: 'why' }, ''))));
    const href = cam.local ? `#/camera/${encodeURIComponent(cam.name)}` : `#/bus/${encodeURIComponent(g.node)}/${encodeURIComponent(cam.name)}`;
    const t = {
      el: h('a', { class: `tile${cam.local ? '' : ' remote'}`, href, dataset: { cam: cam.name, node: g.node } },
        frame,
        h('div', { class: 'info' }, h('span', { class: 'title' }, cam.title), h('span', { class: 'badge' })),
        h('div', { class: 'foot' }, h('span', { class: 'kind' }), h('span', { class: 'err' })),
        h('div', { class: 'warnings', hidden: true })),
      frame, img,
      stop: cam.local ? playLive(img, cam.name, { mode, width: mode === 'snapshot' ? 640 : null }) : pollImage(img, cam.snapshot_url),
    };
    return t;
  }

  const unsubscribe = bus.subscribe((groups, err) => {
    if (!groups) { empty.textContent = err ? `Cannot reach Lookback: ${err.message}` : 'Loading cameras…'; return; }
    const count = groups.reduce((n, g) => n + g.cameras.length, 0);
    empty.hidden = count > 0;
    if (!count) empty.textContent = 'No cameras configured.';
    nodes.classList.toggle('single', groups.length === 1);
    const local = groups.find(g => g.self)?.cameras.length ?? 0;
    const mode = local > MJPEG_MAX ? 'snapshot' : 'mjpeg';
    for (const g of groups) {
      const s = sections.get(g.node) ?? sections.set(g.node, section(g)).get(g.node);
      const online = g.cameras.filter(c => c.status === 'online').length;
      const nb = s.head.querySelector('.badge');
      nb.className = `badge ${g.online ? 'online' : 'offline'}`;
      nb.dataset.status = nb.textContent = g.online ? 'online' : 'offline';
      s.head.querySelector('.meta').textContent = [g.self ? 'this node' : null, g.version ? `v${g.version}` : null,
        `${online}/${g.cameras.length} online`, !g.self && !g.online && g.last_seen ? `last seen ${fmtAgo(Date.parse(g.last_seen))}` : null]
        .filter(Boolean).join(' · ');
      s.el.classList.toggle('down', !g.online);
      for (const cam of g.cameras) {
        const key = `${g.node}/${cam.name}`;
        let t = tiles.get(key);
        if (!t) { t = tile(g, cam, mode); tiles.set(key, t); s.grid.append(t.el); }
        badge(cam, t.el.querySelector('.badge'));
        const down = cam.status !== 'online' && (!cam.local || !cam.buffered_frames);
        t.frame.classList.toggle('down', down && !(cam.status === 'standby'));
        t.el.querySelector('.why').textContent = cam.status === 'starting' ? 'Connecting…' : (cam.reason ?? cam.last_error ?? 'Camera offline');
        t.el.querySelector('.kind').textContent = cam.status === 'standby' ? cam.reason
          : `${cam.kind || 'camera'} · ${cam.buffered_frames} frames · last ${fmtAgo(cam.last_frame_at && Date.parse(cam.last_frame_at))}`;
        const e = t.el.querySelector('.err');
        e.textContent = cam.status === 'offline' ? (cam.reason ?? cam.last_error ?? '') : '';
        e.title = cam.last_error ?? cam.reason ?? '';
        warningList(cam, false, t.el.querySelector('.warnings'));
      }
    }
  });

  return () => { unsubscribe(); for (const t of tiles.values()) t.stop(); };
}
