// Runs the function nodes of addon/examples/node-red-doorbell.json the way Node-RED runs them (tests only):
// each node's `func` body as a function of (msg, node, flow, context), with one flow context for the whole run,
// `return null` meaning "no message". The mqtt in/out and http request nodes are the caller's part: it sends the
// messages an mqtt in node or the http request node would deliver, one JSON line each on stdin:
//   {"node": "<function node name>", "msg": {...}}      (msg.payloadBase64 becomes a Buffer msg.payload)
// and reads one JSON line per input on stdout: {"out": <msg or null>, "warnings": [...]}.
'use strict';
const fs = require('fs');
const readline = require('readline');

const flowFile = process.argv[2];
const nodes = JSON.parse(fs.readFileSync(flowFile, 'utf8'));
const functions = new Map(nodes.filter(n => n.type === 'function').map(n => [n.name, n]));
const flowStore = new Map();
const flow = { get: k => flowStore.get(k), set: (k, v) => { if (v === undefined) flowStore.delete(k); else flowStore.set(k, v); } };
const compiled = new Map();

function run(name, msg) {
  const def = functions.get(name);
  if (!def) throw new Error('no function node named ' + name);
  if (!compiled.has(name)) compiled.set(name, new Function('msg', 'node', 'flow', 'context', 'env', 'Buffer', def.func));
  const warnings = [];
  const node = { warn: w => warnings.push(String(w)), error: e => warnings.push('error: ' + e), log: () => {}, status: () => {} };
  const out = compiled.get(name)(msg, node, flow, { flow }, { get: () => undefined }, Buffer);
  if (out && Buffer.isBuffer(out.payload)) { out.payloadBytes = out.payload.length; delete out.payload; }
  return { out: out ?? null, warnings, pending: Object.keys(flow.get('lookback_pending') || {}) };
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', line => {
  if (!line.trim()) return;
  const req = JSON.parse(line);
  const msg = req.msg;
  if (msg.payloadBase64 !== undefined) { msg.payload = Buffer.from(msg.payloadBase64, 'base64'); delete msg.payloadBase64; }
  let answer;
  try { answer = run(req.node, msg); } catch (e) { answer = { exception: String(e && e.stack || e) }; }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
