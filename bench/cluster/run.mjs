#!/usr/bin/env node
// Scale-out benchmark: the same fan-out load against one node on the local adapter, one node on the
// Redis adapter and two nodes on the Redis adapter, interleaved in one run so the machine's state is
// the same for all three. Reuses the raw-socket load generator and publisher of bench/fanout.
//
//   node bench/cluster/run.mjs [--runs 3] [--subscribers 4000] [--events 300] [--rate 100]
//                              [--load-procs 4] [--quick] [--out bench/cluster/results.json]
//
// Per configuration and run:
//   burst   `events` publishes to node A's HTTP API as fast as 10 keep-alive connections allow, to
//           `subscribers` connections on one channel (spread evenly over the nodes): deliveries/s is
//           subscribers × events / (last delivery − first publish).
//   steady  `rate` publishes/s for a few seconds: publish→receive p50/p99 at a load every setup
//           can carry, measured from the timestamp each event carries.
// Needs `npm run build` first and redis-server on PATH (a private one is started on a free port).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkHelper, foreignCpuMs, freePort, sleep, waitForPort } from '../fanout/lib/proc.mjs';
import { newHistogram, addSparse, percentileMs } from '../fanout/lib/histogram.mjs';
import { nowUs } from '../fanout/lib/raw-ws.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '..', '..');
const MAIN = path.join(REPO, 'dist', 'src', 'cli', 'main.js');
const FANOUT = path.resolve(here, '..', 'fanout');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? def : argv[i + 1];
};
const quick = argv.includes('--quick');
const RUNS = Number(opt('runs', quick ? 1 : 3));
const SUBSCRIBERS = Number(opt('subscribers', quick ? 2000 : 4000));
const EVENTS = Number(opt('events', quick ? 100 : 300));
const RATE = Number(opt('rate', 100));
const STEADY_MS = quick ? 2000 : 4000;
const LOAD_PROCS = Number(opt('load-procs', 4));
const OUT = path.resolve(opt('out', path.join(here, 'results.json')));
const CHANNEL = 'bench';
const DATA_SIZE = 64;

const CONFIGS = [
  { name: 'local, 1 node', adapter: 'local', nodes: 1 },
  { name: 'redis, 1 node', adapter: 'redis', nodes: 1 },
  { name: 'redis, 2 nodes', adapter: 'redis', nodes: 2 },
];

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

if (!fs.existsSync(MAIN)) {
  console.error('run `npm run build` first');
  process.exit(1);
}

// ------------------------------------------------------------------ processes
async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPort(port);
  return { port, url: `redis://127.0.0.1:${port}`, child };
}

async function startNode(adapter, redisUrl, prefix) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    SWITCHBOARD_LOG_LEVEL: 'warn',
    SWITCHBOARD_ADMIN__ENABLED: 'false',
    SWITCHBOARD_REDIS__PREFIX: prefix,
    SWITCHBOARD_MAX_BUFFERED_BYTES: String(64 * 1024 * 1024),
  };
  const child = spawn(process.execPath, [MAIN, 'start', '--port', String(port), '--adapter', adapter, '--redis-url', redisUrl], { cwd: REPO, env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return { port, child };
}

async function stopNode(node) {
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
}

// ------------------------------------------------------------------ one measurement
async function loadStats(loads) {
  return Promise.all(loads.map((l) => l.call('stats')));
}

async function waitDeliveries(loads, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await loadStats(loads);
    const total = stats.reduce((s, r) => s + r.total, 0);
    if (total >= expected || Date.now() > deadline) return stats;
    await sleep(50);
  }
}

function latency(stats) {
  const hist = newHistogram();
  for (const s of stats) addSparse(hist, s.hist);
  return { p50: percentileMs(hist, 0.5), p99: percentileMs(hist, 0.99) };
}

