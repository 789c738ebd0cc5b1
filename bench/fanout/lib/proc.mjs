// Process plumbing for the runner: forked helpers with request/response over IPC, /proc readings,
// waiting for a port, and forcing a GC in a server through its inspector (Chrome DevTools Protocol).

import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { RawWs } from './raw-ws.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Fork a helper script; returns { child, call(cmd, args) → Promise<reply> }. */
export function forkHelper(script) {
  const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const pending = new Map();
  child.on('message', (msg) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(msg.error));
    else p.resolve(msg);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited with ${code}`));
    pending.clear();
  });
  const call = (cmd, args = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, ...args });
    });
  return { child, call };
}

/** utime + stime of a process, in milliseconds (from /proc/PID/stat; clock ticks are 10 ms). */
export function cpuMsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // fields 14 and 15 of stat(5), 0-based after comm
  } catch {
    return NaN;
  }
}

/** User and system CPU time (ms) used so far by a process: JavaScript vs the kernel's work for its syscalls. */
export function cpuSplitMsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 };
  } catch {
    return { user: NaN, sys: NaN };
  }
}

/**
 * CPU time (ms) used so far by every user-space process on the machine except `ours` (a Set of pids):
 * other people's test runs, builds and editors share these two cores and would distort a figure.
 * Kernel threads are left out (they also carry our own TCP work).
 */
export function foreignCpuMs(ours) {
  let sum = 0;
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!pid || ours.has(pid)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[1] === '2' || pid === 2) continue; // kthreadd and its children
    // utime + stime, plus cutime + cstime so short-lived children (compilers, test workers) that
    // were reaped meanwhile are counted too (this can over-count, never under-count, what they used).
    sum += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
  }
  return sum;
}

/** Per-core busy and total jiffies from /proc/stat: { cpu0: [busy, total], cpu1: … }. */
export function coreTimes() {
  const out = {};
  for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].split(/\s+/).map(Number);
    const idle = v[3] + v[4]; // idle + iowait
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal
    out[m[1]] = [total - idle, total];
  }
  return out;
}

/** Busy fraction of each core between two coreTimes() readings. */
export function coreBusy(a, b) {
  const out = {};
  for (const k of Object.keys(b)) {
    const dt = b[k][1] - a[k][1];
    out[k] = dt > 0 ? (b[k][0] - a[k][0]) / dt : null;
  }
  return out;
}

/** Resident set size of a process in bytes. */
export function rssOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** A TCP port on 127.0.0.1 that nobody listens on right now (chosen by the kernel). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** True when something already accepts connections on the port. */
export function portInUse(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitForPort(port, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

function getJson(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()));
          } catch (err) {
            reject(err);
          }
        });
      })
      .on('error', reject);
  });
}

/** Ask V8 in the server (started with --inspect=127.0.0.1:inspectPort) for a full GC; resolves when done. */
export async function collectGarbage(inspectPort) {
  const targets = await getJson(inspectPort, '/json/list');
  const url = new URL(targets[0].webSocketDebuggerUrl);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('inspector GC timed out')), 20_000);
    const conn = new RawWs(
      {
        onOpen: (c) => c.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })),
        onMessage: (c, buf, start, end) => {
          const msg = JSON.parse(buf.toString('utf8', start, end));
          if (msg.id !== 1) return;
          clearTimeout(timer);
          c.reset();
          if (msg.error) reject(new Error(JSON.stringify(msg.error)));
          else resolve();
        },
        onClose: (_c, reason) => {
          if (reason !== 'reset by client') reject(new Error(`inspector closed: ${reason}`));
        },
      },
      {},
    );
    conn.connect({ port: inspectPort, path: url.pathname });
  });
}
