import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { App } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import type { PublishRequest } from '../core/publisher.js';
import { Errors, isGatewayError } from '../protocol/errors.js';
import type { QueueObserver } from '../seams/observers.js';
import { parseQueueEntry } from './queue-entry.js';

/** What the consumer hands events to: core's publisher. */
export interface QueuePublisher {
  publish(app: App, request: PublishRequest): Promise<void>;
}

export interface QueueConsumerOptions {
  readonly redisUrl: string;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly deadLetterStream: string;
  /** Prefix of the idempotency keys (`<prefix>queue:seen:<app>:<id>`). */
  readonly keyPrefix: string;
  readonly dedupeWindowSeconds: number;
  /** Entries pending this long with another consumer are taken over (that consumer is presumed dead). */
  readonly claimIdleMs: number;
  /** How long one read waits for new entries; also bounds how long a stop waits. */
  readonly blockMs?: number;
  /** Entries per read. */
  readonly readCount?: number;
  /** Retry delays while Redis is unreachable: doubling from the first, capped, with jitter. */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
}

export type QueueState = 'starting' | 'up' | 'down' | 'stopped';

export interface QueueHealth {
  readonly state: QueueState;
  /** Why Redis is unreachable, while `down`. */
  readonly error?: string | undefined;
  /** Failed attempts in a row (each after a longer wait); 0 while up. */
  readonly failures: number;
  readonly consumed: number;
  readonly deadLettered: number;
  readonly duplicates: number;
}

/** Dead-letter entries keep at most this many bytes of each original field. */
const DEAD_LETTER_FIELD_BYTES = 64 * 1024;
/** The dead-letter stream is capped near this length (MAXLEN ~). */
const DEAD_LETTER_MAX_LEN = 10_000;

/** Publish attempts an entry gets when the publisher fails in an unexpected way. */
const MAX_UNEXPECTED_FAILURES = 3;

type StreamEntry = [id: string, fields: string[] | null];

/**
 * Publishes the entries of a Redis Stream through core, as one member of a consumer group.
 *
 * Guarantees:
 * - At least once: an entry is acknowledged (XACK) only after each of its events was handed to the
 *   publisher; an entry left pending by a consumer idle longer than `claimIdleMs` is taken over (XAUTOCLAIM).
 * - An entry with an `id` already seen for its app within `dedupeWindowSeconds` is acknowledged without
 *   being published again.
 * - A malformed entry (unknown app, bad JSON, over the app's limits, missing fields) is moved to the
 *   dead-letter stream with the reason and acknowledged in one transaction: never retried, never fatal.
 * - When Redis or the cluster is unavailable, the consumer retries with backoff for as long as it
 *   runs, reports `down` in `health()`, and affects nothing else in the gateway.
 * - Entries are published in stream order, one at a time.
 */
export class QueueConsumer {
  private redis: Redis | undefined;
  private state: QueueState = 'starting';
  private lastError: string | undefined;
  private failures = 0;
  private counts = { consumed: 0, deadLettered: 0, duplicates: 0 };
  private groupReady = false;
  /** Re-read this consumer's own unacknowledged entries before new ones (after a failure, at start). */
  private ownPendingFirst = true;
  private nextClaimAt = 0;
  private stopping = false;
  private blocked = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  /** Entry id → unexpected publish failures so far. */
  private readonly unexpected = new Map<string, number>();
  private readonly blockMs: number;
  private readonly readCount: number;

  constructor(
    private readonly apps: AppStore,
    private readonly publisher: QueuePublisher,
    private readonly options: QueueConsumerOptions,
    private readonly log: Logger,
    private readonly observer: QueueObserver = {},
  ) {
    this.blockMs = options.blockMs ?? 2000;
    this.readCount = options.readCount ?? 100;
  }

  /** Starts consuming in the background; never rejects, even when Redis is down. */
  start(): void {
    if (this.running) return;
    this.redis = new Redis(this.options.redisUrl, {
      connectionName: `switchboard-queue:${this.options.consumer}`,
      // Fail commands at once while disconnected: the loop below owns retrying and backoff.
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.blockMs + 10_000,
      retryStrategy: (times) => Math.min(100 * times, 2000),
    });
    // Errors surface through the failing commands; this only keeps ioredis from printing them.
    this.redis.on('error', (error: Error) => this.log.debug({ err: error.message }, 'queue redis connection error'));
    this.running = this.run();
  }