async function measure(config, run, redis, loads, publisher) {
  const prefix = `bench${run}-${config.adapter}${config.nodes}:`;
  const nodes = [];
  for (let i = 0; i < config.nodes; i++) nodes.push(await startNode(config.adapter, redis.url, prefix));
  // Other people's processes share the two cores: record how much CPU they took meanwhile.
  const ours = new Set([process.pid, redis.child.pid, publisher.child.pid, ...loads.map((l) => l.child.pid), ...nodes.map((n) => n.child.pid)]);
  const othersBefore = foreignCpuMs(ours);
  const startedAt = Date.now();
  try {
    // Load processes are dealt round-robin to the nodes, so subscribers split evenly.
    const per = Math.ceil(SUBSCRIBERS / loads.length);
    const connected = await Promise.all(
      loads.map((l, i) => l.call('connect', { kind: 'pusher', port: nodes[i % nodes.length].port, channels: Array(Math.min(per, SUBSCRIBERS - i * per)).fill(CHANNEL) })),
    );
    const subscribed = await Promise.all(loads.map((l) => l.call('subscribe')));
    const subs = subscribed.reduce((s, r) => s + r.subscribed, 0);
    if (subs < SUBSCRIBERS) log(`  only ${subs}/${SUBSCRIBERS} subscribed`, connected.flatMap((c) => c.errorSamples).slice(0, 3));
    await sleep(500); // let the subscription counts and Redis SUBSCRIBEs settle

    // Burst: throughput.
    await Promise.all(loads.map((l) => l.call('window', { start: 0, end: Infinity })));
    const burst = await publisher.call('burst', { kind: 'pusher', port: nodes[0].port, channel: CHANNEL, events: EVENTS, concurrency: 10, dataSize: DATA_SIZE });
    const expected = subs * burst.ok;
    const stats = await waitDeliveries(loads, expected, 60_000);
    const delivered = stats.reduce((s, r) => s + r.total, 0);
    const lastUs = Math.max(...stats.map((s) => s.lastUs));
    const seconds = (lastUs - burst.startUs) / 1e6;
    const burstResult = { published: burst.ok, failed: burst.failed, delivered, expected, seconds, deliveriesPerSec: Math.round(delivered / seconds), ...latency(stats) };

    // Steady: latency at a rate every configuration carries.
    await sleep(300);
    const start = nowUs() + 500_000;
    await Promise.all(loads.map((l) => l.call('window', { start, end: start + (STEADY_MS - 500) * 1000 })));
    const steady = await publisher.call('steady', { kind: 'pusher', port: nodes[0].port, channel: CHANNEL, eventsPerSec: RATE, durationMs: STEADY_MS, dataSize: DATA_SIZE, maxInFlight: 64 });
    const steadyStats = await waitDeliveries(loads, subs * steady.ok, 30_000);
    const inWindow = steadyStats.reduce((s, r) => s + r.inWindow, 0);
    const steadyResult = { published: steady.ok, dropped: steady.dropped, deliveriesInWindow: inWindow, ...latency(steadyStats) };

    await Promise.all(loads.map((l) => l.call('close')));
    const othersCpuPercent = Math.round(((foreignCpuMs(ours) - othersBefore) / (Date.now() - startedAt)) * 100);
    return { config: config.name, run, subscribers: subs, othersCpuPercent, burst: burstResult, steady: steadyResult };
  } finally {
    await Promise.all(nodes.map(stopNode));
  }
}

// ------------------------------------------------------------------ main
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};

async function main() {
  const redis = await startRedis();
  const loads = Array.from({ length: LOAD_PROCS }, () => forkHelper(path.join(FANOUT, 'load.mjs')));
  const publisher = forkHelper(path.join(FANOUT, 'publisher.mjs'));
  const results = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const config of CONFIGS) {
        log(`run ${run}/${RUNS}: ${config.name}`);
        const r = await measure(config, run, redis, loads, publisher);
        log(`  burst ${r.burst.deliveriesPerSec.toLocaleString()} deliveries/s (p99 ${r.burst.p99} ms); steady ${RATE}/s p50 ${r.steady.p50} ms p99 ${r.steady.p99} ms; others used ${r.othersCpuPercent}% of a core`);
        results.push(r);
      }
    }
  } finally {
    for (const h of [...loads, publisher]) h.child.kill();
    redis.child.kill('SIGKILL');
  }

  const summary = CONFIGS.map((c) => {
    const rs = results.filter((r) => r.config === c.name);
    return {
      config: c.name,
      deliveriesPerSec: median(rs.map((r) => r.burst.deliveriesPerSec)),
      burstP99Ms: median(rs.map((r) => r.burst.p99)),
      steadyP50Ms: median(rs.map((r) => r.steady.p50)),
      steadyP99Ms: median(rs.map((r) => r.steady.p99)),
      othersCpuPercent: median(rs.map((r) => r.othersCpuPercent)),
    };
  });
  const [local, redis1, redis2] = summary;
  const verdict = {
    redisCostPercent: Math.round((1 - redis1.deliveriesPerSec / local.deliveriesPerSec) * 1000) / 10,
    redisCostUnder25Percent: redis1.deliveriesPerSec > 0.75 * local.deliveriesPerSec,
    twoNodesOverOne: redis2.deliveriesPerSec > redis1.deliveriesPerSec,
  };
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAvgAtEnd: os.loadavg(),
    subscribers: SUBSCRIBERS,
    events: EVENTS,
    steadyRate: RATE,
    runs: RUNS,
    loadProcs: LOAD_PROCS,
  };
  fs.writeFileSync(OUT, `${JSON.stringify({ meta, summary, verdict, results }, null, 2)}\n`);
  console.log(JSON.stringify({ summary, verdict }, null, 2));
  log(`wrote ${path.relative(process.cwd(), OUT)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
