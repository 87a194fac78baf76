// Lookback web UI: hash routes inside index.html (#/, #/camera/<slug>, #/bus/<node>/<slug>, #/events[/<slug>], #/moments[/<slug>], #/timeline[/<all|slug>[/<day>]], #/status, #/discover).
// Plain ES modules, no build step, relative URLs only.
import { cameras, h } from './util.js';
import * as grid from './grid.js';
import * as camera from './camera.js';
import * as buscam from './bus.js';
import * as events from './events.js';
import * as moments from './moments.js';
import * as timeline from './timeline.js';
import * as status from './status.js';
import * as discover from './discover.js';

const view = document.getElementById('view');
const routes = [
  [/^#?\/?$/, 'live', grid],
  [/^#\/camera\/([^/?]+)$/, 'live', camera],
  [/^#\/bus\/([^/?]+)\/([^/?]+)$/, 'live', buscam],
  [/^#\/events(?:\/([^/?]+))?$/, 'events', events],
  [/^#\/moments(?:\/([^/?]+))?$/, 'moments', moments],
  [/^#\/timeline(?:\/([^/?]+))?(?:\/([^/?]+))?$/, 'timeline', timeline],
  [/^#\/status$/, 'status', status],
  [/^#\/discover$/, 'discover', discover],
];
let unmount = null;

function route() {
  const hash = location.hash || '#/';
  try { unmount?.(); } catch (e) { console.error(e); }
  unmount = null;
  view.replaceChildren();
  window.scrollTo(0, 0);
  for (const [re, nav, mod] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === nav);
    document.body.dataset.view = mod.name;
    unmount = mod.mount(view, ...m.slice(1).map(p => p && decodeURIComponent(p)));
    return;
  }
  view.append(h('p', { class: 'empty muted' }, 'Nothing here. ', h('a', { href: '#/' }, 'Back to the cameras')));
}

window.addEventListener('hashchange', route);
route();

// Header summary: how many cameras are online.
const summary = document.getElementById('summary');
cameras.subscribe((list, err) => {
  if (err && !list) {
    // 401: http.api_token is set and this browser has no session yet (the server's text says to open /?token=…)
    summary.textContent = err.status === 401 ? err.message : 'Lookback is not answering';
    summary.classList.add('error-text');
    return;
  }
  summary.classList.toggle('error-text', !!err);
  const online = list.filter(c => c.status === 'online').length;
  summary.textContent = err ? 'connection lost, retrying…' : `${online}/${list.length} camera${list.length === 1 ? '' : 's'} online`;
});
