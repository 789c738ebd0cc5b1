import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { NodeProcess } from './node-process.js';
import { TestRedis } from './redis-server.js';

describe('a node started while Redis is down', () => {
  let redis: TestRedis | undefined;
  let node: NodeProcess | undefined;
  after(async () => {
    await node?.stop();
    await redis?.stop();
  });

  it('says so clearly, retries with backoff without leaking the password, and serves once Redis is up', async () => {
    redis = await TestRedis.unstarted(['--requirepass', 'sekret-pw']);
    node = NodeProcess.spawn({ redisUrl: `redis://:sekret-pw@127.0.0.1:${redis.port}`, prefix: 'down:' });
    const third = await node.waitFor((l) => l['msg'] === 'cannot reach Redis; retrying' && Number(l['attempt']) >= 3, 'three retries');
    assert.match(String(third['reason']), /ECONNREFUSED/);
    const delays = node.lines.filter((l) => l['msg'] === 'cannot reach Redis; retrying').map((l) => Number(l['retryInMs']));
    assert.ok(delays.length >= 3 && (delays[2] as number) > (delays[0] as number), `backoff grows: ${delays.join(', ')}`);
    assert.ok(!node.lines.some((l) => l['msg'] === 'switchboard listening'), 'does not serve without Redis');
    assert.ok(!JSON.stringify(node.lines).includes('sekret-pw'), 'the password never reaches the log');
    assert.equal(node.child.exitCode, null, 'still running');

    await redis.resume();
    const port = await node.listening(30_000);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string };
    assert.equal(health.status, 'ok');
  });
});
