import { after, before } from 'node:test';
import pino from 'pino';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { RedisCluster, type RedisClusterOptions } from '../../src/cluster/redis-cluster.js';
import { startNode, type ContractNode } from './contract.js';
import { TestRedis } from './redis-server.js';

export const silent = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

export function localNode(): Promise<ContractNode> {
  return startNode(new LocalCluster());
}

/** A Redis cluster node with fast heartbeats; `prefix` isolates it from other tests' keys. */
export function redisCluster(redis: TestRedis, prefix: string, overrides: Partial<RedisClusterOptions> = {}): RedisCluster {
  return new RedisCluster({ url: redis.url, prefix, heartbeatMs: 200, nodeTtlMs: 2000, maxBackoffMs: 500, log: silent, ...overrides });
}

/** Starts a private redis-server for this test file; the getter is valid once hooks have run. */
export function useTestRedis(): () => TestRedis {
  let redis: TestRedis | undefined;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(async () => {
    await redis?.stop();
  });
  return () => {
    if (!redis) throw new Error('redis-server not started yet');
    return redis;
  };
}

let prefixes = 0;
export function freshPrefix(): string {
  return `t${process.pid}-${++prefixes}:`;
}
