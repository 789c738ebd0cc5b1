import type { WebhookObserver } from '../seams/observers.js';
import type { CoreObserver } from '../core/observer.js';

export type DebugEventType =
  | 'connection'
  | 'disconnection'
  | 'subscribed'
  | 'unsubscribed'
  | 'subscription_error'
  | 'occupied'
  | 'vacated'
  | 'member_added'
  | 'member_removed'
  | 'publish'
  | 'client_event'
  | 'webhook'
  | 'error';

/** One line of the debug console, as sent to the dashboard. */
export interface DebugEvent {
  readonly seq: number;
  /** Unix milliseconds. */
  readonly t: number;
  readonly type: DebugEventType;
  readonly appId: string;
  readonly channel?: string | undefined;
  readonly event?: string | undefined;
  readonly socketId?: string | undefined;
  readonly userId?: string | undefined;
  /** A short free-form detail: a close code, an error, a webhook status, the first bytes of data. */
  readonly detail?: string | undefined;
}

/** What one watcher wants to see; empty fields match everything. */
export interface DebugFilter {
  readonly appId?: string | undefined;
  readonly types?: ReadonlySet<DebugEventType> | undefined;
  /** Case-insensitive substring of the channel, event name, socket id or user id. */
  readonly text?: string | undefined;
}

/** A batch handed to a watcher: the sampled events, oldest first, and how many were left out. */
export interface DebugBatch {
  readonly events: DebugEvent[];
  readonly dropped: number;
}

export interface DebugConsoleOptions {
  /** How often each watcher receives a batch. */
  readonly flushMs: number;
  /** Events kept per watcher per batch; past this, events are sampled (reservoir) and counted. */
  readonly maxPerBatch: number;
  /** Characters of event data or detail kept. */
  readonly previewChars: number;
}

type RawDetail = string | (() => string) | undefined;

interface Pending {
  readonly filter: DebugFilter;
  readonly send: (batch: DebugBatch) => void;
  kept: Array<{ seq: number; t: number; type: DebugEventType; appId: string; channel?: string | undefined; event?: string | undefined; socketId?: string | undefined; userId?: string | undefined; detail: RawDetail }>;
  seen: number;
}

/**
 * A live, filterable and bounded stream of what happens in the gateway, for the dashboard's debug
 * console. When nobody watches, every report returns at once. When someone does, each watcher gets
 * at most `maxPerBatch` events per `flushMs` (a uniform sample of what matched its filter, plus the
 * count of what was left out), so 1,000 events/s cannot flood a browser; event data is only turned
 * into a preview for the events kept.
 */
export class DebugConsole {
  readonly observer: CoreObserver;
  readonly webhookObserver: WebhookObserver = {
    delivered: (e) => this.record({ type: 'webhook', appId: e.appId, event: 'delivered', detail: `${e.events} event(s) to ${e.url} after ${e.attempts} attempt(s), ${e.ms} ms` }),
    retried: (e) => this.record({ type: 'webhook', appId: e.appId, event: 'retry', detail: `attempt ${e.attempt} to ${e.url} failed: ${e.reason}` }),
    dropped: (e) => this.record({ type: 'webhook', appId: e.appId, event: 'dropped', detail: `${e.events} event(s) for ${e.url}: ${e.reason}` }),
  };
  private readonly watchers = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(private readonly options: DebugConsoleOptions = { flushMs: 250, maxPerBatch: 50, previewChars: 200 }) {
    this.observer = this.makeObserver();
  }

