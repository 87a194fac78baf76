// Live grid: every camera live with its status badge; a click opens the camera page.
import { badge, cameras, fmtAgo, h, playLive } from './util.js';

export const name = 'grid';

/** Up to this many cameras play their MJPEG stream; beyond, refreshed snapshots keep connections free. */
const MJPEG_MAX = 4;

export function mount(root) {
  const grid = h('div', { class: 'grid', id: 'grid' });
  const empty = h('p', { class: 'empty muted' }, 'Loading cameras…');
  root.append(grid, empty);
  const tiles = new Map();

  function tile(cam, mode) {
    const img = h('img', { class: 'live', alt: `${cam.title} live` });
    const frame = h('div', { class: 'frame' }, img,
      h('div', { class: 'nosignal' }, h('div', {}, h('b', {}, 'No picture'), h('span', { class: 'why' }, ''))));
    const t = {
      el: h('a', { class: 'tile', href: `#/camera/${encodeURIComponent(cam.name)}`, dataset: { cam: cam.name } },
        frame,
        h('div', { class: 'info' }, h('span', { class: 'title' }, cam.title), h('span', { class: 'badge' })),
        h('div', { class: 'foot' }, h('span', { class: 'kind' }), h('span', { class: 'err' }))),
      frame, img,
      stop: playLive(img, cam.name, { mode, width: mode === 'snapshot' ? 640 : null }),
    };
    grid.append(t.el);
    return t;
  }

  const unsubscribe = cameras.subscribe((list, err) => {
    if (!list) { empty.textContent = err ? `Cannot reach Lookback: ${err.message}` : 'Loading cameras…'; return; }
    empty.hidden = list.length > 0;
    if (!list.length) empty.textContent = 'No cameras configured.';
    const mode = list.length > MJPEG_MAX ? 'snapshot' : 'mjpeg';
    for (const cam of list) {
      const t = tiles.get(cam.name) ?? tiles.set(cam.name, tile(cam, mode)).get(cam.name);
      badge(cam, t.el.querySelector('.badge'));
      const down = cam.status !== 'online' && !cam.buffered_frames;
      t.frame.classList.toggle('down', down);
      t.el.querySelector('.why').textContent = cam.status === 'starting' ? 'Connecting…' : (cam.last_error ?? 'Camera offline');
      t.el.querySelector('.kind').textContent = `${cam.kind} · ${cam.buffered_frames} frames · last ${fmtAgo(cam.last_frame_at && Date.parse(cam.last_frame_at))}`;
      const err = t.el.querySelector('.err');
      err.textContent = cam.status === 'offline' && cam.last_error ? cam.last_error : '';
      err.title = cam.last_error ?? '';
    }
  });

  return () => { unsubscribe(); for (const t of tiles.values()) t.stop(); };
}
