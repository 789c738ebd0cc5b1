import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { clusterFromConfig } from '../../src/gateway.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { RedisCluster } from '../../src/cluster/redis-cluster.js';
import { loadConfig } from '../../src/ops/config.js';
import { isGatewayError } from '../../src/protocol/errors.js';

describe('cluster configuration', () => {
  it('defaults to the local adapter and reads the Redis settings from the environment', () => {
    assert.equal(loadConfig({ env: {} }).config.adapter, 'local');
    const { config } = loadConfig({
      env: { SWITCHBOARD_ADAPTER: 'redis', SWITCHBOARD_REDIS__PREFIX: 'prod:', SWITCHBOARD_REDIS__HEARTBEAT_SECONDS: '0.5', SWITCHBOARD_REDIS__NODE_TTL_SECONDS: '3' },
      flags: { redis: { url: 'redis://127.0.0.1:1' } },
    });
    assert.deepEqual(config.redis, { url: 'redis://127.0.0.1:1', prefix: 'prod:', heartbeatSeconds: 0.5, nodeTtlSeconds: 3 });
  });

  it('refuses a TTL shorter than two heartbeats, naming the key', () => {
    assert.throws(
      () => loadConfig({ env: {}, flags: { redis: { heartbeatSeconds: 5, nodeTtlSeconds: 6 } } }),
      (e: unknown) => isGatewayError(e) && e.message.includes('"redis.nodeTtlSeconds"') && e.message.includes('twice'),
    );
    assert.throws(() => loadConfig({ env: {}, flags: { adapter: 'memcached' } }), (e: unknown) => isGatewayError(e) && e.message.includes('"adapter"'));
  });

  it('builds the engine the adapter names', async () => {
    const log = pino({ level: 'silent' });
    const local = clusterFromConfig(loadConfig({ env: {} }).config, log);
    assert.ok(local instanceof LocalCluster);
    // Nothing listens on port 1: the Redis cluster is built and reports itself unhealthy.
    const redis = clusterFromConfig(loadConfig({ env: {}, flags: { adapter: 'redis', redis: { url: 'redis://127.0.0.1:1' } } }).config, log);
    assert.ok(redis instanceof RedisCluster);
    assert.equal(redis.healthy(), false);
    await Promise.all([local.close(), redis.close()]);
  });
});
