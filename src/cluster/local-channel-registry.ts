import type { ChannelRegistry, VacatedChannel } from './channel-registry.js';

/** Counts kept in this process: the single-node registry. */
export class LocalChannelRegistry implements ChannelRegistry {
  private readonly apps = new Map<string, Map<string, number>>();

  async adjust(appId: string, channel: string, delta: number): Promise<number> {
    let channels = this.apps.get(appId);
    if (!channels) this.apps.set(appId, (channels = new Map()));
    const current = channels.get(channel) ?? 0;
    if (current + delta < 0) return -1; // nothing to take back
    const next = current + delta;
    if (next > 0) channels.set(channel, next);
    else channels.delete(channel);
    return next;
  }

  async count(appId: string, channel: string): Promise<number> {
    return this.apps.get(appId)?.get(channel) ?? 0;
  }

  async list(appId: string, prefix: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [name, count] of this.apps.get(appId) ?? []) {
      if (name.startsWith(prefix)) out.set(name, count);
    }
    return out;
  }

  async forgetNode(): Promise<VacatedChannel[]> {
    return []; // Only one node exists.
  }

  async close(): Promise<void> {
    this.apps.clear();
  }
}
