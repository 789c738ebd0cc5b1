import type { ServerResponse } from 'node:http';
import type { EncodedFrame, FrameBatch } from '../../protocol/encoded-frame.js';
import type { Link, LinkListener } from '../../seams/link.js';
import { HEARTBEAT_LINE, OPEN_LINE, STREAM_PRELUDE, arrayLine, closeLine, messageBody, messageLine } from './sockjs-frame.js';

export type FallbackKind = 'xhr_streaming' | 'xhr_polling';

export interface SessionLimits {
  /** Unsent bytes (outbox or stream backlog) past which the session is cut off with 4100. */
  readonly maxBufferedBytes: number;
}

/** Close code used for a slow consumer: pusher-js backs off and reconnects on 4100–4199. */
const SLOW_CONSUMER_CODE = 4100;
/** What core hears when a session ends because its client went away (no close frame, like a dropped socket). */
export const SESSION_GONE_CODE = 1006;

export const RECEIVE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/javascript; charset=UTF-8',
  'cache-control': 'no-store, no-cache, must-revalidate, max-age=0',
  // nginx honours this per response: streamed frames must not wait in a proxy buffer.
  'x-accel-buffering': 'no',
};

/**
 * One pusher-js HTTP fallback session (`{server}/{session}` in its URLs), seen by core as a `Link`.
 *
 * The client reads through one receive request at a time: a long response for `xhr_streaming`, one
 * short response per poll for `xhr_polling`. Frames sent while no receive request is open wait in a
 * bounded outbox. A session closed by core keeps its `c[…]` line until the client's next receive
 * request collects it or the session expires.
 *
 * Guarantees: frames reach the client in `send` order; `o` is written exactly once; nothing is ever
 * written in answer to the client's `[]` heartbeat; `closed` reaches the listener exactly once.
 */
export class FallbackSession implements Link {
  private listener: LinkListener | undefined;
  /** The receive request currently held open, if any. */
  private receiver: ServerResponse | undefined;
  /** Message bodies (see `messageBody`) waiting for a receive request. */
  private outbox: string[] = [];
  private outboxBytes = 0;
  /** Set once closed: the `c[…]` line still to deliver, or '' once delivered. */
  private pendingClose: string | undefined;
  private flushScheduled = false;
  /** When the current receive request was attached or the last line written to it. */
  private lastWriteAt = 0;
  /** When the session last had no receive request (start of the expiry clock). */
  private detachedAt: number;

  constructor(
    readonly id: string,
    readonly kind: FallbackKind,
    readonly origin: string | undefined,
    readonly remoteAddress: string,
    private readonly limits: SessionLimits,
    now: number,
  ) {
    this.detachedAt = now;
  }

  /** Answers the session's first receive request with `o` (and keeps it open when streaming). */
  open(res: ServerResponse, headers: Record<string, string>, now: number): void {
    res.writeHead(200, { ...RECEIVE_HEADERS, ...headers });
    if (this.kind === 'xhr_polling') {
      // The first poll answer is only `o`; connection_established waits for the next poll.
      res.end(OPEN_LINE);
      this.detachedAt = now;
      return;
    }
    res.write(STREAM_PRELUDE + OPEN_LINE);
    this.attachReceiver(res, now);
  }

  /** Connects core's listener once admission has opened the link. */
  listen(listener: LinkListener): void {
    this.listener = listener;
  }

  /**
   * A later receive request on this session: a new stream (pusher-js opens one after 256 KiB) or
   * the next poll. It replaces any request still held, which the client has already given up.
   */
  resume(res: ServerResponse, headers: Record<string, string>, now: number): void {
    this.release(HEARTBEAT_LINE, now);
    res.writeHead(200, { ...RECEIVE_HEADERS, ...headers });
    this.attachReceiver(res, now);
    // What waited goes out now (a poll is answered and ends); an idle poll is held until a frame
    // arrives or the heartbeat is due.
    this.flush(now);
  }

  send(frame: EncodedFrame): void {
    this.deliver(frame);
  }

  sendBatch(batch: FrameBatch): void {
    this.deliver(batch);
  }

  close(code: number, reason: string): void {
    if (this.pendingClose !== undefined) return;
    this.pendingClose = closeLine(code, reason.slice(0, 120));
    this.flush(Date.now());
    this.finish(code);
  }

