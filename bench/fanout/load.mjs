// One load process: holds many raw WebSocket connections to one server and counts deliveries.
// Started by run.mjs with child_process.fork (IPC channel); it does nothing until told. Commands:
//   {cmd:'connect', kind, port, channels:[...]}  open one connection per entry and wait until each is
//                                                "connected" in its protocol's sense (pusher:
//                                                connection_established, socket.io: 40, ws: open)
//   {cmd:'subscribe'}                            subscribe every connection to its channel, wait for acks
//   {cmd:'window', start, end}                   reset counters; count/latency only for frames received
//                                                within [start, end] (µs, CLOCK_MONOTONIC)
//   {cmd:'stats'}                                counters, latency histogram, CPU used by this process
//   {cmd:'close'}                                reset every connection (TCP RST: no TIME_WAIT)
//   {cmd:'exit'}
// Each command is answered with {id, ...}.

import { RawWs, nowUs } from './lib/raw-ws.mjs';
import { clients } from './lib/protocols.mjs';
import { newHistogram, bucketOf, toSparse } from './lib/histogram.mjs';

const MARK = Buffer.from('@@');
const HANDSHAKE_CONCURRENCY = 200;
const PHASE_TIMEOUT_MS = 60_000;

let conns = [];
let proto = null;
let waiting = null; // { field, resolve } while a connect/subscribe phase is in progress
let counts = { connected: 0, subscribed: 0, closed: 0, closedUnconnected: 0, closedUnsubscribed: 0, errors: 0 };
let errorSamples = [];

let total = 0; // deliveries since the last 'window'
let inWindow = 0;
let firstUs = 0;
let lastUs = 0;
let winStart = 0;
let winEnd = Infinity;
let hist = newHistogram();

const ctx = {
  connected(conn) {
    if (conn.state.connected) return;
    conn.state.connected = true;
    counts.connected++;
    conn.state.settle();
    progress();
  },
  subscribed(conn) {
    if (conn.state.subscribed) return;
    conn.state.subscribed = true;
    counts.subscribed++;
    progress();
  },
  error(conn, text) {
    counts.errors++;
    if (errorSamples.length < 5) errorSamples.push(text.slice(0, 200));
  },
};

const handler = {
  onOpen(conn) {
    proto.onOpen(conn, ctx);
  },
  onMessage(conn, buf, start, end, recvUs) {
    // Frames of one channel share their prefix: look where the marker was last time first.
    const state = conn.state;
    const off = start + state.markOff;
    let at;
    if (state.markOff >= 0 && off + 1 < end && buf[off] === 0x40 && buf[off + 1] === 0x40) at = off;
    else {
      at = buf.indexOf(MARK, start);
      if (at === -1 || at >= end) {
        proto.onControl(conn, buf, start, end, ctx);
        return;
      }
      state.markOff = at - start;
    }
    let ts = 0;
    for (let j = at + 2; j < end; j++) {
      const c = buf[j];
      if (c < 0x30 || c > 0x39) break;
      ts = ts * 10 + (c - 0x30);
    }
    total++;
    if (firstUs === 0) firstUs = recvUs;
    lastUs = recvUs;
    if (recvUs >= winStart && recvUs <= winEnd) {
      inWindow++;
      hist[bucketOf(recvUs - ts)]++;
    }
  },
  onClose(conn, reason) {
    counts.closed++;
    if (!conn.state.connected) counts.closedUnconnected++;
    if (!conn.state.subscribed) counts.closedUnsubscribed++;
    conn.state.settle();
    if (!conn.state.resetByUs && errorSamples.length < 5) errorSamples.push(reason);
    progress();
  },
};

function progress() {
  if (!waiting) return;
  const done = counts[waiting.field] + countClosedWithout(waiting.field);
  if (done >= conns.length) {
    const w = waiting;
    waiting = null;
    clearTimeout(w.timer);
    w.resolve();
  }
}

function countClosedWithout(field) {
  // Closed connections that never reached the phase will never reach it: don't wait for them.
  return field === 'connected' ? counts.closedUnconnected : counts.closedUnsubscribed;
}

function waitFor(field) {
  return new Promise((resolve) => {
    waiting = { field, resolve, timer: setTimeout(() => { waiting = null; resolve(); }, PHASE_TIMEOUT_MS) };
    progress();
  });
}

async function connect({ kind, port, channels }) {
  proto = clients[kind];
  conns = [];
  counts = { connected: 0, subscribed: 0, closed: 0, closedUnconnected: 0, closedUnsubscribed: 0, errors: 0 };
  errorSamples = [];
  const t0 = Date.now();
  const path = proto.path();
  let next = 0;
  let inFlight = 0;
  await new Promise((resolve) => {
    // At most HANDSHAKE_CONCURRENCY connections between TCP connect and "connected" at once, so the
    // server's listen backlog never overflows and every connection gets in on the first try.
    const settle = (state) => {
      if (state.settled) return;
      state.settled = true;
      inFlight--;
      if (next < channels.length) setImmediate(pump);
      else if (inFlight === 0) resolve();
    };
    const pump = () => {
      while (inFlight < HANDSHAKE_CONCURRENCY && next < channels.length) {
        const state = { channel: channels[next], connected: false, subscribed: false, resetByUs: false, settled: false, markOff: -1 };
        state.settle = () => settle(state);
        next++;
        inFlight++;
        const conn = new RawWs(handler, state);
        conns.push(conn);
        conn.connect({ port, path });
      }
    };
    if (channels.length === 0) resolve();
    else pump();
  });
  await waitFor('connected');
  return { connected: counts.connected, closed: counts.closed, errors: counts.errors, errorSamples, ms: Date.now() - t0 };
}

async function subscribe() {
  const t0 = Date.now();
  for (const c of conns) if (!c.closed && c.state.connected) proto.subscribe(c);
  await waitFor('subscribed');
  return { subscribed: counts.subscribed, closed: counts.closed, errors: counts.errors, errorSamples, ms: Date.now() - t0 };
}

function setWindow({ start, end }) {
  total = 0;
  inWindow = 0;
  firstUs = 0;
  lastUs = 0;
  winStart = start ?? 0;
  winEnd = end ?? Infinity;
  hist = newHistogram();
  return { ok: true };
}

let lastCpu = process.cpuUsage();
function stats() {
  const cpu = process.cpuUsage(lastCpu);
  lastCpu = process.cpuUsage();
  return {
    total,
    inWindow,
    firstUs,
    lastUs,
    hist: toSparse(hist),
    open: conns.length - counts.closed,
    closed: counts.closed,
    errors: counts.errors,
    errorSamples,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

function closeAll() {
  for (const c of conns) {
    c.state.resetByUs = true;
    c.reset();
  }
  conns = [];
  return { ok: true };
}

process.on('message', async (msg) => {
  let reply;
  try {
    switch (msg.cmd) {
      case 'connect': reply = await connect(msg); break;
      case 'subscribe': reply = await subscribe(); break;
      case 'window': reply = setWindow(msg); break;
      case 'stats': reply = stats(); break;
      case 'close': reply = closeAll(); break;
      case 'now': reply = { now: nowUs() }; break;
      case 'exit': process.exit(0); break;
      default: reply = { error: `unknown command ${msg.cmd}` };
    }
  } catch (err) {
    reply = { error: String(err && err.stack ? err.stack : err) };
  }
  process.send({ id: msg.id, ...reply });
});

process.on('disconnect', () => process.exit(0));
