import { randomUUID } from 'node:crypto';
import type { Cluster } from './cluster.js';
import { LocalBroker } from './local-broker.js';
import { LocalCacheStore } from './local-cache-store.js';
import { LocalChannelRegistry } from './local-channel-registry.js';
import { LocalHistoryStore } from './local-history-store.js';
import { LocalPresenceStore } from './local-presence-store.js';

/** The embedded default: one node, all state in memory. */
export class LocalCluster implements Cluster {
  readonly nodeId = randomUUID();
  readonly broker = new LocalBroker();
  readonly channels = new LocalChannelRegistry();
  readonly presence = new LocalPresenceStore();
  readonly cache = new LocalCacheStore();
  readonly history = new LocalHistoryStore();

  healthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([this.broker.close(), this.channels.close(), this.presence.close(), this.cache.close(), this.history.close()]);
  }
}
