import type { Broker } from './broker.js';
import type { CacheStore } from './cache-store.js';
import type { ChannelRegistry } from './channel-registry.js';
import type { HistoryStore } from './history-store.js';
import type { PresenceStore } from './presence-store.js';

/** Everything core shares with other nodes. One implementation per scale-out engine. */
export interface Cluster {
  /** This node's id, unique in the cluster for the lifetime of the process. */
  readonly nodeId: string;
  readonly broker: Broker;
  readonly channels: ChannelRegistry;
  readonly presence: PresenceStore;
  readonly cache: CacheStore;
  readonly history: HistoryStore;
  /** False while the shared state is unreachable (cluster-wide answers then fail with Unavailable). */
  healthy(): boolean;
  close(): Promise<void>;
}
