import type { CoreObserver } from '../core/observer.js';
import type { WebhookKind } from '../protocol/webhook-kinds.js';
import { targetWants, type WebhookEvent, type WebhookTarget } from './webhook-event.js';
import type { WebhookApp } from './webhook-sender.js';

/** An app with at least one webhook. */
export interface WebhookedApp extends WebhookApp {
  readonly targets: readonly WebhookTarget[];
}

/** Where finished batches go (the sender). Must not block or throw. */
export type WebhookSink = (app: WebhookApp, target: WebhookTarget, events: readonly WebhookEvent[]) => void;

/**
 * Asks shared state whether a held-back "gone" event is still true when its grace ends: in a cluster
 * the channel or member may have come back on another node, which this node's batcher never sees.
 */
export type StillGone = (appId: string, event: WebhookEvent) => Promise<boolean>;

export interface WebhookBatcherOptions {
  /** Events of one app are collected this long, then sent as one request per endpoint. */
  readonly batchWindowMs: number;
  /** `channel_vacated`, `member_removed` and `user_offline` wait this long and vanish if undone meanwhile. */
  readonly holdBackMs: number;
  /** Largest `events` array of one request. */
  readonly maxEventsPerRequest: number;
}

interface AppState {
  readonly app: WebhookedApp;
  /** Every kind some target wants: anything else is not even built. */
  readonly kinds: ReadonlySet<WebhookKind>;
  pending: WebhookEvent[];
  timer?: NodeJS.Timeout | undefined;
  /** Held-back "gone" events by what would undo them. */
  readonly held: Map<string, { readonly event: WebhookEvent; readonly timer: NodeJS.Timeout }>;
}

/** The "gone" kinds that are held back, and the kind that cancels each. */
const UNDONE_BY: Partial<Record<WebhookKind, WebhookKind>> = {
  channel_vacated: 'channel_occupied',
  member_removed: 'member_added',
  user_offline: 'user_online',
};

/**
 * Turns core's reports into webhook events: keeps only the kinds an app's webhooks want, collects
 * them for `batchWindowMs`, and splits each batch per endpoint by its event types and channel filter.
 *
 * Guarantees:
 * - Every callback returns at once: work is timers and arrays, never I/O.
 * - A `channel_vacated` / `member_removed` / `user_offline` followed within `holdBackMs` by the
 *   matching `channel_occupied` / `member_added` / `user_online` produces neither event; one that is
 *   not undone is sent after the grace (unless shared state says it was undone elsewhere).
 * - Events keep their report order within an app, except that held-back ones join the batch that is
 *   open when their grace ends.
 */
export class WebhookBatcher implements CoreObserver {
  private readonly apps = new Map<string, AppState>();
  private closed = false;

  constructor(
    apps: readonly WebhookedApp[],
    private readonly sink: WebhookSink,
    private readonly options: WebhookBatcherOptions,
    private readonly stillGone: StillGone = () => Promise.resolve(true),
  ) {
    for (const app of apps) {
      const kinds = new Set(app.targets.flatMap((t) => [...t.eventTypes]));
      if (kinds.size > 0) this.apps.set(app.id, { app, kinds, pending: [], held: new Map() });
    }
  }

  channelOccupied(e: { appId: string; channel: string }): void {
    this.arrive(e.appId, `c\u0000${e.channel}`, { name: 'channel_occupied', channel: e.channel });
  }

  channelVacated(e: { appId: string; channel: string }): void {
    this.leave(e.appId, `c\u0000${e.channel}`, { name: 'channel_vacated', channel: e.channel });
  }

  memberAdded(e: { appId: string; channel: string; userId: string }): void {
    this.arrive(e.appId, `m\u0000${e.channel}\u0000${e.userId}`, { name: 'member_added', channel: e.channel, user_id: e.userId });
  }

  memberRemoved(e: { appId: string; channel: string; userId: string }): void {
    this.leave(e.appId, `m\u0000${e.channel}\u0000${e.userId}`, { name: 'member_removed', channel: e.channel, user_id: e.userId });
  }

