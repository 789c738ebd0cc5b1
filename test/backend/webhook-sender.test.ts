import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { WebhookSender, type WebhookSenderOptions } from '../../src/backend/webhook-sender.js';
import type { WebhookObserver } from '../../src/seams/observers.js';
import type { WebhookEvent, WebhookTarget } from '../../src/backend/webhook-event.js';
import { WebhookReceiver } from './webhook-receiver.js';

const APP = { id: 'app-1', key: 'key-1', secret: 'very-secret-value' };
const FAST: WebhookSenderOptions = { timeoutMs: 2000, retryLimitMs: 10_000, backoffInitialMs: 20, backoffMaxMs: 200, backlogSize: 1000 };

function target(url: string): WebhookTarget {
  return { url, eventTypes: new Set(['channel_occupied']), headers: { 'x-extra': 'yes' } };
}

function occupied(channel: string): WebhookEvent[] {
  return [{ name: 'channel_occupied', channel }];
}

/** A logger whose lines a test can read, and an observer recording every outcome. */
function recorders(): { lines: string[]; log: pino.Logger; outcomes: Array<{ kind: string; e: Record<string, unknown> }>; observer: WebhookObserver } {
  const lines: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const outcomes: Array<{ kind: string; e: Record<string, unknown> }> = [];
  const observer: WebhookObserver = {
    delivered: (e) => outcomes.push({ kind: 'delivered', e }),
    retried: (e) => outcomes.push({ kind: 'retried', e }),
    dropped: (e) => outcomes.push({ kind: 'dropped', e }),
  };
  return { lines, log, outcomes, observer };
}

async function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('an endpoint answering 500 gets the same signed bytes again until it answers 2xx', async () => {
  const receiver = await WebhookReceiver.start((n, _req, res) => {
    res.statusCode = n < 2 ? 500 : 204;
    res.end();
  });
  const { log, outcomes, observer } = recorders();
  const sender = new WebhookSender(FAST, log, observer);
  try {
    sender.enqueue(APP, target(receiver.url), occupied('news'));
    await until(() => outcomes.some((o) => o.kind === 'delivered'));
    assert.equal(receiver.hooks.length, 3);
    assert.equal(new Set(receiver.hooks.map((h) => h.rawBody)).size, 1, 'every retry sends the same body');
    assert.equal(new Set(receiver.hooks.map((h) => h.headers['x-pusher-signature'])).size, 1);
    assert.equal(receiver.hooks[0]?.headers['x-pusher-key'], 'key-1');
    assert.equal(receiver.hooks[0]?.headers['x-extra'], 'yes');
    assert.deepEqual(outcomes.map((o) => o.kind), ['retried', 'retried', 'delivered']);
    assert.equal(outcomes[0]?.e['reason'], 'status 500');
    assert.equal(outcomes[2]?.e['attempts'], 3);
    assert.ok(Number(outcomes[2]?.e['ms']) >= 40, 'delivery time counts from the first attempt, backoff included');
    assert.equal(sender.backlog(APP.id), 0);
  } finally {
    await sender.close(100);
    await receiver.close();
  }
});

test('a hanging endpoint times out and is retried', async () => {
  const receiver = await WebhookReceiver.start((n, _req, res) => {
    if (n > 0) res.end('ok'); // The first request never gets an answer.
  });
  const { log, outcomes, observer } = recorders();
  const sender = new WebhookSender({ ...FAST, timeoutMs: 300 }, log, observer);
  try {
    const started = Date.now();
    sender.enqueue(APP, target(receiver.url), occupied('news'));
    await until(() => outcomes.some((o) => o.kind === 'delivered'));
    assert.ok(Date.now() - started >= 290, 'waited for the timeout');
    assert.equal(receiver.hooks.length, 2);
    assert.match(String(outcomes[0]?.e['reason']), /no answer within 300 ms/);
  } finally {
    await sender.close(100);
    await receiver.close();
  }
});

test('a refused connection is retried with backoff until the limit, then dropped with a log line and a metric', async () => {
  const port = await freePort();
  const { lines, log, outcomes, observer } = recorders();
  const sender = new WebhookSender({ ...FAST, retryLimitMs: 600, backoffInitialMs: 50 }, log, observer);
  try {
    sender.enqueue(APP, target(`http://user:password@127.0.0.1:${port}/hook?token=abc`), occupied('news'));
    await until(() => outcomes.some((o) => o.kind === 'dropped'));
    const retries = outcomes.filter((o) => o.kind === 'retried');
    assert.ok(retries.length >= 2 && retries.length <= 6, `retried ${retries.length} times`);
    assert.equal(retries[0]?.e['reason'], 'ECONNREFUSED');
    const dropped = outcomes.find((o) => o.kind === 'dropped');
    assert.deepEqual(dropped?.e, { appId: APP.id, url: `http://127.0.0.1:${port}/hook`, events: 1, reason: 'retry-limit' });
    const line = lines.find((l) => l.includes('webhook dropped'));
    assert.ok(line, 'a log line says so');
    const all = lines.join('');
    for (const secret of ['password', 'token=abc', APP.secret]) assert.ok(!all.includes(secret), `${secret} stays out of the logs`);
    assert.equal(sender.backlog(APP.id), 0);
  } finally {
    await sender.close(100);
  }
});