  /** Starts delivering batches to `send`; returns the function that stops it. */
  watch(filter: DebugFilter, send: (batch: DebugBatch) => void): () => void {
    const watcher: Pending = { filter: { ...filter, text: filter.text?.toLowerCase() || undefined }, send, kept: [], seen: 0 };
    this.watchers.add(watcher);
    if (!this.timer) {
      this.timer = setInterval(() => this.flush(), this.options.flushMs);
      this.timer.unref();
    }
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  get watching(): number {
    return this.watchers.size;
  }

  /**
   * Records one event. For modules outside core (webhooks, the queue consumer):
   * `debugConsole.record({ type: 'webhook', appId, event: 'channel_occupied', detail: '200 in 12 ms' })`.
   * `detail` may be a function, called only if the event is kept.
   */
  record(e: { type: DebugEventType; appId: string; channel?: string | undefined; event?: string | undefined; socketId?: string | undefined; userId?: string | undefined; detail?: RawDetail }): void {
    if (this.watchers.size === 0) return;
    const seq = ++this.seq;
    const t = Date.now();
    for (const w of this.watchers) {
      if (!matches(w.filter, e)) continue;
      w.seen++;
      const item = { ...e, seq, t, detail: e.detail };
      if (w.kept.length < this.options.maxPerBatch) {
        w.kept.push(item);
      } else {
        // Reservoir sampling: every matching event of the window has the same chance to be shown.
        const slot = Math.floor(Math.random() * w.seen);
        if (slot < this.options.maxPerBatch) w.kept[slot] = item;
      }
    }
  }

  /** Hands each watcher its batch; the timer calls this. */
  flush(): void {
    for (const w of this.watchers) {
      if (w.seen === 0) continue;
      const kept = w.kept.sort((a, b) => a.seq - b.seq);
      const dropped = w.seen - kept.length;
      w.kept = [];
      w.seen = 0;
      const events = kept.map((k): DebugEvent => ({ ...k, detail: this.preview(k.detail) }));
      w.send({ events, dropped });
    }
  }

  close(): void {
    this.watchers.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private preview(detail: RawDetail): string | undefined {
    const text = typeof detail === 'function' ? detail() : detail;
    if (text === undefined) return undefined;
    const max = this.options.previewChars;
    return text.length > max ? `${text.slice(0, max)}…` : text;
  }

  private makeObserver(): CoreObserver {
    return {
      connectionOpened: (e) => this.record({ type: 'connection', appId: e.appId, socketId: e.socketId, detail: e.transport }),
      connectionClosed: (e) => this.record({ type: 'disconnection', appId: e.appId, socketId: e.socketId, userId: e.userId, detail: `code ${e.code}` }),
      subscribed: (e) => this.record({ type: 'subscribed', appId: e.appId, channel: e.channel, socketId: e.socketId }),
      unsubscribed: (e) => this.record({ type: 'unsubscribed', appId: e.appId, channel: e.channel, socketId: e.socketId }),
      subscriptionRejected: (e) => this.record({ type: 'subscription_error', appId: e.appId, channel: e.channel, socketId: e.socketId, detail: `${e.kind}: ${e.reason}` }),
      channelOccupied: (e) => this.record({ type: 'occupied', appId: e.appId, channel: e.channel }),
      channelVacated: (e) => this.record({ type: 'vacated', appId: e.appId, channel: e.channel }),
      memberAdded: (e) => this.record({ type: 'member_added', appId: e.appId, channel: e.channel, userId: e.userId }),
      memberRemoved: (e) => this.record({ type: 'member_removed', appId: e.appId, channel: e.channel, userId: e.userId }),
      published: (e) => {
        if (this.watchers.size === 0) return;
        for (const channel of e.channels) this.record({ type: 'publish', appId: e.appId, channel, event: e.event, detail: e.data });
      },
      clientEvent: (e) =>
        this.record({ type: 'client_event', appId: e.appId, channel: e.channel, event: e.event, socketId: e.socketId, userId: e.userId, detail: () => JSON.stringify(e.data) ?? '' }),
      error: (e) => this.record({ type: 'error', appId: e.appId, socketId: e.socketId, event: e.code, detail: e.message }),
    };
  }
}

function matches(filter: DebugFilter, e: { type: DebugEventType; appId: string; channel?: string | undefined; event?: string | undefined; socketId?: string | undefined; userId?: string | undefined }): boolean {
  if (filter.appId !== undefined && filter.appId !== e.appId) return false;
  if (filter.types !== undefined && filter.types.size > 0 && !filter.types.has(e.type)) return false;
  const text = filter.text;
  if (text === undefined) return true;
  return [e.channel, e.event, e.socketId, e.userId].some((field) => field !== undefined && field.toLowerCase().includes(text));
}
