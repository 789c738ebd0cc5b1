import { Redis } from 'ioredis';

export interface QueueLagOptions {
  readonly redisUrl: string;
  readonly stream: string;
  readonly group: string;
}

/**
 * Reads how far the ingest queue's consumer group is behind: the `lag` Redis 7 reports for the group
 * (entries added to the stream and not yet read by the group). Uses its own connection so a
 * scrape never waits behind the consumer's blocking reads; each read is bounded by a short timeout.
 */
export class QueueLagProbe {
  private readonly redis: Redis;

  constructor(private readonly options: QueueLagOptions) {
    this.redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 2000, enableOfflineQueue: true });
    // Failures surface as a missing gauge value on the next scrape; the consumer logs the outage.
    this.redis.on('error', () => undefined);
  }

  /** Entries not yet read by the group; undefined when the stream or group does not exist yet or Redis is unreachable. */
  async lag(): Promise<number | undefined> {
    let groups: unknown;
    try {
      groups = await this.redis.xinfo('GROUPS', this.options.stream);
    } catch {
      return undefined; // No stream yet (ERR no such key) or no Redis: nothing to report.
    }
    if (!Array.isArray(groups)) return undefined;
    for (const entry of groups) {
      if (!Array.isArray(entry)) continue;
      const fields = new Map<string, unknown>();
      for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
      if (fields.get('name') !== this.options.group) continue;
      const lag = fields.get('lag');
      return typeof lag === 'number' ? lag : undefined;
    }
    return undefined;
  }

  close(): void {
    this.redis.disconnect();
  }
}
