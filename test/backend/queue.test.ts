import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { App } from '../../src/apps/app.js';
import { StaticAppStore } from '../../src/apps/app-store.js';
import { QueueConsumer, type QueuePublisher } from '../../src/backend/queue-consumer.js';
import { AppConfigSchema } from '../../src/ops/config.js';
import { Errors, GatewayError } from '../../src/protocol/errors.js';
import type { CoreObserver } from '../../src/core/observer.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { RawClient } from '../helpers/raw-client.js';
import { api } from '../helpers/sign.js';
import { TestRedis } from '../cluster/redis-server.js';

let redis: TestRedis;
let client: Redis;
let streams = 0;

before(async () => {
  redis = await TestRedis.start();
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});

after(async () => {
  client.disconnect();
  await redis.stop();
});

interface Published {
  channel: string;
  event: string;
  data: string;
}

/** A gateway consuming its own stream, and every event it publishes. */
async function queueGateway(
  url: string,
  queue: Record<string, unknown> = {},
  appOverrides: Record<string, unknown> = {},
): Promise<{ gw: TestGateway; published: Published[]; stream: string; dead: string; waitFor: (n: number) => Promise<void> }> {
  const stream = `events-${++streams}`;
  const dead = `${stream}:dead`;
  const published: Published[] = [];
  const waiters: Array<() => void> = [];
  const observer: CoreObserver = {
    published: (e) => {
      for (const channel of e.channels) published.push({ channel, event: e.event, data: e.data });
      for (const wake of waiters.splice(0)) wake();
    },
  };
  const gw = await startGateway(
    { apps: [testApp(appOverrides), testApp({ id: 'other', key: 'other-key', secret: 'other-secret' })], queue: { enabled: true, redisUrl: url, stream, deadLetterStream: dead, consumer: `c-${stream}`, ...queue } },
    { observers: [observer] },
  );
  const waitFor = async (n: number): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (published.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} publishes, got ${JSON.stringify(published)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return { gw, published, stream, dead, waitFor };
}

async function health(port: number): Promise<{ status: string; queue?: { state: string; error?: string; failures: number; consumed: number; deadLettered: number; duplicates: number } }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return (await res.json()) as never;
}

async function until<T>(probe: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (pred(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function pendingCount(stream: string): Promise<number> {
  const summary = (await client.xpending(stream, 'switchboard')) as [number, ...unknown[]];
  return summary[0];
}

test('single and batch entries reach subscribers and are acknowledged', async () => {
  const { gw, stream, waitFor } = await queueGateway(redis.url);
  try {
    const { client: ws } = await RawClient.established(gw.port);
    await ws.subscribe('orders');
    await client.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ name: 'created', channel: 'orders', data: '{"id":1}' }));
    assert.deepEqual((await ws.next('created')).data, { id: 1 });
    await client.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ batch: [{ name: 'a', channel: 'orders', data: '1' }, { name: 'b', channel: 'orders', data: '2' }] }));
    await ws.next('a');
    await ws.next('b');
    await waitFor(3);
    assert.equal(await pendingCount(stream), 0);
    assert.equal((await health(gw.port)).queue?.consumed, 2);
    ws.close();
  } finally {
    await gw.stop();
  }
});

test('malformed entries go to the dead-letter stream with the reason, and the consumer carries on', async () => {
  const { gw, stream, dead, published, waitFor } = await queueGateway(redis.url, {}, { maxEventBytes: 100, maxBatchSize: 2 });
  try {
    const bad: Array<[string[], RegExp]> = [
      [['app', 'nope', 'body', JSON.stringify({ name: 'e', channel: 'c', data: 'x' })], /app nope does not exist/],
      [['app', 'app-id', 'body', '{not json'], /not valid JSON/],
      [['app', 'app-id', 'body', JSON.stringify({ name: 'e', channel: 'c', data: 'x'.repeat(101) })], /exceeds the allowed maximum \(100 bytes\)/],
      [['app', 'app-id', 'body', 'x'.repeat(300_000)], /body larger than/],
      [['body', JSON.stringify({ name: 'e', channel: 'c', data: 'x' })], /missing field "app"/],
      [['app', 'app-id'], /missing field "body"/],
      [['app', 'app-id', 'body', JSON.stringify({ channel: 'c', data: 'x' })], /"name"/],
      [['app', 'app-id', 'body', JSON.stringify({ name: 'e', channel: 'bad channel!', data: 'x' })], /invalid channel/],
      [['app', 'app-id', 'body', JSON.stringify({ batch: [1, 2, 3] })], /Batch too large: 3 events, the maximum is 2/],
      [['app', 'app-id', 'body', '[]'], /JSON object/],
    ];
    const ids: string[] = [];
    for (const [fields] of bad) ids.push((await client.xadd(stream, '*', ...fields)) as string);
    await client.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ name: 'fine', channel: 'c', data: 'ok' }));
    await waitFor(1);
    assert.deepEqual(published, [{ channel: 'c', event: 'fine', data: 'ok' }]);
    const letters = (await client.xrange(dead, '-', '+')).map(([, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i < fields.length; i += 2) if (!map.has(fields[i] as string)) map.set(fields[i] as string, fields[i + 1] as string);
      return map;
    });
    assert.equal(letters.length, bad.length);
    bad.forEach(([fields, reason], i) => {
      const letter = letters[i] as Map<string, string>;
      assert.match(letter.get('reason') ?? '', reason, `entry ${i}`);
      assert.equal(letter.get('entry_id'), ids[i]);
      if (fields[0] === 'app') assert.equal(letter.get('app'), fields[1]);
    });
    assert.equal(await pendingCount(stream), 0, 'dead letters are acknowledged, never retried');
    assert.equal((await health(gw.port)).queue?.deadLettered, bad.length);
  } finally {
    await gw.stop();
  }
});

