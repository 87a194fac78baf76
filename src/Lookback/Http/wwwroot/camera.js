// Camera page: live picture, replay of the ring buffer frame by frame (mouse wheel, ←/→, scrubber) or in real
// time (play/pause at the frames' own pace), and snapshot / GIF / moment captures.
import {
  ApiError, ICONS, api, badge, camPath, cameras, captureControls, errorText, fmtAgo, fmtBytes, fmtClock, fmtNum, fmtSeconds, h, icon,
  playLive, relativeMedia, warningList, wheelSteps,
} from './util.js';

export const name = 'camera';

const CACHE_MAX = 200;      // decoded-on-demand JPEG blobs kept (object URLs)
const PARALLEL = 4;         // frame downloads in flight
const PREFETCH = 8;         // frames fetched ahead in the direction of travel
const POLL_MS = 2000;       // frame list refresh while the page is open

export function mount(root, slug) {
  // ---------- DOM ----------
  const liveImg = h('img', { class: 'live', alt: 'live', draggable: false });
  const replayImg = h('img', { class: 'replay', alt: 'replay', draggable: false });
  const pill = h('span', { class: 'pill live' }, 'LIVE');
  const when = h('span', { class: 'when mono' }, '');
  // a camera with no picture (offline before its first frame) says so instead of a black LIVE view
  const noSignal = h('div', { class: 'nosignal', id: 'no-signal' }, h('div', {}, h('b', {}, 'No picture'), h('span', { class: 'why' }, '')));
  const viewer = h('div', { class: 'viewer', id: 'viewer', tabindex: 0, dataset: { mode: 'live' } },
    liveImg, replayImg, noSignal, h('div', { class: 'hud' }, pill, when), h('div', { class: 'spinner' }),
    h('div', { class: 'hint' }, 'Scroll to step back in time · ←/→ · Space plays'));
  const btn = (title, ic, onclick, extra = {}) => h('button', { class: 'icon', title, 'aria-label': title, onclick, ...extra }, icon(ic));
  const playBtn = btn('Play the buffer at its real pace (Space)', ICONS.play, () => (S.playing ? pause() : play()), { id: 'play' });
  const liveBtn = h('button', { id: 'live', class: 'on', title: 'Back to live (End)', onclick: () => goLive() }, icon(ICONS.live), 'Live');
  const speedSel = h('select', { id: 'speed', title: 'Playback speed', onchange: () => setSpeed(+speedSel.value) },
    [0.5, 1, 2, 4, 8].map(s => h('option', { value: s, selected: s === 1 }, `${s}×`)));
  const pos = h('span', { class: 'pos mono', id: 'pos' }, '');
  const canvas = h('canvas');
  const thumb = h('div', { class: 'thumb live' });
  const endL = h('span'), endR = h('span');
  const scrubber = h('div', { class: 'scrubber', id: 'scrubber', title: 'Click or drag to jump' }, canvas, thumb, h('div', { class: 'ends' }, endL, endR));
  const transport = h('div', { class: 'transport' },
    btn('Oldest frame (Home)', ICONS.first, () => jump(0)),
    btn('One frame back (←)', ICONS.prev, () => step(-1), { id: 'back' }),
    playBtn,
    btn('One frame forward (→)', ICONS.next, () => step(1), { id: 'fwd' }),
    speedSel, h('span', { class: 'grow' }), pos, liveBtn);

  const title = h('h1', {}, slug);
  const headBadge = h('span', { class: 'badge' });
  const info = h('dl', { class: 'kv' });
  const results = h('div', { class: 'results', id: 'results' });
  // the limits are the API's (api/limits): stated once, in RenderLimits
  const { actions, gifSeconds, before, after } = captureControls(kind => capture(kind));
  api('api/limits').then(l => { before.max = l.moment_before_max; after.max = l.moment_after_max; }).catch(() => {});

  root.append(
    h('div', { class: 'cam-head' }, h('a', { class: 'back', href: '#/', title: 'All cameras' }, '‹'), title, headBadge,
      h('span', { class: 'grow' }),
      h('nav', { class: 'cam-links' },
        h('a', { href: `#/events/${encodeURIComponent(slug)}`, id: 'cam-events' }, 'Events of this camera'),
        h('a', { href: `#/moments/${encodeURIComponent(slug)}`, id: 'cam-moments' }, 'Moments'),
        h('a', { href: `#/timeline/${encodeURIComponent(slug)}/today`, id: 'cam-timeline' }, 'Timeline (recordings, timelapse)'))),
    h('div', { class: 'cam-layout' },
      h('section', {}, viewer, transport, scrubber),
      h('aside', {}, h('div', { class: 'panel' }, h('h2', {}, 'Camera'), info),
        h('div', { class: 'panel' }, h('h2', {}, 'Capture'), actions, results))));

  // ---------- state ----------
  const S = { frames: [], idx: -1, live: true, playing: false, speed: 1, camera: null, shownSeq: null };
  const cache = new Map();        // seq -> { promise, url } in LRU order
  let disposed = false, chain = Promise.resolve(), refreshing = null, lastRefresh = 0;
  let playTimer = null, anchor = null, prefetchGen = 0;

  const stopLive = playLive(liveImg, slug);

  // ---------- frame list ----------
  function indexAtOrAfter(seq) {
    let lo = 0, hi = S.frames.length;
    while (lo < hi) { const m = (lo + hi) >>> 1; if (S.frames[m].seq < seq) lo = m + 1; else hi = m; }
    return lo;
  }
  function refreshFrames() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      try {
        const list = await api(camPath(slug, 'frames'));
        if (disposed) return;
        const cur = S.frames[S.idx]?.seq;
        S.frames = list.map(f => ({ seq: f.seq, t: Date.parse(f.time), bytes: f.bytes }));
        if (cur != null) {
          const i = indexAtOrAfter(cur);
          S.idx = Math.min(i, S.frames.length - 1);
          if (!S.live && S.frames[S.idx]?.seq !== cur) show(); // our frame was evicted: show the oldest one left
        }
        const oldest = S.frames[0]?.seq ?? Infinity;
        for (const [seq, e] of cache) if (seq < oldest) drop(seq, e);
        lastRefresh = performance.now();
        draw();
      } catch (e) {
        if (!disposed) pos.textContent = `frame list: ${e.message}`;
      } finally { refreshing = null; }
    })();
    return refreshing;
  }
  const poll = setInterval(() => { if (!document.hidden) refreshFrames(); }, POLL_MS);
  refreshFrames();

  // ---------- frame cache and loader (newest request first) ----------
  const waiting = [];
  let inFlight = 0;
  function pump() {
    while (inFlight < PARALLEL && waiting.length) {
      const job = waiting.shift();
      if (job.gen != null && job.gen !== prefetchGen) { job.reject(new Error('stale')); continue; }
      inFlight++;
      job.started = true;
      job.run().then(job.resolve, job.reject).finally(() => { inFlight--; pump(); });
    }
  }
  function enqueue(run, urgent, gen) {
    const job = { run, gen, started: false };
    const promise = new Promise((resolve, reject) => { job.resolve = resolve; job.reject = reject; });
    if (urgent) waiting.unshift(job); else waiting.push(job);
    pump();
    return { promise, job };
  }
  /** A prefetch that is now wanted on screen: never dropped as stale, and next in line. */
  function promote(job) {
    job.gen = null;
    if (job.started) return;
    const i = waiting.indexOf(job);
    if (i > 0) { waiting.splice(i, 1); waiting.unshift(job); }
  }
  function drop(seq, e) {
    cache.delete(seq);
    if (e.url && seq !== S.shownSeq) URL.revokeObjectURL(e.url);
  }
  function load(seq, urgent = false) {
    let e = cache.get(seq);
    if (e) {
      cache.delete(seq); cache.set(seq, e);          // LRU: most recently wanted last
      if (urgent && e.job) promote(e.job);
      return e.promise;
    }
    e = { url: null };
    const q = enqueue(async () => {
      const r = await fetch(camPath(slug, `frames/${seq}.jpg`));
      if (!r.ok) throw new ApiError(r.status, await errorText(r));
      const url = URL.createObjectURL(await r.blob());
      if (disposed || cache.get(seq) !== e) { URL.revokeObjectURL(url); throw new Error('dropped'); }
      e.url = url;
      draw();
      return url;
    }, urgent, urgent ? null : prefetchGen);
    e.promise = q.promise; e.job = q.job;
    e.promise.then(() => { e.job = null; }, () => { if (cache.get(seq) === e) cache.delete(seq); });
    cache.set(seq, e);
    for (const [s, old] of cache) { if (cache.size <= CACHE_MAX) break; if (s !== seq && s !== S.shownSeq) drop(s, old); }
    return e.promise;
  }
  function prefetch(dir) {
    prefetchGen++;
    const ahead = S.playing ? Math.max(PREFETCH, Math.ceil(S.speed * 2 * fpsOfRing())) : PREFETCH;
    for (let k = 1; k <= ahead; k++) {
      const f = S.frames[S.idx + k * dir];
      if (!f) break;
      if (!cache.has(f.seq)) load(f.seq).catch(() => {});
    }
  }
  const fpsOfRing = () => {
    const n = S.frames.length;
    return n < 2 ? 1 : (n - 1) / Math.max(0.001, (S.frames[n - 1].t - S.frames[0].t) / 1000);
  };

  // ---------- showing ----------
  let showing = 0;
  async function show(dir = -1) {
    const f = S.frames[S.idx];
    if (!f || S.live) return;
    hud();
    const token = ++showing;
    viewer.classList.add('loading');
    try {
      const url = await load(f.seq, true);
      if (disposed || S.live || S.frames[S.idx]?.seq !== f.seq) return;
      const prev = S.shownSeq;
      replayImg.src = url;
      replayImg.dataset.seq = f.seq;
      replayImg.dataset.time = f.t;
      S.shownSeq = f.seq;
      if (prev != null && prev !== f.seq && !cache.has(prev) && replayImg.dataset.prevUrl) URL.revokeObjectURL(replayImg.dataset.prevUrl);
      replayImg.dataset.prevUrl = url;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) refreshFrames(); // evicted meanwhile: the refresh moves us on
      else if (e.message !== 'stale' && e.message !== 'dropped') pos.textContent = `frame ${f.seq}: ${e.message}`;
    } finally {
      if (token === showing) viewer.classList.remove('loading');
    }
    prefetch(S.playing ? 1 : dir);
  }

  function hud() {
    viewer.dataset.mode = S.live ? 'live' : 'replay';
    viewer.classList.toggle('replaying', !S.live);
    liveBtn.classList.toggle('on', S.live);
    playBtn.replaceChildren(icon(S.playing ? ICONS.pause : ICONS.play));
    playBtn.classList.toggle('on', S.playing);
    playBtn.dataset.state = S.playing ? 'playing' : 'paused';
    const newest = S.frames.at(-1);
    if (S.live) {
      pill.className = 'pill live'; pill.textContent = 'LIVE';
      when.textContent = '';
      pos.textContent = S.frames.length ? `${S.frames.length} frames · ${fmtSeconds((newest.t - S.frames[0].t) / 1000)} buffered` : '';
    } else {
      const f = S.frames[S.idx];
      pill.className = 'pill replay'; pill.textContent = S.playing ? `PLAY ${S.speed}×` : 'REPLAY';
      const behind = newest && f ? (newest.t - f.t) / 1000 : 0;
      when.textContent = f ? `${fmtClock(f.t, true)}  −${behind.toFixed(1)} s` : '';
      pos.textContent = f ? `frame ${S.idx + 1}/${S.frames.length}` : '';
    }
    draw();
  }

  // ---------- scrubber ----------
  function draw() {
    const n = S.frames.length;
    const w = canvas.clientWidth, hgt = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
    if (!w) return;
    if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(hgt * dpr); }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    if (!n) { endL.textContent = ''; endR.textContent = ''; return; }
    const t0 = S.frames[0].t, span = Math.max(1, S.frames[n - 1].t - t0);
    const x = t => (t - t0) / span * (w - 1);
    for (const f of S.frames) {
      const e = cache.get(f.seq);
      g.fillStyle = e?.url ? '#6f8396' : '#3a434f';
      g.fillRect(Math.floor(x(f.t)), 0, 1, hgt);
    }
    const cur = S.live ? null : S.frames[S.idx];
    thumb.style.left = cur ? `${x(cur.t) / w * 100}%` : '100%';
    thumb.classList.toggle('live', S.live);
    endL.textContent = `${fmtClock(t0)}  (−${fmtSeconds(span / 1000)})`;
    endR.textContent = fmtClock(S.frames[n - 1].t);
  }
  const ro = new ResizeObserver(() => draw());
  ro.observe(canvas);

  function seekToClientX(clientX) {
    const r = canvas.getBoundingClientRect(), n = S.frames.length;
    if (!n) return;
    const frac = Math.min(1, Math.max(0, (clientX - r.left) / r.width));
    const t = S.frames[0].t + frac * (S.frames[n - 1].t - S.frames[0].t);
    let i = Math.min(indexAtTime(t), n - 1);
    if (i > 0 && Math.abs(S.frames[i - 1].t - t) < Math.abs(S.frames[i].t - t)) i--;
    jump(i);
  }
  function indexAtTime(t) {
    let lo = 0, hi = S.frames.length;
    while (lo < hi) { const m = (lo + hi) >>> 1; if (S.frames[m].t < t) lo = m + 1; else hi = m; }
    return lo;
  }
  let dragging = false;
  scrubber.addEventListener('pointerdown', e => { dragging = true; scrubber.setPointerCapture(e.pointerId); seekToClientX(e.clientX); });
  scrubber.addEventListener('pointermove', e => { if (dragging) seekToClientX(e.clientX); });
  scrubber.addEventListener('pointerup', () => { dragging = false; });

  // ---------- navigation ----------
  function serial(fn) { chain = chain.then(fn).catch(e => console.error(e)); return chain; }

  function step(n) {
    return serial(async () => {
      if (S.playing) pause();
      viewer.classList.add('used');
      if (S.live) {
        if (n >= 0) return;                       // already live: nothing newer
        await refreshFrames();
        if (!S.frames.length || disposed) return;
        S.live = false;
        S.idx = Math.max(0, S.frames.length - 1 + n);
      } else {
        if (S.idx + n > S.frames.length - 1) {   // past the newest frame we know: newer ones, or live
          await refreshFrames();
          if (S.idx + n > S.frames.length - 1) { goLive(); return; }
        }
        S.idx = Math.max(0, S.idx + n);
      }
      show(Math.sign(n) || -1);
    });
  }

  function jump(i) {
    return serial(async () => {
      if (!S.frames.length) await refreshFrames();
      if (!S.frames.length || disposed) return;
      viewer.classList.add('used');
      const wasPlaying = S.playing;
      S.live = false;
      S.idx = Math.max(0, Math.min(i, S.frames.length - 1));
      if (wasPlaying) anchor = { wall: performance.now(), t: S.frames[S.idx].t };
      show(-1);
    });
  }

  function goLive() {
    if (S.playing) pause();
    S.live = true;
    S.shownSeq = null;
    hud();
  }

  // ---------- real-time playback ----------
  function play() {
    return serial(async () => {
      if (S.playing) return;
      if (S.live) {                               // from live: replay the whole buffer from its oldest frame
        await refreshFrames();
        if (S.frames.length < 2 || disposed) return;
        S.live = false;
        S.idx = 0;
      }
      S.playing = true;
      anchor = { wall: performance.now(), t: S.frames[S.idx].t };
      viewer.classList.add('used');
      show(1);
      tick();
    });
  }
  function pause() {
    S.playing = false;
    clearTimeout(playTimer);
    hud();
  }
  function setSpeed(v) {
    if (S.playing && S.frames[S.idx]) anchor = { wall: performance.now(), t: S.frames[S.idx].t };
    S.speed = v;
    hud();
  }
  function tick() {
    if (!S.playing || disposed) return;
    const target = anchor.t + (performance.now() - anchor.wall) * S.speed;
    const last = S.frames.length - 1;
    let i = Math.max(0, S.idx);
    while (i < last && S.frames[i + 1].t <= target) i++;
    if (i !== S.idx) { S.idx = i; show(1); }
    if (i >= last) {
      // At the newest frame we know: the ring may have more by now; once playback has caught up, go live.
      if (target > S.frames[last].t + 1000 && performance.now() - lastRefresh < 600) { goLive(); return; }
      if (performance.now() - lastRefresh > 500) refreshFrames();
    }
    const next = S.frames[i + 1];
    const delay = next ? Math.min(1000, Math.max(5, (next.t - target) / S.speed)) : 200;
    playTimer = setTimeout(tick, delay);
  }

  // ---------- input ----------
  const wheel = { acc: 0 };
  viewer.addEventListener('wheel', e => {
    e.preventDefault();
    const steps = wheelSteps(e, wheel);
    if (steps) step(steps * (e.shiftKey ? 10 : 1));                          // up (negative) = back in time
  }, { passive: false });
  viewer.addEventListener('mouseenter', () => {                              // likely to scroll: have the newest few ready
    const n = S.frames.length;
    for (let k = 2; k <= Math.min(n, 6); k++) if (!cache.has(S.frames[n - k].seq)) load(S.frames[n - k].seq).catch(() => {});
  });
  viewer.addEventListener('dblclick', () => (S.live ? play() : goLive()));

  function onKey(e) {
    if (e.target.closest?.('input, select, textarea') || e.altKey || e.ctrlKey || e.metaKey) return;
    const big = e.shiftKey ? 10 : 1;
    switch (e.key) {
      case 'ArrowLeft': step(-big); break;
      case 'ArrowRight': step(big); break;
      case ' ': if (e.target.closest?.('button')) return; S.playing ? pause() : play(); break;
      case 'Home': jump(0); break;
      case 'End': case 'Escape': goLive(); break;
      default: return;
    }
    e.preventDefault();
  }
  document.addEventListener('keydown', onKey);

  // ---------- camera info ----------
  const unsubscribe = cameras.subscribe(list => {
    if (!list) return;
    const cam = list.find(c => c.name === slug);
    if (!cam) {
      // no picture, no LIVE pill, no capture buttons: just say so
      stopLive();
      document.title = 'No such camera · Lookback';
      root.replaceChildren(h('div', { class: 'empty', id: 'no-camera' },
        h('h1', {}, 'No such camera'),
        h('p', { class: 'muted' }, `There is no camera '${slug}'. `, h('a', { href: '#/' }, 'Back to the cameras'))));
      return;
    }
    S.camera = cam;
    title.textContent = cam.title;
    document.title = `${cam.title} · Lookback`;
    badge(cam, headBadge);
    const down = cam.status !== 'online' && !cam.buffered_frames;
    viewer.classList.toggle('down', down);
    noSignal.querySelector('.why').textContent = cam.status === 'starting' ? 'Connecting…' : (cam.last_error ?? 'Camera offline');
    const row = (k, v, attrs = {}) => [h('dt', {}, k), h('dd', attrs, v)];
    info.replaceChildren(
      ...row('Status', cam.status),
      ...row('Kind', cam.detected_kind && cam.detected_kind !== cam.kind ? `${cam.kind} (${cam.detected_kind})` : cam.kind),
      ...row('Frame rate', `${fmtNum(cam.fps, 2)} fps`, { dataset: { field: 'fps' } }),
      ...row('Buffered', `${cam.buffered_frames} frames · ${fmtSeconds(cam.buffered_seconds)}`),
      ...row('Last frame', fmtAgo(cam.last_frame_at && Date.parse(cam.last_frame_at))),
      ...row('Motion', cam.motion_enabled ? `on · threshold ${cam.motion_threshold}` : 'off'),
      ...(cam.last_error ? row('Last error', cam.last_error, { class: 'error-text' }) : []),
      // the warnings set for this camera (warnings: in the configuration), raised ones first
      ...(cam.warnings?.length ? row('Warnings', warningList({ warnings: [...cam.warnings].sort((a, b) => b.active - a.active) }, true), { id: 'cam-warnings' }) : []),
      // Live view in Home Assistant: the MJPEG re-stream (MJPEG IP camera) or the camera's stream (go2rtc).
      ...(cam.live && cam.live.mjpeg_url ? row('HA live (MJPEG)', cam.live.mjpeg_url, { class: 'mono', dataset: { field: 'mjpeg_url' } }) : []),
      ...(cam.live && cam.live.stream_url ? row('HA live (go2rtc)', cam.live.stream_url, { class: 'mono', dataset: { field: 'stream_url' } }) : []));
    if (S.live) hud();
  });

  // ---------- captures ----------
  const busy = new Set();
  async function capture(kind) {
    if (busy.has(kind)) return;
    busy.add(kind);
    const button = actions.querySelector(`#do-${kind}`);
    button.disabled = true;
    let url, label;
    if (kind === 'snapshot') { url = camPath(slug, 'snapshot'); label = 'Snapshot'; } // stored: its link stays this picture
    else if (kind === 'gif') { url = camPath(slug, 'gif') + (gifSeconds.value ? `?seconds=${gifSeconds.value}` : ''); label = 'GIF'; }
    else { url = camPath(slug, `moment.mp4?before=${+before.value || 0}&after=${+after.value || 0}`); label = 'Moment'; }
    const headText = h('span', {}, kind === 'moment' && +after.value > 0 ? `${label}: recording the next ${+after.value} s…` : `${label}: rendering…`);
    const meta = h('div', { class: 'meta' }, h('div', { class: 'head' }, headText));
    const card = h('div', { class: 'result pending', dataset: { kind } }, meta);
    results.prepend(card);
    while (results.children.length > 4) { const old = results.lastElementChild; old.querySelector('[src^="blob:"]') && URL.revokeObjectURL(old.querySelector('[src^="blob:"]').src); old.remove(); }
    const t0 = performance.now();
    try {
      const r = await fetch(url, { cache: 'no-store' });
      if (!r.ok) throw new ApiError(r.status, await errorText(r));
      const blob = await r.blob();
      const ms = Math.round(performance.now() - t0);
      if (disposed) return;
      const src = URL.createObjectURL(blob);
      const media = kind === 'moment'
        ? h('video', { src, controls: true, autoplay: true, muted: true, loop: true, playsInline: true })
        : h('img', { src, alt: label });
      const published = r.headers.get('Content-Location');
      const link = relativeMedia(published) ?? url;
      headText.textContent = `${label} · ${fmtBytes(blob.size)}`;
      meta.firstChild.append(h('span', { class: 'num', dataset: { field: 'elapsed' } }, `${ms} ms`));
      meta.append(h('a', { href: link, target: '_blank', rel: 'noopener', title: published ?? url }, published ?? url),
        h('span', { class: 'muted' }, `${fmtClock(Date.now())} · ${r.headers.get('X-Frame-Time') ? 'frame ' + fmtClock(Date.parse(r.headers.get('X-Frame-Time')), true) : 'from the buffer'}`));
      card.prepend(media);
      card.classList.remove('pending');
    } catch (e) {
      card.classList.remove('pending'); card.classList.add('failed');
      headText.textContent = `${label} failed`;
      meta.append(h('span', { class: 'error-text' }, e.message), h('span', { class: 'muted' }, `${Math.round(performance.now() - t0)} ms · ${url}`));
    } finally {
      busy.delete(kind);
      button.disabled = false;
    }
  }

  hud();
  viewer.focus({ preventScroll: true });

  return () => {
    disposed = true;
    clearInterval(poll); clearTimeout(playTimer);
    stopLive(); unsubscribe(); ro.disconnect();
    document.removeEventListener('keydown', onKey);
    for (const [, e] of cache) if (e.url) URL.revokeObjectURL(e.url);
    cache.clear();
    document.title = 'Lookback';
  };
}
