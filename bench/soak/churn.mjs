// One load process of the soak: runs one role against the gateway until told to stop, and reports
// counts to the parent over IPC. Roles: `clients` (connect, subscribe, stay a while, leave),
// `publisher` (signed API publishes and batches), `slow` (subscribers that stop reading), `hostile`
// (every kind of bad input the edge must survive). See README.md.
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import Pusher from 'pusher';
import WebSocket from 'ws';

const [role, portText, concurrencyText] = process.argv.slice(2);
const port = Number(portText);
const concurrency = Number(concurrencyText ?? 50);
const APP = { appId: 'soak', key: 'soak-key', secret: 'soak-secret' };
const CHANNELS = Array.from({ length: 50 }, (_, i) => `soak-${i}`);
const counts = Object.create(null);
const count = (what, n = 1) => (counts[what] = (counts[what] ?? 0) + n);
let running = true;
process.on('message', (msg) => {
  if (msg === 'stop') running = false;
});
// The parent going away ends this load process; a report that cannot be sent is dropped.
process.on('disconnect', () => process.exit(0));
process.on('error', () => undefined);
const report = (extra = {}) => process.connected && process.send({ counts, ...extra }, () => undefined);
setInterval(report, 1000).unref();

const pick = (list) => list[Math.floor(Math.random() * list.length)];
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sign = (socketId, channel, data = '') => `${APP.key}:${crypto.createHmac('sha256', APP.secret).update(`${socketId}:${channel}${data ? `:${data}` : ''}`).digest('hex')}`;