test('redirects are not followed: the redirect target hears nothing and the batch is retried', async () => {
  const elsewhere = await WebhookReceiver.start();
  const redirecting = await WebhookReceiver.start((_n, _req, res) => {
    res.writeHead(307, { location: elsewhere.url });
    res.end();
  });
  const { log, outcomes, observer } = recorders();
  const sender = new WebhookSender({ ...FAST, retryLimitMs: 300 }, log, observer);
  try {
    sender.enqueue(APP, target(redirecting.url), occupied('news'));
    await until(() => outcomes.some((o) => o.kind === 'dropped'));
    assert.ok(redirecting.hooks.length >= 2, 'retried');
    assert.equal(elsewhere.hooks.length, 0);
    assert.equal(outcomes[0]?.e['reason'], 'redirect 307 not followed');
  } finally {
    await sender.close(100);
    await redirecting.close();
    await elsewhere.close();
  }
});

test('a full backlog drops the oldest queued batches, counted, and delivers the rest in order', async () => {
  let release: ServerResponse | undefined;
  const receiver = await WebhookReceiver.start((n, _req, res) => {
    if (n === 0) release = res; // Held until the test lets it go.
    else res.end('ok');
  });
  const { log, outcomes, observer } = recorders();
  const sender = new WebhookSender({ ...FAST, timeoutMs: 30_000, backlogSize: 3 }, log, observer);
  try {
    sender.enqueue(APP, target(receiver.url), occupied('c0'));
    await receiver.until((r) => r.hooks.length === 1);
    for (let i = 1; i <= 5; i++) sender.enqueue(APP, target(receiver.url), occupied(`c${i}`));
    assert.equal(sender.backlog(APP.id), 3);
    assert.deepEqual(
      outcomes.map((o) => [o.kind, o.e['reason']]),
      [
        ['dropped', 'backlog-full'],
        ['dropped', 'backlog-full'],
        ['dropped', 'backlog-full'],
      ],
    );
    release?.end('ok');
    await until(() => outcomes.filter((o) => o.kind === 'delivered').length === 3);
    assert.deepEqual(receiver.events().map((e) => e.channel), ['c0', 'c4', 'c5']);
  } finally {
    await sender.close(100);
    await receiver.close();
  }
});

test('close gives queued batches one bounded chance, then drops them as shutdown', async () => {
  const receiver = await WebhookReceiver.start(() => undefined); // Never answers.
  const { log, outcomes, observer } = recorders();
  const sender = new WebhookSender({ ...FAST, timeoutMs: 30_000 }, log, observer);
  try {
    sender.enqueue(APP, target(receiver.url), occupied('a'));
    sender.enqueue(APP, target(receiver.url), occupied('b'));
    await receiver.until((r) => r.hooks.length === 1);
    const started = Date.now();
    await sender.close(200);
    assert.ok(Date.now() - started < 2000, 'close is bounded');
    assert.deepEqual(
      outcomes.filter((o) => o.kind === 'dropped').map((o) => o.e['reason']),
      ['shutdown', 'shutdown'],
    );
    assert.equal(sender.backlog(APP.id), 0);
    sender.enqueue(APP, target(receiver.url), occupied('late'));
    assert.equal(sender.backlog(APP.id), 0, 'nothing is queued after close');
  } finally {
    await receiver.close();
  }
});

test('credentials in a webhook URL become basic authentication', async () => {
  const receiver = await WebhookReceiver.start();
  const { log, outcomes, observer } = recorders();
  const sender = new WebhookSender(FAST, log, observer);
  try {
    sender.enqueue(APP, target(receiver.url.replace('http://', 'http://hook%20user:p%40ss@')), occupied('news'));
    await until(() => outcomes.some((o) => o.kind === 'delivered'));
    assert.equal(receiver.hooks[0]?.headers['authorization'], `Basic ${Buffer.from('hook user:p@ss').toString('base64')}`);
  } finally {
    await sender.close(100);
    await receiver.close();
  }
});
