import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { RawClient } from '../helpers/raw-client.js';
import { api, channelAuth, signinAuth } from '../helpers/sign.js';
import { WebhookReceiver } from './webhook-receiver.js';

const sdk = new PusherServer({ appId: 'app-id', key: 'app-key', secret: 'app-secret', host: '127.0.0.1' });
const forgedSdk = new PusherServer({ appId: 'app-id', key: 'app-key', secret: 'not-the-secret', host: '127.0.0.1' });

function signin(client: RawClient, socketId: string, userId: string): Promise<unknown> {
  const userData = JSON.stringify({ id: userId });
  client.send({ event: 'pusher:signin', data: { auth: signinAuth(socketId, userData), user_data: userData } });
  return client.next('pusher:signin_success');
}

async function withHooks(
  webhooks: Array<Record<string, unknown>>,
  appOverrides: Record<string, unknown>,
  delivery: Record<string, unknown>,
  body: (gw: TestGateway) => Promise<void>,
): Promise<void> {
  const gw = await startGateway({ apps: [testApp({ webhooks, ...appOverrides })], webhooks: { batchWindowMs: 50, holdBackMs: 300, ...delivery } });
  try {
    await body(gw);
  } finally {
    await gw.stop();
  }
}

test('channel and presence webhooks are signed exactly as the pusher SDK verifies them', async () => {
  const hooks = await WebhookReceiver.start();
  const kinds = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss'];
  try {
    await withHooks([{ url: hooks.url, event_types: kinds }], { clientEvents: true }, {}, async ({ port }) => {
      const { client: a, socketId: sa } = await RawClient.established(port);
      const { client: b, socketId: sb } = await RawClient.established(port);
      const channel = 'presence-room';
      const dataA = JSON.stringify({ user_id: 'alice' });
      const dataB = JSON.stringify({ user_id: 'bob' });
      assert.equal((await a.subscribe(channel, { auth: channelAuth(sa, channel, dataA), channel_data: dataA })).event, 'pusher_internal:subscription_succeeded');
      assert.equal((await b.subscribe(channel, { auth: channelAuth(sb, channel, dataB), channel_data: dataB })).event, 'pusher_internal:subscription_succeeded');
      await a.subscribe('cache-news');
      a.send({ event: 'client-typing', channel, data: { on: true } });
      await b.next('client-typing');

      await hooks.until((r) => r.events().some((e) => e.name === 'client_event') && r.events().some((e) => e.name === 'cache_miss'));
      const events = hooks.events();
      assert.deepEqual(events.find((e) => e.name === 'channel_occupied' && e.channel === channel), { name: 'channel_occupied', channel });
      assert.deepEqual(events.filter((e) => e.name === 'member_added').map((e) => e['user_id']), ['alice', 'bob']);
      assert.deepEqual(events.find((e) => e.name === 'client_event'), { name: 'client_event', channel, event: 'client-typing', data: '{"on":true}', socket_id: sa, user_id: 'alice' });
      assert.deepEqual(events.find((e) => e.name === 'cache_miss'), { name: 'cache_miss', channel: 'cache-news' });
      for (const hook of hooks.hooks) {
        assert.equal(hook.headers['content-type'], 'application/json');
        const webhook = sdk.webhook({ headers: hook.headers as Record<string, string>, rawBody: hook.rawBody });
        assert.equal(webhook.isValid(), true);
        assert.equal(forgedSdk.webhook({ headers: hook.headers as Record<string, string>, rawBody: hook.rawBody }).isValid(), false);
        assert.ok(Math.abs(webhook.getTime().getTime() - Date.now()) < 60_000);
      }

      // Leaving: member_removed and channel_vacated are held back 300 ms, then sent.
      const left = Date.now();
      b.close();
      await hooks.until((r) => r.events().some((e) => e.name === 'member_removed'));
      assert.ok(Date.now() - left >= 280, 'member_removed was held back');
      assert.deepEqual(hooks.events().find((e) => e.name === 'member_removed'), { name: 'member_removed', channel, user_id: 'bob' });
      a.close();
      await hooks.until((r) => r.events().some((e) => e.name === 'channel_vacated' && e.channel === channel));
    });
  } finally {
    await hooks.close();
  }
});

