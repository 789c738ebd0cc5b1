// WHOIS over TCP (RFC 3912): one query line ending CRLF; the answer ends when the server closes.
// Transport only: classification of the text lives in whois-patterns.ts.
import { connect } from 'node:net';
import { DeadlineError, startAttempt } from './attempt.js';
import type { Deadlines } from './types.js';

export interface WhoisAnswer {
  text: string;
  /** The server closed the connection normally (EOF) — the only sign that `text` is complete. */
  complete: boolean;
  /** We stopped reading because the answer exceeded the size cap. */
  truncated: boolean;
}

export interface WhoisQueryOptions {
  deadlines: Deadlines;
  /** Bytes kept at most; a longer answer is cut and marked truncated. */
  maxBytes: number;
  signal?: AbortSignal;
}

/** Fills the per-server query template (`domain {name}`, `-T dn,ace {name}`, `{name}/e`). */
export function formatQuery(template: string | undefined, ascii: string): string {
  return (template ?? '{name}').split('{name}').join(ascii);
}

/**
 * Sends `query` + CRLF to host:port and reads until EOF. Rejects on connect/idle/total deadline (with
 * DeadlineError), reset, or abort; resolves only after EOF or the size cap. An early close with no bytes
 * resolves with empty text: the caller must treat it as unknown, never as "not found".
 */
export function whoisQuery(host: string, port: number, query: string, opts: WhoisQueryOptions): Promise<WhoisAnswer> {
  const attempt = startAttempt(opts.signal, opts.deadlines.totalMs);
  return new Promise<WhoisAnswer>((resolve, reject) => {
    const sock = connect({ host, port, signal: attempt.signal });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: unknown, ans?: WhoisAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      sock.destroy();
      if (err) reject(attempt.signal.aborted ? attempt.signal.reason : err);
      else if (ans) resolve(ans);
    };
    const connectTimer = setTimeout(() => finish(new DeadlineError('connect')), opts.deadlines.connectMs);
    sock.once('connect', () => {
      clearTimeout(connectTimer);
      // Idle: reset by every received chunk, so a slow-but-steady server is bounded only by the total deadline.
      sock.setTimeout(opts.deadlines.idleMs, () => finish(new DeadlineError('idle')));
      sock.write(`${query}\r\n`);
    });
    sock.on('data', (b: Buffer) => {
      const room = opts.maxBytes - size;
      chunks.push(b.length > room ? b.subarray(0, room) : b);
      size += Math.min(b.length, room);
      if (b.length > room) finish(null, { text: decode(chunks), complete: false, truncated: true });
    });
    sock.on('end', () => finish(null, { text: decode(chunks), complete: true, truncated: false }));
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error('closed without end')));
  }).finally(() => attempt.done());
}

function decode(chunks: Buffer[]): string {
  // Registries answer in UTF-8 or Latin-1; a lossy UTF-8 decode keeps the ASCII patterns matchable either way.
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}
