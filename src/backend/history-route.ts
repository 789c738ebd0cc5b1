import type { App } from '../apps/app.js';
import { formatPosition, parsePosition, SINCE_LATEST, type HistoryRead, type HistoryStore } from '../cluster/history-store.js';
import { historyLimitsFor } from '../core/history-rules.js';
import { Errors, GatewayError } from '../protocol/errors.js';

/** Events one history request returns at most, whatever `limit` asks: keeps one answer small. */
export const MAX_HISTORY_LIMIT = 1000;
const DEFAULT_HISTORY_LIMIT = 100;

export interface HistoryAnswer {
  readonly events: ReadonlyArray<{ event: string; data: unknown; position: string }>;
  readonly recovered: boolean;
  /** Pass as `since` next time: the last event returned, else where history stands. Null without history. */
  readonly position: string | null;
  readonly error?: string;
}

const WHY: Record<'epoch' | 'trimmed' | 'future', string> = {
  epoch: 'history epoch changed (history was lost or the position is foreign)',
  trimmed: 'the gap is no longer in history',
  future: 'position is ahead of the channel',
};

/**
 * `GET /apps/{id}/channels/{name}/history?since=&limit=` for backends that rebuild state: the events
 * after `since` (without it, the newest `limit` retained events; `since=latest` only the position).
 * Never a partial gap: when events after `since` are gone, `recovered` is false and nothing is listed.
 * Throws BadRequest for channels without history and malformed parameters.
 */
export async function channelHistory(history: HistoryStore, app: App, channel: string, query: URLSearchParams): Promise<HistoryAnswer> {
  const limits = historyLimitsFor(app, channel);
  if (!limits) throw new GatewayError(Errors.BadRequest, `channel ${channel} has no history (no history rule of this app matches it)`);
  const limit = parseLimit(query.get('limit'));
  const since = query.get('since');
  if (since === SINCE_LATEST) {
    return { events: [], recovered: true, position: formatPosition(await history.tip(app.id, channel, limits)) };
  }
  if (since === null || since === '') {
    // The newest events: start `limit` before the tip, or at the oldest retained when less is kept.
    const tip = await history.tip(app.id, channel, limits);
    let read = await history.since(app.id, channel, { epoch: tip.epoch, offset: Math.max(0, tip.offset - limit) }, limit);
    if (!read.recovered && read.reason === 'trimmed') read = await history.since(app.id, channel, { epoch: tip.epoch, offset: read.oldest - 1 }, limit);
    return answer(read, tip.offset - limit);
  }
  const position = parsePosition(since);
  if (!position) throw new GatewayError(Errors.BadRequest, 'malformed since: expected "<epoch>:<offset>" as found in an event\'s position');
  return answer(await history.since(app.id, channel, position, limit), position.offset);
}

function answer(read: HistoryRead, after: number): HistoryAnswer {
  if (!read.recovered) {
    return { events: [], recovered: false, position: read.epoch ? formatPosition({ epoch: read.epoch, offset: read.latest }) : null, error: WHY[read.reason] };
  }
  const events = read.events.map((e) => ({ event: e.event, data: e.data, position: formatPosition({ epoch: read.epoch, offset: e.offset }) }));
  const lastOffset = read.events.at(-1)?.offset ?? Math.max(0, Math.min(after, read.latest));
  return { events, recovered: true, position: formatPosition({ epoch: read.epoch, offset: lastOffset }) };
}

function parseLimit(raw: string | null): number {
  if (raw === null || raw === '') return DEFAULT_HISTORY_LIMIT;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1) throw new GatewayError(Errors.BadRequest, `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`);
  return Math.min(Number(raw), MAX_HISTORY_LIMIT);
}
