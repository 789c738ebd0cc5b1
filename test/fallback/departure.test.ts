import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { api } from '../helpers/sign.js';
import { Q, RawReceive, connected, establishedSocketId, fallbackClient, newSessionPath, nextEvent, poll, serverSdk, sessionOf, stateChanges, stream, subscribe, until, type PusherClient } from './helpers.js';

/** Which receive request the server holds for each `{server}/{session}`, to know a client is parked on one. */
function heldReceives(gw: TestGateway): (session: string) => boolean {
  const last = new Map<string, ServerResponse>();
  gw.gateway.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const m = /\/(\d+\/[0-9a-v]+)\/(?:xhr_streaming|xhr)\?/.exec(req.url ?? '');
    if (m) last.set(m[1] ?? '', res);
  });
  return (session) => {
    const res = last.get(session);
    return res !== undefined && !res.writableEnded && !res.destroyed;
  };
}

/**
 * pusher-js leaves an HTTP session by dropping its stream or held poll and saying nothing. The
 * session must then end within `abandonGraceSeconds` (3 s), not the 10 s `sessionTimeoutSeconds`,
 * so the others see the departure promptly. Defaults throughout.
 */
describe('departures over the HTTP fallbacks (default timings)', () => {
  let gw: TestGateway;
  let held: (session: string) => boolean;
  const clients: PusherClient[] = [];
  const closeCodes = new Map<string, number>();

  before(async () => {
    gw = await startGateway({}, { observers: [{ connectionClosed: (e) => closeCodes.set(e.socketId, e.code) }] });
    held = heldReceives(gw);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.stop();
  });

  test('runs with the default timings', () => {
    assert.equal(gw.config.httpFallback.sessionTimeoutSeconds, 10);
    assert.equal(gw.config.httpFallback.abandonGraceSeconds, 3);
  });

  for (const transport of ['xhr_streaming', 'xhr_polling'] as const) {
    test(`${transport}: member_removed reaches the others within the grace, not the session timeout`, async () => {
      const name = `presence-depart-${transport}`;
      // The one who stays is a polling client too: its own gaps between polls must not end it.
      const stayer = fallbackClient(gw.port, 'xhr_polling', { user: { id: 'stayer' } });
      const leaver = fallbackClient(gw.port, transport, { user: { id: 'leaver' } });
      clients.push(stayer, leaver);
      const stayerId = await connected(stayer);
      const room = stayer.subscribe(name);
      await nextEvent(room, 'pusher:subscription_succeeded');
      const joined = nextEvent<{ id: string }>(room, 'pusher:member_added');
      await nextEvent(leaver.subscribe(name), 'pusher:subscription_succeeded');
      assert.equal((await joined).id, 'leaver');
      // pusher-js parks on a receive request between answers; leave while it is parked.
      await until(() => held(sessionOf(leaver)), 'the leaver waits on a receive request');

      const left = nextEvent<{ id: string }>(room, 'pusher:member_removed', 9000);
      const gone = Date.now();
      leaver.disconnect();
      assert.equal((await left).id, 'leaver');
      const waited = Date.now() - gone;
      assert.ok(waited < 5000, `member_removed after ${waited} ms; the grace is 3 s and the session timeout 10 s`);
      assert.ok(waited >= 2500, `member_removed after ${waited} ms, before the 3 s grace`);
      assert.equal(stayer.connection.state, 'connected');
      assert.equal(stayer.connection.socket_id, stayerId);
      assert.equal(closeCodes.has(stayerId), false);
    });
  }

  test('a client that comes back within the grace keeps its session and what was sent meanwhile', async () => {
    const { session, rx, socketId } = await stream(gw.port);
    assert.equal((await subscribe(gw.port, session, 'comeback')).status, 204);
    await rx.frame('pusher_internal:subscription_succeeded');
    const id = session.replace('/pusher/app/app-key/', '');
    rx.abort();
    await until(() => !held(id), 'the server saw the stream go');
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'meanwhile', channel: 'comeback', data: '{}' });
    // Away for a second (a network blip), well inside the 3 s grace.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const again = new RawReceive(gw.port, `${session}/xhr_streaming${Q}`);
    await again.frame('meanwhile');
    assert.equal(closeCodes.has(socketId), false);
    assert.ok([...gw.gateway.core.allConnections()].some((c) => c.socketId === socketId));
    again.abort();
  });
});

describe('the gaps of a polling client are not departures', () => {
  let gw: TestGateway;
  const closeCodes = new Map<string, number>();
  before(async () => {
    // A grace far shorter than the gaps below: only a dropped request may start it.
    gw = await startGateway({ httpFallback: { heartbeatSeconds: 0.5, abandonGraceSeconds: 0.2 } }, { observers: [{ connectionClosed: (e) => closeCodes.set(e.socketId, e.code) }] });
  });
  after(() => gw.stop());

  test('a poller that waits longer than the grace between polls keeps its session', async () => {
    const session = newSessionPath();
    assert.deepEqual(await poll(gw.port, session), ['o']);
    const socketId = establishedSocketId((await poll(gw.port, session))[0]);
    assert.equal((await subscribe(gw.port, session, 'slow-poller')).status, 204);
    assert.match((await poll(gw.port, session)).join(''), /subscription_succeeded/);
    for (let i = 0; i < 3; i++) {
      // A slow network between one answer and the next poll: 0.8 s, four times the grace.
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.deepEqual(await poll(gw.port, session), ['h'], `poll ${i + 1} is held until the heartbeat`);
    }
    await new Promise((resolve) => setTimeout(resolve, 800));
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'still-here', channel: 'slow-poller', data: '{}' });
    assert.match((await poll(gw.port, session)).join(''), /still-here/);
    assert.equal(closeCodes.has(socketId), false);
  });

  test('pusher-js on xhr_polling stays connected through many poll cycles', async () => {
    const c = fallbackClient(gw.port, 'xhr_polling');
    try {
      const socketId = await connected(c);
      const states = stateChanges(c);
      const channel = c.subscribe('many-polls');
      await nextEvent(channel, 'pusher:subscription_succeeded');
      const session = sessionOf(c);
      let polls = 0;
      const count = (req: IncomingMessage): void => void (req.url?.includes(`/${session}/xhr?`) && polls++);
      gw.gateway.server.on('request', count);
      try {
        await until(() => polls >= 6, 'six polls (0.5 s heartbeat)');
      } finally {
        gw.gateway.server.off('request', count);
      }
      const story = nextEvent<{ n: number }>(channel, 'story');
      await serverSdk(gw.port).trigger('many-polls', 'story', { n: 1 });
      assert.deepEqual(await story, { n: 1 });
      assert.equal(c.connection.socket_id, socketId);
      assert.deepEqual(states, []);
      assert.equal(closeCodes.has(socketId), false);
    } finally {
      c.disconnect();
    }
  });
});
