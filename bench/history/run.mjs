// History on vs off: the same fan-out, to the same channel name, against two Switchboard processes
// that differ only in one history rule — measured alternately in one run so the machine's state
// affects both alike. Reuses bench/fanout's load generator (raw-socket WebSocket clients), publisher
// and server starter. Usage: node bench/history/run.mjs [--runs 3] [--subscribers 2000] [--out DIR]

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PEERS, startPeer, REPO_DIR } from '../fanout/lib/peers.mjs';
import { forkHelper, cpuMsOf, rssOf, sleep } from '../fanout/lib/proc.mjs';
import { nowUs } from '../fanout/lib/raw-ws.mjs';
import { newHistogram, addSparse, percentileMs } from '../fanout/lib/histogram.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FANOUT = path.join(here, '..', 'fanout');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const RUNS = Number(arg('runs', 3));
const SUBSCRIBERS = Number(arg('subscribers', 2000));
const OUT = arg('out', here);
const CFG = { warmupMs: 2000, measureMs: 6000, concurrency: 16, dataSize: 100, maxEvents: 1000 };
const CHANNEL = 'feed0'; // the publisher's saturate mode names channels prefix + index

const MAIN = path.join(REPO_DIR, 'dist', 'src', 'cli', 'main.js');
function peer(history) {
  const app = { id: 'app-id', key: 'app-key', secret: 'app-secret', ...(history ? { history: [{ pattern: 'feed*', maxEvents: CFG.maxEvents, ttlSeconds: 3600 }] } : {}) };
  return {
    kind: 'pusher',
    available: () => fs.existsSync(MAIN),
    command: (port) => ({
      args: [MAIN, 'start', '--port', String(port)],
      cwd: REPO_DIR,
      env: { SWITCHBOARD_APPS: JSON.stringify([app]), SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_ADMIN__ENABLED: 'false' },
    }),
  };
}
PEERS['history-on'] = peer(true);
PEERS['history-off'] = peer(false);

const loads = [forkHelper(path.join(FANOUT, 'load.mjs')), forkHelper(path.join(FANOUT, 'load.mjs'))];
const publisher = forkHelper(path.join(FANOUT, 'publisher.mjs'));
const logDir = fs.mkdtempSync('/tmp/history-bench-');

async function measure(name) {
  const server = await startPeer(name, { core: 0, logFile: path.join(logDir, `${name}.log`) });
  try {
    const per = Math.ceil(SUBSCRIBERS / loads.length);
    await Promise.all(loads.map((l) => l.call('connect', { kind: 'pusher', port: server.port, channels: Array(per).fill(CHANNEL) })));
    const sub = await Promise.all(loads.map((l) => l.call('subscribe')));
    const subscribed = sub.reduce((s, r) => s + r.subscribed, 0);
    await sleep(500);
    const rssBefore = rssOf(server.pid);
    const start = nowUs() + CFG.warmupMs * 1000;
    await Promise.all(loads.map((l) => l.call('window', { start, end: start + CFG.measureMs * 1000 })));
    const cpu0 = cpuMsOf(server.pid);
    const pub = await publisher.call('saturate', {
      kind: 'pusher', port: server.port, channelCount: 1, prefix: 'feed', perRequest: 1, concurrency: CFG.concurrency,
      durationMs: CFG.warmupMs + CFG.measureMs, dataSize: CFG.dataSize,
    });
    const wallMs = (pub.endUs - pub.startUs) / 1000;
    const serverCpu = (cpuMsOf(server.pid) - cpu0) / wallMs;
    await sleep(1500); // let the last deliveries land
    const stats = await Promise.all(loads.map((l) => l.call('stats')));
    const hist = newHistogram();
    for (const s of stats) addSparse(hist, s.hist);
    const inWindow = stats.reduce((s, r) => s + r.inWindow, 0);
    const total = stats.reduce((s, r) => s + r.total, 0);
    const result = {
      server: name,
      subscribers: subscribed,
      published: pub.ok,
      publishedPerSec: Math.round(pub.ok / (wallMs / 1000)),
      deliveriesPerSec: Math.round(inWindow / (CFG.measureMs / 1000)),
      deliveredFraction: Number((total / (pub.ok * subscribed)).toFixed(4)),
      p50ms: percentileMs(hist, 50),
      p99ms: percentileMs(hist, 99),
      serverCpu: Number(serverCpu.toFixed(2)),
      rssBeforeMiB: Number((rssBefore / 2 ** 20).toFixed(1)),
      rssAfterMiB: Number((rssOf(server.pid) / 2 ** 20).toFixed(1)),
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await Promise.all(loads.map((l) => l.call('close')));
    await server.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = [];
try {
  for (let i = 0; i < RUNS; i++) {
    // Alternate which goes first so warm-up and drift do not favour one side.
    const order = i % 2 === 0 ? ['history-on', 'history-off'] : ['history-off', 'history-on'];
    for (const name of order) runs.push(await measure(name));
  }
} finally {
  for (const h of [...loads, publisher]) h.child.kill();
}

const side = (name) => runs.filter((r) => r.server === name);
const summary = {};
for (const name of ['history-on', 'history-off']) {
  const rs = side(name);
  summary[name] = Object.fromEntries(['publishedPerSec', 'deliveriesPerSec', 'p50ms', 'p99ms', 'serverCpu', 'rssAfterMiB', 'deliveredFraction'].map((k) => [k, median(rs.map((r) => r[k]))]));
}
const cost = 1 - summary['history-on'].deliveriesPerSec / summary['history-off'].deliveriesPerSec;
const meta = { date: new Date().toISOString(), node: process.version, runs: RUNS, subscribers: SUBSCRIBERS, ...CFG, channel: CHANNEL, costOfHistory: Number(cost.toFixed(4)) };
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ meta, summary, runs }, null, 2) + '\n');
const row = (name) => {
  const s = summary[name];
  return `| ${name} | ${s.publishedPerSec} | ${s.deliveriesPerSec} | ${s.p50ms} | ${s.p99ms} | ${s.serverCpu} | ${s.rssAfterMiB} | ${s.deliveredFraction} |`;
};
fs.writeFileSync(
  path.join(OUT, 'results.md'),
  `# History on vs off (${meta.date})\n\n${SUBSCRIBERS} raw WebSocket subscribers on one channel \`${CHANNEL}\`, ${CFG.concurrency} publishes in flight (saturated), ` +
    `${CFG.dataSize}-byte events, ${CFG.measureMs / 1000} s windows after ${CFG.warmupMs / 1000} s warm-up, median of ${RUNS} alternating runs; ` +
    `history rule \`feed*\` keeping ${CFG.maxEvents} events on the "on" server, none on the "off" one. Node ${process.version}, server pinned to core 0.\n\n` +
    `| server | publishes/s | deliveries/s | p50 ms | p99 ms | server CPU | RSS after MiB | delivered |\n|---|---|---|---|---|---|---|---|\n${row('history-on')}\n${row('history-off')}\n\n` +
    `**Cost of history: ${(cost * 100).toFixed(1)} % of fan-out throughput** (target < 15 %).\n`,
);
console.log(`cost of history: ${(cost * 100).toFixed(1)} %`);
