// Soak: one gateway process under mixed churn for --minutes (default 12), sampling RSS, heap, open
// file descriptors and event-loop delay every --sample seconds. Writes results.json and results.md.
// Usage: npm run build && node bench/soak/run.mjs [--minutes 12] [--warmup 2] [--sample 5]
import { fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    sample: { type: 'string', default: '5' },
    hostile: { type: 'string', default: '20' },
    out: { type: 'string', default: here },
  },
});
const MINUTES = Number(values.minutes);
const WARMUP_S = Number(values.warmup) * 60;
const SAMPLE_S = Number(values.sample);
// Load processes by role and concurrency inside each (see churn.mjs).
const ROLES = [
  ['clients', 100],
  ['clients', 100],
  ['publisher', 1],
  ['slow', 5],
  ['hostile', Number(values.hostile)],
].filter(([, n]) => n > 0);

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const port = await freePort();
const adminPort = await freePort();
const token = 'soak-admin-token-0123456789';
const gateway = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'start', '--port', String(port), '--admin-port', String(adminPort)], {
  env: {
    PATH: process.env.PATH,
    SWITCHBOARD_LOG_LEVEL: 'warn',
    SWITCHBOARD_ADMIN__TOKEN: token,
    SWITCHBOARD_MAX_BUFFERED_BYTES: String(64 * 1024),
    SWITCHBOARD_APPS: JSON.stringify([{ id: 'soak', key: 'soak-key', secret: 'soak-secret', clientEvents: true, maxPresenceMembers: 1000 }]),
  },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let deaths = 0;
let stderr = '';
gateway.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
gateway.on('exit', (code, signal) => {
  if (!stopping) {
    deaths++;
    console.error(`gateway died: code ${code} signal ${signal}\n${stderr}`);
  }
});
let stopping = false;

async function metrics() {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  // Sums every labelled series of the metric (connections are per app and transport).
  const value = (name) => {
    const found = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))];
    return found.length === 0 ? (name === "switchboard_connections" ? 0 : NaN) : found.reduce((sum, m) => sum + Number(m[1]), 0);
  };
  return { heapUsed: value('nodejs_heap_size_used_bytes'), eldP99: value('nodejs_eventloop_lag_p99_seconds'), connections: value('switchboard_connections') };
}

// Wait until the gateway serves.
for (let i = 0; ; i++) {
  try {
    await metrics();
    break;
  } catch {
    if (i > 100 || gateway.exitCode !== null) throw new Error(`gateway did not start\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const totals = {};
const loads = ROLES.map(([role, concurrency]) => {
  const child = fork(join(here, 'churn.mjs'), [role, String(port), String(concurrency)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.on('message', (msg) => (totals[`${role}:${child.pid}`] = msg.counts));
  return child;
});

const samples = [];
const started = Date.now();
const pid = gateway.pid;
while (Date.now() - started < MINUTES * 60_000 && deaths === 0) {
  await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
  if (gateway.exitCode !== null || gateway.signalCode !== null) break;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const m = await metrics().catch(() => ({ heapUsed: NaN, eldP99: NaN, connections: NaN }));
  samples.push({ t: Math.round((Date.now() - started) / 1000), rss, fds, ...m });
  const s = samples.at(-1);
  console.log(`${s.t}s rss ${(s.rss / 2 ** 20).toFixed(1)} MiB heap ${(s.heapUsed / 2 ** 20).toFixed(1)} MiB fds ${s.fds} eld p99 ${(s.eldP99 * 1000).toFixed(1)} ms conns ${s.connections}`);
}

stopping = true;
for (const child of loads) if (child.connected) child.send('stop', () => undefined);
await new Promise((r) => setTimeout(r, 2000));
for (const child of loads) child.kill();
if (gateway.exitCode === null && gateway.signalCode === null) {
  gateway.kill('SIGTERM');
  await new Promise((r) => gateway.once('exit', r));
}

// Summary: after warm-up, the change per minute (least squares) and first vs last sample.
const after = samples.filter((s) => s.t >= WARMUP_S);
function slope(key) {
  const n = after.length;
  const mx = after.reduce((a, s) => a + s.t, 0) / n;
  const my = after.reduce((a, s) => a + s[key], 0) / n;
  const num = after.reduce((a, s) => a + (s.t - mx) * (s[key] - my), 0);
  const den = after.reduce((a, s) => a + (s.t - mx) ** 2, 0);
  return (num / den) * 60;
}
const counters = {};
for (const c of Object.values(totals)) for (const [k, v] of Object.entries(c ?? {})) counters[k] = (counters[k] ?? 0) + v;
const mib = (b) => (b / 2 ** 20).toFixed(1);
const first = after[0];
const last = after.at(-1);
const max = (key) => Math.max(...after.map((s) => s[key]));
const command = `node bench/soak/run.mjs --minutes ${MINUTES} --warmup ${values.warmup} --sample ${SAMPLE_S} --hostile ${values.hostile}`;
const md = `# Soak results

Command: \`npm run build && ${command}\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}.
One gateway process; load from ${ROLES.length} processes on loopback: ${ROLES.map(([r, c]) => `${r}×${c}`).join(', ')}.

**Gateway deaths: ${deaths}.** Samples after the ${values.warmup}-minute warm-up: ${after.length}.

| | first after warm-up | last | max after warm-up | trend per minute after warm-up |
|---|---|---|---|---|
| RSS | ${mib(first.rss)} MiB | ${mib(last.rss)} MiB | ${mib(max('rss'))} MiB | ${(slope('rss') / 2 ** 20).toFixed(2)} MiB |
| heap used | ${mib(first.heapUsed)} MiB | ${mib(last.heapUsed)} MiB | ${mib(max('heapUsed'))} MiB | ${(slope('heapUsed') / 2 ** 20).toFixed(2)} MiB |
| open fds | ${first.fds} | ${last.fds} | ${max('fds')} | ${slope('fds').toFixed(2)} |
| event-loop delay p99 | ${(first.eldP99 * 1000).toFixed(1)} ms | ${(last.eldP99 * 1000).toFixed(1)} ms | ${(max('eldP99') * 1000).toFixed(1)} ms | |
| connections | ${first.connections} | ${last.connections} | ${max('connections')} | |

Load counters (whole run): ${Object.entries(counters).map(([k, v]) => `${k} ${v}`).join(', ')}.

Every sample (t in seconds): see results.json.
`;
writeFileSync(join(values.out, 'results.json'), JSON.stringify({ command, deaths, roles: ROLES, counters, samples }, null, 1));
writeFileSync(join(values.out, 'results.md'), md);
console.log(md);
process.exit(deaths === 0 ? 0 : 1);