test('an idempotency id is published once within the window, per app', async () => {
  const { gw, stream, published, waitFor } = await queueGateway(redis.url);
  try {
    const body = (data: string): string => JSON.stringify({ name: 'paid', channel: 'billing', data });
    await client.xadd(stream, '*', 'app', 'app-id', 'id', 'order-7', 'body', body('first'));
    await client.xadd(stream, '*', 'app', 'app-id', 'id', 'order-7', 'body', body('again'));
    await client.xadd(stream, '*', 'app', 'other', 'id', 'order-7', 'body', body('other app'));
    await client.xadd(stream, '*', 'app', 'app-id', 'id', 'order-8', 'body', body('next'));
    await waitFor(3);
    await until(() => health(gw.port), (h) => h.queue?.duplicates === 1);
    assert.deepEqual(published.map((p) => p.data), ['first', 'other app', 'next']);
    assert.equal(await pendingCount(stream), 0);
  } finally {
    await gw.stop();
  }
});

test("entries a dead consumer left pending are taken over and published", async () => {
  const stream = `events-${++streams}`;
  await client.xgroup('CREATE', stream, 'switchboard', '$', 'MKSTREAM');
  await client.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ name: 'orphan', channel: 'c', data: 'x' }));
  // A consumer reads it and dies before acknowledging.
  const read = (await client.xreadgroup('GROUP', 'switchboard', 'dead-consumer', 'COUNT', 10, 'STREAMS', stream, '>')) as unknown[];
  assert.equal(read.length, 1);
  assert.equal(await pendingCount(stream), 1);
  const published: string[] = [];
  const gw = await startGateway(
    { queue: { enabled: true, redisUrl: redis.url, stream, consumer: 'survivor', claimIdleSeconds: 0.5 } },
    { observers: [{ published: (e) => published.push(e.event) }] },
  );
  try {
    await until(async () => published, (p) => p.length === 1);
    assert.deepEqual(published, ['orphan']);
    await until(() => pendingCount(stream), (n) => n === 0);
  } finally {
    await gw.stop();
  }
});

test('Redis down at start: sockets are served, health says so, and the queue catches up when Redis comes', async () => {
  // A port where Redis will be, later.
  const late = await TestRedis.start();
  await late.kill();
  const { gw, stream, waitFor } = await queueGateway(late.url);
  try {
    const down = await until(() => health(gw.port), (h) => h.queue?.state === 'down' && h.queue.failures >= 2);
    assert.equal(down.status, 'degraded');
    assert.match(down.queue?.error ?? '', /.+/);
    // The gateway keeps serving WebSocket clients and the HTTP API meanwhile.
    const { client: ws } = await RawClient.established(gw.port);
    await ws.subscribe('news');
    assert.equal((await api(gw.port, 'POST', '/apps/app-id/events', { name: 'http', channel: 'news', data: 'still here' })).status, 200);
    assert.equal((await ws.next('http')).data, 'still here');
    // Backoff, not a busy loop: a handful of attempts in a couple of seconds.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const failures = (await health(gw.port)).queue?.failures ?? 0;
    assert.ok(failures >= 3 && failures <= 15, `${failures} attempts`);

    await late.resume();
    await until(() => health(gw.port), (h) => h.status === 'ok' && h.queue?.state === 'up');
    const producer = new Redis(late.url);
    await producer.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ name: 'queued', channel: 'news', data: 'via redis' }));
    assert.equal((await ws.next('queued')).data, 'via redis');
    await waitFor(2);
    producer.disconnect();
    ws.close();
  } finally {
    await gw.stop();
    await late.stop();
  }
});

