// Timeline: one local day (api/timeline) per camera or for all cameras — motion/file events, moments, doorbell rings
// and other triggers, offline periods — on a 24-hour lane per camera. A click on a mark plays it below (an event's
// frames, a moment's MP4/GIF/snapshot); on a recording camera the recorded HLS day is offered at that time; the
// day's timelapse is one click away. Route: #/timeline[/<all|camera>[/<yyyy-mm-dd|today|yesterday>]].
import { api, cameras, fmtClock, h } from './util.js';
import { framePlayer } from './eventframes.js';

export const name = 'timeline';
const DAY_MS = 86400000;

export function mount(root, scope = 'all', date = 'today') {
  const go = (s, d) => { location.hash = `#/timeline/${encodeURIComponent(s || 'all')}/${d || 'today'}`; };
  const select = h('select', { id: 'timeline-camera', title: 'Camera', onchange: () => go(select.value, date) },
    h('option', { value: 'all' }, 'All cameras'));
  const day = h('input', { type: 'date', id: 'timeline-date', title: 'Day', onchange: () => go(scope, day.value || 'today') });
  const lanes = h('div', { class: 'lanes', id: 'timeline' });
  const detail = h('div', { class: 'tl-detail', id: 'timeline-detail' });
  const status = h('p', { class: 'empty muted' }, 'Loading the day…');
  root.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Timeline'), select, day,
    h('button', { id: 'tl-today', onclick: () => go(scope, 'today') }, 'Today'),
    h('button', { id: 'tl-yesterday', onclick: () => go(scope, 'yesterday') }, 'Yesterday')), status, lanes, detail);

  const unsubscribe = cameras.subscribe(cams => {
    if (!cams) return;
    for (const c of cams) if (![...select.options].some(o => o.value === c.name)) select.append(h('option', { value: c.name }, c.title));
    select.value = scope;
  });

  let disposed = false, player = null;
  async function load() {
    try {
      const q = new URLSearchParams({ date });
      if (scope !== 'all') q.set('camera', scope);
      const tl = await api(`api/timeline?${q}`);
      if (disposed) return;
      day.value = tl.date;
      draw(tl);
    } catch (e) { status.hidden = false; status.textContent = `Cannot load the timeline: ${e.message}`; }
  }

  function draw(tl) {
    const start = Date.parse(tl.start), span = Date.parse(tl.end) - start || DAY_MS;
    const pct = t => `${Math.max(0, Math.min(100, (t - start) / span * 100))}%`;
    status.hidden = tl.items.length > 0;
    status.textContent = 'Nothing happened on this day.';
    const hours = h('div', { class: 'tl-hours' });
    for (let i = 0; i <= 24; i += 3) hours.append(h('span', { style: `left:${i / 24 * 100}%` }, `${String(i).padStart(2, '0')}:00`));
    lanes.replaceChildren(h('div', { class: 'tl-lane head' }, h('div', { class: 'tl-name' }), hours));
    for (const cam of tl.cameras) {
      const track = h('div', { class: 'tl-track', dataset: { camera: cam.name } });
      for (let i = 1; i < 24; i++) track.append(h('i', { class: 'tl-tick', style: `left:${i / 24 * 100}%` }));
      for (const it of tl.items.filter(i => i.camera === cam.name)) {
        const s = Date.parse(it.start), e = it.end ? Date.parse(it.end) : s;
        const local = new Date(s);
        const mark = h('button', {
          class: `tl-mark ${it.type}`, title: `${fmtClock(s)} ${it.type}: ${it.label}`,
          style: `left:${pct(s)};width:max(6px, calc(${pct(e)} - ${pct(s)}))`,
          dataset: { type: it.type, id: it.id ?? '', minute: `${String(local.getHours()).padStart(2, '0')}:${String(local.getMinutes()).padStart(2, '0')}` },
          onclick: ev => { ev.stopPropagation(); show(it, cam); },
        });
        track.append(mark);
      }
      if (cam.hls) track.addEventListener('click', ev => {
        const r = track.getBoundingClientRect();
        show({ type: 'recording', camera: cam.name, start: new Date(start + (ev.clientX - r.left) / r.width * span).toISOString(), label: 'recording' }, cam);
      });
      const links = h('div', { class: 'tl-links' },
        cam.timelapse ? h('a', { href: cam.timelapse, class: 'tl-timelapse', onclick: ev => { ev.preventDefault(); showVideo(cam.timelapse, `${cam.title}: timelapse of ${tl.date}`); } }, 'timelapse') : null,
        cam.hls ? h('a', { href: cam.hls, target: '_blank', rel: 'noopener', class: 'tl-hls' }, 'recording') : null);
      lanes.append(h('div', { class: 'tl-lane' }, h('div', { class: 'tl-name' }, h('a', { href: `#/camera/${encodeURIComponent(cam.name)}` }, cam.title), links), track));
    }
  }

  function clear() { player?.dispose?.(); player = null; detail.replaceChildren(); }
  function showVideo(src, title) {
    clear();
    detail.append(h('div', { class: 'bar' }, h('b', {}, title)), h('video', { src, controls: true, autoplay: true, muted: true, playsInline: true }));
  }
  function show(it, cam) {
    clear();
    const when = fmtClock(Date.parse(it.start));
    const head = h('div', { class: 'bar' }, h('b', {}, `${cam.title} · ${when}`), h('span', { class: 'pill' }, it.type), h('span', { class: 'muted' }, it.label));
    detail.append(head);
    const f = it.files ?? {};
    if ((it.type === 'motion' || it.type === 'file') && f.frames_index) detail.append(player = framePlayer({ id: it.id, camera: it.camera, files: f }));
    else if (f.mp4) detail.append(h('video', { src: f.mp4.path, controls: true, autoplay: true, muted: true, loop: true, playsInline: true }));
    else if (f.gif ?? f.snapshot) detail.append(h('img', { src: (f.gif ?? f.snapshot).path, alt: it.label }));
    if (cam.hls) {
      // the day's recording (HLS VOD with EXT-X-PROGRAM-DATE-TIME per segment: Safari, VLC, Home Assistant's player
      // seek by wall-clock time); the media-fragment offset counts from the playlist's first segment
      const first = Date.parse(cam.hls_start ?? it.start);
      const offset = Math.max(0, Math.round((Date.parse(it.start) - first) / 1000));
      detail.append(h('p', {}, h('a', { href: `${cam.hls}#t=${offset}`, target: '_blank', rel: 'noopener', id: 'tl-play-recording' }, `Play the recording at ${when}`)));
    }
  }

  load();
  return () => { disposed = true; unsubscribe(); clear(); };
}
