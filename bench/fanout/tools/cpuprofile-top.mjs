#!/usr/bin/env node
// Summarise V8 .cpuprofile files (from `node --cpu-prof`): self time per function and per file/package.
// Usage: node tools/cpuprofile-top.mjs PROFILE.cpuprofile [more…] [--top 30]

import fs from 'node:fs';

const argv = process.argv.slice(2);
const topAt = argv.indexOf('--top');
const TOP = topAt === -1 ? 30 : Number(argv[topAt + 1]);
const files = argv.filter((a, i) => !a.startsWith('--') && i !== topAt + 1);

function where(cf) {
  const url = cf.url || '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 13).split('/').slice(0, url.slice(nm + 13).startsWith('@') ? 2 : 1).join('/');
  if (url.startsWith('node:')) return url;
  if (url === '') return `(${cf.functionName || 'native'})`;
  return url.replace(/^file:\/\//, '').replace(/.*\/(dist|src)\//, '$1/');
}

for (const file of files) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] || 0;
    const n = byId.get(prof.samples[i]);
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'}  ${where(cf)}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) || 0) + dt);
    total += dt;
  }
  const byFile = new Map();
  for (const [key, t] of self) {
    const f = key.split('  ')[1].replace(/:\d+$/, '');
    byFile.set(f, (byFile.get(f) || 0) + t);
  }
  const pct = (t) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
  console.log(`# ${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  console.log('## self time by function');
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(t)}  ${k}`);
  console.log('## self time by file / package');
  for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(t)}  ${k}`);
}
