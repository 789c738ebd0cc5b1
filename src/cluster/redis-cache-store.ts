import type { CachedEvent, CacheStore } from './cache-store.js';
import type { RedisConnections } from './redis-connections.js';
import type { RedisKeys } from './redis-keys.js';

/** Cache channels' last events in Redis, one key per channel expiring with the event's TTL. */
export class RedisCacheStore implements CacheStore {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  async set(appId: string, channel: string, event: CachedEvent, ttlSeconds: number): Promise<void> {
    const value = JSON.stringify({ event: event.event, data: event.data });
    await this.redis.call((r) => r.set(this.keys.cache(appId, channel), value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000))));
  }

  async get(appId: string, channel: string): Promise<CachedEvent | undefined> {
    const value = await this.redis.call((r) => r.get(this.keys.cache(appId, channel)));
    if (value === null) return undefined;
    try {
      const parsed = JSON.parse(value) as { event?: unknown; data?: unknown };
      return typeof parsed.event === 'string' ? { event: parsed.event, data: parsed.data } : undefined;
    } catch {
      return undefined; // Not ours (a foreign writer under our prefix): behave as a miss.
    }
  }

  async close(): Promise<void> {
    // The connections belong to the cluster.
  }
}
