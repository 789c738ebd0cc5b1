// The servers under test and how to start each one: pinned to core 0 with taskset, 127.0.0.1 only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, waitForPort, freePort, portInUse } from './proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = path.resolve(here, '..');
export const REPO_DIR = path.resolve(BENCH_DIR, '..', '..');
const SWITCHBOARD_MAIN = path.join(REPO_DIR, 'dist', 'src', 'cli', 'main.js');
const SOKETI_MAIN = path.join(BENCH_DIR, 'node_modules', '@soketi', 'soketi', 'bin', 'server.js');

export const PEERS = {
  switchboard: {
    kind: 'pusher',
    available: () => fs.existsSync(SWITCHBOARD_MAIN),
    command: (port) => ({ args: [SWITCHBOARD_MAIN, 'start', '--port', String(port)], cwd: REPO_DIR, env: {} }),
  },
  soketi: {
    kind: 'pusher',
    available: () => fs.existsSync(SOKETI_MAIN),
    command: (port, extraPort) => ({
      args: [SOKETI_MAIN, 'start'],
      cwd: BENCH_DIR,
      env: {
        SOKETI_DEFAULT_APP_ID: 'app-id',
        SOKETI_DEFAULT_APP_KEY: 'app-key',
        SOKETI_DEFAULT_APP_SECRET: 'app-secret',
        SOKETI_PORT: String(port),
        SOKETI_HOST: '127.0.0.1',
        SOKETI_METRICS_ENABLED: 'false',
        SOKETI_METRICS_HOST: '127.0.0.1',
        SOKETI_METRICS_SERVER_PORT: String(extraPort),
      },
    }),
  },
  ws: {
    kind: 'ws',
    available: () => true,
    command: (port) => ({ args: [path.join(BENCH_DIR, 'servers', 'ws-server.mjs'), String(port)], cwd: BENCH_DIR, env: {} }),
  },
  // Calibration only (not a peer): ws with DESIGN.md's encode-once, flush-per-turn fan-out.
  'ws-batched': {
    kind: 'ws',
    available: () => true,
    command: (port) => ({ args: [path.join(BENCH_DIR, 'servers', 'batched-server.mjs'), String(port)], cwd: BENCH_DIR, env: {} }),
  },
  'socket.io': {
    kind: 'socket.io',
    available: () => true,
    command: (port) => ({ args: [path.join(BENCH_DIR, 'servers', 'socketio-server.mjs'), String(port)], cwd: BENCH_DIR, env: {} }),
  },
};

/**
 * Start a peer on a free port, pinned to `core`. With `inspect`, V8's inspector listens too so the
 * runner can force a GC before reading RSS (only for the memory scenario: no session is attached
 * during the throughput scenarios, which run in a separate server process without it).
 */
export async function startPeer(name, { core, inspect = false, profDir, logFile }) {
  const peer = PEERS[name];
  // Ports picked by the kernel, so that two runs at once (or anything else on the machine) can't collide.
  const port = await freePort();
  const inspectPort = inspect ? await freePort() : 0;
  if (await portInUse(port)) throw new Error(`port ${port} is already in use`);
  const { args, cwd, env } = peer.command(port, await freePort());
  const nodeArgs = [...args];
  if (inspectPort) nodeArgs.unshift(`--inspect=127.0.0.1:${inspectPort}`);
  if (profDir) nodeArgs.unshift('--cpu-prof', `--cpu-prof-dir=${profDir}`);
  // Extra flags for every server, e.g. FANOUT_NODE_FLAGS=--perf-basic-prof for `perf record` (see README).
  if (process.env.FANOUT_NODE_FLAGS) nodeArgs.unshift(...process.env.FANOUT_NODE_FLAGS.split(' ').filter(Boolean));
  const out = fs.openSync(logFile, 'a');
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...nodeArgs], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const ready = await waitForPort(port);
  if (!ready || exited) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start on port ${port} (see ${logFile})`);
  }
  if (inspectPort && !(await waitForPort(inspectPort))) throw new Error(`${name}: no inspector on ${inspectPort}`);
  await sleep(300); // let start-up work (logging, timers) finish before measuring anything
  return {
    name,
    kind: peer.kind,
    port,
    inspectPort,
    pid: child.pid, // taskset execs node: same pid
    exited: () => exited,
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}
