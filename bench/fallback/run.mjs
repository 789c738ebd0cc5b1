// 1,000 concurrent xhr_streaming sessions against one gateway process: memory per session, delivery
// to all of them, and whether memory returns to its baseline after they go. See README.md.
import { fork, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Pusher from 'pusher';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: here },
  },
});
const N = Number(values.sessions);
const ROUNDS = Number(values.rounds);
const CHANNELS = 10;

// Load on core 1, the server on core 0 (as the other benchmarks do), when taskset exists.
const taskset = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)]).status === 0;

function startServer() {
  const child = fork(join(here, 'server.mjs'), [], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (taskset) spawnSync('taskset', ['-a', '-p', '-c', '0', String(child.pid)]);
  let nextId = 1;
  const pending = new Map();
  const ready = new Promise((resolve) => child.once('message', resolve));
  child.on('message', (msg) => {
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
  const call = (cmd) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, cmd });
    });
  return { child, call, ready };
}

/** One hand-driven streaming session: reads `a[…]` lines, counts frames of the bench event. */
function openSession(port, i) {
  const path = `/pusher/app/app-key/${i % 1000}/${Math.random().toString(32).slice(2, 10).padEnd(8, '0')}`;
  return new Promise((resolve, reject) => {
    const session = { path, channel: '', subscribed: false, received: 0, socketId: '', req: undefined, onEvent: undefined };
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `${path}/xhr_streaming?protocol=7&client=js&version=8.6.0`, agent: false });
    session.req = req;
    req.on('error', (err) => (session.socketId ? undefined : reject(err)));
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk) => {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line[0] !== 'a') continue;
          if (!session.socketId && line.includes('connection_established')) {
            session.socketId = JSON.parse(JSON.parse(JSON.parse(line.slice(1))[0]).data).socket_id;
            resolve(session);
          }
          if (line.includes('subscription_succeeded')) session.subscribed = true;
          if (line.includes('bench-event')) {
            session.received++;
            session.onEvent?.();
          }
        }
      });
      res.on('error', () => undefined);
    });
    req.end();
  });
}

function post(port, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function inBatches(items, size, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

async function waitFor(cond, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 100) / 100;

async function round(server, port, sdk) {
  const before = await server.call('memory');
  const t0 = performance.now();
  const sessions = await inBatches(Array.from({ length: N }, (_, i) => i), 100, (i) => openSession(port, i));
  const openMs = performance.now() - t0;
  sessions.forEach((s, i) => (s.channel = `bench-${i % CHANNELS}`));
  // Subscribe every session; its stream shows when core has taken it.
  await inBatches(sessions, 100, (s) => post(port, `${s.path}/xhr_send`, JSON.stringify([JSON.stringify({ event: 'pusher:subscribe', data: { channel: s.channel } })])));
  await waitFor(() => sessions.every((s) => s.subscribed), 'all subscribed');
  const counts = await server.call('counts');
  if (counts.sessions < N) throw new Error(`only ${counts.sessions} sessions open`);
  const open = await server.call('memory');

  // One event per channel reaches every session.
  const all = new Promise((resolve) => {
    let left = N;
    for (const s of sessions) s.onEvent = () => --left === 0 && resolve();
  });
  const t1 = performance.now();
  await sdk.triggerBatch(Array.from({ length: CHANNELS }, (_, c) => ({ channel: `bench-${c}`, name: 'bench-event', data: { c } })));
  await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error('not every session got the event')), 30_000))]);
  const deliverMs = performance.now() - t1;
  const delivered = sessions.filter((s) => s.received === 1).length;

  // Clients vanish; sessions expire on the server.
  for (const s of sessions) s.req.destroy();
  const t2 = performance.now();
  await waitFor(async () => {
    const c = await server.call('counts');
    return c.sessions === 0 && c.connections === 0;
  }, 'sessions expired');
  const expireMs = performance.now() - t2;
  const after = await server.call('memory');
  return {
    openMs: Math.round(openMs),
    deliverMs: Math.round(deliverMs),
    expireMs: Math.round(expireMs),
    delivered,
    heapBeforeMB: mb(before.heapUsed),
    heapOpenMB: mb(open.heapUsed),
    heapAfterMB: mb(after.heapUsed),
    rssBeforeMB: mb(before.rss),
    rssOpenMB: mb(open.rss),
    rssAfterMB: mb(after.rss),
    heapPerSessionKB: Math.round(((open.heapUsed - before.heapUsed) / N / 1024) * 10) / 10,
    rssPerSessionKB: Math.round(((open.rss - before.rss) / N / 1024) * 10) / 10,
  };
}

