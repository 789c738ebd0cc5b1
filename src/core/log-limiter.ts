import type { Logger } from 'pino';

export type LimitedLevel = 'debug' | 'info' | 'warn';

export interface LogLimiterOptions {
  /** Lines written per key and second; the rest are counted. Default 10. */
  readonly perSecond?: number;
  /** Keys tracked at once; past it the oldest key's state is forgotten (its count with it). Default 1000. */
  readonly maxKeys?: number;
}

interface KeyState {
  windowStart: number;
  written: number;
  suppressed: number;
  log: Logger;
  level: LimitedLevel;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Keeps refusal and failure lines (refused connections and subscriptions, failed signatures, bad
 * frames) from flooding the log: each key — a constant message plus a catalogue id, never text from
 * outside — gets at most `perSecond` lines a second. What it holds back is counted, and the count is
 * written once the second is over as one `log lines suppressed` line with the key and `suppressed`.
 *
 * Guarantees: every line is either written or counted in exactly one `suppressed` line; memory is
 * bounded by `maxKeys`; timers are unref'd and exist only while a second has suppressed lines.
 */
export class LogLimiter {
  private readonly perSecond: number;
  private readonly maxKeys: number;
  private readonly keys = new Map<string, KeyState>();

  constructor(options: LogLimiterOptions = {}) {
    this.perSecond = options.perSecond ?? 10;
    this.maxKeys = options.maxKeys ?? 1000;
  }

  /** Writes `msg` with `fields` through `log` at `level`, unless `key` is over its rate this second. */
  write(log: Logger, level: LimitedLevel, key: string, fields: Record<string, unknown>, msg: string): void {
    if (!log.isLevelEnabled(level)) return;
    const now = Date.now();
    let state = this.keys.get(key);
    if (state && now - state.windowStart >= 1000 && state.timer === undefined) {
      state.windowStart = now;
      state.written = 0;
    }
    if (!state) {
      if (this.keys.size >= this.maxKeys) this.forgetOldest();
      state = { windowStart: now, written: 0, suppressed: 0, log, level, timer: undefined };
      this.keys.set(key, state);
    }
    if (state.written < this.perSecond) {
      state.written++;
      log[level]({ ...fields, logKey: key }, msg);
      return;
    }
    state.suppressed++;
    state.log = log;
    state.level = level;
    if (state.timer === undefined) {
      const current = state;
      current.timer = setTimeout(() => this.flush(key, current), Math.max(0, current.windowStart + 1000 - now));
      current.timer.unref();
    }
  }

  /** Writes every pending `suppressed` count now (shutdown, tests). */
  flushAll(): void {
    for (const [key, state] of [...this.keys]) if (state.timer !== undefined) this.flush(key, state);
  }

  private flush(key: string, state: KeyState): void {
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
    if (state.suppressed > 0) state.log[state.level]({ logKey: key, suppressed: state.suppressed }, 'log lines suppressed');
    // The next line of this key starts a fresh second.
    this.keys.delete(key);
  }

  private forgetOldest(): void {
    const oldest = this.keys.keys().next();
    if (oldest.done) return;
    const state = this.keys.get(oldest.value);
    if (state) this.flush(oldest.value, state);
    this.keys.delete(oldest.value);
  }
}
