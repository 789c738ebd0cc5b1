import { randomUUID } from 'node:crypto';
import { Errors, GatewayError } from '../protocol/errors.js';
import type { Broker, BrokerHandler, ChannelMessage, ControlMessage } from './broker.js';
import type { CachedEvent, CacheStore } from './cache-store.js';
import type { ChannelRegistry, VacatedChannel } from './channel-registry.js';
import type { Cluster, ConnectionTally } from './cluster.js';
import type { HistoryLimits, HistoryRead, HistoryStore, Position } from './history-store.js';
import { isHostMessage, type HostOp, type HostPort } from './host-port.js';
import type { DepartedMember, PresenceMember, PresenceStore } from './presence-store.js';

/**
 * A worker's view of the host's shared state, kept by the primary's `HostHub` and reached over
 * Node's IPC channel: the cluster engine of `switchboard start --workers N` without Redis.
 *
 * Guarantees are those of the cluster interfaces (see broker.ts and the stores); they hold because
 * the IPC channel is ordered and the hub answers each call in arrival order. While the channel is
 * down (the primary is gone) `healthy()` is false and every call rejects with Unavailable; a worker
 * without its primary is stopped by the primary's death anyway (see cli/workers).
 */
export class HostCluster implements Cluster {
  readonly nodeId = randomUUID();
  readonly broker: Broker;
  readonly channels: ChannelRegistry;
  readonly presence: PresenceStore;
  readonly cache: CacheStore;
  readonly history: HistoryStore;
  readonly tally: ConnectionTally;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private connected = true;
  private handler: BrokerHandler | undefined;
  /** Others' connections per app and host totals, from the hub's last `tallies`. */
  private elsewhere = new Map<string, number>();
  private hostNodes = 1;
  /** This worker's counts not yet reported (sent once per turn). */
  private readonly unreported = new Map<string, number>();
  private readonly mine = new Map<string, number>();

  constructor(private readonly port: HostPort) {
    port.on('message', this.onMessage);
    port.on('disconnect', this.onDisconnect);
    port.send({ sb: 'hello', nodeId: this.nodeId });
    const call = this.call.bind(this);
    this.broker = {
      start: async (handler) => {
        this.handler = handler;
      },
      publish: (m: ChannelMessage) => call('broker.publish', [m]).then(() => undefined),
      control: (m: ControlMessage) => call('broker.control', [m]).then(() => undefined),
      // Resolves once the hub registered the interest: later publishes (behind it on the pipe) reach us.
      addInterest: (appId, channel) => call('broker.interest', [appId, channel, 1]).then(() => undefined, () => undefined),
      removeInterest: (appId, channel) => void call('broker.interest', [appId, channel, -1]).catch(() => undefined),
      close: async () => {
        this.handler = undefined;
      },
    };
    this.channels = {
      adjust: (appId, channel, delta) => call('channels.adjust', [appId, channel, delta]) as Promise<number>,
      count: (appId, channel) => call('channels.count', [appId, channel]) as Promise<number>,
      list: async (appId, prefix) => new Map((await call('channels.list', [appId, prefix])) as Array<[string, number]>),
      forgetNode: (nodeId) => call('channels.forgetNode', [nodeId]) as Promise<VacatedChannel[]>,
      close: async () => undefined,
    };
    this.presence = {
      join: (appId, channel, socketId, member: PresenceMember) => call('presence.join', [appId, channel, socketId, member]) as Promise<boolean>,
      leave: (appId, channel, socketId, userId) => call('presence.leave', [appId, channel, socketId, userId]) as Promise<boolean>,
      members: async (appId, channel) => new Map((await call('presence.members', [appId, channel])) as Array<[string, unknown]>),
      memberCount: (appId, channel) => call('presence.memberCount', [appId, channel]) as Promise<number>,
      present: async (appId, channel, userIds) => new Set((await call('presence.present', [appId, channel, userIds])) as string[]),
      forgetNode: (nodeId) => call('presence.forgetNode', [nodeId]) as Promise<DepartedMember[]>,
      close: async () => undefined,
    };
    this.cache = {
      set: (appId, channel, event, ttl) => call('cache.set', [appId, channel, event, ttl]).then(() => undefined),
      get: async (appId, channel) => ((await call('cache.get', [appId, channel])) as CachedEvent | null) ?? undefined,
      close: async () => undefined,
    };
    this.tally = {
      report: (appId, count) => {
        if (count > 0) this.mine.set(appId, count);
        else this.mine.delete(appId);
        if (this.unreported.size === 0) setImmediate(() => this.flushTally());
        this.unreported.set(appId, count);
      },
      elsewhere: (appId) => this.elsewhere.get(appId) ?? 0,
      total: () => {
        let own = 0;
        for (const n of this.mine.values()) own += n;
        let others = 0;
        for (const n of this.elsewhere.values()) others += n;
        return { connections: own + others, nodes: this.hostNodes };
      },
    };
    this.history = {
      append: (appId, channel, event, limits: HistoryLimits) => call('history.append', [appId, channel, event, limits]) as Promise<Position>,
      since: (appId, channel, after, limit) => call('history.since', [appId, channel, after, limit]) as Promise<HistoryRead>,
      latest: async (appId, channel) => ((await call('history.latest', [appId, channel])) as Position | null) ?? undefined,
      tip: (appId, channel, limits) => call('history.tip', [appId, channel, limits]) as Promise<Position>,
      close: async () => undefined,
    };
  }

  healthy(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    this.port.off('message', this.onMessage);
    this.port.off('disconnect', this.onDisconnect);
    this.onDisconnect();
  }

  private flushTally(): void {
    const counts = [...this.unreported];
    this.unreported.clear();
    if (!this.connected || counts.length === 0) return;
    try {
      this.port.send({ sb: 'tally', counts });
    } catch {
      // The primary is gone; onDisconnect reports it.
    }
  }

  private call(op: HostOp, args: readonly unknown[]): Promise<unknown> {
    if (!this.connected) return Promise.reject(new GatewayError(Errors.Unavailable, 'the host primary is unreachable'));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.port.send({ sb: 'call', id, op, args });
      } catch {
        this.pending.delete(id);
        reject(new GatewayError(Errors.Unavailable, 'the host primary is unreachable'));
      }
    });
  }

  private readonly onMessage = (raw: unknown): void => {
    if (!isHostMessage(raw)) return;
    switch (raw.sb) {
      case 'reply': {
        const waiter = this.pending.get(raw.id);
        if (!waiter) return;
        this.pending.delete(raw.id);
        if (raw.error !== undefined) waiter.reject(new GatewayError(Errors.Unavailable, raw.error));
        else waiter.resolve(raw.value);
        return;
      }
      case 'deliver':
        this.handler?.deliver(raw.message);
        return;
      case 'control':
        this.handler?.control(raw.message);
        return;
      case 'tallies':
        this.elsewhere = new Map(raw.elsewhere);
        this.hostNodes = raw.nodes;
        return;
      default:
        return;
    }
  };

  private readonly onDisconnect = (): void => {
    this.connected = false;
    const error = new GatewayError(Errors.Unavailable, 'the host primary is unreachable');
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  };
}
