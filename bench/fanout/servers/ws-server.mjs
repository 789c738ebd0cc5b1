// The baseline peer: a minimal broadcast server on the `ws` library, written the obvious way.
// WebSocket clients send {"subscribe":"<channel>"} and get {"subscribed":"<channel>"} back;
// POST /publish {name, channels, data} builds one JSON message per channel and does
// `for (const client of clients) client.send(msg)`: one write per subscriber per message.
// Usage: node servers/ws-server.mjs PORT   (listens on 127.0.0.1)

import http from 'node:http';
import { acceptSubscribers } from './subscribers.mjs';
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

acceptSubscribers(server, channels);

server.listen(port, '127.0.0.1', () => console.log(`ws broadcast server on 127.0.0.1:${port}`));
