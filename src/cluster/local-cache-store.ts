import type { CachedEvent, CacheStore } from './cache-store.js';

/** Cache channels' last events in this process; expired entries are dropped on read and by a sweep. */
export class LocalCacheStore implements CacheStore {
  private readonly entries = new Map<string, { event: CachedEvent; expiresAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async set(appId: string, channel: string, event: CachedEvent, ttlSeconds: number): Promise<void> {
    this.entries.set(`${appId}\u0000${channel}`, { event, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async get(appId: string, channel: string): Promise<CachedEvent | undefined> {
    const key = `${appId}\u0000${channel}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.event;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }
}
