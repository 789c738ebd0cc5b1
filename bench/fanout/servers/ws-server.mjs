// The baseline peer: a minimal broadcast server on the `ws` library, written the obvious way.
// WebSocket clients send {"subscribe":"<channel>"} and get {"subscribed":"<channel>"} back;
// POST /publish {name, channels, data} builds one JSON message per channel and does
// `for (const client of clients) client.send(msg)`: one write per subscriber per message.
// Usage: node servers/ws-server.mjs PORT   (listens on 127.0.0.1)

import http from 'node:http';
import { WebSocketServer } from 'ws';
import { readBody } from './read-body.mjs';

const port = Number(process.argv[2] || 7102);
const channels = new Map(); // channel -> Set<WebSocket>

const server = http.createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    const body = JSON.parse(await readBody(req));
    for (const channel of body.channels) {
      const clients = channels.get(channel);
      if (!clients) continue;
      const msg = JSON.stringify({ event: body.name, channel, data: body.data });
      for (const client of clients) client.send(msg);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    return;
  }
  res.writeHead(req.url === '/' ? 200 : 404).end('ok');
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  const mine = new Set();
  ws.on('message', (raw) => {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof msg.subscribe !== 'string') return;
    let set = channels.get(msg.subscribe);
    if (!set) channels.set(msg.subscribe, (set = new Set()));
    set.add(ws);
    mine.add(msg.subscribe);
    ws.send(JSON.stringify({ subscribed: msg.subscribe }));
  });
  ws.on('close', () => {
    for (const name of mine) {
      const set = channels.get(name);
      set.delete(ws);
      if (set.size === 0) channels.delete(name);
    }
  });
  ws.on('error', () => ws.terminate());
});

server.listen(port, '127.0.0.1', () => console.log(`ws broadcast server on 127.0.0.1:${port}`));
