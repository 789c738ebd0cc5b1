import type { Logger } from 'pino';
import type { AppStore } from '../apps/app-store.js';
import type { BrokerHandler, ChannelMessage, ControlMessage } from '../cluster/broker.js';
import type { Cluster } from '../cluster/cluster.js';
import type { App } from '../apps/app.js';
import type { Acceptor } from '../seams/link.js';
import type { Connection } from './connection.js';
import { ConnectionManager, type ConnectionOptions } from './connection-manager.js';
import { Hub } from './hub.js';
import { LogLimiter } from './log-limiter.js';
import type { CoreObserver } from './observer.js';
import { Publisher, type PublishRequest } from './publisher.js';
import { Subscriptions } from './subscriptions.js';
import { Users } from './users.js';

export interface CoreOptions extends ConnectionOptions {
  readonly maxChannelsPerConnection: number;
  readonly maxUserIdLength: number;
  readonly maxWatchlist: number;
}

/**
 * Core as one object: the channel hub, subscriptions, users, connections and the publisher, wired
 * to a cluster. Its parts stay inside: transports hand it links through `acceptor`, the backend and
 * ops publish with `publish`, read this node's figures through the methods below, and read shared
 * state through `cluster` (an interface).
 */
export class Core implements BrokerHandler {
  private readonly hub: Hub;
  private readonly subscriptions: Subscriptions;
  private readonly users: Users;
  private readonly connections: ConnectionManager;
  private readonly publisher: Publisher;

  constructor(
    readonly apps: AppStore,
    readonly cluster: Cluster,
    private readonly observer: CoreObserver,
    private readonly log: Logger,
    coreOptions: CoreOptions,
  ) {
    // One limiter for every refusal line of core, so a flood is bounded however it is spread.
    const options = { ...coreOptions, logLimiter: coreOptions.logLimiter ?? new LogLimiter() };
    this.hub = new Hub(observer);
    this.subscriptions = new Subscriptions(this.hub, cluster, observer, options);
    this.users = new Users(cluster, observer, options);
    this.connections = new ConnectionManager(apps, cluster, this.subscriptions, this.users, observer, log, options);
    this.publisher = new Publisher(cluster, observer);
  }

  /** Where transports bring connection attempts. */
  get acceptor(): Acceptor {
    return this.connections;
  }

  /** Validated publish to this app's channels (see `Publisher.publish`). */
  publish(app: App, request: PublishRequest): Promise<void> {
    return this.publisher.publish(app, request);
  }

  /** True from `drain()` on: no connection is admitted any more. */
  get draining(): boolean {
    return this.connections.isDraining;
  }

  /** Open connections on this node, of one app or all. */
  connectionCount(appId?: string): number {
    return this.connections.connectionCount(appId);
  }

  /** Channels with a subscriber on this node, of one app or all. */
  channelCount(appId?: string): number {
    return this.hub.channelCount(appId);
  }

  /** Resolves when the cleanups of closed connections (presence, counts) have finished. */
  settled(): Promise<void> {
    return this.connections.settled();
  }

  /** This node's connections, for diagnostics and tests; not a hot path. */
  allConnections(): IterableIterator<Connection> {
    return this.connections.allConnections();
  }

  async start(): Promise<void> {
    await this.cluster.broker.start(this);
    this.connections.start();
  }

  deliver(message: ChannelMessage): void {
    this.hub.enqueue(message);
  }

  control(message: ControlMessage): void {
    switch (message.type) {
      case 'terminate-user':
        this.connections.terminateUser(message.appId, message.userId);
        return;
      case 'user-status':
        this.users.statusChanged(message.appId, message.userId, message.online);
        return;
      case 'node-gone':
        void this.nodeGone(message.nodeId);
        return;
    }
  }

  /**
   * Another node died and the cluster handed its cleanup to this node alone: take back its
   * presence connections (announcing each member who left entirely), then its subscription counts.
   * Presence goes first: the Redis registry releases the claim on the node with the counts.
   */
  private async nodeGone(nodeId: string): Promise<void> {
    if (nodeId === this.cluster.nodeId) {
      // The cluster declared this node dead and announced its members gone. Its clients reconnect
      // and subscribe again, so their presence is announced anew instead of coming back silently.
      this.connections.reconnectAll();
      return;
    }
    try {
      const departed = await this.cluster.presence.forgetNode(nodeId);
      const announced = await Promise.allSettled(
        departed.map((m) => (m.channel === Users.onlineChannel ? this.users.userGone(m.appId, m.userId) : this.subscriptions.memberGone(m.appId, m.channel, m.userId))),
      );
      const failed = announced.filter((r) => r.status === 'rejected').length;
      if (failed > 0) this.log.warn({ nodeId, failed }, 'some departures of a dead node could not be announced');
      for (const vacated of await this.cluster.channels.forgetNode(nodeId)) this.observer.channelVacated?.(vacated);
    } catch (error) {
      this.log.warn({ err: error, nodeId }, 'cleanup after a dead node failed; another node retries it');
    }
  }

  /** Closes every connection (4200) and stops timers; the cluster is closed by its owner. */
  drain(): void {
    this.connections.drain();
    this.subscriptions.close();
  }
}
