import type { Broker } from './broker.js';
import type { CacheStore } from './cache-store.js';
import type { ChannelRegistry } from './channel-registry.js';
import type { HistoryStore } from './history-store.js';
import type { PresenceStore } from './presence-store.js';

/**
 * Connection counts of the other processes of one gateway, for limits that must hold across them
 * (`maxConnections` per app). Guarantee: `elsewhere` lags the truth by at most one round trip to
 * the shared state, so a burst of connections spread over N processes may pass a limit by N - 1.
 */
export interface ConnectionTally {
  /** This node now holds `count` connections of the app (called on every change; cheap, never throws). */
  report(appId: string, count: number): void;
  /** Connections of the app held by the other nodes, as last heard. */
  elsewhere(appId: string): number;
  /** Connections held by every node together (this one's as last reported), and how many nodes. */
  total(): { connections: number; nodes: number };
}

/** Everything core shares with other nodes. One implementation per scale-out engine. */
export interface Cluster {
  /** This node's id, unique in the cluster for the lifetime of the process. */
  readonly nodeId: string;
  readonly broker: Broker;
  readonly channels: ChannelRegistry;
  readonly presence: PresenceStore;
  readonly cache: CacheStore;
  readonly history: HistoryStore;
  /** Present when the engine counts connections across nodes (the in-host engine of `--workers`). */
  readonly tally?: ConnectionTally;
  /** False while the shared state is unreachable (cluster-wide answers then fail with Unavailable). */
  healthy(): boolean;
  close(): Promise<void>;
}
