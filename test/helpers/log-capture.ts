import { Writable } from 'node:stream';
import pino from 'pino';

export type LogLine = Record<string, unknown>;

/** A pino logger writing JSON lines into memory, and ways to read and await them. */
export interface LogCapture {
  readonly log: pino.Logger;
  /** Every line so far, parsed. */
  readonly lines: LogLine[];
  /** Everything written, as text (to check what must never appear). */
  text(): string;
  /** Lines with this `msg`. */
  withMsg(msg: string): LogLine[];
  /** Resolves with the first line (already written or future) that matches. */
  waitFor(match: string | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
}

/** Captures pino output at `level`; `options` are pino's (e.g. a timestamp function). */
export function captureLog(level: string, options: pino.LoggerOptions = {}): LogCapture {
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString('utf8'));
      for (const wake of [...waiters]) wake();
      done();
    },
  });
  const parse = (): LogLine[] => raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
  const capture: LogCapture = {
    log: pino({ ...options, level }, sink),
    get lines() {
      return parse();
    },
    text: () => raw.join(''),
    withMsg: (msg) => parse().filter((l) => l['msg'] === msg),
    waitFor(match, timeoutMs = 10_000) {
      const pred = typeof match === 'string' ? (l: LogLine) => l['msg'] === match : match;
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = parse().find(pred);
          if (!found) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no log line matching ${typeof match === 'string' ? match : 'predicate'}; got ${raw.join('').slice(-2000)}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
  return capture;
}