const server = startServer();
await server.ready;
const { port } = await server.call('address');
const sdk = new Pusher({ appId: 'app-id', key: 'app-key', secret: 'app-secret', host: '127.0.0.1', port: String(port), useTLS: false });

console.log(`warm-up: ${N} sessions`);
const warmup = await round(server, port, sdk);
const baseline = await server.call('memory');
const rounds = [];
for (let r = 1; r <= ROUNDS; r++) {
  const result = await round(server, port, sdk);
  rounds.push(result);
  console.log(`round ${r}:`, JSON.stringify(result));
}
const final = await server.call('memory');
await server.call('stop');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const growthMB = mb(final.heapUsed - baseline.heapUsed);
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  pinned: taskset,
  sessions: N,
  rounds: ROUNDS,
  heapPerSessionKB: median(rounds.map((r) => r.heapPerSessionKB)),
  rssPerSessionKB: median(rounds.map((r) => r.rssPerSessionKB)),
  deliverMs: median(rounds.map((r) => r.deliverMs)),
  allDelivered: rounds.every((r) => r.delivered === N),
  heapBaselineMB: mb(baseline.heapUsed),
  heapFinalMB: mb(final.heapUsed),
  heapGrowthMB: growthMB,
  rssBaselineMB: mb(baseline.rss),
  rssFinalMB: mb(final.rss),
  // "No growth": the heap after the last round is within 1 MB (≈ 1 KB per session) of the baseline.
  noGrowth: Math.abs(growthMB) < 1,
  warmup,
  perRound: rounds,
};
console.log(JSON.stringify(summary, null, 2));

writeFileSync(join(values.out, 'results.json'), JSON.stringify(summary, null, 2) + '\n');
const rows = rounds
  .map((r, i) => `| ${i + 1} | ${r.openMs} | ${r.deliverMs} | ${r.delivered} | ${r.expireMs} | ${r.heapBeforeMB} | ${r.heapOpenMB} | ${r.heapAfterMB} | ${r.heapPerSessionKB} | ${r.rssPerSessionKB} |`)
  .join('\n');
writeFileSync(
  join(values.out, 'results.md'),
  `# HTTP fallback: ${N} concurrent xhr_streaming sessions

${summary.date} · Node ${summary.node} · ${summary.cpu} · server ${taskset ? 'pinned to core 0, load on core 1' : 'not pinned'}

- **Memory per session** (heap, median of ${ROUNDS} rounds): **${summary.heapPerSessionKB} KB**; RSS: ${summary.rssPerSessionKB} KB.
- **Delivery**: one event on each of ${CHANNELS} channels reached all ${N} sessions in ${summary.deliverMs} ms (median); every session got it: ${summary.allDelivered}.
- **No growth after they go**: heap ${summary.heapBaselineMB} MB after warm-up → ${summary.heapFinalMB} MB after ${ROUNDS} more rounds of ${N} sessions (${growthMB >= 0 ? '+' : ''}${growthMB} MB): ${summary.noGrowth ? 'no growth' : 'GROWTH'}. RSS ${summary.rssBaselineMB} → ${summary.rssFinalMB} MB.

| round | open all (ms) | deliver to all (ms) | delivered | expire all (ms) | heap before (MB) | heap open (MB) | heap after (MB) | heap / session (KB) | RSS / session (KB) |
|---|---|---|---|---|---|---|---|---|---|
${rows}

Heap figures are \`process.memoryUsage().heapUsed\` of the gateway process after forced GCs; RSS includes
socket buffers and is noisier. "Expire all" is the time from the clients dropping their streams to the
server having no session and no connection left (sessionTimeoutSeconds = 2, swept every 0.5 s).
`,
);
