import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Cluster } from './cluster.js';
import { RedisBroker } from './redis-broker.js';
import { RedisCacheStore } from './redis-cache-store.js';
import { RedisChannelRegistry } from './redis-channel-registry.js';
import { RedisConnections, RedisScript } from './redis-connections.js';
import { RedisHistoryStore } from './redis-history-store.js';
import { LUA_KEY_HELPERS, RedisKeys } from './redis-keys.js';
import { RedisPresenceStore } from './redis-presence-store.js';

export interface RedisClusterOptions {
  readonly url: string;
  /** Key and topic prefix, so several deployments can share one Redis. */
  readonly prefix: string;
  /** How often this node proves it is alive (and looks for dead nodes). */
  readonly heartbeatMs: number;
  /** A node silent for this long is dead: a survivor takes back its connections. */
  readonly nodeTtlMs: number;
  readonly log: Logger;
  /** Longest pause between reconnection attempts (default 5 s). */
  readonly maxBackoffMs?: number;
}

/**
 * KEYS: nodes, reaping. ARGV: prefix, node id. Returns 0 when the node was registered, 1 when it
 * was not (first beat, or Redis restarted), 2 while a survivor is still cleaning up after it (it must
 * not re-register until that cleanup is done), 3 once that cleanup is over (it was declared dead).
 */
const HEARTBEAT = new RedisScript(`${LUA_KEY_HELPERS}
if redis.call('ZSCORE', KEYS[2], ARGV[2]) then return 2 end
local added = redis.call('ZADD', KEYS[1], now_ms(), ARGV[2])
if redis.call('DEL', P .. 'dead:' .. ARGV[2]) == 1 then return 3 end
return added
`);

/**
 * KEYS: nodes, reaping. ARGV: prefix, own id, ttl ms, reap timeout ms. Claims one dead node (or one
 * whose previous claimant died mid-cleanup) for the caller; the move from `nodes` to `reaping` is
 * atomic, so exactly one survivor gets each dead node.
 */
const CLAIM = new RedisScript(`${LUA_KEY_HELPERS}
local now = now_ms()
local function pick(key, older)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', now - older, 'LIMIT', 0, 2)) do
    if id ~= ARGV[2] then return id end
  end
  return nil
end
local id = pick(KEYS[1], tonumber(ARGV[3])) or pick(KEYS[2], tonumber(ARGV[4]))
if not id then return false end
redis.call('ZREM', KEYS[1], id)
redis.call('ZADD', KEYS[2], now, id)
redis.call('SET', P .. 'dead:' .. id, '1', 'PX', 86400000)
return id
`);

/**
 * The Redis scale-out engine: every node shares nothing but Redis.
 *
 * Liveness: each node writes a heartbeat (Redis clock) every `heartbeatMs`. A node whose heartbeat
 * is older than `nodeTtlMs` is dead; the first survivor to claim it (atomically) is handed a
 * `node-gone` control message and cleans up after it, so presence and counts stay true and each
 * departure is announced once.
 *
 * Faults: while Redis is unreachable `healthy()` is false (cluster-wide reads fail with
 * Unavailable), local delivery continues, nothing is queued. After reconnecting, and when it finds
 * itself unregistered (Redis restarted), the node re-publishes its local channels and presence
 * connections before reporting healthy again. A node that was only cut off (or frozen) for longer
 * than the TTL was declared dead and its members announced gone: it has its clients reconnect.
 */
export class RedisCluster implements Cluster {
  readonly nodeId = randomUUID();
  readonly broker: RedisBroker;
  readonly channels: RedisChannelRegistry;
  readonly presence: RedisPresenceStore;
  readonly cache: RedisCacheStore;
  readonly history: RedisHistoryStore;
  private readonly redis: RedisConnections;
  private readonly keys: RedisKeys;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private registered = false;
  private inSync = false;
  private needsResync = false;
  private closed = false;