  /** Text frames from an `xhr_send` body, in order. Ignored once closed. */
  receive(texts: readonly string[]): void {
    for (const text of texts) {
      if (this.pendingClose !== undefined) return;
      this.listener?.message(text);
    }
  }

  get isClosed(): boolean {
    return this.pendingClose !== undefined;
  }

  /** True once the session is closed and its close line has been delivered (or cannot be). */
  get isDone(): boolean {
    return this.pendingClose === '';
  }

  /**
   * Timer work, called by the transport's sweeper: heartbeats on idle receive requests and expiry
   * of sessions without one. Returns false when the session is over and should be forgotten.
   */
  tick(now: number, heartbeatMs: number, expiryMs: number): boolean {
    if (this.isDone) {
      this.release('', now);
      return false;
    }
    const res = this.receiver;
    if (res === undefined) {
      if (now - this.detachedAt < expiryMs) return true;
      // Nobody came back for it: the client is gone, as when a socket drops.
      this.pendingClose = '';
      this.outbox = [];
      this.outboxBytes = 0;
      this.finish(SESSION_GONE_CODE);
      return false;
    }
    if (now - this.lastWriteAt >= heartbeatMs) {
      if (this.kind === 'xhr_streaming') this.write(res, HEARTBEAT_LINE, now);
      // A poll answered with `h` ends; the client polls again at once.
      else this.release(HEARTBEAT_LINE, now);
    }
    return true;
  }

  /** Ends any held request (shutdown). */
  shutdown(): void {
    this.release('', Date.now());
    this.pendingClose ??= '';
  }

  private deliver(item: EncodedFrame | FrameBatch): void {
    if (this.pendingClose !== undefined) return;
    const res = this.receiver;
    if (res !== undefined && this.kind === 'xhr_streaming' && this.outbox.length === 0) {
      if (res.writableLength > this.limits.maxBufferedBytes) {
        this.cutOff();
        return;
      }
      this.write(res, messageLine(item), Date.now());
      return;
    }
    const body = messageBody(item);
    this.outbox.push(body);
    this.outboxBytes += body.length;
    if (this.outboxBytes > this.limits.maxBufferedBytes) {
      // A stalled poller must not grow the heap: drop what waits and leave it the close frame.
      this.outbox = [];
      this.outboxBytes = 0;
      this.close(SLOW_CONSUMER_CODE, 'too many unread messages');
      return;
    }
    if (res !== undefined && !this.flushScheduled) {
      // Let the rest of this turn's frames (a subscribe's replies, a hub flush) join the answer.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush(Date.now());
      });
    }
  }

  /** Writes what waits (outbox, then close line) to the held request; a poll is answered and ends. */
  private flush(now: number): void {
    const res = this.receiver;
    if (res === undefined) return;
    let text = '';
    if (this.outbox.length > 0) {
      text = arrayLine(this.outbox.join(','));
      this.outbox = [];
      this.outboxBytes = 0;
    }
    const closing = Boolean(this.pendingClose);
    if (closing) {
      text += this.pendingClose;
      this.pendingClose = '';
    }
    if (text === '') return;
    if (this.kind === 'xhr_polling' || closing) this.release(text, now);
    else this.write(res, text, now);
  }

  private attachReceiver(res: ServerResponse, now: number): void {
    this.receiver = res;
    this.lastWriteAt = now;
    res.once('close', () => {
      if (this.receiver !== res) return;
      this.receiver = undefined;
      this.detachedAt = Date.now();
    });
  }

  /** Ends the held request with `last` (may be empty) and starts the expiry clock. */
  private release(last: string, now: number): void {
    const res = this.receiver;
    if (res === undefined) return;
    this.receiver = undefined;
    this.detachedAt = now;
    res.end(last);
  }

  private write(res: ServerResponse, chunk: string | Buffer, now: number): void {
    this.lastWriteAt = now;
    res.write(chunk);
  }

  /** The client stopped reading its stream: a close line would sit behind the backlog, so drop it. */
  private cutOff(): void {
    const res = this.receiver;
    this.receiver = undefined;
    this.pendingClose = '';
    res?.destroy();
    this.finish(SLOW_CONSUMER_CODE);
  }

  private finish(code: number): void {
    const listener = this.listener;
    this.listener = undefined;
    if (listener === undefined) return;
    // Reported on the next turn, as a socket's close event is, so core never re-enters itself.
    setImmediate(() => listener.closed(code));
  }
}
