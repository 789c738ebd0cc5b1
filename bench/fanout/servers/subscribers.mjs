// The WebSocket side both `ws` peer servers share: clients send {"subscribe":"<channel>"}, get
// {"subscribed":"<channel>"} back, and are listed in `channels` (channel -> Set<WebSocket>) until they close.

import { WebSocketServer } from 'ws';

export function acceptSubscribers(server, channels) {
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
  return wss;
}