  userOnline(e: { appId: string; userId: string }): void {
    this.arrive(e.appId, `u\u0000${e.userId}`, { name: 'user_online', user_id: e.userId });
  }

  userOffline(e: { appId: string; userId: string }): void {
    this.leave(e.appId, `u\u0000${e.userId}`, { name: 'user_offline', user_id: e.userId });
  }

  clientEvent(e: { appId: string; channel: string; event: string; data: unknown; socketId: string; userId?: string | undefined }): void {
    if (!this.wants(e.appId, 'client_event')) return;
    // Pusher sends the event's data as a string, whatever the client sent.
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    const event: WebhookEvent = { name: 'client_event', channel: e.channel, event: e.event, data, socket_id: e.socketId, ...(e.userId === undefined ? {} : { user_id: e.userId }) };
    this.add(e.appId, event);
  }

  cacheMiss(e: { appId: string; channel: string }): void {
    this.add(e.appId, { name: 'cache_miss', channel: e.channel });
  }

  subscriptionCount(e: { appId: string; channel: string; count: number }): void {
    this.add(e.appId, { name: 'subscription_count', channel: e.channel, subscription_count: e.count });
  }

  connectionOpened(e: { appId: string; socketId: string; transport: string }): void {
    this.add(e.appId, { name: 'connection_opened', socket_id: e.socketId, transport: e.transport });
  }

  connectionClosed(e: { appId: string; socketId: string; transport: string; userId?: string | undefined; code: number; durationMs: number }): void {
    this.add(e.appId, {
      name: 'connection_closed',
      socket_id: e.socketId,
      ...(e.userId === undefined ? {} : { user_id: e.userId }),
      code: e.code,
      transport: e.transport,
      duration_ms: e.durationMs,
    });
  }

  /** Sends what is collected and held back now; later reports are ignored. */
  close(): void {
    this.closed = true;
    for (const state of this.apps.values()) {
      for (const { event, timer } of state.held.values()) {
        clearTimeout(timer);
        state.pending.push(event);
      }
      state.held.clear();
      this.flush(state);
    }
  }

  private wants(appId: string, kind: WebhookKind): boolean {
    return this.apps.get(appId)?.kinds.has(kind) ?? false;
  }

  /** An "arrival" cancels a held-back departure of the same thing, or is reported. */
  private arrive(appId: string, key: string, event: WebhookEvent): void {
    const state = this.apps.get(appId);
    if (!state) return;
    const held = state.held.get(key);
    if (held) {
      clearTimeout(held.timer);
      state.held.delete(key);
      return;
    }
    this.add(appId, event);
  }

  private leave(appId: string, key: string, event: WebhookEvent): void {
    const state = this.apps.get(appId);
    if (!state || !state.kinds.has(event.name) || this.closed) return;
    if (this.options.holdBackMs <= 0 || UNDONE_BY[event.name] === undefined) {
      this.add(appId, event);
      return;
    }
    clearTimeout(state.held.get(key)?.timer);
    const timer = setTimeout(() => {
      state.held.delete(key);
      this.stillGone(appId, event).then(
        (gone) => gone && this.add(appId, event),
        // Shared state unreachable: saying "gone" once too often beats never saying it.
        () => this.add(appId, event),
      );
    }, this.options.holdBackMs);
    state.held.set(key, { event, timer });
  }

  private add(appId: string, event: WebhookEvent): void {
    const state = this.apps.get(appId);
    if (!state || !state.kinds.has(event.name)) return;
    state.pending.push(event);
    if (this.closed || state.pending.length >= this.options.maxEventsPerRequest) {
      this.flush(state);
      return;
    }
    state.timer ??= setTimeout(() => this.flush(state), this.options.batchWindowMs);
  }

  private flush(state: AppState): void {
    clearTimeout(state.timer);
    state.timer = undefined;
    const events = state.pending;
    if (events.length === 0) return;
    state.pending = [];
    const max = this.options.maxEventsPerRequest;
    for (const target of state.app.targets) {
      const wanted = events.filter((e) => targetWants(target, e));
      for (let i = 0; i < wanted.length; i += max) this.sink(state.app, target, wanted.slice(i, i + max));
    }
  }
}