  /**
   * Stops after the entry being handled (waiting at most `blockMs` for it); what is not acknowledged
   * stays pending with the group for the next consumer.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.blocked || this.state !== 'up') this.redis?.disconnect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.blockMs)))]);
    clearTimeout(timer);
    this.redis?.disconnect();
    await this.running;
    this.state = 'stopped';
  }

  health(): QueueHealth {
    return { state: this.state, error: this.state === 'down' ? this.lastError : undefined, failures: this.failures, ...this.counts };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
        this.failures = 0;
        this.markUp();
      } catch (error) {
        if (this.stopping) break;
        const message = (error as Error).message;
        if (message.includes('NOGROUP')) this.groupReady = false; // The stream or group was deleted (or Redis restarted empty).
        this.ownPendingFirst = true;
        this.markDown(message);
        this.failures++;
        const base = Math.min(this.options.backoffMaxMs ?? 5000, (this.options.backoffInitialMs ?? 100) * 2 ** (this.failures - 1));
        await this.sleep(base * (0.75 + Math.random() * 0.5));
      }
    }
  }

  private async step(): Promise<void> {
    const redis = this.redis as Redis;
    // Commands sent while the client is still connecting fail (the offline queue is off): wait for
    // the connection instead, so a start or a reconnect in progress is not reported as an outage.
    await this.connected(redis);
    if (!this.groupReady) {
      try {
        // From the stream's start: entries written before the first consumer ever ran are still events to publish.
        await redis.xgroup('CREATE', this.options.stream, this.options.group, '0', 'MKSTREAM');
      } catch (error) {
        if (!(error as Error).message.includes('BUSYGROUP')) throw error;
      }
      this.groupReady = true;
    }
    if (Date.now() >= this.nextClaimAt) {
      await this.claimAbandoned(redis);
      this.nextClaimAt = Date.now() + Math.max(100, this.options.claimIdleMs / 2);
    }
    // Redis answered: a first start is up now rather than after the read below has waited for entries.
    if (this.state === 'starting') this.markUp();
    if (this.stopping) return;
    const own = this.ownPendingFirst;
    this.blocked = !own;
    let reply: Array<[string, StreamEntry[]]> | null;
    try {
      const { group, consumer, stream } = this.options;
      reply = (own
        ? await redis.xreadgroup('GROUP', group, consumer, 'COUNT', this.readCount, 'STREAMS', stream, '0')
        : await redis.xreadgroup('GROUP', group, consumer, 'COUNT', this.readCount, 'BLOCK', Math.min(this.blockMs, Math.max(0, this.nextClaimAt - Date.now()) + 1), 'STREAMS', stream, '>')) as Array<[string, StreamEntry[]]> | null;
    } finally {
      this.blocked = false;
    }
    const entries = reply?.[0]?.[1] ?? [];
    if (own && entries.length === 0) this.ownPendingFirst = false;
    await this.handle(redis, entries);
  }

  /** Resolves once `redis` is ready; rejects with the reason when the connection attempt fails or ends. */
  private connected(redis: Redis): Promise<void> {
    if (redis.status === 'ready') return Promise.resolve();
    if (redis.status === 'end') return Promise.reject(new Error('connection closed'));
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        redis.off('ready', onReady);
        redis.off('error', onError);
        redis.off('end', onEnd);
        if (error) reject(error);
        else resolve();
      };
      const onReady = (): void => done();
      const onError = (error: Error): void => done(error);
      const onEnd = (): void => done(new Error('connection closed'));
      redis.on('ready', onReady);
      redis.on('error', onError);
      redis.on('end', onEnd);
    });
  }

  /** Takes over entries another consumer left pending longer than `claimIdleMs`, and handles them. */
  private async claimAbandoned(redis: Redis): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, claimed] = (await redis.xautoclaim(
        this.options.stream, this.options.group, this.options.consumer, Math.round(this.options.claimIdleMs), cursor, 'COUNT', this.readCount,
      )) as [string, StreamEntry[], string[]?];
      if (claimed.length > 0) this.log.info({ entries: claimed.length }, 'queue: took over entries of an idle consumer');
      await this.handle(redis, claimed);
      cursor = next;
    } while (cursor !== '0-0' && !this.stopping);
  }

  private async handle(redis: Redis, entries: readonly StreamEntry[]): Promise<void> {
    const acks: string[] = [];
    try {
      for (const [entryId, fields] of entries) {
        // A pending entry deleted from the stream (XDEL, trimming) comes back without fields.
        if (fields === null) acks.push(entryId);
        else if (await this.handleOne(redis, entryId, fields)) acks.push(entryId);
      }
    } finally {
      if (acks.length > 0) await redis.xack(this.options.stream, this.options.group, ...acks);
    }
  }

  /** Returns true when the entry is to be acknowledged; throws when it must be retried later. */
  private async handleOne(redis: Redis, entryId: string, fields: string[]): Promise<boolean> {
    let entry;
    try {
      entry = parseQueueEntry(fields, this.apps);
    } catch (error) {
      await this.deadLetter(redis, entryId, fields, reasonOf(error));
      return false;
    }
    const seenKey = entry.id === undefined ? undefined : `${this.options.keyPrefix}queue:seen:${entry.app.id}:${entry.id}`;
    if (seenKey && (await redis.set(seenKey, entryId, 'EX', this.options.dedupeWindowSeconds, 'NX')) === null) {
      this.counts.duplicates++;
      this.observer.duplicate?.({ appId: entry.app.id });
      this.log.debug({ appId: entry.app.id, entryId }, 'queue: duplicate id acknowledged without publishing');
      return true;
    }
    try {
      for (const request of entry.requests) await this.publisher.publish(entry.app, request);
    } catch (error) {
      // Not published: forget the id, or the retry would be taken for a duplicate.
      if (seenKey) await redis.del(seenKey);
      // An unavailable cluster is worth waiting for; a refusal is final; an unexpected failure gets a
      // few tries, so that one poison entry cannot hold the queue up forever.
      const transient = isGatewayError(error) ? error.kind === Errors.Unavailable : (this.unexpected.get(entryId) ?? 0) < MAX_UNEXPECTED_FAILURES;
      if (transient) {
        if (!isGatewayError(error)) this.unexpected.set(entryId, (this.unexpected.get(entryId) ?? 0) + 1);
        throw error;
      }
      this.unexpected.delete(entryId);
      await this.deadLetter(redis, entryId, fields, reasonOf(error));
      return false;
    }
    this.unexpected.delete(entryId);
    this.counts.consumed++;
    this.observer.consumed?.({ appId: entry.app.id, events: entry.requests.length });
    return true;
  }

  /** Moves an entry to the dead-letter stream with its reason and acknowledges it, atomically. */
  private async deadLetter(redis: Redis, entryId: string, fields: readonly string[], reason: string): Promise<void> {
    const kept = fields.map((f) => (Buffer.byteLength(f) > DEAD_LETTER_FIELD_BYTES ? `${Buffer.from(f).subarray(0, DEAD_LETTER_FIELD_BYTES).toString()}…[truncated]` : f));
    const results = await redis
      .multi()
      .xadd(this.options.deadLetterStream, 'MAXLEN', '~', DEAD_LETTER_MAX_LEN, '*', 'reason', reason, 'entry_id', entryId, 'consumer', this.options.consumer, ...kept)
      .xack(this.options.stream, this.options.group, entryId)
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('dead-letter transaction aborted');
    this.counts.deadLettered++;
    this.observer.deadLettered?.({ reason });
    this.log.warn({ entryId, reason, stream: this.options.deadLetterStream }, 'queue: malformed entry moved to the dead-letter stream');
  }

  private markUp(): void {
    if (this.state === 'up') return;
    const recovered = this.state === 'down';
    this.state = 'up';
    this.lastError = undefined;
    if (recovered) this.log.info({ stream: this.options.stream }, 'queue: redis reachable again');
    else this.log.info({ stream: this.options.stream, group: this.options.group, consumer: this.options.consumer }, 'queue: consuming');
    this.observer.connection?.({ up: true });
  }

  private markDown(error: string): void {
    this.lastError = error;
    if (this.state === 'down') return;
    this.state = 'down';
    // Only the message: the URL (and any password in it) stays out of the logs.
    this.log.warn({ err: error, stream: this.options.stream }, 'queue: redis or cluster unavailable; retrying with backoff');
    this.observer.connection?.({ up: false });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

/** The dead-letter reason: a catalogue error's message, or what an unexpected failure said. */
function reasonOf(error: unknown): string {
  if (isGatewayError(error)) return error.message;
  return `internal error: ${error instanceof Error ? error.message : String(error)}`;
}
