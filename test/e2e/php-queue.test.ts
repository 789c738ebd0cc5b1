import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { RawClient } from '../helpers/raw-client.js';
import { TestRedis } from '../cluster/redis-server.js';

const run = promisify(execFile);
const PASSWORD = 'queue-secret';
const STREAM = 'php-queue-events';

let redis: TestRedis;
let gw: TestGateway;

/** Runs PHP code after including the example's lib.php, configured for this test's Redis. */
async function php(phpArgs: readonly string[], code: string): Promise<string> {
  const { stdout } = await run('php', [...phpArgs, '-r', `require 'examples/php/lib.php'; ${code}`], {
    env: { ...process.env, REDIS_PORT: String(redis.port), REDIS_PASSWORD: PASSWORD, SWITCHBOARD_STREAM: STREAM },
  });
  return stdout;
}

before(async () => {
  // With a password, so both branches go through AUTH as on a real host.
  redis = await TestRedis.unstarted(['--requirepass', PASSWORD]);
  await redis.resume();
  gw = await startGateway({ queue: { enabled: true, redisUrl: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`, stream: STREAM, consumer: 'php-queue' } });
});

after(async () => {
  await gw?.stop();
  await redis?.stop();
});

// lib.php uses phpredis when the extension is loaded and speaks RESP over a socket otherwise; `php -n`
// loads no extension at all, which is the $6-hosting case.
for (const [name, phpArgs, extension] of [
  ['phpredis', [], 'yes'],
  ['plain sockets (php -n: no extensions)', ['-n'], 'no'],
] as const) {
  test(`examples/php sb_publish_queue through ${name} reaches a subscriber, once per id`, async () => {
    assert.equal(await php(phpArgs, `echo extension_loaded('redis') ? 'yes' : 'no';`), extension, 'the branch under test (.ci/run installs php-redis)');
    const { client } = await RawClient.established(gw.port);
    const channel = `php-queue-${extension}`;
    await client.subscribe(channel);
    const ids = [];
    for (const attempt of [1, 2]) {
      // The same idempotency id twice: a PHP retry after a timeout must not publish twice.
      ids.push(await php(phpArgs, `echo sb_publish_queue(['${channel}'], 'queued', 'attempt ${attempt}', 'order-7-${extension}');`));
    }
    for (const id of ids) assert.match(id, /^\d+-\d+$/, 'XADD answered an entry id');
    const frame = await client.next((f) => f.channel === channel && f.event === 'queued', 10_000);
    assert.equal(frame.data, 'attempt 1');
    // Published after the duplicate: it arrives next, so the duplicate was dropped, not delayed.
    await php(phpArgs, `sb_publish_queue(['${channel}'], 'queued', 'after', 'order-8-${extension}');`);
    const next = await client.next((f) => f.channel === channel && f.event === 'queued', 10_000);
    assert.equal(next.data, 'after');
    client.close();
  });
}

test('a wrong Redis password is a PHP exception naming Redis, on both branches', async () => {
  for (const phpArgs of [[], ['-n']]) {
    const out = await php(phpArgs, `putenv('REDIS_PASSWORD=wrong'); try { sb_publish_queue(['x'], 'e', 'd'); echo 'published'; } catch (Throwable $e) { echo get_class($e), ': ', $e->getMessage(); }`);
    assert.doesNotMatch(out, /^published/, phpArgs.join(' '));
    assert.match(out, /WRONGPASS|invalid password|AUTH/i, phpArgs.join(' '));
  }
});
