/** Where an event sits in a channel's history: `epoch` names the history's lifetime, `offset` counts from 1. */
export interface Position {
  readonly epoch: string;
  readonly offset: number;
}

export interface HistoryEvent {
  readonly event: string;
  readonly data: unknown;
  readonly offset: number;
}

/** How much history a channel keeps (from the app's history rules). */
export interface HistoryLimits {
  readonly maxEvents: number;
  readonly ttlSeconds: number;
}

export type HistoryRead =
  /** Every event after the position, in order (possibly none). */
  | { readonly recovered: true; readonly epoch: string; readonly events: readonly HistoryEvent[]; readonly latest: number }
  /** The position cannot be resumed from: another epoch, trimmed away, or beyond the latest offset. */
  | { readonly recovered: false; readonly epoch: string; readonly latest: number; readonly reason: 'epoch' | 'future' }
  /** The gap starts before `oldest`, the first offset still retained. */
  | { readonly recovered: false; readonly epoch: string; readonly latest: number; readonly reason: 'trimmed'; readonly oldest: number };

/**
 * Per-channel event history for resumable channels.
 *
 * Guarantees:
 * - Offsets of one channel are strictly increasing within an epoch and `append` resolves in call
 *   order for appends made by one node.
 * - The epoch changes whenever history may have been lost (a restarted in-memory store, a Redis
 *   flush, a channel whose history expired), so a stale position is never resumed from silently.
 * - `since` never returns a partial gap: either every event after the position that is still
 *   retained and nothing is missing (`recovered: true`), or `recovered: false`.
 */
export interface HistoryStore {
  append(appId: string, channel: string, event: { event: string; data: unknown }, limits: HistoryLimits): Promise<Position>;
  /** Events after `after` (at most `limit`; `recovered` stays true when more remain, see `latest`). */
  since(appId: string, channel: string, after: Position, limit: number): Promise<HistoryRead>;
  /** The newest position, or undefined when the channel has no retained history. */
  latest(appId: string, channel: string): Promise<Position | undefined>;
  /**
   * The newest position, starting the channel's epoch (at offset 0) when it has none, so a
   * subscriber that has seen nothing yet still holds a position it can resume from: events
   * appended later in the same epoch are all after it. The epoch lives as long as events would.
   */
  tip(appId: string, channel: string, limits: HistoryLimits): Promise<Position>;
  close(): Promise<void>;
}

/** `epoch:offset`, the wire form of a position. */
export function formatPosition(p: Position): string {
  return `${p.epoch}:${p.offset}`;
}

/**
 * The `since` a client sends when it has no position yet (first subscribe, a new EventSource):
 * "start tracking here". It is answered with the channel's tip, never with a replay.
 */
export const SINCE_LATEST = 'latest';

/** Parses `epoch:offset`; undefined for anything malformed. */
export function parsePosition(text: unknown): Position | undefined {
  if (typeof text !== 'string' || text.length > 80) return undefined;
  const m = /^([A-Za-z0-9_-]{1,40}):(\d{1,15})$/.exec(text);
  if (!m) return undefined;
  return { epoch: m[1] as string, offset: Number(m[2]) };
}
