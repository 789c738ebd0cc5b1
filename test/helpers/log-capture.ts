import { Writable } from 'node:stream';
import pino from 'pino';

/** A pino logger writing JSON lines into an array, for tests that check what operators would read. */
export function captureLog(level: string): { log: pino.Logger; lines: Array<Record<string, unknown>>; text: () => string } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = pino({ level }, sink);
  return {
    log,
    get lines() {
      return raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}
