import type { AppTotals } from './metrics.js';

/** One app's figures over the retained window, oldest first; rates are per second. */
export interface AppSeries {
  /** Unix seconds of each sample. */
  readonly t: number[];
  readonly connections: number[];
  readonly messagesIn: number[];
  readonly messagesOut: number[];
  readonly published: number[];
}

export interface RateHistoryOptions {
  readonly intervalMs: number;
  /** Samples kept per app; older ones are dropped. */
  readonly points: number;
}

/**
 * Samples per-app totals on a timer and turns them into rates, so the dashboard can draw its graphs
 * at once on load and `switchboard status` can print rates from one request. Memory is bounded:
 * `points` samples per app.
 */
export class RateHistory {
  private readonly series = new Map<string, AppSeries>();
  private last: { at: number; totals: Map<string, AppTotals> } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Map<string, AppTotals>,
    private readonly options: RateHistoryOptions = { intervalMs: 1000, points: 300 },
  ) {}

  start(): void {
    this.sample(Date.now());
    this.timer = setInterval(() => this.sample(Date.now()), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample now (the timer calls this; tests may too). */
  sample(now: number): void {
    const totals = this.read();
    const previous = this.last;
    this.last = { at: now, totals };
    if (!previous) return;
    const seconds = Math.max((now - previous.at) / 1000, 0.001);
    for (const [appId, current] of totals) {
      const before = previous.totals.get(appId);
      const rate = (field: 'messagesIn' | 'messagesOut' | 'published'): number => round((current[field] - (before?.[field] ?? 0)) / seconds);
      let s = this.series.get(appId);
      if (!s) this.series.set(appId, (s = { t: [], connections: [], messagesIn: [], messagesOut: [], published: [] }));
      s.t.push(Math.round(now / 1000));
      s.connections.push(current.connections);
      s.messagesIn.push(rate('messagesIn'));
      s.messagesOut.push(rate('messagesOut'));
      s.published.push(rate('published'));
      if (s.t.length > this.options.points) for (const values of Object.values(s) as number[][]) values.shift();
    }
  }

  of(appId: string): AppSeries {
    return this.series.get(appId) ?? { t: [], connections: [], messagesIn: [], messagesOut: [], published: [] };
  }

  /** The most recent rates of an app (zeros before the second sample). */
  latest(appId: string): { messagesIn: number; messagesOut: number; published: number } {
    const s = this.series.get(appId);
    return { messagesIn: s?.messagesIn.at(-1) ?? 0, messagesOut: s?.messagesOut.at(-1) ?? 0, published: s?.published.at(-1) ?? 0 };
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
