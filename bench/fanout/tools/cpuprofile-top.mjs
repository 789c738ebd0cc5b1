#!/usr/bin/env node
// Summarise V8 .cpuprofile files (from `node --cpu-prof`): self time per function and per file/package.
// Usage: node tools/cpuprofile-top.mjs PROFILE.cpuprofile [more…] [--top 30] [--busiest SECONDS]
//   --busiest S: only the S-second span of the profile with the least idle time (the measured load,
//                without start-up, connection set-up and teardown)
//   --inclusive: also list total time per function (itself and everything it called)

import fs from 'node:fs';

const argv = process.argv.slice(2);
const topAt = argv.indexOf('--top');
const TOP = topAt === -1 ? 30 : Number(argv[topAt + 1]);
const busiestAt = argv.indexOf('--busiest');
const BUSIEST_US = busiestAt === -1 ? 0 : Number(argv[busiestAt + 1]) * 1e6;
const INCLUSIVE = argv.includes('--inclusive');
const files = argv.filter((a, i) => !a.startsWith('--') && i !== topAt + 1 && i !== busiestAt + 1);

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
  const parentOf = new Map();
  for (const n of prof.nodes) for (const c of n.children || []) parentOf.set(c, n);
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  let from = 0;
  let to = prof.samples.length;
  if (BUSIEST_US > 0) {
    // Sliding window over sample times: keep the span with the most non-idle time.
    const t = [];
    let acc = 0;
    for (let i = 0; i < prof.samples.length; i++) t.push((acc += prof.timeDeltas[i] || 0));
    const busy = prof.samples.map((id, i) => (byId.get(id).callFrame.functionName === '(idle)' ? 0 : prof.timeDeltas[i] || 0));
    let best = -1;
    let lo = 0;
    let sum = 0;
    for (let hi = 0; hi < t.length; hi++) {
      sum += busy[hi];
      while (t[hi] - t[lo] > BUSIEST_US) sum -= busy[lo++];
      if (sum > best) {
        best = sum;
        from = lo;
        to = hi + 1;
      }
    }
  }
  for (let i = from; i < to; i++) {
    const dt = prof.timeDeltas[i] || 0;
    const n = byId.get(prof.samples[i]);
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'}  ${where(cf)}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) || 0) + dt);
    total += dt;
    if (INCLUSIVE) {
      const seen = new Set();
      for (let p = n; p; p = parentOf.get(p.id)) {
        const k = `${p.callFrame.functionName || '(anonymous)'}  ${where(p.callFrame)}:${p.callFrame.lineNumber + 1}`;
        if (seen.has(k)) continue;
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) || 0) + dt);
      }
    }
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
  if (INCLUSIVE) {
    console.log('## total time by function (itself and its callees)');
    for (const [k, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(t)}  ${k}`);
  }
  console.log('## self time by file / package');
  for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(t)}  ${k}`);
}
