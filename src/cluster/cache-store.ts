/** The last event of a cache channel. */
export interface CachedEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Last event per cache channel, kept for a TTL. Guarantees: `get` never returns an event older than
 * the TTL it was stored with; the most recent `set` wins.
 */
export interface CacheStore {
  set(appId: string, channel: string, event: CachedEvent, ttlSeconds: number): Promise<void>;
  get(appId: string, channel: string): Promise<CachedEvent | undefined>;
  close(): Promise<void>;
}