test('a quick leave-and-return produces neither vacated/occupied nor removed/added', async () => {
  const hooks = await WebhookReceiver.start();
  try {
    await withHooks([{ url: hooks.url, event_types: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'] }], {}, { holdBackMs: 1000 }, async ({ port }) => {
      const channel = 'presence-lobby';
      const data = JSON.stringify({ user_id: 'carol' });
      const { client: first, socketId: s1 } = await RawClient.established(port);
      await first.subscribe(channel, { auth: channelAuth(s1, channel, data), channel_data: data });
      await first.subscribe('news');
      await hooks.until((r) => r.events().length === 3);
      // A page reload: the old socket goes, a new one comes back within the grace.
      first.close();
      await first.closed;
      const { client: second, socketId: s2 } = await RawClient.established(port);
      await second.subscribe(channel, { auth: channelAuth(s2, channel, data), channel_data: data });
      await second.subscribe('news');
      // Another channel's departure, not undone, is sent after the grace: everything before it is settled.
      const { client: third } = await RawClient.established(port);
      await third.subscribe('other');
      third.close();
      await hooks.until((r) => r.events().some((e) => e.name === 'channel_vacated' && e.channel === 'other'));
      const names = hooks.events().map((e) => `${e.name}:${String(e.channel)}:${String(e['user_id'] ?? '')}`);
      assert.deepEqual(names.sort(), [
        'channel_occupied:news:',
        'channel_occupied:other:',
        `channel_occupied:${channel}:`,
        'channel_vacated:other:',
        `member_added:${channel}:carol`,
      ].sort());
      second.close();
    });
  } finally {
    await hooks.close();
  }
});

test('events in one window share a request; event_types and channel filters pick per endpoint', async () => {
  const all = await WebhookReceiver.start();
  const filtered = await WebhookReceiver.start();
  try {
    await withHooks(
      [
        { url: all.url, event_types: ['channel_occupied'] },
        { url: filtered.url, event_types: ['channel_occupied', 'channel_vacated'], filter: { channel_name_starts_with: 'private-', channel_name_ends_with: '-ops' } },
      ],
      {},
      { batchWindowMs: 200 },
      async ({ port }) => {
        const { client, socketId } = await RawClient.established(port);
        const channels = ['a1', 'a2', 'a3', 'private-x-ops', 'private-y'];
        for (const channel of channels) {
          const auth = channel.startsWith('private-') ? channelAuth(socketId, channel) : '';
          await client.subscribe(channel, { auth });
        }
        await all.until((r) => r.events().length === channels.length);
        await filtered.until((r) => r.events().length === 1);
        assert.equal(all.hooks.length, 1, 'five occupied events in one window make one request');
        assert.deepEqual(all.events().map((e) => e.channel), channels);
        assert.deepEqual(filtered.events(), [{ name: 'channel_occupied', channel: 'private-x-ops' }]);
        client.close();
      },
    );
  } finally {
    await all.close();
    await filtered.close();
  }
});

test('opt-in kinds: user_online/user_offline and connection_opened/connection_closed with user and close code', async () => {
  const hooks = await WebhookReceiver.start();
  const plain = await WebhookReceiver.start();
  try {
    await withHooks(
      [
        { url: hooks.url, event_types: ['user_online', 'user_offline', 'connection_opened', 'connection_closed'] },
        { url: plain.url, event_types: ['channel_occupied'] },
      ],
      {},
      { holdBackMs: 100 },
      async ({ port }) => {
        const { client, socketId } = await RawClient.established(port);
        await signin(client, socketId, 'dora');
        await client.subscribe('news');
        client.ws.close(4321, 'bye');
        await hooks.until((r) => r.events().some((e) => e.name === 'user_offline'));
        await hooks.until((r) => r.events().some((e) => e.name === 'connection_closed'));
        const events = hooks.events();
        assert.deepEqual(events.find((e) => e.name === 'connection_opened'), { name: 'connection_opened', socket_id: socketId, transport: 'ws' });
        assert.deepEqual(events.find((e) => e.name === 'user_online'), { name: 'user_online', user_id: 'dora' });
        assert.deepEqual(events.find((e) => e.name === 'user_offline'), { name: 'user_offline', user_id: 'dora' });
        const closed = events.find((e) => e.name === 'connection_closed');
        assert.equal(closed?.['socket_id'], socketId);
        assert.equal(closed?.['user_id'], 'dora');
        assert.equal(closed?.['code'], 4321);
        // The endpoint that did not opt in heard none of them.
        await plain.until((r) => r.events().length === 1);
        assert.deepEqual(plain.events(), [{ name: 'channel_occupied', channel: 'news' }]);
      },
    );
  } finally {
    await hooks.close();
    await plain.close();
  }
});

test('a hanging webhook endpoint does not slow fan-out', async () => {
  // The endpoint accepts and never answers.
  const hooks = await WebhookReceiver.start(() => undefined);
  try {
    await withHooks([{ url: hooks.url, event_types: ['channel_occupied', 'channel_vacated', 'client_event'] }], {}, { timeoutMs: 60_000, holdBackMs: 0, batchWindowMs: 0 }, async ({ port, gateway }) => {
      const { client: sub } = await RawClient.established(port);
      await sub.subscribe('ticker');
      await hooks.until((r) => r.hooks.length === 1);
      // Churn: 100 channels occupied and vacated, every one a webhook event stuck behind the hung request.
      const { client: churn } = await RawClient.established(port);
      for (let i = 0; i < 100; i++) {
        churn.send({ event: 'pusher:subscribe', data: { channel: `churn-${i}`, auth: '' } });
        churn.send({ event: 'pusher:unsubscribe', data: { channel: `churn-${i}` } });
      }
      const started = Date.now();
      for (let i = 0; i < 50; i++) assert.equal((await api(port, 'POST', '/apps/app-id/events', { name: 'tick', channel: 'ticker', data: String(i) })).status, 200);
      for (let i = 0; i < 50; i++) assert.equal((await sub.next('tick')).data, i);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 5000, `50 publishes took ${elapsed} ms`);
      assert.equal(hooks.hooks.length, 1, 'the endpoint is still stuck on its first request');
      assert.ok((gateway.webhooks?.backlog('app-id') ?? 0) > 100, 'the churn is queued behind it');
      sub.close();
      churn.close();
    });
  } finally {
    await hooks.close();
  }
});

test('subscription_count webhooks follow the app switch, as on Pusher', async () => {
  const hooks = await WebhookReceiver.start();
  try {
    await withHooks([{ url: hooks.url, event_types: ['subscription_count'] }], { subscriptionCountEvents: true }, {}, async ({ port }) => {
      const { client: a } = await RawClient.established(port);
      const { client: b } = await RawClient.established(port);
      await a.subscribe('crowd');
      await b.subscribe('crowd');
      await hooks.until((r) => r.events().some((e) => e['subscription_count'] === 2));
      assert.deepEqual(hooks.events().at(-1), { name: 'subscription_count', channel: 'crowd', subscription_count: 2 });
      a.close();
      b.close();
    });
  } finally {
    await hooks.close();
  }
});