/** Opens a Pusher WebSocket; resolves with {ws, socketId} once established, or rejects. */
function connect(key = APP.key, query = 'protocol=7&client=js&version=8.6.0') {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${key}?${query}`);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timeout'));
    }, 10_000);
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.once('message', (data) => {
      clearTimeout(timer);
      const frame = JSON.parse(data.toString());
      if (frame.event !== 'pusher:connection_established') return reject(new Error(`refused: ${data}`));
      resolve({ ws, socketId: JSON.parse(frame.data).socket_id });
    });
  });
}

async function clientLoop() {
  while (running) {
    try {
      const { ws, socketId } = await connect();
      count('connected');
      ws.on('message', () => count('received'));
      const subs = 1 + Math.floor(Math.random() * 3);
      for (let i = 0; i < subs; i++) {
        const kind = Math.random();
        const channel = kind < 0.6 ? pick(CHANNELS) : kind < 0.8 ? `private-${pick(CHANNELS)}` : `presence-${pick(CHANNELS)}`;
        const data = channel.startsWith('presence-') ? JSON.stringify({ user_id: `u${Math.floor(Math.random() * 500)}`, user_info: { n: 1 } }) : undefined;
        const auth = channel.startsWith('private-') || channel.startsWith('presence-') ? sign(socketId, channel, data) : undefined;
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth, channel_data: data } }));
      }
      if (Math.random() < 0.3) ws.send(JSON.stringify({ event: 'client-typing', channel: `private-${pick(CHANNELS)}`, data: {} }));
      await wait(500 + Math.random() * 4000);
      ws.close();
      count('disconnected');
    } catch {
      count('client_error');
      await wait(200);
    }
  }
}

async function publisherLoop() {
  const api = new Pusher({ ...APP, host: '127.0.0.1', port: String(port), useTLS: false });
  while (running) {
    try {
      if (Math.random() < 0.2) await api.triggerBatch(Array.from({ length: 5 }, () => ({ channel: pick(CHANNELS), name: 'batch', data: { t: Date.now() } })));
      else await api.trigger([pick(CHANNELS), pick(CHANNELS)], 'tick', { t: Date.now(), pad: 'x'.repeat(Math.floor(Math.random() * 2000)) });
      count('published');
    } catch {
      count('publish_error');
    }
    await wait(5);
  }
}

/** Subscribes to the busiest channels and stops reading: the gateway must cut it off (4100), not buffer. */
async function slowLoop() {
  while (running) {
    try {
      const { ws } = await connect();
      for (const channel of CHANNELS.slice(0, 10)) ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
      ws._socket.pause();
      count('slow_started');
      const closed = new Promise((resolve) => ws.once('close', resolve));
      await Promise.race([closed, wait(20_000)]);
      ws.terminate();
    } catch {
      count('slow_error');
      await wait(200);
    }
  }
}

/** Raw bytes on a fresh TCP connection; resolves when the server closes it or after `ms`. */
function raw(bytes, ms = 2000, keepOpen = false) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => {
      if (bytes) socket.write(bytes);
      if (!keepOpen) socket.end();
    });
    socket.resume();
  });
}

const upgrade = (path) => `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
/** A WebSocket frame with the given first byte and payload, masked unless told otherwise. */
function frame(first, payload, masked = true) {
  const len = payload.length;
  const m = masked ? 0x80 : 0;
  let head;
  if (len < 126) head = Buffer.from([first, m | len]);
  else if (len < 65536) head = Buffer.from([first, m | 126, len >> 8, len & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = m | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  return Buffer.concat([head, Buffer.alloc(4), payload]); // zero mask: payload unchanged
}
const BAD_FRAMES = [
  frame(0x81, Buffer.from([0xff, 0xfe])), // invalid UTF-8
  frame(0x81, Buffer.from('{"event":"x"}'), false), // unmasked
  frame(0xc1, Buffer.from('{}')), // RSV1
  frame(0x80, Buffer.from('x')), // lone continuation
  frame(0x83, Buffer.from('x')), // reserved opcode
  frame(0x88, Buffer.from([0x03, 0xed])), // close code 1005
  frame(0x81, Buffer.alloc(300_000, 0x61)), // over maxMessageBytes (256 KiB)
];

const HOSTILE = [
  // Refused WebSockets (unknown key, no protocol) that then send what the parser rejects.
  () => raw(Buffer.concat([Buffer.from(upgrade('/app/nope?protocol=7')), pick(BAD_FRAMES)])),
  () => raw(Buffer.concat([Buffer.from(upgrade(`/app/${APP.key}`)), pick(BAD_FRAMES)])),
  () => raw(Buffer.concat([Buffer.from(upgrade(`/app/${APP.key}?protocol=7`)), pick(BAD_FRAMES)])),
  // Garbage bytes, headers never finished, a body that never ends.
  () => raw(crypto.randomBytes(1 + Math.floor(Math.random() * 2000))),
  () => raw('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 15_000, true),
  () => raw(`POST /apps/soak/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"name":`, 15_000, true),
  // Bad JSON frames on an accepted connection.
  async () => {
    const { ws } = await connect();
    for (const text of ['{', '[]', '{"event":1}', '{"event":"pusher:subscribe","data":{"channel":"private-x"}}', '{"event":"pusher:subscribe","data":{"channel":"presence-x","auth":"soak-key:00","channel_data":"{"}}', 'x'.repeat(10_000)]) ws.send(text);
    await wait(200);
    ws.terminate();
  },
  // Unsigned and mis-signed API calls, malformed targets and percent-encoding.
  () => request('POST', '/apps/soak/events?auth_key=soak-key&auth_timestamp=1&auth_version=1.0&auth_signature=00', '{"name":"x","channels":["a"],"data":"{}"}'),
  () => request('GET', '/apps/soak/channels/%E0%A4%A'),
  () => request('GET', '/apps/__proto__/channels'),
  // Fallback session hijack attempts and bad sends; SSE without a key or with bad channels.
  () => request('POST', `/pusher/app/${APP.key}/1/${crypto.randomBytes(6).toString('hex')}/xhr_send`, '["{\\"event\\":\\"pusher:ping\\"}"]'),
  () => request('POST', `/pusher/app/${APP.key}/1/${crypto.randomBytes(6).toString('hex')}/xhr?protocol=7`, '', 1000),
  () => request('GET', `/sse/${APP.key}?channels=${encodeURIComponent('private-x,,%%')}`, undefined, 1000),
  () => request('GET', `/sse/nope?channels=a`, undefined, 1000),
];

function request(method, path, body, ms = 3000) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, timeout: ms }, (res) => {
      res.resume();
      res.on('end', resolve);
      res.on('error', resolve);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', resolve);
    req.on('close', resolve);
    req.end(body);
  });
}

async function hostileLoop() {
  while (running) {
    try {
      await pick(HOSTILE)();
      count('hostile');
    } catch {
      count('hostile_refused');
    }
  }
}

const loops = { clients: clientLoop, publisher: publisherLoop, slow: slowLoop, hostile: hostileLoop };
const loop = loops[role];
if (!loop) throw new Error(`unknown role ${role}`);
await Promise.all(Array.from({ length: role === 'publisher' ? 1 : concurrency }, () => loop()));
report({ done: true });
process.exit(0);
