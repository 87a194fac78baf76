// Discover: finds ONVIF cameras (WS-Discovery) and local USB cameras through POST api/discover, shows their URIs
// and a proposed cameras: block for each, with a copy button. Nothing is written: the user pastes the block.
import { api, h } from './util.js';

export const name = 'discover';

export function mount(root) {
  const field = (label, input) => h('label', { class: 'field' }, h('span', {}, label), input);
  const user = h('input', { type: 'text', id: 'discover-user', autocomplete: 'off', placeholder: 'optional' });
  const pass = h('input', { type: 'password', id: 'discover-password', autocomplete: 'new-password', placeholder: 'optional' });
  const wait = h('input', { type: 'number', id: 'discover-timeout', min: '0.5', max: '30', step: '0.5', value: '3' });
  const nic = h('input', { type: 'text', id: 'discover-interface', placeholder: 'default', size: 12 });
  const hosts = h('input', { type: 'text', id: 'discover-hosts', placeholder: 'all (multicast)', size: 18,
    title: 'Camera addresses, comma-separated: asks only these (works where multicast does not reach)' });
  const onvif = h('input', { type: 'checkbox', id: 'discover-onvif', checked: true });
  const usb = h('input', { type: 'checkbox', id: 'discover-usb', checked: true });
  const go = h('button', { class: 'primary', id: 'discover-go', type: 'submit' }, 'Find cameras');
  const state = h('span', { class: 'muted', id: 'discover-state' }, '');
  const problems = h('ul', { class: 'problems error-text', id: 'discover-problems' });
  const list = h('div', { class: 'discover-list', id: 'discover-results' });
  const form = h('form', { class: 'panel discover-form', onsubmit: e => { e.preventDefault(); run(); } },
    field('ONVIF user', user), field('Password', pass), field('Wait (s)', wait), field('Interface', nic), field('Camera addresses', hosts),
    h('label', { class: 'check' }, onvif, ' ONVIF'), h('label', { class: 'check' }, usb, ' USB'), go, state);
  root.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Discover cameras')),
    h('p', { class: 'muted' }, 'Finds ONVIF cameras on this network and USB cameras on this machine, and proposes a ',
      h('code', {}, 'cameras:'), ' block for each. Nothing is saved: copy a block into lookback.yaml (fill in the password).'),
    form, problems, list);
  let disposed = false, timer = null;

  async function run() {
    go.disabled = true; problems.replaceChildren(); list.replaceChildren();
    const started = Date.now();
    const tick = () => { state.textContent = `Searching… ${((Date.now() - started) / 1000).toFixed(0)} s`; };
    tick(); timer = setInterval(tick, 500);
    const body = { timeout: Number(wait.value) || 3, onvif: onvif.checked, usb: usb.checked };
    if (user.value) { body.username = user.value; body.password = pass.value; }
    if (nic.value.trim()) body.interface = nic.value.trim();
    const only = hosts.value.split(/[,\s]+/).filter(Boolean);
    if (only.length) body.hosts = only;
    try {
      const r = await api('api/discover', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (disposed) return;
      state.textContent = `${r.cameras.length} camera${r.cameras.length === 1 ? '' : 's'} in ${r.seconds.toFixed(1)} s`;
      problems.replaceChildren(...r.problems.map(p => h('li', {}, p)));
      if (!r.cameras.length) list.append(h('p', { class: 'empty muted' }, 'No cameras found.'));
      else {
        list.append(...r.cameras.map(card));
        if (r.cameras.length > 1) list.append(block('All cameras', r.yaml, 'discover-all'));
      }
    } catch (e) {
      if (!disposed) state.textContent = `Discovery failed: ${e.message}`;
    } finally {
      clearInterval(timer); go.disabled = false;
    }
  }

  function card(c) {
    const rows = c.streams.map(s => h('tr', {}, h('td', {}, s.profile), h('td', {}, s.width ? `${s.width}×${s.height}` : '–'),
      h('td', {}, s.encoding ?? ''), h('td', { class: 'url' }, s.stream_url ?? ''), h('td', { class: 'url' }, s.snapshot_url ?? '')));
    return h('div', { class: 'panel discover-card', dataset: { slug: c.slug, kind: c.kind } },
      h('h3', {}, `${c.name} `, h('span', { class: 'muted' }, `${c.kind.toUpperCase()} · ${c.address}${c.model ? ' · ' + c.model : ''}`)),
      c.error ? h('div', { class: 'lasterr' }, c.error) : null,
      rows.length ? h('table', { class: 't' }, h('thead', {}, h('tr', {}, h('th', {}, 'Profile'), h('th', {}, 'Size'),
        h('th', {}, 'Codec'), h('th', {}, 'Stream'), h('th', {}, 'Snapshot'))), h('tbody', {}, rows)) : null,
      c.formats.length ? h('p', { class: 'muted' }, `Formats: ${c.formats.join('; ')}`) : null,
      block('Configuration', c.yaml, `discover-yaml-${c.slug}`));
  }

  function block(title, text, id) {
    const pre = h('pre', { class: 'yaml', id }, text);
    const note = h('span', { class: 'muted' }, '');
    const copy = h('button', { type: 'button', class: 'copy', onclick: async () => {
      try { await navigator.clipboard.writeText(text); note.textContent = 'Copied.'; }
      catch {
        // no clipboard API outside https/localhost: select the text for Ctrl+C
        const range = document.createRange(); range.selectNodeContents(pre);
        const sel = getSelection(); sel.removeAllRanges(); sel.addRange(range);
        note.textContent = document.execCommand?.('copy') ? 'Copied.' : 'Selected: press Ctrl+C.';
      }
    } }, 'Copy');
    return h('div', { class: 'yaml-block' }, h('div', { class: 'toolbar' }, h('b', {}, title), copy, note), pre);
  }

  return () => { disposed = true; clearInterval(timer); };
}
