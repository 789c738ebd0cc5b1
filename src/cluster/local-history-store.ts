import { randomBytes } from 'node:crypto';
import type { HistoryEvent, HistoryLimits, HistoryRead, HistoryStore, Position } from './history-store.js';

interface Ring {
  readonly epoch: string;
  next: number;
  ttlMs: number;
  /** Last append or tip read: an empty ring is kept for its TTL so a tip handed out stays valid. */
  touchedAt: number;
  events: Array<HistoryEvent & { at: number }>;
}

/**
 * In-memory history: one bounded list per channel. A process restart (or a channel whose history
 * fully expired and was swept) starts a new epoch, so older positions get `recovered: false`.
 */
export class LocalHistoryStore implements HistoryStore {
  private readonly channels = new Map<string, Ring>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async append(appId: string, channel: string, event: { event: string; data: unknown }, limits: HistoryLimits): Promise<Position> {
    const ring = this.ring(appId, channel, limits);
    const offset = ring.next++;
    ring.events.push({ event: event.event, data: event.data, offset, at: this.now() });
    if (ring.events.length > limits.maxEvents) ring.events.splice(0, ring.events.length - limits.maxEvents);
    return { epoch: ring.epoch, offset };
  }

  async tip(appId: string, channel: string, limits: HistoryLimits): Promise<Position> {
    const ring = this.ring(appId, channel, limits);
    return { epoch: ring.epoch, offset: ring.next - 1 };
  }

  private ring(appId: string, channel: string, limits: HistoryLimits): Ring {
    const key = `${appId}\u0000${channel}`;
    let ring = this.channels.get(key);
    if (!ring) this.channels.set(key, (ring = { epoch: randomBytes(6).toString('base64url'), next: 1, ttlMs: 0, touchedAt: 0, events: [] }));
    ring.ttlMs = limits.ttlSeconds * 1000;
    ring.touchedAt = this.now();
    return ring;
  }

  async since(appId: string, channel: string, after: Position, limit: number): Promise<HistoryRead> {
    const ring = this.channels.get(`${appId}\u0000${channel}`);
    if (!ring) return { recovered: false, epoch: '', latest: 0, reason: 'epoch' };
    this.expire(ring);
    const latest = ring.next - 1;
    if (after.epoch !== ring.epoch) return { recovered: false, epoch: ring.epoch, latest, reason: 'epoch' };
    if (after.offset > latest) return { recovered: false, epoch: ring.epoch, latest, reason: 'future' };
    const oldest = ring.events[0]?.offset ?? ring.next;
    if (after.offset + 1 < oldest) return { recovered: false, epoch: ring.epoch, latest, reason: 'trimmed', oldest };
    const start = after.offset + 1 - oldest;
    const events = ring.events.slice(start, start + limit).map(({ event, data, offset }) => ({ event, data, offset }));
    return { recovered: true, epoch: ring.epoch, events, latest };
  }

  async latest(appId: string, channel: string): Promise<Position | undefined> {
    const ring = this.channels.get(`${appId}\u0000${channel}`);
    return ring && ring.next > 1 ? { epoch: ring.epoch, offset: ring.next - 1 } : undefined;
  }

  private expire(ring: Ring): void {
    const cutoff = this.now() - ring.ttlMs;
    let drop = 0;
    while (drop < ring.events.length && (ring.events[drop]?.at ?? 0) < cutoff) drop++;
    if (drop > 0) ring.events.splice(0, drop);
  }

  /** Forgets channels whose history fully expired, so idle channels cost nothing. */
  private sweep(): void {
    for (const [key, ring] of this.channels) {
      this.expire(ring);
      if (ring.events.length === 0 && this.now() - ring.touchedAt >= ring.ttlMs) this.channels.delete(key);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.channels.clear();
  }
}
