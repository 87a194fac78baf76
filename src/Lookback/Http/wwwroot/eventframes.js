// A stored event's frames (api/events/{id}/frames): real-time play at the frames' own pace, one frame per mouse-wheel
// notch (up = back in time), ←/→, and a scrubber; each frame's time and JPEG comment are shown under it.
import { ApiError, api, errorText, fmtClock, h, wheelSteps } from './util.js';

const CACHE_MAX = 64;

export function framePlayer(ev) {
  const base = `api/events/${encodeURIComponent(ev.id)}/frames`;
  const img = h('img', { class: 'frame', alt: `${ev.camera} frame`, draggable: false });
  const time = h('span', { class: 'mono', id: 'frame-time' }, '');
  const pos = h('span', { class: 'muted num', id: 'frame-pos' }, 'Loading frames…');
  const comment = h('div', { class: 'comment mono', id: 'frame-comment', hidden: true });
  const scrub = h('input', { type: 'range', id: 'frame-scrub', min: 0, max: 0, value: 0, step: 1, title: 'Drag to jump' });
  const playBtn = h('button', { id: 'frame-play', title: 'Play in real time (space)' }, 'Play');
  const view = h('div', { class: 'frameview', id: 'frameview', tabindex: 0 }, img);
  const el = h('div', { class: 'frameplayer' }, view,
    h('div', { class: 'bar' }, playBtn, scrub, time, pos), comment);

  let frames = [], idx = 0, playing = false, timer = null, disposed = false, shown = -1;
  const wheel = { acc: 0 };
  const cache = new Map();

  function load(n) {
    let p = cache.get(n);
    if (p) return p;
    p = fetch(`${base}/${n}.jpg`).then(async r => {
      if (!r.ok) throw new ApiError(r.status, await errorText(r));
      return URL.createObjectURL(await r.blob());
    });
    p.catch(() => cache.delete(n));
    cache.set(n, p);
    for (const [k, old] of cache) {
      if (cache.size <= CACHE_MAX) break;
      if (k !== n && k !== shown) { cache.delete(k); old.then(u => URL.revokeObjectURL(u), () => {}); }
    }
    return p;
  }

  async function show(i, dir = 1) {
    if (!frames.length) return;
    idx = Math.max(0, Math.min(frames.length - 1, i));
    const f = frames[idx];
    scrub.value = idx;
    time.textContent = fmtClock(f.t, true);
    pos.textContent = `frame ${idx + 1}/${frames.length}`;
    comment.hidden = !f.comment;
    comment.textContent = f.comment ?? '';
    try {
      const url = await load(f.n);
      if (disposed || frames[idx] !== f) return;
      img.src = url;
      img.dataset.n = f.n;
      img.dataset.time = f.t;
      shown = f.n;
    } catch (e) { if (!disposed) pos.textContent = `frame ${f.n}: ${e.message}`; }
    for (let k = 1; k <= 6; k++) { const g = frames[idx + k * dir]; if (g) load(g.n).catch(() => {}); }
  }

  function pause() { playing = false; clearTimeout(timer); playBtn.textContent = 'Play'; }
  function play() {
    if (!frames.length) return;
    if (idx >= frames.length - 1) idx = 0;
    playing = true; playBtn.textContent = 'Pause';
    // real time: each frame stays until the next one's capture time, measured from the start of play
    const wall0 = performance.now(), t0 = frames[idx].t;
    const tick = async () => {
      if (!playing || disposed) return;
      const target = t0 + (performance.now() - wall0);
      let i = idx;
      while (i < frames.length - 1 && frames[i + 1].t <= target) i++;
      if (i !== idx || shown !== frames[i].n) await show(i);
      if (i >= frames.length - 1) { pause(); return; }
      timer = setTimeout(tick, Math.max(10, Math.min(1000, frames[i + 1].t - target)));
    };
    tick();
  }

  playBtn.addEventListener('click', () => (playing ? pause() : play()));
  scrub.addEventListener('input', () => { pause(); show(Number(scrub.value)); });
  view.addEventListener('wheel', e => {
    e.preventDefault();
    const steps = wheelSteps(e, wheel);
    if (steps) { pause(); show(idx + steps * (e.shiftKey ? 10 : 1), Math.sign(steps)); }
  }, { passive: false });
  view.addEventListener('keydown', e => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault(); pause();
      const s = e.key === 'ArrowLeft' ? -1 : 1;
      show(idx + s * (e.shiftKey ? 10 : 1), s);
    } else if (e.key === ' ') { e.preventDefault(); playing ? pause() : play(); }
  });

  (async () => {
    try {
      const list = await api(base);
      if (disposed) return;
      frames = list.map(f => ({ n: f.n, t: Date.parse(f.time), comment: f.comment ?? null }));
      scrub.max = Math.max(0, frames.length - 1);
      el.dataset.count = frames.length;
      if (!frames.length) { pos.textContent = 'No frames stored.'; return; }
      await show(frames.length - 1, -1);   // the newest frame first: the wheel goes back from there
      view.focus({ preventScroll: true });
    } catch (e) { if (!disposed) pos.textContent = `Cannot load frames: ${e.message}`; }
  })();

  el.dispose = () => {
    disposed = true; pause();
    for (const p of cache.values()) p.then(u => URL.revokeObjectURL(u), () => {});
    cache.clear();
  };
  return el;
}