  constructor(private readonly options: RedisClusterOptions) {
    this.log = options.log.child({ component: 'cluster', nodeId: this.nodeId });
    this.keys = new RedisKeys(options.prefix);
    this.redis = new RedisConnections({ url: options.url, log: this.log, maxBackoffMs: options.maxBackoffMs, commandTimeoutMs: Math.max(1000, options.nodeTtlMs / 2) });
    this.broker = new RedisBroker(this.redis, this.keys, this.nodeId, this.log, () => this.register());
    this.channels = new RedisChannelRegistry(this.redis, this.keys, this.nodeId);
    this.presence = new RedisPresenceStore(this.redis, this.keys, this.nodeId);
    this.cache = new RedisCacheStore(this.redis, this.keys);
    this.history = new RedisHistoryStore(this.redis, this.keys);
    this.redis.onChange((up) => {
      if (up) {
        // Writes may have failed while away: put this node's state back before answering again.
        this.needsResync = this.registered;
        void this.tick();
      } else {
        this.inSync = false;
      }
    });
  }

  healthy(): boolean {
    return this.redis.up && this.inSync;
  }

  /** Waits for Redis (retrying with backoff), registers this node and starts the heartbeat. */
  private async register(): Promise<void> {
    await this.redis.whenUp();
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.heartbeatMs);
    this.timer.unref();
  }

  private tick(): Promise<void> {
    this.ticking ??= this.beat().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async beat(): Promise<void> {
    if (this.closed || !this.redis.up) return;
    try {
      const beat = await this.redis.script(HEARTBEAT, [this.keys.nodes, this.keys.reaping], [this.keys.prefix, this.nodeId]);
      if (beat === 2) {
        this.inSync = false;
        this.needsResync = true;
        return;
      }
      if (beat === 3) {
        // Survivors announced this node's members gone. Re-registering them silently would hide
        // them from everyone's member lists: the clients reconnect and join again instead.
        this.log.warn('the cluster declared this node dead (no heartbeat within the TTL); reconnecting its clients');
        this.needsResync = false;
        this.broker.notifyLocal({ type: 'node-gone', nodeId: this.nodeId });
      } else if (beat === 1 && this.registered) {
        this.log.warn('this node was missing from Redis (Redis restarted); re-registering its channels and presence');
        this.needsResync = true;
      }
      if (this.needsResync) {
        await Promise.all([this.channels.resync(), this.presence.resync()]);
        this.needsResync = false;
        this.log.info('local channels and presence re-registered in Redis');
      }
      this.registered = true;
      this.inSync = true;
      await this.reapDeadNodes();
    } catch (error) {
      this.inSync = false;
      this.needsResync = this.registered;
      this.log.warn({ err: error }, 'heartbeat failed');
    }
  }

  private async reapDeadNodes(): Promise<void> {
    const args = [this.keys.prefix, this.nodeId, this.options.nodeTtlMs, Math.max(30_000, 3 * this.options.nodeTtlMs)];
    for (;;) {
      const dead = await this.redis.script(CLAIM, [this.keys.nodes, this.keys.reaping], args);
      if (typeof dead !== 'string') return;
      this.log.warn({ deadNodeId: dead }, 'node missed its heartbeats; removing its members and subscriptions');
      this.broker.notifyLocal({ type: 'node-gone', nodeId: dead });
    }
  }

  /**
   * Lets the cleanup of drained connections reach Redis, then marks this node's heartbeat as
   * expired so a survivor removes anything still left and announces it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.redis.settle(2000);
    if (this.registered) {
      await this.redis.call((r) => r.zadd(this.keys.nodes, 0, this.nodeId)).catch((error: unknown) => {
        // Redis is away: the heartbeat then expires on its own, a TTL later.
        this.log.debug({ err: error }, 'could not expire this node on close');
      });
    }
    await Promise.all([this.broker.close(), this.channels.close(), this.presence.close(), this.cache.close()]);
    await this.redis.close();
  }
}
