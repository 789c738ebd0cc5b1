import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Errors, GatewayError } from '../protocol/errors.js';

export interface RedisConnectionOptions {
  readonly url: string;
  readonly log: Logger;
  /** Longest pause between reconnection attempts. */
  readonly maxBackoffMs?: number;
  /** A command without a reply after this long fails (a frozen Redis must not stall the node). */
  readonly commandTimeoutMs?: number;
}

/** A Lua script, run by its hash and loaded on first use. */
export class RedisScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/**
 * The two connections a node holds to Redis: one for commands (auto-pipelined) and one in
 * subscriber mode for pub/sub. Reconnects with capped exponential backoff, forever.
 *
 * Guarantees:
 * - Nothing is buffered while Redis is unreachable: the offline queue is off and commands in
 *   flight when the link drops fail, so every call either reaches Redis or rejects at once with
 *   `GatewayError(Unavailable)`.
 * - `up` is true only while both connections are ready; listeners hear every change of `up`.
 */
export class RedisConnections {
  readonly command: Redis;
  readonly subscriber: Redis;
  private wasUp = false;
  private pending = 0;
  private closing = false;
  private lastError = '';
  private readonly listeners: Array<(up: boolean) => void> = [];
  private readonly log: Logger;
  private readonly where: string;

  constructor(options: RedisConnectionOptions) {
    this.log = options.log;
    this.where = redactUrl(options.url);
    const maxBackoff = options.maxBackoffMs ?? 5000;
    const base = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      connectTimeout: 5000,
    };
    const retry = (role: string) => (attempt: number) => {
      if (this.closing) return null;
      // 100 ms, 200 ms, 400 ms … capped; jitter spreads a fleet's reconnects after a Redis restart.
      const delay = Math.min(100 * 2 ** Math.min(attempt - 1, 10), maxBackoff) + Math.floor(Math.random() * 100);
      if (role === 'command') this.log.warn({ redis: this.where, attempt, retryInMs: delay, reason: this.lastError }, 'cannot reach Redis; retrying');
      return delay;
    };
    this.command = new Redis(options.url, { ...base, enableAutoPipelining: true, retryStrategy: retry('command'), connectionName: 'switchboard' });
    this.subscriber = new Redis(options.url, { ...base, retryStrategy: retry('subscriber'), connectionName: 'switchboard-sub' });
    for (const client of [this.command, this.subscriber]) {
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
      client.on('ready', () => this.changed());
      client.on('close', () => this.changed());
      client.on('end', () => this.changed());
    }
  }

  get up(): boolean {
    return this.command.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Called with the new state each time both connections become ready, or one stops being. */
  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    const up = this.up;
    if (up === this.wasUp) return;
    this.wasUp = up;
    if (up) this.log.info({ redis: this.where }, 'connected to Redis');
    else if (!this.closing) this.log.warn({ redis: this.where, reason: this.lastError }, 'lost Redis; serving local subscribers only until it is back');
    for (const listener of this.listeners) listener(up);
  }

  /** Resolves once both connections are ready (retrying as long as it takes). */
  whenUp(): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve) => this.onChange((up) => up && resolve()));
  }

  /** Runs a command, translating any Redis failure into `Unavailable`. */
  async call<T>(run: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.command.status !== 'ready') throw new GatewayError(Errors.Unavailable, 'cluster state is unavailable; try again');
    this.pending++;
    try {
      return await run(this.command);
    } catch (error) {
      // A script or protocol error is a bug worth seeing; a dropped link is already logged once.
      if (error instanceof Error && /^(ERR|WRONGTYPE)/.test(error.message)) this.log.error({ err: error }, 'Redis rejected a command');
      throw unavailable(error);
    } finally {
      this.pending--;
    }
  }

  /** Runs a Lua script by hash, loading it when Redis does not know it (first use, or after a restart). */
  script(script: RedisScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    return this.call(async (redis) => {
      // Arrays rather than spread arguments: a resync can carry more values than a call may take.
      const rest = [keys.length, ...keys, ...args];
      try {
        return await redis.call('evalsha', [script.sha, ...rest]);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return redis.call('eval', [script.source, ...rest]);
      }
    });
  }

  /** Waits (bounded) for commands in flight, e.g. the cleanup of connections closed by a drain. */
  async settle(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      if (this.pending > 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= 50) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [this.command, this.subscriber].map(async (client) => {
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
      }),
    );
  }
}

function unavailable(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError(Errors.Unavailable, 'cluster state is unavailable; try again');
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable redis url)';
  }
}
