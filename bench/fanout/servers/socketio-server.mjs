// socket.io 4.8 peer, as an application would write it: clients emit "join" with a channel name and
// get "joined" back; POST /publish {name, channels, data} does io.to(channel).emit(name, data), which
// socket.io encodes once per broadcast and writes to each socket of the room.
// Usage: node servers/socketio-server.mjs PORT   (listens on 127.0.0.1, WebSocket transport only)

import http from 'node:http';
import { Server } from 'socket.io';
import { readBody } from './read-body.mjs';

const port = Number(process.argv[2] || 7103);

const server = http.createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    const body = JSON.parse(await readBody(req));
    for (const channel of body.channels) io.to(channel).emit(body.name, body.data);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    return;
  }
  res.writeHead(req.url === '/' ? 200 : 404).end('ok');
});

const io = new Server(server, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  socket.on('join', (channel) => {
    if (typeof channel !== 'string') return;
    socket.join(channel);
    socket.emit('joined', channel);
  });
});

server.listen(port, '127.0.0.1', () => console.log(`socket.io server on 127.0.0.1:${port}`));
