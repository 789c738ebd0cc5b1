// Calibration peer, not a product: the same minimal broadcast server as ws-server.mjs, but fanning out
// the way DESIGN.md prescribes — each published frame built once, frames queued per channel, and one
// write per subscriber per event-loop turn carrying all of that channel's frames. It shows how far a
// single Node process can go on this machine and that the load generator can measure it.
// Usage: node servers/batched-server.mjs PORT   (listens on 127.0.0.1)

import http from 'node:http';
import { acceptSubscribers } from './subscribers.mjs';
import { readBody } from './read-body.mjs';

const port = Number(process.argv[2] || 7104);
const channels = new Map(); // channel -> Set<WebSocket>
const queued = new Map(); // channel -> Buffer[] (complete frames) waiting for this turn's flush
let flushScheduled = false;

function textFrame(text) {
  const payload = Buffer.from(text);
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + len);
  frame[0] = 0x81;
  if (len < 126) frame[1] = len;
  else if (len < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  payload.copy(frame, head);
  return frame;
}

function flush() {
  flushScheduled = false;
  for (const [channel, frames] of queued) {
    const clients = channels.get(channel);
    if (!clients) continue;
    const data = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    for (const client of clients) client._socket.write(data);
  }
  queued.clear();
}

const server = http.createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    const body = JSON.parse(await readBody(req));
    for (const channel of body.channels) {
      if (!channels.has(channel)) continue;
      const frame = textFrame(JSON.stringify({ event: body.name, channel, data: body.data }));
      const list = queued.get(channel);
      if (list) list.push(frame);
      else queued.set(channel, [frame]);
    }
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    return;
  }
  res.writeHead(req.url === '/' ? 200 : 404).end('ok');
});

acceptSubscribers(server, channels);

server.listen(port, '127.0.0.1', () => console.log(`batched broadcast server on 127.0.0.1:${port}`));
