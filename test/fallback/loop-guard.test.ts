import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { connected, fallbackClient, nextEvent, sessionOf, type PusherClient } from './helpers.js';

const IDLE_MS = 60_000;

/**
 * The heartbeat trap: pusher-js answers every `h` with a `[]` POST, so a server that answered `[]`
 * with `h` would make tens of thousands of requests a minute. With the default timings (25 s
 * heartbeat) an idle session must cost a handful of requests per minute, counted here at the server.
 */
describe('loop guard: idle fallback sessions over 60 s', () => {
  let gw: TestGateway;
  const clients: PusherClient[] = [];
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.stop();
  });

  test('each transport makes a bounded number of requests and stays connected', { timeout: 110_000 }, async (t) => {
    assert.equal(gw.config.httpFallback.heartbeatSeconds, 25, 'runs with the default heartbeat');
    const perSession = new Map<string, { receive: number; send: number; empty: number }>();
    gw.gateway.server.on('request', (req: IncomingMessage) => {
      const m = /\/(\d+\/[0-9a-v]+)\/(xhr_streaming|xhr|xhr_send)\?/.exec(req.url ?? '');
      if (!m) return;
      const counts = perSession.get(m[1] ?? '') ?? { receive: 0, send: 0, empty: 0 };
      perSession.set(m[1] ?? '', counts);
      if (m[2] !== 'xhr_send') {
        counts.receive++;
        return;
      }
      counts.send++;
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => body === '[]' && counts.empty++);
    });

    const run = async (transport: 'xhr_streaming' | 'xhr_polling') => {
      const client = fallbackClient(gw.port, transport);
      clients.push(client);
      const channel = client.subscribe(`idle-${transport}`);
      await nextEvent(channel, 'pusher:subscription_succeeded', 30_000);
      const socketId = await connected(client);
      const session = sessionOf(client);
      const start = { ...(perSession.get(session) ?? { receive: 0, send: 0, empty: 0 }) };
      let reconnects = 0;
      client.connection.bind('state_change', () => reconnects++);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      const end = perSession.get(session) ?? { receive: 0, send: 0, empty: 0 };
      return {
        transport,
        stillSameSocket: client.connection.state === 'connected' && client.connection.socket_id === socketId,
        reconnects,
        receive: end.receive - start.receive,
        send: end.send - start.send,
        empty: end.empty - start.empty,
      };
    };
    const results = await Promise.all([run('xhr_streaming'), run('xhr_polling')]);
    t.diagnostic(JSON.stringify(results));
    for (const r of results) {
      const total = r.receive + r.send;
      // 60 s / 25 s → two or three heartbeats; each costs one request. Ten leaves room for a slow machine.
      assert.ok(total <= 10, `${r.transport}: ${total} requests while idle for 60 s (${JSON.stringify(r)})`);
      assert.equal(r.stillSameSocket, true, `${r.transport} stayed on one connection`);
      assert.equal(r.reconnects, 0, `${r.transport} never changed state`);
    }
    const [streaming, polling] = results;
    // Streaming: the heartbeats arrived (the client answers each with `[]`), so the stream stayed alive.
    assert.ok((streaming?.empty ?? 0) >= 2, `streaming saw ${streaming?.empty} heartbeats in 60 s`);
    assert.equal(streaming?.receive, 0, 'one stream for the whole minute');
    // Polling: idle polls were held for the heartbeat period, not answered at once.
    assert.ok((polling?.receive ?? 0) >= 2 && (polling?.receive ?? 0) <= 4, `polling made ${polling?.receive} polls in 60 s`);
  });
});
