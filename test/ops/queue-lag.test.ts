import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Metrics } from '../../src/ops/metrics.js';
import { QueueLagProbe } from '../../src/ops/queue-lag.js';
import { TestRedis } from '../cluster/redis-server.js';
import { parsePrometheus, sampleValue } from './prom-text.js';

describe('queue consumer lag', () => {
  let redis: TestRedis;
  let client: Redis;
  before(async () => {
    redis = await TestRedis.start();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('is the number of entries the consumer group has not read, scraped as switchboard_queue_lag', async () => {
    const probe = new QueueLagProbe({ redisUrl: redis.url, stream: 'events', group: 'switchboard' });
    const metrics = new Metrics({ processMetrics: false });
    metrics.watchQueueLag('events', () => probe.lag());
    const scrapeLag = async (): Promise<number | undefined> => sampleValue(parsePrometheus(await metrics.scrape()), 'switchboard_queue_lag', { stream: 'events' });
    try {
      assert.equal(await probe.lag(), undefined, 'no stream yet');
      assert.equal(await scrapeLag(), undefined, 'no sample rather than a made-up 0');
      await client.xgroup('CREATE', 'events', 'switchboard', '$', 'MKSTREAM');
      for (let i = 0; i < 5; i++) await client.xadd('events', '*', 'n', String(i));
      assert.equal(await scrapeLag(), 5);
      await client.xreadgroup('GROUP', 'switchboard', 'c1', 'COUNT', 3, 'STREAMS', 'events', '>');
      assert.equal(await scrapeLag(), 2);
    } finally {
      probe.close();
    }
  });
});
