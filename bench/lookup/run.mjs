#!/usr/bin/env node
// Benchmark: 1,000 names over 5 fake WHOIS registries on loopback, each answering after 50 ms.
// Compares checkDomains' total time with the lower bound implied by the per-server cap, and runs the same
// batch through Debian's `whois` client (sequentially, and as a pool of parallel processes) as the peer.
//
//   npm run build && node bench/lookup/run.mjs [--names 1000] [--latency 50] [--caps 2,4,8] [--runs 3] [--peer-seq 200] [--peer-pool 20]
import { fork, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { checkDomains } from '../../dist/src/lookup/index.js';

const { values } = parseArgs({
  options: {
    names: { type: 'string', default: '1000' },
    latency: { type: 'string', default: '50' },
    caps: { type: 'string', default: '2,4,8' },
    servers: { type: 'string', default: '5' },
    'peer-seq': { type: 'string', default: '200' },
    'peer-pool': { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
  },
});
const N = Number(values.names);
const LATENCY = Number(values.latency);
const SERVERS = Number(values.servers);
const TLDS = Array.from({ length: SERVERS }, (_, i) => `t${i}`);

const child = fork(new URL('./fake-registries.mjs', import.meta.url), [String(LATENCY), String(SERVERS)]);
const ask = (msg) =>
  new Promise((resolve) => {
    child.once('message', resolve);
    if (msg) child.send(msg);
  });
const { ports } = await ask(null);
const servers = TLDS.map((tld, i) => ({ tld, port: ports[i] }));
const reset = () => child.send('reset');
const peak = async () => Math.max(...(await ask('stats')).peaks);

const names = Array.from({ length: N }, (_, i) => `${i % 3 === 0 ? 'taken' : 'free'}${i}.${TLDS[i % SERVERS]}`);
const map = Object.fromEntries(servers.map((s) => [s.tld, { whois: { host: '127.0.0.1', port: s.port, notFound: ['^No match for "{name}"'] }, methods: ['whois'] }]));
const rows = [];

/** One WHOIS exchange on a bare socket: the floor this machine's loopback and timers allow. */
function rawQuery(port, q) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port }, () => sock.write(`${q}\r\n`));
    let out = '';
    sock.on('data', (b) => (out += b));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

async function library(cap) {
  const t0 = performance.now();
  const res = await checkDomains(names, { shippedData: false, servers: map, concurrency: 256, limits: { whois: { concurrency: cap, spacingMs: 0 } }, deadlineMs: 120_000 });
  return { ms: performance.now() - t0, wrong: res.filter((r, i) => r.status !== (i % 3 === 0 ? 0 : 1)).length };
}

async function floor(cap) {
  // `cap` workers per server, each taking that server's names in turn: no scheduler, no parsing.
  const t0 = performance.now();
  await Promise.all(servers.flatMap((s, si) => {
    const mine = names.filter((_, i) => i % SERVERS === si);
    let next = 0;
    return Array.from({ length: cap }, async () => {
      while (next < mine.length) await rawQuery(s.port, mine[next++]);
    });
  }));
  return { ms: performance.now() - t0, wrong: 0 };
}

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await library(4); // warm-up: JIT, first connections

for (const cap of values.caps.split(',').map(Number)) {
  const perServer = Math.ceil(N / SERVERS);
  const bound = Math.ceil(perServer / cap) * LATENCY;
  for (const [label, fn] of [[`bare sockets, ${cap} per server (floor)`, floor], [`checkDomains, per-server cap ${cap}`, library]]) {
    const runs = [];
    let wrong = 0;
    reset();
    for (let k = 0; k < Number(values.runs); k++) {
      const r = await fn(cap);
      runs.push(r.ms);
      wrong += r.wrong;
    }
    rows.push({ tool: `${label} — median of ${runs.length}`, ms: median(runs), bound, peak: await peak(), wrong });
  }
}

const whoisBin = spawnSync('which', ['whois'], { encoding: 'utf8' }).stdout.trim();
function runWhois(name) {
  const s = servers[TLDS.indexOf(name.split('.').pop())];
  return new Promise((resolve) => {
    const p = spawn(whoisBin, ['-h', '127.0.0.1', '-p', String(s.port), name]);
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.on('close', () => resolve(out));
  });
}
function peerCorrect(out, name) {
  return name.startsWith('taken') ? /Registrar:/.test(out) : /No match for/.test(out);
}

if (whoisBin) {
  // Sequential, the way a page usually shells out to whois; measured on a slice and reported per name.
  const slice = names.slice(0, Number(values['peer-seq']));
  reset();
  let wrong = 0;
  const t0 = performance.now();
  for (const n of slice) if (!peerCorrect(await runWhois(n), n)) wrong++;
  const ms = performance.now() - t0;
  rows.push({ tool: `Debian whois, sequential (${slice.length} names, ×${N / slice.length} extrapolated)`, ms: (ms * N) / slice.length, bound: NaN, peak: await peak(), wrong });

  // A pool of parallel processes: fastest a shell script gets, but with no per-server cap at all.
  const pool = Number(values['peer-pool']);
  reset();
  wrong = 0;
  let next = 0;
  const t1 = performance.now();
  await Promise.all(Array.from({ length: pool }, async () => {
    while (next < names.length) {
      const n = names[next++];
      if (!peerCorrect(await runWhois(n), n)) wrong++;
    }
  }));
  rows.push({ tool: `Debian whois, ${pool} processes in parallel (xargs -P ${pool} style)`, ms: performance.now() - t1, bound: NaN, peak: await peak(), wrong });
} else {
  console.error('whois client not found (apt-get install -y whois); peer rows skipped');
}

console.log(`\n${N} names, ${SERVERS} servers, ${LATENCY} ms latency per answer, node ${process.version}\n`);
console.log('| tool | total ms | lower bound ms | ratio | peak conns/server | wrong answers |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const ratio = Number.isNaN(r.bound) ? '–' : (r.ms / r.bound).toFixed(3);
  console.log(`| ${r.tool} | ${Math.round(r.ms)} | ${Number.isNaN(r.bound) ? '–' : r.bound} | ${ratio} | ${r.peak} | ${r.wrong} |`);
}
child.send('exit');