test('Redis dies mid-run: the consumer backs off, sockets keep working, and it resumes on a fresh Redis', async () => {
  const own = await TestRedis.start();
  const { gw, stream } = await queueGateway(own.url);
  const producer = new Redis(own.url, { maxRetriesPerRequest: 1 });
  producer.on('error', () => undefined);
  try {
    const { client: ws } = await RawClient.established(gw.port);
    await ws.subscribe('news');
    await producer.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ name: 'before', channel: 'news', data: '1' }));
    await ws.next('before');
    await until(() => health(gw.port), (h) => h.queue?.state === 'up');

    await own.kill();
    const down = await until(() => health(gw.port), (h) => h.queue?.state === 'down');
    assert.equal(down.status, 'degraded');
    assert.equal((await api(gw.port, 'POST', '/apps/app-id/events', { name: 'during', channel: 'news', data: '2' })).status, 200);
    assert.equal((await ws.next('during')).data, 2);

    // A fresh, empty Redis: the stream and group are gone and must be recreated.
    await own.resume();
    await until(() => health(gw.port), (h) => h.queue?.state === 'up', 30_000);
    await producer.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ name: 'after', channel: 'news', data: '3' }));
    assert.equal((await ws.next('after', 15_000)).data, 3);
    ws.close();
  } finally {
    producer.disconnect();
    await gw.stop();
    await own.stop();
  }
});

test('an entry is acknowledged only after the publisher took it; an unavailable cluster means retry, not loss', async () => {
  const stream = `events-${++streams}`;
  const apps = new StaticAppStore([{ ...(AppConfigSchema.parse(testApp()) as unknown as App) }]);
  let mode: 'unavailable' | 'hold' | 'ok' = 'unavailable';
  let attempts = 0;
  let release: (() => void) | undefined;
  const taken: string[] = [];
  const publisher: QueuePublisher = {
    async publish(_app, request) {
      attempts++;
      if (mode === 'unavailable') throw new GatewayError(Errors.Unavailable, 'cluster down');
      if (mode === 'hold') await new Promise<void>((resolve) => (release = resolve));
      taken.push(request.name);
    },
  };
  const consumer = new QueueConsumer(apps, publisher, {
    redisUrl: redis.url, stream, group: 'switchboard', consumer: 'solo', deadLetterStream: `${stream}:dead`,
    keyPrefix: 'test:', dedupeWindowSeconds: 60, claimIdleMs: 60_000, backoffInitialMs: 50, backoffMaxMs: 200,
  }, pino({ level: 'silent' }));
  consumer.start();
  try {
    await client.xadd(stream, '*', 'app', 'app-id', 'id', 'once', 'body', JSON.stringify({ name: 'e1', channel: 'c', data: 'x' }));
    await until(async () => attempts, (n) => n >= 3);
    assert.equal(await pendingCount(stream), 1, 'not acknowledged while the cluster refuses it');
    assert.equal(consumer.health().state, 'down');
    mode = 'hold';
    await until(async () => release, (r) => r !== undefined);
    assert.equal(await pendingCount(stream), 1, 'not acknowledged while the publisher still holds it');
    mode = 'ok';
    release?.();
    await until(() => pendingCount(stream), (n) => n === 0);
    assert.deepEqual(taken, ['e1'], 'published once, its idempotency id not burnt by the failed attempts');
    assert.equal(consumer.health().state, 'up');
  } finally {
    await consumer.stop();
  }
});

test('an entry the publisher fails on unexpectedly is tried a few times, then dead-lettered, and the queue moves on', async () => {
  const stream = `events-${++streams}`;
  const dead = `${stream}:dead`;
  const apps = new StaticAppStore([{ ...(AppConfigSchema.parse(testApp()) as unknown as App) }]);
  let poisonAttempts = 0;
  const taken: string[] = [];
  const publisher: QueuePublisher = {
    async publish(_app, request) {
      if (request.name === 'poison') {
        poisonAttempts++;
        throw new TypeError('cannot read properties of undefined');
      }
      taken.push(request.name);
    },
  };
  const consumer = new QueueConsumer(apps, publisher, {
    redisUrl: redis.url, stream, group: 'switchboard', consumer: 'solo', deadLetterStream: dead,
    keyPrefix: 'test:', dedupeWindowSeconds: 60, claimIdleMs: 60_000, backoffInitialMs: 20, backoffMaxMs: 100,
  }, pino({ level: 'silent' }));
  consumer.start();
  try {
    await client.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ name: 'poison', channel: 'c', data: 'x' }));
    await client.xadd(stream, '*', 'app', 'app-id', 'body', JSON.stringify({ name: 'healthy', channel: 'c', data: 'y' }));
    await until(async () => taken, (t) => t.length === 1);
    assert.deepEqual(taken, ['healthy']);
    assert.equal(poisonAttempts, 4, 'three retries after the first failure');
    const letters = await client.xrange(dead, '-', '+');
    assert.equal(letters.length, 1);
    assert.deepEqual(letters[0]?.[1].slice(0, 2), ['reason', 'internal error: cannot read properties of undefined']);
    await until(() => pendingCount(stream), (n) => n === 0);
  } finally {
    await consumer.stop();
  }
});
